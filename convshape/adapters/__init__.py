"""Framework adapters, imported only when called: reading PyTorch, ONNX and Keras models.

``import convshape`` never imports a framework; each adapter imports its framework when it is
first used.  Framework classes and functions are mapped through explicit tables; anything not
in a table raises :class:`~convshape.UnsupportedLayerError` naming it and listing what is supported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from convshape.layers import Layer

__all__ = ["from_keras", "from_onnx", "from_torch"]


def from_torch(module: Any, input_shape: Sequence[int] | None = None) -> Layer:
    """A convshape spec for a PyTorch ``nn.Module``.

    Plain ``nn.Sequential`` containers are read from their children; a module whose
    ``forward`` does more (residual additions, ``torch.cat``, flatten/view, functional calls)
    is read through ``torch.fx`` into a :class:`~convshape.Graph` whose node names are the
    module paths.  Importing torch happens here, not at ``import convshape``.

    Raises:
        UnsupportedLayerError: A module or function convshape cannot model (named, with the
            list of supported ones).

    >>> import torch                                    # doctest: +SKIP
    >>> from convshape import from_torch, trace         # doctest: +SKIP
    >>> spec = from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 64, 9), torch.nn.MaxPool2d(10, 5)))  # doctest: +SKIP
    >>> trace(spec, (1, 83, 83)).output_shape           # doctest: +SKIP
    (64, 14, 14)
    """
    if input_shape is not None:
        from convshape.adapters._export import convert_exported

        return convert_exported(module, input_shape)
    from convshape.adapters._torch import convert

    return convert(module)


def from_onnx(model_or_path: Any, input_shape: Any = None) -> Layer:
    """A convshape :class:`~convshape.Graph` for an ONNX model (a ``ModelProto``, its bytes, or a file path).

    Reads the operators exporters emit for vision models (convolutions, pooling, Gemm/MatMul,
    the normalisations, Reshape/Transpose/Slice/Split/Squeeze/Unsqueeze/Concat, Resize, Pad,
    reductions, Softmax, element-wise operators), opset 11 to current.  Constant sub-graphs
    (``Shape -> Gather -> Concat`` chains computing a Reshape target) and Identity aliases are
    folded; initializers used as operands become :class:`~convshape.Learned` tensors.  Only the
    dims of the weights are read; a file's external data is read only from inside its folder.

    Args:
        model_or_path: An ``onnx.ModelProto``, serialised bytes, or a path.
        input_shape: The input shape without the batch axis, needed when the model's input
            has symbolic sizes (the declared static shape is used otherwise).

    Raises:
        UnsupportedLayerError: An operator (or a use of one) convshape cannot model, naming the node.
        SpecError: A file that is not an ONNX model, or a malformed node (named).
        ShapeError: A node whose shapes do not fit, or that disagree with the shapes the model declares.

    >>> from convshape import from_onnx                 # doctest: +SKIP
    >>> spec = from_onnx("resnet18.onnx")               # doctest: +SKIP
    """
    from convshape.adapters._onnx import convert

    return convert(model_or_path, input_shape)


def from_keras(model: Any) -> Layer:
    """A convshape spec for a Keras 3 ``Sequential`` or functional model (channels-last handled).

    The spec works on convshape's ``(channels, *spatial)`` shapes: trace it with the Keras
    input shape's channels moved to the front (``keras_input_shape`` does that).

    >>> from convshape import from_keras                # doctest: +SKIP
    >>> spec = from_keras(keras_model)                  # doctest: +SKIP
    """
    from convshape.adapters._keras import convert

    return convert(model)
