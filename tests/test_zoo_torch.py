"""Every zoo network, rebuilt in PyTorch from its spec, gives convshape's numbers.

The PyTorch model is built with lazy modules, so PyTorch infers every input channel count
itself; module names follow convshape's paths (``body``, ``shortcut``, ``branches``), so
each row is compared with the module of the same name.  Parameter counts are also compared
with torchvision's published figures.  The PyTorch comparison is skipped without torch.
"""

from __future__ import annotations

from typing import Any

import pytest

import convshape as cs
from convshape import zoo


@pytest.mark.parametrize("name", sorted(zoo.NETWORKS))
def test_zoo_network_matches_pytorch(name: str, torch_tools: Any) -> None:
    """Output shape, every row's shape, total parameters and MACs equal PyTorch's for the same network."""
    build, input_shape = zoo.NETWORKS[name]
    network = build()
    report = cs.trace(network, input_shape)
    theirs = torch_tools.run_torch(network, input_shape)
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
