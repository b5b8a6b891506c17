"""from_keras: Keras 3 Sequential and functional models (channels-last) trace to Keras's own numbers.

Every comparison is against the Keras model itself: each layer's output shape (channels moved
first), the trainable weights, ``count_params()`` (= convshape parameters + buffers) and the MACs,
which with the torch backend are PyTorch's ``FlopCounterMode`` count of the forward pass, halved.
Skipped without keras (CI installs it, with the torch backend).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import convshape as cs
from convshape import UnsupportedLayerError, from_keras

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="keras is not installed (pip install keras)")
layers = keras.layers


def _channels_first(shape: Any) -> tuple[int, ...]:
    dims = tuple(int(v) for v in shape[1:])
    return dims if len(dims) == 1 else (dims[-1], *dims[:-1])


def _trainable(model: Any) -> int:
    return sum(int(w.numpy().size) for w in model.trainable_weights)


def keras_macs(model: Any) -> int:
    """MACs of one forward pass as PyTorch counts them (the torch backend runs torch ops): FLOPs / 2."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    batch = (1, *(int(v) for v in model.input_shape[1:]))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(batch))
    return int(counter.get_total_flops()) // 2


def keras_agreement(model: Any) -> dict[str, Any]:
    """Trace from_keras(model) and list every number that differs from Keras' (empty: exact).

    Compared: the output shape; the last row of each Keras layer against the layer's output
    shape; trainable weights = parameters; ``count_params()`` = parameters + buffers; MACs.
    """
    report = cs.trace(from_keras(model), _channels_first(model.input_shape))
    found = {
        "output": report.output_shape,
        "trainable": report.total_params,
        "count_params": report.total_params + report.total_buffers,
        "macs": report.total_macs,
    }
    wanted = {
        "output": _channels_first(model.output_shape),
        "trainable": _trainable(model),
        "count_params": model.count_params(),
        "macs": keras_macs(model),
    }
    last_row = {row.path.split(".")[0]: row for row in report.rows}
    for op in model.operations:
        if op.name in last_row:
            found[op.name] = last_row[op.name].output_shape
            wanted[op.name] = _channels_first(op.output.shape)
    assert len(found) > 4 + len(model.operations) // 2  # most layers were compared one by one
    return {key: (found[key], wanted[key]) for key in wanted if found[key] != wanted[key]}


def _functional() -> Any:
    inp = keras.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inp)
    y = layers.Conv2D(16, 3, padding="same", use_bias=False, name="conv_a")(x)
    y = layers.BatchNormalization(name="bn_a")(y)
    s = layers.Add(name="residual")([x, y])
    t = layers.DepthwiseConv2D(3, padding="same", name="dw")(s)
    u = layers.SeparableConv2D(8, 3, strides=2, padding="same", name="sep")(t)
    v = layers.Conv2DTranspose(8, 3, strides=2, padding="same", name="up")(u)
    w = layers.Concatenate(name="skip")([s, v])
    w = layers.ZeroPadding2D(((1, 2), (0, 1)), name="pad")(w)
    w = layers.MaxPooling2D(3, strides=2, padding="same", name="pool")(w)
    w = layers.Conv2DTranspose(4, 3, strides=3, padding="valid", name="up_valid")(w)
    w = layers.UpSampling2D((2, 1), name="upsample")(w)
    w = layers.Dense(6, name="per_pixel")(w)
    o = layers.GlobalAveragePooling2D(name="gap")(w)
    o = layers.Dropout(0.1)(o)
    return keras.Model(inp, layers.Dense(10, activation="softmax", name="classifier")(o))


def _sequential() -> Any:
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(6, 5, activation="tanh", name="c1"),
            layers.AveragePooling2D(2, name="s2"),
            layers.Conv2D(16, 5, activation="tanh", name="c3"),
            layers.AveragePooling2D(2, name="s4"),
            layers.Flatten(name="flat"),
            layers.Dense(120, activation="tanh", name="f5"),
            layers.Dense(10, name="out"),
        ],
        name="lenet",
    )


def _conv1d() -> Any:
    inp = keras.Input((50, 4))
    x = layers.Conv1D(8, 3, padding="causal", dilation_rate=2, name="causal")(inp)
    y = layers.Conv1D(8, 5, strides=2, padding="valid", name="valid")(x)
    z = layers.MaxPooling1D(2, name="pool")(y)
    return keras.Model(inp, layers.GlobalMaxPooling1D(name="gmp")(z))


@pytest.mark.parametrize(
    "build", [_functional, _sequential, _conv1d], ids=["functional", "sequential", "conv1d"]
)
def test_keras_models_trace_to_keras_numbers(build: Any) -> None:
    """Every layer's output shape (channels moved first), the output and the trainable parameters agree."""
    model = build()
    shape = _channels_first(model.input_shape)
    report = cs.trace(from_keras(model), shape)
    assert report.output_shape == _channels_first(model.output_shape)
    assert report.total_params == _trainable(model)
    expected = {layer.name: _channels_first(layer.output.shape) for layer in model.layers}
    last_row = {}
    for row in report.rows:  # a Keras layer may become several rows (a fused activation): keep its last
        last_row[row.path.split(".")[0]] = row
    compared = 0
    for name, row in last_row.items():
        if name in expected:
            assert row.output_shape == expected[name], name
            compared += 1
    assert compared >= len(model.layers) - 2


def test_unsupported_keras_layer_is_named() -> None:
    """A layer outside the table raises UnsupportedLayerError with the supported list."""
    model = keras.Sequential([keras.Input((8, 4)), layers.LSTM(3, name="lstm")])
    with pytest.raises(UnsupportedLayerError, match=r"the Keras layer LSTM \('lstm'\) is not supported"):
        from_keras(model)
    with pytest.raises(TypeError, match=r"from_keras needs a keras\.Model"):
        from_keras("model")


def test_verify_a_keras_model() -> None:
    """verify() agrees with a spec written by hand for the Keras LeNet."""
    spec = [
        cs.Conv(6, 5), cs.Activation("tanh"), cs.AvgPool(2), cs.Conv(16, 5), cs.Activation("tanh"), cs.AvgPool(2),
        cs.Flatten(), cs.Linear(120), cs.Activation("tanh"), cs.Linear(10),
    ]  # fmt: skip
    assert cs.verify(spec, _sequential(), (1, 28, 28)).ok


def _image_layers() -> Any:
    """Preprocessing, cropping, normalisations, depthwise/separable and transposed convolutions."""
    inp = keras.Input((20, 18, 3))
    x = layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(inp)
    x = layers.Normalization(axis=-1, name="norm")(x)  # adapted mean, variance and count
    x = layers.Normalization(mean=[0.5, 0.4, 0.3], variance=[1.0, 2.0, 3.0], name="norm_const")(x)
    x = layers.Cropping2D(((1, 2), (0, 3)), name="crop")(x)
    x = layers.Conv2D(8, 3, padding="same", name="conv")(x)
    x = layers.BatchNormalization(scale=False, name="bn_shift")(x)
    x = layers.BatchNormalization(center=False, scale=False, name="bn_plain")(x)
    x = layers.ZeroPadding2D(1, name="pad")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, name="dw")(x)
    x = layers.LayerNormalization(name="ln")(x)
    x = layers.GroupNormalization(4, name="gn")(x)
    x = layers.SeparableConv2D(12, 3, padding="same", depth_multiplier=2, activation="relu", name="sep")(x)
    x = layers.PReLU(shared_axes=[1, 2], name="prelu")(x)
    y = layers.GlobalAveragePooling2D(keepdims=True, name="gap")(x)
    y = layers.Dense(12, activation="hard_sigmoid", name="gate")(y)
    x = layers.Multiply(name="excite")([x, y])
    x = layers.Conv2DTranspose(6, 3, strides=2, padding="valid", name="up")(x)
    x = layers.Conv2DTranspose(4, 4, strides=2, padding="same", name="up_same")(x)
    x = layers.Concatenate(axis=1, name="cat_rows")([x, x])  # on a spatial axis
    x = layers.LayerNormalization(axis=[1, 2, 3], name="ln_all")(x)
    x = layers.Softmax(axis=1, name="softmax_rows")(x)
    x = layers.GlobalMaxPooling2D(name="gmp")(x)
    return keras.Model(inp, layers.Dense(5, name="head")(x))


def _reshapes() -> Any:
    """Reshape and Permute given in Keras' channels-last order, keras.ops on tensors, nested models."""
    inp = keras.Input((6, 8, 4))
    x = layers.Permute((2, 1, 3), name="swap_hw")(inp)  # (8, 6, 4)
    x = layers.Permute((3, 1, 2), name="channels_to_front")(x)  # (4, 8, 6)
    x = layers.Reshape((4, 48), name="merge_spatial")(x)
    x = layers.Reshape((12, 4, 4), name="unmerge")(x)
    x = x * 2.0 + 1.0
    block = keras.Sequential(
        [layers.Conv2D(5, 1, name="inner_conv"), layers.ReLU(6.0, name="inner_relu")], name="block"
    )
    x = block(x)
    x = layers.Flatten(name="flat")(x)
    v = layers.Reshape((4, 1, 60), name="to_map")(x)
    w = layers.Reshape((240,), name="to_vector")(v)
    z = layers.Reshape((1, 1, 240), name="vector_to_map")(w)
    z = layers.Cropping2D(0, name="no_crop")(z)
    return keras.Model(inp, layers.Dense(3, name="head")(layers.Flatten(name="flat_2")(z)))


def _sequences() -> Any:
    """(length, features) sequences: 1-D layers and attention."""
    inp = keras.Input((24, 16))
    x = layers.Cropping1D((2, 1), name="crop")(inp)
    x = layers.ZeroPadding1D(2, name="pad")(x)
    x = layers.DepthwiseConv1D(3, padding="same", name="dw")(x)
    x = layers.SeparableConv1D(16, 3, padding="same", name="sep")(x)
    x = layers.Conv1DTranspose(16, 3, strides=2, padding="same", name="up")(x)
    # dropout > 0 makes Keras compute attention with einsums (inactive at inference): PyTorch's
    # FlopCounterMode does not count the CPU kernel of scaled_dot_product_attention it uses otherwise
    x = layers.MultiHeadAttention(4, 4, dropout=0.1, name="mha")(x, x)
    x = layers.LayerNormalization(name="ln")(x)
    q = layers.Dense(8, name="q")(x)
    v = layers.Dense(8, name="v")(x)
    a = layers.Attention(name="attn")([q, v])
    a = layers.Concatenate(name="cat")([a, q])
    a = layers.GlobalAveragePooling1D(keepdims=True, name="gap")(a)
    return keras.Model(inp, layers.Dense(2, name="head")(a))


def _volumes() -> Any:
    """3-D layers."""
    inp = keras.Input((8, 10, 12, 2))
    x = layers.Cropping3D(((1, 0), (1, 1), 2), name="crop")(inp)
    x = layers.ZeroPadding3D(1, name="pad")(x)
    x = layers.Conv3D(4, 3, strides=2, name="conv")(x)
    x = layers.Conv3DTranspose(3, 2, strides=2, name="up")(x)
    x = layers.UpSampling3D(2, name="upsample")(x)
    return keras.Model(inp, layers.GlobalAveragePooling3D(name="gap")(x))


@pytest.mark.parametrize(
    "build",
    [_image_layers, _reshapes, _sequences, _volumes],
    ids=["image", "reshapes", "sequences", "volumes"],
)
def test_keras3_layers_agree_with_keras(build: Any) -> None:
    """Every layer's output shape, the trainable and total weights and the MACs are Keras' own."""
    model = build()
    if build is _image_layers:  # give the adapted Normalization its statistics (and its count)
        model.get_layer("norm").adapt(keras.random.uniform((4, 20, 18, 3)))
    assert keras_agreement(model) == {}


def test_trainable_and_non_trainable_counts() -> None:
    """Keras' non-trainable weights (moving statistics) are convshape's buffers."""
    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, use_bias=False)(inp)
    model = keras.Model(inp, layers.BatchNormalization(scale=False)(x))
    report = cs.trace(from_keras(model), (3, 8, 8))
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    assert report.total_params == _trainable(model)
    assert report.total_buffers == non_trainable
    assert report.total_params + report.total_buffers == model.count_params()


def _refused(build: Any, match: str) -> None:
    with pytest.raises(UnsupportedLayerError, match=match):
        from_keras(build())


def test_layers_that_cannot_be_modelled_exactly_are_refused() -> None:
    """An UnsupportedLayerError names the layer and the reason; never a wrong spec or a stray error."""

    def model(*make: Any, shape: tuple[int, ...] = (8, 8, 4)) -> Any:
        def build() -> Any:
            inp = keras.Input(shape)
            x = inp
            for layer in make:
                x = layer(x)
            return keras.Model(inp, x)

        return build

    _refused(model(layers.Conv2D(4, 3, data_format="channels_first")), "channels_first")
    _refused(
        model(layers.BatchNormalization(axis=1)), r"BatchNormalization \('batch_normalization.*'\).*channel"
    )
    _refused(model(layers.LayerNormalization(axis=1)), "only the last axis or every axis")
    _refused(model(layers.LayerNormalization(scale=False)), "center=True with scale=False")
    _refused(model(layers.GroupNormalization(2, center=False)), "center and scale differ")
    _refused(
        model(layers.Lambda(lambda t: t * 2)),
        r"the Keras layer Lambda \('lambda.*'\) is not supported.*Supported: .*Conv2D",
    )

    def self_attention(heads: int, key_dim: int) -> Any:
        inp = keras.Input((5, 6))
        return keras.Model(inp, layers.MultiHeadAttention(heads, key_dim)(inp, inp))

    _refused(lambda: self_attention(2, 4), r"num_heads x key_dim \(2 x 4\)")

    def scaled_attention() -> Any:
        inp = keras.Input((5, 6))
        return keras.Model(inp, layers.Attention(use_scale=True)([inp, inp]))

    _refused(scaled_attention, "use_scale=False")
    _refused(model(layers.PReLU(), shape=(4, 4, 3)), "48 slopes")

    def cross_attention() -> Any:
        q, v = keras.Input((5, 8)), keras.Input((7, 8))
        return keras.Model([q, v], layers.MultiHeadAttention(2, 4)(q, v))

    _refused(cross_attention, "2 inputs")

    def matmul() -> Any:
        inp = keras.Input((5, 8))
        return keras.Model(inp, keras.ops.matmul(inp, keras.ops.transpose(inp, (0, 2, 1))))

    _refused(matmul, r"the Keras operation .* is not supported")

    def split() -> Any:
        inp = keras.Input((6, 6, 4))
        a, b = keras.ops.split(inp, 2, axis=-1)
        return keras.Model(inp, layers.Add()([a, b]))

    with pytest.raises(UnsupportedLayerError):
        from_keras(split())
