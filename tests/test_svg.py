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


def _png_pixels(data: bytes, channel: int = 0) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG with the standard library: (width, height, rows of one channel)."""
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
    return width, height, [bytes(r[i] for i in range(channel, len(r), channels)) for r in rows]


def _browser() -> str:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CONVSHAPE_REQUIRE_BROWSER") == "1":
            pytest.fail("CONVSHAPE_REQUIRE_BROWSER=1 but no chromium was found")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return browser


def _screenshot(svg: str, height: int, channel: int = 0) -> tuple[int, int, list[bytes]]:
    """Chromium's rendering of *svg*, one colour channel, at the picture's width."""
    browser = _browser()
    width = int(ET.fromstring(svg).get("width", "0"))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "picture.svg"
        page.write_text(svg)
        shot = Path(tmp) / "picture.png"
        subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp}/profile", f"--screenshot={shot}", f"--window-size={width},{height}",
                page.as_uri(),
            ],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert shot.exists(), "chromium wrote no screenshot"
        w, h, pixels = _png_pixels(shot.read_bytes(), channel)
    assert (w, h) == (width, height)
    return w, h, pixels


def test_svg_renders_in_headless_chromium() -> None:
    """Chromium draws the seed picture: a large input square at the left, smaller stacks to its right."""
    svg = cs.trace(zoo.seed(), (1, 83, 83)).to_svg()
    w, h, red = _screenshot(svg, 300)

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


def _texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def _skips(svg: str) -> int:
    return sum(1 for p in ET.fromstring(svg).iter(f"{SVG}path") if p.get("class") == "skip")


def test_every_convolution_of_resnet50_is_drawn() -> None:
    """53 convolutions (stem 1 + 16 blocks x 3 + 4 projections) each get a labelled stack; 16 skip arcs."""
    svg = cs.trace(zoo.resnet50(), (3, 224, 224)).to_svg()
    labels = [t for t in _texts(svg) if " conv" in t]
    assert len(labels) == 1 + 16 * 3 + 4
    assert sum("add (skip)" in t for t in _texts(svg)) == 16
    assert _skips(svg) == 16


def test_unet_skip_connections_are_drawn() -> None:
    """U-Net of depth 4: 19 convolutions (9 double convs and the head), 4 up-convolutions, 4 concat arcs."""
    build, shape = zoo.NETWORKS["unet"]
    svg = cs.trace(build(), shape).to_svg()
    texts = _texts(svg)
    assert sum(" conv" in t for t in texts) == 9 * 2 + 1
    assert sum("up-conv" in t for t in texts) == 4
    assert _skips(svg) == 4


def test_skip_arc_starts_at_the_block_input() -> None:
    """A basic block's arc runs from the stack before its first conv to the stack of its merge."""
    svg = cs.trace(
        [cs.Conv(4, 3, padding=1), cs.Residual([cs.Conv(4, 3, padding=1), cs.Conv(4, 3, padding=1)])],
        (4, 8, 8),
    ).to_svg()
    root = ET.fromstring(svg)
    (arc,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "skip"]
    numbers = [float(v) for v in (arc.get("d") or "").replace("M", " ").replace("C", " ").split()]
    start_x, end_x = numbers[0], numbers[-2]
    # stacks: input 0, conv 1, conv 2, conv 3, add 4; the block input is stack 1, the merge stack 4
    from convshape.svg import GAP

    assert end_x - start_x == pytest.approx(3 * GAP)


def test_depth_collapses_blocks_into_one_stack() -> None:
    """ResNet-18 at depth 1: input, conv1, maxpool, 8 blocks, pool, flatten, fc; no skip arcs inside."""
    svg = cs.trace(zoo.resnet18(), (3, 224, 224)).to_svg(depth=1)
    shapes = [t for t in _texts(svg) if "@" in t or t.endswith(" features")]
    assert len(shapes) == 1 + 2 + 8 + 3
    assert sum(t.startswith("Sequential ") for t in _texts(svg)) == 8  # the blocks have no names
    stages = cs.trace(zoo.resnet18(), (3, 224, 224)).to_svg(depth=0)
    assert [t for t in _texts(stages) if t.startswith("layer")] == ["layer1", "layer2", "layer3", "layer4"]
    assert _skips(svg) == 0
    with pytest.raises(cs.ConvShapeError, match="depth"):
        cs.trace(zoo.resnet18(), (3, 224, 224)).to_svg(depth=-1)


def test_skip_arcs_render_in_headless_chromium() -> None:
    """Chromium draws orange skip arcs under the ResNet-18 stacks (red high, green low)."""
    svg = cs.trace(zoo.resnet18(), (3, 224, 224)).to_svg()
    height = int(ET.fromstring(svg).get("height", "0"))
    _, _, red = _screenshot(svg, height, 0)
    _, _, green = _screenshot(svg, height, 1)
    orange = sum(
        1 for y in range(height) for r, g in zip(red[y], green[y], strict=True) if r > 150 and g < 140
    )
    assert orange > 200


def test_graph_merges_get_arcs_from_their_other_inputs() -> None:
    """The paper U-Net (a Graph): each of its 4 CropCat nodes gets one arc, from its encoder stage."""
    svg = cs.trace(zoo.unet_2015(), (1, 572, 572)).to_svg()
    texts = _texts(svg)
    assert sum("crop + concat (skip)" in t for t in texts) == 4
    assert _skips(svg) == 4
    chain = cs.trace(cs.Graph([cs.Node("a", cs.Conv(4, 3)), cs.Node("b", cs.Add(), ["a", "a"])]), (1, 8, 8))
    assert _skips(chain.to_svg()) == 0  # both inputs are the stack just before: no arc


def test_graph_nodes_named_like_modules_get_their_arcs() -> None:
    """A converted model's nodes are named after its modules (``layer1.0.conv1``): a merge's arc
    starts at its other input's stack, found by the node's whole name, not its first part."""
    dotted = cs.Graph(
        [
            cs.Node("p.c", cs.Conv(4, 3, padding=1)),
            cs.Node("p.d", cs.Conv(4, 3, padding=1), ["input"]),
            cs.Node("s", cs.Add(), ["p.c", "p.d"]),
        ]
    )
    plain = cs.Graph(
        [
            cs.Node(n.name.replace(".", "_"), n.op, [i.replace(".", "_") for i in n.inputs])
            for n in dotted.nodes
        ]
    )
    assert _skips(cs.trace(dotted, (4, 8, 8)).to_svg()) == _skips(cs.trace(plain, (4, 8, 8)).to_svg()) == 1
