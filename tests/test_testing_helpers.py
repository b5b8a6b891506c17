"""Budget assertions of convshape.testing: params, MACs and memory, for specs and reports."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from convshape import Conv, Linear, ParameterError, trace
from convshape.testing import (
    assert_macs_at_most,
    assert_memory_at_most,
    assert_output_shape,
    assert_params_at_most,
    assert_valid,
)

# Conv(8, 3) on (3, 8, 8): 8 x 3 x 9 weights + 8 biases, 8 x 6 x 6 outputs of 27 MACs each
ONE = [Conv(8, 3)]
ONE_PARAMS = 8 * 3 * 9 + 8
ONE_MACS = 8 * 6 * 6 * 3 * 9


def _message(call: Callable[[], None]) -> str:
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


def test_params_budget_is_inclusive() -> None:
    assert_params_at_most(ONE, (3, 8, 8), ONE_PARAMS)
    text = _message(lambda: assert_params_at_most(ONE, (3, 8, 8), ONE_PARAMS - 1))
    assert text.startswith(f"{ONE_PARAMS} params exceed the budget of {ONE_PARAMS - 1} by 1 ")
    assert "for input (3, 8, 8)" in text


def test_macs_budget_is_inclusive() -> None:
    assert ONE_MACS == 7776
    assert_macs_at_most(ONE, (3, 8, 8), 7776)
    text = _message(lambda: assert_macs_at_most(ONE, (3, 8, 8), 7000))
    assert text.startswith("7,776 MACs exceed the budget of 7,000 by 776 (1.11x)")


def test_memory_budget_follows_batch_and_dtype() -> None:
    # float64, batch 1: input 192 x 8, forward/backward 2 x 288 x 8, params 224 x 8
    total64 = 192 * 8 + 2 * 288 * 8 + 224 * 8
    assert_memory_at_most(ONE, (3, 8, 8), total64, dtype="float64")
    text = _message(lambda: assert_memory_at_most(ONE, (3, 8, 8), total64 - 1, dtype="float64"))
    assert (
        f"{total64:,} bytes (input 1,536 + forward/backward 4,608 + params 1,792; batch 1, float64)" in text
    )
    # float32, batch 2: input and forward/backward double, params do not
    total32 = 2 * 192 * 4 + 2 * 2 * 288 * 4 + 224 * 4
    assert_memory_at_most(ONE, (3, 8, 8), total32, batch_size=2)
    text = _message(lambda: assert_memory_at_most(ONE, (3, 8, 8), total32 - 1, batch_size=2))
    assert f"{total32:,} bytes" in text
    assert "batch 2, float32" in text


def test_report_and_spec_give_the_same_verdict() -> None:
    report = trace(ONE, (3, 8, 8))
    assert_params_at_most(report, ONE_PARAMS)
    assert_macs_at_most(report, ONE_MACS)
    assert_memory_at_most(report, 10**6, batch_size=4, dtype="int8")
    spec_text = _message(lambda: assert_params_at_most(ONE, (3, 8, 8), 100))
    report_text = _message(lambda: assert_params_at_most(report, 100))
    assert spec_text == report_text


def test_message_lists_the_three_largest_rows_largest_first() -> None:
    # params on (1, 12, 12): 2x1x9+2 = 20, 4x2x9+4 = 76, 6x4x9+6 = 222, 16x6x9+16 = 880,
    # and Linear(5) on the last axis of (16, 4, 4): 4x5+5 = 25
    net = [Conv(2, 3), Conv(4, 3), Conv(6, 3), Conv(16, 3), Linear(5)]
    text = _message(lambda: assert_params_at_most(net, (1, 12, 12), 10))
    assert text.startswith("1,223 params exceed the budget of 10 ")
    listed = re.findall(r"^  layer (\d+) .*: ([\d,]+) params$", text, flags=re.M)
    assert listed == [("3", "880"), ("2", "222"), ("1", "76")]


def test_rows_without_the_measure_are_not_listed() -> None:
    text = _message(lambda: assert_params_at_most(ONE, (3, 8, 8), 0))
    assert text.count("\n  layer ") == 1
    assert "  layer 0 (Conv(8, 3)): 224 params" in text


def test_a_network_that_does_not_trace_fails_with_the_partial_table() -> None:
    net = [Conv(8, 3), Conv(8, 9)]
    for call in (
        lambda: assert_params_at_most(net, (3, 8, 8), 10**9),
        lambda: assert_macs_at_most(net, (3, 8, 8), 10**9),
        lambda: assert_memory_at_most(net, (3, 8, 8), 10**9),
    ):
        text = _message(call)
        assert text.startswith("the network does not trace: ")
        assert "Conv(8, 9)" in text


def test_bad_arguments_raise_type_or_parameter_errors() -> None:
    report = trace(ONE, (3, 8, 8))
    with pytest.raises(TypeError, match=r"assert_params_at_most\(report, budget\)"):
        assert_params_at_most(report, (3, 8, 8), 10)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"assert_macs_at_most\(network, input_shape, budget\)"):
        assert_macs_at_most(ONE, 10)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="budget must be an int"):
        assert_memory_at_most(report, 1.5e6)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="budget must be an int"):
        assert_params_at_most(report, True)
    with pytest.raises(ParameterError, match="budget"):
        assert_params_at_most(report, -1)
    with pytest.raises(TypeError, match="network must be"):
        assert_params_at_most("resnet18", (3, 8, 8), 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input_shape must be"):
        assert_params_at_most(ONE, "3,8,8", 10)  # type: ignore[arg-type]


def test_every_helper_hides_its_frames_from_pytest() -> None:
    failing: list[Callable[[], None]] = [
        lambda: assert_valid([Conv(8, 9)], (3, 8, 8)),
        lambda: assert_output_shape(ONE, (3, 8, 8), (8, 8, 8)),
        lambda: assert_params_at_most(ONE, (3, 8, 8), 0),
        lambda: assert_macs_at_most(ONE, (3, 8, 8), 0),
        lambda: assert_memory_at_most(ONE, (3, 8, 8), 0),
        lambda: assert_params_at_most([Conv(8, 9)], (3, 8, 8), 0),
    ]
    for call in failing:
        with pytest.raises(AssertionError) as info:
            call()
        frames = [e.frame for e in info.traceback if str(e.frame.code.path).endswith("testing.py")]
        assert frames, "the failure was raised inside convshape/testing.py"
        assert all(f.f_locals.get("__tracebackhide__") is True for f in frames)
