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
