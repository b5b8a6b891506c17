"""Helpers shared by the adapters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from convshape.errors import UnsupportedLayerError


def collapse(values: Sequence[int] | int) -> int | tuple[int, ...]:
    """``(3, 3)`` -> ``3``; unequal tuples stay tuples (specs read better)."""
    if isinstance(values, int):
        return values
    items = tuple(int(v) for v in values)
    return items[0] if items and all(v == items[0] for v in items) else items


def unsupported(
    what: str, framework: str, supported: Iterable[str], where: str = ""
) -> UnsupportedLayerError:
    """The error for a framework layer or function outside the adapter's tables."""
    listing = ", ".join(sorted(set(supported)))
    return UnsupportedLayerError(
        f"{what} is not supported by the {framework} adapter. Supported: {listing}", where=where
    )
