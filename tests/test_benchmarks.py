"""The benchmark script runs and prints every figure (its timings are measured, never asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def _load() -> ModuleType:
    if not SCRIPT.exists():
        pytest.skip("benchmarks/ is not in this tree (an sdist ships without it)")
    spec = importlib.util.spec_from_file_location("convshape_benchmarks", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_trace_and_scaling_benchmarks_print_their_figures(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    bench.bench_trace(1)
    bench.bench_scaling(quick=True)
    out = capsys.readouterr().out
    assert "ResNet-50 (175 rows" in out
    assert "spec traced before" in out
    assert "first trace" in out
    assert out.count("us per layer") == 4
    assert out.count("us per level") == 4
    if "torch" in sys.modules or importlib.util.find_spec("torch") is not None:
        assert "PyTorch meta-device forward" in out
        assert "target >= 300x" in out
        if importlib.util.find_spec("torchinfo") is not None:
            assert "target >= 500x" in out


def test_process_benchmarks_print_their_figures(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    bench.bench_import(1)
    bench.bench_cold(1)
    out = capsys.readouterr().out
    assert "import convshape" in out
    assert "frameworks loaded: []" in out
    assert "cold process: `convshape summary resnet50`" in out
    assert "MiB peak" in out
