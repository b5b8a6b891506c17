"""from_torch: real PyTorch models (residual, concat, functional calls) trace to PyTorch's own numbers."""

from __future__ import annotations

import types
from typing import Any

import pytest

import convshape as cs
from convshape import UnsupportedLayerError, from_torch, zoo

pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):  # type: ignore[misc]
    """torchvision's ResNet BasicBlock, written out."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: Any) -> Any:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class ResNet18(nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers = []
        cin = 64
        for i, cout in enumerate((64, 128, 256, 512)):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, 1000)

    def forward(self, x: Any) -> Any:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


class TinyUNet(nn.Module):  # type: ignore[misc]
    """Skip connections with torch.cat, transposed up-convolutions, functional pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        self.enc2 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())
        self.bottom = nn.Conv2d(32, 64, 3, padding=1)
        self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.dec2 = nn.Conv2d(64, 32, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.dec1 = nn.Conv2d(32, 16, 3, padding=1)
        self.head = nn.Conv2d(16, 2, 1)

    def forward(self, x: Any) -> Any:
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = F.relu(self.bottom(F.max_pool2d(e2, 2)))
        d2 = F.relu(self.dec2(torch.cat([e2, self.up2(b)], dim=1)))
        d1 = F.relu(self.dec1(torch.cat([e1, self.up1(d2)], dim=1)))
        return self.head(d1)


class SqueezeExcite(nn.Module):  # type: ignore[misc]
    """Multiply with broadcasting, view(size(0), -1), functional adaptive pooling, interpolate, pad."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 16, 3, padding=1, groups=2)
        self.squeeze = nn.Conv2d(16, 4, 1)
        self.excite = nn.Conv2d(4, 16, 1)
        self.fc = nn.Linear(16 * 6 * 6, 5)

    def forward(self, x: Any) -> Any:
        y = self.conv(x)
        gate = torch.sigmoid(self.excite(F.relu(self.squeeze(F.adaptive_avg_pool2d(y, 1)))))
        y = y * gate
        y = F.interpolate(y, scale_factor=2)
        y = F.pad(y, (1, 1, 1, 1))
        y = F.avg_pool2d(y, 3)
        return self.fc(y.view(y.size(0), -1))


class Conv1dNet(nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv1d(2, 8, 5, stride=2, dilation=2, padding=3)
        self.b = nn.Conv1d(8, 8, 3, padding="same")
        self.pool = nn.MaxPool1d(3, ceil_mode=True)

    def forward(self, x: Any) -> Any:
        y = self.a(x)
        return self.pool(self.b(y) + y)


MODELS = {
    "resnet18": (ResNet18, (3, 224, 224)),
    "unet": (TinyUNet, (3, 64, 64)),
    "squeeze_excite": (SqueezeExcite, (8, 9, 9)),
    "conv1d_residual": (Conv1dNet, (2, 101)),
    "sequential_3d": (
        lambda: nn.Sequential(
            nn.Conv3d(1, 4, 3), nn.BatchNorm3d(4), nn.MaxPool3d(2), nn.Flatten(), nn.LazyLinear(3)
        ),
        (1, 10, 12, 14),
    ),
    "transposed_3d": (
        lambda: nn.Sequential(nn.ConvTranspose3d(2, 4, 3, stride=2, output_padding=1)),
        (2, 4, 5, 6),
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_real_models_trace_to_pytorch_numbers(name: str, torch_tools: types.SimpleNamespace) -> None:
    """Output shape, parameters, MACs and every module's output shape equal PyTorch's."""
    make, input_shape = MODELS[name]
    model = make()
    if name == "sequential_3d":
        model(torch.zeros(1, *input_shape))  # materialise the lazy Linear
    theirs = torch_tools.torch_numbers(model, input_shape)
    report = cs.trace(from_torch(model), input_shape)
    assert report.output_shape == theirs["output"]
    assert report.total_params == theirs["params"]
    assert report.total_macs == theirs["macs"]
    compared = 0
    for row in report.rows:
        if row.path in theirs["shapes"]:
            assert row.output_shape == theirs["shapes"][row.path], row.path
            compared += 1
    assert compared >= min(3, len(theirs["shapes"]))


def test_resnet_paths_are_pytorch_module_names() -> None:
    """fx-read modules keep their module paths: layer2.0.downsample.0 is a row."""
    paths = {row.path for row in cs.trace(from_torch(ResNet18()), (3, 224, 224)).rows}
    assert {"conv1", "layer2.0.downsample.0", "layer4.1.conv2", "fc"} <= paths


@pytest.mark.parametrize("name", sorted(zoo.NETWORKS))
def test_round_trip_through_pytorch_reproduces_the_zoo(name: str, torch_tools: types.SimpleNamespace) -> None:
    """A zoo network rebuilt in PyTorch and read back with from_torch traces to the same numbers."""
    build, input_shape = zoo.NETWORKS[name]
    network = build()
    model, _ = torch_tools.to_torch(network, len(input_shape) - 1)
    model(torch.zeros(1, *input_shape))  # materialise lazy modules
    ours, back = cs.trace(network, input_shape), cs.trace(from_torch(model), input_shape)
    assert (back.output_shape, back.total_params, back.total_macs) == (
        ours.output_shape,
        ours.total_params,
        ours.total_macs,
    )


def test_unsupported_modules_and_functions_are_named() -> None:
    """An unsupported module, function or control flow raises UnsupportedLayerError saying what and what works."""
    with pytest.raises(UnsupportedLayerError) as info:
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.LSTM(4, 4)))
    message = str(info.value)
    assert "LSTM" in message or "torch.fx cannot trace" in message

    class MatMul(nn.Module):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            return torch.matmul(x, x)

    with pytest.raises(
        UnsupportedLayerError, match=r"matmul is not supported by the PyTorch adapter. Supported: "
    ):
        from_torch(MatMul())

    class Branchy(nn.Module):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            return x if x.sum() > 0 else -x

    with pytest.raises(UnsupportedLayerError, match=r"torch\.fx cannot trace Branchy\.forward"):
        from_torch(Branchy())
    with pytest.raises(TypeError, match=r"from_torch needs a torch\.nn\.Module"):
        from_torch("resnet")


def test_verify_reports_each_disagreeing_layer() -> None:
    """verify() passes for the matching spec and names the layer where a wrong one differs."""
    model = nn.Sequential(nn.Conv2d(1, 64, 9), nn.MaxPool2d(10, 5), nn.Conv2d(64, 256, 9, groups=4))
    good = [cs.Conv(64, 9), cs.MaxPool(10, stride=5), cs.Conv(256, 9, groups=4)]
    assert cs.verify(good, model, (1, 83, 83)).ok
    bad = [cs.Conv(64, 9), cs.MaxPool(10, stride=5), cs.Conv(256, 9)]
    result = cs.verify(bad, model, (1, 83, 83))
    assert not result
    assert "layer 2 (Conv): spec 2 Conv(256, 9) gives (256, 6, 6) with 1,327,360 params" in str(result)
    assert "total parameters: spec 1,332,608, model 337,280" in str(result)
