"""A picture of a traced network, in pure-Python SVG: stacks of feature maps roughly to scale.

Feature maps are drawn the way the classic tutorial figures draw them: each stage a stack of
sheets (more sheets for more channels), its size proportional to its spatial size, labelled
``channels@HxW``, with the operation that produced it written above the gap before it.

>>> from convshape import trace, zoo
>>> svg = trace(zoo.seed(), (1, 83, 83)).to_svg()
>>> svg.startswith("<svg") and "4,096 kernels" in svg and "256@6x6" in svg
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from math import log2
from typing import TYPE_CHECKING

from convshape.containers import Add, Cat, Concat, CropCat, Graph, Multiply, Residual
from convshape.errors import as_index, grouped
from convshape.layers import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, Conv, ConvTranspose, Linear, MaxPool

if TYPE_CHECKING:
    from convshape.tracing import Report, Row

__all__ = ["render_svg"]

GAP = 130  # horizontal room for the operation label between stacks
PER_LINE = 10
MAX_SIDE = 120.0
MIN_SIDE = 6.0
LINE_HEIGHT = 280


@dataclass(frozen=True, slots=True)
class _Item:
    shape: tuple[int | None, ...]
    op: str
    path: str = ""
    collapsed: bool = False


_MERGE_OPS = {Residual: "add (skip)", Concat: "concat (skip)"}
#: the merge nodes of a Graph, drawn with an arc from each input that is not the stack before
_NODE_MERGE_OPS = {
    Add: "add (skip)",
    Cat: "concat (skip)",
    CropCat: "crop + concat (skip)",
    Multiply: "multiply",
}


def _shape_label(shape: tuple[int | None, ...]) -> str:
    dims = ["?" if v is None else str(v) for v in shape]
    return f"{dims[0]}@{'x'.join(dims[1:])}" if len(dims) > 1 else f"{dims[0]} features"


def _op_label(row: Row) -> str:
    layer = row.layer
    if isinstance(layer, (Conv, ConvTranspose)):
        windows = [w for w in row.windows if w is not None]
        size = "x".join(str(w.kernel) for w in windows) or "?"
        stride = {w.stride for w in windows}
        step = f" /{stride.pop()}" if len(stride) == 1 and 1 not in stride else ""
        name = "conv" if isinstance(layer, Conv) else "up-conv"
        kernels = f", {grouped(row.kernels)} kernels" if row.kernels else ""
        return f"{size} {name}{step}{kernels}"
    if isinstance(layer, (MaxPool, AvgPool)):
        windows = [w for w in row.windows if w is not None]
        size = "x".join(str(w.kernel) for w in windows) or "?"
        stride = {w.stride for w in windows}
        step = f" /{stride.pop()}" if len(stride) == 1 else ""
        return f"{size} {'max' if isinstance(layer, MaxPool) else 'avg'} pool{step}"
    if isinstance(layer, (AdaptiveAvgPool, AdaptiveMaxPool)):
        return "adaptive pool"
    if isinstance(layer, Linear):
        return f"linear, {grouped(row.params)} params"
    return layer.kind.lower()


def _drawn(row: Row, previous: tuple[int | None, ...]) -> bool:
    """Whether a row gets its own stack: every convolution, pooling and linear layer, and
    any other layer that changes the shape."""
    if row.output_shape is None:
        return False
    return isinstance(row.layer, _ALWAYS) or row.output_shape != previous


_ALWAYS = (Conv, ConvTranspose, Linear, MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool)


def _items(report: Report, depth: int | None = None) -> tuple[list[_Item], list[tuple[int, int]]]:
    """The stacks to draw, and the skip arcs as (from item, to item) index pairs."""
    if depth is not None:
        depth = as_index("depth", depth, 0)
    from convshape._paths import _Paths, _with_folds

    items = [_Item(report.input_shape, "input")]
    arcs: list[tuple[int, int]] = []
    # container -> the item flowing into it, recorded at the first row inside it and keyed by
    # its path's key, which its merge row has too.  A row's ancestors are walked up only to the
    # first one recorded (all above it were recorded with it), so a network nested thousands of
    # levels deep costs what a flat one does.
    starts: dict[int, int] = {}
    network = report.network
    wiring = {node.name: node.inputs for node in network.nodes} if isinstance(network, Graph) else {}
    node_item = {network.input: 0} if isinstance(network, Graph) else {}  # node -> its last item
    paths = _Paths(None if depth is None else depth + 1, keyed=True)
    shown_fold = None  # the block of the last folded item
    for shown, fold in _with_folds(report, paths, depth):
        row, path = shown.row, shown.path
        if wiring:
            node_item[shown.first] = len(items) - 1  # until a row of this node is drawn
        node = row[0]
        while node is not None and (key := paths.entry(node)[3]) not in starts:
            starts[key] = len(items) - 1
            node = node[0]
        shape = row.output_shape
        if fold is not None:
            last = items[-1]
            if fold is shown_fold and last.collapsed:  # one more row of the block on the last item
                if shape is not None:
                    items[-1] = _Item(shape, last.op, last.path, True)
                continue
            shown_fold = fold
            block = fold.block
            label = getattr(block, "name", None) or f"{getattr(block, 'kind', 'block')} {fold.path}"
            items.append(_Item(shape or items[-1].shape, str(label), fold.path, True))
            continue
        name = str(row[1]) if row[0] is None else None  # a root Graph's node: its row is its own
        node_merge = _NODE_MERGE_OPS.get(type(row.layer)) if name in wiring else None
        merge = _MERGE_OPS.get(type(row.layer))
        if node_merge is not None and shape is not None:
            items.append(_Item(shape, node_merge, path))
            for source in wiring[shown.first]:
                if node_item.get(source, len(items) - 2) != len(items) - 2:
                    arcs.append((node_item[source], len(items) - 1))
        elif merge is not None and shape is not None:
            items.append(_Item(shape, merge, path))
            arcs.append((starts.get(shown.key, len(items) - 2), len(items) - 1))
        elif _drawn(row, items[-1].shape):
            assert shape is not None
            items.append(_Item(shape, _op_label(row), path))
        if wiring:
            node_item[shown.first] = len(items) - 1
    return items, arcs


def _side(value: int | None, reference: int) -> float:
    if value is None:
        return MIN_SIDE * 2
    return max(MIN_SIDE, MAX_SIDE * value / reference)


def render_svg(report: Report, depth: int | None = None) -> str:
    """The SVG document for a report (see the module docstring).

    Every convolution, pooling and linear layer gets a stack, and so does any other layer that
    changes the shape; Residual and Concat merges get one too, with an arc from the stack flowing
    into the block (the skip connection).  *depth* draws each block nested deeper than *depth*
    as a single stack.
    """
    items, arcs = _items(report, depth)
    spatial = [v for it in items for v in it.shape[1:] if v is not None]
    reference = max(spatial) if spatial else 1
    lines = (len(items) + PER_LINE - 1) // PER_LINE
    width = PER_LINE * GAP + 80 if lines > 1 else len(items) * GAP + 80
    height = lines * LINE_HEIGHT + 30
    esc = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="17" font-size="13" font-weight="bold">{esc(_title(report))}</text>',
    ]
    for index, item in enumerate(items):
        line, col = divmod(index, PER_LINE)
        cx = 40 + col * GAP + GAP / 2 - 20
        base = 30 + line * LINE_HEIGHT + 200
        parts += _stack(item, cx, base, reference)
        if item.op != "input":
            first, _, second = item.op.partition(", ")
            parts.append(
                f'<text x="{cx:.1f}" y="{base - 190:.1f}" text-anchor="middle" fill="#1f4e79">{esc(first)}'
                + (f'<tspan x="{cx:.1f}" dy="13">{esc(second)}</tspan>' if second else "")
                + "</text>"
            )
        if col > 0:
            parts.append(
                f'<path d="M {cx - GAP + 64:.1f} {base + 12:.1f} L {cx - 64:.1f} {base + 12:.1f}" '
                'stroke="#1f4e79" stroke-width="1" marker-end="url(#arrow)"/>'
            )
    for lane, (a, b) in enumerate(arcs):
        parts.append(_arc(a, b, lane % 3, width - 6))
    parts.insert(
        1,
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="6" refY="3" orient="auto">'
        '<path d="M0,0 L6,3 L0,6 z" fill="#1f4e79"/></marker>'
        '<marker id="skiparrow" markerWidth="8" markerHeight="8" refX="6" refY="3" orient="auto">'
        '<path d="M0,0 L6,3 L0,6 z" fill="#c55a11"/></marker></defs>',
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _centre(index: int) -> tuple[float, float]:
    line, col = divmod(index, PER_LINE)
    return 40 + col * GAP + GAP / 2 - 20, 30 + line * LINE_HEIGHT + 200


def _arc(a: int, b: int, lane: int, right: float) -> str:
    """A dashed skip arc from below stack *a* to below stack *b*, under the shape labels.

    On one line it is a curve; across lines it runs in the gaps between lines and down the
    right margin, so it crosses no stack.
    """
    (xa, ya), (xb, yb) = _centre(a), _centre(b)
    ya, yb = ya + 22, yb + 22
    if ya == yb:
        dip = 14 + 6 * min(b - a, 5)
        d = f"M {xa:.1f} {ya:.1f} C {xa:.1f} {ya + dip:.1f} {xb:.1f} {yb + dip:.1f} {xb:.1f} {yb:.1f}"
    else:
        ga, gb, x = ya + 14 + 6 * lane, yb + 14 + 6 * lane, right - 4 * lane
        d = (
            f"M {xa:.1f} {ya:.1f} L {xa:.1f} {ga:.1f} L {x:.1f} {ga:.1f} L {x:.1f} {gb:.1f} "
            f"L {xb:.1f} {gb:.1f} L {xb:.1f} {yb:.1f}"
        )
    return (
        f'<path class="skip" d="{d}" fill="none" stroke="#c55a11" stroke-width="1.2" '
        'stroke-dasharray="4 2" marker-end="url(#skiparrow)"/>'
    )


def _title(report: Report) -> str:
    name = report.network.name or "network"
    return f"{name}: {grouped(report.total_params)} params, {grouped(report.total_macs)} MACs"


def _stack(item: _Item, cx: float, base: float, reference: int) -> list[str]:
    shape = item.shape
    channels = shape[0] or 1
    if len(shape) == 1:  # a vector: one thin bar, height by log of its length
        h = min(MAX_SIDE, 10 * log2(channels + 1))
        return [
            f'<rect x="{cx - 4:.1f}" y="{base - h:.1f}" width="8" height="{h:.1f}" fill="#dde8f3" stroke="#333"/>',
            f'<text x="{cx:.1f}" y="{base + 16:.1f}" text-anchor="middle">{html.escape(_shape_label(shape))}</text>',
        ]
    h = _side(shape[-2] if len(shape) > 2 else 1, reference) if len(shape) > 2 else 8.0
    w = _side(shape[-1], reference)
    sheets = max(1, min(8, int(log2(channels)) + 1))
    step = 4.0
    out = []
    for i in range(sheets - 1, -1, -1):
        x = cx - w / 2 + i * step
        y = base - h - i * step
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#dde8f3" stroke="#333" stroke-width="0.8"/>'
        )
    out.append(
        f'<text x="{cx:.1f}" y="{base + 16:.1f}" text-anchor="middle">{html.escape(_shape_label(shape))}</text>'
    )
    return out
