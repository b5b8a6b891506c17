"""Receptive fields, in the terms of Araujo, Norris and Sim (Distill, 2019).

Per spatial axis, a feature map's receptive field relative to the network input is

* ``size`` (r): how many input pixels one output feature sees;
* ``stride`` (S): how far apart, in input pixels, neighbouring features' fields are;
* ``padding`` (P): the effective padding: feature ``y`` (0-based) sees input pixels
  ``[y * S - P, y * S - P + r - 1]``.

A window layer with dilated extent ``e``, stride ``s`` and padding ``b`` before the input
maps ``(r, S, P)`` to ``(r + (e - 1) * S, S * s, P + b * S)``, the forward form of the
article's recurrences.  Layers that do not move pixels leave the field unchanged.

>>> rf = ReceptiveField()
>>> for _ in range(2):                 # Hien's example: two 3x3 stride-2 convs with padding 1
...     rf = rf.then(3, 2, 1)
>>> rf
ReceptiveField(size=7, stride=4, padding=3)
>>> rf.span(0)
(-3, 3)
"""

from __future__ import annotations

from convshape._frozen import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    class _Field(NamedTuple):
        size: int = 1
        stride: int = 1
        padding: int = 0

else:  # typing costs milliseconds to import; the runtime class is the same named tuple
    _Field = record("ReceptiveField", ("size", "stride", "padding"), defaults=(1, 1, 0))

__all__ = ["ReceptiveField"]

_new = tuple.__new__


class ReceptiveField(_Field):
    """The receptive field of a feature map on one axis (size, effective stride, effective padding).

    An immutable named tuple (cheap to create: the tracer makes one per axis per row).

    >>> ReceptiveField().then(11, 4, 2)     # torchvision AlexNet's first convolution
    ReceptiveField(size=11, stride=4, padding=2)
    """

    __slots__ = ()

    def then(self, extent: int, stride: int = 1, before: int = 0) -> ReceptiveField:
        """The field after a window of dilated ``extent``, ``stride`` and ``before`` padding.

        >>> ReceptiveField(3, 2, 1).then(3, 1, 1)
        ReceptiveField(size=7, stride=2, padding=3)
        """
        if extent == 1 and stride == 1 and before == 0:
            return self
        size, step, padding = self
        return _new(ReceptiveField, (size + (extent - 1) * step, step * stride, padding + before * step))

    def span(self, index: int = 0) -> tuple[int, int]:
        """The first and last input pixel (inclusive) that output feature ``index`` sees.

        Negative values and values past the input lie in the padding.

        >>> ReceptiveField(15, 1, 7).span(10)
        (3, 17)
        """
        start = index * self.stride - self.padding
        return start, start + self.size - 1

    @property
    def center_offset2(self) -> int:
        """Twice the centre of feature 0's field: ``size - 1 - 2 * padding`` (an int, for comparisons)."""
        return self.size - 1 - 2 * self.padding


def move(
    fields: tuple[ReceptiveField | None, ...] | None, steps: object
) -> tuple[ReceptiveField | None, ...] | None:
    """Per-axis fields moved through a layer's steps: ``"keep"`` (no pixel moves), ``None``
    (the field ends: no spatial correspondence), or per axis ``(extent, stride, before)``.

    >>> move((ReceptiveField(),) * 2, ((3, 2, 1), (1, 1, 0)))
    (ReceptiveField(size=3, stride=2, padding=1), ReceptiveField(size=1, stride=1, padding=0))
    """
    if steps == "keep":
        return fields
    if fields is None or not isinstance(steps, tuple):
        return None
    n = len(fields)
    if n != len(steps):
        return None
    field, step = fields[0], steps[0]
    if field is not None and step is not None and fields.count(field) == n and steps.count(step) == n:
        return (field.then(*step),) * n  # the same window on every axis of a square field
    return tuple(None if f is None or s is None else f.then(*s) for f, s in zip(fields, steps, strict=True))


def merge(
    fields: list[tuple[ReceptiveField | None, ...] | None],
) -> tuple[tuple[ReceptiveField | None, ...] | None, list[str]]:
    """Combine the fields of parallel branches (residual, concat) by the largest one.

    Returns the combined per-axis fields and notes on axes where the branches are misaligned
    (different effective strides, or fields whose centres differ).
    """
    if not fields or None in fields:
        return None, []
    branches: list[tuple[ReceptiveField | None, ...]] = fields  # type: ignore[assignment]
    first = branches[0]
    ndim = len(first)
    if fields.count(first) == len(fields):  # every branch has the same field
        return first, []
    square: list[ReceptiveField] = []
    for f in branches:
        if len(f) != ndim:
            return None, []
        head = f[0]
        if head is not None and f.count(head) == ndim:
            square.append(head)
    notes: list[str] = []
    if len(square) == len(branches):  # square fields: one axis says all, unless it has a note
        largest = _combine(0, square, notes)
        if not notes:
            return (largest,) * ndim, notes
        notes.clear()
    combined: list[ReceptiveField | None] = []
    for axis in range(ndim):
        known: list[ReceptiveField] = []
        for f in branches:
            field = f[axis]
            if field is None:
                break
            known.append(field)
        else:
            combined.append(_combine(axis, known, notes))
            continue
        combined.append(None)
    return tuple(combined), notes


def _combine(axis: int, known: list[ReceptiveField], notes: list[str]) -> ReceptiveField:
    largest = known[0]
    size, stride, padding = largest
    centre = size - 1 - 2 * padding
    aligned = same_stride = True
    for field in known[1:]:
        other_size, other_stride, other_padding = field
        if other_size > largest[0]:
            largest = field
        if other_stride != stride:
            same_stride = False
        elif other_size - 1 - 2 * other_padding != centre:
            aligned = False
    if not same_stride:
        notes.append(
            f"axis {axis}: branches have different effective strides {sorted({a[1] for a in known})}"
        )
    elif not aligned:
        shown = ", ".join(f"{c / 2:g}" for c in sorted({a.center_offset2 for a in known}))
        notes.append(f"axis {axis}: branch fields are centred at different input positions ({shown})")
    return largest
