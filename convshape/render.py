"""Renderers: they only read a finished :class:`~convshape.tracing.Report`.

>>> from convshape import trace, zoo
>>> print(str(trace(zoo.seed(), (1, 83, 83))).splitlines()[0])
convshape report: input (1, 83, 83) -> output (101,)
"""

from __future__ import annotations

from _collections_abc import Sequence  # what collections.abc re-exports, without its 2 ms import

from convshape._frozen import frozen
from convshape.errors import ParameterError, as_flag, as_index, grouped, show, type_name
from convshape.layers import fmt_shape
from convshape.receptive import PhasedField

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from convshape.receptive import ReceptiveField
    from convshape.tracing import Report, Row

MAC_CONVENTION = (
    "MACs: multiply-accumulates of convolutions, transposed convolutions, linear layers and matrix products, "
    "per sample, bias excluded (= torch FlopCounterMode / 2)"
)
RF_CONVENTION = "RF: receptive field size / effective stride on each spatial axis (Araujo et al. 2019)"


def _rf_text(fields: tuple[ReceptiveField | PhasedField | None, ...] | None) -> str:
    if not fields:
        return "-"
    sizes = "x".join("?" if f is None else str(f.size) for f in fields)
    strides = "x".join("?" if f is None else str(f.stride) for f in fields)
    if all(f is None or f.period == 1 for f in fields):
        return f"{sizes} /{strides}"
    # after upsampling: the largest field, a stride that may be a fraction, and the period of
    # the phases (one number when every axis has it): 204x204 /1x1 p16
    periods = {None if f is None else f.period for f in fields}
    shown = (
        str(periods.pop())
        if len(periods) == 1
        else "x".join("?" if f is None else str(f.period) for f in fields)
    )
    return f"{sizes} /{strides} p{shown}"


def _label(row: Row, path: str) -> str:
    name = f" {row.name}" if row.name else ""
    return f"{path}{name}"


def _noted(report: Report) -> list[tuple[str, str]]:
    """(row label, note) for every note of every row."""
    from convshape._paths import _display_paths

    noted = _display_paths([row for row in report.rows if row.notes])
    return [(_label(shown.row, shown.path), note) for shown in noted for note in shown.row.notes]


def _num(value: int) -> str:
    return grouped(value) if value else "-"


#: bytes per element of the dtypes :meth:`Report.memory` knows
DTYPE_BYTES = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
}

#: every column a table can show, in display order, with its header
COLUMNS = {
    "layer": "Layer",
    "kind": "Kind",
    "input_shape": "Input shape",
    "output_shape": "Output shape",
    "kernels": "Kernels",
    "params": "Params",
    "buffers": "Buffers",
    "macs": "MACs",
    "activations": "Activations",
    "rf": "RF",
}
DEFAULT_COLUMNS = ("layer", "kind", "output_shape", "kernels", "params", "macs", "rf")
_NUMBERS = frozenset({"kernels", "params", "buffers", "macs", "activations"})


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of *dtype* (``"float32"`` -> 4), or a ParameterError naming the known ones."""
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a str such as 'float32', got {type_name(dtype)} {show(dtype)}")
    size = DTYPE_BYTES.get(dtype)
    if size is None:
        known = ", ".join(sorted(DTYPE_BYTES))
        raise ParameterError(f"dtype must be one of {known}, got {show(dtype)}")
    return size


def elements(shape: tuple[int | None, ...] | None) -> int | None:
    """Number of elements of a shape, or ``None`` when any size is unknown."""
    if shape is None:
        return None
    total = 1
    for size in shape:
        if size is None:
            return None
        total *= size
    return total


@frozen
class Memory:
    """Memory estimate of a report for one batch size and dtype (see :meth:`Report.memory`).

    Byte counts follow torchinfo's summary: ``input_bytes`` is the input's elements x batch x
    dtype bytes; ``forward_backward_bytes`` is 2 (output and its gradient) x batch x dtype bytes x
    the output elements of every row that has parameters; ``params_bytes`` is parameters x dtype
    bytes; ``total_bytes`` their sum.  Buffers (BatchNorm running statistics) are reported apart
    and are not in the total, as in torchinfo.  ``activation_bytes`` is every row's output x batch
    x dtype bytes (what a forward pass writes, parameters or not).  A byte count is ``None`` when
    a shape on its path is unknown.

    >>> from convshape import Conv, trace
    >>> m = trace(Conv(8, 3), (1, 10, 10)).memory(batch_size=2)
    >>> m.params_bytes, m.input_bytes, m.forward_backward_bytes
    (320, 800, 8192)
    """

    batch_size: int
    dtype: str
    dtype_bytes: int
    params: int
    buffers: int
    input_bytes: int | None
    forward_backward_bytes: int | None
    params_bytes: int
    buffers_bytes: int
    activation_bytes: int | None

    @property
    def total_bytes(self) -> int | None:
        """Input + forward/backward pass + parameters, as torchinfo's "Estimated Total Size"."""
        if self.input_bytes is None or self.forward_backward_bytes is None:
            return None
        return self.input_bytes + self.forward_backward_bytes + self.params_bytes

    def lines(self) -> list[str]:
        """The estimate as text lines, in megabytes (1 MB = 10**6 bytes) like torchinfo."""
        return [
            f"Memory (batch {grouped(self.batch_size)}, {self.dtype}, {self.dtype_bytes} bytes per value, MB = 10^6 bytes):",
            f"  Input size (MB): {_mb(self.input_bytes)}",
            f"  Forward/backward pass size (MB): {_mb(self.forward_backward_bytes)}",
            f"  Params size (MB): {_mb(self.params_bytes)}",
            f"  Estimated Total Size (MB): {_mb(self.total_bytes)}",
            f"  Buffers size (MB, not in the total): {_mb(self.buffers_bytes)}",
        ]


def _mb(value: int | None) -> str:
    if value is None:
        return "?"
    if value >= 10**300:  # past what a float holds: megabytes as a whole number
        return grouped(value // 10**6)
    return f"{value / 1e6:0.2f}"


def memory(report: Report, batch_size: int = 1, dtype: str = "float32") -> Memory:
    """The :class:`Memory` estimate of *report* (see :meth:`Report.memory`)."""
    batch_size = as_index("batch_size", batch_size, 1)
    size = dtype_bytes(dtype)
    in_elements = elements(report.input_shape)
    fb: int | None = 0
    act: int | None = 0
    for row in report.rows:
        out = elements(row.output_shape)
        if act is not None:
            act = None if out is None else act + out
        if row.params and fb is not None:
            fb = None if out is None else fb + out
    scale = batch_size * size
    params, buffers = report.total_params, report.total_buffers
    return Memory(
        batch_size=batch_size,
        dtype=dtype,
        dtype_bytes=size,
        params=params,
        buffers=buffers,
        input_bytes=None if in_elements is None else in_elements * scale,
        forward_backward_bytes=None if fb is None else 2 * fb * scale,
        params_bytes=params * size,
        buffers_bytes=buffers * size,
        activation_bytes=None if act is None else act * scale,
    )


@frozen
class Line:
    """One displayed table line: a report row, or several rows collapsed into their ancestor."""

    path: str
    label: str
    kind: str
    input_shape: tuple[int | None, ...] | None
    output_shape: tuple[int | None, ...] | None
    kernels: int
    params: int
    buffers: int
    macs: int
    receptive_field: tuple[ReceptiveField | PhasedField | None, ...] | None
    rows: int
    notes: tuple[str, ...]


def lines(report: Report, depth: int | None = None) -> list[Line]:
    """The table's lines: one per row, or rows deeper than *depth* collapsed into their ancestor."""
    if depth is not None:
        depth = as_index("depth", depth, 0)
    from convshape._paths import _Paths, _with_folds

    out: list[Line] = []
    shown_fold = None  # the block of the last folded line
    for shown, fold in _with_folds(report, _Paths(None if depth is None else depth + 1), depth):
        row = shown.row
        if fold is None:
            out.append(
                Line(
                    shown.path,
                    _label(row, shown.path),
                    row.layer.describe() + (" *" if row.notes else ""),
                    row.input_shape,
                    row.output_shape,
                    row.kernels,
                    row.params,
                    row.buffers,
                    row.macs,
                    row.receptive_field,
                    0,
                    row.notes,
                )
            )
        elif fold is shown_fold and out[-1].rows > 0:  # one more row of the block on the last line
            last = out[-1]
            out[-1] = Line(
                last.path, last.label, last.kind, last.input_shape, row.output_shape,
                last.kernels + row.kernels, last.params + row.params, last.buffers + row.buffers,
                last.macs + row.macs, row.receptive_field, last.rows + 1, last.notes + row.notes,
            )  # fmt: skip
        else:
            shown_fold = fold
            name = getattr(fold.block, "name", None)
            out.append(
                Line(
                    fold.path,
                    fold.path + (f" {name}" if name else ""),
                    str(getattr(fold.block, "kind", "block")),
                    row.input_shape,
                    row.output_shape,
                    row.kernels,
                    row.params,
                    row.buffers,
                    row.macs,
                    row.receptive_field,
                    1,
                    row.notes,
                )
            )
    return [_finish(line) for line in out]


def _finish(line: Line) -> Line:
    if line.rows == 0:
        return line
    kind = f"{line.kind} ({line.rows} rows)" + (" *" if line.notes else "")
    return Line(
        line.path, line.label, kind, line.input_shape, line.output_shape, line.kernels, line.params,
        line.buffers, line.macs, line.receptive_field, line.rows, line.notes,
    )  # fmt: skip


def _cell(line: Line, column: str, size: int) -> str:
    if column == "layer":
        return line.label
    if column == "kind":
        return line.kind
    if column == "input_shape":
        return fmt_shape(line.input_shape)
    if column == "output_shape":
        return fmt_shape(line.output_shape)
    if column == "rf":
        return _rf_text(line.receptive_field)
    if column == "activations":
        count = elements(line.output_shape)
        return "?" if count is None else _num(count * size)
    value: int = getattr(line, column)
    return _num(value)


def _columns(columns: Sequence[str] | None) -> tuple[str, ...]:
    if columns is None:
        return DEFAULT_COLUMNS
    if (
        not isinstance(columns, Sequence)
        or isinstance(columns, str)
        or not all(isinstance(c, str) for c in columns)
    ):
        raise TypeError("columns must be a sequence of column names such as ['layer', 'params']")
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown or not columns:
        raise ParameterError(
            f"columns must be a non-empty selection of {', '.join(COLUMNS)}; got {list(columns)!r}"
        )
    return tuple(columns)


def _table(
    report: Report, depth: int | None = None, columns: Sequence[str] | None = None, dtype: str = "float32"
) -> tuple[tuple[str, ...], list[str], list[list[str]]]:
    chosen = _columns(columns)
    size = dtype_bytes(dtype)
    header = [COLUMNS[c] for c in chosen]
    body = [[_cell(line, c, size) for c in chosen] for line in lines(report, depth)]
    return chosen, header, body


def _shorten(text: str, width: int, keep_tail: bool) -> str:
    if len(text) <= width:
        return text
    if width <= 1:
        return "\u2026"[:width]
    return "\u2026" + text[-(width - 1) :] if keep_tail else text[: width - 1] + "\u2026"


def _fit(chosen: tuple[str, ...], rows: list[list[str]], width: int | None) -> list[int]:
    """Column widths; the layer and kind columns give way (down to 6 characters) to fit *width*."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(chosen))]
    if width is None:
        return widths
    excess = sum(widths) + 2 * (len(widths) - 1) - width
    # the layer column gives way first (to 24), then the kind column (to 24), then both (to 12)
    for names, floor in ((("layer",), 24), (("kind",), 24), (("layer", "kind"), 12), (("layer", "kind"), 6)):
        for i, c in enumerate(chosen):
            if c in names and excess > 0 and widths[i] > floor:
                cut = min(excess, widths[i] - floor)
                widths[i] -= cut
                excess -= cut
    return widths


def render_text(
    report: Report,
    depth: int | None = None,
    columns: Sequence[str] | None = None,
    width: int | None = None,
    memory_of: Memory | None = None,
    dtype: str = "float32",
) -> str:
    """A plain-text table with totals and the conventions stated.

    *width* bounds the table lines: the layer column keeps the end of long paths and the kind
    column its start, with an ellipsis where text was cut.  When the default columns still do
    not fit, the receptive-field and then the kernel columns are left out (a line says so);
    columns chosen by the caller are all kept.  Table lines are never wrapped; prose lines are.
    """
    if width is not None:
        width = as_index("width", width, 20)
    chosen, header, body = _table(report, depth, columns, dtype)
    widths = _fit(chosen, [header, *body], width)
    dropped: list[str] = []
    while width is not None and columns is None and sum(widths) + 2 * (len(widths) - 1) > width:
        spare = next((c for c in ("rf", "kernels") if c in chosen), None)
        if spare is None:
            break
        dropped.append(spare)
        chosen, header, body = _table(report, depth, [c for c in chosen if c != spare], dtype)
        widths = _fit(chosen, [header, *body], width)

    def line(cells: list[str]) -> str:
        out = []
        for name, c, w in zip(chosen, cells, widths, strict=True):
            c = _shorten(c, w, keep_tail=name == "layer")
            out.append(c.rjust(w) if name in _NUMBERS else c.ljust(w))
        return "  ".join(out).rstrip()

    rule = "-" * len(line(header))
    out = [
        f"convshape report: input {fmt_shape(report.input_shape)} -> output {fmt_shape(report.output_shape)}"
        + _batch(report),
        rule,
        line(header),
        rule,
        *(line(r) for r in body),
        rule,
        f"Total kernels: {grouped(report.total_kernels)}",
        f"Total params:  {grouped(report.total_params)}",
        f"Total MACs:    {grouped(report.total_macs)}",
        f"Receptive field: {_rf_text(report.receptive_field)}",
    ]
    if memory_of is not None:
        out += [
            f"Trainable params: {grouped(report.total_params)}",
            "Non-trainable params: 0",
            f"Buffers: {grouped(report.total_buffers)} ({BUFFER_CONVENTION})",
            *memory_of.lines(),
        ]
    notes = [f"  {label}: {note}" for label, note in _noted(report)]
    if notes:
        out += ["Notes (*):", *notes]
    if report.problems:
        out += ["Problems:", *(f"  {p}" for p in report.problems)]
    if dropped:
        names = " and ".join(COLUMNS[c] for c in dropped)
        out.append(f"({names} left out to fit {width} characters; columns= or --columns chooses them)")
    out += [rule, MAC_CONVENTION, RF_CONVENTION]
    table = 2 + len(body) + 2  # the header, its rules and the rows: never wrapped, nor are rules

    def prose(i: int, text: str) -> bool:
        return not 1 <= i <= table and text != rule

    if width is not None and any(len(text) > width for i, text in enumerate(out) if prose(i, text)):
        from textwrap import wrap

        out = [
            part
            for i, text in enumerate(out)
            for part in ((wrap(text, width, subsequent_indent="  ") or [""]) if prose(i, text) else [text])
        ]
    return "\n".join(out)


BUFFER_CONVENTION = "BatchNorm running mean and variance, 2 x channels, plus PyTorch's num_batches_tracked, 1"


def render_html(
    report: Report,
    depth: int | None = None,
    columns: Sequence[str] | None = None,
    picture: bool = False,
    memory_of: Memory | None = None,
    dtype: str = "float32",
) -> str:
    """An HTML view for notebooks: the table (text left, numbers right), then the picture if asked."""
    from html import escape as esc  # only the notebook view needs it

    chosen, header, body = _table(report, depth, columns, dtype)

    def align(column: str) -> str:
        side = "right" if column in _NUMBERS else "left"
        return f' style="text-align:{side};padding:0 0.5em"'

    head = "".join(f"<th{align(c)}>{esc(h)}</th>" for c, h in zip(chosen, header, strict=True))
    rows = "".join(
        "<tr>" + "".join(f"<td{align(c)}>{esc(v)}</td>" for c, v in zip(chosen, r, strict=True)) + "</tr>"
        for r in body
    )
    totals = (
        f"<p>Total kernels: {grouped(report.total_kernels)} &middot; params: {grouped(report.total_params)} &middot; "
        f"MACs: {grouped(report.total_macs)} &middot; receptive field: {esc(_rf_text(report.receptive_field))}</p>"
    )
    extra = ""
    if memory_of is not None:
        extra = "<pre>" + esc("\n".join(memory_of.lines())) + "</pre>"
        extra += f"<p>Buffers: {grouped(report.total_buffers)} ({esc(BUFFER_CONVENTION)})</p>"
    notes = "".join(f"<li>{esc(label)}: {esc(note)}</li>" for label, note in _noted(report))
    problems = "".join(f"<li>{esc(str(p))}</li>" for p in report.problems)
    drawing = ""
    if picture:
        from convshape.svg import render_svg

        drawing = f"<div>{render_svg(report, depth=depth)}</div>"
    return (
        '<div class="convshape-report">'
        f"<p><b>convshape</b>: input {esc(fmt_shape(report.input_shape))} &rarr; "
        f"output {esc(fmt_shape(report.output_shape))}{esc(_batch(report))}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{totals}{extra}"
        + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "")
        + (f"<p>Problems:</p><ul>{problems}</ul>" if problems else "")
        + f"<p><small>{esc(MAC_CONVENTION)}. {esc(RF_CONVENTION)}.</small></p>{drawing}</div>"
    )


def render_markdown(
    report: Report,
    depth: int | None = None,
    columns: Sequence[str] | None = None,
    memory_of: Memory | None = None,
    dtype: str = "float32",
) -> str:
    """A GitHub-flavoured Markdown table with the totals below it."""
    chosen, header, body = _table(report, depth, columns, dtype)

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        f"**convshape**: input `{fmt_shape(report.input_shape)}` -> output `{fmt_shape(report.output_shape)}`"
        + _batch(report),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if c in _NUMBERS else "---" for c in chosen) + "|",
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in body),
        "",
        f"Total kernels: {grouped(report.total_kernels)}; params: {grouped(report.total_params)}; MACs: {grouped(report.total_macs)}; "
        f"receptive field: {_rf_text(report.receptive_field)}.",
    ]
    if memory_of is not None:
        lines += [
            "",
            f"Buffers: {grouped(report.total_buffers)} ({BUFFER_CONVENTION}).",
            "",
            "```",
            *memory_of.lines(),
            "```",
        ]
    lines += ["", f"_{MAC_CONVENTION}. {RF_CONVENTION}._"]
    return "\n".join(lines)


def render(
    report: Report,
    format: str = "text",
    *,
    depth: int | None = None,
    columns: Sequence[str] | None = None,
    width: int | None = None,
    memory: bool = False,
    batch_size: int = 1,
    dtype: str = "float32",
    picture: bool = False,
) -> str:
    """Render *report* as ``"text"``, ``"markdown"`` or ``"html"`` (see :meth:`Report.render`)."""
    if not isinstance(format, str):
        raise TypeError(
            f"format must be 'text', 'markdown' or 'html', got {type_name(format)} {show(format)}"
        )
    memory, picture = as_flag("memory", memory), as_flag("picture", picture)
    mem = _memory(report, batch_size=batch_size, dtype=dtype) if memory else None
    if format == "text":
        if width is None:
            from shutil import get_terminal_size

            width = get_terminal_size((100, 24)).columns
        return render_text(report, depth, columns, width, mem, dtype)
    if format == "markdown":
        return render_markdown(report, depth, columns, mem, dtype)
    if format == "html":
        return render_html(report, depth, columns, picture, mem, dtype)
    raise ParameterError(f"format must be 'text', 'markdown' or 'html', got {show(format)}")


_memory = memory


def _rf_dict(
    fields: tuple[ReceptiveField | PhasedField | None, ...] | None,
) -> list[dict[str, Any] | None] | None:
    """Per axis ``{size, stride, padding}``; a phased field (after upsampling) gives its stride as
    ``"numerator/denominator"``, its period and its per-phase ``[first, last]`` input pixels."""
    if fields is None:
        return None
    out: list[dict[str, Any] | None] = []
    for f in fields:
        if f is None:
            out.append(None)
        elif isinstance(f, PhasedField):
            spans = [None if s is None else list(s) for s in f.spans]
            out.append({"size": f.size, "stride": str(f.stride), "period": f.period, "spans": spans})
        else:
            out.append({"size": f.size, "stride": f.stride, "padding": f.padding})
    return out


def _batch(report: Report) -> str:
    """The header's word on the batch: counts are per sample, whatever batch was given."""
    return "" if report.batch_size is None else f" (per sample; batch {grouped(report.batch_size)})"


def _shape_list(shape: tuple[int | None, ...] | None) -> list[int | None] | None:
    return None if shape is None else list(shape)


def report_dict(report: Report) -> dict[str, Any]:
    """JSON-ready form of a report."""
    return {
        "input_shape": _shape_list(report.input_shape),
        "batch_size": report.batch_size,
        "output_shape": _shape_list(report.output_shape),
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "total_kernels": report.total_kernels,
        "total_buffers": report.total_buffers,
        "receptive_field": _rf_dict(report.receptive_field),
        "rows": [
            {
                "path": r.path,
                "name": r.name,
                "kind": r.kind,
                "layer": r.layer.describe(),
                "input_shape": _shape_list(r.input_shape),
                "output_shape": _shape_list(r.output_shape),
                "params": r.params,
                "kernels": r.kernels,
                "macs": r.macs,
                "buffers": r.buffers,
                "receptive_field": _rf_dict(r.receptive_field),
                "uncovered": list(r.uncovered),
                "notes": list(r.notes),
            }
            for r in report.rows
        ],
        "problems": [str(p) for p in report.problems],
        "conventions": {"macs": MAC_CONVENTION, "receptive_field": RF_CONVENTION},
    }
