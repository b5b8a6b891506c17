"""from_onnx on ONNX's own backend node tests: the output shapes of the reference implementation.

The test cases come from the generators the onnx package ships
(``onnx.backend.test.case.node``): importing one of its modules builds that operator's test
models with their input and expected output arrays.  Only the modules of the operators
convshape reads are imported.  The first graph input is the data; every other input becomes
an initializer holding the test's values (weights, indices, shapes, scales).

A case either gives the reference output shape (without the batch axis, the first axis of
the test's input), or is refused with ``UnsupportedLayerError`` for a documented reason
(listed in ``REFUSALS``: most operate on the axis convshape takes for the batch).  Anything
else (a wrong shape, another exception) fails.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import pytest

import convshape as cs
from convshape.adapters._onnx import read

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install onnx)")
np = pytest.importorskip("numpy", reason="numpy comes with onnx")
from onnx import numpy_helper  # noqa: E402

#: modules of onnx.backend.test.case.node, one per operator convshape reads
MODULES = [
    "abs",
    "add",
    "averagepool",
    "batch_normalization",
    "celu",
    "ceil",
    "clip",
    "concat",
    "conv",
    "convtranspose",
    "depthtospace",
    "div",
    "dropout",
    "elu",
    "erf",
    "exp",
    "expand",
    "flatten",
    "floor",
    "gather",
    "gelu",
    "gemm",
    "globalaveragepool",
    "globalmaxpool",
    "groupnormalization",
    "hardsigmoid",
    "hardswish",
    "identity",
    "instance_normalization",
    "layernormalization",
    "leakyrelu",
    "logsoftmax",
    "lrn",
    "matmul",
    "maxpool",
    "mish",
    "mul",
    "neg",
    "pad",
    "pow",
    "prelu",
    "reciprocal",
    "reducemax",
    "reducemean",
    "reducemin",
    "reducesum",
    "relu",
    "reshape",
    "resize",
    "selu",
    "shrink",
    "sigmoid",
    "slice",
    "softmax",
    "softplus",
    "softsign",
    "spacetodepth",
    "split",
    "sqrt",
    "squeeze",
    "sub",
    "swish",
    "tanh",
    "thresholdedrelu",
    "transpose",
    "unsqueeze",
    "where",
]

#: why a case may be refused: the fragments of convshape's messages, and what they mean
REFUSALS = {
    "only the batch axis": "a 1-D input: nothing besides the batch axis",
    "transA=1": "Gemm of a transposed data matrix (its batch axis is multiplied)",
    "an empty tensor": "an output with a size-0 axis (convshape sizes are >= 1)",
    "batch axis": "the operator works on the first axis, which convshape takes for the batch",
    "pads the batch or channel axis": "padding the first two axes",
    "resizes": "resizing the batch or channel axis",
    "global pooling needs": "global pooling of a tensor without spatial axes",
    "is a constant; convshape follows the data": "the data input is a constant",
    "batch axes do not line up": "a matrix product whose first axes are not a batch",
    "one of the multiplied axes": "a matrix product over the first axis",
    "cannot be written without the batch axis": "a product that mixes the first axis",
    "cannot be broadcast without the batch axis": "broadcasting that mixes the first axis",
    "needs (N, C, ...)": "normalisation of a tensor without a channel axis after the batch",
    "only the spatial axes": "resizing the channel axis",
    "is a constant": "the data input is a constant",
    "broadcast the activations": "a constant that grows the data tensor",
    "mixes the batch axis": "a reshape across the first axis",
    "holds the batch merged": "a reshape merging the first axis into another, kept to the output",
    "expands the activations": "Expand that grows the data tensor",
    "that are not an evenly spaced run": "Gather of arbitrary indices",
    "needs a 2-D input": "Gemm of a matrix whose rows are the batch",
    "varies along the batch axis": "a weight with a different value per batch element",
    "not first": "a window operator on a tensor whose first axis is not the batch",
}


def _cases() -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        package = importlib.import_module("onnx.backend.test.case.node")
        for name in MODULES:
            importlib.import_module(f"onnx.backend.test.case.node.{name}")
    cases = []
    wanted = {m.replace("_", "") for m in MODULES} | {"batchnormalization", "instancenormalization"}
    for case in package._NodeTestCases:
        nodes = case.model.graph.node
        if len(nodes) != 1 or nodes[0].op_type.lower() not in wanted | {"reducemean"}:
            continue
        if "_expanded" in case.name or not case.model.graph.input[0].type.HasField("tensor_type"):
            continue  # function expansions, and sequence or optional inputs
        cases.append(case)
    return cases


CASES = {case.name: case for case in _cases()}


def _as_array(value: Any) -> Any:
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def _model(case: Any) -> tuple[Any, list[tuple[int, ...]]]:
    """The test model with every input but the first made an initializer; the expected output shapes."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    graph = model.graph
    names = [i.name for i in graph.input]
    for name, value in list(zip(names, inputs, strict=False))[1:]:
        graph.initializer.append(numpy_helper.from_array(_as_array(value), name))
    keep = graph.input[0]
    del graph.input[:]
    graph.input.append(keep)
    dims = keep.type.tensor_type.shape.dim
    del dims[:]
    for size in _as_array(inputs[0]).shape:  # the test's own input, in place of symbolic sizes
        dims.add().dim_value = size
    return model, [tuple(_as_array(o).shape) for o in outputs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_backend_node_case(name: str) -> None:
    """The reference output shape, or a refusal for a documented reason."""
    case = CASES[name]
    model, expected = _model(case)
    first = _as_array(case.data_sets[0][0][0])
    if first.ndim == 0:
        pytest.skip("a scalar input has no batch axis")  # nothing to read: ONNX declares no axis at all
    try:
        spec, batch_at = read(model)
    except cs.UnsupportedLayerError as err:
        message = str(err)
    else:
        message = ""
    if message:
        reasons = [why for fragment, why in REFUSALS.items() if fragment in message]
        assert reasons, f"refused for an undocumented reason: {message}"
        assert "node " in message or "the input " in message or "the graph output " in message
        return
    report = cs.trace(spec, tuple(first.shape[1:]))
    names = list(report.outputs) if len(report.outputs) == len(expected) else [spec.outputs[0]]
    produced = []
    for name in names:  # ONNX's shape: convshape's with the batch axis put back where it is
        shape = list(report.outputs[name] or ())
        shape.insert(batch_at[name], first.shape[0])
        produced.append(tuple(shape))
    assert produced == expected[: len(produced)]
