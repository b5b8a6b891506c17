"""convshape: shapes, kernel counts, parameters, MACs and receptive fields of convolutional networks.

>>> import convshape
>>> convshape.conv_output_size(83, 9)
75
>>> convshape.kernel_count(64, 256, groups=4)
4096
"""

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
from convshape.containers import (
    Add,
    Cat,
    Concat,
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
from convshape.errors import (
    ConvShapeError,
    ParameterError,
    ShapeError,
    SpecError,
    UnsupportedLayerError,
)
from convshape.explain import explain
from convshape.layers import (
    Activation,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Dropout,
    Flatten,
    Identity,
    Layer,
    Linear,
    MaxPool,
    Pad,
    Upsample,
)
from convshape.receptive import ReceptiveField
from convshape.solve import InputSizes, Solution, input_sizes, solve
from convshape.specio import dumps, from_dict, load, loads, to_dict
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
    "Concat",
    "Conv",
    "ConvShapeError",
    "ConvTranspose",
    "Dropout",
    "Flatten",
    "Graph",
    "Identity",
    "InputSizes",
    "Layer",
    "Linear",
    "MaxPool",
    "Multiply",
    "Node",
    "Pad",
    "PaddingTranslation",
    "ParameterError",
    "ReceptiveField",
    "Report",
    "Residual",
    "Row",
    "Sequential",
    "ShapeError",
    "Solution",
    "SpecError",
    "UnsupportedLayerError",
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
    "to_dict",
    "trace",
    "uncovered_inputs",
    "verify",
    "weight_shape",
    "zoo",
]
