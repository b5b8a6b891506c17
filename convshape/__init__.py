"""convshape: shapes, kernel counts, parameters, MACs and receptive fields of convolutional networks.

>>> import convshape
>>> convshape.conv_output_size(83, 9)
75
>>> convshape.kernel_count(64, 256, groups=4)
4096

The public names are loaded on first use, so ``import convshape`` costs almost nothing and
never imports a framework.
"""

from __future__ import annotations

import sys

# typing costs several milliseconds to import; type checkers treat this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from convshape import zoo
    from convshape.adapters import from_keras, from_onnx, from_torch
    from convshape.arithmetic import (
        conv_output_shape,
        conv_output_size,
        conv_transpose_output_shape,
        conv_transpose_output_size,
        pool_output_shape,
        pool_output_size,
        same_padding,
        uncovered_inputs,
    )
    from convshape.attention import (
        MatMul,
        MultiheadAttention,
        ScaledDotProductAttention,
    )
    from convshape.containers import (
        Add,
        Cat,
        Concat,
        CropCat,
        Graph,
        Multiply,
        Node,
        Residual,
        Sequential,
    )
    from convshape.counting import (
        conv_macs,
        conv_params,
        conv_transpose_macs,
        kernel_count,
        linear_macs,
        linear_params,
        weight_shape,
    )
    from convshape.elementwise import (
        Learned,
        PReLU,
        Softmax,
        StochasticDepth,
    )
    from convshape.errors import (
        ConvShapeError,
        Difference,
        ParameterError,
        ShapeError,
        SpecError,
        UnsupportedLayerError,
    )
    from convshape.explanation import explain
    from convshape.inverse import InputSizes, Solution, input_sizes, solve, unsolved_reason
    from convshape.layers import (
        Activation,
        AdaptiveAvgPool,
        AdaptiveMaxPool,
        AvgPool,
        BatchNorm,
        Conv,
        ConvTranspose,
        Dropout,
        EuclideanRBF,
        Flatten,
        Identity,
        Layer,
        Linear,
        MaxPool,
        Pad,
        Shared,
        Subsample,
        Unused,
        Upsample,
    )
    from convshape.normalization import (
        GroupNorm,
        InstanceNorm,
        LayerNorm,
        LocalResponseNorm,
    )
    from convshape.receptive import ReceptiveField
    from convshape.reshaping import (
        CenterCrop,
        ChannelShuffle,
        Chunk,
        Crop,
        Expand,
        Permute,
        PixelShuffle,
        PixelUnshuffle,
        Reduce,
        Reshape,
        Slice,
        Split,
        Squeeze,
        Transpose,
        Unsqueeze,
    )
    from convshape.specio import dumps, from_dict, load, loads, to_dict
    from convshape.tables import RandomTable, table_from_pairs
    from convshape.tracing import Report, Row, check, trace
    from convshape.translate import PaddingTranslation, padding_for
    from convshape.verification import Verification, verify

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "Add",
    "AvgPool",
    "BatchNorm",
    "Cat",
    "CenterCrop",
    "ChannelShuffle",
    "Chunk",
    "Concat",
    "Conv",
    "ConvShapeError",
    "ConvTranspose",
    "Crop",
    "CropCat",
    "Difference",
    "Dropout",
    "EuclideanRBF",
    "Expand",
    "Flatten",
    "Graph",
    "GroupNorm",
    "Identity",
    "InputSizes",
    "InstanceNorm",
    "Layer",
    "LayerNorm",
    "Learned",
    "Linear",
    "LocalResponseNorm",
    "MatMul",
    "MaxPool",
    "MultiheadAttention",
    "Multiply",
    "Node",
    "PReLU",
    "Pad",
    "PaddingTranslation",
    "ParameterError",
    "Permute",
    "PixelShuffle",
    "PixelUnshuffle",
    "RandomTable",
    "ReceptiveField",
    "Reduce",
    "Report",
    "Reshape",
    "Residual",
    "Row",
    "ScaledDotProductAttention",
    "Sequential",
    "ShapeError",
    "Shared",
    "Slice",
    "Softmax",
    "Solution",
    "SpecError",
    "Split",
    "Squeeze",
    "StochasticDepth",
    "Subsample",
    "Transpose",
    "Unsqueeze",
    "UnsupportedLayerError",
    "Unused",
    "Upsample",
    "Verification",
    "check",
    "conv_macs",
    "conv_output_shape",
    "conv_output_size",
    "conv_params",
    "conv_transpose_macs",
    "conv_transpose_output_shape",
    "conv_transpose_output_size",
    "dumps",
    "explain",
    "from_dict",
    "from_keras",
    "from_onnx",
    "from_torch",
    "input_sizes",
    "kernel_count",
    "linear_macs",
    "linear_params",
    "load",
    "loads",
    "padding_for",
    "pool_output_shape",
    "pool_output_size",
    "same_padding",
    "solve",
    "table_from_pairs",
    "to_dict",
    "trace",
    "uncovered_inputs",
    "unsolved_reason",
    "verify",
    "weight_shape",
    "zoo",
]


#: public name -> the module that defines it (loaded on first access)
_LAZY = {
    "Activation": "convshape.layers",
    "AdaptiveAvgPool": "convshape.layers",
    "AdaptiveMaxPool": "convshape.layers",
    "Add": "convshape.containers",
    "AvgPool": "convshape.layers",
    "BatchNorm": "convshape.layers",
    "Cat": "convshape.containers",
    "CropCat": "convshape.containers",
    "Concat": "convshape.containers",
    "Conv": "convshape.layers",
    "ConvShapeError": "convshape.errors",
    "Difference": "convshape.errors",
    "ConvTranspose": "convshape.layers",
    "Dropout": "convshape.layers",
    "Flatten": "convshape.layers",
    "Graph": "convshape.containers",
    "Identity": "convshape.layers",
    "InputSizes": "convshape.inverse",
    "Layer": "convshape.layers",
    "Linear": "convshape.layers",
    "MaxPool": "convshape.layers",
    "Multiply": "convshape.containers",
    "Node": "convshape.containers",
    "Pad": "convshape.layers",
    "PaddingTranslation": "convshape.translate",
    "ParameterError": "convshape.errors",
    "EuclideanRBF": "convshape.layers",
    "RandomTable": "convshape.tables",
    "ReceptiveField": "convshape.receptive",
    "Report": "convshape.tracing",
    "Residual": "convshape.containers",
    "Row": "convshape.tracing",
    "Sequential": "convshape.containers",
    "ShapeError": "convshape.errors",
    "Solution": "convshape.inverse",
    "SpecError": "convshape.errors",
    "Subsample": "convshape.layers",
    "Shared": "convshape.layers",
    "Unused": "convshape.layers",
    "UnsupportedLayerError": "convshape.errors",
    "Upsample": "convshape.layers",
    "Verification": "convshape.verification",
    "check": "convshape.tracing",
    "conv_macs": "convshape.counting",
    "conv_output_shape": "convshape.arithmetic",
    "conv_output_size": "convshape.arithmetic",
    "conv_params": "convshape.counting",
    "conv_transpose_macs": "convshape.counting",
    "conv_transpose_output_shape": "convshape.arithmetic",
    "conv_transpose_output_size": "convshape.arithmetic",
    "dumps": "convshape.specio",
    "explain": "convshape.explanation",
    "from_dict": "convshape.specio",
    "from_keras": "convshape.adapters",
    "from_onnx": "convshape.adapters",
    "from_torch": "convshape.adapters",
    "input_sizes": "convshape.inverse",
    "kernel_count": "convshape.counting",
    "linear_macs": "convshape.counting",
    "linear_params": "convshape.counting",
    "load": "convshape.specio",
    "loads": "convshape.specio",
    "padding_for": "convshape.translate",
    "pool_output_shape": "convshape.arithmetic",
    "pool_output_size": "convshape.arithmetic",
    "same_padding": "convshape.arithmetic",
    "solve": "convshape.inverse",
    "table_from_pairs": "convshape.tables",
    "to_dict": "convshape.specio",
    "trace": "convshape.tracing",
    "uncovered_inputs": "convshape.arithmetic",
    "unsolved_reason": "convshape.inverse",
    "verify": "convshape.verification",
    "weight_shape": "convshape.counting",
    "zoo": "convshape.zoo",
    "CenterCrop": "convshape.reshaping",
    "ChannelShuffle": "convshape.reshaping",
    "Chunk": "convshape.reshaping",
    "Crop": "convshape.reshaping",
    "Expand": "convshape.reshaping",
    "Permute": "convshape.reshaping",
    "PixelShuffle": "convshape.reshaping",
    "PixelUnshuffle": "convshape.reshaping",
    "Reduce": "convshape.reshaping",
    "Reshape": "convshape.reshaping",
    "Slice": "convshape.reshaping",
    "Split": "convshape.reshaping",
    "Squeeze": "convshape.reshaping",
    "Transpose": "convshape.reshaping",
    "Unsqueeze": "convshape.reshaping",
    "GroupNorm": "convshape.normalization",
    "InstanceNorm": "convshape.normalization",
    "LayerNorm": "convshape.normalization",
    "LocalResponseNorm": "convshape.normalization",
    "Learned": "convshape.elementwise",
    "PReLU": "convshape.elementwise",
    "Softmax": "convshape.elementwise",
    "StochasticDepth": "convshape.elementwise",
    "MatMul": "convshape.attention",
    "MultiheadAttention": "convshape.attention",
    "ScaledDotProductAttention": "convshape.attention",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convshape' has no attribute {name!r}")
    __import__(module)  # importlib would import warnings too: a millisecond
    value = sys.modules[module] if module == "convshape." + name else getattr(sys.modules[module], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
