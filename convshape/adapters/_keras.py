"""Keras 3 -> convshape: Sequential and functional models, channels-last layouts moved to channels-first.

Axes.  A Keras tensor of batchless rank ``r >= 2`` is channels-last, ``(*spatial, C)``; convshape
works on ``(C, *spatial)``.  Every tensor is mapped the same way: the last Keras axis becomes
axis 0 and Keras axis ``k < r - 1`` becomes ``k + 1`` (a ``(length, features)`` sequence becomes
``(features, length)``).  Layers that name axes (Concatenate, Permute, Reshape, LayerNormalization,
attention) are translated through that map, or refused with UnsupportedLayerError when the
translation would not be exact.

Counts.  Trainable weights are convshape parameters; Keras' non-trainable state is reported as
buffers: a BatchNormalization's moving mean and variance (``2 x C``, no PyTorch batch counter) and
an adapted Normalization's mean, variance and count (``2 x C + 1``), so ``params + buffers`` is
``model.count_params()``.  Every converted layer is traced on its own Keras input shape and its
output shape and counts compared with the layer's own; a disagreement raises
UnsupportedLayerError instead of returning a spec that would be silently wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from convshape.adapters._common import collapse, unsupported
from convshape.attention import MultiheadAttention, ScaledDotProductAttention
from convshape.containers import Add, Cat, Graph, Multiply, Node, Sequential
from convshape.elementwise import Learned, PReLU, Softmax, StochasticDepth
from convshape.errors import ConvShapeError, UnsupportedLayerError
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
from convshape.normalization import GroupNorm, LayerNorm
from convshape.reshaping import Crop, Permute, Reshape, Transpose

L = keras.layers


# ---------------------------------------------------------------------------
# Axes


def _rank(tensor: Any) -> int:
    """The batchless rank of a Keras tensor."""
    return len(tensor.shape) - 1


def to_convshape(shape: Any) -> tuple[int | None, ...]:
    """A Keras shape with the batch axis -> convshape's ``(channels, *spatial)`` order."""
    dims = tuple(None if v is None else int(v) for v in tuple(shape)[1:])
    return dims if len(dims) < 2 else (dims[-1], *dims[:-1])


def _cs_axis(keras_axis: int, rank: int) -> int:
    """A batchless Keras axis (channels last) -> the convshape axis (channels first)."""
    return 0 if keras_axis == rank - 1 else keras_axis + 1


def _batchless(owner: Any, axis: int, rank: int) -> int:
    """A Keras axis number (counting the batch axis, negative from the end) -> batchless."""
    full = axis + rank + 1 if axis < 0 else axis
    if not 1 <= full <= rank:
        raise UnsupportedLayerError(
            f"{_what(owner)}: axis {axis} is the batch axis or outside the input's rank {rank + 1}"
        )
    return full - 1


def _what(layer: Any) -> str:
    return f"the Keras layer {type(layer).__name__} ({layer.name!r})"


def _refuse(layer: Any, why: str) -> UnsupportedLayerError:
    return UnsupportedLayerError(f"{_what(layer)} is not supported: {why}")


# ---------------------------------------------------------------------------
# Layer converters: each gets the Keras layer and returns a one-input spec


def _channels_last(layer: Any) -> bool:
    fmt = getattr(layer, "data_format", "channels_last")
    return fmt != "channels_first"


def _in_channels(layer: Any) -> int:
    return int(layer.input.shape[-1])


def _conv(layer: Any) -> Layer:
    return Conv(
        layer.filters,
        collapse(layer.kernel_size),
        stride=collapse(layer.strides),
        padding=layer.padding,
        dilation=collapse(layer.dilation_rate),
        groups=getattr(layer, "groups", 1),
        bias=bool(layer.use_bias),
        in_channels=_in_channels(layer),
    )


def _conv_transpose(layer: Any) -> Layer:
    kernel = tuple(layer.kernel_size)
    strides = tuple(layer.strides)
    dilation = tuple(layer.dilation_rate)
    extents = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    if layer.output_padding is None:
        if layer.padding == "same":  # output = size * stride
            padding: Any = "same"
            output_padding: Any = 0
        else:  # valid: output = size * stride + max(extent - stride, 0)
            padding = 0
            output_padding = collapse([max(s - e, 0) for s, e in zip(strides, extents, strict=True)])
    else:
        padding = collapse([e // 2 for e in extents]) if layer.padding == "same" else 0
        output_padding = collapse(layer.output_padding)
    return ConvTranspose(
        layer.filters,
        collapse(kernel),
        stride=collapse(strides),
        padding=padding,
        output_padding=output_padding,
        dilation=collapse(dilation),
        bias=bool(layer.use_bias),
        in_channels=_in_channels(layer),
    )


def _depthwise(layer: Any) -> Layer:
    channels = _in_channels(layer)
    return Conv(
        channels * layer.depth_multiplier,
        collapse(layer.kernel_size),
        stride=collapse(layer.strides),
        padding=layer.padding,
        dilation=collapse(layer.dilation_rate),
        groups=channels,
        bias=bool(layer.use_bias),
        in_channels=channels,
    )


def _separable(layer: Any) -> Layer:
    channels = _in_channels(layer)
    depthwise = Conv(
        channels * layer.depth_multiplier,
        collapse(layer.kernel_size),
        stride=collapse(layer.strides),
        padding=layer.padding,
        dilation=collapse(layer.dilation_rate),
        groups=channels,
        bias=False,
        in_channels=channels,
    )
    return Sequential(depthwise, Conv(layer.filters, 1, bias=bool(layer.use_bias)))


def _pool(kind: type[MaxPool] | type[AvgPool]) -> Callable[[Any], Layer]:
    def build(layer: Any) -> Layer:
        size = collapse(layer.pool_size)
        strides = collapse(layer.strides) if layer.strides is not None else None
        return kind(size, stride=strides, padding=layer.padding)

    return build


def _global(kind: type[AdaptiveAvgPool] | type[AdaptiveMaxPool]) -> Callable[[Any], Layer]:
    def build(layer: Any) -> Layer:
        pool = kind(1)
        return pool if getattr(layer, "keepdims", False) else Sequential(pool, Flatten())

    return build


def _dense(layer: Any) -> Layer:
    if _rank(layer.input) > 1:  # acts on the channels of a channels-last map: a 1x1 convolution
        return Conv(layer.units, 1, bias=bool(layer.use_bias), in_channels=_in_channels(layer))
    return Linear(layer.units, bias=bool(layer.use_bias), in_features=_in_channels(layer))


def _channel_axis_only(layer: Any, axes: Any) -> None:
    rank = _rank(layer.input)
    items = axes if isinstance(axes, (list, tuple)) else [axes]
    if [_batchless(layer, int(a), rank) for a in items] != [rank - 1]:
        raise _refuse(layer, f"axis {axes} is not the channel (last) axis; convshape normalises channels")


def _batch_norm(layer: Any) -> Layer:
    _channel_axis_only(layer, layer.axis)
    center, scale = bool(layer.center), bool(layer.scale)
    if not (center or scale):
        return BatchNorm(affine=False, batches_tracked=False)
    return BatchNorm(center=center, scale=scale, batches_tracked=False)


def _normalization(layer: Any) -> Layer:
    if not layer.weights:  # mean and variance given as constants: a fixed element-wise map
        return Activation("normalization")
    _channel_axis_only(layer, layer.axis)
    return BatchNorm(affine=False)  # mean, variance and count: 2 x C + 1 buffers, as BatchNorm's


def _layer_norm(layer: Any) -> Layer:
    rank = _rank(layer.input)
    axes = sorted({_batchless(layer, int(a), rank) for a in layer.axis})
    center, scale = bool(layer.center), bool(layer.scale)
    if getattr(layer, "rms_scaling", False):
        raise _refuse(layer, "rms_scaling=True")
    if center and not scale:
        raise _refuse(layer, "center=True with scale=False (convshape's LayerNorm learns a scale first)")
    if axes == [rank - 1]:
        return LayerNorm(channels_first=True, elementwise_affine=scale, bias=center)
    if axes == list(range(rank)):
        return LayerNorm(rank, elementwise_affine=scale, bias=center)
    raise _refuse(layer, f"axis {layer.axis}: only the last axis or every axis but the batch")


def _group_norm(layer: Any) -> Layer:
    _channel_axis_only(layer, layer.axis)
    if bool(layer.center) != bool(layer.scale):
        raise _refuse(layer, "center and scale differ; convshape's GroupNorm learns both or neither")
    return GroupNorm(int(layer.groups), affine=bool(layer.center))


def _activation(layer: Any) -> Layer:
    fn = getattr(layer, "activation", None)
    return Activation(getattr(fn, "__name__", type(layer).__name__.lower()))


def _relu(layer: Any) -> Layer:
    top = layer.max_value
    if layer.negative_slope:
        return Activation("leaky_relu")
    return Activation("relu6" if top is not None and float(top) == 6.0 else "relu")


def _softmax(layer: Any) -> Layer:
    rank = _rank(layer.input)
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    if len(axes) != 1:
        raise _refuse(layer, f"softmax over several axes {layer.axis}")
    return Softmax(_cs_axis(_batchless(layer, int(axes[0]), rank), rank) if rank > 1 else 0)


def _prelu(layer: Any) -> Layer:
    count = int(layer.alpha.numpy().size)
    if count not in (1, _in_channels(layer)):
        raise _refuse(layer, f"{count} slopes (shared_axes other than every spatial axis)")
    return PReLU(count)


def _pairs(value: Any) -> tuple[tuple[int, int], ...]:
    """Keras' per-axis (before, after) pairs; the 1-D layers give a single pair."""
    if isinstance(value[0], int):
        return ((int(value[0]), int(value[1])),)
    return tuple((int(a), int(b)) for a, b in value)


def _zero_padding(layer: Any) -> Layer:
    return Pad(_pairs(layer.padding))


def _cropping(layer: Any) -> Layer:
    return Crop(_pairs(layer.cropping))


def _upsampling(layer: Any) -> Layer:
    size = layer.size
    return Upsample(
        scale_factor=tuple(float(v) for v in size) if isinstance(size, (tuple, list)) else float(size)
    )


def _to_last(rank: int) -> tuple[int, ...]:
    """convshape order -> Keras order, as a Permute of a rank-*rank* convshape shape."""
    return (*range(1, rank), 0)


def _to_first(rank: int) -> tuple[int, ...]:
    """Keras order -> convshape order."""
    return (rank - 1, *range(rank - 1))


def _reshape(layer: Any) -> Layer:
    target = tuple(int(v) for v in layer.target_shape)
    rank_in, rank_out = _rank(layer.input), len(target)
    if rank_out == 1:
        return Flatten()  # the size is that of the input; Keras flattens in (*spatial, C) order
    if rank_in == 1:  # a vector laid out along Keras' last axis is convshape's axis 0 alike
        return Reshape((target[-1], *target[:-1]))
    return Sequential(Permute(_to_last(rank_in)), Reshape(target), Permute(_to_first(rank_out)))


def _permute(layer: Any) -> Layer:
    dims = [int(d) - 1 for d in layer.dims]  # batchless Keras axes
    rank = len(dims)
    if rank < 2:
        return Identity()
    keras_of = [rank - 1, *range(rank - 1)]  # convshape axis -> Keras axis
    order = tuple(_cs_axis(dims[keras_of[j]], rank) for j in range(rank))
    return Permute(order)


def _flatten(layer: Any) -> Layer:
    return Flatten()  # the same size; Keras orders the values (*spatial, C)


def _layer_scale(layer: Any) -> Layer:
    gamma = tuple(int(v) for v in layer.weights[0].shape)
    rank = _rank(layer.input)
    if len(gamma) != 1:
        raise _refuse(layer, f"a scale of shape {gamma}")
    return Learned((gamma[0], *(1,) * (rank - 1)), op="multiply")


def _stochastic_depth(layer: Any) -> Layer:
    return StochasticDepth(float(getattr(layer, "drop_path_rate", 0.0)))


def _mha(layer: Any) -> Layer:
    inputs = layer.input
    query = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    rank, embed = _rank(query), int(query.shape[-1])
    heads, key_dim = int(layer.num_heads), int(layer.key_dim)
    value_dim = int(layer.value_dim) if layer.value_dim is not None else key_dim
    if rank != 2:
        raise _refuse(layer, "inputs other than (length, features) sequences")
    if heads * key_dim != embed or value_dim != key_dim or layer._output_shape is not None:
        raise _refuse(
            layer,
            f"num_heads x key_dim ({heads} x {key_dim}) must equal the {embed} features, "
            "with value_dim = key_dim and no output_shape (convshape's MultiheadAttention)",
        )
    return Sequential(
        Transpose(0, 1), MultiheadAttention(embed, heads, bias=bool(layer.use_bias)), Transpose(0, 1)
    )


#: Keras layer class -> converter (merges, attention and nested models are handled with the wiring).
LAYERS: dict[type, Callable[[Any], Layer]] = {
    L.Conv1D: _conv,
    L.Conv2D: _conv,
    L.Conv3D: _conv,
    L.Conv1DTranspose: _conv_transpose,
    L.Conv2DTranspose: _conv_transpose,
    L.Conv3DTranspose: _conv_transpose,
    L.DepthwiseConv1D: _depthwise,
    L.DepthwiseConv2D: _depthwise,
    L.SeparableConv1D: _separable,
    L.SeparableConv2D: _separable,
    L.MaxPooling1D: _pool(MaxPool),
    L.MaxPooling2D: _pool(MaxPool),
    L.MaxPooling3D: _pool(MaxPool),
    L.AveragePooling1D: _pool(AvgPool),
    L.AveragePooling2D: _pool(AvgPool),
    L.AveragePooling3D: _pool(AvgPool),
    L.GlobalAveragePooling1D: _global(AdaptiveAvgPool),
    L.GlobalAveragePooling2D: _global(AdaptiveAvgPool),
    L.GlobalAveragePooling3D: _global(AdaptiveAvgPool),
    L.GlobalMaxPooling1D: _global(AdaptiveMaxPool),
    L.GlobalMaxPooling2D: _global(AdaptiveMaxPool),
    L.GlobalMaxPooling3D: _global(AdaptiveMaxPool),
    L.Dense: _dense,
    L.Flatten: _flatten,
    L.Reshape: _reshape,
    L.Permute: _permute,
    L.BatchNormalization: _batch_norm,
    L.LayerNormalization: _layer_norm,
    L.GroupNormalization: _group_norm,
    L.Normalization: _normalization,
    L.Rescaling: lambda layer: Activation("rescaling"),
    L.Activation: _activation,
    L.ReLU: _relu,
    L.LeakyReLU: lambda layer: Activation("leaky_relu"),
    L.ELU: lambda layer: Activation("elu"),
    L.PReLU: _prelu,
    L.Softmax: _softmax,
    L.Dropout: lambda layer: Dropout(float(layer.rate)),
    L.SpatialDropout1D: lambda layer: Dropout(float(layer.rate)),
    L.SpatialDropout2D: lambda layer: Dropout(float(layer.rate)),
    L.SpatialDropout3D: lambda layer: Dropout(float(layer.rate)),
    L.GaussianDropout: lambda layer: Dropout(float(layer.rate)),
    L.GaussianNoise: lambda layer: Identity(),
    L.ActivityRegularization: lambda layer: Identity(),
    L.ZeroPadding1D: _zero_padding,
    L.ZeroPadding2D: _zero_padding,
    L.ZeroPadding3D: _zero_padding,
    L.Cropping1D: _cropping,
    L.Cropping2D: _cropping,
    L.Cropping3D: _cropping,
    L.UpSampling1D: _upsampling,
    L.UpSampling2D: _upsampling,
    L.UpSampling3D: _upsampling,
    L.Identity: lambda layer: Identity(),
    L.MultiHeadAttention: _mha,
}

#: layers of keras.applications defined in its own modules, by "module.ClassName"
APPLICATION_LAYERS: dict[str, Callable[[Any], Layer]] = {
    "keras.src.applications.convnext.LayerScale": _layer_scale,
    "keras.src.applications.convnext.StochasticDepth": _stochastic_depth,
}
MERGE_LAYERS = {L.Add: "add", L.Multiply: "multiply", L.Concatenate: "concatenate"}
#: keras.ops applied to KerasTensors in a functional model (``x + 3.0``, ``x * y``)
OPS = {
    "Add": "add",
    "Multiply": "multiply",
    "Subtract": "subtract",
    "Divide": "divide",
    "TrueDivide": "divide",
}
#: two-input layers of keras.applications that add (InceptionResNetV2's ``x + scale * r``)
SCALED_SUM = "keras.src.applications.inception_resnet_v2.CustomScaleLayer"


def _qualname(op: Any) -> str:
    return f"{type(op).__module__}.{type(op).__name__}"


def _supported() -> list[str]:
    names = [cls.__name__ for cls in (*LAYERS, *MERGE_LAYERS)]
    names += [key.rsplit(".", 1)[1] for key in (*APPLICATION_LAYERS, SCALED_SUM)]
    return [
        *names,
        "Attention",
        "Sequential",
        "Functional",
        "keras.ops add/subtract/multiply/divide by a number",
    ]


def _layer_spec(layer: Any) -> Layer:
    converter = LAYERS.get(type(layer)) or APPLICATION_LAYERS.get(_qualname(layer))
    if converter is None:
        raise unsupported(_what(layer), "Keras", _supported())
    if not _channels_last(layer):
        raise _refuse(layer, "data_format='channels_first' (convshape reads channels-last Keras models)")
    try:
        spec = converter(layer)
    except ConvShapeError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as err:
        raise _refuse(layer, f"its configuration could not be read ({type(err).__name__}: {err})") from err
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", "linear")
    if not isinstance(layer, (L.Activation,)) and activation is not None and name != "linear":
        return Sequential(spec, Activation(name))  # a fused activation, shown as its own row
    return spec


# ---------------------------------------------------------------------------
# Checking a converted layer against Keras' own numbers


def _weights(layer: Any) -> tuple[int, int]:
    """(trainable, non-trainable) weight counts of a layer."""
    return _size(layer.trainable_weights), _size(layer.non_trainable_weights)


def _size(weights: Any) -> int:
    return sum(int(w.numpy().size) for w in weights)


def _check(layer: Any, spec: Layer) -> Layer:
    """Trace *spec* on the layer's input shape; refuse it if Keras disagrees on shape or counts."""
    from convshape.tracing import trace

    try:
        inputs = layer.input
        output = layer.output
    except (AttributeError, ValueError):  # a layer used more than once has no single input
        return spec
    if isinstance(inputs, (list, tuple)) or isinstance(output, (list, tuple)):
        inputs = inputs[0]  # self-attention: query, value and key are one tensor
    shape = to_convshape(inputs.shape)
    if None in shape:
        return spec  # sizes unknown until the model is traced at a size
    trainable, frozen = _weights(layer)
    expected = to_convshape(output.shape)
    try:
        report = trace(spec, shape)  # type: ignore[arg-type]  # every size is known here
    except ConvShapeError as err:
        found = f"an error ({err})"
    else:
        counts = (report.total_params, report.total_buffers)
        if report.output_shape == expected and sum(counts) == trainable + frozen and counts[1] <= frozen:
            return spec
        found = f"output {report.output_shape}, {counts[0]} parameters and {counts[1]} buffers"
    raise UnsupportedLayerError(
        f"{_what(layer)} converts to {spec.describe()}, which gives {found} where Keras has output "
        f"{expected}, {trainable} trainable and {frozen} non-trainable weights; it is not supported"
    )


# ---------------------------------------------------------------------------
# Wiring


def _sources(entry: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """The Keras tensors a functional-model entry reads (by producing layer), and its constants."""
    names: list[str] = []
    constants: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                history = value.get("config", {}).get("keras_history")
                if history and int(history[2]) != 0:
                    raise UnsupportedLayerError(
                        f"layer {entry.get('name')!r} reads output {history[2]} of {history[0]!r}; "
                        "convshape reads single-output layers"
                    )
                names.append(str(history[0]))
                return
            constants.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif value is not None:
            constants.append(value)

    nodes = entry.get("inbound_nodes", [])
    if len(nodes) > 1:
        raise UnsupportedLayerError(f"layer {entry.get('name')!r} is called more than once (shared layers)")
    for node in nodes:
        walk(node.get("args", []))
        for key, value in node.get("kwargs", {}).items():
            if key not in ("training", "mask"):
                walk(value)
    return names, constants


def _merge(layer: Any) -> Layer:
    kind = MERGE_LAYERS[type(layer)]
    if kind == "add":
        return Add()
    if kind == "multiply":
        return Multiply()
    rank = _rank(layer.output)
    axis = _batchless(layer, int(layer.axis), rank)
    return Cat(axis=_cs_axis(axis, rank) if rank > 1 else 0)


def _op_nodes(op: Any, name: str, sources: list[str], constants: list[Any]) -> list[Node]:
    """A keras.ops call on KerasTensors: an element-wise op with a number, or a merge of tensors."""
    kind = OPS.get(type(op).__name__) if type(op).__module__ == "keras.src.ops.numpy" else None
    if kind is None:
        raise unsupported(f"the Keras operation {type(op).__name__} ({name!r})", "Keras", _supported())
    numbers = [c for c in constants if isinstance(c, (int, float)) and not isinstance(c, bool)]
    if len(sources) == 1 and len(numbers) == 1 and len(constants) == 1:
        return [Node(name, Activation(f"{kind} {numbers[0]:g}"), sources)]
    if len(sources) == 2 and not constants and kind in ("add", "multiply"):
        return [Node(name, Add() if kind == "add" else Multiply(), sources)]
    raise UnsupportedLayerError(
        f"the Keras operation {type(op).__name__} ({name!r}) on {len(sources)} tensors and constants "
        f"{constants!r} is not supported; supported: a tensor with a number, or add/multiply of two tensors"
    )


def _attention_nodes(layer: Any, name: str, sources: list[str]) -> list[Node]:
    """Keras' dot-product Attention([query, value(, key)]) on (length, features) sequences."""
    if layer.use_scale or layer.score_mode != "dot" or len(sources) not in (2, 3):
        raise _refuse(
            layer, "only use_scale=False, score_mode='dot' on [query, value] or [query, value, key]"
        )
    if any(_rank(t) != 2 for t in layer.input):
        raise _refuse(layer, "inputs other than (length, features) sequences")
    query, value = sources[0], sources[1]
    key = sources[2] if len(sources) == 3 else value
    return [
        Node(f"{name}/query", Transpose(0, 1), [query]),
        Node(f"{name}/key", Transpose(0, 1), [key]),
        Node(f"{name}/value", Transpose(0, 1), [value]),
        Node(
            f"{name}/attend", ScaledDotProductAttention(), [f"{name}/query", f"{name}/key", f"{name}/value"]
        ),
        Node(name, Transpose(0, 1), [f"{name}/attend"]),
    ]


def _nodes(op: Any, name: str, sources: list[str], constants: list[Any]) -> list[Node]:
    if not isinstance(op, L.Layer):
        return _op_nodes(op, name, sources, constants)
    if isinstance(op, keras.Model):
        if len(sources) != 1:
            raise UnsupportedLayerError(
                f"the nested model {name!r} has {len(sources)} inputs; convshape models one"
            )
        return [Node(name, _model_spec(op), sources)]
    if type(op) in MERGE_LAYERS:
        return [Node(name, _merge(op), sources)]
    if _qualname(op) == SCALED_SUM:
        return [Node(name, Add(), sources)]
    if isinstance(op, L.Attention):
        return _attention_nodes(op, name, sources)
    if isinstance(op, L.MultiHeadAttention):
        if len(set(sources)) != 1:
            raise _refuse(op, "cross-attention (query, value and key must be one tensor)")
        return [Node(name, _check(op, _layer_spec(op)), sources[:1])]
    if len(sources) != 1:
        raise UnsupportedLayerError(f"{_what(op)} reads {len(sources)} tensors; convshape layers read one")
    return [Node(name, _check(op, _layer_spec(op)), sources)]


def _model_spec(model: Any) -> Graph:
    if isinstance(model, keras.Sequential):
        nodes: list[Node] = []
        for layer in model.layers:
            if isinstance(layer, L.InputLayer):
                continue
            if isinstance(layer, keras.Model):
                nodes.append(Node(layer.name, _model_spec(layer)))
            else:
                nodes.append(Node(layer.name, _check(layer, _layer_spec(layer))))
        if not nodes:
            raise UnsupportedLayerError(f"the Sequential model {model.name!r} has no layers")
        return Graph(nodes, name=model.name)
    config = model.get_config()
    by_name = {op.name: op for op in model.operations}
    inputs = [name for name, op in by_name.items() if isinstance(op, L.InputLayer)]
    if len(inputs) != 1:
        raise UnsupportedLayerError(
            f"the model {model.name!r} has {len(inputs)} inputs; convshape models one"
        )
    rename = {inputs[0]: "input"}
    nodes = []
    for entry in config["layers"]:
        op = by_name[entry["name"]]
        if isinstance(op, L.InputLayer):
            continue
        names, constants = _sources(entry)
        sources = [rename.get(n, n) for n in names]
        nodes += _nodes(op, op.name, sources, constants)
    outputs = [str(item[0]) for item in _flatten_outputs(config["output_layers"])]
    return Graph(nodes, outputs, name=model.name)


def convert(model: Any) -> Layer:
    """from_keras(): Sequential models become a chain Graph, functional ones a wired Graph."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"from_keras needs a keras.Model, got {type(model).__name__}")
    return _model_spec(model)


def _flatten_outputs(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
        return [value]
    out: list[Any] = []
    for item in value:
        out += _flatten_outputs(item)
    return out


def input_shape(model: Any) -> tuple[int | None, ...]:
    """The model's input shape in convshape's order: channels first, no batch axis."""
    return to_convshape(model.input_shape)
