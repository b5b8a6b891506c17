"""Kernel counts, weight shapes, parameters and multiply-accumulates.

The convention, used everywhere in convshape (see ``docs/counting.md``):

* a **kernel** is one 2-D (or N-D) filter slice connecting one input map to one
  output map; a convolution with ``groups`` has ``out_channels x in_channels / groups`` of them;
* **parameters** are weights plus biases (BatchNorm: scale and shift; running
  statistics are buffers, not parameters);
* **MACs** are multiply-accumulates of convolutions, transposed convolutions
  and linear layers, per sample, bias excluded.  This equals PyTorch's
  ``torch.utils.flop_counter.FlopCounterMode`` total divided by 2, and
  torchvision's published "GFLOPS".  A transposed convolution is counted over
  its *input* positions (each input value is multiplied by each kernel tap once).

>>> kernel_count(64, 256)            # fully connected: the 16384 of the seed question
16384
>>> kernel_count(64, 256, groups=4)  # the tutorial's 4096
4096
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from convshape.errors import ParameterError, check_int, check_int_tuple

__all__ = [
    "conv_macs",
    "conv_params",
    "conv_transpose_macs",
    "kernel_count",
    "linear_macs",
    "linear_params",
    "weight_shape",
]


def check_groups(in_channels: object, out_channels: object, groups: object) -> tuple[int, int, int]:
    """Validate channel counts and groups; both channel counts must divide by groups."""
    cin = check_int("in_channels", in_channels, 1)
    cout = check_int("out_channels", out_channels, 1)
    g = check_int("groups", groups, 1)
    for name, value in (("in_channels", cin), ("out_channels", cout)):
        if value % g:
            raise ParameterError(
                f"{name} {value} is not divisible by groups {g} ({value} / {g} = {value / g:g}); "
                f"use a groups value that divides both {cin} and {cout}"
                + (f", such as {_common_divisors(cin, cout)}" if g > 1 else "")
            )
    return cin, cout, g


def _common_divisors(a: int, b: int) -> str:
    from math import gcd

    g = gcd(a, b)
    divs = [d for d in range(1, min(g, 10_000) + 1) if g % d == 0]
    return ", ".join(str(d) for d in divs[-4:])


def _kernel_tuple(kernel_size: int | Sequence[int], ndim: int) -> tuple[int, ...]:
    ks = check_int_tuple("kernel_size", kernel_size, 1)
    nd = check_int("ndim", ndim, 1)
    return ks * nd if isinstance(kernel_size, int) else ks


def kernel_count(in_channels: int, out_channels: int, groups: int = 1) -> int:
    """The number of 2-D (generally N-D) kernels: ``out_channels x in_channels / groups``.

    Each output map sums one kernel per input map it is connected to; with
    ``groups`` each output map sees ``in_channels / groups`` input maps.

    >>> kernel_count(1, 64)
    64
    >>> kernel_count(32, 32, groups=32)   # depthwise
    32
    """
    cin, cout, g = check_groups(in_channels, out_channels, groups)
    return cout * (cin // g)


def weight_shape(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    groups: int = 1,
    *,
    transposed: bool = False,
    ndim: int = 2,
) -> tuple[int, ...]:
    """Shape of a convolution's weight tensor in PyTorch/ONNX layout.

    ``(out, in / groups, *kernel)`` for a convolution, ``(in, out / groups, *kernel)``
    for a transposed one.  An int ``kernel_size`` is repeated on ``ndim`` axes.

    >>> weight_shape(64, 256, 9, groups=4)
    (256, 16, 9, 9)
    >>> weight_shape(16, 8, 4, groups=2, transposed=True)
    (16, 4, 4, 4)
    """
    cin, cout, g = check_groups(in_channels, out_channels, groups)
    ks = _kernel_tuple(kernel_size, ndim)
    if not isinstance(transposed, bool):
        raise TypeError(f"transposed must be a bool, got {type(transposed).__name__} {transposed!r}")
    return (cin, cout // g, *ks) if transposed else (cout, cin // g, *ks)


def conv_params(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    groups: int = 1,
    bias: bool = True,
    *,
    ndim: int = 2,
) -> int:
    """Parameters of a convolution (or transposed convolution: the count is the same).

    ``out x (in / groups) x prod(kernel) + (out if bias else 0)``.

    >>> conv_params(3, 96, 11)           # CS231n's AlexNet conv1: 34,848 weights + 96 biases
    34944
    >>> conv_params(64, 256, (9, 9), groups=4, bias=False)
    331776
    """
    cin, cout, g = check_groups(in_channels, out_channels, groups)
    ks = _kernel_tuple(kernel_size, ndim)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool, got {type(bias).__name__} {bias!r}")
    return cout * (cin // g) * prod(ks) + (cout if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a linear (fully connected) layer: ``in x out + out``.

    >>> linear_params(100, 10)
    1010
    """
    fin = check_int("in_features", in_features, 1)
    fout = check_int("out_features", out_features, 1)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool, got {type(bias).__name__} {bias!r}")
    return fin * fout + (fout if bias else 0)


def _spatial(name: str, shape: Sequence[int]) -> tuple[int, ...]:
    return check_int_tuple(name, shape, 1)


def conv_macs(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    output_spatial: Sequence[int],
    groups: int = 1,
) -> int:
    """Multiply-accumulates of a convolution for one sample, bias excluded.

    ``out x prod(output_spatial) x (in / groups) x prod(kernel)``; an int
    ``kernel_size`` is repeated on every axis of ``output_spatial``.

    >>> conv_macs(3, 64, 3, (32, 32))
    1769472
    """
    out = _spatial("output_spatial", output_spatial)
    cin, cout, g = check_groups(in_channels, out_channels, groups)
    ks = _kernel_tuple(kernel_size, len(out))
    _same_rank(ks, out, "output_spatial")
    return cout * prod(out) * (cin // g) * prod(ks)


def conv_transpose_macs(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    input_spatial: Sequence[int],
    groups: int = 1,
) -> int:
    """Multiply-accumulates of a transposed convolution for one sample, bias excluded.

    Counted over the *input* positions: ``in x prod(input_spatial) x (out / groups) x prod(kernel)``.
    (Counting over the output positions, as some tools do, over-counts by about
    the product of the strides.)

    >>> conv_transpose_macs(16, 8, 4, (8, 8))
    131072
    """
    inp = _spatial("input_spatial", input_spatial)
    cin, cout, g = check_groups(in_channels, out_channels, groups)
    ks = _kernel_tuple(kernel_size, len(inp))
    _same_rank(ks, inp, "input_spatial")
    return cin * prod(inp) * (cout // g) * prod(ks)


def linear_macs(in_features: int, out_features: int, rows: int = 1) -> int:
    """Multiply-accumulates of a linear layer applied to ``rows`` vectors, bias excluded.

    >>> linear_macs(9216, 4096)
    37748736
    """
    fin = check_int("in_features", in_features, 1)
    fout = check_int("out_features", out_features, 1)
    n = check_int("rows", rows, 1)
    return fin * fout * n


def _same_rank(kernel: tuple[int, ...], spatial: tuple[int, ...], name: str) -> None:
    if len(kernel) != len(spatial):
        raise ParameterError(
            f"kernel_size has {len(kernel)} entries {kernel!r} but {name} has {len(spatial)} {spatial!r}; "
            "give one kernel size per axis"
        )
