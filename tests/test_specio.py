"""Spec files: exact round trips, and malformed documents refused with their location."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

import convshape as cs
from convshape import SpecError, dumps, from_dict, load, loads, to_dict, zoo
from convshape.specio import MAX_LAYERS


@pytest.mark.parametrize("name", sorted(zoo.NETWORKS))
@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_zoo_networks_round_trip_exactly(name: str, fmt: str) -> None:
    """dumps then loads gives an equal network and the same input shape, in JSON and TOML (a
    file's top level is a list of layers: a Graph comes back as its only item)."""
    build, shape = zoo.NETWORKS[name]
    network = build()
    again, again_shape = loads(dumps(network, shape, format=fmt), format=fmt)
    expected = network if isinstance(network, cs.Sequential) else cs.Sequential(network)
    assert again == expected
    assert again_shape == shape
    assert from_dict(to_dict(network, shape)) == (expected, shape)


def test_every_layer_kind_round_trips() -> None:
    """Non-default values of every field survive a JSON round trip."""
    network = cs.Sequential(
        cs.Pad([(1, 2), 0]),
        cs.Conv(
            8, (3, 5), stride=(1, 2), padding=[(0, 1), 2], dilation=2, groups=2, bias=False, in_channels=4
        ),
        cs.ConvTranspose(4, 2, stride=2, output_padding=1, padding="valid"),
        cs.MaxPool(3, stride=1, padding="same", ceil_mode=True),
        cs.AvgPool(2, stride=(2, 1)),
        cs.AdaptiveMaxPool((4, None)),
        cs.AdaptiveAvgPool(2),
        cs.BatchNorm(affine=False),
        cs.Activation("gelu", name="act"),
        cs.Dropout(0.25),
        cs.Upsample(scale_factor=(2.0, 0.5)),
        cs.Upsample(size=3),
        cs.Residual(cs.Identity(), shortcut=[cs.Identity()]),
        cs.Concat(cs.Identity(), [cs.Identity(), cs.Identity()], name="cat"),
        cs.Flatten(),
        cs.Linear(3, bias=False, in_features=None),
        name="everything",
    )
    assert loads(dumps(network)) == (network, None)


def test_load_reads_json_and_toml_files(tmp_path: Path) -> None:
    """load() picks the format from the suffix."""
    network, shape = zoo.seed(), (1, 83, 83)
    for suffix in ("json", "toml"):
        path = tmp_path / f"net.{suffix}"
        path.write_text(dumps(network, shape, format=suffix))
        assert load(path) == (network, shape)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param([], "a network document must be a table with 'layers', got list", id="not-a-table"),
        pytest.param({"layers": [], "extra": 1}, "unknown top-level key 'extra'", id="top-key"),
        pytest.param({}, "a network document needs 'layers'", id="no-layers"),
        pytest.param({"input": [3, 0], "layers": []}, "input: must be a list of positive ints", id="input"),
        pytest.param({"layers": {}}, "layers: must be a list of layers, got dict", id="layers-dict"),
        pytest.param(
            {"layers": [3]}, "layers[0]: a layer must be a table with a 'type', got int 3", id="int"
        ),
        pytest.param({"layers": [{}]}, "layers[0]: missing 'type'", id="no-type"),
        pytest.param(
            {"layers": [{"type": "convv"}]},
            "layers[0].type: unknown layer type 'convv'; did you mean 'conv'?",
            id="type-typo",
        ),
        pytest.param(
            {"layers": [{"type": "conv", "out_channels": 4}]},
            "layers[0]: 'conv' needs kernel_size",
            id="missing-field",
        ),
        pytest.param(
            {"layers": [{"type": "conv", "out_channels": 4, "kernel_size": "3"}]},
            "layers[0].kernel_size: kernel_size must be an int or a sequence of ints, got str '3'",
            id="wrong-type",
        ),
        pytest.param(
            {"layers": [{"type": "conv", "out_channels": 4, "kernel_size": 3, "stride": {"a": 1}}]},
            "layers[0].stride: unsupported value of type dict",
            id="dict-value",
        ),
        pytest.param(
            {
                "layers": [
                    {"type": "residual", "body": [{"type": "max_pool", "kernel_size": 3, "padding": 2}]}
                ]
            },
            "layers[0].body[0].padding: padding 2 exceeds half the window",
            id="nested",
        ),
        pytest.param(
            {"layers": [{"type": "concat", "branches": [[{"type": "relu"}]]}]},
            "layers[0].branches[0][0].type: unknown layer type 'relu'",
            id="branch",
        ),
        pytest.param(
            {"layers": [{"type": "residual", "body": []}]},
            "layers[0].body: a residual needs at least one",
            id="empty-body",
        ),
        pytest.param(
            {"layers": [{"type": "sequential", "layer": []}]},
            "layers[0].layer: unknown field for 'sequential'",
            id="container-field",
        ),
        pytest.param(
            {"layers": [{"type": "flatten", "name": 3}]}, "layers[0].name: must be a string", id="name"
        ),
    ],
)
def test_malformed_documents_name_the_location(document: object, message: str) -> None:
    """Each malformed document raises SpecError whose message starts at the offending place."""
    with pytest.raises(SpecError) as info:
        from_dict(document)
    assert message in str(info.value)


def test_deep_nesting_loads_and_absurd_documents_are_refused() -> None:
    """Nesting loads at any depth (no RecursionError); lists where layers belong and documents
    with too many layers are SpecErrors."""
    doc: Any = {"type": "flatten"}
    for _ in range(300):
        doc = {"type": "sequential", "layers": [doc]}
    network, _ = from_dict({"layers": [doc]})
    layer: cs.Layer = network
    levels = 0
    while isinstance(layer, cs.Sequential):
        (layer,) = layer.layers
        levels += 1
    assert (levels, layer) == (301, cs.Flatten())  # the document's own Sequential, then 300
    assert loads(json.dumps({"layers": [doc]}))[0] == network
    deep_text = '{"layers": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(SpecError, match=r"layers\[0\]: a layer must be a table with a 'type', got list"):
        loads(deep_text)
    many = {"layers": [{"type": "identity"}] * (MAX_LAYERS + 1)}
    with pytest.raises(SpecError, match=f"more than {MAX_LAYERS:,} layers"):
        from_dict(many)


def test_invalid_text_is_a_spec_error() -> None:
    """Broken JSON or TOML says where it broke."""
    with pytest.raises(SpecError, match="not valid JSON: Expecting value at line 1, column 12"):
        loads('{"layers": }')
    with pytest.raises(SpecError, match="not valid TOML"):
        loads("layers = [", format="toml")
    with pytest.raises(SpecError, match="format must be 'json' or 'toml'"):
        loads("{}", format="yaml")


def test_fuzzed_documents_raise_only_spec_errors() -> None:
    """Random mutations of valid documents either load or raise SpecError: nothing else escapes."""
    rng = random.Random(5)
    base = to_dict(zoo.resnet18(), (3, 224, 224))
    junk: list[Any] = [
        None,
        -1,
        0,
        1.5,
        True,
        "x",
        "same",
        [],
        [1, 2, 3],
        [[1]],
        {},
        {"type": "conv"},
        10**30,
    ]

    def mutate(node: Any) -> Any:
        if isinstance(node, dict) and node:
            key = rng.choice(sorted(node))
            copy = dict(node)
            copy[key] = rng.choice(junk) if rng.random() < 0.5 else mutate(node[key])
            return copy
        if isinstance(node, list) and node:
            i = rng.randrange(len(node))
            copy_list = list(node)
            copy_list[i] = rng.choice(junk) if rng.random() < 0.5 else mutate(node[i])
            return copy_list
        return rng.choice(junk)

    loaded = 0
    messages: list[str] = []
    for _ in range(1500):
        document = json.loads(json.dumps(base))
        for _ in range(rng.randint(1, 3)):
            document = mutate(document)
        try:
            from_dict(document)
            loaded += 1
        except SpecError as err:
            messages.append(str(err))
    assert loaded > 0
    assert len(messages) > 500
    top_level = ("a network document", "input:", "layers:", "name:")
    assert [m for m in messages if not m.startswith(("layers[", *top_level))] == []
