"""hl.lens.Timelapse: hidden-unit maps over a fixed plane, recorded during training, as data, a figure and one page."""

from __future__ import annotations

import base64
import hashlib
import math
import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs, make_moons

import hiddenlayers as hl
from hiddenlayers.lens import Timelapse, neuron_maps

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
          "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.2, random_state=0)


def _fit(X, y, callbacks=None, **kw):
    params = {"hidden_layer_sizes": (8,), "max_iter": 12, "random_state": 0, "learning_rate_init": 0.02, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: a few epochs on purpose
        return hl.MLPClassifier(callbacks=callbacks, **params).fit(X, y)


@pytest.fixture(scope="module")
def watched(moons):
    X, y = moons
    tl = Timelapse(X, y, every=3, resolution=15)
    return _fit(X, y, [tl]), tl


def test_frames_at_epoch_zero_every_kth_and_the_last(watched):
    clf, tl = watched
    n = clf.n_iter_
    assert n == 12
    assert tl.epochs == [0, 3, 6, 9, 12]
    frame = tl.to_frame()
    assert list(frame.columns) == ["epoch", "train_loss", "val_score"]
    assert np.isnan(frame.train_loss[0])  # epoch 0: the starting weights, before any loss
    np.testing.assert_allclose(frame.train_loss[1:], [clf.loss_curve_[e - 1] for e in (3, 6, 9, 12)], rtol=1e-6)
    assert [c[0] for c in tl.curve] == list(range(1, 13))  # the loss curve keeps every epoch
    assert tl.note == ""


def test_map_shapes_and_output(watched):
    _, tl = watched
    assert tl.maps("hidden1").shape == (5, 8, 15, 15)
    assert all(set(f.maps) == {"hidden1"} and f.output.shape == (15, 15) for f in tl.frames)
    assert tl.output_kind == "probability" and tl.output_label == "P(y = 1)"
    out = np.stack([f.output for f in tl.frames])
    assert out.min() >= 0 and out.max() <= 1
    assert not np.array_equal(tl.frames[0].maps["hidden1"], tl.frames[-1].maps["hidden1"])  # the units changed


def test_last_frame_is_neuron_maps_of_the_fitted_model(watched, moons):
    clf, tl = watched
    X, _ = moons
    nm = neuron_maps(clf, X, resolution=15)
    assert nm.extent == tl.plane.extent
    np.testing.assert_array_equal(tl.frames[-1].maps["hidden1"], nm.maps["hidden1"])
    proba = clf.predict_proba(tl.plane.grid().astype(np.float32))[:, 1].reshape(15, 15)
    np.testing.assert_allclose(tl.frames[-1].output, proba, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("hidden", [(8,), "8:relu:dropout=0.3,8"])
def test_weights_bit_identical_with_and_without_the_callback(moons, hidden):
    X, y = moons
    plain = _fit(X, y, None, hidden_layer_sizes=hidden)
    watched = _fit(X, y, [Timelapse(X, y, every=1, resolution=10)], hidden_layer_sizes=hidden)
    for a, b in zip(plain.coefs_ + plain.intercepts_, watched.coefs_ + watched.intercepts_):
        assert np.array_equal(a, b)
    assert plain.loss_curve_ == watched.loss_curve_


def test_thinning_keeps_at_most_max_frames_and_says_so(moons):
    X, y = moons
    tl = Timelapse(X, y, every=1, resolution=5, max_frames=4)
    clf = _fit(X, y, [tl], max_iter=10)
    assert clf.n_iter_ == 10
    assert tl.epochs == [0, 4, 8, 10]  # every 2nd dropped twice; the last epoch kept
    assert "every 4 epochs" in tl.note and "max_frames=4" in tl.note


def test_a_second_fit_starts_a_new_timelapse_and_warm_start_goes_on(moons):
    X, y = moons
    tl = Timelapse(X, y, every=2, resolution=5)
    clf = _fit(X, y, [tl], max_iter=4)
    plane = tl.plane
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)  # from scratch again: the frames start over, on the same plane
    assert tl.epochs == [0, 2, 4] and [c[0] for c in tl.curve] == [1, 2, 3, 4] and tl.plane is plane
    clf.set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)  # warm start: epochs 5-8 follow on
    assert tl.epochs == [0, 2, 4, 6, 8]


def test_restored_best_weights_are_said_not_drawn_as_the_last_epoch(moons):
    X, y = moons
    tl = Timelapse(X, y, every=5, resolution=5)
    clf = _fit(X, y, [tl], max_iter=200, early_stopping=True, n_iter_no_change=3, learning_rate_init=0.5)
    assert (clf.n_iter_, clf.history_.held_epoch) == (6, 2)
    assert tl.epochs == [0, 5]  # no frame "epoch 6" drawn from epoch 2's weights
    assert tl.note == "The fit kept the weights of epoch 2 (the best), not of its last epoch."
    assert not np.isnan(tl.frames[-1].val_score)  # the validation score of early stopping's held-out rows


def test_the_pca_plane_draws_nothing_from_numpys_global_state():
    X = np.random.default_rng(0).normal(size=(600, 100))  # wide enough for PCA's randomized solver
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    nm = neuron_maps(torch.nn.Sequential(torch.nn.Linear(100, 3), torch.nn.ReLU()), X, resolution=4)
    assert np.array_equal(np.random.get_state()[1], before)
    again = neuron_maps(torch.nn.Sequential(torch.nn.Linear(100, 3), torch.nn.ReLU()), X, resolution=4)
    assert nm.extent == again.extent  # the same rows, the same plane (the old code drew a new one each call)


def test_multiclass_and_regression_output_maps():
    X, y = make_blobs(150, centers=3, random_state=0)
    tl = Timelapse(X, y, resolution=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.MLPClassifier((6,), max_iter=3, random_state=0, callbacks=[tl]).fit(X, y)
    assert tl.output_kind == "class" and set(np.unique(tl.frames[-1].output)) <= {0.0, 1.0, 2.0}
    Xr = np.c_[X, X[:, :1] * 2]  # 3 features: the PCA plane
    target = Xr[:, 0] - Xr[:, 1]
    tr = Timelapse(Xr, target, resolution=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = hl.MLPRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0, callbacks=[tr]).fit(Xr, target)
    assert tr.output_kind == "value" and tr.plane.axes == ("PC1", "PC2")
    np.testing.assert_allclose(tr.frames[-1].output, reg.predict(tr.plane.grid().astype(np.float32)).reshape(8, 8), rtol=1e-5, atol=1e-5)


def test_a_regressor_on_whole_number_targets_draws_its_value_not_a_probability():
    """diabetes' target is whole numbers (type_of_target: 'multiclass'): the one output is a value, not a logit."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    tl = Timelapse(X, y, resolution=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = hl.MLPRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0, callbacks=[tl]).fit(X, y)
    assert tl.output_kind == "value" and tl.classes is None and tl.output_label == "output (first column)"
    np.testing.assert_allclose(tl.frames[-1].output, reg.predict(tl.plane.grid().astype(np.float32)).reshape(8, 8), rtol=1e-5, atol=1e-4)


def test_numpy_integers_are_accepted_as_settings(moons):
    X, y = moons
    tl = Timelapse(X, y, every=np.int64(2), resolution=np.int32(8), max_frames=np.int64(5))
    assert (tl.every, tl.resolution, tl.max_frames) == (2, 8, 5) and type(tl.every) is int


def test_page_is_self_contained_with_one_frame_per_epoch(watched, tmp_path):
    _, tl = watched
    path = tmp_path / "timelapse.html"
    tl.save(path)
    text = path.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(?!data:|#)[a-z]+:""", text)
    assert text.count('class="frame units"') == len(tl.frames) == text.count('class="outframe map"')
    assert re.findall(r'data-epoch="(\d+)"', text) == [str(e) for e in tl.epochs]
    # the one inline script runs because the page's CSP names its hash; nothing else may run
    script = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in text and text.count("<script") == 1
    with pytest.raises(ValueError, match="is a folder"):
        tl.save(tmp_path)


def test_page_size_for_60_frames_of_an_8_8_network(moons, tmp_path):
    X, y = moons
    tl = Timelapse(X, y)  # the defaults: resolution 30, max_frames 60
    _fit(X, y, [tl], hidden_layer_sizes=(8, 8), max_iter=59)
    assert len(tl.frames) == 60
    tl.save(tmp_path / "t.html")
    assert (tmp_path / "t.html").stat().st_size < 2_000_000  # measured 0.7 MB (the aim: under 5 MB)


def test_plot_figure(watched):
    _, tl = watched
    fig = tl.plot(6)
    assert type(fig).__name__ == "Figure" and len(fig.axes) == 2 + 8
    assert "epoch 6" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"epoch 5 has no frame; recorded epochs: 0, 3, 6, 9, 12\."):
        tl.plot(5)


def _loop(model, X, y, epochs, tl=None):
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    for _ in range(epochs):
        ctx = tl.epoch(model) if tl is not None else None
        if ctx is not None:
            ctx.__enter__()
        for i in range(0, len(X), 50):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(Xt[i : i + 50])[:, 0], yt[i : i + 50])
            loss.backward()
            opt.step()
            if tl is not None:
                tl.step(loss, n=len(Xt[i : i + 50]))
        if ctx is not None:
            ctx.__exit__(None, None, None)


def _sequential(seed, features=2):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(features, 6), torch.nn.Tanh(), torch.nn.Dropout(0.2), torch.nn.Linear(6, 1))


def test_users_own_loop_on_a_sequential(moons):
    X, y = moons
    model = _sequential(0)
    tl = Timelapse(X, y, layers=["1"], resolution=12)
    torch.manual_seed(1)
    _loop(model, X, y, 4, tl)
    assert tl.epochs == [0, 1, 2, 3, 4] and tl.maps("1").shape == (5, 6, 12, 12)
    assert all(np.isfinite(c[1]) for c in tl.curve) and model.training  # its mode put back after each frame
    np.testing.assert_array_equal(tl.frames[-1].maps["1"], neuron_maps(model, X, layers=["1"], resolution=12).maps["1"])
    plain = _sequential(0)
    torch.manual_seed(1)
    _loop(plain, X, y, 4)  # the same loop without the timelapse: the same weights (no RNG drawn, no grad kept)
    for a, b in zip(model.parameters(), plain.parameters()):
        assert torch.equal(a, b)
    with pytest.raises(RuntimeError, match="outside an epoch"):
        tl.step(0.1)
    with tl.epoch(model), pytest.raises(RuntimeError, match="cannot nest"), tl.epoch(model):
        pass


def test_log_sets_the_epoch_figures(moons):
    X, y = moons
    model = _sequential(0)
    tl = Timelapse(X, y, layers=["1"], resolution=4)
    with tl.epoch(model):
        tl.log(loss=0.5, val_score=0.75)
    assert tl.curve == [(1, 0.5, 0.75)] and tl.frames[-1].val_score == 0.75


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.array([[0.0, np.nan], [1.0, 2.0]])}, r"X holds NaN or infinite values \(first in row 0\)"),
        ({"X": np.zeros((5, 1))}, r"Timelapse needs X with 2 or more features .* Received 1 feature"),
        ({"X": np.array([["a", "b"], ["c", "d"]])}, r"real-valued input rows; X holds <U1 values \(text or ids\)"),
        ({"every": 0}, r"every must be an integer >= 1\. Received: every=0\."),
        ({"resolution": 1}, r"resolution must be an integer from 2 to 128\. Received: resolution=1\."),
        ({"max_frames": 1}, r"max_frames must be an integer >= 2\. Received: max_frames=1\."),
        ({"y": [0, 1]}, r"y must have one target per row of X: X has 6 rows, y has shape \(2,\)"),
    ],
)
def test_bad_input_is_one_line(kwargs, message):
    args = {"X": np.random.default_rng(0).normal(size=(6, 3)), **kwargs}
    with pytest.raises(ValueError, match=message) as err:
        Timelapse(args.pop("X"), **args)
    assert "\n" not in str(err.value)


def test_unknown_layer_and_id_inputs_refused(moons):
    X, y = moons
    with pytest.raises(ValueError, match=r"layers entry 'hiden1' matched no layer .* Did you mean 'hidden1'\?"):
        _fit(X, y, [Timelapse(X, y, layers=["hiden1"])])
    ids = np.random.default_rng(0).integers(0, 10, size=(20, 2))
    embed = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(), torch.nn.Linear(8, 1))
    with pytest.raises(ValueError, match=r"reads integer ids \(embeddings\), which have no plane"), Timelapse(ids).epoch(embed):
        pass


@settings(max_examples=40, deadline=None)
@given(every=st.integers(-3, 5), resolution=st.integers(-3, 200), max_frames=st.integers(-3, 5))
def test_settings_are_validated(every, resolution, max_frames):
    X = np.random.default_rng(0).normal(size=(6, 2))
    valid = every >= 1 and 2 <= resolution <= 128 and max_frames >= 2
    if valid:
        tl = Timelapse(X, every=every, resolution=resolution, max_frames=max_frames)
        assert (tl.every, tl.resolution, tl.max_frames) == (every, resolution, max_frames)
    else:
        with pytest.raises(ValueError, match=r"must be an integer"):
            Timelapse(X, every=every, resolution=resolution, max_frames=max_frames)


def test_slider_changes_the_shown_frame_in_headless_chromium(watched, tmp_path):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("Chromium is not installed (see tests/lens/test_lens_browser.py and .ci/system-deps.sh)")
    _, tl = watched
    page = tmp_path / "t.html"
    tl.save(page)
    # '#frame=1' makes the page's own script move the slider and fire its 'input' event, as a drag does
    run = subprocess.run([exe, *_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri() + "#frame=1"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    shown = re.findall(r'<div class="frame units" data-i="(\d+)"[^>]*?(hidden="")?>', run.stdout)
    assert len(shown) == len(tl.frames)
    assert [i for i, hidden in shown if not hidden] == ["1"]  # frame 1 shown, the last (shown on load) hidden now
    assert "epoch 3 · loss" in run.stdout  # the label follows the slider
    assert "Content Security Policy" not in run.stderr and "Uncaught" not in run.stderr


def test_above_max_rows_the_last_frame_is_still_neuron_maps_of_the_fitted_model(moons):
    X, y = moons
    order = np.argsort(y, kind="stable")  # rows sorted by label: the first 120 would be mostly one class
    Xs, ys = X[order], y[order]
    tl = Timelapse(Xs, ys, every=4, resolution=15, max_rows=120)
    clf = _fit(Xs, ys, [tl])
    nm = neuron_maps(clf, Xs, resolution=15, max_rows=120)
    assert nm.extent == tl.plane.extent
    assert nm.rows is not None and len(nm.rows) == 120 and set(ys[nm.rows]) == {0, 1}
    np.testing.assert_array_equal(nm.points, Xs[nm.rows])  # a 2-D input's plane is its own: the points are the sampled rows
    np.testing.assert_array_equal(tl.plane.points, nm.points)
    np.testing.assert_array_equal(tl.labels, ys[nm.rows])
    np.testing.assert_array_equal(tl.frames[-1].maps["hidden1"], nm.maps["hidden1"])


def test_default_row_caps_agree():
    X = np.random.default_rng(0).normal(size=(2500, 5))  # more rows than either default cap
    model = _sequential(0, features=5)
    tl = Timelapse(X, layers=["1"], resolution=6)
    with tl.epoch(model):
        pass
    nm = neuron_maps(model, X, layers=["1"], resolution=6)
    assert nm.extent == tl.plane.extent and len(nm.rows) == len(tl.X) == 2000
    np.testing.assert_array_equal(tl.frames[-1].maps["1"], nm.maps["1"])


@given(n=st.integers(2, 5000), cap=st.one_of(st.none(), st.integers(2, 5000)))
@settings(max_examples=50, deadline=None)
def test_plane_rows_are_a_fixed_sorted_sample_of_the_cap(n, cap):
    from hiddenlayers.lens._plane import plane_rows

    idx = plane_rows(n, cap)
    if cap is None or n <= cap:
        assert idx is None
    else:
        assert len(idx) == cap and np.all(np.diff(idx) > 0) and idx[0] >= 0 and idx[-1] < n
        np.testing.assert_array_equal(idx, plane_rows(n, cap))  # the same X always gives the same plane


def test_the_note_names_the_weights_kept_honestly_not_always_the_best(moons):
    X, y = moons
    tl = Timelapse(X, y, every=5, resolution=5)
    clf = _fit(X, y, [tl], max_iter=60, early_stopping=True, n_iter_no_change=3, learning_rate_init=0.5)
    assert clf.history_.held_epoch == 2 and tl.note == "The fit kept the weights of epoch 2 (the best), not of its last epoch."
    clf.set_params(warm_start=True, learning_rate_init=5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)  # no epoch of this call beats the weights it began with (epoch 2's)
    assert (clf.history_.epoch[-1], clf.history_.held_epoch) == (7, 2)
    assert tl.note == "The fit kept the weights it began with (epoch 2), not those of its last epoch: none of its epochs improved on them."


@pytest.mark.parametrize(("held", "reason", "note"), [
    (0, "diverged", "The fit kept its starting weights (epoch 0), not those of its last epoch: the loss diverged before any epoch improved on them."),
    (0, "interrupted", "The fit kept its starting weights (epoch 0), not those of its last epoch: "
                       "training was interrupted (Ctrl-C) before any epoch improved on them."),
    (1, "diverged", "The fit kept the weights of epoch 1 (the best before the loss diverged), not of its last epoch."),
    (2, None, "The fit kept the weights of epoch 2 (the best), not of its last epoch."),
])
def test_the_note_follows_the_historys_held_epoch_and_stop_reason(moons, held, reason, note):
    from hiddenlayers.training import History

    X, y = moons
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    tl = Timelapse(X, y, layers=["1"], resolution=4)
    history = History()
    tl.on_train_begin(network=net, history=history)
    for e in (1, 2, 3):
        history.epoch.append(e)
        history.train_loss.append(1.0 / e)
        history.val_score.append(math.nan)
        tl.on_epoch_end(network=net, history=history)
    history.held_epoch, history.stop_reason = held, reason
    tl.on_train_end(network=net, history=history)
    assert tl.held_epoch == held and tl.note == note


def test_a_warm_lbfgs_call_goes_on_with_its_epochs_numbered_after_the_last(moons):
    X, y = moons
    tl = Timelapse(X, y, every=2, resolution=5)
    clf = _fit(X, y, [tl], solver="lbfgs", max_iter=4)
    assert clf.history_.epoch == [1, 2, 3, 4] and tl.epochs == [0, 2, 4]
    clf.set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)  # L-BFGS's history_ goes on (epochs 5-8), and the timelapse numbers them alike
    assert clf.history_.epoch == list(range(1, 9)) and clf.n_iter_ == 4
    assert tl.epochs == [0, 2, 4, 6, 8] and [c[0] for c in tl.curve] == list(range(1, 9))
    np.testing.assert_array_equal(tl.frames[-1].maps["hidden1"], neuron_maps(clf, X, resolution=5).maps["hidden1"])
    clf.set_params(warm_start=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)  # from scratch: new weights, a new timelapse
    assert tl.epochs == [0, 2, 4] and [c[0] for c in tl.curve] == [1, 2, 3, 4]



def test_a_later_fit_that_ends_on_its_last_epoch_clears_the_held_epoch(moons):
    """After a fit that kept an earlier epoch's weights (held_epoch set), a warm fit that ends normally holds its last
    epoch's: the timelapse's held_epoch and note say so no more, and that epoch has its frame. Before, they kept the old one."""
    X, y = moons
    tl = Timelapse(X, y, every=100, resolution=4)
    clf = _fit(X, y, [tl], max_iter=60, early_stopping=True, n_iter_no_change=3, learning_rate_init=0.5)
    assert clf.history_.held_epoch == tl.held_epoch == 2 and "epoch 2" in tl.note
    last = clf.history_.epoch[-1]
    clf.set_params(warm_start=True, early_stopping=False, learning_rate_init=0.01, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert clf.history_.epoch[-1] == clf.history_.held_epoch == last + 2
    assert tl.held_epoch is None and tl.note == "" and tl.epochs[-1] == last + 2


def test_a_timelapse_on_an_autoencoder_takes_its_raw_rows(moons):
    """``epoch(app)`` turns the app's raw rows into what its network reads (an Autoencoder's standardised rows), as the lens'
    other functions do: the same frames as a timelapse given the standardised rows and the network. Before, epoch() took
    only a module, and raw rows gave maps over the wrong plane."""
    from hiddenlayers.apps import Autoencoder

    X, _ = moons
    raw = X * np.array([40.0, 0.02]) + np.array([500.0, -3.0])  # far from standardised
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae = Autoencoder((4,), n_components=2, max_iter=3, device="cpu", random_state=0).fit(raw)
    mine, ref = Timelapse(raw, resolution=4), Timelapse(ae.network_input(raw), resolution=4)
    net = ae.network_
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    Z = torch.as_tensor(ae.network_input(raw))
    for _ in range(2):
        with mine.epoch(ae), ref.epoch(net):
            opt.zero_grad()
            loss = ((net(Z) - Z) ** 2).mean()
            loss.backward()
            opt.step()
            mine.log(loss=loss.item())
            ref.log(loss=loss.item())
    assert mine.epochs == ref.epochs == [0, 1, 2]
    for a, b in zip(mine.frames, ref.frames):
        assert list(a.maps) == list(b.maps)
        for name in a.maps:
            np.testing.assert_allclose(a.maps[name], b.maps[name], rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="Timelapse.epoch takes the torch.nn.Module being trained, or a fitted estimator"):
        with mine.epoch("net"):
            pass


def test_repr_shows_the_arguments_as_an_estimator_repr_shows_its_callbacks():
    """Before: print(clf) showed callbacks=[<hiddenlayers.lens._timelapse.Timelapse object at 0x...>]."""
    X = np.random.default_rng(0).normal(size=(150, 4))
    y = np.arange(150) % 3
    assert repr(hl.lens.Timelapse(X, y, every=2)) == (
        "Timelapse(X=<150x4 rows>, y=<labels>, every=2, layers=None, resolution=30, max_frames=60, max_rows=2000)"
    )
    assert "callbacks=[Timelapse(X=<150x4 rows>, y=None, every=1" in repr(hl.MLPClassifier(callbacks=[hl.lens.Timelapse(X)]))


def test_the_curves_caption_names_a_validation_line_only_where_one_is_drawn(watched, moons, tmp_path):
    """A fit without validation drew no green line, yet the caption read "validation score (green, dashed)"."""
    _, tl = watched  # no early stopping: no validation score
    page = tmp_path / "plain.html"
    tl.save(page)
    assert "training loss (blue); red line = this frame" in page.read_text()
    assert "green, dashed" not in page.read_text()
    X, y = moons
    scored = Timelapse(X, y, every=4, resolution=4)
    _fit(X, y, [scored], max_iter=4, early_stopping=True)
    scored.save(tmp_path / "scored.html")
    assert "training loss (blue), validation score (green, dashed); red line = this frame" in (tmp_path / "scored.html").read_text()


def test_units_that_die_during_training_are_counted_on_the_page(moons, tmp_path):
    """A ReLU unit alive on the rows at epoch 0 and dead at the end was drawn as a blue map, and nothing said it had died."""
    X, y = moons
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]] * 3))
        model[0].bias.fill_(0.0)  # each unit on for about half of the rows
    tl = Timelapse(X, y, layers=["1"], resolution=10)
    for epoch in range(3):
        with tl.epoch(model):
            if epoch == 1:
                with torch.no_grad():
                    model[0].bias[[1, 4]] = -100.0  # units 1 and 4 never on again: dead
            tl.step(torch.tensor(0.5))
    assert tl.died == {"1": [1, 4]}
    assert tl.frames[0].rows is not None and tl.frames[1].rows is None and tl.frames[-1].rows is not None  # first and last kept
    assert "2 units died during training (alive on the rows at epoch 0, dead at epoch 3): 1 units 1, 4." in tl.note
    tl.save(tmp_path / "t.html")
    assert "2 units died during training" in (tmp_path / "t.html").read_text(encoding="utf-8")
    with torch.no_grad():
        model[0].bias.fill_(0.0)  # alive again: a fresh timelapse of the same training counts none
    quiet = Timelapse(X, y, layers=["1"], resolution=10)
    for _ in range(2):
        with quiet.epoch(model):
            quiet.step(torch.tensor(0.5))
    assert quiet.died == {} and "died" not in quiet.note
