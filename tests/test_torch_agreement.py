"""The per-axis arithmetic agrees with PyTorch on thousands of random configurations.

Agreement covers both the output shape and whether the configuration is refused.
Skipped when torch is not installed; CI installs the CPU build so these run.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import convshape as cs

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
F = torch.nn.functional

N_CONFIGS = 1500


def _ours(fn: Callable[..., tuple[int, ...]], *args: Any, **kwargs: Any) -> tuple[int, ...] | None:
    try:
        return fn(*args, **kwargs)
    except cs.ConvShapeError:
        return None


def _theirs(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, ...] | None:
    try:
        with torch.no_grad():
            shape = tuple(fn(*args, **kwargs).shape[2:])
    except (RuntimeError, ValueError):
        return None
    # conv_transpose2d returns an empty tensor where 1-D and 3-D raise "Output size is too
    # small"; an empty map is refused by convshape in every rank.
    return None if 0 in shape else shape


def _rand_config(rng: random.Random, ndim: int) -> dict[str, Any]:
    def per_axis(lo: int, hi: int) -> tuple[int, ...]:
        return tuple(rng.randint(lo, hi) for _ in range(ndim))

    big = 16 if ndim < 3 else 7
    return {
        "size": per_axis(1, big),
        "kernel": per_axis(1, 6),
        "stride": per_axis(1, 4),
        "padding": per_axis(0, 4),
        "dilation": per_axis(1, 3),
    }


CONV = {1: "conv1d", 2: "conv2d", 3: "conv3d"}
CONVT = {1: "conv_transpose1d", 2: "conv_transpose2d", 3: "conv_transpose3d"}
MAXP = {1: "max_pool1d", 2: "max_pool2d", 3: "max_pool3d"}
AVGP = {1: "avg_pool1d", 2: "avg_pool2d"}  # avg_pool3d adds an input >= kernel rule of its own


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_conv_matches_torch(ndim: int) -> None:
    """conv_output_shape equals F.convNd's output, and refuses exactly what it refuses."""
    rng = random.Random(1000 + ndim)
    refused = 0
    for _ in range(N_CONFIGS):
        c = _rand_config(rng, ndim)
        x = torch.zeros(1, 1, *c["size"])
        w = torch.zeros(1, 1, *c["kernel"])
        expected = _theirs(getattr(F, CONV[ndim]), x, w, None, c["stride"], c["padding"], c["dilation"])
        got = _ours(cs.conv_output_shape, c["size"], c["kernel"], c["stride"], c["padding"], c["dilation"])
        assert got == expected, c
        refused += got is None
    assert 0 < refused < N_CONFIGS  # both outcomes were exercised


@pytest.mark.parametrize("ndim", [1, 2])
def test_asymmetric_and_string_padding_matches_torch_pad_then_conv(ndim: int) -> None:
    """(before, after) pairs, 'same', 'same_lower' and 'causal' equal F.pad followed by an unpadded conv."""
    rng = random.Random(2000 + ndim)
    for _ in range(N_CONFIGS):
        c = _rand_config(rng, ndim)
        mode = rng.choice(["pairs", "same", "same_lower", "causal", "valid"])
        if mode == "pairs":
            pads = [(rng.randint(0, 4), rng.randint(0, 4)) for _ in range(ndim)]
            padding: Any = pads
        else:
            padding = mode
            pads = []
            for i, k, s, d in zip(c["size"], c["kernel"], c["stride"], c["dilation"], strict=True):
                if mode == "valid":
                    pads.append((0, 0))
                elif mode == "causal":
                    pads.append((d * (k - 1), 0))
                else:
                    pads.append(cs.same_padding(i, k, s, d, lower=mode == "same_lower"))
        flat = [p for pair in reversed(pads) for p in pair]  # F.pad lists the last axis first
        x = F.pad(torch.zeros(1, 1, *c["size"]), flat)
        w = torch.zeros(1, 1, *c["kernel"])
        expected = _theirs(getattr(F, CONV[ndim]), x, w, None, c["stride"], 0, c["dilation"])
        got = _ours(cs.conv_output_shape, c["size"], c["kernel"], c["stride"], padding, c["dilation"])
        assert got == expected, (c, padding)
        if mode in ("same", "same_lower", "causal"):
            assert got == tuple(-(-i // s) for i, s in zip(c["size"], c["stride"], strict=True))


@pytest.mark.parametrize("ndim", [1, 2])
def test_same_matches_torch_same_at_stride_one(ndim: int) -> None:
    """padding='same' at stride 1 is PyTorch's padding='same', including the split of the odd pixel."""
    rng = random.Random(3000 + ndim)
    for _ in range(300):
        c = _rand_config(rng, ndim)
        x = torch.zeros(1, 1, *c["size"])
        w = torch.zeros(1, 1, *c["kernel"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the "zero-padded copy" notice for even kernels
            expected = _theirs(getattr(F, CONV[ndim]), x, w, None, 1, "same", c["dilation"])
        got = _ours(cs.conv_output_shape, c["size"], c["kernel"], 1, "same", c["dilation"])
        assert got == expected == tuple(c["size"])
    # the odd extra pixel goes at the end, as in PyTorch (first-tap probe in SEMANTICS 1.1)
    assert [cs.same_padding(10, k, 1, d) for k, d in [(4, 1), (4, 2), (4, 3), (2, 1), (3, 1)]] == [
        (1, 2),
        (3, 3),
        (4, 5),
        (0, 1),
        (1, 1),
    ]


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_conv_transpose_matches_torch(ndim: int) -> None:
    """conv_transpose_output_shape equals F.conv_transposeNd, output_padding and refusals included."""
    rng = random.Random(4000 + ndim)
    refused = 0
    for _ in range(N_CONFIGS):
        c = _rand_config(rng, ndim)
        c["size"] = tuple(min(v, 6) for v in c["size"])
        op = tuple(rng.randint(0, 3) for _ in range(ndim))
        x = torch.zeros(1, 1, *c["size"])
        w = torch.zeros(1, 1, *c["kernel"])
        expected = _theirs(
            getattr(F, CONVT[ndim]), x, w, None, c["stride"], c["padding"], op, 1, c["dilation"]
        )
        got = _ours(
            cs.conv_transpose_output_shape,
            c["size"],
            c["kernel"],
            c["stride"],
            c["padding"],
            op,
            c["dilation"],
        )
        assert got == expected, (c, op)
        refused += got is None
    assert 0 < refused < N_CONFIGS


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool_matches_torch(ndim: int, ceil_mode: bool) -> None:
    """pool_output_shape equals F.max_poolNd: dilation, ceil mode, the padding limit and refusals."""
    rng = random.Random(5000 + ndim + 10 * ceil_mode)
    refused = 0
    for _ in range(N_CONFIGS):
        c = _rand_config(rng, ndim)
        c["padding"] = tuple(rng.randint(0, 3) for _ in range(ndim))
        x = torch.zeros(1, 1, *c["size"])
        expected = _theirs(
            getattr(F, MAXP[ndim]), x, c["kernel"], c["stride"], c["padding"], c["dilation"], ceil_mode
        )
        got = _ours(
            cs.pool_output_shape, c["size"], c["kernel"], c["stride"], c["padding"], c["dilation"], ceil_mode
        )
        assert got == expected, c
        refused += got is None
    assert 0 < refused < N_CONFIGS


@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_avg_pool_matches_torch(ndim: int, ceil_mode: bool) -> None:
    """pool_output_shape (dilation 1) equals F.avg_poolNd, stride defaulting to the window."""
    rng = random.Random(6000 + ndim + 10 * ceil_mode)
    for _ in range(N_CONFIGS):
        c = _rand_config(rng, ndim)
        stride = None if rng.random() < 0.3 else c["stride"]
        x = torch.zeros(1, 1, *c["size"])
        expected = _theirs(getattr(F, AVGP[ndim]), x, c["kernel"], stride, c["padding"], ceil_mode)
        got = _ours(cs.pool_output_shape, c["size"], c["kernel"], stride, c["padding"], 1, ceil_mode)
        assert got == expected, (c, stride)


def test_uncovered_inputs_matches_a_brute_force_gradient_probe() -> None:
    """uncovered_inputs counts exactly the inputs that receive no gradient through a conv."""
    rng = random.Random(7000)
    for _ in range(400):
        i, k, s, p, d = (
            rng.randint(1, 30),
            rng.randint(1, 5),
            rng.randint(1, 5),
            rng.randint(0, 4),
            rng.randint(1, 3),
        )
        if i + 2 * p < d * (k - 1) + 1:
            continue
        x = torch.zeros(1, 1, i, requires_grad=True)
        F.conv1d(x, torch.ones(1, 1, k), None, s, p, d).sum().backward()
        assert x.grad is not None
        expected = int((x.grad[0, 0] == 0).sum())
        assert cs.uncovered_inputs(i, k, s, p, d) == expected, (i, k, s, p, d)
