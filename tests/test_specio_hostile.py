"""Network documents under hostile or extreme input: deep nesting, duplicate keys, endless files."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

import convshape as cs
from convshape.errors import SpecError
from convshape.specio import MAX_DEPTH, MAX_NESTING


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


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_every_network_within_the_depth_limit_dumps_and_loads_back(fmt: str) -> None:
    """A network MAX_DEPTH levels deep is written and read back in both formats."""
    text = cs.dumps(_deep(MAX_DEPTH), format=fmt)
    network, _ = cs.loads(text, format=fmt)
    layer: cs.Layer = network
    levels = 0
    while isinstance(layer, cs.Sequential):
        levels += 1
        (layer,) = layer.layers
    # the top Sequential is the document itself; loading gives it back, so all MAX_DEPTH remain
    assert levels == MAX_DEPTH
    assert isinstance(layer, cs.Conv)
    assert layer.out_channels == 4


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_dumps_refuses_a_network_deeper_than_files_allow(fmt: str) -> None:
    """Writing 100,000 levels names the limit instead of raising RecursionError."""
    with pytest.raises(SpecError, match=f"files allow {MAX_NESTING} levels"):
        cs.dumps(_deep(100_000), format=fmt)


@pytest.mark.parametrize("fmt", ["json", "toml"])
@pytest.mark.parametrize("levels", [MAX_NESTING + 1, 5_000, 100_000])
def test_loads_refuses_deeply_nested_field_values_before_parsing(fmt: str, levels: int) -> None:
    """A field value nested far too deep is refused with the limit named, never RecursionError."""
    value = "[" * levels + "3" + "]" * levels
    if fmt == "json":
        text = '{"layers": [{"type": "conv", "out_channels": 8, "kernel_size": ' + value + "}]}"
    else:
        text = '[[layers]]\ntype = "conv"\nout_channels = 8\nkernel_size = ' + value + "\n"
    with pytest.raises(SpecError, match=f"the limit is {MAX_NESTING}"):
        cs.loads(text, format=fmt)


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
    """The depth pre-scan skips strings, so a name full of brackets loads."""
    name = "[" * 1000 + '"{'
    text = json.dumps({"layers": [{"type": "identity", "name": name}]})
    network, _ = cs.loads(text)
    assert network.layers[0].name == name


def test_duplicate_json_keys_are_refused_with_the_key_named() -> None:
    """JSON, like TOML, refuses a key given twice instead of keeping the last."""
    text = '{"layers": [{"type": "conv", "out_channels": 8, "kernel_size": 3, "kernel_size": 5}]}'
    with pytest.raises(SpecError, match="duplicate key 'kernel_size' of a 'conv' table"):
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
