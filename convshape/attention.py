"""Attention and the matrix products it is made of.

MACs follow one rule: a matrix product of ``(n, k)`` by ``(k, m)`` costs ``n x k x m`` MACs
(what PyTorch's ``FlopCounterMode`` reports, halved); projections are ``Linear`` MACs.

>>> from convshape import trace
>>> report = trace(MultiheadAttention(768, 12), (197, 768))
>>> report.output_shape, report.total_params, report.total_macs
((197, 768), 2362368, 524391936)
"""

from __future__ import annotations

from math import prod

from convshape._frozen import KW_ONLY, frozen
from convshape.containers import _Merge, broadcast_shapes
from convshape.errors import ConvShapeError, ParameterError, ShapeError, check_int
from convshape.layers import FAILED, Layer, _check_bool, _check_name, fmt_shape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

    from convshape.layers import Effect, Shape

__all__ = ["MatMul", "MultiheadAttention", "ScaledDotProductAttention"]


def _batch(shapes: list[Shape], problems: list[ConvShapeError]) -> Shape | None:
    found: list[ConvShapeError] = []
    out = broadcast_shapes(list(shapes), found)
    if found:
        shown = ", ".join(fmt_shape(s) for s in shapes)
        problems.append(
            ShapeError(f"the leading (batch-like) axes {shown} do not broadcast; sizes must be equal or 1")
        )
        return None
    return out


def _size(value: int | None) -> int:
    return 0 if value is None else value


@frozen
class MatMul(_Merge):
    """The matrix product of two inputs, as ``torch.matmul`` (leading axes broadcast).

    >>> from convshape import Graph, Learned, Node, trace
    >>> g = Graph([Node("w", Learned((64, 10)), ["input"]), Node("y", MatMul(), ["input", "w"])])
    >>> report = trace(g, (196, 64))
    >>> report.output_shape, report.rows[-1].macs
    ((196, 10), 125440)
    """

    _: KW_ONLY
    name: str | None = None

    _arity: ClassVar[int | None] = 2

    def __post_init__(self) -> None:
        _check_name(self, self.name)

    def _combine(
        self, shapes: list[Shape | None], problems: list[ConvShapeError]
    ) -> tuple[Shape | None, int, int]:
        a, b = shapes
        if a is None or b is None:
            return None, 0, 0
        if not a or not b:
            problems.append(
                ShapeError(f"matmul needs inputs of rank 1 or more, got {fmt_shape(a)} and {fmt_shape(b)}")
            )
            return None, 0, 0
        k_a = a[-1]
        k_b = b[0] if len(b) == 1 else b[-2]
        if k_a is not None and k_b is not None and k_a != k_b:
            problems.append(
                ShapeError(
                    f"cannot multiply {fmt_shape(a)} by {fmt_shape(b)}: the first's last axis ({k_a}) must equal "
                    f"the second's {'only' if len(b) == 1 else 'second-to-last'} axis ({k_b})"
                )
            )
            return None, 0, 0
        n = a[-2] if len(a) >= 2 else None
        m = b[-1] if len(b) >= 2 else None
        batch = _batch([a[:-2], b[:-2]], problems)
        if batch is None:
            return None, 0, 0
        out = (*batch, *((n,) if len(a) >= 2 else ()), *((m,) if len(b) >= 2 else ()))
        dims = (*batch, 1 if len(a) < 2 else n, k_a, 1 if len(b) < 2 else m)
        macs = 0 if None in dims else prod(dims)  # type: ignore[arg-type]
        return out, 0, macs

    def _merge(self, shapes: list[Shape | None], problems: list[ConvShapeError]) -> Shape | None:
        return self._combine(shapes, problems)[0]


@frozen
class ScaledDotProductAttention(_Merge):
    """``softmax(q k^T / sqrt(E)) v`` of three inputs ``q (..., L, E)``, ``k (..., S, E)``, ``v (..., S, Ev)``.

    MACs: ``L x S x E`` for the scores and ``L x S x Ev`` for the weighted sum, per leading index.

    >>> from convshape import Graph, Node, trace
    >>> g = Graph([Node("a", ScaledDotProductAttention(), ["input", "input", "input"])])
    >>> report = trace(g, (12, 197, 64))
    >>> report.output_shape, report.total_macs
    ((12, 197, 64), 59610624)
    """

    _: KW_ONLY
    name: str | None = None

    _arity: ClassVar[int | None] = 3

    def __post_init__(self) -> None:
        _check_name(self, self.name)

    def _combine(
        self, shapes: list[Shape | None], problems: list[ConvShapeError]
    ) -> tuple[Shape | None, int, int]:
        q, k, v = shapes
        if q is None or k is None or v is None:
            return None, 0, 0
        for label, s in (("query", q), ("key", k), ("value", v)):
            if len(s) < 2:
                problems.append(
                    ShapeError(f"the {label} must have (length, features) axes at least, got {fmt_shape(s)}")
                )
                return None, 0, 0
        if q[-1] is not None and k[-1] is not None and q[-1] != k[-1]:
            problems.append(
                ShapeError(
                    f"the query {fmt_shape(q)} and key {fmt_shape(k)} have different feature sizes ({q[-1]} vs {k[-1]})"
                )
            )
            return None, 0, 0
        if k[-2] is not None and v[-2] is not None and k[-2] != v[-2]:
            problems.append(
                ShapeError(
                    f"the key {fmt_shape(k)} and value {fmt_shape(v)} have different lengths ({k[-2]} vs {v[-2]})"
                )
            )
            return None, 0, 0
        batch = _batch([q[:-2], k[:-2], v[:-2]], problems)
        if batch is None:
            return None, 0, 0
        out = (*batch, q[-2], v[-1])
        dims = (*batch, q[-2], k[-2])
        if None in dims or q[-1] is None or v[-1] is None:
            return out, 0, 0
        return out, 0, prod(dims) * (q[-1] + v[-1])  # type: ignore[arg-type]

    def _merge(self, shapes: list[Shape | None], problems: list[ConvShapeError]) -> Shape | None:
        return self._combine(shapes, problems)[0]


@frozen
class MultiheadAttention(Layer):
    """Multi-head self-attention on ``(length, embed_dim)`` tokens, as ``torch.nn.MultiheadAttention``
    called with the same tensor as query, key and value.

    Parameters: the query, key and value projections (``3 x E x E``) and the output projection
    (``E x E``), plus ``4 x E`` biases. MACs: the four projections (``4 x L x E x E``) and the two
    attention products (``2 x L x L x E``).

    >>> from convshape import trace
    >>> trace(MultiheadAttention(64, 4), (10, 64)).total_params
    16640
    """

    embed_dim: int
    num_heads: int
    _: KW_ONLY
    bias: bool = True
    name: str | None = None

    _positional: ClassVar[tuple[str, ...]] = ("embed_dim", "num_heads")

    def __post_init__(self) -> None:
        try:
            check_int("embed_dim", self.embed_dim, 1)
            check_int("num_heads", self.num_heads, 1)
        except TypeError as err:
            raise TypeError(f"MultiheadAttention: {err}") from None
        except ParameterError as err:
            raise err.located("MultiheadAttention") from None
        if self.embed_dim % self.num_heads:
            raise ParameterError(
                f"embed_dim {self.embed_dim} is not divisible by num_heads {self.num_heads}",
                where="MultiheadAttention",
            )
        _check_bool("MultiheadAttention", "bias", self.bias)
        _check_name(self, self.name)

    def _effect(self, shape: Shape, problems: list[ConvShapeError]) -> Effect:
        e = self.embed_dim
        if len(shape) != 2:
            problems.append(
                ShapeError(
                    f"expects (length, embed_dim) tokens, got {fmt_shape(shape)}; reshape the input first"
                )
            )
            return FAILED
        length, features = shape
        if features is not None and features != e:
            problems.append(
                ShapeError(
                    f"the tokens have {features} features but embed_dim is {e}; use embed_dim={features}",
                    where="embed_dim",
                )
            )
            return FAILED
        params = 4 * e * e + (4 * e if self.bias else 0)
        macs = 0 if length is None else 4 * length * e * e + 2 * length * length * e
        return shape, params, 0, macs, None
