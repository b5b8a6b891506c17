"""from_onnx on malformed and hostile input: a ConvShapeError naming the node, never a stray exception.

Also: the operators whose results were wrong or raised before (a MatMul by a rank-4 or 1-D
constant, a Concat with a constant operand, an operand naming no tensor), reading only the
weights' dims, and external data read only from inside the model's folder.
"""

from __future__ import annotations

import contextlib
import os
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import convshape as cs
from convshape import from_onnx

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install onnx)")
np = pytest.importorskip("numpy", reason="numpy comes with onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

FUZZ_CASES = 3000 if os.environ.get("CONVSHAPE_LONG") == "1" else 300


def _model(nodes: list[Any], inits: list[Any], shape: tuple[int, ...], opset: int = 22) -> Any:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (2, *shape))],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
        initializer=inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _weight(name: str, *shape: int) -> Any:
    return numpy_helper.from_array(np.ones(shape, dtype=np.float32), name)


def _ints(name: str, values: list[int]) -> Any:
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def _onnx_shape(model: Any) -> tuple[int, ...]:
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    return tuple(d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim)


def _base() -> Any:
    """A small network using many operators: the seed of the fuzzing."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv", pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "s", "b", "m", "v"], ["bn"], name="bn"),
        helper.make_node("Relu", ["bn"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Shape", ["p"], ["shp"], name="shape"),
        helper.make_node("Gather", ["shp", "zero"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "zero1"], ["n1"], name="unsq"),
        helper.make_node("Concat", ["n1", "minus"], ["target"], name="cat_shape", axis=0),
        helper.make_node("Reshape", ["p", "target"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "fw", "fb"], ["y"], name="fc", transB=1),
    ]
    inits = [
        _weight("w1", 8, 3, 3, 3), _weight("b1", 8), _weight("s", 8), _weight("b", 8), _weight("m", 8),
        _weight("v", 8), numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"), _ints("zero1", [0]), _ints("minus", [-1]),
        _weight("fw", 10, 8 * 4 * 4), _weight("fb", 10),
    ]  # fmt: skip
    return _model(nodes, inits, (3, 16, 16))


def test_the_fuzzing_seed_reads_and_agrees_with_onnx() -> None:
    """The seed itself folds its Shape -> Gather -> Concat chain and gives ONNX's output shape."""
    model = _base()
    assert cs.trace(from_onnx(model), (3, 16, 16)).output_shape == _onnx_shape(model)[1:]


def _mutate(model: Any, rng: random.Random) -> Any:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(9)
        node = graph.node[rng.randrange(len(graph.node))]
        if choice == 0 and node.input:
            del node.input[rng.randrange(len(node.input))]
        elif choice == 1 and node.input:
            node.input[rng.randrange(len(node.input))] = rng.choice(["", "nowhere", "x", "w1", "zero"])
        elif choice == 2 and node.attribute:
            del node.attribute[rng.randrange(len(node.attribute))]
        elif choice == 3:
            key = rng.choice(
                ["pads", "strides", "kernel_shape", "dilations", "axis", "axes", "perm", "group"]
            )
            value = rng.choice([[0], [-1, 2], [1, 1, 1, 1, 1], [0, 0, 0, 0], 7, -3, 0, [99, 99]])
            node.attribute.append(helper.make_attribute(key, value))
        elif choice == 4:
            node.attribute.append(
                helper.make_attribute("auto_pad", rng.choice(["GARBAGE", "SAME_UPPER", ""]))
            )
        elif choice == 5:
            node.op_type = rng.choice(["Conv", "Reshape", "Concat", "Gather", "Slice", "MatMul", "Split",
                                       "Transpose", "Resize", "Pad", "Squeeze", "Add", "Softmax"])  # fmt: skip
        elif choice == 6 and graph.initializer:
            tensor = graph.initializer[rng.randrange(len(graph.initializer))]
            del tensor.dims[:]
            tensor.dims.extend(rng.choice([[], [0], [3], [2, 2], [8, 3, 3]]))
        elif choice == 7 and node.output:
            node.output[0] = rng.choice(["x", "p", "y2", "flat"])
        else:
            graph.node.insert(rng.randrange(len(graph.node) + 1), node)
    return out


def test_fuzzed_models_give_convshape_errors_only() -> None:
    """Random damage to nodes, attributes and initializers: a ConvShapeError or a traceable spec."""
    rng = random.Random(2024)
    base = _base()
    errors = 0
    for _ in range(FUZZ_CASES):
        model = _mutate(base, rng)
        try:
            spec = from_onnx(model)
        except cs.ConvShapeError:
            errors += 1
            continue
        with contextlib.suppress(cs.ConvShapeError):
            cs.trace(spec, (3, 16, 16))
    assert 0 < errors < FUZZ_CASES


def test_fuzzed_bytes_and_files(tmp_path: Path) -> None:
    """Truncated, corrupted and non-ONNX files are SpecErrors (not protobuf's DecodeError)."""
    data = _base().SerializeToString()
    rng = random.Random(7)
    samples = [b"", b"not an onnx model", b"\x00" * 100, data[: len(data) // 2], data[:-3]]
    for _ in range(200):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        samples.append(bytes(damaged))
    path = tmp_path / "m.onnx"
    for sample in samples:
        path.write_bytes(sample)
        for source in (path, sample):
            with contextlib.suppress(cs.ConvShapeError):
                from_onnx(source)
    path.write_bytes(b"\x08\x07")  # a valid message without a graph
    with pytest.raises(cs.SpecError, match="not an ONNX model"):
        from_onnx(path)


def test_garbage_auto_pad_and_missing_inputs_name_the_node() -> None:
    bad_pad = _model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c", auto_pad="GARBAGE")],
        [_weight("w", 4, 3, 3, 3)],
        (3, 8, 8),
    )
    with pytest.raises(cs.SpecError, match=r"node 'c' \(Conv\).*auto_pad 'GARBAGE'"):
        from_onnx(bad_pad)
    nowhere = _model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add")], [], (3, 8, 8))
    with pytest.raises(cs.SpecError, match=r"node 'add' \(Add\).*'ghost'"):
        from_onnx(nowhere)
    no_weight = _model([helper.make_node("Conv", ["x"], ["y"], name="c")], [], (3, 8, 8))
    with pytest.raises(cs.SpecError, match="node 'c'"):
        from_onnx(no_weight)
    no_kernel = _model([helper.make_node("MaxPool", ["x"], ["y"], name="p")], [], (3, 8, 8))
    with pytest.raises(cs.SpecError, match=r"node 'p'.*kernel_shape"):
        from_onnx(no_kernel)


def test_matmul_by_a_weight_per_batch_element_is_refused() -> None:
    """A rank-4 weight whose first axis is the batch's, with a different value per sample: no
    batchless form, so a clear refusal."""
    values = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    model = _model(
        [helper.make_node("MatMul", ["x", "b"], ["y"], name="mm")],
        [numpy_helper.from_array(values, "b")],
        (3, 5, 4),
    )
    with pytest.raises(cs.UnsupportedLayerError, match=r"node 'mm' \(MatMul\).*varies along the batch axis"):
        from_onnx(model)


def test_matmul_by_equal_copies_of_a_weight_per_batch_element() -> None:
    """A weight stored once per sample (an exporter's folded ``expand(batch, ...)``) whose copies are
    equal: one sample's copy, ONNX's shape, one copy's parameters."""
    model = _model(
        [helper.make_node("MatMul", ["x", "b"], ["y"], name="mm")], [_weight("b", 2, 3, 4, 2)], (3, 5, 4)
    )
    report = cs.trace(from_onnx(model), (3, 5, 4))
    assert (2, *(report.output_shape or ())) == _onnx_shape(model)
    assert report.total_params == 3 * 4 * 2


@pytest.mark.parametrize("b_shape", [(3, 4, 2), (1, 1, 4, 5), (4,), (4, 6)])
def test_matmul_by_constants_of_any_rank_gives_onnx_shape(b_shape: tuple[int, ...]) -> None:
    """A rank-3, rank-4 or 1-D weight operand: ONNX's output shape and one parameter per weight element."""
    model = _model(
        [helper.make_node("MatMul", ["x", "b"], ["y"], name="mm")], [_weight("b", *b_shape)], (3, 5, 4)
    )
    report = cs.trace(from_onnx(model), (3, 5, 4))
    assert (2, *(report.output_shape or ())) == _onnx_shape(model)
    assert report.total_params == int(np.prod(b_shape))


def test_concat_with_a_learned_constant() -> None:
    """A constant operand of Concat (a class token) is a Learned tensor; ONNX's shape."""
    nodes = [helper.make_node("Concat", ["tok", "x"], ["y"], name="cat", axis=1)]
    model = _model(nodes, [_weight("tok", 1, 1, 8)], (6, 8))
    graph = model.graph
    graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    report = cs.trace(from_onnx(model), (6, 8))
    assert (1, *(report.output_shape or ())) == _onnx_shape(model)
    assert report.total_params == 8


def _big_model(tmp_path: Path, elements: int) -> Path:
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")]
    model = _model(nodes, [_weight("w", 16, elements // 16)], (4, 16))
    path = tmp_path / "big.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, location="big.data", size_threshold=0)
    return path


def test_weights_are_not_read(tmp_path: Path) -> None:
    """Only dims are read: peak memory stays far below the weights' size (external or inline)."""
    elements = 4 * 1024 * 1024  # 16 MB of float32
    path = _big_model(tmp_path, elements)
    tracemalloc.start()
    report = cs.trace(from_onnx(path), (4, 16))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.total_params == elements
    assert peak < elements * 4 // 8
    inline = onnx.load(str(path))  # the data loaded into the proto: still not converted
    tracemalloc.start()
    cs.trace(from_onnx(inline), (4, 16))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < elements * 4 // 8


def test_external_data_stays_inside_the_model_folder(tmp_path: Path) -> None:
    """A location outside the folder is refused; a ModelProto without its folder reads no file."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.array([1, -1], dtype=np.int64).tobytes())
    folder = tmp_path / "model"
    folder.mkdir()
    shape = TensorProto()
    shape.name = "shape"
    shape.data_type = TensorProto.INT64
    shape.dims.append(2)
    shape.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../secret.bin"), ("offset", "0"), ("length", "16")):
        entry = shape.external_data.add()
        entry.key, entry.value = key, value
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], name="r")]
    model = _model(nodes, [shape], (3, 4))
    path = folder / "m.onnx"
    onnx.save_model(model, str(path))
    with pytest.raises(cs.SpecError, match="outside the model's folder"):
        from_onnx(path)
    shape.external_data[0].value = str(secret)  # an absolute path
    onnx.save_model(_model(nodes, [shape], (3, 4)), str(path))
    with pytest.raises(cs.SpecError, match="outside the model's folder"):
        from_onnx(path)
    for unplaced in (_model(nodes, [shape], (3, 4)), _model(nodes, [shape], (3, 4)).SerializeToString()):
        with pytest.raises(cs.UnsupportedLayerError, match="load the model from its path"):
            from_onnx(unplaced)  # no folder known: no file is read at all
    inside = folder / "shape.bin"
    inside.write_bytes(np.array([0, -1], dtype=np.int64).tobytes())
    shape.external_data[0].value = "shape.bin"
    onnx.save_model(_model(nodes, [shape], (3, 4)), str(path))
    assert cs.trace(from_onnx(path), (3, 4)).output_shape == (12,)
