"""The exceptions convshape raises, and the checks that raise them.

Every problem with a *value* is a :class:`ConvShapeError` (a :class:`ValueError`),
so ``except ValueError`` keeps working for callers who do not know convshape.
A value of the wrong Python *type* (a float, a bool or a string where an int
belongs) is a :class:`TypeError`.  No other exception escapes the library.

>>> from convshape import conv_output_size, ConvShapeError
>>> try:
...     conv_output_size(4, 5)
... except ConvShapeError as err:
...     print(err)
kernel_size: the kernel extent 5 (dilation 1 x (5 - 1) + 1) exceeds the padded input 4 (4 + 0 + 0); use padding >= 1 on each side, or a kernel of at most 4
"""

from __future__ import annotations

from _collections_abc import Sequence  # what collections.abc re-exports, without its 2 ms import
from operator import index as _index

from convshape._frozen import _Text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ConvShapeError",
    "Difference",
    "ParameterError",
    "ShapeError",
    "SpecError",
    "UnsupportedLayerError",
]


class ConvShapeError(ValueError):
    """Base class of every convshape error about a value.

    The message reads ``where: detail``; the same facts are attributes, for validation code
    that should not parse messages.  Each is ``None`` where it does not apply.

    Attributes:
        detail: What is wrong, with the rule and the numbers.
        where: Where it happened, as the message says it (a layer, an axis, a parameter), or ``""``.
        path: The failing layer's dotted path, as in the report's rows (``"4.body.0"``);
            ``""`` for a network that is a single layer.
        layer: The failing layer spec (the object itself).
        parameter: The hyper-parameter or argument at fault (``"kernel_size"``, ``"input_shape[1]"``).
        axis: The spatial axis (0-based), or a tuple of them for a problem on several axes.
        value: The offending value, where one value is at fault.
        hint: The suggested fix, if any: the part of the detail after its last ``"; "``, or for
            one problem on several axes each axis's fix in turn.

    >>> err = ConvShapeError("stride must be >= 1, got 0", where="axis 1")
    >>> str(err)
    'axis 1: stride must be >= 1, got 0'
    >>> err.axis, err.parameter, isinstance(err, ValueError)
    (1, 'stride', True)
    """

    path: str | None
    layer: Any
    parameter: str | None
    axis: int | tuple[int, ...] | None
    value: Any
    hint: str | None

    def __init__(
        self,
        detail: str,
        *,
        where: str = "",
        path: str | None = None,
        layer: Any = None,
        parameter: str | None = None,
        axis: int | tuple[int, ...] | None = None,
        value: Any = None,
        hint: str | None = None,
    ) -> None:
        self.detail = detail
        self.where = where
        self.path = path
        self.layer = layer
        self.parameter = parameter if parameter is not None else _parameter_of(where, detail)
        self.axis = axis if axis is not None else _axis_of(where)
        self.value = value
        self.hint = hint if hint is not None else _hint_of(detail)
        super().__init__(f"{where}: {detail}" if where else detail)

    def located(
        self, where: str, *, path: str | None = None, layer: Any = None, axis: int | None = None
    ) -> ConvShapeError:
        """Return a copy of this error (same class) with *where* prefixed to its location.

        *path*, *layer* and *axis*, when given, are recorded as attributes too (an axis in
        *where*, such as ``"axis 0"``, is recorded by itself).

        >>> err = ShapeError("too small", where="axis 0").located("layer 3 'conv2' (Conv)", path="3")
        >>> err, err.path, err.axis
        (ShapeError("layer 3 'conv2' (Conv), axis 0: too small"), '3', 0)
        """
        new_where = f"{where}, {self.where}" if self.where else where
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        ValueError.__init__(clone, f"{new_where}: {self.detail}")
        clone.where = new_where
        if path is not None:
            clone.path = path
        if layer is not None:
            clone.layer = layer
        if clone.axis is None:
            clone.axis = axis if axis is not None else _axis_of(where)
        return clone

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-ready dict: its class, message and attributes.

        ``layer`` is the layer's description (``"Conv(64, 3)"``), ``value`` a number, a string,
        a list, or its shown form when it is none of those.

        >>> from convshape import Conv, trace
        >>> try:
        ...     trace([Conv(8, 3), Conv(8, 5)], (3, 6, 6))
        ... except ConvShapeError as err:
        ...     info = err.to_dict()
        >>> info["error"], info["path"], info["layer"], info["parameter"], info["axis"]
        ('ShapeError', '1', 'Conv(8, 5)', 'kernel_size', [0, 1])
        >>> info["hint"]
        'use padding >= 1 on each side, or a kernel of at most 4'
        """
        layer = self.layer
        axis = self.axis
        return {
            "error": type(self).__name__,
            "message": str(self),
            "detail": self.detail,
            "where": self.where,
            "path": self.path,
            "layer": layer.describe()
            if hasattr(layer, "describe")
            else (None if layer is None else show(layer)),
            "name": getattr(layer, "name", None),
            "parameter": self.parameter,
            "axis": list(axis) if isinstance(axis, tuple) else axis,
            "value": _plain(self.value),
            "hint": self.hint,
        }

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.detail, self.where, dict(self.__dict__)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


def _rebuild(cls: type[ConvShapeError], detail: str, where: str, state: dict[str, Any]) -> ConvShapeError:
    err = cls.__new__(cls)
    ValueError.__init__(err, f"{where}: {detail}" if where else detail)
    err.__dict__.update(state)
    return err


#: the verbs a fix starts with, after the last "; " of a message
_FIX_VERBS = frozenset(
    {
        "use",
        "give",
        "pass",
        "list",
        "remove",
        "merge",
        "add",
        "set",
        "make",
        "insert",
        "choose",
        "try",
        "see",
        "lower",
        "raise",
        "drop",
        "call",
        "write",
        "put",
        "rename",
        "convert",
        "export",
        "reshape",
        "trace",
        "check",
        "widen",
        "crop",
        "pad",
        "select",
    }
)


def _hint_of(detail: str) -> str | None:
    _, sep, tail = detail.rpartition("; ")
    if sep and tail.split(" ", 1)[0].rstrip(",") in _FIX_VERBS:
        return tail
    return None


def _is_name(text: str) -> bool:
    """``kernel_size``, ``input_shape[1]``: a lowercase identifier, maybe indexed."""
    base = text.split("[", 1)[0]
    return bool(base) and base.isidentifier() and base == base.lower() and not base.startswith("_")


def _parameter_of(where: str, detail: str) -> str | None:
    last = where.rpartition(", ")[2]
    if last and _is_name(last) and not last.startswith(("axis", "axes", "layer")) and last not in _NOT_NAMES:
        return last
    first = detail.split(" ", 1)[0]
    if " " in detail and _is_name(first) and ("_" in first or "[" in first or first in _KNOWN):
        return first
    return None


#: words a location may end with that name no parameter
_NOT_NAMES = frozenset({"input", "output", "network", "inputs", "outputs"})

#: single-word parameter names a message may start with ("stride must be ...")
_KNOWN = frozenset(
    {
        "stride",
        "padding",
        "dilation",
        "groups",
        "bias",
        "kernel",
        "size",
        "mode",
        "axis",
        "axes",
        "dim",
        "p",
        "eps",
        "alpha",
        "scale",
        "shape",
        "name",
        "table",
        "fan_in",
        "seed",
        "value",
        "limit",
    }
)


def _axis_of(where: str) -> int | tuple[int, ...] | None:
    """The axis a location names: a part ``"axis 1"``, or ``"axes 0, 1"`` (never inside a layer's name)."""
    parts = where.split(", ")
    for i, part in enumerate(parts):
        if part.startswith("axis ") and part[5:].isdigit():
            return int(part[5:])
        if part.startswith("axes ") and part[5:].isdigit():
            found = [int(part[5:])]
            for number in parts[i + 1 :]:
                if not number.isdigit():
                    break
                found.append(int(number))
            return tuple(found)
    return None


def _plain(value: Any) -> Any:
    """*value* as JSON can hold it: numbers, strings, bools, None and lists of them; else its shown form."""
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        return int(value) if -_SHOWN_EXACTLY < value < _SHOWN_EXACTLY else show(value)
    if isinstance(value, (tuple, list)) and len(value) <= 64:
        return [_plain(item) for item in value]
    return show(value)


class ParameterError(ConvShapeError):
    """A hyper-parameter outside its domain, whatever the input (a stride of 0).

    >>> from convshape import conv_output_size
    >>> conv_output_size(10, 3, stride=0)
    Traceback (most recent call last):
    ...
    convshape.errors.ParameterError: stride must be an integer >= 1, got 0
    """


class ShapeError(ConvShapeError):
    """A layer that does not fit the shape it receives (a kernel larger than its map).

    >>> from convshape import pool_output_size
    >>> pool_output_size(2, 3)
    Traceback (most recent call last):
    ...
    convshape.errors.ShapeError: kernel_size: the output size (2 + 0 + 0 - 3) // 3 + 1 = 0 is below 1; use a smaller window, or an input of at least 3
    """


class SpecError(ConvShapeError):
    """A malformed network description: an unknown layer type or field, a bad value.

    >>> raise SpecError("unknown field 'kernal_size'", where="layers[3]")
    Traceback (most recent call last):
    ...
    convshape.errors.SpecError: layers[3]: unknown field 'kernal_size'
    """


class UnsupportedLayerError(ConvShapeError):
    """A framework layer that convshape cannot model.

    >>> raise UnsupportedLayerError("LSTM is not supported")
    Traceback (most recent call last):
    ...
    convshape.errors.UnsupportedLayerError: LSTM is not supported
    """


class Difference(ConvShapeError):
    """One way a spec and a model disagree, as :func:`~convshape.verify` lists them (never raised).

    ``path`` and ``layer`` name the row: the spec's, or the model's for a row only the model
    has; ``parameter`` says what differs (``"layer"``, ``"output_shape"``, ``"params"``,
    ``"macs"``, ``"trace"``); ``value`` is the pair ``(spec's, model's)`` (output shapes for a
    row, ``None`` for a side without the row, the error message for a side that does not trace).

    >>> from convshape import Conv, verify
    >>> (difference, *_) = verify([Conv(8, 3)], [Conv(8, 5)], (3, 8, 8)).differences
    >>> difference.path, difference.parameter, difference.value
    ('0', 'layer', ((8, 6, 6), (8, 4, 4)))
    """


# ---------------------------------------------------------------------------
# Checks shared by the arithmetic, the counting functions and the layer specs.


def type_name(value: object) -> str:
    """The type of *value* as a user would write it (``'bool'``, ``'float'``)."""
    return type(value).__name__


#: integers whose magnitude reaches this are shown by their length in messages
_SHOWN_EXACTLY = 10**30


def describe_int(value: int) -> str:
    """A huge integer described by its length, never converted to text (Python refuses past 4,300 digits).

    >>> describe_int(-(10**5000))
    'a negative 5,001-digit integer'
    """
    magnitude = -value if value < 0 else value
    bits = magnitude.bit_length()
    digits = max(1, int(bits * 0.30102999566398120))  # never more than the true count
    if bits <= 1_000_000 and magnitude >= 10**digits:  # the estimate can be one short
        digits += 1
    if bits > 1_000_000:  # 10**digits itself would take a while: an estimate is enough
        return f"a {'negative ' if value < 0 else ''}{digits:,}-digit integer (or so)"
    return f"a {'negative ' if value < 0 else ''}{digits:,}-digit integer"


#: integers below this magnitude are written out in full; Python refuses to print past 4,300 digits
_WRITTEN_OUT = 10**4000


def grouped(value: int) -> str:
    """``f"{value:,}"``, or for an integer too long to print, its length.

    >>> grouped(4096), grouped(10**5000)
    ('4,096', 'a 5,001-digit integer')
    """
    return f"{value:,}" if -_WRITTEN_OUT < value < _WRITTEN_OUT else describe_int(value)


def show(value: object, depth: int = 2) -> str:
    """``repr(value)`` for a message, with huge integers described by their length (never printed).

    Short lists and tuples are shown entry by entry, *depth* levels down; a long or deep value
    is cut to 200 characters, and one that cannot be printed at all is named by its type.

    >>> show(12), show("same"), show(10**40)
    ('12', "'same'", 'a 41-digit integer')
    >>> show((3, -(10**50)))
    '(3, a negative 51-digit integer)'
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if -_SHOWN_EXACTLY < value < _SHOWN_EXACTLY:
            return repr(int(value))
        return describe_int(value)
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list) and depth > 0 and len(value) <= 16:
        items = [show(v, depth - 1) for v in value]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if type(value) is tuple or type(value) is list or type(value) is dict:  # repr would recurse
        return _nested_text(value)
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__, a huge int inside a container, or nesting too deep
        return f"a {type_name(value)}"
    return text if len(text) <= 200 else text[:200] + "..."


def _nested_text(value: tuple[object, ...] | list[object] | dict[object, object], limit: int = 200) -> str:
    """A plain list, tuple or dict as ``repr`` writes it, built with an explicit stack and cut
    after *limit* characters, so a value nested 100,000 deep costs no recursion (which a raised
    recursion limit can turn into a crash) and a huge one no time."""
    parts: list[str] = []
    size = 0
    stack: list[object] = [value]
    while stack and size <= limit:
        item = stack.pop()
        entries: list[object] = []
        if type(item) is _Text:
            text = str(item)
        elif type(item) is dict:
            text, closing = "{", "}"
            for key, entry in item.items():
                entries += [_Text(", "), key, _Text(": "), entry]
        elif type(item) is list or type(item) is tuple:
            sequence: list[object] | tuple[object, ...] = item
            text, closing = ("[", "]") if type(item) is list else ("(", ",)" if len(sequence) == 1 else ")")
            for entry in sequence:
                entries += [_Text(", "), entry]
        else:
            text = show(item, 0)
        if text in ("{", "[", "("):
            stack.append(_Text(closing))
            stack.extend(reversed(entries[1:]))  # without the separator before the first entry
        parts.append(text)
        size += len(text)
    out = "".join(parts)
    return out if not stack and len(out) <= limit else out[:limit] + "..."


def _is_numpy_bool(value: object) -> bool:
    cls = type(value)
    return cls.__module__ == "numpy" and cls.__name__ in ("bool", "bool_")


def as_index(name: str, value: object, minimum: int | None = None) -> int:
    """Return *value* as a plain int: an int, or any integer scalar (``numpy.int64(3)``) by ``operator.index``.

    Bools (Python's and NumPy's), floats, strings and arrays with more than one element are refused.

    Raises:
        TypeError: *value* is not an integer, naming *name*.
        ParameterError: *value* is below *minimum*, naming *name*.

    >>> as_index("stride", 2, 1)
    2
    >>> as_index("stride", True)
    Traceback (most recent call last):
    ...
    TypeError: stride must be an int, got bool True
    """
    if type(value) is int:
        number = value
    elif isinstance(value, bool) or _is_numpy_bool(value) or not hasattr(type(value), "__index__"):
        raise TypeError(f"{name} must be an int, got {type_name(value)} {show(value)}")
    else:
        try:
            number = int(_index(value))  # type: ignore[arg-type]
        except Exception:  # numpy: "only integer scalar arrays can be converted to a scalar index"
            raise TypeError(f"{name} must be an int, got {type_name(value)} {show(value)}") from None
    if minimum is not None and number < minimum:
        raise ParameterError(
            f"{name} must be an integer >= {minimum}, got {show(number)}", parameter=name, value=number
        )
    return number


def as_flag(name: str, value: object) -> bool:
    """Return *value* if it is a bool (or a NumPy bool, as a bool); anything else is a TypeError.

    >>> as_flag("ceil_mode", False)
    False
    """
    if isinstance(value, bool):
        return value
    if _is_numpy_bool(value):
        return bool(value)
    raise TypeError(f"{name} must be a bool, got {type_name(value)} {show(value)}")


def check_int(name: str, value: object, minimum: int | None = None) -> int:
    """Return *value* if it is an int (not a bool) of at least *minimum*.

    Raises:
        TypeError: *value* is not an int, or is a bool.
        ParameterError: *value* is below *minimum*.

    >>> check_int("stride", 2, 1)
    2
    >>> check_int("stride", 2.0, 1)
    Traceback (most recent call last):
    ...
    TypeError: stride must be an int, got float 2.0
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type_name(value)} {show(value)}")
    if minimum is not None and value < minimum:
        raise ParameterError(
            f"{name} must be an integer >= {minimum}, got {show(value)}", parameter=name, value=value
        )
    return value


def check_number(name: str, value: object) -> float:
    """Return *value* as a float if it is a real number (int or float, not bool).

    >>> check_number("p", 1)
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type_name(value)} {show(value)}")
    if isinstance(value, int) and value.bit_length() > 1000:  # float() would overflow past 1,024 bits
        return float("inf") if value > 0 else float("-inf")
    return float(value)


def check_int_tuple(name: str, value: object, minimum: int | None = None) -> tuple[int, ...]:
    """Return *value* (an int or a non-empty sequence of ints) as a tuple.

    An int becomes a 1-tuple; callers broadcast it to the number of axes.

    >>> check_int_tuple("kernel_size", (3, 5), 1)
    (3, 5)
    >>> check_int_tuple("kernel_size", 3, 1)
    (3,)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return (check_int(name, value, minimum),)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be an int or a sequence of ints, got {type_name(value)} {show(value)}")
    if len(value) == 0:
        raise ParameterError(f"{name} must not be empty", parameter=name, value=value)
    return tuple(check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(value))


def with_rank(err: ConvShapeError, rank: int) -> ConvShapeError:
    """Mark *err* as a rank mismatch: the layer's per-axis values give *rank* spatial axes.

    ``trace`` reads ``err.layer_rank`` to say when the input shape looks like it carries a
    batch axis, or has its channels last.

    >>> with_rank(ParameterError("kernel_size has 2 entries for 3 spatial axes"), 2).layer_rank
    2
    """
    err.layer_rank = rank  # type: ignore[attr-defined]
    return err


def on_axis(err: ConvShapeError, axis: int) -> ConvShapeError:
    """*err* with ``axis`` set, when its message need not name the axis (a 1-D input has one).

    >>> on_axis(ShapeError("too small"), 0).axis
    0
    """
    if err.axis is None:
        err.axis = axis
    return err
