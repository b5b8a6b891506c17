"""The SVG picture: well-formed, labelled, and rendered by a real headless browser."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

import convshape as cs
from convshape import zoo

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("name", sorted(zoo.NETWORKS))
def test_svg_is_well_formed_and_labels_every_stage(name: str) -> None:
    """Every zoo picture parses as XML and labels each shape-changing row."""
    build, shape = zoo.NETWORKS[name]
    report = cs.trace(build(), shape)
    root = ET.fromstring(report.to_svg())
    assert root.tag == f"{SVG}svg"
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert f"{report.total_params:,} params" in texts
    out = report.output_shape
    assert out is not None
    label = f"{out[0]}@{'x'.join(map(str, out[1:]))}" if len(out) > 1 else f"{out[0]} features"
    assert label in texts


def test_seed_picture_matches_the_tutorial_figure() -> None:
    """Stacks for 1@83x83, 64@75x75, 64@14x14, 256@6x6, 256@1x1, with the kernel counts above them."""
    root = ET.fromstring(cs.trace(zoo.seed(), (1, 83, 83)).to_svg())
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    for label in ("1@83x83", "64@75x75", "64@14x14", "256@6x6", "256@1x1", "101 features"):
        assert label in texts
    assert any("64 kernels" in t for t in texts)
    assert any("4,096 kernels" in t for t in texts)
    widths = {float(rect.get("width", 0)) for rect in root.iter(f"{SVG}rect")}
    assert 120.0 in widths  # the input drawn at full size
    assert 120.0 * 14 / 83 in {round(w, 1) for w in widths} or round(120.0 * 14 / 83, 1) in widths


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG with the standard library: (width, height, rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i] for i in range(0, len(r), channels)) for r in rows]  # red channel


def test_svg_renders_in_headless_chromium() -> None:
    """Chromium draws the seed picture: a large input square at the left, smaller stacks to its right."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CONVSHAPE_REQUIRE_BROWSER") == "1":
            pytest.fail("CONVSHAPE_REQUIRE_BROWSER=1 but no chromium was found")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    svg = cs.trace(zoo.seed(), (1, 83, 83)).to_svg()
    width = int(ET.fromstring(svg).get("width", "0"))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "seed.svg"
        page.write_text(svg)
        shot = Path(tmp) / "seed.png"
        subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp}/profile", f"--screenshot={shot}", f"--window-size={width},300",
                page.as_uri(),
            ],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert shot.exists(), "chromium wrote no screenshot"
        w, h, red = _png_pixels(shot.read_bytes())
    assert (w, h) == (width, 300)

    def ink(x0: int, x1: int, y0: int, y1: int) -> float:
        cells = [red[y][x] for y in range(y0, y1) for x in range(x0, x1)]
        return sum(1 for v in cells if v < 245) / len(cells)

    # the input square (fill #dde8f3, red 221) fills the first column's box around y=110..230
    assert ink(30, 140, 120, 220) > 0.9
    # the 64@14x14 stack is much smaller than the 64@75x75 one
    assert ink(300, 390, 120, 180) < 0.2
    assert ink(160, 270, 130, 220) > 0.9
    # not blank and not solid
    overall = ink(0, w, 0, h)
    assert 0.05 < overall < 0.6
