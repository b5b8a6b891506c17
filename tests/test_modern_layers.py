"""The layers of modern networks: shapes, parameters, MACs and problems, checked against PyTorch.

The cross-checks run each layer's PyTorch equivalent on a real tensor (CPU) and compare the
output shape (without the batch axis), the module's parameters and FlopCounterMode's count / 2.
They skip when torch is not installed.
"""

from __future__ import annotations

from typing import Any

import pytest

import convshape as cs

# ---------------------------------------------------------------------------
# Without a framework


def test_split_becomes_one_node_per_piece_that_later_nodes_read() -> None:
    g = cs.Graph(
        [
            cs.Node("s", cs.Split(chunks=3, axis=0)),
            cs.Node("cat", cs.Cat(), ["s[2]", "s[0]"]),
        ]
    )
    assert [n.name for n in g.nodes] == ["s[0]", "s[1]", "s[2]", "cat"]
    # torch.chunk(10 channels, 3) gives pieces of 4, 4, 2
    report = cs.trace(g, (10, 5, 5))
    assert [row.output_shape for row in report.rows[:3]] == [(4, 5, 5), (4, 5, 5), (2, 5, 5)]
    assert report.output_shape == (6, 5, 5)


def test_split_outside_a_graph_is_explained() -> None:
    with pytest.raises(cs.ParameterError, match="use it as a Graph node"):
        cs.trace(cs.Split(sizes=(1, 2)), (3, 4, 4))


def test_a_chunk_that_torch_does_not_produce_is_a_problem() -> None:
    with pytest.raises(cs.ShapeError, match="only 3 chunks of 2"):
        cs.trace(cs.Chunk(4, 3), (6, 5))


def test_merges_check_their_number_of_inputs() -> None:
    with pytest.raises(cs.ParameterError, match="takes 2 inputs, got 3"):
        cs.Graph([cs.Node("m", cs.MatMul(), ["input", "input", "input"])])
    with pytest.raises(cs.ParameterError, match="takes 1 input, got 2"):
        cs.Graph([cs.Node("m", cs.Conv(3, 1), ["input", "input"])])


@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (cs.Permute((1, 0)), (3, 4, 5), "dims \\(1, 0\\) has 2 entries for an input of rank 3"),
        (cs.Permute((0, -3, 1)), (3, 4, 5), "repeats an axis"),
        (cs.Transpose(0, 3), (3, 4, 5), "dim1 3 does not exist for an input of rank 3"),
        (cs.Reshape((7, -1)), (3, 4, 5), "60 is not divisible by 7"),
        (cs.Reshape((7, 8)), (3, 4, 5), "the sizes must multiply to the same number"),
        (cs.Slice(1, 10, 20), (3, 4, 5), "is empty"),
        (cs.Crop(3), (3, 6, 6), "leaves nothing of size 6"),
        (cs.CenterCrop(8), (3, 6, 6), "larger than the input"),
        (cs.GroupNorm(5), (16, 4, 4), "not divisible by num_groups 5"),
        (cs.PReLU(8), (16, 4, 4), "num_parameters is 8 but the input has 16 channels"),
        (cs.PixelShuffle(3), (16, 4, 4), "not divisible by factor\\^2 = 9"),
        (cs.PixelUnshuffle(3), (16, 4, 4), "height 4 is not divisible by factor 3"),
        (cs.LayerNorm(4), (16, 4, 4), "normalises the last 4 axes of an input of rank 3"),
        (cs.MultiheadAttention(64, 8), (10, 32), "the tokens have 32 features but embed_dim is 64"),
        (cs.Flatten(2, 1), (3, 4, 5), "cannot flatten axes 2..1"),
        (cs.Learned((5, 1, 1), op="add"), (4, 3, 3), "do not broadcast"),
    ],
)
def test_problems_name_the_rule_and_the_values(layer: cs.Layer, shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(cs.ConvShapeError, match=message):
        cs.trace(layer, shape)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: cs.Reshape((-1, -1)), "more than one -1"),
        (lambda: cs.Reshape((0, 4)), "has a 0"),
        (lambda: cs.Reduce("median", 1), "op 'median' is not one of"),
        (lambda: cs.Reduce("mean", (1, 1)), "repeats an axis"),
        (lambda: cs.Chunk(2, 2), "index 2 is not below chunks 2"),
        (lambda: cs.MultiheadAttention(10, 3), "not divisible by num_heads 3"),
        (lambda: cs.LayerNorm(2, channels_first=True), "channels_first normalises the channel axis only"),
        (lambda: cs.Split(), "exactly one of sizes and chunks"),
        (lambda: cs.Learned((2, 0)), "shape\\[1\\] must be an integer >= 1"),
        (lambda: cs.StochasticDepth(1.5), "p must be between 0 and 1"),
    ],
)
def test_bad_values_are_refused_when_the_spec_is_built(build: Any, message: str) -> None:
    with pytest.raises(cs.ConvShapeError, match=message):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: cs.Permute("abc"),  # type: ignore[arg-type]
        lambda: cs.Transpose(0, 1.0),  # type: ignore[arg-type]
        lambda: cs.Slice(True),
        lambda: cs.GroupNorm("4"),  # type: ignore[arg-type]
        lambda: cs.LayerNorm(channels_first=1),  # type: ignore[arg-type]
        lambda: cs.Crop(((1, 2, 3),)),
        lambda: cs.Learned("16"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_are_type_errors_naming_the_layer(build: Any) -> None:
    with pytest.raises(TypeError) as info:
        build()
    assert str(info.value).split(":")[0] in {
        "Permute", "Transpose", "Slice", "GroupNorm", "LayerNorm", "Crop", "Learned",
    }  # fmt: skip


def test_receptive_fields_follow_crops_and_end_at_reordering() -> None:
    report = cs.trace([cs.Conv(8, 3), cs.Crop(((1, 0), (0, 0))), cs.Conv(8, 3)], (3, 16, 16))
    # the crop shifts the second conv's window one row down: padding -1 on the first axis
    field = report.receptive_field
    assert field is not None
    assert field[0] is not None
    assert field[1] is not None
    assert (field[0].size, field[0].padding) == (5, -1)
    assert (field[1].size, field[1].padding) == (5, 0)
    assert cs.trace([cs.Conv(8, 3), cs.Permute((1, 2, 0))], (3, 16, 16)).receptive_field is None
    # reducing the spatial axes with keepdim is global pooling: the field covers the input
    pooled = cs.trace([cs.Conv(8, 3), cs.Reduce("mean", (1, 2), keepdim=True)], (3, 16, 16)).receptive_field
    assert pooled is not None
    assert pooled[0] is not None
    assert pooled[0].size == 16


def test_describe_leaves_default_positional_values_out() -> None:
    assert cs.LayerNorm().describe() == "LayerNorm()"
    assert cs.Squeeze().describe() == "Squeeze()"
    assert cs.Flatten(1).describe() == "Flatten(1)"
    assert cs.Slice(0, 0, 16).describe() == "Slice(0, 0, 16)"


MODERN = [
    cs.LayerNorm(),
    cs.LayerNorm(2, bias=False),
    cs.LayerNorm(channels_first=True),
    cs.GroupNorm(4, affine=False),
    cs.InstanceNorm(affine=True, track_running_stats=True),
    cs.LocalResponseNorm(5, alpha=2e-4),
    cs.PReLU(16),
    cs.Softmax(0, log=True),
    cs.StochasticDepth(0.1, mode="batch"),
    cs.Learned((16, 1, 1), op="multiply"),
    cs.Permute((2, 0, 1)),
    cs.Transpose(0, -1),
    cs.Reshape((4, -1)),
    cs.Flatten(1, 2),
    cs.Squeeze(1),
    cs.Unsqueeze(-1),
    cs.Slice(2, -3, None, 2),
    cs.Chunk(3, 1, axis=1),
    cs.Crop(((1, 2), 3)),
    cs.CenterCrop((4, 5)),
    cs.Reduce("max", (0, 1), keepdim=True),
    cs.ChannelShuffle(4),
    cs.PixelShuffle(2),
    cs.PixelUnshuffle(2),
    cs.MultiheadAttention(16, 4, bias=False),
]


@pytest.mark.parametrize("layer", MODERN, ids=lambda layer: layer.describe())
def test_new_layers_round_trip_through_spec_files(layer: cs.Layer) -> None:
    for fmt in ("json", "toml"):
        network, _ = cs.loads(cs.dumps(cs.Sequential(layer, name="n"), format=fmt), format=fmt)
        assert network == cs.Sequential(layer, name="n")


def test_graphs_with_split_learned_and_attention_round_trip() -> None:
    g = cs.Graph(
        [
            cs.Node("s", cs.Split(sizes=(8, 8))),
            cs.Node("cls", cs.Learned((1, 8)), ["input"]),
            cs.Node("t", [cs.Flatten(1), cs.Transpose(0, 1)], ["s[0]"]),
            cs.Node("tokens", cs.Cat(axis=0), ["cls", "t"]),
            cs.Node("att", cs.ScaledDotProductAttention(), ["tokens", "tokens", "tokens"]),
            cs.Node("w", cs.Learned((8, 3)), ["input"]),
            cs.Node("out", cs.MatMul(), ["att", "w"]),
        ]
    )
    for fmt in ("json", "toml"):
        network, _ = cs.loads(cs.dumps(g, format=fmt), format=fmt)
        assert network == cs.Sequential(g)
    report = cs.trace(g, (16, 4, 4))
    assert report.output_shape == (17, 3)
    # scores and weighted sum 17 x 17 x (8 + 8), then 17 x 8 x 3
    assert report.total_macs == 17 * 17 * 16 + 17 * 8 * 3
    assert report.total_params == 8 + 24


# ---------------------------------------------------------------------------
# Against PyTorch


def _torch_cases() -> list[tuple[str, cs.Layer | cs.Graph, Any, tuple[int, ...]]]:
    """(id, convshape spec, a function building the PyTorch module, input shape without batch)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Fn(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self, fn: Any, **params: Any) -> None:
            super().__init__()
            self.fn = fn
            self.p = nn.ParameterDict({k: nn.Parameter(v) for k, v in params.items()})

        def forward(self, *xs: Any) -> Any:
            return self.fn(self, *xs)

    t = torch
    return [
        ("layer_norm_last", cs.LayerNorm(), lambda: nn.LayerNorm(24), (5, 24)),
        ("layer_norm_two", cs.LayerNorm(2, bias=False), lambda: nn.LayerNorm((6, 7), bias=False), (3, 6, 7)),
        (
            "layer_norm_no_affine",
            cs.LayerNorm(elementwise_affine=False),
            lambda: nn.LayerNorm(7, elementwise_affine=False),
            (3, 6, 7),
        ),
        (
            "layer_norm_channels_first",
            cs.LayerNorm(channels_first=True),
            lambda: Fn(
                lambda m, x: nn.functional.layer_norm(
                    x.permute(0, 2, 3, 1), (12,), m.p["w"], m.p["b"]
                ).permute(0, 3, 1, 2),
                w=t.ones(12),
                b=t.zeros(12),
            ),
            (12, 5, 6),
        ),
        ("group_norm", cs.GroupNorm(4), lambda: nn.GroupNorm(4, 16), (16, 5, 5)),
        (
            "group_norm_plain",
            cs.GroupNorm(2, affine=False),
            lambda: nn.GroupNorm(2, 16, affine=False),
            (16, 5),
        ),
        ("instance_norm", cs.InstanceNorm(affine=True), lambda: nn.InstanceNorm2d(8, affine=True), (8, 5, 5)),
        ("instance_norm_plain", cs.InstanceNorm(), lambda: nn.InstanceNorm1d(8), (8, 5)),
        ("lrn", cs.LocalResponseNorm(5), lambda: nn.LocalResponseNorm(5), (16, 5, 5)),
        ("prelu_one", cs.PReLU(), lambda: nn.PReLU(), (16, 5, 5)),
        ("prelu_channels", cs.PReLU(16), lambda: nn.PReLU(16), (16, 5, 5)),
        ("softmax", cs.Softmax(1), lambda: nn.Softmax(2), (4, 5, 6)),
        ("permute", cs.Permute((1, 2, 0)), lambda: Fn(lambda m, x: x.permute(0, 2, 3, 1)), (4, 5, 6)),
        ("transpose", cs.Transpose(-1, 0), lambda: Fn(lambda m, x: x.transpose(-1, 1)), (4, 5, 6)),
        (
            "reshape",
            cs.Reshape((2, -1, 3)),
            lambda: Fn(lambda m, x: x.reshape(x.shape[0], 2, -1, 3)),
            (4, 5, 6),
        ),
        ("flatten_2", cs.Flatten(1), lambda: Fn(lambda m, x: x.flatten(2)), (4, 5, 6)),
        ("flatten_mid", cs.Flatten(0, 1), lambda: nn.Flatten(1, 2), (4, 5, 6)),
        ("squeeze", cs.Squeeze(), lambda: Fn(lambda m, x: x.squeeze(2).squeeze(2)), (4, 1, 1)),
        ("squeeze_kept", cs.Squeeze(0), lambda: Fn(lambda m, x: x.squeeze(1)), (4, 1, 1)),
        ("unsqueeze", cs.Unsqueeze(-1), lambda: Fn(lambda m, x: x.unsqueeze(-1)), (4, 5)),
        ("slice", cs.Slice(1, 1, -1, 2), lambda: Fn(lambda m, x: x[:, :, 1:-1:2]), (4, 9, 6)),
        ("slice_clamped", cs.Slice(0, -100, 100), lambda: Fn(lambda m, x: x[:, -100:100]), (4, 9, 6)),
        ("chunk", cs.Chunk(4, 2, axis=1), lambda: Fn(lambda m, x: x.chunk(4, 2)[2]), (4, 10, 6)),
        ("crop", cs.Crop(((1, 2), (0, 3))), lambda: Fn(lambda m, x: x[:, :, 1:-2, 0:-3]), (4, 9, 8)),
        ("center_crop", cs.CenterCrop(392), lambda: Fn(lambda m, x: x[:, :, 88:480, 88:480]), (2, 568, 568)),
        ("reduce_mean", cs.Reduce("mean", (1, 2)), lambda: Fn(lambda m, x: x.mean((2, 3))), (8, 5, 6)),
        (
            "reduce_keep",
            cs.Reduce("amax", -1, keepdim=True),
            lambda: Fn(lambda m, x: x.amax(-1, keepdim=True)),
            (8, 5, 6),
        ),
        ("channel_shuffle", cs.ChannelShuffle(4), lambda: nn.ChannelShuffle(4), (16, 5, 6)),
        ("pixel_shuffle", cs.PixelShuffle(3), lambda: nn.PixelShuffle(3), (18, 5, 6)),
        ("pixel_unshuffle", cs.PixelUnshuffle(2), lambda: nn.PixelUnshuffle(2), (3, 8, 6)),
        (
            "layer_scale",
            cs.Learned((16, 1, 1), op="multiply"),
            lambda: Fn(lambda m, x: x * m.p["g"], g=t.ones(16, 1, 1)),
            (16, 5, 5),
        ),
        (
            "pos_embed",
            cs.Learned((50, 32), op="add"),
            lambda: Fn(lambda m, x: x + m.p["e"], e=t.zeros(1, 50, 32)),
            (50, 32),
        ),
        ("mha", cs.MultiheadAttention(32, 4), lambda: Fn(lambda m, x: m.a(x, x, x)[0]), (50, 32)),
        (
            "mha_no_bias",
            cs.MultiheadAttention(32, 8, bias=False),
            lambda: Fn(lambda m, x: m.a(x, x, x)[0]),
            (7, 32),
        ),
        (
            "sdpa",
            cs.Graph([cs.Node("a", cs.ScaledDotProductAttention(), ["input", "input", "input"])]),
            # FlopCounterMode counts 0 for scaled_dot_product_attention on the CPU (torch 2.13): the
            # reference is the same attention written out, checked equal to the fused call below
            lambda: Fn(lambda m, x: _attention(x, x, x)),
            (4, 50, 16),
        ),
        (
            "matmul_batched",
            cs.Graph([cs.Node("t", cs.Transpose(-1, -2)), cs.Node("m", cs.MatMul(), ["input", "t"])]),
            lambda: Fn(lambda m, x: x @ x.transpose(-1, -2)),
            (3, 7, 5),
        ),
        (
            "matmul_weight",
            cs.Graph(
                [cs.Node("w", cs.Learned((5, 9)), ["input"]), cs.Node("m", cs.MatMul(), ["input", "w"])]
            ),
            lambda: Fn(lambda m, x: x @ m.p["w"], w=t.zeros(5, 9)),
            (3, 7, 5),
        ),
        (
            "class_token",
            cs.Graph(
                [
                    cs.Node("cls", cs.Learned((1, 32)), ["input"]),
                    cs.Node("cat", cs.Cat(axis=0), ["cls", "input"]),
                ]
            ),
            lambda: Fn(lambda m, x: t.cat([m.p["c"].expand(x.shape[0], -1, -1), x], 1), c=t.zeros(1, 1, 32)),
            (49, 32),
        ),
    ]


def _attention(q: Any, k: Any, v: Any) -> Any:
    import torch

    scores = (q @ k.transpose(-2, -1)) / q.shape[-1] ** 0.5
    return torch.softmax(scores, -1) @ v


def test_written_out_attention_is_what_the_fused_call_computes() -> None:
    torch = pytest.importorskip("torch")
    q, k, v = torch.randn(2, 4, 9, 8), torch.randn(2, 4, 11, 8), torch.randn(2, 4, 11, 5)
    fused = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(fused, _attention(q, k, v), atol=1e-5)


def _mha_fix(module: Any, case: str) -> Any:
    import torch

    if case == "mha":
        module.a = torch.nn.MultiheadAttention(32, 4, batch_first=True)
    if case == "mha_no_bias":
        module.a = torch.nn.MultiheadAttention(32, 8, bias=False, batch_first=True)
    return module


def test_modern_layers_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    failures = []
    for case, spec, build, shape in _torch_cases():
        module = _mha_fix(build(), case).eval()
        x = torch.randn(2, *shape)
        # with gradients on: in no_grad, MultiheadAttention takes a fused path FlopCounterMode does not see
        with FlopCounterMode(display=False) as counter:
            y = module(x)
        report = cs.trace(spec, shape)
        expected = (
            tuple(y.shape[1:]),
            sum(p.numel() for p in module.parameters()),
            counter.get_total_flops() // 2 // 2,
        )
        got = (report.output_shape, report.total_params, report.total_macs)
        if got != expected:
            failures.append(f"{case}: convshape {got}, PyTorch {expected}")
    assert failures == []
