"""``weight_averaging`` on the applications trained by ``hl.training.train``: one app per fit path (the squared-error fit of the
Autoencoder and Forecaster; the ImageClassifier's; the SequenceClassifier's, which the TextClassifier shares; the SpeechRecognizer's)
gives the EMA and the SWA written out by hand from the weights a callback records; early stopping scores and keeps the averaged
weights; files, get_params and clone keep the settings; warm fits start a new average; bad values are refused in the MLP estimators' words."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone

import hiddenlayers as hl
from averaging_helpers import RecordWeights, flat
from hiddenlayers.apps import Autoencoder, Forecaster, ImageClassifier, SequenceClassifier, SpeechRecognizer, TextClassifier
from hiddenlayers.training import Callback

pytestmark = pytest.mark.filterwarnings("ignore:ema_decay=.* averages over about:UserWarning")

RNG = np.random.default_rng(0)
ROWS = RNG.normal(size=(60, 4))
SERIES = np.sin(np.arange(65) / 4)
IMAGES, IMAGE_LABELS = RNG.random((24, 6, 6)), np.repeat([0, 1], 12)
FRAMES, FRAME_LABELS = RNG.normal(size=(24, 5, 2)), np.repeat([0, 1], 12)
TEXTS = [f"w{i % 5} w{i % 3}" for i in range(24)]
UTTERANCES, TRANSCRIPTS = RNG.normal(size=(12, 8, 3)).astype(np.float32), ["ab", "ba"] * 6

# name -> (make(**params): an app of 12 steps in 3 epochs, 4 per epoch, the fit's arguments)
APPS: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
    "Autoencoder": (lambda **k: Autoencoder((4,), n_components=2, batch_size=15, **k), (ROWS,)),
    "Forecaster": (lambda **k: Forecaster(5, 1, (4,), batch_size=15, **k), (SERIES,)),
    "ImageClassifier": (lambda **k: ImageClassifier("conv2k3:bn,gap", batch_size=6, **k), (IMAGES, IMAGE_LABELS)),
    "SequenceClassifier": (lambda **k: SequenceClassifier("gru4", batch_size=6, **k), (FRAMES, FRAME_LABELS)),
    "TextClassifier": (lambda **k: TextClassifier("embed4,gru4", batch_size=6, **k), (TEXTS, FRAME_LABELS)),
    "SpeechRecognizer": (lambda **k: SpeechRecognizer("gru4:bi", batch_size=3, **k), (UTTERANCES, TRANSCRIPTS)),
}
BASE = {"early_stopping": False, "random_state": 0, "device": "cpu"}


def _fit(name: str, **params: Any) -> Any:
    make, data = APPS[name]
    return make(**{**BASE, **params}).fit(*data)


@pytest.mark.parametrize("name", list(APPS))
def test_ema_equals_the_hand_computed_average_of_the_steps(name: str) -> None:
    rec = RecordWeights()
    model = _fit(name, max_iter=3, weight_averaging="ema", ema_decay=0.6, callbacks=[rec])
    assert len(rec.steps) == 12
    ema = rec.steps[0]  # the first step's weights start it (AveragedModel's rule)
    for w in rec.steps[1:]:
        ema = 0.6 * ema + 0.4 * w
    torch.testing.assert_close(flat(model.network_), ema, rtol=1e-5, atol=1e-6)
    assert not torch.equal(flat(model.network_), rec.steps[-1])  # not the raw weights


@pytest.mark.parametrize("name", list(APPS))
def test_swa_is_the_mean_of_the_epoch_end_weights_from_swa_start(name: str) -> None:
    rec = RecordWeights()
    model = _fit(name, max_iter=4, weight_averaging="swa", swa_start=2, callbacks=[rec])
    torch.testing.assert_close(flat(model.network_), torch.stack(rec.epochs[1:]).mean(0), rtol=1e-5, atol=1e-6)


def test_swa_recomputes_the_batch_norm_statistics_for_the_averaged_weights() -> None:
    """The running mean and variance are those of one pass over the training images with the averaged weights (update_bn),
    not the raw trajectory's."""
    from torch.optim.swa_utils import update_bn

    model = _fit("ImageClassifier", max_iter=4, weight_averaging="swa", swa_start=2)
    bn = next(m for m in model.network_.modules() if isinstance(m, torch.nn.BatchNorm2d))
    kept = bn.running_mean.clone(), bn.running_var.clone()
    X = torch.as_tensor(model._check_X(IMAGES), dtype=torch.float32)
    update_bn([X[i : i + 6] for i in range(0, 24, 6)], model.network_)
    torch.testing.assert_close((bn.running_mean, bn.running_var), kept)


def test_averaging_leaves_the_raw_training_alone() -> None:
    plain = _fit("Forecaster", max_iter=3)
    ema = _fit("Forecaster", max_iter=3, weight_averaging="ema", ema_decay=0.6)
    assert ema.loss_curve_ == plain.loss_curve_  # loss_curve_ is the raw weights' training loss
    assert not torch.equal(flat(ema.network_), flat(plain.network_))


class _Stop(Callback):
    def on_epoch_end(self, *, state: Any, logs: dict[str, Any], **kwargs: Any) -> None:
        state.stop_training = logs["epoch"] >= 1


def test_an_swa_stopped_before_swa_start_says_nothing_was_averaged() -> None:
    with pytest.warns(UserWarning, match=r"the fit stopped after 1 epochs \(callback\), before swa_start's epoch 3: no weights were averaged"):
        _fit("Autoencoder", max_iter=4, weight_averaging="swa", swa_start=3, callbacks=[_Stop()])


def test_early_stopping_scores_and_keeps_the_averaged_weights() -> None:
    """Validation scores the average: the kept weights are the best epoch's mean, and best_validation_score_ is their accuracy on X_val."""
    rec = RecordWeights()
    X_val, y_val = RNG.random((12, 6, 6)), np.repeat([0, 1], 6)
    model = ImageClassifier("conv2k3:bn,gap", batch_size=6, max_iter=5, n_iter_no_change=100, random_state=0, device="cpu", learning_rate_init=0.05,
                            weight_averaging="swa", swa_start=2, callbacks=[rec]).fit(IMAGES, IMAGE_LABELS, X_val=X_val, y_val=y_val)
    best = model.history_.best_epoch
    assert best is not None and best >= 2
    torch.testing.assert_close(flat(model.network_), torch.stack(rec.epochs[1:best]).mean(0), rtol=1e-5, atol=1e-6)
    assert model.best_validation_score_ == pytest.approx(model.score(X_val, y_val))


def test_a_warm_fit_starts_a_new_average_from_the_model() -> None:
    model = _fit("Autoencoder", max_iter=3, weight_averaging="swa", swa_start=2, warm_start=True)
    rec = RecordWeights()
    model.set_params(callbacks=[rec]).fit(ROWS)
    assert len(rec.epochs) == 3 and model.n_iter_ == 6
    torch.testing.assert_close(flat(model.network_), torch.stack(rec.epochs[1:]).mean(0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "params"), [
    ("Autoencoder", {"weight_averaging": "ema", "ema_decay": 0.9}),
    ("Forecaster", {"weight_averaging": "swa", "swa_start": 2}),
    ("ImageClassifier", {"weight_averaging": "swa", "swa_start": 0.5, "swa_lr": 0.01, "swa_anneal_epochs": 1, "swa_anneal_strategy": "linear"}),
    ("TextClassifier", {"weight_averaging": "ema", "ema_decay": 0.5}),
    ("SequenceClassifier", {"weight_averaging": "swa", "swa_start": 3}),
    ("SpeechRecognizer", {"weight_averaging": "ema", "ema_decay": 0.8}),
])
def test_files_get_params_and_clone_keep_the_averaging(name: str, params: dict[str, Any], tmp_path: Path) -> None:
    model = _fit(name, max_iter=3, **params)
    assert {k: model.get_params()[k] for k in params} == params
    assert clone(model).get_params() == model.get_params()
    model.save(tmp_path / "m.safetensors")
    back = hl.load(tmp_path / "m.safetensors")
    assert back.get_params() == {**model.get_params(), "callbacks": None}
    assert type(back.swa_start) is type(model.swa_start)  # an epoch number stays an int, a share a float
    X = APPS[name][1][0]
    if name == "Forecaster":
        np.testing.assert_array_equal(back.predict(5), model.predict(5))
    elif name == "Autoencoder":
        np.testing.assert_array_equal(back.score_samples(X), model.score_samples(X))
    else:
        assert list(back.predict(X)) == list(model.predict(X))


def test_a_file_saved_before_weight_averaging_loads_with_the_defaults(tmp_path: Path) -> None:
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    _fit("Forecaster", max_iter=2).save(tmp_path / "m.safetensors")
    with safe_open(str(tmp_path / "m.safetensors"), framework="pt") as fh:
        metadata = fh.metadata()
    meta = json.loads(metadata["hiddenlayers"])
    for key in ("weight_averaging", "ema_decay", "swa_start", "swa_lr", "swa_anneal_epochs", "swa_anneal_strategy"):
        del meta["params"][key]
    save_file(load_file(str(tmp_path / "m.safetensors")), str(tmp_path / "old.safetensors"), metadata={**metadata, "hiddenlayers": json.dumps(meta)})
    back = hl.load(tmp_path / "old.safetensors")
    assert (back.weight_averaging, back.ema_decay, back.swa_start, back.swa_lr, back.swa_anneal_epochs, back.swa_anneal_strategy) == (
        None, 0.99, 0.75, None, 10, "cos")


# the MLP estimators' messages (tests/estimators/test_weight_averaging.py pins them there)
REFUSALS = [
    ({"ema_decay": 1.0}, "ema_decay must be"),
    ({"weight_averaging": "mean"}, "weight_averaging must be None, 'ema' or 'swa'"),
    ({"weight_averaging": "swa", "swa_start": 1.5}, "swa_start must be a share of max_iter in (0, 1] or an epoch number >= 1"),
    ({"weight_averaging": "swa", "swa_start": 9, "max_iter": 5}, "swa_start must be an epoch <= max_iter=5 (no epoch past it would be averaged). "
                                                                 "Received: swa_start=9;"),
    ({"swa_lr": 0.05}, "swa_lr sets the learning rate of SWA's epochs and needs weight_averaging='swa'. Received: swa_lr=0.05 with "
                       "weight_averaging='ema'; set weight_averaging='swa', or swa_lr=None."),
    ({"weight_averaging": None, "ema_decay": 0.9}, "ema_decay is a setting of weight_averaging='ema' and would be ignored without it. "
                                                   "Received: ema_decay=0.9 with weight_averaging=None;"),
    ({"weight_averaging": "swa", "swa_anneal_epochs": 3}, "swa_anneal_epochs is a setting of swa_lr (how SWA's rate is reached) and would be "
                                                          "ignored without it."),
    ({"weight_averaging": "swa", "swa_lr": 0.0}, "swa_lr must be None or a number > 0"),
]


@pytest.mark.parametrize("name", ["Autoencoder", "ImageClassifier", "TextClassifier", "SpeechRecognizer"])
@pytest.mark.parametrize(("params", "message"), REFUSALS)
def test_bad_values_are_refused_in_the_estimators_words(name: str, params: dict[str, Any], message: str) -> None:
    make, data = APPS[name]
    model = make(**{**BASE, "weight_averaging": "ema", **params})
    with pytest.raises(ValueError) as err:
        model.fit(*data)
    assert message in str(err.value)
    with pytest.raises(ValueError) as mlp:  # the same words as the MLP estimators'
        hl.MLPClassifier((4,), **{"weight_averaging": "ema", **params}).fit(ROWS, ROWS[:, 0] > 0)
    assert message in str(mlp.value)
    assert not hasattr(model, "network_")


def test_lbfgs_is_refused_as_the_estimators_refuse_it() -> None:
    with pytest.raises(ValueError, match=r"weight_averaging averages the steps of a stochastic solver, and solver='lbfgs' takes full-batch"):
        _fit("SequenceClassifier", solver="lbfgs", weight_averaging="swa")


@pytest.mark.parametrize("name", ["ImageClassifier", "SequenceClassifier", "TextClassifier"])
def test_partial_fit_is_unavailable_with_averaging_as_for_the_estimators(name: str) -> None:
    make, data = APPS[name]
    assert hasattr(make(), "partial_fit")
    model = make(weight_averaging="swa")
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError) as err:
        model.partial_fit(*data, classes=[0, 1])
    assert "weight_averaging is not supported with partial_fit: each call is one epoch and keeps no average between calls." in str(err.value.__cause__)


def test_ema_spanning_more_steps_than_the_fit_takes_warns_as_the_estimators() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        with pytest.warns(UserWarning, match=r"ema_decay=0.99 averages over about 100 steps, but this fit takes at most 12"):
            _fit("Forecaster", max_iter=3, weight_averaging="ema")


def test_swa_learns_a_wave() -> None:
    """A learning check: the SWA forecaster of a sine wave forecasts it about as well as the plain one (a broken average would not)."""
    wave = np.sin(np.arange(300) * 2 * np.pi / 25)
    plain = Forecaster(10, 1, (16,), max_iter=40, early_stopping=False, random_state=0, device="cpu").fit(wave[:250])
    swa = Forecaster(10, 1, (16,), max_iter=40, early_stopping=False, random_state=0, device="cpu", weight_averaging="swa").fit(wave[:250])

    def error(m: Any) -> float:
        return float(np.mean((m.predict(wave[240:])[:-1, 0] - wave[250:]) ** 2))

    assert error(swa) < 0.01 and error(swa) < 2 * error(plain) + 1e-3
