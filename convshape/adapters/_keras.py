"""Keras 3 -> convshape: Sequential and functional models, channels-last layouts moved to channels-first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

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

L = keras.layers


def _channels_last(layer: Any) -> bool:
    fmt = getattr(layer, "data_format", "channels_last")
    return fmt != "channels_first"


def _in_channels(layer: Any) -> int:
    shape = layer.input.shape
    return int(shape[-1] if _channels_last(layer) else shape[1])


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
    if len(layer.input.shape) > 2:  # acts on the channels of a channels-last map: a 1x1 convolution
        return Conv(layer.units, 1, bias=bool(layer.use_bias), in_channels=int(layer.input.shape[-1]))
    return Linear(layer.units, bias=bool(layer.use_bias), in_features=int(layer.input.shape[-1]))


def _batch_norm(layer: Any) -> Layer:
    if layer.center != layer.scale:
        raise UnsupportedLayerError(
            f"BatchNormalization {layer.name!r} with center={layer.center}, scale={layer.scale}: "
            "convshape models both learned (affine) or neither"
        )
    return BatchNorm(affine=bool(layer.center))


def _activation(layer: Any) -> Layer:
    fn = getattr(layer, "activation", None)
    return Activation(getattr(fn, "__name__", type(layer).__name__.lower()))


def _zero_padding(layer: Any) -> Layer:
    return Pad(tuple(tuple(int(v) for v in pair) for pair in layer.padding))


def _upsampling(layer: Any) -> Layer:
    size = layer.size
    return Upsample(
        scale_factor=tuple(float(v) for v in size) if isinstance(size, (tuple, list)) else float(size)
    )


def _reshape(layer: Any) -> Layer:
    if tuple(layer.target_shape) == (-1,) or len(layer.target_shape) == 1:
        return Flatten()
    raise UnsupportedLayerError(
        f"Reshape {layer.name!r} to {layer.target_shape} is not supported; only to (-1,)"
    )


#: Keras layer class -> converter (merges are handled with the wiring).
LAYERS: dict[type, Callable[[Any], Layer]] = {
    L.Conv1D: _conv,
    L.Conv2D: _conv,
    L.Conv3D: _conv,
    L.Conv1DTranspose: _conv_transpose,
    L.Conv2DTranspose: _conv_transpose,
    L.Conv3DTranspose: _conv_transpose,
    L.DepthwiseConv2D: _depthwise,
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
    L.Flatten: lambda layer: Flatten(),
    L.Reshape: _reshape,
    L.BatchNormalization: _batch_norm,
    L.Activation: _activation,
    L.ReLU: lambda layer: Activation("relu"),
    L.LeakyReLU: lambda layer: Activation("leaky_relu"),
    L.ELU: lambda layer: Activation("elu"),
    L.Softmax: lambda layer: Activation("softmax"),
    L.Dropout: lambda layer: Dropout(float(layer.rate)),
    L.SpatialDropout1D: lambda layer: Dropout(float(layer.rate)),
    L.SpatialDropout2D: lambda layer: Dropout(float(layer.rate)),
    L.SpatialDropout3D: lambda layer: Dropout(float(layer.rate)),
    L.ZeroPadding1D: _zero_padding,
    L.ZeroPadding2D: _zero_padding,
    L.ZeroPadding3D: _zero_padding,
    L.UpSampling1D: _upsampling,
    L.UpSampling2D: _upsampling,
    L.UpSampling3D: _upsampling,
    L.Identity: lambda layer: Identity(),
}
MERGE_LAYERS = {L.Add: "add", L.Multiply: "multiply", L.Concatenate: "concatenate"}


def _layer_spec(layer: Any) -> Layer:
    converter = LAYERS.get(type(layer))
    if converter is None:
        names = [cls.__name__ for cls in (*LAYERS, *MERGE_LAYERS)]
        raise unsupported(f"the Keras layer {type(layer).__name__} ({layer.name!r})", "Keras", names)
    if hasattr(layer, "data_format") and not _channels_last(layer) and isinstance(layer, (L.Dense,)):
        raise UnsupportedLayerError(f"{layer.name!r}: channels_first Dense layers are not supported")
    spec = converter(layer)
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", "linear")
    if not isinstance(layer, (L.Activation,)) and activation is not None and name != "linear":
        return Sequential(spec, Activation(name))  # a fused activation, shown as its own row
    return spec


def _merge(layer: Any) -> Layer:
    kind = MERGE_LAYERS[type(layer)]
    if kind == "add":
        return Add()
    if kind == "multiply":
        return Multiply()
    rank = len(layer.output.shape)  # with the batch axis, channels last
    axis = layer.axis if layer.axis >= 0 else rank + layer.axis
    if axis == 0:
        raise UnsupportedLayerError(f"Concatenate {layer.name!r} on the batch axis is not supported")
    return Cat(axis=0 if axis == rank - 1 else axis)


def _inputs_of(config: dict[str, Any]) -> list[str]:
    names: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            history = (
                value.get("config", {}).get("keras_history")
                if value.get("class_name") == "__keras_tensor__"
                else None
            )
            if history:
                names.append(str(history[0]))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    nodes = config.get("inbound_nodes", [])
    if len(nodes) > 1:
        raise UnsupportedLayerError(f"layer {config.get('name')!r} is called more than once (shared layers)")
    for node in nodes:
        walk(node.get("args", []))
    return names


def convert(model: Any) -> Layer:
    """from_keras(): Sequential models become a chain Graph, functional ones a wired Graph."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"from_keras needs a keras.Model, got {type(model).__name__}")
    if isinstance(model, keras.Sequential):
        nodes = [
            Node(layer.name, _layer_spec(layer))
            for layer in model.layers
            if not isinstance(layer, L.InputLayer)
        ]
        return Graph(nodes, name=model.name)
    config = model.get_config()
    by_name = {layer.name: layer for layer in model.layers}
    inputs = [name for name, layer in by_name.items() if isinstance(layer, L.InputLayer)]
    if len(inputs) != 1:
        raise UnsupportedLayerError(f"the model has {len(inputs)} inputs; convshape models one input")
    rename = {inputs[0]: "input"}
    nodes = []
    for entry in config["layers"]:
        layer = by_name[entry["name"]]
        if isinstance(layer, L.InputLayer):
            continue
        sources = [rename.get(n, n) for n in _inputs_of(entry)]
        op = _merge(layer) if type(layer) in MERGE_LAYERS else _layer_spec(layer)
        nodes.append(Node(layer.name, op, sources))
    outputs = [str(item[0]) for item in _flatten_outputs(config["output_layers"])]
    return Graph(nodes, outputs, name=model.name)


def _flatten_outputs(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
        return [value]
    out: list[Any] = []
    for item in value:
        out += _flatten_outputs(item)
    return out


def input_shape(model: Any) -> tuple[int, ...]:
    """The model's input shape in convshape's order: channels first, no batch axis."""
    shape = tuple(int(v) for v in model.input_shape[1:])
    return (shape[-1], *shape[:-1])
