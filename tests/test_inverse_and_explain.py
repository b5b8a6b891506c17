"""solve(), input_sizes(), explain() and the convshape.testing helpers."""

from __future__ import annotations

import pytest

import convshape as cs
from convshape import Conv, MaxPool, explain, input_sizes, solve, zoo
from convshape.testing import assert_output_shape, assert_valid


@pytest.mark.parametrize(("in_size", "out_size"), [(224, 112), (83, 75), (7, 3), (32, 32), (10, 4)])
def test_every_solution_maps_in_to_out_exactly(in_size: int, out_size: int) -> None:
    """Each solution, fed back through conv_output_size, gives the requested size."""
    found = solve(in_size, out_size)
    assert found
    for s in found:
        assert cs.conv_output_size(in_size, s.kernel_size, s.stride, s.padding, s.dilation) == out_size
        assert s.uncovered == cs.uncovered_inputs(in_size, s.kernel_size, s.stride, s.padding, s.dilation)


def test_given_values_are_held_fixed_and_the_best_comes_first() -> None:
    """Fixing the kernel and stride searches only the padding; the 'same'-like padding ranks first."""
    found = solve(224, 112, kernel_size=3, stride=2, dilation=1)
    assert [str(s) for s in found] == ["kernel_size=3, stride=2, padding=1, dilation=1"]
    assert all(s.kernel_size == 5 for s in solve(56, 28, kernel_size=5))
    assert solve(32, 32)[0] == cs.Solution(3, 1, 1, 1)


def test_transposed_solutions_include_output_padding() -> None:
    """A transposed search reproduces 7 -> 14 and 7 -> 15 with the right output padding."""
    for out in (14, 15):
        for s in solve(7, out, transpose=True)[:10]:
            got = cs.conv_transpose_output_size(
                7, s.kernel_size, s.stride, s.padding, s.output_padding, s.dilation
            )
            assert got == out


def test_asymmetric_padding_only_when_symmetric_fails() -> None:
    """4 -> 4 with a kernel of 2 at stride 1 needs one extra pixel on one side."""
    found = solve(4, 4, kernel_size=2, stride=1, dilation=1)
    assert [s.padding for s in found] == [(0, 1)]


def test_solve_argument_errors() -> None:
    """Bad arguments are the usual ParameterError / TypeError."""
    with pytest.raises(cs.ParameterError, match="out_size must be an integer >= 1, got 0"):
        solve(10, 0)
    with pytest.raises(TypeError):
        solve(10, 5, transpose="yes")  # type: ignore[arg-type]


def test_input_sizes_of_a_unet_are_multiples_of_16() -> None:
    """A depth-4 U-Net accepts 16 and up, and tiles exactly at multiples of 16."""
    sizes = input_sizes(zoo.unet(), (3, 64, 64), limit=200)
    assert sizes.smallest == 16
    assert sizes.period == 16
    assert sizes.exact == tuple(range(16, 201, 16))
    for size in (16, 48):
        assert cs.check(zoo.unet(), (3, size, 64)) == []
    assert cs.check(zoo.unet(), (3, 40, 64)) != []


def test_input_sizes_of_the_seed_network() -> None:
    """The seed network needs 83 pixels at least, and tiles exactly every 20 more."""
    sizes = input_sizes(zoo.seed(), (1, 83, 83), axis=1, limit=200)
    assert (sizes.smallest, sizes.period, sizes.exact[:3]) == (83, 20, (83, 103, 123))
    # 83 -> 83 - 9 + 1 = 75 -> (75 - 10) / 5 + 1 = 14 -> 14 - 9 + 1 = 6 -> (6 - 6) / 4 + 1 = 1: all exact
    assert (sizes.given, sizes.given_tiles) == (83, True)
    assert input_sizes(zoo.seed(), (1, 84, 83)).given_tiles is False  # (76 - 10) / 5 = 13.2: a row dropped
    assert input_sizes(zoo.seed(), (1, 82, 83)).given_tiles is None  # below the smallest accepted 83
    with pytest.raises(cs.ParameterError, match="axis 2 does not exist"):
        input_sizes(zoo.seed(), (1, 83, 83), axis=2)


def test_explain_answers_the_seed_question() -> None:
    """The explanation alone says why 64 kernels give 64 maps and 4096 give 256."""
    text = cs.trace(zoo.seed(), (1, 83, 83)).explain()
    assert "64 output maps x 1 input map each = 64 kernels of 9x9" in text
    assert "256 output maps x 16 input maps each (groups=4) = 4,096 kernels of 9x9" in text
    assert "(83 - 9) / 1 + 1 = 75" in text
    assert "(75 - 10) / 5 + 1 = 14" in text


def test_explain_shows_rounding_and_uncovered_columns() -> None:
    """A stride that does not tile shows the fraction, the floor and the lost columns."""
    text = explain(Conv(8, 7, stride=2, padding=3), (3, 224, 224))
    assert "rows:    (224 - 7 + 2*3) / 2 + 1 = 112.5 -> 112" in text
    text = explain(Conv(8, 3, stride=2), (3, 10, 10))
    assert "columns: (10 - 3) / 2 + 1 = 4.5 -> 4: 1 input column is never covered" in text
    assert "MACs:    24 kernels x 9 taps x 16 output positions = 3,456" in text


def test_assert_helpers_pass_and_fail_with_the_table() -> None:
    """assert_output_shape/assert_valid are silent on success and show the rows on failure."""
    assert_output_shape(zoo.seed(), (1, 83, 83), (101,))
    assert_output_shape([Conv(8, 3)], (3, 9, 9), (8, None, 7))
    with pytest.raises(AssertionError) as info:
        assert_output_shape(zoo.seed(), (1, 83, 83), (100,))
    assert "output shape (101,) != expected (100,)" in str(info.value)
    assert "Conv(256, 9, groups=4)" in str(info.value)
    with pytest.raises(AssertionError) as info:
        assert_valid([Conv(9, 3, groups=3), Conv(8, 3), MaxPool(9)], (4, 8, 8))
    message = str(info.value)
    assert message.startswith("the network has 2 problems for input (4, 8, 8):")
    assert "rows up to the first problem" in message
    with pytest.raises(AssertionError, match="the network does not trace"):
        assert_output_shape([MaxPool(9)], (1, 8, 8), (1, 1, 1))


def test_explain_of_a_failing_network_explains_up_to_the_failure() -> None:
    """seed at 64: conv 64 - 9 + 1 = 56, pool (56 - 10) // 5 + 1 = 10, conv 10 - 9 + 1 = 2, then MaxPool(6) on 2 fails."""
    text = explain(zoo.seed(), (1, 64, 64))
    lines = text.splitlines()
    assert lines[0] == "layer 0 'layer1': Conv(64, 9)  (1, 64, 64) -> (64, 56, 56)"
    assert "(56 - 10) / 5 + 1 = 10.2 -> 10" in text
    assert "layer 2 'layer3': Conv(256, 9, groups=4)  (64, 10, 10) -> (256, 2, 2)" in text
    # the three layers before the failure: 64 x 1 and 256 x 16 kernels, 64 x 82 + 256 x (16 x 81 + 1) params
    assert (
        f"total up to the failure: {64 + 256 * 16:,} kernels, {64 * 82 + 256 * (16 * 81 + 1):,} params"
        in text
    )
    assert lines[-3] == (
        "failed at layer 3 'layer4' (MaxPool(6, stride=4)), axes 0, 1, kernel_size, which receives (256, 2, 2):"
    )
    assert lines[-2] == "  error:   ShapeError: the output size (2 + 0 + 0 - 6) // 4 + 1 = 0 is below 1"
    assert lines[-1] == "  fix:     use a smaller window, or an input of at least 6"
    assert "layer 3 'layer4': MaxPool" not in text  # the failing layer has no row of its own


def test_explain_of_a_first_layer_failure_is_the_failure_paragraph() -> None:
    text = explain([Conv(9, 3, groups=3)], (4, 8, 8))
    assert text.splitlines() == [
        "failed at layer 0 (Conv(9, 3, groups=3)), groups, which receives (4, 8, 8):",
        "  error:   ShapeError: the input's 4 channels are not divisible by groups 3 (4 / 3 = 1.33333)",
        "  fix:     use a groups value that divides both 4 and 9",
    ]


def test_explain_of_a_failing_merge_names_the_merge() -> None:
    """A Concat of a 3x3 and a 5x5 unpadded branch on 8x8 gets 6x6 and 4x4 maps."""
    net = cs.Concat(Conv(4, 3), Conv(4, 5))
    text = explain(net, (3, 8, 8))
    assert "(4, 6, 6), (4, 4, 4)" in text
    # both branches are explained first: 4 x 3 x 9 + 4 and 4 x 3 x 25 + 4 params
    assert f"total up to the failure: 24 kernels, {4 * 27 + 4 + 4 * 75 + 4} params" in text
    assert text.splitlines()[-3] == "failed at layer 0 (Concat(2 branches)):"
    assert text.splitlines()[-1] == "  fix:     crop, pad or resize the inputs to one size"


def test_explain_still_raises_for_what_is_not_a_network() -> None:
    with pytest.raises(TypeError, match="network"):
        explain("resnet18", (3, 224, 224))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        explain([Conv(8, 3)], "3,8,8")  # type: ignore[arg-type]
    with pytest.raises(cs.ParameterError, match="input_shape"):
        explain([Conv(8, 3)], (0, 8, 8))


def test_explain_failure_takes_the_error_trace_raised() -> None:
    from convshape.explanation import explain_failure

    with pytest.raises(cs.ShapeError) as info:
        cs.trace([Conv(8, 3), MaxPool(8)], (3, 8, 8))
    assert explain_failure(info.value) == explain([Conv(8, 3), MaxPool(8)], (3, 8, 8))
    bare = cs.ShapeError("too small; use a larger input", where="axis 0")
    assert explain_failure(bare).splitlines() == [
        "failed at axis 0:",
        "  error:   ShapeError: too small",
        "  fix:     use a larger input",
    ]


def test_input_sizes_scans_fewer_sizes_for_a_network_of_many_layers() -> None:
    """The traces of one call hold at most MAX_ROWS rows: a 2,000-level network is scanned
    over MAX_ROWS // 2,001 sizes, and the answer says how far it looked."""
    from convshape import inverse

    deep: cs.Layer = cs.Conv(4, 3)
    for _ in range(2000):
        deep = cs.Sequential(deep)
    found = cs.input_sizes(deep, (3, 12, 12))
    assert found.limit == inverse.MAX_ROWS // 2001
    assert found.smallest == 3  # one 3x3 convolution, however deeply wrapped
    flat = cs.input_sizes(cs.zoo.resnet50(), (3, 224, 224))
    assert flat.limit == 1024  # the default limit, well within the budget
