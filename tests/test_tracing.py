"""Tracing: reports, every problem found and located, receptive fields, deep networks."""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence

import pytest

import convshape as cs
from convshape import (
    Activation,
    BatchNorm,
    Concat,
    Conv,
    ConvTranspose,
    Flatten,
    Identity,
    Linear,
    MaxPool,
    Pad,
    ReceptiveField,
    Residual,
    Sequential,
    ShapeError,
    Upsample,
    check,
    trace,
    zoo,
)


def test_seed_network_answers_the_question() -> None:
    """The tutorial network: 64 kernels -> 64 maps; 4096 kernels (groups=4) -> 256 maps."""
    report = trace(zoo.seed(), (1, 83, 83))
    shapes = [row.output_shape for row in report.rows]
    assert shapes[:4] == [(64, 75, 75), (64, 14, 14), (256, 6, 6), (256, 1, 1)]
    assert report.output_shape == (101,)
    layer1, _, layer3, *_ = report.rows
    assert layer1.kernels == cs.kernel_count(1, 64) == 64
    assert layer3.kernels == cs.kernel_count(64, 256, groups=4) == 4096
    assert layer3.params == cs.conv_params(64, 256, 9, groups=4)
    assert layer3.macs == cs.conv_macs(64, 256, 9, (6, 6), groups=4)


def test_totals_are_the_sums_of_the_rows() -> None:
    """total_params/macs/kernels equal the sums over rows, for every zoo network."""
    for build, shape in zoo.NETWORKS.values():
        report = trace(build(), shape)
        assert report.total_params == sum(r.params for r in report.rows)
        assert report.total_macs == sum(r.macs for r in report.rows)
        assert report.total_kernels == sum(r.kernels for r in report.rows)


def test_paths_follow_pytorch_module_names() -> None:
    """Paths are 0-based and dotted; Residual children live under body/shortcut, Concat under branches."""
    net = [
        Conv(8, 3, padding=1),
        Residual(Conv(8, 3, padding=1), BatchNorm(), shortcut=[Conv(8, 1)]),
        Concat(Identity(), [Conv(4, 1), Activation()]),
    ]
    paths = [row.path for row in trace(net, (8, 6, 6)).rows]
    assert paths == [
        "0",
        "1.body.0",
        "1.body.1",
        "1.shortcut.0",
        "1",
        "2.branches.0.0",
        "2.branches.1.0",
        "2.branches.1.1",
        "2",
    ]


def test_trace_raises_the_first_problem_with_location_and_partial_report() -> None:
    """The error keeps its subclass, names path, name and kind, and carries the rows before it."""
    net = Sequential(Conv(16, 3, name="stem"), Sequential(Conv(32, 3), MaxPool(9, name="pool")))
    with pytest.raises(ShapeError) as info:
        trace(net, (3, 12, 12))
    err = info.value
    assert str(err).startswith("layer 1.1 'pool' (MaxPool(9)), axes 0, 1, kernel_size: the output size")
    partial = err.report  # type: ignore[attr-defined]
    assert [row.path for row in partial.rows] == ["0", "1.0"]
    assert partial.rows[-1].output_shape == (32, 8, 8)
    clone = pickle.loads(pickle.dumps(err))
    assert str(clone) == str(err)
    assert [r.path for r in clone.report.rows] == ["0", "1.0"]


def test_check_collects_every_problem_and_keeps_propagating() -> None:
    """Groups not dividing the input in layer 0 and a pool too large (on both axes) two layers later."""
    net = [Conv(66, 3, groups=3), Conv(64, 3), MaxPool(8), Flatten(), Linear(10, in_features=5)]
    problems = check(net, (4, 10, 10))
    located = [str(p).split(",")[0] for p in problems]
    assert located == [
        "layer 0 (Conv(66",
        "layer 2 (MaxPool(8))",
    ]
    assert all(isinstance(p, ShapeError) for p in problems)
    assert check(zoo.resnet50(), (3, 224, 224)) == []


def test_check_continues_with_unknown_sizes() -> None:
    """After an axis cannot be computed, later layers still check what they can (channels here)."""
    net = [Conv(8, 5), Conv(4, 3, in_channels=9), AvgPool2 := cs.AdaptiveAvgPool(1), Flatten(), Linear(3)]
    assert AvgPool2.output_size == 1
    problems = check(net, (3, 4, 4))
    assert len(problems) == 2  # layer 0 on both axes, and layer 1's in_channels
    assert "axes 0, 1" in str(problems[0])
    assert "in_channels is 9 but the input has 8 channels" in str(problems[1])


@pytest.mark.parametrize(
    ("block", "message"),
    [
        pytest.param(
            Residual(Conv(16, 3, stride=2, padding=1)),
            "the body gives (16, 4, 4) but the shortcut gives (8, 8, 8): they differ in channels (16 vs 8); "
            "give the shortcut a 1x1 convolution to 16 channels",
            id="residual-channels",
        ),
        pytest.param(
            Residual(Conv(8, 3, stride=2, padding=1)),
            "they differ in spatial axes 0, 1 ((4, 4) vs (8, 8)); give the shortcut stride 2 on these axes",
            id="residual-stride",
        ),
        pytest.param(
            Concat(Identity(), Conv(4, 3)),
            "channel concatenation needs equal spatial sizes, but spatial axes 0, 1 differ across inputs "
            "((8, 8, 8), (4, 6, 6))",
            id="concat-spatial",
        ),
    ],
)
def test_merge_errors_name_the_container(block: cs.Layer, message: str) -> None:
    """Residual and Concat say which shapes disagree, on which axis, and how to fix it."""
    with pytest.raises(ShapeError) as info:
        trace([block], (8, 8, 8))
    assert message in str(info.value)
    assert str(info.value).startswith("layer 0 (")


def test_deep_nesting_and_long_chains_do_not_hit_the_recursion_limit() -> None:
    """10,000 nested Sequentials and a 10,000-layer chain trace without RecursionError."""
    deep: cs.Layer = Activation()
    for _ in range(10_000):
        deep = Sequential(deep)
    report = trace(deep, (3, 8, 8))
    assert report.rows[0].path == "0" + ".0" * 9_999  # the outermost Sequential is the root
    chain = [Conv(4, 3, padding=1) for _ in range(10_000)]
    assert len(trace(chain, (4, 8, 8)).rows) == 10_000
    nested_residuals: cs.Layer = Identity()
    for _ in range(3_000):
        nested_residuals = Residual(nested_residuals)
    assert trace(nested_residuals, (2, 4)).output_shape == (2, 4)


# --- receptive fields -------------------------------------------------------------------


def _rf(net: Sequence[cs.Layer], shape: tuple[int, ...]) -> ReceptiveField:
    field = trace(net, shape).receptive_field
    assert field is not None
    assert isinstance(field[0], ReceptiveField)  # no upsampling: a plain field
    return field[0]


def test_receptive_field_vectors() -> None:
    """SEMANTICS 7.3: Hien's example, a dilated stack, and the Araujo library's unit test."""
    assert _rf([Conv(1, 3, stride=2, padding=1)], (1, 5, 5)) == ReceptiveField(3, 2, 1)
    assert _rf([Conv(1, 3, stride=2, padding=1)] * 2, (1, 5, 5)).size == 7
    dilated = _rf([Conv(1, 3, padding=d, dilation=d) for d in (1, 2, 4)], (1, 32))
    assert dilated == ReceptiveField(15, 1, 7)
    assert dilated.span(10) == (3, 17)
    assert _rf([Pad([(1, 0)]), Conv(1, 3, stride=2), Conv(1, 1, stride=2)], (1, 9)) == ReceptiveField(3, 4, 1)


def test_receptive_fields_match_araujo_et_al_published_values() -> None:
    """VGG-16 (zoo), and TF-slim's AlexNet v2, ResNet-v1-50 and MobileNet v1 rebuilt from their definitions."""
    features = zoo.vgg16().layers[0]
    assert isinstance(features, Sequential)
    assert _rf(features.layers, (3, 224, 224)) == ReceptiveField(212, 32, 90)

    alexnet_v2 = [
        Conv(64, 11, stride=4), MaxPool(3, stride=2), Conv(192, 5, padding="same"), MaxPool(3, stride=2),
        Conv(384, 3, padding="same"), Conv(384, 3, padding="same"), Conv(256, 3, padding="same"),
        MaxPool(3, stride=2),
    ]  # fmt: skip
    assert _rf(alexnet_v2, (3, 224, 224)) == ReceptiveField(195, 32, 64)

    channels = [64]

    def unit(depth: int, stride: int) -> cs.Layer:
        width = depth // 4
        middle = Conv(width, 3, stride=stride, padding=1) if stride > 1 else Conv(width, 3, padding="same")
        shortcut: list[cs.Layer] | None = None
        if channels[0] != depth:
            shortcut = [Conv(depth, 1, stride=stride)]
        elif stride > 1:
            shortcut = [MaxPool(1, stride=stride)]
        channels[0] = depth
        return Residual(Conv(width, 1), middle, Conv(depth, 1), shortcut=shortcut)

    resnet_v1_50: list[cs.Layer] = [Pad(3), Conv(64, 7, stride=2), MaxPool(3, stride=2, padding="same")]
    for depth, units, stride in ((256, 3, 2), (512, 4, 2), (1024, 6, 2), (2048, 3, 1)):
        resnet_v1_50 += [unit(depth, 1) for _ in range(units - 1)] + [unit(depth, stride)]
    assert _rf(resnet_v1_50, (3, 224, 224)) == ReceptiveField(483, 32, 239)

    mobilenet_v1: list[cs.Layer] = [Conv(32, 3, stride=2, padding="same")]
    previous = 32
    for out, stride in zip(
        (64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024),
        (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1),
        strict=True,
    ):
        depthwise = Conv(previous, 3, stride=stride, padding="same", groups=previous)
        mobilenet_v1 += [depthwise, Conv(out, 1)]
        previous = out
    assert _rf(mobilenet_v1, (3, 224, 224)) == ReceptiveField(315, 32, 126)


def test_receptive_field_after_upsampling_is_phased_or_undefined() -> None:
    """A transposed convolution or a whole-factor upsampling gives a phased field with a fractional
    stride (exactness: tests/test_receptive_phased.py); a fractional upsampling ends the field."""
    from fractions import Fraction

    from convshape.receptive import PhasedField

    report = trace(zoo.unet(), (3, 64, 64))
    assert report.rows[0].receptive_field == (ReceptiveField(3, 1, 1),) * 2
    assert all(isinstance(f, PhasedField) and f.stride == 1 for f in report.receptive_field or ())
    # one output pixel per input pixel: ConvTranspose(2, stride=2) halves the stride, period 2
    up = trace([ConvTranspose(4, 2, stride=2)], (4, 8, 8)).receptive_field
    assert up == (PhasedField(Fraction(1, 2), ((0, 0), (0, 0))),) * 2
    assert trace([Upsample(scale_factor=1.5)], (4, 8, 8)).receptive_field == (None, None)


def test_misaligned_branches_are_noted() -> None:
    """A residual whose branches see differently centred fields gets a note, not an error."""
    block = Residual(Conv(8, 3, padding=(0, 1)), Pad([(2, 0), 0]), shortcut=[Conv(8, 1)])
    row = trace([block], (8, 6, 6)).rows[-1]
    assert row.output_shape == (8, 6, 6)
    assert row.notes == ("axis 0: branch fields are centred at different input positions (-1, 0)",)


# --- rendering --------------------------------------------------------------------------


def test_text_report_states_the_conventions_and_totals() -> None:
    """str(report) lists every row with its output shape, totals with thousands separators, and the MAC rule."""
    report = trace(zoo.seed(), (1, 83, 83))
    text = str(report)
    for row in report.rows:
        assert f"{row.path} " in text
    assert "(256, 6, 6)" in text
    assert "4,096" in text
    assert f"Total params:  {report.total_params:,}" in text
    assert "per sample, bias excluded" in text


def test_html_report_escapes_names() -> None:
    """Layer names are escaped in the notebook view."""
    html = trace([Conv(4, 1, name="<b>x</b>")], (1, 3, 3))._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<b>x</b>" not in html


def test_to_dict_is_json_ready_and_consistent() -> None:
    """to_dict() survives json.dumps and its totals equal the report's."""
    report = trace(zoo.resnet18(), (3, 224, 224))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["total_params"] == report.total_params
    assert sum(r["macs"] for r in data["rows"]) == report.total_macs
    assert data["output_shape"] == [1000]


def test_trace_input_validation() -> None:
    """A bad network or input shape is a TypeError or ParameterError, never an IndexError."""
    with pytest.raises(TypeError, match="input_shape must be a sequence of ints"):
        trace([Conv(4, 3)], 224)  # type: ignore[arg-type]
    with pytest.raises(cs.ParameterError, match="input_shape must have at least the channel axis"):
        trace([Conv(4, 3)], ())
    with pytest.raises(cs.ParameterError, match=r"input_shape\[1\] must be an integer >= 1, got 0"):
        trace([Conv(4, 3)], (3, 0, 4))
    with pytest.raises(TypeError, match="network must be a layer spec"):
        trace("resnet", (3, 4, 4))  # type: ignore[arg-type]


# --- traces are independent of each other ------------------------------------------------


def test_a_failure_raises_again_with_its_location_and_partial_report() -> None:
    network = Sequential(Conv(8, 3), MaxPool(4), Conv(8, 3, name="late"))
    messages = []
    for _ in range(3):
        with pytest.raises(ShapeError) as info:
            trace(network, (1, 8, 8))
        messages.append(str(info.value))
        partial = info.value.report  # type: ignore[attr-defined]
        assert [row.path for row in partial.rows] == ["0", "1"]
    assert len(set(messages)) == 1
    assert "layer 2 'late' (Conv(8, 3))" in messages[0]
    assert trace(network, (1, 16, 16)).output_shape == (8, 1, 1)


def test_partial_report_of_a_failing_graph_names_its_outputs() -> None:
    graph = cs.Graph(
        [cs.Node("a", Conv(4, 3)), cs.Node("b", MaxPool(9)), cs.Node("c", Conv(4, 1))], outputs=["c", "a"]
    )
    with pytest.raises(ShapeError, match=r"layer b \(MaxPool\(9\)\)") as info:
        trace(graph, (3, 8, 8))
    partial = info.value.report  # type: ignore[attr-defined]
    assert [row.path for row in partial.rows] == ["a"]
    assert partial.outputs == {"c": None, "a": (4, 6, 6)}
    assert str(check(graph, (3, 8, 8))[0]) == str(info.value)


def test_an_input_without_spatial_axes_is_blamed_not_an_earlier_flatten() -> None:
    """(3,) given to a convolution: the input lacks spatial axes; after a Flatten, the Flatten is."""
    with pytest.raises(ShapeError, match=r"got \(3,\); the network's input has no spatial axis: give"):
        trace([Conv(8, 3)], (3,))
    with pytest.raises(ShapeError, match=r"got \(192,\); a Flatten or Linear earlier in the network removed"):
        trace([Flatten(), Conv(8, 3)], (3, 8, 8))


def test_a_rule_broken_alike_on_several_axes_is_one_problem() -> None:
    """A square window too large for a square map: one problem naming both axes, in trace() and
    check(); with different numbers on different axes, one problem giving each axis's account."""
    problems = check([Conv(8, 3), MaxPool(8)], (3, 8, 8))
    assert [p.where for p in problems] == ["layer 1 (MaxPool(8)), axes 0, 1, kernel_size"]
    assert problems[0].axis == (0, 1)
    with pytest.raises(ShapeError, match=r"axes 0, 1, kernel_size"):
        trace([Conv(8, 3), MaxPool(8)], (3, 8, 8))
    together = check([Conv(8, (3, 5))], (3, 2, 4))  # different numbers: still one problem
    assert [p.where for p in together] == ["layer 0 (Conv(8, (3, 5))), axes 0, 1, kernel_size"]
    assert "on axis 0, " in together[0].detail
    assert "on axis 1, " in together[0].detail
