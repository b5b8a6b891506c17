"""Receptive fields through transposed convolutions, upsampling and crops, checked against autograd.

For one output position, the input positions that can influence it are those with a non-zero
gradient when every weight is one (and every other operation, average pooling, nearest
upsampling, cropping, passes gradients with positive weights): convshape's phased field must
give exactly their first and last position, for every phase of its period.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest

import convshape as cs
from convshape.receptive import (
    MAX_PERIOD,
    MAX_WORK,
    FieldTooFine,
    PhasedField,
    ReceptiveField,
    merge,
    transpose,
)

#: one 1-D operation: ("conv", k, s, d, p), ("pool", k, s), ("convT", k, s, d, p, op), ("up", f), ("crop", b, a)
Op = tuple[Any, ...]


def _spec(ops: list[Op]) -> cs.Sequential:
    layers: list[cs.Layer] = []
    for op in ops:
        if op[0] == "conv":
            layers.append(cs.Conv(1, op[1], stride=op[2], dilation=op[3], padding=op[4], bias=False))
        elif op[0] == "pool":
            layers.append(cs.AvgPool(op[1], stride=op[2]))
        elif op[0] == "convT":
            _, k, s, d, p, out_pad = op
            layers.append(
                cs.ConvTranspose(1, k, stride=s, dilation=d, padding=p, output_padding=out_pad, bias=False)
            )
        elif op[0] == "up":
            layers.append(cs.Upsample(scale_factor=op[1]))
        else:
            layers.append(cs.Crop([(op[1], op[2])]))
    return cs.Sequential(*layers)


def _forward(torch: Any, ops: list[Op], x: Any) -> Any:
    functional = torch.nn.functional
    for op in ops:
        if op[0] == "conv":
            ones = torch.ones(1, 1, op[1], dtype=x.dtype)
            x = functional.conv1d(x, ones, stride=op[2], dilation=op[3], padding=op[4])
        elif op[0] == "pool":
            x = functional.avg_pool1d(x, op[1], op[2])
        elif op[0] == "convT":
            _, k, s, d, p, out_pad = op
            ones = torch.ones(1, 1, k, dtype=x.dtype)
            x = functional.conv_transpose1d(x, ones, stride=s, padding=p, output_padding=out_pad, dilation=d)
        elif op[0] == "up":
            x = functional.interpolate(x, scale_factor=op[1], mode="nearest")
        else:
            x = x[..., op[1] : x.shape[-1] - op[2]]
    return x


def _random_ops(rng: random.Random) -> list[Op]:
    """An encoder-decoder: window layers that shrink, transposed convolutions and upsampling that
    grow, crops anywhere."""
    ops: list[Op] = []
    for _ in range(rng.randint(2, 6)):
        kind = rng.choice(["conv", "conv", "pool", "convT", "convT", "up", "crop"])
        if kind == "conv":
            k = rng.randint(1, 4)
            ops.append(("conv", k, rng.randint(1, 3), rng.randint(1, 3), rng.randint(0, k // 2)))
        elif kind == "pool":
            k = rng.randint(1, 3)
            ops.append(("pool", k, rng.randint(1, k)))
        elif kind == "convT":
            k, s, d = rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 3)
            p = rng.randint(0, (d * (k - 1)) // 2)
            ops.append(("convT", k, s, d, p, rng.randrange(max(s, d)) if s > 1 else 0))
        elif kind == "up":
            ops.append(("up", rng.randint(2, 3)))
        else:
            ops.append(("crop", rng.randint(0, 3), rng.randint(0, 3)))
    return ops


def _influence(torch: Any, ops: list[Op], size: int) -> list[tuple[int, int] | None]:
    """Per output position, the first and last input position with a non-zero gradient."""
    x = torch.rand(1, 1, size, dtype=torch.float64) + 0.5
    jacobian = torch.autograd.functional.jacobian(
        lambda v: _forward(torch, ops, v).flatten(), x, vectorize=True
    )
    rows = jacobian.reshape(jacobian.shape[0], size)
    spans: list[tuple[int, int] | None] = []
    for row in rows:
        hit = torch.nonzero(row).flatten().tolist()
        spans.append((hit[0], hit[-1]) if hit else None)
    return spans


def test_random_encoder_decoders_match_autograd(torch_tools: Any) -> None:
    """Seeded random 1-D encoder-decoders: every output position's true span lies within the
    predicted one, and positions away from the borders (one per phase) match it exactly; the
    field's size is the largest true span."""
    torch = torch_tools.torch
    rng = random.Random(20150518)
    checked = phased = 0
    while checked < 60:
        ops = _random_ops(rng)
        size = 160
        try:
            report = cs.trace(_spec(ops), (1, size))
        except cs.ConvShapeError:
            continue
        field = report.receptive_field[0] if report.receptive_field else None
        assert field is not None, ops
        out = report.output_shape
        assert out is not None
        true = _influence(torch, ops, size)
        assert len(true) == out[1], ops
        period = field.period
        if out[1] < 3 * period + 2:
            continue
        for position, span in enumerate(true):
            predicted = field.span(position)
            if span is not None:
                assert predicted is not None, (ops, position)
                assert predicted[0] <= span[0], (ops, position)
                assert span[1] <= predicted[1], (ops, position)
        centre = out[1] // 2 - (out[1] // 2) % period
        widths = []
        for position in range(centre, centre + period):
            predicted = field.span(position)
            if predicted is not None and (predicted[0] < 0 or predicted[1] >= size):
                break  # the field reaches the border: clipped, not comparable
            assert true[position] == predicted, (ops, position, field)
            widths.append(0 if predicted is None else predicted[1] - predicted[0] + 1)
        else:
            assert max(widths) == field.size, (ops, field)
            checked += 1
            phased += period > 1
    assert phased >= 20  # most draws upsample somewhere: the phased path is the one exercised


def test_u_shaped_2d_network_matches_autograd(torch_tools: Any) -> None:
    """A small 2-D U-Net (average pooling, transposed convolutions, concatenated skips): each axis'
    field matches the non-zero gradients of a central output pixel per phase."""
    torch = torch_tools.torch
    inner: cs.Layer = cs.Conv(2, 3, padding=1, bias=False)
    for _ in range(2):
        down = cs.Sequential(
            cs.AvgPool(2), inner, cs.ConvTranspose(2, 3, stride=2, padding=1, output_padding=1, bias=False)
        )
        inner = cs.Sequential(cs.Conv(2, 3, padding=1, bias=False), cs.Concat(cs.Identity(), down))
    network = cs.Sequential(inner, cs.Conv(1, (1, 3), bias=False))
    shape = (1, 40, 40)
    report = cs.trace(network, shape)
    model, _ = torch_tools.to_torch(network, 2)
    x = torch.rand(1, *shape, dtype=torch.float64) + 0.5
    model = model.double()
    model(x)  # materialise the lazy modules
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(1.0)
    fields = report.receptive_field
    assert fields is not None
    assert all(isinstance(f, PhasedField) for f in fields)
    assert report.output_shape is not None
    rows, cols = fields[0], fields[1]
    assert rows is not None
    assert cols is not None
    for i in range(18, 18 + rows.period):
        j = 19
        x.grad = None
        x.requires_grad_(True)
        model(x)[0, 0, i, j].backward()
        hit = torch.nonzero(x.grad[0].abs().sum(0))
        assert (int(hit[:, 0].min()), int(hit[:, 0].max())) == rows.span(i)
        assert (int(hit[:, 1].min()), int(hit[:, 1].max())) == cols.span(j)


def test_a_whole_stride_with_period_one_is_a_receptive_field_again() -> None:
    """ConvTranspose(2, stride=2) then a 2x2 stride-2 window is back on the input grid: a plain field."""
    up = transpose(ReceptiveField(), kernel=2, stride=2)
    assert up == PhasedField(Fraction(1, 2), ((0, 0), (0, 0)))
    assert up.then(2, 2) == ReceptiveField(1, 1, 0)
    # feature 0 of a 3-wide stride-2 window padded by 1 reads upsampled -1, 0, 1: inputs -1, 0, 0
    assert up.then(3, 2, 1) == ReceptiveField(2, 1, 1)


def test_an_output_no_input_reaches_has_no_span() -> None:
    """ConvTranspose(1, stride=3): two outputs in three only get the bias."""
    field = transpose(ReceptiveField(), kernel=1, stride=3)
    assert isinstance(field, PhasedField)
    assert [field.span(i) for i in range(6)] == [(0, 0), None, None, (1, 1), None, None]
    assert field.size == 1


def test_merging_phased_fields_is_their_union() -> None:
    """Branches with the same fractional stride merge to the per-phase union of their spans."""
    a = transpose(ReceptiveField(), kernel=2, stride=2)
    b = transpose(ReceptiveField(3, 1, 1), kernel=2, stride=2)
    merged, notes = merge([(a,), (b,)])
    assert merged == (b,)
    assert notes == []
    c = transpose(ReceptiveField(), kernel=2, stride=3)
    merged, notes = merge([(a,), (c,)])
    assert merged is not None
    assert notes
    assert "different effective strides" in notes[0]


def test_plain_networks_keep_plain_fields() -> None:
    """Without upsampling nothing changes: every field is a ReceptiveField."""
    report = cs.trace(cs.zoo.resnet18(), (3, 224, 224))
    assert all(type(f) is ReceptiveField for row in report.rows for f in row.receptive_field or ())


@pytest.mark.parametrize("factor", [2, 3])
def test_nearest_upsampling_is_a_transposed_convolution_of_its_factor(factor: int) -> None:
    """Upsample(scale_factor=f) moves the field as ConvTranspose(f, stride=f) does."""
    base = [cs.Conv(1, 3, stride=2)]
    up = cs.trace([*base, cs.Upsample(scale_factor=factor)], (1, 30)).receptive_field
    conv = cs.trace([*base, cs.ConvTranspose(1, factor, stride=factor)], (1, 30)).receptive_field
    assert up == conv


def _hull_of(spans: list[tuple[int, int] | None]) -> tuple[int, int] | None:
    known = [s for s in spans if s is not None]
    return (min(s[0] for s in known), max(s[1] for s in known)) if known else None


def _transpose_by_definition(
    field: ReceptiveField | PhasedField, kernel: int, stride: int, dilation: int, before: int
) -> list[tuple[int, int] | None]:
    """Per output position of two periods, the hull of the spans of every input some tap reads
    (``o + before = i * stride + t * dilation``), tap by tap."""
    period = field.period * stride
    out = []
    for o in range(2 * period):
        reached = []
        for t in range(kernel):
            source, rest = divmod(o + before - t * dilation, stride)
            if not rest:
                reached.append(field.span(source))
        out.append(_hull_of(reached))
    return out


def _random_field(rng: random.Random) -> ReceptiveField | PhasedField:
    field: ReceptiveField | PhasedField = ReceptiveField()
    for _ in range(rng.randint(0, 3)):
        if rng.random() < 0.5:
            field = transpose(
                field, rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 3), rng.randint(0, 3)
            )
        else:
            field = field.then(rng.randint(1, 7), rng.randint(1, 3), rng.randint(0, 3), rng.randint(1, 3))
    return field


def test_transpose_matches_its_definition_tap_by_tap() -> None:
    """The closed form (first tap per phase, first and last inputs per period) gives the hull of
    every tap's input, for random fields, kernels longer than the period, strides, dilations."""
    rng = random.Random(1234)
    for _ in range(400):
        field = _random_field(rng)
        kernel, stride, dilation = rng.randint(1, 40), rng.randint(1, 5), rng.randint(1, 6)
        before = rng.randint(0, 12)
        result = transpose(field, kernel, stride, dilation, before)
        expected = _transpose_by_definition(field, kernel, stride, dilation, before)
        assert [result.span(o) for o in range(len(expected))] == expected, (field, kernel, stride, dilation)


def test_a_huge_transposed_kernel_has_an_exact_field() -> None:
    """Kernel 2**70: taps come every stride / gcd(stride, dilation), reaching inputs dilation / gcd
    apart; on a plain field the first and last reached bound each output's span."""
    kernel, stride, dilation = 2**70, 6, 4
    field = transpose(ReceptiveField(), kernel, stride, dilation)
    for o in range(12):
        taps = [t for t in range(stride) if (o - t * dilation) % stride == 0]
        if not taps:
            assert field.span(o) is None
            continue
        first = taps[0]  # the reaching taps: first, first + 3, ... up to kernel - 1
        last = first + (kernel - 1 - first) // 3 * 3
        assert field.span(o) == ((o - last * dilation) // stride, (o - first * dilation) // stride)


def test_a_field_too_fine_to_keep_is_unknown_with_a_note() -> None:
    """Upsampling by 2**57 would need a field repeating every 2**57 positions: the trace ends the
    field there, says why in the row's notes, and goes on (it used to run out of time)."""
    report = cs.trace(cs.Sequential(cs.Upsample(size=2**63), cs.Conv(4, 3)), (3, 64, 64))
    up, conv = report.rows
    assert up.receptive_field == (None, None)
    assert conv.receptive_field == (None, None)
    assert report.receptive_field == (None, None)
    assert up.notes == (
        "the receptive field is not tracked from here on: its exact form would repeat every "
        f"{2**57:,} positions, and fields are kept exact up to {MAX_PERIOD:,}",
    )
    assert conv.output_shape == (4, 2**63 - 2, 2**63 - 2)
    assert "Notes (*):" in str(report)


def test_fields_are_kept_exact_up_to_the_bound() -> None:
    """Stride-2 transposed convolutions double the period: exact up to MAX_PERIOD, then unknown."""
    doublings = MAX_PERIOD.bit_length() - 1
    layers = [cs.ConvTranspose(1, 3, stride=2, padding=1, output_padding=1) for _ in range(doublings + 2)]
    report = cs.trace(cs.Sequential(*layers), (1, 4))
    fields = [row.receptive_field[0] if row.receptive_field else None for row in report.rows]
    periods = [None if field is None else field.period for field in fields]
    assert periods == [2**i for i in range(1, doublings + 1)] + [None, None]
    assert [bool(row.notes) for row in report.rows] == [False] * doublings + [True, False]
    assert "repeat every 2,048 positions" in report.rows[doublings].notes[0]


def test_a_window_too_costly_to_move_a_phased_field_through_is_noted() -> None:
    """A 1000-tap dilated window over a field of period 1000: a million steps, over MAX_WORK."""
    report = cs.trace(
        cs.Sequential(cs.ConvTranspose(4, 3, stride=1000), cs.Conv(4, 1000, dilation=3)), (3, 8)
    )
    assert report.rows[0].receptive_field == (transpose(ReceptiveField(), 3, 1000),)
    assert report.rows[1].receptive_field == (None,)
    assert report.rows[1].notes == (
        "the receptive field is not tracked from here on: its exact form would take 1,000,000 steps "
        f"to compute, and the limit is {MAX_WORK:,}",
    )


def test_merging_fields_whose_common_period_is_too_long_is_noted() -> None:
    """Periods 33 and 32 repeat together every 1,056 positions, over MAX_PERIOD."""
    a = PhasedField(Fraction(1), tuple((i, i) for i in range(33)))
    b = PhasedField(Fraction(1), tuple((i, i + 1) for i in range(32)))
    merged, notes = merge([(a,), (b,)])
    assert merged == (None,)
    assert notes == [
        "axis 0: the receptive field is not tracked from here on: its exact form would repeat every "
        f"1,056 positions, and fields are kept exact up to {MAX_PERIOD:,}"
    ]


def test_field_too_fine_is_a_value_error() -> None:
    with pytest.raises(FieldTooFine, match="repeat every"):
        transpose(ReceptiveField(), kernel=2, stride=MAX_PERIOD + 1)
    assert issubclass(FieldTooFine, ValueError)


def test_only_the_axis_too_fine_to_keep_becomes_unknown() -> None:
    """Upsampling one axis by 2**40 and the other by 2: the second keeps its exact field, and the
    note names the axis it is about."""
    report = cs.trace(cs.Upsample(scale_factor=(2**40, 2)), (1, 8, 8))
    alone = cs.trace(cs.Upsample(scale_factor=2), (1, 8))
    assert report.receptive_field == (None, alone.receptive_field[0])  # type: ignore[index]
    assert report.rows[0].notes == (
        "axis 0: the receptive field is not tracked from here on: its exact form would repeat every "
        f"{2**40:,} positions, and fields are kept exact up to {MAX_PERIOD:,}",
    )
    shared = cs.trace(cs.Shared(cs.ConvTranspose(2, 3, stride=(2**20, 3)), of="up"), (2, 4, 4))
    assert shared.receptive_field is not None
    assert shared.receptive_field[0] is None
    assert shared.receptive_field[1] == transpose(ReceptiveField(), 3, 3)
    own, lost = shared.rows[0].notes  # the layer's own note is kept beside the tracer's
    assert own.startswith("weights shared with another call")
    assert lost.startswith("axis 0: the receptive field is not tracked from here on")
