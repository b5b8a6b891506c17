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
#: A path as a linked list (parent, segment, joined): "4.body.0" is kept whole while it is
#: short, and beyond that joined only for rows; building long strings level by level would
#: make deep nesting quadratic.
PathNode = Union[tuple[Any, str, Union[str, None]], None]
_SHORT_PATH = 200


def _child(parent: PathNode, segment: str) -> PathNode:
    if parent is None:
        return (None, segment, segment)
    prefix = parent[2]
    joined = f"{prefix}.{segment}" if prefix is not None and len(prefix) < _SHORT_PATH else None
    return (parent, segment, joined)


def _join(path: PathNode) -> str:
    parts: list[str] = []
    while path is not None:
        path, segment, joined = path
        if joined is not None:
            parts.append(joined)
            break
        parts.append(segment)
    return ".".join(reversed(parts))


# ---------------------------------------------------------------------------
# A network is compiled once into a flat plan; tracing runs the plan on an input.
#
# Compiling walks the containers (with its own stack: no recursion limit) and emits one step
# per leaf layer and per merge point, in report order.  Each step reads values of earlier
# steps by index and produces one value, a (shape, receptive fields) pair; value 0 is the
# input.  Running a plan is one loop, with no tree walking and no path building.  A step
# remembers its outcome (row, output value, problems) for the inputs it has seen, and what a
# leaf does to a shape is cached per (spec, shape) across networks: specs are immutable and
# hashable, and networks repeat layers (a ResNet stage's blocks).

_LEAF, _RESIDUAL, _CONCAT, _MERGE = 0, 1, 2, 3
#: (row, output value, problems, whether the output has spatial axes); never mutated once cached
Outcome = tuple[Row, State, list[ConvShapeError], bool]
#: (code, layer, path, indices of the values it reads, its memo of outcomes)
Step = tuple[int, Layer, PathNode, tuple[int, ...], dict[Any, Outcome]]
Request = tuple[Layer, PathNode, int]
Frame = Generator[Request, int, int]
#: a step forgets its outcomes past this many distinct inputs (input_sizes() scans many sizes)
_MEMO_LIMIT = 64


class _Plan(NamedTuple):
    steps: tuple[Step, ...]
    result: int  # index of the network's output value
    outputs: tuple[tuple[str, int], ...] | None  # a root Graph's named outputs


def _compile(network: Layer) -> _Plan:
    steps: list[Step] = []
    outputs: tuple[tuple[str, int], ...] | None = None
    root = network if isinstance(network, (Sequential, Graph)) else Sequential(network)

    def emit(code: int, layer: Layer, path: PathNode, sources: tuple[int, ...]) -> int:
        steps.append((code, layer, path, sources, {}))
        return len(steps)

    def sequential(node: Sequential, path: PathNode, src: int) -> Frame:
        prefix = "" if path is None else path[2]
        dot = "." if prefix else ""
        keep = prefix is not None and len(prefix) < _SHORT_PATH
        for i, child in enumerate(node.layers):
            segment = str(i)
            where = (path, segment, f"{prefix}{dot}{segment}" if keep else None)
            if isinstance(child, CONTAINERS):
                src = yield (child, where, src)
            else:
                steps.append((_LEAF, child, where, (src,), {}))
                src = len(steps)
        return src

    def residual(node: Residual, path: PathNode, src: int) -> Frame:
        body = yield (node.body, _child(path, "body"), src)
        short = src if node.shortcut is None else (yield (node.shortcut, _child(path, "shortcut"), src))
        return emit(_RESIDUAL, node, path, (src, body, short))

    def concat(node: Concat, path: PathNode, src: int) -> Frame:
        outs = [src]
        for i, branch in enumerate(node.branches):
            outs.append((yield (branch, _child(_child(path, "branches"), str(i)), src)))
        return emit(_CONCAT, node, path, tuple(outs))

    def graph(node: Graph, path: PathNode, src: int) -> Frame:
        nonlocal outputs
        env = {node.input: src}
        for step in node.nodes:
            where = _child(path, step.name)
            if isinstance(step.op, MERGES):
                env[step.name] = emit(_MERGE, step.op, where, tuple(env[name] for name in step.inputs))
            elif isinstance(step.op, CONTAINERS):
                env[step.name] = yield (step.op, where, env[step.inputs[0]])
            else:
                env[step.name] = emit(_LEAF, step.op, where, (env[step.inputs[0]],))
        if node is root:
            outputs = tuple((name, env[name]) for name in node.outputs)
        return env[node.outputs[0]]

    def frame(node: Layer, path: PathNode, src: int) -> Frame:
        if isinstance(node, Sequential):
            return sequential(node, path, src)
        if isinstance(node, Residual):
            return residual(node, path, src)
        if isinstance(node, Graph):
            return graph(node, path, src)
        assert isinstance(node, Concat)
        return concat(node, path, src)

    stack: list[Frame] = [frame(root, None, 0)]
    send: int | None = None
    result = 0
    while stack:
        try:
            child, path, src = stack[-1].send(send) if send is not None else next(stack[-1])
        except StopIteration as stop:
            stack.pop()
            send = result = stop.value
            continue
        stack.append(frame(child, path, src))
        send = None
    return _Plan(tuple(steps), result, outputs)


#: Compiled plans by network identity, holding the network so its id is not reused.
_PLANS: dict[int, tuple[Layer, _Plan]] = {}
_PLAN_LIMIT = 32
#: Outcomes remembered by all kept plans together (about half a KiB each) before they are dropped.
_REMEMBER_LIMIT = 100_000
_remembered = 0


def _plan(network: Layer) -> _Plan:
    entry = _PLANS.get(id(network))
    if entry is not None and entry[0] is network:
        return entry[1]
    plan = _compile(network)
    if len(_PLANS) >= _PLAN_LIMIT:
        _PLANS.clear()
    _PLANS[id(network)] = (network, plan)
    return plan


#: What a leaf does to a shape, per (spec, shape): shared by every network using the spec.
_EFFECTS: dict[tuple[Layer, Shape], Effect] = {}
_CACHE_LIMIT = 20_000


def _clear_caches() -> None:
    """Forget every compiled plan, effect and validated parameter set (to time a first trace)."""
    from convshape.layers import _AXES

    global _remembered
    _PLANS.clear()
    _EFFECTS.clear()
    _AXES.clear()
    _remembered = 0


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


_NO_MOVE = (1, 1, 0)
_new = tuple.__new__


def _leaf_outcome(layer: Layer, path: PathNode, state: State) -> Outcome:
    shape, rf = state
    effect = _effect(layer, shape)
    out = effect.output
    step = effect.rf
    new_rf: Fields
    if step == "keep":
        new_rf = rf
    elif step is None or rf is None:
        new_rf = None
    else:
        composed: list[ReceptiveField | None] = []
        for r, s in zip(rf, step, strict=True):
            if r is None or s is None:
                composed.append(None)
            elif s == _NO_MOVE:  # a 1x1 window at stride 1 without padding
                composed.append(r)
            else:
                composed.append(r.then(*s))
        new_rf = tuple(composed)
    spatial = out is not None and len(out) >= 2
    if out is not None and not spatial:
        new_rf = None
    row = _new(
        Row,
        (
            _join(path),
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
        ),
    )
    return row, (out, new_rf), effect.problems, spatial


def _merge_outcome(code: int, layer: Layer, path: PathNode, states: tuple[State, ...]) -> Outcome:
    problems: list[ConvShapeError] = []
    if code == _RESIDUAL:
        state, merged = states[0], states[1:]
        shape = equal_shapes(merged[0][0], merged[1][0], problems)
    elif code == _CONCAT:
        state, merged = states[0], states[1:]
        shape = concatenate([s[0] for s in merged], 0, problems)
    else:
        state, merged = states[0], states
        effect = layer._merge([s[0] for s in merged])  # type: ignore[attr-defined]
        shape, problems = effect.output, effect.problems
    fields, notes = merge([s[1] for s in merged])
    spatial = shape is not None and len(shape) >= 2
    if shape is not None and not spatial:
        fields = None
    row = _new(Row, (_join(path), layer, state[0], shape, 0, 0, 0, fields, (), (), tuple(notes)))
    return row, (shape, fields), problems, spatial


def _outcome(step: Step, key: Any) -> Outcome:
    """A step's outcome for the value(s) *key* it reads, remembered for the next trace."""
    code, layer, path, _, memo = step
    outcome = _leaf_outcome(layer, path, key) if code == _LEAF else _merge_outcome(code, layer, path, key)
    global _remembered
    _remembered += 1
    if _remembered > _REMEMBER_LIMIT:  # the running plan keeps its memos until it is dropped too
        _PLANS.clear()
        _remembered = 0
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = outcome
    return outcome


def _run(plan: _Plan, network: Layer, input_shape: tuple[int, ...], collect: bool) -> Report:
    ndim = len(input_shape) - 1
    rf: Fields = (ReceptiveField(),) * ndim if ndim else None
    values: list[State] = [(input_shape, rf)]
    rows: list[Row] = []
    problems: list[ConvShapeError] = []
    last_spatial = rf

    def report(output: Shape | None) -> Report:
        if plan.outputs is None:
            outputs = {"output": output}
        else:  # a partial report (a failing step) has not reached every output yet
            outputs = {name: values[i][0] if i < len(values) else None for name, i in plan.outputs}
        return Report(network, input_shape, tuple(rows), output, last_spatial, tuple(problems), outputs)

    for step in plan.steps:
        memo = step[4]
        key: Any = values[step[3][0]] if step[0] == _LEAF else tuple(values[i] for i in step[3])
        try:
            row, value, found, spatial = memo[key]
        except KeyError:
            row, value, found, spatial = _outcome(step, key)
        if found:
            where = location(row.path, row.layer)
            located = [p.located(where) for p in found]
            if not collect:
                err = located[0]
                err.report = report(None)  # type: ignore[attr-defined]
                raise err
            problems.extend(located)
        if spatial:
            last_spatial = value[1]
        rows.append(row)
        values.append(value)
    output = values[plan.result][0]
    return report(output)


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
        return _run(_plan(layer), layer, shape, collect=False)


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
        return list(_run(_plan(layer), layer, shape, collect=True).problems)
