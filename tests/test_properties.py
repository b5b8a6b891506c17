"""Property tests: random networks agree with PyTorch (shapes, counts and refusals); invariants hold.

The default run draws a few dozen examples per property; CONVSHAPE_LONG=1 draws 100,000
(CI runs both).
"""

from __future__ import annotations

import types
from typing import Any, cast

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install hypothesis)")
from conftest import LONG_EXAMPLES  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convshape as cs  # noqa: E402

CHANNELS = (4, 8)


@st.composite
def conv(draw: Any) -> cs.Layer:
    k = draw(st.integers(1, 5))
    d = draw(st.integers(1, 2))
    s = draw(st.integers(1, 3))
    padding = draw(st.one_of(st.integers(0, 3), st.sampled_from(["valid", "same"]) if s == 1 else st.just(0)))
    groups = draw(st.sampled_from([1, 1, 2, 4]))
    return cs.Conv(draw(st.sampled_from(CHANNELS)), k, stride=s, padding=padding, dilation=d, groups=groups)


@st.composite
def pool(draw: Any) -> cs.Layer:
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    ceil = draw(st.booleans())
    if draw(st.booleans()):
        return cs.MaxPool(k, stride=s, padding=p, dilation=draw(st.integers(1, 2)), ceil_mode=ceil)
    return cs.AvgPool(k, stride=s, padding=p, ceil_mode=ceil)


@st.composite
def conv_transpose(draw: Any) -> cs.Layer:
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 2))
    op = draw(st.integers(0, max(s, d) - 1))
    return cs.ConvTranspose(
        draw(st.sampled_from(CHANNELS)), draw(st.integers(1, 4)), stride=s, padding=draw(st.integers(0, 2)),
        output_padding=op, dilation=d,
    )  # fmt: skip


leaf = st.one_of(conv(), pool(), conv_transpose(), st.just(cs.BatchNorm()), st.just(cs.Activation("relu")))


@st.composite
def block(draw: Any) -> cs.Layer:
    kind = draw(st.sampled_from(["leaf", "leaf", "leaf", "residual", "concat"]))
    if kind == "residual":
        body = draw(st.lists(leaf, min_size=1, max_size=2))
        shortcut = draw(st.one_of(st.none(), st.lists(conv(), min_size=1, max_size=1)))
        return cs.Residual(*body, shortcut=shortcut)
    if kind == "concat":
        return cs.Concat(*draw(st.lists(st.lists(leaf, min_size=0, max_size=2), min_size=1, max_size=3)))
    return cast(cs.Layer, draw(leaf))


def build(layers: list[Any]) -> cs.Sequential | None:
    try:
        return cs.Sequential(*layers)
    except cs.ConvShapeError:
        return None


networks = st.lists(block(), min_size=1, max_size=5)
input_shapes = st.tuples(st.sampled_from(CHANNELS), st.integers(1, 24), st.integers(1, 24))


def _torch_outcome(tools: types.SimpleNamespace, network: cs.Sequential, shape: tuple[int, ...]) -> Any:
    torch = tools.torch
    try:
        model, _ = tools.to_torch(network, len(shape) - 1, strict=True)
        model.eval()  # batch statistics of a single 1x1 sample are undefined in training mode
        x = torch.zeros(1, *shape)
        with torch.no_grad():
            model(x)  # materialise lazy modules
        numbers = tools.torch_numbers(model, shape)
    except (RuntimeError, ValueError):
        return None
    if 0 in numbers["output"] or any(0 in s for s in numbers["shapes"].values()):
        return None  # an empty map: conv_transpose2d returns one where convshape refuses
    return numbers


@settings(max_examples=LONG_EXAMPLES)
@given(layers=networks, shape=input_shapes)
def test_random_networks_agree_with_pytorch(
    layers: list[Any], shape: tuple[int, int, int], torch_tools: types.SimpleNamespace
) -> None:
    """Output shape, parameters and MACs equal PyTorch's, and both refuse the same networks."""
    network = build(layers)
    if network is None:
        return
    try:
        report = cs.trace(network, shape)
    except cs.ConvShapeError:
        report = None
    theirs = _torch_outcome(torch_tools, network, shape)
    assert (report is None) == (theirs is None), (network, shape)
    if report is not None and theirs is not None:
        assert report.output_shape == theirs["output"]
        assert report.total_params == theirs["params"]
        assert report.total_macs == theirs["macs"]


@given(layers=networks, shape=input_shapes)
def test_check_agrees_with_trace_and_totals_add_up(layers: list[Any], shape: tuple[int, int, int]) -> None:
    """check() is empty exactly when trace() succeeds; totals equal the sums of the rows."""
    network = build(layers)
    if network is None:
        return
    problems = cs.check(network, shape)
    first = None
    try:
        report = cs.trace(network, shape)
    except cs.ConvShapeError as err:
        first = str(err)
    if first is not None:
        assert problems
        assert str(problems[0]) == first
        return
    assert problems == []
    assert report.total_params == sum(r.params for r in report.rows)
    assert report.total_macs == sum(r.macs for r in report.rows)
    assert report.total_kernels == sum(r.kernels for r in report.rows)


@given(layers=networks, shapes=st.lists(input_shapes, min_size=1, max_size=4))
def test_a_trace_depends_only_on_the_spec_and_the_input(
    layers: list[Any], shapes: list[tuple[int, int, int]]
) -> None:
    """Tracing keeps no state: a network traced on several inputs, in any order, failing ones
    included, reports exactly what an equal network built afresh reports for each input."""
    from convshape import tracing

    network = build(layers)
    if network is None:
        return
    seen = [tracing._run(network, shape, None, False, collect=True) for shape in shapes]
    for shape, report in zip(reversed(shapes), reversed(seen), strict=True):
        again = build(layers)
        assert again is not None
        assert again == network
        assert again is not network
        fresh = tracing._run(again, shape, None, False, collect=True)
        assert report.rows == fresh.rows
        assert report.outputs == fresh.outputs
        assert report.receptive_field == fresh.receptive_field
        assert [str(p) for p in report.problems] == [str(p) for p in fresh.problems]


@given(layers=networks, shape=st.one_of(st.none(), input_shapes))
def test_spec_files_round_trip(layers: list[Any], shape: tuple[int, ...] | None) -> None:
    """Any network survives dumps/loads unchanged, in JSON and TOML."""
    network = build(layers)
    if network is None:
        return
    assert cs.loads(cs.dumps(network, shape)) == (network, shape)
    assert cs.loads(cs.dumps(network, shape, format="toml"), format="toml") == (network, shape)


@given(size=st.integers(1, 500), k=st.integers(1, 15), d=st.integers(1, 4))
def test_stride_one_same_preserves_size(size: int, k: int, d: int) -> None:
    """'same' at stride 1 keeps the size, whatever the kernel and dilation."""
    assert cs.conv_output_size(size, k, 1, "same", d) == size


@given(
    size=st.integers(1, 300),
    k=st.integers(1, 9),
    s=st.integers(1, 5),
    p=st.integers(0, 4),
    d=st.integers(1, 3),
)
def test_transposed_convolution_inverts_its_convolution(size: int, k: int, s: int, p: int, d: int) -> None:
    """conv_transpose(conv(i)) == i with output_padding = (i + 2p - extent) mod s."""
    extent = d * (k - 1) + 1
    if size + 2 * p < extent:
        return
    out = cs.conv_output_size(size, k, s, p, d)
    op = (size + 2 * p - extent) % s
    assert cs.conv_transpose_output_size(out, k, s, p, op, d) == size


@given(
    shape=st.lists(st.integers(1, 40), min_size=1, max_size=3),
    k=st.integers(1, 6),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
)
def test_all_axes_equal_per_axis(shape: list[int], k: int, s: int, p: int, d: int) -> None:
    """conv_output_shape is conv_output_size on each axis, refusals included."""
    try:
        expected: Any = tuple(cs.conv_output_size(v, k, s, p, d) for v in shape)
    except cs.ShapeError:
        expected = None
    try:
        got: Any = cs.conv_output_shape(shape, k, s, p, d)
    except cs.ShapeError:
        got = None
    assert got == expected
