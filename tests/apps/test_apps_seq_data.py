"""``apps/_seq/data.pad_ids``: the one padding of id sequences, which the SequenceClassifier (pad 0) and ``ship``'s ONNX
runner (the export's pad id, a fixed step count that cuts) share, in NumPy alone so the runner needs no PyTorch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.apps import pad_ids

SEQS = st.lists(st.lists(st.integers(0, 10**6), max_size=9).map(lambda ids: np.asarray(ids, dtype=np.int64)), min_size=1, max_size=6)


@given(SEQS, st.none() | st.integers(0, 12), st.sampled_from([0, -1, 7]))
@settings(max_examples=80, deadline=None)
def test_pad_ids_puts_each_sequence_first_cut_at_steps_then_the_pad_id(seqs: list[np.ndarray], steps: int | None, pad_id: int) -> None:
    out = pad_ids(seqs, steps, pad_id=pad_id)
    width = max(len(s) for s in seqs) if steps is None else steps
    assert out.dtype == np.int64 and out.shape == (len(seqs), width)
    for row, s in zip(out, seqs):
        kept = min(len(s), width)
        np.testing.assert_array_equal(row[:kept], s[:kept])
        assert (row[kept:] == pad_id).all()


def test_pad_ids_defaults_are_the_sequence_classifiers() -> None:
    """Pad id 0 (the network's padding) and the longest sequence's steps: what SequenceClassifier padded with before."""
    got = pad_ids([np.array([3, 4, 5]), np.array([9]), np.array([], dtype=np.int64)])
    np.testing.assert_array_equal(got, [[3, 4, 5], [9, 0, 0], [0, 0, 0]])


def test_the_onnx_runner_pads_with_the_same_function_and_without_torch() -> None:
    """One home (it was written twice, in ship/_onnx_text and apps/_seq/data); importing it for the runner brings no PyTorch."""
    from hiddenlayers.ship import _onnx_text

    assert _onnx_text.pad_ids is pad_ids
    script = ("import sys\nimport numpy as np\nimport hiddenlayers.ship._onnx_text\nfrom hiddenlayers.apps import pad_ids\n"
              "print(pad_ids([np.array([1, 2])], 3, pad_id=-1).tolist(), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "[[1, 2, -1]] False", out.stdout


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=6), st.floats(0.01, 0.99))
@settings(max_examples=40, deadline=None)
def test_pad_ids_refuses_ids_with_a_fraction_instead_of_cutting_them(ids: list[int], frac: float) -> None:
    """``3.7`` was copied into the int64 array as id 3: another token, silently. A whole-number float is an id."""
    import pytest

    from hiddenlayers.exceptions import DataError

    whole = np.asarray(ids, dtype=np.float64)
    np.testing.assert_array_equal(pad_ids([whole]), [ids])
    with pytest.raises(DataError, match="not a whole-number token id"):
        pad_ids([np.array([1]), whole + frac])


def test_pad_ids_refuses_a_2d_sequence_nan_text_and_a_negative_step_count_in_one_line() -> None:
    import pytest

    from hiddenlayers.exceptions import DataError

    with pytest.raises(DataError, match=r"sequence 0 of pad_ids is 2-D, shape \(2, 2\)"):
        pad_ids([np.array([[1, 2], [3, 4]])])
    with pytest.raises(DataError, match="holds nan"):
        pad_ids([np.array([1.0, np.nan])])
    with pytest.raises(DataError, match="holds 'a'"):
        pad_ids([np.array(["a", "b"])])
    with pytest.raises(DataError, match="steps must be an int >= 0"):
        pad_ids([np.array([1, 2])], steps=-1)
