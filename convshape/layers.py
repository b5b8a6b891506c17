"""Layer specs: frozen descriptions of what each layer does to a shape.

Shapes are ``(channels, *spatial)`` without the batch axis; the number of spatial
axes comes from the input, so one ``Conv`` serves 1-D, 2-D and 3-D inputs.
Everything after the first one or two arguments is keyword-only.  Whatever can
be checked without an input is checked when a spec is built; the rest when it
is traced (:func:`convshape.trace`).

>>> from convshape import Conv
>>> Conv(256, 9, groups=4).describe()
'Conv(256, 9, groups=4)'
>>> Conv(250, 3, groups=4)
Traceback (most recent call last):
...
convshape.errors.ParameterError: Conv: out_channels 250 is not divisible by groups 4 (250 / 4 = 62.5); use a groups value that divides 250, such as 1, 2, 5, 10
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, MISSING, dataclass, field, fields
from math import prod
from typing import ClassVar, Literal, Union

from convshape.arithmetic import (
    AxisParams,
    AxisWindow,
    Kind,
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
    type_name,
)

__all__ = [
    "Activation",
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "AvgPool",
    "BatchNorm",
    "Conv",
    "ConvTranspose",
    "Dropout",
    "Flatten",
    "Identity",
    "Layer",
    "Linear",
    "MaxPool",
    "Pad",
    "Upsample",
]

#: A shape without the batch axis; ``None`` marks a size that could not be determined.
Shape = tuple[Union[int, None], ...]
IntOrTuple = Union[int, Sequence[int]]
PaddingSpec = Union[int, str, Sequence[Union[int, Sequence[int]]]]
#: Per-axis receptive-field steps ``(extent, stride, before)``; ``None`` where undefined.
RFStep = Union[tuple[Union[tuple[int, int, int], None], ...], None, Literal["keep"]]


@dataclass(slots=True)
class Effect:
    """What one leaf layer does to one input shape (the tracer turns it into a report row)."""

    output: Shape | None
    params: int = 0
    kernels: int = 0
    macs: int = 0
    rf: RFStep = "keep"
    windows: tuple[AxisWindow | None, ...] = ()
    uncovered: tuple[int | None, ...] = ()
    problems: list[ConvShapeError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fmt_shape(shape: Shape | None) -> str:
    """``(64, 75, 75)``, with ``?`` for undetermined sizes.

    >>> fmt_shape((64, None, 75))
    '(64, ?, 75)'
    """
    if shape is None:
        return "(?)"
    inner = ", ".join("?" if v is None else str(v) for v in shape)
    return f"({inner}{',' if len(shape) == 1 else ''})"


def _tuple_or_int(name: str, value: object, minimum: int) -> IntOrTuple:
    """An int, or a non-empty sequence of ints stored as a tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        return check_int(name, value, minimum)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if not value:
            raise ParameterError(f"{name} must not be empty")
        return tuple(check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(value))
    raise TypeError(f"{name} must be an int or a sequence of ints, got {type_name(value)} {value!r}")


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
                    f"padding[{i}] must be an int or a (before, after) pair, got {type_name(v)} {v!r}"
                )
        return tuple(out)
    raise TypeError(
        f"padding must be an int, a padding string, or one int or (before, after) pair per axis, "
        f"got {type_name(value)} {value!r}"
    )


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _check_name(obj: object, name: object) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{type(obj).__name__}: name must be a str or None, got {type_name(name)} {name!r}")


def _check_bool(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be a bool, got {type_name(value)} {value!r}")


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

    @property
    def kind(self) -> str:
        """The layer's kind, e.g. ``'Conv'``.

        >>> from convshape import MaxPool
        >>> MaxPool(2).kind
        'MaxPool'
        """
        return type(self).__name__

    def _trace(self, shape: Shape) -> Effect:
        """What this leaf does to *shape* (containers are walked by the tracer instead)."""
        raise NotImplementedError(f"{self.kind} is a container; trace() walks its children")

    def describe(self) -> str:
        """A compact description: the kind and the values that differ from the defaults.

        >>> from convshape import MaxPool
        >>> MaxPool(10, stride=5).describe()
        'MaxPool(10, stride=5)'
        """
        parts: list[str] = []
        for f in fields(self):  # type: ignore[arg-type]
            if f.name in ("name", "in_channels", "in_features") or not f.init:
                continue
            value = getattr(self, f.name)
            if f.name in self._positional:
                parts.append(repr(value))
            elif f.default is MISSING or value != f.default:
                parts.append(f"{f.name}={value!r}")
        return f"{self.kind}({', '.join(parts)})"


def _build_error(spec: Layer, err: ConvShapeError) -> ConvShapeError:
    return err.located(spec.kind)


def _needs_spatial(layer: Layer, shape: Shape) -> ShapeError | None:
    if len(shape) >= 2:
        return None
    return ShapeError(
        f"expects an input (channels, *spatial) with at least one spatial axis, got {fmt_shape(shape)}; "
        "a Flatten or Linear earlier in the network removed the spatial axes"
    )


class _WindowMixin(Layer):
    """Shared trace logic of the sliding-window layers (conv, transposed conv, pools)."""

    __slots__ = ()
    _window_kind: ClassVar[Kind]

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        raise NotImplementedError

    def _check_params(self) -> None:
        k, s, p, d, op, ceil = self._axis_args()
        hint = ndim_hint(kernel_size=k, stride=s, padding=p, dilation=d, output_padding=op)
        try:
            axes_params(self._window_kind, hint or 1, k, s, p, d, op, ceil)
        except ConvShapeError as err:
            raise _build_error(self, err) from None

    def _windows(self, shape: Shape, effect: Effect) -> tuple[AxisWindow | None, ...] | None:
        """Resolve every spatial axis; problems go to *effect*; ``None`` if the rank does not fit."""
        ndim = len(shape) - 1
        params = self._params(ndim, effect)
        if params is None:
            return None
        windows: list[AxisWindow | None] = []
        uncovered: list[int | None] = []
        conv_like = self._window_kind != "transpose"
        previous: tuple[AxisParams, int] | None = None
        for axis, (size, axis_param) in enumerate(zip(shape[1:], params, strict=True)):
            if size is None:
                windows.append(None)
                uncovered.append(None)
                continue
            if previous == (axis_param, size):  # a square input and kernel: the same window again
                windows.append(windows[-1])
                uncovered.append(uncovered[-1])
                continue
            try:
                window = apply_axis(axis_param, size)
            except ShapeError as err:
                effect.problems.append(err.located(f"axis {axis}") if ndim > 1 else err)
                windows.append(None)
                uncovered.append(None)
                previous = None
                continue
            windows.append(window)
            uncovered.append(count_uncovered(window) if conv_like else None)
            previous = (axis_param, size)
        result = tuple(windows)
        effect.windows = result
        if conv_like:
            effect.rf = tuple(None if w is None else (w.extent, w.stride, w.before) for w in result)
            effect.uncovered = tuple(uncovered)
        else:
            effect.rf = None
        return result

    def _params(self, ndim: int, effect: Effect) -> tuple[AxisParams, ...] | None:
        """The validated per-axis hyper-parameters for *ndim* axes (``None`` if the rank does not fit).

        Cached by value: a spec's values were checked when it was built, so equal values
        (ints, strings and tuples of them; never bools standing for ints) validate alike.
        """
        args = self._axis_args()
        key = (self._window_kind, ndim, *args)
        try:
            return _AXES[key]
        except KeyError:
            cacheable = True
        except TypeError:  # an unhashable value slipped into the spec
            cacheable = False
        try:
            params = axes_params(self._window_kind, ndim, *args)
        except ParameterError as err:
            effect.problems.append(err)
            return None
        if cacheable:
            if len(_AXES) >= 4096:
                _AXES.clear()
            _AXES[key] = params
        return params


#: Validated per-axis parameters by (kind, rank, values); see _WindowMixin._params.
_AXES: dict[tuple[object, ...], tuple[AxisParams, ...]] = {}


def _channels(layer: _ConvMixin, cin: int | None, effect: Effect) -> bool:
    """Check the incoming channels against in_channels and groups; True if counts can be made."""
    if cin is None:
        return False
    ok = True
    if layer.in_channels is not None and cin != layer.in_channels:
        effect.problems.append(
            ShapeError(
                f"in_channels is {layer.in_channels} but the input has {cin} channels; "
                f"use in_channels={cin}, or make the previous layer produce {layer.in_channels}",
                where="in_channels",
            )
        )
    if cin % layer.groups:
        effect.problems.append(
            ShapeError(
                f"the input's {cin} channels are not divisible by groups {layer.groups} "
                f"({cin} / {layer.groups} = {cin / layer.groups:g}); use a groups value that divides "
                f"both {cin} and {layer.out_channels}",
                where="groups",
            )
        )
        ok = False
    return ok


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in [d for d in range(1, min(n, 10_000) + 1) if n % d == 0][:4])


def _check_conv_common(layer: Conv | ConvTranspose) -> None:
    owner = layer.kind
    try:
        check_int("out_channels", layer.out_channels, 1)
        check_int("groups", layer.groups, 1)
        if layer.in_channels is not None:
            check_int("in_channels", layer.in_channels, 1)
    except ParameterError as err:
        raise err.located(owner) from None
    except TypeError as err:
        raise TypeError(f"{owner}: {err}") from None
    _check_bool(owner, "bias", layer.bias)
    _check_name(layer, layer.name)
    g = layer.groups
    for label, value in (("out_channels", layer.out_channels), ("in_channels", layer.in_channels)):
        if value is not None and value % g:
            raise ParameterError(
                f"{label} {value} is not divisible by groups {g} ({value} / {g} = {value / g:g}); "
                f"use a groups value that divides {value}, such as {_divisors(value)}",
                where=owner,
            )
    _set(layer, "kernel_size", _tuple_or_int("kernel_size", layer.kernel_size, 1))
    _set(layer, "stride", _tuple_or_int("stride", layer.stride, 1))
    _set(layer, "dilation", _tuple_or_int("dilation", layer.dilation, 1))
    _set(layer, "padding", _padding_spec(layer.padding))


class _ConvMixin(_WindowMixin):
    """Shared trace of Conv and ConvTranspose: channels, windows, kernels, parameters, MACs."""

    __slots__ = ()
    out_channels: int
    kernel_size: IntOrTuple
    groups: int
    bias: bool
    in_channels: int | None

    def _trace(self, shape: Shape) -> Effect:
        effect = Effect(None)
        problem = _needs_spatial(self, shape)
        if problem:
            effect.problems.append(problem)
            return effect
        cin = shape[0]
        countable = _channels(self, cin, effect)
        windows = self._windows(shape, effect)
        if windows is None:
            return effect
        out_spatial = tuple(None if w is None else w.output for w in windows)
        effect.output = (self.out_channels, *out_spatial)
        if countable and cin is not None:
            taps = prod(_per_axis(self.kernel_size, len(windows)))
            effect.kernels = self.out_channels * (cin // self.groups)
            effect.params = effect.kernels * taps + (self.out_channels if self.bias else 0)
            # a convolution works per output position, a transposed one per input position
            positions = shape[1:] if self._window_kind == "transpose" else out_spatial
            if None not in positions:
                effect.macs = effect.kernels * taps * prod(v for v in positions if v is not None)
        return effect


def _per_axis(value: IntOrTuple, ndim: int) -> tuple[int, ...]:
    return (value,) * ndim if isinstance(value, int) else tuple(value)


@dataclass(frozen=True, slots=True)
class Conv(_ConvMixin):
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
        name: A label for reports and error messages.

    >>> from convshape import trace
    >>> trace(Conv(64, 9), (1, 83, 83)).output_shape
    (64, 75, 75)
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
    name: str | None = None

    _window_kind: ClassVar[Kind] = "conv"
    _positional: ClassVar[tuple[str, ...]] = ("out_channels", "kernel_size")

    def __post_init__(self) -> None:
        _check_conv_common(self)
        self._check_params()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        return self.kernel_size, self.stride, self.padding, self.dilation, 0, False


@dataclass(frozen=True, slots=True)
class ConvTranspose(_ConvMixin):
    """A transposed convolution (PyTorch ``ConvTranspose1d/2d/3d``).

    ``padding`` is, as in PyTorch, the padding of the convolution this layer transposes: it
    trims the output; ``(before, after)`` pairs follow ONNX's begin/end pads.  The receptive
    field is not defined past a transposed convolution.  MACs are counted over the input positions.

    >>> from convshape import trace
    >>> trace(ConvTranspose(8, 4, stride=2, padding=1), (16, 8, 8)).output_shape
    (8, 16, 16)
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
        _check_conv_common(self)
        _set(self, "output_padding", _tuple_or_int("output_padding", self.output_padding, 0))
        self._check_params()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        return self.kernel_size, self.stride, self.padding, self.dilation, self.output_padding, False


def _check_pool(layer: MaxPool | AvgPool) -> None:
    _set(layer, "kernel_size", _tuple_or_int("kernel_size", layer.kernel_size, 1))
    if layer.stride is not None:
        _set(layer, "stride", _tuple_or_int("stride", layer.stride, 1))
    _set(layer, "padding", _padding_spec(layer.padding))
    _check_bool(layer.kind, "ceil_mode", layer.ceil_mode)
    _check_name(layer, layer.name)


class _PoolMixin(_WindowMixin):
    __slots__ = ()
    _window_kind: ClassVar[Kind] = "pool"

    def _trace(self, shape: Shape) -> Effect:
        effect = Effect(None)
        problem = _needs_spatial(self, shape)
        if problem:
            effect.problems.append(problem)
            return effect
        windows = self._windows(shape, effect)
        if windows is None:
            return effect
        effect.output = (shape[0], *(None if w is None else w.output for w in windows))
        self._extra_checks(shape, effect)
        return effect

    def _extra_checks(self, shape: Shape, effect: Effect) -> None:
        return None


@dataclass(frozen=True, slots=True)
class MaxPool(_PoolMixin):
    """Max pooling (PyTorch ``MaxPool1d/2d/3d``); the stride defaults to the window.

    >>> from convshape import trace
    >>> trace(MaxPool(10, stride=5), (64, 75, 75)).output_shape
    (64, 14, 14)
    """

    kernel_size: IntOrTuple
    _: KW_ONLY
    stride: IntOrTuple | None = None
    padding: PaddingSpec = 0
    dilation: IntOrTuple = 1
    ceil_mode: bool = False
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("kernel_size",)

    def __post_init__(self) -> None:
        _check_pool(self)
        _set(self, "dilation", _tuple_or_int("dilation", self.dilation, 1))
        self._check_params()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        stride = self.kernel_size if self.stride is None else self.stride
        return self.kernel_size, stride, self.padding, self.dilation, 0, self.ceil_mode


@dataclass(frozen=True, slots=True)
class AvgPool(_PoolMixin):
    """Average pooling (PyTorch ``AvgPool1d/2d/3d``); the stride defaults to the window.

    With three spatial axes PyTorch also requires each input size to be at least the
    window, whatever the padding; convshape checks that too.

    >>> from convshape import trace
    >>> trace(AvgPool(2), (6, 28, 28)).output_shape
    (6, 14, 14)
    """

    kernel_size: IntOrTuple
    _: KW_ONLY
    stride: IntOrTuple | None = None
    padding: PaddingSpec = 0
    ceil_mode: bool = False
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("kernel_size",)

    def __post_init__(self) -> None:
        _check_pool(self)
        self._check_params()

    def _axis_args(self) -> tuple[object, object, object, object, object, bool]:
        stride = self.kernel_size if self.stride is None else self.stride
        return self.kernel_size, stride, self.padding, 1, 0, self.ceil_mode

    def _extra_checks(self, shape: Shape, effect: Effect) -> None:
        if len(shape) != 4:
            return
        kernels = _per_axis(self.kernel_size, 3)
        for axis, (size, k) in enumerate(zip(shape[1:], kernels, strict=True)):
            if size is not None and size < k:
                effect.problems.append(
                    ShapeError(
                        f"3-D average pooling needs each input size to be at least the window, whatever "
                        f"the padding (PyTorch's avg_pool3d rule): {size} < {k}",
                        where=f"axis {axis}",
                    )
                )
                effect.output = None


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
        f"{owner.kind}: output_size must be an int or a sequence of ints or None, got {type_name(value)} {value!r}"
    )


class _AdaptiveMixin(Layer):
    __slots__ = ()
    output_size: int | tuple[int | None, ...]

    def _trace(self, shape: Shape) -> Effect:
        effect = Effect(None)
        problem = _needs_spatial(self, shape)
        if problem:
            effect.problems.append(problem)
            return effect
        ndim = len(shape) - 1
        requested = (self.output_size,) * ndim if isinstance(self.output_size, int) else self.output_size
        if len(requested) != ndim:
            effect.problems.append(
                ParameterError(
                    f"output_size has {len(requested)} entries {requested!r} for {ndim} spatial axes",
                    where="output_size",
                )
            )
            return effect
        out = tuple(size if want is None else want for size, want in zip(shape[1:], requested, strict=True))
        effect.output = (shape[0], *out)
        steps: list[tuple[int, int, int] | None] = []
        for size, o in zip(shape[1:], out, strict=True):
            if size is None or o is None or size % o:
                steps.append(None)  # uneven bins: no single window size and stride
            else:
                steps.append((size // o, size // o, 0))
        effect.rf = tuple(steps)
        return effect


@dataclass(frozen=True, slots=True)
class AdaptiveAvgPool(_AdaptiveMixin):
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

    def __post_init__(self) -> None:
        _set(self, "output_size", _check_output_size(self, self.output_size))
        _check_name(self, self.name)


@dataclass(frozen=True, slots=True)
class AdaptiveMaxPool(_AdaptiveMixin):
    """Adaptive max pooling to a fixed output size.

    >>> from convshape import trace
    >>> trace(AdaptiveMaxPool((3, None)), (8, 5, 7)).output_shape
    (8, 3, 7)
    """

    output_size: int | tuple[int | None, ...]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("output_size",)

    def __post_init__(self) -> None:
        _set(self, "output_size", _check_output_size(self, self.output_size))
        _check_name(self, self.name)


@dataclass(frozen=True, slots=True)
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

    def __post_init__(self) -> None:
        try:
            check_int("out_features", self.out_features, 1)
            if self.in_features is not None:
                check_int("in_features", self.in_features, 1)
        except ParameterError as err:
            raise err.located("Linear") from None
        except TypeError as err:
            raise TypeError(f"Linear: {err}") from None
        _check_bool("Linear", "bias", self.bias)
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        effect = Effect((*shape[:-1], self.out_features), rf=None)
        fin = shape[-1]
        if fin is None:
            return effect
        if self.in_features is not None and fin != self.in_features:
            effect.problems.append(
                ShapeError(
                    f"in_features is {self.in_features} but the input's last axis has {fin} features "
                    f"(input shape {fmt_shape(shape)}); use in_features={fin}",
                    where="in_features",
                )
            )
        if len(shape) > 1:
            effect.notes.append(
                f"acts on the last axis only ({fin} features) as PyTorch does; add Flatten() before it "
                "to use every feature"
            )
        effect.params = fin * self.out_features + (self.out_features if self.bias else 0)
        rows = shape[:-1]
        if None not in rows:
            effect.macs = fin * self.out_features * prod(v for v in rows if v is not None)
        return effect


@dataclass(frozen=True, slots=True)
class Flatten(Layer):
    """Flatten ``(channels, *spatial)`` into one axis (PyTorch ``nn.Flatten()`` on a batch).

    >>> from convshape import trace
    >>> trace(Flatten(), (256, 1, 1)).output_shape
    (256,)
    """

    _: KW_ONLY
    name: str | None = None

    def __post_init__(self) -> None:
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        total = None if None in shape else prod(v for v in shape if v is not None)
        return Effect((total,), rf=None)


@dataclass(frozen=True, slots=True)
class BatchNorm(Layer):
    """Batch normalisation: ``2 x channels`` parameters when affine (running statistics are buffers).

    >>> from convshape import trace
    >>> trace(BatchNorm(), (64, 56, 56)).total_params
    128
    """

    _: KW_ONLY
    affine: bool = True
    name: str | None = None

    def __post_init__(self) -> None:
        _check_bool("BatchNorm", "affine", self.affine)
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        channels = shape[0]
        return Effect(shape, params=2 * channels if self.affine and channels is not None else 0)


@dataclass(frozen=True, slots=True)
class Activation(Layer):
    """An element-wise activation; the shape is unchanged.

    >>> Activation("relu6").describe()
    "Activation('relu6')"
    """

    function: str = "relu"
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("function",)

    def __post_init__(self) -> None:
        if not isinstance(self.function, str):
            raise TypeError(
                f"Activation: function must be a str, got {type_name(self.function)} {self.function!r}"
            )
        if not self.function:
            raise ParameterError("function must be a non-empty name such as 'relu'", where="Activation")
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        return Effect(shape)

    def describe(self) -> str:
        return f"Activation({self.function!r})"


@dataclass(frozen=True, slots=True)
class Dropout(Layer):
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
            value = check_number("p", self.p)
        except TypeError as err:
            raise TypeError(f"Dropout: {err}") from None
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"p must be between 0 and 1, got {self.p}", where="Dropout")
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        return Effect(shape)


@dataclass(frozen=True, slots=True)
class Identity(Layer):
    """A layer that passes its input through.

    >>> from convshape import trace
    >>> trace(Identity(), (3, 8, 8)).output_shape
    (3, 8, 8)
    """

    _: KW_ONLY
    name: str | None = None

    def __post_init__(self) -> None:
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        return Effect(shape)


@dataclass(frozen=True, slots=True)
class Upsample(Layer):
    """Upsampling by a scale factor (``floor(size * scale)``, PyTorch) or to a fixed size.

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
                checked = [check_number(f"scale_factor[{i}]", v) for i, v in enumerate(values)]
            except TypeError as err:
                raise TypeError(f"Upsample: {err}") from None
            if not checked or any(not 0 < v < float("inf") for v in checked):
                raise ParameterError(
                    f"scale_factor must be a positive finite number, got {self.scale_factor!r}",
                    where="Upsample",
                )
            if isinstance(self.scale_factor, Sequence):
                _set(self, "scale_factor", tuple(self.scale_factor))
        if self.size is not None:
            _set(self, "size", _tuple_or_int("size", self.size, 1))
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        effect = Effect(None, rf=None)
        problem = _needs_spatial(self, shape)
        if problem:
            effect.problems.append(problem)
            return effect
        ndim = len(shape) - 1
        if self.size is not None:
            sizes = (self.size,) * ndim if isinstance(self.size, int) else tuple(self.size)
            if len(sizes) != ndim:
                effect.problems.append(
                    ParameterError(f"size has {len(sizes)} entries for {ndim} spatial axes", where="size")
                )
                return effect
            effect.output = (shape[0], *sizes)
            return effect
        assert self.scale_factor is not None
        scales = (
            tuple(self.scale_factor)
            if isinstance(self.scale_factor, Sequence)
            else (self.scale_factor,) * ndim
        )
        if len(scales) != ndim:
            effect.problems.append(
                ParameterError(
                    f"scale_factor has {len(scales)} entries for {ndim} spatial axes", where="scale_factor"
                )
            )
            return effect
        out: list[int | None] = []
        for axis, (size, scale) in enumerate(zip(shape[1:], scales, strict=True)):
            if size is None:
                out.append(None)
                continue
            value = int(float(size) * float(scale))  # PyTorch: int64(double(size) * scale)
            if value < 1:
                effect.problems.append(
                    ShapeError(
                        f"the output size floor({size} x {scale:g}) = {value} is below 1; use a larger scale_factor",
                        where=f"axis {axis}",
                    )
                )
                out.append(None)
            else:
                out.append(value)
        effect.output = (shape[0], *out)
        return effect


@dataclass(frozen=True, slots=True)
class Pad(Layer):
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
            raise TypeError(f"Pad: padding must be ints or (before, after) pairs, got str {self.padding!r}")
        spec = _padding_spec(self.padding)
        hint = ndim_hint(padding=spec)
        try:
            axes_params("conv", hint or 1, 1, 1, spec)
        except ParameterError as err:
            raise err.located("Pad") from None
        _set(self, "padding", spec)
        _check_name(self, self.name)

    def _trace(self, shape: Shape) -> Effect:
        effect = Effect(None)
        problem = _needs_spatial(self, shape)
        if problem:
            effect.problems.append(problem)
            return effect
        ndim = len(shape) - 1
        try:
            params = axes_params("conv", ndim, 1, 1, self.padding)
        except ParameterError as err:
            effect.problems.append(err)
            return effect
        out: list[int | None] = []
        steps: list[tuple[int, int, int] | None] = []
        for size, axis_param in zip(shape[1:], params, strict=True):
            assert not isinstance(axis_param.padding, str)  # Pad takes no padding strings
            before, after = axis_param.padding
            out.append(None if size is None else size + before + after)
            steps.append((1, 1, before))
        effect.output = (shape[0], *out)
        effect.rf = tuple(steps)
        return effect
