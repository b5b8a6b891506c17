"""docs/tour.ipynb runs in a real Jupyter kernel and shows the report as HTML and SVG.

Skipped when nbclient/ipykernel are not installed; CI installs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="nbformat is not installed (pip install nbclient ipykernel)"
)
nbclient = pytest.importorskip(
    "nbclient", reason="nbclient is not installed (pip install nbclient ipykernel)"
)
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install ipykernel)")

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tour.ipynb"


def test_tour_notebook_executes_and_renders_rich_output() -> None:
    """Every cell runs without error; the report cell has HTML with the table, the picture cell SVG."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    errors = [f"{out.ename}: {out.evalue}" for out in outputs if out.output_type == "error"]
    assert errors == []
    html = [out["data"]["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert any("convshape-report" in h and "4,096" in h and "<svg" in h for h in html)
    svg = [out["data"]["image/svg+xml"] for out in outputs if "image/svg+xml" in out.get("data", {})]
    assert any("256@6x6" in s for s in svg)
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "4,096 kernels of 9x9" in text
    assert "smallest accepted size 16" in text
