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

Upsampling (a transposed convolution, nearest-neighbour upsampling by an integer factor) makes
the stride a fraction and the field depend on the output position's phase: a
:class:`PhasedField` keeps, for each phase of one period, the exact interval of input pixels
that can influence the feature, and later windows, crops and merges keep it exact.  A field
whose period comes back to 1 with a whole stride is a plain :class:`ReceptiveField` again.

>>> up = transpose(ReceptiveField(), kernel=3, stride=2)   # ConvTranspose(k=3, s=2) on the input
>>> up
PhasedField(stride=Fraction(1, 2), spans=((-1, 0), (0, 0)))
>>> up.size, up.period, up.span(4), up.span(5)
(2, 2, (1, 2), (2, 2))
>>> up.then(2, 2)                                           # a 2x2 stride-2 window undoes the phase
ReceptiveField(size=2, stride=1, padding=1)
"""

from __future__ import annotations

from math import gcd

from convshape._frozen import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NamedTuple

    class _Field(NamedTuple):
        size: int = 1
        stride: int = 1
        padding: int = 0

else:  # typing costs milliseconds to import; the runtime class is the same named tuple
    _Field = record("ReceptiveField", ("size", "stride", "padding"), defaults=(1, 1, 0))

__all__ = ["MAX_PERIOD", "MAX_WORK", "FieldTooFine", "PhasedField", "ReceptiveField", "transpose"]

_new = tuple.__new__

#: A phased field is kept exact while its pattern repeats within this many positions...
MAX_PERIOD = 1024
#: ...and while moving it through one layer takes at most this many steps (one per phase and
#: input interval read).
MAX_WORK = 1 << 16


class FieldTooFine(ValueError):
    """A field whose exact form is beyond :data:`MAX_PERIOD` or :data:`MAX_WORK`.

    Raised by the field operations instead of working for hours or exhausting memory (an
    upsampling by ``2**63``); the tracer reports the field as unknown from that layer on, on
    the axes concerned, with this message as the row's note.

    >>> transpose(ReceptiveField(), kernel=2**40, stride=2**40)
    Traceback (most recent call last):
    ...
    convshape.receptive.FieldTooFine: the receptive field is not tracked from here on: its exact form would repeat every 1,099,511,627,776 positions, and fields are kept exact up to 1,024
    """


def _too_fine(period: int, work: int) -> FieldTooFine | None:
    """The error for a result of *period* phases taking *work* steps, if over a bound."""
    if period > MAX_PERIOD:
        return FieldTooFine(
            f"the receptive field is not tracked from here on: its exact form would repeat every "
            f"{period:,} positions, and fields are kept exact up to {MAX_PERIOD:,}"
        )
    if work > MAX_WORK:
        return FieldTooFine(
            f"the receptive field is not tracked from here on: its exact form would take {work:,} "
            f"steps to compute, and the limit is {MAX_WORK:,}"
        )
    return None


class ReceptiveField(_Field):
    """The receptive field of a feature map on one axis (size, effective stride, effective padding).

    An immutable named tuple (cheap to create: the tracer makes one per axis per row).

    >>> ReceptiveField().then(11, 4, 2)     # torchvision AlexNet's first convolution
    ReceptiveField(size=11, stride=4, padding=2)
    """

    __slots__ = ()

    @property
    def period(self) -> int:
        """Positions after which the field repeats shifted by ``period * stride``: always 1 here."""
        return 1

    def then(self, extent: int, stride: int = 1, before: int = 0, dilation: int = 1) -> ReceptiveField:
        """The field after a window of dilated ``extent``, ``stride`` and ``before`` padding
        (the dilation does not matter: the first and last taps bound the field).

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


if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Union

    Span = Union[tuple[int, int], None]
    Field = Union[ReceptiveField, "PhasedField"]

    class _PhasedBase(NamedTuple):
        stride: Fraction
        spans: tuple[Span, ...]

else:
    _PhasedBase = record("PhasedField", ("stride", "spans"))


class PhasedField(_PhasedBase):
    """The exact receptive field of a feature map after upsampling, on one axis.

    ``stride`` is a :class:`fractions.Fraction` (input pixels per feature); ``spans`` holds one
    entry per phase of a period: feature ``y = q * period + phase`` sees input pixels
    ``spans[phase]`` shifted by ``q * period * stride`` (inclusive; ``None``: no input pixel
    influences it, only biases).  ``size`` is the largest interval over the phases.

    >>> from fractions import Fraction
    >>> field = PhasedField(Fraction(1, 2), ((-1, 0), (0, 0)))
    >>> field.size, field.period, field.span(1)
    (2, 2, (0, 0))
    """

    __slots__ = ()

    @property
    def period(self) -> int:
        """How many positions the pattern of intervals takes to repeat."""
        return len(self[1])

    @property
    def size(self) -> int:
        """The largest number of input pixels (first to last) one feature can see."""
        return max((hi - lo + 1 for lo, hi in filter(None, self[1])), default=0)

    @property
    def padding(self) -> int:
        """How far feature 0's field starts before the input (``-span(0)[0]``; 0 if it sees nothing)."""
        first = self[1][0]
        return 0 if first is None else -first[0]

    def span(self, index: int = 0) -> Span:
        """The first and last input pixel (inclusive) feature *index* can see, or ``None``."""
        return _at(self[1], int(self[0] * len(self[1])), index)

    def then(self, extent: int, stride: int = 1, before: int = 0, dilation: int = 1) -> Field:
        """The field after a window (see :meth:`ReceptiveField.then`); only the window's taps count."""
        return _window(self[0], self[1], extent, stride, before, dilation)


def _parts(field: Field) -> tuple[Fraction, tuple[Span, ...]]:
    if type(field) is ReceptiveField:
        from fractions import Fraction

        size, stride, padding = field
        return Fraction(stride), ((-padding, size - 1 - padding),)
    return field  # type: ignore[return-value]


def _at(spans: tuple[Span, ...], shift: int, index: int) -> Span:
    """The interval of feature *index*, for *spans* that repeat shifted by *shift* every period."""
    q, phase = divmod(index, len(spans))
    span = spans[phase]
    return None if span is None else (span[0] + q * shift, span[1] + q * shift)


def _hull(spans: Sequence[Span]) -> Span:
    known = [s for s in spans if s is not None]
    if not known:
        return None
    return min(s[0] for s in known), max(s[1] for s in known)


def _make(stride: Fraction, spans: list[Span]) -> Field:
    """A field in its shortest period; a period of 1 with a whole stride is a ReceptiveField."""
    count = len(spans)
    for period in range(1, count + 1):
        shift = stride * period
        if count % period or shift.denominator != 1:
            continue
        step = int(shift)
        if all(
            (a is None and b is None) or (a is not None and b is not None and (a[0] + step, a[1] + step) == b)
            for a, b in zip(spans[: count - period], spans[period:], strict=True)
        ):
            spans = spans[:period]
            break
    if len(spans) == 1 and spans[0] is not None and stride.denominator == 1:
        lo, hi = spans[0]
        return _new(ReceptiveField, (hi - lo + 1, int(stride), -lo))
    return _new(PhasedField, (stride, tuple(spans)))


def _window(
    stride: Fraction, spans: tuple[Span, ...], extent: int, step: int, before: int, dilation: int
) -> Field:
    period = len(spans)
    shift = int(stride * period)
    taps = (extent - 1) // dilation + 1
    # intervals grow with the index within a phase: the first and last taps of each phase bound them
    cycle = period // gcd(period, dilation)
    ends = range(taps) if taps <= 2 * cycle else [*range(cycle), *range(taps - cycle, taps)]
    phases = period // gcd(period, step)
    error = _too_fine(phases, phases * len(ends))
    if error is not None:
        raise error
    out: list[Span] = []
    for phase in range(phases):
        start = phase * step - before
        out.append(_hull([_at(spans, shift, start + m * dilation) for m in ends]))
    return _make(stride * step, out)


def transpose(field: Field, kernel: int, stride: int, dilation: int = 1, before: int = 0) -> Field:
    """The field after a transposed convolution (``before``: what its padding trims from the start
    of the full output); nearest-neighbour upsampling by ``f`` is ``kernel=f, stride=f``.

    Output ``o`` sums input ``i`` through tap ``t`` where ``o + before = i * stride + t * dilation``:
    which inputs those are depends on ``o``'s phase, so the period is multiplied by *stride*.

    Raises:
        FieldTooFine: The exact result would repeat every more than :data:`MAX_PERIOD` positions,
            or take more than :data:`MAX_WORK` steps.

    >>> transpose(ReceptiveField(3, 1, 1), kernel=2, stride=2)
    PhasedField(stride=Fraction(1, 2), spans=((-1, 1), (-1, 1)))
    """
    base, spans = _parts(field)
    period = len(spans)
    shift = int(base * period)
    phases = stride * period
    # The taps that reach an input recur every `every` taps, each reaching `back` inputs before the
    # last; inputs a whole period apart have intervals in the same order, so the first and last
    # `cycle` of them bound an output's interval, however large the kernel.
    common = gcd(stride, dilation)
    every, back = stride // common, dilation // common
    inverse = pow(back, -1, every)  # t * dilation = position (mod stride) <=> t = position / common * inverse
    cycle = period // gcd(period, back)
    error = _too_fine(phases, phases * min(-(-kernel // every), 2 * cycle))
    if error is not None:
        raise error
    out: list[Span] = []
    for phase in range(phases):
        position = phase + before
        if position % common:  # no tap lands on an input
            out.append(None)
            continue
        first = position // common * inverse % every
        source = (position - first * dilation) // stride
        taps = max(0, -(-(kernel - first) // every))
        ends = range(taps) if taps <= 2 * cycle else [*range(cycle), *range(taps - cycle, taps)]
        out.append(_hull([_at(spans, shift, source - k * back) for k in ends]))
    return _make(base / stride, out)


def _union(axis: int, known: list[Field], notes: list[str]) -> Field | None:
    """The exact field of a merge of branches whose fields have the same stride (else the largest, with a note)."""
    parts = [_parts(f) for f in known]
    stride = parts[0][0]
    if any(p[0] != stride for p in parts):
        notes.append(
            f"axis {axis}: branches have different effective strides {sorted({str(p[0]) for p in parts})}"
        )
        return max(known, key=lambda f: f.size)
    period = 1
    for _, spans in parts:
        period = period * len(spans) // gcd(period, len(spans))
    error = _too_fine(period, period * len(parts))
    if error is not None:
        notes.append(f"axis {axis}: {error}")
        return None
    shifts = [int(stride * len(spans)) for _, spans in parts]
    out = [
        _hull([_at(spans, shift, phase) for (_, spans), shift in zip(parts, shifts, strict=True)])
        for phase in range(period)
    ]
    return _make(stride, out)


def move(fields: tuple[Field | None, ...] | None, steps: object) -> tuple[Field | None, ...] | None:
    """Per-axis fields moved through a layer's steps: ``"keep"`` (no pixel moves), ``None``
    (the field ends: no spatial correspondence), or per axis ``(extent, stride, before)``,
    with the window's dilation fourth where a phased field needs it.

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
    fields: list[tuple[Field | None, ...] | None],
) -> tuple[tuple[Field | None, ...] | None, list[str]]:
    """Combine the fields of parallel branches (residual, concat) by the largest one; phased
    fields (after upsampling) by their exact union.

    Returns the combined per-axis fields and notes on axes where the branches are misaligned
    (different effective strides, or fields whose centres differ).
    """
    if not fields or None in fields:
        return None, []
    branches: list[tuple[Field | None, ...]] = fields  # type: ignore[assignment]
    first = branches[0]
    ndim = len(first)
    if fields.count(first) == len(fields):  # every branch has the same field
        return first, []
    plain: list[tuple[ReceptiveField | None, ...]] = branches  # type: ignore[assignment]  # checked below
    square: list[ReceptiveField] = []
    for f in plain:
        if len(f) != ndim:
            return None, []
        head = f[0]
        if head.__class__ is PhasedField:  # type: ignore[comparison-overlap]  # plain is not checked yet
            return _merge_exact(branches, ndim)
        if head is not None and f.count(head) == ndim:
            square.append(head)
    notes: list[str] = []
    if len(square) == len(branches):  # square fields: one axis says all, unless it has a note
        largest = _combine(0, square, notes)
        if not notes:
            return (largest,) * ndim, notes
        notes.clear()
    elif any(f.__class__ is PhasedField for branch in branches for f in branch):
        return _merge_exact(branches, ndim)
    combined: list[Field | None] = []
    for axis in range(ndim):
        known: list[ReceptiveField] = []
        for f in plain:
            field = f[axis]
            if field is None:
                break
            known.append(field)
        else:
            combined.append(_combine(axis, known, notes))
            continue
        combined.append(None)
    return tuple(combined), notes


def _merge_exact(
    branches: list[tuple[Field | None, ...]], ndim: int
) -> tuple[tuple[Field | None, ...] | None, list[str]]:
    """Per axis, the union of the branches' fields (a phased field is kept exact through a merge)."""
    notes: list[str] = []
    if any(len(f) != ndim for f in branches):
        return None, notes
    combined: list[Field | None] = []
    for axis in range(ndim):
        known = [f[axis] for f in branches]
        combined.append(None if None in known else _union(axis, known, notes))  # type: ignore[arg-type]
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
