"""The applications as a scikit-learn user meets them: a saved and loaded model has the same
parameters (``hidden_layer_sizes`` keeps its form), ``score`` with labels of another type, and
bad input (images of mixed sizes or other channels, malformed observations, text ratings, NaN
rows) each give one clear line, not a NumPy, PyTorch or scikit-learn error from deep inside."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import hiddenlayers as hl
from hiddenlayers.apps import Autoencoder, DQNAgent, Forecaster, ImageClassifier, Recommender, SequenceClassifier, TextClassifier
from hiddenlayers.exceptions import DataError

RNG = np.random.default_rng(0)
ROWS = RNG.normal(size=(60, 4))
SERIES = np.sin(np.arange(80) / 4)
PAIRS = pd.DataFrame({"user": RNG.integers(0, 6, 60), "item": RNG.integers(0, 8, 60)})
RATINGS = RNG.integers(1, 6, 60).astype(float)


def _agent(sizes: Any) -> DQNAgent:
    pytest.importorskip("gymnasium")
    return DQNAgent(sizes, learning_starts=10, batch_size=8, random_state=0).fit("CartPole-v1", total_steps=30, eval_every=30, eval_episodes=1)


# name -> fit a model whose hidden_layer_sizes is ``sizes``
FITS: dict[str, Callable[[Any], Any]] = {
    "Autoencoder": lambda sizes: Autoencoder(sizes, n_components=2, max_iter=2, random_state=0).fit(ROWS),
    "Forecaster": lambda sizes: Forecaster(window=5, hidden_layer_sizes=sizes, max_iter=2, random_state=0).fit(SERIES),
    "Recommender": lambda sizes: Recommender(n_factors=2, hidden_layer_sizes=sizes, max_iter=2, random_state=0).fit(PAIRS, RATINGS),
    "DQNAgent": _agent,
}


@pytest.mark.parametrize("name", list(FITS))
@pytest.mark.parametrize("sizes", [(4,), [4, 3], "4,3"], ids=["tuple", "list", "text"])
def test_a_loaded_model_has_the_saved_parameters(name: str, sizes: Any, tmp_path: Path) -> None:
    """``load(save(m)).get_params() == m.get_params()``: a tuple stays a tuple (it came back as a list of layer dicts)."""
    model = FITS[name](sizes)
    path = tmp_path / "m.safetensors"
    model.save(path)
    again = hl.load(path)
    assert again.get_params() == model.get_params()
    assert type(again.hidden_layer_sizes) is type(sizes)
    assert clone(again).get_params() == model.get_params()


def test_files_that_stored_the_spec_list_still_load(tmp_path: Path) -> None:
    """Files written before the form was kept hold the parsed spec list: they load as before, same scores."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    model = FITS["Autoencoder"]((4,))
    path, old = tmp_path / "new.safetensors", tmp_path / "old.safetensors"
    model.save(path)
    with safe_open(str(path), framework="pt") as fh:
        metadata = fh.metadata()
    meta = json.loads(metadata["hiddenlayers"])
    meta["params"]["hidden_layer_sizes"] = meta["params"]["hidden_layer_sizes"]["spec"]
    save_file(load_file(str(path)), str(old), metadata={**metadata, "hiddenlayers": json.dumps(meta)})
    again = Autoencoder.load(old)
    np.testing.assert_array_equal(again.score_samples(ROWS), model.score_samples(ROWS))


IMAGES = RNG.random((12, 6, 6))
FRAMES = RNG.normal(size=(12, 4, 2))
TEXTS = [f"text number {i}" for i in range(12)]
CLASSIFIERS: dict[str, tuple[Callable[[], Any], Any]] = {
    "ImageClassifier": (lambda: ImageClassifier("conv2k3,gap", max_iter=1, early_stopping=False, random_state=0), IMAGES),
    "SequenceClassifier": (lambda: SequenceClassifier("gru2", max_iter=1, early_stopping=False, random_state=0), FRAMES),
    "TextClassifier": (lambda: TextClassifier("embed2,gru2", max_iter=1, early_stopping=False, random_state=0), TEXTS),
}


@pytest.mark.parametrize("name", list(CLASSIFIERS))
@pytest.mark.parametrize("fit_labels", [np.tile([0, 1, 2], 4), np.tile(["a", "b", "c"], 4)], ids=["ints", "strings"])
def test_score_with_labels_of_another_type_is_one_clear_error(name: str, fit_labels: np.ndarray) -> None:
    """Scoring a model fitted on 0/1/2 with "0"/"1"/"2" (or the reverse) names both types and the fix;
    scikit-learn's accuracy stopped on "Mix of label input types (string and number)"."""
    make, X = CLASSIFIERS[name]
    model = make().fit(X, fit_labels)
    other = fit_labels.astype(str) if fit_labels.dtype.kind in "iu" else np.tile([0, 1, 2], 4)
    with pytest.raises(ValueError, match=r"^y has (str|number) labels \(first: .*\) but this \w+ was fitted on (number|str) labels \(classes_ \[.*\]\): pass y") as info:
        model.score(X, other)
    assert "\n" not in str(info.value)
    assert 0.0 <= model.score(X, fit_labels) <= 1.0  # labels of fit's type still score


def test_images_of_different_sizes_are_one_clear_error() -> None:
    """A list of images of two sizes: NumPy's "inhomogeneous shape" error became ours, in fit and predict."""
    ragged = [np.zeros((6, 6)), np.zeros((7, 7))]
    with pytest.raises(DataError, match=r"^images have different shapes \(\(6, 6\), \(7, 7\)\): resize them to one size"):
        ImageClassifier("conv2k3,gap", max_iter=1).fit(ragged, [0, 1])
    model = CLASSIFIERS["ImageClassifier"][0]().fit(IMAGES, np.tile([0, 1], 6))
    with pytest.raises(DataError, match=r"^images have different shapes"):
        model.predict(ragged)


def test_images_with_other_channels_say_to_convert_not_resize() -> None:
    """RGB images for a grayscale model: the message says to convert them (it said "resize them")."""
    model = CLASSIFIERS["ImageClassifier"][0]().fit(IMAGES, np.tile([0, 1], 6))
    with pytest.raises(DataError, match=r"^images have 3 channel\(s\) but the model was fitted on 1 \(grayscale\): convert them to grayscale first, e\.g\. with PIL's Image\.convert\('L'\)\.$"):
        model.predict(RNG.random((2, 6, 6, 3)))
    with pytest.raises(DataError, match=r"resize them to 6 x 6 pixels\.$"):
        model.predict(RNG.random((2, 7, 7)))


@pytest.fixture(scope="module")
def agent() -> DQNAgent:
    return _agent((4,))


@pytest.mark.parametrize("obs", [np.zeros((3, 5)), np.zeros((2, 8)), np.zeros(0), [[1.0, 2.0], [3.0]]], ids=["5 values", "8 values", "empty", "ragged"])
def test_observations_of_another_size_are_one_clear_error(agent: DQNAgent, obs: Any) -> None:
    """CartPole observations have 4 values: (3, 5) raised PyTorch's "shape '[-1, 4]' is invalid for input of size 15",
    and (2, 8) was read as four observations."""
    with pytest.raises(DataError, match=r"^observations must (have 4 values each|be numbers)"):
        agent.q_values(obs)


def test_non_finite_observations_are_refused(agent: DQNAgent) -> None:
    """NaN in: the agent picked action 0 silently."""
    with pytest.raises(DataError, match=r"^observations contain NaN or infinity"):
        agent.act(np.array([0.0, np.nan, 0.0, 0.0]))
    assert agent.q_values(np.zeros(4)).shape == (2,) and agent.q_values(np.zeros((3, 4))).shape == (3, 2)


def test_text_ratings_are_one_clear_error() -> None:
    """Ratings "good"/"bad": NumPy's "could not convert string to float" became a line that says what y must be."""
    with pytest.raises(DataError, match=r"^y must hold numeric ratings .* values such as \['good', 'bad', 'good'\]: map them to numbers first\.$"):
        Recommender(max_iter=1).fit(PAIRS, np.tile(["good", "bad"], 30))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_autoencoder_names_non_finite_rows(bad: float) -> None:
    """scikit-learn's bare "Input contains NaN." now says how many rows, the first, and the fix."""
    X = ROWS.copy()
    X[7, 2] = bad
    with pytest.raises(DataError, match=r"^X contains NaN or infinity in 1 of 60 rows \(first: row 7\): .*impute them"):
        Autoencoder((4,), n_components=2, max_iter=1).fit(X)
    model = FITS["Autoencoder"]((4,))
    for method in (model.predict, model.transform, model.score_samples, model.inverse_transform):
        name = "codes" if method == model.inverse_transform else "X"  # the codes are named as such (they were called X)
        with pytest.raises(DataError, match=rf"^{name} contains NaN or infinity"):
            method(X[:, 1:3] if method == model.inverse_transform else X)


def test_autoencoder_feature_names_out_and_set_output() -> None:
    """A scikit-learn transformer names its output columns: ``set_output(transform="pandas")`` raised AttributeError."""
    model = FITS["Autoencoder"]((4,))
    assert model.get_feature_names_out().tolist() == ["autoencoder0", "autoencoder1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes = clone(model).set_output(transform="pandas").fit(ROWS).transform(ROWS)
    assert list(codes.columns) == ["autoencoder0", "autoencoder1"] and codes.shape == (60, 2)
    with pytest.raises(NotFittedError):
        Autoencoder().get_feature_names_out()


@pytest.mark.parametrize("fit_as", [int, str], ids=["fitted on ints", "fitted on strings"])
def test_ids_of_another_type_are_one_clear_error(fit_as: type) -> None:
    """User ids read as text for a model fitted on integers (or the reverse) matched no user: every rating was the
    global mean, with only a warning about unseen users. Now one line names the type and the conversion."""
    model = Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(PAIRS.astype(fit_as), RATINGS)
    other = str if fit_as is int else int
    with pytest.raises(DataError, match=rf"^User ids are {'strings' if other is str else 'numbers'} \(first: .*\) but the model was fitted on "
                                        rf"{'numbers' if fit_as is int else 'strings'} \(first: .*\), so none is known: convert them with \.astype\({fit_as.__name__}\) first\.$"):
        model.predict(PAIRS.astype(other))
    with pytest.raises(DataError, match=r"^Item ids are"):
        model.predict(pd.DataFrame({"user": PAIRS["user"].astype(fit_as), "item": PAIRS["item"].astype(other)}))
    with pytest.warns(UserWarning, match="not seen in fit"):  # ids of fit's type that are new still fall back, with the warning
        assert model.predict(pd.DataFrame({"user": [fit_as(999)], "item": [PAIRS["item"].astype(fit_as)[0]]})).shape == (1,)


def test_one_image_or_flat_pixels_get_a_hint_with_the_fitted_size() -> None:
    """An (H, W) array for a fitted model is one image: the message said to reshape to 28 x 28 whatever the model read."""
    model = CLASSIFIERS["ImageClassifier"][0]().fit(IMAGES, np.tile([0, 1], 6))
    with pytest.raises(DataError, match=r"Received shape \(6, 6\): this is one image: pass a batch of one, X\[None\]\.$"):
        model.predict(IMAGES[0])
    with pytest.raises(DataError, match=r"Received shape \(2, 36\): for flat rows of pixels reshape them to the fitted size, X\.reshape\(-1, 6, 6\)\.$"):
        model.predict(IMAGES[:2].reshape(2, -1))
    assert model.predict(IMAGES[0][None]).shape == (1,)


UTTERANCES = [RNG.normal(size=(9, 2)).astype(np.float32)] * 6
#: every app that trains for ``max_iter`` epochs -> fit it for two with ``progress_bar`` as given
PROGRESS: dict[str, Callable[[bool], Any]] = {
    "Autoencoder": lambda bar: Autoencoder((4,), n_components=2, max_iter=2, early_stopping=False, progress_bar=bar).fit(ROWS),
    "Forecaster": lambda bar: Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=2, early_stopping=False, progress_bar=bar).fit(SERIES),
    "Recommender": lambda bar: Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=2, progress_bar=bar).fit(PAIRS, RATINGS),
    "ImageClassifier": lambda bar: ImageClassifier("conv2k3,4", max_iter=2, early_stopping=False, progress_bar=bar).fit(IMAGES, [0, 1] * 6),
    "SequenceClassifier": lambda bar: SequenceClassifier("gru4", max_iter=2, early_stopping=False, progress_bar=bar).fit(list(FRAMES), [0, 1] * 6),
    "TextClassifier": lambda bar: TextClassifier("embed4,gru4", max_iter=2, early_stopping=False, progress_bar=bar).fit(TEXTS, [0, 1] * 6),
    "Translator": lambda bar: hl.apps.Translator(hidden_size=4, embed_dim=4, max_iter=2, early_stopping=False, progress_bar=bar).fit(TEXTS, TEXTS),
    "SpeechRecognizer": lambda bar: hl.apps.SpeechRecognizer("gru4", max_iter=2, early_stopping=False, progress_bar=bar).fit(UTTERANCES, ["ab", "ba"] * 3),
}


@pytest.mark.parametrize("name", list(PROGRESS))
def test_progress_bar_shows_the_epochs_on_stderr_as_the_mlps_does(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``progress_bar=True``: the MLP estimators' Rich bar over the epochs, on stderr; off by default (nothing on either stream)."""
    model = PROGRESS[name](True)
    shown = capsys.readouterr()
    assert f"training {name}" in shown.err and "2/2" in shown.err and shown.out == ""
    # the closing line in training's words for every app (the Recommender's own loop said a bare "max_epochs")
    assert f"training {name} stopped after epoch 2: reached the maximum number of epochs (max_epochs)" in " ".join(shown.err.split())
    assert model.get_params()["progress_bar"] is True and model.n_iter_ == 2
    PROGRESS[name](False)
    assert capsys.readouterr() == ("", "")


def test_the_apps_that_watch_an_error_show_it_positive_and_labelled_in_the_bar(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The Autoencoder's bar showed "val -1.0234", its validation score (the error negated, summed over the columns); the
    Forecaster's and Recommender's the negated error too. Now "val error" (the Autoencoder's mean squared reconstruction
    error of the validation rows, reconstruction_error's units) and "val loss" (the others' validation loss), as fit watches them."""
    monkeypatch.setenv("COLUMNS", "200")  # one line per bar, whole
    fits = {"Autoencoder": lambda: Autoencoder((4,), n_components=2, max_iter=2, early_stopping=True, random_state=0, progress_bar=True).fit(ROWS),
            "Forecaster": lambda: Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=2, early_stopping=True, random_state=0, progress_bar=True).fit(SERIES),
            "Recommender": lambda: Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=2, early_stopping=True, random_state=0,
                                               progress_bar=True).fit(PAIRS, RATINGS)}
    for name, fit in fits.items():
        model = fit()
        bar = [line for line in capsys.readouterr().err.splitlines() if "2/2" in line][-1]
        label, expected = ("val error", model.history_.val_loss[-1] / ROWS.shape[1]) if name == "Autoencoder" else ("val loss", model.history_.val_loss[-1])
        assert expected > 0 and f" {label} {expected:.4f} " in bar, (name, bar)
        assert " val -" not in bar
    # a loss="bpr" Recommender watches its held-out users' NDCG@10, a score (higher is better): its bar says so
    ranker = Recommender(n_factors=2, hidden_layer_sizes=(4,), loss="bpr", max_iter=2, random_state=0, progress_bar=True).fit(PAIRS, RATINGS)
    bar = [line for line in capsys.readouterr().err.splitlines() if "2/2" in line][-1]
    assert f" val ndcg@10 {ranker.validation_scores_[-1]:.4f} " in bar and " val loss" not in bar, bar
    # the figure is reconstruction_error's mean on the validation rows: for X_val, at the best epoch, whose weights fit keeps
    auto = Autoencoder((4,), n_components=2, max_iter=3, random_state=0).fit(ROWS[:40], X_val=ROWS[40:])
    best = auto.history_.val_loss[auto.history_.epoch.index(auto.history_.best_epoch)] / ROWS.shape[1]
    assert best == pytest.approx(auto.reconstruction_error(ROWS[40:]).mean(), rel=1e-5)


LEARNING_RATE_FITS: dict[str, tuple[type, tuple[Any, Any]]] = {
    "image": (ImageClassifier, (RNG.normal(size=(6, 8, 8)), [0, 1] * 3)),
    "text": (TextClassifier, (["a b", "c"] * 3, [0, 1] * 3)),
    "sequence": (SequenceClassifier, (UTTERANCES, [0, 1] * 3)),
    "speech": (hl.apps.SpeechRecognizer, (UTTERANCES, ["ab", "ba"] * 3)),
}


@pytest.mark.parametrize("app", sorted(LEARNING_RATE_FITS))
def test_a_number_for_learning_rate_points_to_learning_rate_init(app: str) -> None:  # Keras' learning_rate=1e-3
    cls, data = LEARNING_RATE_FITS[app]
    with pytest.raises(ValueError, match=r"^learning_rate must be one of constant, .*Received: learning_rate=0\.001\. A number is the step size: pass learning_rate_init=0\.001 "):
        cls(learning_rate=1e-3).fit(*data)


# -- n_features_in_: scikit-learn's count of the values one example holds, for the image classifier and the forecaster too --------
N_FEATURES_FITS: dict[str, tuple[Callable[[], Any], int, Any, str]] = {
    # name -> (fit a model, its n_features_in_, an input of another count, scikit-learn's message for it)
    "ImageClassifier": (lambda: ImageClassifier("conv2k3,4", max_iter=1, early_stopping=False, random_state=0).fit(IMAGES, [0, 1] * 6), 36,
                        np.zeros((2, 9, 9)), r"X has 81 features \(pixels per image, .*\), but ImageClassifier is expecting 36 features as input"),
    "Forecaster": (lambda: Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(SERIES), 1,
                   np.stack([SERIES, SERIES], axis=1), r"X has 2 features, but Forecaster is expecting 1 feature as input: .* e\.g\. X\[:, 0\]\.$"),
}


@pytest.mark.parametrize("name", list(N_FEATURES_FITS))
def test_n_features_in_is_set_by_fit_kept_by_files_and_checked_at_predict(name: str, tmp_path: Path) -> None:
    import pickle

    fit, count, other, message = N_FEATURES_FITS[name]
    model = fit()
    assert model.n_features_in_ == count and type(model.n_features_in_) is int
    model.save(tmp_path / "m.safetensors")
    for again in (hl.load(tmp_path / "m.safetensors"), pickle.loads(pickle.dumps(model))):
        assert again.n_features_in_ == count
    calls = (lambda: model.predict(other), lambda: model.score(other) if name == "Forecaster" else model.score(other, [0, 1]))
    for call in calls:
        with pytest.raises(DataError, match=message):
            call()
    assert not hasattr(type(model)(), "n_features_in_")  # a fitted attribute, as scikit-learn's


def test_a_forecaster_of_a_two_column_frame_names_its_first_column() -> None:
    model = N_FEATURES_FITS["Forecaster"][0]()
    frame = pd.DataFrame({"load": SERIES, "temperature": SERIES})
    with pytest.raises(DataError, match=r"^X has 2 features, but Forecaster is expecting 1 feature as input: .* e\.g\. X\['load'\]\.$"):
        model.predict(frame)
    assert model.predict(frame[["load"]]).shape == model.predict(SERIES).shape  # one column is the series


# -- no example at all: one error, in scikit-learn's words, from every app's predict/predict_proba/transform/score ----------------
EMPTY_FITS: dict[str, tuple[Callable[[], Any], list[Any], tuple[str, ...]]] = {
    # name -> (fit a small model, empty inputs of each form it reads, its methods that take X)
    "Autoencoder": (lambda: Autoencoder((4,), n_components=2, max_iter=1, random_state=0).fit(ROWS),
                    [[], np.empty((0, 4)), pd.DataFrame(ROWS[:0])], ("predict", "transform", "inverse_transform", "score_samples", "decision_function",
                                                                         "reconstruction_error", "feature_errors")),
    "Forecaster": (lambda: Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(SERIES), [[], np.empty(0)], ("predict", "score")),
    "Recommender": (lambda: Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(PAIRS, RATINGS),
                    [[], np.empty((0, 2)), PAIRS[:0], ([], [])], ("predict", "score")),
    "ImageClassifier": (lambda: ImageClassifier("conv2k3,4", max_iter=1, early_stopping=False, random_state=0).fit(IMAGES, [0, 1] * 6),
                        [[], np.empty((0, 6, 6))], ("predict", "predict_proba", "transform", "score")),
    "SequenceClassifier": (lambda: SequenceClassifier("gru4", max_iter=1, early_stopping=False, random_state=0).fit(list(FRAMES), [0, 1] * 6),
                           [[], np.empty((0, 4, 2))], ("predict", "predict_proba", "transform", "score")),
    "TextClassifier": (lambda: TextClassifier("embed4,gru4", max_iter=1, early_stopping=False, random_state=0).fit(TEXTS, [0, 1] * 6),
                       [[], np.array([], dtype=str), pd.Series([], dtype=str)], ("predict", "predict_proba", "transform", "score")),
    "SpeechRecognizer": (lambda: hl.apps.SpeechRecognizer("gru4", max_iter=1, early_stopping=False, random_state=0).fit(UTTERANCES, ["ab", "ba"] * 3),
                         [[], np.empty((0, 9, 2))], ("predict", "transform", "score")),
    "Translator": (lambda: hl.apps.Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(TEXTS, TEXTS),
                   [[], pd.Series([], dtype=str)], ("predict", "transform", "score")),
}
_EMPTY_MODELS: dict[str, Any] = {}


@pytest.mark.parametrize("name", list(EMPTY_FITS))
def test_no_example_is_one_error_in_scikit_learns_words_from_every_app(name: str) -> None:
    """predict([]) crashed in some apps, returned an empty answer in others (Recommender) and said it five ways elsewhere:
    every app's predict/predict_proba/transform/score now raise one ValueError, scikit-learn's 'Found array with 0 sample(s)'."""
    fit, empties, methods = EMPTY_FITS[name]
    model = _EMPTY_MODELS.setdefault(name, fit())
    for X in empties:
        shape = re.escape(str(getattr(X, "shape", (0,))))
        for method in methods:
            needs_y = method == "score" and name not in ("Autoencoder", "Forecaster")
            with pytest.raises(ValueError, match=rf"^Found array with 0 sample\(s\) \(shape={shape}\) while a minimum of 1 is required by {name}\.$"):
                getattr(model, method)(X, []) if needs_y else getattr(model, method)(X)
    with pytest.raises(NotFittedError):  # before fit, the fitted check comes first, as in scikit-learn
        getattr(type(model)(), methods[0])([])
