"""Connection tables against PyTorch: a table is a convolution whose weight is multiplied by a 0/1 mask."""

from __future__ import annotations

from typing import Any

import pytest

import convshape as cs
from convshape import zoo

pytest.importorskip("torch", reason="torch is not installed")
pytest.importorskip("hypothesis", reason="hypothesis is not installed")
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn


def _mask(table: tuple[tuple[int, ...], ...], in_channels: int, kernel: int) -> Any:
    """A (out, in, k, k) 0/1 mask: ones where output map o sums input map i."""
    mask = torch.zeros(len(table), in_channels, kernel, kernel)
    for o, inputs in enumerate(table):
        for i in inputs:
            mask[o, i] = 1.0
    return mask


CASES = [
    ("seed-random-16", cs.Conv(256, 9, connections=cs.RandomTable(fan_in=16, seed=0)), (64, 14, 14), 9),
    ("lenet-c3", cs.Conv(16, 5, connections=zoo.LENET5_C3_TABLE), (6, 14, 14), 5),
    ("one-to-one", cs.Conv(8, 3, connections="one_to_one", padding=1), (8, 10, 10), 3),
    ("explicit", cs.Conv(3, 3, stride=2, connections=[[0, 4], [1, 2, 3], [4]]), (5, 11, 9), 3),
    ("groups", cs.Conv(6, 3, groups=3), (6, 7, 7), 3),
]


@pytest.mark.parametrize(("layer", "shape", "kernel"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_masked_convolution_agrees(layer: cs.Conv, shape: tuple[int, int, int], kernel: int) -> None:
    """Output shape, params (mask non-zeros x taps + biases) and MACs (non-zeros x taps x positions)."""
    cin = shape[0]
    table = layer.connection_table(cin)
    mask = _mask(table, cin, kernel)
    padding = layer.padding if isinstance(layer.padding, int) else 0
    stride = layer.stride if isinstance(layer.stride, int) else 1
    weight = torch.randn(layer.out_channels, cin, kernel, kernel) * mask
    bias = torch.zeros(layer.out_channels)
    out = torch.nn.functional.conv2d(torch.zeros(1, *shape), weight, bias, stride=stride, padding=padding)
    row = cs.trace(layer, shape).rows[0]
    assert tuple(out.shape[1:]) == row.output_shape
    taps = kernel * kernel
    kept = int(mask.count_nonzero().item())  # one entry per kept tap
    assert kept // taps == row.kernels
    assert kept + bias.numel() == row.params
    positions = out.shape[2] * out.shape[3]
    assert kept * positions == row.macs


def test_groups_mask_equals_a_grouped_convolution() -> None:
    """groups=3 as a block-diagonal mask gives the same output as PyTorch's grouped convolution."""
    layer = cs.Conv(6, 3, groups=3)
    grouped = torch.nn.Conv2d(6, 6, 3, groups=3)
    dense = torch.zeros(6, 6, 3, 3)
    for o, inputs in enumerate(layer.connection_table(6)):
        for j, i in enumerate(inputs):
            dense[o, i] = grouped.weight.detach()[o, j]
    x = torch.randn(1, 6, 7, 7)
    expected = grouped(x)
    got = torch.nn.functional.conv2d(x, dense, grouped.bias)
    assert torch.allclose(expected, got, atol=1e-5)


class _Subsample(nn.Module):
    """LeNet-5's S layers: 2x2 sums times a coefficient, plus a bias, per map."""

    def __init__(self, maps: int) -> None:
        super().__init__()
        self.coefficient = torch.nn.Parameter(torch.ones(maps))
        self.bias = torch.nn.Parameter(torch.zeros(maps))

    def forward(self, x: Any) -> Any:
        summed = torch.nn.functional.avg_pool2d(x, 2) * 4
        return torch.tanh(summed * self.coefficient[:, None, None] + self.bias[:, None, None])


def test_lenet5_1998_parameters_agree_with_a_torch_model() -> None:
    """A PyTorch LeNet-5 with a masked C3 and a fixed RBF (a buffer): 60,000 trainable, 840 fixed."""
    c1 = torch.nn.Conv2d(1, 6, 5)
    s2 = _Subsample(6)
    c3 = torch.nn.Conv2d(6, 16, 5)
    mask = _mask(zoo.LENET5_C3_TABLE, 6, 5)
    s4 = _Subsample(16)
    c5 = torch.nn.Conv2d(16, 120, 5)
    f6 = torch.nn.Linear(120, 84)
    rbf = torch.randn(10, 84)  # fixed, not a parameter

    x = torch.zeros(1, 1, 32, 32)
    h = s2(torch.tanh(c1(x)))
    h = s4(torch.tanh(torch.nn.functional.conv2d(h, c3.weight * mask, c3.bias)))
    h = torch.tanh(f6(torch.tanh(c5(h)).flatten(1)))
    out = ((h[:, None, :] - rbf[None]) ** 2).sum(-1)
    assert tuple(out.shape) == (1, 10)

    trainable = sum(p.numel() for m in (c1, s2, s4, c5, f6) for p in m.parameters())
    trainable += int(mask.count_nonzero().item()) + c3.out_channels  # C3's kept weights and biases
    report = cs.trace(zoo.lenet5_1998(), (1, 32, 32))
    assert report.total_trainable_params == trainable
    assert report.total_params == trainable + rbf.numel()


@st.composite
def _tables(draw: Any) -> tuple[int, int, int, int, int, int, tuple[tuple[int, ...], ...]]:
    cin = draw(st.integers(1, 6))
    cout = draw(st.integers(1, 5))
    kernel = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, kernel // 2))
    size = draw(st.integers(kernel, 12))
    table = tuple(
        tuple(sorted(draw(st.sets(st.integers(0, cin - 1), min_size=1, max_size=cin)))) for _ in range(cout)
    )
    return cin, cout, kernel, stride, padding, size, table


@settings(max_examples=40, deadline=None)
@given(_tables())
def test_random_tables_agree_with_masked_torch_convolutions(
    case: tuple[int, int, int, int, int, int, tuple[tuple[int, ...], ...]],
) -> None:
    """Any table: torch's output shape, and mask non-zeros give kernels, params and MACs."""
    cin, cout, kernel, stride, padding, size, table = case
    layer = cs.Conv(cout, kernel, stride=stride, padding=padding, connections=table)
    mask = _mask(table, cin, kernel)
    weight = torch.ones(cout, cin, kernel, kernel) * mask
    out = torch.nn.functional.conv2d(
        torch.zeros(1, cin, size, size), weight, torch.zeros(cout), stride=stride, padding=padding
    )
    row = cs.trace(layer, (cin, size, size)).rows[0]
    assert tuple(out.shape[1:]) == row.output_shape
    kept = int(mask.count_nonzero().item())
    assert kept == row.kernels * kernel * kernel
    assert kept + cout == row.params
    assert kept * out.shape[2] * out.shape[3] == row.macs


def _masked_conv_macs(mask: Any, out: Any) -> int:
    """A masked convolution's MACs: its kept weight entries times the output positions of each map."""
    return int(mask.count_nonzero().item()) * int(out.shape[2] * out.shape[3])


def test_seed_table_network_agrees_with_a_masked_torch_network() -> None:
    """The seed network with its table, layer by layer: shapes, params and MACs of the PyTorch rebuild."""
    spec = zoo.seed_table()
    report = cs.trace(spec, (1, 83, 83))
    conv3 = spec.layers[2]
    assert isinstance(conv3, cs.Conv)
    c1 = nn.Conv2d(1, 64, 9)
    c3 = nn.Conv2d(64, 256, 9)
    mask = _mask(conv3.connection_table(64), 64, 9)
    fc = nn.Linear(256, 101)
    x = torch.zeros(1, 1, 83, 83)
    h1 = c1(x)
    h2 = nn.functional.max_pool2d(h1, 10, 5)
    h3 = nn.functional.conv2d(h2, c3.weight * mask, c3.bias)
    h4 = nn.functional.max_pool2d(h3, 6, 4)
    h5 = h4.flatten(1)
    h6 = fc(h5)
    shapes = [tuple(t.shape[1:]) for t in (h1, h2, h3, h4, h5, h6)]
    assert [row.output_shape for row in report.rows] == shapes
    params = [
        c1.weight.numel() + 64,
        0,
        int(mask.count_nonzero().item()) + 256,  # the kept weights and one bias per map
        0,
        0,
        fc.weight.numel() + fc.bias.numel(),
    ]
    assert [row.params for row in report.rows] == params
    macs = [
        c1.weight.numel() * h1.shape[2] * h1.shape[3],
        0,
        _masked_conv_macs(mask, h3),
        0,
        0,
        fc.weight.numel(),
    ]
    assert [row.macs for row in report.rows] == macs
    # the seed's count: 256 maps, each fed by 16 of the 64 input maps, is 4,096 2-D kernels
    assert report.rows[2].kernels == int(mask.count_nonzero().item()) // 81 == 4096


def test_lenet5_1998_layers_agree_with_a_torch_model() -> None:
    """C1, C3 (masked by Table I), C5 and F6 of the paper's LeNet-5: PyTorch's shapes, params and MACs."""
    report = cs.trace(zoo.lenet5_1998(), (1, 32, 32))
    rows = {row.layer.name: row for row in report.rows if row.layer.name}
    c1, c3, c5, f6 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5), nn.Conv2d(16, 120, 5), nn.Linear(120, 84)
    mask = _mask(zoo.LENET5_C3_TABLE, 6, 5)
    h = c1(torch.zeros(1, 1, 32, 32))
    assert (rows["C1"].output_shape, rows["C1"].macs) == (tuple(h.shape[1:]), c1.weight.numel() * 28 * 28)
    s2 = nn.functional.avg_pool2d(h, 2)
    assert rows["S2"].output_shape == tuple(s2.shape[1:])
    h = nn.functional.conv2d(s2, c3.weight * mask, c3.bias)
    assert rows["C3"].output_shape == tuple(h.shape[1:])
    assert rows["C3"].params == int(mask.count_nonzero().item()) + 16
    assert rows["C3"].macs == _masked_conv_macs(mask, h)
    s4 = nn.functional.avg_pool2d(h, 2)
    assert rows["S4"].output_shape == tuple(s4.shape[1:])
    h = c5(s4)
    assert (rows["C5"].output_shape, rows["C5"].macs) == (tuple(h.shape[1:]), c5.weight.numel())
    h = f6(h.flatten(1))
    assert (rows["F6"].output_shape, rows["F6"].params, rows["F6"].macs) == (
        tuple(h.shape[1:]),
        f6.weight.numel() + f6.bias.numel(),
        f6.weight.numel(),
    )
