"""Normalisation layers beyond :class:`~convshape.BatchNorm`: layer, group, instance and local response.

Parameters are the affine scale and shift; statistics are computed from the values and are
not part of the receptive field (convshape's receptive field follows the windows that produce a
value, as for BatchNorm; see docs/counting.md). No MACs (as BatchNorm).

>>> from convshape import trace
>>> trace(GroupNorm(32), (256, 56, 56)).total_params
512
"""

from __future__ import annotations

from math import prod

from convshape._frozen import KW_ONLY, frozen
from convshape.errors import ConvShapeError, ParameterError, ShapeError, check_int, check_number
from convshape.layers import FAILED, KEEP, Layer, _check_bool, _check_name, _divisors, fmt_shape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

    from convshape.layers import Effect, Fields, Result, Shape

__all__ = ["GroupNorm", "InstanceNorm", "LayerNorm", "LocalResponseNorm"]


class _Norm(Layer):
    __slots__ = ()

    def _apply(self, shape: Shape, fields: Fields, problems: list[ConvShapeError]) -> Result:
        out, params, kernels, macs, _ = self._effect(shape, problems)
        return out, params, kernels, macs, fields


@frozen
class LayerNorm(_Norm):
    """Layer normalisation over the last *normalized_dims* axes (PyTorch's ``LayerNorm(shape[-n:])``),
    or over the channels at each position with ``channels_first=True`` (ConvNeXt's ``LayerNorm2d``).

    Parameters: a scale and (with ``bias``) a shift per normalised value.

    >>> from convshape import trace
    >>> trace(LayerNorm(), (196, 768)).total_params
    1536
    >>> trace(LayerNorm(channels_first=True), (96, 56, 56)).total_params
    192
    """

    normalized_dims: int = 1
    _: KW_ONLY
    channels_first: bool = False
    elementwise_affine: bool = True
    bias: bool = True
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("normalized_dims",)

    def __post_init__(self) -> None:
        try:
            check_int("normalized_dims", self.normalized_dims, 1)
        except TypeError as err:
            raise TypeError(f"LayerNorm: {err}") from None
        except ParameterError as err:
            raise err.located("LayerNorm") from None
        for flag in ("channels_first", "elementwise_affine", "bias"):
            _check_bool("LayerNorm", flag, getattr(self, flag))
        if self.channels_first and self.normalized_dims != 1:
            raise ParameterError(
                "channels_first normalises the channel axis only: leave normalized_dims at 1",
                where="LayerNorm",
            )
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if self.channels_first:
            normalised: Shape = shape[:1]
        else:
            if self.normalized_dims > len(shape):
                problems.append(
                    ShapeError(
                        f"normalises the last {self.normalized_dims} axes of an input of rank {len(shape)} "
                        f"{fmt_shape(shape)}",
                        where="normalized_dims",
                    )
                )
                return FAILED
            normalised = shape[len(shape) - self.normalized_dims :]
        if not self.elementwise_affine or None in normalised:
            return shape, 0, 0, 0, KEEP
        count = prod(normalised)  # type: ignore[arg-type]
        return shape, count * (2 if self.bias else 1), 0, 0, KEEP


@frozen
class GroupNorm(_Norm):
    """Group normalisation: the channels in *num_groups* groups; ``2 x channels`` parameters when affine.

    >>> from convshape import trace
    >>> trace(GroupNorm(3), (64, 8, 8))
    Traceback (most recent call last):
    ...
    convshape.errors.ShapeError: layer 0 (GroupNorm(3)), num_groups: the input's 64 channels are not divisible by num_groups 3; use a num_groups that divides 64, such as 1, 2, 4, 8
    """

    num_groups: int
    _: KW_ONLY
    affine: bool = True
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("num_groups",)

    def __post_init__(self) -> None:
        try:
            check_int("num_groups", self.num_groups, 1)
        except TypeError as err:
            raise TypeError(f"GroupNorm: {err}") from None
        except ParameterError as err:
            raise err.located("GroupNorm") from None
        _check_bool("GroupNorm", "affine", self.affine)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        channels = shape[0]
        if channels is None:
            return shape, 0, 0, 0, KEEP
        if channels % self.num_groups:
            problems.append(
                ShapeError(
                    f"the input's {channels} channels are not divisible by num_groups {self.num_groups}; "
                    f"use a num_groups that divides {channels}, such as {_divisors(channels)}",
                    where="num_groups",
                )
            )
            return FAILED
        return shape, 2 * channels if self.affine else 0, 0, 0, KEEP


@frozen
class InstanceNorm(_Norm):
    """Instance normalisation (PyTorch's defaults: no affine parameters, no running statistics).

    >>> from convshape import trace
    >>> trace(InstanceNorm(affine=True), (64, 8, 8)).total_params
    128
    """

    _: KW_ONLY
    affine: bool = False
    track_running_stats: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        _check_bool("InstanceNorm", "affine", self.affine)
        _check_bool("InstanceNorm", "track_running_stats", self.track_running_stats)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        if len(shape) < 2:
            from convshape.layers import _no_spatial

            problems.append(_no_spatial(shape))
            return FAILED
        channels = shape[0]
        return shape, 2 * channels if self.affine and channels is not None else 0, 0, 0, KEEP

    def _buffers(self, output_shape: Shape | None) -> int:
        channels = output_shape[0] if output_shape else None
        return 2 * channels + 1 if self.track_running_stats and channels is not None else 0


@frozen
class LocalResponseNorm(_Norm):
    """AlexNet's local response normalisation across *size* neighbouring channels; no parameters.

    >>> from convshape import trace
    >>> trace(LocalResponseNorm(5), (96, 55, 55)).output_shape
    (96, 55, 55)
    """

    size: int
    _: KW_ONLY
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("size",)

    def __post_init__(self) -> None:
        try:
            check_int("size", self.size, 1)
            for field in ("alpha", "beta", "k"):
                check_number(field, getattr(self, field))
        except TypeError as err:
            raise TypeError(f"LocalResponseNorm: {err}") from None
        except ParameterError as err:
            raise err.located("LocalResponseNorm") from None
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        return shape, 0, 0, 0, KEEP
