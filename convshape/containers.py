"""Containers: how layers are wired together.

* :class:`Sequential` chains layers; :class:`Residual` adds a body to a shortcut;
  :class:`Concat` concatenates branches on the channel axis.
* :class:`Graph` is the general form: named :class:`Node` objects with their inputs,
  merged by :class:`Add`, :class:`Multiply` or :class:`Cat` with any number of inputs,
  and one or several outputs (ONNX graphs, ``torch.fx`` graphs, FPN-style skips).

>>> from convshape import Conv, trace
>>> g = Graph(
...     [Node("stem", Conv(16, 3, padding=1)),
...      Node("a", Conv(16, 3, padding=1), ["stem"]),
...      Node("b", Conv(16, 1), ["stem"]),
...      Node("sum", Add(), ["a", "b", "stem"])],
... )
>>> trace(g, (3, 8, 8)).output_shape
(16, 8, 8)
"""

from __future__ import annotations

from _collections_abc import Sequence  # what collections.abc re-exports, without its 2 ms import

from convshape._frozen import frozen
from convshape.errors import ConvShapeError, ParameterError, ShapeError, check_int, show, type_name
from convshape.layers import INLINE, INLINE_DEPTH, Layer, _check_name, _set, fmt_shape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

    from convshape.layers import FastOp, Fields, Shape

__all__ = [
    "Add",
    "Cat",
    "Concat",
    "CropCat",
    "Graph",
    "Multiply",
    "Node",
    "Residual",
    "Sequential",
    "as_layer",
]


def _flat_depth(children: Sequence[Layer]) -> int:
    """``Layer._flat`` of a Sequential or Residual with these children: one more than the deepest
    child container, if all of them may be walked in place; 0 if one may not, or if it is deeper
    than ``INLINE_DEPTH`` (the tracer's walk in place recurses; frames take any depth)."""
    depth = 1
    for layer in children:
        if layer._container:
            inner = layer._flat
            if not inner:
                return 0
            if inner >= depth:
                depth = inner + 1
    return depth if depth <= INLINE_DEPTH else 0


def as_layer(item: object, where: str) -> Layer:
    """A layer, or a list/tuple of layers as a Sequential; anything else is a TypeError.

    >>> from convshape import Conv
    >>> as_layer([Conv(4, 1)], "network").describe()
    'Sequential(1 layers)'
    """
    if isinstance(item, Layer):
        return item
    if isinstance(item, (list, tuple)):
        return _nested_lists(item)
    raise TypeError(f"{where} must be a layer spec or a list of them, got {type_name(item)} {show(item)}")


def _nested_lists(outer: list[object] | tuple[object, ...]) -> Sequential:
    """Lists of lists of layers as Sequentials, built innermost first without recursion (a list
    nested 100,000 deep is as good as a Sequential nested so)."""
    stack: list[tuple[Sequence[object], list[object]]] = [(outer, [])]
    while True:
        items, built = stack[-1]
        if len(built) < len(items):
            item = items[len(built)]
            if isinstance(item, (list, tuple)) and not isinstance(item, Layer):
                stack.append((item, []))
            else:
                built.append(item)  # a layer, or something Sequential refuses by its position
            continue
        stack.pop()
        sequential = Sequential(*built)  # type: ignore[arg-type]
        if not stack:
            return sequential
        stack[-1][1].append(sequential)


@frozen
class Sequential(Layer):
    """Layers applied one after the other; children are numbered from 0 in paths.

    >>> from convshape import Conv, MaxPool, trace
    >>> trace(Sequential(Conv(64, 9), MaxPool(10, stride=5)), (1, 83, 83)).output_shape
    (64, 14, 14)
    """

    layers: tuple[Layer, ...]
    name: str | None

    _container: ClassVar[bool] = True
    _nested: ClassVar[bool] = True
    #: the children's ``_op`` (the tracer's inline rules), side by side with ``layers``; and
    #: whether the tracer walks it in place (see ``Layer._flat``)
    _private = ("_ops", "_flat")
    _ops: tuple[FastOp | None, ...]
    _flat: int

    def __init__(self, *layers: Layer | Sequence[Layer], name: str | None = None) -> None:
        _set(self, "layers", layers)
        if not self._derive():  # lists among the layers: made Sequentials
            _set(
                self, "layers", tuple(as_layer(item, f"Sequential item {i}") for i, item in enumerate(layers))
            )
            self._derive()
        _set(self, "name", name)
        if name is not None:
            _check_name(self, name)

    def _derive(self) -> bool:
        """What the tracer reads, derived from the children (also for a spec pickled earlier);
        False, deriving nothing, if a child is not a Layer."""
        ops: list[FastOp | None] = []
        nested: list[Layer] = []
        for layer in self.layers:
            if layer.__class__ in INLINE:  # a leaf the tracer applies inline
                ops.append(layer._op)
                continue
            if not isinstance(layer, Layer):
                return False
            ops.append(None)
            if layer._container:
                nested.append(layer)
        _set(self, "_ops", tuple(ops))
        plain = self.__class__ is Sequential  # not a subclass, which may trace its own way
        _set(self, "_flat", _flat_depth(nested) if plain else 0)
        return True

    def describe(self) -> str:
        return f"Sequential({len(self.layers)} layers)"


@frozen
class Residual(Layer):
    """``body(x) + shortcut(x)``; the shortcut is the identity unless given. The two shapes must agree.

    Paths: ``body.0``, ``body.1``, ... and ``shortcut.0``, ...

    >>> from convshape import BatchNorm, Conv, trace
    >>> block = Residual(Conv(64, 3, stride=2, padding=1), shortcut=[Conv(64, 1, stride=2), BatchNorm()])
    >>> trace(block, (64, 56, 56)).output_shape
    (64, 28, 28)
    """

    body: Sequential
    shortcut: Sequential | None
    name: str | None

    _container: ClassVar[bool] = True
    _nested: ClassVar[bool] = True
    #: whether the tracer walks it in place (see ``Layer._flat``)
    _private = ("_flat",)
    _flat: int

    def __init__(
        self,
        *body: Layer | Sequence[Layer],
        shortcut: Layer | Sequence[Layer] | None = None,
        name: str | None = None,
    ) -> None:
        if not body:
            raise ParameterError("needs at least one layer in its body", where="Residual")
        _set(self, "body", Sequential(*body))
        if shortcut is None:
            _set(self, "shortcut", None)
        else:
            short = as_layer(shortcut, "Residual shortcut")
            _set(self, "shortcut", short if isinstance(short, Sequential) else Sequential(short))
        _set(self, "name", name)
        if name is not None:
            _check_name(self, name)
        self._derive()

    def _derive(self) -> None:
        chains = (self.body,) if self.shortcut is None else (self.body, self.shortcut)
        plain = self.__class__ is Residual  # not a subclass, which may trace its own way
        _set(self, "_flat", _flat_depth(chains) if plain else 0)

    def describe(self) -> str:
        return "Residual(add)" if self.shortcut is None else "Residual(add, projection)"


@frozen
class Concat(Layer):
    """Branches applied to the same input, concatenated on the channel axis; spatial sizes must agree.

    Paths: ``branches.0.0``, ``branches.1.0``, ... (each branch is a Sequential).

    >>> from convshape import Conv, Identity, trace
    >>> trace(Concat(Identity(), Conv(32, 3, padding=1)), (16, 8, 8)).output_shape
    (48, 8, 8)
    """

    branches: tuple[Sequential, ...]
    name: str | None

    _container: ClassVar[bool] = True
    _nested: ClassVar[bool] = True

    def __init__(self, *branches: Layer | Sequence[Layer], name: str | None = None) -> None:
        if not branches:
            raise ParameterError("needs at least one branch", where="Concat")
        seqs = []
        for i, branch in enumerate(branches):
            layer = as_layer(branch, f"Concat branch {i}")
            seqs.append(layer if isinstance(layer, Sequential) else Sequential(layer))
        _set(self, "branches", tuple(seqs))
        _set(self, "name", name)
        _check_name(self, name)

    def describe(self) -> str:
        return f"Concat({len(self.branches)} branches)"


# ---------------------------------------------------------------------------
# Merge operations (several inputs, used in a Graph)


class _Merge(Layer):
    """A layer with several inputs; it only makes sense as a Graph node."""

    __slots__ = ()

    #: how many inputs it takes (None: one or more)
    _arity: ClassVar[int | None] = None
    #: whether it moves its inputs' receptive fields before they are merged (``_align``)
    _aligns: ClassVar[bool] = False

    def _merge(self, shapes: list[Shape | None], problems: list[ConvShapeError]) -> Shape | None:
        """The output shape for these inputs; problems are appended."""
        raise NotImplementedError

    def _combine(
        self, shapes: list[Shape | None], problems: list[ConvShapeError]
    ) -> tuple[Shape | None, int, int]:
        """The output shape, parameters and MACs for these inputs (merges that compute override it)."""
        return self._merge(shapes, problems), 0, 0


def broadcast_shapes(shapes: list[Shape | None], problems: list[ConvShapeError]) -> Shape | None:
    """PyTorch's broadcasting over batchless shapes: aligned from the right, sizes equal or 1."""
    known = [s for s in shapes if s is not None]
    if len(known) < len(shapes) or not known:
        return None if not known else _broadcast(known, [])
    return _broadcast(known, problems)


def _broadcast(shapes: list[Shape], problems: list[ConvShapeError]) -> Shape:
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out: list[int | None] = []
    for dim in range(rank):
        sizes = [s[dim] for s in padded]
        if None in sizes:
            out.append(None)
            continue
        distinct = sorted({v for v in sizes if v is not None and v != 1})
        if len(distinct) > 1:
            shown = ", ".join(fmt_shape(s) for s in shapes)
            problems.append(
                ShapeError(
                    f"inputs {shown} do not broadcast: {label(dim - (rank - len(shapes[0])))} has sizes "
                    f"{', '.join(map(str, distinct))}; sizes must be equal or 1"
                )
            )
            out.append(None)
        else:
            out.append(distinct[0] if distinct else 1)
    return tuple(out)


def label(dim: int) -> str:
    """How messages name an axis of a batchless shape."""
    return "channels" if dim == 0 else f"spatial axis {dim - 1}"


def equal_shapes(body: Shape | None, short: Shape | None, problems: list[ConvShapeError]) -> Shape | None:
    """A Residual's two shapes must agree exactly; a mismatch says which axis and how to fix it."""
    if body is None or short is None:
        return body if short is None else short
    if body == short and None not in body:
        return body
    if len(body) != len(short):
        problems.append(
            ShapeError(
                f"the body gives {fmt_shape(body)} but the shortcut gives {fmt_shape(short)}: different ranks"
            )
        )
        return None
    out: list[int | None] = []
    spatial: list[int] = []  # the spatial dims that differ: one problem for all of them
    for dim, (a, b) in enumerate(zip(body, short, strict=True)):
        if a is not None and b is not None and a != b:
            if dim == 0:
                fix = f"give the shortcut a 1x1 convolution to {a} channels, e.g. shortcut=[Conv({a}, 1)]"
                problems.append(
                    ShapeError(
                        f"the body gives {fmt_shape(body)} but the shortcut gives {fmt_shape(short)}: they differ "
                        f"in channels ({a} vs {b}); {fix}"
                    )
                )
            else:
                spatial.append(dim)
            out.append(None)
        else:
            out.append(a if a is not None else b)
    if spatial:
        pairs = [(body[d], short[d]) for d in spatial]
        ratios = [b // a if b > a and b % a == 0 else 0 for a, b in pairs]  # type: ignore[operator]
        one = len(spatial) == 1
        if all(ratios):
            stride = ratios[0] if len(set(ratios)) == 1 else tuple(ratios)
            fix = (
                f"give the shortcut stride {stride} on {'this axis' if one else 'these axes'}, "
                f"e.g. shortcut=[Conv(channels, 1, stride={stride})]"
            )
        else:
            fix = "make the body and the shortcut produce the same size"
        if one:
            where = f"{label(spatial[0])} ({pairs[0][0]} vs {pairs[0][1]})"
        else:
            shown_body = fmt_shape(tuple(a for a, _ in pairs))
            shown_short = fmt_shape(tuple(b for _, b in pairs))
            where = f"spatial axes {', '.join(str(d - 1) for d in spatial)} ({shown_body} vs {shown_short})"
        problems.append(
            ShapeError(
                f"the body gives {fmt_shape(body)} but the shortcut gives {fmt_shape(short)}: they differ "
                f"in {where}; {fix}",
                axis=spatial[0] - 1 if one else tuple(d - 1 for d in spatial),
            )
        )
    return tuple(out)


def concatenate(shapes: list[Shape | None], axis: int, problems: list[ConvShapeError]) -> Shape | None:
    """Concatenate on *axis* (0 = channels, negative counts from the end); other axes must agree."""
    known = [s for s in shapes if s is not None]
    if not known:
        return None
    ranks = sorted({len(s) for s in known})
    if len(ranks) > 1:
        shown = ", ".join(fmt_shape(s) for s in shapes)
        problems.append(ShapeError(f"branches give shapes of different ranks: {shown}"))
        return None
    rank = ranks[0]
    dim_cat = axis if axis >= 0 else rank + axis
    if not 0 <= dim_cat < rank:
        problems.append(ParameterError(f"axis {axis} does not exist for inputs of rank {rank}", where="axis"))
        return None
    out: list[int | None] = []
    differ: list[int] = []
    for dim in range(rank):
        sizes = [s[dim] for s in known]
        if dim == dim_cat:
            complete = len(known) == len(shapes) and None not in sizes
            out.append(sum(v for v in sizes if v is not None) if complete else None)
            continue
        distinct = sorted({v for v in sizes if v is not None})
        if len(distinct) > 1:
            differ.append(dim)
            out.append(None)
        else:
            out.append(distinct[0] if distinct else None)
    if differ:  # one problem naming every axis that differs
        shown = ", ".join(fmt_shape(s) for s in shapes)
        what = (
            "channel concatenation needs equal spatial sizes"
            if dim_cat == 0
            else (f"concatenation on {label(dim_cat)} needs equal sizes on the other axes")
        )
        if len(differ) == 1:
            which = f"{label(differ[0])} differs"
        elif 0 in differ:
            which = f"{' and '.join(label(d) for d in differ)} differ"
        else:
            which = f"spatial axes {', '.join(str(d - 1) for d in differ)} differ"
        spatial = tuple(d - 1 for d in differ if d > 0)
        problems.append(
            ShapeError(
                f"{what}, but {which} across inputs ({shown}); crop, pad or resize the inputs to one size",
                axis=spatial[0] if len(spatial) == 1 else (spatial or None),
            )
        )
    return tuple(out)


class _Elementwise(_Merge):
    """Add and Multiply: inputs broadcast against each other."""

    __slots__ = ()

    def __post_init__(self) -> None:
        _check_name(self, self.name)

    def _merge(self, shapes: list[Shape | None], problems: list[ConvShapeError]) -> Shape | None:
        return broadcast_shapes(shapes, problems)


@frozen
class Add(_Elementwise):
    """Element-wise sum of any number of inputs, with PyTorch's broadcasting (sizes equal or 1).

    >>> from convshape import Conv, trace
    >>> g = Graph([Node("c", Conv(8, 1)), Node("sum", Add(), ["c", "input"])])
    >>> trace(g, (8, 4, 4)).output_shape
    (8, 4, 4)
    """

    name: str | None = None


@frozen
class Multiply(_Elementwise):
    """Element-wise product of any number of inputs, broadcasting like :class:`Add` (e.g. attention gates).

    >>> from convshape import AdaptiveAvgPool, Conv, trace
    >>> g = Graph([Node("gate", AdaptiveAvgPool(1)), Node("scaled", Multiply(), ["input", "gate"])])
    >>> trace(g, (8, 4, 4)).output_shape
    (8, 4, 4)
    """

    name: str | None = None


@frozen
class Cat(_Merge):
    """Concatenation of any number of inputs on one axis (0 = channels, as ``torch.cat(dim=1)``).

    >>> from convshape import Conv, trace
    >>> g = Graph([Node("a", Conv(8, 1)), Node("b", Conv(4, 1)), Node("cat", Cat(), ["a", "b"])])
    >>> trace(g, (3, 5, 5)).output_shape
    (12, 5, 5)
    """

    axis: int = 0
    name: str | None = None

    def __post_init__(self) -> None:
        try:
            check_int("axis", self.axis)
        except TypeError as err:
            raise TypeError(f"Cat: {err}") from None
        _check_name(self, self.name)

    def _merge(self, shapes: list[Shape | None], problems: list[ConvShapeError]) -> Shape | None:
        return concatenate(shapes, self.axis, problems)


@frozen
class CropCat(_Merge):
    """The 2015 U-Net's skip connection: every input centre-cropped to the smallest size on each
    spatial axis (``(size - smallest) // 2`` removed before, the rest after, as
    :class:`~convshape.CenterCrop`), then concatenated on the channel axis.

    The crop follows the input size, so the same spec serves any input the network accepts;
    the receptive field of each input is shifted by its crop before the branches are merged.

    >>> from convshape import Conv, ConvTranspose, MaxPool, trace
    >>> g = Graph(
    ...     [Node("skip", Conv(64, 3)),
    ...      Node("up", [MaxPool(2), Conv(128, 3), ConvTranspose(64, 2, stride=2)]),
    ...      Node("cat", CropCat(), ["skip", "up"])],
    ... )
    >>> [row.output_shape for row in trace(g, (1, 140, 140)).rows][-2:]   # 138 cropped to 134
    [(64, 134, 134), (128, 134, 134)]
    """

    name: str | None = None

    _aligns: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_name(self, self.name)

    def _smallest(self, shapes: list[Shape | None]) -> list[int | None] | None:
        """The smallest size of each spatial axis over the inputs (``None`` if the ranks differ)."""
        known = [s for s in shapes if s is not None]
        if not known or len({len(s) for s in known}) > 1 or len(known[0]) < 2:
            return None
        return [min((s[d] for s in known if s[d] is not None), default=None) for d in range(1, len(known[0]))]  # type: ignore[type-var]

    def _merge(self, shapes: list[Shape | None], problems: list[ConvShapeError]) -> Shape | None:
        smallest = self._smallest(shapes)
        if smallest is None:  # concatenate says what is wrong
            return concatenate(shapes, 0, problems)
        cropped: list[Shape | None] = [
            None
            if shape is None
            else (
                shape[0],
                *(None if have is None else want for have, want in zip(shape[1:], smallest, strict=True)),
            )
            for shape in shapes
        ]
        return concatenate(cropped, 0, problems)

    def _align(self, shapes: list[Shape | None], fields: list[Fields]) -> list[Fields]:
        """Each input's receptive fields, shifted by what the crop removes before."""
        from convshape.receptive import move

        smallest = self._smallest(shapes)
        aligned: list[Fields] = []
        for shape, field in zip(shapes, fields, strict=True):
            if shape is None or field is None or smallest is None or len(field) != len(smallest):
                aligned.append(None)
                continue
            steps = tuple(
                None if have is None or want is None else (1, 1, -((have - want) // 2))
                for have, want in zip(shape[1:], smallest, strict=True)
            )
            aligned.append(move(field, steps))
        return aligned


#: what a Graph node may apply to several inputs (every merge derives from this base)
MERGES = (_Merge,)


@frozen
class Node:
    """One named step of a :class:`Graph`: an operation and the names of its inputs.

    A layer takes exactly one input; :class:`Add`, :class:`Multiply` and :class:`Cat` take one or more.

    >>> from convshape import Conv
    >>> Node("conv1", Conv(64, 3), ["input"])
    Node(name='conv1', op=Conv(out_channels=64, kernel_size=3, stride=1, padding=0, dilation=1, groups=1, bias=True, in_channels=None, name=None), inputs=('input',))
    """

    name: str
    op: Layer
    inputs: tuple[str, ...]

    _nested: ClassVar[bool] = True

    def __init__(self, name: str, op: Layer | Sequence[Layer], inputs: Sequence[str] | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"Node: name must be a non-empty str, got {type_name(name)} {show(name)}")
        _set(self, "name", name)
        _set(self, "op", as_layer(op, f"node {show(name)} op"))
        if inputs is None:
            _set(self, "inputs", None)
        else:
            if isinstance(inputs, str) or not isinstance(inputs, Sequence):
                raise TypeError(
                    f"node {show(name)}: inputs must be a list of node names, got {type_name(inputs)} {show(inputs)}"
                )
            for item in inputs:
                if not isinstance(item, str):
                    raise TypeError(
                        f"node {show(name)}: input names must be str, got {type_name(item)} {show(item)}"
                    )
            _set(self, "inputs", tuple(inputs))


@frozen
class Graph(Layer):
    """A general network: named nodes in order, each reading earlier nodes (or the input).

    A node with no inputs given reads the node before it (the first reads the input), so a
    chain needs no wiring.  ``outputs`` defaults to the last node; with several outputs the
    report lists each (``Report.outputs``) and the first is the network's output.  Paths are
    the node names.

    >>> from convshape import Conv, MaxPool, Upsample, trace
    >>> fpn = Graph(
    ...     [Node("c3", Conv(64, 3, padding=1)),
    ...      Node("c4", [MaxPool(2), Conv(64, 3, padding=1)]),
    ...      Node("up", Upsample(scale_factor=2), ["c4"]),
    ...      Node("p3", Add(), ["c3", "up"])],
    ...     outputs=["p3", "c4"],
    ... )
    >>> report = trace(fpn, (3, 32, 32))
    >>> report.outputs
    {'p3': (64, 32, 32), 'c4': (64, 16, 16)}
    """

    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]
    input: str
    name: str | None

    _container: ClassVar[bool] = True
    _nested: ClassVar[bool] = True

    def __init__(
        self,
        nodes: Sequence[Node],
        outputs: Sequence[str] | None = None,
        *,
        input: str = "input",
        name: str | None = None,
    ) -> None:
        if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Sequence):
            raise TypeError(f"Graph: nodes must be a list of Node, got {type_name(nodes)}")
        if not nodes:
            raise ParameterError("needs at least one node", where="Graph")
        if not isinstance(input, str) or not input:
            raise TypeError(f"Graph: input must be a non-empty str, got {type_name(input)} {show(input)}")
        from convshape.reshaping import Split  # loaded with the first Graph, not by every trace

        seen = {input}
        last = input
        wired: list[Node] = []
        for i, node in enumerate(nodes):
            if not isinstance(node, Node):
                raise TypeError(f"Graph: nodes[{i}] must be a Node, got {type_name(node)} {show(node)}")
            if node.name in seen:
                raise ParameterError(
                    f"node name {show(node.name)} is used twice (or is the input's name)", where="Graph"
                )
            inputs = node.inputs if node.inputs is not None else (last,)
            for source in inputs:
                if source not in seen:
                    raise ParameterError(
                        f"node {show(node.name)} reads {show(source)}, which is not the input or an earlier node; "
                        "list nodes in the order they run",
                        where="Graph",
                    )
            if not inputs:
                raise ParameterError(f"node {show(node.name)} has no inputs", where="Graph")
            arity = node.op._arity if isinstance(node.op, _Merge) else 1
            if arity is not None and len(inputs) != arity:
                raise ParameterError(
                    f"node {show(node.name)} ({node.op.describe()}) takes {arity} input{'s' if arity > 1 else ''}, "
                    f"got {len(inputs)}"
                    + ("; merge several inputs with Add, Multiply or Cat" if arity == 1 else ""),
                    where="Graph",
                )
            if isinstance(node.op, Split):
                for i, piece in enumerate(node.op.pieces()):
                    label = f"{node.name}[{i}]"
                    if label in seen:
                        raise ParameterError(f"node name {show(label)} is used twice", where="Graph")
                    seen.add(label)
                    wired.append(Node(label, piece, inputs))
                    last = label
                continue
            seen.add(node.name)
            last = node.name
            wired.append(node if node.inputs is not None else Node(node.name, node.op, inputs))
        outs = tuple(outputs) if outputs is not None else (last,)
        if isinstance(outputs, str):
            raise TypeError("Graph: outputs must be a list of node names, not a str")
        for out in outs:
            if out not in seen:
                raise ParameterError(f"output {show(out)} is not a node of the graph", where="Graph")
        if not outs:
            raise ParameterError("needs at least one output", where="Graph")
        _set(self, "nodes", tuple(wired))
        _set(self, "outputs", outs)
        _set(self, "input", input)
        _set(self, "name", name)
        _check_name(self, name)

    def describe(self) -> str:
        return f"Graph({len(self.nodes)} nodes)"


CONTAINERS = (Sequential, Residual, Concat, Graph)
