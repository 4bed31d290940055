"""Gradient-flow callback: records per layer per epoch, kept in history_ and the model file."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import hiddenlayers as hl
from hiddenlayers.lens import GradientFlow, gradient_flow_table


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_records_every_epoch_and_survives_save_load(tmp_path, engine):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8, 4), max_iter=4, random_state=0, engine=engine, callbacks=[GradientFlow(X[:50])]).fit(X, y)
    recs = clf.history_.extra["gradient_flow"]
    assert [r["epoch"] for r in recs] == [1, 2, 3, 4]
    row = recs[-1]["layers"]["hidden1"]
    assert row["grad_norm"] > 0 and row["weight_norm"] > 0 and 0 < row["update_ratio"] < 1
    assert row["units"] == 8 and 0 <= row["fraction_active"] <= 1
    expected = float(np.linalg.norm(clf.coefs_[0]))
    assert row["weight_norm"] == pytest.approx(expected, rel=1e-5)
    path = tmp_path / "m.safetensors"
    clf.save(path)
    loaded = hl.load(path)
    assert loaded.history_.extra["gradient_flow"] == recs
    table = gradient_flow_table(loaded.history_)
    assert table["hidden2"]["grad_norm"].shape == (4,)


def test_without_data_only_gradients_and_every():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((5,), max_iter=4, random_state=0, callbacks=[GradientFlow(every=2)]).fit(X, y)
    recs = clf.history_.extra["gradient_flow"]
    assert [r["epoch"] for r in recs] == [2, 4]
    assert "fraction_active" not in recs[0]["layers"]["hidden1"]
    t = gradient_flow_table(clf.history_)
    assert math.isnan(t["hidden1"]["fraction_active"][0])
    with pytest.raises(ValueError, match="every must be"):
        GradientFlow(every=0)


def test_gradient_norm_and_update_ratio_match_autograd():
    """One full batch per epoch: the recorded gradient is autograd's of the mean loss at the epoch's starting weights."""
    import copy

    import torch
    from sklearn.datasets import load_iris

    from hiddenlayers.training import Callback

    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)

    class Snapshot(Callback):
        def __init__(self) -> None:
            self.states: list[dict] = []

        def on_epoch_begin(self, **kwargs):
            self.states.append(copy.deepcopy(kwargs["network"].state_dict()))

    snap = Snapshot()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8, 4), max_iter=3, random_state=0, solver="sgd", batch_size=150, alpha=0.01,
                               learning_rate_init=0.1, callbacks=[snap, GradientFlow()]).fit(X, y)
    rec = clf.history_.extra["gradient_flow"][-1]["layers"]
    net = copy.deepcopy(clf.network_)
    net.load_state_dict(snap.states[-1])
    out = net(torch.tensor(X, dtype=torch.float32))
    l2 = 0.01 / (2 * 150) * sum((lin.weight ** 2).sum() for lin in net.linears())  # scikit-learn's penalty
    (torch.nn.functional.cross_entropy(out, torch.tensor(y)) + l2).backward()
    for name in ("hidden1", "hidden2"):
        w_start = snap.states[-1][f"{name}.linear.weight"]
        w_end = getattr(clf.network_, name).linear.weight.detach()
        assert rec[name]["grad_norm"] == pytest.approx(float(getattr(net, name).linear.weight.grad.norm()), rel=1e-5)
        assert rec[name]["update_ratio"] == pytest.approx(float((w_end - w_start).norm() / w_start.norm()), rel=1e-5)


@pytest.mark.parametrize("spec,shape", [("conv3k3,pool2,5", (1, 6, 6)), ("lstm4,5", (5, 2))])
def test_convolution_and_recurrent_layers_are_recorded(spec, shape):
    """Their weights live in .conv / .rnn, not .linear: they used to get no row at all."""
    import torch

    from hiddenlayers import Network
    from hiddenlayers.training import Callback, train

    torch.manual_seed(0)
    net = Network(shape, spec, 2)
    X, Y = torch.randn(32, *shape), torch.randn(32, 2)
    wanted = {n: [p for k, p in m.named_parameters() if k.rsplit(".", 1)[-1].startswith("weight")] for n, m in ((n, getattr(net, n)) for n in net.hidden_names)}
    expected: list[dict[str, float]] = []

    class Grads(Callback):  # runs after GradientFlow: the same .grad it read
        def on_epoch_end(self, **kwargs):
            expected.append({n: float(torch.sqrt(sum(p.grad.double().square().sum() for p in ps))) for n, ps in wanted.items() if ps})

    result = train(net, X, Y, loss="squared_error", solver="sgd", batch_size=32, max_epochs=2, callbacks=[GradientFlow(X[:16].numpy()), Grads()])
    recs = result.history.extra["gradient_flow"]
    assert [sorted(r["layers"]) for r in recs] == [sorted(e) for e in expected] and "hidden1" in expected[0]
    for rec, exp in zip(recs, expected):
        for name, g in exp.items():
            row = rec["layers"][name]
            assert g > 0 and row["grad_norm"] == pytest.approx(g, rel=1e-6)
            assert row["weight_norm"] > 0 and 0 < row["update_ratio"] < 1 and row["units"] > 0


def test_every_k_still_records_the_last_epoch_as_every_1_does():
    """max_iter=5, every=3: epochs 3 and 5 (the last), each the same record as every=1 gives (activation stats included)."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    runs = {}
    for k in (1, np.int64(3)):
        flow = GradientFlow(X, every=k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = hl.MLPClassifier((6,), max_iter=5, random_state=0, callbacks=[flow]).fit(X, y)
        runs[int(k)] = (flow.records, clf)
    every1, every3 = runs[1][0], runs[3][0]
    assert [r["epoch"] for r in every3] == [3, 5]
    assert [r["epoch"] for r in runs[3][1].history_.extra["gradient_flow"]] == [3, 5]
    for got, want in zip(every3, (every1[2], every1[4])):
        assert set(got["layers"]["hidden1"]) == set(want["layers"]["hidden1"])
        for key, value in want["layers"]["hidden1"].items():
            assert got["layers"]["hidden1"][key] == pytest.approx(value, rel=1e-6), key
    # the weights training kept are back in the network after the last record's statistics
    assert every3[-1]["layers"]["hidden1"]["weight_norm"] == pytest.approx(float(np.linalg.norm(runs[3][1].coefs_[0])), rel=1e-5)


@pytest.mark.parametrize("every", [np.int32(2), np.int64(1)])
def test_every_takes_numpy_integers(every):
    assert GradientFlow(every=every).every == int(every)


@pytest.mark.parametrize("every", [True, np.bool_(True), 2.0, "2", 0, np.int64(-1)])
def test_every_refuses_bools_floats_and_non_positive(every):
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        GradientFlow(every=every)


def test_every_k_over_partial_fit_calls_records_every_kth_call_only():
    """Each partial_fit call ends its own short run: recording its 'last epoch' would record every call."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    flow = GradientFlow(X, every=3)
    clf = hl.MLPClassifier((5,), random_state=0, callbacks=[flow])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(7):
            clf.partial_fit(X, y, classes=np.unique(y))
    assert [r["epoch"] for r in flow.records] == [3, 6]


class _CountEpochs(hl.Callback):
    def __init__(self) -> None:
        self.epochs = 0

    def on_epoch_end(self, **kwargs: object) -> None:
        self.epochs += 1


@pytest.mark.parametrize("warm", [False, True])
def test_rows_the_network_cannot_take_are_refused_before_any_epoch(warm):
    """GradientFlow(X) of the wrong width was read only at the first epoch's end: an epoch ran, then an error about the
    network's X that did not name GradientFlow. Now it is one line naming GradientFlow(X) before any step."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    clf = hl.MLPClassifier((8,), max_iter=2, random_state=0, warm_start=warm)
    if warm:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X, y)
    before = [c.copy() for c in clf.coefs_] if warm else None
    counter = _CountEpochs()
    clf.set_params(callbacks=[counter, GradientFlow(X[:, :3])])
    with pytest.raises(ValueError, match=r"^GradientFlow\(X\): its rows do not fit the network being trained: Network expects an input of shape "
                                         r"\(N, 4\).*Received: shape \(150, 3\), dtype float32; give it rows of 4 values; give "
                                         r"GradientFlow rows as fit takes them, e\.g\. GradientFlow\(X_train\)") as info:
        clf.fit(X, y)
    assert "\n" not in str(info.value)
    assert counter.epochs == 0
    if warm:
        assert all((a == b).all() for a, b in zip(before, clf.coefs_))
        assert clf.n_iter_ == 2
    else:
        assert not hasattr(clf, "coefs_")


def test_rows_that_fit_leave_the_fit_as_without_the_check():
    """The check runs one forward in eval mode under inference_mode: the fit's weights are those of a fit without X."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = hl.MLPClassifier((8,), max_iter=3, random_state=0, callbacks=[GradientFlow(X)]).fit(X, y)
        b = hl.MLPClassifier((8,), max_iter=3, random_state=0, callbacks=[GradientFlow()]).fit(X, y)
    assert all((p == q).all() for p, q in zip(a.coefs_, b.coefs_))


def test_repr_shows_the_arguments_as_an_estimator_repr_shows_its_callbacks():
    """Before: print(clf) showed callbacks=[<hiddenlayers.lens._gradflow.GradientFlow object at 0x...>]."""
    import torch

    X = np.zeros((150, 4))
    assert repr(GradientFlow(X, every=2)) == "GradientFlow(X=<150x4 rows>, layers=None, every=2, max_rows=1024)"
    assert repr(GradientFlow(layers=torch.nn.Linear, max_rows=None)) == "GradientFlow(layers=Linear, every=1, max_rows=None)"
    assert "GradientFlow(layers='hidden*', every=1" in repr(hl.MLPClassifier(callbacks=[GradientFlow(layers="hidden*")]))


def test_a_new_fit_starts_the_records_afresh_and_a_warm_fit_numbers_on():
    """Before: fitting again with the same GradientFlow (a re-run notebook cell) left records of epochs 1, 2, 1, 2, so
    to_frame() and plot() mixed two runs. Now a fit with a new history starts afresh; warm fits and partial_fit go on."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    flow = GradientFlow(X[:20])
    clf = hl.MLPClassifier((4,), max_iter=2, random_state=0, callbacks=[flow])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
        clf.fit(X, y)
        assert [r["epoch"] for r in flow.records] == [1, 2]
        assert flow.records == clf.history_.extra["gradient_flow"]
        clf.set_params(warm_start=True).fit(X, y)
        assert [r["epoch"] for r in flow.records] == [1, 2, 3, 4]
        pf = hl.MLPClassifier((4,), random_state=0, callbacks=[flow])
        pf.partial_fit(X, y, classes=[0, 1, 2])
        pf.partial_fit(X, y)
    assert [r["epoch"] for r in flow.records] == [1, 2]
