"""Layer specs: frozen descriptions of what each layer does to a shape.

Shapes are ``(channels, *spatial)`` without the batch axis; the number of spatial
axes comes from the input, so one ``Conv`` serves 1-D, 2-D and 3-D inputs.
Everything after the first one or two arguments is keyword-only.  Every value is
validated when a spec is built (and window parameters resolved once); tracing
(:func:`convshape.trace`) is then arithmetic only.

>>> from convshape import Conv
>>> Conv(256, 9, groups=4).describe()
'Conv(256, 9, groups=4)'
>>> Conv(250, 3, groups=4)
Traceback (most recent call last):
...
convshape.errors.ParameterError: Conv: out_channels 250 is not divisible by groups 4 (250 / 4 = 62.5); use a groups value that divides 250, such as 1, 2, 5, 10

Each leaf answers three questions, the first at trace time, the others only when a
report row is displayed:

* ``_effect(shape, problems)``: the output shape, parameters, 2-D kernels, MACs and how the
  receptive field moves (problems are appended, never raised); ``_apply`` does the same and
  moves the receptive field too (the layers a network is mostly made of do it in one step);
* ``_windows(shape)``: the per-axis arithmetic, for explanations and pictures;
* ``_notes(shape)``: remarks that are not errors.
"""

from __future__ import annotations

from _collections_abc import Sequence  # what collections.abc re-exports, without its 2 ms import
from math import prod

from convshape._frozen import KW_ONLY, frozen
from convshape.arithmetic import (
    AxisParams,
    AxisWindow,
    apply_axis,
    axes_params,
    count_uncovered,
    ndim_hint,
)
from convshape.errors import (
    ConvShapeError,
    ParameterError,
    ShapeError,
    check_int,
    check_number,
    on_axis,
    show,
    type_name,
    with_rank,
)
from convshape.receptive import PhasedField, ReceptiveField, move, transpose
from convshape.tables import RandomTable, block_table, normalise_table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, Literal, Union

    from convshape.arithmetic import Kind

    #: A shape without the batch axis; ``None`` marks a size that could not be determined.
    Shape = tuple[Union[int, None], ...]
    IntOrTuple = Union[int, Sequence[int]]
    PaddingSpec = Union[int, str, Sequence[Union[int, Sequence[int]]]]
    #: How a layer moves the receptive field: per axis ``(extent, stride, before)``, or
    #: ``(extent, stride, before, dilation)`` (``None`` where undefined), ``None`` if it ends
    #: it, ``"keep"`` if it moves no pixels.
    Step = Union[tuple[int, int, int], tuple[int, int, int, int]]
    RFStep = Union[tuple[Union[Step, None], ...], None, Literal["keep"]]
    #: What ``_effect`` returns: output shape, params, kernels, MACs, receptive-field step.
    Effect = tuple[Union[Shape, None], int, int, int, RFStep]
    Fields = Union[tuple[Union[ReceptiveField, PhasedField, None], ...], None]
    #: What ``_apply`` returns: output shape, params, kernels, MACs, moved receptive fields.
    Result = tuple[Union[Shape, None], int, int, int, Fields]
    #: a Conv's connection table: per output map, the sorted input maps it sums
    Table = tuple[tuple[int, ...], ...]
    #: what ``connections=`` accepts; a table is stored as a ``Table``
    Connections = Union[str, RandomTable, Sequence[Sequence[int]], None]
    #: (extent, stride, before, after, output_padding) of an axis with explicit padding, floor mode
    Fast = Union[tuple[int, int, int, int, int], None]
    #: what the tracer's inline fast path reads (see PASS, NORM, WINDOW)
    FastOp = tuple[Any, ...]

__all__ = [
    "Activation",
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "AvgPool",
    "BatchNorm",
    "Conv",
    "ConvTranspose",
    "Dropout",
    "EuclideanRBF",
    "Flatten",
    "Identity",
    "Layer",
    "Linear",
    "MaxPool",
    "Pad",
    "Shared",
    "Subsample",
    "Unused",
    "Upsample",
]

KEEP: Literal["keep"] = "keep"
#: the result of a layer that could not compute its output
FAILED: Effect = (None, 0, 0, 0, None)


def fmt_shape(shape: Shape | None) -> str:
    """``(64, 75, 75)``, with ``?`` for undetermined sizes.

    >>> fmt_shape((64, None, 75))
    '(64, ?, 75)'
    """
    if shape is None:
        return "(?)"
    inner = ", ".join("?" if v is None else show(v) for v in shape)  # show: a huge size by its length
    return f"({inner}{',' if len(shape) == 1 else ''})"


def _tuple_or_int(name: str, value: object, minimum: int) -> IntOrTuple:
    """An int, or a non-empty sequence of ints stored as a tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        return check_int(name, value, minimum)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if not value:
            raise ParameterError(f"{name} must not be empty")
        return tuple(check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(value))
    raise TypeError(f"{name} must be an int or a sequence of ints, got {type_name(value)} {show(value)}")


def _padding_spec(value: object) -> PaddingSpec:
    """A padding string, an int, or per-axis ints / (before, after) pairs stored as tuples."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        if not value:
            raise ParameterError("padding must not be empty")
        out: list[int | tuple[int, ...]] = []
        for i, v in enumerate(value):
            if isinstance(v, Sequence) and not isinstance(v, (str, bytes)):
                out.append(tuple(v))
            elif isinstance(v, int) and not isinstance(v, bool):
                out.append(v)
            else:
                raise TypeError(
                    f"padding[{i}] must be an int or a (before, after) pair, got {type_name(v)} {show(v)}"
                )
        return tuple(out)
    raise TypeError(
        f"padding must be an int, a padding string, or one int or (before, after) pair per axis, "
        f"got {type_name(value)} {show(value)}"
    )


_set = object.__setattr__

# The tracer applies the most common leaves inline, from a tuple each derives once when built
# (``Layer._op``); a container keeps its children's tuples side by side (``Sequential._ops``).
# The first entry says which rule applies.  Anything the tuple cannot settle (an unknown size,
# a map that is not square, a problem to report) goes through the layer's own ``_apply``.
#: the shape passes through, no parameters: ``(PASS,)``
PASS = 0
#: BatchNorm: ``(NORM, parameters per channel)``
NORM = 1
#: a sliding window with explicit padding on every axis: ``(WINDOW, extent, stride, before,
#: after, moves, out_channels, groups, in_channels, kernel area, bias parameters)``; *moves* is
#: false for a window that leaves the receptive field as it is (1 x 1, stride 1, no padding);
#: a pooling window's *out_channels* and what follows are None
WINDOW = 2
#: global pooling, a window as large as the map: ``(GLOBAL,)``
GLOBAL = 3
#: Flatten of every axis: ``(FLATTEN,)``
FLATTEN = 4
#: Linear: ``(LINEAR, out_features, in_features, bias parameters)``
LINEAR = 5
#: a transposed convolution with explicit padding on every axis, for its own ``_apply`` only
#: (the tracer does not apply it inline): ``(TRANSPOSE, extent, stride, before, after,
#: output_padding)``
TRANSPOSE = 6
#: how deeply nested Sequentials and Residuals the tracer walks in place, without frames
INLINE_DEPTH = 8
_PASS_OP: FastOp = (PASS,)
_NORM_OPS: tuple[FastOp, ...] = ((NORM, 0), (NORM, 1), (NORM, 2))
_GLOBAL_OP: FastOp = (GLOBAL,)
_FLATTEN_OP: FastOp = (FLATTEN,)
_new = tuple.__new__
#: every framework stores sizes as 64-bit integers
_INT64 = float(2**63)


def _number(name: str, value: object) -> float:
    """A real number as a float; an int too large for a float is infinite (then refused)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return float("inf") if value > 0 else float("-inf")
    return check_number(name, value)


def _short(value: object) -> str:
    """``repr`` of a value, with integers too long to print shown by their size."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
    return repr(value)


def _ratio(a: int, b: int) -> str:
    """``a / b`` for a message, without overflowing a float."""
    if a.bit_length() > 1000 or b.bit_length() > 1000:
        return "not a whole number"
    return f"{a / b:g}"


def _check_name(obj: object, name: object) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"{type(obj).__name__}: name must be a str or None, got {type_name(name)} {show(name)}"
        )


def _check_bool(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be a bool, got {type_name(value)} {show(value)}")


class Layer:
    """Base class of every layer spec, leaf or container.

    Use it in type hints and ``isinstance`` checks; build networks from its subclasses.

    >>> from convshape import Conv, Layer, Sequential
    >>> isinstance(Conv(8, 3), Layer), isinstance(Sequential(), Layer)
    (True, True)
    """

    __slots__ = ()
    name: str | None
    #: fields shown positionally by describe()
    _positional: ClassVar[tuple[str, ...]] = ()
    #: set by the spec machinery (convshape._frozen)
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, object]] = {}
    #: containers are walked by the tracer; leaves are applied
    _container: ClassVar[bool] = False
    #: what the tracer's inline fast path needs, derived when the spec is built (see FastOp),
    #: or None: the tracer calls :meth:`_apply`
    _op: FastOp | None = None
    #: for a container, the nesting depth of containers it holds, if the tracer may walk it in
    #: place (only Sequentials and Residuals, at most INLINE_DEPTH deep); 0: it takes a frame
    _flat: int = 0

    @property
    def kind(self) -> str:
        """The layer's kind, e.g. ``'Conv'``.

        >>> from convshape import MaxPool
        >>> MaxPool(2).kind
        'MaxPool'
        """
        return type(self).__name__

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        """What this leaf does to *shape*; problems are appended to *problems*."""
        raise NotImplementedError(f"{self.kind} is a container; trace() walks its children")

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        """:meth:`_effect`, with the receptive fields *fields* moved through the layer."""
        out, params, kernels, macs, step = self._effect(shape, problems)
        return out, params, kernels, macs, move(fields, step)

    def _windows(self, shape: Shape | None) -> tuple[AxisWindow | None, ...]:
        """The per-axis window arithmetic on *shape* (window layers only; for display)."""
        return ()

    def _notes(self, shape: Shape | None) -> tuple[str, ...]:
        """Remarks about this layer on *shape* that are not errors."""
        return ()

    #: whether training changes this layer's parameters (an RBF output's are fixed)
    _trainable: ClassVar[bool] = True

    def _bias_adds(self, output_shape: Shape | None) -> int:
        """Additions of a bias per sample on *output_shape* (counted in ``Row.connections``)."""
        return 0

    def _buffers(self, output_shape: Shape | None) -> int:
        """Non-parameter state saved with the weights (a BatchNorm's running statistics)."""
        return 0

    def describe(self) -> str:
        """A compact description: the kind and the values that differ from the defaults.

        >>> from convshape import MaxPool
        >>> MaxPool(10, stride=5).describe()
        'MaxPool(10, stride=5)'
        """
        parts: list[str] = []
        defaults = self._defaults
        positional = self._positional
        # trailing positional values left at their defaults are not shown: LayerNorm(), Squeeze()
        shown = len(positional)
        while (
            shown
            and positional[shown - 1] in defaults
            and getattr(self, positional[shown - 1]) == defaults[positional[shown - 1]]
        ):
            shown -= 1
        for name in self._fields:
            if name in ("name", "in_channels", "in_features"):
                continue
            value = getattr(self, name)
            if name in positional:
                if positional.index(name) < shown:
                    parts.append(repr(value))
            elif name not in defaults or value != defaults[name]:
                parts.append(f"{name}={show(value)}")
        return f"{self.kind}({', '.join(parts)})"


def _no_spatial(shape: Shape, at_input: bool = False) -> ShapeError:
    cause = (
        f"the network's input has no spatial axis: give its spatial sizes too, e.g. ({shape[0]}, 224, 224)"
        if at_input
        else "a Flatten or Linear earlier in the network removed the spatial axes"
    )
    err = ShapeError(
        f"expects an input (channels, *spatial) with at least one spatial axis, got {fmt_shape(shape)}; {cause}"
    )
    err.no_spatial = True  # type: ignore[attr-defined]
    return err


# ---------------------------------------------------------------------------
# Sliding windows: convolutions, transposed convolutions, pooling.


def _fast(params: AxisParams) -> Fast:
    if isinstance(params.padding, str) or params.ceil_mode:
        return None
    before, after = params.padding
    extent = params.dilation * (params.kernel - 1) + 1
    return (extent, params.stride, before, after, params.output_padding)


class _Window(Layer):
    """Shared logic of the sliding-window layers: hyper-parameters resolved once, when built."""

    __slots__ = ()
    _window_kind: ClassVar[Kind]
    _private = ("_general", "_op")
    #: the rank the values fix (0: any) and the validated per-axis parameters (one per axis, or
    #: one for any rank); left unset for plain ints, the common case, from which
    #: :meth:`_axis_params` makes them when they are needed (read through it and ``_rank``)
    _general: tuple[int, tuple[AxisParams, ...]]
    #: the common case, one explicit-padding floor-mode window for every axis (see WINDOW and
    #: TRANSPOSE), else None: the tracer's inline rule, and this layer's own fast path
    _op: FastOp | None

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        raise NotImplementedError

    def _limits_padding(self) -> bool:
        """Whether pooling padding is at most kernel_size // 2 (PyTorch's rule; see _Pool)."""
        return True

    def _axes_params(self, ndim: int) -> tuple[AxisParams, ...]:
        return axes_params(self._window_kind, ndim, *self._axis_args(), padding_limit=self._limits_padding())

    def _resolve(self) -> None:
        """Validate the window parameters once; a per-axis tuple fixes the rank."""
        k, s, p, d, op, ceil = self._axis_args()
        kind = self._window_kind
        if (  # the common case: plain ints within their domains, checked at once
            type(k) is int and type(s) is int and type(p) is int and type(d) is int and op == 0
            and k >= 1 and s >= 1 and d >= 1 and p >= 0
            and (kind != "pool" or p <= k // 2 or not self._limits_padding())
        ):  # fmt: skip
            _set(self, "_op", None if ceil else self._window_op(d * (k - 1) + 1, s, p, p, 0))
            return
        try:
            rank = ndim_hint(kernel_size=k, stride=s, padding=p, dilation=d, output_padding=op) or 0
            params = self._axes_params(rank or 1)
        except ConvShapeError as err:
            raise err.located(self.kind) from None
        _set(self, "_general", (rank, params))
        same = None if rank else _fast(params[0])
        _set(self, "_op", None if same is None else self._window_op(*same))

    def _window_op(self, extent: int, stride: int, before: int, after: int, output_padding: int) -> FastOp:
        """``_op`` of a window with these values on every axis (see WINDOW)."""
        if self._window_kind == "transpose":
            return (TRANSPOSE, extent, stride, before, after, output_padding)
        moves = extent != 1 or stride != 1 or before != 0
        return (WINDOW, extent, stride, before, after, moves, None, None, None, None, None)

    def _axis_params(self) -> tuple[AxisParams, ...]:
        """The validated per-axis parameters (see ``_general``)."""
        general: tuple[int, tuple[AxisParams, ...]] | None = getattr(self, "_general", None)
        if general is None:  # plain ints, checked when built
            k, s, p, d, _, ceil = self._axis_args()
            return (_new(AxisParams, (self._window_kind, k, s, d, (p, p), 0, ceil)),)
        return general[1]

    @property
    def _rank(self) -> int:
        """The number of spatial axes the values fix, 0 if any (see ``_general``)."""
        general: tuple[int, tuple[AxisParams, ...]] | None = getattr(self, "_general", None)
        return 0 if general is None else general[0]

    def _axes(self, ndim: int, problems: list[ConvShapeError]) -> tuple[AxisParams, ...] | None:
        if not self._rank:
            return self._axis_params() * ndim
        if self._rank == ndim:
            return self._axis_params()
        try:  # the same error as an explicit per-axis call: which value has how many entries
            self._axes_params(ndim)
        except ParameterError as err:
            problems.append(err)
        return None

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        op = self._op
        spatial: Shape = shape[1:]
        if op is None or not spatial:
            return Layer._apply(self, shape, fields, problems)
        # The common case: one explicit-padding window on every axis, each distinct size
        # computed once, the field of a square map moved once.  Anything unusual (a size
        # unknown or too small) goes the general way, which has the messages.
        _, extent, stride, before, after = op[:5]
        transposed = op[0] == TRANSPOSE
        output_padding = op[5] if transposed else 0
        outs: list[int] = []
        last = out = 0
        for size in spatial:
            if size != last:
                if size is None:
                    return Layer._apply(self, shape, fields, problems)
                if transposed:
                    out = (size - 1) * stride - before - after + extent + output_padding
                else:
                    out = (size + before + after - extent) // stride + 1
                if out < 1:
                    return Layer._apply(self, shape, fields, problems)
                last = size
            outs.append(out)
        spatial = tuple(outs)
        n = len(outs)
        moved: Fields
        if transposed or fields is None:
            moved = None  # ConvTranspose._apply moves the field
        elif fields.count(fields[0]) == n and fields[0].__class__ is ReceptiveField:  # a square field
            size, jump, padding = fields[0]
            moved = (
                _new(ReceptiveField, (size + (extent - 1) * jump, jump * stride, padding + before * jump)),
            ) * n
        else:
            moved = move(fields, ((extent, stride, before, self._axis_params()[0].dilation),) * n)
        return self._finish(shape, spatial, moved, problems)

    def _finish(self, shape: Shape, spatial: Shape, moved: Fields, problems: list[ConvShapeError]) -> Result:
        """The result once the output sizes are known (a pooling layer keeps the channels)."""
        return (shape[0], *spatial), 0, 0, 0, moved

    def _slide(self, shape: Shape, problems: list[ConvShapeError]) -> tuple[Shape, RFStep] | None:
        """Output spatial sizes and receptive-field steps, axis by axis, with the full rule and
        its messages where it fails; ``None`` if the rank does not fit."""
        ndim = len(shape) - 1
        every = self._axis_params()
        if not self._rank:
            fast = (_fast(every[0]),) * ndim
        elif self._rank == ndim:
            fast = tuple(_fast(params) for params in every)
        else:
            self._axes(ndim, problems)
            return None
        transpose = self._window_kind == "transpose"
        outs: list[int | None] = []
        steps: list[Step | None] = []
        for axis in range(ndim):
            size = shape[axis + 1]
            if size is None:
                outs.append(None)
                steps.append(None)
                continue
            f = fast[axis]
            if f is not None:
                extent, stride, before, after, op = f
                if transpose:
                    out = (size - 1) * stride - before - after + extent + op
                else:
                    out = (size + before + after - extent) // stride + 1
                if out >= 1:
                    outs.append(out)
                    steps.append((extent, stride, before, every[axis if self._rank else 0].dilation))
                    continue
            params = every[axis if self._rank else 0]
            try:  # padding strings, ceil mode, and every failure: the full rule with its message
                window = apply_axis(params, size)
            except ShapeError as err:
                problems.append(err.located(f"axis {axis}") if ndim > 1 else on_axis(err, axis))
                outs.append(None)
                steps.append(None)
                continue
            outs.append(window.output)
            steps.append((window.extent, window.stride, window.before, window.dilation))
        return tuple(outs), (None if transpose else tuple(steps))

    def _windows(self, shape: Shape | None) -> tuple[AxisWindow | None, ...]:
        if shape is None or len(shape) < 2:
            return ()
        params = self._axes(len(shape) - 1, [])
        if params is None:
            return ()
        windows: list[AxisWindow | None] = []
        for size, axis_params in zip(shape[1:], params, strict=True):
            try:
                windows.append(None if size is None else apply_axis(axis_params, size))
            except ShapeError:
                windows.append(None)
        return tuple(windows)

    def _uncovered(self, shape: Shape | None) -> tuple[int | None, ...]:
        """Per axis, input positions no window reads (``()`` for transposed convolutions)."""
        if self._window_kind == "transpose":
            return ()
        return tuple(None if w is None else count_uncovered(w) for w in self._windows(shape))


def _rank_of(value: IntOrTuple) -> int:
    return 1 if isinstance(value, int) else len(value)


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in [d for d in range(1, min(n, 10_000) + 1) if n % d == 0][:4])


class _ConvBase(_Window):
    """Shared checks and counts of Conv and ConvTranspose: channels, kernels, parameters, MACs."""

    __slots__ = ()
    out_channels: int
    kernel_size: IntOrTuple
    stride: IntOrTuple
    padding: PaddingSpec
    dilation: IntOrTuple
    groups: int
    bias: bool
    in_channels: int | None

    def _check_common(self) -> None:
        out, g, name = self.out_channels, self.groups, self.name
        if (  # the common case, checked at once: _resolve then checks the window values
            type(out) is int and type(g) is int and out >= 1 and g >= 1 and not out % g
            and self.in_channels is None and type(self.bias) is bool and (name is None or type(name) is str)
            and type(self.kernel_size) is int and type(self.stride) is int and type(self.dilation) is int
            and type(self.padding) in (int, str)
        ):  # fmt: skip
            return
        owner = self.kind
        try:
            check_int("out_channels", self.out_channels, 1)
            check_int("groups", self.groups, 1)
            if self.in_channels is not None:
                check_int("in_channels", self.in_channels, 1)
        except ParameterError as err:
            raise err.located(owner) from None
        except TypeError as err:
            raise TypeError(f"{owner}: {err}") from None
        _check_bool(owner, "bias", self.bias)
        _check_name(self, self.name)
        g = self.groups
        for label, value in (("out_channels", self.out_channels), ("in_channels", self.in_channels)):
            if value is not None and value % g:
                raise ParameterError(
                    f"{label} {_short(value)} is not divisible by groups {_short(g)} "
                    f"({_short(value)} / {_short(g)} = {_ratio(value, g)}); "
                    f"use a groups value that divides {_short(value)}, such as {_divisors(value)}",
                    where=owner,
                    parameter="groups",
                    value=g,
                )
        try:
            _set(self, "kernel_size", _tuple_or_int("kernel_size", self.kernel_size, 1))
            _set(self, "stride", _tuple_or_int("stride", self.stride, 1))
            _set(self, "dilation", _tuple_or_int("dilation", self.dilation, 1))
            _set(self, "padding", _padding_spec(self.padding))
        except ParameterError as err:  # (a TypeError names its field, as spec files report it)
            raise err.located(owner) from None

    def _bias_adds(self, output_shape: Shape | None) -> int:
        if not self.bias or output_shape is None or None in output_shape:
            return 0
        return prod(output_shape)  # type: ignore[arg-type]

    def _channels_ok(self, cin: int | None, problems: list[ConvShapeError]) -> bool:
        """Check the incoming channels against in_channels and groups; True if counts can be made."""
        if cin is None:
            return False
        if self.in_channels is not None and cin != self.in_channels:
            problems.append(
                ShapeError(
                    f"in_channels is {self.in_channels} but the input has {cin} channel{'s' if cin != 1 else ''}; "
                    f"use in_channels={cin}, or make the previous layer produce {self.in_channels}",
                    where="in_channels",
                    value=self.in_channels,
                )
            )
        if cin % self.groups:
            problems.append(
                ShapeError(
                    f"the input's {cin} channels are not divisible by groups {self.groups} "
                    f"({cin} / {self.groups} = {_ratio(cin, self.groups)}); use a groups value that divides "
                    f"both {cin} and {self.out_channels}",
                    where="groups",
                    value=self.groups,
                )
            )
            return False
        return True

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if len(shape) < 2:
            problems.append(_no_spatial(shape))
            return FAILED
        countable = self._channels_ok(shape[0], problems)
        slid = self._slide(shape, problems)
        if slid is None:
            return FAILED
        spatial, step = slid
        out, params, kernels, macs = self._counts(shape, spatial, countable)
        return out, params, kernels, macs, step

    def _finish(self, shape: Shape, spatial: Shape, moved: Fields, problems: list[ConvShapeError]) -> Result:
        cin = shape[0]
        groups = self.groups
        if cin is None or cin % groups or (self.in_channels is not None and cin != self.in_channels):
            countable = self._channels_ok(cin, problems)
            out, params, kernels, macs = self._counts(shape, spatial, countable)
            return out, params, kernels, macs, moved
        # as _counts, for the common case
        out_channels = self.out_channels
        k = self.kernel_size
        taps = k ** len(spatial) if isinstance(k, int) else prod(k)
        kernels = out_channels * (cin // groups)
        weights = kernels * taps
        positions = shape[1:] if self._window_kind == "transpose" else spatial
        macs = 0 if None in positions else weights * prod(positions)  # type: ignore[arg-type]
        return (out_channels, *spatial), weights + (out_channels if self.bias else 0), kernels, macs, moved

    def _counts(self, shape: Shape, spatial: Shape, countable: bool) -> tuple[Shape, int, int, int]:
        """Output shape, parameters, kernels and MACs."""
        out = (self.out_channels, *spatial)
        cin = shape[0]
        if not countable or cin is None:
            return out, 0, 0, 0
        k = self.kernel_size
        taps = k ** len(spatial) if isinstance(k, int) else prod(k)
        kernels = self.out_channels * (cin // self.groups)
        params = kernels * taps + (self.out_channels if self.bias else 0)
        # a convolution works per output position, a transposed one per input position
        positions = shape[1:] if self._window_kind == "transpose" else spatial
        macs = 0 if None in positions else kernels * taps * prod(positions)  # type: ignore[arg-type]
        return out, params, kernels, macs


@frozen
class Conv(_ConvBase):
    """A convolution (PyTorch ``Conv1d/2d/3d``), any number of spatial axes.

    Args:
        out_channels: Output maps.
        kernel_size: One int for every axis, or one per axis.
        stride: Stride, one int or one per axis.
        padding: An int, ``"valid"``, ``"same"``, ``"same_lower"``, ``"causal"``, or one int
            or ``(before, after)`` pair per axis.
        dilation: Dilation, one int or one per axis.
        groups: Groups; each output map sees ``in_channels / groups`` input maps.
        bias: Whether the layer has a bias.
        in_channels: If given, checked against the incoming shape.
        connections: Which input maps each output map sums: ``None`` or ``"full"`` (all),
            ``"one_to_one"``, a :class:`~convshape.RandomTable`, or a table with one sequence
            of input maps per output map (see :func:`~convshape.table_from_pairs`); the kernels
            are then the table's connections.  Not with ``groups > 1``.
        name: A label for reports and error messages.

    >>> from convshape import trace
    >>> trace(Conv(64, 9), (1, 83, 83)).output_shape
    (64, 75, 75)
    >>> trace(Conv(16, 5, connections=[[0, 1, 2]] * 16), (6, 14, 14)).total_kernels
    48
    """

    out_channels: int
    kernel_size: IntOrTuple
    _: KW_ONLY
    stride: IntOrTuple = 1
    padding: PaddingSpec = 0
    dilation: IntOrTuple = 1
    groups: int = 1
    bias: bool = True
    in_channels: int | None = None
    connections: Connections = None
    name: str | None = None

    _window_kind: ClassVar[Kind] = "conv"
    _positional: ClassVar[tuple[str, ...]] = ("out_channels", "kernel_size")

    def __post_init__(self) -> None:
        out, k, s, p, d, g = (
            self.out_channels, self.kernel_size, self.stride, self.padding, self.dilation, self.groups
        )  # fmt: skip
        if (  # the common case, checked at once: plain ints within their domains (a subclass,
            # which may change the checks below, takes them)
            out.__class__ is int and k.__class__ is int and s.__class__ is int and p.__class__ is int
            and d.__class__ is int and g.__class__ is int and self.bias.__class__ is bool
            and out >= 1 and k >= 1 and s >= 1 and p >= 0 and d >= 1 and g >= 1 and not out % g
            and self.in_channels is None and self.connections is None
            and (self.name is None or self.name.__class__ is str) and self.__class__ is Conv
        ):  # fmt: skip
            _set(self, "_op", self._window_op(d * (k - 1) + 1, s, p, p, 0))
            return
        self._check_common()
        self._resolve()
        if self.connections is not None:
            self._check_connections()

    # -- connection tables: kept off the common path.  A Conv with a table has no ``_op``
    # window, so it is traced through ``_effect`` (below), never through ``_finish``.

    def _check_connections(self) -> None:
        value = self.connections
        if isinstance(value, str):
            if value == "full":
                _set(self, "connections", None)
                return
            if value != "one_to_one":
                raise ParameterError(
                    f"connections must be 'full', 'one_to_one', a RandomTable or a table, got {show(value)}",
                    where="Conv",
                )
        elif not isinstance(value, RandomTable):
            try:
                _set(self, "connections", normalise_table(value, self.out_channels))
            except ParameterError as err:
                raise err.located("Conv") from None
            except TypeError as err:
                raise TypeError(f"Conv: {err}") from None
        if self.groups != 1:
            raise ParameterError(
                f"connections and groups={self.groups} both choose which input maps each output map sees; "
                "give one of them (groups is the block-diagonal table)",
                where="Conv",
            )
        if self.in_channels is not None:  # the input is known: check the table now
            problem = self._table_problem(self.in_channels)
            if problem is not None:
                raise ParameterError(f"{problem.detail} (in_channels={self.in_channels})", where="Conv")
        _set(self, "_op", None)

    def _window_op(self, extent: int, stride: int, before: int, after: int, output_padding: int) -> FastOp:
        out, k = self.out_channels, self.kernel_size
        moves = extent != 1 or stride != 1 or before != 0  # as _Window's
        area = k * k  # type: ignore[operator]  # an int: a per-axis kernel has no _op
        return (WINDOW, extent, stride, before, after, moves, out, self.groups, self.in_channels, area,
                out if self.bias else 0)  # fmt: skip

    def connection_table(self, in_channels: int) -> Table:
        """Per output map, the input maps it sums, for *in_channels* input maps.

        Every convolution has one: all input maps (the default), a block per group
        (``groups``), or the ``connections`` table.

        >>> Conv(4, 3, groups=2).connection_table(2)
        ((0,), (0,), (1,), (1,))
        >>> Conv(3, 3, connections="one_to_one").connection_table(3)
        ((0,), (1,), (2,))
        """
        check_int("in_channels", in_channels, 1)
        value = self.connections
        if value is None:
            if in_channels % self.groups:
                raise ShapeError(
                    f"{in_channels} input maps are not divisible by groups {self.groups}", where="Conv"
                )
            return block_table(in_channels, self.out_channels, self.groups)
        problem = self._table_problem(in_channels)
        if problem is not None:
            raise problem.located("Conv")
        if value == "one_to_one":
            return tuple((o,) for o in range(self.out_channels))
        if isinstance(value, RandomTable):
            return value.draw(in_channels, self.out_channels)
        return value  # type: ignore[return-value]

    def _table_problem(self, cin: int) -> ConvShapeError | None:
        value = self.connections
        if value == "one_to_one":
            if cin != self.out_channels:
                return ShapeError(
                    f"connections='one_to_one' needs as many input maps as output maps, got {cin} input maps "
                    f"for {self.out_channels} output maps; use out_channels={cin}",
                    where="connections",
                )
        elif isinstance(value, RandomTable):
            if value.fan_in > cin:
                return ShapeError(
                    f"RandomTable fan_in {value.fan_in} exceeds the input's {cin} maps; use fan_in <= {cin}",
                    where="connections",
                )
        else:
            assert isinstance(value, tuple)
            top = max(max(inputs) for inputs in value)
            if top >= cin:
                where = next(o for o, inputs in enumerate(value) if top in inputs)
                return ShapeError(
                    f"the table connects output map {where} to input map {top}, but the input has {cin} maps "
                    f"(0 .. {cin - 1}); use indices below {cin}",
                    where="connections",
                )
        return None

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if self.connections is None:
            return _ConvBase._effect(self, shape, problems)
        result = _ConvBase._effect(self, shape, problems)
        out, _, _, _, step = result
        cin = shape[0]
        if out is None or cin is None or len(shape) < 2:
            return result
        problem = self._table_problem(cin)
        if problem is not None:
            problems.append(problem)
            return out, 0, 0, 0, step
        value = self.connections
        if value == "one_to_one":
            kernels = self.out_channels
        elif isinstance(value, RandomTable):
            kernels = value.fan_in * self.out_channels
        else:
            kernels = sum(len(inputs) for inputs in value)
        spatial = out[1:]
        k = self.kernel_size
        taps = k ** len(spatial) if isinstance(k, int) else prod(k)
        params = kernels * taps + (self.out_channels if self.bias else 0)
        macs = 0 if None in spatial else kernels * taps * prod(spatial)  # type: ignore[arg-type]
        return out, params, kernels, macs, step

    def __repr__(self) -> str:  # connections=None, the default, is left out (as before the field existed)
        values = zip(self._fields, self._values(self), strict=True)  # type: ignore[attr-defined]
        inner = ", ".join(f"{n}={show(v)}" for n, v in values if n != "connections" or v is not None)
        return f"Conv({inner})"

    def describe(self) -> str:
        text = _ConvBase.describe(self)
        value = self.connections
        if isinstance(value, tuple):  # a long table: its size, not its entries
            count = sum(len(inputs) for inputs in value)
            text = text.replace(f"connections={show(value)}", f"connections=<table of {count} connections>")
        return text

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        return self.kernel_size, self.stride, self.padding, self.dilation, 0, False


@frozen
class ConvTranspose(_ConvBase):
    """A transposed convolution (PyTorch ``ConvTranspose1d/2d/3d``).

    ``padding`` is, as in PyTorch, the padding of the convolution this layer transposes: it
    trims the output; ``(before, after)`` pairs follow ONNX's begin/end pads.  MACs are counted
    over the input positions.  With a stride above 1 the receptive field's stride becomes a
    fraction and which inputs a feature sees depends on its phase (a
    :class:`~convshape.receptive.PhasedField`, exact per phase).

    >>> from convshape import trace
    >>> report = trace(ConvTranspose(8, 4, stride=2, padding=1), (16, 8, 8))
    >>> report.output_shape, report.receptive_field[0]
    ((8, 16, 16), PhasedField(stride=Fraction(1, 2), spans=((-1, 0), (0, 1))))
    """

    out_channels: int
    kernel_size: IntOrTuple
    _: KW_ONLY
    stride: IntOrTuple = 1
    padding: PaddingSpec = 0
    output_padding: IntOrTuple = 0
    dilation: IntOrTuple = 1
    groups: int = 1
    bias: bool = True
    in_channels: int | None = None
    name: str | None = None

    _window_kind: ClassVar[Kind] = "transpose"
    _positional: ClassVar[tuple[str, ...]] = ("out_channels", "kernel_size")

    def __post_init__(self) -> None:
        self._check_common()
        try:
            _set(self, "output_padding", _tuple_or_int("output_padding", self.output_padding, 0))
        except ParameterError as err:
            raise err.located("ConvTranspose") from None
        self._resolve()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        return self.kernel_size, self.stride, self.padding, self.dilation, self.output_padding, False

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        out, params, kernels, macs, _ = _Window._apply(self, shape, None, problems)
        if out is None or fields is None:
            return out, params, kernels, macs, None
        windows = self._windows(shape)
        if len(windows) != len(fields):
            return out, params, kernels, macs, None
        moved = tuple(
            None if f is None or w is None else transpose(f, w.kernel, w.stride, w.dilation, w.before)
            for f, w in zip(fields, windows, strict=True)
        )
        return out, params, kernels, macs, moved


#: the frameworks whose pooling rules a MaxPool or AvgPool can follow
CONVENTIONS = ("pytorch", "onnx")


class _Pool(_Window):
    __slots__ = ()
    _window_kind: ClassVar[Kind] = "pool"
    kernel_size: IntOrTuple
    stride: IntOrTuple | None
    padding: PaddingSpec
    ceil_mode: bool

    def _limits_padding(self) -> bool:
        return getattr(self, "convention", "pytorch") == "pytorch"

    def _check_convention(self) -> None:
        value = getattr(self, "convention", "pytorch")
        if type(value) is not str or value not in CONVENTIONS:
            raise ParameterError(
                f"convention must be 'pytorch' (padding at most kernel_size // 2) or 'onnx' (any padding, "
                f"and dilation for AvgPool), got {show(value)}",
                where=self.kind,
                parameter="convention",
                value=value,
            )

    def _check_pool(self) -> None:
        self._check_convention()
        stride, name = self.stride, self.name
        if (  # the common case, checked at once: _resolve then checks the window values
            type(self.kernel_size) is int and (stride is None or type(stride) is int)
            and type(self.padding) in (int, str) and type(self.ceil_mode) is bool
            and (name is None or type(name) is str)
        ):  # fmt: skip
            return
        _set(self, "kernel_size", _tuple_or_int("kernel_size", self.kernel_size, 1))
        if self.stride is not None:
            _set(self, "stride", _tuple_or_int("stride", self.stride, 1))
        _set(self, "padding", _padding_spec(self.padding))
        _check_bool(self.kind, "ceil_mode", self.ceil_mode)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if len(shape) < 2:
            problems.append(_no_spatial(shape))
            return FAILED
        slid = self._slide(shape, problems)
        if slid is None:
            return FAILED
        spatial, step = slid
        return (shape[0], *spatial), 0, 0, 0, step


@frozen
class MaxPool(_Pool):
    """Max pooling (PyTorch ``MaxPool1d/2d/3d``); the stride defaults to the window.

    *convention* says whose rules the padding follows: ``"pytorch"``, at most
    ``kernel_size // 2`` on each side, or ``"onnx"``, any padding (ONNX's MaxPool allows it;
    :func:`~convshape.from_onnx` sets it).

    >>> from convshape import trace
    >>> trace(MaxPool(10, stride=5), (64, 75, 75)).output_shape
    (64, 14, 14)
    >>> trace(MaxPool(3, padding=2, convention="onnx"), (8, 5, 5)).output_shape
    (8, 3, 3)
    """

    kernel_size: IntOrTuple
    _: KW_ONLY
    stride: IntOrTuple | None = None
    padding: PaddingSpec = 0
    dilation: IntOrTuple = 1
    ceil_mode: bool = False
    convention: str = "pytorch"
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("kernel_size",)

    def __post_init__(self) -> None:
        self._check_pool()
        _set(self, "dilation", _tuple_or_int("dilation", self.dilation, 1))
        self._resolve()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        stride = self.kernel_size if self.stride is None else self.stride
        return self.kernel_size, stride, self.padding, self.dilation, 0, self.ceil_mode


@frozen
class AvgPool(_Pool):
    """Average pooling (PyTorch ``AvgPool1d/2d/3d``); the stride defaults to the window.

    *convention* says whose rules apply: ``"pytorch"`` (the default) allows padding of at
    most ``kernel_size // 2``, no dilation, and with three spatial axes requires each input
    size to be at least the window, whatever the padding; ``"onnx"`` (ONNX's AveragePool, as
    :func:`~convshape.from_onnx` reads it) allows any padding and a dilation.

    >>> from convshape import trace
    >>> trace(AvgPool(2), (6, 28, 28)).output_shape
    (6, 14, 14)
    >>> trace(AvgPool(3, stride=1, dilation=2, convention="onnx"), (6, 28, 28)).output_shape
    (6, 24, 24)
    """

    kernel_size: IntOrTuple
    _: KW_ONLY
    stride: IntOrTuple | None = None
    padding: PaddingSpec = 0
    dilation: IntOrTuple = 1
    ceil_mode: bool = False
    convention: str = "pytorch"
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("kernel_size",)

    def __post_init__(self) -> None:
        self._check_pool()
        if type(self.dilation) is not int or self.dilation != 1:
            _set(self, "dilation", _tuple_or_int("dilation", self.dilation, 1))
            if self.convention == "pytorch" and self.dilation not in (1, (1,) * _rank_of(self.dilation)):
                raise ParameterError(
                    f"dilation {show(self.dilation)}: PyTorch's average pooling has no dilation; give "
                    "convention='onnx' for ONNX's AveragePool (dilations from opset 19), or dilation=1",
                    where="AvgPool",
                    parameter="dilation",
                    value=self.dilation,
                )
        self._resolve()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        stride = self.kernel_size if self.stride is None else self.stride
        return self.kernel_size, stride, self.padding, self.dilation, 0, self.ceil_mode

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        if len(shape) == 4 and self.convention == "pytorch":  # the 3-D rule below
            return Layer._apply(self, shape, fields, problems)
        return _Pool._apply(self, shape, fields, problems)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        result = _Pool._effect(self, shape, problems)
        if len(shape) != 4 or result[0] is None or self.convention != "pytorch":
            return result
        kernels = (self.kernel_size,) * 3 if isinstance(self.kernel_size, int) else tuple(self.kernel_size)
        small = False
        for axis, (size, k) in enumerate(zip(shape[1:], kernels, strict=True)):
            if size is not None and size < k:
                problems.append(
                    ShapeError(
                        f"3-D average pooling needs each input size to be at least the window, whatever "
                        f"the padding (PyTorch's avg_pool3d rule): {size} < {k}",
                        where=f"axis {axis}",
                    )
                )
                small = True
        return (None, *result[1:]) if small else result


# ---------------------------------------------------------------------------
# Adaptive pooling


def _check_output_size(owner: Layer, value: object) -> int | tuple[int | None, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return check_int("output_size", value, 1)
        except ParameterError as err:
            raise err.located(owner.kind) from None
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and value:
        out: list[int | None] = []
        for i, v in enumerate(value):
            if v is None:
                out.append(None)
            else:
                try:
                    out.append(check_int(f"output_size[{i}]", v, 1))
                except ParameterError as err:
                    raise err.located(owner.kind) from None
        return tuple(out)
    raise TypeError(
        f"{owner.kind}: output_size must be an int or a sequence of ints or None, got {type_name(value)} {show(value)}"
    )


class _Adaptive(Layer):
    __slots__ = ()
    output_size: int | tuple[int | None, ...]
    _private = ("_op",)

    def __post_init__(self) -> None:
        size = self.output_size
        if not (size.__class__ is int and size >= 1):  # the common case: one int
            size = _check_output_size(self, size)
            _set(self, "output_size", size)
        if self.name is not None:
            _check_name(self, self.name)
        _set(self, "_op", _GLOBAL_OP if size == 1 or size == (1, 1) else None)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if len(shape) < 2:
            problems.append(_no_spatial(shape))
            return FAILED
        ndim = len(shape) - 1
        requested = (self.output_size,) * ndim if isinstance(self.output_size, int) else self.output_size
        if len(requested) != ndim:
            problems.append(
                with_rank(
                    ParameterError(
                        f"output_size has {len(requested)} entries {show(requested)} for {ndim} spatial axes",
                        where="output_size",
                        value=requested,
                    ),
                    len(requested),
                )
            )
            return FAILED
        out = tuple(size if want is None else want for size, want in zip(shape[1:], requested, strict=True))
        steps: list[tuple[int, int, int] | None] = []
        for size, o in zip(shape[1:], out, strict=True):
            if size is None or o is None or size % o:
                steps.append(None)  # uneven bins: no single window size and stride
            else:
                steps.append((size // o, size // o, 0))
        return (shape[0], *out), 0, 0, 0, tuple(steps)


@frozen
class AdaptiveAvgPool(_Adaptive):
    """Adaptive average pooling to a fixed output size (``1`` is global pooling).

    An entry ``None`` keeps that axis' input size.

    >>> from convshape import trace
    >>> trace(AdaptiveAvgPool(1), (2048, 7, 7)).output_shape
    (2048, 1, 1)
    """

    output_size: int | tuple[int | None, ...]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("output_size",)


@frozen
class AdaptiveMaxPool(_Adaptive):
    """Adaptive max pooling to a fixed output size.

    >>> from convshape import trace
    >>> trace(AdaptiveMaxPool((3, None)), (8, 5, 7)).output_shape
    (8, 3, 7)
    """

    output_size: int | tuple[int | None, ...]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("output_size",)


# ---------------------------------------------------------------------------
# Dense layers and shape changes


@frozen
class Linear(Layer):
    """A fully connected layer acting on the last axis, as PyTorch's ``Linear``.

    >>> from convshape import trace
    >>> trace(Linear(101), (256,)).output_shape
    (101,)
    """

    out_features: int
    _: KW_ONLY
    bias: bool = True
    in_features: int | None = None
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("out_features",)
    _private = ("_op",)

    def __post_init__(self) -> None:
        out = self.out_features
        if not (  # the common case, checked at once
            out.__class__ is int and out >= 1 and self.in_features is None and self.bias.__class__ is bool
            and self.name is None
        ):  # fmt: skip
            try:
                check_int("out_features", out, 1)
                if self.in_features is not None:
                    check_int("in_features", self.in_features, 1)
            except ParameterError as err:
                raise err.located("Linear") from None
            except TypeError as err:
                raise TypeError(f"Linear: {err}") from None
            _check_bool("Linear", "bias", self.bias)
            _check_name(self, self.name)
        _set(self, "_op", (LINEAR, out, self.in_features, out if self.bias else 0))

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        out = (*shape[:-1], self.out_features)
        fin = shape[-1]
        if fin is None:
            return out, 0, 0, 0, None
        if self.in_features is not None and fin != self.in_features:
            problems.append(
                ShapeError(
                    f"in_features is {self.in_features} but the input's last axis has {fin} features "
                    f"(input shape {fmt_shape(shape)}); use in_features={fin}",
                    where="in_features",
                    value=self.in_features,
                )
            )
        params = fin * self.out_features + (self.out_features if self.bias else 0)
        rows = shape[:-1]
        macs = 0 if None in rows else fin * self.out_features * prod(rows)  # type: ignore[arg-type]
        return out, params, 0, macs, None

    def _bias_adds(self, output_shape: Shape | None) -> int:
        if not self.bias or output_shape is None or None in output_shape:
            return 0
        return prod(output_shape)  # type: ignore[arg-type]

    def _notes(self, shape: Shape | None) -> tuple[str, ...]:
        if shape is None or len(shape) < 2 or shape[-1] is None:
            return ()
        return (
            f"acts on the last axis only ({shape[-1]} features) as PyTorch does; add Flatten() before it "
            "to use every feature",
        )


@frozen
class Flatten(Layer):
    """Flatten axes ``start_dim..end_dim`` into one (without the batch axis: PyTorch's default
    ``nn.Flatten()`` is ``Flatten()``, ``torch.flatten(x, 2)`` is ``Flatten(1)``).

    >>> from convshape import trace
    >>> trace(Flatten(), (256, 1, 1)).output_shape
    (256,)
    >>> trace(Flatten(1), (768, 14, 14)).output_shape
    (768, 196)
    """

    start_dim: int = 0
    end_dim: int = -1
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("start_dim",)
    _private = ("_op",)

    def __post_init__(self) -> None:
        start, end = self.start_dim, self.end_dim
        if not (start.__class__ is int and end.__class__ is int and self.name is None):
            try:
                check_int("start_dim", start)
                check_int("end_dim", end)
            except TypeError as err:
                raise TypeError(f"Flatten: {err}") from None
            _check_name(self, self.name)
        _set(self, "_op", _FLATTEN_OP if start == 0 and end == -1 else None)

    def describe(self) -> str:
        parts = [] if self.start_dim == 0 else [str(self.start_dim)]
        if self.end_dim != -1:
            parts.append(f"end_dim={self.end_dim}")
        return f"Flatten({', '.join(parts)})"

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        rank = len(shape)
        start, end = self.start_dim, self.end_dim
        if not -rank <= start < rank or not -rank <= end < rank or start % rank > end % rank:
            problems.append(
                ShapeError(
                    f"cannot flatten axes {start}..{end} of an input of rank {rank} {fmt_shape(shape)} "
                    f"(no batch axis); use axes from {-rank} to {rank - 1}, start before end",
                    where="start_dim",
                )
            )
            return FAILED
        start, end = start % rank, end % rank
        merged = shape[start : end + 1]
        total = None if None in merged else prod(merged)  # type: ignore[arg-type]
        out = (*shape[:start], total, *shape[end + 1 :])
        return out, 0, 0, 0, (KEEP if start == end else None)


@frozen
class BatchNorm(Layer):
    """Batch normalisation: ``2 x channels`` parameters when affine (running statistics are buffers).

    Keras' conventions are keywords: ``scale=False`` (or ``center=False``) learns only the shift
    (or only the scale), ``C`` parameters; ``batches_tracked=False`` leaves out PyTorch's
    ``num_batches_tracked`` counter, so the buffers are the ``2 x C`` moving mean and variance.

    >>> from convshape import trace
    >>> trace(BatchNorm(), (64, 56, 56)).total_params
    128
    >>> report = trace(BatchNorm(scale=False, batches_tracked=False), (64, 56, 56))
    >>> report.total_params, report.total_buffers
    (64, 128)
    """

    _: KW_ONLY
    affine: bool = True
    center: bool = True
    scale: bool = True
    batches_tracked: bool = True
    name: str | None = None

    _private = ("_op",)

    def __post_init__(self) -> None:
        if not (  # the common case, checked at once
            self.affine.__class__ is bool and self.center.__class__ is bool and self.scale.__class__ is bool
            and self.batches_tracked.__class__ is bool
        ):  # fmt: skip
            for flag in ("affine", "center", "scale", "batches_tracked"):
                _check_bool("BatchNorm", flag, getattr(self, flag))
        if self.affine and not (self.center or self.scale):
            raise ParameterError(
                "center=False and scale=False learn nothing: use affine=False", where="BatchNorm"
            )
        if self.name is not None:
            _check_name(self, self.name)
        _set(self, "_op", _NORM_OPS[self.center + self.scale if self.affine else 0])

    def _params(self, shape: Shape) -> int:
        channels = shape[0]
        if not self.affine or channels is None:
            return 0
        return channels * (int(self.center) + int(self.scale))

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        return shape, self._params(shape), 0, 0, KEEP

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        return shape, self._params(shape), 0, 0, fields

    def _buffers(self, output_shape: Shape | None) -> int:
        channels = output_shape[0] if output_shape else None
        return 2 * channels + int(self.batches_tracked) if channels is not None else 0


class _Passthrough(Layer):
    """A layer that leaves the shape as it is."""

    __slots__ = ()
    _op: FastOp | None = _PASS_OP

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        return shape, 0, 0, 0, KEEP

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        return shape, 0, 0, 0, fields


@frozen
class Activation(_Passthrough):
    """An element-wise activation; the shape is unchanged.

    >>> Activation("relu6").describe()
    "Activation('relu6')"
    """

    function: str = "relu"
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("function",)

    def __post_init__(self) -> None:
        function = self.function
        if function.__class__ is not str or not function:  # else a non-empty str, the common case
            if not isinstance(function, str):
                raise TypeError(
                    f"Activation: function must be a str, got {type_name(function)} {show(function)}"
                )
            if not function:
                raise ParameterError("function must be a non-empty name such as 'relu'", where="Activation")
        if self.name is not None:
            _check_name(self, self.name)

    def describe(self) -> str:
        return f"Activation({show(self.function)})"


@frozen
class Dropout(_Passthrough):
    """Dropout; the shape is unchanged.

    >>> Dropout(1.5)
    Traceback (most recent call last):
    ...
    convshape.errors.ParameterError: Dropout: p must be between 0 and 1, got 1.5
    """

    p: float = 0.5
    _: KW_ONLY
    name: str | None = None

    def __post_init__(self) -> None:
        try:
            value = _number("p", self.p)
        except TypeError as err:
            raise TypeError(f"Dropout: {err}") from None
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"p must be between 0 and 1, got {_short(self.p)}", where="Dropout")
        _check_name(self, self.name)


@frozen
class Identity(_Passthrough):
    """A layer that passes its input through.

    >>> from convshape import trace
    >>> trace(Identity(), (3, 8, 8)).output_shape
    (3, 8, 8)
    """

    _: KW_ONLY
    name: str | None = None

    def __post_init__(self) -> None:
        _check_name(self, self.name)


@frozen
class Shared(Layer):
    """Another call of a layer whose weights are counted elsewhere: the shapes and MACs of
    *layer*, with *params* parameters on this row (0 for a module called again, as a detection
    head applied to every pyramid level; the adapters set it from the parameters' identities).

    >>> from convshape import Conv, trace
    >>> report = trace([Conv(8, 3, padding=1), Shared(Conv(8, 3, padding=1), of="0")], (8, 16, 16))
    >>> [row.params for row in report.rows], report.rows[1].macs
    ([584, 0], 147456)
    """

    layer: Layer
    _: KW_ONLY
    params: int = 0
    of: str | None = None
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("layer",)

    def __post_init__(self) -> None:
        if not isinstance(self.layer, Layer) or self.layer._container:
            raise TypeError(
                f"Shared: layer must be a leaf layer spec, got {type_name(self.layer)} {show(self.layer)}"
            )
        if self.layer.__class__ is Shared:  # a call of a call is a call of the layer itself
            raise TypeError(
                "Shared: layer is itself a Shared; share its layer instead: Shared(shared.layer, ...)"
            )
        try:
            check_int("params", self.params, 0)
        except TypeError as err:
            raise TypeError(f"Shared: {err}") from None
        except ParameterError as err:
            raise err.located("Shared") from None
        if self.of is not None and not isinstance(self.of, str):
            raise TypeError(f"Shared: of must be a str or None, got {type_name(self.of)} {show(self.of)}")
        _check_name(self, self.name)

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        out, _, kernels, macs, moved = self.layer._apply(shape, fields, problems)
        return out, self.params, kernels if self.params else 0, macs, moved

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        out, _, kernels, macs, step = self.layer._effect(shape, problems)
        return out, self.params, kernels if self.params else 0, macs, step

    def _windows(self, shape: Shape | None) -> tuple[AxisWindow | None, ...]:
        return self.layer._windows(shape)

    def _notes(self, shape: Shape | None) -> tuple[str, ...]:
        if self.of is None:
            return (
                f"weights not counted here (fixed buffers, or derived from parameters); this row counts {self.params:,} parameters",
            )
        return (
            f"weights shared with another call (counted at {self.of}); this row counts {self.params:,} parameters",
        )

    def describe(self) -> str:
        return f"Shared({self.layer.describe()}" + (f", of={show(self.of)})" if self.of else ")")


@frozen
class Unused(_Passthrough):
    """Parameters of a model that its forward never uses (an auxiliary head, a layer left over),
    kept in the report so the totals equal the model's; the shape passes through.

    >>> from convshape import trace
    >>> trace(Unused(1000, module="aux_logits"), (3, 8, 8)).total_params
    1000
    """

    params: int
    _: KW_ONLY
    module: str | None = None
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("params",)

    def __post_init__(self) -> None:
        try:
            check_int("params", self.params, 0)
        except TypeError as err:
            raise TypeError(f"Unused: {err}") from None
        except ParameterError as err:
            raise err.located("Unused") from None
        if self.module is not None and not isinstance(self.module, str):
            raise TypeError(
                f"Unused: module must be a str or None, got {type_name(self.module)} {show(self.module)}"
            )
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        return shape, self.params, 0, 0, KEEP

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        return shape, self.params, 0, 0, fields

    def _notes(self, shape: Shape | None) -> tuple[str, ...]:
        where = f" of {self.module}" if self.module else ""
        return (f"{self.params:,} parameters{where} that the forward never uses",)


@frozen
class Upsample(Layer):
    """Nearest-neighbour upsampling by a scale factor (``floor(size * scale)``, PyTorch) or to a fixed size.

    The receptive field stays exact through a whole factor (output ``o`` copies input
    ``o // factor``) and ends otherwise.

    >>> from convshape import trace
    >>> trace(Upsample(scale_factor=2), (64, 28, 28)).output_shape
    (64, 56, 56)
    """

    _: KW_ONLY
    scale_factor: float | Sequence[float] | None = None
    size: IntOrTuple | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if (self.scale_factor is None) == (self.size is None):
            raise ParameterError("give exactly one of scale_factor and size", where="Upsample")
        if self.scale_factor is not None:
            values = (
                self.scale_factor
                if isinstance(self.scale_factor, Sequence) and not isinstance(self.scale_factor, str)
                else (self.scale_factor,)
            )
            try:
                checked = [_number(f"scale_factor[{i}]", v) for i, v in enumerate(values)]
            except TypeError as err:
                raise TypeError(f"Upsample: {err}") from None
            if not checked or any(not 0 < v < float("inf") for v in checked):
                raise ParameterError(
                    f"scale_factor must be a positive finite number, got {_short(self.scale_factor)}",
                    where="Upsample",
                )
            if isinstance(self.scale_factor, Sequence):
                _set(self, "scale_factor", tuple(self.scale_factor))
        if self.size is not None:
            _set(self, "size", _tuple_or_int("size", self.size, 1))
        _check_name(self, self.name)

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        out, params, kernels, macs, _ = self._effect(shape, problems)
        if out is None or fields is None or len(fields) != len(out) - 1:
            return out, params, kernels, macs, None
        scales = self.scale_factor
        if scales is not None and not isinstance(scales, Sequence):
            scales = (scales,) * len(fields)
        moved: list[ReceptiveField | PhasedField | None] = []
        for axis, (field, before, after) in enumerate(zip(fields, shape[1:], out[1:], strict=True)):
            # nearest neighbour by a whole factor f: output o copies input o // f, a transposed
            # convolution with kernel f and stride f; other factors end the field
            if (
                field is None or before is None or after is None or after % before
                or (scales is not None and scales[axis] != after // before)
            ):  # fmt: skip
                moved.append(None)
            else:
                factor = after // before
                moved.append(transpose(field, factor, factor) if factor > 1 else field)
        return out, params, kernels, macs, tuple(moved)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if len(shape) < 2:
            problems.append(_no_spatial(shape))
            return FAILED
        ndim = len(shape) - 1
        if self.size is not None:
            sizes = (self.size,) * ndim if isinstance(self.size, int) else tuple(self.size)
            if len(sizes) != ndim:
                problems.append(
                    with_rank(
                        ParameterError(
                            f"size has {len(sizes)} entries for {ndim} spatial axes",
                            where="size",
                            value=sizes,
                        ),
                        len(sizes),
                    )
                )
                return FAILED
            return (shape[0], *sizes), 0, 0, 0, None
        assert self.scale_factor is not None
        scales = (
            tuple(self.scale_factor)
            if isinstance(self.scale_factor, Sequence)
            else (self.scale_factor,) * ndim
        )
        if len(scales) != ndim:
            problems.append(
                with_rank(
                    ParameterError(
                        f"scale_factor has {len(scales)} entries for {ndim} spatial axes",
                        where="scale_factor",
                        value=scales,
                    ),
                    len(scales),
                )
            )
            return FAILED
        out: list[int | None] = []
        for axis, (size, scale) in enumerate(zip(shape[1:], scales, strict=True)):
            if size is None:
                out.append(None)
                continue
            product = float(size) * float(scale)  # PyTorch: int64(double(size) * scale)
            if not product < _INT64:
                problems.append(
                    ShapeError(
                        f"the output size floor({size} x {scale:g}) = {product:g} does not fit in 64 bits "
                        "(at most 2**63 - 1, the frameworks' limit); use a smaller scale_factor",
                        where=f"axis {axis}",
                    )
                )
                out.append(None)
                continue
            value = int(product)
            if value < 1:
                problems.append(
                    ShapeError(
                        f"the output size floor({size} x {scale:g}) = {value} is below 1; use a larger scale_factor",
                        where=f"axis {axis}",
                    )
                )
                out.append(None)
            else:
                out.append(value)
        return (shape[0], *out), 0, 0, 0, None


class _Padding(Layer):
    __slots__ = ()
    _private = ("_pairs",)
    #: (before, after) per axis, or a single pair for every axis
    _pairs: tuple[tuple[int, int], ...]


@frozen
class Pad(_Padding):
    """Zero padding of the spatial axes: one int for every side, or one int or (before, after) pair per axis.

    >>> from convshape import trace
    >>> trace(Pad([(1, 2), (0, 1)]), (3, 5, 5)).output_shape
    (3, 8, 6)
    """

    padding: int | Sequence[int | Sequence[int]]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("padding",)

    def __post_init__(self) -> None:
        if isinstance(self.padding, str):
            raise TypeError(
                f"Pad: padding must be ints or (before, after) pairs, got str {show(self.padding)}"
            )
        spec = _padding_spec(self.padding)
        hint = ndim_hint(padding=spec)
        try:
            params = axes_params("conv", hint or 1, 1, 1, spec)
        except ParameterError as err:
            raise err.located("Pad") from None
        _set(self, "padding", spec)
        _set(self, "_pairs", tuple((p.padding[0], p.padding[1]) for p in params))
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if len(shape) < 2:
            problems.append(_no_spatial(shape))
            return FAILED
        ndim = len(shape) - 1
        pairs = self._pairs
        if isinstance(self.padding, int):
            pairs = pairs * ndim
        elif len(pairs) != ndim:
            try:
                axes_params("conv", ndim, 1, 1, self.padding)
            except ParameterError as err:
                problems.append(err)
            return FAILED
        out = tuple(
            None if size is None else size + b + a for size, (b, a) in zip(shape[1:], pairs, strict=True)
        )
        return (shape[0], *out), 0, 0, 0, tuple((1, 1, b) for b, _ in pairs)


# ---------------------------------------------------------------------------
# The 1998 LeNet-5's own layers


@frozen
class Subsample(_Pool):
    """Trainable subsampling (LeNet-5's S2 and S4): each window's inputs are summed, multiplied
    by one trainable coefficient per map and a trainable bias per map is added (a squashing
    function follows as a separate :class:`Activation`).

    Two parameters per map.  MACs count each input of a window once (the sum times the
    coefficient is one multiply-add per input); the stride defaults to the window.

    >>> from convshape import trace
    >>> row = trace(Subsample(2), (6, 28, 28)).rows[0]
    >>> row.output_shape, row.params, row.macs
    ((6, 14, 14), 12, 4704)
    """

    kernel_size: IntOrTuple
    _: KW_ONLY
    stride: IntOrTuple | None = None
    padding: PaddingSpec = 0
    ceil_mode: bool = False
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("kernel_size",)

    def __post_init__(self) -> None:
        self._check_pool()
        self._resolve()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        stride = self.kernel_size if self.stride is None else self.stride
        return self.kernel_size, stride, self.padding, 1, 0, self.ceil_mode

    def _counts(self, shape: Shape, spatial: Shape) -> tuple[int, int]:
        channels = shape[0]
        if channels is None:
            return 0, 0
        k = self.kernel_size
        taps = k ** len(spatial) if isinstance(k, int) else prod(k)
        macs = 0 if None in spatial else channels * taps * prod(spatial)  # type: ignore[arg-type]
        return 2 * channels, macs

    def _finish(self, shape: Shape, spatial: Shape, moved: Fields, problems: list[ConvShapeError]) -> Result:
        params, macs = self._counts(shape, spatial)
        return (shape[0], *spatial), params, 0, macs, moved

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        out, _, _, _, step = result = _Pool._effect(self, shape, problems)
        if out is None:
            return result
        params, macs = self._counts(shape, out[1:])
        return out, params, 0, macs, step

    def _bias_adds(self, output_shape: Shape | None) -> int:
        if output_shape is None or None in output_shape:
            return 0
        return prod(output_shape)  # type: ignore[arg-type]


@frozen
class EuclideanRBF(Layer):
    """Euclidean radial basis function units (LeNet-5's output layer): unit ``i`` computes
    ``sum_j (x_j - w_ij) ** 2`` over the last axis.

    The ``in_features x out_features`` parameters are fixed (chosen by hand, not trained):
    they count in ``params`` but not in ``Row.trainable_params``.  MACs count one
    multiply-add per (input, unit) pair; there is no bias.

    >>> from convshape import trace
    >>> report = trace(EuclideanRBF(10), (84,))
    >>> report.total_params, report.total_trainable_params, report.total_macs
    (840, 0, 840)
    """

    out_features: int
    _: KW_ONLY
    in_features: int | None = None
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("out_features",)
    _trainable: ClassVar[bool] = False

    def __post_init__(self) -> None:
        try:
            check_int("out_features", self.out_features, 1)
            if self.in_features is not None:
                check_int("in_features", self.in_features, 1)
        except ParameterError as err:
            raise err.located("EuclideanRBF") from None
        except TypeError as err:
            raise TypeError(f"EuclideanRBF: {err}") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        out = (*shape[:-1], self.out_features)
        fin = shape[-1]
        if fin is None:
            return out, 0, 0, 0, None
        if self.in_features is not None and fin != self.in_features:
            problems.append(
                ShapeError(
                    f"in_features is {self.in_features} but the input's last axis has {fin} features "
                    f"(input shape {fmt_shape(shape)}); use in_features={fin}",
                    where="in_features",
                    value=self.in_features,
                )
            )
        rows = shape[:-1]
        macs = 0 if None in rows else fin * self.out_features * prod(rows)  # type: ignore[arg-type]
        return out, fin * self.out_features, 0, macs, None


#: the classes whose ``_op`` the tracer applies inline; a subclass (which may override the rules
#: in ``_apply``) is applied by its own ``_apply``
INLINE: frozenset[type[Layer]] = frozenset(
    {Conv, MaxPool, AvgPool, BatchNorm, Activation, Dropout, Identity, AdaptiveAvgPool, AdaptiveMaxPool}
    | {Flatten, Linear}
)
