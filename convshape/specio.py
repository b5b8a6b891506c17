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
(MaxPool(kernel_size=10, stride=5, padding=0, dilation=1, ceil_mode=False, convention='pytorch', name=None), (1, 83, 83))
>>> from_dict({"layers": [{"type": "conv", "out_channels": 64, "kernal_size": 9}]})
Traceback (most recent call last):
...
convshape.errors.SpecError: layers[0].kernal_size: unknown field for 'conv'; did you mean 'kernel_size'? Fields: out_channels, kernel_size, stride, padding, dilation, groups, bias, in_channels, connections, name
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import re
import sys
import threading
from dataclasses import MISSING, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from convshape._frozen import _Text
from convshape.attention import MatMul, MultiheadAttention, ScaledDotProductAttention
from convshape.containers import (
    Add,
    Cat,
    Concat,
    CropCat,
    Graph,
    Multiply,
    Node,
    Residual,
    Sequential,
    as_layer,
)
from convshape.elementwise import Learned, PReLU, Softmax, StochasticDepth
from convshape.errors import ConvShapeError, SpecError, describe_int, show, type_name
from convshape.layers import (
    Activation,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Dropout,
    EuclideanRBF,
    Flatten,
    Identity,
    Layer,
    Linear,
    MaxPool,
    Pad,
    Shared,
    Subsample,
    Unused,
    Upsample,
)
from convshape.normalization import GroupNorm, InstanceNorm, LayerNorm, LocalResponseNorm
from convshape.reshaping import (
    CenterCrop,
    ChannelShuffle,
    Chunk,
    Crop,
    Expand,
    Permute,
    PixelShuffle,
    PixelUnshuffle,
    Reduce,
    Reshape,
    Slice,
    Split,
    Squeeze,
    Transpose,
    Unsqueeze,
)
from convshape.tables import RandomTable

_T = TypeVar("_T")
if TYPE_CHECKING:
    from collections.abc import Generator

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
    "subsample": Subsample,
    "euclidean_rbf": EuclideanRBF,
    "shared": Shared,
    "unused": Unused,
    "layer_norm": LayerNorm,
    "group_norm": GroupNorm,
    "instance_norm": InstanceNorm,
    "local_response_norm": LocalResponseNorm,
    "prelu": PReLU,
    "softmax": Softmax,
    "stochastic_depth": StochasticDepth,
    "learned": Learned,
    "permute": Permute,
    "transpose": Transpose,
    "reshape": Reshape,
    "squeeze": Squeeze,
    "unsqueeze": Unsqueeze,
    "slice": Slice,
    "chunk": Chunk,
    "split": Split,
    "crop": Crop,
    "expand": Expand,
    "center_crop": CenterCrop,
    "reduce": Reduce,
    "channel_shuffle": ChannelShuffle,
    "pixel_shuffle": PixelShuffle,
    "pixel_unshuffle": PixelUnshuffle,
    "multihead_attention": MultiheadAttention,
    "matmul": MatMul,
    "scaled_dot_product_attention": ScaledDotProductAttention,
    "add": Add,
    "multiply": Multiply,
    "cat": Cat,
    "crop_cat": CropCat,
}
CONTAINER_TYPES = ("sequential", "residual", "concat", "graph")
#: the types of layers that hold no other layer (a Shared holds one)
_LEAVES = frozenset(LEAF_TYPES) - {"shared"}
_CONTAINER_FIELDS = {
    "sequential": ("layers",),
    "residual": ("body", "shortcut"),
    "concat": ("branches",),
    "graph": ("nodes", "outputs", "input"),
}
TYPE_NAMES = {cls: name for name, cls in LEAF_TYPES.items()}

#: A document may hold this many layers and this many characters; JSON nests to any depth within them.
MAX_LAYERS = 200_000
MAX_BYTES = 50_000_000
#: Lists and tables in JSON text may nest this deep (a container level takes up to 3, plus the top).
MAX_NESTING = 3 * MAX_LAYERS + 4
#: TOML is read by tomllib, which recurses: TOML documents nest containers this deep at most,
#: which is at most this many levels of lists and tables in the text.
TOML_MAX_DEPTH = 200
TOML_MAX_NESTING = 3 * TOML_MAX_DEPTH + 4
#: JSON is written indented down to this level of lists and tables (all of a TOML-sized
#: document), and compact below it, so the size of deeper text stays linear in its depth.
INDENTED_LEVELS = TOML_MAX_NESTING
_TOML_FRAMES = threading.Lock()


def _plain(value: object) -> object:
    """Tuples to lists, recursively (JSON/TOML arrays)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _layer_dict(root: Layer) -> dict[str, Any]:
    """The table for *root*, built with an explicit stack (no recursion: networks may be very deep)."""
    holder: list[dict[str, Any]] = []
    stack: list[tuple[Layer, list[dict[str, Any]]]] = [(root, holder)]
    while stack:
        layer, target = stack.pop()
        pending: list[tuple[Layer, list[dict[str, Any]]]] = []
        if isinstance(layer, Sequential):
            out: dict[str, Any] = {"type": "sequential", "layers": []}
            pending += [(c, out["layers"]) for c in layer.layers]
        elif isinstance(layer, Residual):
            out = {"type": "residual", "body": []}
            pending += [(c, out["body"]) for c in layer.body.layers]
            if layer.shortcut is not None:
                out["shortcut"] = []
                pending += [(c, out["shortcut"]) for c in layer.shortcut.layers]
        elif isinstance(layer, Concat):
            out = {"type": "concat", "branches": []}
            for b in layer.branches:
                branch: list[dict[str, Any]] = []
                out["branches"].append(branch)
                pending += [(c, branch) for c in b.layers]
        elif isinstance(layer, Graph):
            out = {"type": "graph", "nodes": [], "outputs": list(layer.outputs)}
            for n in layer.nodes:
                slot: list[dict[str, Any]] = []
                out["nodes"].append({"name": n.name, "op": slot, "inputs": list(n.inputs)})
                pending.append((n.op, slot))
            if layer.input != "input":
                out["input"] = layer.input
        else:
            out = {"type": TYPE_NAMES[type(layer)]}
            for f in fields(layer):  # type: ignore[arg-type]
                if f.name == "name" or not f.init:
                    continue
                value = getattr(layer, f.name)
                if isinstance(value, RandomTable):  # a random connection table: its rule, not its draw
                    out[f.name] = {"fan_in": value.fan_in, "seed": value.seed}
                elif isinstance(value, Layer):  # Shared's layer: one leaf, one level
                    out[f.name] = _layer_dict(value)
                elif f.default is MISSING or value != f.default:
                    out[f.name] = _plain(value)
        if layer.name is not None:
            out["name"] = layer.name
        target.append(out)
        stack.extend(reversed(pending))
    # a graph node's op was collected into a one-item list: unwrap them all (iteratively)
    todo: list[Any] = [holder[0]]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            if item.get("type") == "graph":
                for node in item["nodes"]:
                    if isinstance(node["op"], list):
                        node["op"] = node["op"][0]
            todo.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            todo.extend(v for v in item if isinstance(v, (dict, list)))
    return holder[0]


def _extent(document: object) -> tuple[int, int]:
    """How deeply lists and tables nest in *document* (a scalar is 0), and how many of its tables
    are layers (have a ``type``), walked iteratively."""
    deepest = layers = 0
    stack: list[tuple[object, int]] = [(document, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
            layers += "type" in item
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
        else:
            continue
        deepest = max(deepest, level + 1)
    return deepest, layers


def _depth(document: object) -> int:
    """How deeply lists and tables nest in *document* (a scalar is 0)."""
    return _extent(document)[0]


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
        from convshape.tracing import _input_shape

        doc["input"] = list(_input_shape(input_shape))  # a file that will load: sizes checked
    doc["layers"] = [_layer_dict(layer) for layer in layers]
    return doc


class _Place:
    """A place in a document, kept as a chain of segments and joined into text only for a message.

    Building each child's text eagerly would cost time and memory quadratic in the nesting depth.
    """

    __slots__ = ("parent", "segment")

    def __init__(self, parent: _Place | None, segment: str) -> None:
        self.parent = parent
        self.segment = segment

    def __str__(self) -> str:
        parts: list[str] = []
        place: _Place | None = self
        while place is not None:
            parts.append(place.segment)
            place = place.parent
        parts.reverse()
        if len(parts) > 2 * _SHOWN_SEGMENTS:  # a message stays readable however deep the place
            hidden = len(parts) - 2 * _SHOWN_SEGMENTS
            parts[_SHOWN_SEGMENTS:-_SHOWN_SEGMENTS] = [f"...({hidden:,} steps)..."]
        return "".join(parts)


#: A place deeper than twice this many segments is shown by its first and last ones.
_SHOWN_SEGMENTS = 12

#: What a builder yields when it needs a child layer: the child's table and its place.
_Request = tuple[object, _Place]


class _Parser:
    """Builds layers from a document's tables, without recursion.

    Each method is a generator: it yields ``(table, place)`` for every child layer it needs and
    is sent the built layer back. :meth:`run` drives them with an explicit stack, so the checks
    read as plain code, errors come in document order, and any depth is read.
    """

    def __init__(self) -> None:
        self.count = 0
        self.signatures: dict[type, tuple[list[str], list[str]]] = {}  # class -> (fields, required)

    def run(self, build: Generator[_Request, Layer, _T]) -> _T:
        stack: list[Generator[_Request, Layer, Any]] = [build]
        sent: Any = None
        while True:
            try:
                request = stack[-1].send(sent)
            except StopIteration as done:
                stack.pop()
                if not stack:
                    return done.value  # type: ignore[no-any-return]
                sent = done.value
            else:
                value, at = request
                kind = value.get("type") if value.__class__ is dict else None
                if kind.__class__ is str and kind in _LEAVES:  # it holds no layer: built at once
                    sent = self.leaf(value, at)  # type: ignore[arg-type]
                else:
                    stack.append(self.layer(value, at))
                    sent = None

    def layers(self, value: object, at: _Place) -> Generator[_Request, Layer, list[Layer]]:
        if not isinstance(value, list):
            raise SpecError(f"must be a list of layers, got {type_name(value)}", where=str(at))
        built = []
        for i, item in enumerate(value):
            built.append((yield item, _Place(at, f"[{i}]")))
        return built

    def head(self, value: object, at: _Place) -> tuple[str, str | None]:
        """Count a layer's table and check what every layer has: its type and name."""
        self.count += 1
        if self.count > MAX_LAYERS:
            raise SpecError(f"the document has more than {MAX_LAYERS:,} layers, the limit", where=str(at))
        if not isinstance(value, dict):
            raise SpecError(
                f"a layer must be a table with a 'type', got {type_name(value)} {show(value)}", where=str(at)
            )
        kind = value.get("type")
        if not isinstance(kind, str):
            raise SpecError(
                f"missing 'type' (one of {', '.join([*LEAF_TYPES, *CONTAINER_TYPES])})", where=str(at)
            )
        name = value.get("name")
        if name is not None and not isinstance(name, str):
            raise SpecError(f"must be a string, got {type_name(name)} {show(name)}", where=f"{at}.name")
        return kind, name

    def layer(self, value: object, at: _Place) -> Generator[_Request, Layer, Layer]:
        kind, name = self.head(value, at)
        assert isinstance(value, dict)  # head refuses anything else
        if kind in CONTAINER_TYPES:
            return (yield from self.container(kind, value, at, name))
        if kind != "shared":
            return self.leaf(value, at, counted=True)
        kwargs: dict[str, Any] = {}  # a Shared builds its layer where the document gives it
        for key, item in value.items():
            if key == "layer":
                kwargs[key] = yield item, _Place(at, f".{key}")
            elif key != "type":
                kwargs[key] = self.field(Shared, kind, key, item, at)
        return self.build(Shared, kind, kwargs, at)

    def leaf(self, value: dict[str, Any], at: _Place, *, counted: bool = False) -> Layer:
        """A layer that holds no other layer (any type but the containers and shared)."""
        kind = self.head(value, at)[0] if not counted else value["type"]
        cls = LEAF_TYPES.get(kind)
        if cls is None:
            close = difflib.get_close_matches(kind, [*LEAF_TYPES, *CONTAINER_TYPES], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join([*LEAF_TYPES, *CONTAINER_TYPES])
            raise SpecError(f"unknown layer type {show(kind)}{hint} Known types: {known}", where=f"{at}.type")
        kwargs = {key: self.field(cls, kind, key, item, at) for key, item in value.items() if key != "type"}
        return self.build(cls, kind, kwargs, at)

    def signature(self, cls: type) -> tuple[list[str], list[str]]:
        """The fields a class takes, and those it requires (read once per class and document)."""
        found = self.signatures.get(cls)
        if found is None:
            taken = [f for f in fields(cls) if f.init]
            found = [f.name for f in taken], [f.name for f in taken if f.default is MISSING]
            self.signatures[cls] = found
        return found

    def field(self, cls: type, kind: str, key: str, item: object, at: _Place) -> object:
        """A field's value as the class takes it; an unknown field is refused."""
        allowed = self.signature(cls)[0]
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SpecError(
                f"unknown field for {show(kind)}{hint} Fields: {', '.join(allowed)}",
                where=f"{at}.{_short(key)}",
            )
        if key == "connections" and isinstance(item, dict):
            return _random_table(item, _Place(at, f".{key}"))
        return _frozen(item, _Place(at, f".{key}"))

    def build(self, cls: type[Layer], kind: str, kwargs: dict[str, Any], at: _Place) -> Layer:
        allowed, required = self.signature(cls)
        missing = [r for r in required if r not in kwargs]
        if missing:
            raise SpecError(f"{show(kind)} needs {', '.join(missing)}", where=str(at))
        try:
            return cls(**kwargs)
        except (ConvShapeError, TypeError) as err:
            raise _spec_error(err, _field_where(str(at), str(err), allowed)) from None

    def container(
        self, kind: str, value: dict[str, Any], at: _Place, name: str | None
    ) -> Generator[_Request, Layer, Layer]:
        keys = _CONTAINER_FIELDS[kind]
        for key in value:
            if key not in keys and key != "type" and key != "name":
                raise SpecError(
                    f"unknown field for {show(kind)}. Fields: {', '.join((*keys, 'name'))}",
                    where=f"{at}.{_short(key)}",
                )
        if kind == "sequential":
            layers = yield from self.layers(value.get("layers", []), _Place(at, ".layers"))
            return Sequential(*layers, name=name)
        if kind == "residual":
            body = yield from self.layers(value.get("body", []), _Place(at, ".body"))
            if not body:
                raise SpecError("a residual needs at least one layer in 'body'", where=f"{at}.body")
            short = value.get("shortcut")
            shortcut = None if short is None else (yield from self.layers(short, _Place(at, ".shortcut")))
            return Residual(*body, shortcut=shortcut, name=name)
        if kind == "graph":
            return (yield from self.graph(value, at, name))
        branches = value.get("branches")
        if not isinstance(branches, list) or not branches:
            raise SpecError("a concat needs a non-empty list of branches", where=f"{at}.branches")
        built = []
        for i, branch in enumerate(branches):
            built.append((yield from self.layers(branch, _Place(at, f".branches[{i}]"))))
        return Concat(*built, name=name)

    def graph(self, value: dict[str, Any], at: _Place, name: str | None) -> Generator[_Request, Layer, Layer]:
        raw_nodes = value.get("nodes")
        if not isinstance(raw_nodes, list) or not raw_nodes:
            raise SpecError("a graph needs a non-empty list of nodes", where=f"{at}.nodes")
        nodes = []
        for i, raw in enumerate(raw_nodes):
            node_at = _Place(at, f".nodes[{i}]")
            if not isinstance(raw, dict):
                raise SpecError(
                    f"a node must be a table with name, op and inputs, got {type_name(raw)}",
                    where=str(node_at),
                )
            for key in raw:
                if key not in ("name", "op", "inputs"):
                    raise SpecError(
                        "unknown field for a node. Fields: name, op, inputs", where=f"{node_at}.{_short(key)}"
                    )
            node_name = raw.get("name")
            if not isinstance(node_name, str) or not node_name:
                raise SpecError("must be a non-empty string", where=f"{node_at}.name")
            inputs = raw.get("inputs")
            if inputs is not None and (
                not isinstance(inputs, list) or not all(isinstance(v, str) for v in inputs)
            ):
                raise SpecError("must be a list of node names", where=f"{node_at}.inputs")
            op = yield raw.get("op"), _Place(node_at, ".op")
            nodes.append(Node(node_name, op, inputs))
        outputs = value.get("outputs")
        if outputs is not None and (
            not isinstance(outputs, list) or not all(isinstance(v, str) for v in outputs)
        ):
            raise SpecError("must be a list of node names", where=f"{at}.outputs")
        graph_input = value.get("input", "input")
        if not isinstance(graph_input, str):
            raise SpecError("must be a string", where=f"{at}.input")
        try:
            return Graph(nodes, outputs, input=graph_input, name=name)
        except (ConvShapeError, TypeError) as err:
            raise _spec_error(err, str(at)) from None


def _short(key: str) -> str:
    """A key from a document, cut to a length a message can hold."""
    return key if len(key) <= 40 else key[:40] + "..."


def _keys(keys: list[str]) -> str:
    """Keys for a message: the first dozen, each cut to 40 characters."""
    return ", ".join(_short(key) for key in keys[:12]) + (", ..." if len(keys) > 12 else "")


def _spec_error(err: Exception, where: str) -> SpecError:
    """A layer's refusal as a SpecError at its place in the document, keeping what the layer said."""
    if isinstance(err, ConvShapeError):
        return SpecError(_detail(err), where=where, parameter=err.parameter, value=err.value, hint=err.hint)
    return SpecError(_detail(err), where=where)


def _random_table(value: dict[str, Any], at: _Place) -> RandomTable:
    """``{"fan_in": 16, "seed": 0}``: a random connection table (see convshape.RandomTable)."""
    unknown = sorted(set(value) - {"fan_in", "seed"})
    if unknown or "fan_in" not in value:
        raise SpecError(
            f"a random connection table has 'fan_in' and optionally 'seed', got keys {_keys(sorted(value))}",
            where=str(at),
        )
    try:
        return RandomTable(_frozen(value["fan_in"], at), seed=_frozen(value.get("seed", 0), at))  # type: ignore[arg-type]
    except (ConvShapeError, TypeError) as err:
        raise _spec_error(err, str(at)) from None


def _frozen(value: object, at: _Place) -> object:
    """Lists to tuples; only JSON/TOML scalars are accepted."""
    if isinstance(value, list) and _depth(value) > MAX_VALUE_DEPTH:
        raise SpecError(f"a field value may nest lists {MAX_VALUE_DEPTH} levels deep at most", where=str(at))
    return _frozen_value(value, at)


#: Field values (per-axis lists, pad pairs) nest a few levels at most.
MAX_VALUE_DEPTH = 8


def _frozen_value(value: object, at: _Place) -> object:
    if isinstance(value, list):
        # "none" in a list is a per-axis None (TOML has no null; see docs/specs.md)
        return tuple(
            None if v == "none" else _frozen_value(v, _Place(at, f"[{i}]")) for i, v in enumerate(value)
        )
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise SpecError(f"the value is {describe_huge(value)}, far too large for any field", where=str(at))
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    raise SpecError(f"unsupported value of type {type_name(value)}", where=str(at))


#: Integers longer than this (about 1,000 digits) are refused before any message tries to print them.
_MAX_INT_BITS = 3_322


def describe_huge(value: int) -> str:
    """A huge integer described by its length, never converted to text (Python limits that).

    >>> describe_huge(-10**5000)
    'a negative 5,001-digit integer'
    """
    digits = max(1, int(abs(value).bit_length() * 0.30102999566398120))
    if abs(value) >= 10**digits:  # the estimate can be one short
        digits += 1
    sign = "negative " if value < 0 else ""
    return f"a {sign}{digits:,}-digit integer"


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
            raise SpecError(f"unknown top-level key {show(key)}; use 'name', 'input' and 'layers'")
    name = document.get("name")
    if name is not None and not isinstance(name, str):
        raise SpecError(f"must be a string, got {type_name(name)} {show(name)}", where="name")
    input_shape = None
    if "input" in document:
        raw = document["input"]
        if (
            not isinstance(raw, list)
            or not raw
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in raw)
        ):
            raise SpecError(
                f"must be a list of positive ints (channels, *spatial), got {show(raw)}", where="input"
            )
        input_shape = tuple(raw)
    if "layers" not in document:
        raise SpecError("a network document needs 'layers'")
    parser = _Parser()
    network = Sequential(*parser.run(parser.layers(document["layers"], _Place(None, "layers"))), name=name)
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
    _check_format(format)
    doc = to_dict(as_layer(network, "network"), input_shape)
    depth, layers = _extent(doc)
    if layers > MAX_LAYERS or depth > MAX_NESTING:
        raise SpecError(
            f"the network is too large to write: it has {layers:,} layers and its text would nest "
            f"{depth:,} levels deep, and files hold at most {MAX_LAYERS:,} layers nested "
            f"{MAX_NESTING:,} levels deep; split the network"
        )
    if format == "toml" and depth > TOML_MAX_NESTING:
        raise SpecError(
            f"the network is nested too deeply for TOML: TOML files allow {TOML_MAX_NESTING} levels "
            f"of lists and tables (about {TOML_MAX_DEPTH} levels of containers); write JSON "
            "(format='json'), which nests as deep as the network does"
        )
    _check_writable(doc)
    if format == "json":
        return _json_text(doc) + "\n"
    lines = [f"{key} = {_toml_value(doc[key])}" for key in ("name", "input") if key in doc]
    if not doc["layers"]:
        lines.append("layers = []")  # an empty network still has its (empty) list of layers
    if lines:
        lines.append("")
    for layer in doc["layers"]:
        lines.append("[[layers]]")
        lines += [
            f"{_toml_string(key)} = {_toml_value(value)}"
            if not key.isidentifier()
            else f"{key} = {_toml_value(value)}"
            for key, value in layer.items()
        ]
        lines.append("")
    return "\n".join(lines)


def _check_writable(doc: dict[str, Any]) -> None:
    """Refuse an integer too long for Python to write as text (or to read back), naming its place."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if not limit:
        return
    bound = 10**limit
    stack: list[tuple[_Place, object]] = [(_Place(None, key), value) for key, value in reversed(doc.items())]
    while stack:
        place, value = stack.pop()
        if isinstance(value, int) and not -bound < value < bound:
            raise SpecError(
                f"{place} is {describe_int(value)}, too long to write to a file (Python writes and reads "
                f"integers of at most {limit:,} digits); use smaller sizes",
                parameter=str(place),
            )
        if isinstance(value, dict):
            stack += [(_Place(place, f".{key}"), item) for key, item in reversed(value.items())]
        elif isinstance(value, list):
            stack += [(_Place(place, f"[{i}]"), item) for i, item in reversed(list(enumerate(value)))]


def _toml_value(value: object) -> str:
    """One TOML value (inline tables and arrays), written with an explicit stack."""
    parts: list[str] = []
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if type(item) is _Text:  # literal text, not a string value to quote
            parts.append(item)
        elif isinstance(item, bool):
            parts.append("true" if item else "false")
        elif isinstance(item, int):
            parts.append(str(int(item)))
        elif isinstance(item, float):
            parts.append(
                repr(float(item)) if item == item and abs(item) != float("inf") else _bad_float(item)
            )
        elif isinstance(item, str):
            parts.append(_toml_string(item))
        elif item is None:  # TOML has no null: a per-axis None is written "none" (read back as None)
            parts.append('"none"')
        elif isinstance(item, list):
            todo: list[object] = [_Text("[")]
            for i, v in enumerate(item):
                todo += [_Text(", ")] if i else []
                todo.append(v)
            todo.append(_Text("]"))
            stack.extend(reversed(todo))
        elif isinstance(item, dict):
            todo = [_Text("{ ")]
            for i, (k, v) in enumerate(item.items()):
                todo += [_Text(", ")] if i else []
                todo += [_Text(f"{_toml_string(k)} = "), v]
            todo.append(_Text(" }"))
            stack.extend(reversed(todo))
        else:
            raise TypeError(f"cannot write {type_name(item)} as TOML")
    return "".join(parts)


def _json_text(document: object) -> str:
    """*document* as ``json.dumps(document, indent=2)`` writes it, down to :data:`INDENTED_LEVELS`
    levels, and compact below, written with an explicit stack (json's writer recurses)."""
    parts: list[str] = []
    stack: list[str | tuple[object, int]] = [_json_item(document, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        value, level = item
        if level < INDENTED_LEVELS:
            indent = "\n" + "  " * (level + 1)
            comma, colon, end = "," + indent, ": ", "\n" + "  " * level
        else:
            indent, comma, colon, end = "", ",", ":", ""
        todo: list[str | tuple[object, int]] = []
        if isinstance(value, dict):
            separator = "{" + indent
            for key, child in value.items():
                todo += [separator + json.dumps(key) + colon, _json_item(child, level + 1)]
                separator = comma
            todo.append(end + "}")
        else:
            assert isinstance(value, list)
            separator = "[" + indent
            for child in value:
                todo += [separator, _json_item(child, level + 1)]
                separator = comma
            todo.append(end + "]")
        stack.extend(reversed(todo))
    return "".join(parts)


def _json_item(value: object, level: int) -> str | tuple[object, int]:
    """A scalar's text (or ``[]``, ``{}``), or a list or table still to write at *level*."""
    return (value, level) if value and isinstance(value, (dict, list)) else json.dumps(value)


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, pos: int = 0) -> int:
    """The first place at or after *pos* that is not JSON whitespace."""
    if text[pos : pos + 1] not in _SPACES:  # compact text: no whitespace to skip
        return pos
    match = _SPACE.match(text, pos)
    return pos if match is None else match.end()


_SPACES = (" ", "\t", "\n", "\r")
#: json's own reader of one value at a place in a text (handed only scalars and keys here).
_DECODE = json.JSONDecoder().raw_decode


def _json_deep(text: str) -> Any:
    """JSON text parsed with an explicit stack, for documents nested deeper than ``json.loads``
    goes.  Scalars are read by json's own decoder, so each means what ``json.loads`` makes of it,
    and a broken document raises the ``JSONDecodeError`` that ``json.loads`` would."""
    scalar, space = _DECODE, _skip_space  # the decoder is never handed a "[" or "{": it would recurse
    # the open lists and tables: (items, None, start) or (key-value pairs, [the pending key], start)
    stack: list[tuple[list[Any], list[str] | None, int]] = []
    pos = space(text)
    while True:
        char = text[pos : pos + 1]
        if char in ("[", "{"):
            if len(stack) >= MAX_NESTING:
                raise SpecError(
                    f"the document nests lists and tables more than {MAX_NESTING:,} levels deep, the limit"
                )
            start, pos = pos, space(text, pos + 1)
            if text.startswith("]" if char == "[" else "}", pos):
                value: Any = [] if char == "[" else {}
                pos += 1
            elif char == "[":
                stack.append(([], None, start))
                continue
            else:
                key, pos = _json_key(text, pos)
                stack.append(([], [key], start))
                continue
        else:
            value, pos = scalar(text, pos)
        while True:  # hand the value to the open list or table; close those that end here
            if not stack:
                pos = space(text, pos)
                if pos != len(text):
                    raise json.JSONDecodeError("Extra data", text, pos)
                return value
            items, pending, start = stack[-1]
            items.append(value if pending is None else (pending[0], value))
            pos = space(text, pos)
            char = text[pos : pos + 1]
            if char == ",":
                pos = space(text, pos + 1)
                if pending is not None:
                    pending[0], pos = _json_key(text, pos)
                break
            if char == ("]" if pending is None else "}"):
                stack.pop()
                pos += 1
                value = items if pending is None else _unique_keys(items, text, start)
                continue
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)


def _json_key(text: str, pos: int) -> tuple[str, int]:
    """A table's key at *pos*, and the place after its ``:``."""
    if not text.startswith('"', pos):
        raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
    key, pos = _DECODE(text, pos)
    pos = _skip_space(text, pos)
    if not text.startswith(":", pos):
        raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
    return key, _skip_space(text, pos + 1)


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\"}


def _toml_string(text: str) -> str:
    """A TOML basic string: non-ASCII kept as is, control characters escaped, surrogates refused."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            raise SpecError(
                f"the string {text[:40]!r} holds a lone surrogate U+{code:04X}, which TOML cannot "
                "hold; remove it or write JSON"
            )
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _bad_float(value: float) -> str:
    return "nan" if value != value else ("inf" if value > 0 else "-inf")


def _check_format(format: object) -> None:
    """Refuse a *format* other than ``"json"`` or ``"toml"``, naming it."""
    if not isinstance(format, str):
        raise TypeError(f"format must be 'json' or 'toml', got {type_name(format)} {show(format)}")
    if format not in ("json", "toml"):
        raise SpecError(
            f"format must be 'json' or 'toml', got {show(format)}", parameter="format", value=format
        )


def loads(text: str, *, format: str = "json") -> tuple[Sequential, tuple[int, ...] | None]:
    """Parse a JSON or TOML document (see :func:`from_dict`).

    >>> network, shape = loads('{"input": [3, 32, 32], "layers": [{"type": "conv", "out_channels": 8, "kernel_size": 3}]}')
    >>> network.layers[0].describe(), shape
    ('Conv(8, 3)', (3, 32, 32))
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type_name(text)}")
    _check_format(format)
    if len(text) > MAX_BYTES:
        raise SpecError(f"the document is larger than {MAX_BYTES:,} characters, the limit")
    try:
        if format == "json":
            if sys.getrecursionlimit() <= _SAFE_RECURSION_LIMIT or _brackets(text) <= _SHALLOW_BRACKETS:
                try:
                    document = json.loads(text, object_pairs_hook=_unique_keys)
                except RecursionError:  # nested deeper than json's recursive reader goes
                    document = _json_deep(text)
                except SpecError:  # a key given twice: read again by the reader that says where
                    try:
                        _json_deep(text)
                    except SpecError as placed:
                        raise placed from None
                    raise  # pragma: no cover - the second reader refuses the same table
            else:  # json.loads could run out of C stack before the raised limit stops it
                document = _json_deep(text)
        else:
            deepest = _toml_depth(text)
            if deepest > TOML_MAX_NESTING:
                raise SpecError(
                    f"the document nests lists and tables {deepest:,} levels deep; TOML allows "
                    f"{TOML_MAX_NESTING} (about {TOML_MAX_DEPTH} levels of containers); write JSON, "
                    "which nests to any depth"
                )
            try:
                tomllib = importlib.import_module("tomllib")
            except ModuleNotFoundError:  # pragma: no cover - Python 3.10 has no tomllib
                raise SpecError("reading TOML needs Python 3.11 or newer (tomllib); use JSON") from None
            # tomllib recurses a few frames per nesting level; the pre-scan bounded the nesting,
            # so lend it the frames a document within the limit needs, then give them back.
            with _TOML_FRAMES:
                before = sys.getrecursionlimit()
                sys.setrecursionlimit(before + 8 * TOML_MAX_NESTING)
                try:
                    document = tomllib.loads(text)
                finally:
                    sys.setrecursionlimit(before)
    except json.JSONDecodeError as err:
        raise SpecError(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    except RecursionError:  # pragma: no cover - the pre-scan keeps TOML within the frames lent
        raise SpecError("the document is nested too deeply for TOML; write JSON") from None
    except ValueError as err:  # tomllib.TOMLDecodeError is a ValueError
        if isinstance(err, SpecError):
            raise
        raise SpecError(f"not valid {format.upper()}: {err}") from None
    return from_dict(document)


#: json.loads recurses in C once per level of nesting.  Under a recursion limit up to this it
#: raises RecursionError long before the C stack runs out (about 160 bytes a level); a caller
#: that raised the limit further could see a deep text crash the process instead, so then
#: json.loads reads only a text with at most _SHALLOW_BRACKETS brackets, and _json_deep the rest.
_SAFE_RECURSION_LIMIT = 10_000
_SHALLOW_BRACKETS = 500


def _brackets(text: str) -> int:
    """How many lists and tables *text* could open: a bound on its nesting, counted at C speed."""
    return text.count("[") + text.count("{")


def _unique_keys(pairs: list[tuple[str, Any]], text: str | None = None, start: int = 0) -> dict[str, Any]:
    """The table of *pairs*; a key given twice is refused, with the place where the table starts
    in *text* when given (json.loads hands only the pairs)."""
    table: dict[str, Any] = {}
    for key, value in pairs:
        if key in table:
            kind = table.get("type")
            of = f" of a {show(kind)} table" if isinstance(kind, str) else ""
            place = "" if text is None else f" at {_line_column(text, start)}"
            raise SpecError(
                f"duplicate key {show(key)}{of}{place} (keys: {_keys([k for k, _ in pairs])}); give each key once"
            )
        table[key] = value
    return table


def _line_column(text: str, pos: int) -> str:
    """Where *pos* is in *text*, counted as json's error messages count."""
    return f"line {text.count(chr(10), 0, pos) + 1}, column {pos - text.rfind(chr(10), 0, pos)}"


def _toml_depth(text: str) -> int:
    """The deepest bracket nesting in TOML *text*, outside strings and comments, without parsing.

    Strings may be basic (``"..."``, with escapes), literal (``'...'``) or either kind spread
    over lines (three quotes, closed by three to five, the extra ones being part of the string).
    """
    deepest = level = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            if text.startswith(ch * 3, i):  # a multi-line string: up to the next run of 3+ quotes
                end = i + 3
                while True:
                    end = _string_end(text, end, ch, n)
                    if end >= n or text.startswith(ch * 3, end):
                        break
                    end += 1
                while end < n and text[end] == ch:  # "a"""" ends the string a" : take the run
                    end += 1
            else:
                end = _string_end(text, i + 1, ch, n) + 1
            i = end
            continue
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch in "[{":
            level += 1
            deepest = max(deepest, level)
        elif ch in "]}":
            level -= 1
        i += 1
    return deepest


def _string_end(text: str, i: int, quote: str, n: int) -> int:
    """The place of the next *quote* at or after *i* (backslashes escape in basic strings)."""
    while i < n:
        ch = text[i]
        if ch == "\\" and quote == '"':
            i += 2
            continue
        if ch == quote:
            return i
        i += 1
    return n


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
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a pathlib.Path, got {type_name(path)} {show(path)}")
    p = Path(path)
    fmt = "toml" if p.suffix.lower() == ".toml" else "json"
    try:
        with p.open(encoding="utf-8", errors="strict") as handle:
            text = handle.read(MAX_BYTES + 1)  # never more: /dev/zero must not exhaust memory
    except OSError as err:
        raise SpecError(f"cannot read {str(p)!r}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{str(p)!r} is not UTF-8 text") from None
    except ValueError as err:  # a name with a NUL character: no file can have it
        raise SpecError(f"cannot read {str(p)!r}: {err}; a file name cannot hold it") from None
    try:
        return loads(text, format=fmt)
    except SpecError as err:
        raise err.located(str(p)) from None
