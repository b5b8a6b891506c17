"""Padding translation: one layer's padding in each framework's vocabulary, for a given input.

>>> from convshape import Conv, padding_for
>>> t = padding_for(Conv(8, 4, stride=2, padding="same"), (3, 10, 10))
>>> t.pads
((1, 1), (1, 1))
>>> print(t)
pads per axis (before, after): (1, 1), (1, 1)
PyTorch:    padding=1
TensorFlow: padding='SAME'
Keras:      padding='same'
ONNX:       pads=[1, 1, 1, 1] (or auto_pad='SAME_UPPER')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from convshape.arithmetic import AxisWindow, _plain, _same_total
from convshape.errors import ParameterError, check_int, show, type_name
from convshape.layers import AvgPool, Conv, ConvTranspose, Layer, MaxPool
from convshape.tracing import trace

__all__ = ["PaddingTranslation", "padding_for"]


@dataclass(frozen=True, slots=True)
class PaddingTranslation:
    """A window layer's padding for one input, written for PyTorch, TensorFlow, Keras and ONNX.

    Attributes:
        pads: The resolved ``(before, after)`` padding on each spatial axis.
        pytorch: Constructor arguments (plus an ``F.pad`` call when the padding is asymmetric).
        tensorflow: ``tf.nn`` padding: ``'SAME'``, ``'VALID'``, an explicit list, or why it cannot.
        keras: Keras layer padding, with a ``ZeroPadding`` layer where it needs one.
        onnx: ``pads`` (begins then ends) and the equivalent ``auto_pad`` where there is one.
        notes: Where a framework cannot express the padding, and what to do instead.

    >>> from convshape import MaxPool
    >>> padding_for(MaxPool(2, padding=[(0, 1)]), (1, 5)).notes[0]
    'PyTorch pools take symmetric padding only: pad with F.pad(x, (0, 1), value=float("-inf")) first (max pooling)'
    """

    pads: tuple[tuple[int, int], ...]
    pytorch: str
    tensorflow: str
    keras: str
    onnx: str
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [
            "pads per axis (before, after): " + ", ".join(str(p) for p in self.pads),
            f"PyTorch:    {self.pytorch}",
            f"TensorFlow: {self.tensorflow}",
            f"Keras:      {self.keras}",
            f"ONNX:       {self.onnx}",
        ]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _torch_pad(pads: tuple[tuple[int, int], ...]) -> str:
    flat = [v for pair in reversed(pads) for v in pair]
    return "(" + ", ".join(map(str, flat)) + ")"


def _same_pairs(windows: Sequence[AxisWindow], lower: bool) -> tuple[tuple[int, int], ...]:
    out = []
    for w in windows:
        total = _same_total(w.size, w.extent, w.stride)
        small, big = total // 2, total - total // 2
        out.append((big, small) if lower else (small, big))
    return tuple(out)


def input_shape_arg(input_shape: object) -> tuple[int, ...]:
    """Validate an input shape ``(channels, *spatial)``: at most MAX_AXES ints >= 1 (numpy ints too).

    >>> input_shape_arg([3, 10])
    (3, 10)
    """
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(
            "input_shape must be a sequence of ints like (3, 224, 224), "
            f"got {type_name(input_shape)} {show(input_shape)}"
        )
    shape = _plain("input_shape", input_shape, 1)
    assert isinstance(shape, tuple)
    if not shape:
        raise ParameterError("input_shape must have at least the channel axis, got ()")
    return tuple(check_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(shape))


def padding_for(layer: Layer, input_shape: Sequence[int]) -> PaddingTranslation:
    """Translate the padding of a Conv, ConvTranspose, MaxPool or AvgPool for this input.

    Raises:
        TypeError: *layer* is not a layer spec.
        ParameterError: The layer has no padding to translate.
        ConvShapeError: The layer does not fit the input.

    >>> print(padding_for(Conv(8, 3, padding="same_lower", stride=2), (3, 10)))
    pads per axis (before, after): (1, 0)
    PyTorch:    F.pad(x, (1, 0)) then padding=0
    TensorFlow: padding=[[0, 0], [1, 0], [0, 0]]
    Keras:      ZeroPadding1D((1, 0)) then padding='valid'
    ONNX:       pads=[1, 0] (or auto_pad='SAME_LOWER')
    note: PyTorch convolutions pad symmetrically: pad with F.pad(x, (1, 0)) first
    """
    if not isinstance(layer, Layer):
        raise TypeError(
            f"layer must be a Conv, ConvTranspose, MaxPool or AvgPool spec, got {type_name(layer)} {show(layer)}"
        )
    if not isinstance(layer, (Conv, ConvTranspose, MaxPool, AvgPool)):
        raise ParameterError(
            f"padding_for needs a Conv, ConvTranspose, MaxPool or AvgPool, got {layer.describe()}"
        )
    windows = [w for w in trace(layer, input_shape_arg(input_shape)).rows[0].windows if w is not None]
    pads = tuple((w.before, w.after) for w in windows)
    symmetric = all(b == a for b, a in pads)
    nd = len(pads)
    zero = all(b == 0 and a == 0 for b, a in pads)
    if isinstance(layer, ConvTranspose):
        totals = [(w.size - 1) * w.stride + w.extent + w.output_padding - w.size * w.stride for w in windows]
        same_upper = pads == tuple((t // 2, t - t // 2) for t in totals)
        same_lower = pads == tuple((t - t // 2, t // 2) for t in totals)
    else:
        same_upper = pads == _same_pairs(windows, lower=False)
        same_lower = pads == _same_pairs(windows, lower=True)
    notes: list[str] = []
    onnx_pads = [b for b, _ in pads] + [a for _, a in pads]
    auto = (
        " (or auto_pad='VALID')"
        if zero
        else " (or auto_pad='SAME_UPPER')"
        if same_upper
        else (" (or auto_pad='SAME_LOWER')" if same_lower else "")
    )
    onnx = f"pads={onnx_pads}{auto}"
    sym = [b for b, _ in pads]
    sym_text = str(sym[0]) if len(set(sym)) == 1 else str(tuple(sym))
    explicit_tf = "[[0, 0], " + ", ".join(f"[{b}, {a}]" for b, a in pads) + ", [0, 0]]"
    zero_pad = f"ZeroPadding{nd}D({tuple(pads) if nd > 1 else pads[0]})"

    if isinstance(layer, ConvTranspose):
        if any(b < 0 or a < 0 for b, a in pads):
            notes.append(
                "the implied padding is negative: the output is larger than size x stride would crop to"
            )
        pytorch = (
            f"padding={sym_text}"
            if symmetric and all(b >= 0 for b in sym)
            else (
                f"padding=0, then crop the output by {list(pads)} (PyTorch's ConvTranspose pads symmetrically only)"
            )
        )
        if not symmetric:
            notes.append(
                "PyTorch's ConvTranspose cannot pad asymmetrically: use padding=0 and slice the output"
            )
        op = ", ".join(str(w.output_padding) for w in windows)
        if any(w.output_padding for w in windows):
            pytorch += f", output_padding={op if nd > 1 else windows[0].output_padding}"
        outputs = [w.output for w in windows]
        tf = (
            f"output_shape {outputs} with padding='SAME'"
            if same_upper
            else (
                f"output_shape {outputs} with padding='VALID'"
                if zero
                else f"output_shape {outputs}; pads {list(pads)} are neither 'SAME' nor 'VALID': crop a 'VALID' result"
            )
        )
        keras = (
            "padding='same'"
            if all(w.output == w.size * w.stride for w in windows)
            else (f"padding='valid' (output {outputs}; Keras may need output_padding)")
        )
        return PaddingTranslation(pads, pytorch, tf, keras, onnx, tuple(notes))

    is_pool = isinstance(layer, (MaxPool, AvgPool))
    dilated_pool = is_pool and any(w.dilation > 1 for w in windows)
    if isinstance(layer, AvgPool) and dilated_pool:
        pytorch = "cannot be expressed (PyTorch's average pooling has no dilation)"
    elif symmetric and (not is_pool or all(b <= w.kernel // 2 for b, w in zip(sym, windows, strict=True))):
        pytorch = f"padding={sym_text}"
        if not is_pool and same_upper and all(w.stride == 1 for w in windows):
            pytorch += " (or padding='same')"
    else:
        fill = ', value=float("-inf")' if isinstance(layer, MaxPool) else ""
        pytorch = f"F.pad(x, {_torch_pad(pads)}{fill}) then padding=0"
        if is_pool:
            kind = (
                "max pooling"
                if isinstance(layer, MaxPool)
                else "average pooling: the padded zeros then count in every average, ONNX's count_include_pad=1"
            )
            rule = "symmetric padding only" if not symmetric else "padding of at most kernel_size // 2"
            notes.append(
                f"PyTorch pools take {rule}: pad with F.pad(x, {_torch_pad(pads)}{fill}) first ({kind})"
            )
        else:
            notes.append(
                f"PyTorch convolutions pad symmetrically: pad with F.pad(x, {_torch_pad(pads)}) first"
            )
    if dilated_pool:
        tf = "tf.nn.pool with dilations (tf.nn.max_pool and avg_pool have none), padding 'SAME' or 'VALID' only"
        keras = "cannot be expressed (Keras pools have no dilation)"
    elif zero:
        tf, keras = "padding='VALID'", "padding='valid'"
    elif same_upper:
        tf, keras = "padding='SAME'", "padding='same'"
    elif is_pool:
        tf = "cannot be expressed (TF pools take 'SAME' or 'VALID' only)"
        keras = f"{zero_pad} then padding='valid' (pads with zeros, not -inf)"
        notes.append("TensorFlow pooling has no explicit padding; pad the input first")
    else:
        tf = f"padding={explicit_tf}"
        keras = f"{zero_pad} then padding='valid'"
    return PaddingTranslation(pads, pytorch, tf, keras, onnx, tuple(notes))
