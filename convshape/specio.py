"""Network descriptions as JSON or TOML documents: ``to_dict``/``from_dict``, ``dumps``/``loads``, ``load``.

A document holds an optional ``input`` shape and a list of ``layers``; each layer is a table
with a ``type`` and the spec's fields (defaults may be left out).  Containers nest:
``sequential`` has ``layers``, ``residual`` has ``body`` and ``shortcut``, ``concat`` has
``branches`` (a list of layer lists), ``graph`` has ``nodes`` (each with ``name``, ``op``
and ``inputs``) and ``outputs``.  Loading never executes anything, and every error
names its place in the document (``layers[3].kernel_size``).

>>> doc = {"input": [1, 83, 83], "layers": [
...     {"type": "conv", "out_channels": 64, "kernel_size": 9},
...     {"type": "max_pool", "kernel_size": 10, "stride": 5}]}
>>> network, input_shape = from_dict(doc)
>>> network.layers[1], input_shape
(MaxPool(kernel_size=10, stride=5, padding=0, dilation=1, ceil_mode=False, name=None), (1, 83, 83))
>>> from_dict({"layers": [{"type": "conv", "out_channels": 64, "kernal_size": 9}]})
Traceback (most recent call last):
...
convshape.errors.SpecError: layers[0].kernal_size: unknown field for 'conv'; did you mean 'kernel_size'? Fields: out_channels, kernel_size, stride, padding, dilation, groups, bias, in_channels, name
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from convshape.containers import (
    Add,
    Cat,
    Concat,
    Graph,
    Multiply,
    Node,
    Residual,
    Sequential,
    as_layer,
)
from convshape.errors import ConvShapeError, SpecError, type_name
from convshape.layers import (
    Activation,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Dropout,
    Flatten,
    Identity,
    Layer,
    Linear,
    MaxPool,
    Pad,
    Upsample,
)

__all__ = ["dumps", "from_dict", "load", "loads", "to_dict"]

#: type name in documents -> leaf spec class (an explicit table; containers are handled apart).
LEAF_TYPES: dict[str, type[Layer]] = {
    "conv": Conv,
    "conv_transpose": ConvTranspose,
    "max_pool": MaxPool,
    "avg_pool": AvgPool,
    "adaptive_avg_pool": AdaptiveAvgPool,
    "adaptive_max_pool": AdaptiveMaxPool,
    "linear": Linear,
    "flatten": Flatten,
    "batch_norm": BatchNorm,
    "activation": Activation,
    "dropout": Dropout,
    "identity": Identity,
    "upsample": Upsample,
    "pad": Pad,
    "add": Add,
    "multiply": Multiply,
    "cat": Cat,
}
CONTAINER_TYPES = ("sequential", "residual", "concat", "graph")
TYPE_NAMES = {cls: name for name, cls in LEAF_TYPES.items()}

#: Documents nested deeper than this, or with more layers, are refused.
MAX_DEPTH = 200
MAX_LAYERS = 100_000
MAX_BYTES = 50_000_000


def _plain(value: object) -> object:
    """Tuples to lists, recursively (JSON/TOML arrays)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _layer_dict(layer: Layer, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise SpecError(f"the network is nested deeper than {MAX_DEPTH} levels, the limit for documents")
    if isinstance(layer, Sequential):
        out: dict[str, Any] = {
            "type": "sequential",
            "layers": [_layer_dict(c, depth + 1) for c in layer.layers],
        }
    elif isinstance(layer, Residual):
        out = {"type": "residual", "body": [_layer_dict(c, depth + 1) for c in layer.body.layers]}
        if layer.shortcut is not None:
            out["shortcut"] = [_layer_dict(c, depth + 1) for c in layer.shortcut.layers]
    elif isinstance(layer, Concat):
        out = {
            "type": "concat",
            "branches": [[_layer_dict(c, depth + 1) for c in b.layers] for b in layer.branches],
        }
    elif isinstance(layer, Graph):
        out = {
            "type": "graph",
            "nodes": [
                {"name": n.name, "op": _layer_dict(n.op, depth + 1), "inputs": list(n.inputs)}
                for n in layer.nodes
            ],
            "outputs": list(layer.outputs),
        }
        if layer.input != "input":
            out["input"] = layer.input
    else:
        out = {"type": TYPE_NAMES[type(layer)]}
        for f in fields(layer):  # type: ignore[arg-type]
            if f.name == "name" or not f.init:
                continue
            value = getattr(layer, f.name)
            if f.default is MISSING or value != f.default:
                out[f.name] = _plain(value)
    if layer.name is not None:
        out["name"] = layer.name
    return out


def to_dict(network: Layer, input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """The document for *network* (and its input shape, if given): JSON- and TOML-ready.

    >>> from convshape import Conv, Residual
    >>> to_dict(Residual(Conv(8, 3, padding=1)), (8, 16, 16))
    {'input': [8, 16, 16], 'layers': [{'type': 'residual', 'body': [{'type': 'conv', 'out_channels': 8, 'kernel_size': 3, 'padding': 1}]}]}
    """
    layers = network.layers if isinstance(network, Sequential) else (network,)
    doc: dict[str, Any] = {}
    if isinstance(network, Sequential) and network.name is not None:
        doc["name"] = network.name
    if input_shape is not None:
        doc["input"] = list(input_shape)
    doc["layers"] = [_layer_dict(layer, 1) for layer in layers]
    return doc


class _Parser:
    def __init__(self) -> None:
        self.count = 0

    def layers(self, value: object, where: str, depth: int) -> list[Layer]:
        if not isinstance(value, list):
            raise SpecError(f"must be a list of layers, got {type_name(value)}", where=where)
        return [self.layer(item, f"{where}[{i}]", depth) for i, item in enumerate(value)]

    def layer(self, value: object, where: str, depth: int) -> Layer:
        self.count += 1
        if self.count > MAX_LAYERS:
            raise SpecError(f"the document has more than {MAX_LAYERS:,} layers, the limit", where=where)
        if depth > MAX_DEPTH:
            raise SpecError(f"layers are nested deeper than {MAX_DEPTH} levels, the limit", where=where)
        if not isinstance(value, dict):
            raise SpecError(
                f"a layer must be a table with a 'type', got {type_name(value)} {value!r}", where=where
            )
        kind = value.get("type")
        if not isinstance(kind, str):
            raise SpecError(
                f"missing 'type' (one of {', '.join([*LEAF_TYPES, *CONTAINER_TYPES])})", where=where
            )
        name = value.get("name")
        if name is not None and not isinstance(name, str):
            raise SpecError(f"must be a string, got {type_name(name)} {name!r}", where=f"{where}.name")
        if kind in CONTAINER_TYPES:
            return self.container(kind, value, where, depth, name)
        cls = LEAF_TYPES.get(kind)
        if cls is None:
            close = difflib.get_close_matches(kind, [*LEAF_TYPES, *CONTAINER_TYPES], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join([*LEAF_TYPES, *CONTAINER_TYPES])
            raise SpecError(f"unknown layer type {kind!r}{hint} Known types: {known}", where=f"{where}.type")
        allowed = [f.name for f in fields(cls) if f.init]  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        for key, item in value.items():
            if key == "type":
                continue
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise SpecError(
                    f"unknown field for {kind!r}{hint} Fields: {', '.join(allowed)}", where=f"{where}.{key}"
                )
            kwargs[key] = _frozen(item, f"{where}.{key}")
        required = [f.name for f in fields(cls) if f.init and f.default is MISSING]  # type: ignore[arg-type]
        missing = [r for r in required if r not in kwargs]
        if missing:
            raise SpecError(f"{kind!r} needs {', '.join(missing)}", where=where)
        try:
            return cls(**kwargs)
        except (ConvShapeError, TypeError) as err:
            raise SpecError(_detail(err), where=_field_where(where, str(err), allowed)) from None

    def container(self, kind: str, value: dict[str, Any], where: str, depth: int, name: str | None) -> Layer:
        keys = {
            "sequential": ("layers",),
            "residual": ("body", "shortcut"),
            "concat": ("branches",),
            "graph": ("nodes", "outputs", "input"),
        }[kind]
        for key in value:
            if key not in (*keys, "type", "name"):
                raise SpecError(
                    f"unknown field for {kind!r}. Fields: {', '.join((*keys, 'name'))}",
                    where=f"{where}.{key}",
                )
        if kind == "sequential":
            return Sequential(*self.layers(value.get("layers", []), f"{where}.layers", depth + 1), name=name)
        if kind == "residual":
            body = self.layers(value.get("body", []), f"{where}.body", depth + 1)
            if not body:
                raise SpecError("a residual needs at least one layer in 'body'", where=f"{where}.body")
            short = value.get("shortcut")
            shortcut = None if short is None else self.layers(short, f"{where}.shortcut", depth + 1)
            return Residual(*body, shortcut=shortcut, name=name)
        if kind == "graph":
            return self.graph(value, where, depth, name)
        branches = value.get("branches")
        if not isinstance(branches, list) or not branches:
            raise SpecError("a concat needs a non-empty list of branches", where=f"{where}.branches")
        return Concat(
            *(self.layers(b, f"{where}.branches[{i}]", depth + 1) for i, b in enumerate(branches)), name=name
        )

    def graph(self, value: dict[str, Any], where: str, depth: int, name: str | None) -> Layer:
        raw_nodes = value.get("nodes")
        if not isinstance(raw_nodes, list) or not raw_nodes:
            raise SpecError("a graph needs a non-empty list of nodes", where=f"{where}.nodes")
        nodes = []
        for i, raw in enumerate(raw_nodes):
            at = f"{where}.nodes[{i}]"
            if not isinstance(raw, dict):
                raise SpecError(
                    f"a node must be a table with name, op and inputs, got {type_name(raw)}", where=at
                )
            for key in raw:
                if key not in ("name", "op", "inputs"):
                    raise SpecError("unknown field for a node. Fields: name, op, inputs", where=f"{at}.{key}")
            node_name = raw.get("name")
            if not isinstance(node_name, str) or not node_name:
                raise SpecError("must be a non-empty string", where=f"{at}.name")
            inputs = raw.get("inputs")
            if inputs is not None and (
                not isinstance(inputs, list) or not all(isinstance(v, str) for v in inputs)
            ):
                raise SpecError("must be a list of node names", where=f"{at}.inputs")
            op = self.layer(raw.get("op"), f"{at}.op", depth + 1)
            nodes.append(Node(node_name, op, inputs))
        outputs = value.get("outputs")
        if outputs is not None and (
            not isinstance(outputs, list) or not all(isinstance(v, str) for v in outputs)
        ):
            raise SpecError("must be a list of node names", where=f"{where}.outputs")
        graph_input = value.get("input", "input")
        if not isinstance(graph_input, str):
            raise SpecError("must be a string", where=f"{where}.input")
        try:
            return Graph(nodes, outputs, input=graph_input, name=name)
        except (ConvShapeError, TypeError) as err:
            raise SpecError(_detail(err), where=where) from None


def _frozen(value: object, where: str) -> object:
    """Lists to tuples; only JSON/TOML scalars are accepted."""
    if isinstance(value, list):
        return tuple(_frozen(v, f"{where}[{i}]") for i, v in enumerate(value))
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    raise SpecError(f"unsupported value of type {type_name(value)}", where=where)


_LEADING_FIELD = re.compile(r"^(?:\w+: )?([a-z_]+)(?:\[\d+\])?[ :]")


def _detail(err: Exception) -> str:
    return err.detail if isinstance(err, ConvShapeError) and not err.where.startswith("axis") else str(err)


def _field_where(where: str, message: str, allowed: list[str]) -> str:
    match = _LEADING_FIELD.match(message)
    if match and match.group(1) in allowed:
        return f"{where}.{match.group(1)}"
    return where


def from_dict(document: object) -> tuple[Sequential, tuple[int, ...] | None]:
    """Build the network a document describes; returns ``(network, input_shape or None)``.

    The network is always a :class:`~convshape.Sequential` of the document's ``layers``,
    named by its optional top-level ``name``, so a Sequential round-trips exactly.

    Raises:
        SpecError: The document is malformed; the message names the place (``layers[3].stride``).

    >>> from_dict({"layers": [{"type": "conv", "out_channels": 8, "kernel_size": 3, "stride": 0}]})
    Traceback (most recent call last):
    ...
    convshape.errors.SpecError: layers[0].stride: stride must be an integer >= 1, got 0
    """
    if not isinstance(document, dict):
        raise SpecError(f"a network document must be a table with 'layers', got {type_name(document)}")
    for key in document:
        if key not in ("name", "input", "layers"):
            raise SpecError(f"unknown top-level key {key!r}; use 'name', 'input' and 'layers'")
    name = document.get("name")
    if name is not None and not isinstance(name, str):
        raise SpecError(f"must be a string, got {type_name(name)} {name!r}", where="name")
    input_shape = None
    if "input" in document:
        raw = document["input"]
        if (
            not isinstance(raw, list)
            or not raw
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in raw)
        ):
            raise SpecError(
                f"must be a list of positive ints (channels, *spatial), got {raw!r}", where="input"
            )
        input_shape = tuple(raw)
    if "layers" not in document:
        raise SpecError("a network document needs 'layers'")
    network = Sequential(*_Parser().layers(document["layers"], "layers", 1), name=name)
    return network, input_shape


def dumps(network: Layer, input_shape: tuple[int, ...] | None = None, *, format: str = "json") -> str:
    """The network as JSON (``format="json"``, indented) or TOML (``format="toml"``) text.

    >>> from convshape import Conv, MaxPool
    >>> print(dumps([Conv(64, 9), MaxPool(10, stride=5)], (1, 83, 83), format="toml"))
    input = [1, 83, 83]
    <BLANKLINE>
    [[layers]]
    type = "conv"
    out_channels = 64
    kernel_size = 9
    <BLANKLINE>
    [[layers]]
    type = "max_pool"
    kernel_size = 10
    stride = 5
    <BLANKLINE>
    """
    doc = to_dict(as_layer(network, "network"), input_shape)
    if format == "json":
        return json.dumps(doc, indent=2) + "\n"
    if format == "toml":
        from convshape._toml import dump_toml

        return dump_toml(doc)
    raise SpecError(f"format must be 'json' or 'toml', got {format!r}")


def loads(text: str, *, format: str = "json") -> tuple[Sequential, tuple[int, ...] | None]:
    """Parse a JSON or TOML document (see :func:`from_dict`).

    >>> network, shape = loads('{"input": [3, 32, 32], "layers": [{"type": "conv", "out_channels": 8, "kernel_size": 3}]}')
    >>> network.layers[0].describe(), shape
    ('Conv(8, 3)', (3, 32, 32))
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type_name(text)}")
    if len(text) > MAX_BYTES:
        raise SpecError(f"the document is larger than {MAX_BYTES:,} characters, the limit")
    try:
        if format == "json":
            document = json.loads(text)
        elif format == "toml":
            try:
                tomllib = importlib.import_module("tomllib")
            except ModuleNotFoundError:  # pragma: no cover - Python 3.10 has no tomllib
                raise SpecError("reading TOML needs Python 3.11 or newer (tomllib); use JSON") from None
            document = tomllib.loads(text)
        else:
            raise SpecError(f"format must be 'json' or 'toml', got {format!r}")
    except json.JSONDecodeError as err:
        raise SpecError(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    except RecursionError:
        raise SpecError(f"the document is nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    except ValueError as err:  # tomllib.TOMLDecodeError is a ValueError
        if isinstance(err, SpecError):
            raise
        raise SpecError(f"not valid {format.upper()}: {err}") from None
    return from_dict(document)


def load(path: str | Path) -> tuple[Sequential, tuple[int, ...] | None]:
    """Read a network document from a ``.json`` or ``.toml`` file.

    Raises:
        SpecError: The file cannot be read or is malformed (the message names the file).

    >>> import pathlib, tempfile
    >>> from convshape import zoo
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "seed.toml"
    >>> _ = path.write_text(dumps(zoo.seed(), (1, 83, 83), format="toml"))
    >>> network, shape = load(path)
    >>> network == zoo.seed(), shape
    (True, (1, 83, 83))
    >>> load(path.with_name("missing.json"))
    Traceback (most recent call last):
    ...
    convshape.errors.SpecError: cannot read '...missing.json': No such file or directory
    """
    p = Path(path)
    fmt = "toml" if p.suffix.lower() == ".toml" else "json"
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(f"cannot read {str(p)!r}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{str(p)!r} is not UTF-8 text") from None
    try:
        return loads(text, format=fmt)
    except SpecError as err:
        raise err.located(str(p)) from None
