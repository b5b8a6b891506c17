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

from convshape.arithmetic import MAX_AXES, _plain
from convshape.errors import ParameterError, as_flag, as_index, check_int, show, type_name

__all__ = [
    "conv_macs",
    "conv_params",
    "conv_transpose_macs",
    "kernel_count",
    "linear_macs",
    "linear_params",
    "weight_shape",
]

#: the most bits a count may need: the factors' bit lengths are added up before multiplying
#: (a product is at most that long), and a larger total is refused, as no real network needs
#: a count of over 30,000 digits
MAX_COUNT_BITS = 100_000


def check_groups(in_channels: object, out_channels: object, groups: object) -> tuple[int, int, int]:
    """Validate channel counts and groups; both channel counts must divide by groups."""
    cin = as_index("in_channels", in_channels, 1)
    cout = as_index("out_channels", out_channels, 1)
    g = as_index("groups", groups, 1)
    for name, value in (("in_channels", cin), ("out_channels", cout)):
        if value % g:
            raise ParameterError(
                f"{name} {show(value)} is not divisible by groups {show(g)} "
                f"({show(value)} / {show(g)} = {_ratio(value, g)}); "
                f"use a groups value that divides both {show(cin)} and {show(cout)}"
                + (f", such as {_common_divisors(cin, cout)}" if g > 1 else ""),
                parameter="groups",
                value=g,
            )
    return cin, cout, g


def _ratio(a: int, b: int) -> str:
    """``a / b`` for a message, without converting a huge int to a float."""
    if a.bit_length() > 1000 or b.bit_length() > 1000:
        return "not a whole number"
    return f"{a / b:g}"


def _common_divisors(a: int, b: int) -> str:
    from math import gcd

    g = gcd(a, b)
    divs = [d for d in range(1, min(g, 10_000) + 1) if g % d == 0]
    return ", ".join(str(d) for d in divs[-4:])


def _int_tuple(name: str, value: object) -> tuple[int, ...]:
    """An int (as a 1-tuple) or a non-empty sequence of at most MAX_AXES ints >= 1, numpy ints included."""
    if isinstance(value, (str, bytes)) or not (
        isinstance(value, Sequence) or hasattr(type(value), "__index__")
    ):
        raise TypeError(f"{name} must be an int or a sequence of ints, got {type_name(value)} {show(value)}")
    plain = _plain(name, value, 1)
    if not isinstance(plain, tuple):
        return (as_index(name, plain, 1),)
    if not plain:
        raise ParameterError(f"{name} must not be empty")
    return tuple(check_int(f"{name}[{i}]", v, 1) for i, v in enumerate(plain))


def _kernel_tuple(kernel_size: object, ndim: object) -> tuple[int, ...]:
    """The kernel size on each of *ndim* axes; *ndim* is checked before an int kernel is repeated."""
    ks = _int_tuple("kernel_size", kernel_size)
    nd = as_index("ndim", ndim, 1)
    if nd > MAX_AXES:
        raise ParameterError(
            f"ndim must be at most {MAX_AXES:,} (convshape.arithmetic.MAX_AXES), got {show(nd)}"
        )
    if isinstance(kernel_size, Sequence):
        return ks
    return ks * nd


def _product(names: str, *factors: int) -> int:
    """The product of *factors*, refused before multiplying when it could need over MAX_COUNT_BITS bits."""
    bits = sum(f.bit_length() for f in factors)
    if bits > MAX_COUNT_BITS:
        raise ParameterError(
            f"the product of {names} would need up to {bits:,} bits, above the limit of "
            f"{MAX_COUNT_BITS:,} (convshape.counting.MAX_COUNT_BITS); no real layer is that large"
        )
    return prod(factors)


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
    flag = as_flag("transposed", transposed)
    ks = _kernel_tuple(kernel_size, ndim)
    return (cin, cout // g, *ks) if flag else (cout, cin // g, *ks)


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
    flag = as_flag("bias", bias)
    ks = _kernel_tuple(kernel_size, ndim)
    return _product("out_channels, in_channels / groups and kernel_size", cout, cin // g, *ks) + (
        cout if flag else 0
    )


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a linear (fully connected) layer: ``in x out + out``.

    >>> linear_params(100, 10)
    1010
    """
    fin = as_index("in_features", in_features, 1)
    fout = as_index("out_features", out_features, 1)
    flag = as_flag("bias", bias)
    return _product("in_features and out_features", fin, fout) + (fout if flag else 0)


def _spatial(name: str, shape: object) -> tuple[int, ...]:
    return _int_tuple(name, shape)


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
    return _product(
        "out_channels, output_spatial, in_channels / groups and kernel_size", cout, *out, cin // g, *ks
    )


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
    return _product(
        "in_channels, input_spatial, out_channels / groups and kernel_size", cin, *inp, cout // g, *ks
    )


def linear_macs(in_features: int, out_features: int, rows: int = 1) -> int:
    """Multiply-accumulates of a linear layer applied to ``rows`` vectors, bias excluded.

    >>> linear_macs(9216, 4096)
    37748736
    """
    fin = as_index("in_features", in_features, 1)
    fout = as_index("out_features", out_features, 1)
    n = as_index("rows", rows, 1)
    return _product("in_features, out_features and rows", fin, fout, n)


def _same_rank(kernel: tuple[int, ...], spatial: tuple[int, ...], name: str) -> None:
    if len(kernel) != len(spatial):
        raise ParameterError(
            f"kernel_size has {len(kernel)} entries {show(kernel)} but {name} has {len(spatial)} {show(spatial)}; "
            "give one kernel size per axis"
        )
