"""Kernel counts, weight shapes, parameters and MACs: the seed's numbers and PyTorch's counters."""

from __future__ import annotations

from typing import Any

import pytest

from convshape import (
    ParameterError,
    conv_macs,
    conv_params,
    conv_transpose_macs,
    kernel_count,
    linear_macs,
    linear_params,
    weight_shape,
)


def test_seed_question_kernel_counts() -> None:
    """64 kernels make 64 maps from 1; 64 -> 256 maps takes 16384 kernels, or 4096 with groups=4."""
    assert kernel_count(1, 64) == 64
    assert kernel_count(64, 256) == 64 * 256 == 16384
    assert kernel_count(64, 256, groups=4) == 256 * (64 // 4) == 4096


def test_weight_shapes_in_both_layouts() -> None:
    """(out, in/g, *k) for a convolution, (in, out/g, *k) for a transposed one (SEMANTICS 1.1, 1.2)."""
    assert weight_shape(4, 6, 3, groups=2) == (6, 2, 3, 3)
    assert weight_shape(4, 6, 3, groups=2, transposed=True) == (4, 3, 3, 3)
    assert weight_shape(3, 8, (3, 5, 7)) == (8, 3, 3, 5, 7)
    assert weight_shape(3, 8, 3, ndim=1) == (8, 3, 3)


def test_parameter_counts_from_published_examples() -> None:
    """CS231n's AlexNet conv1 (34,944) and VGG's per-layer weights without biases."""
    assert conv_params(3, 96, 11) == 34944
    assert conv_params(3, 64, 3, bias=False) == 1728
    assert conv_params(512, 512, 3, bias=False) == 2359296
    assert linear_params(7 * 7 * 512, 4096, bias=False) == 102760448
    assert conv_params(32, 64, 3, groups=4) == 4672


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: kernel_count(64, 256, groups=3),
            "in_channels 64 is not divisible by groups 3",
            id="in-groups",
        ),
        pytest.param(
            lambda: kernel_count(64, 250, groups=4),
            "out_channels 250 is not divisible by groups 4 "
            "(250 / 4 = 62.5); use a groups value that divides both 64 and 250, such as 1, 2",
            id="out-groups",
        ),
        pytest.param(
            lambda: conv_macs(3, 8, (3, 3), (5,)),
            "kernel_size has 2 entries (3, 3) but output_spatial has 1 (5,)",
            id="rank",
        ),
        pytest.param(
            lambda: conv_params(0, 8, 3), "in_channels must be an integer >= 1, got 0", id="zero-in"
        ),
    ],
)
def test_counting_errors(call: Any, message: str) -> None:
    """Channel/group mismatches and rank mismatches are ParameterErrors naming the values."""
    with pytest.raises(ParameterError) as info:
        call()
    assert message in str(info.value)


def test_counting_rejects_wrong_types() -> None:
    """bool and float channel counts are TypeErrors."""
    with pytest.raises(TypeError):
        kernel_count(True, 4)
    with pytest.raises(TypeError):
        conv_params(3, 4, 3, bias=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        linear_macs(3.0, 4)  # type: ignore[arg-type]


torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")


def _flop_counter_macs(module: Any, x: Any) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(x)
    total = counter.get_total_flops()
    assert total % 2 == 0
    return int(total // 2)


CASES = [
    pytest.param(lambda: torch.nn.Conv2d(3, 64, 3, padding=1), (1, 3, 32, 32), id="conv-bias"),
    pytest.param(lambda: torch.nn.Conv2d(32, 64, 3, groups=4), (1, 32, 16, 16), id="conv-grouped"),
    pytest.param(lambda: torch.nn.Conv2d(32, 32, 3, groups=32, padding=1), (1, 32, 16, 16), id="depthwise"),
    pytest.param(lambda: torch.nn.Conv1d(8, 16, 5, stride=2, dilation=2), (1, 8, 40), id="conv1d-dilated"),
    pytest.param(lambda: torch.nn.Conv3d(4, 6, (3, 2, 1), stride=(1, 2, 1)), (1, 4, 6, 7, 5), id="conv3d"),
    pytest.param(lambda: torch.nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1), (1, 16, 8, 8), id="convT"),
    pytest.param(
        lambda: torch.nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1, groups=2, bias=False),
        (1, 16, 8, 8),
        id="convT-grouped",
    ),
    pytest.param(
        lambda: torch.nn.ConvTranspose1d(6, 4, 3, stride=3, output_padding=2), (1, 6, 7), id="convT1d"
    ),
]


@pytest.mark.parametrize(("make", "input_shape"), CASES)
def test_macs_and_params_equal_pytorch(make: Any, input_shape: tuple[int, ...]) -> None:
    """conv_macs / conv_transpose_macs equal FlopCounterMode / 2; conv_params equals the module's numel."""
    module = make()
    x = torch.zeros(*input_shape)
    out = module(x)
    transposed = isinstance(module, torch.nn.modules.conv._ConvTransposeNd)
    cin, cout, ks, g = module.in_channels, module.out_channels, module.kernel_size, module.groups
    if transposed:
        ours = conv_transpose_macs(cin, cout, ks, input_shape[2:], groups=g)
    else:
        ours = conv_macs(cin, cout, ks, tuple(out.shape[2:]), groups=g)
    assert ours == _flop_counter_macs(module, x)
    assert conv_params(cin, cout, ks, g, module.bias is not None) == sum(
        p.numel() for p in module.parameters()
    )
    assert weight_shape(cin, cout, ks, g, transposed=transposed) == tuple(module.weight.shape)


def test_linear_macs_equal_pytorch() -> None:
    """linear_macs equals FlopCounterMode / 2 for one row and for a batch of rows."""
    layer = torch.nn.Linear(100, 10)
    assert linear_macs(100, 10) == _flop_counter_macs(layer, torch.zeros(1, 100))
    assert linear_macs(100, 10, rows=12) == _flop_counter_macs(layer, torch.zeros(12, 100))
    assert linear_params(100, 10) == sum(p.numel() for p in layer.parameters())
