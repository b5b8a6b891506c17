"""Explanations: each layer's arithmetic with the numbers substituted.

>>> from convshape import Conv, explain
>>> print(explain(Conv(64, 7, stride=2, padding=3), (3, 224, 224)))
layer 0: Conv(64, 7, stride=2, padding=3)  (3, 224, 224) -> (64, 112, 112)
  rows:    (224 - 7 + 2*3) / 2 + 1 = 112.5 -> 112
  columns: (224 - 7 + 2*3) / 2 + 1 = 112.5 -> 112
  kernels: 64 output maps x 3 input maps each = 192 kernels of 7x7
  params:  192 kernels x 49 weights + 64 biases = 9,472
  MACs:    192 kernels x 49 taps x 12,544 output positions = 118,013,952
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import prod

from convshape._paths import _display_paths
from convshape.arithmetic import AxisWindow
from convshape.errors import ConvShapeError, grouped, show
from convshape.layers import Conv, ConvTranspose, EuclideanRBF, Layer, Linear, Subsample, fmt_shape
from convshape.tables import fan_in_summary
from convshape.tracing import Report, Row, trace

__all__ = ["explain", "explain_failure", "explain_report"]

_AXES = {1: ("positions",), 2: ("rows", "columns"), 3: ("depth", "rows", "columns")}
_SINGULAR = {"positions": "position", "rows": "row", "columns": "column", "depth": "depth slice"}


def _n(value: object) -> str:
    """A number in a formula: an int as it is written, or by its length when too long to print."""
    return show(value) if isinstance(value, int) else str(value)


def _axis_names(ndim: int) -> tuple[str, ...]:
    return _AXES.get(ndim, tuple(f"axis {i}" for i in range(ndim)))


def _padding_text(w: AxisWindow) -> str:
    if w.before == w.after:
        return f" + 2*{_n(w.before)}" if w.before else ""
    return f" + {_n(w.before)} + {_n(w.after)}"


def window_line(w: AxisWindow, uncovered: int | None, axis_name: str) -> str:
    """One axis of a window layer, e.g. ``(224 - 7 + 2*3) / 2 + 1 = 112.5 -> 112``.

    >>> from convshape.arithmetic import resolve_axis
    >>> window_line(resolve_axis("conv", 10, 3, 2, 0), 1, "columns")
    '(10 - 3) / 2 + 1 = 4.5 -> 4: 1 input column is never covered'
    """
    mode = f" (padding {w.mode!r} adds {_n(w.before)} before, {_n(w.after)} after)" if w.mode else ""
    if w.kind == "transpose":
        text = (
            f"({_n(w.size)} - 1) x {_n(w.stride)} - {_n(w.before)} - {_n(w.after)} + {_n(w.extent)}"
            + (f" + {_n(w.output_padding)}" if w.output_padding else "")
            + f" = {_n(w.output)}{mode}"
        )
        if w.dilation > 1:
            text += f" (kernel extent {_n(w.dilation)} x ({_n(w.kernel)} - 1) + 1 = {_n(w.extent)})"
        return text
    extent = _n(w.extent)
    exact = Fraction(w.size - w.extent + w.before + w.after, w.stride) + 1
    value = f"{float(exact):g}" if abs(exact) < 10**300 else _n(int(exact))  # past a float: its whole part
    text = f"({_n(w.size)} - {extent}{_padding_text(w)}) / {_n(w.stride)} + 1 = {value}"
    if exact.denominator != 1:
        rounded = "ceil" if w.ceil_mode and w.output > exact else ""
        text += f" -> {_n(w.output)}" + (f" ({rounded})" if rounded else "")
    elif w.output != exact:
        text += f" -> {_n(w.output)} (ceil mode drops a window that would start in the padding)"
    if w.dilation > 1:
        text += f" (kernel extent {_n(w.dilation)} x ({_n(w.kernel)} - 1) + 1 = {_n(w.extent)})"
    text += mode
    if uncovered:
        noun = axis_name if uncovered != 1 else _SINGULAR.get(axis_name, axis_name)
        text += f": {_n(uncovered)} input {noun} {'is' if uncovered == 1 else 'are'} never covered"
    return text


def _groups_lines(layer: Conv, cin: int, ksize: str) -> list[str]:
    """A grouped convolution seen as a block-diagonal connection table, as 3-D filters and as 4-D weights."""
    g, out = layer.groups, layer.out_channels
    per_in, per_out = cin // g, out // g
    blocks = ", ".join(
        f"outputs {_n(i * per_out)}-{_n((i + 1) * per_out - 1)} see inputs {_n(i * per_in)}-{_n((i + 1) * per_in - 1)}"
        for i in range(min(g, 2))
    )
    more = ", ..." if g > 2 else ""
    return [
        f"  table:   groups={_n(g)} is a block-diagonal connection table: {blocks}{more}",
        f"  filters: {_n(out)} 3-D filters of {_n(per_in)}x{ksize} (depth = the input maps each output map sees)",
        f"  weights: 4-D shape ({_n(out)}, {_n(per_in)}, {ksize.replace('x', ', ')})",
    ]


def _table_lines(layer: Conv, cin: int, kernels: int, ksize: str) -> list[str]:
    """A convolution with a connection table: its fan-ins, its 3-D filters and how its weights are stored."""
    out = layer.out_channels
    low, high, mean = fan_in_summary(layer.connection_table(cin))
    each = _n(low) if low == high else f"{_n(low)}-{_n(high)}"
    lines = [
        f"  kernels: {_n(out)} output maps x {each} input map{'' if high == 1 else 's'} each (connection table) = "
        f"{grouped(kernels)} kernels of {ksize}",
        f"  table:   fan-in min {_n(low)}, max {_n(high)}, mean {mean:g}: {grouped(kernels)} of the {_n(cin)} x {_n(out)} = "
        f"{grouped(cin * out)} possible (input, output) pairs",
    ]
    dims = ksize.replace("x", ", ")
    if low == high:
        lines += [
            f"  filters: {_n(out)} 3-D filters of {_n(low)}x{ksize} (depth = the input maps each output map is connected to)",
            f"  weights: 4-D shape ({_n(out)}, {_n(low)}, {dims}) with the table's input maps per output map",
        ]
    else:
        lines += [
            f"  filters: {_n(out)} 3-D filters of depth {_n(low)} to {_n(high)} x {ksize} "
            "(depth = the input maps each output map is connected to)",
            f"  weights: 4-D shape ({_n(out)}, {_n(cin)}, {dims}) masked by the table ({grouped(kernels)} of {grouped(cin * out)} kernels kept)",
        ]
    return lines


def _row_lines(row: Row, path: str) -> list[str]:
    layer = row.layer
    header = f"layer {path}" + (f" {row.name!r}" if row.name else "")
    lines = [f"{header}: {layer.describe()}  {fmt_shape(row.input_shape)} -> {fmt_shape(row.output_shape)}"]
    windows = row.windows
    names = _axis_names(len(windows))
    width = max((len(n) for n in names), default=0) + 1
    for i, w in enumerate(windows):
        if w is not None:
            uncovered = row.uncovered[i] if i < len(row.uncovered) else None
            lines.append(f"  {(names[i] + ':').ljust(width)} {window_line(w, uncovered, names[i])}")
    if isinstance(layer, (Conv, ConvTranspose)) and row.kernels and row.input_shape:
        cin = row.input_shape[0]
        assert cin is not None
        ksize = "x".join(_n(w.kernel) for w in windows if w is not None)
        taps = prod(w.kernel for w in windows if w is not None)
        groups = f" (groups={_n(layer.groups)})" if layer.groups > 1 else ""
        if isinstance(layer, Conv) and layer.connections is not None:
            lines += _table_lines(layer, cin, row.kernels, ksize)
            positions = row.macs // (row.kernels * taps) if row.kernels * taps else 0
            where = "output positions"
        elif isinstance(layer, Conv):
            per = cin // layer.groups
            lines.append(
                f"  kernels: {_n(layer.out_channels)} output maps x {_n(per)} input map{'' if per == 1 else 's'} each{groups} = "
                f"{grouped(row.kernels)} kernels of {ksize}"
            )
            if layer.groups > 1:
                lines += _groups_lines(layer, cin, ksize)
            positions = row.macs // (row.kernels * taps) if row.kernels * taps else 0
            where = "output positions"
        else:
            lines.append(
                f"  kernels: {_n(cin)} input maps x {_n(layer.out_channels // layer.groups)} output maps each{groups} = "
                f"{grouped(row.kernels)} kernels of {ksize}"
            )
            positions = row.macs // (row.kernels * taps) if row.kernels * taps else 0
            where = "input positions"
        bias = f" + {_n(layer.out_channels)} biases" if layer.bias else ""
        lines.append(
            f"  params:  {grouped(row.kernels)} kernels x {_n(taps)} weights{bias} = {grouped(row.params)}"
        )
        if row.macs:
            lines.append(
                f"  MACs:    {grouped(row.kernels)} kernels x {_n(taps)} taps x {grouped(positions)} {where} = {grouped(row.macs)}"
            )
    elif isinstance(layer, Linear) and row.params and row.input_shape:
        fin = row.input_shape[-1]
        bias = f" + {_n(layer.out_features)} biases" if layer.bias else ""
        lines.append(f"  params:  {_n(fin)} x {_n(layer.out_features)} weights{bias} = {grouped(row.params)}")
        if row.macs:
            lines.append(
                f"  MACs:    {_n(fin)} x {_n(layer.out_features)} x {_n(row.macs // (fin or 1) // layer.out_features)} rows = {grouped(row.macs)}"
            )
    elif isinstance(layer, Subsample) and row.params and row.input_shape and row.input_shape[0]:
        maps = row.input_shape[0]
        taps = prod(w.kernel for w in windows if w is not None)
        lines.append(f"  params:  {_n(maps)} maps x (1 coefficient + 1 bias) = {grouped(row.params)}")
        if row.macs:
            lines.append(
                f"  MACs:    {_n(maps)} maps x {_n(taps)} inputs x {grouped(row.macs // (maps * taps))} output positions = {grouped(row.macs)}"
            )
    elif isinstance(layer, EuclideanRBF) and row.params and row.input_shape:
        fin = row.input_shape[-1]
        lines.append(
            f"  params:  {_n(fin)} x {_n(layer.out_features)} fixed weights (not trained) = {grouped(row.params)}"
        )
    elif row.params:
        lines.append(f"  params:  {grouped(row.params)}")
    lines += [f"  note:    {note}" for note in row.notes]
    return lines


def explain_report(report: Report) -> str:
    """Explain every row of a report (used by :meth:`Report.explain`)."""
    lines: list[str] = []
    for shown in _display_paths(report.rows):
        lines += _row_lines(shown.row, shown.path)
    lines.append(
        f"total: {grouped(report.total_kernels)} kernels, {grouped(report.total_params)} params, {grouped(report.total_macs)} MACs"
    )
    return "\n".join(lines)


def explain_failure(err: ConvShapeError) -> str:
    """Explain a failed trace: every layer of ``err.report`` up to the failure, then the failure.

    The last paragraph names the failing layer (with the shape it received), the rule it breaks
    and the fix the error suggests.  *err* is what :func:`~convshape.trace` raised; an error
    without a partial report gives the failure paragraph only.

    >>> from convshape import Conv, ConvShapeError, trace
    >>> try:
    ...     trace([Conv(8, 3), Conv(8, 9)], (3, 8, 8))
    ... except ConvShapeError as err:
    ...     print(explain_failure(err))
    layer 0: Conv(8, 3)  (3, 8, 8) -> (8, 6, 6)
    ...
    failed at layer 1 (Conv(8, 9)), axes 0, 1, kernel_size, which receives (8, 6, 6):
      error:   ShapeError: the kernel extent 9 (dilation 1 x (9 - 1) + 1) exceeds the padded input 6 (6 + 0 + 0)
      fix:     use padding >= 2 on each side, or a kernel of at most 6
    """
    report: Report | None = getattr(err, "report", None)
    lines: list[str] = []
    if report is not None:
        for shown in _display_paths(report.rows):
            lines += _row_lines(shown.row, shown.path)
        if len(report.rows) > 1:
            lines.append(
                f"total up to the failure: {grouped(report.total_kernels)} kernels, {grouped(report.total_params)} params, "
                f"{grouped(report.total_macs)} MACs"
            )
    received = getattr(err, "input_shape", None)
    where = err.where or "the network"
    receives = f", which receives {fmt_shape(received)}" if received is not None else ""
    rule, _, fix = err.detail.partition("; ")
    lines.append(f"failed at {where}{receives}:")
    lines.append(f"  error:   {type(err).__name__}: {rule}")
    if fix:
        lines.append(f"  fix:     {fix}")
    return "\n".join(lines)


def explain(layer: Layer | Sequence[Layer], input_shape: Sequence[int]) -> str:
    """The arithmetic of a layer (or a whole network) on an input, with the numbers substituted.

    Each window layer shows its output-size formula per axis and any input rows or columns
    no window reads; convolutions show the kernel-count reasoning, parameters and MACs.
    A network that fails part-way is explained up to the failing layer, and the explanation
    ends with the failure (see :func:`explain_failure`) instead of raising.

    Raises:
        TypeError: *layer* is not a layer spec, or a value has the wrong type.
        ConvShapeError: *input_shape* itself is invalid (no layer was reached).

    >>> from convshape import Conv, MaxPool
    >>> print(explain(Conv(256, 9, groups=4), (64, 14, 14)).splitlines()[3])
      kernels: 256 output maps x 16 input maps each (groups=4) = 4,096 kernels of 9x9
    >>> print(explain([Conv(8, 3), MaxPool(8)], (3, 8, 8)).splitlines()[-3:])
    ['failed at layer 1 (MaxPool(8)), axes 0, 1, kernel_size, which receives (8, 6, 6):', \
'  error:   ShapeError: the output size (6 + 0 + 0 - 8) // 8 + 1 = 0 is below 1', \
'  fix:     use a smaller window, or an input of at least 8']
    """
    try:
        report = trace(layer, input_shape)
    except ConvShapeError as err:
        if getattr(err, "report", None) is None:
            raise
        return explain_failure(err)
    lines = explain_report(report).splitlines()
    return "\n".join(lines if len(report.rows) > 1 else lines[:-1])
