"""``precision=`` validation on any machine (the CUDA behaviour is in test_cuda.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.training import check_precision
from hiddenlayers.training._precision import precision_scope

X = np.random.default_rng(0).normal(size=(40, 3))
y = np.arange(40) % 2


@pytest.mark.parametrize("precision", ["tf32", "bf16"])
def test_reduced_precision_refused_on_cpu(precision):
    with pytest.raises(ValueError, match=rf"^precision='{precision}' needs a CUDA device \(the model is on 'cpu'\); use precision='fp32' there, or device='cuda'\.$"):
        hl.MLPClassifier(precision=precision, device="cpu").fit(X, y)


def test_unknown_precision_and_lbfgs_and_float64():
    with pytest.raises(ValueError, match=r"^precision must be 'fp32', 'tf32' or 'bf16'\. Received: precision='fp16'\.$"):
        hl.MLPRegressor(precision="fp16").fit(X, y)
    with pytest.raises(ValueError, match="solver='lbfgs' runs in 'fp32'"):
        hl.MLPClassifier(precision="bf16", solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match=r"needs dtype='float32' \(got float64\)"):
        check_precision("bf16", torch.device("cuda"), torch.float64)


@given(st.text(max_size=6) | st.integers() | st.none())
def test_check_precision_accepts_only_the_three_names(value):
    if value in ("fp32", "tf32", "bf16"):
        return
    with pytest.raises(ValueError, match="^precision must be"):
        check_precision(value, torch.device("cpu"))


def test_fp32_is_the_default_and_unchanged():
    a = hl.MLPClassifier((8,), max_iter=20, random_state=0, device="cpu").fit(X, y)
    b = hl.MLPClassifier((8,), max_iter=20, random_state=0, device="cpu", precision="fp32").fit(X, y)
    assert a.get_params()["precision"] == "fp32"
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)


def test_precision_scope_restores_the_global_setting_even_on_error():
    torch.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError), precision_scope("tf32"):
        assert torch.get_float32_matmul_precision() == "high"
        raise RuntimeError("boom")
    assert torch.get_float32_matmul_precision() == "highest"
    with precision_scope("bf16"):
        assert torch.get_float32_matmul_precision() == "highest"
