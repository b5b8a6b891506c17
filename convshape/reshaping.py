"""Layers that move, merge, cut or reduce axes: the tensor plumbing of modern networks.

Axes are numbered as in a shape without the batch axis: ``0`` is the channel axis of a
``(channels, *spatial)`` input, negative numbers count from the end.  PyTorch's ``dim=d``
(with the batch) is ``d - 1`` here for ``d >= 1``; a layer that would touch the batch axis
cannot be written.

>>> from convshape import Conv, Flatten, Sequential, trace
>>> tokens = Sequential(Conv(768, 16, stride=16), Flatten(1), Transpose(0, 1))
>>> trace(tokens, (3, 224, 224)).output_shape
(196, 768)

Receptive fields follow the spatial axes while they stay where a window layer expects them:
a layer that moves, merges or splits axes ends the field (reported as undefined from there,
see docs/counting.md); cutting and cropping shift it; a reduction over a spatial axis with
``keepdim=True`` makes it cover that axis.
"""

from __future__ import annotations

from _collections_abc import Sequence
from math import prod

from convshape._frozen import KW_ONLY, frozen
from convshape.errors import ConvShapeError, ParameterError, ShapeError, check_int, show, type_name
from convshape.layers import (
    FAILED,
    KEEP,
    Layer,
    _check_bool,
    _check_name,
    _set,
    fmt_shape,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

    from convshape.layers import Effect, RFStep, Shape

__all__ = [
    "CenterCrop",
    "ChannelShuffle",
    "Chunk",
    "Crop",
    "Expand",
    "Permute",
    "PixelShuffle",
    "PixelUnshuffle",
    "Reduce",
    "Reshape",
    "Slice",
    "Split",
    "Squeeze",
    "Transpose",
    "Unsqueeze",
]


def axis_index(
    axis: int, rank: int, problems: list[ConvShapeError], name: str = "axis", extra: int = 0
) -> int | None:
    """*axis* (negative from the end) as an index into a shape of *rank* (+ *extra* insert positions)."""
    size = rank + extra
    if -size <= axis < size:
        return axis % size
    low, high = -size, size - 1
    problems.append(
        ShapeError(
            f"{name} {axis} does not exist for an input of rank {rank} (no batch axis); "
            f"use an axis from {low} to {high}",
            where=name,
        )
    )
    return None


def check_axes(owner: str, name: str, value: object) -> int | tuple[int, ...]:
    """An int or a non-empty sequence of distinct ints (validated when a spec is built)."""
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return check_int(name, value)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError(
                f"{name} must be an int or a sequence of ints, got {type_name(value)} {show(value)}"
            )
        items = tuple(check_int(f"{name}[{i}]", v) for i, v in enumerate(value))
    except TypeError as err:
        raise TypeError(f"{owner}: {err}") from None
    if len(set(items)) != len(items):
        raise ParameterError(f"{name} repeats an axis: {items}", where=owner)
    return items


def _sizes_known(shape: Shape) -> bool:
    return None not in shape


def _spatial_kept(perm: Sequence[int]) -> RFStep:
    """Receptive fields survive a reordering only when nothing moves."""
    return KEEP if list(perm) == list(range(len(perm))) else None


@frozen
class Permute(Layer):
    """Reorder the axes, as ``x.permute(0, *[d + 1 for d in dims])`` in PyTorch.

    >>> from convshape import trace
    >>> trace(Permute((1, 2, 0)), (96, 56, 56)).output_shape
    (56, 56, 96)
    """

    dims: tuple[int, ...]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("dims",)

    def __post_init__(self) -> None:
        dims = check_axes("Permute", "dims", self.dims)
        _set(self, "dims", (dims,) if isinstance(dims, int) else dims)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        rank = len(shape)
        if len(self.dims) != rank:
            problems.append(
                ShapeError(
                    f"dims {self.dims} has {len(self.dims)} entries for an input of rank {rank} "
                    f"{fmt_shape(shape)}; give one entry per axis (no batch axis)",
                    where="dims",
                )
            )
            return FAILED
        found = [axis_index(d, rank, problems, "dims") for d in self.dims]
        order = [d for d in found if d is not None]
        if len(order) < rank:
            return FAILED
        if len(set(order)) != rank:
            problems.append(ShapeError(f"dims {self.dims} repeats an axis of rank {rank}", where="dims"))
            return FAILED
        return tuple(shape[d] for d in order), 0, 0, 0, _spatial_kept(order)


@frozen
class Transpose(Layer):
    """Swap two axes, as ``x.transpose(dim0 + 1, dim1 + 1)`` in PyTorch.

    >>> from convshape import trace
    >>> trace(Transpose(0, 1), (768, 196)).output_shape
    (196, 768)
    """

    dim0: int
    dim1: int
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("dim0", "dim1")

    def __post_init__(self) -> None:
        try:
            check_int("dim0", self.dim0)
            check_int("dim1", self.dim1)
        except TypeError as err:
            raise TypeError(f"Transpose: {err}") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        rank = len(shape)
        a = axis_index(self.dim0, rank, problems, "dim0")
        b = axis_index(self.dim1, rank, problems, "dim1")
        if a is None or b is None:
            return FAILED
        order = list(range(rank))
        order[a], order[b] = order[b], order[a]
        return tuple(shape[d] for d in order), 0, 0, 0, _spatial_kept(order)


@frozen
class Reshape(Layer):
    """Give the values a new shape (``view``/``reshape`` without the batch axis); one entry may be ``-1``.

    >>> from convshape import trace
    >>> trace(Reshape((3, 4, -1)), (24, 5)).output_shape
    (3, 4, 10)
    """

    shape: tuple[int, ...]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("shape",)

    def __post_init__(self) -> None:
        value = self.shape
        try:
            if isinstance(value, int) and not isinstance(value, bool):
                value = (value,)
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                raise TypeError(f"shape must be a sequence of ints, got {type_name(value)} {show(value)}")
            items = tuple(check_int(f"shape[{i}]", v, -1) for i, v in enumerate(value))
        except TypeError as err:
            raise TypeError(f"Reshape: {err}") from None
        except ParameterError as err:
            raise err.located("Reshape") from None
        if not items:
            raise ParameterError("shape must have at least one entry", where="Reshape")
        if items.count(-1) > 1:
            raise ParameterError(
                f"shape {items} has more than one -1; at most one size can be inferred", where="Reshape"
            )
        if 0 in items:
            raise ParameterError(
                f"shape {items} has a 0: every size must be at least 1 (or -1 to infer it)", where="Reshape"
            )
        _set(self, "shape", items)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        target = self.shape
        step: RFStep = KEEP if tuple(target) == tuple(shape) else None
        if -1 not in target:
            if _sizes_known(shape) and prod(shape) != prod(target):  # type: ignore[arg-type]
                problems.append(
                    ShapeError(
                        f"cannot view {fmt_shape(shape)} ({prod(shape):,} values) as {fmt_shape(target)} "  # type: ignore[arg-type]
                        f"({prod(target):,} values); the sizes must multiply to the same number",
                        where="shape",
                    )
                )
                return FAILED
            return target, 0, 0, 0, step
        if not _sizes_known(shape):
            return tuple(None if v == -1 else v for v in target), 0, 0, 0, None
        total = prod(shape)  # type: ignore[arg-type]
        known = -prod(target)
        if total % known:
            problems.append(
                ShapeError(
                    f"cannot view {fmt_shape(shape)} ({total:,} values) as {fmt_shape(target)}: "
                    f"{total:,} is not divisible by {known:,}",
                    where="shape",
                )
            )
            return FAILED
        out = tuple(total // known if v == -1 else v for v in target)
        return out, 0, 0, 0, KEEP if out == tuple(shape) else None


@frozen
class Expand(Layer):
    """Repeat axes of size 1 to *shape* (``x.expand(...)`` without the batch axis; ``-1`` keeps an axis).

    Broadcasting rules: the input is aligned to the right of *shape*, and each of its axes must
    have the target size or size 1.

    >>> from convshape import trace
    >>> trace(Expand((-1, 32, 32)), (256, 1, 1)).output_shape
    (256, 32, 32)
    """

    shape: tuple[int, ...]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("shape",)

    def __post_init__(self) -> None:
        value = self.shape
        try:
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
                raise TypeError(
                    f"shape must be a non-empty sequence of ints, got {type_name(value)} {show(value)}"
                )
            items = tuple(check_int(f"shape[{i}]", v, -1) for i, v in enumerate(value))
        except TypeError as err:
            raise TypeError(f"Expand: {err}") from None
        except ParameterError as err:
            raise err.located("Expand") from None
        if 0 in items:
            raise ParameterError(
                f"shape {items} has a 0: sizes are at least 1 (or -1 to keep one)", where="Expand"
            )
        _set(self, "shape", items)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        target = self.shape
        if len(target) < len(shape):
            problems.append(
                ShapeError(f"cannot expand {fmt_shape(shape)} to fewer axes {target}", where="shape")
            )
            return FAILED
        lead = len(target) - len(shape)
        out: list[int | None] = []
        for i, want in enumerate(target):
            have = shape[i - lead] if i >= lead else None
            if want == -1:
                if i < lead:
                    problems.append(
                        ShapeError(f"-1 at new axis {i} of {target}: a new axis needs a size", where="shape")
                    )
                    return FAILED
                out.append(have)
            elif i >= lead and have is not None and have not in (1, want):
                problems.append(
                    ShapeError(
                        f"cannot expand {fmt_shape(shape)} to {target}: axis {i - lead} has size {have}, "
                        f"not 1 or {want}",
                        where="shape",
                    )
                )
                return FAILED
            else:
                out.append(want)
        result = tuple(out)
        return result, 0, 0, 0, KEEP if result == tuple(shape) else None


@frozen
class Squeeze(Layer):
    """Remove axes of size 1 (all of them, or the given ones: an axis of another size is kept, as PyTorch does).

    >>> from convshape import trace
    >>> trace(Squeeze((1, 2)), (2048, 1, 1)).output_shape
    (2048,)
    """

    dims: int | tuple[int, ...] | None = None
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("dims",)

    def __post_init__(self) -> None:
        if self.dims is not None:
            _set(self, "dims", check_axes("Squeeze", "dims", self.dims))
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        rank = len(shape)
        if self.dims is None:
            chosen = {i for i, v in enumerate(shape) if v == 1}
        else:
            dims = (self.dims,) if isinstance(self.dims, int) else self.dims
            found = [axis_index(d, rank, problems, "dims") for d in dims]
            chosen = {d for d in found if d is not None and shape[d] == 1}
            if None in found:
                return FAILED
        if not chosen:
            return shape, 0, 0, 0, KEEP
        return tuple(v for i, v in enumerate(shape) if i not in chosen), 0, 0, 0, None


@frozen
class Unsqueeze(Layer):
    """Insert an axis of size 1 at *dim* (``-1`` appends), as ``x.unsqueeze(dim + 1)``.

    >>> from convshape import trace
    >>> trace(Unsqueeze(-1), (64, 10)).output_shape
    (64, 10, 1)
    """

    dim: int
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("dim",)

    def __post_init__(self) -> None:
        try:
            check_int("dim", self.dim)
        except TypeError as err:
            raise TypeError(f"Unsqueeze: {err}") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        at = axis_index(self.dim, len(shape), problems, "dim", extra=1)
        if at is None:
            return FAILED
        return (*shape[:at], 1, *shape[at:]), 0, 0, 0, None


def _slice_length(size: int, start: int, stop: int | None, step: int) -> tuple[int, int]:
    """(first index, length) of ``range(size)[start:stop:step]`` for step >= 1."""
    first, last, _ = slice(start, stop, step).indices(size)
    return first, max(0, -(-(last - first) // step))


@frozen
class Slice(Layer):
    """Keep ``start:stop:step`` of one axis (Python's slicing rules: negative and out-of-range bounds clamp).

    >>> from convshape import trace
    >>> trace(Slice(0, 0, 32), (64, 8, 8)).output_shape
    (32, 8, 8)
    >>> trace(Slice(1, 1, None, 2), (3, 9, 9)).receptive_field
    (ReceptiveField(size=1, stride=2, padding=-1), ReceptiveField(size=1, stride=1, padding=0))
    """

    axis: int
    start: int = 0
    stop: int | None = None
    step: int = 1
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("axis", "start", "stop")

    def __post_init__(self) -> None:
        try:
            check_int("axis", self.axis)
            check_int("start", self.start)
            if self.stop is not None:
                check_int("stop", self.stop)
            check_int("step", self.step, 1)
        except TypeError as err:
            raise TypeError(f"Slice: {err}") from None
        except ParameterError as err:
            raise err.located("Slice") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        rank = len(shape)
        at = axis_index(self.axis, rank, problems)
        if at is None:
            return FAILED
        size = shape[at]
        if size is None:
            return (*shape[:at], None, *shape[at + 1 :]), 0, 0, 0, None
        first, length = _slice_length(size, self.start, self.stop, self.step)
        if length < 1:
            stop = "" if self.stop is None else self.stop
            problems.append(
                ShapeError(
                    f"the slice {self.start}:{stop}:{self.step} of an axis of size {size} is empty; "
                    f"use bounds inside 0..{size}",
                    where="start",
                )
            )
            return FAILED
        out = (*shape[:at], length, *shape[at + 1 :])
        if at == 0:
            return out, 0, 0, 0, KEEP
        steps: list[tuple[int, int, int]] = [(1, 1, 0)] * (rank - 1)
        steps[at - 1] = (1, self.step, -first)
        return out, 0, 0, 0, tuple(steps)


@frozen
class Chunk(Layer):
    """Piece *index* of ``torch.chunk(x, chunks, dim=axis + 1)``: pieces of ``ceil(size / chunks)``, the last smaller.

    PyTorch may return fewer than *chunks* pieces (``chunk(6 values, 4)`` gives 3 of 2);
    asking for a piece that does not exist is a problem.

    >>> from convshape import trace
    >>> [trace(Chunk(4, i), (6, 5)).output_shape for i in range(3)]
    [(2, 5), (2, 5), (2, 5)]
    """

    chunks: int
    index: int
    _: KW_ONLY
    axis: int = 0
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("chunks", "index")

    def __post_init__(self) -> None:
        try:
            check_int("chunks", self.chunks, 1)
            check_int("index", self.index, 0)
            check_int("axis", self.axis)
        except TypeError as err:
            raise TypeError(f"Chunk: {err}") from None
        except ParameterError as err:
            raise err.located("Chunk") from None
        if self.index >= self.chunks:
            raise ParameterError(f"index {self.index} is not below chunks {self.chunks}", where="Chunk")
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        rank = len(shape)
        at = axis_index(self.axis, rank, problems)
        if at is None:
            return FAILED
        size = shape[at]
        if size is None:
            return (*shape[:at], None, *shape[at + 1 :]), 0, 0, 0, None
        piece = -(-size // self.chunks)
        count = -(-size // piece)
        if self.index >= count:
            problems.append(
                ShapeError(
                    f"an axis of size {size} splits into only {count} chunks of {piece} "
                    f"(ceil({size} / {self.chunks}) = {piece}), so piece {self.index} does not exist",
                    where="index",
                )
            )
            return FAILED
        first = self.index * piece
        out = (*shape[:at], min(piece, size - first), *shape[at + 1 :])
        if at == 0:
            return out, 0, 0, 0, KEEP
        steps: list[tuple[int, int, int]] = [(1, 1, 0)] * (rank - 1)
        steps[at - 1] = (1, 1, -first)
        return out, 0, 0, 0, tuple(steps)


@frozen
class Split(Layer):
    """Several outputs in a :class:`~convshape.Graph`: a node ``Node("s", Split(...))`` becomes the
    nodes ``s[0]``, ``s[1]``, ... (one :class:`Slice` or :class:`Chunk` each) that later nodes read.

    Give ``sizes`` (``torch.split(x, [a, b, ...])``) or ``chunks`` (``torch.chunk``).

    >>> from convshape import Add, Conv, Graph, Node, trace
    >>> g = Graph([Node("s", Split(sizes=(16, 16))), Node("a", Conv(16, 1), ["s[0]"]), Node("sum", Add(), ["a", "s[1]"])])
    >>> [n.name for n in g.nodes]
    ['s[0]', 's[1]', 'a', 'sum']
    >>> trace(g, (32, 8, 8)).output_shape
    (16, 8, 8)
    """

    _: KW_ONLY
    sizes: tuple[int, ...] | None = None
    chunks: int | None = None
    axis: int = 0
    name: str | None = None

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        if (self.sizes is None) == (self.chunks is None):
            raise ParameterError("give exactly one of sizes and chunks", where="Split")
        try:
            check_int("axis", self.axis)
            if self.chunks is not None:
                check_int("chunks", self.chunks, 1)
            else:
                sizes = self.sizes
                if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
                    raise TypeError(
                        f"sizes must be a non-empty sequence of ints, got {type_name(sizes)} {show(sizes)}"
                    )
                _set(self, "sizes", tuple(check_int(f"sizes[{i}]", v, 1) for i, v in enumerate(sizes)))
        except TypeError as err:
            raise TypeError(f"Split: {err}") from None
        except ParameterError as err:
            raise err.located("Split") from None

    def pieces(self) -> list[Layer]:
        """One single-output layer per piece, in order.

        >>> Split(sizes=(2, 3), axis=1).pieces()
        [Slice(axis=1, start=0, stop=2, step=1, name=None), Slice(axis=1, start=2, stop=5, step=1, name=None)]
        """
        if self.chunks is not None:
            return [Chunk(self.chunks, i, axis=self.axis) for i in range(self.chunks)]
        assert self.sizes is not None
        out: list[Layer] = []
        start = 0
        for size in self.sizes:
            out.append(Slice(self.axis, start, start + size))
            start += size
        return out

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        problems.append(
            ParameterError(
                "Split has several outputs: use it as a Graph node, Node('s', Split(...)), and read s[0], s[1], ...",
                where="Split",
            )
        )
        return FAILED

    def describe(self) -> str:
        what = f"sizes={self.sizes}" if self.sizes is not None else f"chunks={self.chunks}"
        return f"Split({what}, axis={self.axis})"


def _pairs(owner: str, value: object) -> tuple[tuple[int, int], ...] | int:
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return check_int("cropping", value, 0)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
            raise TypeError(
                f"cropping must be an int or a non-empty sequence of ints or (before, after) pairs, got {type_name(value)} {show(value)}"
            )
        out: list[tuple[int, int]] = []
        for i, item in enumerate(value):
            if isinstance(item, int) and not isinstance(item, bool):
                v = check_int(f"cropping[{i}]", item, 0)
                out.append((v, v))
            elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and len(item) == 2:
                out.append(
                    (check_int(f"cropping[{i}][0]", item[0], 0), check_int(f"cropping[{i}][1]", item[1], 0))
                )
            else:
                raise TypeError(
                    f"cropping[{i}] must be an int or a (before, after) pair, got {type_name(item)} {show(item)}"
                )
        return tuple(out)
    except TypeError as err:
        raise TypeError(f"{owner}: {err}") from None
    except ParameterError as err:
        raise err.located(owner) from None


def _spatial(shape: Shape, problems: list[ConvShapeError], want: int | None) -> int | None:
    ndim = len(shape) - 1
    if ndim < 1:
        from convshape.layers import _no_spatial

        problems.append(_no_spatial(shape))
        return None
    if want is not None and want != ndim:
        problems.append(
            ParameterError(f"gives {want} spatial axes for an input with {ndim}", where="cropping")
        )
        return None
    return ndim


def _crop(shape: Shape, pairs: Sequence[tuple[int, int]], problems: list[ConvShapeError]) -> Effect:
    out: list[int | None] = [shape[0]]
    steps: list[tuple[int, int, int]] = []
    for axis, (size, (before, after)) in enumerate(zip(shape[1:], pairs, strict=True)):
        steps.append((1, 1, -before))
        if size is None:
            out.append(None)
        elif size - before - after < 1:
            problems.append(
                ShapeError(
                    f"cropping {before} + {after} leaves nothing of size {size} ({size} - {before} - {after} = "
                    f"{size - before - after}); crop less or use a larger input",
                    where=f"axis {axis}",
                )
            )
            out.append(None)
        else:
            out.append(size - before - after)
    return tuple(out), 0, 0, 0, tuple(steps)


@frozen
class Crop(Layer):
    """Remove rows and columns at the borders of the spatial axes (Keras ``Cropping2D``): one int for
    every side, or per axis an int or a ``(before, after)`` pair.

    >>> from convshape import trace
    >>> trace(Crop(((1, 2), 4)), (3, 20, 20)).output_shape
    (3, 17, 12)
    """

    cropping: int | Sequence[int | Sequence[int]]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("cropping",)

    def __post_init__(self) -> None:
        _set(self, "cropping", _pairs("Crop", self.cropping))
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        crop = self.cropping
        ndim = _spatial(shape, problems, None if isinstance(crop, int) else len(crop))
        if ndim is None:
            return FAILED
        pairs = ((crop, crop),) * ndim if isinstance(crop, int) else crop
        return _crop(shape, pairs, problems)  # type: ignore[arg-type]  # pairs since built


@frozen
class CenterCrop(Layer):
    """Keep the centre *size* of each spatial axis (the 2015 U-Net's crop of its skip connections):
    ``(input - size) // 2`` is removed before, the rest after.

    >>> from convshape import trace
    >>> trace(CenterCrop(392), (64, 568, 568)).output_shape
    (64, 392, 392)
    """

    size: int | tuple[int, ...]
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("size",)

    def __post_init__(self) -> None:
        try:
            if isinstance(self.size, int) and not isinstance(self.size, bool):
                check_int("size", self.size, 1)
            elif isinstance(self.size, Sequence) and not isinstance(self.size, (str, bytes)) and self.size:
                _set(self, "size", tuple(check_int(f"size[{i}]", v, 1) for i, v in enumerate(self.size)))
            else:
                raise TypeError(
                    f"size must be an int or a sequence of ints, got {type_name(self.size)} {show(self.size)}"
                )
        except TypeError as err:
            raise TypeError(f"CenterCrop: {err}") from None
        except ParameterError as err:
            raise err.located("CenterCrop") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        size = self.size
        ndim = _spatial(shape, problems, None if isinstance(size, int) else len(size))
        if ndim is None:
            return FAILED
        sizes = (size,) * ndim if isinstance(size, int) else size
        pairs: list[tuple[int, int]] = []
        for axis, (have, want) in enumerate(zip(shape[1:], sizes, strict=True)):
            if have is None:
                pairs.append((0, 0))
            elif want > have:
                problems.append(
                    ShapeError(
                        f"cannot crop size {have} to {want}: the crop is larger than the input",
                        where=f"axis {axis}",
                    )
                )
                return FAILED
            else:
                pairs.append(((have - want) // 2, have - want - (have - want) // 2))
        out, params, kernels, macs, step = _crop(shape, pairs, problems)
        if out is not None:
            out = (
                out[0],
                *(
                    w if o is None and h is not None else o
                    for o, w, h in zip(out[1:], sizes, shape[1:], strict=True)
                ),
            )
        return out, params, kernels, macs, step


_REDUCTIONS = ("mean", "sum", "max", "min", "amax", "amin", "prod")


@frozen
class Reduce(Layer):
    """Reduce axes by mean, sum, max, min or product (``x.mean(dims, keepdim)``; SE blocks' squeeze).

    No parameters and no MACs (as pooling). Reducing every spatial axis with ``keepdim=True``
    is global pooling: the receptive field covers each reduced axis.

    >>> from convshape import trace
    >>> trace(Reduce("mean", (1, 2), keepdim=True), (96, 14, 14)).output_shape
    (96, 1, 1)
    """

    op: str
    axes: int | tuple[int, ...]
    _: KW_ONLY
    keepdim: bool = False
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("op", "axes")

    def __post_init__(self) -> None:
        if not isinstance(self.op, str):
            raise TypeError(f"Reduce: op must be a str, got {type_name(self.op)} {show(self.op)}")
        if self.op not in _REDUCTIONS:
            raise ParameterError(f"op {show(self.op)} is not one of {', '.join(_REDUCTIONS)}", where="Reduce")
        _set(self, "axes", check_axes("Reduce", "axes", self.axes))
        _check_bool("Reduce", "keepdim", self.keepdim)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        rank = len(shape)
        axes = (self.axes,) if isinstance(self.axes, int) else self.axes
        found = [axis_index(a, rank, problems, "axes") for a in axes]
        if None in found:
            return FAILED
        chosen = set(found)
        if self.keepdim:
            out = tuple(1 if i in chosen else v for i, v in enumerate(shape))
            step: RFStep = tuple(
                (1, 1, 0) if i not in chosen else None if v is None else (v, v, 0)
                for i, v in enumerate(shape)
                if i > 0
            )
            return out, 0, 0, 0, step
        return tuple(v for i, v in enumerate(shape) if i not in chosen), 0, 0, 0, None


@frozen
class ChannelShuffle(Layer):
    """ShuffleNet's channel shuffle: channels regrouped across *groups*; the shape is unchanged.

    >>> from convshape import trace
    >>> trace(ChannelShuffle(2), (116, 28, 28)).output_shape
    (116, 28, 28)
    """

    groups: int
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("groups",)

    def __post_init__(self) -> None:
        try:
            check_int("groups", self.groups, 1)
        except TypeError as err:
            raise TypeError(f"ChannelShuffle: {err}") from None
        except ParameterError as err:
            raise err.located("ChannelShuffle") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        channels = shape[0]
        if channels is not None and channels % self.groups:
            problems.append(
                ShapeError(
                    f"the input's {channels} channels are not divisible by groups {self.groups}",
                    where="groups",
                )
            )
            return FAILED
        return shape, 0, 0, 0, KEEP


class _Shuffle(Layer):
    __slots__ = ()
    factor: int

    def __post_init__(self) -> None:
        try:
            check_int("factor", self.factor, 1)
        except TypeError as err:
            raise TypeError(f"{self.kind}: {err}") from None
        except ParameterError as err:
            raise err.located(self.kind) from None
        _check_name(self, getattr(self, "name", None))

    def _split(self, shape: Shape, problems: list[ConvShapeError]) -> bool:
        if len(shape) < 3:
            problems.append(
                ShapeError(
                    f"needs (channels, height, width) or more axes, got {fmt_shape(shape)}",
                    where="input",
                )
            )
            return False
        return True


@frozen
class PixelShuffle(_Shuffle):
    """``(C x r^2, H, W) -> (C, H x r, W x r)`` on the last two axes (sub-pixel upsampling).

    >>> from convshape import trace
    >>> trace(PixelShuffle(2), (64, 8, 8)).output_shape
    (16, 16, 16)
    """

    factor: int
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("factor",)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if not self._split(shape, problems):
            return FAILED
        r = self.factor
        *lead, c, h, w = shape
        if c is not None and c % (r * r):
            problems.append(
                ShapeError(
                    f"the {c} channels are not divisible by factor^2 = {r * r}; use a multiple of {r * r}",
                    where="factor",
                )
            )
            return FAILED
        out = (
            *lead,
            None if c is None else c // (r * r),
            None if h is None else h * r,
            None if w is None else w * r,
        )
        return out, 0, 0, 0, None


@frozen
class PixelUnshuffle(_Shuffle):
    """``(C, H x r, W x r) -> (C x r^2, H, W)`` on the last two axes (space to depth).

    >>> from convshape import trace
    >>> trace(PixelUnshuffle(4), (3, 224, 224)).output_shape
    (48, 56, 56)
    """

    factor: int
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("factor",)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if not self._split(shape, problems):
            return FAILED
        r = self.factor
        *lead, c, h, w = shape
        for axis, size in (("height", h), ("width", w)):
            if size is not None and size % r:
                problems.append(
                    ShapeError(f"the {axis} {size} is not divisible by factor {r}", where="factor")
                )
                return FAILED
        out = (
            *lead,
            None if c is None else c * r * r,
            None if h is None else h // r,
            None if w is None else w // r,
        )
        step: RFStep = ((r, r, 0), (r, r, 0)) if not lead else None
        return out, 0, 0, 0, step
