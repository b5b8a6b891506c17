"""PyTorch -> convshape: explicit tables of modules and functions, torch.fx for custom forwards."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from convshape.adapters._common import collapse, unsupported
from convshape.containers import Add, Cat, Graph, Multiply, Node, Sequential
from convshape.errors import UnsupportedLayerError
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


def _padding(module: Any) -> Any:
    padding = module.padding
    return padding if isinstance(padding, str) else collapse(padding)


def _conv(m: Any) -> Layer:
    return Conv(
        m.out_channels,
        collapse(m.kernel_size),
        stride=collapse(m.stride),
        padding=_padding(m),
        dilation=collapse(m.dilation),
        groups=m.groups,
        bias=m.bias is not None,
        in_channels=m.in_channels,
    )


def _conv_transpose(m: Any) -> Layer:
    return ConvTranspose(
        m.out_channels,
        collapse(m.kernel_size),
        stride=collapse(m.stride),
        padding=collapse(m.padding),
        output_padding=collapse(m.output_padding),
        dilation=collapse(m.dilation),
        groups=m.groups,
        bias=m.bias is not None,
        in_channels=m.in_channels,
    )


def _max_pool(m: Any) -> Layer:
    return MaxPool(
        collapse(m.kernel_size),
        stride=collapse(m.stride) if m.stride is not None else None,
        padding=collapse(m.padding),
        dilation=collapse(m.dilation),
        ceil_mode=bool(m.ceil_mode),
    )


def _avg_pool(m: Any) -> Layer:
    return AvgPool(
        collapse(m.kernel_size),
        stride=collapse(m.stride) if m.stride is not None else None,
        padding=collapse(m.padding),
        ceil_mode=bool(m.ceil_mode),
    )


def _output_size(value: Any) -> Any:
    if isinstance(value, int):
        return value
    return tuple(None if v is None else int(v) for v in value)


def _flatten(m: Any) -> Layer:
    if m.start_dim != 1 or m.end_dim != -1:
        raise UnsupportedLayerError(
            f"nn.Flatten(start_dim={m.start_dim}, end_dim={m.end_dim}) is not supported; "
            "only the default start_dim=1, end_dim=-1 (flatten everything but the batch)"
        )
    return Flatten()


def _pad_pairs(pad: Any) -> tuple[tuple[int, int], ...]:
    """F.pad's (last_before, last_after, second_before, ...) as per-axis pairs, first axis first."""
    values = [int(v) for v in pad]
    pairs = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
    return tuple(reversed(pairs))


def _upsample(m: Any) -> Layer:
    if m.size is not None:
        return Upsample(size=collapse(m.size))
    scale = m.scale_factor
    return Upsample(scale_factor=tuple(float(v) for v in scale) if isinstance(scale, tuple) else float(scale))


ACTIVATION_MODULES = {
    nn.ReLU: "relu",
    nn.ReLU6: "relu6",
    nn.LeakyReLU: "leaky_relu",
    nn.ELU: "elu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.Hardswish: "hardswish",
    nn.Hardsigmoid: "hardsigmoid",
    nn.Mish: "mish",
    nn.Softmax: "softmax",
    nn.LogSoftmax: "log_softmax",
}

#: module class -> converter
MODULES: dict[type, Callable[[Any], Layer]] = {
    nn.Conv1d: _conv,
    nn.Conv2d: _conv,
    nn.Conv3d: _conv,
    nn.ConvTranspose1d: _conv_transpose,
    nn.ConvTranspose2d: _conv_transpose,
    nn.ConvTranspose3d: _conv_transpose,
    nn.MaxPool1d: _max_pool,
    nn.MaxPool2d: _max_pool,
    nn.MaxPool3d: _max_pool,
    nn.AvgPool1d: _avg_pool,
    nn.AvgPool2d: _avg_pool,
    nn.AvgPool3d: _avg_pool,
    nn.AdaptiveAvgPool1d: lambda m: AdaptiveAvgPool(_output_size(m.output_size)),
    nn.AdaptiveAvgPool2d: lambda m: AdaptiveAvgPool(_output_size(m.output_size)),
    nn.AdaptiveAvgPool3d: lambda m: AdaptiveAvgPool(_output_size(m.output_size)),
    nn.AdaptiveMaxPool1d: lambda m: AdaptiveMaxPool(_output_size(m.output_size)),
    nn.AdaptiveMaxPool2d: lambda m: AdaptiveMaxPool(_output_size(m.output_size)),
    nn.AdaptiveMaxPool3d: lambda m: AdaptiveMaxPool(_output_size(m.output_size)),
    nn.Linear: lambda m: Linear(m.out_features, bias=m.bias is not None, in_features=m.in_features),
    nn.Flatten: _flatten,
    nn.BatchNorm1d: lambda m: BatchNorm(affine=bool(m.affine)),
    nn.BatchNorm2d: lambda m: BatchNorm(affine=bool(m.affine)),
    nn.BatchNorm3d: lambda m: BatchNorm(affine=bool(m.affine)),
    nn.Dropout: lambda m: Dropout(float(m.p)),
    nn.Dropout1d: lambda m: Dropout(float(m.p)),
    nn.Dropout2d: lambda m: Dropout(float(m.p)),
    nn.Dropout3d: lambda m: Dropout(float(m.p)),
    nn.Identity: lambda m: Identity(),
    nn.Upsample: _upsample,
    nn.ZeroPad1d: lambda m: Pad(_pad_pairs(m.padding)),
    nn.ZeroPad2d: lambda m: Pad(_pad_pairs(m.padding)),
    nn.ZeroPad3d: lambda m: Pad(_pad_pairs(m.padding)),
    nn.ConstantPad1d: lambda m: Pad(_pad_pairs(m.padding)),
    nn.ConstantPad2d: lambda m: Pad(_pad_pairs(m.padding)),
    nn.ConstantPad3d: lambda m: Pad(_pad_pairs(m.padding)),
}


def _activation(name: str) -> Callable[[Any], Layer]:
    def build(module: Any) -> Layer:
        return Activation(name)

    return build


MODULES.update({cls: _activation(name) for cls, name in ACTIVATION_MODULES.items()})


def _module_converter(module: Any) -> Callable[[Any], Layer] | None:
    """The table entry for the module's class, or for a base class whose forward it keeps."""
    for cls in type(module).__mro__:
        if cls in MODULES and type(module).forward is getattr(cls, "forward", None):
            return MODULES[cls]
    return None


def _is_plain_sequential(module: Any) -> bool:
    return isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward


def convert(module: Any) -> Layer:
    """from_torch(): a table module, a plain Sequential, or an fx-traced Graph."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    converter = _module_converter(module)
    if converter is not None:
        return converter(module)
    if _is_plain_sequential(module):
        children = list(module.named_children())
        if all(name.isdigit() for name, _ in children):
            return Sequential(*(convert(child) for _, child in children))
        # named children: a chain Graph keeps torch's names as paths
        return Graph([Node(name, convert(child)) for name, child in children])
    return _from_fx(module)


# ---------------------------------------------------------------------------
# torch.fx


ACTIVATION_FUNCTIONS: dict[Any, str] = {
    F.relu: "relu",
    torch.relu: "relu",
    F.relu6: "relu6",
    F.gelu: "gelu",
    F.silu: "silu",
    F.elu: "elu",
    F.leaky_relu: "leaky_relu",
    F.hardswish: "hardswish",
    F.hardsigmoid: "hardsigmoid",
    F.sigmoid: "sigmoid",
    torch.sigmoid: "sigmoid",
    F.tanh: "tanh",
    torch.tanh: "tanh",
    F.softmax: "softmax",
    torch.softmax: "softmax",
    F.log_softmax: "log_softmax",
}
ACTIVATION_METHODS = {
    "relu": "relu",
    "relu_": "relu",
    "sigmoid": "sigmoid",
    "sigmoid_": "sigmoid",
    "tanh": "tanh",
    "tanh_": "tanh",
    "softmax": "softmax",
}
PASS_THROUGH_METHODS = {"contiguous", "clone", "float", "double", "half", "detach"}
DROPOUT_FUNCTIONS = {F.dropout, F.dropout1d, F.dropout2d, F.dropout3d}
ADD_FUNCTIONS = {operator.add, operator.iadd, torch.add}
MUL_FUNCTIONS = {operator.mul, operator.imul, torch.mul}
CAT_FUNCTIONS = {torch.cat, torch.concat}
FLATTEN_FUNCTIONS = {torch.flatten}
POOL_FUNCTIONS = {
    F.adaptive_avg_pool1d: "adaptive_avg",
    F.adaptive_avg_pool2d: "adaptive_avg",
    F.adaptive_avg_pool3d: "adaptive_avg",
    F.adaptive_max_pool1d: "adaptive_max",
    F.adaptive_max_pool2d: "adaptive_max",
    F.adaptive_max_pool3d: "adaptive_max",
    F.max_pool1d: "max",
    F.max_pool2d: "max",
    F.max_pool3d: "max",
    F.avg_pool1d: "avg",
    F.avg_pool2d: "avg",
    F.avg_pool3d: "avg",
}
SUPPORTED_FUNCTIONS = [
    "operator.add/iadd",
    "torch.add",
    "operator.mul",
    "torch.mul",
    "torch.cat",
    "torch.flatten",
    "F.pad",
    "F.interpolate",
    *(getattr(f, "__name__", str(f)) for f in ACTIVATION_FUNCTIONS),
    *(getattr(f, "__name__", str(f)) for f in POOL_FUNCTIONS),
    *(getattr(f, "__name__", str(f)) for f in DROPOUT_FUNCTIONS),
]
SUPPORTED_METHODS = [
    *ACTIVATION_METHODS,
    *PASS_THROUGH_METHODS,
    "flatten",
    "view",
    "reshape",
    "size",
]


class _Meta:
    """A non-tensor value in the fx graph (a size, a shape)."""

    def __init__(self, source: str, index: int | None) -> None:
        self.source = source
        self.index = index


class _FxReader:
    def __init__(self, gm: torch.fx.GraphModule) -> None:
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.nodes: list[Node] = []
        self.values: dict[str, str | _Meta | int | float] = {}  # fx name -> graph node name | meta
        self.used: set[str] = set()
        self.input_name = ""

    def tensor(self, arg: Any, where: str) -> str:
        if isinstance(arg, torch.fx.Node):
            value = self.values.get(arg.name)
            if isinstance(value, str):
                return value
        raise UnsupportedLayerError(f"{where}: expected a tensor argument, got {arg!r}")

    def add(self, fx_node: Any, name: str, op: Layer, inputs: list[str]) -> None:
        unique = name if name not in self.used else fx_node.name
        self.used.add(unique)
        self.nodes.append(Node(unique, op, inputs))
        self.values[fx_node.name] = unique

    def read(self) -> Graph:
        outputs: list[str] = []
        for n in self.gm.graph.nodes:
            if n.op == "placeholder":
                if self.input_name:
                    raise UnsupportedLayerError(
                        f"the module's forward takes several inputs ({self.input_name!r}, {n.name!r}); "
                        "convshape models networks with one input"
                    )
                self.input_name = "input"
                self.values[n.name] = "input"
            elif n.op == "call_module":
                sub = self.modules[n.target]
                self.add(n, str(n.target), convert(sub), [self.tensor(n.args[0], str(n.target))])
            elif n.op == "call_function":
                self.function(n)
            elif n.op == "call_method":
                self.method(n)
            elif n.op == "get_attr":
                raise UnsupportedLayerError(
                    f"the forward reads the tensor attribute {n.target!r} directly (node {n.name!r}); "
                    "convshape reads parameters through modules only"
                )
            elif n.op == "output":
                result = n.args[0]
                items = result if isinstance(result, (tuple, list)) else [result]
                outputs = [self.tensor(item, "output") for item in items]
        if not self.nodes:
            self.nodes.append(Node("identity", Identity(), ["input"]))
            outputs = ["identity"]
        return Graph(self.nodes, outputs)

    def _elementwise(self, n: Any, merge: Layer, label: str) -> None:
        tensors = [
            a for a in n.args if isinstance(a, torch.fx.Node) and isinstance(self.values.get(a.name), str)
        ]
        if len(tensors) >= 2:
            self.add(n, n.name, merge, [self.tensor(a, n.name) for a in tensors])
        elif len(tensors) == 1:  # with a scalar: shape unchanged
            self.add(n, n.name, Activation(label), [self.tensor(tensors[0], n.name)])
        else:
            self.values[n.name] = 0

    def function(self, n: Any) -> None:
        target = n.target
        kwargs = dict(n.kwargs)
        if target in ADD_FUNCTIONS:
            self._elementwise(n, Add(), "add_scalar")
        elif target in MUL_FUNCTIONS:
            self._elementwise(n, Multiply(), "mul_scalar")
        elif target in CAT_FUNCTIONS:
            tensors = n.args[0]
            dim = n.args[1] if len(n.args) > 1 else kwargs.get("dim", 0)
            if dim == 0:
                raise UnsupportedLayerError(f"{n.name}: torch.cat on the batch axis (dim=0) is not supported")
            axis = dim - 1 if dim > 0 else dim
            self.add(n, n.name, Cat(axis=axis), [self.tensor(t, n.name) for t in tensors])
        elif target in FLATTEN_FUNCTIONS:
            start = n.args[1] if len(n.args) > 1 else kwargs.get("start_dim", 0)
            end = n.args[2] if len(n.args) > 2 else kwargs.get("end_dim", -1)
            self._flatten(n, start, end)
        elif target in ACTIVATION_FUNCTIONS:
            self.add(n, n.name, Activation(ACTIVATION_FUNCTIONS[target]), [self.tensor(n.args[0], n.name)])
        elif target in DROPOUT_FUNCTIONS:
            p = n.args[1] if len(n.args) > 1 else kwargs.get("p", 0.5)
            self.add(n, n.name, Dropout(float(p)), [self.tensor(n.args[0], n.name)])
        elif target in POOL_FUNCTIONS:
            self._pool(n, POOL_FUNCTIONS[target], kwargs)
        elif target is F.interpolate:
            size = n.args[1] if len(n.args) > 1 else kwargs.get("size")
            scale = n.args[2] if len(n.args) > 2 else kwargs.get("scale_factor")
            op = Upsample(size=collapse(size)) if size is not None else Upsample(scale_factor=scale)
            self.add(n, n.name, op, [self.tensor(n.args[0], n.name)])
        elif target is F.pad:
            pad = n.args[1] if len(n.args) > 1 else kwargs["pad"]
            self.add(n, n.name, Pad(_pad_pairs(pad)), [self.tensor(n.args[0], n.name)])
        elif target is operator.getitem and isinstance(
            self.values.get(getattr(n.args[0], "name", "")), _Meta
        ):
            meta = self.values[n.args[0].name]
            assert isinstance(meta, _Meta)
            self.values[n.name] = _Meta(meta.source, int(n.args[1]))
        elif target is getattr and n.args[1] == "shape":
            self.values[n.name] = _Meta(self.tensor(n.args[0], n.name), None)
        else:
            what = f"the function {getattr(target, '__module__', '')}.{getattr(target, '__name__', target)}"
            raise unsupported(what, "PyTorch", SUPPORTED_FUNCTIONS, where=f"node {n.name!r}")

    def _flatten(self, n: Any, start: int, end: int) -> None:
        if start != 1 or end != -1:
            raise UnsupportedLayerError(
                f"node {n.name!r}: flatten(start_dim={start}, end_dim={end}) is not supported; "
                "only start_dim=1, end_dim=-1"
            )
        self.add(n, n.name, Flatten(), [self.tensor(n.args[0], n.name)])

    def _pool(self, n: Any, kind: str, kwargs: dict[str, Any]) -> None:
        args = list(n.args[1:])

        def arg(i: int, key: str, default: Any) -> Any:
            return args[i] if len(args) > i else kwargs.get(key, default)

        op: Layer
        if kind in ("adaptive_avg", "adaptive_max"):
            size = _output_size(arg(0, "output_size", None))
            op = AdaptiveAvgPool(size) if kind == "adaptive_avg" else AdaptiveMaxPool(size)
        elif kind == "max":
            stride = arg(1, "stride", None)
            op = MaxPool(
                collapse(arg(0, "kernel_size", None)),
                stride=None if stride is None or stride == [] else collapse(stride),
                padding=collapse(arg(2, "padding", 0)),
                dilation=collapse(arg(3, "dilation", 1)),
                ceil_mode=bool(arg(4, "ceil_mode", False)),
            )
        else:
            stride = arg(1, "stride", None)
            op = AvgPool(
                collapse(arg(0, "kernel_size", None)),
                stride=None if stride is None or stride == [] else collapse(stride),
                padding=collapse(arg(2, "padding", 0)),
                ceil_mode=bool(arg(3, "ceil_mode", False)),
            )
        self.add(n, n.name, op, [self.tensor(n.args[0], n.name)])

    def method(self, n: Any) -> None:
        name = n.target
        if name in ACTIVATION_METHODS:
            self.add(n, n.name, Activation(ACTIVATION_METHODS[name]), [self.tensor(n.args[0], n.name)])
        elif name in PASS_THROUGH_METHODS:
            self.values[n.name] = self.tensor(n.args[0], n.name)
        elif name == "size":
            index = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim")
            self.values[n.name] = _Meta(self.tensor(n.args[0], n.name), index)
        elif name == "flatten":
            start = n.args[1] if len(n.args) > 1 else n.kwargs.get("start_dim", 0)
            end = n.args[2] if len(n.args) > 2 else n.kwargs.get("end_dim", -1)
            self._flatten(n, start, end)
        elif name in ("view", "reshape"):
            dims = list(n.args[1:])
            if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
                dims = list(dims[0])
            first = self.values.get(dims[0].name) if isinstance(dims[0], torch.fx.Node) else dims[0]
            batch = isinstance(first, _Meta) and first.index == 0
            if len(dims) == 2 and batch and dims[1] == -1:
                self.add(n, n.name, Flatten(), [self.tensor(n.args[0], n.name)])
            else:
                raise UnsupportedLayerError(
                    f"node {n.name!r}: {name}{tuple(dims)!r} is not supported; only x.{name}(x.size(0), -1) "
                    "(flatten everything but the batch)"
                )
        else:
            raise unsupported(
                f"the tensor method .{name}()", "PyTorch", SUPPORTED_METHODS, where=f"node {n.name!r}"
            )


def _from_fx(module: Any) -> Layer:
    try:
        gm = torch.fx.symbolic_trace(module)
    except Exception as err:  # fx raises TraceError and plain Python errors for dynamic control flow
        raise UnsupportedLayerError(
            f"torch.fx cannot trace {type(module).__name__}.forward ({type(err).__name__}: {err}); "
            "convshape reads custom modules through torch.fx, which needs a forward without "
            "data-dependent control flow"
        ) from None
    return _FxReader(gm).read()
