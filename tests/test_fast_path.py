"""The tracer's inline rules agree with the layers' own rules, row for row.

The tracer applies the commonest leaves inline (a pass-through, a BatchNorm, a window with
explicit padding on a square 2-D map; ``Sequential._ops``) and walks shallow Sequentials and
Residuals in place, without frames (``Layer._flat``).  Here every random network is traced twice: as built, and as a copy
whose inline rules are switched off, so that every leaf goes through its own ``_apply`` and
every container through a frame.  Rows (paths, shapes, counts, receptive fields, notes), the
report's field and output, ``check``'s problems and ``trace``'s error must be the same.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install hypothesis)")
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convshape as cs  # noqa: E402

CHANNELS = (3, 4, 8)
#: examples per run (the long CI run draws more)
EXAMPLES = 5_000 if os.environ.get("CONVSHAPE_LONG") == "1" else 300


@st.composite
def leaf(draw: Any) -> cs.Layer:
    try:
        return _leaf(draw)
    except cs.ConvShapeError:  # a combination no spec accepts (groups that do not divide...)
        assume(False)
        raise


def _leaf(draw: Any) -> cs.Layer:
    kind = draw(st.sampled_from(["conv", "conv", "pool", "bn", "act", "other"]))
    if kind == "conv":
        k = draw(st.integers(1, 5))
        return cs.Conv(
            draw(st.sampled_from(CHANNELS)), k, stride=draw(st.integers(1, 3)),
            padding=draw(st.one_of(st.integers(0, 3), st.just("same"), st.tuples(st.integers(0, 2), st.integers(0, 2)))),
            dilation=draw(st.sampled_from([1, 1, 2])), groups=draw(st.sampled_from([1, 1, 2, 4])),
            bias=draw(st.booleans()), in_channels=draw(st.sampled_from([None, None, 3, 4, 8])),
        )  # fmt: skip
    if kind == "pool":
        k = draw(st.integers(1, 4))
        convention = draw(st.sampled_from(["pytorch", "onnx"]))
        p = draw(st.integers(0, k // 2 if convention == "pytorch" else k))
        cls: type[cs.MaxPool] | type[cs.AvgPool] = draw(st.sampled_from([cs.MaxPool, cs.AvgPool]))
        stride = draw(st.integers(1, 3))
        return cls(k, stride=stride, padding=p, ceil_mode=draw(st.booleans()), convention=convention)
    if kind == "bn":
        return cs.BatchNorm(affine=draw(st.booleans()))
    if kind == "act":
        return draw(st.sampled_from([cs.Activation("relu"), cs.Dropout(0.1), cs.Identity()]))  # type: ignore[no-any-return]
    return draw(  # type: ignore[no-any-return]
        st.sampled_from(
            [
                cs.ConvTranspose(4, 2, stride=2),
                cs.Upsample(scale_factor=2),
                cs.Flatten(),
                cs.Flatten(1),
                cs.Linear(8),
                cs.Linear(4, bias=False, in_features=8),
                cs.Linear(3, in_features=4),
                cs.AdaptiveAvgPool(1),
                cs.AdaptiveMaxPool((1, 1)),
                cs.AdaptiveAvgPool(2),
            ]
        )
    )


@st.composite
def block(draw: Any, depth: int = 0) -> cs.Layer:
    kind = draw(st.sampled_from(["leaf", "leaf", "residual", "nested", "concat"] if depth < 2 else ["leaf"]))
    if kind == "residual":
        body = draw(st.lists(leaf(), min_size=1, max_size=3))
        shortcut = draw(st.one_of(st.none(), st.lists(leaf(), min_size=1, max_size=2)))
        return cs.Residual(*body, shortcut=shortcut)
    if kind == "nested":  # a Residual holding a container: traced with frames
        return cs.Residual(draw(block(depth + 1)), draw(leaf()))
    if kind == "concat":
        return cs.Concat(*draw(st.lists(st.lists(leaf(), min_size=0, max_size=2), min_size=1, max_size=3)))
    return draw(leaf())  # type: ignore[no-any-return]


def _general(network: cs.Layer) -> cs.Layer:
    """A copy of *network* with the inline rules switched off."""
    copy: cs.Layer = pickle.loads(pickle.dumps(network))
    stack: list[Any] = [copy]
    while stack:
        layer = stack.pop()
        if isinstance(layer, cs.Sequential):
            object.__setattr__(layer, "_ops", (None,) * len(layer.layers))
            object.__setattr__(layer, "_flat", 0)
            stack.extend(layer.layers)
        elif isinstance(layer, cs.Residual):
            object.__setattr__(layer, "_flat", 0)
            stack.append(layer.body)
            if layer.shortcut is not None:
                stack.append(layer.shortcut)
        elif isinstance(layer, cs.Concat):
            stack.extend(layer.branches)
    return copy


def _outcome(network: cs.Layer, shape: tuple[int, ...]) -> tuple[Any, ...]:
    try:
        report = cs.trace(network, shape)
    except cs.ConvShapeError as err:
        partial = err.report  # type: ignore[attr-defined]
        return ("error", type(err), str(err), partial.rows, partial.receptive_field)
    rows = [(row.path, row.notes, row.uncovered, row.windows, *row) for row in report.rows]
    return ("ok", rows, report.output_shape, report.receptive_field, report.total_params, report.total_macs)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    layers=st.lists(block(), min_size=1, max_size=6),
    shape=st.one_of(
        st.tuples(st.sampled_from(CHANNELS), st.integers(1, 20), st.integers(1, 20)),
        st.tuples(st.sampled_from(CHANNELS), st.integers(1, 20)),
        st.tuples(st.sampled_from(CHANNELS), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)),
        st.integers(1, 24).map(lambda n: (4, n, n)),
    ),
)
def test_inline_rules_agree_with_the_layers_own(layers: list[cs.Layer], shape: tuple[int, ...]) -> None:
    network = cs.Sequential(*layers)
    general = _general(network)
    assert _outcome(network, shape) == _outcome(general, shape)
    assert [str(p) for p in cs.check(network, shape)] == [str(p) for p in cs.check(general, shape)]


def test_the_inline_rules_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """ResNet-18's layers are all applied inline: none of their own ``_apply`` runs."""
    calls: list[str] = []
    for cls in (cs.Conv, cs.BatchNorm, cs.Activation, cs.MaxPool, cs.AdaptiveAvgPool, cs.Flatten, cs.Linear):
        original = cls._apply

        def spy(self: Any, *args: Any, original: Any = original) -> Any:
            calls.append(self.kind)
            return original(self, *args)

        monkeypatch.setattr(cls, "_apply", spy)
    report = cs.trace(cs.zoo.resnet18(), (3, 64, 64))
    assert report.total_params == 11_689_512
    assert calls == []
    cs.trace(cs.zoo.resnet18(), (3, 64, 63))  # a map that is not square takes the layer's own rule
    assert calls == ["Conv"]  # the stem: (64, 63) -> (32, 32), square from there on


@pytest.mark.parametrize("depth", [1, 4, 5, 6, 30])
def test_nested_containers_walked_in_place_or_in_frames_agree(depth: int) -> None:
    """Sequentials and Residuals nested up to INLINE_DEPTH are walked in place, deeper ones in
    frames: the same rows either way, at the boundary too."""
    network: cs.Layer = cs.Conv(4, 3, padding=1)
    for level in range(depth):
        network = (
            cs.Residual(network, cs.BatchNorm())
            if level % 2
            else cs.Sequential(network, cs.Activation("relu"), cs.MaxPool(3, stride=1, padding=1))
        )
    # a Residual's body is a Sequential of its own: two levels; the deepest walked in place is 8
    levels = depth + depth // 2
    assert network._flat == (levels if levels <= cs.layers.INLINE_DEPTH else 0)
    assert _outcome(network, (4, 9, 9)) == _outcome(_general(network), (4, 9, 9))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    out=st.integers(1, 64), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 4),
    dilation=st.integers(1, 3), groups=st.sampled_from([1, 2, 4]), bias=st.booleans(),
)  # fmt: skip
def test_a_conv_built_the_common_way_derives_what_the_general_way_does(
    out: int, kernel: int, stride: int, padding: int, dilation: int, groups: int, bias: bool
) -> None:
    """Conv's ``__post_init__`` derives a plain-int convolution in one step; the general checks
    (``_check_common`` and ``_resolve``), run on the same spec, derive the same values."""
    assume(out % groups == 0)
    conv = cs.Conv(out, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    common = (conv._op, conv._axis_params(), conv._rank)
    conv._check_common()  # (they store through object.__setattr__, as a frozen spec's checks do)
    conv._resolve()
    assert common == (conv._op, conv._axis_params(), conv._rank)


def test_subclasses_take_their_own_rules() -> None:
    """A subclass of a spec may change its rule: it is never applied by the parent's inline rule,
    and a Residual subclass is traced like a Residual."""

    class Doubled(cs.Conv):  # counts every parameter twice
        def _apply(self, *args: Any) -> Any:
            out, params, kernels, macs, fields = cs.Conv._apply(self, *args)
            return out, 2 * params, kernels, macs, fields

    class Block(cs.Residual):
        pass

    report = cs.trace([Block(cs.Conv(4, 3, padding=1)), Doubled(4, 3, padding=1)], (4, 8, 8))
    assert [row.params for row in report.rows] == [148, 0, 2 * 148]


def test_specs_pickled_without_their_derived_values_derive_them() -> None:
    """A spec pickled by an earlier version lacks the values derived since (the tracer's rules):
    unpickling derives them again, and it traces as one built now."""
    from convshape._frozen import _restore

    def state(layer: Any) -> tuple[tuple[str, object], ...]:
        derived = {"_op", "_ops", "_flat", "_hash", "_general"}
        return tuple((name, getattr(layer, name)) for name in type(layer).__slots__ if name not in derived)

    conv, norm = cs.Conv(8, 3, padding=1), cs.BatchNorm()
    old_conv, old_norm = _restore(cs.Conv, state(conv)), _restore(cs.BatchNorm, state(norm))
    body = cs.Sequential(conv, norm)
    old_body: Any = _restore(cs.Sequential, (("layers", (old_conv, old_norm)), ("name", None)))
    old_block: Any = _restore(cs.Residual, (("body", old_body), ("shortcut", None), ("name", None)))
    assert old_block == cs.Residual(*body.layers)
    assert (old_block._flat, old_body._flat, old_body._ops) == (2, 1, body._ops)  # walked in place
    assert _outcome(old_block, (8, 6, 6)) == _outcome(cs.Residual(*body.layers), (8, 6, 6))


def test_derived_values_pickled_in_an_earlier_layout_are_derived_again() -> None:
    """Earlier versions pickled derived values too, some in slots that are gone (``_same``) or
    in another layout (a six-entry window rule): only the fields are read back."""
    from convshape._frozen import _restore

    conv = cs.Conv(8, 3, padding=1)
    fields = tuple((name, getattr(conv, name)) for name in conv._fields)
    stale = (*fields, ("_same", (3, 1, 1, 1, 0, (3, 1, 1, 1))), ("_op", (2, 3, 1, 1, 1, (8, 1, None, 3, 8))))
    old = _restore(cs.Conv, stale)
    assert old == conv
    assert old._op == conv._op
    network = cs.Sequential(old, cs.BatchNorm())
    assert _outcome(network, (3, 9, 9)) == _outcome(cs.Sequential(conv, cs.BatchNorm()), (3, 9, 9))
    assert pickle.loads(pickle.dumps(network)) == network


def test_a_report_built_from_rows_keeps_their_layers() -> None:
    """A row given to Report() keeps its layer, whatever its kind: the tracer's own rows hold
    their Sequential in its place, which the report resolves, but given rows are kept as given."""
    block = cs.Sequential(cs.Conv(4, 3, padding=1), cs.BatchNorm(), name="stem")
    network = cs.Sequential(block, cs.AdaptiveAvgPool(1))
    for segment in (0, "stem"):
        row = (None, segment, block, (3, 8, 8), (4, 8, 8), 116, 12, 6912, None, ())
        report = cs.Report(network, (3, 8, 8), [row], (4, 8, 8), None)
        assert report.rows[0].layer is block
        assert tuple(report.rows[0]) == row
        assert report.total_params == 116


def test_reports_pickled_with_rows_of_nine_fields_read_alike() -> None:
    """Rows were once nine fields, the path one node: such a report reads the same numbers."""
    report = cs.trace(cs.zoo.seed(), (1, 83, 83))
    old_rows = [((row[0], row[1]), *row[2:]) for row in report.rows]
    old = cs.Report(report.network, report.input_shape, old_rows, report.output_shape, report.receptive_field)
    assert old.rows == report.rows
    assert (old.total_params, old.total_macs, old.total_kernels) == (363237, 41129792, 4160)
