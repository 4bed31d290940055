"""``ship/_onnx_app``: what the ONNX runners share; here :func:`empty_refusal`, their one line for an empty sequence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hiddenlayers.ship._onnx_app import empty_refusal


@given(st.sampled_from(["sequence 3", "utterance utt=7 (line 12)"]), st.sampled_from(["ids", "frames", "tokens"]), st.integers(1, 500))
def test_an_empty_sequence_is_said_empty_and_the_layers_named_only_where_they_set_the_least(where: str, unit: str, least: int) -> None:
    """``least`` 1 is a model without convolution/pooling layers: the line must not blame layers it lacks; above 1 it says why."""
    line = empty_refusal(where, unit, least)
    assert line.startswith(f"{where} is empty (0 {unit}): drop it or give it at least ")
    assert ("convolution/pooling" in line) == (least > 1)
    assert line.endswith(f"{least} {unit} (the model's convolution/pooling layers need them)." if least > 1 else f"one {unit[:-1]}.")
    assert "\n" not in line
