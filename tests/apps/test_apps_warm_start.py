"""warm_start=True on the classifier apps (ImageClassifier, SequenceClassifier, TextClassifier): a second fit goes on
from the fitted weights, keeps what the first fit learned from the data, refuses data and parameters that do not fit it,
numbers its epochs on, survives save/load and pickling, and clone drops it."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

from hiddenlayers.apps import ImageClassifier, SequenceClassifier, TextClassifier

GOOD = ["good", "great", "fine", "superb"]
BAD = ["bad", "awful", "dull", "poor"]
FILLER = "the a film plot was is and very this with of".split()


def _sentences(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Sentences of filler words with one or two sentiment words; label 'pos' or 'neg'."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        words = [*rng.choice(FILLER, size=int(rng.integers(3, 8))), *rng.choice(GOOD if label else BAD, size=int(rng.integers(1, 3)))]
        rng.shuffle(words)
        X.append(" ".join(words))
        y.append("pos" if label else "neg")
    return X, np.array(y)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return d.images / 16.0, d.target


Case = tuple[Callable[..., Any], Any, Any, Any, Any]  # (make(**params), X, y, X_test, y_test)


_MODELS: dict[str, tuple[type, Any, dict[str, Any]]] = {  # kind -> (class, spec, its own parameters)
    "image": (ImageClassifier, "conv4k3:same,pool2,16", {}),
    "sequence": (SequenceClassifier, "gru16", {"learning_rate_init": 1e-2}),  # each digit's 8 rows read top to bottom: 8 steps of 8 features
    "text": (TextClassifier, "embed8,gru8", {"learning_rate_init": 1e-2}),
}


def _case(kind: str, digits: tuple[np.ndarray, np.ndarray]) -> Case:
    cls, spec, own = _MODELS[kind]

    def make(**kw: Any) -> Any:
        return cls(spec, **{"max_iter": 2, "early_stopping": False, "random_state": 0, "device": "cpu", "warm_start": True, **own, **kw})

    if kind == "text":
        X, y = _sentences(300, 0)
        Xt, yt = _sentences(200, 1)
        return make, X, y, Xt, yt
    images, labels = digits
    return make, images[:1000], labels[:1000], images[1000:], labels[1000:]


KINDS = ["image", "sequence", "text"]


def _weights(model: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].double(), b[k].double(), rtol=0, atol=atol) for k in a)


@pytest.fixture(scope="module", params=KINDS)
def fitted(request: pytest.FixtureRequest, digits: tuple[np.ndarray, np.ndarray]) -> tuple[Any, Case]:
    """A warm_start=True model after its first fit (2 epochs), and its case."""
    case = _case(request.param, digits)
    make, X, y, _, _ = case
    return make().fit(X, y), case


@pytest.mark.parametrize("kind", KINDS)
def test_second_fit_starts_from_the_first_fits_weights(kind: str, digits: tuple[np.ndarray, np.ndarray]) -> None:
    make, X, y, _, _ = _case(kind, digits)
    model = make().fit(X, y)
    end = _weights(model)
    model.set_params(learning_rate_init=1e-12, max_iter=1)  # a training parameter: free between warm fits
    model.fit(X, y)
    assert _same(_weights(model), end, atol=1e-6)  # one epoch of steps too small to move: the first fit's end weights
    cold = make(warm_start=False, learning_rate_init=1e-12, max_iter=1).fit(X, y)
    assert not _same(_weights(cold), end, atol=1e-3)  # a fresh fit starts from new weights, far from them


@pytest.mark.parametrize("kind", KINDS)
def test_warm_fit_goes_on_numbering_epochs_and_improves(kind: str, digits: tuple[np.ndarray, np.ndarray]) -> None:
    make, X, y, Xt, yt = _case(kind, digits)
    model = make().fit(X, y)
    first_curve, first_score = list(model.loss_curve_), model.score(Xt, yt)
    model.fit(X, y)
    assert model.n_iter_ == 4 and model.history_.epoch == [1, 2, 3, 4]
    assert model.loss_curve_[:2] == first_curve  # the first fit's epochs stay in history_
    assert model.loss_curve_[2] < first_curve[0]  # it starts where the first fit left, not at a fresh network's loss
    assert model.loss_curve_[-1] < first_curve[-1]
    assert model.score(Xt, yt) >= first_score - 0.02


@pytest.mark.parametrize("kind", KINDS)
def test_identical_warm_sequences_give_identical_weights(kind: str, digits: tuple[np.ndarray, np.ndarray]) -> None:
    make, X, y, _, _ = _case(kind, digits)
    a, b = make(max_iter=1), make(max_iter=1)
    for model in (a, b):
        model.fit(X, y).fit(X[:200], y[:200])
    assert _same(_weights(a), _weights(b))


def test_a_new_class_is_refused_and_the_model_kept(fitted: tuple[Any, Case]) -> None:
    model, (_, X, y, _, _) = fitted
    before, labels = _weights(model), np.asarray(y).copy()
    new = 10 if labels.dtype.kind in "iu" else "neutral"
    labels = labels if labels.dtype.kind in "iu" else labels.astype(object)  # room for a longer string
    labels[:3] = new
    with pytest.raises(ValueError, match=rf"y has class\(es\) \[{new!r}\] that the fitted model does not know .*warm_start=False"):
        model.fit(X, labels)
    assert _same(_weights(model), before) and model.n_iter_ == 2


def test_a_subset_of_the_classes_trains(fitted: tuple[Any, Case], digits: tuple[np.ndarray, np.ndarray]) -> None:
    model, (make, X, y, _, _) = fitted
    keep = np.isin(y, np.asarray(model.classes_)[:2])
    warm = make().fit(X, y).fit([x for x, k in zip(X, keep) if k] if isinstance(X, list) else X[keep], np.asarray(y)[keep])
    assert warm.n_iter_ == 4 and list(warm.classes_) == list(model.classes_)


@pytest.mark.parametrize(("kind", "params", "name"), [
    ("image", {"hidden_layer_sizes": "conv4k3:same,pool2,8"}, "hidden_layer_sizes"),
    ("image", {"activation": "tanh"}, "activation"),
    ("sequence", {"hidden_layer_sizes": "lstm16"}, "hidden_layer_sizes"),
    ("text", {"tokenizer": "char"}, "tokenizer"),
    ("text", {"max_vocab": 5}, "max_vocab"),
])
def test_a_changed_architecture_parameter_is_refused(kind: str, params: dict[str, Any], name: str, digits: tuple[np.ndarray, np.ndarray]) -> None:
    make, X, y, _, _ = _case(kind, digits)
    model = make(max_iter=1).fit(X, y)
    model.set_params(**params)
    with pytest.raises(ValueError, match=rf"warm_start=True goes on from the fitted network.*Received: {name}=.*set warm_start=False"):
        model.fit(X, y)
    model.set_params(warm_start=False).fit(X, y)  # the fix: a new network
    assert model.n_iter_ == 1


def test_the_same_spec_written_another_way_is_not_a_change(digits: tuple[np.ndarray, np.ndarray]) -> None:
    make, X, y, _, _ = _case("sequence", digits)
    model = make(max_iter=1).fit(X, y)
    model.set_params(hidden_layer_sizes=["gru16"]).fit(X, y)
    assert model.n_iter_ == 2


def test_images_of_another_size_are_refused(fitted: tuple[Any, Case]) -> None:
    model, (_, X, y, _, _) = fitted
    if not isinstance(model, ImageClassifier):
        pytest.skip("images only")
    with pytest.raises(ValueError, match=r"fitted on images of shape \(C, H, W\) \(1, 8, 8\), but X has .* \(1, 6, 6\): .*resize them to 8 x 8 "
                                         r"pixels, or set warm_start=False"):
        model.fit(X[:50, :6, :6], y[:50])


def test_frames_with_other_features_are_refused(fitted: tuple[Any, Case]) -> None:
    model, (_, X, y, _, _) = fitted
    if type(model) is not SequenceClassifier:
        pytest.skip("frames only")
    with pytest.raises(ValueError, match="X has 6 features per step but the model was fitted on 8"):
        model.fit(X[:50, :, :6], y[:50])


def test_longer_sequences_than_fitted_are_read_in_full_shorter_ones_padded(fitted: tuple[Any, Case]) -> None:
    """A warm fit reads a text longer than the first fit's longest in full, as predict reads it (it was refused); max_len_ follows."""
    model, (make, X, y, _, _) = fitted
    if not isinstance(model, TextClassifier):
        pytest.skip("texts only")
    warm = make().fit(X, y)
    longest = warm.max_len_
    warm.fit(["good " * (longest + 3), "bad"] * 5, ["pos", "neg"] * 5)
    assert warm.max_len_ == longest + 3 and warm.n_iter_ == 4
    warm.fit(["good", "bad"] * 5, ["pos", "neg"] * 5)  # shorter than any of the first fit's: padded
    assert warm.n_iter_ == 6 and warm.max_len_ == longest + 3


def test_a_warm_fit_learns_from_the_steps_past_the_first_fits_longest() -> None:
    """The label is the sign of step 8; the first fit saw 5 steps. Trained on the full sequences (not cut to max_len_), the warm
    fit reads step 8 as predict does: held-out accuracy near 1 (cut to 5 steps it could not beat a coin)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 8, 1))
    y = (X[:, 7, 0] > 0).astype(int)
    model = SequenceClassifier("gru8", max_iter=1, early_stopping=False, random_state=0, warm_start=True, device="cpu").fit(X[:400, :5], y[:400])
    assert model.max_len_ == 5
    model.set_params(max_iter=20, learning_rate_init=0.01).fit(X[:400], y[:400])
    assert model.max_len_ == 8 and model.n_iter_ == 21
    assert model.score(X[400:], y[400:]) > 0.9


def test_a_spec_that_flattens_time_refuses_other_lengths_as_predict_does() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5, 2)), np.arange(60) % 2
    model = SequenceClassifier("8", max_iter=1, early_stopping=False, random_state=0, warm_start=True, device="cpu").fit(X, y)
    assert model.network_.fixed_length
    longer = rng.normal(size=(60, 7, 2))
    for call in (model.predict, lambda Z: model.fit(Z, y)):
        with pytest.raises(ValueError, match="sequence 0 has 7 steps but this spec flattens the time axis, so every sequence needs 5"):
            call(longer)
    assert model.n_iter_ == 1 and model.max_len_ == 5


def test_text_keeps_its_vocabulary(fitted: tuple[Any, Case]) -> None:
    model, (make, X, y, _, _) = fitted
    if not isinstance(model, TextClassifier):
        pytest.skip("texts only")
    warm = make().fit(X, y)
    vocab = warm.tokenizer_.to_json()
    warm.fit(["brandnew words everywhere good"] * 10 + ["brandnew terrible awful"] * 10, ["pos"] * 10 + ["neg"] * 10)
    assert warm.tokenizer_.to_json() == vocab and warm.n_iter_ == 4


def test_save_load_then_warm_fit(fitted: tuple[Any, Case], tmp_path: Path) -> None:
    model, (_, X, y, _, _) = fitted
    path = tmp_path / "m.safetensors"
    model.save(path)
    loaded = type(model).load(path)
    assert loaded.warm_start is True and loaded.n_iter_ == model.n_iter_
    end = _weights(loaded)
    loaded.set_params(learning_rate_init=1e-12, max_iter=1).fit(X, y)
    assert _same(_weights(loaded), end, atol=1e-6) and loaded.n_iter_ == model.n_iter_ + 1
    loaded.set_params(hidden_layer_sizes="32")
    with pytest.raises(ValueError, match="Received: hidden_layer_sizes='32'"):  # the loaded model knows what built it
        loaded.fit(X, y)


def test_pickled_model_warm_fits(fitted: tuple[Any, Case]) -> None:
    model, (_, X, y, _, _) = fitted
    copy = pickle.loads(pickle.dumps(model))
    copy.set_params(max_iter=1).fit(X, y)
    assert copy.n_iter_ == model.n_iter_ + 1


def test_clone_is_unfitted_and_keeps_warm_start(fitted: tuple[Any, Case]) -> None:
    model, (_, X, y, _, _) = fitted
    twin = clone(model)
    assert twin.get_params()["warm_start"] is True and not twin.__sklearn_is_fitted__()
    twin.set_params(max_iter=1).fit(X, y)  # its first fit is a fresh one
    assert twin.n_iter_ == 1


def test_frozen_layers_stay_fixed_in_a_warm_fit(digits: tuple[np.ndarray, np.ndarray]) -> None:
    make, X, y, _, _ = _case("image", digits)
    model = make(freeze=1, max_iter=1).fit(X, y)
    first = model.network_.hidden_names[0]
    before = {k: v.clone() for k, v in model.network_.state_dict().items() if k.startswith(first)}
    model.fit(X, y)
    after = model.network_.state_dict()
    assert before and all(torch.equal(v, after[k]) for k, v in before.items())
    assert model.n_iter_ == 2


def test_a_warm_fit_unfreezes_the_layers_freeze_no_longer_names(digits: tuple[np.ndarray, np.ndarray]) -> None:
    """Keras' fine-tuning recipe, as the MLP estimators' warm fit takes it: fit with a layer frozen, then set_params(freeze=None)
    and fit again to train it too (the apps kept the first fit's frozen layers fixed whatever freeze said, without a word)."""
    make, X, y, _, _ = _case("image", digits)
    model = make(freeze=1, max_iter=1).fit(X[:300], y[:300])
    first = model.network_.hidden_names[0]
    before = {k: v.clone() for k, v in model.network_.state_dict().items() if k.startswith(first)}
    model.set_params(freeze=None).fit(X[:300], y[:300])
    after = model.network_.state_dict()
    assert not any(torch.equal(v, after[k]) for k, v in before.items())
    assert model.frozen_ == [] and model.provenance_ is None
    model.set_params(freeze=[first]).fit(X[:300], y[:300])  # and frozen again: the record follows
    assert model.frozen_ == [first] and model.provenance_["frozen"] == [first]
    with pytest.raises(ValueError, match=r"freeze"):  # a freeze that names no layer is refused as a fresh fit refuses it
        model.set_params(freeze=9).fit(X[:300], y[:300])
    assert model.frozen_ == [first] and model.n_iter_ == 3


def test_a_forecasters_warm_fit_follows_freeze_too() -> None:
    from hiddenlayers.apps import Forecaster

    series = np.sin(np.arange(120) / 5.0)
    model = Forecaster(window=6, hidden_layer_sizes=(4, 4), max_iter=2, early_stopping=False, random_state=0, warm_start=True, freeze=1).fit(series)
    before = model.network_.state_dict()["hidden1.linear.weight"].clone()
    model.fit(series)
    assert torch.equal(model.network_.state_dict()["hidden1.linear.weight"], before)  # freeze unchanged: still fixed
    model.set_params(freeze=None).fit(series)
    assert not torch.equal(model.network_.state_dict()["hidden1.linear.weight"], before) and model.frozen_ == []
