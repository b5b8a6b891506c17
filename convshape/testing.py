"""Assertion helpers for test suites (pytest or unittest): fail with the per-layer table.

>>> from convshape import zoo
>>> from convshape.testing import assert_output_shape, assert_valid
>>> assert_output_shape(zoo.seed(), (1, 83, 83), (101,))
>>> assert_valid(zoo.resnet18(), (3, 224, 224))
"""

from __future__ import annotations

from collections.abc import Sequence

from convshape.errors import ConvShapeError
from convshape.layers import Layer, fmt_shape
from convshape.render import render_text
from convshape.tracing import check, trace

__all__ = ["assert_output_shape", "assert_valid"]


def assert_valid(network: Layer | Sequence[Layer], input_shape: Sequence[int]) -> None:
    """Fail (``AssertionError``) listing every problem, with the table up to the first one.

    >>> from convshape import Conv, MaxPool
    >>> assert_valid([Conv(8, 3), MaxPool(9)], (3, 8, 8))
    Traceback (most recent call last):
    ...
    AssertionError: the network has 1 problem for input (3, 8, 8):
      layer 1 (MaxPool(9)), axes 0, 1, kernel_size: ...
    """
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
    try:
        report = trace(network, input_shape)
    except ConvShapeError as err:
        partial = getattr(err, "report", None)
        table = "\n" + render_text(partial) if partial is not None else ""
        raise AssertionError(f"the network does not trace: {err}{table}") from None
    got = report.output_shape or ()
    want = tuple(expected)
    if len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want, strict=True)):
        return
    raise AssertionError(
        f"output shape {fmt_shape(got)} != expected {fmt_shape(want)}\n{render_text(report)}"
    )
