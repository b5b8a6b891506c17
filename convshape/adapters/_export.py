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
from convshape.normalization import GroupNorm, InstanceNorm, LayerNorm
from convshape.reshaping import (
    ChannelShuffle,
    Crop,
    Expand,
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
    """A tensor that depends on the input: the graph node holding it and where its batch lies.

    The batch lies in axis ``batch``, whose size is ``outer x BATCH x inner`` with the batch in
    the middle (window attention folds windows into the batch axis: ``(B x windows, ...)``;
    ``nn.MultiheadAttention`` folds heads in: ``(B x heads, L, d)``). Without the batch, that axis
    has ``outer x inner`` values; it is dropped when that is 1.
    """

    __slots__ = ("batch", "name", "outer", "shape")

    def __init__(self, name: str, batch: int, shape: tuple[int, ...], outer: int = 1) -> None:
        self.name, self.batch, self.shape, self.outer = name, batch, shape, outer

    @property
    def rest(self) -> int:
        """The batch axis' values per sample (``outer x inner``)."""
        return self.shape[self.batch] // BATCH

    @property
    def plain(self) -> bool:
        """The batch axis holds the batch only."""
        return self.rest == 1

    @property
    def batchless(self) -> tuple[int, ...]:
        b = self.batch
        middle = () if self.plain else (self.rest,)
        return self.shape[:b] + middle + self.shape[b + 1 :]

    def index(self, d: int) -> int:
        """The batchless index of full axis *d* (not the batch axis of a plain tensor)."""
        return d if d < self.batch or not self.plain else d - 1

    def like(self, name: str, shape: tuple[int, ...], batch: int | None = None) -> _Dyn:
        """Another tensor whose batch axis is laid out the same (possibly moved to *batch*)."""
        return _Dyn(name, self.batch if batch is None else batch, shape, self.outer)


class _Const:
    """A tensor computed from parameters, buffers and constants only (with the MACs that took)."""

    __slots__ = ("deps", "macs", "shape")

    def __init__(self, deps: frozenset[str], shape: tuple[int, ...], macs: int = 0) -> None:
        self.deps, self.shape, self.macs = deps, shape, macs


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
        own = self._spec_params(op, fx_node)
        if not params:  # weights that are buffers (a fixed blur filter) or no weights at all
            return op if not own else Shared(op, params=0)
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
        except (ConvShapeError, TypeError, ValueError, IndexError, NotImplementedError):
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
        # a computation on a batch-sized constant was done once per sample
        macs = const.macs // BATCH if const.shape and const.shape[0] == BATCH else const.macs
        spec = Learned(shape, op=op, params=None if count == prod(shape) else count, macs=macs)
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
        return x.index(d)

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
                        if value.batch != 0 or not value.plain:
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
        if not dynamic or target in SHAPE_ONLY:  # no values from the input: folded into a constant
            val = n.meta.get("val")
            deps = self.deps([t for t in tensors if isinstance(self.env.get(t), _Const)])
            macs = sum(self.env[t].macs for t in tensors if isinstance(self.env.get(t), _Const))
            macs += _constant_macs(n, self)
            if isinstance(val, (list, tuple)):
                self.env[n] = [_Const(deps, tuple(int(s) for s in v.shape), macs) for v in val]
            else:
                self.env[n] = _Const(deps, _shape(n) or (), macs)
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

    def plain_first(self, n: Any, x: _Dyn) -> None:
        if x.batch != 0 or not x.plain:
            raise self.unsupported(
                n,
                f"this layer needs (batch, channels, ...) input; here the batch lies in axis {x.batch} of {x.shape}",
            )

    def simple(self, n: Any, kind: str, op: Layer, deps: frozenset[str] = frozenset()) -> _Dyn:
        """One input, batch axis first in and out."""
        x = self.dyn(n, n.args[0])
        self.plain_first(n, x)
        name = self.emit(n, kind, op, [x.name], deps)
        return _Dyn(name, 0, _shape(n) or ())


#: operators whose result depends on the input's shape only (static here), not on its values
SHAPE_ONLY = {
    aten.new_zeros.default,
    aten.new_ones.default,
    aten.new_full.default,
    aten.new_empty.default,
    aten.zeros_like.default,
    aten.ones_like.default,
    aten.full_like.default,
    aten.empty_like.default,
    aten.sym_size.int,
}


def _constant_macs(n: Any, r: _Reader) -> int:
    """MACs of a convolution, linear layer or matrix product computed on constants."""
    out = _shape(n)
    if out is None:
        return 0
    target = n.target
    shapes = [
        r.env[a].shape for a in n.args if isinstance(a, torch.fx.Node) and isinstance(r.env.get(a), _Const)
    ]
    if (
        target in (aten.conv1d.default, aten.conv2d.default, aten.conv3d.default, aten.convolution.default)
        and len(shapes) >= 2
    ):
        return int(prod(out) * prod(shapes[1][1:]))
    if target is aten.linear.default and len(shapes) >= 2:
        return int(prod(out) * shapes[1][1])
    if target in (aten.matmul.default, aten.bmm.default, aten.mm.default) and shapes:
        return int(prod(out) * shapes[0][-1])
    return 0


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
            in_channels=int(wshape[1]) * int(groups),  # what the weight says: a re-trace checks it
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
    if not isinstance(r.env.get(weight), _Const):
        raise r.unsupported(n, "a linear layer whose weight depends on the input")
    wshape = r.env[weight].shape
    x = r.dyn(n, n.args[0])
    if x.batch == len(x.shape) - 1:
        raise r.unsupported(n, "a linear layer applied along the batch axis")
    name = r.emit(n, "linear", Linear(int(wshape[0]), bias=bias is not None), [x.name], r.deps(n.args[1:3]))
    return x.like(name, _shape(n) or ())


def _batch_norm(r: _Reader, n: Any) -> _Dyn:
    weight = _arg(n, 1, "weight", None)
    return r.simple(n, "norm", BatchNorm(affine=weight is not None), r.deps(n.args[1:3]))


def _layer_norm(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    normalized = list(n.args[1])
    weight = _arg(n, 2, "weight", None)
    bias = _arg(n, 3, "bias", None)
    if x.batch >= len(x.shape) - len(normalized):
        raise r.unsupported(n, "layer normalisation over the batch axis")
    if weight is None and bias is not None:
        raise r.unsupported(n, "layer normalisation with a bias and no weight")
    op = LayerNorm(len(normalized), elementwise_affine=weight is not None, bias=bias is not None)
    name = r.emit(n, "norm", op, [x.name], r.deps(n.args[2:4]))
    return x.like(name, _shape(n) or ())


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


def _activation(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    name = r.emit(n, "act", Activation(ACTIVATIONS[n.target]), [x.name])
    return x.like(name, _shape(n) or ())


def _prelu(r: _Reader, n: Any) -> _Dyn:
    weight = r.env[n.args[1]]
    return r.simple(n, "act", PReLU(int(prod(weight.shape)) or 1), r.deps(n.args[1:2]))


def _alias(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    out = _shape(n) or x.shape
    if out != x.shape:
        raise r.unsupported(n, f"an element-wise operation that changes the shape {x.shape} -> {out}")
    return x


def _softmax(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    axis = r.axis(n, x, int(n.args[1]))
    log = n.target in (aten.log_softmax.int, aten._log_softmax.default)
    name = r.emit(n, "act", Softmax(axis, log=log), [x.name])
    return x.like(name, _shape(n) or ())


def _batchless_const(r: _Reader, n: Any, const: _Const, partner: _Dyn) -> tuple[int, ...]:
    """A parameter-derived operand's shape without the batch axis, as it broadcasts against *partner*.

    Shapes broadcast from the right: an operand that stops short of the partner's batch axis keeps
    its shape; one that reaches it must have size 1 there (it then loses that axis when the
    partner's batch axis holds the batch only).
    """
    shape = const.shape
    rank = len(partner.shape)
    reach = len(shape) - (rank - partner.batch)  # the batch axis' index in the operand, if >= 0
    if reach < 0:
        return shape
    if shape[reach] != 1 and not (partner.plain and shape[reach] == BATCH):
        raise r.unsupported(n, f"a learned operand of shape {shape} that differs along the batch axis")
    return shape[:reach] + shape[reach + 1 :] if partner.plain else shape


def _binary(r: _Reader, n: Any) -> _Dyn:
    a, b = n.args[0], n.args[1] if len(n.args) > 1 else n.kwargs.get("other")
    if n.target is aten.where.self:
        a, b = n.args[1], n.args[2]
    va = r.env.get(a) if isinstance(a, torch.fx.Node) else None
    vb = r.env.get(b) if isinstance(b, torch.fx.Node) else None
    mode = BINARY[n.target]
    out = _shape(n) or ()
    if isinstance(va, _Dyn) and isinstance(vb, _Dyn):
        if (va.batch, len(va.shape), va.shape[va.batch]) != (vb.batch, len(vb.shape), vb.shape[vb.batch]):
            raise r.unsupported(n, "an element-wise operation whose operands hold the batch differently")
        merge = Add() if mode == "add" else Multiply()
        name = r.emit(n, mode, merge, [va.name, vb.name])
        return va.like(name, out)
    dyn = va if isinstance(va, _Dyn) else vb
    other = vb if dyn is va else va
    assert isinstance(dyn, _Dyn)
    if isinstance(other, _Const) and other.deps:
        shape = _batchless_const(r, n, other, dyn)
        name = r.learned(n, other, shape, op=mode, input_name=dyn.name)
        return dyn.like(name, out)
    # a Python number, or a buffer or constant with nothing to count
    if out == dyn.shape:
        return dyn
    if isinstance(other, _Const):
        shape = _batchless_const(r, n, other, dyn)
        name = r.learned(n, other, shape, op=mode, input_name=dyn.name)
        return dyn.like(name, out)
    raise r.unsupported(n, f"an element-wise operation that changes the shape {dyn.shape} -> {out}")


def _cat(r: _Reader, n: Any) -> _Dyn:
    items = list(n.args[0])
    dim = int(_arg(n, 1, "dim", 0))
    values = [r.env.get(i) for i in items]
    first = next(v for v in values if isinstance(v, _Dyn))
    axis = r.axis(n, first, dim)
    names = []
    for item, v in zip(items, values, strict=True):
        if isinstance(v, _Dyn):
            if (v.batch, v.shape[v.batch]) != (first.batch, first.shape[first.batch]):
                raise r.unsupported(n, "concatenated tensors hold the batch differently")
            names.append(v.name)
        elif isinstance(v, _Const):
            names.append(r.learned(n, v, _batchless_const(r, n, v, first), op=None, input_name=first.name))
        else:
            raise r.unsupported(n, f"a concatenated value that is not a tensor: {item!r}")
    name = r.emit(n, "cat", Cat(axis=axis), names)
    return first.like(name, _shape(n) or ())


def _stack(r: _Reader, n: Any) -> _Dyn:
    items = list(n.args[0])
    dim = int(_arg(n, 1, "dim", 0))
    values = [r.dyn(n, i) for i in items]
    first = values[0]
    rank = len(first.shape) + 1
    d = dim % rank
    if d <= first.batch:
        raise r.unsupported(n, "stacking in front of the batch axis")
    axis = first.index(d - 1) + 1
    names = [r.emit(n, "unsqueeze", Unsqueeze(axis), [v.name]) for v in values]
    name = r.emit(n, "stack", Cat(axis=axis), names)
    return first.like(name, _shape(n) or ())


def _reshape(r: _Reader, n: Any) -> _Dyn:
    """A reshape is exact without the batch when the values before the batch stay before it."""
    x = r.dyn(n, n.args[0])
    out = _shape(n) or ()
    before = prod(x.shape[: x.batch]) * x.outer  # values in front of the batch, per sample
    for b in range(len(out)):
        lead = prod(out[:b])
        if before % lead:
            break
        outer = before // lead
        if out[b] % (outer * BATCH) == 0:
            result = _Dyn("", b, out, outer)
            break
    else:
        raise r.unsupported(n, f"a reshape that mixes the batch with other values ({x.shape} -> {out})")
    if result.batchless == x.batchless:
        result.name = x.name
        return result
    target = result.batchless
    if not target:
        raise r.unsupported(n, "a reshape to the batch axis alone")
    result.name = r.emit(n, "reshape", Reshape(target), [x.name])
    return result


def _flatten(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape)
    start = int(_arg(n, 1, "start_dim", 0)) % rank
    end = int(_arg(n, 2, "end_dim", -1)) % rank
    if start == end:
        return x
    if start <= x.batch <= end:
        return _reshape(r, n)
    name = r.emit(n, "flatten", Flatten(x.index(start), x.index(end)), [x.name])
    return x.like(name, _shape(n) or (), batch=x.batch if x.batch < start else x.batch - (end - start))


def _moved(r: _Reader, n: Any, x: _Dyn, dims: list[int]) -> _Dyn:
    """The axes of *x* reordered as *dims* (full indices)."""
    batch_out = dims.index(x.batch)
    out = _shape(n) or ()
    order = [x.index(d) for d in dims if d != x.batch] if x.plain else list(dims)
    if order == list(range(len(order))):
        return x.like(x.name, out, batch=batch_out)
    changed = [i for i, d in enumerate(order) if d != i]
    if len(changed) == 2:
        op: Layer = Transpose(changed[0], changed[1])
        kind = "transpose"
    else:
        op, kind = Permute(tuple(order)), "permute"
    return x.like(r.emit(n, kind, op, [x.name]), out, batch=batch_out)


def _permute(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape)
    return _moved(r, n, x, [int(d) % rank for d in n.args[1]])


def _transpose(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape)
    a, b = int(n.args[1]) % rank, int(n.args[2]) % rank
    dims = list(range(rank))
    dims[a], dims[b] = dims[b], dims[a]
    return _moved(r, n, x, dims)


def _unsqueeze(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    rank = len(x.shape) + 1
    d = int(n.args[1]) % rank
    if d <= x.batch:
        name = r.emit(n, "unsqueeze", Unsqueeze(d), [x.name])
        return x.like(name, _shape(n) or (), batch=x.batch + 1)
    name = r.emit(n, "unsqueeze", Unsqueeze(x.index(d - 1) + 1), [x.name])
    return x.like(name, _shape(n) or ())


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
        return x
    batchless = tuple(x.index(d) for d in dims)
    name = r.emit(n, "squeeze", Squeeze(batchless if len(batchless) > 1 else batchless[0]), [x.name])
    return x.like(name, _shape(n) or (), batch=x.batch - sum(1 for d in dims if d < x.batch))


def _slice(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    dim = int(_arg(n, 1, "dim", 0))
    start = _arg(n, 2, "start", None)
    end = _arg(n, 3, "end", None)
    step = int(_arg(n, 4, "step", 1))
    d = dim % len(x.shape)
    size = x.shape[d]
    first = 0 if start is None else int(start)
    stop = None if end is None or int(end) >= size else int(end)
    if (_shape(n) or ()) == x.shape:
        return x
    axis = r.axis(n, x, dim)
    name = r.emit(n, "slice", Slice(axis, first, stop, step), [x.name])
    return x.like(name, _shape(n) or ())


def _select(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    dim, index = int(n.args[1]), int(n.args[2])
    axis = r.axis(n, x, dim)
    size = x.batchless[axis]
    i = index % size
    cut = r.emit(n, "select", Slice(axis, i, i + 1), [x.name])
    name = r.emit(n, "squeeze", Squeeze(axis), [cut])
    d = dim % len(x.shape)
    return x.like(name, _shape(n) or (), batch=x.batch - (1 if d < x.batch else 0))


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
        out.append(x.like(name, shape, batch=x.batch - (1 if squeeze and d < x.batch else 0)))
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
    rank = len(x.shape)
    if n.target is aten.linalg_vector_norm.default:
        raw, keep, kind = _arg(n, 2, "dim", None), bool(_arg(n, 3, "keepdim", False)), "sum"
    else:
        raw, keep, kind = _arg(n, 1, "dim", None), bool(_arg(n, 2, "keepdim", False)), REDUCTIONS[n.target]
    dims = (
        list(range(rank))
        if raw is None or raw == []
        else [int(v) % rank for v in (raw if isinstance(raw, (list, tuple)) else [raw])]
    )
    axes = tuple(r.axis(n, x, d) for d in dims)
    name = r.emit(n, "reduce", Reduce(kind, axes if len(axes) > 1 else axes[0], keepdim=keep), [x.name])
    batch = x.batch if keep else x.batch - sum(1 for d in dims if d < x.batch)
    return x.like(name, _shape(n) or (), batch=batch)


def _upsample(r: _Reader, n: Any) -> _Dyn:
    r.dyn(n, n.args[0])
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
    return r.simple(n, "upsample", op)


def _pad(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    flat = [int(v) for v in n.args[1]]
    pairs = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)][::-1]  # first padded axis first
    if all(p == (0, 0) for p in pairs):
        return x
    if x.batch != 0 or not x.plain:
        raise r.unsupported(n, "padding of a tensor whose batch axis is not first")
    rank = len(x.batchless)
    if len(pairs) > rank:
        if any(p != (0, 0) for p in pairs[: len(pairs) - rank]):
            raise r.unsupported(n, "padding of the batch axis")
        pairs = pairs[len(pairs) - rank :]
    pairs = [(0, 0)] * (rank - len(pairs)) + pairs  # per batchless axis
    name = x.name
    # convshape pads the axes after the first (channels); channels-last padding (Swin's windows)
    # moves the last axis to the front around the padding
    moved = pairs[0] != (0, 0)
    if moved:
        if pairs[-1] != (0, 0) or rank < 2:
            raise r.unsupported(n, "padding of every axis of a tensor")
        name = r.emit(n, "permute", Permute((rank - 1, *range(rank - 1))), [name])
        pairs = [(0, 0), *pairs[:-1]]
    spatial = pairs[1:]
    grow = tuple((max(b, 0), max(a, 0)) for b, a in spatial)
    cut = tuple((max(-b, 0), max(-a, 0)) for b, a in spatial)
    if any(p != (0, 0) for p in grow):
        name = r.emit(n, "pad", Pad(grow), [name])
    if any(p != (0, 0) for p in cut):  # negative padding crops
        name = r.emit(n, "crop", Crop(cut), [name])
    if moved:
        name = r.emit(n, "permute", Permute((*range(1, rank), 0)), [name])
    return x.like(name, _shape(n) or ())


def _pixel_shuffle(r: _Reader, n: Any) -> _Dyn:
    factor = int(n.args[1])
    op: Layer = PixelShuffle(factor) if n.target is aten.pixel_shuffle.default else PixelUnshuffle(factor)
    return r.simple(n, "shuffle", op)


def _channel_shuffle(r: _Reader, n: Any) -> _Dyn:
    return r.simple(n, "shuffle", ChannelShuffle(int(n.args[1])))


def _operand(r: _Reader, n: Any, value: object, partner: _Dyn) -> str:
    if isinstance(value, _Dyn):
        if value.batch != 0:
            raise r.unsupported(n, "a matrix product of a tensor whose batch axis is not first")
        return value.name
    if isinstance(value, _Const):
        return r.learned(n, value, _batchless_const(r, n, value, partner), op=None, input_name=partner.name)
    raise r.unsupported(n, "a matrix product with an operand that is not a tensor")


def _matmul(r: _Reader, n: Any) -> _Dyn:
    va, vb = r.env.get(n.args[0]), r.env.get(n.args[1])
    partner = va if isinstance(va, _Dyn) else vb
    assert isinstance(partner, _Dyn)
    if isinstance(va, _Dyn) and isinstance(vb, _Dyn):
        if va.shape[0] != vb.shape[0] or va.batch != 0 or vb.batch != 0:
            raise r.unsupported(n, "a matrix product whose operands hold the batch differently")
        if len(va.shape) < 3 or len(vb.shape) < 3:
            raise r.unsupported(n, "a matrix product of batched vectors")
    names = [_operand(r, n, va, partner), _operand(r, n, vb, partner)]
    name = r.emit(n, "matmul", MatMul(), names)
    return partner.like(name, _shape(n) or (), batch=0)


def _sdpa(r: _Reader, n: Any) -> _Dyn:
    q, k, v = (r.dyn(n, a) for a in n.args[:3])
    for t in (q, k, v):
        if t.batch != 0 or t.shape[0] != q.shape[0]:
            raise r.unsupported(n, "attention on tensors whose batch axis is not first")
    name = r.emit(n, "attention", ScaledDotProductAttention(), [q.name, k.name, v.name])
    return q.like(name, _shape(n) or ())


def _expand(r: _Reader, n: Any) -> _Dyn:
    x = r.dyn(n, n.args[0])
    out = _shape(n) or ()
    if out == x.shape:
        return x
    if len(out) != len(x.shape) or out[x.batch] != x.shape[x.batch]:
        raise r.unsupported(n, f"an expansion that changes the batch axis ({x.shape} -> {out})")
    result = x.like("", out)
    result.name = r.emit(n, "expand", Expand(result.batchless), [x.name])
    return result


def _einsum(r: _Reader, n: Any) -> _Dyn:
    """Batched matrix products written with einsum: ``...ik,...kj->...ij`` and its transposes."""
    equation = str(n.args[0]).replace(" ", "")
    operands = list(n.args[1])
    if "->" not in equation or len(operands) != 2 or "." in equation:
        raise r.unsupported(n, f"einsum {equation!r}: only products of two operands with explicit outputs")
    inputs, out = equation.split("->")
    a, b = inputs.split(",")
    shared = [c for c in out if c in a and c in b]
    contracted = [c for c in a if c in b and c not in out]
    only_a = [c for c in out if c in a and c not in b]
    only_b = [c for c in out if c in b and c not in a]
    if (
        len(contracted) != 1
        or len(only_a) != 1
        or len(only_b) != 1
        or out != "".join(shared) + only_a[0] + only_b[0]
        or a[: len(shared)] != "".join(shared)
        or b[: len(shared)] != "".join(shared)
    ):
        raise r.unsupported(n, f"einsum {equation!r} is not a batched matrix product")
    va, vb = r.dyn(n, operands[0]), r.dyn(n, operands[1])
    if va.batch != 0 or vb.batch != 0 or va.shape[0] != vb.shape[0]:
        raise r.unsupported(n, "an einsum whose operands hold the batch differently")
    k = contracted[0]
    names = []
    for x, letters, want in ((va, a, only_a[0] + k), (vb, b, k + only_b[0])):
        tail = letters[len(shared) :]
        name = x.name
        if tail == want[::-1]:
            rank = len(x.batchless)
            name = r.emit(n, "transpose", Transpose(rank - 2, rank - 1), [name])
        elif tail != want:
            raise r.unsupported(n, f"einsum {equation!r} is not a batched matrix product")
        names.append(name)
    name = r.emit(n, "matmul", MatMul(), names)
    return va.like(name, _shape(n) or ())


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
    aten.linalg_vector_norm.default: _reduce,
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
