"""_words.article: the indefinite article every stage's messages put before a class name."""

from __future__ import annotations

import pytest

from hiddenlayers._words import article


@pytest.mark.parametrize(("name", "said"), [
    ("Autoencoder", "an Autoencoder"), ("ImageClassifier", "an ImageClassifier"), ("TextClassifier", "a TextClassifier"),
    ("MLPClassifier", "an MLPClassifier"), ("DQNAgent", "a DQNAgent"), ("Forecaster", "a Forecaster"), ("", "a "),
])
def test_the_article_follows_the_sound_of_the_name(name: str, said: str) -> None:
    assert article(name) == said


def test_a_quoted_name_keeps_its_article() -> None:
    assert article("Autoencoder", quoted=True) == "an 'Autoencoder'"


class _NoTransform:
    """A fitted step with no transform() (a classifier, say): no Pipeline step before the model may be one."""


class _Scale:
    def transform(self, X: object) -> object:
        return X


def _pipe(*steps: object) -> object:
    from sklearn.pipeline import Pipeline

    import hiddenlayers as hl

    return Pipeline([*((f"s{i}", s) for i, s in enumerate(steps)), ("mlp", hl.MLPClassifier())])


def test_a_pipeline_with_a_step_that_cannot_transform_names_that_step() -> None:
    from hiddenlayers._words import pipeline_note

    # the stages take a Pipeline whose steps all transform; the one they refuse is told why, not to call pipe[:-1].transform
    assert pipeline_note(_pipe(_Scale(), None, _NoTransform()), "FIX") == (
        " (a scikit-learn Pipeline whose step 's2', _NoTransform, has no transform(): every step before MLPClassifier must "
        "transform the rows it reads)")
    assert pipeline_note(_pipe(_Scale(), "passthrough"), "FIX") == " (a scikit-learn Pipeline: pass its last step, MLPClassifier: FIX)"
    assert pipeline_note(_Scale(), "FIX") == ""


def test_a_pipeline_ending_in_scikit_learns_mlp_names_it_and_ours() -> None:
    """cost/prune/record of such a Pipeline said only "Received: Pipeline." (found by the docs_truth audit)."""
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import hiddenlayers as hl
    from hiddenlayers._words import pipeline_note

    assert pipeline_note(make_pipeline(StandardScaler(), MLPRegressor()), "FIX") == (
        " (a scikit-learn Pipeline whose last step is MLPRegressor from sklearn, not hiddenlayers: fit hl.MLPRegressor instead "
        "(it takes the same parameters))")
    assert pipeline_note(make_pipeline(StandardScaler(), StandardScaler()), "FIX") == ""  # no MLP: nothing to say
    with pytest.raises(TypeError, match=r"Received: Pipeline \(a scikit-learn Pipeline whose last step is MLPRegressor from sklearn"):
        hl.cost(make_pipeline(StandardScaler(), MLPRegressor()))
