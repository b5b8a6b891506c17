"""Output sizes of sliding-window layers, one axis at a time or all axes at once.

These are plain functions on ints: other libraries' validation code can call
them without building any object.  Every rule, with its framework source, is in
``docs/formulas.md``; in short:

* convolution and pooling (floor mode):
  ``out = (size + before + after - extent) // stride + 1`` with
  ``extent = dilation * (kernel_size - 1) + 1``;
* pooling in ceil mode: the quotient is rounded up, then the last window is
  dropped if it would start in the right padding (PyTorch's rule, also ONNX
  opset 22);
* transposed convolution:
  ``out = (size - 1) * stride - before - after + extent + output_padding``.

Padding is an int (both sides), a ``(before, after)`` pair, or one of the strings
``"valid"``, ``"same"`` (TF/ONNX ``SAME_UPPER``: the odd extra pixel at the end),
``"same_lower"`` (ONNX ``SAME_LOWER``) and, for convolutions, ``"causal"``
(Keras ``Conv1D``: all padding before the input).

>>> conv_output_size(227, 11, stride=4)
55
>>> conv_output_shape((224, 224), 7, stride=2, padding=3)
(112, 112)
>>> pool_output_size(112, 3, stride=2, ceil_mode=True)
56
>>> conv_transpose_output_size(4, 3, stride=3, padding=1, output_padding=2)
12
"""

from __future__ import annotations

from _collections_abc import Sequence  # what collections.abc re-exports, without its 2 ms import
from math import gcd

from convshape._frozen import record
from convshape.errors import (
    ParameterError,
    ShapeError,
    as_flag,
    as_index,
    check_int,
    show,
    type_name,
    with_rank,
)

__all__ = [
    "PaddingArg",
    "conv_output_shape",
    "conv_output_size",
    "conv_transpose_output_shape",
    "conv_transpose_output_size",
    "pool_output_shape",
    "pool_output_size",
    "same_padding",
    "uncovered_inputs",
]

#: the most spatial axes (or per-axis entries) a public function accepts; longer sequences are
#: refused before any of their entries is looked at
MAX_AXES = 1024

# typing costs milliseconds to import: the aliases and named-tuple types exist for type checkers,
# the runtime classes are plain named tuples with the same fields.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal, NamedTuple, Union

    #: Padding for one axis: an int for both sides, a ``(before, after)`` pair, or a mode string.
    PaddingArg = Union[int, Sequence[int], str]

    #: The three kinds of window the arithmetic knows.
    Kind = Literal["conv", "pool", "transpose"]

    class _Window(NamedTuple):
        kind: Kind
        size: int
        kernel: int
        stride: int
        dilation: int
        before: int
        after: int
        output: int
        output_padding: int = 0
        ceil_mode: bool = False
        mode: str | None = None

    class _Params(NamedTuple):
        kind: Kind
        kernel: int
        stride: int
        dilation: int
        padding: tuple[int, int] | str
        output_padding: int = 0
        ceil_mode: bool = False

else:
    PaddingArg = object
    _Window = record(
        "AxisWindow",
        ("kind", "size", "kernel", "stride", "dilation", "before", "after", "output", "output_padding",
         "ceil_mode", "mode"),
        defaults=(0, False, None),
    )  # fmt: skip
    _Params = record(
        "AxisParams",
        ("kind", "kernel", "stride", "dilation", "padding", "output_padding", "ceil_mode"),
        defaults=(0, False),
    )

PADDING_MODES = ("valid", "same", "same_lower", "causal")
_ALIASES = {"same_upper": "same"}


class AxisWindow(_Window):
    """Everything about one axis of one window layer, resolved to ints.

    ``before``/``after`` are the zeros added on each side (for a transposed
    convolution: removed from each side of the full output).  ``mode`` is the
    padding string the user gave, or ``None`` for explicit padding.  A named tuple.

    >>> AxisWindow("conv", 10, 3, 2, 1, 0, 0, 4).extent
    3
    """

    __slots__ = ()

    @property
    def extent(self) -> int:
        """The dilated kernel extent ``dilation * (kernel - 1) + 1``."""
        return self.dilation * (self.kernel - 1) + 1


def _padding_mode(padding: str, kind: Kind) -> str:
    mode = _ALIASES.get(padding.lower(), padding.lower())
    if mode not in PADDING_MODES:
        allowed = ", ".join(repr(m) for m in PADDING_MODES if kind == "conv" or m != "causal")
        raise ParameterError(
            f"padding must be an int, a (before, after) pair or one of {allowed}; got {show(padding)}"
        )
    if mode == "causal" and kind != "conv":
        what = "a pooling layer" if kind == "pool" else "a transposed convolution"
        raise ParameterError(
            f"padding 'causal' applies to convolutions only, not to {what}; use an explicit (before, after) pair"
        )
    return mode


def _padding_pair(padding: object, name: str = "padding") -> tuple[int, int]:
    """Explicit padding of one axis as ``(before, after)``; strings are handled elsewhere."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        check_int(name, padding, 0)
        return padding, padding
    if isinstance(padding, Sequence) and not isinstance(padding, (str, bytes)):
        if len(padding) != 2:
            raise ParameterError(
                f"{name} must be an int or a (before, after) pair, got {len(padding)} values {show(tuple(padding))}"
            )
        return check_int(f"{name}[0]", padding[0], 0), check_int(f"{name}[1]", padding[1], 0)
    raise TypeError(
        f"{name} must be an int, a (before, after) pair or a padding mode string, got {type_name(padding)} {show(padding)}"
    )


def _same_total(size: int, extent: int, stride: int) -> int:
    """TF/ONNX SAME total padding: ``max((ceil(size/stride) - 1) * stride + extent - size, 0)``."""
    out = -(-size // stride)
    return max((out - 1) * stride + extent - size, 0)


def same_padding(
    size: int, kernel_size: int, stride: int = 1, dilation: int = 1, lower: bool = False
) -> tuple[int, int]:
    """The ``(before, after)`` padding that TF/ONNX 'SAME' adds on one axis.

    The output size is then ``ceil(size / stride)``.  The total is
    ``max((ceil(size/stride) - 1) * stride + extent - size, 0)``, split in half;
    the odd pixel goes at the end (``SAME_UPPER``, TF, Keras, PyTorch's stride-1
    ``'same'``) or, with ``lower=True``, at the beginning (ONNX ``SAME_LOWER``).

    Args:
        size: Input size on this axis (>= 1).
        kernel_size: Kernel (window) size (>= 1).
        stride: Stride (>= 1).
        dilation: Dilation (>= 1).
        lower: Put the odd extra pixel before the input instead of after it.

    Returns:
        ``(before, after)``.

    >>> same_padding(10, 4)
    (1, 2)
    >>> same_padding(5, 4, stride=2, lower=True)
    (2, 1)
    """
    size = as_index("size", size, 1)
    kernel = as_index("kernel_size", kernel_size, 1)
    stride = as_index("stride", stride, 1)
    dilation = as_index("dilation", dilation, 1)
    lower = as_flag("lower", lower)
    total = _same_total(size, dilation * (kernel - 1) + 1, stride)
    small, big = total // 2, total - total // 2
    return (big, small) if lower else (small, big)


class AxisParams(_Params):
    """The hyper-parameters of one axis, validated: everything but the input size."""

    __slots__ = ()


def axis_params(
    kind: Kind,
    kernel_size: object,
    stride: object,
    padding: object,
    dilation: object = 1,
    output_padding: object = 0,
    ceil_mode: object = False,
    *,
    padding_limit: bool = True,
) -> AxisParams:
    """Validate the hyper-parameters of one axis; no input size is needed.

    Pooling padding is at most ``kernel_size // 2`` (PyTorch's rule) unless *padding_limit* is
    false (ONNX's pools take any padding).

    Raises:
        TypeError: A value of the wrong Python type.
        ParameterError: A value outside its domain, whatever the input.
    """
    kernel = check_int("kernel_size", kernel_size, 1)
    stride_ = check_int("stride", stride, 1)
    dilation_ = check_int("dilation", dilation, 1)
    out_pad = check_int("output_padding", output_padding, 0)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be a bool, got {type_name(ceil_mode)} {show(ceil_mode)}")
    pad: tuple[int, int] | str = (
        _padding_mode(padding, kind) if isinstance(padding, str) else _padding_pair(padding)
    )
    if kind == "pool" and padding_limit and not isinstance(pad, str):
        limit = kernel // 2
        worst = max(pad)
        if worst > limit:
            raise ParameterError(
                f"padding {show(worst)} exceeds half the window ({show(kernel)} // 2 = {show(limit)}): pooling "
                f"padding must be at most kernel_size // 2 (PyTorch's rule; a MaxPool or AvgPool with "
                f"convention='onnx' takes any); use padding <= {show(limit)}"
            )
    if kind == "transpose":
        if pad in ("same", "same_lower"):
            if out_pad:
                raise ParameterError(
                    f"output_padding {show(out_pad)} cannot be combined with padding {pad!r}, "
                    "which fixes the output at size * stride; use explicit padding"
                )
        elif not (out_pad < stride_ or out_pad < dilation_):
            raise ParameterError(
                f"output_padding must be smaller than either stride or dilation (PyTorch's rule), "
                f"got output_padding {show(out_pad)} with stride {show(stride_)} and dilation {show(dilation_)}; "
                f"use output_padding <= {show(max(stride_, dilation_) - 1)}"
            )
    elif out_pad:
        raise ParameterError(f"output_padding applies to transposed convolutions only, got {show(out_pad)}")
    return AxisParams(kind, kernel, stride_, dilation_, pad, out_pad, ceil_mode)


def apply_axis(params: AxisParams, size: int) -> AxisWindow:
    """Apply validated hyper-parameters to an input size.

    Raises:
        ShapeError: The window does not fit this input (no output, or an empty one).
    """
    kind, kernel, stride, dilation = params.kind, params.kernel, params.stride, params.dilation
    extent = dilation * (kernel - 1) + 1
    mode: str | None = None
    if isinstance(params.padding, str):
        mode = params.padding
        if mode == "valid":
            before = after = 0
        elif mode == "causal":
            before, after = extent - 1, 0
        else:
            if kind == "transpose":
                total = (size - 1) * stride + extent - size * stride
            else:
                total = _same_total(size, extent, stride)
            small, big = total // 2, total - total // 2
            before, after = (big, small) if mode == "same_lower" else (small, big)
    else:
        before, after = params.padding

    if kind == "transpose":
        op = params.output_padding
        out = (size - 1) * stride - before - after + extent + op
        if out < 1:
            most = (size - 1) * stride + extent + op - 1
            raise ShapeError(
                f"the output size ({show(size)} - 1) x {show(stride)} - {show(before)} - {show(after)} "
                f"+ {show(extent)} + {show(op)} = {show(out)} is below 1; use at most {show(most)} padding in total",
                where="padding",
                value=(before, after),
            )
        return AxisWindow(kind, size, kernel, stride, dilation, before, after, out, op, False, mode)

    padded = size + before + after
    if kind == "conv" and padded < extent:
        raise ShapeError(
            _too_big(size, kernel, dilation, before, after, mode), where="kernel_size", value=kernel
        )
    if params.ceil_mode:
        out = -(-(padded - extent) // stride) + 1
        if (out - 1) * stride >= size + before:
            out -= 1
    else:
        out = (padded - extent) // stride + 1
    if out < 1:
        terms = f"{show(size)} + {show(before)} + {show(after)} - {show(extent)}"
        rounding = f"ceil(({terms}) / {show(stride)})" if params.ceil_mode else f"({terms}) // {show(stride)}"
        raise ShapeError(
            f"the output size {rounding} + 1 = {show(out)} is below 1; use a smaller window, "
            f"or an input of at least {show(extent - before - after)}",
            where="kernel_size",
            value=kernel,
        )
    return AxisWindow(kind, size, kernel, stride, dilation, before, after, out, 0, params.ceil_mode, mode)


def resolve_axis(
    kind: Kind,
    size: object,
    kernel_size: object,
    stride: object,
    padding: object,
    dilation: object = 1,
    output_padding: object = 0,
    ceil_mode: object = False,
) -> AxisWindow:
    """Validate one axis of a window layer and compute its output (the shared core)."""
    size_ = check_int("size", size, 1)
    params = axis_params(kind, kernel_size, stride, padding, dilation, output_padding, ceil_mode)
    return apply_axis(params, size_)


def _too_big(size: int, kernel: int, dilation: int, before: int, after: int, mode: str | None) -> str:
    extent = dilation * (kernel - 1) + 1
    padded = size + before + after
    need = -(-(extent - size) // 2)
    largest = (padded - 1) // dilation + 1
    fix = "padding='same'" if mode is not None else f"padding >= {show(need)} on each side"
    return (
        f"the kernel extent {show(extent)} (dilation {show(dilation)} x ({show(kernel)} - 1) + 1) "
        f"exceeds the padded input {show(padded)} ({show(size)} + {show(before)} + {show(after)}); "
        f"use {fix}, or a kernel of at most {show(largest)}"
        + (f" at dilation {show(dilation)}" if dilation > 1 else "")
    )


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: PaddingArg = 0, dilation: int = 1
) -> int:
    """Output size of a convolution on one axis.

    ``(size + before + after - dilation * (kernel_size - 1) - 1) // stride + 1``,
    exactly as PyTorch's ``Conv*d`` (and TF/Keras/ONNX for the padding strings).
    A kernel larger than the padded input is refused, as PyTorch refuses it.

    Args:
        size: Input size on this axis (>= 1).
        kernel_size: Kernel size (>= 1).
        stride: Stride (>= 1).
        padding: An int, a ``(before, after)`` pair, or ``"valid"``, ``"same"``,
            ``"same_lower"``, ``"causal"``.
        dilation: Dilation (>= 1).

    Returns:
        The output size, at least 1.

    Raises:
        ShapeError: The kernel does not fit the padded input.
        ParameterError: A hyper-parameter is out of range.
        TypeError: An argument is not an int (or padding form).

    >>> conv_output_size(83, 9)
    75
    >>> conv_output_size(10, 3, stride=2, padding="same")
    5
    >>> conv_output_size(7, 3, stride=2, padding="causal")
    4
    """
    n, k, s, p, d = _plain_args(
        size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation
    )
    return resolve_axis("conv", n, k, s, p, d).output


def conv_transpose_output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: PaddingArg = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output size of a transposed convolution on one axis.

    ``(size - 1) * stride - before - after + dilation * (kernel_size - 1) + output_padding + 1``
    (PyTorch ``ConvTranspose*d``; ONNX ``ConvTranspose`` with begin/end pads).
    ``output_padding`` must be smaller than the stride or the dilation (PyTorch).
    ``"same"``/``"same_lower"`` give ``size * stride`` (ONNX, TF, Keras);
    ``"valid"`` means no padding.

    >>> conv_transpose_output_size(5, 3, stride=2, padding=1)
    9
    >>> conv_transpose_output_size(5, 3, stride=2, padding=1, output_padding=1)
    10
    >>> conv_transpose_output_size(5, 1, stride=3, padding="same")
    15
    """
    n, k, s, p, d, op = _plain_args(
        size=size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=output_padding,
    )
    return resolve_axis("transpose", n, k, s, p, d, op).output


def pool_output_size(
    size: int,
    kernel_size: int,
    stride: int | None = None,
    padding: PaddingArg = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output size of a max or average pooling layer on one axis.

    The stride defaults to the window size.  Floor mode is the convolution
    rule.  In ceil mode the quotient is rounded up and the last window is
    dropped if it would start inside the right padding (PyTorch; ONNX opset 22).
    Explicit padding may not exceed ``kernel_size // 2`` (PyTorch's rule).

    >>> pool_output_size(75, 10, stride=5)
    14
    >>> pool_output_size(5, 2, ceil_mode=True)
    3
    >>> pool_output_size(8, 3, stride=3, padding=1, ceil_mode=True)
    3
    """
    flag = as_flag("ceil_mode", ceil_mode)
    if stride is None:
        stride = kernel_size
    n, k, s, p, d = _plain_args(
        size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation
    )
    return resolve_axis("pool", n, k, s, p, d, 0, flag).output


def uncovered_inputs(
    size: int,
    kernel_size: int,
    stride: int | None = 1,
    padding: PaddingArg = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """How many input positions on one axis no window ever reads.

    Every framework floors a stride that does not tile the input, silently
    dropping the last rows or columns; a dilation larger than the stride can
    also skip positions inside the input.  This function says how many.
    ``stride=None`` means "equal to the window", as for pooling.

    >>> uncovered_inputs(10, 3, stride=2)   # CS231n's "invalid" W=10, F=3, S=2
    1
    >>> uncovered_inputs(227, 11, stride=4)
    0
    """
    flag = as_flag("ceil_mode", ceil_mode)
    if stride is None:
        stride = kernel_size
    n, k, s, p, d = _plain_args(
        size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation
    )
    kind: Kind = "pool" if flag else "conv"
    window = resolve_axis(kind, n, k, s, p, d, 0, flag)
    count = count_uncovered(window)
    if count is None:
        raise ParameterError(
            f"too many dilated taps to count exactly (kernel_size {show(window.kernel)}, stride "
            f"{show(window.stride)}, dilation {show(window.dilation)}: more than {MAX_RESIDUES:,} tap "
            "residues, convshape.arithmetic.MAX_RESIDUES)",
            where="dilation",
        )
    return count


#: beyond this many tap residues (a dilated kernel and a stride both in the millions) the
#: uncovered count is not computed
MAX_RESIDUES = 10_000


def count_uncovered(axis: AxisWindow) -> int | None:
    """Input positions no window of a resolved (non-transposed) axis touches.

    Exact for any size without a position-by-position scan: windows are intervals (dilation 1);
    dilated taps, grouped by their position modulo the stride, form equally spaced runs.
    ``None`` only for absurd sizes (over MAX_RESIDUES tap residues to consider).
    """
    size, k, s, d, pl, o = axis.size, axis.kernel, axis.stride, axis.dilation, axis.before, axis.output
    if d == 1 or k == 1:
        return size - _covered_by_intervals(size, k, s, pl, o)
    # Taps t and t + period land on the same residue modulo s, one step of d // g further on.
    g = gcd(d, s)
    period, step = s // g, d // g
    classes = min(k, period)
    if classes > MAX_RESIDUES:
        return None
    covered = 0
    for first in range(classes):
        start = first * d - pl
        r = start % s  # positions r + m * s; tap first + j * period covers m0 + j * step ...
        m0 = (start - r) // s  # ... up to m0 + j * step + o - 1
        taps = (k - 1 - first) // period + 1
        top = (size - 1 - r) // s  # the last lattice point inside the input
        if top >= 0:
            covered += _covered_by_intervals(top + 1, o, step, -m0, taps)
    return size - covered


def _covered_by_intervals(size: int, k: int, s: int, pl: int, o: int) -> int:
    """Input positions covered by windows [j*s - pl, j*s - pl + k - 1], j = 0..o-1 (dilation 1)."""

    def clipped(j: int) -> int:
        lo, hi = j * s - pl, j * s - pl + k - 1
        return max(0, min(hi, size - 1) - max(lo, 0) + 1)

    if s <= k:  # windows overlap or touch: one run
        lo, hi = -pl, (o - 1) * s - pl + k - 1
        return max(0, min(hi, size - 1) - max(lo, 0) + 1)
    # disjoint windows: those fully inside count k each; at most a few are clipped
    first_full = -(-pl // s)  # first window starting at >= 0
    last_full = (size - k + pl) // s  # last window ending at <= size - 1
    first_full, last_full = max(first_full, 0), min(last_full, o - 1)
    if first_full > last_full:  # no window fully inside: only a handful can touch the input
        return sum(clipped(j) for j in range(max(0, first_full - 1), min(o, first_full + 2)))
    total = (last_full - first_full + 1) * k
    total += sum(clipped(j) for j in range(max(0, first_full - 2), first_full))
    total += sum(clipped(j) for j in range(last_full + 1, min(o, last_full + 3)))
    return total


def _plain(name: str, value: object, depth: int = 2) -> object:
    """*value* with integer scalars (``numpy.int64``) made ints and lists made tuples, *depth* levels down.

    Anything else is returned as it is, for the checks that follow to refuse by name.

    Raises:
        ParameterError: A sequence longer than :data:`MAX_AXES` (its entries are never read).
    """
    if type(value) is int or isinstance(value, (str, bytes, bool, float)) or value is None:
        return value
    if hasattr(type(value), "__index__") and not isinstance(value, Sequence):
        try:
            return as_index(name, value)
        except TypeError:
            return value  # a bool-like or an array: refused by name later
    if isinstance(value, Sequence) and depth > 0:
        try:
            n = len(value)
        except (OverflowError, TypeError, ValueError):
            n = MAX_AXES + 1
        if n > MAX_AXES:
            raise ParameterError(
                f"{name} has more than {MAX_AXES:,} entries (convshape.arithmetic.MAX_AXES); "
                "give one entry per spatial axis"
            )
        try:
            items = [value[i] for i in range(n)]
        except Exception:  # a sequence whose entries cannot be read
            raise TypeError(
                f"{name} must be a sequence whose entries can be read, got {type_name(value)}"
            ) from None
        return tuple(_plain(f"{name}[{i}]", v, depth - 1) for i, v in enumerate(items))
    return value


def _plain_args(**values: object) -> tuple[object, ...]:
    """:func:`_plain` on each named argument, in order."""
    return tuple(_plain(name, value) for name, value in values.items())


# ---------------------------------------------------------------------------
# All axes at once.


def broadcast(name: str, value: object, ndim: int) -> tuple[object, ...]:
    """One value per axis: an int (or a padding string) repeats, a sequence must have *ndim* entries."""
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return (value,) * ndim
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        if len(value) != ndim:
            raise with_rank(
                ParameterError(
                    f"{name} has {len(value)} entries {show(tuple(value))} for {ndim} spatial "
                    f"ax{'is' if ndim == 1 else 'es'}; give one int, or one entry per axis",
                    parameter=name,
                    value=tuple(value),
                ),
                len(value),
            )
        return tuple(value)
    raise TypeError(
        f"{name} must be an int or a sequence with one entry per axis, got {type_name(value)} {show(value)}"
    )


def spatial_shape_arg(spatial_shape: object) -> tuple[int, ...]:
    """Validate a spatial shape: a non-empty sequence of ints >= 1."""
    if isinstance(spatial_shape, (str, bytes)) or not isinstance(spatial_shape, Sequence):
        raise TypeError(
            f"spatial_shape must be a sequence of ints, got {type_name(spatial_shape)} {show(spatial_shape)}"
        )
    shape = _plain("spatial_shape", spatial_shape, 1)
    assert isinstance(shape, tuple)
    if not shape:
        raise ParameterError("spatial_shape must have at least one axis, got ()")
    return tuple(check_int(f"spatial_shape[{i}]", v, 1) for i, v in enumerate(shape))


def ndim_hint(**values: object) -> int | None:
    """The number of axes the per-axis sequences among *values* imply (``None`` if all are scalars).

    Raises:
        ParameterError: Two sequences disagree on the number of axes.
    """
    lengths: dict[str, int] = {}
    for name, value in values.items():
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            lengths[name] = len(value)
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ParameterError(f"per-axis values disagree on the number of axes: {shown}")
    return next(iter(lengths.values()), None)


def axes_params(
    kind: Kind,
    ndim: int,
    kernel_size: object,
    stride: object,
    padding: object,
    dilation: object = 1,
    output_padding: object = 0,
    ceil_mode: object = False,
    *,
    padding_limit: bool = True,
) -> tuple[AxisParams, ...]:
    """Validate the hyper-parameters of every axis; errors name the axis when there are several."""
    per_axis = [
        broadcast(name, value, ndim)
        for name, value in (
            ("kernel_size", kernel_size),
            ("stride", stride),
            ("padding", padding),
            ("dilation", dilation),
            ("output_padding", output_padding),
        )
    ]
    result = []
    for axis in range(ndim):
        k, s, p, d, op = (values[axis] for values in per_axis)
        try:
            result.append(axis_params(kind, k, s, p, d, op, ceil_mode, padding_limit=padding_limit))
        except ParameterError as err:
            raise (err.located(f"axis {axis}") if ndim > 1 else err) from None
        except TypeError as err:
            raise (TypeError(f"axis {axis}: {err}") if ndim > 1 else err) from None
    return tuple(result)


def resolve_axes(
    kind: Kind,
    spatial_shape: Sequence[int],
    kernel_size: object,
    stride: object,
    padding: object,
    dilation: object = 1,
    output_padding: object = 0,
    ceil_mode: bool = False,
) -> tuple[AxisWindow, ...]:
    """:func:`resolve_axis` on every axis; errors name the axis when there are several."""
    ndim = len(spatial_shape)
    params = axes_params(kind, ndim, kernel_size, stride, padding, dilation, output_padding, ceil_mode)
    result = []
    for axis, (size, axis_param) in enumerate(zip(spatial_shape, params, strict=True)):
        try:
            result.append(apply_axis(axis_param, size))
        except ShapeError as err:
            raise (err.located(f"axis {axis}") if ndim > 1 else err) from None
    return tuple(result)


def _shape(windows: tuple[AxisWindow, ...]) -> tuple[int, ...]:
    return tuple(w.output for w in windows)


def conv_output_shape(
    spatial_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: PaddingArg | Sequence[PaddingArg] = 0,
    dilation: int | Sequence[int] = 1,
) -> tuple[int, ...]:
    """Output spatial shape of a convolution, every axis at once.

    Each hyper-parameter is one int for every axis or a sequence with one entry
    per axis.  ``padding`` is one string for every axis, one int, or a sequence
    of per-axis ints or ``(before, after)`` pairs.  Errors name the axis.

    >>> conv_output_shape((7, 9), (3, 2), stride=(2, 3), padding=(1, 0), dilation=(2, 1))
    (3, 3)
    >>> conv_output_shape((5, 5), 3, padding=[(0, 2), (1, 3)])
    (5, 7)
    """
    shape = spatial_shape_arg(spatial_shape)
    k, s, p, d = _plain_args(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    return _shape(resolve_axes("conv", shape, k, s, p, d))


def conv_transpose_output_shape(
    spatial_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: PaddingArg | Sequence[PaddingArg] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
) -> tuple[int, ...]:
    """Output spatial shape of a transposed convolution, every axis at once.

    >>> conv_transpose_output_shape((4, 5, 6), (3, 2, 1), stride=(2, 1, 3), padding=(1, 0, 0), output_padding=(1, 0, 2))
    (8, 6, 18)
    """
    shape = spatial_shape_arg(spatial_shape)
    k, s, p, d, op = _plain_args(
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=output_padding,
    )
    return _shape(resolve_axes("transpose", shape, k, s, p, d, op))


def pool_output_shape(
    spatial_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: PaddingArg | Sequence[PaddingArg] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """Output spatial shape of a pooling layer, every axis at once (stride defaults to the window).

    >>> pool_output_shape((112, 112), 3, stride=2, padding=1)
    (56, 56)
    """
    flag = as_flag("ceil_mode", ceil_mode)
    shape = spatial_shape_arg(spatial_shape)
    k, s, p, d = _plain_args(
        kernel_size=kernel_size,
        stride=kernel_size if stride is None else stride,
        padding=padding,
        dilation=dilation,
    )
    return _shape(resolve_axes("pool", shape, k, s, p, d, 0, flag))
