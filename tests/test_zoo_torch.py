"""Every zoo network, rebuilt in PyTorch from its spec, gives convshape's numbers.

The PyTorch model is built with lazy modules, so PyTorch infers every input channel count
itself; module names follow convshape's paths (``body``, ``shortcut``, ``branches``), so
each row is compared with the module of the same name.  Parameter counts are also compared
with torchvision's published figures.  Skipped without torch.
"""

from __future__ import annotations

from typing import Any

import pytest

import convshape as cs
from convshape import zoo

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
nn = torch.nn
Module: Any = torch.nn.Module

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class Add(Module):  # type: ignore[misc]
    def __init__(self, body: Any, shortcut: Any) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x: Any) -> Any:
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


class Cat(Module):  # type: ignore[misc]
    def __init__(self, branches: list[Any]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: Any) -> Any:
        return torch.cat([b(x) for b in self.branches], dim=1)


class ZeroPad(Module):  # type: ignore[misc]
    def __init__(self, flat: list[int]) -> None:
        super().__init__()
        self.flat = flat

    def forward(self, x: Any) -> Any:
        return nn.functional.pad(x, self.flat)


def to_torch(layer: cs.Layer, ndim: int) -> tuple[Any, int]:
    """A PyTorch module doing what *layer* describes, for inputs with *ndim* spatial axes."""
    d = max(ndim, 1)
    if isinstance(layer, cs.Sequential):
        mods = []
        for child in layer.layers:
            mod, ndim = to_torch(child, ndim)
            mods.append(mod)
        return nn.Sequential(*mods), ndim
    if isinstance(layer, cs.Residual):
        body, _ = to_torch(layer.body, ndim)
        short = None if layer.shortcut is None else to_torch(layer.shortcut, ndim)[0]
        return Add(body, short), ndim
    if isinstance(layer, cs.Concat):
        return Cat([to_torch(b, ndim)[0] for b in layer.branches]), ndim
    if isinstance(layer, cs.Conv):
        cls = getattr(nn, f"LazyConv{d}d")
        return cls(
            layer.out_channels, layer.kernel_size, stride=layer.stride, padding=layer.padding,
            dilation=layer.dilation, groups=layer.groups, bias=layer.bias,
        ), ndim  # fmt: skip
    if isinstance(layer, cs.ConvTranspose):
        cls = getattr(nn, f"LazyConvTranspose{d}d")
        return cls(
            layer.out_channels, layer.kernel_size, stride=layer.stride, padding=layer.padding,
            output_padding=layer.output_padding, groups=layer.groups, bias=layer.bias, dilation=layer.dilation,
        ), ndim  # fmt: skip
    if isinstance(layer, cs.MaxPool):
        return getattr(nn, f"MaxPool{d}d")(
            layer.kernel_size, layer.stride, layer.padding, layer.dilation, ceil_mode=layer.ceil_mode
        ), ndim
    if isinstance(layer, cs.AvgPool):
        return getattr(nn, f"AvgPool{d}d")(
            layer.kernel_size, layer.stride, layer.padding, layer.ceil_mode
        ), ndim
    if isinstance(layer, cs.AdaptiveAvgPool):
        return getattr(nn, f"AdaptiveAvgPool{d}d")(layer.output_size), ndim
    if isinstance(layer, cs.AdaptiveMaxPool):
        return getattr(nn, f"AdaptiveMaxPool{d}d")(layer.output_size), ndim
    if isinstance(layer, cs.Linear):
        return nn.LazyLinear(layer.out_features, bias=layer.bias), ndim
    if isinstance(layer, cs.Flatten):
        return nn.Flatten(), 0
    if isinstance(layer, cs.BatchNorm):
        return getattr(nn, f"LazyBatchNorm{d}d")(affine=layer.affine), ndim
    if isinstance(layer, cs.Activation):
        return ACTIVATIONS[layer.function](), ndim
    if isinstance(layer, cs.Dropout):
        return nn.Dropout(layer.p), ndim
    if isinstance(layer, cs.Identity):
        return nn.Identity(), ndim
    if isinstance(layer, cs.Upsample):
        return nn.Upsample(size=layer.size, scale_factor=layer.scale_factor), ndim
    if isinstance(layer, cs.Pad):
        pads = layer.padding if not isinstance(layer.padding, int) else [layer.padding] * ndim
        pairs = [(p, p) if isinstance(p, int) else tuple(p) for p in pads]
        return ZeroPad([v for pair in reversed(pairs) for v in pair]), ndim
    raise AssertionError(f"no PyTorch equivalent for {layer!r}")


def run_torch(network: cs.Layer, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """Output shape, per-module output shapes, parameters and FlopCounterMode MACs, on the meta device."""
    from torch.utils.flop_counter import FlopCounterMode

    root = network if isinstance(network, cs.Sequential) else cs.Sequential(network)
    with torch.device("meta"):
        model, _ = to_torch(root, len(input_shape) - 1)
        x = torch.zeros(1, *input_shape)
    model.eval()
    with torch.no_grad():
        model(x)  # materialise the lazy modules
    shapes: dict[str, tuple[int, ...]] = {}

    def hook(name: str) -> Any:
        def record(_module: Any, _inputs: Any, output: Any) -> None:
            shapes[name] = tuple(output.shape[1:])

        return record

    for name, module in model.named_modules():
        if name:
            module.register_forward_hook(hook(name))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = model(x)
    return {
        "output": tuple(out.shape[1:]),
        "shapes": shapes,
        "params": sum(p.numel() for p in model.parameters()),
        "macs": counter.get_total_flops() // 2,
    }


@pytest.mark.parametrize("name", sorted(zoo.NETWORKS))
def test_zoo_network_matches_pytorch(name: str) -> None:
    """Output shape, every row's shape, total parameters and MACs equal PyTorch's for the same network."""
    build, input_shape = zoo.NETWORKS[name]
    network = build()
    report = cs.trace(network, input_shape)
    theirs = run_torch(network, input_shape)
    assert report.output_shape == theirs["output"]
    assert report.total_params == theirs["params"]
    assert report.total_macs == theirs["macs"]
    for row in report.rows:
        assert row.output_shape == theirs["shapes"][row.path], row.path


# torchvision's published parameter counts and "GFLOPS" (multiply-accumulates, 224x224 input).
TORCHVISION = {
    "alexnet": (61_100_840, 0.71),
    "vgg16": (138_357_544, 15.47),
    "resnet18": (11_689_512, 1.81),
    "resnet50": (25_557_032, 4.09),
    "mobilenet_v2": (3_504_872, 0.30),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_zoo_matches_torchvision_published_figures(name: str) -> None:
    """Parameters equal torchvision's published count exactly; MACs round to its published GFLOPS."""
    build, input_shape = zoo.NETWORKS[name]
    report = cs.trace(build(), input_shape)
    params, gflops = TORCHVISION[name]
    assert report.total_params == params
    assert round(report.total_macs / 1e9, 2) == gflops
