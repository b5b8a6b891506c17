"""Assertion helpers for test suites (pytest or unittest): fail with the per-layer table.

Shapes (:func:`assert_output_shape`, :func:`assert_valid`) and budgets
(:func:`assert_params_at_most`, :func:`assert_macs_at_most`, :func:`assert_memory_at_most`).
Every helper sets ``__tracebackhide__`` so pytest shows the failing test, not the helper.

>>> from convshape import zoo
>>> from convshape.testing import assert_output_shape, assert_params_at_most, assert_valid
>>> assert_output_shape(zoo.seed(), (1, 83, 83), (101,))
>>> assert_valid(zoo.resnet18(), (3, 224, 224))
>>> assert_params_at_most(zoo.resnet18(), (3, 224, 224), 12_000_000)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union, cast, overload

from convshape.arithmetic import MAX_AXES
from convshape.errors import ConvShapeError, ParameterError, as_index, grouped, show, type_name
from convshape.layers import Layer, fmt_shape
from convshape.render import elements, render_text
from convshape.tracing import Report, Row, check, location, trace

__all__ = [
    "assert_macs_at_most",
    "assert_memory_at_most",
    "assert_output_shape",
    "assert_params_at_most",
    "assert_valid",
]


def assert_valid(network: Layer | Sequence[Layer], input_shape: Sequence[int]) -> None:
    """Fail (``AssertionError``) listing every problem, with the table up to the first one.

    >>> from convshape import Conv, MaxPool
    >>> assert_valid([Conv(8, 3), MaxPool(9)], (3, 8, 8))
    Traceback (most recent call last):
    ...
    AssertionError: the network has 1 problem for input (3, 8, 8):
      layer 1 (MaxPool(9)), axes 0, 1, kernel_size: ...
    """
    __tracebackhide__ = True
    problems = check(network, input_shape)
    if not problems:
        return
    listing = "\n".join(f"  {p}" for p in problems)
    try:
        trace(network, input_shape)
        table = ""
    except ConvShapeError as err:
        partial = getattr(err, "report", None)
        table = "\n\nrows up to the first problem:\n" + render_text(partial) if partial is not None else ""
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    raise AssertionError(
        f"the network has {count} for input {fmt_shape(tuple(input_shape))}:\n{listing}{table}"
    )


def assert_output_shape(
    network: Layer | Sequence[Layer], input_shape: Sequence[int], expected: Sequence[int | None]
) -> None:
    """Fail unless the network maps *input_shape* to *expected* (``None`` entries match any size).

    >>> from convshape import Conv
    >>> assert_output_shape([Conv(8, 3)], (3, 8, 8), (8, 8, 8))
    Traceback (most recent call last):
    ...
    AssertionError: output shape (8, 6, 6) != expected (8, 8, 8)...
    """
    __tracebackhide__ = True
    want = _expected(expected)
    try:
        report = trace(network, input_shape)
    except ConvShapeError as err:
        partial = getattr(err, "report", None)
        table = "\n" + render_text(partial) if partial is not None else ""
        raise AssertionError(f"the network does not trace: {err}{table}") from None
    got = report.output_shape or ()
    if len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want, strict=True)):
        return
    raise AssertionError(
        f"output shape {fmt_shape(got)} != expected {fmt_shape(want)}\n{render_text(report)}"
    )


def _expected(expected: object) -> tuple[int | None, ...]:
    """*expected* as a tuple of ints and ``None``; refused by name when it is not a shape."""
    if isinstance(expected, (str, bytes)) or not isinstance(expected, Sequence):
        raise TypeError(
            f"expected must be a sequence of ints or None, got {type_name(expected)} {show(expected)}"
        )
    try:
        n = len(expected)
    except (OverflowError, TypeError, ValueError):  # range(10**20): too long to count
        n = MAX_AXES + 2
    if n > MAX_AXES + 1:
        raise ParameterError(
            f"expected has more than {MAX_AXES + 1:,} entries (convshape.arithmetic.MAX_AXES spatial axes "
            "and the channels); give (channels, *spatial)",
            parameter="expected",
        )
    return tuple(None if v is None else as_index(f"expected[{i}]", v) for i, v in enumerate(expected))


_Network = Union[Layer, Sequence[Layer]]


def _budget_report(helper: str, subject: object, args: tuple[object, ...]) -> tuple[Report, int]:
    """Split ``(network, input_shape, budget)`` or ``(report, budget)`` and trace the network."""
    __tracebackhide__ = True
    if isinstance(subject, Report):
        if len(args) != 1:
            raise TypeError(
                f"{helper}(report, budget) takes a Report and the budget; got {len(args) + 1} arguments "
                "(give (network, input_shape, budget) to trace a spec)"
            )
        report, budget = subject, args[0]
    else:
        if len(args) != 2:
            raise TypeError(
                f"{helper}(network, input_shape, budget) takes a spec, its input shape and the budget; "
                f"got {len(args) + 1} arguments (give (report, budget) for a traced Report)"
            )
        input_shape, budget = args
        if not isinstance(subject, (Layer, Sequence)) or isinstance(subject, (str, bytes)):
            raise TypeError(
                f"network must be a Layer, a sequence of layers or a Report, got {type(subject).__name__}"
            )
        if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
            raise TypeError(
                f"input_shape must be a sequence of ints (channels, *spatial), got {type(input_shape).__name__} "
                f"{show(input_shape)}"
            )
        network = cast(_Network, subject)
        shape = cast(Sequence[int], input_shape)
        try:
            report = trace(network, shape)
        except ConvShapeError as err:
            partial = getattr(err, "report", None)
            table = "\n" + render_text(partial) if partial is not None and partial.rows else ""
            raise AssertionError(f"the network does not trace: {err}{table}") from None
    return report, as_index("budget", budget, 0)


def _top(rows: Sequence[Row], amount: Callable[[Row], int], unit: str, count: int = 3) -> str:
    """The *count* rows with the largest *amount*, one per line, largest first."""
    ranked = sorted((r for r in rows if amount(r) > 0), key=amount, reverse=True)[:count]
    if not ranked:
        return ""
    listing = "\n".join(f"  {location(r.path, r.layer)}: {grouped(amount(r))} {unit}" for r in ranked)
    return f"\nlargest contributors:\n{listing}"


def _over(unit: str, actual: int, budget: int, report: Report, top: str, detail: str = "") -> str:
    if not budget:
        ratio = ""
    elif actual // budget >= 10**300:  # past what a float holds: the whole times
        ratio = f" ({grouped(actual // budget)}x)"
    else:
        ratio = f" ({actual / budget:.2f}x)"
    return (
        f"{grouped(actual)} {unit}{detail} exceed the budget of {grouped(budget)} by {grouped(actual - budget)}{ratio} "
        f"for input {fmt_shape(report.input_shape)}{top}"
    )


@overload
def assert_params_at_most(report: Report, budget: int, /) -> None: ...
@overload
def assert_params_at_most(network: _Network, input_shape: Sequence[int], budget: int, /) -> None: ...
def assert_params_at_most(subject: Report | _Network, /, *args: object) -> None:
    """Fail unless the network has at most *budget* parameters (``report.total_params``).

    Call it as ``(network, input_shape, budget)`` or, with a traced report, ``(report, budget)``.
    The message gives the count, the budget and the three layers with the most parameters.

    >>> from convshape import Conv, trace
    >>> assert_params_at_most([Conv(8, 3)], (3, 8, 8), 224)
    >>> assert_params_at_most(trace([Conv(8, 3), Conv(16, 3)], (3, 8, 8)), 1_000)
    Traceback (most recent call last):
    ...
    AssertionError: 1,392 params exceed the budget of 1,000 by 392 (1.39x) for input (3, 8, 8)
    largest contributors:
      layer 1 (Conv(16, 3)): 1,168 params
      layer 0 (Conv(8, 3)): 224 params
    """
    __tracebackhide__ = True
    report, budget = _budget_report("assert_params_at_most", subject, args)
    actual = report.total_params
    if actual > budget:
        top = _top(report.rows, lambda r: r.params, "params")
        raise AssertionError(_over("params", actual, budget, report, top))


@overload
def assert_macs_at_most(report: Report, budget: int, /) -> None: ...
@overload
def assert_macs_at_most(network: _Network, input_shape: Sequence[int], budget: int, /) -> None: ...
def assert_macs_at_most(subject: Report | _Network, /, *args: object) -> None:
    """Fail unless one sample costs at most *budget* multiply-accumulates (``report.total_macs``).

    Called like :func:`assert_params_at_most`; the message names the three costliest layers.

    >>> from convshape import Conv
    >>> assert_macs_at_most([Conv(8, 3), Conv(16, 3)], (3, 8, 8), 20_000)
    Traceback (most recent call last):
    ...
    AssertionError: 26,208 MACs exceed the budget of 20,000 by 6,208 (1.31x) for input (3, 8, 8)
    largest contributors:
      layer 1 (Conv(16, 3)): 18,432 MACs
      layer 0 (Conv(8, 3)): 7,776 MACs
    """
    __tracebackhide__ = True
    report, budget = _budget_report("assert_macs_at_most", subject, args)
    actual = report.total_macs
    if actual > budget:
        top = _top(report.rows, lambda r: r.macs, "MACs")
        raise AssertionError(_over("MACs", actual, budget, report, top))


@overload
def assert_memory_at_most(
    report: Report, budget: int, /, *, batch_size: int = 1, dtype: str = "float32"
) -> None: ...
@overload
def assert_memory_at_most(
    network: _Network,
    input_shape: Sequence[int],
    budget: int,
    /,
    *,
    batch_size: int = 1,
    dtype: str = "float32",
) -> None: ...
def assert_memory_at_most(
    subject: Report | _Network, /, *args: object, batch_size: int = 1, dtype: str = "float32"
) -> None:
    """Fail unless the memory estimate is at most *budget* bytes.

    The estimate is ``report.memory(batch_size, dtype).total_bytes``, torchinfo's "Estimated Total
    Size": input + forward/backward pass + parameters (see :class:`~convshape.render.Memory`).
    Called like :func:`assert_params_at_most`; the message gives the three parts and the three
    layers whose parameters and saved outputs take the most bytes.

    >>> from convshape import Conv
    >>> assert_memory_at_most([Conv(8, 3), Conv(16, 3)], (3, 8, 8), 8_000)
    Traceback (most recent call last):
    ...
    AssertionError: 10,688 bytes (input 768 + forward/backward 4,352 + params 5,568; batch 1, float32) \
exceed the budget of 8,000 by 2,688 (1.34x) for input (3, 8, 8)
    largest contributors:
      layer 1 (Conv(16, 3)): 6,720 bytes
      layer 0 (Conv(8, 3)): 3,200 bytes
    """
    __tracebackhide__ = True
    report, budget = _budget_report("assert_memory_at_most", subject, args)
    estimate = report.memory(batch_size, dtype)
    actual = estimate.total_bytes
    if actual is None:
        raise AssertionError(
            f"the memory of input {fmt_shape(report.input_shape)} cannot be estimated against the budget of "
            f"{grouped(budget)} bytes: a shape on the path is unknown (give every input size)"
        )
    if actual <= budget:
        return
    size, scale = estimate.dtype_bytes, estimate.dtype_bytes * estimate.batch_size  # a plain int

    def row_bytes(row: Row) -> int:
        out = elements(row.output_shape) or 0
        return row.params * size + (2 * out * scale if row.params else 0)

    inputs, passes = estimate.input_bytes, estimate.forward_backward_bytes
    assert inputs is not None
    assert passes is not None  # both known, since the total is
    detail = (
        f" (input {grouped(inputs)} + forward/backward {grouped(passes)} + "
        f"params {grouped(estimate.params_bytes)}; batch {grouped(estimate.batch_size)}, {dtype})"
    )
    top = _top(report.rows, row_bytes, "bytes")
    raise AssertionError(_over("bytes", actual, budget, report, top, detail))
