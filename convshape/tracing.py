"""Trace a network description into a :class:`Report`: every shape, count and receptive field.

Data flows one way: layer specs -> :func:`trace` -> :class:`Report` -> renderers
(``str(report)``, ``report._repr_html_()``, ``report.to_dict()``).

>>> from convshape import zoo
>>> report = trace(zoo.seed(), (1, 83, 83))
>>> report.output_shape, report.total_kernels
((101,), 4160)
>>> [row.output_shape for row in report.rows][:4]
[(64, 75, 75), (64, 14, 14), (256, 6, 6), (256, 1, 1)]
"""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Union

from convshape.arithmetic import AxisWindow
from convshape.containers import (
    CONTAINERS,
    MERGES,
    Concat,
    Graph,
    Residual,
    Sequential,
    as_layer,
    concatenate,
    equal_shapes,
)
from convshape.errors import ConvShapeError, ParameterError, check_int, type_name
from convshape.layers import Effect, Layer, Shape, fmt_shape
from convshape.receptive import ReceptiveField, merge

__all__ = ["Report", "Row", "check", "trace"]

Fields = Union[tuple[Union[ReceptiveField, None], ...], None]


class Row(NamedTuple):
    """One line of a report: a leaf layer, or the merge point of a Residual or Concat.

    Attributes:
        path: 0-based dotted path like PyTorch's module names (``"4.body.0"``).
        layer: The layer spec.
        input_shape: The shape it receives (``None`` where undetermined).
        output_shape: The shape it produces.
        params: Parameters (weights, biases, BatchNorm scale and shift).
        kernels: 2-D (N-D) kernels: ``out x in / groups`` for convolutions, else 0.
        macs: Multiply-accumulates per sample, bias excluded.
        receptive_field: Per spatial axis, the field of the output relative to the network input
            (``None`` where not defined: no spatial axes, or after a transposed convolution/upsampling).
        uncovered: Per spatial axis, input positions no window reads (window layers only).
        windows: The resolved per-axis arithmetic (window layers only), used by explanations.
        notes: Remarks that are not errors (misaligned branches, Linear on a spatial map).

    >>> from convshape import Conv, trace
    >>> row = trace(Conv(8, 3, stride=2), (3, 10, 10)).rows[0]
    >>> row.path, row.output_shape, row.uncovered
    ('0', (8, 4, 4), (1, 1))
    """

    path: str
    layer: Layer
    input_shape: Shape | None
    output_shape: Shape | None
    params: int = 0
    kernels: int = 0
    macs: int = 0
    receptive_field: Fields = None
    uncovered: tuple[int | None, ...] = ()
    windows: tuple[AxisWindow | None, ...] = ()
    notes: tuple[str, ...] = ()

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
        return self.path.count(".")


@dataclass(frozen=True, slots=True)
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

    network: Layer
    input_shape: Shape
    rows: tuple[Row, ...]
    output_shape: Shape | None
    receptive_field: Fields
    problems: tuple[ConvShapeError, ...] = ()
    outputs: dict[str, Shape | None] = field(default_factory=dict, hash=False)

    @property
    def total_params(self) -> int:
        """Sum of the rows' parameters."""
        return sum(row.params for row in self.rows)

    @property
    def total_macs(self) -> int:
        """Sum of the rows' multiply-accumulates (per sample, bias excluded)."""
        return sum(row.macs for row in self.rows)

    @property
    def total_kernels(self) -> int:
        """Sum of the rows' 2-D kernel counts."""
        return sum(row.kernels for row in self.rows)

    def __repr__(self) -> str:
        return (
            f"<Report {fmt_shape(self.input_shape)} -> {fmt_shape(self.output_shape)}: {len(self.rows)} rows, "
            f"{self.total_params:,} params, {self.total_macs:,} MACs"
            + (f", {len(self.problems)} problems" if self.problems else "")
            + ">"
        )

    def __str__(self) -> str:
        from convshape.render import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from convshape.render import render_html

        return render_html(self)

    def to_svg(self) -> str:
        """A picture of the network as an SVG document (feature-map stacks roughly to scale).

        >>> from convshape import zoo
        >>> trace(zoo.seed(), (1, 83, 83)).to_svg().count("64@75x75")
        1
        """
        from convshape.svg import render_svg

        return render_svg(self)

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


def location(path: str, layer: Layer) -> str:
    """How messages name a layer: ``layer 4.body.0 'conv2' (Conv(64, 3, padding=1))``."""
    name = f" {layer.name!r}" if layer.name else ""
    return f"layer {path or '(root)'}{name} ({layer.describe()})"


def _input_shape(input_shape: object) -> tuple[int, ...]:
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(
            f"input_shape must be a sequence of ints (channels, *spatial), got {type_name(input_shape)} {input_shape!r}"
        )
    if not input_shape:
        raise ParameterError("input_shape must have at least the channel axis, got ()")
    return tuple(check_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(input_shape))


State = tuple[Union[Shape, None], Fields]
#: A path as a linked list (parent, segment), joined into "4.body.0" only for rows: building
#: strings level by level would make deep nesting quadratic.
PathNode = Union[tuple[Any, str], None]
Request = tuple[Layer, PathNode, State]


def _join(path: PathNode) -> str:
    parts: list[str] = []
    while path is not None:
        path, segment = path
        parts.append(segment)
    return ".".join(reversed(parts))


Frame = Generator[Request, State, State]


class _Tracer:
    """Walks a network without recursion, so depth is limited only by memory."""

    def __init__(self, network: Layer, input_shape: tuple[int, ...], collect: bool) -> None:
        self.network = network
        self.input_shape = input_shape
        self.collect = collect
        self.rows: list[Row] = []
        self.problems: list[ConvShapeError] = []
        self.last_spatial_rf: Fields = None
        self.root_graph = network if isinstance(network, Graph) else None
        self.outputs: dict[str, Shape | None] | None = None

    def run(self) -> Report:
        ndim = len(self.input_shape) - 1
        rf: Fields = tuple(ReceptiveField() for _ in range(ndim)) if ndim else None
        self.last_spatial_rf = rf
        state: State = (self.input_shape, rf)
        root = self.network if isinstance(self.network, (Sequential, Graph)) else Sequential(self.network)
        stack: list[Frame] = [self._container(root, None, state)]
        send: State | None = None
        while stack:
            try:
                request = stack[-1].send(send) if send is not None else next(stack[-1])
            except StopIteration as stop:
                stack.pop()
                send = stop.value
                continue
            child, path, child_state = request
            if isinstance(child, CONTAINERS):
                stack.append(self._container(child, path, child_state))
                send = None
            else:
                send = self._leaf(child, path, child_state)
        assert send is not None
        return self._report(send[0])

    def _report(self, output: Shape | None) -> Report:
        outputs = self.outputs if self.outputs is not None else {"output": output}
        return Report(
            self.network,
            self.input_shape,
            tuple(self.rows),
            output,
            self.last_spatial_rf,
            tuple(self.problems),
            outputs,
        )

    def _fail(self, path: PathNode, layer: Layer, problems: list[ConvShapeError]) -> None:
        where = location(_join(path), layer)
        located = [p.located(where) for p in problems]
        if not self.collect:
            err = located[0]
            err.report = self._report(None)  # type: ignore[attr-defined]
            raise err
        self.problems.extend(located)

    def _container(self, node: Layer, path: PathNode, state: State) -> Frame:
        if isinstance(node, Sequential):
            return self._sequential(node, path, state)
        if isinstance(node, Residual):
            return self._residual(node, path, state)
        if isinstance(node, Graph):
            return self._graph(node, path, state)
        assert isinstance(node, Concat)
        return self._concat(node, path, state)

    def _graph(self, node: Graph, path: PathNode, state: State) -> Frame:
        env: dict[str, State] = {node.input: state}
        for step in node.nodes:
            where = (path, step.name)
            if isinstance(step.op, MERGES):
                states = [env[name] for name in step.inputs]
                env[step.name] = self._merge_node(step.op, where, states)
            else:
                env[step.name] = yield (step.op, where, env[step.inputs[0]])
        if node is self.root_graph:
            self.outputs = {name: env[name][0] for name in node.outputs}
        return env[node.outputs[0]]

    def _merge_node(self, op: Layer, path: PathNode, states: list[State]) -> State:
        effect = op._merge([s[0] for s in states])  # type: ignore[attr-defined]
        fields, notes = merge([s[1] for s in states])
        if effect.problems:
            self._fail(path, op, effect.problems)
        return self._merge_row(op, path, states[0], effect.output, fields, notes, [])

    def _sequential(self, node: Sequential, path: PathNode, state: State) -> Frame:
        for i, child in enumerate(node.layers):
            state = yield (child, (path, str(i)), state)
        return state

    def _leaf(self, layer: Layer, path: PathNode, state: State) -> State:
        shape, rf = state
        key = (layer, shape, rf)
        try:
            template, problems = _ROWS[key]
        except KeyError:
            effect = _effect(layer, shape)
            template, problems = _row_template(layer, shape, rf, effect), effect.problems
            if len(_ROWS) >= _CACHE_LIMIT:
                _ROWS.clear()
            _ROWS[key] = (template, problems)
        except TypeError:  # an unhashable value slipped into a spec: compute without caching
            effect = layer._trace(shape) if shape is not None else Effect(None, rf=None)
            template, problems = _row_template(layer, shape, rf, effect), effect.problems
        if problems:
            self._fail(path, layer, problems)
        row = tuple.__new__(Row, (_join(path), *template[1:]))
        out = row.output_shape
        if out is not None and len(out) >= 2:
            self.last_spatial_rf = row.receptive_field
        self.rows.append(row)
        return out, row.receptive_field

    def _residual(self, node: Residual, path: PathNode, state: State) -> Frame:
        body = yield (node.body, (path, "body"), state)
        short = state if node.shortcut is None else (yield (node.shortcut, (path, "shortcut"), state))
        problems: list[ConvShapeError] = []
        shape = equal_shapes(body[0], short[0], problems)
        fields, notes = merge([body[1], short[1]])
        return self._merge_row(node, path, state, shape, fields, notes, problems)

    def _concat(self, node: Concat, path: PathNode, state: State) -> Frame:
        outs: list[State] = []
        for i, branch in enumerate(node.branches):
            outs.append((yield (branch, ((path, "branches"), str(i)), state)))
        problems: list[ConvShapeError] = []
        shape = concatenate([o[0] for o in outs], 0, problems)
        fields, notes = merge([o[1] for o in outs])
        return self._merge_row(node, path, state, shape, fields, notes, problems)

    def _merge_row(
        self,
        node: Layer,
        path: PathNode,
        state: State,
        shape: Shape | None,
        fields: Fields,
        notes: list[str],
        problems: list[ConvShapeError],
    ) -> State:
        if problems:
            self._fail(path, node, problems)
        if shape is not None and len(shape) < 2:
            fields = None
        elif shape is not None:
            self.last_spatial_rf = fields
        self.rows.append(Row(_join(path), node, state[0], shape, receptive_field=fields, notes=tuple(notes)))
        return shape, fields


#: What a leaf does to a shape depends only on the (immutable, hashable) spec and the shape,
#: so it is computed once: networks repeat layers (a ResNet stage's blocks), validation code
#: traces the same network again, and input_sizes() scans sizes.  Cached values are never
#: mutated; a row template (keyed also by the incoming receptive field) gets its path on use.
_EFFECTS: dict[tuple[Layer, Shape], Effect] = {}
_ROWS: dict[tuple[Layer, Shape | None, Fields], tuple[Row, list[ConvShapeError]]] = {}
_CACHE_LIMIT = 20_000


def _row_template(layer: Layer, shape: Shape | None, rf: Fields, effect: Effect) -> Row:
    out = effect.output
    step = effect.rf
    new_rf: Fields
    if step == "keep":
        new_rf = rf
    elif step is None or rf is None:
        new_rf = None
    else:
        new_rf = tuple(
            None if (r is None or s is None) else r.then(*s) for r, s in zip(rf, step, strict=True)
        )
    if out is None or len(out) < 2:
        new_rf = None if out is not None else new_rf
    return Row(
        "",
        layer,
        shape,
        out,
        effect.params,
        effect.kernels,
        effect.macs,
        new_rf,
        effect.uncovered,
        effect.windows,
        tuple(effect.notes),
    )


def _effect(layer: Layer, shape: Shape | None) -> Effect:
    if shape is None:
        return Effect(None, rf=None)
    key = (layer, shape)
    try:
        return _EFFECTS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value slipped into a spec: compute without caching
        return layer._trace(shape)
    effect = layer._trace(shape)
    if len(_EFFECTS) >= _CACHE_LIMIT:
        _EFFECTS.clear()
    _EFFECTS[key] = effect
    return effect


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while tracing: a trace allocates many small objects and
    makes no cycles, and in a process with a large heap (a framework loaded) each collection
    would rescan it, making long networks slower per layer."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _prepare(network: object, input_shape: object) -> tuple[Layer, tuple[int, ...]]:
    return as_layer(network, "network"), _input_shape(input_shape)


def trace(network: Layer | Sequence[Layer], input_shape: Sequence[int]) -> Report:
    """Trace *network* on an input of shape ``(channels, *spatial)`` (no batch axis).

    Args:
        network: A layer spec, a container, or a list of layers.
        input_shape: ``(channels, *spatial)``, e.g. ``(3, 224, 224)``.

    Returns:
        A :class:`Report` with one row per leaf layer and per Residual/Concat merge.

    Raises:
        ConvShapeError: The first problem, as its own subclass, with the layer's path, name
            and kind in the message and the partial report up to it in ``err.report``.
        TypeError: *network* is not a layer spec, or a value has the wrong type.

    >>> from convshape import Conv, MaxPool
    >>> trace([Conv(64, 9), MaxPool(10, stride=5), Conv(256, 9, groups=4)], (1, 83, 83)).output_shape
    (256, 6, 6)
    >>> trace([Conv(64, 9), MaxPool(80)], (1, 83, 83))
    Traceback (most recent call last):
    ...
    convshape.errors.ShapeError: layer 1 (MaxPool(80)), axis 0, kernel_size: the output size (75 + 0 + 0 - 80) // 80 + 1 = 0 is below 1; use a smaller window, or an input of at least 80
    """
    layer, shape = _prepare(network, input_shape)
    with _gc_paused():
        return _Tracer(layer, shape, collect=False).run()


def check(network: Layer | Sequence[Layer], input_shape: Sequence[int]) -> list[ConvShapeError]:
    """Every problem in *network* for this input, not only the first.

    Shapes keep propagating past a problem wherever the next shape is still determined
    (sizes that cannot be known are carried as unknown, and layers after them are still
    checked for what they can be).

    >>> from convshape import Conv, MaxPool
    >>> for problem in check([Conv(66, 3, groups=3), Conv(64, 3), MaxPool(8)], (4, 10, 10)):
    ...     print(problem)
    layer 0 (Conv(66, 3, groups=3)), groups: the input's 4 channels are not divisible by groups 3 (4 / 3 = 1.33333); use a groups value that divides both 4 and 66
    layer 2 (MaxPool(8)), axis 0, kernel_size: the output size (6 + 0 + 0 - 8) // 8 + 1 = 0 is below 1; use a smaller window, or an input of at least 8
    layer 2 (MaxPool(8)), axis 1, kernel_size: the output size (6 + 0 + 0 - 8) // 8 + 1 = 0 is below 1; use a smaller window, or an input of at least 8
    """
    layer, shape = _prepare(network, input_shape)
    with _gc_paused():
        return list(_Tracer(layer, shape, collect=True).run().problems)
