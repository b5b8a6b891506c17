"""The arithmetic agrees with ONNX shape inference: SAME_UPPER/SAME_LOWER, begin/end pads, ceil mode;
and pools read from files of older opsets agree with ONNX Runtime where that shape inference does not.

ONNX shape inference does not refuse a kernel larger than the padded input
(it returns 0 or negative sizes), so only configurations PyTorch accepts are compared.
Skipped when onnx is not installed.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import convshape as cs

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install onnx)")
from onnx import TensorProto, helper  # noqa: E402

OPSET = 22


def _infer(op: str, size: tuple[int, ...], kernel: tuple[int, ...], **attrs: Any) -> tuple[int, ...]:
    ndim = len(size)
    inputs = ["x"]
    inits = []
    if op in ("Conv", "ConvTranspose"):
        inputs.append("w")
        inits.append(helper.make_tensor("w", TensorProto.FLOAT, (1, 1, *kernel), [0.0] * _prod(kernel)))
    else:
        attrs["kernel_shape"] = list(kernel)
    node = helper.make_node(op, inputs, ["y"], **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, *size))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    dims = inferred.graph.output[0].type.tensor_type.shape.dim
    return tuple(d.dim_value for d in dims)[2 : 2 + ndim]


def _prod(values: tuple[int, ...]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _config(rng: random.Random, ndim: int) -> tuple[tuple[int, ...], ...]:
    size = tuple(rng.randint(1, 20) for _ in range(ndim))
    kernel = tuple(rng.randint(1, 6) for _ in range(ndim))
    stride = tuple(rng.randint(1, 4) for _ in range(ndim))
    dilation = tuple(rng.randint(1, 3) for _ in range(ndim))
    return size, kernel, stride, dilation


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
@pytest.mark.parametrize("ndim", [1, 2])
def test_conv_auto_pad_matches_onnx(auto_pad: str, ndim: int) -> None:
    """'same' / 'same_lower' give ONNX's output size, at any stride and dilation."""
    rng = random.Random(f"{auto_pad}-{ndim}")
    mode = "same" if auto_pad == "SAME_UPPER" else "same_lower"
    for _ in range(300):
        size, kernel, stride, dilation = _config(rng, ndim)
        expected = _infer(
            "Conv", size, kernel, auto_pad=auto_pad, strides=list(stride), dilations=list(dilation)
        )
        assert cs.conv_output_shape(size, kernel, stride, mode, dilation) == expected


@pytest.mark.parametrize("ndim", [1, 2])
def test_conv_begin_end_pads_match_onnx(ndim: int) -> None:
    """(before, after) pairs are ONNX's pads = [begins..., ends...]."""
    rng = random.Random(11 + ndim)
    checked = 0
    for _ in range(400):
        size, kernel, stride, dilation = _config(rng, ndim)
        pads = [(rng.randint(0, 4), rng.randint(0, 4)) for _ in range(ndim)]
        try:
            ours = cs.conv_output_shape(size, kernel, stride, pads, dilation)
        except cs.ShapeError:
            continue
        onnx_pads = [b for b, _ in pads] + [a for _, a in pads]
        expected = _infer(
            "Conv", size, kernel, pads=onnx_pads, strides=list(stride), dilations=list(dilation)
        )
        assert ours == expected
        checked += 1
    assert checked > 200


def test_same_padding_split_matches_onnx_documentation() -> None:
    """SEMANTICS 3.2: i=5, k=4, s=2 pads (1, 2) upper and (2, 1) lower, output 3 for both."""
    assert cs.same_padding(5, 4, 2) == (1, 2)
    assert cs.same_padding(5, 4, 2, lower=True) == (2, 1)
    assert _infer("Conv", (5,), (4,), auto_pad="SAME_LOWER", strides=[2]) == (3,)


@pytest.mark.parametrize("ceil_mode", [0, 1])
def test_max_pool_pads_and_ceil_match_onnx_opset22(ceil_mode: int) -> None:
    """Pooling with begin/end pads and ceil mode follows ONNX opset 22 (PyTorch's start-inside rule)."""
    rng = random.Random(21 + ceil_mode)
    checked = 0
    for _ in range(400):
        size, kernel, stride, dilation = _config(rng, 1)
        pads = [(rng.randint(0, kernel[0] // 2), rng.randint(0, kernel[0] // 2))]
        try:
            ours = cs.pool_output_shape(size, kernel, stride, pads, dilation, bool(ceil_mode))
        except cs.ShapeError:
            continue
        expected = _infer(
            "MaxPool",
            size,
            kernel,
            pads=[pads[0][0], pads[0][1]],
            strides=list(stride),
            dilations=list(dilation),
            ceil_mode=ceil_mode,
        )
        assert ours == expected, (size, kernel, stride, pads, dilation)
        checked += 1
    assert checked > 200


@pytest.mark.parametrize(
    ("op", "opset"),
    [
        ("MaxPool", 12),
        ("MaxPool", 21),
        ("MaxPool", 22),
        ("AveragePool", 19),
        ("AveragePool", 21),
        ("AveragePool", 22),
    ],
)
def test_pools_of_every_opset_give_what_onnx_runtime_computes(op: str, opset: int) -> None:
    """Up to opset 21, ONNX's shape inference takes a plain ceil in ceil mode, while ONNX Runtime
    drops a last window that would start in the right padding at every opset (PyTorch's rule,
    which opset 22's shape inference adopted): a pool read from a file of any opset gives the
    shape that running it gives, not the one its old shape inference writes.  Skipped without
    onnxruntime (CI installs it)."""
    import numpy as np

    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnxruntime)")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the old shape inference's mismatches are what this test is about

    rng = random.Random(f"{op}-{opset}")
    checked = differs = 0
    for _ in range(150):
        size, kernel, stride, dilation = _config(rng, 1)
        pads = [rng.randint(0, kernel[0] // 2), rng.randint(0, kernel[0] // 2)]
        if size[0] + sum(pads) < dilation[0] * (kernel[0] - 1) + 1:
            continue
        ceil_mode = rng.randint(0, 3) > 0  # mostly ceil mode, where the rules differ
        node = helper.make_node(
            op, ["x"], ["y"], kernel_shape=list(kernel), strides=list(stride), pads=pads,
            dilations=list(dilation), ceil_mode=int(ceil_mode),
        )  # fmt: skip
        graph = helper.make_graph(
            [node],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, *size))],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        ran = session.run(None, {"x": np.zeros((1, 1, *size), np.float32)})[0].shape
        ours = cs.trace(cs.from_onnx(model), (1, *size)).output_shape
        assert ours == tuple(ran[1:]), (size, kernel, stride, pads, dilation, ceil_mode)
        inferred = onnx.shape_inference.infer_shapes(model).graph.output[0].type.tensor_type.shape.dim
        differs += inferred[2].dim_value != ran[2]
        checked += 1
    assert checked > 100
    if opset <= 21:  # the sample holds cases where the old shape inference is one too many
        assert differs > 0
    else:
        assert differs == 0


def test_a_declared_shape_from_the_old_ceil_rule_is_refused_with_the_reason() -> None:
    """A file whose shapes were filled in by ONNX's shape inference up to opset 21 declares the
    plain-ceil size for such a pool; convshape gives what running it gives, so it refuses the
    declaration and says why.  Opset 22's inference declares the size that runs."""
    for opset in (21, 22):
        node = helper.make_node(
            "MaxPool", ["x"], ["y"], kernel_shape=[2], strides=[2], pads=[1, 1], ceil_mode=1
        )
        graph = helper.make_graph(
            [node],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, 1))],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model = onnx.shape_inference.infer_shapes(model)
        declared = [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim]
        if opset == 21:
            assert declared == [1, 1, 2]  # plain ceil: ceil((1 + 2 - 2) / 2) + 1
            with pytest.raises(cs.ShapeError, match=r"up to opset 21 .* compute \(1,\) on the spatial axes"):
                cs.from_onnx(model)
        else:
            assert declared == [1, 1, 1]
            assert cs.trace(cs.from_onnx(model), (1, 1)).output_shape == (1, 1)


def test_conv_transpose_begin_end_pads_match_onnx() -> None:
    """Transposed (before, after) pads and output_padding follow ONNX ConvTranspose."""
    rng = random.Random(31)
    checked = 0
    for _ in range(400):
        size, kernel, stride, dilation = _config(rng, 2)
        pads = [(rng.randint(0, 3), rng.randint(0, 3)) for _ in range(2)]
        op = tuple(rng.randint(0, max(s, d) - 1) for s, d in zip(stride, dilation, strict=True))
        try:
            ours = cs.conv_transpose_output_shape(size, kernel, stride, pads, op, dilation)
        except cs.ShapeError:
            continue
        expected = _infer(
            "ConvTranspose",
            size,
            kernel,
            pads=[b for b, _ in pads] + [a for _, a in pads],
            strides=list(stride),
            dilations=list(dilation),
            output_padding=list(op),
        )
        assert ours == expected
        checked += 1
    assert checked > 200


def test_conv_transpose_same_is_size_times_stride_like_onnx() -> None:
    """'same' on a transposed convolution gives size * stride (ONNX's SAME_UPPER where the kernel covers the stride)."""
    for size, k, s in [(5, 3, 2), (7, 4, 2), (6, 5, 3)]:
        expected = _infer("ConvTranspose", (size,), (k,), auto_pad="SAME_UPPER", strides=[s])
        assert cs.conv_transpose_output_shape((size,), k, s, "same") == expected == (size * s,)
