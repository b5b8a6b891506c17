"""Element-wise layers with something to count or check: parametric activations, softmax,
stochastic depth, and learned tensors (position embeddings, class tokens, layer scale).

>>> from convshape import trace
>>> trace(PReLU(64), (64, 8, 8)).total_params
64
"""

from __future__ import annotations

from _collections_abc import Sequence
from math import prod

from convshape._frozen import KW_ONLY, frozen
from convshape.errors import (
    ConvShapeError,
    ParameterError,
    ShapeError,
    check_int,
    check_number,
    show,
    type_name,
)
from convshape.layers import FAILED, KEEP, Layer, _check_name, _Passthrough, _set, _short, fmt_shape
from convshape.reshaping import axis_index

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

    from convshape.layers import Effect, RFStep, Shape

__all__ = ["Learned", "PReLU", "Softmax", "StochasticDepth"]


@frozen
class PReLU(Layer):
    """A parametric ReLU: one learned slope, or one per channel (``num_parameters`` = channels).

    >>> from convshape import trace
    >>> trace(PReLU(), (64, 8, 8)).total_params
    1
    """

    num_parameters: int = 1
    _: KW_ONLY
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("num_parameters",)

    def __post_init__(self) -> None:
        try:
            check_int("num_parameters", self.num_parameters, 1)
        except TypeError as err:
            raise TypeError(f"PReLU: {err}") from None
        except ParameterError as err:
            raise err.located("PReLU") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        n = self.num_parameters
        if n != 1 and shape[0] is not None and shape[0] != n:
            problems.append(
                ShapeError(
                    f"num_parameters is {n} but the input has {shape[0]} channels; use 1 or {shape[0]}",
                    where="num_parameters",
                    value=n,
                )
            )
            return FAILED
        return shape, n, 0, 0, KEEP


@frozen
class Softmax(Layer):
    """Softmax (or log-softmax) along one axis; the shape is unchanged.

    Along a spatial axis every output depends on the whole axis, so the receptive field covers it.

    >>> from convshape import trace
    >>> trace(Softmax(-1), (12, 197, 197)).output_shape
    (12, 197, 197)
    """

    axis: int = -1
    _: KW_ONLY
    log: bool = False
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("axis",)

    def __post_init__(self) -> None:
        try:
            check_int("axis", self.axis)
        except TypeError as err:
            raise TypeError(f"Softmax: {err}") from None
        if not isinstance(self.log, bool):
            raise TypeError(f"Softmax: log must be a bool, got {type_name(self.log)} {show(self.log)}")
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        at = axis_index(self.axis, len(shape), problems)
        if at is None:
            return FAILED
        if at == 0:
            return shape, 0, 0, 0, KEEP
        size = shape[at]
        steps: list[tuple[int, int, int] | None] = [(1, 1, 0)] * (len(shape) - 1)
        steps[at - 1] = None if size is None else (2 * size - 1, 1, size - 1)
        return shape, 0, 0, 0, tuple(steps)


@frozen
class StochasticDepth(_Passthrough):
    """Stochastic depth (drop path): drops whole samples or rows in training, the identity in inference.

    >>> StochasticDepth(0.2).describe()
    'StochasticDepth(0.2)'
    """

    p: float = 0.0
    _: KW_ONLY
    mode: str = "row"
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("p",)

    def __post_init__(self) -> None:
        try:
            value = check_number("p", self.p)
        except TypeError as err:
            raise TypeError(f"StochasticDepth: {err}") from None
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"p must be between 0 and 1, got {_short(self.p)}", where="StochasticDepth")
        if self.mode not in ("row", "batch"):
            raise ParameterError(
                f"mode must be 'row' or 'batch', got {show(self.mode)}", where="StochasticDepth"
            )
        _check_name(self, self.name)


_LEARNED_OPS = (None, "add", "multiply")


@frozen
class Learned(Layer):
    """A learned tensor of *shape* (shapes without the batch axis, broadcast from the right).

    * ``op=None``: the tensor itself, for a :class:`~convshape.Graph` node (a class token to
      concatenate, a position embedding to add); its input is ignored.
    * ``op="add"``: input + tensor (a position embedding); ``op="multiply"``: input x tensor
      (ConvNeXt's layer scale, ``(C, 1, 1)``).

    ``prod(shape)`` parameters unless *params* says otherwise (a tensor computed from other
    parameters, e.g. a relative position bias gathered from a smaller table; 0 for a buffer).
    *macs* are the multiply-accumulates spent computing it per sample (a positional encoding
    made by a convolution of a fixed grid), 0 for a stored tensor.

    >>> from convshape import trace
    >>> trace(Learned((96, 1, 1), op="multiply"), (96, 56, 56)).total_params
    96
    >>> trace(Learned((197, 768), op="add"), (196, 768))
    Traceback (most recent call last):
    ...
    convshape.errors.ShapeError: layer 0 (Learned((197, 768), op='add')): inputs (196, 768), (197, 768) do not broadcast: channels has sizes 196, 197; sizes must be equal or 1
    """

    shape: tuple[int, ...]
    _: KW_ONLY
    op: str | None = None
    params: int | None = None
    macs: int = 0
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("shape",)

    def __post_init__(self) -> None:
        value = self.shape
        try:
            if isinstance(value, int) and not isinstance(value, bool):
                value = (value,)
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
                raise TypeError(
                    f"shape must be a non-empty sequence of ints, got {type_name(value)} {show(value)}"
                )
            items = tuple(check_int(f"shape[{i}]", v, 1) for i, v in enumerate(value))
        except TypeError as err:
            raise TypeError(f"Learned: {err}") from None
        except ParameterError as err:
            raise err.located("Learned") from None
        if self.params is not None:
            try:
                check_int("params", self.params, 0)
            except TypeError as err:
                raise TypeError(f"Learned: {err}") from None
            except ParameterError as err:
                raise err.located("Learned") from None
        try:
            check_int("macs", self.macs, 0)
        except TypeError as err:
            raise TypeError(f"Learned: {err}") from None
        except ParameterError as err:
            raise err.located("Learned") from None
        if self.op not in _LEARNED_OPS:
            raise ParameterError(
                f"op must be None, 'add' or 'multiply', got {show(self.op)}", where="Learned"
            )
        _set(self, "shape", items)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        count = prod(self.shape) if self.params is None else self.params
        if self.op is None:
            return self.shape, count, 0, self.macs, None
        from convshape.containers import broadcast_shapes

        found: list[ConvShapeError] = []
        out = broadcast_shapes([shape, self.shape], found)
        if out is None or found:
            problems.extend(found)
            return FAILED
        step: RFStep = KEEP if out == shape else None
        return out, count, 0, self.macs, step

    def _notes(self, shape: Shape | None) -> tuple[str, ...]:
        if self.op is None:
            return (f"a learned tensor {fmt_shape(self.shape)}; its input only places it in the graph",)
        return ()
