"""Trace a network description into a :class:`Report`: every shape, count and receptive field.

Data flows one way: layer specs -> :func:`trace` -> :class:`Report` -> renderers
(``str(report)``, ``report._repr_html_()``, ``report.to_dict()``).

>>> from convshape import zoo
>>> report = trace(zoo.seed(), (1, 83, 83))
>>> report.output_shape, report.total_kernels
((101,), 4160)
>>> [row.output_shape for row in report.rows][:4]
[(64, 75, 75), (64, 14, 14), (256, 6, 6), (256, 1, 1)]

How it works, top to bottom:

1. The network is walked with an explicit stack of frames, one per container being traced
   (no recursion, so any nesting depth works).  A frame hands out its children in order and
   collects what they produce; its chains of leaf layers are applied in a loop
   (:func:`_leaves`), which also walks Sequentials and Residuals nested at most
   ``INLINE_DEPTH`` deep in place, without frames of their own.
2. A leaf is applied to the value flowing in, a ``(shape, receptive fields)`` pair.  The
   commonest leaves (pass-throughs, BatchNorm, a window with explicit padding on a square 2-D
   map, global pooling, Flatten, Linear) are applied inline, from a small tuple each spec
   derived when it was built (``Layer._op``; a Sequential keeps its children's side by side).
   Any other leaf, and any case those rules do not settle, applies its own rule
   (``Layer._apply``), which words the problems.  A merge point (Residual, Concat, Graph
   merges) checks and combines the shapes and fields of its inputs.
3. Each leaf and merge point becomes a row, a plain tuple linked to the row before it (see
   :class:`_Tracer`); the report makes :class:`Row` objects when its rows are read.  What
   only display needs (the dotted path, per-axis window arithmetic, uncovered positions,
   notes) is computed when a row is read, from its layer and input shape; the views measure
   all rows' paths in one walk (:mod:`convshape._paths`).

Nothing is cached between traces and no global state is touched: a trace is a pure function
of the spec and the input, safe to run from any number of threads.
"""

from __future__ import annotations

from _collections_abc import Sequence  # what collections.abc re-exports, without its 2 ms import
from math import prod

from convshape._frozen import fill_value, pack, unpack
from convshape.arithmetic import MAX_AXES
from convshape.containers import (
    MERGES,
    Concat,
    Graph,
    Residual,
    Sequential,
    as_layer,
    concatenate,
    equal_shapes,
)
from convshape.errors import ConvShapeError, ParameterError, as_flag, as_index, grouped, show, type_name
from convshape.layers import (
    FLATTEN,
    GLOBAL,
    LINEAR,
    NORM,
    PASS,
    WINDOW,
    Layer,
    _no_spatial,
    _Window,
    fmt_shape,
)
from convshape.receptive import FieldTooFine, ReceptiveField, merge

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Union

    from convshape.arithmetic import AxisWindow
    from convshape.layers import Shape
    from convshape.receptive import Field, PhasedField
    from convshape.render import Memory

    Fields = Union[tuple[Union[ReceptiveField, PhasedField, None], ...], None]
    #: what flows along the network: a shape and its receptive fields
    Value = tuple[Union[Shape, None], Fields]
    #: a path as a linked list: (parent, segment), None at the root; joined when a row is read
    PathNode = Union[tuple[Any, Union[str, int]], None]
    Frame = Union["_ChainsFrame", "_GraphFrame"]

__all__ = ["Report", "Row", "check", "trace"]

_new = tuple.__new__


def _join(path: PathNode) -> str:
    parts: list[str] = []
    while path is not None:
        path, segment = path
        parts.append(str(segment))
    return ".".join(reversed(parts))


class Row(tuple):  # type: ignore[type-arg]
    """One line of a report: a leaf layer, or the merge point of a Residual, Concat or Graph merge.

    Attributes:
        path: 0-based dotted path like PyTorch's module names (``"4.body.0"``).
        layer: The layer spec.
        input_shape: The shape it receives (``None`` where undetermined).
        output_shape: The shape it produces.
        params: Parameters (weights, biases, BatchNorm scale and shift).
        kernels: 2-D (N-D) kernels: ``out x in / groups`` for convolutions, else 0.
        macs: Multiply-accumulates per sample, bias excluded.
        receptive_field: Per spatial axis, the field of the output relative to the network input
            (``None`` where not defined: no spatial axes, or after upsampling by a fraction; after a
            transposed convolution or whole-factor upsampling, a phased field with a fractional stride).
        uncovered: Per spatial axis, input positions no window reads (window layers only).
        windows: The resolved per-axis arithmetic (window layers only), used by explanations.
        notes: Remarks that are not errors (misaligned branches, Linear on a spatial map).

    ``path``, ``windows``, ``uncovered`` and ``notes`` are computed when read.  The tuple holds
    the path as its parent (a linked list) and last segment, then the layer, the shapes, the
    counts, the receptive field and the merge notes.

    >>> from convshape import Conv, trace
    >>> row = trace(Conv(8, 3, stride=2), (3, 10, 10)).rows[0]
    >>> row.path, row.output_shape, row.uncovered
    ('0', (8, 4, 4), (1, 1))
    """

    __slots__ = ()

    @property
    def path(self) -> str:
        """The dotted path, e.g. ``"4.body.0"``."""
        return _join((self[0], self[1])) if self[1] is not None else _join(self[0])

    @property
    def layer(self) -> Layer:
        """The layer spec."""
        layer: Layer = self[2]
        return layer

    @property
    def input_shape(self) -> Shape | None:
        """The shape the layer receives."""
        shape: Shape | None = self[3]
        return shape

    @property
    def output_shape(self) -> Shape | None:
        """The shape the layer produces."""
        shape: Shape | None = self[4]
        return shape

    @property
    def params(self) -> int:
        """Parameters of this row."""
        value: int = self[5]
        return value

    @property
    def kernels(self) -> int:
        """2-D (N-D) kernels of this row."""
        value: int = self[6]
        return value

    @property
    def macs(self) -> int:
        """Multiply-accumulates of this row, per sample, bias excluded."""
        value: int = self[7]
        return value

    @property
    def trainable_params(self) -> int:
        """Parameters that training changes (all of them except fixed ones, such as an RBF output's)."""
        value: int = self[5]
        return value if self.layer._trainable else 0

    @property
    def connections(self) -> int:
        """LeCun et al.'s "connections" per sample: every multiply-add (the MACs) plus every bias addition.

        >>> from convshape import Conv, trace
        >>> trace(Conv(6, 5), (1, 32, 32)).rows[0].connections  # 6 x 25 x 784 + 6 x 784
        122304
        """
        value: int = self[7]
        return value + self.layer._bias_adds(self[4])

    @property
    def receptive_field(self) -> Fields:
        """Per spatial axis, the receptive field of the output (``None`` where undefined)."""
        fields: Fields = self[8]
        return fields

    @property
    def windows(self) -> tuple[AxisWindow | None, ...]:
        """The per-axis window arithmetic (window layers only, else ``()``)."""
        return self.layer._windows(self.input_shape)

    @property
    def uncovered(self) -> tuple[int | None, ...]:
        """Per spatial axis, input positions no window reads (convolutions and pooling only)."""
        layer = self.layer
        return layer._uncovered(self.input_shape) if isinstance(layer, _Window) else ()

    @property
    def notes(self) -> tuple[str, ...]:
        """Remarks that are not errors."""
        merged: tuple[str, ...] = self[9]
        own = self.layer._notes(self.input_shape)
        return (*own, *merged) if own and merged else merged or own

    @property
    def kind(self) -> str:
        """The layer kind (``'Conv'``, ``'Residual'``...)."""
        return self.layer.kind

    @property
    def name(self) -> str | None:
        """The layer's name, if it was given one."""
        return self.layer.name

    @property
    def depth(self) -> int:
        """Nesting depth: the number of dotted components of the path, less one."""
        depth, path = 0, self[0]
        while path is not None:
            depth, path = depth + 1, path[0]
        return depth

    def _key(self) -> tuple[object, ...]:
        return (self.path, *self[2:])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def buffers(self) -> int:
        """Non-parameter state: a BatchNorm's running mean and variance (2 x channels) and
        PyTorch's ``num_batches_tracked`` (1); 0 for other layers.

        >>> from convshape import BatchNorm, trace
        >>> trace(BatchNorm(), (64, 8, 8)).rows[0].buffers
        129
        """
        return self.layer._buffers(self.output_shape)

    def __repr__(self) -> str:
        return (
            f"Row(path={self.path!r}, layer={self.layer.describe()}, input_shape={self.input_shape}, "
            f"output_shape={self.output_shape}, params={self.params}, kernels={self.kernels}, "
            f"macs={self.macs}, receptive_field={self.receptive_field})"
        )


class Report:
    """The result of :func:`trace`: rows, totals, the output shape and receptive field.

    ``problems`` is empty for a report returned by :func:`trace`; a partial report attached to
    an error (``err.report``) holds the rows up to the failing layer.  ``outputs`` maps each
    output's name to its shape (a :class:`~convshape.Graph` may have several; other networks
    have one, named ``"output"``).

    >>> from convshape import zoo
    >>> report = trace(zoo.seed(), (1, 83, 83))
    >>> report.total_params, report.total_macs
    (363237, 41129792)
    >>> report.receptive_field
    (ReceptiveField(size=83, stride=20, padding=0), ReceptiveField(size=83, stride=20, padding=0))
    """

    # No __slots__: a report's attributes are set at once, as its __dict__ (see _fill); those
    # left at their class defaults below are not set at all.
    network: Layer
    input_shape: Shape
    _last: tuple[Any, ...] | None
    _rows: tuple[Row, ...] | None = None  # made when the rows are first read
    output_shape: Shape | None
    receptive_field: Fields
    problems: tuple[ConvShapeError, ...] = ()
    _outputs: dict[str, Shape | None] | None = None  # None: one output, named "output"
    #: the batch size given to :func:`trace` (``None``: not given); memory estimates default to it
    batch_size: int | None = None

    def __init__(
        self,
        network: Layer,
        input_shape: Shape,
        rows: Sequence[tuple[object, ...]],
        output_shape: Shape | None,
        receptive_field: Fields,
        problems: tuple[ConvShapeError, ...] = (),
        outputs: dict[str, Shape | None] | None = None,
        batch_size: int | None = None,
    ) -> None:
        last: tuple[Any, ...] | None = None
        given: list[Row] = []
        for row in rows:
            record: tuple[Any, ...] = tuple(row)
            if len(record) == 9:  # pickled by an earlier version: the path was one (parent, segment) node
                record = (*((None, None) if record[0] is None else record[0]), *record[1:])
            last = (last, *record)
            given.append(_new(Row, record))
        _fill(self, network, input_shape, last, output_shape, receptive_field, problems, outputs, batch_size)
        # the rows as given, each holding its layer (the tracer's nodes may hold a Sequential instead)
        object.__setattr__(self, "_rows", tuple(given))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Report is read-only: cannot set {name!r}")

    @property
    def outputs(self) -> dict[str, Shape | None]:
        """Each output's shape by name (a :class:`~convshape.Graph` may have several)."""
        outputs = self._outputs
        return {"output": self.output_shape} if outputs is None else dict(outputs)

    def __reduce__(self) -> tuple[Any, ...]:
        # Flat, for reports of networks of any depth: the network and the rows' layers as one
        # program (a row's layer is the network's own object, written once), the rows' paths as
        # a table of (parent's index, segment) nodes; the rest as it is.
        rows = self.rows
        numbers: dict[int, int] = {}  # id of a path node -> its index in the table
        table: list[tuple[int, str | int]] = []
        records = []
        for row in rows:
            records.append((_number_path(row[0], numbers, table), row[1], *row[3:]))
        program = pack((self.network, tuple(row[2] for row in rows)))
        rest = tuple(getattr(self, name) for name in _REPORT_FIELDS[3:])
        return (_unpickle_report, (program, tuple(table), tuple(records), self.input_shape, rest))

    def _records(self) -> list[tuple[Any, ...]]:
        """The trace's rows as the tracer chained them, oldest first (see :class:`_Tracer`)."""
        records = []
        node = self._last
        while node is not None:
            records.append(node)
            node = node[0]
        records.reverse()
        return records

    @property
    def rows(self) -> tuple[Row, ...]:
        """One :class:`Row` per leaf layer and per merge point, in the order they were traced."""
        rows: tuple[Row, ...] | None = self._rows
        if rows is None:  # two threads may both get here: they make equal tuples
            rows = tuple([_new(Row, _row(node)) for node in self._records()])
            object.__setattr__(self, "_rows", rows)
        return rows

    @property
    def total_params(self) -> int:
        """Sum of the rows' parameters."""
        return sum(node[6] for node in self._records())

    @property
    def total_macs(self) -> int:
        """Sum of the rows' multiply-accumulates (per sample, bias excluded)."""
        return sum(node[8] for node in self._records())

    @property
    def total_kernels(self) -> int:
        """Sum of the rows' 2-D kernel counts."""
        return sum(node[7] for node in self._records())

    @property
    def total_trainable_params(self) -> int:
        """Sum of the rows' trainable parameters (fixed ones, such as an RBF output's, left out)."""
        return sum(row.trainable_params for row in self.rows)

    @property
    def total_connections(self) -> int:
        """Sum of the rows' connections (multiply-adds plus bias additions, per sample)."""
        return sum(row.connections for row in self.rows)

    def __repr__(self) -> str:
        return (
            f"<Report {fmt_shape(self.input_shape)} -> {fmt_shape(self.output_shape)}: {len(self._records())} rows, "
            f"{grouped(self.total_params)} params, {grouped(self.total_macs)} MACs"
            + (f", {len(self.problems)} problems" if self.problems else "")
            + ">"
        )

    def __str__(self) -> str:
        from convshape.render import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from convshape.render import render_html

        return render_html(self)

    def to_svg(self, *, depth: int | None = None) -> str:
        """A picture of the network as an SVG document (feature-map stacks roughly to scale).

        >>> from convshape import zoo
        >>> trace(zoo.seed(), (1, 83, 83)).to_svg().count("64@75x75")
        1
        """
        from convshape.svg import render_svg

        return render_svg(self, depth=depth)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def explain(self) -> str:
        """Every row's arithmetic with the numbers substituted (see :func:`convshape.explain`).

        >>> from convshape import zoo
        >>> print(trace(zoo.seed(), (1, 83, 83)).explain().splitlines()[12])
          kernels: 256 output maps x 16 input maps each (groups=4) = 4,096 kernels of 9x9
        """
        from convshape.explanation import explain_report

        return explain_report(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready dicts, lists, strings and ints.

        >>> from convshape import Conv, trace
        >>> trace(Conv(4, 3), (1, 5, 5)).to_dict()["rows"][0]["output_shape"]
        [4, 3, 3]
        """
        from convshape.render import report_dict

        return report_dict(self)

    @property
    def total_buffers(self) -> int:
        """Sum of the rows' buffers (BatchNorm running statistics, see :attr:`Row.buffers`)."""
        return sum(row.buffers for row in self.rows)

    def memory(self, batch_size: int | None = None, dtype: str = "float32") -> Memory:
        """Memory estimate for *batch_size* samples stored as *dtype*, in torchinfo's convention.

        *batch_size* defaults to the one given to :func:`trace`, else 1.

        >>> from convshape import Conv
        >>> m = trace(Conv(8, 3), (1, 10, 10)).memory()
        >>> m.params_bytes, m.input_bytes, m.forward_backward_bytes, m.total_bytes
        (320, 400, 4096, 4816)
        """
        from convshape.render import memory

        return memory(self, self.batch_size or 1 if batch_size is None else batch_size, dtype)

    def render(
        self,
        format: str = "text",
        *,
        depth: int | None = None,
        columns: Sequence[str] | None = None,
        width: int | None = None,
        memory: bool = False,
        batch_size: int | None = None,
        dtype: str = "float32",
        picture: bool = False,
    ) -> str:
        """The report as ``"text"``, ``"markdown"`` or ``"html"``, with the same options in each.

        Args:
            format: ``"text"``, ``"markdown"`` or ``"html"``.
            depth: Collapse rows nested deeper than *depth* into one line per ancestor (0: one line
                per top-level layer), summing kernels, params, buffers and MACs.
            columns: Column names, from ``layer, kind, input_shape, output_shape, kernels, params,
                buffers, macs, activations, rf`` (default: those of ``str(report)``).
            width: Text only: the most characters a table line takes (default: the terminal's
                width, else 100); long layer paths keep their end, long kinds their start.
            memory: Add trainable/non-trainable/buffer counts and :meth:`memory` estimates.
            batch_size: Batch size of the memory estimate (default: the one given to :func:`trace`, else 1).
            dtype: Dtype of the memory estimate and the ``activations`` column.
            picture: HTML only: add the SVG picture below the table.

        >>> from convshape import zoo
        >>> text = trace(zoo.seed(), (1, 83, 83)).render(columns=["layer", "input_shape", "params"])
        >>> print(text.splitlines()[2])  # doctest: +NORMALIZE_WHITESPACE
        Layer  Input shape   Params
        """
        from convshape.render import render

        return render(
            self, format, depth=depth, columns=columns, width=width, memory=memory,
            batch_size=self.batch_size or 1 if batch_size is None else batch_size, dtype=dtype, picture=picture,
        )  # fmt: skip

    def to_html(self, *, picture: bool = False, depth: int | None = None) -> str:
        """The notebook view: the table, then the SVG picture if *picture* is true.

        >>> from convshape import zoo
        >>> "<svg" in trace(zoo.seed(), (1, 83, 83)).to_html(picture=True)
        True
        """
        return self.render("html", depth=depth, picture=picture)


def _row(node: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row as :class:`Row` lays it out, from the tracer's node (see :class:`_Tracer`)."""
    owner = node[3]
    if isinstance(owner, Sequential):  # the chain, the layer at the path's last segment
        return (node[1], node[2], owner.layers[node[2]], *node[4:])
    return node[1:]


def _fill(
    report: Report,
    network: Layer,
    input_shape: Shape,
    last: tuple[Any, ...] | None,
    output_shape: Shape | None,
    receptive_field: Fields,
    problems: tuple[ConvShapeError, ...],
    outputs: dict[str, Shape | None] | None,
    batch_size: int | None,
) -> None:
    state = {
        "network": network,
        "input_shape": input_shape,
        "_last": last,  # the newest row, linked to the ones before (see _Tracer)
        "output_shape": output_shape,
        "receptive_field": receptive_field,
    }
    if problems:
        state["problems"] = problems
    if outputs is not None and outputs != {"output": output_shape}:
        state["_outputs"] = outputs
    if batch_size is not None:
        state["batch_size"] = batch_size
    object.__setattr__(report, "__dict__", state)


def _number_path(node: PathNode, numbers: dict[int, int], table: list[tuple[int, str | int]]) -> int:
    """The index of path *node* in *table* (-1 for none), adding it and its unnumbered parents."""
    if node is None:
        return -1
    missing = []
    walk: PathNode = node
    while walk is not None and id(walk) not in numbers:
        missing.append(walk)
        walk = walk[0]
    for item in reversed(missing):  # parents first
        parent = item[0]
        table.append((-1 if parent is None else numbers[id(parent)], item[1]))
        numbers[id(item)] = len(table) - 1
    return numbers[id(node)]


def _unpickle_report(
    program: tuple[list[object], list[object]],
    table: tuple[tuple[int, str | int], ...],
    records: tuple[tuple[Any, ...], ...],
    input_shape: Shape,
    rest: tuple[Any, ...],
) -> Report:
    """The report :meth:`Report.__reduce__` wrote."""
    network, layers = unpack(*program)
    nodes: list[PathNode] = []
    for parent, segment in table:
        nodes.append((None if parent < 0 else nodes[parent], segment))
    rows = [
        (None if record[0] < 0 else nodes[record[0]], record[1], layer, *record[2:])
        for record, layer in zip(records, layers, strict=True)
    ]
    return Report(network, input_shape, rows, *rest)


_REPORT_FIELDS = (
    "network", "input_shape", "rows", "output_shape", "receptive_field", "problems", "outputs", "batch_size",
)  # fmt: skip


def location(path: str, layer: Layer) -> str:
    """How messages name a layer: ``layer 4.body.0 'conv2' (Conv(64, 3, padding=1))``."""
    name = f" {layer.name!r}" if layer.name else ""
    return f"layer {path or '(root)'}{name} ({layer.describe()})"


def _input_shape(input_shape: object) -> tuple[int, ...]:
    if hasattr(type(input_shape), "__array__") and getattr(input_shape, "ndim", None) == 1:
        input_shape = list(input_shape)  # type: ignore[call-overload]  # a 1-D array of sizes
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(
            f"input_shape must be a sequence of ints (channels, *spatial), got {type_name(input_shape)} {show(input_shape)}"
        )
    try:
        n = len(input_shape)
    except (OverflowError, TypeError, ValueError):  # range(10**20): too long to count
        n = MAX_AXES + 2
    if n > MAX_AXES + 1:  # checked before any entry is read: range(1, 10**20) would never end
        raise ParameterError(
            f"input_shape has more than {MAX_AXES + 1:,} entries (the channels and at most "
            f"{MAX_AXES:,} spatial axes, convshape.arithmetic.MAX_AXES); give (channels, *spatial)",
            parameter="input_shape",
        )
    if not n:
        raise ParameterError("input_shape must have at least the channel axis, got ()")
    return tuple(as_index(f"input_shape[{i}]", v, 1) for i, v in enumerate(input_shape))


# ---------------------------------------------------------------------------
# Leaves and merge points: one row each.


_RESIDUAL, _CONCAT, _MERGE = 0, 1, 2
_PIXEL = ReceptiveField()  # the field of an input pixel
_WINDOWS = frozenset((WINDOW, GLOBAL))
_UNKNOWN = (None, 0, 0, 0, None)


class _Tracer:
    """Rows and problems of one trace; ``collect`` keeps going past problems (``check``).

    A row is recorded as a plain tuple laid out as :class:`Row`, behind a link to the row
    before it: ``last`` is the newest row, ``last[0]`` the one before, and so on (the report
    makes the Row objects, oldest first, when they are read; see :func:`_row`).  Linked rows
    cost one small tuple each; a growing list would be reallocated, in blocks that come from
    the system allocator once they pass 512 bytes, and a first such allocation after a
    framework freed many blocks (a PyTorch forward does) costs tens of microseconds.

    Where a Row holds its layer, a row recorded inline holds the Sequential it belongs to,
    the layer being at the row's last path segment (a Row's layer is never a Sequential):
    taking a reference to a layer writes to it (its reference count), and the tracer does not
    otherwise read the layers it applies inline (their rules are in the chain's ``_ops``), so
    a first trace does not fetch them from memory.
    """

    __slots__ = (
        "batch_size", "channels_last", "collect", "graph", "input_fields", "input_shape", "last", "network",
        "pending", "problems",
    )  # fmt: skip

    def __init__(
        self, network: Layer, input_shape: Shape, collect: bool, batch_size: int | None, channels_last: bool
    ) -> None:
        self.network = network
        self.batch_size = batch_size
        self.channels_last = channels_last
        self.input_shape = input_shape
        self.collect = collect
        self.last: tuple[Any, ...] | None = None
        self.problems: list[ConvShapeError] = []
        self.pending: list[ConvShapeError] = []  # a leaf's problems, before they are located
        ndim = len(input_shape) - 1
        self.input_fields: Fields = (_PIXEL,) * ndim if ndim else None
        self.graph: _GraphFrame | None = None  # a root Graph's frame, for its named outputs

    def leaf(self, layer: Layer, path: tuple[PathNode, str | int], value: Value) -> Value:
        """Apply a leaf by its own rule (``_apply``); :func:`_leaves` applies the common ones inline."""
        shape, fields = value
        found = self.pending
        noted: tuple[str, ...] = ()
        try:
            out, params, kernels, macs, moved = (
                _UNKNOWN if shape is None else layer._apply(shape, fields, found)
            )
        except FieldTooFine:  # an exact field too fine to keep: unknown on that axis from here on
            del found[:]
            out, params, kernels, macs, moved, noted = _moved_axis_by_axis(layer, shape, fields, found)  # type: ignore[arg-type]
        if out is not None and len(out) < 2:
            moved = None  # no spatial axis: no receptive field
        if found:  # raises here in trace(): the partial report ends before this layer
            self.found(found, path, layer, shape)
        self.last = (self.last, path[0], path[1], layer, shape, out, params, kernels, macs, moved, noted)
        return value if out is shape and moved is fields else (out, moved)

    def merge(self, code: int, layer: Layer, path: PathNode, value: Value, inputs: list[Value]) -> Value:
        found: list[ConvShapeError] = []
        shapes = [shape for shape, _ in inputs]
        incoming = [f for _, f in inputs]
        if code == _MERGE and layer._aligns:  # type: ignore[attr-defined]  # a merge that crops its inputs
            incoming = layer._align(shapes, incoming)  # type: ignore[attr-defined]
        fields, notes = merge(incoming)
        params = macs = 0
        if code == _RESIDUAL:
            shape = equal_shapes(shapes[0], shapes[1], found)
        elif code == _CONCAT:
            shape = concatenate(shapes, 0, found)
        else:
            shape, params, macs = layer._combine(shapes, found)  # type: ignore[attr-defined]
        if shape is not None and len(shape) < 2:
            fields = None
        if found:
            self.found(found, path, layer)
        assert path is not None  # a merge belongs to a container inside the root Sequential or Graph
        parent, segment = path
        noted = tuple(notes) if notes else ()
        self.last = (self.last, parent, segment, layer, value[0], shape, params, 0, macs, fields, noted)
        return shape, fields

    def found(
        self, found: list[ConvShapeError], path: PathNode, layer: Layer, received: Shape | None = None
    ) -> None:
        where = location(_join(path), layer)
        if len(self.input_shape) < 2:  # no Flatten is to blame: the input itself has no spatial axis
            found[:] = [
                _no_spatial(self.input_shape, True) if getattr(p, "no_spatial", False) else p for p in found
            ]
        path_text = _join(path)
        located = [problem.located(where, path=path_text, layer=layer) for problem in _one_per_rule(found)]
        for problem in located:
            fill_value(layer, problem)
        given = self.input_shape
        if len(given) >= 2 and (received == given or received is None or len(received) == len(given)):
            last = self.channels_last
            located = [_with_convention(problem, given, received, last) for problem in located]
        found.clear()
        if not self.collect:
            err = located[0]
            err.report = self.report(None, partial=True)  # type: ignore[attr-defined]
            err.input_shape = received  # type: ignore[attr-defined]  # what the failing leaf received
            raise err
        self.problems.extend(located)

    def report(self, output: Shape | None, partial: bool = False) -> Report:
        outputs = None  # one output, named "output"
        if self.graph is not None:  # a partial report has not reached every output yet
            env = self.graph.env
            outputs = {name: env[name][0] if name in env else None for name in self.graph.node.outputs}
        fields = self.input_fields  # the network's field: the last row's with spatial axes
        node = self.last
        while node is not None:
            out: Shape | None = node[5]
            if out is not None and len(out) >= 2:
                fields = node[9]
                break
            node = node[0]
        report = Report.__new__(Report)
        _fill(
            report, self.network, self.input_shape, self.last, output, fields,
            tuple(self.problems) if self.problems else (), outputs, self.batch_size,
        )  # fmt: skip
        return report


def _moved_axis_by_axis(
    layer: Layer, shape: Shape, fields: tuple[Field | None, ...], found: list[ConvShapeError]
) -> tuple[Any, ...]:
    """*layer*'s result when moving *fields* raised FieldTooFine: each axis's field moved alone,
    unknown where it is too fine, with the reasons as notes (one if every axis has the same)."""
    kept: list[Field | None] = []
    reasons: list[tuple[int, str]] = []
    for axis in range(len(fields)):
        alone = tuple(field if i == axis else None for i, field in enumerate(fields))
        try:
            moved = layer._apply(shape, alone, [])[4]
        except FieldTooFine as err:
            reasons.append((axis, str(err)))
            kept.append(None)
            continue
        kept.append(moved[axis] if moved is not None and len(moved) == len(fields) else None)
    out, params, kernels, macs, _ = layer._apply(shape, None, found)
    if out is None or len(out) - 1 != len(fields):
        kept = [None] * (0 if out is None else len(out) - 1)
    texts = {text for _, text in reasons}
    if len(reasons) == len(fields) and len(texts) == 1:
        notes: tuple[str, ...] = (reasons[0][1],)
    else:
        notes = tuple(f"axis {axis}: {text}" for axis, text in reasons)
    return out, params, kernels, macs, None if out is None else tuple(kept), notes


def _with_convention(
    problem: ConvShapeError, given: Shape, received: Shape | None, channels_last: bool
) -> ConvShapeError:
    """*problem*, with a word on the input shape when it looks batch-first or channels-last.

    Strong evidence (the layer's ``in_channels`` found elsewhere in the shape, a batch of 1 before
    a network of fixed rank) replaces the layer's own fix; weaker evidence (a first layer's window
    failing on a tiny first or last axis) adds a conditional word and keeps the layer's fix.
    """
    typed = (*given[1:], given[0]) if channels_last else given  # the shape as the caller wrote it
    n = len(typed)
    sizes = [v or 0 for v in typed]
    rank = getattr(problem, "layer_rank", None)
    axis = problem.axis
    axes = axis if isinstance(axis, tuple) else () if axis is None else (axis,)
    # (strong, what the shape looks like, the shape to pass, the batch it had, keeps channels_last)
    found: tuple[bool, str, Shape, int | None, bool] | None = None
    if rank is not None:  # a layer made for fewer spatial axes, and nothing changed the rank before it
        if n >= 3 and rank == n - 2:
            found = (sizes[0] == 1, "starts with a batch axis", typed[1:], sizes[0], channels_last)
    elif received != given:
        return problem
    elif problem.parameter == "in_channels" and isinstance(problem.value, int):
        c = problem.value
        if channels_last:
            if sizes[0] == c:
                found = (True, "is channels-first (channels_last=True was given)", typed, None, False)
        elif sizes[-1] == c and n >= 4 and sizes[0] == 1:
            found = (True, "starts with a batch axis and is channels-last", (c, *typed[1:-1]), 1, False)
        elif sizes[-1] == c:
            found = (True, "is channels-last", (c, *typed[:-1]), None, False)
        elif n >= 4 and sizes[1] == c:
            found = (True, "starts with a batch axis", typed[1:], sizes[0], False)
    elif problem.parameter == "kernel_size" and not channels_last and n >= 3:
        if axes == (n - 2,) and sizes[-1] <= 4:
            if min(sizes[:-1]) >= 8:
                found = (False, "is channels-last", (typed[-1], *typed[:-1]), None, False)
            elif n >= 4 and sizes[0] == 1 and min(sizes[1:-1]) >= 8:
                shape = (typed[-1], *typed[1:-1])
                found = (False, "starts with a batch axis and is channels-last", shape, 1, False)
        elif axes == (0,) and n >= 4 and sizes[1] <= 4 and min(sizes[2:]) >= 8:
            found = (False, "starts with a batch axis", typed[1:], sizes[0], False)
    if found is None:
        return problem
    strong, what, shape, batch, keep_last = found
    if what.startswith("is channels-first"):
        fix = f"drop channels_last=True (--channels-last): {fmt_shape(typed)} is already (channels, *spatial)"
    else:
        notes = ["with channels_last=True"] if keep_last else []
        if batch is not None:
            notes.append(f"shapes are one sample's; batch_size={batch} records the batch")
        fix = f"pass {fmt_shape(shape)}" + (f" ({'; '.join(notes)})" if notes else "")
        if what == "is channels-last":
            fix += ", or keep it and give channels_last=True (--channels-last)"
    detail, hint = problem.detail, problem.hint
    if strong:
        if hint and detail.endswith("; " + hint):  # the layer's own fix no longer applies
            detail = detail[: -len(hint) - 2]
        detail, hint = f"{detail}; the input {fmt_shape(typed)} looks like it {what}; {fix}", fix
    else:
        detail = f"{detail}; if the input {fmt_shape(typed)} {what}, {fix}"
    err = type(problem).__new__(type(problem))
    err.__dict__.update(problem.__dict__)
    ConvShapeError.__init__(err, detail, where=problem.where)
    err.__dict__.update({k: v for k, v in problem.__dict__.items() if k not in ("detail", "hint")})
    err.hint = hint
    return err


def _one_per_rule(found: list[ConvShapeError]) -> list[ConvShapeError]:
    """A rule broken on several axes is one problem naming the axes.

    When the axes break it the same way the message is said once; when their numbers differ,
    each axis's account follows the other, and the hint holds each axis's fix.
    """
    merged: list[ConvShapeError] = []
    groups: dict[tuple[type[ConvShapeError], str], tuple[int, list[tuple[int, ConvShapeError]]]] = {}
    for problem in found:
        head, _, rest = problem.where.partition(", ")
        if head.startswith("axis ") and head[5:].isdigit():
            key = (type(problem), rest)
            if key in groups:
                groups[key][1].append((int(head[5:]), problem))
                continue
            groups[key] = (len(merged), [(int(head[5:]), problem)])
        merged.append(problem)
    for (kind, rest), (index, members) in groups.items():
        if len(members) == 1:
            continue
        numbers = tuple(axis for axis, _ in members)
        first = members[0][1]
        details = dict.fromkeys(p.detail for _, p in members)
        if len(details) == 1:
            detail, hint = first.detail, first.hint
        else:
            detail = "; ".join(f"on axis {axis}, {p.detail}" for axis, p in members)
            hints = [(axis, p.hint) for axis, p in members if p.hint]
            hint = "; ".join(f"on axis {axis}, {h}" for axis, h in hints) or None
        where = f"axes {', '.join(map(str, numbers))}" + (f", {rest}" if rest else "")
        err = kind.__new__(kind)
        err.__dict__.update(first.__dict__)
        ConvShapeError.__init__(err, detail, where=where, parameter=first.parameter, hint=hint)
        values = tuple(p.value for _, p in members)
        err.value = first.value if len(set(map(repr, values))) == 1 else values
        err.axis = numbers
        merged[index] = err
    return merged


# ---------------------------------------------------------------------------
# Containers: one frame each while their children are traced.
#
# ``resume(tracer, result)`` receives what the child it handed out last produced (None at the
# start), and returns the next child container to trace as (container, path, value), or None
# when the frame is done; its output is then in ``value``.
#
# Sequential, Residual and Concat share one frame: each is a list of chains of layers, every
# chain starting from the container's input (a Sequential has one chain, a Residual its body
# and shortcut, a Concat its branches), and a merge of the chains' outputs.

_NO_CHAIN = Sequential()


def _leaves(
    tracer: _Tracer, chain: Sequential, prefix: PathNode, start: int, shape: Shape | None, fields: Fields
) -> tuple[int, Shape | None, Fields]:
    """Apply ``chain.layers[start:]`` to the value *shape*, *fields* until a container:
    ``(its index, the value there)``, or ``(len(layers), the output)``.

    The common leaves are applied here, from the rule each derived when it was built
    (``chain._ops``, see ``layers.PASS``): a pass-through, a BatchNorm, a window with explicit
    padding on a square 2-D map with a square receptive field, global pooling, Flatten and
    Linear; and a shallow Residual's merge of equal shapes and aligned square fields.
    Everything else, and every case a rule does not settle (an unknown size, a problem to
    report), is the layer's own ``_apply`` through :meth:`_Tracer.leaf`, which has the
    messages.  Sequentials and Residuals
    at most ``INLINE_DEPTH`` deep (``Layer._flat``) are walked here too, by recursion; deeper
    ones, and other containers, get a frame.
    """
    ops = chain._ops
    last = tracer.last  # the newest row, kept here while rows are added inline
    result: Shape
    for position in range(start, len(ops)):
        op = ops[position]
        if op is not None and shape is not None:
            code = op[0]
            if code == PASS:
                last = (last, prefix, position, chain, shape, shape, 0, 0, 0, fields, ())
                continue
            channels = shape[0]
            if code == NORM and channels is not None:
                params = channels * op[1]
                last = (last, prefix, position, chain, shape, shape, params, 0, 0, fields, ())
                continue
            if code in _WINDOWS and len(shape) == 3 and fields is not None:
                _, height, width = shape
                if code == WINDOW:
                    _, extent, stride, before, after, moves, out_channels, groups, in_channels, area, bias = (
                        op
                    )
                else:  # a window as large as the map
                    extent = stride = height
                    before = after = 0
                    moves, out_channels = height != 1, None
                out = (height + before + after - extent) // stride + 1 if height == width and height else 0
                if out_channels is None:  # pooling keeps the channels
                    params = kernels = macs = 0
                    result = (channels, out, out)
                else:
                    if (
                        channels is None
                        or channels % groups
                        or (in_channels is not None and in_channels != channels)
                    ):
                        out = 0  # a problem: the layer's own rule words it
                    else:  # (no arithmetic that leaves a value as it is: a result above 256 is a new int)
                        kernels = out_channels * (channels if groups == 1 else channels // groups)
                        weights = kernels if area == 1 else kernels * area
                        params = weights + bias if bias else weights
                        macs = weights * (out * out)
                    result = (out_channels, out, out)
                field = fields[0]
                if (
                    out >= 1
                    and field.__class__ is ReceptiveField
                    and (fields[1] is field or fields[1] == field)
                ):
                    if moves:
                        seen, jump, padding = field
                        field = _new(
                            ReceptiveField,
                            (seen + (extent - 1) * jump, jump * stride, padding + before * jump),
                        )
                        fields = (field, field)
                    last = (last, prefix, position, chain, shape, result, params, kernels, macs, fields, ())
                    shape = result
                    continue
            elif code == FLATTEN and None not in shape:
                result = (prod(shape),)  # type: ignore[arg-type]
                last = (last, prefix, position, chain, shape, result, 0, 0, 0, None, ())
                shape, fields = result, None
                continue
            elif code == LINEAR and len(shape) == 1 and channels is not None and op[2] in (None, channels):
                weights = channels * op[1]
                params, result = weights + op[3], (op[1],)
                last = (last, prefix, position, chain, shape, result, params, 0, weights, None, ())
                shape, fields = result, None
                continue
        layer = chain.layers[position]
        tracer.last = last
        if not layer._flat:  # a leaf, or a container with a frame of its own
            if layer._container:
                return position, shape, fields
            shape, fields = tracer.leaf(layer, (prefix, position), (shape, fields))
        elif layer.__class__ is Residual:  # a shallow block: walked in place, without a frame
            path = (prefix, position)
            _, merged, body = _leaves(tracer, layer.body, (path, "body"), 0, shape, fields)
            if layer.shortcut is None:
                short_shape, short = shape, fields
            else:
                _, short_shape, short = _leaves(tracer, layer.shortcut, (path, "shortcut"), 0, shape, fields)
            # The common merge: equal shapes, and square fields (one field object on both axes of
            # a 2-D map, as the rules here make them) with the same stride and centre, so no note;
            # the larger field is kept (the body's when they are the same size).
            pair: Fields = None
            if merged == short_shape and merged is not None and len(merged) == 3 and None not in merged:
                if body is short:
                    pair = body
                elif body is not None and short is not None:
                    first, second = body[0], short[0]
                    if (
                        body[1] is first and short[1] is second
                        and first.__class__ is ReceptiveField and second.__class__ is ReceptiveField
                    ):  # fmt: skip
                        size, jump, padding = first
                        other_size, other_jump, other_padding = second
                        if jump == other_jump and size - 2 * padding == other_size - 2 * other_padding:
                            pair = short if other_size > size else body
            if pair is None:  # the general merge, which words the problems and notes
                inputs = [(merged, body), (short_shape, short)]
                shape, fields = tracer.merge(_RESIDUAL, layer, path, (shape, fields), inputs)
            else:  # the common case: equal shapes, fields merged without a note
                tracer.last = (tracer.last, prefix, position, layer, shape, merged, 0, 0, 0, pair, ())
                shape, fields = merged, pair
        else:  # a shallow Sequential
            _, shape, fields = _leaves(tracer, layer, (prefix, position), 0, shape, fields)  # type: ignore[arg-type]
        last = tracer.last
    tracer.last = last
    return len(ops), shape, fields


class _ChainsFrame:
    __slots__ = ("chain", "chains", "code", "input", "node", "outputs", "path", "position", "value")

    def __init__(self, node: Layer, path: PathNode, value: Value) -> None:
        self.node, self.path, self.input, self.value = node, path, value, value
        self.chain = self.position = 0
        self.outputs: list[Value] = []
        self.chains: list[tuple[Sequential, PathNode]]
        if isinstance(node, Sequential):
            self.code, self.chains = None, [(node, path)]
        elif isinstance(node, Residual):
            short = _NO_CHAIN if node.shortcut is None else node.shortcut
            self.code, self.chains = _RESIDUAL, [(node.body, (path, "body")), (short, (path, "shortcut"))]
        else:
            assert isinstance(node, Concat)
            branches = (path, "branches")
            self.code = _CONCAT
            self.chains = [(branch, (branches, i)) for i, branch in enumerate(node.branches)]

    def resume(self, tracer: _Tracer, result: Value | None) -> tuple[Layer, PathNode, Value] | None:
        value = self.value if result is None else result
        chains, chain, position = self.chains, self.chain, self.position
        while True:
            sequence, prefix = chains[chain]
            position, shape, fields = _leaves(tracer, sequence, prefix, position, *value)
            value = (shape, fields)
            if position < len(sequence.layers):  # a container: trace it, then come back
                self.chain, self.position, self.value = chain, position + 1, value
                return sequence.layers[position], (prefix, position), value
            self.outputs.append(value)
            chain += 1
            if chain == len(chains):
                break
            value, position = self.input, 0
        code = self.code
        self.value = (
            value if code is None else tracer.merge(code, self.node, self.path, self.input, self.outputs)
        )
        return None


class _GraphFrame:
    __slots__ = ("env", "node", "path", "position", "value")

    def __init__(self, node: Graph, path: PathNode, value: Value) -> None:
        self.node, self.path, self.value, self.position = node, path, value, 0
        self.env: dict[str, Value] = {node.input: value}

    def resume(self, tracer: _Tracer, result: Value | None) -> tuple[Layer, PathNode, Value] | None:
        nodes, env = self.node.nodes, self.env
        if result is not None:
            env[nodes[self.position - 1].name] = result
        while self.position < len(nodes):
            step = nodes[self.position]
            self.position += 1
            where = (self.path, step.name)
            op = step.op
            if isinstance(op, MERGES):
                inputs = [env[name] for name in step.inputs]
                env[step.name] = tracer.merge(_MERGE, op, where, inputs[0], inputs)
            elif op._container:
                return op, where, env[step.inputs[0]]
            else:
                env[step.name] = tracer.leaf(op, where, env[step.inputs[0]])
        self.value = env[self.node.outputs[0]]
        return None


def _frame(container: Layer, path: PathNode, value: Value) -> Frame:
    return (
        _GraphFrame(container, path, value)
        if isinstance(container, Graph)
        else _ChainsFrame(container, path, value)
    )


def _run(
    network: object, input_shape: object, batch_size: object, channels_last: object, collect: bool
) -> Report:
    """Trace after checking the arguments: the commonest call (a layer, a tuple of plain ints,
    no options) is checked here in full; anything else by :func:`_prepare`, which words the
    problems and converts what it accepts."""
    plain = (
        input_shape.__class__ is tuple
        and batch_size is None
        and channels_last is False
        and isinstance(network, Layer)
        and 0 < len(input_shape) <= MAX_AXES + 1
    )
    if plain:
        for size in input_shape:  # type: ignore[attr-defined]
            if size.__class__ is not int or size < 1:
                plain = False
                break
    if not plain:
        network, input_shape, batch_size, channels_last = _prepare(
            network, input_shape, batch_size, channels_last
        )
    layer: Layer = network  # type: ignore[assignment]  # checked above or by _prepare
    shape: Shape = input_shape  # type: ignore[assignment]
    tracer = _Tracer(layer, shape, collect, batch_size, channels_last)  # type: ignore[arg-type]
    if layer.__class__ is Sequential and layer._flat:
        # the commonest network: walked in place (see _leaves), without frames
        return tracer.report(_leaves(tracer, layer, None, 0, shape, tracer.input_fields)[1])
    root = layer if isinstance(layer, (Sequential, Graph)) else Sequential(layer)
    first = _frame(root, None, (shape, tracer.input_fields))
    if isinstance(first, _GraphFrame):
        tracer.graph = first
    stack: list[Frame] = [first]
    result: Value | None = None
    while stack:
        frame = stack[-1]
        child = frame.resume(tracer, result)
        if child is None:
            stack.pop()
            result = frame.value
        else:
            stack.append(_frame(*child))
            result = None
    assert result is not None
    return tracer.report(result[0])


def _prepare(
    network: object, input_shape: object, batch_size: object, channels_last: object
) -> tuple[Layer, Shape, int | None, bool]:
    layer = as_layer(network, "network")
    shape = _input_shape(input_shape)
    batch = None if batch_size is None else as_index("batch_size", batch_size, 1)
    last = as_flag("channels_last", channels_last) and len(shape) >= 2
    if last:
        shape = (shape[-1], *shape[:-1])
    return layer, shape, batch, last


def trace(
    network: Layer | Sequence[Layer],
    input_shape: Sequence[int],
    *,
    batch_size: int | None = None,
    channels_last: bool = False,
) -> Report:
    """Trace *network* on one sample of shape ``(channels, *spatial)`` (no batch axis).

    Args:
        network: A layer spec, a container, or a list of layers.
        input_shape: ``(channels, *spatial)``, e.g. ``(3, 224, 224)``; any integral type.
        batch_size: The batch, if it matters: recorded in the report (``report.batch_size``)
            and used by its memory estimates.  Counts stay per sample.
        channels_last: *input_shape* is ``(*spatial, channels)``, as Keras and TensorFlow
            write it; the report's shapes are channels-first all the same.

    Returns:
        A :class:`Report` with one row per leaf layer and per Residual/Concat merge.

    Raises:
        ConvShapeError: The first problem, as its own subclass, with the layer's path, name
            and kind in the message and as attributes (``path``, ``layer``, ``parameter``,
            ``axis``, ``value``, ``hint``), the partial report up to it in ``err.report`` and
            the shape the failing layer received in ``err.input_shape`` (``None`` at a merge).
            An input that looks like it carries a batch axis, or has its channels last, is
            named as the likely cause.
        TypeError: *network* is not a layer spec, or a value has the wrong type.

    >>> from convshape import Conv, MaxPool
    >>> trace([Conv(64, 9), MaxPool(10, stride=5), Conv(256, 9, groups=4)], (1, 83, 83)).output_shape
    (256, 6, 6)
    >>> trace([Conv(64, 9), MaxPool(80)], (1, 83, 83))
    Traceback (most recent call last):
    ...
    convshape.errors.ShapeError: layer 1 (MaxPool(80)), axes 0, 1, kernel_size: the output size (75 + 0 + 0 - 80) // 80 + 1 = 0 is below 1; use a smaller window, or an input of at least 80
    >>> trace([Conv(8, 3, in_channels=3)], (1, 3, 32, 32)).output_shape
    Traceback (most recent call last):
    ...
    convshape.errors.ShapeError: layer 0 (Conv(8, 3)), in_channels: in_channels is 3 but the input has 1 channel; the input (1, 3, 32, 32) looks like it starts with a batch axis; pass (3, 32, 32) (shapes are one sample's; batch_size=1 records the batch)
    >>> trace([Conv(8, 3, in_channels=3)], (32, 32, 3), channels_last=True, batch_size=16).output_shape
    (8, 30, 30)
    """
    return _run(network, input_shape, batch_size, channels_last, False)


def check(
    network: Layer | Sequence[Layer],
    input_shape: Sequence[int],
    *,
    batch_size: int | None = None,
    channels_last: bool = False,
) -> list[ConvShapeError]:
    """Every problem in *network* for this input, not only the first (options as in :func:`trace`).

    Shapes keep propagating past a problem wherever the next shape is still determined
    (sizes that cannot be known are carried as unknown, and layers after them are still
    checked for what they can be).  The same rule broken on several axes is one problem,
    its ``axis`` a tuple.

    >>> from convshape import Conv, MaxPool
    >>> for problem in check([Conv(66, 3, groups=3), Conv(64, 3), MaxPool(8)], (4, 10, 10)):
    ...     print(problem)
    layer 0 (Conv(66, 3, groups=3)), groups: the input's 4 channels are not divisible by groups 3 (4 / 3 = 1.33333); use a groups value that divides both 4 and 66
    layer 2 (MaxPool(8)), axes 0, 1, kernel_size: the output size (6 + 0 + 0 - 8) // 8 + 1 = 0 is below 1; use a smaller window, or an input of at least 8
    >>> [(p.path, p.parameter, p.axis, p.value) for p in check([Conv(66, 3, groups=3), Conv(64, 3), MaxPool(8)], (4, 10, 10))]
    [('0', 'groups', None, 3), ('2', 'kernel_size', (0, 1), 8)]
    """
    return list(_run(network, input_shape, batch_size, channels_last, True).problems)
