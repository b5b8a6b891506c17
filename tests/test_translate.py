"""padding_for: each framework's padding vocabulary, checked against PyTorch and ONNX where they are installed."""

from __future__ import annotations

import random
from typing import Any

import pytest

import convshape as cs
from convshape import Conv, ConvTranspose, MaxPool, ParameterError, padding_for


@pytest.mark.parametrize(
    ("layer", "shape", "pytorch", "tensorflow", "onnx"),
    [
        (Conv(8, 3, padding=1), (3, 10, 10), "padding=1 (or padding='same')", "padding='SAME'",
         "pads=[1, 1, 1, 1] (or auto_pad='SAME_UPPER')"),
        (Conv(8, 4, padding="same"), (3, 10), "F.pad(x, (1, 2)) then padding=0", "padding='SAME'",
         "pads=[1, 2] (or auto_pad='SAME_UPPER')"),
        (Conv(8, 3, stride=2), (3, 9, 9), "padding=0", "padding='VALID'", "pads=[0, 0, 0, 0] (or auto_pad='VALID')"),
        (Conv(8, 3, padding=[(2, 0)]), (3, 9), "F.pad(x, (2, 0)) then padding=0", "padding=[[0, 0], [2, 0], [0, 0]]",
         "pads=[2, 0]"),
        (MaxPool(2, padding=[(0, 1)]), (1, 5), 'F.pad(x, (0, 1), value=float("-inf")) then padding=0',
         "padding='SAME'", "pads=[0, 1] (or auto_pad='SAME_UPPER')"),
        (ConvTranspose(4, 4, stride=2, padding=1), (2, 8, 8), "padding=1", "output_shape [16, 16] with padding='SAME'",
         "pads=[1, 1, 1, 1] (or auto_pad='SAME_UPPER')"),
    ],
)  # fmt: skip
def test_translations(
    layer: cs.Layer, shape: tuple[int, ...], pytorch: str, tensorflow: str, onnx: str
) -> None:
    """Known cases in each vocabulary."""
    t = padding_for(layer, shape)
    assert (t.pytorch, t.tensorflow, t.onnx) == (pytorch, tensorflow, onnx)


def test_what_a_framework_cannot_express_is_said() -> None:
    """Asymmetric pool padding: PyTorch needs F.pad, TF pools cannot; the notes say so."""
    t = padding_for(MaxPool(3, stride=2, padding=[(1, 0)]), (1, 10))
    assert t.tensorflow == "cannot be expressed (TF pools take 'SAME' or 'VALID' only)"
    assert any("symmetric padding only" in n for n in t.notes)
    with pytest.raises(ParameterError, match="padding_for needs a Conv"):
        padding_for(cs.Linear(3), (4,))


def test_pytorch_and_onnx_translations_reproduce_the_output() -> None:
    """Applying the PyTorch translation in torch, and the ONNX pads in onnx, gives convshape's output."""
    torch = pytest.importorskip("torch", reason="torch is not installed")
    onnx = pytest.importorskip("onnx", reason="onnx is not installed")
    from onnx import TensorProto, helper

    F = torch.nn.functional
    rng = random.Random(3)
    for _ in range(200):
        size, k, s = rng.randint(3, 20), rng.randint(1, 5), rng.randint(1, 3)
        padding: Any = rng.choice(["same", "same_lower", "valid", [(rng.randint(0, 3), rng.randint(0, 3))]])
        layer = Conv(1, k, stride=s, padding=padding)
        try:
            expected = cs.trace(layer, (1, size)).output_shape
        except cs.ShapeError:
            continue
        t = padding_for(layer, (1, size))
        ((before, after),) = t.pads
        x = torch.zeros(1, 1, size)
        if t.pytorch.startswith("F.pad"):
            got = F.conv1d(F.pad(x, (before, after)), torch.zeros(1, 1, k), stride=s)
        else:
            got = F.conv1d(x, torch.zeros(1, 1, k), stride=s, padding=before)
        assert tuple(got.shape[1:]) == expected
        node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[before, after], strides=[s])
        graph = helper.make_graph(
            [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, size))],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            initializer=[helper.make_tensor("w", TensorProto.FLOAT, (1, 1, k), [0.0] * k)],
        )  # fmt: skip
        model = onnx.shape_inference.infer_shapes(helper.make_model(graph), strict_mode=True)
        dims = model.graph.output[0].type.tensor_type.shape.dim
        assert (dims[1].dim_value, dims[2].dim_value) == expected


def test_a_dilated_pool_is_not_given_a_translation_that_drops_the_dilation() -> None:
    """Keras pools and tf.nn.max_pool/avg_pool have no dilation, nor has PyTorch's average pooling."""
    dilated_max = cs.padding_for(cs.MaxPool(3, dilation=2, padding=1), (3, 16, 16))
    assert dilated_max.pytorch == "padding=1"
    assert dilated_max.keras.startswith("cannot be expressed")
    assert "tf.nn.pool with dilations" in dilated_max.tensorflow
    dilated_avg = cs.padding_for(
        cs.AvgPool(3, stride=1, dilation=2, padding=2, convention="onnx"), (3, 16, 16)
    )
    assert dilated_avg.pytorch.startswith("cannot be expressed")
    wide = cs.padding_for(cs.AvgPool(3, padding=2, convention="onnx"), (3, 16, 16))
    assert wide.pytorch == "F.pad(x, (2, 2, 2, 2)) then padding=0"
    assert any("at most kernel_size // 2" in note and "count_include_pad=1" in note for note in wide.notes)
