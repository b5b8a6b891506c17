"""Everything the readers accept, the writers write so that it loads back equal (JSON and TOML)."""

from __future__ import annotations

import enum
import json
import sys

import pytest

import convshape as cs
from convshape.errors import SpecError

pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

FORMATS = ["json"] + (["toml"] if sys.version_info >= (3, 11) else [])


class Size(enum.IntEnum):
    SMALL = 3


def _roundtrip(layer: cs.Layer, fmt: str) -> cs.Layer:
    network, _ = cs.loads(cs.dumps(layer, format=fmt), format=fmt)
    (again,) = network.layers
    return again


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "layer",
    [
        pytest.param(cs.Conv(4, 3, name="\U0001f600 smile, é, 名字"), id="non-BMP-name"),
        pytest.param(cs.Identity(name='quote " backslash \\ nul \x00 del \x7f tab \t'), id="escapes"),
        pytest.param(cs.AdaptiveAvgPool((3, None)), id="None-per-axis"),
        pytest.param(cs.Conv(4, Size.SMALL), id="IntEnum"),
    ],
)
def test_unusual_values_round_trip(layer: cs.Layer, fmt: str) -> None:
    """Unicode names, control characters, per-axis None and int subclasses load back equal."""
    assert _roundtrip(layer, fmt) == layer


def test_none_is_written_as_the_string_none_in_toml() -> None:
    """TOML has no null: a per-axis None is written "none" and read back as None."""
    text = cs.dumps(cs.AdaptiveAvgPool((3, None)), format="toml")
    assert 'output_size = [3, "none"]' in text


def test_numpy_scalars_are_written_as_plain_numbers() -> None:
    """A numpy float accepted by a layer is written as a plain float and loads back equal."""
    np = pytest.importorskip("numpy")
    layer = cs.Dropout(np.float64(0.25))
    for fmt in FORMATS:
        assert _roundtrip(layer, fmt) == cs.Dropout(0.25)


def test_a_lone_surrogate_is_refused_when_writing_toml() -> None:
    """TOML text cannot hold a lone surrogate: dumps says so instead of writing a broken file."""
    with pytest.raises(SpecError, match="lone surrogate U\\+D800"):
        cs.dumps(cs.Identity(name="\ud800"), format="toml")
    # JSON escapes it, so it round-trips there
    assert _roundtrip(cs.Identity(name="\ud800"), "json") == cs.Identity(name="\ud800")


names = st.none() | st.text(max_size=8)
ints = st.integers(1, 5)


def _leaf() -> st.SearchStrategy[cs.Layer]:
    return st.one_of(
        st.builds(lambda o, k, s, n: cs.Conv(o, k, stride=s, name=n), ints, ints, ints, names),
        st.builds(lambda o, k, n: cs.ConvTranspose(o, k, name=n), ints, ints, names),
        st.builds(lambda k, n: cs.MaxPool(k, name=n), ints, names),
        st.builds(lambda k, n: cs.AvgPool(k, name=n), ints, names),
        st.builds(lambda a, b, n: cs.AdaptiveAvgPool((a, b), name=n), ints, st.none() | ints, names),
        st.builds(lambda o, n: cs.Linear(o, name=n), ints, names),
        st.builds(lambda n: cs.BatchNorm(name=n), names),
        st.builds(lambda n: cs.Activation(name=n), names),
        st.builds(lambda p, n: cs.Dropout(p, name=n), st.sampled_from([0.0, 0.1, 0.5]), names),
        st.builds(lambda n: cs.Identity(name=n), names),
        st.builds(lambda f, n: cs.Upsample(scale_factor=f, name=n), ints, names),
        st.builds(lambda p, n: cs.Pad(p, name=n), ints, names),
        st.builds(lambda n: cs.Flatten(name=n), names),
    )


def _graph(children: st.SearchStrategy[cs.Layer]) -> st.SearchStrategy[cs.Layer]:
    def build(a: cs.Layer, b: cs.Layer, merge: cs.Layer, n: str | None) -> cs.Layer:
        nodes = [cs.Node("a", a), cs.Node("b", b, ["input"]), cs.Node("m", merge, ["a", "b"])]
        return cs.Graph(nodes, name=n)

    merges = st.sampled_from([cs.Add(), cs.Cat(), cs.Multiply()])
    return st.builds(build, children, children, merges, names)


layers = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.builds(lambda cs_, n: cs.Sequential(*cs_, name=n), st.lists(children, max_size=3), names),
        st.builds(lambda b, n: cs.Residual(*b, name=n), st.lists(children, min_size=1, max_size=2), names),
        # branches given as layer lists (a branch that is itself a named Sequential loses that
        # name in a document: branches are written as plain lists of layers)
        st.builds(
            lambda b, n: cs.Concat(*([c] for c in b), name=n),
            st.lists(children, min_size=1, max_size=3),
            names,
        ),
        _graph(children),
    ),
    max_leaves=8,
)


@given(layer=layers, fmt=st.sampled_from(FORMATS))
def test_random_networks_round_trip(layer: cs.Layer, fmt: str) -> None:
    """Any network built from the public layers, with any names, dumps and loads back equal."""
    network = cs.Sequential(layer)
    if fmt == "toml" and _has_surrogate(network):
        with pytest.raises(SpecError, match="lone surrogate"):
            cs.dumps(network, format=fmt)
        return
    again, shape = cs.loads(cs.dumps(network, format=fmt), format=fmt)
    assert again == network
    assert shape is None


def _has_surrogate(network: cs.Layer) -> bool:
    """Whether some name holds a lone surrogate (text that cannot be encoded as UTF-8)."""
    doc = json.loads(cs.dumps(network, format="json"))
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def test_an_empty_network_round_trips() -> None:
    """A network with no layers is still a document with (empty) layers, in both formats."""
    for fmt in FORMATS:
        again, _ = cs.loads(cs.dumps(cs.Sequential(name="empty"), format=fmt), format=fmt)
        assert again == cs.Sequential(name="empty")
