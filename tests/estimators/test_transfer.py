"""init_from / freeze: copy hidden layers from a source model, keep frozen layers fixed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.network import Network
from hiddenlayers.training import copy_hidden_layers, frozen


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.fixture(scope="module")
def source(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((24, 16), max_iter=15, random_state=0).fit(X[:600], y[:600])


def _fit(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((24, 16), max_iter=5, random_state=1, **kw)


@pytest.mark.parametrize("engine", ["auto", "autograd"])
@pytest.mark.parametrize("solver,alpha", [("adam", 1e-3), ("sgd", 1e-2), ("adamw", 1e-2)])
def test_frozen_layer_is_bit_identical(digits, source, engine, solver, alpha):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = hl.MLPClassifier((24, 16), max_iter=5, random_state=1, init_from=source, freeze=1, engine=engine, solver=solver, alpha=alpha).fit(X[600:800], y[600:800])
    assert t.transferred_ == ["hidden1", "hidden2"]
    assert t.frozen_ == ["hidden1"]
    assert np.array_equal(t.coefs_[0], source.coefs_[0]) and np.array_equal(t.intercepts_[0], source.intercepts_[0])
    assert not np.array_equal(t.coefs_[1], source.coefs_[1])  # the unfrozen copy trained on
    assert all(p.requires_grad for p in t.network_.parameters())  # flags restored after fit


def test_a_frozen_layers_batch_norm_keeps_its_running_statistics(digits):
    """A frozen layer computes after the fit what it computed before: its batch norm runs in inference mode, as Keras runs a layer with trainable=False."""
    X, y = digits
    Xs, hidden = X, "24:norm=batch,16"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = hl.MLPClassifier(hidden, max_iter=3, random_state=0).fit(Xs[:600], y[:600])
        before = {k: v.clone() for k, v in src.network_.hidden1.state_dict().items()}
        t = hl.MLPClassifier(hidden, max_iter=3, random_state=1, init_from=src, freeze=1).fit(Xs[600:900] * 2 + 0.5, y[600:900])
    after = t.network_.hidden1.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), [k for k in before if not torch.equal(before[k], after[k])]
    assert not t.network_.training and all(not m.training for m in t.network_.modules())
    norm = t.network_.hidden1.norm
    assert not norm._forward_hooks and not norm._forward_pre_hooks and "_hl_was_training" not in norm.__dict__
    assert not np.array_equal(t.coefs_[-1], src.coefs_[-1])  # the head trained on


@pytest.mark.parametrize("in_shape,spec,bad", [(4, "6:norm=batch", (3, 5)), ((1, 8, 8), "conv6k3:norm=batch,5", (3, 2, 8, 8))])
def test_frozen_puts_the_batch_norm_mode_back_after_a_forward_that_raises(in_shape, spec, bad):
    net = Network(in_shape, spec, 2).train()
    shape = (3, in_shape) if isinstance(in_shape, int) else (3, *in_shape)
    with frozen(net, ["hidden1"]):
        net(torch.randn(shape) + 3.0)  # inference mode: running statistics unchanged
        with pytest.raises((RuntimeError, ValueError)):  # ValueError: a dense input of the wrong width, named by Network
            net(torch.zeros(bad))
    assert net.hidden1.norm.training and torch.equal(net.hidden1.norm.running_mean, torch.zeros(6))
    net(torch.randn(shape) + 3.0)  # outside the block it trains again
    assert not torch.equal(net.hidden1.norm.running_mean, torch.zeros(6))


def test_freeze_by_name_and_engines_agree(digits, source):
    X, y = digits
    fits = [_fit(init_from=source, freeze=["hidden2"], engine=e).fit(X[600:800], y[600:800]) for e in ("auto", "autograd")]
    for t in fits:
        assert t.frozen_ == ["hidden2"]
        assert np.array_equal(t.coefs_[1], source.coefs_[1])
        assert not np.array_equal(t.coefs_[0], source.coefs_[0])  # gradient still flows through the frozen layer
    np.testing.assert_allclose(fits[0].coefs_[0], fits[1].coefs_[0], rtol=1e-4, atol=1e-5)


def test_mismatched_layer_is_a_clear_error(digits, source):
    X, y = digits
    with pytest.raises(ValueError, match=r"init_from: layer hidden2 does not match: source DenseLayer \(16, 24\) vs target DenseLayer \(20, 24\)"):
        hl.MLPClassifier((24, 20), init_from=source).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match=r"layer hidden1 does not match: source DenseLayer \(24, 64\) vs target DenseLayer \(24, 10\)"):
        hl.MLPClassifier((24,), init_from=source).fit(X[:50, :10], y[:50])


def test_deeper_target_copies_the_shared_layers_and_says_so(digits, source, capsys):
    X, y = digits
    t = _fit(init_from=source, verbose=True, freeze=2)
    t.set_params(hidden_layer_sizes=(24, 16, 8)).fit(X[600:700], y[600:700])
    assert t.transferred_ == ["hidden1", "hidden2"]
    out = capsys.readouterr().out
    assert "init_from MLPClassifier: copied hidden1, hidden2; new: hidden3" in out
    assert "frozen: hidden1, hidden2" in out


@pytest.mark.parametrize(
    "freeze,err,msg",
    [
        (3, ValueError, r"freeze must be 0\.\.2 \(the number of hidden layers to keep fixed\)\. Received: freeze=3\."),
        (["hidden9"], ValueError, r"freeze names unknown layer\(s\) \['hidden9'\]: the hidden layers are \['hidden1', 'hidden2'\]\."),
        (1.5, TypeError, r"freeze must be an int"),
    ],
)
def test_bad_freeze(digits, freeze, err, msg):
    X, y = digits
    with pytest.raises(err, match=msg):
        _fit(freeze=freeze).fit(X[:50], y[:50])


def test_bad_init_from(digits, tmp_path):
    X, y = digits
    with pytest.raises(TypeError, match="init_from must be a fitted model"):
        _fit(init_from=hl.MLPClassifier()).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="init_from: no model file at"):
        _fit(init_from=str(tmp_path / "nope.safetensors")).fit(X[:50], y[:50])


def test_columns_matched_by_name(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    cols = [f"px{i}" for i in range(X.shape[1])]
    src = _fit().fit(pd.DataFrame(X[:300], columns=cols), y[:300])
    order = cols[::-1]
    t = _fit(init_from=src, freeze=1).fit(pd.DataFrame(X[300:500], columns=cols)[order], y[300:500])
    np.testing.assert_array_equal(t.coefs_[0], src.coefs_[0][::-1])  # rows of coefs_ follow the columns
    with pytest.raises(ValueError, match=r"input column\(s\) \['extra'\] are not among the source model's columns"):
        _fit(init_from=src).fit(pd.DataFrame(X[:50], columns=cols).assign(extra=1.0), y[:50])


def test_model_file_source_records_provenance(digits, source, tmp_path):
    import hashlib

    X, y = digits
    path = tmp_path / "src.safetensors"
    source.save(path)
    t = _fit(init_from=str(path), freeze=1).fit(X[600:700], y[600:700])
    assert np.array_equal(t.coefs_[0], source.coefs_[0])
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert t.provenance_ == {"source": "src.safetensors", "source_sha256": sha, "transferred": ["hidden1", "hidden2"], "frozen": ["hidden1"]}
    out = tmp_path / "tgt.safetensors"
    t.save(out)
    loaded = hl.load(out)
    assert loaded.provenance_ == t.provenance_ and loaded.init_from is None
    np.testing.assert_array_equal(loaded.predict(X[:20]), t.predict(X[:20]))


def test_head_first_schedule(digits, source):
    X, y = digits
    t = _fit(init_from=source, freeze="head_first").fit(X[600:800], y[600:800])
    assert t.frozen_ == []
    assert not np.array_equal(t.coefs_[0], source.coefs_[0])  # phase 2 trained every layer
    assert t.history_.lr[-1] == pytest.approx(t.learning_rate_init * 0.1)  # ... at the lower rate
    assert len(t.history_) == 10  # 5 epochs head only, then 5 of everything


def test_image_classifier_head_first(digits, monkeypatch):
    """ImageClassifier's head_first: phase 1 trains the head with every hidden layer fixed, phase 2 all at 0.1 x the rate."""
    from hiddenlayers.apps import _image

    X, y = digits
    kw = dict(max_iter=3, early_stopping=False, n_iter_no_change=10, random_state=0)
    src = hl.ImageClassifier("conv4k3,pool2,16", **kw).fit(X[:300].reshape(-1, 8, 8), y[:300])
    calls = []

    def spy(network, *args, **kwargs):
        calls.append((kwargs["learning_rate_init"], [p.requires_grad for p in network.parameters()]))
        return real(network, *args, **kwargs)

    real = _image.train
    monkeypatch.setattr(_image, "train", spy)
    t = hl.ImageClassifier("conv4k3,pool2,16", init_from=src, freeze="head_first", **kw).fit(X[300:400].reshape(-1, 8, 8), y[300:400])
    n_head = len(list(t.network_.head.parameters()))
    assert len(calls) == 2
    assert calls[0] == (1e-3, [False] * (len(calls[0][1]) - n_head) + [True] * n_head)  # phase 1: the head alone
    assert calls[1] == (pytest.approx(1e-4), [True] * len(calls[1][1]))  # phase 2: every layer, at a tenth of the rate
    assert t.history_.epoch == [1, 2, 3, 4, 5, 6] and t.history_.lr == pytest.approx([1e-3] * 3 + [1e-4] * 3)
    assert t.frozen_ == [] and t.provenance_["frozen"] == [] and t.transferred_ == ["hidden1", "hidden2", "hidden3"]
    assert not torch.equal(t.network_.hidden1.conv.weight, src.network_.hidden1.conv.weight)  # phase 2 moved the convolution
    assert all(p.requires_grad for p in t.network_.parameters())  # the network is handed back unfrozen


class _CtrlCAtEpoch(hl.Callback):
    """Ctrl-C at the end of epoch ``at`` of the first training run only (the head-alone phase)."""

    def __init__(self, at: int) -> None:
        self.at, self.fired = at, False

    def on_epoch_end(self, *, logs, **kwargs):
        if not self.fired and logs["epoch"] == self.at:
            self.fired = True
            raise KeyboardInterrupt


def _ctrl_c_in_lbfgs(monkeypatch, after: int) -> None:
    """L-BFGS's loss-and-gradient evaluation number ``after + 1`` of the first run raises KeyboardInterrupt."""
    from hiddenlayers.training import _lbfgs

    real, calls = _lbfgs.make_step, [0]

    def make_step(*args, **kwargs):
        stepper = real(*args, **kwargs)
        step = stepper.step

        def interrupted(*a):
            calls[0] += 1
            if calls[0] == after + 1:
                raise KeyboardInterrupt
            return step(*a)

        stepper.step = interrupted
        return stepper

    monkeypatch.setattr(_lbfgs, "make_step", make_step)


@pytest.mark.parametrize("solver", ["adam", "sgd", "adamw", "lbfgs"])
def test_ctrl_c_in_the_head_first_phase_ends_the_fit(digits, source, solver, monkeypatch):
    """Ctrl-C while the head trains alone stops the whole fit: no second phase, one warning, the source's hidden layers."""
    X, y = digits
    callbacks = []
    if solver == "lbfgs":
        _ctrl_c_in_lbfgs(monkeypatch, after=4)
    else:
        callbacks = [_CtrlCAtEpoch(2)]
    t = _fit(init_from=source, freeze="head_first", solver=solver, callbacks=callbacks)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t.fit(X[600:800], y[600:800])
    interrupts = [w for w in caught if issubclass(w.category, hl.InterruptedWarning)]
    assert len(interrupts) == 1, [str(w.message) for w in caught]
    assert str(interrupts[0].message).startswith("training interrupted by the user; restored the weights of ")
    assert t.stop_reason_ == "interrupted" and t.history_.stop_reason == "interrupted"
    if solver != "lbfgs":
        assert t.n_iter_ == 2 and len(t.history_) == 2 and t.history_.lr == pytest.approx([t.learning_rate_init] * 2)
    for i in range(2):  # phase 2 never ran: the hidden layers are still the source's
        assert np.array_equal(t.coefs_[i], source.coefs_[i]) and np.array_equal(t.intercepts_[i], source.intercepts_[i])
    assert t.frozen_ == ["hidden1", "hidden2"] and t.provenance_["frozen"] == ["hidden1", "hidden2"]
    assert all(p.requires_grad for p in t.network_.parameters())  # handed back unfrozen
    assert t.predict(X[:20]).shape == (20,)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_warm_fit_after_ctrl_c_in_the_head_first_phase_resumes_that_phase(digits, source, solver, monkeypatch):
    """Ctrl-C in phase 1 keeps phase 1's optimizer state (the head's moments, its layout, its steps); the next warm fit's
    phase 1 (the same layout) carries on from it, and phase 2 starts fresh moments for every layer at 0.1 x the rate."""
    from hiddenlayers.estimators import _mlp_base

    X, y = digits
    t = _fit(init_from=source, freeze="head_first", solver=solver, callbacks=[_CtrlCAtEpoch(2)], warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.fit(X[600:800], y[600:800])  # 200 rows, batches of 200: one step an epoch
    head = [["head.weight", [10, 16]], ["head.bias", [10]]]
    kept = t._optimizer_state
    assert kept["layout"] == head and kept["t"] == 2 and kept["lr"] == t.learning_rate_init
    assert all(v.shape == (170,) and bool(torch.isfinite(v).all()) for k, v in kept.items() if isinstance(v, torch.Tensor))

    phases, real = [], _mlp_base.fit_stochastic

    def spy(est, *args, **kwargs):
        before = est._optimizer_state
        real(est, *args, **kwargs)
        phases.append((before, est._optimizer_state, [p.requires_grad for p in est.network_.parameters()]))

    monkeypatch.setattr(_mlp_base, "fit_stochastic", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.fit(X[600:800], y[600:800])
    (before1, after1, trains1), (before2, after2, trains2) = phases
    assert trains1 == [False] * 4 + [True] * 2 and trains2 == [True] * 6  # phase 1: the head alone; phase 2: all
    assert before1 is kept and after1["layout"] == head and after1["t"] == 2 + 5  # phase 1 resumed its moments
    assert before2 is None and len(after2["layout"]) == 6 and after2["t"] == 5  # phase 2: fresh, every layer
    assert after2["lr"] == pytest.approx(0.1 * t.learning_rate_init)
    assert t.frozen_ == [] and t.stop_reason_ == "max_epochs" and len(t.history_) == 2 + 5 + 5
    assert not np.array_equal(t.coefs_[0], source.coefs_[0])


def test_ctrl_c_in_the_image_classifiers_head_first_phase_ends_the_fit(digits, monkeypatch):
    """fit_reused (the applications' head_first): Ctrl-C in phase 1 returns its result; phase 2 never runs."""
    from hiddenlayers.apps import _image

    X, y = digits
    kw = dict(max_iter=3, early_stopping=False, n_iter_no_change=10, random_state=0)
    src = hl.ImageClassifier("conv4k3,pool2,16", **kw).fit(X[:300].reshape(-1, 8, 8), y[:300])
    calls = []

    def spy(network, *args, **kwargs):
        calls.append(kwargs["learning_rate_init"])
        if len(calls) == 1:
            kwargs["callbacks"] = [*kwargs["callbacks"], _CtrlCAtEpoch(2)]
        return real(network, *args, **kwargs)

    real = _image.train
    monkeypatch.setattr(_image, "train", spy)
    t = hl.ImageClassifier("conv4k3,pool2,16", init_from=src, freeze="head_first", **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t.fit(X[300:400].reshape(-1, 8, 8), y[300:400])
    assert [w.category for w in caught if issubclass(w.category, hl.InterruptedWarning)] == [hl.InterruptedWarning]
    assert calls == [1e-3]  # the second phase never started
    assert t.stop_reason_ == "interrupted" and t.history_.epoch == [1, 2]
    assert t.frozen_ == ["hidden1", "hidden2", "hidden3"] and t.provenance_["frozen"] == t.frozen_
    assert torch.equal(t.network_.hidden1.conv.weight, src.network_.hidden1.conv.weight)
    assert all(p.requires_grad for p in t.network_.parameters())


def test_image_classifier_reads_the_target_with_the_sources_normalisation(digits, tmp_path):
    """The copied convolutions learned on inputs standardised by the source's mean and scale: the target keeps them."""
    X, y = digits
    kw = dict(max_iter=2, early_stopping=False, random_state=0)
    src = hl.ImageClassifier("conv4k3,pool2,16", **kw).fit(X[:300].reshape(-1, 8, 8), y[:300])
    Xt = 3.0 * X[300:400].reshape(-1, 8, 8) + 5.0  # another scanner: brighter, more contrast
    for init_from in (src, str(tmp_path / "src.safetensors")):
        src.save(tmp_path / "src.safetensors")
        t = hl.ImageClassifier("conv4k3,pool2,16", init_from=init_from, freeze=1, **kw).fit(Xt, y[300:400])
        np.testing.assert_array_equal(t.mean_, src.mean_)
        np.testing.assert_array_equal(t.scale_, src.scale_)
    scratch = hl.ImageClassifier("conv4k3,pool2,16", **kw).fit(Xt, y[300:400])
    np.testing.assert_allclose(scratch.mean_, [Xt.mean()], rtol=1e-6)  # without a source: its own


def test_params_and_clone_keep_the_new_arguments(digits, source):
    from sklearn.frozen import FrozenEstimator

    X, y = digits
    est = hl.MLPClassifier(init_from=source, freeze=["hidden1"])
    assert est.get_params()["init_from"] is source and est.get_params()["freeze"] == ["hidden1"]
    c = clone(_fit(init_from=FrozenEstimator(source), freeze=["hidden1"]))  # the old advice still works
    assert c.freeze == ["hidden1"]
    c.fit(X[:100], y[:100])
    assert np.array_equal(c.coefs_[0], source.coefs_[0])


def _weights(model):
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def test_clone_keeps_a_fitted_source_by_reference(digits, source):
    X, y = digits
    est = _fit(init_from=source, freeze=["hidden1"], alpha=1e-3)
    c = clone(est)
    assert c.init_from is source and c is not est and c.freeze == ["hidden1"] and c.alpha == 1e-3
    assert not hasattr(c, "network_")  # the clone itself is unfitted
    fitted = clone(est.fit(X[:100], y[:100]))  # a fitted target: its clone is unfitted, its source kept
    assert fitted.init_from is source and not hasattr(fitted, "network_")
    fitted.fit(X[:100], y[:100])
    assert fitted.transferred_ == ["hidden1", "hidden2"]


def test_grid_search_over_a_fitted_source_leaves_it_as_it_was(digits, source):
    from sklearn.model_selection import GridSearchCV

    X, y = digits
    before, attrs = _weights(source), sorted(vars(source))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(_fit(init_from=source, freeze=1), {"alpha": [1e-4, 1e-2]}, cv=2).fit(X[600:900], y[600:900])
    best = search.best_estimator_
    assert best.init_from is source and best.transferred_ == ["hidden1", "hidden2"] and best.frozen_ == ["hidden1"]
    assert np.array_equal(best.coefs_[0], source.coefs_[0])  # the frozen copied layer
    after = _weights(source)
    assert sorted(vars(source)) == attrs and before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the source is only read


def test_clone_of_an_unfitted_source_is_unchanged(digits):
    X, y = digits
    unfitted = hl.MLPClassifier((24, 16))
    c = clone(hl.MLPClassifier(init_from=unfitted))
    assert c.init_from is not unfitted and c.init_from.get_params() == unfitted.get_params()  # cloned, as scikit-learn does
    with pytest.raises(TypeError, match="without a fitted network"):
        c.fit(X[:50], y[:50])


def test_applications_clone_keeps_a_fitted_source(digits):
    from sklearn.model_selection import cross_val_score

    X, y = digits
    imgs = X[:300].reshape(-1, 1, 8, 8)
    kw = dict(max_iter=2, early_stopping=False, random_state=0)
    src = hl.ImageClassifier("conv4k3,pool2,16", **kw).fit(imgs, y[:300])
    before = _weights(src)
    tgt = hl.ImageClassifier("conv4k3,pool2,16", init_from=src, freeze=1, **kw)
    assert clone(tgt).init_from is src
    scores = cross_val_score(tgt, X[300:500].reshape(-1, 1, 8, 8), y[300:500] % 2, cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()
    assert all(torch.equal(v, _weights(src)[k]) for k, v in before.items())
    seqs = [np.random.default_rng(i).normal(size=(6, 3)) for i in range(40)]
    ss = hl.SequenceClassifier("lstm5", **kw).fit(seqs, [i % 2 for i in range(40)])
    assert clone(hl.SequenceClassifier("lstm5", init_from=ss)).init_from is ss
    texts = ["good fine great film", "bad awful poor plot"] * 10
    ts = hl.TextClassifier("embed8,gru6", **kw).fit(texts, [1, 0] * 10)
    assert clone(hl.TextClassifier("embed8,gru6", init_from=ts)).init_from is ts
    fs = hl.Forecaster(window=4, max_iter=2, random_state=0).fit(np.sin(np.arange(60) / 3.0))
    assert clone(hl.Forecaster(window=4, init_from=fs)).init_from is fs


def test_regressor_freezes_too(digits, source):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = hl.MLPRegressor(hidden_layer_sizes=(24, 16), max_iter=5, random_state=0, init_from=source, freeze=2).fit(X[:200], y[:200] / 9.0)
    assert np.array_equal(r.coefs_[1], source.coefs_[1])


@pytest.mark.parametrize(
    "in_shape,spec,vocab",
    [((1, 8, 8), "conv4k3,pool2,16", None), (12, "embed8,lstm6,10", 30), ((12, 3), "conv5k3,gru4,8", None)],
)
def test_application_layers_copy_and_freeze(in_shape, spec, vocab):
    torch.manual_seed(0)
    src, tgt = (Network(in_shape, spec, n_out, vocab_size=vocab) for n_out in (3, 5))
    copied = copy_hidden_layers(src, tgt)
    assert copied == src.hidden_names
    for a, b in zip(src.state_dict().items(), tgt.state_dict().items()):
        if not a[0].startswith("head"):
            assert torch.equal(a[1], b[1]), a[0]
    with frozen(tgt, copied[:1]):
        assert not any(p.requires_grad for p in getattr(tgt, copied[0]).parameters())
    assert all(p.requires_grad for p in tgt.parameters())
    other = Network(in_shape, spec.replace("8", "9", 1) if vocab else spec.replace("conv4", "conv3").replace("conv5", "conv2"), 3, vocab_size=vocab)
    with pytest.raises(ValueError, match=r"init_from: layer hidden1 does not match"):
        copy_hidden_layers(src, other)


def test_gradient_reversal_against_a_hand_computation():
    from hiddenlayers.training import dann_lambda, grad_reverse

    torch.manual_seed(0)
    h = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    w, b = torch.randn(3, dtype=torch.float64), 0.3
    d = torch.tensor([0, 0, 0, 1, 1, 1], dtype=torch.float64)
    lam = 0.7
    z = grad_reverse(h, lam) @ w + b
    assert torch.equal(grad_reverse(h, lam), h)  # identity forward
    torch.nn.functional.binary_cross_entropy_with_logits(z, d).backward()
    # by hand: dBCE/dz = (sigmoid(z) - d) / n, dz/dh = w; the reversal multiplies by -λ
    zz = h.detach() @ w + b
    want = -lam * ((torch.sigmoid(zz) - d) / 6)[:, None] * w[None, :]
    torch.testing.assert_close(h.grad, want, rtol=1e-12, atol=1e-12)
    assert dann_lambda(0.0) == 0.0 and dann_lambda(1.0) == pytest.approx(0.99991, abs=1e-5)


def test_dann_fit_and_its_errors(digits, source):
    X, y = digits
    Xt = X[1000:1200] * 0.5 + 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = hl.MLPClassifier((24, 16), max_iter=4, random_state=0, domain_adaptation="dann").fit(X[:300], y[:300], X_target=Xt)
    assert d.n_iter_ == 4 and len(d.loss_curve_) == 4 and d.stop_reason_ == "max_epochs"
    assert d.predict(Xt).shape == (200,)
    assert all(p.grad is None for p in d.network_.parameters())  # the domain head's buffer is released
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = hl.MLPClassifier((24, 16), max_iter=2, random_state=0, domain_adaptation="dann", init_from=source, freeze=1).fit(X[:100], y[:100], X_target=Xt)
    assert np.array_equal(f.coefs_[0], source.coefs_[0])  # freezing holds under DANN too
    cases = [
        ({}, {"X_target": Xt}, "X_target \\(unlabelled target rows\\) is used only with domain_adaptation='dann'"),
        ({"domain_adaptation": "dann"}, {}, "domain_adaptation='dann' needs unlabelled target rows: call fit\\(X, y, X_target=...\\)"),
        ({"domain_adaptation": "dann", "solver": "lbfgs"}, {"X_target": Xt}, "does not support solver='lbfgs'"),
        ({"domain_adaptation": "coral"}, {"X_target": Xt}, "domain_adaptation must be None or 'dann'. Received: domain_adaptation='coral'."),
        ({"domain_adaptation": "dann"}, {"X_target": Xt[:, :5]}, "^X_target has 5 features"),
        ({"domain_adaptation": "dann"}, {"X_target": Xt[0]}, "^X_target must be 2-D \\(n_samples, n_features\\). Received shape \\(64,\\)"),
    ]
    for params, kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            hl.MLPClassifier((8,), max_iter=1, **params).fit(X[:50], y[:50], **kw)


def test_dann_names_x_target_in_its_shape_errors(digits):
    """Target rows of another width were said to be X's ("X has 10 features, but MLPClassifier is expecting 64"), and no rows
    at all scikit-learn's "Found array with 0 sample(s)" without a word of which array."""
    X, y = digits
    clf = hl.MLPClassifier((8,), max_iter=1, domain_adaptation="dann", random_state=0)
    with pytest.raises(ValueError, match=r"^X_target has 10 features, but MLPClassifier is expecting 64 features as input\.$"):
        clf.fit(X[:100], y[:100], X_target=X[100:150, :10])
    with pytest.raises(ValueError, match=r"^X_target: Found array with 0 sample\(s\)"):
        clf.fit(X[:100], y[:100], X_target=X[:0])


def test_dann_names_x_target_and_its_row_for_nan_or_infinity(digits):
    """NaN or inf in the target rows gave scikit-learn's "Input X contains NaN." and a paragraph on imputers: several lines,
    naming X (the labelled rows, which were clean) and no row; now one line naming X_target, the row and its column."""
    import pandas as pd

    X, y = digits
    clf = hl.MLPClassifier((8,), max_iter=1, domain_adaptation="dann", random_state=0)
    Xt = X[100:150].copy()
    Xt[7, 3], Xt[9, 0] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"^X_target has NaN or infinity in row 7 \(column 3; 2 row\(s\) in all\): DANN reads every "
                                         r"unlabelled target row; drop or impute those rows first\.$"):
        clf.fit(X[:100], y[:100], X_target=Xt)
    names = [f"px{i}" for i in range(64)]
    with pytest.raises(ValueError, match=r"^X_target has NaN or infinity in row 7 \(column 'px3'; 2 row"):
        hl.MLPClassifier((8,), max_iter=1, domain_adaptation="dann", random_state=0).fit(
            pd.DataFrame(X[:100], columns=names), y[:100], X_target=pd.DataFrame(Xt, columns=names))
    assert not hasattr(clf, "network_")  # refused before any fit


def test_a_warm_dann_fit_counts_its_own_epochs_and_all_samples(digits):
    """n_iter_ is this call's epochs (scikit-learn's count for a warm fit), t_ the samples seen over both calls."""
    X, y = digits
    Xt = X[1000:1200] * 0.5 + 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = hl.MLPClassifier((8,), max_iter=2, warm_start=True, random_state=0, domain_adaptation="dann").fit(X[:100], y[:100], X_target=Xt)
        assert d.n_iter_ == 2 and d.t_ == 200
        d.set_params(max_iter=3).fit(X[:100], y[:100], X_target=Xt)
    assert d.n_iter_ == 3 and d.t_ == 500 and len(d.loss_curve_) == 5


@pytest.mark.parametrize("stop_at", [2, 4])
def test_ctrl_c_during_a_dann_fit_keeps_the_last_whole_epoch(digits, monkeypatch, stop_at):
    """Ctrl-C in the first epoch keeps the start's weights, later the last whole epoch's; one InterruptedWarning, a usable model."""
    from hiddenlayers.exceptions import InterruptedWarning
    from hiddenlayers.training import _dann

    X, y = digits
    Xt = X[1000:1200] * 0.5 + 0.2
    est = hl.MLPClassifier((16,), max_iter=3, batch_size=100, random_state=0, domain_adaptation="dann")
    real, calls = _dann._DANN.objective, []
    snapshots = []

    def objective(self, *args, **kwargs):  # three batches an epoch: call 2 is in the first epoch, call 4 opens the second
        calls.append(1)
        if len(calls) in (1, 4):  # the weights at the start, and after the first epoch
            snapshots.append([p.detach().clone() for p in self.parameters()])
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(_dann._DANN, "objective", objective)
    with pytest.warns(InterruptedWarning) as caught:
        est.fit(X[:300], y[:300], X_target=Xt)
    assert len(caught) == 1
    where = "the start of this run" if stop_at == 2 else "epoch 1"
    assert f"restored the weights of {where}" in str(caught[0].message)
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == (0 if stop_at == 2 else 1) and len(est.loss_curve_) == est.n_iter_
    kept = snapshots[-1]
    got = [p.detach() for p in est.network_.parameters()]
    for a, b in zip(got, kept):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert est.predict(Xt).shape == (200,)


def test_a_dann_fits_best_loss_is_the_no_improvement_rules_as_the_mlps(digits, monkeypatch):
    """best_loss_ is the lowest loss the n_iter_no_change rule compared with, as after an MLP fit: inf when Ctrl-C came
    before any epoch's loss (it was NaN, min of no losses), then the rule's best carried on over warm DANN fits."""
    from hiddenlayers.exceptions import InterruptedWarning
    from hiddenlayers.training import _dann

    X, y = digits
    Xt = X[1000:1200] * 0.5 + 0.2
    est = hl.MLPClassifier((16,), max_iter=2, batch_size=100, random_state=0, domain_adaptation="dann", warm_start=True)
    real, calls = _dann._DANN.objective, []

    def objective(self, *args, **kwargs):  # Ctrl-C in the first epoch of the first fit
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(_dann._DANN, "objective", objective)
    with pytest.warns(InterruptedWarning):
        est.fit(X[:300], y[:300], X_target=Xt)
    mlp = hl.MLPClassifier((16,), max_iter=2, batch_size=100, random_state=0, callbacks=[_CtrlCAtEpoch1()])
    with pytest.warns(InterruptedWarning):
        mlp.fit(X[:300], y[:300])
    assert est.best_loss_ == mlp.best_loss_ == np.inf and est.loss_curve_ == []
    monkeypatch.setattr(_dann._DANN, "objective", real)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:300], y[:300], X_target=Xt)
    assert est.best_loss_ == min(est.loss_curve_) and np.isfinite(est.best_loss_)


def test_ctrl_c_in_a_warm_dann_fit_names_the_weights_it_began_with(digits, monkeypatch):
    """A warm DANN fit cut in its first epoch keeps the weights it began with, epoch 2's, and says so (was "the start of
    this run"); history_.held_epoch follows DANN's epochs, so a later call's warning names the right ones."""
    from hiddenlayers.exceptions import InterruptedWarning
    from hiddenlayers.training import _dann

    X, y = digits
    Xt = X[1000:1200] * 0.5 + 0.2
    est = hl.MLPClassifier((16,), max_iter=2, batch_size=100, random_state=0, domain_adaptation="dann", warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:300], y[:300], X_target=Xt)
    assert est.history_.held_epoch == 2
    real = _dann._DANN.objective

    def objective(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_dann._DANN, "objective", objective)
    with pytest.warns(InterruptedWarning, match=r"restored the weights of epoch 2 \(the weights this call began with\)\.$"):
        est.fit(X[:300], y[:300], X_target=Xt)
    monkeypatch.setattr(_dann._DANN, "objective", real)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:300], y[:300], X_target=Xt)
    assert len(est.history_) == 4 and est.history_.held_epoch == 4


class _CtrlCAtEpoch1(hl.Callback):
    """Ctrl-C after the first batch: no epoch's loss recorded."""

    def on_batch_end(self, **kwargs):
        raise KeyboardInterrupt


@pytest.fixture(scope="module")
def csvs(tmp_path_factory, digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    d = tmp_path_factory.mktemp("transfer_cli")
    cols = [f"px{i}" for i in range(X.shape[1])]
    pd.DataFrame(X[:400], columns=cols).assign(y=y[:400]).to_csv(d / "source.csv", index=False)
    tgt = pd.DataFrame(X[400:600], columns=cols).assign(y=y[400:600])
    tgt[cols[::-1] + ["y"]].to_csv(d / "target.csv", index=False)  # the same columns in another order
    return d


def test_cli_train_init_from_freeze_info_and_shift(csvs):
    from cli_helpers import assert_user_error, ok, run
    from hiddenlayers.ship import read_metadata

    d = csvs
    ok("train", d / "source.csv", "--target", "y", "--hidden", "16,8", "--epochs", "3", "--out", d / "src.safetensors", "-q")
    ok("train", d / "target.csv", "--target", "y", "--init-from", d / "src.safetensors", "--freeze", "1", "--epochs", "2", "--out", d / "tgt.safetensors", "-q")
    src, tgt = hl.load(d / "src.safetensors"), hl.load(d / "tgt.safetensors")
    assert tgt.network_.spec.to_text() == src.network_.spec.to_text()  # --hidden defaults to the source's layers
    np.testing.assert_array_equal(tgt.coefs_[0], src.coefs_[0])  # frozen, and read through the source's column order
    prov = read_metadata(d / "tgt.safetensors")["provenance"]
    assert prov["source"] == "src.safetensors" and prov["frozen"] == ["hidden1"] and len(prov["source_sha256"]) == 64
    info = ok("info", d / "tgt.safetensors").output
    assert "started from" in info and "src.safetensors" in info and "frozen layers" in info
    # one report section besides the shift's (--sections): the shift section is added whatever sections are asked for
    res = ok("inspect", d / "src.safetensors", d / "target.csv", "--shift-from", d / "source.csv", "--sections", "layers", "--out", d / "shift.html")
    assert "domain shift per hidden layer" in res.output
    assert "Domain shift" in (d / "shift.html").read_text()
    assert_user_error(run("train", d / "target.csv", "--target", "y", "--freeze", "1", "--out", d / "x.safetensors"), "--freeze needs --init-from")
    assert_user_error(
        run("train", d / "target.csv", "--target", "y", "--init-from", d / "src.safetensors", "--freeze", "hidden7", "--out", d / "x.safetensors"),
        "freeze names unknown layer(s) ['hidden7']",
    )


def test_image_classifier_reuses_its_convolutions_on_images_of_another_size(digits):
    """Keras' include_top=False: convolutions learned on 8 x 8 digits carry over to 16 x 16 ones; the dense layer after the
    flattening, whose width the size sets, starts fresh with one warning (it was a ValueError saying to "copy fewer layers",
    which no parameter does). Freezing that fresh layer, and another channel count, are refused in one line."""
    X, y = digits
    kw = dict(max_iter=1, early_stopping=False, random_state=0)
    src = hl.ImageClassifier("conv4k3,pool2,16", **kw).fit(X[:200].reshape(-1, 8, 8), y[:200])
    big = np.kron(X[200:300].reshape(-1, 8, 8), np.ones((2, 2)))  # (100, 16, 16)
    with pytest.warns(UserWarning, match=r"^init_from: copied hidden1, hidden2; hidden3 differs from the source's in shape \(for an image, another "
                                         r"size changes the width of the first dense layer after the convolutions\), so hidden3 starts from fresh"):
        t = hl.ImageClassifier("conv4k3,pool2,16", init_from=src, freeze=1, **kw).fit(big, y[200:300])
    assert t.transferred_ == ["hidden1", "hidden2"] and t.frozen_ == ["hidden1"] and t.image_shape_ == (1, 16, 16)
    for k, v in src.network_.hidden1.state_dict().items():
        assert torch.equal(v, t.network_.hidden1.state_dict()[k]), k
    with pytest.raises(ValueError, match=r"^freeze names \['hidden3'\], which init_from could not copy \(they start from fresh random weights "
                                         r"and would never train\): freeze only layers it copied, \['hidden1', 'hidden2'\], or drop freeze\.$"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        hl.ImageClassifier("conv4k3,pool2,16", init_from=src, freeze=3, **kw).fit(big, y[200:300])
    with pytest.raises(ValueError, match=r"init_from: layer hidden1 does not match"):  # nothing in common: still an error
        hl.ImageClassifier("conv8k3,pool2,16", init_from=src, **kw).fit(big, y[200:300])
    rgb = np.repeat(X[200:300].reshape(-1, 8, 8, 1), 3, axis=3)
    with pytest.raises(hl.DataError, match=r"^init_from was fitted on 1-channel \(grayscale\) images and these have 3: its first convolution "
                                           r"reads 1 channel\(s\), so convert the images to grayscale first \(PIL's Image.convert\('L'\)\), or fit"):
        hl.ImageClassifier("conv4k3,pool2,16", init_from=src, **kw).fit(rgb, y[200:300])


def test_applications_take_init_from_and_freeze(digits):
    X, y = digits
    imgs = X[:300].reshape(-1, 1, 8, 8)
    kw = dict(max_iter=2, early_stopping=False, random_state=0)
    src = hl.ImageClassifier("conv4k3,pool2,16", **kw).fit(imgs, y[:300])
    tgt = hl.ImageClassifier("conv4k3,pool2,16", init_from=src, freeze=1, **kw).fit(X[300:500].reshape(-1, 1, 8, 8), y[300:500] % 2)
    assert tgt.transferred_ == ["hidden1", "hidden2", "hidden3"] and tgt.frozen_ == ["hidden1"]
    assert torch.equal(tgt.network_.hidden1.state_dict()["conv.weight"] if "conv.weight" in tgt.network_.hidden1.state_dict() else next(iter(tgt.network_.hidden1.state_dict().values())),
                       next(iter(src.network_.hidden1.state_dict().values())))
    texts = ["good fine great film", "bad awful poor plot", "great acting good", "poor bad boring"] * 10
    labels = [1, 0, 1, 0] * 10
    tkw = dict(max_iter=2, early_stopping=False, random_state=0)
    ts = hl.TextClassifier("embed8,gru6", **tkw).fit(texts, labels)
    tt = hl.TextClassifier("embed8,gru6", init_from=ts, freeze=["hidden1"], **tkw).fit(["good plot", "awful film"] * 10, [1, 0] * 10)
    assert tt.transferred_ == ["hidden1", "hidden2"] and tt.tokenizer_.to_json() == ts.tokenizer_.to_json()  # the source's vocabulary
    assert torch.equal(tt.network_.hidden1.state_dict()["embedding.weight"] if "embedding.weight" in tt.network_.hidden1.state_dict() else next(iter(tt.network_.hidden1.state_dict().values())),
                       next(iter(ts.network_.hidden1.state_dict().values())))
    seqs = [np.random.default_rng(i).normal(size=(6, 3)) for i in range(40)]
    ss = hl.SequenceClassifier("lstm5", **tkw).fit(seqs, [i % 2 for i in range(40)])
    st = hl.SequenceClassifier("lstm5", init_from=ss, freeze=1, **tkw).fit(seqs[:20], [i % 3 for i in range(20)])
    assert st.frozen_ == ["hidden1"]
    for k, v in ss.network_.hidden1.state_dict().items():
        assert torch.equal(v, st.network_.hidden1.state_dict()[k]), k
    with pytest.raises(ValueError, match="freeze=.head_first. is for MLPClassifier/MLPRegressor and ImageClassifier"):
        hl.SequenceClassifier("lstm5", init_from=ss, freeze="head_first", **tkw).fit(seqs[:20], [i % 2 for i in range(20)])


def test_dann_keeps_the_no_improvement_count_for_the_next_warm_fit() -> None:
    """DANN runs max_iter epochs whatever the loss does, but counts the stalled ones: a warm fit without DANN
    after a DANN fit that stalled stops after one more such epoch, as after a stochastic fit (before: it started over)."""
    rng = np.random.default_rng(0)
    X, Xt = rng.normal(size=(60, 4)), rng.normal(size=(40, 4)) + 1.0
    y = (X[:, 0] > 0).astype(int)
    # tol=10: only the first epoch (on inf) counts as progress; 5 epochs leave 4 stalled ones, above n_iter_no_change=2
    clf = hl.MLPClassifier((6,), tol=10.0, n_iter_no_change=2, max_iter=5, warm_start=True, random_state=0, domain_adaptation="dann")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y, X_target=Xt)
        assert len(clf.loss_curve_) == 5
        clf.set_params(domain_adaptation=None, max_iter=50).fit(X, y)
    assert len(clf.loss_curve_) == 5 + 1 and clf.stop_reason_ == "no_improvement_train_loss"


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_head_first_counts_both_phases_in_n_iter_history_and_loss_curve(digits, source, solver):
    """n_iter_ is the epochs (L-BFGS: iterations) of this fit call, both phases, as the applications' head_first counts
    them and as history_ and loss_curve_ hold them; one ConvergenceWarning, the second phase's. Before, n_iter_ was
    phase 2's alone (L-BFGS's history_ too), and phase 1 warned as well."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = digits
    t = hl.MLPClassifier((24, 16), max_iter=5, random_state=1, init_from=source, freeze="head_first", solver=solver, warm_start=True)
    for call in (1, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t.fit(X[600:800], y[600:800])
        assert t.stop_reason_ == "max_epochs"
        # every solver's history runs on over warm fits, as scikit-learn's loss_curve_ (L-BFGS's too, since it goes on)
        assert t.n_iter_ == 10 and len(t.history_) == len(t.loss_curve_) == 10 * call
        assert t.history_.epoch == list(range(1, 10 * call + 1)) and t.t_ == 200 * 10 * call
        assert len([w for w in caught if issubclass(w.category, ConvergenceWarning)]) == 1


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive", "plateau"])
def test_a_warm_head_first_fit_starts_its_first_phase_at_learning_rate_init(digits, source, schedule):
    """A finished head_first fit leaves phase 2's rate (0.1 x, then lowered by the schedule): a warm fit's phase 1 starts
    at learning_rate_init again and phase 2 at a tenth of it. Before, phase 1 took phase 2's lowered rate."""
    X, y = digits
    t = _fit(init_from=source, freeze="head_first", solver="sgd", learning_rate=schedule, learning_rate_init=0.05, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.fit(X[600:800], y[600:800])
        assert t._optimizer_state["lr"] == pytest.approx(0.005) or t._optimizer_state["lr"] < 0.005  # phase 2's rate is kept
        t.fit(X[600:800], y[600:800])
    assert len(t.history_) == 20
    assert t.history_.lr[0] == t.history_.lr[10] == 0.05  # each call's phase 1 starts at learning_rate_init
    assert t.history_.lr[5] == t.history_.lr[15] == pytest.approx(0.005)  # and its phase 2 at a tenth of it
