"""Fuzzing: every public entry point and the spec loader, fed malformed values and documents.

The only exceptions allowed out are ConvShapeError subclasses and TypeError, and every spec-file
error names its place in the document.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install hypothesis)")
from conftest import LONG_EXAMPLES  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convshape as cs  # noqa: E402

scalars = st.one_of(
    st.integers(-3, 40),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["same", "valid", "causal", "same_lower", "SAME", "full"]),
)
values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner)), max_leaves=8
)
ALLOWED = (cs.ConvShapeError, TypeError)


def _call(fn: Any, *args: Any, **kwargs: Any) -> None:
    """Call fn; a ConvShapeError or TypeError is fine (and must say something), anything else fails."""
    message = "ok"
    try:
        fn(*args, **kwargs)
    except ALLOWED as err:
        message = str(err)
    assert message


ARITHMETIC = [
    cs.conv_output_size,
    cs.conv_transpose_output_size,
    cs.pool_output_size,
    cs.uncovered_inputs,
    cs.same_padding,
    cs.conv_output_shape,
    cs.conv_transpose_output_shape,
    cs.pool_output_shape,
]
COUNTING = [cs.kernel_count, cs.weight_shape, cs.conv_params, cs.linear_params, cs.conv_macs, cs.linear_macs]


@pytest.mark.parametrize("fn", ARITHMETIC + COUNTING, ids=lambda f: f.__name__)
@given(args=st.lists(values, min_size=0, max_size=6))
def test_plain_functions_raise_only_convshape_errors_or_type_errors(fn: Any, args: list[Any]) -> None:
    """Any positional arguments: a result, a ConvShapeError or a TypeError; nothing else."""
    _call(fn, *args)


LAYERS = [
    cs.Conv,
    cs.ConvTranspose,
    cs.MaxPool,
    cs.AvgPool,
    cs.AdaptiveAvgPool,
    cs.Linear,
    cs.Upsample,
    cs.Pad,
]


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
@given(
    first=values,
    second=values,
    kwargs=st.dictionaries(
        st.sampled_from(
            [
                "stride",
                "padding",
                "dilation",
                "groups",
                "output_padding",
                "scale_factor",
                "size",
                "ceil_mode",
                "bias",
                "in_channels",
                "name",
            ]
        ),
        values,
        max_size=3,
    ),
    shape=st.lists(st.one_of(st.integers(-2, 30), values), min_size=0, max_size=4),
)
def test_specs_and_trace_raise_only_convshape_errors_or_type_errors(
    cls: Any, first: Any, second: Any, kwargs: dict[str, Any], shape: list[Any]
) -> None:
    """Building a spec from junk, then tracing, checking and explaining it on a junk shape."""
    try:
        layer = (
            cls(first, second, **kwargs)
            if cls not in (cs.Linear, cs.AdaptiveAvgPool, cs.Pad)
            else cls(first, **kwargs)
        )
    except ALLOWED:
        return
    except TypeError:
        return
    for fn in (cs.trace, cs.check, cs.explain):
        _call(fn, [layer], shape)
    _call(cs.padding_for, layer, shape)


GRAPH_LEAVES = [
    cs.Conv(4, 3),
    cs.Conv(6, 1, stride=2),
    cs.ConvTranspose(4, 2, stride=2),
    cs.MaxPool(2),
    cs.AdaptiveAvgPool(1),
    cs.Upsample(scale_factor=2),
    cs.BatchNorm(),
    cs.Activation("relu"),
    cs.Flatten(),
    cs.Linear(5),
    cs.Sequential(cs.Conv(4, 3, padding=1), cs.MaxPool(3)),
    cs.Residual(cs.Conv(4, 3, padding=1)),
    cs.Concat(cs.Identity(), cs.Conv(2, 1)),
]
MERGE_OPS = [cs.Add(), cs.Multiply(), cs.Cat(), cs.Cat(axis=-1)]


@st.composite
def graphs(draw: Any) -> cs.Graph:
    names = ["input"]
    nodes = []
    for i in range(draw(st.integers(1, 6))):
        if len(names) > 1 and draw(st.booleans()):
            op: cs.Layer = draw(st.sampled_from(MERGE_OPS))
            inputs = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
        else:
            op = draw(st.sampled_from(GRAPH_LEAVES))
            inputs = [draw(st.sampled_from(names))]
        nodes.append(cs.Node(f"n{i}", op, inputs))
        names.append(f"n{i}")
    outputs = draw(st.lists(st.sampled_from(names[1:]), min_size=1, max_size=3, unique=True))
    return cs.Graph(nodes, outputs)


@given(graph=graphs(), shape=st.lists(st.integers(1, 12), min_size=1, max_size=4), twice=st.booleans())
def test_random_graphs_trace_or_fail_with_a_located_error(
    graph: cs.Graph, shape: list[int], twice: bool
) -> None:
    """Any wiring of layers and merges, any input: a report, or the first of check()'s problems
    raised with a partial report naming every output; traced again, the same answer."""
    problems = cs.check(graph, shape)
    for _ in range(2 if twice else 1):
        if problems:
            with pytest.raises(cs.ConvShapeError) as info:
                cs.trace(graph, shape)
            assert str(info.value) == str(problems[0])
            assert str(info.value).startswith("layer ")
            assert set(info.value.report.outputs) == set(graph.outputs)  # type: ignore[attr-defined]
            continue
        report = cs.trace(graph, shape)
        assert set(report.outputs) == set(graph.outputs)
        assert report.output_shape == report.outputs[graph.outputs[0]]
        assert report.explain()
        assert str(report)
        assert len(report.to_dict()["rows"]) == len(report.rows)


@given(
    a=st.integers(-2, 300),
    b=st.integers(-2, 300),
    k=st.one_of(st.none(), values),
    s=st.one_of(st.none(), values),
)
def test_solve_raises_only_convshape_errors_or_type_errors(a: int, b: int, k: Any, s: Any) -> None:
    """The inverse solver with junk fixed values."""
    _call(cs.solve, a, b, kernel_size=k, stride=s, max_kernel=5, max_stride=3, max_dilation=2)


json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-5, 50), st.floats(allow_nan=False), st.text(max_size=12)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
layer_docs = st.fixed_dictionaries(
    {"type": st.sampled_from(["conv", "max_pool", "residual", "concat", "sequential", "graph", "linear", "pad", "x"])},
    optional={
        "out_channels": json_values, "kernel_size": json_values, "stride": json_values, "padding": json_values,
        "layers": json_values, "body": json_values, "branches": json_values, "nodes": json_values,
        "out_features": json_values, "name": json_values,
    },
)  # fmt: skip
documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"layers": st.lists(st.one_of(layer_docs, json_values), max_size=4)}, optional={"input": json_values}
    ),
)
LOCATIONS = ("layers", "input", "name", "a network document", "unknown top-level key", "not valid JSON")


@settings(max_examples=LONG_EXAMPLES)
@given(document=documents)
def test_spec_loader_refuses_malformed_documents_with_a_location(document: Any) -> None:
    """from_dict and loads either build a network or raise SpecError naming where in the document."""
    messages: list[str] = []
    for text in (None, json.dumps(document)):
        try:
            network, _ = cs.from_dict(document) if text is None else cs.loads(text)
        except cs.SpecError as err:
            messages.append(str(err))
        else:
            messages.append("")
            assert isinstance(network, cs.Sequential)
    assert [m for m in messages if m and not m.startswith(LOCATIONS)] == []


@given(text=st.text(max_size=200))
def test_spec_loader_refuses_arbitrary_text(text: str) -> None:
    """Arbitrary text is JSON or not; either way only SpecError comes out."""
    for fmt in ("json", "toml"):
        with contextlib.suppress(cs.SpecError):
            cs.loads(text, format=fmt)


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, True, 10**30, -(10**30), None, "3", [3, None]], ids=repr
)
@pytest.mark.parametrize("fn", ARITHMETIC + COUNTING, ids=lambda f: f.__name__)
def test_awkward_values_in_every_position(fn: Any, value: Any) -> None:
    """NaN, infinities, bools, huge ints, None and strings in each argument position never escape as
    another exception (huge ints may also succeed: Python ints are exact)."""
    table: dict[str, list[Any]] = {
        "conv_output_size": [10, 3], "conv_transpose_output_size": [10, 3], "pool_output_size": [10, 3],
        "uncovered_inputs": [10, 3], "same_padding": [10, 3], "conv_output_shape": [(10, 10), 3],
        "conv_transpose_output_shape": [(10, 10), 3], "pool_output_shape": [(10, 10), 3],
        "kernel_count": [4, 8], "weight_shape": [4, 8, 3], "conv_params": [4, 8, 3], "linear_params": [4, 8],
        "conv_macs": [4, 8, 3, (5, 5)], "linear_macs": [4, 8],
    }  # fmt: skip
    good = table[fn.__name__]
    for position in range(len(good)):  # each argument position in turn
        args: list[Any] = list(good)
        args[position] = value
        _call(fn, *args)
