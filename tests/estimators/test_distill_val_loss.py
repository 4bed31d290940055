"""``hl.distill``'s student records ``history_.val_loss`` on its early-stopping rows, as the MLP estimators do.

It was NaN: the held-out loss was made from the held-out labels alone, and the student's
training targets carry the teacher's probabilities of each row. The held-out rows' own
targets from the split now give the distillation objective's weighted mean there.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

import hiddenlayers as hl

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data() -> tuple[np.ndarray, np.ndarray, RandomForestClassifier]:
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    return X, y, RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)


def _student() -> hl.MLPClassifier:
    return hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, early_stopping=True, n_iter_no_change=10, random_state=0)


def test_a_student_on_hard_labels_alone_records_the_plain_fits_val_loss() -> None:
    """alpha=1 is plain cross entropy on y: the student trains as a plain fit does, so its val_loss must equal that fit's."""
    X, y, teacher = _data()
    student = hl.distill(_student(), teacher, X, y, alpha=1.0)
    plain = _student().fit(X, y)
    assert np.isfinite(student.history_.val_loss).all()
    np.testing.assert_allclose(student.history_.val_loss, plain.history_.val_loss, rtol=1e-5)
    np.testing.assert_allclose(student.history_.val_score, plain.history_.val_score)


def test_a_distilled_student_records_a_finite_falling_val_loss() -> None:
    X, y, teacher = _data()
    for kw in ({"y": y, "alpha": 0.5}, {"y": None, "alpha": 0.0}):
        student = hl.distill(_student().set_params(max_iter=30, learning_rate_init=0.01), teacher, X, kw["y"], alpha=kw["alpha"])
        val = np.asarray(student.history_.val_loss)
        assert np.isfinite(val).all() and (val > 0).all()
        assert val[-1] < 0.8 * val[0]  # the held-out objective falls as the student learns the teacher
        assert 0.5 < val[-1] / student.loss_curve_[-1] < 2  # the same objective as the training loss, on other rows of iris
