"""from_onnx: PyTorch models exported to ONNX, and hand-built graphs, trace to ONNX's and PyTorch's numbers."""

from __future__ import annotations

import io
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

import convshape as cs
from convshape import UnsupportedLayerError, from_onnx

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install onnx)")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

np = pytest.importorskip("numpy", reason="numpy comes with onnx")


def _inferred_shapes(model: Any) -> dict[str, tuple[int, ...]]:
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    shapes = {}
    for info in [*inferred.graph.value_info, *inferred.graph.output]:
        dims = info.type.tensor_type.shape.dim
        shapes[info.name] = tuple(d.dim_value for d in dims)[1:]
    return shapes


def _onnx_params(model: Any) -> int:
    """Initializer elements used as weights: everything but BatchNormalization's running statistics."""
    stats = {
        name for node in model.graph.node if node.op_type == "BatchNormalization" for name in node.input[3:5]
    }
    return sum(int(numpy_helper.to_array(t).size) for t in model.graph.initializer if t.name not in stats)


def _check_rows(report: cs.Report, model: Any) -> int:
    shapes = _inferred_shapes(model)
    by_name = {node.name: node for node in model.graph.node}
    compared = 0
    for row in report.rows:
        node = by_name.get(row.path)
        if node is not None and node.output[0] in shapes:
            assert row.output_shape == shapes[node.output[0]], row.path
            compared += 1
    return compared


def _export(torch_model: Any, input_shape: tuple[int, ...]) -> Any:
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_model.train()  # keep BatchNormalization nodes (eval export folds them into the convolutions)
        torch.onnx.export(
            torch_model, (torch.zeros(2, *input_shape),), buffer, dynamo=False,  # type: ignore[arg-type]
            training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
        )  # fmt: skip
    return onnx.load_from_string(buffer.getvalue())


@pytest.mark.parametrize("name", ["resnet18", "unet", "conv1d_residual", "sequential_3d"])
def test_pytorch_exports_trace_to_both_frameworks_numbers(
    name: str, torch_tools: types.SimpleNamespace
) -> None:
    """An exported model gives ONNX's inferred shapes row by row, and PyTorch's totals."""
    from test_adapter_torch import MODELS  # type: ignore[import-not-found]

    make, input_shape = MODELS[name]
    model = make()
    model(torch_tools.torch.zeros(2, *input_shape))
    theirs = torch_tools.torch_numbers(model, input_shape)
    exported = _export(model, input_shape)
    report = cs.trace(from_onnx(exported), input_shape)
    assert (
        report.output_shape == theirs["output"] == _inferred_shapes(exported)[exported.graph.output[0].name]
    )
    assert report.total_params == theirs["params"] == _onnx_params(exported)
    assert report.total_macs == theirs["macs"]
    assert _check_rows(report, exported) >= 3


def _graph(nodes: list[Any], inits: list[Any], shape: tuple[int, ...]) -> Any:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, *shape))],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
        initializer=inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])


def _weight(name: str, *shape: int) -> Any:
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def test_hand_built_graph_with_auto_pad_asymmetric_pads_and_ceil_mode() -> None:
    """SAME_LOWER, begin/end pads, ceil-mode pooling, Concat, Clip, Gemm and Reshape match shape inference."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="c1", auto_pad="SAME_LOWER", strides=[2, 2]),
        helper.make_node("Conv", ["c1", "w2"], ["c2"], name="c2", pads=[0, 1, 2, 1], group=2),
        helper.make_node("Clip", ["c2"], ["r2"], name="clip"),
        helper.make_node("Conv", ["c1", "w3"], ["c3"], name="c3", pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["r2", "c3"], ["cat"], name="cat", axis=1),
        helper.make_node("MaxPool", ["cat"], ["p"], name="pool", kernel_shape=[3, 3], strides=[3, 3],
                         pads=[1, 1, 1, 1], ceil_mode=1),
        helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
        helper.make_node("Constant", [], ["shape"], name="shape",
                         value=numpy_helper.from_array(np.array([0, -1], dtype=np.int64))),
        helper.make_node("Reshape", ["g", "shape"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["y"], name="fc"),
    ]  # fmt: skip
    inits = [
        _weight("w1", 8, 3, 4, 4), _weight("b1", 8), _weight("w2", 8, 4, 3, 3), _weight("w3", 4, 8, 3, 3),
        _weight("fc_w", 12, 10), _weight("fc_b", 10),
    ]  # fmt: skip
    model = _graph(nodes, inits, (3, 17, 17))
    report = cs.trace(from_onnx(model), (3, 17, 17))
    assert report.output_shape == (10,)
    assert report.total_params == _onnx_params(model)
    assert _check_rows(report, model) == 9  # every node but the Constant


def test_conv_transpose_and_matmul() -> None:
    """ConvTranspose with pads and output_padding, and MatMul by a weight, follow ONNX."""
    nodes = [
        helper.make_node("ConvTranspose", ["x", "w"], ["t"], name="up", strides=[2, 2], pads=[1, 0, 1, 2],
                         output_padding=[1, 0]),
        helper.make_node("Flatten", ["t"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "m"], ["y"], name="mm"),
    ]  # fmt: skip
    inits = [_weight("w", 4, 6, 3, 3), _weight("m", 6 * 10 * 9, 7)]
    model = _graph(nodes, inits, (4, 5, 5))
    report = cs.trace(from_onnx(model), (4, 5, 5))
    assert report.rows[0].output_shape == _inferred_shapes(model)["t"] == (6, 10, 9)
    assert report.output_shape == (7,)
    assert report.total_params == _onnx_params(model)


def test_from_onnx_reads_files_and_refuses_unknown_operators(tmp_path: Path) -> None:
    """A path works like a ModelProto; an unsupported operator is named with the supported list."""
    model = _graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], [], (3, 4, 4))
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    assert cs.trace(from_onnx(path), (3, 4, 4)).output_shape == (3, 4, 4)
    einsum = _graph(
        [helper.make_node("Einsum", ["x"], ["y"], name="es", equation="ijkl->ijkl")], [], (3, 4, 4)
    )
    with pytest.raises(UnsupportedLayerError, match="node 'es': the ONNX operator Einsum is not supported"):
        from_onnx(einsum)
    with pytest.raises(cs.SpecError, match="cannot read"):
        from_onnx(tmp_path / "missing.onnx")
