"""ONNX -> convshape: a Graph with one node per ONNX operator, parameters from the initializers.

The reader walks the nodes in order and keeps, for every tensor, one of two things:

* a *constant*: an initializer, a ``Constant`` or anything computed from constants and from
  the static shapes of activations (``Shape -> Gather -> Concat -> Reshape`` chains are
  folded this way).  Only the dims of an initializer are read; its values are read only
  when an operator needs them (a Reshape target, Resize scales) and only if small.
* an *activation*: the output of a convshape node, with its shape without the batch axis
  and the position of the batch axis (an attention block moves it: ``(3, N, heads, L, d)``).
  An exporter may also fold the batch into another axis for a while (``nn.MultiheadAttention``
  reshapes ``(L, N, E)`` to ``(L, N * heads, E / heads)``; ``as_strided`` flattens everything):
  the activation is then *merged*, its shape holds that axis's per-sample size ``heads`` and the
  batch is the outer factor of that axis; after ``(L, N, E) -> (L * N, E)`` (the output
  projection) it is the inner factor.  A merged activation passes only through operators that
  cannot mix samples (Reshape, Transpose, a Gather that only rearranges, Softmax elsewhere,
  element-wise operators of one input, a dense layer on its last axis); any other reader is
  refused, never guessed.

Every node's output shape is computed as it is emitted (with the spec's own arithmetic), so
an operator that depends on a shape (a Reshape, a Transpose after a Reshape, a Squeeze
without axes) sees the right one, and a shape the model declares (``value_info``) is
checked: a disagreement is an error, never a silent answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from math import prod
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from convshape.adapters._common import collapse, unsupported
from convshape.attention import MatMul
from convshape.containers import Add, Cat, Graph, Multiply, Node, _Merge, broadcast_shapes
from convshape.elementwise import Learned, PReLU, Softmax, StochasticDepth
from convshape.errors import ConvShapeError, ShapeError, SpecError, UnsupportedLayerError
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
from convshape.normalization import GroupNorm, InstanceNorm, LayerNorm, LocalResponseNorm
from convshape.reshaping import (
    Crop,
    Permute,
    PixelShuffle,
    PixelUnshuffle,
    Reduce,
    Reshape,
    Slice,
    Squeeze,
    Unsqueeze,
)

#: element-wise operators on one activation: the shape is unchanged
ACTIVATIONS = {
    "Relu": "relu", "LeakyRelu": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Clip": "clip",
    "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish", "Elu": "elu", "Selu": "selu", "Celu": "celu",
    "Gelu": "gelu", "Softplus": "softplus", "Softsign": "softsign", "Mish": "mish", "Erf": "erf",
    "Sqrt": "sqrt", "Exp": "exp", "Log": "log", "Abs": "abs", "Neg": "neg", "Reciprocal": "reciprocal",
    "Floor": "floor", "Ceil": "ceil", "Round": "round", "Sign": "sign", "Sin": "sin", "Cos": "cos",
    "ThresholdedRelu": "thresholded_relu", "Shrink": "shrink", "Swish": "swish", "Cast": "cast",
    "CastLike": "cast", "Not": "not", "IsNaN": "isnan", "IsInf": "isinf", "BitwiseNot": "bitwise_not",
}  # fmt: skip
#: element-wise operators on several tensors (broadcasting): the merge that has their shape rule
BINARY = {
    "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Max": "max", "Min": "min",
    "Sum": "add", "Mean": "mean", "Equal": "equal", "Less": "less", "Greater": "greater",
    "LessOrEqual": "less_equal", "GreaterOrEqual": "greater_equal", "And": "and", "Or": "or", "Xor": "xor",
    "Mod": "mod", "BitShift": "bitshift", "Where": "where", "PRelu": "prelu",
}  # fmt: skip
REDUCTIONS = {
    "ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "amax", "ReduceMin": "amin",
    "ReduceProd": "prod", "ReduceL1": "sum", "ReduceL2": "sum", "ReduceLogSum": "sum",
    "ReduceLogSumExp": "sum", "ReduceSumSquare": "sum", "ArgMax": "amax", "ArgMin": "amin",
}  # fmt: skip
#: operators that may read an activation whose batch is merged with another axis (see _Act);
#: Gemm and MatMul check that the merged axis is not the one they sum over
MERGED_READERS = frozenset(
    {"Reshape", "Transpose", "Gather", "Softmax", "LogSoftmax", "Identity", "Dropout", "Shape", "Size",
     "Split", "Slice", "Squeeze", "Unsqueeze", "LayerNormalization",
     "Gemm", "MatMul", *ACTIVATIONS,
     *(op for op in BINARY if op != "PRelu"), *REDUCTIONS}
)  # fmt: skip
#: how a merged activation holds the batch in the axis ``shape[bpos]`` (see _Act)
OUTER, INNER = 1, 2
#: operators whose result is true or false: a mask, even when computed from weights
PREDICATES = frozenset(
    {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not", "IsNaN", "IsInf"}
)
RANDOM = ("RandomUniformLike", "RandomNormalLike", "RandomUniform", "RandomNormal", "Bernoulli")
AUTO_PAD = {"SAME_UPPER": "same", "SAME_LOWER": "same_lower", "VALID": "valid"}
FLOAT_TYPES = {
    onnx.TensorProto.FLOAT,
    onnx.TensorProto.DOUBLE,
    onnx.TensorProto.FLOAT16,
    onnx.TensorProto.BFLOAT16,
}
#: the most elements of a tensor the reader will materialise (shape arithmetic is tiny)
VALUE_LIMIT = 1 << 16
#: the batch size assumed when the model's input leaves it symbolic: unlikely to equal another size
SYMBOLIC_BATCH = 9973


class _Const:
    """A tensor known without running the model: its dims, and its values when they were needed.

    *sources* names the weights (floating-point initializers) it holds or is computed from; it
    is a weight itself if it has any.  *params* is set where the parameters behind it differ from
    its own size: a relative position bias gathered from a smaller table counts the table."""

    __slots__ = ("dims", "params", "proto", "random", "sources", "value")

    def __init__(
        self,
        dims: tuple[int, ...],
        value: Any = None,
        proto: Any = None,
        sources: frozenset[str] = frozenset(),
        random: bool = False,
        params: int | None = None,
    ) -> None:
        self.params = None if params == prod(dims) else params
        self.dims = dims
        self.value = value
        self.proto = proto
        self.sources = sources
        self.random = random  # noise (stochastic depth in a training-mode export)

    def readable(self) -> bool:
        """Whether its values are known or can be read (a small initializer): dims-only results of
        folding (a large or computed-without-values tensor) cannot."""
        return self.value is not None or (self.proto is not None and prod(self.dims) <= VALUE_LIMIT)

    @property
    def learned(self) -> bool:
        """Whether it is a weight (or made from weights)."""
        return bool(self.sources)

    def count(self) -> int:
        """The parameters behind it, if it is a weight."""
        return prod(self.dims) if self.params is None else self.params


class _Act:
    """An activation: the convshape node that computes it, its batchless shape, the batch position:
    an axis of its own (*merged* 0), or the ``OUTER`` or ``INNER`` factor of the axis ``shape[bpos]``,
    which then holds the per-sample size of that axis."""

    __slots__ = ("bpos", "merged", "node", "shape")

    def __init__(self, node: str, shape: tuple[int, ...], bpos: int, merged: int = 0) -> None:
        self.node = node
        self.shape = shape
        self.bpos = bpos
        self.merged = merged

    @property
    def rank(self) -> int:
        """The rank of the tensor the model holds."""
        return len(self.shape) if self.merged else len(self.shape) + 1

    def outside(self) -> int:
        """How many values come before the batch index in row-major order, per batch index:
        the axes before the batch, and an inner-merged axis's own per-sample size."""
        before = prod(self.shape[: self.bpos])
        return before * self.shape[self.bpos] if self.merged == INNER else before

    def full(self, batch: int) -> tuple[int, ...]:
        if self.merged:
            return (*self.shape[: self.bpos], batch * self.shape[self.bpos], *self.shape[self.bpos + 1 :])
        return (*self.shape[: self.bpos], batch, *self.shape[self.bpos :])


#: where PyTorch's dynamo exporter records which initializers are parameters and which buffers
SIGNATURE = "pkg.torch.export.ExportedProgram.graph_signature"


def _buffers(graph: Any) -> frozenset[str]:
    """The initializers a PyTorch dynamo export lists as buffers (a Swin attention mask): state,
    not parameters.  Other models say nothing, and every floating-point initializer is a weight.

    The signature lists one input a line, ``b_name: BUFFER target='layers.0.attn_mask' ...``.
    """
    entries = getattr(graph, "metadata_props", ())  # GraphProto has it from IR version 10 (onnx 1.16)
    text = next((entry.value for entry in entries if entry.key == SIGNATURE), "")
    names: set[str] = set()
    for line in text.splitlines():
        kind, _, rest = line.partition(": ")[2].partition(" target='")
        if kind == "BUFFER" and "'" in rest:
            names.add(rest.partition("'")[0])
    return frozenset(names)


class _Reader:
    def __init__(self, model: Any, base: Path | None, input_shape: Sequence[int] | None) -> None:
        if not isinstance(model, onnx.ModelProto) or not model.HasField("graph"):
            raise SpecError("the file is not an ONNX model (no graph)")
        self.graph = model.graph
        self.base = base
        self.input_shape = input_shape
        self.opset = 0
        for entry in model.opset_import:
            if entry.domain in ("", "ai.onnx"):
                self.opset = int(entry.version)
        self.opset = self.opset or 11
        self.consts: dict[str, _Const] = {}
        self.acts: dict[str, _Act] = {}
        self.nodes: list[Node] = []
        self.used: set[str] = {"input"}
        self.batch = 1
        self.declared: dict[str, tuple[int, ...]] = {}
        self.where = ""
        #: where each output node's batch axis is (0 unless a Transpose or Reshape moved it)
        self.output_batch: dict[str, int] = {}
        for info in [*self.graph.value_info, *self.graph.output]:
            dims = info.type.tensor_type.shape.dim
            if (
                info.type.tensor_type.HasField("shape")
                and dims
                and all(d.HasField("dim_value") for d in dims)
            ):
                self.declared[info.name] = tuple(int(d.dim_value) for d in dims)
        self.buffers = _buffers(self.graph)

    # --- errors --------------------------------------------------------------------------
    def fail(self, detail: str) -> UnsupportedLayerError:
        return UnsupportedLayerError(detail, where=self.where)

    def bad(self, detail: str) -> SpecError:
        return SpecError(f"malformed model: {detail}", where=self.where)

    # --- constants -----------------------------------------------------------------------
    def load_initializer(self, proto: Any) -> None:
        dims = tuple(int(d) for d in proto.dims)
        if any(d < 0 for d in dims):
            raise SpecError(f"the initializer {proto.name!r} has negative dims {dims}")
        weight = proto.data_type in FLOAT_TYPES and proto.name not in self.buffers
        self.consts[proto.name] = _Const(
            dims, proto=proto, sources=frozenset((proto.name,) if weight else ())
        )

    def value(self, name: str, what: str = "") -> Any:
        """The values of a constant (read from the initializer now if needed); refuses big tensors."""
        const = self.consts.get(name)
        if const is None:
            if name in self.acts:
                raise self.fail(
                    f"{what or 'an input'} ({name!r}) is computed from the data; convshape needs it constant"
                )
            raise self.bad(f"{what or 'the input'} {name!r} is not produced by any node or initializer")
        if const.value is None:
            if const.proto is None:
                raise self.fail(f"the values of {name!r} are not known before running the model")
            size = prod(const.dims)
            if size > VALUE_LIMIT:
                raise self.fail(f"{what or name!r} would need the values of a tensor of {size:,} elements")
            const.value = self.read_tensor(const.proto)
        return const.value

    def read_tensor(self, proto: Any) -> Any:
        from onnx import numpy_helper

        if proto.data_location == onnx.TensorProto.EXTERNAL:
            proto = self.external(proto)
        try:
            array = numpy_helper.to_array(proto)
        except Exception as err:  # a tensor whose data does not match its dims or type
            raise SpecError(f"the tensor {proto.name!r} cannot be read: {err}", where=self.where) from None
        if tuple(array.shape) != tuple(int(d) for d in proto.dims):
            raise SpecError(f"the tensor {proto.name!r} holds data of the wrong size", where=self.where)
        return array

    def external(self, proto: Any) -> Any:
        """A copy of an external-data tensor with its bytes, read only from inside the model's folder."""
        info = {entry.key: entry.value for entry in proto.external_data}
        location = info.get("location", "")
        if self.base is None:
            raise self.fail(
                f"the tensor {proto.name!r} is stored in the external file {location!r}; load the model "
                "from its path (from_onnx(path)) so its folder is known"
            )
        base = self.base.resolve()
        target = (base / location).resolve()
        if not location or os.path.isabs(location) or base not in target.parents:
            raise SpecError(
                f"the tensor {proto.name!r} points outside the model's folder ({location!r})",
                where=self.where,
            )
        try:
            offset = int(info.get("offset", "0"))
            length = int(info["length"]) if "length" in info else -1
            with open(target, "rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
        except (OSError, ValueError) as err:
            raise SpecError(f"cannot read external data of {proto.name!r}: {err}", where=self.where) from None
        copy = onnx.TensorProto()
        copy.CopyFrom(proto)
        del copy.external_data[:]
        copy.data_location = onnx.TensorProto.DEFAULT
        copy.raw_data = data
        return copy

    def put(
        self,
        name: str,
        value: Any,
        sources: frozenset[str] = frozenset(),
        random: bool = False,
        params: int | None = None,
    ) -> None:
        array = np.asarray(value)
        dims = tuple(int(d) for d in array.shape)
        self.consts[name] = _Const(dims, array, sources=sources, random=random, params=params)

    def put_dims(
        self,
        name: str,
        dims: Sequence[int],
        sources: frozenset[str] = frozenset(),
        random: bool = False,
        params: int | None = None,
    ) -> None:
        self.consts[name] = _Const(
            tuple(int(d) for d in dims), None, sources=sources, random=random, params=params
        )

    @staticmethod
    def pieces(consts: Sequence[_Const]) -> tuple[frozenset[str], int | None]:
        """The sources and parameters of constants put side by side (Concat): each piece counts."""
        learned = [c for c in consts if c.sources]
        if not learned:
            return frozenset(), None
        return frozenset().union(*(c.sources for c in learned)), sum(c.count() for c in learned)

    @staticmethod
    def computed(consts: Sequence[_Const]) -> tuple[frozenset[str], int | None]:
        """The sources and parameters of a constant computed from *consts* (arithmetic, Concat).

        Inputs made from the same weights count once (``w + w.T``), inputs made from different
        ones add up; a one-element float (a scale, a fill value) is not a weight here.
        """
        by_sources: dict[frozenset[str], int] = {}
        for c in consts:
            if c.sources and (c.params is not None or prod(c.dims) > 1):
                by_sources[c.sources] = max(by_sources.get(c.sources, 0), c.count())
        if not by_sources:
            return frozenset(), None
        return frozenset().union(*by_sources), sum(by_sources.values())

    def ints(self, name: str, what: str) -> list[int]:
        value = self.value(name, what)
        if value.dtype.kind not in "iub":
            raise self.bad(f"{what} must be integers, got {value.dtype}")
        return [int(v) for v in value.reshape(-1)]

    def floats(self, name: str, what: str) -> list[float]:
        value = self.value(name, what)
        if value.dtype.kind not in "iuf":
            raise self.bad(f"{what} must be numbers, got {value.dtype}")
        return [float(v) for v in value.reshape(-1)]

    def dims(self, name: str) -> tuple[int, ...]:
        if name in self.consts:
            return self.consts[name].dims
        if name in self.acts:
            return self.acts[name].full(self.batch)
        raise self.bad(f"the input {name!r} is not produced by any node or initializer")

    # --- activations ---------------------------------------------------------------------
    def act(self, node: Any, index: int = 0) -> _Act:
        if index >= len(node.input) or not node.input[index]:
            raise self.bad(f"input {index} is missing")
        name = node.input[index]
        if name in self.acts:
            return self.acts[name]
        if name in self.consts:
            raise self.fail(f"input {index} ({name!r}) is a constant; convshape follows the data")
        raise self.bad(f"reads {name!r}, which no node, initializer or graph input produces")

    def unique(self, base: str) -> str:
        name = base or f"node{len(self.nodes)}"
        if name in self.used:
            i = 1
            while f"{name}_{i}" in self.used:
                i += 1
            name = f"{name}_{i}"
        self.used.add(name)
        return name

    def emit(
        self,
        label: str,
        op: Layer,
        inputs: list[_Act],
        bpos: int | None = None,
        output: str | None = None,
        merged: int | None = None,
    ) -> _Act:
        """Add a node, compute its output shape now; a failure is an error naming the ONNX node."""
        problems: list[ConvShapeError] = []
        if isinstance(op, _Merge):
            out = op._combine([a.shape for a in inputs], problems)[0]
        else:
            out = op._effect(inputs[0].shape, problems)[0]
        if problems or out is None or None in out:
            reason = problems[0] if problems else "the output shape is undetermined"
            shapes = ", ".join(str(a.full(self.batch)) for a in inputs)
            raise ShapeError(f"{op.describe()} on {shapes}: {reason}", where=self.where)
        name = self.unique(label)
        self.nodes.append(Node(name, op, [a.node for a in inputs]))
        result = _Act(
            name,
            tuple(int(v or 0) for v in out),
            inputs[0].bpos if bpos is None else bpos,
            inputs[0].merged if merged is None else merged,
        )
        if output is not None:
            self.set_act(output, result)
        return result

    def set_act(self, name: str, result: _Act) -> None:
        declared = self.declared.get(name)
        full = result.full(self.batch)
        if declared is not None and declared != full:
            raise ShapeError(
                f"convshape computes the shape {full} for {name!r} but the model declares {declared}",
                where=self.where,
            )
        self.acts[name] = result
        self.consts.pop(name, None)

    def axis(self, a: _Act, axis: int, what: str = "axis") -> int:
        """A batchless axis for an ONNX axis of *a*; the batch axis is refused."""
        rank = a.rank
        if not -rank <= axis < rank:
            raise self.bad(f"{what} {axis} is out of range for a tensor of rank {rank}")
        axis %= rank
        if axis == a.bpos:
            if a.merged:
                raise self.fail(
                    f"{what} {axis} holds the batch merged with another axis; it would mix samples"
                )
            raise self.fail(f"{what} {axis} is the batch axis; convshape shapes have no batch axis")
        return axis if axis < a.bpos or a.merged else axis - 1

    # --- reading -------------------------------------------------------------------------
    def start(self) -> None:
        for proto in self.graph.initializer:
            self.load_initializer(proto)
        for proto in self.graph.sparse_initializer:
            values = proto.values
            self.consts[values.name] = _Const(
                tuple(int(d) for d in proto.dims), sources=frozenset((values.name,))
            )
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise UnsupportedLayerError(
                f"the graph has {len(inputs)} inputs {[i.name for i in inputs]}; convshape models one input"
            )
        info = inputs[0]
        dims = list(info.type.tensor_type.shape.dim) if info.type.tensor_type.HasField("shape") else []
        if not dims:
            if self.input_shape is None:
                raise UnsupportedLayerError(
                    f"the input {info.name!r} has no declared shape; give input_shape= (without the batch)"
                )
            self.batch = SYMBOLIC_BATCH
            shape = tuple(self.input_shape)
        else:
            first = dims[0]
            self.batch = (
                int(first.dim_value)
                if first.HasField("dim_value") and first.dim_value > 0
                else SYMBOLIC_BATCH
            )
            if self.input_shape is not None:
                shape = tuple(int(v) for v in self.input_shape)
                if len(shape) != len(dims) - 1:
                    raise ShapeError(
                        f"input_shape {shape} has {len(shape)} axes; the model's input has "
                        f"{len(dims) - 1} besides the batch"
                    )
            else:
                declared = [int(d.dim_value) if d.HasField("dim_value") else -1 for d in dims[1:]]
                if 0 in declared:
                    raise UnsupportedLayerError(
                        f"the input {info.name!r} is an empty tensor {declared} (convshape sizes are >= 1)"
                    )
                if any(v < 0 for v in declared):
                    raise UnsupportedLayerError(
                        f"the input {info.name!r} has symbolic sizes {[d.dim_param or d.dim_value for d in dims]}; "
                        "give input_shape= (without the batch)"
                    )
                shape = tuple(declared)
        if any(v < 1 for v in shape):
            raise ShapeError(f"input shape {shape} has a size below 1")
        if not shape:
            raise UnsupportedLayerError(
                f"the input {info.name!r} has only the batch axis; convshape shapes start with the channels"
            )
        self.acts[info.name] = _Act("input", shape, 0)

    def read(self) -> Graph:
        self.start()
        handlers = self.handlers()
        for index, node in enumerate(self.graph.node):
            self.where = f"node {node.name or (node.output[0] if node.output else index)!r} ({node.op_type})"
            if node.domain not in ("", "ai.onnx"):
                raise self.fail(f"the operator {node.domain}.{node.op_type} is outside the ONNX standard")
            if not node.output:
                raise self.bad("the node has no output")
            handler = handlers.get(node.op_type)
            if handler is None:
                raise unsupported(
                    f"the ONNX operator {node.op_type}", "ONNX", [*handlers], where=self.where.split(" (")[0]
                )
            try:
                a = {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}
            except Exception as err:  # an attribute protobuf cannot decode
                raise self.bad(f"an attribute cannot be read ({err})") from None
            self.check_merged(node)
            try:
                handler(node, a)
            except ConvShapeError:
                raise
            except (KeyError, IndexError, ValueError, TypeError, ZeroDivisionError, OverflowError, AttributeError,
                    MemoryError) as err:  # fmt: skip
                raise self.bad(f"{type(err).__name__}: {err}") from None
        self.where = ""
        outputs: list[str] = []
        for out in self.graph.output:
            if out.name in self.acts:
                outputs.append(self.acts[out.name].node)
            elif out.name not in self.consts:
                raise SpecError(f"the graph output {out.name!r} is not produced by any node")
        if "input" in outputs:  # an output that is the input itself (an Identity-only graph)
            name = self.unique("identity")
            self.nodes.append(Node(name, Identity(), ["input"]))
            outputs = [name if o == "input" else o for o in outputs]
            self.acts[f"{name}:out"] = _Act(name, (), 0)
        if not outputs:
            raise UnsupportedLayerError("no graph output depends on the input")
        for out in self.graph.output:
            act = self.acts.get(out.name)
            if act is not None and act.merged:
                raise UnsupportedLayerError(
                    f"the graph output {out.name!r} {act.full(self.batch)} holds the batch merged with "
                    f"axis {act.bpos}; convshape reports shapes per sample"
                )
        self.output_batch = {act.node: act.bpos for act in self.acts.values() if act.node in outputs}
        return Graph(self.nodes, list(dict.fromkeys(outputs)))

    def handlers(self) -> dict[str, Callable[[Any, dict[str, Any]], None]]:
        table: dict[str, Callable[[Any, dict[str, Any]], None]] = {
            "Conv": self.conv, "ConvTranspose": self.conv, "MaxPool": self.pool, "AveragePool": self.pool,
            "LpPool": self.pool, "GlobalAveragePool": self.global_pool, "GlobalMaxPool": self.global_pool,
            "GlobalLpPool": self.global_pool, "Gemm": self.gemm, "MatMul": self.matmul,
            "BatchNormalization": self.batchnorm, "InstanceNormalization": self.instancenorm,
            "LayerNormalization": self.layernorm, "GroupNormalization": self.groupnorm, "LRN": self.lrn,
            "Flatten": self.flatten, "Reshape": self.reshape, "Squeeze": self.squeeze,
            "Unsqueeze": self.unsqueeze, "Transpose": self.transpose, "Concat": self.concat,
            "Split": self.split, "Slice": self.slice, "Gather": self.gather, "Shape": self.shape,
            "Size": self.size, "Constant": self.constant, "ConstantOfShape": self.constant_of_shape,
            "Identity": self.identity, "Dropout": self.dropout, "Resize": self.resize, "Pad": self.pad,
            "Softmax": self.softmax, "LogSoftmax": self.softmax, "Hardmax": self.softmax,
            "Expand": self.expand, "Range": self.range, "DepthToSpace": self.depth_to_space,
            "SpaceToDepth": self.depth_to_space, "Tile": self.tile, "ScatterND": self.scatter_nd,
            "CumSum": self.cumsum,
        }  # fmt: skip
        for op in REDUCTIONS:
            table[op] = self.reduce
        for op in ACTIVATIONS:
            table[op] = self.unary
        for op in BINARY:
            table[op] = self.binary
        for op in RANDOM:
            table[op] = self.random
        return table

    def check_merged(self, node: Any) -> None:
        """Refuse an operator that reads a merged activation unless it cannot mix samples."""
        if node.op_type in MERGED_READERS:
            return
        for name in node.input:
            act = self.acts.get(name)
            if act is not None and act.merged:
                raise self.fail(
                    f"{name!r} {act.full(self.batch)} holds the batch merged with axis {act.bpos}; convshape "
                    "follows a merged batch only through operators that keep samples apart: Reshape, "
                    "Transpose, Gather, Split, Slice, Squeeze, Unsqueeze, Softmax, LayerNormalization, "
                    "reductions over other axes, element-wise operators and matrix products"
                )

    # --- helpers for operators -----------------------------------------------------------
    def optional(self, node: Any, index: int) -> str | None:
        return node.input[index] if len(node.input) > index and node.input[index] else None

    def all_const(self, node: Any) -> bool:
        return all(name in self.consts for name in node.input if name) and any(node.input)

    def axes_of(self, node: Any, a: dict[str, Any], index: int, what: str = "axes") -> list[int] | None:
        """Axes from the attribute (older opsets) or the input (newer ones); None if absent."""
        if "axes" in a:
            return [int(v) for v in a["axes"]]
        name = self.optional(node, index)
        return None if name is None else self.ints(name, what)

    # --- windows -------------------------------------------------------------------------
    def padding(self, a: dict[str, Any], ndim: int) -> Any:
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode(errors="replace") if isinstance(auto, bytes) else str(auto)
        if auto in AUTO_PAD:
            return AUTO_PAD[auto]
        if auto != "NOTSET":
            raise self.bad(f"auto_pad {auto!r} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        pads = [int(v) for v in a.get("pads", [0] * (2 * ndim))]
        if len(pads) != 2 * ndim:
            raise self.bad(f"pads has {len(pads)} values for {ndim} spatial axes (needs {2 * ndim})")
        if any(v < 0 for v in pads):
            raise self.bad(f"pads {pads} has a negative value")
        pairs = [(pads[i], pads[i + ndim]) for i in range(ndim)]
        if all(b == e for b, e in pairs):
            return collapse([b for b, _ in pairs])
        return tuple(pairs)

    def window_attr(self, a: dict[str, Any], key: str, ndim: int, default: int) -> Any:
        values = [int(v) for v in a.get(key, [default] * ndim)]
        if len(values) != ndim:
            raise self.bad(f"{key} has {len(values)} values for {ndim} spatial axes")
        return collapse(values)

    def conv(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        if x.bpos != 0:
            raise self.fail("the batch axis is not first")
        wname = node.input[1] if len(node.input) > 1 else ""
        if not wname or wname not in self.consts:
            raise (
                self.fail("the weight is not an initializer or a constant")
                if wname in self.acts
                else self.bad("the weight input is missing")
            )
        w = self.consts[wname].dims
        ndim = len(x.shape) - 1
        if len(w) != ndim + 2:
            raise self.bad(f"the weight has dims {w} for an input of rank {ndim + 2}")
        group = int(a.get("group", 1))
        if group < 1:
            raise self.bad(f"group {group} is below 1")
        kernel = self.window_attr(a, "kernel_shape", ndim, 0) if "kernel_shape" in a else collapse(w[2:])
        bias = self.optional(node, 2)
        if bias is not None and self.dims(bias) != (
            (w[1] * group,) if node.op_type == "ConvTranspose" else (w[0],)
        ):
            raise self.bad(f"the bias has dims {self.dims(bias)}")
        stride = self.window_attr(a, "strides", ndim, 1)
        dilation = self.window_attr(a, "dilations", ndim, 1)
        padding = self.padding(a, ndim)
        common = {"stride": stride, "dilation": dilation, "groups": group, "bias": bias is not None}
        if node.op_type == "Conv":
            op: Layer = Conv(w[0], kernel, in_channels=w[1] * group, padding=padding, **common)
        else:
            out_pad = [int(v) for v in a.get("output_padding", [0] * ndim)]
            if len(out_pad) != ndim:
                raise self.bad(f"output_padding has {len(out_pad)} values for {ndim} spatial axes")
            if "output_shape" in a:
                padding, out_pad = self.transpose_padding(x, a, w, ndim, out_pad)
            op = ConvTranspose(
                w[1] * group,
                kernel,
                in_channels=w[0],
                output_padding=collapse(out_pad),
                padding=padding,
                **common,
            )
        self.emit(node.name or node.output[0], op, [x], output=node.output[0])

    def transpose_padding(
        self, x: _Act, a: dict[str, Any], w: tuple[int, ...], ndim: int, out_pad: list[int]
    ) -> tuple[Any, list[int]]:
        """ONNX's rule for output_shape: the padding that gives it (the odd pixel after for SAME_UPPER)."""
        wanted = [int(v) for v in a["output_shape"]][-ndim:]
        strides = [int(v) for v in a.get("strides", [1] * ndim)]
        dilations = [int(v) for v in a.get("dilations", [1] * ndim)]
        kernels = [int(v) for v in a.get("kernel_shape", w[2:])]
        upper = a.get("auto_pad", b"NOTSET") in (b"SAME_UPPER", "SAME_UPPER")
        if len(wanted) != ndim or len(strides) != ndim or len(dilations) != ndim or len(kernels) != ndim:
            raise self.bad(
                "output_shape, strides, dilations and kernel_shape must give one value per spatial axis"
            )
        pairs: list[tuple[int, int]] = []
        extra: list[int] = []
        for size, want, s, d, k, op in zip(
            x.shape[1:], wanted, strides, dilations, kernels, out_pad, strict=True
        ):
            total = s * (size - 1) + op + (k - 1) * d + 1 - want
            if total < 0:  # the output grows past the last window: more output padding
                pairs.append((0, 0))
                extra.append(op - total)
            else:
                small, big = total // 2, total - total // 2
                pairs.append((small, big) if upper else (big, small))
                extra.append(op)
        return tuple(pairs), extra

    def pool(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        if x.bpos != 0:
            raise self.fail("the batch axis is not first")
        if "kernel_shape" not in a:
            raise self.bad("kernel_shape is missing")
        ndim = len(x.shape) - 1
        kernel = self.window_attr(a, "kernel_shape", ndim, 1)
        common = {
            "stride": self.window_attr(a, "strides", ndim, 1),
            "padding": self.padding(a, ndim),
            "ceil_mode": bool(a.get("ceil_mode", 0)),
        }
        dilation = self.window_attr(a, "dilations", ndim, 1)
        cls = MaxPool if node.op_type == "MaxPool" else AvgPool  # LpPool's shape is AveragePool's
        try:  # ONNX's rules: any padding, and dilations for AveragePool too (opset 19)
            op: Layer = cls(kernel, dilation=dilation, convention="onnx", **common)
        except ConvShapeError as err:
            raise err.located(self.where) from None
        try:
            result = self.emit(node.name or node.output[0], op, [x], output=node.output[0])
        except ShapeError:
            if common["ceil_mode"] and self.opset <= 21:
                self.old_ceil_declaration(node, a, x, op)
            raise
        if len(node.output) > 1 and node.output[1]:  # MaxPool's indices: the same shape, no data flow here
            self.put_dims(node.output[1], result.full(self.batch))

    def old_ceil_declaration(self, node: Any, a: dict[str, Any], x: _Act, op: Layer) -> None:
        """Explain a refused declaration that is what ONNX's shape inference up to opset 21 writes
        for a pool in ceil mode: a plain ceil, one more than running the model gives when the
        last window would start in the right padding (opset 22's inference took the runtime's rule)."""
        declared = self.declared.get(node.output[0])
        spatial = x.shape[1:]
        ndim = len(spatial)
        if declared is None or "pads" not in a or None in spatial or len(declared) != ndim + 2:
            return
        kernel = [int(v) for v in a["kernel_shape"]]
        strides = [int(v) for v in a.get("strides", [1] * ndim)]
        dilations = [int(v) for v in a.get("dilations", [1] * ndim)]
        pads = [int(v) for v in a["pads"]]
        plain = tuple(
            -(-(size + pads[i] + pads[i + ndim] - dilations[i] * (kernel[i] - 1) - 1) // strides[i]) + 1
            for i, size in enumerate(spatial)
        )
        if tuple(declared[2:]) != plain:
            return
        computed = op._effect(x.shape, [])[0]
        raise ShapeError(
            f"the model declares {declared} for {node.output[0]!r}: ONNX's shape inference up to "
            f"opset 21 (this file's is {self.opset}) takes a plain ceil in ceil mode, while ONNX Runtime "
            f"and PyTorch drop a last window that would start in the right padding and compute "
            f"{tuple(computed or ())[1:]} on the spatial axes, as convshape does; remove the declared "
            "shapes (value_info) or infer them again at opset 22",
            where=self.where,
        )

    def global_pool(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        if x.bpos != 0 or len(x.shape) < 2:
            raise self.fail("global pooling needs a (N, C, *spatial) input")
        op = AdaptiveMaxPool(1) if node.op_type == "GlobalMaxPool" else AdaptiveAvgPool(1)
        self.emit(node.name or node.output[0], op, [x], output=node.output[0])

    # --- dense ---------------------------------------------------------------------------
    def gemm(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        if len(node.input) < 2 or node.input[1] not in self.consts:
            raise (
                self.fail("Gemm of two activations is not supported")
                if len(node.input) > 1 and node.input[1] in self.acts
                else self.bad("the weight input is missing")
            )
        if int(a.get("transA", 0)):
            raise self.fail("Gemm with transA=1 is not supported")
        if x.bpos != 0 or x.rank != 2:
            raise self.bad(f"Gemm needs a 2-D input (N, features), got {x.full(self.batch)}")
        w = self.consts[node.input[1]].dims
        if len(w) != 2:
            raise self.bad(f"the weight has dims {w}; Gemm needs a matrix")
        fin, fout = (w[1], w[0]) if int(a.get("transB", 0)) else (w[0], w[1])
        bias = self.optional(node, 2)
        if bias is not None:
            c = self.dims(bias)
            if broadcast_shapes([(self.batch, fout), c], []) != (self.batch, fout) or len(c) > 2:
                raise self.bad(f"the bias has dims {c} for an output of {fout} features")
        self.emit(node.name or node.output[0], Linear(fout, bias=bias is not None, in_features=fin), [x],
                  output=node.output[0])  # fmt: skip

    def learned(self, name: str, anchor: _Act, label: str, bpos_of: _Act | None = None) -> _Act:
        """A Learned node for a constant operand (its dims without the batch entry of *bpos_of*)."""
        const = self.consts[name]
        dims = const.dims
        ref = bpos_of or anchor
        rank = len(ref.shape) + 1
        offset = ref.bpos - (rank - len(dims))
        if 0 <= offset < len(dims):
            self.check_batch_copies(name, offset)
            dims = dims[:offset] + dims[offset + 1 :]
            bpos = offset
        else:
            bpos = 0
        if not dims:
            dims = (1,)
        result = self.emit(label, Learned(dims, params=const.params), [anchor], bpos=bpos)
        return result

    def matmul(self, node: Any, a: dict[str, Any]) -> None:
        if len(node.input) != 2 or not all(node.input):
            raise self.bad(f"MatMul needs 2 inputs, got {len(node.input)}")
        for name in node.input:
            if name not in self.acts and name not in self.consts:
                raise self.bad(f"reads {name!r}, which no node, initializer or graph input produces")
        if self.all_const(node):
            return self.fold(node, a)
        name_a, name_b = node.input
        dims_a, dims_b = self.dims(name_a), self.dims(name_b)
        found: list[ConvShapeError] = []
        expected = MatMul()._combine([dims_a, dims_b], found)[0]
        if found or expected is None:
            raise ShapeError(
                f"cannot multiply {dims_a} by {dims_b}: {found[0] if found else ''}", where=self.where
            )
        label = node.name or node.output[0]
        b_const = self.consts.get(name_b)
        if name_a in self.acts and b_const is not None and len(dims_b) == 2 and b_const.learned:
            x = self.acts[name_a]
            if x.bpos == x.rank - 1:
                raise self.fail("the batch axis is the last axis of the first operand")
            result = self.emit(label, Linear(dims_b[1], bias=False, in_features=dims_b[0]), [x])
        else:
            kinds = {self.acts[name].merged for name in (name_a, name_b) if name in self.acts}
            if any(kinds) and (len(kinds) > 1 or not all(name in self.acts for name in (name_a, name_b))):
                raise self.fail(
                    "an operand holds the batch merged with another axis; convshape multiplies it only by a "
                    "weight matrix or by another operand whose batch is merged the same way"
                )
            anchor = self.acts.get(name_a) or self.acts[name_b]
            operands: list[_Act] = []
            for name, side in ((name_a, "a"), (name_b, "b")):
                if name in self.acts:
                    operands.append(self.acts[name])
                elif self.consts[name].learned:
                    operands.append(self.learned(name, anchor, f"{label}.{side}"))
                else:
                    raise self.fail(f"the constant operand {name!r} is not a weight")
            ra, rb = len(dims_a), len(dims_b)
            out_rank = len(expected)
            bpos: int | None = None
            for name, o, r in ((name_a, operands[0], ra), (name_b, operands[1], rb)):
                if name not in self.acts:
                    continue
                if (
                    name == name_a
                    and r >= 2
                    and o.bpos == r - 2
                    and len(operands[1].shape) <= 2
                    and (name_b not in self.acts)
                ):
                    candidate = out_rank - 2 if rb >= 2 else out_rank - 1
                elif o.bpos < r - 2:  # a leading axis; a 1-D other operand removes one trailing axis
                    drop = 1 if (rb if name == name_a else ra) == 1 else 0
                    candidate = out_rank - (r - o.bpos - drop)
                else:
                    raise self.fail("the batch axis is one of the multiplied axes")
                if bpos is not None and candidate != bpos:
                    raise self.fail("the operands' batch axes do not line up")
                bpos = candidate
            result = self.emit(label, MatMul(), operands, bpos=bpos)
        if result.full(self.batch) != tuple(expected):
            raise self.fail(f"the product {dims_a} x {dims_b} cannot be written without the batch axis")
        self.set_act(node.output[0], result)
        return None

    # --- normalisation -------------------------------------------------------------------
    def channels_first(self, x: _Act, what: str) -> None:
        if x.bpos != 0 or not x.shape:
            raise self.fail(f"{what} needs (N, C, ...) with the batch first")

    def check_channels(self, node: Any, index: int, channels: int) -> None:
        name = self.optional(node, index)
        if name is None:
            raise self.bad(f"input {index} is missing")
        dims = self.dims(name)
        if prod(dims) != channels:
            raise self.bad(f"input {index} has dims {dims} for {channels} channels")

    def batchnorm(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        self.channels_first(x, "BatchNormalization")
        for index in (1, 2, 3, 4):
            self.check_channels(node, index, x.shape[0])
        self.emit(node.name or node.output[0], BatchNorm(), [x], output=node.output[0])
        for extra in node.output[1:]:  # running statistics of a training-mode export
            if extra:
                self.put_dims(extra, (x.shape[0],))

    def instancenorm(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        self.channels_first(x, "InstanceNormalization")
        if len(x.shape) < 2:
            raise self.bad("InstanceNormalization needs spatial axes")
        for index in (1, 2):
            self.check_channels(node, index, x.shape[0])
        learned = all(self.consts[node.input[i]].learned and self.consts[node.input[i]].proto is not None
                      for i in (1, 2) if node.input[i] in self.consts)  # fmt: skip
        self.emit(node.name or node.output[0], InstanceNorm(affine=learned), [x], output=node.output[0])

    def layernorm(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        rank = x.rank
        axis = int(a.get("axis", -1))
        if not -rank <= axis < rank:
            raise self.bad(f"axis {axis} is out of range for rank {rank}")
        axis %= rank
        if x.bpos >= axis:
            raise self.fail(f"axis {axis} normalises over the batch axis")
        normalised = x.full(self.batch)[axis:]
        scale = self.optional(node, 1)
        if scale is None:
            raise self.bad("the scale input is missing")
        bias = self.optional(node, 2)
        for name in [scale] + ([bias] if bias else []):
            dims = self.dims(name)
            if broadcast_shapes([normalised, dims], []) != normalised or len(dims) > len(normalised):
                raise self.bad(f"{name!r} has dims {dims} for normalised axes {normalised}")
            if prod(dims) != prod(normalised):
                raise self.fail(f"{name!r} {dims} is broadcast over the normalised axes {normalised}")
        op = LayerNorm(rank - axis, bias=bias is not None)
        self.emit(node.name or node.output[0], op, [x], output=node.output[0])
        for extra in node.output[1:]:
            if extra:
                self.put_dims(extra, (*x.full(self.batch)[:axis], *([1] * (rank - axis))))

    def groupnorm(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        self.channels_first(x, "GroupNormalization")
        if "num_groups" not in a:
            raise self.bad("num_groups is missing")
        groups = int(a["num_groups"])
        if groups < 1:
            raise self.bad(f"num_groups {groups} is below 1")
        for index in (1, 2):
            name = self.optional(node, index)
            if name is None:
                raise self.bad(f"input {index} is missing")
            size = prod(self.dims(name))
            if size != x.shape[0]:
                if size == groups:
                    raise self.fail(
                        "the scale and bias are per group (opset 18's form); PyTorch's GroupNorm has them per channel"
                    )
                raise self.bad(f"input {index} has {size} values for {x.shape[0]} channels")
        self.emit(node.name or node.output[0], GroupNorm(groups), [x], output=node.output[0])

    def lrn(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        self.channels_first(x, "LRN")
        if "size" not in a:
            raise self.bad("size is missing")
        op = LocalResponseNorm(int(a["size"]), alpha=float(a.get("alpha", 1e-4)), beta=float(a.get("beta", 0.75)),
                               k=float(a.get("bias", 1.0)))  # fmt: skip
        self.emit(node.name or node.output[0], op, [x], output=node.output[0])

    # --- element-wise --------------------------------------------------------------------
    def unary(self, node: Any, a: dict[str, Any]) -> None:
        if self.all_const(node):
            return self.fold(node, a)
        x = self.act(node)
        if node.op_type == "Clip" and len(node.input) > 1:
            for name in node.input[1:]:
                if name and name in self.acts:
                    raise self.fail("Clip with bounds computed from the data")
        if node.op_type == "CastLike" and len(node.input) > 1 and node.input[1] in self.acts:
            pass  # only the type of the second input is used
        self.emit(
            node.name or node.output[0], Activation(ACTIVATIONS[node.op_type]), [x], output=node.output[0]
        )
        return None

    def binary(self, node: Any, a: dict[str, Any]) -> None:
        names = list(node.input)
        if not names or not all(names):
            raise self.bad("an input name is empty")
        if node.op_type == "Where" and len(names) != 3:
            raise self.bad("Where needs 3 inputs")
        if node.op_type not in ("Sum", "Mean", "Max", "Min") and node.op_type != "Where" and len(names) != 2:
            raise self.bad(f"{node.op_type} needs 2 inputs, got {len(names)}")
        for name in names:
            if name not in self.acts and name not in self.consts:
                raise self.bad(f"reads {name!r}, which no node, initializer or graph input produces")
        if self.all_const(node):
            return self.fold(node, a)
        label = node.name or node.output[0]
        acts = [self.acts[n] for n in names if n in self.acts]
        consts = [n for n in names if n in self.consts]
        fulls = [self.dims(n) for n in names]
        found: list[ConvShapeError] = []
        out_full = broadcast_shapes(list(fulls), found)
        if found or out_full is None:
            raise ShapeError(f"inputs {fulls} do not broadcast", where=self.where)
        out_rank = len(out_full)
        dist = {(x.rank - x.bpos, x.merged) for x in acts}
        if len(dist) != 1:
            raise self.fail("the inputs' batch axes do not line up")
        distance, merged = dist.pop()
        bpos = out_rank - distance
        # operands that are weights: learned tensors (a position embedding, a layer scale)
        if node.op_type == "PRelu":
            return self.prelu(node, acts, consts, label)
        learned = [n for n in consts if self.consts[n].learned and prod(self.consts[n].dims) > 1
                   and not self.consts[n].random]  # fmt: skip
        fixed = [n for n in consts if n not in learned]
        merge: Layer = Multiply() if node.op_type in ("Mul", "Div", "Pow") else Add()
        if len(acts) == 1 and len(learned) == 1 and node.op_type in ("Add", "Sub", "Mul", "Div"):
            x = acts[0]
            dims = self.batchless(learned[0], x, out_rank, bpos)
            op: Layer = Learned(
                dims,
                op="multiply" if node.op_type in ("Mul", "Div") else "add",
                params=self.consts[learned[0]].params,
            )
            result = self.emit(label, op, [x], bpos=bpos)
        else:
            if merged and learned:
                raise self.fail(
                    f"the weights {learned} meet activations whose batch is merged with another axis"
                )
            operands = list(acts)
            for n in learned:
                operands.append(self.learned(n, acts[0], f"{label}.{n}"))
            if len(operands) == 1:
                random = any(self.consts[n].random for n in fixed)
                op = StochasticDepth() if random else Activation(f"{BINARY[node.op_type]}_const")
                result = self.emit(label, op, operands, bpos=bpos)
            else:
                result = self.emit(label, merge, operands, bpos=bpos)
        if result.full(self.batch) != tuple(out_full):
            raise self.fail(
                f"the constant inputs {[self.consts[n].dims for n in fixed]} broadcast the activations to {out_full}"
                if fixed
                else f"inputs {fulls} cannot be broadcast without the batch axis"
            )
        self.set_act(node.output[0], result)
        return None

    def check_batch_copies(self, name: str, axis: int) -> None:
        """A weight's entry on the batch axis must be 1, or hold equal copies: an exporter that folds
        ``class_token.expand(batch, -1, -1)`` stores one copy per sample.  Copies that differ (a tensor
        per sample) have no batchless form and are refused."""
        dims = self.consts[name].dims
        if dims[axis] == 1:
            return
        if dims[axis] == self.batch and prod(dims) <= VALUE_LIMIT:
            values = np.moveaxis(self.value(name, f"the weight {name!r}"), axis, 0)
            if bool(np.all(values == values[:1])):
                return
        raise self.fail(f"the weight {name!r} {dims} varies along the batch axis")

    def batchless(self, name: str, x: _Act, out_rank: int, bpos: int) -> tuple[int, ...]:
        """A weight's dims as one sample sees them: without its batch entry, or with *x*'s batch
        merged into an axis, with that axis (where the weight must not vary)."""
        dims = self.consts[name].dims
        offset = bpos - (out_rank - len(dims))
        if x.merged:
            if 0 <= offset < len(dims) and dims[offset] != 1:
                raise self.fail(
                    f"the weight {name!r} {dims} varies along axis {bpos}, which holds the batch merged "
                    "with another axis"
                )
            return dims or (1,)
        if 0 <= offset < len(dims):
            self.check_batch_copies(name, offset)
            dims = dims[:offset] + dims[offset + 1 :]
        return dims or (1,)

    def prelu(self, node: Any, acts: list[_Act], consts: list[str], label: str) -> None:
        if len(acts) != 1 or node.input[0] not in self.acts or len(consts) != 1:
            raise self.fail("PRelu needs an activation and a constant slope")
        x = acts[0]
        full = x.full(self.batch)
        slope = self.consts[consts[0]].dims
        if broadcast_shapes([full, slope], []) != full or len(slope) > len(full):
            raise self.fail(f"the slope {slope} does not broadcast onto {full}")
        n = prod(slope)
        padded = (1,) * (len(full) - len(slope)) + slope
        per_channel = x.bpos == 0 and len(full) > 1 and padded[1] == n == full[1]
        op: Layer = (
            PReLU(n)
            if n == 1 or per_channel
            else Learned(self.batchless(consts[0], x, len(full), x.bpos), op="multiply")
        )
        self.emit(label, op, [x], output=node.output[0])

    def random(self, node: Any, a: dict[str, Any]) -> None:
        if node.op_type in ("RandomUniform", "RandomNormal"):
            self.put_dims(node.output[0], [int(v) for v in a.get("shape", [])], random=True)
            return
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        self.put_dims(node.output[0], self.dims(node.input[0]), random=True)

    def dropout(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        ratio = float(a.get("ratio", 0.5))
        name = self.optional(node, 1)
        if name is not None and name in self.consts:
            values = self.floats(name, "ratio")
            ratio = values[0] if len(values) == 1 else ratio
        ratio = ratio if 0.0 <= ratio <= 1.0 else 0.5
        self.emit(node.name or node.output[0], Dropout(ratio), [x], output=node.output[0])
        if len(node.output) > 1 and node.output[1]:
            self.put_dims(node.output[1], x.full(self.batch), random=True)

    def softmax(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        rank = x.rank
        axis = int(a.get("axis", -1 if self.opset >= 13 else 1))
        if self.opset < 13:  # the input is seen as 2-D: (before axis) x (from axis)
            if not -rank <= axis < rank:
                raise self.bad(f"axis {axis} is out of range for rank {rank}")
            if axis % rank <= x.bpos:
                raise self.fail(
                    f"axis {axis} (opset {self.opset}: every axis from it) includes the batch axis"
                )
        at = self.axis(x, axis)
        op: Layer = Softmax(at, log=node.op_type == "LogSoftmax")
        if node.op_type == "Hardmax":
            op = Activation("hardmax")
        self.emit(node.name or node.output[0], op, [x], output=node.output[0])

    # --- shape plumbing ------------------------------------------------------------------
    def identity(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        name = node.input[0]
        if name in self.acts:
            self.set_act(node.output[0], self.acts[name])
        elif name in self.consts:
            self.consts[node.output[0]] = self.consts[name]
        else:
            raise self.bad(f"reads {name!r}, which no node, initializer or graph input produces")

    def constant(self, node: Any, a: dict[str, Any]) -> None:
        from onnx import numpy_helper

        if "value" in a:
            proto = a["value"]
            if proto.data_location == onnx.TensorProto.EXTERNAL:
                self.consts[node.output[0]] = _Const(tuple(int(d) for d in proto.dims), proto=proto)
                return
            try:
                self.put(node.output[0], numpy_helper.to_array(proto))
            except Exception as err:
                raise self.bad(f"the value cannot be read ({err})") from None
        elif "value_int" in a:
            self.put(node.output[0], np.array(int(a["value_int"]), dtype=np.int64))
        elif "value_ints" in a:
            self.put(node.output[0], np.array([int(v) for v in a["value_ints"]], dtype=np.int64))
        elif "value_float" in a:
            self.put(node.output[0], np.array(float(a["value_float"]), dtype=np.float32))
        elif "value_floats" in a:
            self.put(node.output[0], np.array([float(v) for v in a["value_floats"]], dtype=np.float32))
        else:
            raise self.fail("a Constant without value, value_int(s) or value_float(s) is not supported")

    def scatter_nd(self, node: Any, a: dict[str, Any]) -> None:
        """ScatterND of constants (an attention mask built in the forward, torchvision's Swin)."""
        if len(node.input) != 3 or not all(node.input):
            raise self.bad("ScatterND needs 3 inputs")
        for name in node.input:
            if name not in self.acts and name not in self.consts:
                raise self.bad(f"reads {name!r}, which no node, initializer or graph input produces")
        if not self.all_const(node):
            raise self.fail("ScatterND into or from the data is not supported (only constants are folded)")
        data, indices, updates = (
            self.value(n, what) for n, what in zip(node.input, ("data", "indices", "updates"), strict=True)
        )
        if indices.dtype.kind not in "iu" or indices.ndim < 1 or indices.shape[-1] > data.ndim:
            raise self.bad(f"indices of shape {indices.shape} do not index data of shape {data.shape}")
        if updates.shape != indices.shape[:-1] + data.shape[indices.shape[-1] :]:
            raise self.bad(
                f"updates of shape {updates.shape} do not fit indices {indices.shape} into {data.shape}"
            )
        reduction = a.get("reduction", b"none")
        reduction = reduction.decode() if isinstance(reduction, bytes) else str(reduction)
        combine = {"none": None, "add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}
        if reduction not in combine:
            raise self.bad(f"reduction {reduction!r} is not one of none, add, mul, max, min")
        out = np.array(data, copy=True)
        depth = indices.shape[-1]
        for where in np.ndindex(*indices.shape[:-1]):
            at = tuple(int(i) for i in indices[where])
            if any(not -size <= i < size for i, size in zip(at, data.shape[:depth], strict=True)):
                raise self.bad(f"index {list(at)} is out of range for data of shape {data.shape}")
            function = combine[reduction]
            out[at] = updates[where] if function is None else function(out[at], updates[where])
        self.put(node.output[0], out)  # computed, so not a weight (see fold)

    def cumsum(self, node: Any, a: dict[str, Any]) -> None:
        """CumSum of constants (a position grid built in the forward, timm's EdgeNeXt)."""
        if len(node.input) != 2 or not all(node.input):
            raise self.bad("CumSum needs 2 inputs")
        if not self.all_const(node):
            raise self.fail("CumSum of the data is not supported (only constants are folded)")
        values = self.value(node.input[0], "the data")
        axis = self.ints(node.input[1], "axis")
        if values.ndim < 1 or values.dtype.kind not in "iuf":
            raise self.bad(
                f"CumSum needs numbers of rank 1 or more, got {values.dtype} of rank {values.ndim}"
            )
        if len(axis) != 1 or not -values.ndim <= axis[0] < values.ndim:
            raise self.bad(f"axis {axis} does not fit data of rank {values.ndim}")
        at = axis[0] % values.ndim
        data = np.flip(values, at) if a.get("reverse", 0) else values
        total = np.cumsum(data, axis=at, dtype=values.dtype)
        if a.get("exclusive", 0):  # each sum without its own element: shifted by one place
            head = np.zeros_like(np.take(total, [0], axis=at))
            total = np.concatenate([head, np.take(total, range(total.shape[at] - 1), axis=at)], axis=at)
        result = np.flip(total, at) if a.get("reverse", 0) else total
        self.put(node.output[0], result)  # computed from constants, not from weights

    def constant_of_shape(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        dims = self.ints(node.input[0], "the shape")
        if any(d < 0 for d in dims):
            raise self.bad(f"negative dims {dims}")
        size = prod(dims)
        if size <= VALUE_LIMIT:
            from onnx import numpy_helper

            fill = numpy_helper.to_array(a["value"]).reshape(-1) if "value" in a else np.zeros(1, np.float32)
            if fill.size != 1:
                raise self.bad("value must hold one element")
            self.put(node.output[0], np.full(dims, fill[0], dtype=fill.dtype))
        else:
            self.put_dims(node.output[0], dims)

    def shape(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        full = list(self.dims(node.input[0]))
        rank = len(full)
        start = int(a.get("start", 0))
        end = int(a.get("end", rank))
        start = min(max(start + rank if start < 0 else start, 0), rank)
        end = min(max(end + rank if end < 0 else end, 0), rank)
        self.put(node.output[0], np.array(full[start:end], dtype=np.int64))

    def size(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        self.put(node.output[0], np.array(prod(self.dims(node.input[0])), dtype=np.int64))

    def range(self, node: Any, a: dict[str, Any]) -> None:
        if len(node.input) != 3 or not self.all_const(node):
            raise self.fail("Range of values computed from the data")
        start, limit, delta = (self.value(n, "Range input") for n in node.input)
        if np.ndim(start) or np.ndim(limit) or np.ndim(delta) or delta == 0:
            raise self.bad("Range needs scalar inputs and a non-zero delta")
        count = max(int(np.ceil((limit - start) / delta)), 0)
        if count > VALUE_LIMIT:
            self.put_dims(node.output[0], (count,))
        else:
            self.put(node.output[0], np.arange(count, dtype=np.asarray(start).dtype) * delta + start)

    def fold(self, node: Any, a: dict[str, Any]) -> None:
        """Compute a node whose inputs are all constants (shape arithmetic), or at least its dims."""
        op = node.op_type
        names = list(node.input)
        consts = [self.consts[n] if n else None for n in names]
        have_values = all(c is None or c.readable() for c in consts)
        # A constant computed from weights is made of them (``gamma.exp()``, ``16 * sigmoid(table)``);
        # a comparison's result is a mask, Where's condition only chooses, CastLike's second
        # input only gives a type.
        chosen = (
            []
            if op in PREDICATES
            else consts[1:]
            if op == "Where"
            else consts[:1]
            if op == "CastLike"
            else consts
        )
        sources, params = self.computed([c for c in chosen if c is not None])
        random = any(c is not None and c.random for c in consts)
        if op in ACTIVATIONS or op in BINARY or op == "MatMul":
            if not have_values or random:
                dims_in = [c.dims for c in consts if c is not None]
                if op == "MatMul":
                    if len(dims_in) != 2 or not dims_in[0] or not dims_in[1]:
                        raise self.bad("MatMul needs two inputs of rank 1 or more")
                    found: list[ConvShapeError] = []
                    out = MatMul()._combine([dims_in[0], dims_in[1]], found)[0]
                else:
                    found = []
                    out = broadcast_shapes(list(dims_in), found)
                if found or out is None:
                    raise ShapeError(f"inputs {dims_in} do not fit", where=self.where)
                self.put_dims(
                    node.output[0], [int(v or 0) for v in out], sources=sources, random=random, params=params
                )
                return
            values = [self.value(n) if n else None for n in names]
            result = self.compute(op, values, a)
            self.put(node.output[0], result, sources=sources, params=params)
            return
        raise self.fail(f"{op} of constants is not supported")

    def compute(self, op: str, v: list[Any], a: dict[str, Any]) -> Any:
        with np.errstate(all="ignore"):
            if op in ("Cast", "CastLike"):
                to = int(a.get("to", onnx.TensorProto.FLOAT)) if op == "Cast" else None
                dtype = onnx.helper.tensor_dtype_to_np_dtype(to) if to is not None else v[1].dtype
                return v[0].astype(dtype)
            unary: dict[str, Callable[[Any], Any]] = {
                "Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil, "Sqrt": np.sqrt,
                "Exp": np.exp, "Log": np.log, "Reciprocal": np.reciprocal, "Round": np.round, "Sign": np.sign,
                "Sin": np.sin, "Cos": np.cos, "Not": np.logical_not, "Relu": lambda x: np.maximum(x, 0),
                "Sigmoid": lambda x: 1 / (1 + np.exp(-x)), "Tanh": np.tanh, "IsNaN": np.isnan, "IsInf": np.isinf,
            }  # fmt: skip
            if op in unary:
                return np.asarray(unary[op](v[0]))
            if op == "Clip":
                lo = v[1] if len(v) > 1 and v[1] is not None else a.get("min")
                hi = v[2] if len(v) > 2 and v[2] is not None else a.get("max")
                return np.clip(v[0], lo, hi)
            if op == "Where":
                return np.where(v[0], v[1], v[2])
            if op == "MatMul":
                return np.matmul(v[0], v[1])
            if op in ("Sum", "Max", "Min", "Mean"):
                merges: dict[str, Callable[[Any, Any], Any]] = {
                    "Sum": np.add,
                    "Max": np.maximum,
                    "Min": np.minimum,
                    "Mean": np.add,
                }
                out = v[0]
                for item in v[1:]:
                    out = merges[op](out, item)
                return out / len(v) if op == "Mean" else out
            x, y = v[0], v[1]
            if op == "Div" and x.dtype.kind in "iu":
                if np.any(y == 0):
                    raise self.bad("integer division by zero")
                return np.trunc(x / y).astype(x.dtype)
            binary = {
                "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power,
                "Equal": np.equal, "Less": np.less, "Greater": np.greater, "LessOrEqual": np.less_equal,
                "GreaterOrEqual": np.greater_equal, "And": np.logical_and, "Or": np.logical_or,
                "Xor": np.logical_xor,
            }  # fmt: skip
            if op == "Mod":
                if x.dtype.kind in "iu" and np.any(y == 0):
                    raise self.bad("integer modulo by zero")
                return np.fmod(x, y) if int(a.get("fmod", 0)) else np.mod(x, y)
            if op in binary:
                return (
                    np.asarray(binary[op](x, y)).astype(x.dtype)
                    if op in ("Add", "Sub", "Mul")
                    else np.asarray(binary[op](x, y))
                )
        raise self.fail(f"{op} of constants is not supported")

    def reshape_to(self, node: Any, x: _Act, target: list[int], label: str, op: Layer | None = None) -> None:
        """Emit a reshape of *x* to the full shape *target* (the batch axis must stay whole)."""
        full = x.full(self.batch)
        if prod(target) != prod(full):
            raise ShapeError(f"cannot reshape {full} ({prod(full)} values) to {target}", where=self.where)
        # In row-major order the values are (before, batch, after): the batch stays whole where a
        # target axis starts at *before* and holds the batch alone or as its outer factor, or ends
        # where the batch ends and holds it as its inner factor.  Anything else mixes samples.
        batch = self.batch
        before = x.outside()
        bpos = None
        merged = 0
        running = 1
        for q, size in enumerate(target):
            if running == before and size == batch:
                bpos = q
                break
            if running == before and batch > 1 and size % batch == 0:
                bpos, merged = q, OUTER
                break
            if running * size == before * batch and batch > 1 and size % batch == 0:
                bpos, merged = q, INNER
                break
            running *= size
            if running > before:
                break
        if bpos is None:
            raise self.fail(
                f"reshaping {full} to {target} mixes the batch axis with the axes before it; convshape "
                "shapes have no batch axis"
            )
        if merged:
            batchless = (*target[:bpos], target[bpos] // batch, *target[bpos + 1 :])
        else:
            batchless = tuple(target[:bpos] + target[bpos + 1 :])
        if merged or x.merged:
            op = Reshape(batchless)
        self.emit(label, op or Reshape(batchless), [x], bpos=bpos, output=node.output[0], merged=merged)

    def resolve_target(self, full: tuple[int, ...], shape: list[int], allowzero: bool) -> list[int]:
        target = list(shape)
        if allowzero and 0 in target:
            raise self.fail(f"reshapes to {shape}, an empty tensor")
        for i, v in enumerate(target):
            if v == 0 and not allowzero:
                if i >= len(full):
                    raise self.bad(f"shape {shape} copies axis {i}, which the input {full} lacks")
                target[i] = full[i]
            elif v < -1:
                raise self.bad(f"shape {shape} has the size {v}")
        if target.count(-1) > 1:
            raise self.bad(f"shape {shape} has more than one -1")
        if -1 in target:
            rest = prod(v for v in target if v != -1)
            total = prod(full)
            if rest == 0 or total % rest:
                raise ShapeError(f"cannot reshape {full} to {shape}", where=self.where)
            target[target.index(-1)] = total // rest
        return target

    def reshape(self, node: Any, a: dict[str, Any]) -> None:
        if len(node.input) < 2 and "shape" not in a:
            raise self.bad("the shape input is missing")
        shape = (
            self.ints(node.input[1], "the target shape")
            if len(node.input) > 1
            else [int(v) for v in a["shape"]]
        )
        full = self.dims(node.input[0]) if node.input[0] else ()
        target = self.resolve_target(full, shape, bool(a.get("allowzero", 0)))
        if node.input[0] in self.consts:
            const = self.consts[node.input[0]]
            if prod(target) != prod(const.dims):
                raise ShapeError(f"cannot reshape {const.dims} to {shape}", where=self.where)
            if const.value is not None:
                self.put(
                    node.output[0], const.value.reshape(target), sources=const.sources, params=const.params
                )
            else:
                self.put_dims(
                    node.output[0], target, sources=const.sources, random=const.random, params=const.params
                )
            return
        x = self.act(node)
        label = node.name or node.output[0]
        if len(target) == 2 and x.bpos == 0 and target[0] == self.batch and len(full) > 2:
            self.reshape_to(node, x, target, label, Flatten())
            return
        self.reshape_to(node, x, target, label)

    def flatten(self, node: Any, a: dict[str, Any]) -> None:
        full = self.dims(node.input[0]) if node.input and node.input[0] else None
        if full is None:
            raise self.bad("the input is missing")
        rank = len(full)
        axis = int(a.get("axis", 1))
        if not -rank <= axis <= rank:
            raise self.bad(f"axis {axis} is out of range for rank {rank}")
        axis = axis + rank if axis < 0 else axis
        target = [prod(full[:axis]), prod(full[axis:])]
        if node.input[0] in self.consts:
            const = self.consts[node.input[0]]
            self.put_dims(node.output[0], target, sources=const.sources, params=const.params)
            return
        x = self.act(node)
        op: Layer | None = None
        if x.bpos == 0 and axis >= 1:
            op = Flatten(axis - 1) if axis < rank else Unsqueeze(len(x.shape))
        self.reshape_to(node, x, target, node.name or node.output[0], op)

    def squeeze(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        full = self.dims(node.input[0])
        rank = len(full)
        axes = self.axes_of(node, a, 1)
        if axes is None:
            axes = [i for i, d in enumerate(full) if d == 1]
        for ax in axes:
            if not -rank <= ax < rank:
                raise self.bad(f"axis {ax} is out of range for rank {rank}")
        norm = sorted({ax % rank for ax in axes})
        if len(norm) != len(axes):
            raise self.bad(f"axes {axes} repeat an axis")
        for ax in norm:
            if full[ax] != 1:
                raise ShapeError(f"cannot squeeze axis {ax} of size {full[ax]} in {full}", where=self.where)
        target = [d for i, d in enumerate(full) if i not in norm]
        if node.input[0] in self.consts:
            return self.const_reshape(node, target)
        x = self.act(node)
        if x.bpos in norm:
            raise self.fail("squeezes the batch axis")
        dims = tuple(self.axis(x, ax) for ax in norm)
        bpos = x.bpos - sum(1 for ax in norm if ax < x.bpos)
        self.emit(node.name or node.output[0], Squeeze(dims if len(dims) != 1 else dims[0]), [x], bpos=bpos,
                  output=node.output[0])  # fmt: skip
        return None

    def const_reshape(self, node: Any, target: list[int]) -> None:
        const = self.consts[node.input[0]]
        if const.value is not None:
            self.put(node.output[0], const.value.reshape(target), sources=const.sources, params=const.params)
        else:
            self.put_dims(
                node.output[0], target, sources=const.sources, random=const.random, params=const.params
            )

    def unsqueeze(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        full = list(self.dims(node.input[0]))
        axes = self.axes_of(node, a, 1)
        if axes is None:
            raise self.bad("axes are missing")
        rank = len(full) + len(axes)
        for ax in axes:
            if not -rank <= ax < rank:
                raise self.bad(f"axis {ax} is out of range for rank {rank}")
        norm = sorted({ax % rank for ax in axes})
        if len(norm) != len(axes):
            raise self.bad(f"axes {axes} repeat an axis")
        target = list(full)
        for ax in norm:
            target.insert(ax, 1)
        if node.input[0] in self.consts:
            return self.const_reshape(node, target)
        x = self.act(node)
        # the batch ends where the input's axes before it end
        kept = [i for i in range(rank) if i not in norm]
        bpos = kept[x.bpos]
        batchless = list(norm) if x.merged else [i - (1 if i > bpos else 0) for i in norm]
        op: Layer = (
            Unsqueeze(batchless[0])
            if len(batchless) == 1
            else Reshape(tuple(target[:bpos] + target[bpos + 1 :]))
            if not x.merged
            else Reshape((*target[:bpos], x.shape[x.bpos], *target[bpos + 1 :]))
        )
        self.emit(node.name or node.output[0], op, [x], bpos=bpos, output=node.output[0])
        return None

    def transpose(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        full = self.dims(node.input[0])
        rank = len(full)
        perm = [int(v) for v in a.get("perm", list(range(rank))[::-1])]
        if sorted(perm) != list(range(rank)):
            raise self.bad(f"perm {perm} is not a permutation of {rank} axes")
        if node.input[0] in self.consts:
            const = self.consts[node.input[0]]
            if const.value is not None:
                self.put(
                    node.output[0],
                    np.transpose(const.value, perm),
                    sources=const.sources,
                    params=const.params,
                )
            else:
                self.put_dims(
                    node.output[0],
                    [full[p] for p in perm],
                    sources=const.sources,
                    random=const.random,
                    params=const.params,
                )
            return
        x = self.act(node)
        bpos = perm.index(x.bpos)
        # a merged axis moves like any other; a batch axis of its own leaves the batchless permutation
        dims = tuple(perm) if x.merged else tuple(p - (1 if p > x.bpos else 0) for p in perm if p != x.bpos)
        self.emit(node.name or node.output[0], Permute(dims), [x], bpos=bpos, output=node.output[0])

    def concat(self, node: Any, a: dict[str, Any]) -> None:
        names = [n for n in node.input if n]
        if not names:
            raise self.bad("Concat has no inputs")
        if "axis" not in a:
            raise self.bad("axis is missing")
        for name in names:
            if name not in self.acts and name not in self.consts:
                raise self.bad(f"reads {name!r}, which no node, initializer or graph input produces")
        fulls = [self.dims(n) for n in names]
        rank = len(fulls[0])
        axis = int(a["axis"])
        if not -rank <= axis < rank or any(len(f) != rank for f in fulls):
            raise self.bad(f"axis {axis} or the ranks {[len(f) for f in fulls]} do not fit")
        axis %= rank
        for f in fulls:
            if any(f[i] != fulls[0][i] for i in range(rank) if i != axis):
                raise ShapeError(f"inputs {fulls} differ on an axis other than {axis}", where=self.where)
        if all(n in self.consts for n in names):
            consts = [self.consts[n] for n in names]
            if all(c.readable() for c in consts) and not any(c.random for c in consts):
                sources, params = self.pieces(consts)
                self.put(node.output[0], np.concatenate([self.value(n) for n in names], axis=axis),
                         sources=sources, params=params)  # fmt: skip
            else:
                dims = list(fulls[0])
                dims[axis] = sum(f[axis] for f in fulls)
                sources, params = self.pieces(consts)
                self.put_dims(node.output[0], dims, sources=sources, params=params)
            return None
        anchor = next(self.acts[n] for n in names if n in self.acts)
        label = node.name or node.output[0]
        operands: list[_Act] = []
        for name in names:
            if name in self.acts:
                operands.append(self.acts[name])
            elif self.consts[name].learned:
                operands.append(self.learned(name, anchor, f"{label}.{name}"))
            else:
                raise self.fail(f"the constant {name!r} is concatenated with activations")
        if len({o.bpos for o in operands}) != 1:
            raise self.fail("the inputs' batch axes do not line up")
        self.emit(label, Cat(axis=self.axis(anchor, axis)), operands, output=node.output[0])
        return None

    def split(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        full = x.full(self.batch)
        rank = len(full)
        axis = int(a.get("axis", 0))
        if not -rank <= axis < rank:
            raise self.bad(f"axis {axis} is out of range for rank {rank}")
        axis %= rank
        at = self.axis(x, axis)
        size = full[axis]
        count = len(node.output)
        if "split" in a:
            sizes = [int(v) for v in a["split"]]
        elif self.optional(node, 1) is not None:
            sizes = self.ints(node.input[1], "split")
        else:
            parts = int(a.get("num_outputs", count))
            if parts < 1:
                raise self.bad(f"num_outputs {parts} is below 1")
            step = -(-size // parts)
            sizes = [min(step, max(size - i * step, 0)) for i in range(parts)]
        if len(sizes) != count or sum(sizes) != size or any(s < 0 for s in sizes):
            raise ShapeError(f"split sizes {sizes} do not cut {size} into {count} outputs", where=self.where)
        label = node.name or node.output[0]
        begin = 0
        for i, (out, piece) in enumerate(zip(node.output, sizes, strict=True)):
            result = self.emit(f"{label}[{i}]", Slice(at, begin, begin + piece), [x])
            if out:
                self.set_act(out, result)
            begin += piece

    def slice(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        full = self.dims(node.input[0])
        rank = len(full)
        if self.opset < 10 or "starts" in a:
            starts, ends = [int(v) for v in a.get("starts", [])], [int(v) for v in a.get("ends", [])]
            axes = [int(v) for v in a.get("axes", range(len(starts)))]
            steps = [1] * len(starts)
        else:
            if len(node.input) < 3:
                raise self.bad("starts and ends are missing")
            starts, ends = self.ints(node.input[1], "starts"), self.ints(node.input[2], "ends")
            axes = self.ints(node.input[3], "axes") if self.optional(node, 3) else list(range(len(starts)))
            steps = self.ints(node.input[4], "steps") if self.optional(node, 4) else [1] * len(starts)
        if not len(starts) == len(ends) == len(axes) == len(steps):
            raise self.bad("starts, ends, axes and steps have different lengths")
        cuts: dict[int, tuple[int, int, int]] = {}
        for start, end, ax, step in zip(starts, ends, axes, steps, strict=True):
            if not -rank <= ax < rank:
                raise self.bad(f"axis {ax} is out of range for rank {rank}")
            ax %= rank
            if ax in cuts:
                raise self.bad(f"axis {ax} is sliced twice")
            if step == 0:
                raise self.bad("a step is 0")
            cuts[ax] = self.bounds(full[ax], start, end, step)
        target = [len(range(*cuts[i])) if i in cuts else d for i, d in enumerate(full)]
        if 0 in target and node.input[0] in self.acts:
            raise self.fail(f"slices {full} to {target}, an empty tensor")
        if node.input[0] in self.consts:
            const = self.consts[node.input[0]]
            if const.value is not None:
                index = tuple(slice(*cuts[i]) if i in cuts else slice(None) for i in range(rank))
                # a slice of a weight counts what it takes (a class token cut from a position table)
                self.put(node.output[0], const.value[index], sources=const.sources)
            else:
                self.put_dims(node.output[0], target, sources=const.sources, random=const.random)
            return
        x = self.act(node)
        label = node.name or node.output[0]
        current = x
        ops: list[tuple[int, Layer]] = []
        for ax in sorted(cuts):
            start, stop, step = cuts[ax]
            n = target[ax]
            if n == full[ax] and (step == 1 or n <= 1):
                continue  # the whole axis
            if ax == x.bpos:
                raise self.fail("slices the batch axis")
            if step < 0:  # the same elements, in the other order
                first = start + (n - 1) * step
                start, stop, step = first, start + 1, -step
            ops.append((ax, Slice(self.axis(x, ax), start, stop if n else start, step)))
        if not ops:
            self.emit(label, Identity(), [x], output=node.output[0])
            return
        for i, (_, op) in enumerate(ops):
            current = self.emit(label if len(ops) == 1 else f"{label}.{i}", op, [current])
        self.set_act(node.output[0], current)

    def bounds(self, size: int, start: int, end: int, step: int) -> tuple[int, int, int]:
        """ONNX's clamping of start/end into a Python range over one axis."""
        if start < 0:
            start += size
        if end < 0:
            end += size
        if step > 0:
            start = min(max(start, 0), size)
            end = min(max(end, 0), size)
        else:
            start = min(max(start, -1), size - 1)
            end = min(max(end, -1), size - 1)
            if end == -1:
                return (start, -size - 1, step) if start >= 0 else (0, 0, 1)
        return start, end, step

    def gather(self, node: Any, a: dict[str, Any]) -> None:
        if len(node.input) != 2 or not all(node.input):
            raise self.bad("Gather needs 2 inputs")
        data, indices = node.input
        full = self.dims(data)
        rank = len(full)
        axis = int(a.get("axis", 0))
        if not -rank <= axis < rank:
            raise self.bad(f"axis {axis} is out of range for rank {rank}")
        axis %= rank
        index = self.value(indices, "the indices")
        if index.dtype.kind not in "iu":
            raise self.bad("indices must be integers")
        size = full[axis]
        if np.any(index < -size) or np.any(index >= size):
            raise self.bad(f"indices {index.reshape(-1)[:8].tolist()} are out of range for size {size}")
        index = np.where(index < 0, index + size, index)
        target = [*full[:axis], *index.shape, *full[axis + 1 :]]
        if data in self.consts:
            const = self.consts[data]
            if const.readable():
                self.put(
                    node.output[0],
                    np.take(self.value(data), index, axis=axis),
                    sources=const.sources,
                    params=const.count() if const.learned else None,
                )
            else:
                if const.learned:
                    raise self.fail(f"gathers from the weight {data!r}: convshape cannot count what is used")
                self.put_dims(node.output[0], target, random=const.random)
            return
        x = self.acts[data]
        label = node.name or node.output[0]
        if x.merged and axis == x.bpos:
            return self.gather_merged(node, x, axis, index, label)
        at = self.axis(x, axis)
        flat = index.reshape(-1)
        if flat.size == 0:
            raise self.fail("gathers nothing")
        step = int(flat[1] - flat[0]) if flat.size > 1 else 1
        if step < 1 or np.any(np.diff(flat) != step):
            raise self.fail(f"gathers indices {flat[:8].tolist()} that are not an evenly spaced run")
        first = int(flat[0])
        cut = self.emit(label if index.ndim == 1 else f"{label}.slice",
                        Slice(at, first, first + step * (flat.size - 1) + 1, step), [x])  # fmt: skip
        if index.ndim == 0:
            self.emit(
                label, Squeeze(at), [cut], bpos=x.bpos - (1 if axis < x.bpos else 0), output=node.output[0]
            )
        elif index.ndim == 1:
            self.set_act(node.output[0], cut)
        else:
            self.reshape_to(node, cut, target, label)

    def gather_merged(self, node: Any, x: _Act, axis: int, index: Any, label: str) -> None:
        """A Gather along the axis the batch is merged into, with indices ``(batch, ...)`` that take
        each sample's values in order (``as_strided`` to a new view): a reshape that splits the
        batch off again.  Any other pattern mixes or reorders samples' values and is refused."""
        if x.merged != OUTER:
            raise self.fail(f"gathers along axis {axis}, which holds the batch as its inner factor")
        k = x.shape[x.bpos]
        if index.ndim < 1 or index.shape[0] != self.batch:
            raise self.fail(f"gathers indices {index.shape} from a merged batch without splitting it off")
        rows = index.reshape(self.batch, -1)
        pattern = np.arange(k)
        if rows.shape[1] != k or not bool(np.all(rows == pattern + k * np.arange(self.batch)[:, None])):
            raise self.fail("gathers values of a merged batch in an order other than each sample's own")
        batchless = (*x.shape[: x.bpos], *index.shape[1:], *x.shape[x.bpos + 1 :])
        self.emit(label, Reshape(batchless), [x], bpos=x.bpos, output=node.output[0], merged=0)

    def expand(self, node: Any, a: dict[str, Any]) -> None:
        if len(node.input) != 2 or not all(node.input):
            raise self.bad("Expand needs 2 inputs")
        shape = self.ints(node.input[1], "the shape")
        data = node.input[0]
        full = self.dims(data)
        found: list[ConvShapeError] = []
        out = broadcast_shapes([full, tuple(shape)], found)
        if found or out is None:
            raise ShapeError(f"cannot expand {full} to {shape}", where=self.where)
        target = [int(v or 0) for v in out]
        label = node.name or node.output[0]
        if data in self.consts:
            const = self.consts[data]
            if const.learned and prod(const.dims) > 1 and self.batch in target and not const.random:
                # a class token broadcast over the batch: a learned tensor placed in the graph
                rank = len(target)
                offset = rank - len(const.dims)
                bpos = next((i for i, d in enumerate(target) if d == self.batch and (i - offset < 0 or const.dims[i - offset] == 1)), None)  # fmt: skip
                anchor = self.acts[self.graph_input()]
                if bpos is not None:
                    dims = [1] * offset + list(const.dims)
                    batchless = [d for i, d in enumerate(dims) if i != bpos]
                    wanted = [d for i, d in enumerate(target) if i != bpos]
                    if batchless != wanted:
                        raise self.fail(
                            f"expands the weight {data!r} {const.dims} along axes other than the batch"
                        )
                    self.emit(
                        label,
                        Learned(tuple(batchless) or (1,), params=const.params),
                        [anchor],
                        bpos=bpos,
                        output=node.output[0],
                    )
                    return
            if prod(target) <= VALUE_LIMIT and const.readable() \
                    and not const.random:  # fmt: skip
                self.put(
                    node.output[0],
                    np.broadcast_to(self.value(data), target).copy(),
                    sources=const.sources,
                    params=const.count() if const.learned else None,
                )
            else:
                self.put_dims(
                    node.output[0],
                    target,
                    sources=const.sources,
                    random=const.random,
                    params=const.count() if const.learned else None,
                )
            return
        x = self.acts[data]
        if tuple(target) != x.full(self.batch):
            raise self.fail(f"expands the activations {x.full(self.batch)} to {target}")
        self.emit(label, Identity(), [x], output=node.output[0])

    def tile(self, node: Any, a: dict[str, Any]) -> None:
        if len(node.input) != 2 or not all(node.input):
            raise self.bad("Tile needs 2 inputs")
        repeats = self.ints(node.input[1], "repeats")
        full = self.dims(node.input[0])
        if len(repeats) != len(full) or any(r < 0 for r in repeats):
            raise self.bad(f"repeats {repeats} do not fit rank {len(full)}")
        if node.input[0] in self.consts:
            const = self.consts[node.input[0]]
            target = [d * r for d, r in zip(full, repeats, strict=True)]
            if const.value is not None and prod(target) <= VALUE_LIMIT:
                self.put(
                    node.output[0],
                    np.tile(const.value, repeats),
                    sources=const.sources,
                    params=const.count() if const.learned else None,
                )
            else:
                self.put_dims(
                    node.output[0],
                    target,
                    sources=const.sources,
                    params=const.count() if const.learned else None,
                )
            return
        x = self.acts[node.input[0]]
        if any(r != 1 for r in repeats):
            raise self.fail(f"repeats the activations {repeats}")
        self.emit(node.name or node.output[0], Identity(), [x], output=node.output[0])

    def graph_input(self) -> str:
        return next(name for name, act in self.acts.items() if act.node == "input")

    def reduce(self, node: Any, a: dict[str, Any]) -> None:
        if not node.input or not node.input[0]:
            raise self.bad("the input is missing")
        full = self.dims(node.input[0])
        rank = len(full)
        keep = bool(int(a.get("keepdims", 1)))
        if node.op_type in ("ArgMax", "ArgMin"):
            axes: list[int] | None = [int(a.get("axis", 0))]
        else:
            axes = self.axes_of(node, a, 1)
        if not axes:
            if int(a.get("noop_with_empty_axes", 0)):
                if node.input[0] in self.consts:
                    self.consts[node.output[0]] = self.consts[node.input[0]]
                else:
                    self.emit(
                        node.name or node.output[0], Identity(), [self.act(node)], output=node.output[0]
                    )
                return
            axes = list(range(rank))
        for ax in axes:
            if not -rank <= ax < rank:
                raise self.bad(f"axis {ax} is out of range for rank {rank}")
        norm = sorted({ax % rank for ax in axes})
        if node.input[0] in self.consts:
            const = self.consts[node.input[0]]
            target = [1 if i in norm else d for i, d in enumerate(full) if keep or i not in norm]
            reducers: dict[str, Callable[..., Any]] = {
                "ReduceProd": np.prod, "ReduceSum": np.sum, "ReduceMax": np.max, "ReduceMin": np.min,
                "ReduceMean": np.mean,
            }  # fmt: skip
            fn = reducers.get(node.op_type)
            if fn is not None and const.readable() and not const.random:
                self.put(node.output[0], fn(self.value(node.input[0]), axis=tuple(norm), keepdims=keep))
            else:
                self.put_dims(node.output[0], target)
            return
        x = self.act(node)
        if x.bpos in norm:
            if x.merged:
                raise self.fail(f"reduces over axis {x.bpos}, which holds the batch merged with another axis")
            raise self.fail("reduces over the batch axis")
        dims = tuple(self.axis(x, ax) for ax in norm)
        bpos = x.bpos if keep else x.bpos - sum(1 for ax in norm if ax < x.bpos)
        op = Reduce(REDUCTIONS[node.op_type], dims if len(dims) != 1 else dims[0], keepdim=keep)
        self.emit(node.name or node.output[0], op, [x], bpos=bpos, output=node.output[0])

    def depth_to_space(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        self.channels_first(x, node.op_type)
        if "blocksize" not in a or int(a["blocksize"]) < 1:
            raise self.bad("blocksize is missing or below 1")
        block = int(a["blocksize"])
        op = PixelShuffle(block) if node.op_type == "DepthToSpace" else PixelUnshuffle(block)
        self.emit(node.name or node.output[0], op, [x], output=node.output[0])

    # --- resizing and padding ------------------------------------------------------------
    def resize(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        full = x.full(self.batch)
        rank = len(full)
        axes = [int(v) for v in a.get("axes", range(rank))]
        for ax in axes:
            if not -rank <= ax < rank:
                raise self.bad(f"axis {ax} is out of range for rank {rank}")
        axes = [ax % rank for ax in axes]
        if len(set(axes)) != len(axes):
            raise self.bad(f"axes {axes} repeat an axis")
        if self.opset < 11:
            scale_name, size_name, roi_name = self.optional(node, 1), None, None
        else:
            roi_name, scale_name, size_name = (
                self.optional(node, 1),
                self.optional(node, 2),
                self.optional(node, 3),
            )
        scales = self.floats(scale_name, "scales") if scale_name else []
        sizes = self.ints(size_name, "sizes") if size_name else []
        if bool(scales) == bool(sizes):
            raise self.bad("give exactly one of scales and sizes")
        values = scales or sizes
        if len(values) != len(axes):
            raise self.bad(f"{'scales' if scales else 'sizes'} has {len(values)} values for {len(axes)} axes")
        mode = a.get("coordinate_transformation_mode", b"half_pixel")
        mode = mode.decode(errors="replace") if isinstance(mode, bytes) else str(mode)
        out = list(full)
        if scales:
            if any(not s > 0 for s in scales):
                raise self.bad(f"scales {scales} must be positive")
            roi = self.floats(roi_name, "roi") if roi_name and mode == "tf_crop_and_resize" else []
            for i, (ax, s) in enumerate(zip(axes, scales, strict=True)):
                extent = 1.0
                if roi:
                    if len(roi) != 2 * len(axes):
                        raise self.bad(f"roi has {len(roi)} values for {len(axes)} axes")
                    extent = roi[len(axes) + i] - roi[i]
                out[ax] = int(np.floor(np.float64(full[ax]) * extent * np.float64(np.float32(s))))
        else:
            policy = a.get("keep_aspect_ratio_policy", b"stretch")
            policy = policy.decode(errors="replace") if isinstance(policy, bytes) else str(policy)
            if policy == "stretch":
                for ax, size in zip(axes, sizes, strict=True):
                    out[ax] = size
            elif policy in ("not_larger", "not_smaller"):
                ratios = [
                    np.float32(size) / np.float32(full[ax]) for ax, size in zip(axes, sizes, strict=True)
                ]
                scale = min(ratios) if policy == "not_larger" else max(ratios)
                for ax in axes:
                    out[ax] = int(np.round(np.float64(scale) * full[ax]))
            else:
                raise self.bad(f"keep_aspect_ratio_policy {policy!r} is unknown")
        if out[x.bpos] != full[x.bpos]:
            raise self.fail("resizes the batch axis")
        if x.bpos != 0 or out[1] != full[1]:
            raise self.fail(f"resizes {full} to {out}: only the spatial axes of (N, C, *spatial)")
        if any(v < 1 for v in out):
            raise ShapeError(f"resizes {full} to {out}, an empty output", where=self.where)
        spatial = out[2:]
        if not spatial:
            self.emit(node.name or node.output[0], Identity(), [x], output=node.output[0])
            return
        exact = (
            scales
            and mode != "tf_crop_and_resize"
            and all(ax >= 2 or s == 1 for ax, s in zip(axes, scales, strict=True))
        )
        op: Layer
        if exact:
            factors = [1.0] * (rank - 2)
            for ax, s in zip(axes, scales, strict=True):
                if ax >= 2:
                    factors[ax - 2] = float(np.float32(s))
            op = Upsample(scale_factor=factors[0] if len(set(factors)) == 1 else tuple(factors))
            problems: list[ConvShapeError] = []
            if tuple(op._effect(x.shape, problems)[0] or ()) != tuple(out[1:]):
                op = Upsample(size=collapse(spatial))
        else:
            op = Upsample(size=collapse(spatial))
        self.emit(node.name or node.output[0], op, [x], output=node.output[0])

    def pad(self, node: Any, a: dict[str, Any]) -> None:
        x = self.act(node)
        full = x.full(self.batch)
        rank = len(full)
        mode = a.get("mode", b"constant")
        mode = mode.decode(errors="replace") if isinstance(mode, bytes) else str(mode)
        if mode not in ("constant", "reflect", "edge", "wrap"):
            raise self.bad(f"mode {mode!r} is not one of constant, reflect, edge, wrap")
        if "pads" in a:
            pads = [int(v) for v in a["pads"]]
        elif self.optional(node, 1):
            pads = self.ints(node.input[1], "pads")
        else:
            raise self.bad("pads are missing")
        axes_name = self.optional(node, 3)
        axes = self.ints(axes_name, "axes") if axes_name else list(range(rank))
        for ax in axes:
            if not -rank <= ax < rank:
                raise self.bad(f"axis {ax} is out of range for rank {rank}")
        axes = [ax % rank for ax in axes]
        if len(set(axes)) != len(axes) or len(pads) != 2 * len(axes):
            raise self.bad(f"pads {pads} do not give (begin, end) for the axes {axes}")
        pairs = [(0, 0)] * rank
        for i, ax in enumerate(axes):
            pairs[ax] = (pads[i], pads[i + len(axes)])
        if x.bpos != 0 or pairs[0] != (0, 0) or pairs[1] != (0, 0):
            raise self.fail(f"pads the batch or channel axis ({pads})")
        spatial = pairs[2:]
        label = node.name or node.output[0]
        if not spatial or all(p == (0, 0) for p in spatial):
            self.emit(label, Identity(), [x], output=node.output[0])
            return
        grow = tuple((max(b, 0), max(e, 0)) for b, e in spatial)
        cut = tuple((max(-b, 0), max(-e, 0)) for b, e in spatial)
        current = x
        if any(p != (0, 0) for p in grow):
            current = self.emit(label, Pad(grow), [current])
        if any(c != (0, 0) for c in cut):
            current = self.emit(f"{label}.crop" if current is not x else label, Crop(cut), [current])
        self.set_act(node.output[0], current)


def _load(path: Path) -> Any:
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            data = handle.read(size + 1)
    except OSError as err:
        raise SpecError(f"cannot read {str(path)!r}: {err.strerror or err}") from None
    return _parse(data, repr(str(path)))


def _parse(data: bytes, what: str) -> Any:
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as err:  # protobuf's DecodeError, or a RuntimeWarning-turned-error
        raise SpecError(f"{what} is not an ONNX model ({type(err).__name__}: {err})") from None
    if not model.HasField("graph"):
        raise SpecError(f"{what} is not an ONNX model (no graph)")
    return model


def convert(model_or_path: Any, input_shape: Sequence[int] | None = None) -> Graph:
    """from_onnx(): read a ModelProto, serialised bytes or a path."""
    return read(model_or_path, input_shape)[0]


def read(model_or_path: Any, input_shape: Sequence[int] | None = None) -> tuple[Graph, dict[str, int]]:
    """The Graph, and for each output node the position of the batch axis in ONNX's shape."""
    base: Path | None = None
    if isinstance(model_or_path, (str, Path)):
        path = Path(model_or_path)
        model = _load(path)
        base = path.parent
    elif isinstance(model_or_path, (bytes, bytearray)):
        model = _parse(bytes(model_or_path), "the bytes")
    elif isinstance(model_or_path, onnx.ModelProto):
        model = model_or_path
    else:
        raise TypeError(
            f"from_onnx needs an onnx.ModelProto, bytes or a path, got {type(model_or_path).__name__}"
        )
    if input_shape is not None and (
        isinstance(input_shape, (str, bytes))
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in input_shape)
    ):
        raise TypeError(f"input_shape must be a sequence of ints, got {input_shape!r}")
    reader = _Reader(model, base, input_shape)
    graph = reader.read()
    return graph, reader.output_batch
