"""Compare a convshape spec with a live framework model, layer by layer.

>>> from convshape import Conv, MaxPool, Sequential
>>> from convshape.verification import compare
>>> print(compare(Sequential(Conv(8, 3), MaxPool(2)), Sequential(Conv(8, 5), MaxPool(2)), (3, 16, 16)))
5 differences between the spec and the model for input (3, 16, 16):
  layer 0 (Conv): spec 0 Conv(8, 3) gives (8, 14, 14) with 224 params; model 0 Conv(8, 5) gives (8, 12, 12) with 608 params
  layer 1 (MaxPool): spec 1 MaxPool(2) gives (8, 7, 7) with 0 params; model 1 MaxPool(2) gives (8, 6, 6) with 0 params
  output shape: spec (8, 7, 7), model (8, 6, 6)
  total parameters: spec 224, model 608
  total MACs: spec 42,336, model 86,400
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convshape._paths import _Paths
from convshape.containers import MERGES, Concat, Graph, Residual, as_layer
from convshape.errors import ConvShapeError, Difference, grouped
from convshape.layers import Activation, Dropout, Identity, Layer, fmt_shape
from convshape.tracing import Report, Row, _input_shape, trace

__all__ = ["Verification", "compare", "verify"]

_SKIPPED = (Activation, Dropout, Identity, Residual, Concat, Graph, *MERGES)


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of :func:`verify`: ``ok`` and, if not, each :class:`~convshape.Difference`.

    A difference reads as a sentence (``str(d)``) and carries its facts as attributes
    (``path``, ``layer``, ``parameter``, ``value``) and as :meth:`~convshape.ConvShapeError.to_dict`.

    >>> Verification(True, ()).ok
    True
    """

    ok: bool
    differences: tuple[Difference, ...]
    input_shape: tuple[int, ...] = ()
    spec: Report | None = field(default=None, repr=False)
    model: Report | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"the spec and the model agree for input {fmt_shape(self.input_shape)}"
        count = f"{len(self.differences)} difference{'s' if len(self.differences) != 1 else ''}"
        lines = [f"{count} between the spec and the model for input {fmt_shape(self.input_shape)}:"]
        return "\n".join(lines + [f"  {d}" for d in self.differences])


def _significant(report: Report) -> list[Row]:
    return [row for row in report.rows if not isinstance(row.layer, _SKIPPED)]


def _signature(row: Row) -> tuple[object, ...]:
    return (row.kind, row.input_shape, row.output_shape, row.params, row.macs)


def _unmatched(a: list[Row], b: list[Row]) -> tuple[list[Row], list[Row]]:
    """The rows of each side with no counterpart: first paired by path, then by signature.

    Two equal networks whose forwards run branches in a different order (a downsample computed
    before the block's body) agree: rows pair by their module path when both sides name them
    alike, otherwise by what they do (kind, input and output shapes, parameters, MACs).
    """
    paths = _Paths(keyed=True)  # one table of keys: equal paths get equal keys, in time linear in depth
    by_path = {shown.key: shown.row for shown in paths.views(b)}
    left: list[Row] = []
    taken: set[int] = set()
    for shown in paths.views(a):
        row, other = shown.row, by_path.get(shown.key)
        if other is not None and id(other) not in taken and _signature(other) == _signature(row):
            taken.add(id(other))
        else:
            left.append(row)
    right = [row for row in b if id(row) not in taken]
    pool: dict[tuple[object, ...], list[Row]] = {}
    for row in right:
        pool.setdefault(_signature(row), []).append(row)
    still: list[Row] = []
    for row in left:
        candidates = pool.get(_signature(row))
        if candidates:
            taken.add(id(candidates.pop(0)))
        else:
            still.append(row)
    return still, [row for row in right if id(row) not in taken]


def _describe(row: Row) -> str:
    return f"{row.path} {row.layer.describe()} gives {fmt_shape(row.output_shape)} with {grouped(row.params)} params"


def _trace(network: Layer, input_shape: tuple[int, ...], who: str) -> tuple[Report | None, Difference | None]:
    try:
        return trace(network, input_shape), None
    except ConvShapeError as err:
        pair = (str(err), None) if who == "spec" else (None, str(err))
        failed = Difference(
            f"the {who} does not trace: {err}",
            path=err.path,
            layer=err.layer,
            parameter="trace",
            value=pair,
            hint=err.hint,
        )
        failed.cause = err  # type: ignore[attr-defined]
        return getattr(err, "report", None), failed


def compare(spec: Layer | Sequence[Layer], model_spec: Layer, input_shape: Sequence[int]) -> Verification:
    """Compare two specs row by row (the second usually read from a framework model).

    Rows that hold parameters or change the shape are paired by module path, then by what
    they do (so the order branches run in does not matter); activations, dropout and merges
    are left out, since frameworks write them differently.
    """
    shape = _input_shape(input_shape)
    ours, our_error = _trace(as_layer(spec, "spec"), shape, "spec")
    theirs, their_error = _trace(model_spec, shape, "model")
    differences = [e for e in (our_error, their_error) if e]
    if ours is not None and theirs is not None:
        a, b = _unmatched(_significant(ours), _significant(theirs))
        for x, y in zip(a, b, strict=False):
            differences.append(
                Difference(
                    f"spec {_describe(x)}; model {_describe(y)}",
                    where=f"layer {x.path} ({x.kind})",
                    path=x.path,
                    layer=x.layer,
                    parameter="layer",
                    value=(x.output_shape, y.output_shape),
                )
            )
        for extra in a[len(b) :]:
            differences.append(
                Difference(
                    f"the spec has {_describe(extra)} with no counterpart in the model",
                    path=extra.path,
                    layer=extra.layer,
                    parameter="layer",
                    value=(extra.output_shape, None),
                )
            )
        for extra in b[len(a) :]:
            differences.append(
                Difference(
                    f"the model has {_describe(extra)} with no counterpart in the spec",
                    path=extra.path,
                    layer=extra.layer,
                    parameter="layer",
                    value=(None, extra.output_shape),
                )
            )
        if not our_error and not their_error:
            if ours.output_shape != theirs.output_shape:
                differences.append(
                    Difference(
                        f"output shape: spec {fmt_shape(ours.output_shape)}, model {fmt_shape(theirs.output_shape)}",
                        parameter="output_shape",
                        value=(ours.output_shape, theirs.output_shape),
                    )
                )
            for label, key, x_total, y_total in (
                ("parameters", "params", ours.total_params, theirs.total_params),
                ("MACs", "macs", ours.total_macs, theirs.total_macs),
            ):
                if x_total != y_total:
                    differences.append(
                        Difference(
                            f"total {label}: spec {grouped(x_total)}, model {grouped(y_total)}",
                            parameter=key,
                            value=(x_total, y_total),
                        )
                    )
    first: dict[str, Difference] = {}
    for difference in differences:
        first.setdefault(str(difference), difference)
    unique = tuple(first.values())
    return Verification(not differences, unique, shape, ours, theirs)


def _read_model(model: Any, input_shape: Sequence[int]) -> Layer:
    # Keras first: with the torch backend a Keras model is also a torch.nn.Module.
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, keras.Model):
        from convshape.adapters import from_keras

        return from_keras(model)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        from convshape.adapters import from_torch

        return from_torch(model, input_shape)
    onnx = sys.modules.get("onnx")
    if (onnx is not None and isinstance(model, onnx.ModelProto)) or (
        isinstance(model, (str, Path)) and str(model).endswith(".onnx")
    ):
        from convshape.adapters import from_onnx

        return from_onnx(model)
    if isinstance(model, (Layer, list, tuple)):
        return as_layer(model, "model")
    raise TypeError(
        f"verify needs a torch.nn.Module, an onnx.ModelProto (or .onnx path), a keras.Model or a spec, "
        f"got {type(model).__name__}"
    )


def verify(spec: Layer | Sequence[Layer], model: Any, input_shape: Sequence[int]) -> Verification:
    """Compare a convshape spec with a live framework model and report each layer where they disagree.

    The model (PyTorch, ONNX or Keras) is read with the matching adapter (a PyTorch model as
    it runs on this input, through ``torch.export``); rows that hold parameters or change the
    shape are paired by module path and then by signature, so the order in which a forward
    runs its branches does not matter; then the output shape, parameter and MAC totals.  ``input_shape`` is ``(channels, *spatial)``.

    >>> from convshape import Conv, verify
    >>> verify([Conv(8, 3)], [Conv(8, 3)], (3, 8, 8)).ok
    True
    """
    shape = _input_shape(input_shape)  # checked before a framework is asked to read the model
    return compare(spec, _read_model(model, shape), shape)
