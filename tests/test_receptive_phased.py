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
from convshape.receptive import PhasedField, ReceptiveField, merge, transpose

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
