"""Real torchvision and timm models exported to ONNX read back with PyTorch's numbers.

Each model is exported at batch 2 and 64x64 (224x224 where ``SIZES`` says; a batch of 2 keeps
the batch axis distinguishable from size-1 axes) by the TorchScript exporter at opset 17, in eval mode
(BatchNorm folded into the convolutions) and in training mode, and by the dynamo exporter at
its current opset.  Compared:

* output shape: the real PyTorch forward's;
* MACs: ``FlopCounterMode`` on the real forward, halved, per sample.  Attention is run written
  out, as FlopCounterMode counts nothing for the fused kernels on CPU: timm's without its fused
  attention, torchvision's ``nn.MultiheadAttention`` without its eval-mode fast path and with
  the math backend of ``scaled_dot_product_attention``;
* parameters: the ONNX file's own weights: the elements of its floating-point initializers
  with more than one element, without BatchNormalization's running statistics, once per node
  that reads them.  Exporters fold BatchNorm into the convolutions (and the dynamo exporter
  drops a folded bias that is all zeros), so this is what the file holds; exporters also store
  equal tensors once (the TorchScript exporter hands out copies through Identity nodes, the
  dynamo exporter lets several nodes read one tensor: an untrained model's LayerNorm weights
  are all ones), and each reader is a parameter of the model.  The dynamo exporter lists the
  model's buffers (a Swin attention mask) in its graph signature: they are not counted, nor
  the values ScatterND writes into a mask torchvision's Swin builds in its forward, nor Resize's
  scales; it also
  folds ``token.expand(batch, ...)`` into one copy per sample: equal copies count once.  The
  parameters are drawn at random before export, so no weight is all zeros (a dropped bias) or
  equal to another.  For training-mode TorchScript exports (nothing folded) the reference is
  ``sum(p.numel() for p in model.parameters())``; eval-mode and dynamo exports fold constants
  (BatchNorm, a relative position bias gathered from its table) and are held to the file.

The normal run exports three small models; ``CONVSHAPE_LONG=1`` runs the whole corpus.  A
model convshape cannot read must be refused with ``UnsupportedLayerError`` for the reason
listed in ``REFUSED`` (documented in docs/adapters.md), never give a wrong number.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from typing import Any

import pytest

import convshape as cs

torch = pytest.importorskip("torch", reason="PyTorch is not installed")
onnx = pytest.importorskip("onnx", reason="onnx is not installed")
np = pytest.importorskip("numpy", reason="numpy comes with onnx")
from onnx import numpy_helper  # noqa: E402

LONG = os.environ.get("CONVSHAPE_LONG") == "1"
BATCH = 2
SIZE = 64
#: AlexNet's adaptive pooling to 6x6 only exports (TorchScript) where 6 divides its input: 224 gives 6;
#: Swin's 7x7 windows tile its four stages at 224
SIZES = {"alexnet": 224, "swin_t": 224, "timm:swin_tiny_patch4_window7_224": 224}

QUICK = [("resnet18", "eval"), ("mobilenet_v3_small", "train"), ("timm:vit_tiny_patch16_224", "eval")]
MODELS = [
    "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x0_5",
    "squeezenet1_1", "regnet_y_400mf", "mnasnet0_5", "convnext_tiny", "alexnet", "vit_small",
    "timm:vit_tiny_patch16_224", "timm:deit_tiny_patch16_224", "timm:convnext_atto", "timm:resnet10t",
    "swin_t", "timm:swin_tiny_patch4_window7_224", "densenet121", "efficientnet_v2_s", "timm:mobilevit_xxs",
    "timm:hrnet_w18_small", "timm:ghostnet_100",
]  # fmt: skip
MODES = ["eval", "train", "dynamo"]
CORPUS = [(m, mode) for m in MODELS for mode in MODES] if LONG else QUICK

#: what convshape refuses, and why (docs/adapters.md lists the same)
REFUSED: dict[tuple[str, str], str] = {}


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
    """The weights the file holds, once per node that reads them (see the module docstring)."""
    stats = {
        name for node in model.graph.node if node.op_type == "BatchNormalization" for name in node.input[3:5]
    }
    source = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in source:
            source[node.output[0]] = source[node.input[0]]
    signature = "\n".join(
        entry.value for entry in model.graph.metadata_props if entry.key.endswith("graph_signature")
    )
    buffers = set(re.findall(r": BUFFER target='([^']+)'", signature))
    floats = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE)
    total = 0
    for node in model.graph.node:
        if node.op_type in ("Identity", "ScatterND", "Resize"):  # a mask's values, Resize's scales
            continue
        for name in dict.fromkeys(node.input):  # a node reading one tensor twice reads one weight
            tensor = source.get(name)
            if name in stats or name in buffers or tensor is None or tensor.data_type not in floats:
                continue
            size = int(np.prod(tensor.dims)) if tensor.dims else 1
            if len(tensor.dims) >= 2 and tensor.dims[0] == BATCH:
                values = numpy_helper.to_array(tensor)
                if all(np.array_equal(values[0], copy) for copy in values[1:]):
                    size //= BATCH  # copies of one weight, one per sample
            if size > 1:
                total += size
    return total


def _macs(model: Any, x: Any) -> tuple[Any, int]:
    """Multiply-accumulates of the real forward, per sample, with attention written out."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
            output = model(x)
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)
    return output, counter.get_total_flops() // 2 // x.shape[0]


@pytest.mark.parametrize(("name", "mode"), CORPUS, ids=[f"{m}-{mode}" for m, mode in CORPUS])
def test_real_export_reads_back_exactly(name: str, mode: str, libraries: Any) -> None:
    """Output shape, parameters and MACs exact; or the listed refusal."""
    torch.manual_seed(0)
    model = _build(name, libraries)
    with torch.no_grad():  # no weight all zeros or equal to another (see the module docstring)
        for p in model.parameters():
            p.uniform_(0.5, 1.5)
    model.train(mode == "train")
    size = SIZES.get(name, SIZE)
    x = torch.zeros(BATCH, 3, size, size)
    output, macs = _macs(model, x)
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
    if mode == "train":
        assert report.total_params == sum(p.numel() for p in model.parameters())
    else:
        assert report.total_params == _file_params(exported)
