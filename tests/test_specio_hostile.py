"""Network documents under hostile or extreme input: deep nesting, duplicate keys, endless files."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import convshape as cs
from convshape.errors import SpecError, _nested_text, show
from convshape.specio import (
    INDENTED_LEVELS,
    MAX_LAYERS,
    MAX_NESTING,
    TOML_MAX_DEPTH,
    TOML_MAX_NESTING,
    _json_deep,
    _json_text,
    _toml_depth,
    _unique_keys,
)


def _deep(levels: int) -> cs.Layer:
    net: cs.Layer = cs.Conv(4, 1)
    for _ in range(levels):
        net = cs.Sequential(net)
    return net


def test_to_dict_of_a_100000_level_network_is_built_without_recursion() -> None:
    """to_dict walks 100,000 nested Sequentials and returns tables nested exactly that deep."""
    doc = cs.to_dict(_deep(100_000))
    # the top Sequential's layers hold 100,000 - 1 further Sequentials, then the Conv
    table: dict[str, Any] = doc["layers"][0]
    sequentials = 0
    while table["type"] == "sequential":
        sequentials += 1
        assert len(table["layers"]) == 1
        table = table["layers"][0]
    assert sequentials == 100_000 - 1
    assert table == {"type": "conv", "out_channels": 4, "kernel_size": 1}


def _levels(network: cs.Layer) -> tuple[int, cs.Layer]:
    """How many containers wrap the innermost layer of a chain, walked without recursion."""
    levels = 0
    while isinstance(network, (cs.Sequential, cs.Residual)):
        levels += 1
        (network,) = network.layers if isinstance(network, cs.Sequential) else network.body.layers
    return levels, network


@pytest.mark.parametrize("container", [cs.Sequential, cs.Residual])
def test_a_network_100000_levels_deep_round_trips_through_json(container: type) -> None:
    """JSON has no depth limit of its own: 100,000 nested containers are written (indented
    down to INDENTED_LEVELS, compact below) and read back equal."""
    network: cs.Layer = cs.Conv(4, 3, padding=1, name="leaf")
    for _ in range(100_000):
        network = container(network)
    text = cs.dumps(network, (4, 8, 8))
    lines = text.splitlines()
    assert max(len(line) - len(line.lstrip(" ")) for line in lines) == 2 * INDENTED_LEVELS
    assert len(text) < 60 * 100_000  # compact below the indented part: linear in the depth
    again, shape = cs.loads(text)
    assert shape == (4, 8, 8)
    # the document's top is a Sequential: a Sequential network comes back as itself, any other in one
    assert again == (network if container is cs.Sequential else cs.Sequential(network))
    assert _levels(again) == (
        100_000 if container is cs.Sequential else 100_001,
        cs.Conv(4, 3, padding=1, name="leaf"),
    )


def test_every_network_within_the_toml_depth_limit_dumps_and_loads_back() -> None:
    """A network TOML_MAX_DEPTH levels deep is written and read back as TOML."""
    text = cs.dumps(_deep(TOML_MAX_DEPTH), format="toml")
    network, _ = cs.loads(text, format="toml")
    # the top Sequential is the document itself; loading gives it back, so all levels remain
    assert _levels(network) == (TOML_MAX_DEPTH, cs.Conv(4, 1))


def test_toml_refuses_a_network_deeper_than_tomllib_reads_and_points_to_json() -> None:
    """Writing TOML deeper than tomllib can read names the limit and the way out."""
    with pytest.raises(SpecError, match=f"TOML files allow {TOML_MAX_NESTING} levels.*write JSON"):
        cs.dumps(_deep(TOML_MAX_NESTING), format="toml")  # two levels each
    cs.loads(cs.dumps(_deep(TOML_MAX_NESTING)))  # JSON takes it


def test_dumps_refuses_more_layers_than_a_file_may_hold() -> None:
    """What dumps writes, loads reads: a network over MAX_LAYERS layers is refused with its count."""
    wide = cs.Sequential(*[cs.Identity()] * (MAX_LAYERS + 1))
    with pytest.raises(SpecError, match=f"it has {MAX_LAYERS + 1:,} layers.*at most {MAX_LAYERS:,} layers"):
        cs.dumps(wide)


@pytest.mark.parametrize("levels", [TOML_MAX_NESTING + 1, 5_000, 100_000])
def test_deeply_nested_field_values_are_refused_at_their_place(levels: int) -> None:
    """JSON reads any nesting, then refuses a field value nested too deep at its place; TOML is
    refused before tomllib parses it.  Never a RecursionError."""
    value = "[" * levels + "3" + "]" * levels
    text = '{"layers": [{"type": "conv", "out_channels": 8, "kernel_size": ' + value + "}]}"
    with pytest.raises(SpecError, match=r"layers\[0\]\.kernel_size: a field value may nest lists 8 levels"):
        cs.loads(text)
    text = '[[layers]]\ntype = "conv"\nout_channels = 8\nkernel_size = ' + value + "\n"
    with pytest.raises(SpecError, match=f"TOML allows {TOML_MAX_NESTING} .*write JSON"):
        cs.loads(text, format="toml")


def test_json_nesting_past_any_network_is_refused_without_building_it() -> None:
    """Brackets nested deeper than MAX_LAYERS layers could need are refused at the limit, so a
    50 MB file of "[" never holds 50 million open lists."""
    with pytest.raises(SpecError, match=f"more than {MAX_NESTING:,} levels deep, the limit"):
        cs.loads("[" * (MAX_NESTING + 1))
    with pytest.raises(SpecError, match="Expecting value at line 1, column 100001"):
        cs.loads("[" * 100_000)  # within the limit: read to the end, where a value is missing


def test_an_error_deep_in_a_document_names_its_place_briefly() -> None:
    """A place 100,000 levels down is shown by its first and last steps, not a megabyte of path."""
    doc: Any = {"type": "conv", "out_channels": 8, "kernel_size": 0}
    for _ in range(100_000):
        doc = {"type": "sequential", "layers": [doc]}
    with pytest.raises(SpecError) as info:
        cs.from_dict({"layers": [doc]})
    message = str(info.value)
    assert len(message) < 500
    assert message.startswith("layers[0].layers[0].layers[0]")
    steps = 2 + 2 * 100_000  # "layers", "[0]", then ".layers", "[0]" per Sequential
    assert f"...({steps - 24:,} steps)..." in message
    assert ".layers[0].kernel_size: kernel_size must be" in message


@pytest.mark.parametrize("fmt", ["json", "toml"])
@pytest.mark.parametrize("levels", [9, 497])
def test_moderately_nested_field_value_names_its_place(fmt: str, levels: int) -> None:
    """Within the file limit but too deep for a field: the field's path is named."""
    value = "[" * levels + "3" + "]" * levels
    if fmt == "json":
        text = '{"layers": [{"type": "conv", "out_channels": 8, "kernel_size": ' + value + "}]}"
    else:
        text = '[[layers]]\ntype = "conv"\nout_channels = 8\nkernel_size = ' + value + "\n"
    with pytest.raises(SpecError, match=r"layers\[0\]\.kernel_size: a field value may nest lists 8"):
        cs.loads(text, format=fmt)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    """TOML's depth pre-scan skips strings and comments, so names full of brackets load."""
    name = "[" * 1000 + '"{'
    network = cs.Sequential(cs.Identity(name=name), cs.Identity(name="'" + "{" * 700))
    text = cs.dumps(network, format="toml")
    assert cs.loads("# [[[[[[" + "[" * 700 + "\n" + text, format="toml")[0] == network
    assert cs.loads(cs.dumps(network))[0] == network


def test_duplicate_json_keys_are_refused_with_the_key_named() -> None:
    """JSON, like TOML, refuses a key given twice instead of keeping the last."""
    text = '{"layers": [{"type": "conv", "out_channels": 8, "kernel_size": 3, "kernel_size": 5}]}'
    with pytest.raises(SpecError, match="duplicate key 'kernel_size' of a 'conv' table at line 1, column 13"):
        cs.loads(text)
    assert text[12] == "{"  # the table's opening brace, at json's 1-based column 13


@pytest.mark.parametrize("levels", [3, 5_000])
def test_a_duplicate_key_is_placed_at_its_table_however_deep(levels: int) -> None:
    """The place is where the table opens, counted as json counts lines and columns, whether
    json.loads or the explicit-stack reader (past json's depth) read the document."""
    table = '{"type": "identity",\n "name": "a", "name": "b"}'
    text = '{"layers": [' + '{"type": "sequential", "layers": [' * levels + "\n" + table
    text += "]}" * levels + "]}"
    start = text.index('{"type": "identity"')
    line, column = text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)
    assert (line, column) == (2, 1)
    with pytest.raises(
        SpecError, match=f"duplicate key 'name' of a 'identity' table at line {line}, column {column} "
    ):
        cs.loads(text)


def test_load_of_an_endless_file_stops_at_the_size_limit() -> None:
    """/dev/zero is refused quickly, without reading until memory runs out."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    start = time.perf_counter()
    with pytest.raises(SpecError, match="larger than 50,000,000 characters"):
        cs.load("/dev/zero")
    assert time.perf_counter() - start < 30


def test_load_of_a_file_that_is_not_utf8_is_a_spec_error(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 give a SpecError naming the file, not UnicodeDecodeError."""
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"layers": [\xff\xfe]}')
    with pytest.raises(SpecError, match=r"bad\.json.*not UTF-8"):
        cs.load(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**5000, r"layers\[0\]\.out_channels: the value is a 5,001-digit integer"),
        (-(10**5000), r"layers\[0\]\.out_channels: the value is a negative 5,001-digit integer"),
        ([3, 10**5000], r"layers\[0\]\.out_channels\[1\]: the value is a 5,001-digit integer"),
    ],
    ids=["huge", "huge-negative", "huge-in-list"],
)
def test_huge_integers_are_described_by_length(value: object, message: str) -> None:
    """10**5000 has 5,001 digits; it is refused without ever being converted to text."""
    with pytest.raises(SpecError, match=message):
        cs.from_dict({"layers": [{"type": "conv", "out_channels": value, "kernel_size": 3}]})


FIELD_VALUES = [None, True, "3", 2.5, float("nan"), float("inf"), [], [3, "x"], {"a": 1}, -1, 0]


@pytest.mark.parametrize("value", FIELD_VALUES, ids=repr)
@pytest.mark.parametrize("field", ["out_channels", "kernel_size", "stride", "padding", "groups", "bias"])
def test_wrong_values_for_conv_fields_name_the_field(field: str, value: object) -> None:
    """Every wrong value is a SpecError naming layers[0].<field> (or loads fine if it is valid)."""
    layer: dict[str, object] = {"type": "conv", "out_channels": 8, "kernel_size": 3, field: value}
    message = _spec_error({"layers": [layer]})
    if message is not None:
        assert message.startswith(f"layers[0].{field}")


def _spec_error(document: object) -> str | None:
    """from_dict's SpecError message, or None when the document is valid."""
    try:
        cs.from_dict(document)
    except SpecError as err:
        return str(err)
    return None


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_every_truncation_of_a_document_is_a_spec_error_or_loads(fmt: str) -> None:
    """Cutting a valid document anywhere never lets anything but SpecError escape."""
    text = cs.dumps(cs.zoo.seed(), (1, 83, 83), format=fmt)
    for end in range(0, len(text), 7):
        with contextlib.suppress(SpecError):
            cs.loads(text[:end], format=fmt)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=24,
)


def _outcome(read: Any, text: str) -> tuple[str, object]:
    """What reading *text* gives: the value, or the error's kind, message and place."""
    try:
        return "value", read(text)
    except json.JSONDecodeError as err:
        return "JSONDecodeError", (err.msg, err.pos) if sys.version_info < (3, 13) else err.pos
    except SpecError as err:  # a duplicate key: only the explicit-stack reader says where
        return "SpecError", re.sub(r" at line \d+, column \d+", "", str(err))


@given(_JSON_VALUES, st.sampled_from([None, 0, 2, "\t"]), st.data())
def test_the_deep_json_reader_and_writer_agree_with_json(
    value: Any, indent: Any, data: st.DataObject
) -> None:
    """The explicit-stack reader (used past json.loads's depth) reads what json.loads reads and
    fails on a broken text where and as json.loads does; the writer writes what
    ``json.dumps(indent=2)`` writes (within INDENTED_LEVELS)."""
    assert _json_text(value) == json.dumps(value, indent=2)
    text = json.dumps(value, indent=indent)
    reference = functools.partial(json.loads, object_pairs_hook=_unique_keys)
    assert _outcome(_json_deep, text) == _outcome(reference, text)
    cut = data.draw(st.integers(0, len(text)), label="cut")
    char = data.draw(st.sampled_from(list('[]{},:"\\ 0-eEx\n')), label="char")
    for broken in (text[:cut], text[:cut] + text[cut + 1 :], text[:cut] + char + text[cut:]):
        assert _outcome(_json_deep, broken) == _outcome(reference, broken), broken


def test_deep_json_under_a_raised_recursion_limit_is_read_not_a_crash() -> None:
    """A caller that raised the recursion limit (common in ML code) must not let json.loads
    run out of C stack on a deep text: that killed the process.  Run apart, so a crash fails
    this test instead of the whole run."""
    script = textwrap.dedent(
        """
        import sys
        sys.setrecursionlimit(100_000)
        import convshape as cs
        net = cs.Conv(4, 1)
        for _ in range(60_000):
            net = cs.Sequential(net)
        assert cs.loads(cs.dumps(net))[0] == net
        depth = 150_000
        try:
            cs.loads('{"layers":' + "[" * depth + "]" * depth + "}")
        except cs.SpecError as err:
            print("refused:", err)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "refused: layers[0]: a layer must be a table with a 'type', got list" in done.stdout


def test_a_shared_layer_of_a_shared_layer_is_refused() -> None:
    """Shared wraps a leaf once: a chain of them could be loaded but not written, traced or
    printed (each recursed), so the spec refuses it and loading names the place."""
    with pytest.raises(TypeError, match="layer is itself a Shared"):
        cs.Shared(cs.Shared(cs.Conv(4, 1)))
    text = '{"layers": [{"type": "shared", "layer": {"type": "shared", "layer": {"type": "identity"}}}]}'
    with pytest.raises(SpecError, match=r"^layers\[0\]\.layer: .*layer is itself a Shared"):
        cs.loads(text)


def test_long_keys_are_cut_in_messages() -> None:
    """A key of two million characters is named by its start, not copied into the message."""
    key = "x" * 2_000_000
    for document in (
        {"layers": [{"type": "sequential", key: 1}]},
        {"layers": [{"type": "conv", "out_channels": 4, "kernel_size": 1, key: 1}]},
        {"layers": [{"type": "graph", "nodes": [{"name": "a", "op": {"type": "identity"}, key: 1}]}]},
        {"layers": [{"type": "conv", "out_channels": 4, "kernel_size": 1, "connections": {key: 1}}]},
        {
            "layers": [
                {
                    "type": "conv",
                    "out_channels": 4,
                    "kernel_size": 1,
                    "connections": {str(i): 1 for i in range(10_000)},
                }
            ]
        },
    ):
        with pytest.raises(SpecError) as info:
            cs.from_dict(document)
        assert len(str(info.value)) < 600, str(info.value)[:300]
    with pytest.raises(SpecError, match=r"duplicate key 'type' .*\(keys: type, x{40}\.\.\., type\)"):
        cs.loads('{"layers": [{"type": "identity", "' + key + '": 1, "type": "flatten"}]}')


@pytest.mark.parametrize(
    ("text", "deepest"),
    [
        ('name = """a"b' + "[" * 700 + '"""\nlayers = []', 1),  # brackets inside a multi-line string
        ("name = '''a'b" + "[" * 700 + "'''\nlayers = []", 1),
        ('name = """a""""\nlayers = [{ type = "identity" }]', 2),  # a"""" is the string a"
        ('name = """a\\"""b[[[[["""\nlayers = [{ type = "identity" }]', 2),  # an escaped quote
        ('name = """a"b"""\nlayers = ' + "[" * 700 + "]" * 700, 700),  # closed: the brackets count
        ("name = 'a\\'\nlayers = [{ type = \"identity\" }]", 2),  # a literal string has no escapes
    ],
)
def test_the_toml_depth_scan_reads_strings_as_toml_does(text: str, deepest: int) -> None:
    """TOML's pre-scan skips every kind of string, so what it counts is what tomllib would nest:
    a valid file is not refused for brackets in a name, and a deep one cannot hide behind one."""
    assert _toml_depth(text) == deepest
    if deepest > TOML_MAX_NESTING:
        with pytest.raises(SpecError, match="TOML allows"):
            cs.loads(text, format="toml")
    else:
        tomllib = pytest.importorskip("tomllib")
        assert cs.loads(text, format="toml")[0].name == tomllib.loads(text)["name"]


_SHOWN_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=5).map(tuple)
        | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=40,
)


@given(_SHOWN_VALUES)
def test_nested_values_are_shown_as_repr_writes_them_cut_at_200(value: Any) -> None:
    """Messages show a list, tuple or dict without recursion: the same text as repr, cut."""
    if not isinstance(value, (list, tuple, dict)):
        value = [value]
    text = repr(value)
    assert _nested_text(value) == (text if len(text) <= 200 else text[:200] + "...")


def test_a_value_nested_200000_deep_is_shown_without_recursion() -> None:
    """repr of such a value recurses (and under a raised recursion limit can crash)."""
    value: Any = [3]
    for _ in range(200_000):
        value = [value]
    for shown in (show(value), show({"a": value}), _nested_text(value)):
        assert len(shown) < 220
        assert "[" * 150 + "..." in shown
