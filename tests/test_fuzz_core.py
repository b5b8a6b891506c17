"""Hostile values for every public plain function and every leaf layer spec constructor (issue 14).

Each public function of convshape.arithmetic, convshape.counting, convshape.translate and
convshape.inverse, and the constructor of each leaf layer in convshape.layers, is called with
valid arguments of which some are replaced by hostile values: huge and tiny integers, floats
(NaN, infinities), bools, NumPy scalars and arrays, strings, None, nested and wrong-length
tuples, subclasses of int and tuple, and deep nesting.  Only a ConvShapeError (or subclass)
or a TypeError may come out, its message must name a parameter (for a TypeError: one of those
replaced), and every call must finish within the per-example deadline and 256 MiB.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import tracemalloc
from datetime import timedelta
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install hypothesis)")
from conftest import FUZZ_EXAMPLES  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convshape as cs  # noqa: E402
from convshape import arithmetic, counting, inverse, layers, translate  # noqa: E402

np: Any
try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is in the test environment, not a dependency
    np = None

#: every call must stay below this much newly allocated memory
MEMORY_LIMIT = 256 * 2**20
#: the per-example deadline: a hang guard, not a speed test (speed is measured in benchmarks/).
#: The slowest calls (the CLI reading a 4 MB file) take well under a second on a quiet machine
#: and 2.8 s were seen beside the other long group on a slower one; a line tracer such as
#: coverage's makes every call several times slower, so the bound is then scaled again.
DEADLINE = timedelta(seconds=20 * (5 if sys.gettrace() is not None or "coverage" in sys.modules else 1))
ALLOWED = (cs.ConvShapeError, TypeError)


class Int(int):
    """A subclass of int: accepted where an int is."""


class Tup(tuple):  # type: ignore[type-arg]
    """A subclass of tuple."""


def nested(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth):
        value = [value]
    return value


small_ints = st.integers(-3, 40)
huge_ints = st.builds(lambda k, sign: sign * 10**k, st.integers(19, 5_000), st.sampled_from([1, -1]))
ints = st.one_of(
    small_ints,
    st.integers(-(2**70), 2**70),
    huge_ints,
    st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1, 2**1024]),
)
numpy_values: list[st.SearchStrategy[Any]] = []
if np is not None:
    numpy_values = [
        st.integers(-3, 2**62).map(np.int64),
        st.integers(0, 255).map(np.uint8),
        st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
        st.booleans().map(np.bool_),
        st.lists(small_ints, min_size=1, max_size=4).map(np.array),
    ]
scalars = st.one_of(
    ints,
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["same", "valid", "causal", "same_lower", "SAME", "full", "relu"]),
    small_ints.map(Int),
    *numpy_values,
)
hostile = st.one_of(
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.tuples(inner, inner), st.lists(inner, max_size=3).map(Tup)
        ),
        max_leaves=10,
    ),
    st.integers(50, 3_000).map(nested),
    st.sampled_from([range(1, 10**20), range(10**20), range(2, 5000), b"3", {"a": 1}, {1, 2}, object()]),
)

#: what the layer specs are given: no ranges of 10**20 entries, no ints over 4,000 digits, and
#: nesting shallow enough to build quickly (unprintable values are tested on their own, at the end)
layer_hostile = st.one_of(
    st.recursive(
        scalars.filter(lambda v: not (isinstance(v, int) and abs(v) > 10**4000)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.tuples(inner, inner), st.lists(inner, max_size=3).map(Tup)
        ),
        max_leaves=10,
    ),
    st.integers(50, 200).map(nested),
    st.sampled_from([range(2, 5000), b"3", {"a": 1}, {1, 2}, object()]),
)

#: valid arguments of every public plain function, by parameter name
GOOD: dict[str, dict[str, Any]] = {
    "conv_output_size": dict(size=10, kernel_size=3, stride=2, padding=1, dilation=1),
    "conv_transpose_output_size": dict(size=5, kernel_size=3, stride=2, padding=1, output_padding=1, dilation=1),
    "pool_output_size": dict(size=10, kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True),
    "uncovered_inputs": dict(size=10, kernel_size=3, stride=2, padding=0, dilation=2, ceil_mode=False),
    "same_padding": dict(size=10, kernel_size=4, stride=2, dilation=1, lower=False),
    "conv_output_shape": dict(spatial_shape=(10, 12), kernel_size=(3, 3), stride=2, padding=[(1, 0), 1], dilation=1),
    "conv_transpose_output_shape": dict(
        spatial_shape=(4, 5), kernel_size=3, stride=(2, 1), padding=1, output_padding=(1, 0), dilation=1
    ),
    "pool_output_shape": dict(spatial_shape=(9, 9), kernel_size=3, stride=None, padding=1, dilation=1, ceil_mode=True),
    "kernel_count": dict(in_channels=8, out_channels=16, groups=2),
    "weight_shape": dict(in_channels=8, out_channels=16, kernel_size=3, groups=2, transposed=False, ndim=2),
    "conv_params": dict(in_channels=8, out_channels=16, kernel_size=(3, 5), groups=2, bias=True, ndim=2),
    "linear_params": dict(in_features=10, out_features=4, bias=True),
    "conv_macs": dict(in_channels=8, out_channels=16, kernel_size=3, output_spatial=(7, 7), groups=2),
    "conv_transpose_macs": dict(in_channels=8, out_channels=16, kernel_size=3, input_spatial=(7, 7), groups=2),
    "linear_macs": dict(in_features=10, out_features=4, rows=3),
    "padding_for": dict(layer=cs.Conv(4, 3, padding="same", stride=2), input_shape=(3, 10, 10)),
    "input_sizes": dict(network=[cs.Conv(4, 3), cs.MaxPool(2)], input_shape=(3, 12, 12), axis=1, limit=24, max_traces=64),
    "square_neighbours": dict(network=[cs.Conv(4, 3), cs.MaxPool(2)], input_shape=(3, 12, 12), max_traces=64),
    "solve": dict(in_size=20, out_size=10, kernel_size=None, stride=None, padding=None, dilation=None,
                  transpose=False, max_kernel=5, max_stride=4, max_dilation=2),
    "unsolved_reason": dict(in_size=20, out_size=10, kernel_size=None, stride=None, padding=None,
                            dilation=None, transpose=False, max_kernel=5, max_stride=4, max_dilation=2),
}  # fmt: skip

#: parameters that take one int (or None), where a NumPy integer must act as the same int
INT_PARAMETERS = {
    "size", "kernel_size", "stride", "dilation", "output_padding", "in_channels", "out_channels",
    "groups", "ndim", "in_features", "out_features", "rows", "axis", "limit", "max_traces",
    "in_size", "out_size", "padding", "max_kernel", "max_stride", "max_dilation",
}  # fmt: skip


def public_functions() -> list[Any]:
    found = []
    for module in (arithmetic, counting, translate, inverse):
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value):
                found.append(value)
    return found


FUNCTIONS = public_functions()


def leaf_layers() -> list[type[cs.Layer]]:
    """Every public layer spec class defined in convshape.layers (Layer itself excluded)."""
    found = []
    for name in dir(layers):
        value = getattr(layers, name)
        if (
            inspect.isclass(value)
            and issubclass(value, layers.Layer)
            and value is not layers.Layer
            and value.__module__ == layers.__name__
            and not name.startswith("_")
        ):
            found.append(value)
    return found


LEAVES = leaf_layers()
#: a valid value for each required field of a layer spec (any other name gets 3)
REQUIRED = {
    "out_channels": 4,
    "kernel_size": 3,
    "output_size": 2,
    "out_features": 5,
    "padding": 1,
    "layer": cs.Identity(),
}
#: fields whose defaults alone do not make a valid spec
OVERRIDES: dict[str, dict[str, Any]] = {"Upsample": {"scale_factor": 2}}


def names(message: str, candidates: set[str]) -> bool:
    """Whether *message* names one of *candidates* as a word (``stride``, ``padding[1]``)."""
    return any(re.search(rf"(?<![A-Za-z_]){re.escape(c)}(?![A-Za-z_])", message) for c in candidates)


def attempt(fn: Any, kwargs: dict[str, Any]) -> tuple[Any, BaseException | None]:
    """Call fn(**kwargs) under tracemalloc; let only the allowed errors through, within the memory limit."""
    tracemalloc.start()
    try:
        try:
            return fn(**kwargs), None
        except ALLOWED as err:
            return None, err
        finally:
            peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert peak < MEMORY_LIMIT, f"{fn.__name__} allocated {peak / 2**20:.0f} MiB"


def check_error(err: BaseException | None, replaced: set[str], parameters: set[str]) -> None:
    """A TypeError names a replaced parameter; a ConvShapeError names some parameter."""
    if err is None:
        return
    message = str(err)
    assert message
    if isinstance(err, TypeError):
        assert names(message, replaced), f"{message!r} names none of {sorted(replaced)}"
    else:
        assert names(message, parameters), f"{message!r} names no parameter"


def test_every_public_function_has_valid_arguments() -> None:
    """The table above covers every public function (a new one must be added to be fuzzed)."""
    assert sorted(f.__name__ for f in FUNCTIONS) == sorted(GOOD)
    for fn in FUNCTIONS:
        assert set(GOOD[fn.__name__]) == set(inspect.signature(fn).parameters)
        result, err = attempt(fn, GOOD[fn.__name__])
        assert err is None, err
        assert result is not None


@settings(max_examples=FUZZ_EXAMPLES, deadline=DEADLINE)
@given(data=st.data(), fn=st.sampled_from(FUNCTIONS))
def test_plain_functions_refuse_hostile_values_by_name(data: st.DataObject, fn: Any) -> None:
    kwargs = dict(GOOD[fn.__name__])
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1, max_size=3))
    for name in replaced:
        kwargs[name] = data.draw(hostile, label=name)
    _, err = attempt(fn, kwargs)
    check_error(err, replaced, set(kwargs))


def layer_fields(cls: type[cs.Layer]) -> dict[str, Any]:
    """Each field of a layer spec: its default, or a valid value when it has none."""
    out = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        missing = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        out[field.name] = REQUIRED.get(field.name, 3) if missing else field.default
    return {**out, **OVERRIDES.get(cls.__name__, {})}


@pytest.mark.parametrize("cls", LEAVES, ids=lambda c: c.__name__)
def test_every_leaf_layer_builds_from_valid_fields(cls: type[cs.Layer]) -> None:
    layer = cls(**layer_fields(cls))
    assert isinstance(layer, cs.Layer)


@settings(max_examples=FUZZ_EXAMPLES, deadline=DEADLINE)
@given(data=st.data(), cls=st.sampled_from(LEAVES))
def test_layer_constructors_refuse_hostile_values_by_name(data: st.DataObject, cls: type[cs.Layer]) -> None:
    kwargs = layer_fields(cls)
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1, max_size=3))
    for name in replaced:
        kwargs[name] = data.draw(layer_hostile, label=name)
    _, err = attempt(cls, kwargs)
    check_error(err, replaced, set(kwargs))


def int_parameters(good: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in good.items() if name in INT_PARAMETERS and type(value) is int)


FUNCTION_INTS = [(fn, name) for fn in FUNCTIONS for name in int_parameters(GOOD[fn.__name__])]
LAYER_INTS = [(cls, name) for cls in LEAVES for name in int_parameters(layer_fields(cls))]


def outcome(fn: Any, kwargs: dict[str, Any]) -> tuple[str, Any]:
    """("result", the result) or (the error's class name, its message)."""
    result, err = attempt(fn, kwargs)
    return (type(err).__name__, str(err)) if err is not None else ("result", result)


@pytest.mark.skipif(np is None, reason="numpy is not installed")
@pytest.mark.parametrize(("fn", "name"), FUNCTION_INTS, ids=lambda v: getattr(v, "__name__", v))
def test_numpy_integers_act_as_ints_in_plain_functions(fn: Any, name: str) -> None:
    """np.int64(v) gives what v gives (operator.index semantics); an int subclass too."""
    assert np is not None
    kwargs = dict(GOOD[fn.__name__])
    expected = outcome(fn, kwargs)
    for convert in (np.int64, np.uint16, Int):
        assert outcome(fn, {**kwargs, name: convert(kwargs[name])}) == expected


@pytest.mark.skipif(np is None, reason="numpy is not installed")
@pytest.mark.parametrize(("fn", "name"), FUNCTION_INTS, ids=lambda v: getattr(v, "__name__", v))
def test_bools_floats_and_arrays_are_refused_by_name(fn: Any, name: str) -> None:
    """Where an int belongs: bools refused, floats refused alike whether Python's or NumPy's,
    and arrays refused; every time a TypeError naming the parameter."""
    assert np is not None
    kwargs = dict(GOOD[fn.__name__])
    value = kwargs[name]
    for bad in (True, np.bool_(False), float(value), np.float64(value), np.array([value, value])):
        kind, message = outcome(fn, {**kwargs, name: bad})
        assert kind == "TypeError", (bad, message)
        assert names(message, {name}), message


@pytest.mark.parametrize(("fn", "name"), FUNCTION_INTS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("sign", [1, -1])
def test_huge_integers_are_shown_by_their_length(fn: Any, name: str, sign: int) -> None:
    """A 5,001-digit integer gives a result or an error; when the message mentions the value it
    says 'a 5,001-digit integer', never tries to print it."""
    value = sign * 10**5000  # 5,001 digits by construction
    kind, message = outcome(fn, {**GOOD[fn.__name__], name: value})
    assert kind in ("result", "ParameterError", "ShapeError"), message
    if kind != "result":
        assert len(message) < 2_000
        if sign < 0:  # refused as below the minimum: the message describes the value
            assert "a negative 5,001-digit integer" in message or "negative" not in message


@pytest.mark.parametrize(("cls", "name"), LAYER_INTS, ids=lambda v: getattr(v, "__name__", v))
def test_layer_fields_refuse_bools_and_floats_by_name(cls: type[cs.Layer], name: str) -> None:
    kwargs = layer_fields(cls)
    for bad in (True, float(kwargs[name]), -(10**5000)):
        kind, message = outcome(cls, {**kwargs, name: bad})
        assert kind in ("TypeError", "ParameterError"), message
        assert names(message, {name}), message


@pytest.mark.skipif(np is None, reason="numpy is not installed")
@pytest.mark.parametrize(("cls", "name"), LAYER_INTS, ids=lambda v: getattr(v, "__name__", v))
def test_layer_fields_take_numpy_integers(cls: type[cs.Layer], name: str) -> None:
    assert np is not None
    kwargs = layer_fields(cls)
    plain = cls(**kwargs)
    converted = cls(**{**kwargs, name: np.int64(kwargs[name])})
    assert converted == plain
    assert type(getattr(converted, name)) is int


@pytest.mark.parametrize(
    ("call", "limit"),
    [
        (lambda: cs.weight_shape(4, 8, 3, ndim=10**9), "MAX_AXES"),
        (lambda: cs.conv_params(4, 8, 3, ndim=10**8), "MAX_AXES"),
        (lambda: cs.conv_output_shape(range(1, 10**20), 3), "MAX_AXES"),
        (lambda: cs.conv_macs(4, 8, (10**5000,) * 40, (10**5000,) * 40), "MAX_COUNT_BITS"),
        (lambda: cs.solve(1000, 1, max_kernel=100, max_stride=100, max_dilation=100), "MAX_TRIALS"),
        (lambda: cs.solve(10, 5, max_kernel=10**5000), "MAX_SEARCH"),
        (lambda: cs.RandomTable(fan_in=3).draw(10, 10**12), "MAX_TABLE_ENTRIES"),
    ],
)
def test_limits_are_checked_before_the_work(call: Any, limit: str) -> None:
    """Each documented limit refuses at once, and names the constant that sets it."""
    with pytest.raises(cs.ParameterError, match=limit):
        call()


def test_padding_for_refuses_what_is_not_a_layer() -> None:
    for junk in (None, 3, "conv", [cs.Conv(4, 3)]):
        with pytest.raises(TypeError, match="layer must be"):
            cs.padding_for(junk, (3, 10))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: cs.Activation(nested(5_000)),  # type: ignore[arg-type]
        lambda: cs.Conv(4, 3, name=nested(5_000)),  # type: ignore[arg-type]
        lambda: cs.MaxPool(2, ceil_mode=[10**5000]),  # type: ignore[arg-type]
        lambda: cs.AvgPool(2, ceil_mode=10**5000),  # type: ignore[arg-type]
        lambda: cs.Activation(name=-(10**5000)),  # type: ignore[arg-type]
    ],
)
def test_layer_messages_survive_unprintable_values(make: Any) -> None:
    with pytest.raises(ALLOWED):
        make()
