"""What users hold and what validation code reads: integral types, structured errors, shape conventions."""

from __future__ import annotations

import enum
import json
import pickle

import pytest

import convshape as cs

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy comes with the test extras' frameworks
    np = None  # type: ignore[assignment]


class Size(enum.IntEnum):
    THREE = 3
    EIGHT = 8


# ---------------------------------------------------------------------------
# Any integral type where an int belongs


def test_int_subclasses_are_stored_as_plain_ints() -> None:
    conv = cs.Conv(Size.EIGHT, Size.THREE, stride=(Size.THREE, 1))
    assert conv == cs.Conv(8, 3, stride=(3, 1))
    assert type(conv.out_channels) is int
    assert type(conv.stride[0]) is int  # type: ignore[index]
    assert cs.loads(cs.dumps(cs.Sequential(conv)))[0] == cs.Sequential(conv)
    assert cs.loads(cs.dumps(cs.Sequential(conv), format="toml"), format="toml")[0] == cs.Sequential(conv)


@pytest.mark.skipif(np is None, reason="numpy is not installed")
def test_numpy_integers_work_in_specs_and_shapes() -> None:
    assert np is not None
    conv = cs.Conv(np.int64(64), np.int32(9), stride=(np.int64(1), 1))
    assert conv == cs.Conv(64, 9, stride=(1, 1))
    shape = np.array([1, 83, 83])
    expected = cs.trace(cs.zoo.seed(), (1, 83, 83)).output_shape
    assert cs.trace(cs.zoo.seed(), shape).output_shape == expected  # type: ignore[arg-type]
    assert cs.trace(cs.zoo.seed(), tuple(shape)).output_shape == expected
    assert type(cs.trace([conv], shape).output_shape[1]) is int  # type: ignore[arg-type, index]
    with pytest.raises(TypeError, match="input_shape"):
        cs.trace([conv], np.array([[1, 83, 83]]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input_shape"):
        cs.trace([conv], (np.float64(1.0), 83, 83))
    with pytest.raises(TypeError, match="out_channels"):
        cs.Conv(np.bool_(True), 3)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Structured errors: what validation code reads instead of parsing messages


def validate(network: cs.Layer, shape: tuple[int, ...]) -> list[dict[str, object]]:
    """A validation function as another library would write it: no message parsing."""
    found = []
    for problem in cs.check(network, shape):
        found.append(
            {
                "at": problem.path,
                "kind": type(problem.layer).__name__,
                "what": problem.parameter,
                "axes": problem.axis,
                "value": problem.value,
                "fix": problem.hint,
            }
        )
    return found


def test_a_validation_function_reads_the_structured_fields() -> None:
    net = cs.Sequential(
        cs.Conv(66, 3, groups=3, name="stem"),
        cs.Sequential(cs.Conv(16, 3), cs.MaxPool(8), name="block"),
        cs.Conv(8, 1, in_channels=5),
    )
    found = validate(net, (4, 10, 10))
    assert [f["at"] for f in found] == ["0", "1.1", "2"]
    stem, pool, last = found
    assert stem["kind"] == "Conv"
    assert stem["what"] == "groups"
    assert stem["value"] == 3
    assert stem["axes"] is None
    assert pool["kind"] == "MaxPool"
    assert pool["what"] == "kernel_size"
    assert pool["value"] == 8
    assert pool["axes"] == (0, 1)  # one problem for both axes
    assert pool["fix"] == "use a smaller window, or an input of at least 8"
    assert last["what"] == "in_channels"
    assert last["value"] == 5
    assert last["fix"] is not None
    assert "in_channels=16" in str(last["fix"])


def test_errors_pickle_and_serialise_with_their_fields() -> None:
    with pytest.raises(cs.ShapeError) as info:
        cs.trace(cs.Sequential(cs.Conv(8, 3), cs.Residual(cs.Conv(8, 3, stride=2, padding=1))), (3, 10, 10))
    err = info.value
    assert err.path == "1"
    assert isinstance(err.layer, cs.Residual)
    assert err.axis == (0, 1)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cs.ShapeError
    assert str(clone) == str(err)
    assert (clone.path, clone.axis, clone.hint, clone.layer) == (err.path, err.axis, err.hint, err.layer)
    data = json.loads(json.dumps(err.to_dict()))
    assert data["error"] == "ShapeError"
    assert data["path"] == "1"
    assert data["layer"] == err.layer.describe()
    assert data["axis"] == [0, 1]
    assert data["message"] == str(err)
    assert data["hint"] == err.hint
    assert data["hint"].startswith("give the shortcut stride 2 on these axes")


def test_fields_are_none_where_they_do_not_apply() -> None:
    with pytest.raises(cs.ParameterError) as info:
        cs.Conv(8, 3, stride=0)
    err = info.value
    assert err.parameter == "stride"
    assert err.value == 0
    assert (err.path, err.layer, err.axis) == (None, None, None)
    assert json.dumps(err.to_dict())  # JSON-ready even with nothing located
    huge = cs.ConvShapeError("too big", value=10**5000)
    assert huge.to_dict()["value"] == "a 5,001-digit integer"


def test_verify_lists_differences_as_objects() -> None:
    result = cs.verify([cs.Conv(8, 3), cs.MaxPool(2)], [cs.Conv(8, 5), cs.MaxPool(2)], (3, 16, 16))
    assert not result.ok
    kinds = [d.parameter for d in result.differences]
    assert kinds == ["layer", "layer", "output_shape", "params", "macs"]
    first = result.differences[0]
    assert isinstance(first, cs.Difference)
    assert isinstance(first, cs.ConvShapeError)
    assert first.path == "0"
    assert first.layer == cs.Conv(8, 3)
    assert first.value == ((8, 14, 14), (8, 12, 12))
    params = result.differences[3]
    spec_params = cs.trace([cs.Conv(8, 3)], (3, 16, 16)).total_params
    model_params = cs.trace([cs.Conv(8, 5)], (3, 16, 16)).total_params
    assert params.value == (spec_params, model_params)
    assert json.dumps([d.to_dict() for d in result.differences])
    failing = cs.verify([cs.Conv(8, 20)], [cs.Conv(8, 3)], (3, 16, 16))
    (trace_failure, *_) = failing.differences
    assert trace_failure.parameter == "trace"
    assert trace_failure.path == "0"


# ---------------------------------------------------------------------------
# Shape conventions: a batch axis or channels-last input is named, never traced silently


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "alexnet", "vgg16", "mobilenet_v2", "unet"])
def test_zoo_networks_refuse_a_batch_axis_and_channels_last(name: str) -> None:
    build = cs.zoo.NETWORKS[name][0]
    with pytest.raises(cs.ConvShapeError) as info:
        cs.trace(build(), (1, 3, 224, 224))
    err = info.value
    assert "(1, 3, 224, 224) looks like it starts with a batch axis" in str(err)
    assert err.hint is not None
    assert err.hint.startswith("pass (3, 224, 224)")
    with pytest.raises(cs.ConvShapeError) as info:
        cs.trace(build(), (224, 224, 3))
    assert "(224, 224, 3) looks like it is channels-last" in str(info.value)
    assert info.value.hint is not None
    assert info.value.hint.startswith("pass (3, 224, 224)")
    assert cs.check(build(), (1, 3, 224, 224))  # check() finds it too
    expected = cs.trace(build(), (3, 224, 224))
    last = cs.trace(build(), (224, 224, 3), channels_last=True)
    assert last.output_shape == expected.output_shape
    assert last.total_macs == expected.total_macs


def test_a_network_whose_rank_is_fixed_later_names_the_batch_axis() -> None:
    """No in_channels, but a per-axis pool size at the end fixes the rank to 2."""
    net = [cs.Conv(8, 3, padding=1), cs.MaxPool(2), cs.AdaptiveAvgPool((1, 1)), cs.Flatten(), cs.Linear(4)]
    with pytest.raises(cs.ParameterError) as info:
        cs.trace(net, (1, 3, 32, 32))
    assert "(1, 3, 32, 32) looks like it starts with a batch axis; pass (3, 32, 32)" in str(info.value)
    assert info.value.path == "2"
    assert cs.trace(net, (3, 32, 32)).output_shape == (4,)
    # a first entry other than 1 may be channels of a 3-D input: said conditionally
    with pytest.raises(cs.ParameterError) as info:
        cs.trace(net, (2, 3, 32, 32))
    assert "if the input (2, 3, 32, 32) starts with a batch axis, pass (3, 32, 32)" in str(info.value)


@pytest.mark.parametrize(
    ("network", "shape"),
    [
        (cs.zoo.lenet5(), (1, 4, 4)),  # a map too small for the kernel: nothing about conventions
        ([cs.Conv(8, 3)], (3, 2, 2)),
        ([cs.MaxPool(2)], (3, 1, 1)),
        ([cs.Conv(16, 5)], (8, 3, 100)),
        ([cs.Conv(8, (5, 7))], (1, 3, 6)),
    ],
)
def test_small_inputs_keep_the_layers_own_fix(network: cs.Layer, shape: tuple[int, ...]) -> None:
    (problem,) = cs.check(network, shape)
    assert "batch axis" not in str(problem)
    assert "channels-last" not in str(problem)
    assert problem.hint is not None
    assert problem.hint.startswith(("use ", "on axis"))


def test_hints_speak_of_the_shape_as_it_was_written() -> None:
    resnet = cs.zoo.resnet18()
    with pytest.raises(cs.ShapeError) as info:  # channels first, but channels_last=True
        cs.trace(resnet, (3, 224, 224), channels_last=True)
    assert "the input (3, 224, 224) looks like it is channels-first" in str(info.value)
    assert info.value.hint is not None
    assert info.value.hint.startswith("drop channels_last=True")
    with pytest.raises(cs.ConvShapeError) as batched:  # a batch axis before channels-last
        cs.trace(resnet, (1, 224, 224, 3), channels_last=True)
    assert "the input (1, 224, 224, 3) looks like it starts with a batch axis" in str(batched.value)
    assert batched.value.hint is not None
    assert batched.value.hint.startswith("pass (224, 224, 3) (with channels_last=True")
    with pytest.raises(cs.ShapeError) as info:  # both, without the flag
        cs.trace(resnet, (1, 224, 224, 3))
    assert "starts with a batch axis and is channels-last; pass (3, 224, 224)" in str(info.value)
    with pytest.raises(cs.ShapeError) as info:  # no in_channels to go by: a conditional word
        cs.trace(cs.Sequential(cs.Conv(6, 5)), (1, 32, 32, 1))
    assert (
        "if the input (1, 32, 32, 1) starts with a batch axis and is channels-last, pass (1, 32, 32)"
        in str(info.value)
    )
    assert info.value.hint is not None
    assert info.value.hint.startswith("use padding")  # the layer's own fix is kept


def test_a_rank_generic_network_still_takes_any_rank() -> None:
    """Without in_channels or per-axis sizes a spec is for any rank: a 3-D input is a 3-D trace."""
    net = [cs.Conv(8, 3, padding=1), cs.MaxPool(2)]
    assert cs.trace(net, (1, 16, 16, 16)).output_shape == (8, 8, 8, 8)


def test_batch_size_is_kept_and_used_by_memory() -> None:
    one = cs.trace(cs.zoo.seed(), (1, 83, 83))
    many = cs.trace(cs.zoo.seed(), (1, 83, 83), batch_size=32)
    assert one.batch_size is None
    assert many.batch_size == 32
    assert many.total_macs == one.total_macs  # counts stay per sample
    single = one.memory().forward_backward_bytes
    assert single is not None
    assert many.memory().forward_backward_bytes == 32 * single
    assert many.memory(batch_size=1).total_bytes == one.memory().total_bytes
    assert "batch 32" in str(many).splitlines()[0]
    assert pickle.loads(pickle.dumps(many)).batch_size == 32
    with pytest.raises(cs.ParameterError, match="batch_size"):
        cs.trace(cs.zoo.seed(), (1, 83, 83), batch_size=0)
    with pytest.raises(TypeError, match="channels_last"):
        cs.trace(cs.zoo.seed(), (83, 83, 1), channels_last="yes")  # type: ignore[arg-type]


def test_cli_names_the_convention_and_takes_channels_last(capsys: pytest.CaptureFixture[str]) -> None:
    from convshape.cli import main

    assert main(["check", "resnet18", "--input", "1,3,224,224"]) == 1
    out = capsys.readouterr().out
    assert "looks like it starts with a batch axis; pass (3, 224, 224)" in out
    assert main(["check", "resnet18", "--input", "224,224,3", "--channels-last"]) == 0
    assert "no problems for input (3, 224, 224)" in capsys.readouterr().out
    assert (
        main(
            [
                "summary",
                "seed",
                "--input",
                "83,83,1",
                "--channels-last",
                "--batch-size",
                "8",
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["batch_size"] == 8
    assert data["input_shape"] == [1, 83, 83]


def test_a_rule_broken_on_several_axes_is_one_problem_even_with_different_numbers() -> None:
    (problem,) = cs.check([cs.Conv(8, (15, 13))], (3, 10, 12))
    assert problem.axis == (0, 1)
    assert problem.value == (15, 13)
    assert problem.parameter == "kernel_size"
    for axis, size in ((0, 10), (1, 12)):  # each axis's own account, computed by the one-axis rule
        with pytest.raises(cs.ShapeError) as info:
            cs.conv_output_size(size, (15, 13)[axis])
        assert f"on axis {axis}, {info.value.detail}" in str(problem)
        assert info.value.hint is not None
        assert f"on axis {axis}, {info.value.hint}" in str(problem.hint)


def test_a_converted_torch_model_names_a_batch_axis() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 3))
    network = cs.from_torch(model, (3, 32, 32))
    with torch.no_grad():
        expected = tuple(model(torch.zeros(1, 3, 32, 32)).shape[1:])
    assert cs.trace(network, (3, 32, 32)).output_shape == expected
    with pytest.raises(cs.ShapeError) as info:
        cs.trace(network, (1, 3, 32, 32))
    assert info.value.hint is not None
    assert info.value.hint.startswith("pass (3, 32, 32)")
    assert info.value.parameter == "in_channels"


@pytest.mark.skipif(np is None, reason="numpy is not installed")
def test_numpy_integers_inside_padding_pairs_tables_and_arrays() -> None:
    assert np is not None
    one = np.int64(1)
    assert cs.Conv(8, 3, padding=((one, 1), (1, one))) == cs.Conv(8, 3, padding=((1, 1), (1, 1)))
    assert cs.Conv(8, np.array([3, 5])) == cs.Conv(8, (3, 5))  # type: ignore[arg-type]
    assert cs.Pad(((one, 1), (1, 1))) == cs.Pad(((1, 1), (1, 1)))
    table = [[np.int64(0)], [np.int64(1)]]
    assert cs.Conv(2, 3, connections=table) == cs.Conv(2, 3, connections=[[0], [1]])


def test_axis_comes_from_the_location_not_from_a_layers_name() -> None:
    with pytest.raises(cs.ShapeError) as info:
        cs.trace([cs.Conv(8, 3, in_channels=4, name="mix axes 1, 2")], (3, 8, 8))
    assert info.value.axis is None
    assert info.value.parameter == "in_channels"
    with pytest.raises(cs.ShapeError) as one_d:  # a 1-D input has one axis: axis 0
        cs.trace([cs.Conv(8, 9)], (3, 5))
    assert one_d.value.axis == 0


def test_cli_json_errors_have_one_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from convshape.cli import main

    assert main(["check", "nosuchnet", "resnet18", "--input", "1,3,224,224", "--format", "json"]) == 2
    data = json.loads(capsys.readouterr().out)
    missing, resnet = data["files"]
    usage = missing["error"]
    (problem,) = [p for p in resnet["problems"] if p["parameter"] == "in_channels"]
    assert set(usage) == set(problem)
    assert usage["hint"] is None
    assert problem["hint"].startswith("pass (3, 224, 224)")


@pytest.mark.parametrize(
    ("make", "parameter", "value"),
    [
        (lambda: cs.Dropout(2), "p", 2),
        (lambda: cs.StochasticDepth(0.1, mode="x"), "mode", "x"),
        (lambda: cs.Conv(8, 3, groups=3), "groups", 3),
        (lambda: cs.trace([cs.GroupNorm(4)], (6, 5, 5)), "num_groups", 4),
        (lambda: cs.trace([cs.PixelShuffle(2)], (3, 4, 4)), "factor", 2),
        (lambda: cs.trace([cs.ChannelShuffle(2)], (3, 4, 4)), "groups", 2),
        (lambda: cs.trace([cs.Linear(10, in_features=7)], (5,)), "in_features", 7),
    ],
)
def test_a_refused_field_is_the_errors_parameter_and_value(
    make: object, parameter: str, value: object
) -> None:
    with pytest.raises(cs.ConvShapeError) as info:
        make()  # type: ignore[operator]
    assert info.value.parameter == parameter
    assert info.value.value == value
