"""Shared helpers: a PyTorch rebuild of any convshape spec, and PyTorch's own numbers for a module."""

from __future__ import annotations

import os
import types
from typing import Any, cast

import pytest

import convshape as cs

# Keras 3 needs a backend; the PyTorch CPU build is the one the test environment has.
os.environ.setdefault("KERAS_BACKEND", "torch")


def _build_tools() -> types.SimpleNamespace:
    import torch

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

    class StrictAdd(Add):
        """A residual addition that refuses to broadcast, as convshape's Residual does."""

        def forward(self, x: Any) -> Any:
            a, b = self.body(x), (x if self.shortcut is None else self.shortcut(x))
            if a.shape != b.shape:
                raise ValueError(f"residual shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
            return a + b

    class Cat(Module):  # type: ignore[misc]
        def __init__(self, branches: list[Any]) -> None:
            super().__init__()
            self.branches = nn.ModuleList(branches)

        def forward(self, x: Any) -> Any:
            return torch.cat([b(x) for b in self.branches], dim=1)

    class Joined(Module):  # type: ignore[misc]
        """A graph node concatenating its inputs on the channels (convshape's Cat on axis 0)."""

        def forward(self, *xs: Any) -> Any:
            return torch.cat(xs, dim=1)

    class Wired(Module):  # type: ignore[misc]
        """A convshape Graph: one submodule per node, named as the node, run in the graph's order."""

        def __init__(self, graph: cs.Graph, modules: dict[str, Any]) -> None:
            super().__init__()
            self.steps = [(node.name, node.inputs) for node in graph.nodes]
            self.input_name, self.output_name = graph.input, graph.outputs[0]
            for name, module in modules.items():
                self.add_module(name, module)

        def forward(self, x: Any) -> Any:
            values = {self.input_name: x}
            for name, inputs in self.steps:
                values[name] = getattr(self, name)(*(values[i] for i in inputs))
            return values[self.output_name]

    class ZeroPad(Module):  # type: ignore[misc]
        def __init__(self, flat: list[int]) -> None:
            super().__init__()
            self.flat = flat

        def forward(self, x: Any) -> Any:
            return nn.functional.pad(x, self.flat)

    def to_torch(layer: cs.Layer, ndim: int, strict: bool = False) -> tuple[Any, int]:
        """A PyTorch module doing what *layer* describes, for inputs with *ndim* spatial axes."""
        d = max(ndim, 1)
        if isinstance(layer, cs.Sequential):
            mods = []
            for child in layer.layers:
                mod, ndim = to_torch(child, ndim, strict)
                mods.append(mod)
            return nn.Sequential(*mods), ndim
        if isinstance(layer, cs.Graph):
            modules: dict[str, Any] = {}
            for node in layer.nodes:
                if isinstance(node.op, cs.Cat):
                    assert node.op.axis == 0, "only channel concatenation is rebuilt"
                    modules[node.name] = Joined()
                else:
                    modules[node.name] = to_torch(node.op, ndim, strict)[0]
            return Wired(layer, modules), ndim
        if isinstance(layer, cs.Residual):
            body, _ = to_torch(layer.body, ndim, strict)
            short = None if layer.shortcut is None else to_torch(layer.shortcut, ndim, strict)[0]
            return (StrictAdd if strict else Add)(body, short), ndim
        if isinstance(layer, cs.Concat):
            return Cat([to_torch(b, ndim, strict)[0] for b in layer.branches]), ndim
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
            end = layer.end_dim if layer.end_dim < 0 else layer.end_dim + 1
            return nn.Flatten(layer.start_dim + 1 if layer.start_dim >= 0 else layer.start_dim, end), 0
        if isinstance(layer, cs.BatchNorm):
            return getattr(nn, f"LazyBatchNorm{d}d")(affine=layer.affine), ndim
        if isinstance(layer, cs.Activation):
            return ACTIVATIONS[layer.function](), ndim
        if isinstance(layer, cs.Dropout):
            return nn.Dropout(layer.p), ndim
        if isinstance(layer, cs.Identity):
            return nn.Identity(), ndim
        if isinstance(layer, cs.Upsample):
            return nn.Upsample(size=cast(Any, layer.size), scale_factor=cast(Any, layer.scale_factor)), ndim
        if isinstance(layer, cs.Pad):
            pads = layer.padding if not isinstance(layer.padding, int) else [layer.padding] * ndim
            pairs = [(p, p) if isinstance(p, int) else tuple(p) for p in pads]
            return ZeroPad([v for pair in reversed(pairs) for v in pair]), ndim
        raise AssertionError(f"no PyTorch equivalent for {layer!r}")

    def run_torch(network: cs.Layer, input_shape: tuple[int, ...]) -> dict[str, Any]:
        """Output shape, per-module output shapes, parameters and FlopCounterMode MACs, on the meta device."""
        from torch.utils.flop_counter import FlopCounterMode

        root = network if isinstance(network, (cs.Sequential, cs.Graph)) else cs.Sequential(network)
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

    def torch_numbers(model: Any, input_shape: tuple[int, ...]) -> dict[str, Any]:
        """Real forward on the CPU: output shape, per-module output shapes, parameters, FlopCounterMode MACs."""
        from torch.utils.flop_counter import FlopCounterMode

        model.eval()
        shapes: dict[str, tuple[int, ...]] = {}
        handles = []
        for name, module in model.named_modules():
            if name:
                handles.append(
                    module.register_forward_hook(
                        lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:]))
                    )
                )
        x = torch.zeros(1, *input_shape)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            out = model(x)
        for h in handles:
            h.remove()
        return {
            "output": tuple(out.shape[1:]),
            "shapes": shapes,
            "params": sum(p.numel() for p in model.parameters()),
            "macs": counter.get_total_flops() // 2,
        }

    return types.SimpleNamespace(
        torch=torch, nn=nn, to_torch=to_torch, run_torch=run_torch, torch_numbers=torch_numbers, Module=Module
    )


@pytest.fixture(scope="session")
def torch_tools() -> types.SimpleNamespace:
    """torch plus helpers; skips the test when torch is not installed."""
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    return _build_tools()


def _hypothesis_profiles() -> None:
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:
        return
    quiet = [HealthCheck.too_slow, HealthCheck.filter_too_much]
    settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=quiet)
    # CONVSHAPE_LONG=1: the long run CI does. Every property draws 2,000 examples; the agreement
    # with PyTorch and the spec-loader fuzzing draw 100,000 each (see LONG_EXAMPLES below).
    settings.register_profile("long", max_examples=2_000, deadline=None, suppress_health_check=quiet)
    settings.load_profile("long" if os.environ.get("CONVSHAPE_LONG") == "1" else "default")


_hypothesis_profiles()

#: examples for the properties that must see at least 100,000 cases in the long run
LONG_EXAMPLES = 100_000 if os.environ.get("CONVSHAPE_LONG") == "1" else 60

#: examples for the hostile-input fuzzing of every entry point (tests/test_fuzz_core.py and
#: tests/test_fuzz_entry.py): each call is traced for memory, so the long run draws fewer
FUZZ_EXAMPLES = 3_000 if os.environ.get("CONVSHAPE_LONG") == "1" else 60


def pytest_configure(config: pytest.Config) -> None:
    """Let test modules import sibling test modules (the ONNX tests reuse the PyTorch models)."""
    import sys
    from pathlib import Path

    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.append(here)


@pytest.fixture(scope="session")
def vision_libraries() -> Any:
    """torchvision and timm (either may be None), importable beside the CPU build of torch.

    torchvision's wheel registers fake kernels for ``torchvision::nms`` and ``::qnms``, whose
    schemas the CPU build lacks: they are defined first (classification and segmentation models
    never call them). Skips when torch or torchvision is missing.
    """
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor")
    torchvision = pytest.importorskip("torchvision", reason="torchvision is not installed")
    # timm's attention written out (q @ k, softmax, @ v): FlopCounterMode counts 0 for the fused
    # kernel on the CPU, and the ONNX exports keep the products visible
    os.environ.setdefault("TIMM_FUSED_ATTN", "0")
    timm: Any
    try:
        import timm
    except ImportError:
        timm = None
    return types.SimpleNamespace(lib=lib, torchvision=torchvision, timm=timm)
