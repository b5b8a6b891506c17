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
from convshape.errors import ConvShapeError, ParameterError, check_int, type_name
from convshape.layers import Layer
from convshape.tracing import trace

__all__ = ["InputSizes", "Solution", "input_sizes", "solve"]


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
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"
        if self.output_padding:
            text += f", output_padding={self.output_padding}"
        if self.uncovered:
            text += f"  ({self.uncovered} input positions never covered)"
        return text


def _range(name: str, given: int | None, low: int, high: int) -> range:
    if given is None:
        return range(low, high + 1)
    check_int(name, given, low)
    return range(given, given + 1)


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

    >>> [str(s) for s in solve(83, 75, stride=1, dilation=1)][:2]
    ['kernel_size=9, stride=1, padding=0, dilation=1', 'kernel_size=11, stride=1, padding=1, dilation=1']
    >>> str(solve(7, 14, transpose=True)[0])
    'kernel_size=2, stride=2, padding=0, dilation=1'
    """
    check_int("in_size", in_size, 1)
    check_int("out_size", out_size, 1)
    if not isinstance(transpose, bool):
        raise TypeError(f"transpose must be a bool, got {type_name(transpose)} {transpose!r}")
    for name, bound in (
        ("max_kernel", max_kernel),
        ("max_stride", max_stride),
        ("max_dilation", max_dilation),
    ):
        check_int(name, bound, 1)
    if padding is not None:
        check_int("padding", padding, 0)
    found: list[Solution] = []
    for d in _range("dilation", dilation, 1, max_dilation):
        for k in _range("kernel_size", kernel_size, 1, max_kernel):
            for s in _range("stride", stride, 1, max_stride):
                found += _solutions(in_size, out_size, k, s, d, padding, transpose)
    found.sort(key=_rank)
    return found


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
            f"kernel_size {k} with stride {s} leaves {high - low + 1:,} padding totals to examine; "
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

    >>> from convshape import MaxPool
    >>> sizes = input_sizes([MaxPool(2), MaxPool(2)], (1, 8), limit=20)
    >>> sizes.smallest, sizes.exact, sizes.period
    (4, (4, 8, 12, 16, 20), 4)
    """

    axis: int
    smallest: int | None
    exact: tuple[int, ...]
    period: int | None
    limit: int

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


def input_sizes(
    network: Layer | Sequence[Layer], input_shape: Sequence[int], axis: int = 0, *, limit: int = 1024
) -> InputSizes:
    """Scan sizes ``1..limit`` on one spatial axis: the smallest accepted, and those that tile exactly.

    >>> from convshape import zoo
    >>> print(input_sizes(zoo.unet(), (3, 256, 256), limit=128))
    spatial axis 0: smallest accepted size 16; every layer tiles exactly at 16 + 16k
    """
    shape = list(input_shape)
    check_int("limit", limit, 1)
    check_int("axis", axis, 0)
    if axis >= len(shape) - 1:
        raise ParameterError(
            f"axis {axis} does not exist: the input {tuple(shape)} has {len(shape) - 1} spatial axes"
        )
    smallest = None
    exact: list[int] = []
    for size in range(1, limit + 1):
        shape[axis + 1] = size
        try:
            report = trace(network, tuple(shape))
        except ConvShapeError:
            continue
        if smallest is None:
            smallest = size
        if _tiles(report.rows):
            exact.append(size)
    gaps = {b - a for a, b in pairwise(exact)}
    period = gaps.pop() if len(gaps) == 1 else None
    return InputSizes(axis, smallest, tuple(exact), period, limit)
