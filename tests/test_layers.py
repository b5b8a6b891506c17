"""Layer specs: values, build-time validation, and what they do to a shape."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

import convshape as cs
from convshape import (
    Activation,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    BatchNorm,
    Concat,
    Conv,
    ConvTranspose,
    Dropout,
    Flatten,
    Identity,
    Linear,
    MaxPool,
    Pad,
    ParameterError,
    Residual,
    Sequential,
    ShapeError,
    Upsample,
    trace,
)

EXAMPLES = [
    Conv(64, 3, stride=2, padding=[(0, 1), 1], groups=2, bias=False, in_channels=4, name="c"),
    ConvTranspose(8, (2, 3), stride=2, output_padding=1),
    MaxPool(3, stride=2, padding=1, ceil_mode=True),
    AvgPool(2),
    AdaptiveAvgPool((1, None)),
    AdaptiveMaxPool(1),
    Linear(10, bias=False, in_features=5),
    Flatten(),
    BatchNorm(affine=False),
    Activation("gelu"),
    Dropout(0.1),
    Identity(),
    Upsample(scale_factor=(2.0, 1.5)),
    Pad([(1, 2), 0]),
    Sequential(Conv(4, 1), [Activation()]),
    Residual(Conv(4, 3, padding=1), shortcut=Conv(4, 1)),
    Concat(Identity(), [Conv(4, 1)]),
]


@pytest.mark.parametrize("layer", EXAMPLES, ids=lambda layer: layer.kind)
def test_specs_are_frozen_hashable_comparable_and_picklable(layer: cs.Layer) -> None:
    """Every spec is immutable, hashable, equal to its pickled copy, and has no __dict__."""
    assert hash(layer) == hash(pickle.loads(pickle.dumps(layer)))
    assert layer == pickle.loads(pickle.dumps(layer))
    assert not hasattr(layer, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.name = "x"  # type: ignore[misc]


def test_sequences_are_stored_as_tuples() -> None:
    """Lists given by the user become tuples, so specs stay hashable; replace() re-validates."""
    conv = Conv(8, [3, 5], stride=[1, 2], padding=[[1, 1], 2])
    assert (conv.kernel_size, conv.stride, conv.padding) == ((3, 5), (1, 2), ((1, 1), 2))
    assert dataclasses.replace(conv, out_channels=16).out_channels == 16
    with pytest.raises(ParameterError, match="stride"):
        dataclasses.replace(conv, stride=0)


def test_hyper_parameters_after_the_first_are_keyword_only() -> None:
    """Conv(64, 3, 2, 1) cannot silently mean something else."""
    with pytest.raises(TypeError):
        Conv(64, 3, 2, 1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        MaxPool(3, 2)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        pytest.param(
            lambda: Conv(0, 3),
            ParameterError,
            "Conv: out_channels must be an integer >= 1, got 0",
            id="zero-out",
        ),
        pytest.param(
            lambda: Conv(64, 3, groups=3),
            ParameterError,
            "Conv: out_channels 64 is not divisible by groups 3",
            id="out-groups",
        ),
        pytest.param(
            lambda: Conv(64, 3, in_channels=6, groups=4),
            ParameterError,
            "Conv: in_channels 6 is not divisible by groups 4",
            id="in-groups",
        ),
        pytest.param(
            lambda: Conv(8, (3, 3), stride=(1, 1, 1)),
            ParameterError,
            "per-axis values disagree on the number of axes: kernel_size has 2, stride has 3",
            id="axes-disagree",
        ),
        pytest.param(lambda: Conv(8, 3, padding="full"), ParameterError, "got 'full'", id="bad-mode"),
        pytest.param(
            lambda: MaxPool(3, padding=2),
            ParameterError,
            "MaxPool: padding 2 exceeds half the window (3 // 2 = 1)",
            id="pool-pad",
        ),
        pytest.param(
            lambda: MaxPool(3, padding="causal"),
            ParameterError,
            "applies to convolutions only",
            id="pool-causal",
        ),
        pytest.param(
            lambda: ConvTranspose(8, 3, stride=2, output_padding=2),
            ParameterError,
            "output_padding must be smaller than either stride or dilation",
            id="op",
        ),
        pytest.param(lambda: Dropout(2), ParameterError, "p must be between 0 and 1, got 2", id="dropout"),
        pytest.param(
            lambda: Upsample(), ParameterError, "give exactly one of scale_factor and size", id="up"
        ),
        pytest.param(
            lambda: Upsample(scale_factor=0),
            ParameterError,
            "scale_factor must be a positive finite number",
            id="up0",
        ),
        pytest.param(
            lambda: AdaptiveAvgPool(0), ParameterError, "output_size must be an integer >= 1", id="ada0"
        ),
        pytest.param(lambda: Residual(), ParameterError, "needs at least one layer", id="empty-residual"),
        pytest.param(lambda: Concat(), ParameterError, "needs at least one branch", id="empty-concat"),
        pytest.param(
            lambda: Pad(-1), ParameterError, "padding must be an integer >= 0, got -1", id="pad-neg"
        ),
        pytest.param(lambda: Conv(8, 3.0), TypeError, "kernel_size must be an int", id="float-kernel"),  # type: ignore[arg-type]
        pytest.param(
            lambda: Conv(8, 3, bias=1),  # type: ignore[arg-type]
            TypeError,
            "Conv: bias must be a bool, got int 1",
            id="int-bias",
        ),
        pytest.param(
            lambda: Conv(True, 3), TypeError, "out_channels must be an int, got bool True", id="bool"
        ),
        pytest.param(lambda: Linear(10, name=3), TypeError, "name must be a str or None", id="name"),  # type: ignore[arg-type]
        pytest.param(
            lambda: Sequential(Conv(8, 3), "relu"),  # type: ignore[arg-type]
            TypeError,
            "Sequential item 1 must be a layer spec or a list of them, got str 'relu'",
            id="not-a-layer",
        ),
        pytest.param(lambda: Activation(None), TypeError, "function must be a str", id="activation"),  # type: ignore[arg-type]
    ],
)
def test_build_time_errors(build: Any, error: type[Exception], message: str) -> None:
    """What can be checked without an input is refused when the spec is built, with a clear message."""
    with pytest.raises(error) as info:
        build()
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("layer", "input_shape", "output_shape"),
    [
        (Conv(64, 9), (1, 83, 83), (64, 75, 75)),
        (Conv(8, 3, padding="causal"), (4, 7), (8, 7)),
        (Conv(8, (3, 1, 2), stride=(2, 1, 1)), (2, 9, 5, 4), (8, 4, 5, 3)),
        (ConvTranspose(6, 3, stride=3, padding=1, output_padding=2), (4, 4, 4), (6, 12, 12)),
        (MaxPool(3, stride=2, ceil_mode=True), (8, 112, 112), (8, 56, 56)),
        (AvgPool(2), (6, 28, 28), (6, 14, 14)),
        (AdaptiveAvgPool((3, None)), (2, 5, 7), (2, 3, 7)),
        (Linear(7), (3, 4, 5), (3, 4, 7)),
        (Flatten(), (16, 5, 5), (400,)),
        (Upsample(scale_factor=0.29), (1, 100), (1, 28)),
        (Upsample(size=(4, 6)), (3, 2, 3), (3, 4, 6)),
        (Pad([(1, 2), (3, 4)]), (1, 4, 5), (1, 7, 12)),
    ],
)
def test_layer_output_shapes(
    layer: cs.Layer, input_shape: tuple[int, ...], output_shape: tuple[int, ...]
) -> None:
    """Each leaf maps its input shape as its framework counterpart does (SEMANTICS vectors)."""
    assert trace(layer, input_shape).output_shape == output_shape


def test_counts_per_layer_kind() -> None:
    """Kernels, parameters and MACs of the counted kinds; everything else counts 0 MACs."""
    rows = trace(
        [Conv(8, 3, groups=2, padding=1), BatchNorm(), ConvTranspose(4, 2, stride=2), Flatten(), Linear(10)],
        (4, 6, 6),
    ).rows
    conv, bn, convt, _, fc = rows
    assert (conv.kernels, conv.params, conv.macs) == (8 * 2, 8 * 2 * 9 + 8, 8 * 36 * 2 * 9)
    assert (bn.params, bn.macs) == (16, 0)
    assert (convt.kernels, convt.params, convt.macs) == (8 * 4, 8 * 4 * 4 + 4, 8 * 36 * 4 * 4)
    assert (fc.params, fc.macs) == (4 * 12 * 12 * 10 + 10, 4 * 12 * 12 * 10)


def test_linear_on_a_spatial_map_is_noted() -> None:
    """A Linear applied to (C, H, W) acts on W, as in PyTorch, and the row says so."""
    row = trace(Linear(7), (3, 4, 5)).rows[0]
    assert row.macs == 3 * 4 * 5 * 7
    assert "acts on the last axis only" in row.notes[0]


@pytest.mark.parametrize(
    ("layers", "input_shape", "message"),
    [
        pytest.param(
            [Conv(8, 3, in_channels=4)],
            (3, 8, 8),
            "layer 0 (Conv(8, 3)), in_channels: in_channels is 4 but the input has 3 channels",
            id="in",
        ),
        pytest.param(
            [Linear(10, in_features=400)],
            (256,),
            "in_features is 400 but the input's last axis has 256 features",
            id="in-features",
        ),
        pytest.param(
            [Flatten(), Conv(8, 3)],
            (3, 8, 8),
            "expects an input (channels, *spatial) with at least one spatial axis, got (192,)",
            id="rank",
        ),
        pytest.param(
            [Conv(8, (3, 3))], (3, 8), "kernel_size has 2 entries (3, 3) for 1 spatial axis", id="ndim"
        ),
        pytest.param(
            [AvgPool(3, padding=1)], (1, 2, 4, 4), "3-D average pooling needs each input size", id="avg3d"
        ),
        pytest.param([Upsample(scale_factor=0.1)], (1, 5), "floor(5 x 0.1) = 0 is below 1", id="upsample"),
    ],
)
def test_trace_time_errors(layers: list[cs.Layer], input_shape: tuple[int, ...], message: str) -> None:
    """What depends on the input is refused at trace time, naming the layer."""
    with pytest.raises(ShapeError if "entries" not in message else ParameterError) as info:
        trace(layers, input_shape)
    assert message in str(info.value)


def test_describe_shows_only_what_differs_from_defaults() -> None:
    """describe() is a compact, stable description used in tables and messages."""
    assert Conv(64, 9).describe() == "Conv(64, 9)"
    assert (
        Conv(64, 3, stride=2, padding=1, bias=False).describe()
        == "Conv(64, 3, stride=2, padding=1, bias=False)"
    )
    assert Residual(Conv(4, 1)).describe() == "Residual(add)"
    assert Concat(Identity(), Identity()).describe() == "Concat(2 branches)"


def test_batch_norm_keras_conventions() -> None:
    """center/scale choose the learned halves; batches_tracked=False drops PyTorch's batch counter."""
    shape = (16, 4, 4)
    full = trace(BatchNorm(), shape)
    assert (full.total_params, full.total_buffers) == (2 * 16, 2 * 16 + 1)
    shift = trace(BatchNorm(scale=False, batches_tracked=False), shape)
    assert (shift.total_params, shift.total_buffers) == (16, 2 * 16)
    assert trace(BatchNorm(center=False), shape).total_params == 16
    assert trace(BatchNorm(affine=False, batches_tracked=False), shape).total_buffers == 2 * 16
    assert BatchNorm(scale=False).describe() == "BatchNorm(scale=False)"
    with pytest.raises(ParameterError, match="use affine=False"):
        BatchNorm(center=False, scale=False)
    with pytest.raises(TypeError, match="scale"):
        BatchNorm(scale=1)  # type: ignore[arg-type]
