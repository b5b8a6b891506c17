"""from_torch(model, input_shape): real models read through torch.export, against their own forward.

Each model's output shape, ``sum(p.numel() for p in model.parameters())`` and the MACs
FlopCounterMode measures on the real forward (divided by 2) must equal convshape's report.
FlopCounterMode counts nothing for ``scaled_dot_product_attention`` on the CPU, so the
reference forward runs it written out (``q @ k^T``, softmax, ``@ v``): the products it counts are
the ones the fused kernel computes. The normal run covers hand-written modules and a few small
models; ``CONVSHAPE_LONG=1`` runs the corpus of torchvision and timm families (docs/adapters.md
lists the results). Everything skips cleanly without torch, torchvision or timm.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import convshape as cs

torch = pytest.importorskip("torch", reason="PyTorch is not installed")
nn = torch.nn
Module: Any = torch.nn.Module
F = torch.nn.functional

LONG = os.environ.get("CONVSHAPE_LONG") == "1"


def _attention(q: Any, k: Any, v: Any, attn_mask: Any = None, dropout_p: float = 0.0,
               is_causal: bool = False, scale: Any = None, **_: Any) -> Any:  # fmt: skip
    scores = (q @ k.transpose(-2, -1)) * (q.shape[-1] ** -0.5 if scale is None else scale)
    if attn_mask is not None:
        scores = (
            scores.masked_fill(~attn_mask, float("-inf"))
            if attn_mask.dtype == torch.bool
            else scores + attn_mask
        )
    return torch.softmax(scores, -1) @ v


@contextlib.contextmanager
def _written_out_attention() -> Iterator[None]:
    fused = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = _attention
    try:
        yield
    finally:
        F.scaled_dot_product_attention = fused


def measured(model: Any, shape: tuple[int, ...]) -> tuple[object, int, int]:
    """(output shape without the batch, parameters, MACs) of the real forward on one sample."""
    from torch.utils.flop_counter import FlopCounterMode

    model.eval()
    for module in model.modules():  # timm's attention, written out
        if hasattr(module, "fused_attn"):
            module.fused_attn = False
    with _written_out_attention(), FlopCounterMode(display=False) as counter:
        y = model(torch.randn(1, *shape))
    if isinstance(y, dict):
        y = y["out"]
    if isinstance(y, (tuple, list)):
        y = y[0]
    params = sum(p.numel() for p in model.parameters())
    return tuple(y.shape[1:]), params, counter.get_total_flops() // 2


def converted(model: Any, shape: tuple[int, ...]) -> tuple[object, int, int]:
    report = cs.trace(cs.from_torch(model, shape), shape)
    return report.output_shape, report.total_params, report.total_macs


# ---------------------------------------------------------------------------
# Hand-written modules: what real models do, one thing at a time


class SharedHead(Module):  # type: ignore[misc]
    """A detection-style head applied to every pyramid level: its weights exist once."""

    def __init__(self) -> None:
        super().__init__()
        self.levels = nn.ModuleList([nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, stride=2, padding=1)])
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x: Any) -> Any:
        a = self.levels[0](x)
        b = self.levels[1](a)
        return torch.cat([self.head(a).flatten(2), self.head(b).flatten(2)], 2)


class WithAux(Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Conv2d(3, 8, 3)
        self.aux = nn.Linear(100, 10)  # only used in training

    def forward(self, x: Any) -> Any:
        y = self.body(x)
        return self.aux(y.flatten(1)) if self.training else y


class WindowAttention(Module):  # type: ignore[misc]
    """Swin-style windows folded into the batch axis, attention inside each window."""

    def __init__(self, dim: int = 16, window: int = 4, heads: int = 2) -> None:
        super().__init__()
        self.window, self.heads = window, heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.bias = nn.Parameter(torch.zeros(heads, window * window, window * window))

    def forward(self, x: Any) -> Any:
        b, c, h, w = x.shape
        s = self.window
        t = x.permute(0, 2, 3, 1).reshape(b, h // s, s, w // s, s, c).permute(0, 1, 3, 2, 4, 5)
        t = t.reshape(-1, s * s, c)
        q, k, v = (
            self.qkv(t)
            .reshape(t.shape[0], s * s, 3, self.heads, c // self.heads)
            .permute(2, 0, 3, 1, 4)
            .unbind(0)
        )
        a = torch.softmax(q @ k.transpose(-2, -1) + self.bias, -1) @ v
        t = self.proj(a.transpose(1, 2).reshape(t.shape[0], s * s, c))
        t = t.reshape(b, h // s, w // s, s, s, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
        return t.permute(0, 3, 1, 2)


class Tokens(Module):  # type: ignore[misc]
    """ViT-style: patches, a class token, position embeddings, torch's own attention module."""

    def __init__(self) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, 32, 4, stride=4)
        self.cls = nn.Parameter(torch.zeros(1, 1, 32))
        self.pos = nn.Parameter(torch.zeros(1, 17, 32))
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.scale = nn.Parameter(torch.ones(32))

    def forward(self, x: Any) -> Any:
        t = self.patch(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1) + self.pos
        t = t + self.scale * self.attn(t, t, t, need_weights=False)[0]
        return t[:, 0]


class Plumbing(Module):  # type: ignore[misc]
    """Split, chunk, channel shuffle, squeeze-excitation gating, einsum, interpolate to a size."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Conv2d(16, 16, 1)

    def forward(self, x: Any) -> Any:
        left, right = x.split([8, 8], 1)
        y = torch.cat([self.a(left), right], 1)
        y = y.view(y.shape[0], 2, 8, *y.shape[2:]).transpose(1, 2).reshape(y.shape)  # shuffle
        y = y * torch.sigmoid(self.fc(y.mean((2, 3), keepdim=True)))
        g = torch.einsum("bcn,bdn->bcd", y.flatten(2), y.flatten(2))
        small = F.max_pool2d(y, 2)
        return F.interpolate(small, size=y.shape[-2:]) + g.mean(2)[:, :, None, None]


@pytest.mark.parametrize(
    ("build", "shape"),
    [
        (SharedHead, (3, 16, 16)),
        (WindowAttention, (16, 8, 8)),
        (Tokens, (3, 16, 16)),
        (Plumbing, (16, 8, 8)),
    ],
    ids=["shared_head", "window_attention", "tokens", "plumbing"],
)
def test_hand_written_modules_agree_with_their_forward(build: Any, shape: tuple[int, ...]) -> None:
    model = build().eval()
    assert converted(model, shape) == measured(model, shape)


def test_a_module_called_twice_counts_its_weights_once_and_both_calls_macs() -> None:
    spec = cs.from_torch(SharedHead().eval(), (3, 16, 16))
    report = cs.trace(spec, (3, 16, 16))
    heads = [row for row in report.rows if row.path.startswith("head")]
    assert [row.params for row in heads] == [8 * 4 + 4, 0]
    assert all(row.macs for row in heads)
    assert isinstance(heads[1].layer, cs.Shared)
    assert heads[1].layer.of == "head"


def test_parameters_the_forward_never_reads_are_reported_not_dropped() -> None:
    model = WithAux().eval()
    with pytest.warns(UserWarning, match=r"1,010 parameters are never used by the forward.*aux \(1,010\)"):
        spec = cs.from_torch(model, (3, 12, 12))
    report = cs.trace(spec, (3, 12, 12))
    assert report.total_params == sum(p.numel() for p in model.parameters())
    unused = [row for row in report.rows if isinstance(row.layer, cs.Unused)]
    assert [(getattr(row.layer, "module", None), row.params) for row in unused] == [("aux", 1010)]


def test_rows_are_named_by_module_path() -> None:
    spec = cs.from_torch(Tokens().eval(), (3, 16, 16))
    names = [row.path for row in cs.trace(spec, (3, 16, 16)).rows]
    assert "patch" in names
    assert any(name.startswith("attn") for name in names)


def test_what_cannot_be_mapped_is_named_with_its_module_and_source_line() -> None:
    class Sorts(Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)

        def forward(self, x: Any) -> Any:
            return torch.sort(self.conv(x), dim=1)[0]

    with pytest.raises(cs.UnsupportedLayerError) as info:
        cs.from_torch(Sorts(), (3, 8, 8))
    message = str(info.value)
    assert "aten.sort" in message
    assert "test_torch_export.py" in message
    assert "torch.sort(self.conv(x), dim=1)" in message


def test_a_forward_that_cannot_be_captured_is_an_unsupported_layer_error() -> None:
    class DataDependent(Module):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            return x[x > 0]

    with pytest.raises(cs.UnsupportedLayerError):
        cs.from_torch(DataDependent(), (3, 8, 8))


def test_the_converted_spec_round_trips_through_spec_files() -> None:
    spec = cs.from_torch(Tokens().eval(), (3, 16, 16))
    network, _ = cs.loads(cs.dumps(spec))
    assert network == cs.Sequential(spec)


# ---------------------------------------------------------------------------
# Real models

QUICK = [("tv", "resnet18", 64), ("tv", "mobilenet_v3_small", 64), ("timm", "convnext_atto", 64)]
TORCHVISION = [
    "resnet18", "resnext50_32x4d", "wide_resnet50_2", "vgg11_bn", "densenet121", "googlenet", "inception_v3",
    "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "efficientnet_v2_s", "mnasnet0_5",
    "shufflenet_v2_x0_5", "squeezenet1_0", "regnet_y_400mf", "convnext_tiny", "swin_t", "swin_v2_t", "vit_b_16",
    "maxvit_t", "alexnet",
]  # fmt: skip
SEGMENTATION = ["fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
TIMM = [
    "seresnet18", "ecaresnet26t", "skresnet18", "res2net50_14w_8s", "cspresnet50", "ghostnet_100", "dla34",
    "hrnet_w18_small", "repvgg_a0", "mobilevit_xxs", "efficientvit_b0", "levit_128s", "coatnet_0_rw_224",
    "tf_efficientnet_b0", "vgg11", "convnext_atto", "vit_tiny_patch16_224", "deit_tiny_patch16_224",
    "swin_tiny_patch4_window7_224", "efficientnet_b0", "mobilenetv3_small_050", "regnetx_002", "resnet18d",
    "cspdarknet53", "maxvit_tiny_rw_224", "poolformer_s12", "mixer_b16_224", "edgenext_xx_small", "rexnet_100",
    "hardcorenas_a", "lcnet_050", "mobileone_s0", "fastvit_t8", "nfnet_l0", "dpn68", "xception41",
    "inception_v4", "selecsls42b", "tresnet_m", "vovnet39a", "densenet121", "nasnetalarge",
]  # fmt: skip
#: refused with an UnsupportedLayerError, and why (docs/adapters.md lists the same)
REFUSED = {
    "efficientvit_b0": "wrap_with_autocast",
    "levit_128s": "needs (batch, channels, ...) input",
}


def _size(name: str) -> int:
    fixed = ("vit", "swin", "maxvit", "levit", "coatnet", "mixer", "deit", "efficientvit", "mobilevit",
             "fastvit", "edgenext", "poolformer")  # fmt: skip
    if name == "inception_v3":
        return 299
    return 224 if "224" in name or name.startswith(fixed) else 128


def _build(libraries: Any, source: str, name: str) -> Any:
    models = libraries.torchvision.models
    if source == "tv":
        extra = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
        return models.get_model(name, weights=None, **extra)
    if source == "seg":
        extra = {} if name.startswith("lraspp") else {"aux_loss": False}
        return models.get_model(name, weights=None, weights_backbone=None, **extra)
    if libraries.timm is None:
        pytest.skip("timm is not installed")
    return libraries.timm.create_model(name, pretrained=False)


CORPUS = (
    [("tv", n, _size(n)) for n in TORCHVISION]
    + [("seg", n, 128) for n in SEGMENTATION]
    + [("timm", n, _size(n)) for n in TIMM]
    if LONG
    else QUICK
)


@pytest.mark.parametrize(("source", "name", "size"), CORPUS, ids=[f"{s}:{n}" for s, n, _ in CORPUS])
def test_real_models_agree_with_their_forward(
    vision_libraries: Any, source: str, name: str, size: int
) -> None:
    model = _build(vision_libraries, source, name).eval()
    shape = (3, size, size)
    if name in REFUSED:
        with pytest.raises(cs.UnsupportedLayerError, match=re.escape(REFUSED[name])):
            cs.from_torch(model, shape)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unused parameters are checked in the totals
        got = converted(model, shape)
    assert got == measured(model, shape)


def test_googlenet_reports_its_auxiliary_classifiers_as_unused(vision_libraries: Any) -> None:
    model = vision_libraries.torchvision.models.googlenet(
        weights=None, aux_logits=True, init_weights=False
    ).eval()
    with pytest.warns(UserWarning, match="never used by the forward") as caught:
        spec = cs.from_torch(model, (3, 64, 64))
    assert "aux1" in str(caught[0].message)
    report = cs.trace(spec, (3, 64, 64))
    assert report.total_params == sum(p.numel() for p in model.parameters())
    unused = sum(row.params for row in report.rows if isinstance(row.layer, cs.Unused))
    assert unused == sum(p.numel() for n, p in model.named_parameters() if n.startswith(("aux1.", "aux2.")))


def test_verify_pairs_rows_by_path_and_signature_not_by_order(vision_libraries: Any) -> None:
    """A torchvision ResNet whose blocks compute the downsample first agrees with the zoo's."""
    resnet = vision_libraries.torchvision.models.resnet
    BasicBlock: Any = resnet.BasicBlock

    class DownsampleFirst(BasicBlock):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    model = resnet.ResNet(DownsampleFirst, [2, 2, 2, 2]).eval()
    assert cs.verify(cs.zoo.resnet18(), model, (3, 64, 64)).ok
    # a real difference is still found, and named
    wrong = cs.verify(cs.zoo.resnet18(num_classes=10), model, (3, 64, 64))
    assert not wrong.ok
    assert any("Linear" in str(d) for d in wrong.differences)


Conv2d: Any = nn.Conv2d


class Hooked(Conv2d):  # type: ignore[misc]
    """A convolution whose _conv_forward pads by 2 first, and a forward hook that subsamples."""

    def _conv_forward(self, x: Any, weight: Any, bias: Any) -> Any:
        return F.conv2d(F.pad(x, (2, 2, 2, 2)), weight, bias, self.stride, 0, self.dilation, self.groups)


class UpTo(Module):  # type: ignore[misc]
    """ConvTranspose2d called with output_size: the output padding follows the requested size."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1)

    def forward(self, x: Any) -> Any:
        return self.up(self.down(x), output_size=x.shape[-2:])


def test_what_runs_includes_hooks_overridden_forwards_and_output_size() -> None:
    conv = Hooked(3, 4, 3)
    conv.register_forward_hook(lambda _m, _i, out: out[:, :, ::2, ::2])
    model = nn.Sequential(conv).eval()
    assert converted(model, (3, 9, 9)) == measured(model, (3, 9, 9))
    up = UpTo().eval()
    got = converted(up, (3, 10, 10))
    assert got == measured(up, (3, 10, 10))
    assert got[0] == (3, 10, 10)  # output_padding 1, which the module's own fields do not say
