"""Real torchvision and timm models exported to ONNX read back with PyTorch's numbers.

Each model is exported at batch 2 and 64x64 (a batch of 2 keeps the batch axis
distinguishable from size-1 axes) by the TorchScript exporter at opset 17, in eval mode
(BatchNorm folded into the convolutions) and in training mode, and by the dynamo exporter at
its current opset.  Compared:

* output shape: the real PyTorch forward's;
* MACs: ``FlopCounterMode`` on the real forward, halved, per sample (timm's attention is run
  without the fused kernel, whose MACs FlopCounterMode does not count on CPU);
* parameters: the ONNX file's own weights: the elements of its floating-point initializers
  with more than one element, without BatchNormalization's running statistics.  Exporters fold BatchNorm into the
  convolutions (and the dynamo exporter drops a folded bias that is all zeros), so this is
  what the file holds; for training-mode TorchScript exports it is also checked to equal
  ``sum(p.numel() for p in model.parameters())``.

The normal run exports three small models; ``CONVSHAPE_LONG=1`` runs the whole corpus.  A
model convshape cannot read must be refused with ``UnsupportedLayerError`` for the reason
listed in ``REFUSED`` (documented in docs/adapters.md), never give a wrong number.
"""

from __future__ import annotations

import io
import os
import warnings
from typing import Any

import pytest

import convshape as cs

torch = pytest.importorskip("torch", reason="PyTorch is not installed")
onnx = pytest.importorskip("onnx", reason="onnx is not installed")
np = pytest.importorskip("numpy", reason="numpy comes with onnx")

LONG = os.environ.get("CONVSHAPE_LONG") == "1"
BATCH = 2
SIZE = 64
#: AlexNet's adaptive pooling to 6x6 only exports (TorchScript) where 6 divides its input: 224 gives 6
SIZES = {"alexnet": 224}

QUICK = [("resnet18", "eval"), ("mobilenet_v3_small", "train"), ("timm:vit_tiny_patch16_224", "eval")]
MODELS = [
    "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x0_5",
    "squeezenet1_1", "regnet_y_400mf", "mnasnet0_5", "convnext_tiny", "alexnet", "vit_small",
    "timm:vit_tiny_patch16_224", "timm:deit_tiny_patch16_224", "timm:convnext_atto", "timm:resnet10t",
]  # fmt: skip
MODES = ["eval", "train", "dynamo"]
CORPUS = [(m, mode) for m in MODELS for mode in MODES] if LONG else QUICK

#: what convshape refuses, and why (docs/adapters.md lists the same)
REFUSED = {
    ("vit_small", "eval"): "merges or splits the batch axis",
    ("vit_small", "train"): "merges or splits the batch axis",
    ("vit_small", "dynamo"): "varies along the batch axis",
    ("timm:vit_tiny_patch16_224", "dynamo"): "varies along the batch axis",
    ("timm:deit_tiny_patch16_224", "dynamo"): "varies along the batch axis",
    ("convnext_tiny", "dynamo"): "merges or splits the batch axis",
    ("timm:convnext_atto", "dynamo"): "merges or splits the batch axis",
}


@pytest.fixture(scope="module")
def libraries(vision_libraries: Any) -> Any:
    """torchvision and timm (see conftest.vision_libraries), timm's attention written out."""
    os.environ.setdefault("TIMM_FUSED_ATTN", "0")
    return vision_libraries


def _build(name: str, libraries: Any) -> Any:
    if name.startswith("timm:"):
        if libraries.timm is None:
            pytest.skip("timm is not installed")
        model_name = name[5:]
        extra = {"img_size": SIZE} if "vit" in model_name or "deit" in model_name else {}
        return libraries.timm.create_model(model_name, pretrained=False, **extra)
    if name == "vit_small":
        return libraries.torchvision.models.VisionTransformer(
            image_size=SIZE, patch_size=16, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128
        )
    return getattr(libraries.torchvision.models, name)(weights=None)


def _export(model: Any, mode: str, x: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "dynamo":
            return torch.onnx.export(model, (x,), dynamo=True, verbose=False).model_proto
        buffer = io.BytesIO()
        torch.onnx.export(
            model, (x,), buffer, dynamo=False, opset_version=17, do_constant_folding=mode == "eval",
            training=torch.onnx.TrainingMode.TRAINING if mode == "train" else torch.onnx.TrainingMode.EVAL,
        )  # fmt: skip
        return onnx.load_from_string(buffer.getvalue())


def _file_params(model: Any) -> int:
    """The weights the file holds (see the module docstring); the TorchScript exporter stores equal
    tensors once and hands out copies through Identity nodes: each copy counts."""
    stats = {
        name for node in model.graph.node if node.op_type == "BatchNormalization" for name in node.input[3:5]
    }
    source = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in source:
            source[node.output[0]] = source[node.input[0]]
    used = {name for node in model.graph.node if node.op_type != "Identity" for name in node.input}
    floats = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE)
    total = 0
    for name in used - stats:
        tensor = source.get(name)
        if tensor is None or tensor.data_type not in floats:
            continue
        size = int(np.prod(tensor.dims)) if tensor.dims else 1
        if size > 1:
            total += size
    return total


@pytest.mark.parametrize(("name", "mode"), CORPUS, ids=[f"{m}-{mode}" for m, mode in CORPUS])
def test_real_export_reads_back_exactly(name: str, mode: str, libraries: Any) -> None:
    """Output shape, parameters and MACs exact; or the listed refusal."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    model = _build(name, libraries)
    model.train(mode == "train")
    size = SIZES.get(name, SIZE)
    x = torch.zeros(BATCH, 3, size, size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        output = model(x)
    macs = counter.get_total_flops() // 2 // BATCH
    exported = _export(model, mode, x)
    try:
        spec = cs.from_onnx(exported)
    except cs.UnsupportedLayerError as err:
        message = str(err)
    else:
        message = ""
    if message:
        reason = REFUSED.get((name, mode))
        assert reason is not None, message
        assert reason in message
        return
    assert (name, mode) not in REFUSED, "read although listed as refused: update REFUSED and the docs"
    report = cs.trace(spec, (3, size, size))
    assert report.output_shape == tuple(output.shape[1:])
    assert report.total_macs == macs
    assert report.total_params == _file_params(exported)
    if mode == "train":
        assert report.total_params == sum(p.numel() for p in model.parameters())
