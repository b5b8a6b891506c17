"""from_onnx on graphs that fold the batch into another axis for a while, and on constants.

Attention blocks as exporters write them merge the batch with another axis:
``nn.MultiheadAttention`` reshapes ``(L, N, E)`` to ``(L, N * heads, d)`` (the batch the outer
factor) and, for its output projection, to ``(L * N, E)`` (the inner factor); Swin partitions
``(N, H, W, C)`` into windows ``(N * windows, tokens, C)``.  convshape follows such a tensor
through the operators that keep samples apart, and refuses any other.

Each graph here is run by ONNX's reference evaluator (``onnx.reference``) at batch 2: its
output shape is the reference; MACs are counted from the operators' shapes in the test.
"""

from __future__ import annotations

from typing import Any

import pytest

import convshape as cs
from convshape import from_onnx

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install onnx)")
np = pytest.importorskip("numpy", reason="numpy comes with onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

BATCH = 2


def _model(
    nodes: list[Any], inits: list[Any], shape: tuple[int, ...], metadata: dict[str, str] | None = None
) -> Any:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (BATCH, *shape))],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
        initializer=inits,
    )
    for key, value in (metadata or {}).items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


def _random(name: str, *shape: int, seed: int = 0) -> Any:
    values = np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(np.float32)
    return numpy_helper.from_array(values, name)


def _ints(name: str, values: list[int]) -> Any:
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def _run(model: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape of the reference evaluator at batch 2."""
    x = np.random.default_rng(1).standard_normal((BATCH, *shape)).astype(np.float32)
    outputs: Any = ReferenceEvaluator(model).run(None, {"x": x})
    return tuple(outputs[0].shape)


def test_multihead_attention_as_torch_exports_it() -> None:
    """``(N, L, E)`` transposed to ``(L, N, E)``: in-projection, heads merged with the batch (outer
    factor), attention per (sample, head), then ``(L * N, E)`` (the batch the inner factor) through
    the out-projection, and back to ``(N, L, E)``."""
    L, E, heads = 5, 8, 2
    d = E // heads
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], name="seq_first", perm=[1, 0, 2]),  # (L, N, E)
        helper.make_node("MatMul", ["xt", "w_in"], ["qkv"], name="in_proj"),  # (L, N, 3E)
        helper.make_node("Split", ["qkv", "thirds"], ["q", "k", "v"], name="split", axis=2),
        *(
            helper.make_node("Reshape", [t, "heads_shape"], [f"{t}h"], name=f"{t}_heads")  # (L, N*heads, d)
            for t in "qkv"
        ),
        *(helper.make_node("Transpose", [f"{t}h"], [f"{t}t"], name=f"{t}_t", perm=[1, 0, 2]) for t in "qkv"),
        helper.make_node("Transpose", ["kt"], ["kT"], name="k_T", perm=[0, 2, 1]),  # (N*heads, d, L)
        helper.make_node("MatMul", ["qt", "kT"], ["scores"], name="qk"),  # (N*heads, L, L)
        helper.make_node("Softmax", ["scores"], ["p"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["p", "vt"], ["ctx"], name="pv"),  # (N*heads, L, d)
        helper.make_node("Transpose", ["ctx"], ["ctx_t"], name="ctx_t", perm=[1, 0, 2]),  # (L, N*heads, d)
        helper.make_node("Reshape", ["ctx_t", "rows"], ["flat"], name="to_rows"),  # (L*N, E)
        helper.make_node("Gemm", ["flat", "w_out", "b_out"], ["proj"], name="out_proj", transB=1),
        helper.make_node("Reshape", ["proj", "back"], ["seq"], name="from_rows"),  # (L, N, E)
        helper.make_node("Transpose", ["seq"], ["y"], name="batch_first", perm=[1, 0, 2]),  # (N, L, E)
    ]
    inits = [
        _random("w_in", E, 3 * E), _ints("thirds", [E, E, E]), _ints("heads_shape", [L, BATCH * heads, d]),
        _ints("rows", [L * BATCH, E]), _random("w_out", E, E), _random("b_out", E), _ints("back", [L, BATCH, E]),
    ]  # fmt: skip
    model = _model(nodes, inits, (L, E))
    report = cs.trace(from_onnx(model), (L, E))
    assert (BATCH, *(report.output_shape or ())) == _run(model, (L, E))
    macs = L * E * 3 * E + heads * L * L * d * 2 + L * E * E  # per sample
    assert report.total_macs == macs
    assert report.total_params == E * 3 * E + E * E + E


def test_swin_window_partition_and_window_attention() -> None:
    """``(N, H, W, C)`` cut into 2x2 windows ``(N * 4, 4, C)``: per-window attention with a
    relative position bias gathered from its table, then the windows put back."""
    H = W = 4
    C, ws = 6, 2
    windows, tokens = (H // ws) * (W // ws), ws * ws
    table = np.random.default_rng(2).uniform(0.5, 1.5, (9, 1)).astype(np.float32)  # (2ws-1)^2 offsets, 1 head
    index = np.random.default_rng(3).integers(0, 9, (tokens * tokens,)).astype(np.int64)
    nodes = [
        helper.make_node("Reshape", ["x", "cut"], ["a"], name="cut"),  # (N, H/ws, ws, W/ws, ws, C)
        helper.make_node("Transpose", ["a"], ["b"], name="order", perm=[0, 1, 3, 2, 4, 5]),
        helper.make_node("Reshape", ["b", "wins"], ["win"], name="windows"),  # (N*windows, tokens, C)
        helper.make_node("MatMul", ["win", "wq"], ["q"], name="q"),
        helper.make_node("Add", ["q", "bq"], ["qb"], name="q_bias"),
        helper.make_node("MatMul", ["win", "wk"], ["k"], name="k"),
        helper.make_node("Transpose", ["k"], ["kT"], name="k_T", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["qb", "kT"], ["s"], name="qk"),  # (N*windows, tokens, tokens)
        helper.make_node("Gather", ["table", "index"], ["bias_flat"], name="bias_gather", axis=0),
        helper.make_node("Reshape", ["bias_flat", "bias_shape"], ["bias"], name="bias_shape"),
        helper.make_node("Add", ["s", "bias"], ["sb"], name="add_bias"),
        helper.make_node("Softmax", ["sb"], ["p"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["p", "win"], ["o"], name="pv"),  # (N*windows, tokens, C)
        helper.make_node("Reshape", ["o", "unwin"], ["u"], name="unwindows"),  # (N, H/ws, W/ws, ws, ws, C)
        helper.make_node("Transpose", ["u"], ["y"], name="back", perm=[0, 1, 3, 2, 4, 5]),
    ]
    inits = [
        _ints("cut", [BATCH, H // ws, ws, W // ws, ws, C]), _ints("wins", [-1, tokens, C]),
        _random("wq", C, C), _random("bq", C), _random("wk", C, C, seed=4),
        numpy_helper.from_array(table, "table"), numpy_helper.from_array(index, "index"),
        _ints("bias_shape", [tokens, tokens]), _ints("unwin", [BATCH, H // ws, W // ws, ws, ws, C]),
    ]  # fmt: skip
    model = _model(nodes, inits, (H, W, C))
    expected = _run(model, (H, W, C))
    report = cs.trace(from_onnx(model), (H, W, C))
    assert (BATCH, *(report.output_shape or ())) == expected
    per_window = tokens * C * C * 2 + tokens * tokens * C * 2
    assert report.total_macs == windows * per_window
    assert report.total_params == C * C * 2 + C + table.size  # the table, not the gathered bias


def test_a_merged_batch_is_refused_where_samples_would_mix() -> None:
    """Reducing over the axis that holds the batch, or reaching the output with it, mixes samples."""
    nodes = [
        helper.make_node("Reshape", ["x", "merge"], ["m"], name="merge"),  # (N*3, 4)
        helper.make_node("ReduceMean", ["m", "axis0"], ["y"], name="mean", keepdims=0),
    ]
    model = _model(nodes, [_ints("merge", [BATCH * 3, 4]), _ints("axis0", [0])], (3, 4))
    with pytest.raises(cs.UnsupportedLayerError, match=r"node 'mean' \(ReduceMean\).*batch merged"):
        from_onnx(model)
    nodes = [helper.make_node("Reshape", ["x", "merge"], ["y"], name="merge")]
    model = _model(nodes, [_ints("merge", [BATCH * 3, 4])], (3, 4))
    with pytest.raises(cs.UnsupportedLayerError, match=r"graph output 'y' \(6, 4\) holds the batch merged"):
        from_onnx(model)


def test_a_reshape_that_splits_a_sample_across_the_batch_is_refused() -> None:
    """``(N, 6) -> (3, N * 2)`` puts parts of every sample in every row: no batchless form."""
    nodes = [helper.make_node("Reshape", ["x", "target"], ["y"], name="mix")]
    model = _model(nodes, [_ints("target", [3, BATCH * 2])], (6,))
    with pytest.raises(cs.UnsupportedLayerError, match=r"node 'mix' \(Reshape\).*mixes the batch axis"):
        from_onnx(model)


def test_a_mask_built_from_constants_is_not_a_weight() -> None:
    """torchvision's Swin builds its attention mask in the forward (ScatterND of window labels,
    a comparison, Where): constants computed in the graph are not parameters."""
    labels = np.zeros((4,), dtype=np.float32)
    nodes = [
        helper.make_node("ScatterND", ["labels", "at", "values"], ["marked"], name="mark"),
        helper.make_node("Unsqueeze", ["marked", "ax1"], ["row"], name="row"),
        helper.make_node("Unsqueeze", ["marked", "ax0"], ["col"], name="col"),
        helper.make_node("Sub", ["row", "col"], ["diff"], name="diff"),
        helper.make_node("Equal", ["diff", "zero"], ["same"], name="same"),
        helper.make_node("Where", ["same", "zero", "minus"], ["mask"], name="mask"),
        helper.make_node("Add", ["x", "mask"], ["y"], name="add_mask"),
    ]
    inits = [
        numpy_helper.from_array(labels, "labels"),
        numpy_helper.from_array(np.array([[2], [3]], dtype=np.int64), "at"),
        numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32), "values"), _ints("ax1", [1]),
        _ints("ax0", [0]), numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
        numpy_helper.from_array(np.array(-100.0, dtype=np.float32), "minus"),
    ]  # fmt: skip
    model = _model(nodes, inits, (3, 4, 4))
    report = cs.trace(from_onnx(model), (3, 4, 4))
    assert (BATCH, *(report.output_shape or ())) == _run(model, (3, 4, 4))
    assert report.total_params == 0


def test_buffers_named_by_a_dynamo_signature_are_not_parameters() -> None:
    """PyTorch's dynamo exporter lists the model's inputs, buffers among them, in the graph's
    metadata: a float buffer added to the data (an attention mask) counts no parameters, a
    parameter added the same way counts its elements."""
    nodes = [
        helper.make_node("Add", ["x", "layers.0.attn_mask"], ["a"], name="mask"),
        helper.make_node("Add", ["a", "pos_embed"], ["y"], name="pos"),
    ]
    inits = [_random("layers.0.attn_mask", 4, 4), _random("pos_embed", 3, 4, 4)]
    signature = (
        "\n# inputs\np_pos_embed: PARAMETER target='pos_embed'\n"
        "b_layers_0_attn_mask: BUFFER target='layers.0.attn_mask' persistent=False\n"
        "x: USER_INPUT\n\n# outputs\ny: USER_OUTPUT\n"
    )
    model = _model(nodes, inits, (3, 4, 4), {"pkg.torch.export.ExportedProgram.graph_signature": signature})
    assert cs.trace(from_onnx(model), (3, 4, 4)).total_params == 3 * 4 * 4
    del model.graph.metadata_props[:]  # without the signature every float initializer is a weight
    assert cs.trace(from_onnx(model), (3, 4, 4)).total_params == 3 * 4 * 4 + 4 * 4


@pytest.mark.parametrize(
    ("op", "attrs"),
    [
        ("MaxPool", {"kernel_shape": [3, 3], "pads": [2, 2, 2, 2]}),
        ("AveragePool", {"kernel_shape": [3, 3], "pads": [2, 1, 2, 1], "strides": [2, 2]}),
        ("AveragePool", {"kernel_shape": [3, 3], "dilations": [2, 2]}),
        ("AveragePool", {"kernel_shape": [2, 2], "dilations": [2, 3], "ceil_mode": 1, "strides": [2, 2]}),
    ],
)
def test_pools_follow_onnx_rules(op: str, attrs: dict[str, Any]) -> None:
    """Padding above kernel // 2 and AveragePool's dilations, which ONNX allows and PyTorch does
    not: the spec says it follows ONNX (``convention='onnx'``) and the shape is the evaluator's."""
    model = _model([helper.make_node(op, ["x"], ["y"], name="pool", **attrs)], [], (3, 9, 9))
    spec = from_onnx(model)
    report = cs.trace(spec, (3, 9, 9))
    assert (BATCH, *(report.output_shape or ())) == _run(model, (3, 9, 9))
    assert report.rows[0].layer.convention == "onnx"  # type: ignore[attr-defined]


def _with_weight(nodes: list[Any], inits: list[Any]) -> cs.Report:
    model = _model(nodes, inits, (3, 5))
    report = cs.trace(from_onnx(model), (3, 5))
    assert (BATCH, *(report.output_shape or ())) == _run(model, (3, 5))
    return report


def test_a_weight_computed_from_weights_counts_them() -> None:
    """``x + 2 * w``, ``x * exp(w)``, ``x @ (2 * w)``: the parameters are w's, once, however the
    exporter computed the constant; a CastLike's second input only gives the type."""
    two = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")
    w = _random("w", 5)
    doubled = helper.make_node("Mul", ["w", "two"], ["w2"], name="double")
    report = _with_weight([doubled, helper.make_node("Add", ["x", "w2"], ["y"], name="add")], [w, two])
    assert report.total_params == 5
    exp = helper.make_node("Exp", ["w"], ["we"], name="exp")
    report = _with_weight([exp, helper.make_node("Mul", ["x", "we"], ["y"], name="scale")], [w])
    assert report.total_params == 5
    both = helper.make_node("Add", ["w2", "w"], ["w3"], name="both")  # made from w twice: w once
    report = _with_weight([doubled, both, helper.make_node("Add", ["x", "w3"], ["y"], name="add")], [w, two])
    assert report.total_params == 5
    m = _random("m", 5, 4)
    nodes = [
        helper.make_node("Mul", ["m", "two"], ["m2"], name="double"),
        helper.make_node("MatMul", ["x", "m2"], ["y"], name="dense"),
    ]
    report = _with_weight(nodes, [m, two])
    assert (report.total_params, report.total_macs) == (20, 3 * 5 * 4)
    nodes = [
        helper.make_node("ConstantOfShape", ["five"], ["zeros"], name="zeros"),
        helper.make_node("CastLike", ["zeros", "m"], ["typed"], name="typed"),
        helper.make_node("Add", ["x", "typed"], ["y"], name="add"),
    ]
    assert _with_weight(nodes, [_ints("five", [5]), m]).total_params == 0


def test_slices_of_a_table_count_what_they_take() -> None:
    """A bias cut in two halves, each added to its part of the data: 6 parameters, not 12."""
    nodes = [
        helper.make_node("Slice", ["b", "s0", "e0"], ["b1"], name="first"),
        helper.make_node("Slice", ["b", "s1", "e1"], ["b2"], name="second"),
        helper.make_node("Concat", ["b1", "b2"], ["bb"], name="join", axis=0),
        helper.make_node("Add", ["x", "bb"], ["y"], name="add"),
    ]
    inits = [_random("b", 6), _ints("s0", [0]), _ints("e0", [3]), _ints("s1", [3]), _ints("e1", [6])]
    model = _model(nodes, inits, (4, 6))
    report = cs.trace(from_onnx(model), (4, 6))
    assert (BATCH, *(report.output_shape or ())) == _run(model, (4, 6))
    assert report.total_params == 6


def test_a_graph_without_metadata_reads() -> None:
    """GraphProto has ``metadata_props`` from IR version 10 (onnx 1.16): an older graph has no
    signature to read, so every floating-point initializer is a weight."""
    from convshape.adapters._onnx import _buffers

    class OldGraph:
        pass

    assert _buffers(OldGraph()) == frozenset()


def test_normalising_windows_along_their_features() -> None:
    """Swin V2's cosine attention: the L2 norm of each window's tokens over the features, clipped,
    then a division: reductions over axes other than the merged one keep samples apart."""
    nodes = [
        helper.make_node("Reshape", ["x", "wins"], ["w"], name="windows"),  # (N*4, 4, C)
        helper.make_node("ReduceL2", ["w", "last"], ["n"], name="norm", keepdims=1),
        helper.make_node("Clip", ["n", "eps"], ["nc"], name="clip"),
        helper.make_node("Div", ["w", "nc"], ["unit"], name="unit"),
        helper.make_node("Reshape", ["unit", "back"], ["y"], name="back"),
    ]
    inits = [
        _ints("wins", [BATCH * 4, 4, 6]), _ints("last", [-1]), _ints("back", [BATCH, 16, 6]),
        numpy_helper.from_array(np.array(1e-12, dtype=np.float32), "eps"),
    ]  # fmt: skip
    model = _model(nodes, inits, (16, 6))
    report = cs.trace(from_onnx(model), (16, 6))
    assert (BATCH, *(report.output_shape or ())) == _run(model, (16, 6))
