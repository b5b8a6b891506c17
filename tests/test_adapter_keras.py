"""from_keras: Keras 3 Sequential and functional models (channels-last) trace to Keras's own numbers.

Keras has no MAC counter of its own, so shapes and parameters are compared; MACs are
covered by the PyTorch and ONNX adapters.  Skipped without keras (CI installs it, with the
torch backend).
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
