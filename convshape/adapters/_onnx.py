"""ONNX -> convshape: a Graph with one node per ONNX operator, parameters from the initializers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx
from onnx import numpy_helper

from convshape.adapters._common import collapse, unsupported
from convshape.containers import Add, Cat, Graph, Multiply, Node
from convshape.errors import SpecError, UnsupportedLayerError
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

ACTIVATIONS = {
    "Relu": "relu",
    "LeakyRelu": "leaky_relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Clip": "clip",
    "HardSigmoid": "hardsigmoid",
    "HardSwish": "hardswish",
    "Elu": "elu",
    "Selu": "selu",
    "Gelu": "gelu",
    "Softmax": "softmax",
    "LogSoftmax": "log_softmax",
    "Softplus": "softplus",
    "Mish": "mish",
    "Erf": "erf",
    "Div": "div_scalar",
    "Sub": "sub_scalar",
    "Sqrt": "sqrt",
}
AUTO_PAD = {"SAME_UPPER": "same", "SAME_LOWER": "same_lower", "VALID": "valid"}


class _Reader:
    def __init__(self, model: Any) -> None:
        self.graph = model.graph
        self.init = {t.name: t for t in self.graph.initializer}
        self.constants: dict[str, Any] = {}
        self.producer: dict[str, str] = {}  # tensor name -> convshape node name
        self.nodes: list[Node] = []
        self.used: set[str] = set()

    # --- helpers -------------------------------------------------------------
    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def const(self, name: str) -> Any:
        if name in self.init:
            return numpy_helper.to_array(self.init[name])
        if name in self.constants:
            return self.constants[name]
        return None

    def is_tensor(self, name: str) -> bool:
        return name in self.producer

    def source(self, node: Any, index: int = 0) -> str:
        name = node.input[index]
        if name not in self.producer:
            raise UnsupportedLayerError(
                f"{node.op_type} node {node.name or node.output[0]!r} reads {name!r}, which is neither the "
                "graph input nor the output of a supported node"
            )
        return self.producer[name]

    def emit(self, node: Any, op: Layer, inputs: list[str]) -> None:
        name = node.name or node.output[0]
        if name in self.used or name == "input":
            name = f"{name}_{len(self.nodes)}"
        self.used.add(name)
        self.nodes.append(Node(name, op, inputs))
        for out in node.output[:1]:
            self.producer[out] = name

    def shape_of(self, name: str) -> tuple[int, ...]:
        value = self.const(name)
        if value is None:
            raise UnsupportedLayerError(f"the weight {name!r} is not an initializer or constant")
        return tuple(int(v) for v in value.shape)

    # --- operators -----------------------------------------------------------
    def padding(self, a: dict[str, Any], ndim: int) -> Any:
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in AUTO_PAD:
            return AUTO_PAD[auto]
        pads = list(a.get("pads", [0] * (2 * ndim)))
        pairs = [(int(pads[i]), int(pads[i + ndim])) for i in range(ndim)]
        if all(b == e for b, e in pairs):
            return collapse([b for b, _ in pairs])
        return tuple(pairs)

    def conv(self, node: Any, a: dict[str, Any]) -> None:
        w = self.shape_of(node.input[1])
        ndim = len(w) - 2
        group = int(a.get("group", 1))
        kernel = collapse(a.get("kernel_shape", w[2:]))
        bias = len(node.input) > 2 and bool(node.input[2])
        common = {
            "stride": collapse(a.get("strides", [1] * ndim)),
            "padding": self.padding(a, ndim),
            "dilation": collapse(a.get("dilations", [1] * ndim)),
            "groups": group,
            "bias": bias,
        }
        if node.op_type == "Conv":
            op: Layer = Conv(w[0], kernel, in_channels=w[1] * group, **common)
        else:
            if "output_shape" in a:
                raise UnsupportedLayerError(
                    f"ConvTranspose node {node.name!r} sets output_shape; give pads and output_padding instead"
                )
            op = ConvTranspose(
                w[1] * group, kernel, in_channels=w[0], output_padding=collapse(a.get("output_padding", [0] * ndim)),
                **common,
            )  # fmt: skip
        self.emit(node, op, [self.source(node)])

    def pool(self, node: Any, a: dict[str, Any]) -> None:
        kernel = list(a["kernel_shape"])
        ndim = len(kernel)
        common = {
            "stride": collapse(a.get("strides", [1] * ndim)),
            "padding": self.padding(a, ndim),
            "ceil_mode": bool(a.get("ceil_mode", 0)),
        }
        if node.op_type == "MaxPool":
            op: Layer = MaxPool(collapse(kernel), dilation=collapse(a.get("dilations", [1] * ndim)), **common)
        else:
            if any(d != 1 for d in a.get("dilations", [1] * ndim)):
                raise UnsupportedLayerError(f"AveragePool node {node.name!r} with dilations is not supported")
            op = AvgPool(collapse(kernel), **common)
        self.emit(node, op, [self.source(node)])

    def gemm(self, node: Any, a: dict[str, Any]) -> None:
        w = self.shape_of(node.input[1])
        if a.get("transA", 0):
            raise UnsupportedLayerError(f"Gemm node {node.name!r} with transA=1 is not supported")
        fin, fout = (w[1], w[0]) if a.get("transB", 0) else (w[0], w[1])
        bias = len(node.input) > 2 and bool(node.input[2])
        self.emit(node, Linear(fout, bias=bias, in_features=fin), [self.source(node)])

    def matmul(self, node: Any) -> None:
        if self.const(node.input[1]) is None:
            raise UnsupportedLayerError(f"MatMul node {node.name!r} of two activations is not supported")
        w = self.shape_of(node.input[1])
        self.emit(node, Linear(w[-1], bias=False, in_features=w[-2]), [self.source(node)])

    def elementwise(self, node: Any, merge: Layer, label: str) -> None:
        tensors = [name for name in node.input if self.is_tensor(name)]
        if len(tensors) >= 2:
            self.emit(node, merge, [self.producer[name] for name in tensors])
        elif len(tensors) == 1:
            for name in node.input:
                if (
                    not self.is_tensor(name)
                    and name in self.init
                    and numpy_helper.to_array(self.init[name]).size > 1
                ):
                    raise UnsupportedLayerError(
                        f"{node.op_type} node {node.name!r} applies the learned tensor {name!r}; convshape "
                        "counts parameters through layers only"
                    )
            self.emit(node, Activation(label), [self.producer[tensors[0]]])
        else:
            raise UnsupportedLayerError(f"{node.op_type} node {node.name!r} has no activation input")

    def reshape(self, node: Any) -> None:
        target = self.const(node.input[1])
        if (
            target is not None
            and list(target.shape) == [2]
            and int(target[1]) == -1
            and int(target[0]) in (0, 1, -1)
        ):
            self.emit(node, Flatten(), [self.source(node)])
            return
        shown = None if target is None else [int(v) for v in target.ravel()]
        raise UnsupportedLayerError(
            f"Reshape node {node.name!r} to {shown} is not supported; only [N, -1] (flatten all but the batch)"
        )

    def resize(self, node: Any) -> None:
        scales = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        sizes = self.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        if node.op_type == "Upsample":
            scales = self.const(node.input[1])
        if scales is not None and scales.size > 2:
            self.emit(node, Upsample(scale_factor=tuple(float(v) for v in scales[2:])), [self.source(node)])
        elif sizes is not None and sizes.size > 2:
            self.emit(node, Upsample(size=tuple(int(v) for v in sizes[2:])), [self.source(node)])
        else:
            raise UnsupportedLayerError(f"{node.op_type} node {node.name!r} without constant scales or sizes")

    def pad(self, node: Any, a: dict[str, Any]) -> None:
        pads = self.const(node.input[1]) if len(node.input) > 1 else a.get("pads")
        if pads is None:
            raise UnsupportedLayerError(f"Pad node {node.name!r} without constant pads")
        values = [int(v) for v in list(pads)]
        half = len(values) // 2
        if any(values[i] or values[i + half] for i in range(2)):
            raise UnsupportedLayerError(f"Pad node {node.name!r} pads the batch or channel axis")
        pairs = tuple((values[i], values[i + half]) for i in range(2, half))
        self.emit(node, Pad(pairs), [self.source(node)])

    def read(self) -> Graph:
        inputs = [i.name for i in self.graph.input if i.name not in self.init]
        if len(inputs) != 1:
            raise UnsupportedLayerError(
                f"the graph has {len(inputs)} inputs {inputs}; convshape models one input"
            )
        self.producer[inputs[0]] = "input"
        handlers: dict[str, Callable[[Any, dict[str, Any]], None]] = {
            "Conv": self.conv,
            "ConvTranspose": self.conv,
            "MaxPool": self.pool,
            "AveragePool": self.pool,
            "Gemm": self.gemm,
        }
        for node in self.graph.node:
            a = self.attrs(node)
            op = node.op_type
            if op in handlers:
                handlers[op](node, a)
            elif op == "Constant":
                value = a.get("value")
                self.constants[node.output[0]] = numpy_helper.to_array(value) if value is not None else None
            elif op == "MatMul":
                self.matmul(node)
            elif op == "GlobalAveragePool":
                self.emit(node, AdaptiveAvgPool(1), [self.source(node)])
            elif op == "GlobalMaxPool":
                self.emit(node, AdaptiveMaxPool(1), [self.source(node)])
            elif op == "BatchNormalization":
                self.emit(node, BatchNorm(), [self.source(node)])
            elif op == "Flatten":
                if int(a.get("axis", 1)) != 1:
                    raise UnsupportedLayerError(
                        f"Flatten node {node.name!r} with axis={a.get('axis')} is not supported"
                    )
                self.emit(node, Flatten(), [self.source(node)])
            elif op == "Reshape":
                self.reshape(node)
            elif op in ("Add", "Sum"):
                self.elementwise(node, Add(), "add_scalar")
            elif op == "Mul":
                self.elementwise(node, Multiply(), "mul_scalar")
            elif op == "Concat":
                axis = int(a.get("axis", 1))
                if axis == 0:
                    raise UnsupportedLayerError(
                        f"Concat node {node.name!r} on the batch axis is not supported"
                    )
                self.emit(
                    node, Cat(axis=axis - 1 if axis > 0 else axis), [self.producer[n] for n in node.input]
                )
            elif op in ACTIVATIONS:
                self.elementwise(node, Identity(), ACTIVATIONS[op]) if op in ("Div", "Sub") else self.emit(
                    node, Activation(ACTIVATIONS[op]), [self.source(node)]
                )
            elif op == "Dropout":
                self.emit(node, Dropout(float(a.get("ratio", 0.5))), [self.source(node)])
            elif op == "Identity":
                self.producer[node.output[0]] = self.source(node)
            elif op in ("Resize", "Upsample"):
                self.resize(node)
            elif op == "Pad":
                self.pad(node, a)
            else:
                supported = [*handlers, "Constant", "MatMul", "GlobalAveragePool", "GlobalMaxPool",
                             "BatchNormalization", "Flatten", "Reshape", "Add", "Sum", "Mul", "Concat",
                             *ACTIVATIONS, "Dropout", "Identity", "Resize", "Upsample", "Pad"]  # fmt: skip
                raise unsupported(f"the ONNX operator {op}", "ONNX", supported, where=f"node {node.name!r}")
        outputs = [self.producer[o.name] for o in self.graph.output if o.name in self.producer]
        if not self.nodes:
            raise UnsupportedLayerError("the graph has no supported operators")
        return Graph(self.nodes, outputs or None)


def convert(model_or_path: Any) -> Graph:
    """from_onnx(): read a ModelProto or a path."""
    if isinstance(model_or_path, (str, Path)):
        try:
            model = onnx.load(str(model_or_path))
        except OSError as err:
            raise SpecError(f"cannot read {str(model_or_path)!r}: {err.strerror or err}") from None
    elif isinstance(model_or_path, onnx.ModelProto):
        model = model_or_path
    else:
        raise TypeError(f"from_onnx needs an onnx.ModelProto or a path, got {type(model_or_path).__name__}")
    return _Reader(model).read()
