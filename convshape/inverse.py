"""Inverse problems: which hyper-parameters map one size to another, and which inputs a network accepts.

>>> for s in solve(224, 112, kernel_size=7, dilation=1):
...     print(s)
kernel_size=7, stride=2, padding=3, dilation=1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from convshape.arithmetic import AxisWindow, count_uncovered, resolve_axis
from convshape.errors import ConvShapeError, ParameterError, as_flag, as_index, describe_int, show, type_name
from convshape.layers import Layer
from convshape.tracing import trace
from convshape.translate import input_shape_arg

__all__ = ["InputSizes", "Solution", "input_sizes", "solve", "square_neighbours", "unsolved_reason"]


@dataclass(frozen=True, slots=True)
class Solution:
    """One way to map an input size to an output size on one axis.

    ``padding`` is an int (both sides) or a ``(before, after)`` pair when only asymmetric
    padding works; ``uncovered`` counts input positions no window reads.

    >>> Solution(3, 1, 1, 1)
    Solution(kernel_size=3, stride=1, padding=1, dilation=1, output_padding=0, uncovered=0)
    """

    kernel_size: int
    stride: int
    padding: int | tuple[int, int]
    dilation: int = 1
    output_padding: int = 0
    uncovered: int | None = 0

    def __str__(self) -> str:
        text = (
            f"kernel_size={show(self.kernel_size)}, stride={show(self.stride)}, "
            f"padding={show(self.padding)}, dilation={show(self.dilation)}"
        )
        if self.output_padding:
            text += f", output_padding={show(self.output_padding)}"
        if self.uncovered:
            text += f"  ({show(self.uncovered)} input positions never covered)"
        return text


def _bounds(name: str, given: object, low: int, high: int) -> tuple[int, int]:
    """The first and last value to search: ``low..high``, or the given value alone (checked)."""
    if given is None:
        return low, high
    value = as_index(name, given, low)
    return value, value


def _many(count: int) -> str:
    """A count for a message: ``1,234,567``, or its length when it is huge."""
    return f"{count:,}" if count < 10**30 else describe_int(count)


def _check_problem(
    in_size: object,
    out_size: object,
    values: dict[str, object],
    transpose: object,
    limits: dict[str, object],
) -> tuple[int, int, dict[str, int | None], bool, dict[str, int]]:
    """Validate the arguments shared by :func:`solve` and :func:`unsolved_reason`, each by name."""
    size_in = as_index("in_size", in_size, 1)
    size_out = as_index("out_size", out_size, 1)
    flag = as_flag("transpose", transpose)
    fixed = {
        name: None if value is None else as_index(name, value, 0 if name == "padding" else 1)
        for name, value in values.items()
    }
    bounds = {name: as_index(name, value, 1) for name, value in limits.items()}
    return size_in, size_out, fixed, flag, bounds


#: the most (kernel, stride, dilation) combinations one :func:`solve` call examines; wider
#: bounds are refused before any work starts, naming the bounds to narrow
MAX_SEARCH = 1_000_000

#: the most padding totals one :func:`solve` call tries, over every combination (each trial
#: resolves one window); checked with :data:`MAX_SEARCH` before any work starts
MAX_TRIALS = 200_000


def _stride_cap(in_size: int, out_size: int, extent: int, transpose: bool) -> int:
    """The largest stride that can matter, whatever the padding (each side below the extent).

    A convolution producing ``out >= 2`` windows needs ``(out - 1) * s <= in + extent - 2``; with
    one window every stride beyond ``in + extent - 1`` behaves the same, so the larger ones are
    not listed.  A transposed one needs ``(in - 1) * s <= out + extent - 2``.
    """
    if transpose:
        return (out_size + extent - 2) // (in_size - 1) if in_size > 1 else out_size + extent
    if out_size > 1:
        return (in_size + extent - 2) // (out_size - 1)
    return in_size + extent - 1


def solve(
    in_size: int,
    out_size: int,
    *,
    kernel_size: int | None = None,
    stride: int | None = None,
    padding: int | None = None,
    dilation: int | None = None,
    transpose: bool = False,
    max_kernel: int = 11,
    max_stride: int = 8,
    max_dilation: int = 4,
) -> list[Solution]:
    """Every (kernel, stride, padding, dilation) within bounds that maps *in_size* to *out_size* exactly.

    Given values are held fixed, the rest searched: kernels up to ``max_kernel``, strides up
    to ``max_stride``, dilations up to ``max_dilation``, padding below the kernel extent
    (asymmetric ``(before, after)`` pairs only where no symmetric padding works).  For a
    transposed convolution the output padding is searched too.  Best first: no dilation,
    every input read, "same"-like padding, odd kernels, then smaller values.

    Strides that cannot reach *out_size* are skipped without being tried, so a huge
    ``max_stride`` costs nothing; more than :data:`MAX_SEARCH` (kernel, stride, dilation)
    combinations, or more than :data:`MAX_TRIALS` padding totals over all of them, left to try
    is refused up front.  An empty list means nothing within the
    bounds works: :func:`unsolved_reason` says which bound hides a solution.

    Raises:
        TypeError: A size, value or bound is not an int (or ``transpose`` not a bool).
        ParameterError: A size or bound is below 1, or the bounds leave too many combinations.

    >>> [str(s) for s in solve(83, 75, stride=1, dilation=1)][:2]
    ['kernel_size=9, stride=1, padding=0, dilation=1', 'kernel_size=11, stride=1, padding=1, dilation=1']
    >>> str(solve(7, 14, transpose=True)[0])
    'kernel_size=2, stride=2, padding=0, dilation=1'
    """
    in_size, out_size, fixed, transpose, bounds = _check_problem(
        in_size,
        out_size,
        {"kernel_size": kernel_size, "stride": stride, "padding": padding, "dilation": dilation},
        transpose,
        {"max_kernel": max_kernel, "max_stride": max_stride, "max_dilation": max_dilation},
    )
    padding = fixed["padding"]
    d_low, d_high = _bounds("dilation", fixed["dilation"], 1, bounds["max_dilation"])
    k_low, k_high = _bounds("kernel_size", fixed["kernel_size"], 1, bounds["max_kernel"])
    widest = d_high * (k_high - 1) + 1
    s_low, s_high = _bounds("stride", fixed["stride"], 1, bounds["max_stride"])
    if fixed["stride"] is None:
        s_high = max(1, min(s_high, _stride_cap(in_size, out_size, widest, transpose)))
    n_k, n_s, n_d = k_high - k_low + 1, s_high - s_low + 1, d_high - d_low + 1
    combinations = n_k * n_s * n_d
    if combinations > MAX_SEARCH:
        raise ParameterError(
            f"the bounds leave {_many(n_k)} kernels x {_many(n_s)} strides x {_many(n_d)} "
            f"dilations = {_many(combinations)} combinations to try, above the limit of {MAX_SEARCH:,} "
            "(convshape.inverse.MAX_SEARCH); lower max_kernel, max_stride or max_dilation, or fix a value"
        )
    if padding is not None:
        per_combination = 1
    elif transpose:
        per_combination = max(s_high, d_high)
    else:
        per_combination = min(s_high, 2 * widest - 1)
    trials = combinations * per_combination
    if trials > MAX_TRIALS:
        raise ParameterError(
            f"the bounds leave {_many(combinations)} (kernel, stride, dilation) combinations with up to "
            f"{_many(per_combination)} padding totals each = {_many(trials)} trials, above the limit of "
            f"{MAX_TRIALS:,} (convshape.inverse.MAX_TRIALS); lower max_kernel, max_stride or "
            "max_dilation, fix a value, or fix the padding"
        )
    found: list[Solution] = []
    for d in range(d_low, d_high + 1):
        for k in range(k_low, k_high + 1):
            for s in range(s_low, s_high + 1):
                found += _solutions(in_size, out_size, k, s, d, padding, transpose)
    found.sort(key=_rank)
    return found


def unsolved_reason(
    in_size: int,
    out_size: int,
    *,
    kernel_size: int | None = None,
    stride: int | None = None,
    padding: int | None = None,
    dilation: int | None = None,
    transpose: bool = False,
    max_kernel: int = 11,
    max_stride: int = 8,
    max_dilation: int = 4,
) -> str:
    """Say why :func:`solve` found nothing, naming the bound that hides a solution when one does.

    For a convolution with the kernel, padding and dilation free, the smallest kernel that
    works (at dilation 1) is worked out in closed form, whatever the bounds: a stride ``s``
    needs a kernel extent of at least ``max(in - out*s + 1, 2 - in + (out-1)*s, 1)``.

    >>> print(unsolved_reason(16000, 3981))
    no convolution with kernel_size <= 11 (max_kernel), stride <= 8 (max_stride), dilation <= 4 (max_dilation) maps 16000 to 3981; kernel_size=77, stride=4 does: raise max_kernel to 77 (--max-kernel 77)
    """
    in_size, out_size, fixed, transpose, limits = _check_problem(
        in_size,
        out_size,
        {"kernel_size": kernel_size, "stride": stride, "padding": padding, "dilation": dilation},
        transpose,
        {"max_kernel": max_kernel, "max_stride": max_stride, "max_dilation": max_dilation},
    )
    kernel_size, stride, padding, dilation = (
        fixed["kernel_size"],
        fixed["stride"],
        fixed["padding"],
        fixed["dilation"],
    )
    max_kernel, max_stride, max_dilation = limits["max_kernel"], limits["max_stride"], limits["max_dilation"]
    what = "transposed convolution" if transpose else "convolution"
    bounds = []
    for name, given, bound in (
        ("kernel_size", kernel_size, max_kernel),
        ("stride", stride, max_stride),
        ("padding", padding, None),
        ("dilation", dilation, max_dilation),
    ):
        if given is not None:
            bounds.append(f"{name}={show(given)}")
        elif bound is not None:
            bounds.append(f"{name} <= {show(bound)} (max_{name.split('_')[0]})")
    text = f"no {what} with {', '.join(bounds)} maps {show(in_size)} to {show(out_size)}"
    if transpose or kernel_size is not None or padding is not None or dilation not in (None, 1):
        return text + "; wider bounds or fewer fixed values may find one"

    def extent(s: int) -> int:
        return max(1, in_size - out_size * s + 1, 2 - in_size + (out_size - 1) * s)

    if stride is not None:
        candidates = [stride]
    else:  # extent(s) is convex: its least value is beside the crossing of its two slopes
        cross = (2 * in_size - 1) // (2 * out_size - 1)
        candidates = [max(1, cross), cross + 1]
    k, s = min((extent(s), s) for s in candidates)
    raise_ = []
    if k > max_kernel:
        raise_.append(f"max_kernel to {show(k)} (--max-kernel {show(k)})")
    if s > max_stride:
        raise_.append(f"max_stride to {show(s)} (--max-stride {show(s)})")
    if not raise_:
        return text + "; wider bounds or fewer fixed values may find one"
    return text + f"; kernel_size={show(k)}, stride={show(s)} does: raise " + " and ".join(raise_)


#: the most padding totals examined for one (kernel, stride, dilation); beyond it the
#: fixed values are absurd (a kernel or stride of billions) and the caller is told so
MAX_CANDIDATES = 100_000


def _solutions(
    size: int, out: int, k: int, s: int, d: int, padding: int | None, transpose: bool
) -> list[Solution]:
    """Every padding (and output padding) that maps size to out for one (kernel, stride, dilation).

    The total padding P is solved for instead of searched: a convolution needs
    (size + P - extent) // s + 1 == out, a transposed one (size - 1) * s + extent + op - P == out.
    Each side's padding stays below the kernel extent.
    """
    extent = d * (k - 1) + 1
    if transpose:
        base = (size - 1) * s + extent - out  # P = base + op, 0 <= op < max(s, d)
        low, high = max(base, 0), min(base + max(s, d) - 1, 2 * (extent - 1))
    else:
        base = (out - 1) * s + extent - size  # base <= P <= base + s - 1
        low, high = max(base, 0), min(base + s - 1, 2 * (extent - 1))
    if padding is not None:
        low, high = max(low, 2 * padding), min(high, 2 * padding)
    if high - low >= MAX_CANDIDATES:
        raise ParameterError(
            f"kernel_size {show(k)} with stride {show(s)} leaves {_many(high - low + 1)} padding totals to examine; "
            "fix the padding as well, or use smaller values"
        )
    symmetric: list[Solution] = []
    asymmetric: list[Solution] = []
    for total in range(low, high + 1):
        pad: int | tuple[int, int] = total // 2 if total % 2 == 0 else (total // 2, total // 2 + 1)
        op = total - base if transpose else 0
        try:
            w: AxisWindow = resolve_axis("transpose" if transpose else "conv", size, k, s, pad, d, op)
        except ConvShapeError:
            continue
        if w.output != out:
            continue
        found = Solution(k, s, pad, d, op, 0 if transpose else count_uncovered(w))
        (symmetric if isinstance(pad, int) else asymmetric).append(found)
    return symmetric or (asymmetric if padding is None else [])


def _rank(sol: Solution) -> tuple[int, ...]:
    extent = sol.dilation * (sol.kernel_size - 1) + 1
    pad = sol.padding if isinstance(sol.padding, int) else max(sol.padding)
    asymmetric = 0 if isinstance(sol.padding, int) else 1
    return (
        sol.dilation != 1,
        (sol.uncovered or 0) > 0,
        pad > (extent - 1) // 2,
        asymmetric,
        sol.kernel_size % 2 == 0 and sol.kernel_size != sol.stride,
        sol.output_padding,
        abs(sol.kernel_size - 3) if sol.stride == 1 else 0,
        sol.kernel_size,
        -pad,
        sol.stride,
        sol.dilation,
    )


@dataclass(frozen=True, slots=True)
class InputSizes:
    """Which input sizes a network accepts on one axis (the others held at the given shape).

    Attributes:
        axis: The spatial axis that was varied.
        smallest: The smallest size the network accepts, or ``None`` if none up to the limit.
        exact: Sizes up to the limit at which every window layer tiles its input exactly:
            no input row or column after a layer's last window is dropped by flooring.
        period: The spacing of ``exact`` when it is regular (a U-Net of depth 4: 16), else ``None``.
        limit: The largest size examined.
        given: The size of the given input shape on this axis.
        given_tiles: Whether that size is accepted and tiles every layer exactly (``None``: not accepted).
        nearest_below: When the given size is not accepted, the nearest accepted size below it
            (``None``: accepted, or no smaller size accepted).
        nearest_above: When the given size is not accepted, the nearest accepted size above it
            (``None``: accepted, or none found within ``max_traces`` sizes above it).

    >>> from convshape import MaxPool
    >>> sizes = input_sizes([MaxPool(2), MaxPool(2)], (1, 9), limit=20)
    >>> sizes.smallest, sizes.exact, sizes.period, sizes.given_tiles
    (4, (4, 8, 12, 16, 20), 4, False)
    """

    axis: int
    smallest: int | None
    exact: tuple[int, ...]
    period: int | None
    limit: int
    given: int = 0
    given_tiles: bool | None = None
    nearest_below: int | None = None
    nearest_above: int | None = None

    def __str__(self) -> str:
        if self.smallest is None:
            return f"spatial axis {self.axis}: no size up to {self.limit} is accepted"
        text = f"spatial axis {self.axis}: smallest accepted size {self.smallest}"
        if self.period and self.exact:
            text += f"; every layer tiles exactly at {self.exact[0]} + {self.period}k"
        elif self.exact:
            shown = ", ".join(str(v) for v in self.exact[:8]) + (", ..." if len(self.exact) > 8 else "")
            text += f"; every layer tiles exactly at {shown}"
        else:
            text += f"; no size up to {self.limit} tiles every layer exactly"
        return text

    def given_text(self) -> str:
        """Whether the given input's own size is accepted and tiles exactly, in words.

        >>> from convshape import MaxPool
        >>> input_sizes([MaxPool(2)], (1, 9), limit=4).given_text()
        'the given size 9 is accepted, but input is left uncovered'
        >>> input_sizes([MaxPool(2), MaxPool(2)], (1, 9), limit=4).given_text()
        'the given size 9 is accepted, but input is left uncovered'
        >>> from convshape import Concat, Conv
        >>> input_sizes(Concat(Conv(4, 3), Conv(4, 3)), (1, 1), limit=4).given_text()
        'the given size 1 is not accepted; the nearest accepted size is 3 (none found below)'
        """
        if self.given_tiles is None:
            text = f"the given size {show(self.given)} is not accepted"
            below, above = self.nearest_below, self.nearest_above
            if below is not None and above is not None:
                return f"{text}; the nearest accepted sizes are {below} and {above}"
            if below is not None:
                return f"{text}; the nearest accepted size is {below} (none found above)"
            if above is not None:
                return f"{text}; the nearest accepted size is {above} (none found below)"
            if self.smallest is None:
                return (
                    f"the given input is not accepted, and no size on axis {self.axis} is "
                    "accepted with the other axes as given"
                )
            return f"{text}; no accepted size was found near it"
        if self.given_tiles:
            return f"the given size {show(self.given)} tiles every layer exactly"
        return f"the given size {show(self.given)} is accepted, but input is left uncovered"


def dropped_rows(w: AxisWindow) -> int:
    """Input rows after the last window that flooring drops (padding does not count).

    >>> from convshape.arithmetic import resolve_axis
    >>> dropped_rows(resolve_axis("pool", 17, 2, 2, 0))
    1
    """
    return max(0, w.before + w.size - ((w.output - 1) * w.stride + w.extent))


def _tiles(report_rows: Sequence[object]) -> bool:
    for row in report_rows:
        for w in getattr(row, "windows", ()):
            if w is not None and w.kind != "transpose" and dropped_rows(w):
                return False
    return True


#: how deeply lists of layers may nest in the network given to :func:`input_sizes`
MAX_NESTING = 100


def network_arg(network: object) -> None:
    """Check a network: a layer, or lists of them nested at most :data:`MAX_NESTING` deep.

    Every item is looked at once, without recursion; a bad one is named by its place.

    >>> network_arg([3])
    Traceback (most recent call last):
    ...
    TypeError: network[0] must be a layer spec or a list of them, got int 3
    """
    stack: list[tuple[object, str, int]] = [(network, "network", 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, Layer):
            continue
        if not isinstance(item, (list, tuple)):
            raise TypeError(
                f"{where} must be a layer spec or a list of them, got {type_name(item)} {show(item)}"
            )
        if depth >= MAX_NESTING:
            raise ParameterError(
                f"network nests lists of layers more than {MAX_NESTING} deep "
                "(convshape.inverse.MAX_NESTING); use a flatter list"
            )
        stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in reversed(list(enumerate(item))))


#: the default most sizes :func:`input_sizes` traces (each trace takes well under a millisecond)
MAX_TRACES = 4096

#: the most rows the traces of one :func:`input_sizes` call may hold in all (about 2 us each): a
#: network of many layers is scanned over fewer sizes (ResNet-50's 175 rows: 2,857 sizes)
MAX_ROWS = 500_000


def _rows(network: Layer | Sequence[Layer]) -> int:
    """How many layer specs *network* holds, containers included: what one trace walks."""
    from convshape.containers import Concat, Graph, Residual, Sequential

    count = 0
    stack: list[object] = [network]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        count += 1
        if isinstance(item, Sequential):
            stack.extend(item.layers)
        elif isinstance(item, Residual):
            stack.extend(part for part in (item.body, item.shortcut) if part is not None)
        elif isinstance(item, Concat):
            stack.extend(item.branches)
        elif isinstance(item, Graph):
            stack.extend(node.op for node in item.nodes)
    return count


def _budget(network: Layer | Sequence[Layer], max_traces: int) -> int:
    """*max_traces*, cut so that the traces hold at most :data:`MAX_ROWS` rows in all."""
    return max(1, min(max_traces, MAX_ROWS // max(1, _rows(network))))


def _traced_tiles(network: Layer | Sequence[Layer], shape: tuple[int, ...]) -> bool | None:
    """True when *shape* traces and tiles every layer, False when it traces with input left over, else None."""
    try:
        report = trace(network, shape)
    except ConvShapeError:
        return None
    return _tiles(report.rows)


def input_sizes(
    network: Layer | Sequence[Layer],
    input_shape: Sequence[int],
    axis: int = 0,
    *,
    limit: int = 1024,
    max_traces: int = MAX_TRACES,
) -> InputSizes:
    """Scan sizes ``1..limit`` on one spatial axis: the smallest accepted, and those that tile exactly.

    The given shape's own size is traced too (``given_tiles``), however large it is.  The work is
    one trace per size, so the scan stops at ``max_traces`` sizes (default :data:`MAX_TRACES`,
    fewer for a network so large that the traces would hold over :data:`MAX_ROWS` rows): a
    larger ``limit`` is cut to it, and ``limit`` in the answer is the last size examined.
    The bounds are checked before any trace.

    Raises:
        TypeError: *network* is not a layer or lists of them, *input_shape* is not a sequence
            of ints, or a bound is not an int.
        ParameterError: *axis* does not exist, a bound is below 1, or *network* nests lists
            more than :data:`MAX_NESTING` deep.

    >>> from convshape import zoo
    >>> print(input_sizes(zoo.unet(), (3, 256, 256), limit=128))
    spatial axis 0: smallest accepted size 16; every layer tiles exactly at 16 + 16k
    """
    network_arg(network)
    shape = list(input_shape_arg(input_shape))
    limit = as_index("limit", limit, 1)
    max_traces = as_index("max_traces", max_traces, 1)
    axis = as_index("axis", axis, 0)
    if axis >= len(shape) - 1:
        raise ParameterError(
            f"axis {show(axis)} does not exist: the input {show(tuple(shape))} has {len(shape) - 1} spatial axes"
        )
    max_traces = _budget(network, max_traces)
    given = shape[axis + 1]
    given_tiles = _traced_tiles(network, tuple(shape))
    last = min(limit, max_traces)
    smallest = None
    exact: list[int] = []
    accepted: list[int] = []
    for size in range(1, last + 1):
        shape[axis + 1] = size
        tiles = _traced_tiles(network, tuple(shape))
        if tiles is None:
            continue
        accepted.append(size)
        if smallest is None:
            smallest = size
        if tiles:
            exact.append(size)
    gaps = {b - a for a, b in pairwise(exact)}
    period = gaps.pop() if len(gaps) == 1 else None
    below = above = None
    if given_tiles is None:
        below = _nearest(network, shape, axis, accepted, given, last, -1, max_traces)
        above = _nearest(network, shape, axis, accepted, given, last, 1, max_traces)
    return InputSizes(axis, smallest, tuple(exact), period, last, given, given_tiles, below, above)


def _nearest(
    network: Layer | Sequence[Layer],
    shape: list[int],
    axis: int,
    accepted: list[int],
    given: int,
    last: int,
    step: int,
    max_traces: int,
) -> int | None:
    """The accepted size nearest *given* in direction *step* (-1 or 1), or ``None`` if none is found.

    Sizes ``1..last`` were scanned (*accepted* holds those that trace); sizes outside the scan are
    traced, at most *max_traces* of them.
    """
    if step < 0:
        known = [a for a in accepted if a < given]
        if given - 1 <= last:  # the scan saw every smaller size
            return known[-1] if known else None
        low = max(last, given - 1 - max_traces)
        sizes = range(given - 1, low, -1)
        fallback = known[-1] if known and low == last else None  # only if the walk met the scan
    else:
        known = [a for a in accepted if a > given]
        if known:
            return known[0]
        first = max(given, last) + 1
        sizes = range(first, first + max_traces)
        fallback = None
    for size in sizes:
        shape[axis + 1] = size
        if _traced_tiles(network, tuple(shape)) is not None:
            return size
    return fallback


def square_neighbours(
    network: Layer | Sequence[Layer], input_shape: Sequence[int], *, max_traces: int = MAX_TRACES
) -> tuple[int | None, int | None]:
    """The accepted sizes nearest the given one when every spatial axis takes that one size.

    For a square (cubic) input that is not accepted on any axis alone: ``(below, above)``, each
    ``None`` when no such size is found within *max_traces* sizes.  Used by ``--sizes``.

    >>> from convshape import zoo
    >>> square_neighbours(zoo.unet(), (3, 100, 100))
    (96, 112)
    """
    network_arg(network)
    shape = list(input_shape_arg(input_shape))
    max_traces = as_index("max_traces", max_traces, 1)
    given = shape[1] if len(shape) > 1 else 0
    if len(shape) < 2 or any(size != given for size in shape[1:]):
        raise ParameterError(
            f"input_shape {show(tuple(shape))} must have spatial axes all of one size; "
            "use input_sizes() for one axis at a time"
        )
    max_traces = _budget(network, max_traces)
    found: list[int | None] = []
    for sizes in (
        range(given - 1, max(0, given - 1 - max_traces), -1),
        range(given + 1, given + 1 + max_traces),
    ):
        hit = None
        for size in sizes:
            if _traced_tiles(network, (shape[0],) + (size,) * (len(shape) - 1)) is not None:
                hit = size
                break
        found.append(hit)
    return found[0], found[1]
