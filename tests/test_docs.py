"""Examples in README.md, docs/*.md and every module's docstrings run as doctests.

The module doctests run against the imported (installed) package, so CI checks the wheel.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import convshape

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(convshape.__path__, "convshape.")
    if not name.startswith("convshape.adapters") and name != "convshape.__main__"
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


#: pages whose examples need frameworks: they run when those are installed (CI installs them)
NEEDS = {"adapters.md": ("torch", "onnx", "keras")}


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_markdown_examples_run(path: Path) -> None:
    """Every >>> example in the page gives the output it shows."""
    for module in NEEDS.get(path.name, ()):
        pytest.importorskip(module, reason=f"{path.name} needs {module}")
    result = doctest.testfile(str(path), module_relative=False, optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {path.name}"


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples_run(name: str) -> None:
    """Every >>> example in the module's docstrings gives the output it shows."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    """Each name in convshape.__all__ is documented with a >>> example."""
    objects = {name: getattr(convshape, name) for name in convshape.__all__}
    # type aliases (Layer) carry no docstring of their own; they are documented in their module
    documented = {
        name: obj
        for name, obj in objects.items()
        if isinstance(obj, type) or inspect.isfunction(obj) or inspect.ismodule(obj)
    }
    missing = [name for name, obj in documented.items() if ">>>" not in (obj.__doc__ or "")]
    assert missing == []
