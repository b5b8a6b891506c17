"""PyTorch -> convshape through ``torch.export``: the operators the model really runs.

The model is exported (non-strict, eval mode, static shapes) on an input of the given shape with
a batch of 2, so that the batch axis can be told apart from the others. Each ATen operator that
touches the input becomes a :class:`~convshape.Node` named after the module that called it;
tensors computed from parameters and buffers alone (a class token expanded to the batch, a
relative position bias gathered from its table) are folded into :class:`~convshape.Learned`
operands. Parameters are counted by identity: the first operator that reads a parameter counts
it; another call of the same module is a :class:`~convshape.Shared` row with its MACs and no
parameters; parameters the forward never reads become :class:`~convshape.Unused` rows (and a
warning). Every node's shape is checked against the one PyTorch computed: a difference is an
error, never a silent wrong answer.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import torch

from convshape.attention import MatMul, ScaledDotProductAttention
from convshape.containers import Add, Cat, Graph, Multiply, Node
from convshape.elementwise import Learned, PReLU, Softmax
from convshape.errors import ConvShapeError, UnsupportedLayerError
from convshape.layers import (
    Activation,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Flatten,
    Identity,
    Layer,
    Linear,
    MaxPool,
    Pad,
    Shared,
    Unused,
    Upsample,
)
from convshape.normalization import GroupNorm, InstanceNorm, LayerNorm, LocalResponseNorm
from convshape.reshaping import (
    ChannelShuffle,
    Permute,
    PixelShuffle,
    PixelUnshuffle,
    Reduce,
    Reshape,
    Slice,
    Squeeze,
    Transpose,
    Unsqueeze,
)

BATCH = 2
aten = torch.ops.aten


class UnusedParametersWarning(UserWarning):
    """A model has parameters its forward never reads (they are kept as ``Unused`` rows)."""


class _Dyn:
    """A tensor that depends on the input: the graph node holding it and where its batch axis is."""

    __slots__ = ("batch", "name", "shape")

    def __init__(self, name: str, batch: int, shape: tuple[int, ...]) -> None:
        self.name, self.batch, self.shape = name, batch, shape

    @property
    def batchless(self) -> tuple[int, ...]:
        return self.shape[: self.batch] + self.shape[self.batch + 1 :]


class _Const:
    """A tensor computed from parameters, buffers and constants only."""

    __slots__ = ("deps", "shape")

    def __init__(self, deps: frozenset[str], shape: tuple[int, ...]) -> None:
        self.deps, self.shape = deps, shape


def _shape(node: Any) -> tuple[int, ...] | None:
    val = node.meta.get("val")
    shape = getattr(val, "shape", None)
    return None if shape is None else tuple(int(v) for v in shape)


def _module_path(node: Any) -> str:
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return ""
    path, _cls = list(stack.values())[-1]
    return str(path)


def _module_type(node: Any) -> str:
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return ""
    _path, cls = list(stack.values())[-1]
    return cls if isinstance(cls, str) else getattr(cls, "__qualname__", str(cls))


def _source_line(node: Any) -> str:
    trace = node.meta.get("stack_trace") or ""
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    if len(lines) >= 2:
        return f"{lines[-2]}: {lines[-1]}"
    return lines[-1] if lines else "unknown source line"


def _collapse(values: Sequence[int] | int) -> int | tuple[int, ...]:
    if isinstance(values, int):
        return values
    items = tuple(int(v) for v in values)
    return items[0] if items and all(v == items[0] for v in items) else items


ACTIVATIONS = {
    aten.relu.default: "relu",
    aten.relu_.default: "relu",
    aten.relu6.default: "relu6",
    aten.hardtanh.default: "hardtanh",
    aten.hardtanh_.default: "hardtanh",
    aten.gelu.default: "gelu",
    aten.gelu_.default: "gelu",
    aten.silu.default: "silu",
    aten.silu_.default: "silu",
    aten.sigmoid.default: "sigmoid",
    aten.sigmoid_.default: "sigmoid",
    aten.tanh.default: "tanh",
    aten.tanh_.default: "tanh",
    aten.hardswish.default: "hardswish",
    aten.hardswish_.default: "hardswish",
    aten.hardsigmoid.default: "hardsigmoid",
    aten.hardsigmoid_.default: "hardsigmoid",
    aten.leaky_relu.default: "leaky_relu",
    aten.leaky_relu_.default: "leaky_relu",
    aten.elu.default: "elu",
    aten.elu_.default: "elu",
    aten.celu.default: "celu",
    aten.selu.default: "selu",
    aten.selu_.default: "selu",
    aten.mish.default: "mish",
    aten.mish_.default: "mish",
    aten.softplus.default: "softplus",
    aten.log_sigmoid.default: "log_sigmoid",
    aten.erf.default: "erf",
    aten.exp.default: "exp",
    aten.abs.default: "abs",
    aten.neg.default: "neg",
    aten.sqrt.default: "sqrt",
    aten.rsqrt.default: "rsqrt",
    aten.sin.default: "sin",
    aten.cos.default: "cos",
    aten.square.default: "square",
    aten.reciprocal.default: "reciprocal",
}

#: operators that return their input's values unchanged in shape (layout, dtype, inference no-ops)
ALIASES = {
    aten.contiguous.default,
    aten.clone.default,
    aten.alias.default,
    aten.detach.default,
    aten.detach_.default,
    aten.lift_fresh_copy.default,
    aten.dropout.default,
    aten.dropout_.default,
    aten.feature_dropout.default,
    aten.feature_dropout_.default,
    aten.alpha_dropout.default,
    aten.to.dtype,
    aten.to.device,
    aten.to.dtype_layout,
    aten._to_copy.default,
    aten.type_as.default,
    aten.roll.default,
    aten.flip.default,
    aten.clamp.default,
    aten.clamp_.default,
    aten.clamp_min.default,
    aten.clamp_min_.default,
    aten.clamp_max.default,
    aten.pow.Tensor_Scalar,
    aten.fill_.Scalar,
    aten.masked_fill.Scalar,
    aten.masked_fill_.Scalar,
    aten.cumsum.default,
}

#: element-wise operators of two tensors: how a learned or second operand combines
BINARY = {
    aten.add.Tensor: "add",
    aten.add_.Tensor: "add",
    aten.sub.Tensor: "add",
    aten.sub_.Tensor: "add",
    aten.rsub.Tensor: "add",
    aten.mul.Tensor: "multiply",
    aten.mul_.Tensor: "multiply",
    aten.div.Tensor: "multiply",
    aten.div_.Tensor: "multiply",
    aten.div.Tensor_mode: "multiply",
    aten.maximum.default: "add",
    aten.minimum.default: "add",
    aten.where.self: "add",
    aten.pow.Tensor_Tensor: "multiply",
    aten.masked_fill.Tensor: "add",
}

REDUCTIONS = {
    aten.mean.dim: "mean",
    aten.sum.dim_IntList: "sum",
    aten.amax.default: "amax",
    aten.amin.default: "amin",
}


class _Reader:
    def __init__(self, model: Any, exported: Any) -> None:
        self.model = model
        self.ep = exported
        self.graph = exported.graph
        self.nodes: list[Node] = []
        self.used_names: set[str] = {"input"}
        self.calls: dict[str, int] = {}
        self.env: dict[Any, Any] = {}
        self.counted: set[str] = set()
        self.owner: dict[str, str] = {}  # parameter -> the node that counted it
        self.expected: dict[str, tuple[int, ...]] = {}
        sig = exported.graph_signature
        self.param_of: dict[str, str] = dict(sig.inputs_to_parameters)
        self.buffer_of: dict[str, str] = dict(sig.inputs_to_buffers)
        self.constants: set[str] = set(getattr(sig, "inputs_to_lifted_tensor_constants", {}) or {})
        self.numel: dict[str, int] = {}
        state = exported.state_dict
        for name in self.param_of.values():
            tensor = state.get(name)
            self.numel[name] = int(tensor.numel()) if tensor is not None else 0

    # -- naming and emitting -------------------------------------------------

    def label(self, fx_node: Any, kind: str) -> str:
        path = _module_path(fx_node) or "model"
        leafish = kind in ("conv", "linear", "norm", "pool", "act", "attention", "shuffle", "upsample")
        base = path if leafish and not self._is_container_call(fx_node, kind) else f"{path}.{kind}"
        count = self.calls.get(base, 0) + 1
        self.calls[base] = count
        name = base if count == 1 else f"{base}#{count}"
        while name in self.used_names:
            count += 1
            self.calls[base] = count
            name = f"{base}#{count}"
        self.used_names.add(name)
        return name

    def _is_container_call(self, fx_node: Any, kind: str) -> bool:
        """A functional call inside a module that is not that layer (F.relu inside a block)."""
        cls = _module_type(fx_node).rsplit(".", 1)[-1]
        wanted = {
            "conv": ("Conv",),
            "linear": ("Linear", "Conv1D", "Identity"),
            "norm": ("Norm", "LayerNorm", "GroupNorm"),
            "pool": ("Pool",),
            "act": ("ReLU", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "LeakyReLU", "ELU",
                    "Mish", "Softplus", "Swish", "ReLU6", "Hardtanh", "PReLU", "Softmax", "Act", "Activation"),
            "attention": ("Attention",),
            "shuffle": ("Shuffle",),
            "upsample": ("Upsample", "Interpolate"),
        }.get(kind, ())  # fmt: skip
        return not any(w in cls for w in wanted)

    def emit(
        self, fx_node: Any, kind: str, op: Layer, inputs: list[str], deps: frozenset[str] = frozenset()
    ) -> str:
        name = self.label(fx_node, kind)
        op = self.count(op, deps, fx_node, name, inputs)
        self.nodes.append(Node(name, op, inputs))
        return name

    def count(self, op: Layer, deps: frozenset[str], fx_node: Any, name: str, inputs: list[str]) -> Layer:
        """Parameters by identity: the spec's own count if it reads parameters counted nowhere else."""
        params = [d for d in deps if d in self.numel]
        fresh = [d for d in params if d not in self.counted]
        total = sum(self.numel[d] for d in fresh)
        for d in fresh:
            self.counted.add(d)
            self.owner[d] = name
        if not params:
            return op
        own = self._spec_params(op, fx_node)
        if own == total:
            return op
        shared_with = sorted({self.owner[d] for d in params if self.owner[d] != name})
        return Shared(op, params=total, of=shared_with[0] if shared_with else None)

    def _spec_params(self, op: Layer, fx_node: Any) -> int | None:
        args = [a for a in fx_node.args if isinstance(a, torch.fx.Node)]
        first = self.env.get(args[0]) if args else None
        if not isinstance(first, _Dyn):
            return None
        problems: list[ConvShapeError] = []
        try:
            return op._effect(first.batchless, problems)[1]
        except (ConvShapeError, TypeError, ValueError, IndexError):
            return None

    def learned(
        self,
        fx_node: Any,
        const: _Const,
        shape: tuple[int, ...],
        op: str | None = None,
        input_name: str = "input",
    ) -> str:
        """A node for a tensor computed from parameters and buffers only."""
        params = [d for d in const.deps if d in self.numel]
        fresh = [d for d in params if d not in self.counted]
        count = sum(self.numel[d] for d in fresh)
        name = self.label(fx_node, "learned")
        for d in fresh:
            self.counted.add(d)
            self.owner[d] = name
        spec = Learned(shape, op=op, params=None if count == prod(shape) else count)
        self.nodes.append(Node(name, spec, [input_name]))
        return name

    # -- errors ---------------------------------------------------------------

    def unsupported(self, fx_node: Any, why: str) -> UnsupportedLayerError:
        path = _module_path(fx_node) or "(the model itself)"
        return UnsupportedLayerError(
            f"{why}; operator {fx_node.target} in module {path} ({_module_type(fx_node) or 'model'}), "
            f"at {_source_line(fx_node)}"
        )

    # -- argument helpers ---------------------------------------------------------

    def dyn(self, fx_node: Any, arg: Any) -> _Dyn:
        value = self.env.get(arg) if isinstance(arg, torch.fx.Node) else None
        if not isinstance(value, _Dyn):
            raise self.unsupported(fx_node, f"expected a tensor computed from the input, got {arg!r}")
        return value

    def axis(self, fx_node: Any, x: _Dyn, dim: int, what: str = "dim") -> int:
        rank = len(x.shape)
        d = dim % rank if -rank <= dim < rank else None
        if d is None:
            raise self.unsupported(fx_node, f"{what} {dim} is out of range for rank {rank}")
        if d == x.batch:
            raise self.unsupported(fx_node, f"the operator works on the batch axis ({what}={dim})")
        return d if d < x.batch else d - 1

    def deps(self, args: Sequence[Any]) -> frozenset[str]:
        out: set[str] = set()
        for a in args:
            v = self.env.get(a) if isinstance(a, torch.fx.Node) else None
            if isinstance(v, _Const):
                out |= v.deps
        return frozenset(out)

    # -- the walk -----------------------------------------------------------

    def read(self) -> Graph:
        outputs: list[str] = []
        for n in self.graph.nodes:
            if n.op == "placeholder":
                self.placeholder(n)
            elif n.op == "call_function":
                self.call(n)
            elif n.op == "output":
                items = n.args[0] if isinstance(n.args[0], (tuple, list)) else [n.args[0]]
                for item in items:
                    value = self.env.get(item) if isinstance(item, torch.fx.Node) else None
                    if isinstance(value, _Dyn):
                        if value.batch != 0:
                            raise self.unsupported(n, "an output's batch axis is not its first axis")
                        outputs.append(value.name)
            elif n.op == "get_attr":
                self.env[n] = _Const(frozenset(), _shape(n) or ())
            else:
                raise self.unsupported(n, f"the graph node kind {n.op!r} is not supported")
        if not outputs:
            raise UnsupportedLayerError("the model's outputs do not depend on its input")
        if not self.nodes or all(name == "input" for name in outputs):
            self.nodes.append(Node("identity", Identity(), ["input"]))
            outputs = ["identity" if name == "input" else name for name in outputs]
        self.unused()
        return Graph(self.nodes, list(dict.fromkeys(outputs)))

    def unused(self) -> None:
        missing = [p for p in self.param_of.values() if p not in self.counted and self.numel[p]]
        if not missing:
            return
        by_module: dict[str, int] = {}
        for p in missing:
            module = p.rsplit(".", 1)[0] if "." in p else "(model)"
            by_module[module] = by_module.get(module, 0) + self.numel[p]
        # group by the outermost unused module
        groups: dict[str, int] = {}
        for module, count in by_module.items():
            top = module
            for other in by_module:
                if module.startswith(other + ".") and len(other) < len(top):
                    top = other
            groups[top] = groups.get(top, 0) + count
        total = sum(groups.values())
        listing = ", ".join(f"{m} ({c:,})" for m, c in groups.items())
        warnings.warn(
            UnusedParametersWarning(
                f"{total:,} parameters are never used by the forward on this input: {listing}; "
                "they are kept as Unused rows so the totals equal model.parameters()"
            ),
            stacklevel=4,
        )
        for module, count in groups.items():
            name = f"{module} (unused)"
            while name in self.used_names:
                name += "'"
            self.used_names.add(name)
            self.nodes.append(Node(name, Unused(count, module=module), ["input"]))

    def placeholder(self, n: Any) -> None:
        name = n.name
        shape = _shape(n) or ()
        if name in self.param_of:
            self.env[n] = _Const(frozenset({self.param_of[name]}), shape)
        elif name in self.buffer_of or name in self.constants:
            self.env[n] = _Const(frozenset(), shape)
        else:
            if any(isinstance(v, _Dyn) for v in self.env.values()):
                raise self.unsupported(n, "the model takes several tensor inputs; convshape models one")
            if not shape or shape[0] != BATCH:
                raise self.unsupported(n, f"the input has shape {shape}, expected a batch of {BATCH} first")
            self.env[n] = _Dyn("input", 0, shape)

    def call(self, n: Any) -> None:
        target = n.target
        tensors = [a for a in _flat(n.args) if isinstance(a, torch.fx.Node)]
        tensors += [a for a in _flat(list(n.kwargs.values())) if isinstance(a, torch.fx.Node)]
        dynamic = [a for a in tensors if isinstance(self.env.get(a), _Dyn) or _is_seq(self.env.get(a))]
        if target is operator.getitem:
            self.getitem(n)
            return
        if not dynamic:  # computed from parameters, buffers and constants only: folded
            val = n.meta.get("val")
            if isinstance(val, (list, tuple)):
                self.env[n] = [_Const(self.deps(tensors), tuple(int(s) for s in v.shape)) for v in val]
            else:
                self.env[n] = _Const(self.deps(tensors), _shape(n) or ())
            return
        handler = HANDLERS.get(target)
        if handler is None:
            raise self.unsupported(n, "this operator is not supported by the PyTorch adapter")
        result = handler(self, n)
        self.env[n] = result
        if isinstance(result, _Dyn):
            expected = _shape(n)
            if expected is not None:
                if result.shape != expected:
                    raise self.unsupported(
                        n,
                        f"internal check: the adapter computed {result.shape} where PyTorch gives {expected}",
                    )
                if result.name != "input":
                    self.expected[result.name] = result.batchless

    def getitem(self, n: Any) -> None:
        source, index = n.args
        value = self.env.get(source)
        if isinstance(value, list):
            self.env[n] = value[index]
        else:
            raise self.unsupported(n, "indexing a value that is not a list of tensors")

    def simple(self, n: Any, kind: str, op: Layer, deps: frozenset[str] = frozenset()) -> _Dyn:
        """One input, batch axis first in and out."""
        x = self.dyn(n, n.args[0])
        if x.batch != 0:
            raise self.unsupported(n, "the batch axis is not the first axis here")
        name = self.emit(n, kind, op, [x.name], deps)
        return _Dyn(name, 0, _shape(n) or ())


def _flat(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out += _flat(item)
        else:
            out.append(item)
    return out


def _is_seq(value: object) -> bool:
    return isinstance(value, list) and any(isinstance(v, _Dyn) for v in value)


def _arg(n: Any, index: int, key: str, default: Any) -> Any:
    if len(n.args) > index:
        return n.args[index]
    return n.kwargs.get(key, default)


# ---------------------------------------------------------------------------
# Operator handlers: each returns the _Dyn (or list of _Dyn) its node produces.


def _conv(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    weight = n.args[1]
    bias = _arg(n, 2, "bias", None)
    wshape: tuple[int, ...] = r.env[weight].shape if weight in r.env else (_shape(weight) or ())
    target = n.target
    transposed = target in (
        aten.conv_transpose1d.default,
        aten.conv_transpose2d.input,
        aten.conv_transpose3d.input,
    )
    if target is aten.convolution.default:
        transposed = bool(n.args[6])
    ndim = len(wshape) - 2
    stride = _arg(n, 3, "stride", 1)
    padding = _arg(n, 4, "padding", 0)
    if transposed:
        output_padding = _arg(n, 5, "output_padding", 0)
        groups = _arg(n, 6, "groups", 1)
        dilation = _arg(n, 7, "dilation", 1)
        if target is aten.convolution.default:
            dilation, output_padding, groups = n.args[5], n.args[7], n.args[8]
        op: Layer = ConvTranspose(
            int(wshape[1]) * int(groups),
            _collapse(wshape[2:]),
            stride=_collapse(_per_axis(stride, ndim)),
            padding=_collapse(_per_axis(padding, ndim)),
            output_padding=_collapse(_per_axis(output_padding, ndim)),
            dilation=_collapse(_per_axis(dilation, ndim)),
            groups=int(groups),
            bias=bias is not None,
        )
    else:
        dilation = _arg(n, 5, "dilation", 1)
        groups = _arg(n, 6, "groups", 1)
        if target is aten.convolution.default:
            groups = n.args[8]
        pad: Any = padding if isinstance(padding, str) else _collapse(_per_axis(padding, ndim))
        op = Conv(
            int(wshape[0]),
            _collapse(wshape[2:]),
            stride=_collapse(_per_axis(stride, ndim)),
            padding=pad,
            dilation=_collapse(_per_axis(dilation, ndim)),
            groups=int(groups),
            bias=bias is not None,
        )
    if x.batch != 0:
        raise r.unsupported(n, "the batch axis is not the first axis here")
    if len(x.shape) != ndim + 2:
        raise r.unsupported(n, f"an unbatched convolution input {x.shape}")
    return r.simple(n, "conv", op, r.deps(n.args[1:3]))


def _per_axis(value: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * ndim
    items = tuple(int(v) for v in value)
    return items * ndim if len(items) == 1 else items


def _linear(r: _Reader, n: Any) -> _Dyn:
    weight = n.args[1]
    bias = _arg(n, 2, "bias", None)
    wshape = r.env[weight].shape
    if not isinstance(r.env.get(weight), _Const):
        raise r.unsupported(n, "a linear layer whose weight depends on the input")
    x = r.dyn(n, n.args[0])
    if x.batch == len(x.shape) - 1:
        raise r.unsupported(n, "a linear layer applied along the batch axis")
    name = r.emit(n, "linear", Linear(int(wshape[0]), bias=bias is not None), [x.name], r.deps(n.args[1:3]))
    return _Dyn(name, x.batch, _shape(n) or ())


def _batch_norm(r: _Reader, n: Any) -> _Dyn:
    weight = _arg(n, 1, "weight", None)
    if n.target is aten._native_batch_norm_legit_no_training.default:
        pass
    return r.simple(n, "norm", BatchNorm(affine=weight is not None), r.deps(n.args[1:3]))


def _layer_norm(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    normalized = list(n.args[1])
    weight = _arg(n, 2, "weight", None)
    bias = _arg(n, 3, "bias", None)
    if x.batch >= len(x.shape) - len(normalized):
        raise r.unsupported(n, "layer normalisation over the batch axis")
    op = LayerNorm(len(normalized), elementwise_affine=weight is not None, bias=bias is not None)
    if weight is None and bias is not None:
        raise r.unsupported(n, "layer normalisation with a bias and no weight")
    name = r.emit(n, "norm", op, [x.name], r.deps(n.args[2:4]))
    return _Dyn(name, x.batch, _shape(n) or ())


def _group_norm(r: _Reader, n: Any) -> _Dyn:
    groups = int(n.args[1])
    weight = _arg(n, 2, "weight", None)
    return r.simple(n, "norm", GroupNorm(groups, affine=weight is not None), r.deps(n.args[2:4]))


def _instance_norm(r: _Reader, n: Any) -> _Dyn:
    weight = _arg(n, 1, "weight", None)
    running = _arg(n, 3, "running_mean", None)
    op = InstanceNorm(
        affine=weight is not None, track_running_stats=running is not None and not bool(n.args[5])
    )
    return r.simple(n, "norm", op, r.deps(n.args[1:3]))


def _lrn_like(r: _Reader, n: Any) -> _Dyn:
    return r.simple(n, "norm", LocalResponseNorm(int(n.args[1])))


def _activation(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    name = r.emit(n, "act", Activation(ACTIVATIONS[n.target]), [x.name])
    return _Dyn(name, x.batch, _shape(n) or ())


def _prelu(r: _Reader, n: Any) -> _Dyn:
    weight = r.env[n.args[1]]
    return r.simple(n, "act", PReLU(int(prod(weight.shape)) or 1), r.deps(n.args[1:2]))


def _alias(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    return _Dyn(x.name, x.batch, _shape(n) or x.shape)


def _softmax(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    axis = r.axis(n, x, int(n.args[1]))
    log = n.target in (aten.log_softmax.int, aten._log_softmax.default)
    name = r.emit(n, "act", Softmax(axis, log=log), [x.name])
    return _Dyn(name, x.batch, _shape(n) or ())


def _batchless_const(r: _Reader, n: Any, const: _Const, partner: _Dyn) -> tuple[int, ...]:
    """A parameter-derived operand's shape without the batch axis, as it broadcasts against *partner*.

    Shapes broadcast from the right: an operand that stops short of the partner's batch axis keeps
    its shape; one that reaches it must have size 1 (or the batch) there, and loses that axis.
    """
    shape = const.shape
    rank = len(partner.shape)
    reach = len(shape) - (rank - partner.batch)  # index of the batch axis in the operand, if >= 0
    if reach < 0:
        return shape
    if shape[reach] not in (1, BATCH):
        raise r.unsupported(n, f"a learned operand of shape {shape} that differs along the batch axis")
    return shape[:reach] + shape[reach + 1 :]


def _binary(r: _Reader, n: Any) -> _Dyn:
    a, b = n.args[0], n.args[1] if len(n.args) > 1 else n.kwargs.get("other")
    if n.target is aten.where.self:
        a, b = n.args[1], n.args[2]
    va = r.env.get(a) if isinstance(a, torch.fx.Node) else None
    vb = r.env.get(b) if isinstance(b, torch.fx.Node) else None
    mode = BINARY[n.target]
    out = _shape(n) or ()
    if isinstance(va, _Dyn) and isinstance(vb, _Dyn):
        if va.batch != vb.batch or len(va.shape) != len(vb.shape):
            raise r.unsupported(
                n, "an element-wise operation whose operands hold the batch on different axes"
            )
        merge = Add() if mode == "add" else Multiply()
        name = r.emit(n, mode, merge, [va.name, vb.name])
        return _Dyn(name, va.batch, out)
    dyn = va if isinstance(va, _Dyn) else vb
    other = vb if dyn is va else va
    assert isinstance(dyn, _Dyn)
    if isinstance(other, _Const):
        shape = _batchless_const(r, n, other, dyn)
        if dyn.batch != 0:
            raise r.unsupported(n, "a learned operand combined with a tensor whose batch axis is not first")
        name = r.learned(n, other, shape, op=mode, input_name=dyn.name)
        return _Dyn(name, 0, out)
    # a Python number or a tensor with no values to count: the shape is unchanged
    if out != dyn.shape:
        raise r.unsupported(n, f"an element-wise operation that changes the shape {dyn.shape} -> {out}")
    return _Dyn(dyn.name, dyn.batch, out)


def _cat(r: _Reader, n: Any) -> _Dyn:
    items = list(n.args[0])
    dim = int(_arg(n, 1, "dim", 0))
    values = [r.env.get(i) for i in items]
    first = next(v for v in values if isinstance(v, _Dyn))
    axis = r.axis(n, first, dim)
    names = []
    for item, v in zip(items, values, strict=True):
        if isinstance(v, _Dyn):
            if v.batch != first.batch:
                raise r.unsupported(n, "concatenated tensors hold the batch on different axes")
            names.append(v.name)
        elif isinstance(v, _Const):
            shape = (
                v.shape[: first.batch] + v.shape[first.batch + 1 :]
                if len(v.shape) == len(first.shape)
                else v.shape
            )
            names.append(r.learned(n, v, shape, op=None, input_name=first.name))
        else:
            raise r.unsupported(n, f"a concatenated value that is not a tensor: {item!r}")
    name = r.emit(n, "cat", Cat(axis=axis), names)
    return _Dyn(name, first.batch, _shape(n) or ())


def _stack(r: _Reader, n: Any) -> _Dyn:
    items = list(n.args[0])
    dim = int(_arg(n, 1, "dim", 0))
    values = [r.dyn(n, i) for i in items]
    first = values[0]
    rank = len(first.shape) + 1
    d = dim % rank
    if d <= first.batch:
        raise r.unsupported(n, "stacking before the batch axis")
    axis = d - 1
    names = []
    for v in values:
        names.append(r.emit(n, "unsqueeze", Unsqueeze(axis), [v.name]))
    name = r.emit(n, "stack", Cat(axis=axis), names)
    return _Dyn(name, first.batch, _shape(n) or ())


def _reshape(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    out = _shape(n) or ()
    if (
        n.target in (aten.reshape_as.default, aten.view_as.default, aten.expand_as.default)
        or n.target is aten.unflatten.int
    ):
        target = list(out)
    else:
        target = [int(v) for v in n.args[1]]
    if x.batch != 0:
        raise r.unsupported(n, "a reshape of a tensor whose batch axis is not first")
    if not out or out[0] != BATCH or (target and target[0] not in (BATCH, -1)):
        raise r.unsupported(n, f"a reshape that mixes the batch axis with others ({x.shape} -> {out})")
    if target and target[0] == -1 and -1 in target[1:]:
        raise r.unsupported(n, "a reshape with more than one inferred size")
    body = tuple(out[1:]) if target[0] == -1 else tuple(target[1:])
    if tuple(out[1:]) == x.batchless:
        return _Dyn(x.name, 0, out)
    name = r.emit(n, "reshape", Reshape(body if body else (1,)), [x.name])
    if not body:
        raise r.unsupported(n, "a reshape to the batch axis alone")
    return _Dyn(name, 0, out)


def _flatten(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape)
    start = int(_arg(n, 1, "start_dim", 0)) % rank
    end = int(_arg(n, 2, "end_dim", -1)) % rank
    if start == end:
        return _Dyn(x.name, x.batch, x.shape)
    if start <= x.batch <= end:
        raise r.unsupported(n, f"flatten({start}, {end}) merges the batch axis with others")
    shift = 1 if start > x.batch else 0
    name = r.emit(n, "flatten", Flatten(start - shift, end - shift), [x.name])
    return _Dyn(name, x.batch, _shape(n) or ())


def _permute(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape)
    dims = [int(d) % rank for d in n.args[1]]
    batch_out = dims.index(x.batch)
    rest = [d if d < x.batch else d - 1 for d in dims if d != x.batch]
    if rest == list(range(rank - 1)):
        return _Dyn(x.name, batch_out, _shape(n) or ())
    name = r.emit(n, "permute", Permute(tuple(rest)), [x.name])
    return _Dyn(name, batch_out, _shape(n) or ())


def _transpose(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape)
    a, b = int(n.args[1]) % rank, int(n.args[2]) % rank
    if a == b:
        return _Dyn(x.name, x.batch, x.shape)
    dims = list(range(rank))
    dims[a], dims[b] = dims[b], dims[a]
    batch_out = dims.index(x.batch)
    rest = [d if d < x.batch else d - 1 for d in dims if d != x.batch]
    if rest == list(range(rank - 1)):
        return _Dyn(x.name, batch_out, _shape(n) or ())
    if x.batch in (a, b):
        name = r.emit(n, "permute", Permute(tuple(rest)), [x.name])
    else:
        name = r.emit(
            n,
            "transpose",
            Transpose(rest.index(a if a < x.batch else a - 1), rest.index(b if b < x.batch else b - 1)),
            [x.name],
        )
    return _Dyn(name, batch_out, _shape(n) or ())


def _unsqueeze(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape) + 1
    d = int(n.args[1]) % rank
    if d <= x.batch:
        name = r.emit(n, "unsqueeze", Unsqueeze(d), [x.name]) if d < x.batch else None
        if d == x.batch:
            raise r.unsupported(n, "a new axis in front of the batch axis")
        assert name is not None
        return _Dyn(name, x.batch + 1, _shape(n) or ())
    name = r.emit(n, "unsqueeze", Unsqueeze(d - 1), [x.name])
    return _Dyn(name, x.batch, _shape(n) or ())


def _squeeze(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape)
    if len(n.args) > 1:
        raw = n.args[1]
        dims = [int(v) % rank for v in (raw if isinstance(raw, (list, tuple)) else [raw])]
    else:
        dims = [i for i, v in enumerate(x.shape) if v == 1]
    dims = [d for d in dims if x.shape[d] == 1 and d != x.batch]
    if not dims:
        return _Dyn(x.name, x.batch, _shape(n) or x.shape)
    batchless = tuple(d if d < x.batch else d - 1 for d in dims)
    name = r.emit(n, "squeeze", Squeeze(batchless if len(batchless) > 1 else batchless[0]), [x.name])
    return _Dyn(name, x.batch - sum(1 for d in dims if d < x.batch), _shape(n) or ())


def _slice(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    dim = int(_arg(n, 1, "dim", 0))
    start = _arg(n, 2, "start", None)
    end = _arg(n, 3, "end", None)
    step = int(_arg(n, 4, "step", 1))
    rank = len(x.shape)
    d = dim % rank
    size = x.shape[d]
    first = 0 if start is None else int(start)
    stop = None if end is None or int(end) >= size else int(end)
    if d == x.batch:
        if _shape(n) == x.shape:
            return _Dyn(x.name, x.batch, x.shape)
        raise r.unsupported(n, "a slice of the batch axis")
    if first == 0 and stop is None and step == 1:
        return _Dyn(x.name, x.batch, x.shape)
    axis = r.axis(n, x, dim)
    name = r.emit(n, "slice", Slice(axis, first, stop, step), [x.name])
    return _Dyn(name, x.batch, _shape(n) or ())


def _select(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    dim, index = int(n.args[1]), int(n.args[2])
    axis = r.axis(n, x, dim)
    size = x.batchless[axis]
    i = index % size
    cut = r.emit(n, "select", Slice(axis, i, i + 1), [x.name])
    name = r.emit(n, "squeeze", Squeeze(axis), [cut])
    d = dim % len(x.shape)
    return _Dyn(name, x.batch - (1 if d < x.batch else 0), _shape(n) or ())


def _pieces(r: _Reader, n: Any, x: _Dyn, dim: int, sizes: list[int], squeeze: bool) -> list[_Dyn]:
    axis = r.axis(n, x, dim)
    out = []
    start = 0
    vals = n.meta.get("val")
    d = dim % len(x.shape)
    for i, size in enumerate(sizes):
        name = r.emit(n, "split", Slice(axis, start, start + size), [x.name])
        if squeeze:
            name = r.emit(n, "squeeze", Squeeze(axis), [name])
        shape = tuple(int(v) for v in vals[i].shape)
        out.append(_Dyn(name, x.batch - (1 if squeeze and d < x.batch else 0), shape))
        start += size
    return out


def _split(r: _Reader, n: Any) -> list[_Dyn]:
    x = r.dyn(n, n.args[0])
    vals = n.meta["val"]
    if n.target is aten.unbind.int:
        dim = int(_arg(n, 1, "dim", 0))
        return _pieces(r, n, x, dim, [1] * len(vals), squeeze=True)
    dim = int(_arg(n, 2, "dim", 0))
    d = dim % len(x.shape)
    return _pieces(r, n, x, dim, [int(v.shape[d]) for v in vals], squeeze=False)


def _max_pool(r: _Reader, n: Any) -> Any:
    kernel = _collapse(n.args[1])
    stride = _arg(n, 2, "stride", [])
    op = MaxPool(
        kernel,
        stride=None if not stride else _collapse(stride),
        padding=_collapse(_arg(n, 3, "padding", 0)),
        dilation=_collapse(_arg(n, 4, "dilation", 1)),
        ceil_mode=bool(_arg(n, 5, "ceil_mode", False)),
    )
    result = r.simple(n, "pool", op) if n.target not in WITH_INDICES else None
    if result is None:
        x = r.dyn(n, n.args[0])
        name = r.emit(n, "pool", op, [x.name])
        shape = tuple(int(v) for v in n.meta["val"][0].shape)
        return [_Dyn(name, 0, shape), _Dyn(name, 0, shape)]
    return result


def _avg_pool(r: _Reader, n: Any) -> _Dyn:
    stride = _arg(n, 2, "stride", [])
    divisor = _arg(n, 6, "divisor_override", None)
    include = bool(_arg(n, 5, "count_include_pad", True))
    op = AvgPool(
        _collapse(n.args[1]),
        stride=None if not stride else _collapse(stride),
        padding=_collapse(_arg(n, 3, "padding", 0)),
        ceil_mode=bool(_arg(n, 4, "ceil_mode", False)),
    )
    del divisor, include  # they change values, not shapes
    return r.simple(n, "pool", op)


def _adaptive(r: _Reader, n: Any) -> Any:
    size = [int(v) for v in n.args[1]]
    avg = n.target in (
        aten.adaptive_avg_pool1d.default,
        aten.adaptive_avg_pool2d.default,
        aten.adaptive_avg_pool3d.default,
    )
    op: Layer = AdaptiveAvgPool(_collapse(size)) if avg else AdaptiveMaxPool(_collapse(size))
    if avg:
        return r.simple(n, "pool", op)
    x = r.dyn(n, n.args[0])
    name = r.emit(n, "pool", op, [x.name])
    shape = tuple(int(v) for v in n.meta["val"][0].shape)
    return [_Dyn(name, 0, shape), _Dyn(name, 0, shape)]


def _reduce(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    raw = _arg(n, 1, "dim", None)
    rank = len(x.shape)
    dims = (
        list(range(rank))
        if raw is None or raw == []
        else [int(v) for v in (raw if isinstance(raw, (list, tuple)) else [raw])]
    )
    keep = bool(_arg(n, 2, "keepdim", False))
    axes = tuple(r.axis(n, x, d) for d in dims)
    op = Reduce(
        REDUCTIONS.get(n.target, "norm" if n.target is aten.linalg_vector_norm.default else "sum"),
        axes if len(axes) > 1 else axes[0],
        keepdim=keep,
    )
    dims_full = [d % rank for d in dims]
    name = r.emit(n, "reduce", op, [x.name])
    batch = x.batch if keep else x.batch - sum(1 for d in dims_full if d < x.batch)
    return _Dyn(name, batch, _shape(n) or ())


def _vector_norm(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    raw = _arg(n, 2, "dim", None)
    keep = bool(_arg(n, 3, "keepdim", False))
    rank = len(x.shape)
    dims = (
        list(range(rank))
        if raw is None
        else [int(v) for v in (raw if isinstance(raw, (list, tuple)) else [raw])]
    )
    axes = tuple(r.axis(n, x, d) for d in dims)
    name = r.emit(n, "reduce", Reduce("sum", axes if len(axes) > 1 else axes[0], keepdim=keep), [x.name])
    batch = x.batch if keep else x.batch - sum(1 for d in dims if d % rank < x.batch)
    return _Dyn(name, batch, _shape(n) or ())


def _upsample(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    size = n.args[1] if len(n.args) > 1 else None
    scales = n.args[-1] if n.target in UPSAMPLE_VEC else None
    if size:
        op = Upsample(size=_collapse([int(v) for v in size]))
    elif scales:
        op = Upsample(
            scale_factor=tuple(float(v) for v in scales) if len(set(scales)) > 1 else float(scales[0])
        )
    else:
        op = Upsample(size=_collapse(list((_shape(n) or ())[2:])))
    if x.batch != 0:
        raise r.unsupported(n, "the batch axis is not the first axis here")
    name = r.emit(n, "upsample", op, [x.name])
    return _Dyn(name, 0, _shape(n) or ())


def _pad(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    flat = [int(v) for v in n.args[1]]
    pairs = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)][::-1]
    rank = len(x.shape)
    if x.batch != 0 or len(pairs) > rank - 2:
        if len(pairs) == rank - 1 and pairs[0] == (0, 0) and x.batch == 0:
            pairs = pairs[1:]
        else:
            raise r.unsupported(n, "padding of the channel or batch axis")
    spatial = rank - 2
    pairs = [(0, 0)] * (spatial - len(pairs)) + pairs
    if all(p == (0, 0) for p in pairs):
        return _Dyn(x.name, x.batch, x.shape)
    if any(b < 0 or a < 0 for b, a in pairs):
        raise r.unsupported(n, "negative padding (cropping through F.pad)")
    name = r.emit(n, "pad", Pad(tuple(pairs)), [x.name])
    return _Dyn(name, 0, _shape(n) or ())


def _pixel_shuffle(r: _Reader, n: Any) -> _Dyn:
    factor = int(n.args[1])
    op: Layer = PixelShuffle(factor) if n.target is aten.pixel_shuffle.default else PixelUnshuffle(factor)
    return r.simple(n, "shuffle", op)


def _channel_shuffle(r: _Reader, n: Any) -> _Dyn:
    return r.simple(n, "shuffle", ChannelShuffle(int(n.args[1])))


def _matmul(r: _Reader, n: Any) -> _Dyn:
    a, b = n.args[0], n.args[1]
    va, vb = r.env.get(a), r.env.get(b)
    names = []
    partner = va if isinstance(va, _Dyn) else vb
    assert isinstance(partner, _Dyn)
    for v in (va, vb):
        if isinstance(v, _Dyn):
            if v.batch != 0:
                raise r.unsupported(n, "a matrix product of a tensor whose batch axis is not first")
            names.append(v.name)
        elif isinstance(v, _Const):
            shape = v.shape
            if len(shape) == len(partner.shape):
                if shape[0] not in (1, BATCH):
                    raise r.unsupported(n, "a matrix operand that differs along the batch axis")
                shape = shape[1:]
            names.append(r.learned(n, v, shape, op=None, input_name=partner.name))
        else:
            raise r.unsupported(n, "a matrix product with a non-tensor operand")
    if len(partner.shape) < 3 and isinstance(va, _Dyn) and isinstance(vb, _Dyn):
        raise r.unsupported(n, "a matrix product of two batched matrices without other axes")
    name = r.emit(n, "matmul", MatMul(), names)
    return _Dyn(name, 0, _shape(n) or ())


def _sdpa(r: _Reader, n: Any) -> _Dyn:
    q, k, v = (r.dyn(n, a) for a in n.args[:3])
    for t in (q, k, v):
        if t.batch != 0:
            raise r.unsupported(n, "attention on tensors whose batch axis is not first")
    name = r.emit(n, "attention", ScaledDotProductAttention(), [q.name, k.name, v.name])
    return _Dyn(name, 0, _shape(n) or ())


def _expand(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    out = _shape(n) or ()
    if out == x.shape:
        return _Dyn(x.name, x.batch, out)
    raise r.unsupported(n, f"expanding a tensor computed from the input ({x.shape} -> {out})")


def _einsum(r: _Reader, n: Any) -> _Dyn:
    raise r.unsupported(n, "einsum is not supported; write the product with matmul")


WITH_INDICES = {
    aten.max_pool1d_with_indices.default,
    aten.max_pool2d_with_indices.default,
    aten.max_pool3d_with_indices.default,
}
UPSAMPLE_VEC = {
    aten.upsample_nearest1d.vec,
    aten.upsample_nearest2d.vec,
    aten.upsample_nearest3d.vec,
    aten.upsample_bilinear2d.vec,
    aten.upsample_bicubic2d.vec,
    aten.upsample_linear1d.vec,
    aten.upsample_trilinear3d.vec,
    aten._upsample_nearest_exact2d.vec,
}

HANDLERS: dict[Any, Callable[[_Reader, Any], Any]] = {
    aten.conv1d.default: _conv,
    aten.conv2d.default: _conv,
    aten.conv3d.default: _conv,
    aten.conv1d.padding: _conv,
    aten.conv2d.padding: _conv,
    aten.conv3d.padding: _conv,
    aten.convolution.default: _conv,
    aten.conv_transpose1d.default: _conv,
    aten.conv_transpose2d.input: _conv,
    aten.conv_transpose3d.input: _conv,
    aten.linear.default: _linear,
    aten.batch_norm.default: _batch_norm,
    aten._native_batch_norm_legit_no_training.default: _batch_norm,
    aten.layer_norm.default: _layer_norm,
    aten.group_norm.default: _group_norm,
    aten.instance_norm.default: _instance_norm,
    aten.prelu.default: _prelu,
    aten._prelu_kernel.default: _prelu,
    aten.softmax.int: _softmax,
    aten._softmax.default: _softmax,
    aten.log_softmax.int: _softmax,
    aten._log_softmax.default: _softmax,
    aten.cat.default: _cat,
    aten.concat.default: _cat,
    aten.stack.default: _stack,
    aten.view.default: _reshape,
    aten.reshape.default: _reshape,
    aten._unsafe_view.default: _reshape,
    aten.reshape_as.default: _reshape,
    aten.view_as.default: _reshape,
    aten.unflatten.int: _reshape,
    aten.flatten.using_ints: _flatten,
    aten.permute.default: _permute,
    aten.transpose.int: _transpose,
    aten.swapaxes.default: _transpose,
    aten.unsqueeze.default: _unsqueeze,
    aten.squeeze.dim: _squeeze,
    aten.squeeze.dims: _squeeze,
    aten.squeeze.default: _squeeze,
    aten.slice.Tensor: _slice,
    aten.select.int: _select,
    aten.split.Tensor: _split,
    aten.split_with_sizes.default: _split,
    aten.chunk.default: _split,
    aten.unbind.int: _split,
    aten.max_pool1d.default: _max_pool,
    aten.max_pool2d.default: _max_pool,
    aten.max_pool3d.default: _max_pool,
    aten.max_pool1d_with_indices.default: _max_pool,
    aten.max_pool2d_with_indices.default: _max_pool,
    aten.max_pool3d_with_indices.default: _max_pool,
    aten.avg_pool1d.default: _avg_pool,
    aten.avg_pool2d.default: _avg_pool,
    aten.avg_pool3d.default: _avg_pool,
    aten.adaptive_avg_pool1d.default: _adaptive,
    aten.adaptive_avg_pool2d.default: _adaptive,
    aten.adaptive_avg_pool3d.default: _adaptive,
    aten.adaptive_max_pool1d.default: _adaptive,
    aten.adaptive_max_pool2d.default: _adaptive,
    aten.adaptive_max_pool3d.default: _adaptive,
    aten.mean.dim: _reduce,
    aten.sum.dim_IntList: _reduce,
    aten.amax.default: _reduce,
    aten.amin.default: _reduce,
    aten.linalg_vector_norm.default: _vector_norm,
    aten.constant_pad_nd.default: _pad,
    aten.pad.default: _pad,
    aten.reflection_pad1d.default: _pad,
    aten.reflection_pad2d.default: _pad,
    aten.replication_pad2d.default: _pad,
    aten.pixel_shuffle.default: _pixel_shuffle,
    aten.pixel_unshuffle.default: _pixel_shuffle,
    aten.channel_shuffle.default: _channel_shuffle,
    aten.native_channel_shuffle.default: _channel_shuffle,
    aten.matmul.default: _matmul,
    aten.bmm.default: _matmul,
    aten.mm.default: _matmul,
    aten.scaled_dot_product_attention.default: _sdpa,
    aten.expand.default: _expand,
    aten.expand_as.default: _expand,
    aten.einsum.default: _einsum,
}
HANDLERS.update(dict.fromkeys(ACTIVATIONS, _activation))
HANDLERS.update(dict.fromkeys(ALIASES, _alias))
HANDLERS.update(dict.fromkeys(BINARY, _binary))
HANDLERS.update(dict.fromkeys(UPSAMPLE_VEC, _upsample))
HANDLERS[aten.upsample_nearest2d.default] = _upsample
HANDLERS[aten.upsample_bilinear2d.default] = _upsample


def _export(model: Any, input_shape: tuple[int, ...]) -> Any:
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros(BATCH, *input_shape)
        with torch.no_grad():
            return torch.export.export(model, (x,), strict=False)
    except ConvShapeError:
        raise
    except Exception as err:  # torch.export raises many kinds of errors for code it cannot capture
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise UnsupportedLayerError(
            f"torch.export cannot capture {type(model).__name__}.forward on an input of shape "
            f"{(BATCH, *input_shape)} ({type(err).__name__}: {first[:300]})"
        ) from None
    finally:
        model.train(was_training)


def convert_exported(model: Any, input_shape: Sequence[int]) -> Graph:
    """The spec of *model* as it runs on an input of *input_shape* (no batch axis)."""
    from convshape.tracing import _input_shape, trace

    shape = _input_shape(input_shape)
    exported = _export(model, shape)
    reader = _Reader(model, exported)
    try:
        graph = reader.read()
    except ConvShapeError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, StopIteration) as err:
        raise UnsupportedLayerError(
            f"the PyTorch adapter could not read the exported graph ({type(err).__name__}: {err})"
        ) from None
    # every node's shape must be the one PyTorch computed
    report = trace(graph, shape)
    for row in report.rows:
        expected = reader.expected.get(row.path)
        if expected is not None and row.output_shape != expected:
            raise UnsupportedLayerError(
                f"internal check failed at {row.path} ({row.layer.describe()}): convshape computes "
                f"{row.output_shape}, PyTorch {expected}"
            )
    return graph
