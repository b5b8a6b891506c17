"""Per-axis and all-axes arithmetic: worked examples from the literature, errors and types."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import convshape as cs
from convshape import (
    ConvShapeError,
    ParameterError,
    ShapeError,
    conv_output_shape,
    conv_output_size,
    conv_transpose_output_shape,
    conv_transpose_output_size,
    pool_output_shape,
    pool_output_size,
    same_padding,
    uncovered_inputs,
)

# Dumoulin & Visin, "A guide to convolution arithmetic", the 15 relationships with the
# paper's own examples (SEMANTICS section 6).  Transposed cases: the transposed conv of the
# direct conv (i, k, s, p) maps the direct output back to i, with output_padding = a.
DV_DIRECT = [
    pytest.param(dict(size=4, kernel_size=3), 2, id="R1-no-padding-unit-stride"),
    pytest.param(dict(size=5, kernel_size=4, padding=2), 6, id="R2-zero-padding"),
    pytest.param(dict(size=5, kernel_size=3, padding=1), 5, id="R3-half-padding"),
    pytest.param(dict(size=5, kernel_size=3, padding=2), 7, id="R4-full-padding"),
    pytest.param(dict(size=5, kernel_size=3, stride=2), 2, id="R5-no-padding-strided"),
    pytest.param(dict(size=5, kernel_size=3, stride=2, padding=1), 3, id="R6-padded-strided"),
    pytest.param(dict(size=6, kernel_size=3, stride=2, padding=1), 3, id="R6-padded-strided-even"),
    pytest.param(dict(size=7, kernel_size=3, dilation=2), 3, id="R15-dilated"),
]


@pytest.mark.parametrize(("kwargs", "expected"), DV_DIRECT)
def test_dumoulin_visin_direct_relationships(kwargs: dict[str, Any], expected: int) -> None:
    """Relationships 1-6 and 15 of Dumoulin & Visin give the paper's example outputs."""
    assert conv_output_size(**kwargs) == expected


def test_dumoulin_visin_pooling_relationship() -> None:
    """Relationship 7: a 3x3 pool at stride 1 on a 5x5 input gives 3x3."""
    assert pool_output_shape((5, 5), 3, stride=1) == (3, 3)


DV_TRANSPOSED = [
    pytest.param(4, 3, 1, 0, 0, id="R8-transpose-of-no-padding"),
    pytest.param(5, 4, 1, 2, 0, id="R9-transpose-of-zero-padding"),
    pytest.param(5, 3, 1, 1, 0, id="R10-transpose-of-half-padding"),
    pytest.param(5, 3, 1, 2, 0, id="R11-transpose-of-full-padding"),
    pytest.param(5, 3, 2, 0, 0, id="R12-transpose-of-strided"),
    pytest.param(5, 3, 2, 1, 0, id="R13-transpose-of-padded-strided"),
    pytest.param(6, 3, 2, 1, 1, id="R14-general-transpose"),
]


@pytest.mark.parametrize(("i", "k", "s", "p", "a"), DV_TRANSPOSED)
def test_dumoulin_visin_transposed_relationships(i: int, k: int, s: int, p: int, a: int) -> None:
    """Relationships 8-14: the transposed conv maps the direct output back to i, with a = (i + 2p - k) mod s."""
    direct = conv_output_size(i, k, stride=s, padding=p)
    assert (i + 2 * p - k) % s == a
    assert conv_transpose_output_size(direct, k, stride=s, padding=p, output_padding=a) == i


CS231N = [
    pytest.param(dict(size=7, kernel_size=3), 5, id="7x7-F3-S1"),
    pytest.param(dict(size=7, kernel_size=3, stride=2), 3, id="7x7-F3-S2"),
    pytest.param(dict(size=5, kernel_size=3, padding=1), 5, id="1d-figure-S1"),
    pytest.param(dict(size=5, kernel_size=3, padding=1, stride=2), 3, id="1d-figure-S2"),
    pytest.param(dict(size=227, kernel_size=11, stride=4), 55, id="alexnet-227"),
    pytest.param(dict(size=224, kernel_size=11, stride=4), 54, id="alexnet-224-floors"),
    pytest.param(dict(size=224, kernel_size=11, stride=4, padding=2), 55, id="torchvision-alexnet-p2"),
    pytest.param(dict(size=11, kernel_size=5, stride=2), 4, id="numpy-example"),
    pytest.param(dict(size=12, kernel_size=7), 6, id="fc-as-conv-384"),
]


@pytest.mark.parametrize(("kwargs", "expected"), CS231N)
def test_cs231n_examples(kwargs: dict[str, Any], expected: int) -> None:
    """The CS231n notes' worked examples (W - F + 2P) / S + 1."""
    assert conv_output_size(**kwargs) == expected


def test_cs231n_invalid_hyperparameters_are_floored_but_discoverable() -> None:
    """W=10, F=3, S=2 gives 4.5: every framework floors to 4, and one input column is never read."""
    assert conv_output_size(10, 3, stride=2) == 4
    assert uncovered_inputs(10, 3, stride=2) == 1
    # CS231n's S=3 "doesn't fit" figure (W=5, F=3, P=1): the unread position is right padding
    assert conv_output_size(5, 3, stride=3, padding=1) == 2
    assert uncovered_inputs(5, 3, stride=3, padding=1) == 0


def test_seed_network_arithmetic() -> None:
    """The tutorial network: 83 -> 75 -> 14 -> 6 -> 1."""
    assert conv_output_size(83, 9) == 75
    assert pool_output_size(75, 10, stride=5) == 14
    assert conv_output_size(14, 9) == 6
    assert pool_output_size(6, 6, stride=4) == 1


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "floor", "ceil"),
    [
        (5, 2, 2, 0, 2, 3),
        (6, 3, 2, 0, 2, 3),
        (5, 3, 2, 1, 3, 3),
        (4, 2, 3, 1, 2, 2),
        (8, 3, 3, 1, 3, 3),
        (1, 2, 2, 1, 1, 1),
        (3, 3, 3, 1, 1, 2),
        (5, 4, 3, 2, 2, 3),
        (112, 3, 2, 0, 55, 56),
        (56, 3, 2, 0, 27, 28),
    ],
)
def test_pool_ceil_mode_vectors(
    size: int, kernel: int, stride: int, padding: int, floor: int, ceil: int
) -> None:
    """PyTorch's ceil-mode vectors (SEMANTICS 1.3), including the 'last window starts inside' correction."""
    assert pool_output_size(size, kernel, stride, padding) == floor
    assert pool_output_size(size, kernel, stride, padding, ceil_mode=True) == ceil


def test_transposed_vectors_from_pytorch() -> None:
    """SEMANTICS 1.2 vectors: dilation lets output_padding reach dilation - 1 at stride 1."""
    assert conv_transpose_output_size(5, 3, padding=1, output_padding=1, dilation=2) == 8
    assert conv_transpose_output_size(5, 3, padding=1, output_padding=2, dilation=3) == 11
    assert conv_transpose_output_shape((4, 4), 3, 3, 1, 2) == (12, 12)
    assert conv_transpose_output_size(5, 3, padding=3) == 1


def test_same_padding_with_strides_and_large_kernels() -> None:
    """'same' is ceil(size / stride) at any stride, even when the kernel is larger than the input."""
    assert conv_output_size(3, 5, padding="same") == 3
    assert conv_output_size(10, 3, dilation=2, padding="same") == 10
    assert conv_output_size(10, 3, dilation=2, padding="valid") == 6
    assert pool_output_size(5, 2, stride=2, padding="same") == 3
    assert pool_output_size(7, 3, stride=3, padding="SAME") == 3  # case-insensitive, TF spelling
    assert same_padding(10, 4, 3) == (1, 2)


def test_explicit_pads_per_axis() -> None:
    """Per-axis padding mixes ints and (before, after) pairs."""
    assert conv_output_shape((5, 5), 3, padding=[(0, 2), 1]) == (5, 5)
    assert conv_output_shape((9,), 3, padding=[(4, 0)]) == (11,)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda: conv_output_size(4, 5),
            ShapeError,
            "kernel_size: the kernel extent 5 (dilation 1 x (5 - 1) + 1) exceeds the padded input 4 "
            "(4 + 0 + 0); use padding >= 1 on each side, or a kernel of at most 4",
            id="kernel-too-large",
        ),
        pytest.param(
            lambda: conv_output_size(5, 3, dilation=3),
            ShapeError,
            "kernel_size: the kernel extent 7 (dilation 3 x (3 - 1) + 1) exceeds the padded input 5 "
            "(5 + 0 + 0); use padding >= 1 on each side, or a kernel of at most 2 at dilation 3",
            id="dilated-kernel-too-large",
        ),
        pytest.param(
            lambda: conv_output_size(3, 5, padding="valid"),
            ShapeError,
            "use padding='same', or a kernel of at most 3",
            id="valid-suggests-same",
        ),
        pytest.param(
            lambda: conv_output_size(10, 3, stride=0),
            ParameterError,
            "stride must be an integer >= 1, got 0",
            id="stride-zero",
        ),
        pytest.param(
            lambda: conv_output_size(10, 3, padding=-1),
            ParameterError,
            "padding must be an integer >= 0, got -1",
            id="negative-padding",
        ),
        pytest.param(
            lambda: conv_output_size(0, 3),
            ParameterError,
            "size must be an integer >= 1, got 0",
            id="empty-input",
        ),
        pytest.param(
            lambda: conv_output_size(10, 3, padding="full"),
            ParameterError,
            "padding must be an int, a (before, after) pair or one of 'valid', 'same', 'same_lower', "
            "'causal'; got 'full'",
            id="unknown-mode",
        ),
        pytest.param(
            lambda: conv_output_size(10, 3, padding=(1, 2, 3)),
            ParameterError,
            "padding must be an int or a (before, after) pair, got 3 values (1, 2, 3)",
            id="triple",
        ),
        pytest.param(
            lambda: pool_output_size(10, 3, padding="causal"),
            ParameterError,
            "padding 'causal' applies to convolutions only, not to a pooling layer",
            id="causal-pool",
        ),
        pytest.param(
            lambda: pool_output_size(10, 3, padding=2),
            ParameterError,
            "padding 2 exceeds half the window (3 // 2 = 1): pooling padding must be at most "
            "kernel_size // 2 (PyTorch's rule; a MaxPool or AvgPool with convention='onnx' takes any); "
            "use padding <= 1",
            id="pool-padding-limit",
        ),
        pytest.param(
            lambda: pool_output_size(1, 2, stride=1),
            ShapeError,
            "kernel_size: the output size (1 + 0 + 0 - 2) // 1 + 1 = 0 is below 1",
            id="pool-empty",
        ),
        pytest.param(
            lambda: conv_transpose_output_size(5, 3, stride=2, output_padding=2),
            ParameterError,
            "output_padding must be smaller than either stride or dilation (PyTorch's rule), got "
            "output_padding 2 with stride 2 and dilation 1; use output_padding <= 1",
            id="op-too-big",
        ),
        pytest.param(
            lambda: conv_transpose_output_size(1, 1, padding=1),
            ShapeError,
            "padding: the output size (1 - 1) x 1 - 1 - 1 + 1 + 0 = -1 is below 1; "
            "use at most 0 padding in total",
            id="transpose-empty",
        ),
        pytest.param(
            lambda: conv_transpose_output_size(5, 3, padding="same", output_padding=1),
            ParameterError,
            "cannot be combined with padding 'same'",
            id="transpose-same-op",
        ),
        pytest.param(
            lambda: conv_output_shape((5, 5), (3, 3, 3)),
            ParameterError,
            "kernel_size has 3 entries (3, 3, 3) for 2 spatial axes",
            id="rank-mismatch",
        ),
        pytest.param(
            lambda: conv_output_shape((5, 2), 3),
            ShapeError,
            "axis 1, kernel_size: the kernel extent 3",
            id="axis-named",
        ),
        pytest.param(
            lambda: conv_output_shape((), 3),
            ParameterError,
            "spatial_shape must have at least one axis",
            id="no-axes",
        ),
    ],
)
def test_errors_say_where_rule_value_and_fix(call: Any, error: type[ConvShapeError], message: str) -> None:
    """Each refusal raises the right subclass with the arguments, the arithmetic and a fix."""
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: conv_output_size(10.0, 3), id="float-size"),  # type: ignore[arg-type]
        pytest.param(lambda: conv_output_size(10, True), id="bool-kernel"),
        pytest.param(lambda: conv_output_size("10", 3), id="str-size"),  # type: ignore[arg-type]
        pytest.param(lambda: conv_output_size(10, 3, padding=None), id="none-padding"),  # type: ignore[arg-type]
        pytest.param(lambda: conv_output_size(10, 3, padding=(1.5, 1)), id="float-pair"),  # type: ignore[arg-type]
        pytest.param(lambda: pool_output_size(10, 3, ceil_mode=1), id="int-ceil-mode"),  # type: ignore[arg-type]
        pytest.param(lambda: conv_output_shape(10, 3), id="int-shape"),  # type: ignore[arg-type]
        pytest.param(lambda: conv_output_shape((10, 10), {3}), id="set-kernel"),  # type: ignore[arg-type]
        pytest.param(lambda: conv_output_shape((10, 10), (3, 3.0)), id="float-in-tuple"),  # type: ignore[arg-type]
        pytest.param(lambda: same_padding(10, 3, lower="yes"), id="str-lower"),  # type: ignore[arg-type]
    ],
)
def test_wrong_python_types_raise_type_error(call: Any) -> None:
    """A float, bool, string or None where an int belongs is a TypeError, never a silent answer."""
    with pytest.raises(TypeError):
        call()


def test_errors_are_value_errors_and_pickle() -> None:
    """ConvShapeError subclasses ValueError and round-trips through pickle with its location."""
    with pytest.raises(ValueError, match="axis 1") as info:
        conv_output_shape((5, 2), 3)
    err = info.value
    assert isinstance(err, ShapeError)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is ShapeError
    assert (str(clone), clone.detail, clone.where) == (str(err), err.detail, err.where)


def test_uncovered_inputs_with_dilation_gaps() -> None:
    """Dilation larger than the stride can skip positions inside the input."""
    # taps at 0 and 3, stride 3: positions 0, 3, 6 are read; 1, 2, 4, 5 never are
    assert uncovered_inputs(7, 2, stride=3, dilation=3) == 4
    assert uncovered_inputs(10, 3, stride=2, padding="same") == 0


def test_public_api_is_sorted_and_complete() -> None:
    """__all__ is sorted and every name in it exists."""
    assert list(cs.__all__) == sorted(cs.__all__)
    for name in cs.__all__:
        assert hasattr(cs, name), name
