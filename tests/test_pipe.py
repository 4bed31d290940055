"""_pipe: which Pipelines the stages split into their steps and their hiddenlayers model, and the fitted-steps check they share."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl
from hiddenlayers._pipe import require_fitted_head, split_pipeline, through_head


@pytest.mark.parametrize("skip", [None, "passthrough"])
def test_an_unfitted_step_before_a_skipped_one_is_named(skip: str | None) -> None:
    # scikit-learn judges a Pipeline by its last step, and one ending in a None step as fitted: each step is checked here
    parts = split_pipeline(Pipeline([("scale", StandardScaler()), ("skip", skip), ("mlp", hl.MLPClassifier())]))
    assert parts is not None
    head, last = parts
    with pytest.raises(hl.NotFittedError, match=r"^cost\(\) needs a fitted model: this Pipeline's steps before MLPClassifier are not fitted yet; "
                                                r"call pipe\.fit\(X, y\) first\.$"):
        require_fitted_head(head, last, "cost()")


@pytest.mark.parametrize("skip", [None, "passthrough"])
def test_fitted_steps_around_a_skipped_one_pass(skip: str | None) -> None:
    X = np.arange(12.0).reshape(4, 3)
    scale = StandardScaler().fit(X)
    parts = split_pipeline(Pipeline([("scale", scale), ("skip", skip), ("mlp", hl.MLPClassifier())]))
    assert parts is not None
    head, last = parts
    require_fitted_head(head, last, "cost()")
    np.testing.assert_array_equal(through_head(head, X), scale.transform(X))


def test_only_skipped_steps_leave_no_head() -> None:
    mlp = hl.MLPClassifier()
    assert split_pipeline(Pipeline([("skip", None), ("pass", "passthrough"), ("mlp", mlp)])) == (None, mlp)
    X = np.ones((2, 3))
    assert through_head(None, X) is X
    require_fitted_head(None, mlp, "cost()")  # nothing to check
