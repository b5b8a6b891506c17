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


def test_trace_sweep_and_scaling_benchmarks_print_their_figures(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    bench.bench_first_trace(3)
    bench.bench_sweep(3)
    bench.bench_scaling(quick=True)
    out = capsys.readouterr().out
    assert "first trace of ResNet-50 (175 rows" in out
    assert "architecture sweep: 3 distinct random CNNs" in out
    assert out.count("us per layer") == 4
    assert out.count("us per level") == 3
    if "torch" in sys.modules or importlib.util.find_spec("torch") is not None:
        assert "meta forward (eval, no_grad)" in out
        assert "target >= 300x" in out
        assert "pure-Python floor (benchmarks/floor.py" in out
        assert "target >= 100x" in out
        if importlib.util.find_spec("torchinfo") is not None:
            assert "torchinfo.summary (eval)" in out


def test_process_benchmarks_print_their_figures(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    bench.bench_import(1)
    bench.bench_cold(1)
    out = capsys.readouterr().out
    assert "import convshape" in out
    assert "import + build + first trace of ResNet-50" in out
    assert "frameworks loaded: []" in out
    assert "slow standard modules it loaded: []" in out
    assert "cold process: `convshape summary resnet50`" in out
    assert "MiB peak" in out
