"""Packaging promises: import stays light, the API is typed, CI tests the installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import convshape

HEAVY = ["torch", "onnx", "keras", "tensorflow", "jax", "numpy"]


def test_import_loads_no_framework() -> None:
    """`import convshape` imports the standard library only (checked in a fresh interpreter)."""
    code = f"import sys, convshape; print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_package_ships_py_typed() -> None:
    """The py.typed marker is present in the package that is imported."""
    assert (Path(convshape.__file__).parent / "py.typed").is_file()


def test_runs_against_the_installed_package_when_asked() -> None:
    """With CONVSHAPE_TEST_INSTALLED=1 (set by CI) the package comes from site-packages, not the source tree."""
    if os.environ.get("CONVSHAPE_TEST_INSTALLED") != "1":
        pytest.skip("CONVSHAPE_TEST_INSTALLED is not set (CI sets it after installing the wheel)")
    assert "site-packages" in Path(convshape.__file__).resolve().parts
