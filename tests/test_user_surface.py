"""What users hold and what validation code reads: integral types, structured errors, shape conventions."""

from __future__ import annotations

import enum

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
