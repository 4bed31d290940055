"""The apps' ``fit(X, y, epochs=5, validation_data=...)``: the MLP estimators' one-line refusal naming the equivalent."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import hiddenlayers as hl
from hiddenlayers.estimators import UnknownFitKeywordError

IMAGES = np.zeros((4, 1, 8, 8))
LABELS = np.array([0, 1, 0, 1])


@pytest.mark.parametrize(("given", "fix"), [
    ({"epochs": 5}, "ImageClassifier(max_iter=5)"),
    ({"batch_size": 16}, "ImageClassifier(batch_size=16)"),
    ({"validation_data": (IMAGES, LABELS)}, "fit(X, y, X_val=Xv, y_val=yv) with early_stopping=True"),
])
def test_image_classifier_names_the_equivalent(given: dict, fix: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(UnknownFitKeywordError, match=r"^ImageClassifier\.fit\(\) got an unexpected keyword argument") as info:
        hl.ImageClassifier("4", max_iter=1).fit(IMAGES, LABELS, **given)
    assert fix in str(info.value)


def test_sequence_classifier_and_autoencoder_refuse_the_same_way() -> None:
    with pytest.raises(TypeError, match=r"SequenceClassifier\(max_iter=3\)"):
        hl.SequenceClassifier("lstm4", max_iter=1).fit([np.zeros((3, 2))] * 2, [0, 1], epochs=3)
    with pytest.raises(UnknownFitKeywordError, match=r"validation_data=\(Xv, yv\) is fit\(X, X_val=Xv\)"):
        hl.Autoencoder().fit(np.zeros((4, 3)), validation_data=(np.zeros((2, 3)), None))
    with pytest.raises(UnknownFitKeywordError, match=r"fit\(\) takes X, y, X_val\.$"):
        hl.Autoencoder().fit(np.zeros((4, 3)), steps_per_epoch=2)


def test_forecaster_and_agent_take_their_own_parameter_names() -> None:
    with pytest.raises(UnknownFitKeywordError, match=r"Forecaster\(max_iter=4\)"):
        hl.Forecaster().fit(np.arange(30.0), epochs=4)
    with pytest.raises(UnknownFitKeywordError, match=r"^DQNAgent\.fit\(\) got an unexpected keyword argument 'max_epochs': fit\(\) takes env, "
                       r"total_steps, eval_every, eval_episodes, target_return, max_episode_steps, max_time\.$"):
        hl.DQNAgent().fit("CartPole-v1", max_epochs=4)


def test_app_fit_signatures_stay_explicit() -> None:
    for cls in (hl.ImageClassifier, hl.SequenceClassifier, hl.TextClassifier, hl.Autoencoder, hl.Forecaster, hl.Recommender, hl.Translator):
        params = inspect.signature(cls.fit).parameters
        assert inspect.Parameter.VAR_KEYWORD not in {p.kind for p in params.values()}  # the wrapper keeps fit's own signature
        assert set(cls().get_metadata_routing().fit.requests) == set(params) - {"self", "X", "y"}  # routing built from it, as before
