"""Every keras.applications builder (weights=None, nothing downloaded) traces to Keras' own numbers.

For each model: the output shape and every layer's output shape (channels moved first), the
trainable weights, ``count_params()`` (parameters + buffers) and the MACs that PyTorch's
``FlopCounterMode`` counts in the Keras forward pass (torch backend).  The normal run checks a few
small models that between them use every kind of layer the adapter had to learn for
keras.applications; ``CONVSHAPE_LONG=1`` runs every builder (docs/adapters.md lists the results).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="keras is not installed (pip install keras)")
pytest.importorskip("torch", reason="the MAC counts come from PyTorch (KERAS_BACKEND=torch)")

from test_adapter_keras import keras_agreement  # noqa: E402

LONG = os.environ.get("CONVSHAPE_LONG") == "1"
#: the smallest input each builder accepts (32 x 32 unless the builder says otherwise)
MINIMUM = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 71}
#: builders that cannot be built here, and why (the test checks that they still cannot)
CANNOT_BUILD = {"NASNetMobile": "not available with the torch backend"}
#: the normal run: Rescaling, hard-swish ops and SE blocks (MobileNetV3Small); adapted Normalization and
#: SE reshapes (EfficientNetB0); BatchNormalization(scale=False) (InceptionV3); LayerNormalization,
#: LayerScale, a constant Normalization and nested Sequential models (ConvNeXtTiny); plain MobileNet
QUICK = ["MobileNetV3Small", "EfficientNetB0", "InceptionV3", "ConvNeXtTiny", "MobileNet"]
BUILDERS = sorted(name for name in dir(keras.applications) if name[:1].isupper())


def _build(name: str) -> Any:
    size = MINIMUM.get(name, 32)
    return getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))


def _check(name: str) -> None:
    if name in CANNOT_BUILD:
        with pytest.raises(ValueError, match=CANNOT_BUILD[name]):
            _build(name)
        return
    assert keras_agreement(_build(name)) == {}


@pytest.mark.parametrize("name", QUICK)
def test_quick_keras_applications(name: str) -> None:
    """A few small builders, in every run."""
    _check(name)


@pytest.mark.long
@pytest.mark.skipif(not LONG, reason="every keras.applications builder: CONVSHAPE_LONG=1")
@pytest.mark.parametrize("name", [name for name in BUILDERS if name not in QUICK])
def test_every_keras_application(name: str) -> None:
    """Every other builder of keras.applications."""
    _check(name)


def test_the_builder_list_is_the_documented_one() -> None:
    """A builder added to keras.applications shows up here, to be run and documented."""
    assert len(BUILDERS) >= 40
    assert set(QUICK) <= set(BUILDERS)
    assert set(CANNOT_BUILD) <= set(BUILDERS)
