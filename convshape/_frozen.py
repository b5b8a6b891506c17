"""Frozen spec classes that cost almost nothing to create, and structural operations at any depth.

Layer specs are frozen dataclasses to their users: ``dataclasses.fields``, ``replace``,
``asdict`` and ``is_dataclass`` work on them, assignment raises ``FrozenInstanceError``, and
equality, hashing and ``repr`` are by value.  The standard ``@dataclass`` decorator costs about
half a millisecond per class and its module another 10-18 ms to import (``inspect``, ``typing``,
``re``...), which would dominate a first trace; :func:`frozen` builds the same contract with a
generated ``__init__`` only, and makes ``dataclasses``' own field records on first request.
A frozen class refuses assignment, so its ``__init__`` stores the fields of each object as an
instance of an open twin of the class, then gives it its class back (:func:`open_twin`).

Specs nest (a ``Sequential`` of ``Residual`` blocks...).  Equality, hashing and ``repr`` of
nested specs walk the structure with an explicit stack, never with Python recursion, so a
network nested 100,000 levels deep compares, hashes and prints like a flat one.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from dataclasses import KW_ONLY
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_options: object) -> object:
        return lambda function: function


__all__ = [
    "KW_ONLY",
    "frozen",
    "integral",
    "open_twin",
    "pack",
    "record",
    "structural_eq",
    "structural_hash",
    "structural_repr",
    "unpack",
]


class _KwOnly:
    """Marks the fields after it as keyword-only (``_: KW_ONLY``, as in ``dataclasses``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "KW_ONLY"


if not TYPE_CHECKING:
    KW_ONLY = _KwOnly()


def _freeze_error(obj: object, name: str) -> Exception:
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError(f"cannot assign to field {name!r} of a frozen {type(obj).__name__}")


class _DataclassFields:
    """``__dataclass_fields__`` made on first access (it needs the ``dataclasses`` module)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner

    def __get__(self, obj: object, cls: type | None = None) -> dict[str, Any]:
        import dataclasses

        owner = self.owner
        records: dict[str, Any] = {}
        kw_only = set(owner._kw_only)  # type: ignore[attr-defined]
        for name in owner._fields:  # type: ignore[attr-defined]
            default = owner._defaults.get(name, dataclasses.MISSING)  # type: ignore[attr-defined]
            record = dataclasses.field(default=default, kw_only=name in kw_only)
            record.name = name
            record.type = owner._annotations.get(name, "object")  # type: ignore[attr-defined]
            record._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            records[name] = record
        type.__setattr__(owner, "__dataclass_fields__", records)  # computed once per class
        return records


def _annotations(cls: type) -> dict[str, str]:
    found = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (inspect is too costly to import)
    return {k: str(v) for k, v in found.items() if not str(v).startswith(("ClassVar", "typing.ClassVar"))}


@dataclass_transform(frozen_default=True, kw_only_default=False)
def frozen(cls: type[T]) -> type[T]:
    """Make *cls* a frozen, slotted spec class from its annotated fields.

    Fields after ``_: KW_ONLY`` are keyword-only; a class attribute gives a field's default.
    A ``__post_init__`` method, if any, runs after the fields are set (it may normalise them
    and store derived values with ``object.__setattr__``).  A class defining its own
    ``__init__`` keeps it (containers take their children as ``*layers``).
    A class may list extra private slots in ``_private`` (values it derives once when built)
    and set ``_nested = True`` if fields hold other specs, which makes ``==``, ``hash`` and
    ``repr`` walk the structure iteratively.

    >>> @frozen
    ... class Point:
    ...     x: int
    ...     _: KW_ONLY
    ...     y: int = 0
    >>> Point(1, y=2)
    Point(x=1, y=2)
    >>> Point(1) == Point(1, y=0), hash(Point(1)) == hash(Point(1, y=0))
    (True, True)
    >>> import dataclasses
    >>> [f.name for f in dataclasses.fields(Point)], dataclasses.replace(Point(1), y=5)
    (['x', 'y'], Point(x=1, y=5))
    """
    own_private = set(getattr(cls, "_private", ()))
    annotations = {k: v for k, v in _annotations(cls).items() if k not in own_private}
    names = list(annotations)
    kw_at = names.index("_") if "_" in names else len(names)
    fields = tuple(n for n in names if n != "_")
    clash = [n for n in fields if n.startswith("_") or n in _INIT_NAMES]
    if clash:  # the generated __init__ holds these names itself
        raise TypeError(
            f"{cls.__name__}: a field may not be named {clash[0]!r} (names starting with '_' and "
            f"{', '.join(sorted(_INIT_NAMES))} are the generated __init__'s own); rename it"
        )
    positional = fields[:kw_at]
    kw_only = fields[kw_at:]
    namespace = dict(cls.__dict__)
    defaults: dict[str, object] = {}
    for name in fields:
        if name in namespace:
            defaults[name] = namespace.pop(name)
    namespace.pop("_", None)
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    nested = bool(getattr(cls, "_nested", False))
    private = tuple(getattr(cls, "_private", ())) + (("_hash",) if nested else ())
    namespace["__slots__"] = fields + private
    namespace["_fields"] = fields
    namespace["_kw_only"] = kw_only
    namespace["_defaults"] = defaults
    namespace["_annotations"] = annotations
    namespace["_nested"] = nested
    namespace["__match_args__"] = positional
    namespace["__dataclass_fields__"] = _DataclassFields()
    namespace["_open"] = None  # see open_twin
    if "__init__" not in namespace:
        owner = f"{cls.__module__}.{cls.__qualname__}"
        post = hasattr(cls, "__post_init__")
        namespace["__init__"] = _lazy_init(owner, positional, kw_only, defaults, post)
        namespace["_init_recipe"] = (owner, positional, kw_only, tuple(defaults), post)  # see _inits_text
    getter: Callable[[Any], tuple[Any, ...]]
    if len(fields) > 1:
        getter = attrgetter(*fields)
    elif fields:
        getter = _one(fields[0])
    else:
        getter = _none
    namespace["_values"] = staticmethod(getter)
    if nested:
        namespace.setdefault("__eq__", structural_eq)
        namespace.setdefault("__hash__", structural_hash)
        namespace.setdefault("__repr__", structural_repr)
    else:
        namespace.setdefault("__eq__", _flat_eq)
        namespace.setdefault("__hash__", _flat_hash)
        namespace.setdefault("__repr__", _flat_repr)
    namespace["__setattr__"] = _setattr
    namespace["__delattr__"] = _delattr
    namespace["__reduce__"] = _tree_reduce if nested else _reduce
    if nested:
        namespace.setdefault("__copy__", _shallow_copy)
    new: type[T] = type(cls.__name__, cls.__bases__, namespace)
    new.__qualname__ = cls.__qualname__
    return new


def _one(name: str) -> Callable[[Any], tuple[Any, ...]]:
    def values(obj: Any) -> tuple[Any, ...]:
        return (getattr(obj, name),)

    return values


def _none(obj: Any) -> tuple[Any, ...]:
    return ()


def _lazy_init(
    owner: str, positional: tuple[str, ...], kw_only: tuple[str, ...], defaults: dict[str, object], post: bool
) -> Callable[..., None]:
    """An ``__init__`` that makes the real one on first use (a class never used costs nothing)."""

    def __init__(self: Any, *args: object, **kwargs: object) -> None:
        real = _make_init(owner, positional, kw_only, defaults, post)
        for klass in type(self).__mro__:  # the class that owns this stub (a subclass may inherit it)
            if klass.__dict__.get("__init__") is __init__:  # (another thread may have replaced it)
                type.__setattr__(klass, "__init__", real)
                break
        real(self, *args, **kwargs)

    return __init__


def _init_source(
    positional: tuple[str, ...], kw_only: tuple[str, ...], defaults: tuple[str, ...], post: bool
) -> str:
    """The text of a class's ``__init__``: the fields' real signature (a default stands as None
    here; the function gets the class's own defaults when it is made), stores and checks."""
    params: list[str] = []
    fields = positional + kw_only
    for name in positional:
        params.append(f"{name}=None" if name in defaults else name)
    if kw_only:
        params.append("*")
        params.extend(f"{name}=None" if name in defaults else name for name in kw_only)
    # plain values go straight in; an integer of another type (numpy.int64, an IntEnum) is stored as
    # the int it stands for, so specs compare, hash and serialise the same whatever ints built them.
    # While its fields are stored, the object is an instance of its class's open twin (see
    # open_twin); a subclass made outside convshape has none and stores through object.__setattr__,
    # in a loop (that rare case is not worth generated code).
    values = [f"{name} if {name}.__class__ in _plain else _integral({name})" for name in fields]
    body = [
        "  cls = self.__class__",
        "  twin = cls._open",
        "  if twin is None or twin._twin_of is not cls:",
        "    twin = _open_twin(cls)",
        "  if twin is None:",
        f"    _store(self, _names, ({', '.join(fields)}{',' if len(fields) == 1 else ''}))",
        "  else:",
        "    _set(self, '__class__', twin)",
        "    try:",
        *(f"      self.{name} = {value}" for name, value in zip(fields, values, strict=True)),
        *(["      pass"] if not fields else []),
        "    finally:",
        "      self.__class__ = cls",
    ]
    if post:  # a refusal names its field: its value is the field's, as stored
        body += [
            "  try:",
            "    self.__post_init__()",
            "  except ValueError as err:",
            "    _fill(self, err)",
            "    raise",
        ]
    return f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"


def _make_init(
    owner: str, positional: tuple[str, ...], kw_only: tuple[str, ...], defaults: dict[str, object], post: bool
) -> Callable[..., None]:
    """Make ``__init__`` for the class *owner* (``module.qualname``) from its fields.

    The code of every class of convshape's own is compiled ahead, in ``convshape/_inits.py``
    (written by :func:`_inits_text`; a test holds it to the classes), so making one costs no
    compile: about 0.3-1 ms a class in a fresh process, most of building a first network.  A
    class made elsewhere, or one whose fields differ from the compiled text, is compiled here.
    """
    try:
        from convshape._inits import INITS
    except ImportError:  # pragma: no cover - only while the file is first written
        INITS = {}
    fields = positional + kw_only
    shape = (positional, kw_only, tuple(defaults), post)
    known = INITS.get(owner)
    if known is not None and known[0] == shape:
        code = known[1]
    else:
        # exec of the text, not of compile()'s result: compile() first checks whether it was
        # handed an AST, which builds the ast module's hundred-odd types on its first call in a
        # process (1-2 ms); exec of a string goes straight to the compiler
        made: dict[str, Any] = {}
        exec(_init_source(*shape), made)
        code = made["__init__"].__code__
    scope: dict[str, Any] = {
        "__builtins__": __builtins__,
        "_set": object.__setattr__,
        "_store": _store,
        "_names": fields,
        "_plain": _PLAIN,
        "_integral": integral,
        "_fill": fill_value,
        "_open_twin": open_twin,
    }
    name = owner.rpartition(".")[2]
    init: Callable[..., None] = _function(
        code.replace(co_filename=f"<convshape {name}.__init__>", co_firstlineno=1), scope
    )
    init.__defaults__ = tuple(defaults[n] for n in positional if n in defaults) or None
    init.__kwdefaults__ = {n: defaults[n] for n in kw_only if n in defaults} or None
    init.__qualname__ = f"{name}.__init__"
    return init


def _inits_text() -> str:
    """The text of ``convshape/_inits.py``: the ``__init__`` of every class of convshape made by
    :func:`frozen` with a generated one (the adapters define none), compiled when convshape is
    installed."""
    import importlib
    import pkgutil

    import convshape

    classes: list[type] = []
    for info in pkgutil.walk_packages(convshape.__path__, "convshape."):
        if info.name.startswith("convshape.adapters") or info.name in (
            "convshape.__main__",
            "convshape._inits",
        ):
            continue
        module = importlib.import_module(info.name)
        classes += [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == info.name]
    out = [
        '"""The generated ``__init__`` of every spec class of convshape, compiled ahead (see',
        "``convshape._frozen._make_init``).  Written by ``python -m convshape._frozen``: do not edit;",
        'tests/test_core.py checks that it matches the classes."""',
        "",
        "INITS = {}",
    ]
    for cls in sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
        made = cls.__dict__.get("_init_recipe")
        if made is None:  # a class with its own __init__
            continue
        owner, positional, kw_only, defaults, post = made
        out += ["", "", _init_source(positional, kw_only, defaults, post).rstrip("\n")]
        out.append(f"INITS[{owner!r}] = ({(positional, kw_only, defaults, post)!r}, __init__.__code__)")
    return "\n".join(out) + "\n"


_function: Any = type(_lazy_init)  # types.FunctionType, without importing types
_PLAIN = frozenset({int, str, float, bool, type(None)})
#: local names of the generated __init__, which a field's parameter would hide
_INIT_NAMES = frozenset({"self", "cls", "twin", "err"})


def _store(obj: object, names: tuple[str, ...], values: tuple[object, ...]) -> None:
    """Store the fields of an object without an open twin (see :func:`open_twin`)."""
    for name, value in zip(names, values, strict=True):
        object.__setattr__(obj, name, value if value.__class__ in _PLAIN else integral(value))


def open_twin(cls: type) -> type | None:
    """The class an instance of *cls* belongs to while its generated ``__init__`` stores its
    fields; None if *cls* was not made by :func:`frozen` (a subclass defined elsewhere).

    A frozen class refuses assignment in its own ``__setattr__``, so every store through it
    would be a call of ``object.__setattr__``, about 80 ns each.  Its twin is a subclass that
    adds no slot and keeps ``object``'s assignment: ``__init__`` makes ``self`` an instance of
    the twin, stores the fields as plain attributes (about 10 ns each), and makes it an
    instance of *cls* again before anything else runs (``__post_init__`` sees *cls*).  The
    twin is made on the first instance of *cls* and kept as ``cls._open``.  A subclass
    defined outside convshape gets none: making one would run that subclass's own
    ``__init_subclass__``, so its instances store their fields through ``object.__setattr__``.
    Being subclasses, twins of convshape's classes are listed by ``__subclasses__()``.

    >>> from convshape import Conv
    >>> twin = open_twin(Conv)
    >>> twin.__bases__ == (Conv,), twin.__setattr__ is object.__setattr__
    (True, True)
    >>> open_twin(type("Wide", (Conv,), {})) is None
    True
    """
    if "_open" not in cls.__dict__:
        return None
    namespace = {
        "__slots__": (),
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": f"{cls.__name__} while its fields are stored (see convshape._frozen.open_twin).",
        "_twin_of": cls,
    }
    twin = type(cls.__name__, (cls,), namespace)
    type.__setattr__(cls, "_open", twin)
    return twin


def integral(value: Any) -> Any:
    """*value* with integers of any integral type (``numpy.int64``, an ``IntEnum``) made plain ints.

    Bools (Python's and NumPy's) are left as they are, for the field's own check to refuse or
    accept; so is everything else that is not an integer.  Entries of tuples and lists are
    converted two levels down (per-axis values such as ``kernel_size``, ``(before, after)``
    padding pairs, connection tables), and a 1-D integer array becomes a tuple.

    >>> import enum
    >>> class Size(enum.IntEnum):
    ...     SMALL = 3
    >>> integral(Size.SMALL), integral((Size.SMALL, 5)), integral("same")
    (3, (3, 5), 'same')
    """
    return _integral(value, 2)


def _integral(value: Any, depth: int) -> Any:
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if cls is tuple or cls is list:
        if depth == 0 or all(item.__class__ in _PLAIN for item in value):
            return value
        return cls(_integral(item, depth - 1) for item in value)
    if (
        depth
        and getattr(value, "ndim", None) == 1
        and getattr(getattr(value, "dtype", None), "kind", "") in "iu"
    ):
        return tuple(_scalar(item) for item in value)  # a 1-D integer array: one entry per axis
    return _scalar(value)


def _scalar(value: Any) -> Any:
    cls = value.__class__
    if cls in _PLAIN or isinstance(value, bool) or cls.__name__ in ("bool", "bool_"):
        return value
    index = getattr(cls, "__index__", None)
    if index is None:
        return value
    try:
        return int(index(value))
    except Exception:  # an array of several entries: left for the field's check to refuse
        return value


def fill_value(spec: object, err: BaseException) -> None:
    """Give *err* (a ConvShapeError naming a field of *spec*) the field's value, if it has none."""
    name = getattr(err, "parameter", None)
    if getattr(err, "value", 0) is None and isinstance(name, str) and name in getattr(spec, "_fields", ()):
        err.value = getattr(spec, name, None)  # type: ignore[attr-defined]


def _setattr(self: object, name: str, value: object) -> None:
    raise _freeze_error(self, name)


def _delattr(self: object, name: str) -> None:
    raise _freeze_error(self, name)


def _reduce(self: Any) -> tuple[Any, ...]:
    # only the fields: values derived from them (``_private``, a cached hash) are derived again
    # when unpickled, so a pickle does not depend on how this version lays them out
    state = tuple((name, getattr(self, name)) for name in type(self)._fields if hasattr(self, name))
    return (_restore, (type(self), state))


def _restore(cls: type, state: tuple[tuple[str, object], ...]) -> object:
    obj: object = object.__new__(cls)
    fields = cls._fields  # type: ignore[attr-defined]
    for name, value in state:
        if name in fields:  # an earlier version pickled derived values too: they are derived below
            object.__setattr__(obj, name, value)
    if getattr(cls, "_private", ()):
        derive = getattr(obj, "_derive", None) or obj.__post_init__  # type: ignore[attr-defined]
        try:
            derived = derive()
        except AttributeError:  # a container whose parts are not specs (a pickle made by hand)
            derived = False
        if derived is False:  # a container holding something that is not a spec
            raise TypeError(f"cannot unpickle a {cls.__name__}: it holds a value that is not a layer spec")
    return obj


# A container nested deeper than _OBJECT_DEPTH levels is pickled (and deep-copied) as one flat
# program, not as objects inside objects: pickle and copy.deepcopy recurse a few frames per level
# and failed about 200 (pickle) and 80 (deepcopy) levels down.  Shallower containers go as objects,
# so pickle's own memo keeps a container shared with anything else pickled beside it.
_OBJECT_DEPTH = 16
_CONSTANT, _AGAIN = -1, -2  # program codes; n >= 0 makes a tuple of the last n values


def _tree_reduce(self: Any) -> tuple[Any, ...]:
    """A nested spec's pickle: its fields (:func:`_reduce`) if it is shallow, else ``(unpack,
    pack(self))``, one flat program."""
    return _reduce(self) if _shallow(self) else (unpack, pack(self))


def _shallow_copy(self: Any) -> Any:
    """``copy.copy`` of a nested spec: a new spec holding the same children."""
    function, args = _reduce(self)
    return function(*args)


def _walked(value: object) -> bool:
    """Whether :func:`pack` writes *value*'s parts (a nested spec pickled by this module's rule)."""
    cls = type(value)
    return (
        getattr(cls, "_nested", False) is True
        and getattr(cls, "__reduce__", None) is _tree_reduce
        and getattr(cls, "__reduce_ex__", None) is object.__reduce_ex__
        and not hasattr(cls, "__deepcopy__")
    )


def _shallow(spec: object) -> bool:
    """Whether nested specs nest at most ``_OBJECT_DEPTH`` levels below *spec* (a bounded walk)."""
    stack: list[tuple[object, int]] = [(spec, 0)]
    while stack:
        value, level = stack.pop()
        children = _children(value)
        if children is None:
            continue
        if not isinstance(value, tuple):
            if level == _OBJECT_DEPTH:
                return False
            level += 1
        stack.extend((child, level) for child in children)
    return True


def _deep(value: object) -> set[int]:
    """The ids of the specs below *value* that :func:`pack` writes part by part: those of this
    module's rule (:func:`_walked`) with nested specs more than ``_OBJECT_DEPTH`` levels below
    them, found in one post-order walk (a spec met twice is walked once)."""
    known: dict[int, int] = {}  # id of a spec walked -> its height, capped at _OBJECT_DEPTH + 1
    heights: list[int] = []  # of the parts walked
    stack: list[tuple[object, int]] = [(value, -1)]  # (item, its number of parts once walked)
    while stack:
        item, parts = stack.pop()
        if parts < 0:
            height = known.get(id(item))
            if height is not None:
                heights.append(height)
                continue
            children = _children(item) if isinstance(item, tuple) or _walked(item) else None
            if children is None:
                heights.append(0)
            else:
                stack.append((item, len(children)))
                stack.extend((child, -1) for child in children)
            continue
        height = max(heights[len(heights) - parts :], default=0)
        del heights[len(heights) - parts :]
        if not isinstance(item, tuple):
            height = min(height + 1, _OBJECT_DEPTH + 1)
            known[id(item)] = height
        heights.append(height)
    return {key for key, height in known.items() if height > _OBJECT_DEPTH}


def pack(value: object) -> tuple[list[object], list[object]]:
    """*value* (specs, within tuples) as ``(codes, constants)``, walked with an explicit stack.

    *codes* has, in post-order, ``_CONSTANT`` (push the next constant: a flat spec, a shallow
    container, a number, a string), ``n >= 0`` (a tuple of the last *n* values), a class (a spec
    of the last ``len(cls._fields)`` values, restored as :func:`_restore` does), or ``_AGAIN`` (the
    spec the next constant numbers, met earlier: a spec held twice is written once and stays
    shared).  :func:`unpack` reads it back.  A container no deeper than ``_OBJECT_DEPTH``, or one
    of a class that pickles its own way, is a constant: pickle writes it as an object.

    >>> from convshape import Conv, Sequential
    >>> conv = Conv(4, 1)
    >>> codes, constants = pack(Sequential(conv, conv))
    >>> copied = unpack(codes, constants)
    >>> copied == Sequential(conv, conv), copied.layers[0] is copied.layers[1]
    (True, True)
    """
    deep = _deep(value)
    codes: list[object] = []
    constants: list[object] = []
    numbers: dict[int, int] = {}  # id of a nested spec written -> its number in the order built
    stack: list[tuple[object, bool]] = [(value, False)]
    while stack:
        item, done = stack.pop()
        if done:
            if isinstance(item, tuple):
                codes.append(len(item))
            else:
                numbers[id(item)] = len(numbers)
                codes.append(type(item))
            continue
        if isinstance(item, tuple) and not hasattr(item, "_fields"):
            children: tuple[object, ...] | None = item
        elif item is value or id(item) in deep:
            children = _children(item)
        else:
            children = None  # an atom, a flat spec, a shallow container: pickled as an object
        if children is None:
            codes.append(_CONSTANT)
            constants.append(item)
        elif id(item) in numbers and not isinstance(item, tuple):
            codes.append(_AGAIN)
            constants.append(numbers[id(item)])
        else:
            stack.append((item, True))
            stack.extend((child, False) for child in reversed(children))
    return codes, constants


def unpack(codes: list[object], constants: list[object]) -> Any:
    """The value :func:`pack` wrote (see there for an example)."""
    values: list[object] = []
    specs: list[object] = []
    taken = 0
    for code in codes:
        if code == _CONSTANT:
            values.append(constants[taken])
            taken += 1
        elif code == _AGAIN:
            values.append(specs[constants[taken]])  # type: ignore[call-overload]
            taken += 1
        elif isinstance(code, int):
            start = len(values) - code
            items = tuple(values[start:])
            del values[start:]
            values.append(items)
        else:
            cls: Any = code
            start = len(values) - len(cls._fields)
            spec = _restore(cls, tuple(zip(cls._fields, values[start:], strict=True)))
            del values[start:]
            specs.append(spec)
            values.append(spec)
    (root,) = values
    return root


# ---------------------------------------------------------------------------
# Flat specs (no spec inside their fields): the fields' tuple decides.


def _flat_eq(self: Any, other: object) -> bool:
    if type(other) is not type(self):
        result: bool = NotImplemented
        return result
    equal: bool = self._values(self) == other._values(other)  # type: ignore[attr-defined]
    return equal


def _flat_hash(self: Any) -> int:
    return hash(self._values(self))


def _flat_repr(self: Any) -> str:
    values = self._values(self)
    inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, values, strict=True))
    return f"{type(self).__name__}({inner})"


# ---------------------------------------------------------------------------
# Nested specs: explicit stacks instead of recursion.


class _Text(str):
    """Literal text of a ``repr`` being built (a plain ``str`` is a value, shown with its quotes)."""

    __slots__ = ()


def _is_spec(value: object) -> bool:
    return hasattr(type(value), "_fields") and hasattr(type(value), "_values")


def _parts(value: object) -> list[object]:
    """What ``structural_repr`` prints for *value*: strings, and specs or tuples still to expand."""
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        if not value:
            return [_Text("()")]
        out: list[object] = [_Text("(")]
        for i, item in enumerate(value):
            out.append(item)
            out.append(_Text(", " if i < len(value) - 1 else ("," if len(value) == 1 else "")))
        out.append(_Text(")"))
        return out
    if _is_spec(value) and type(value)._nested:  # type: ignore[attr-defined]
        spec: Any = value
        out = [_Text(f"{type(spec).__name__}(")]
        for i, (name, item) in enumerate(zip(spec._fields, spec._values(spec), strict=True)):
            out.append(_Text(f"{', ' if i else ''}{name}="))
            out.append(item)
        out.append(_Text(")"))
        return out
    return [_Text(repr(value))]


def structural_repr(self: object) -> str:
    """``repr`` of a nested spec, in the dataclass format, at any depth.

    >>> from convshape import Conv, Sequential
    >>> Sequential(Conv(4, 1))
    Sequential(layers=(Conv(out_channels=4, kernel_size=1, stride=1, padding=0, dilation=1, groups=1, bias=True, in_channels=None, name=None),), name=None)
    """
    pieces: list[str] = []
    stack: list[list[object]] = [_parts(self)]
    positions = [0]
    while stack:
        parts, i = stack[-1], positions[-1]
        if i == len(parts):
            stack.pop()
            positions.pop()
            continue
        positions[-1] = i + 1
        part = parts[i]
        if isinstance(part, _Text):
            pieces.append(part)
        elif isinstance(part, tuple) or (_is_spec(part) and type(part)._nested):  # type: ignore[attr-defined]
            stack.append(_parts(part))
            positions.append(0)
        else:
            pieces.append(repr(part))
    return "".join(pieces)


def _children(value: object) -> tuple[object, ...] | None:
    """The items to compare or hash below *value*; ``None`` for an atom."""
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return value
    if _is_spec(value) and type(value)._nested:  # type: ignore[attr-defined]
        spec: Any = value
        values: tuple[object, ...] = spec._values(spec)
        return values
    return None


def structural_eq(self: object, other: object) -> bool:
    """``==`` of nested specs at any depth (same types, equal fields all the way down)."""
    if type(other) is not type(self):
        result: bool = NotImplemented
        return result
    stack: list[tuple[object, object]] = [(self, other)]
    while stack:
        a, b = stack.pop()
        if a is b:
            continue
        if type(a) is not type(b):
            return False
        ha, hb = _cached_hash(a), _cached_hash(b)
        if ha is not None and hb is not None and ha != hb:
            return False
        ca, cb = _children(a), _children(b)
        if ca is None or cb is None:
            if a != b:
                return False
            continue
        if len(ca) != len(cb):
            return False
        stack.extend(zip(ca, cb, strict=True))
    return True


def _cached_hash(value: object) -> int | None:
    try:
        cached: int | None = object.__getattribute__(value, "_hash")
    except AttributeError:
        return None
    return cached


def structural_hash(self: object) -> int:
    """``hash`` of a nested spec at any depth; each nested spec keeps its hash once computed."""
    cached = _cached_hash(self)
    if cached is not None:
        return cached
    # post-order: a node's hash is made from its children's, each computed once
    stack: list[tuple[object, bool]] = [(self, False)]
    done: list[int] = []
    while stack:
        value, expanded = stack.pop()
        if not expanded:
            cached = _cached_hash(value)
            if cached is not None:
                done.append(cached)
                continue
            children = _children(value)
            if children is None:
                done.append(hash(value))
                continue
            stack.append((value, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        children = _children(value)
        assert children is not None
        n = len(children)
        items = tuple(done[len(done) - n :]) if n else ()
        del done[len(done) - n :]
        result = hash((type(value).__name__, items))
        if not isinstance(value, tuple):
            object.__setattr__(value, "_hash", result)
        done.append(result)
    return done[0]


# ---------------------------------------------------------------------------
# Named tuples without the collections package (it costs 2 ms to import).


def record(typename: str, fields: tuple[str, ...], defaults: tuple[object, ...] = ()) -> type:
    """A named-tuple class: fields by name or index, ``_fields``, ``_replace``, ``_asdict``.

    The tracer makes many of these, directly with ``tuple.__new__(cls, values)``.

    >>> Point = record("Point", ("x", "y"), defaults=(0,))
    >>> Point(1), Point(1, y=2)._replace(x=3), Point(1)._asdict()
    (Point(x=1, y=0), Point(x=3, y=2), {'x': 1, 'y': 0})
    """
    count = len(fields)
    first_default = count - len(defaults)

    def __new__(cls: type, *args: object, **kwargs: object) -> Any:
        if len(args) > count:
            raise TypeError(f"{typename}() takes {count} arguments but {len(args)} were given")
        values = list(args)
        for i in range(len(args), count):
            name = fields[i]
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif i >= first_default:
                values.append(defaults[i - first_default])
            else:
                raise TypeError(f"{typename}() missing required argument {name!r}")
        if kwargs:
            raise TypeError(f"{typename}() got unexpected or repeated arguments {sorted(kwargs)}")
        return tuple.__new__(cls, values)

    def __repr__(self: tuple[object, ...]) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(fields, self, strict=True))
        return f"{type(self).__name__}({inner})"

    def _replace(self: tuple[object, ...], **changes: object) -> Any:
        return type(self)(**{**dict(zip(fields, self, strict=True)), **changes})

    def _asdict(self: tuple[object, ...]) -> dict[str, object]:
        return dict(zip(fields, self, strict=True))

    def __getnewargs__(self: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(self)

    namespace: dict[str, Any] = {
        "__slots__": (),
        "__new__": __new__,
        "__repr__": __repr__,
        "_replace": _replace,
        "_asdict": _asdict,
        "__getnewargs__": __getnewargs__,
        "_fields": fields,
        "_field_defaults": dict(zip(fields[first_default:], defaults, strict=True)),
        "__match_args__": fields,
    }
    for i, name in enumerate(fields):
        namespace[name] = property(_item(i), doc=f"Alias for field number {i}")
    return type(typename, (tuple,), namespace)


def _item(index: int) -> Callable[[tuple[object, ...]], object]:
    def get(self: tuple[object, ...]) -> object:
        return self[index]

    return get


if __name__ == "__main__":  # python -m convshape._frozen: write convshape/_inits.py again
    import pathlib

    pathlib.Path(__file__).with_name("_inits.py").write_text(_inits_text())
