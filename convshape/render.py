"""Renderers: they only read a finished :class:`~convshape.tracing.Report`.

>>> from convshape import trace, zoo
>>> print(str(trace(zoo.seed(), (1, 83, 83))).splitlines()[0])
convshape report: input (1, 83, 83) -> output (101,)
"""

from __future__ import annotations

from convshape.layers import fmt_shape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from convshape.receptive import ReceptiveField
    from convshape.tracing import Report, Row

MAC_CONVENTION = (
    "MACs: multiply-accumulates of convolutions, transposed convolutions and linear layers, "
    "per sample, bias excluded (= torch FlopCounterMode / 2)"
)
RF_CONVENTION = "RF: receptive field size / effective stride on each spatial axis (Araujo et al. 2019)"


def _rf_text(fields: tuple[ReceptiveField | None, ...] | None) -> str:
    if not fields:
        return "-"
    sizes = "x".join("?" if f is None else str(f.size) for f in fields)
    strides = "x".join("?" if f is None else str(f.stride) for f in fields)
    return f"{sizes} /{strides}"


def _label(row: Row) -> str:
    name = f" {row.name}" if row.name else ""
    return f"{row.path}{name}"


def _num(value: int) -> str:
    return f"{value:,}" if value else "-"


def _table(report: Report) -> tuple[list[str], list[list[str]]]:
    header = ["Layer", "Kind", "Output shape", "Kernels", "Params", "MACs", "RF"]
    body = []
    for row in report.rows:
        kind = row.layer.describe()
        if row.notes:
            kind += " *"
        body.append(
            [
                _label(row),
                kind,
                fmt_shape(row.output_shape),
                _num(row.kernels),
                _num(row.params),
                _num(row.macs),
                _rf_text(row.receptive_field),
            ]
        )
    return header, body


def render_text(report: Report) -> str:
    """A plain-text table with totals and the conventions stated."""
    header, body = _table(report)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    right = {3, 4, 5}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-" * len(line(header))
    out = [
        f"convshape report: input {fmt_shape(report.input_shape)} -> output {fmt_shape(report.output_shape)}",
        rule,
        line(header),
        rule,
        *(line(r) for r in body),
        rule,
        f"Total kernels: {report.total_kernels:,}",
        f"Total params:  {report.total_params:,}",
        f"Total MACs:    {report.total_macs:,}",
        f"Receptive field: {_rf_text(report.receptive_field)}",
    ]
    notes = [f"  {_label(r)}: {n}" for r in report.rows for n in r.notes]
    if notes:
        out += ["Notes (*):", *notes]
    if report.problems:
        out += ["Problems:", *(f"  {p}" for p in report.problems)]
    out += [rule, MAC_CONVENTION, RF_CONVENTION]
    return "\n".join(out)


def render_html(report: Report) -> str:
    """An HTML view for notebooks: the SVG picture, then the table (every value escaped)."""
    from convshape.svg import render_svg

    header, body = _table(report)
    from html import escape as esc  # only the notebook view needs it

    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in body)
    totals = (
        f"<p>Total kernels: {report.total_kernels:,} &middot; params: {report.total_params:,} &middot; "
        f"MACs: {report.total_macs:,} &middot; receptive field: {esc(_rf_text(report.receptive_field))}</p>"
    )
    notes = "".join(f"<li>{esc(_label(r))}: {esc(n)}</li>" for r in report.rows for n in r.notes)
    problems = "".join(f"<li>{esc(str(p))}</li>" for p in report.problems)

    return (
        '<div class="convshape-report">'
        f"<p><b>convshape</b>: input {esc(fmt_shape(report.input_shape))} &rarr; "
        f"output {esc(fmt_shape(report.output_shape))}</p>"
        f"<div>{render_svg(report)}</div>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{totals}"
        + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "")
        + (f"<p>Problems:</p><ul>{problems}</ul>" if problems else "")
        + f"<p><small>{esc(MAC_CONVENTION)}. {esc(RF_CONVENTION)}.</small></p></div>"
    )


def render_markdown(report: Report) -> str:
    """A GitHub-flavoured Markdown table with the totals below it."""
    header, body = _table(report)

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        f"**convshape**: input `{fmt_shape(report.input_shape)}` -> output `{fmt_shape(report.output_shape)}`",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if i in (3, 4, 5) else "---" for i in range(len(header))) + "|",
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in body),
        "",
        f"Total kernels: {report.total_kernels:,}; params: {report.total_params:,}; MACs: {report.total_macs:,}; "
        f"receptive field: {_rf_text(report.receptive_field)}.",
        "",
        f"_{MAC_CONVENTION}. {RF_CONVENTION}._",
    ]
    return "\n".join(lines)


def _rf_dict(fields: tuple[ReceptiveField | None, ...] | None) -> list[dict[str, int] | None] | None:
    if fields is None:
        return None
    return [None if f is None else {"size": f.size, "stride": f.stride, "padding": f.padding} for f in fields]


def _shape_list(shape: tuple[int | None, ...] | None) -> list[int | None] | None:
    return None if shape is None else list(shape)


def report_dict(report: Report) -> dict[str, Any]:
    """JSON-ready form of a report."""
    return {
        "input_shape": _shape_list(report.input_shape),
        "output_shape": _shape_list(report.output_shape),
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "total_kernels": report.total_kernels,
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
                "receptive_field": _rf_dict(r.receptive_field),
                "uncovered": list(r.uncovered),
                "notes": list(r.notes),
            }
            for r in report.rows
        ],
        "problems": [str(p) for p in report.problems],
        "conventions": {"macs": MAC_CONVENTION, "receptive_field": RF_CONVENTION},
    }
