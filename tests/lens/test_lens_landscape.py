"""hl.lens.loss_landscape: the centre is the model's loss, the curve's shape is right, the weights are left exactly as they were."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import log_loss
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens._landscape import _params, _random_direction


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    with pytest.warns(Warning):  # not converged in 30 epochs: fine for a landscape
        return hl.MLPClassifier((32,), max_iter=30, random_state=0).fit(X, y)


def _state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_centre_is_sklearn_log_loss_and_weights_untouched(fitted, digits):
    X, y = digits
    before = _state(fitted.network_)
    land = hl.lens.loss_landscape(fitted, X, y, steps=11, random_state=0)
    assert land.center_loss == pytest.approx(log_loss(y, fitted.predict_proba(X)), abs=1e-5)
    assert land.losses.shape == (11,) and land.losses[5] == land.center_loss and land.betas is None
    assert land.losses[0] > land.center_loss and land.losses[-1] > land.center_loss  # a fitted model sits in a valley
    assert _same(before, _state(fitted.network_))
    np.testing.assert_array_equal(fitted.predict_proba(X[:5]), fitted.predict_proba(X[:5]))
    frame = land.to_frame()
    assert list(frame.columns) == ["alpha", "loss"] and len(frame) == 11
    with pytest.raises(ValueError, match="read-only"):
        land.losses[0] = 0.0
    # its repr is the grid's size and range, not every loss (a 51x51 surface printed 2,601 numbers)
    assert repr(land) == (f"LossLandscape({land.kind}, 11 points, alpha -1..1, center_loss={land.center_loss:.4g}, "
                          f"min loss={land.losses.min():.4g}, rows=600)")


def test_regressor_centre_is_half_mean_squared_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=120)
    with pytest.warns(Warning):
        reg = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    land = hl.lens.loss_landscape(reg, X, y, steps=5, random_state=0)
    assert land.center_loss == pytest.approx(0.5 * np.mean((reg.predict(X) - y) ** 2), rel=1e-5)
    assert land.unit == "half squared error per row, in y's units squared"


def test_a_scale_target_regressors_landscape_is_in_ys_units_and_says_so():
    """scale_target=True trains on standardised y: the landscape was in standard deviations of y (diabetes: 2226 read 0.375), unlabelled."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(Warning):
        reg = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0, scale_target=True).fit(X, y)
    assert reg.target_scale_[0] > 50
    land = hl.lens.loss_landscape(reg, X, y, steps=5, random_state=0)
    assert land.center_loss == pytest.approx(0.5 * np.mean((reg.predict(X) - y) ** 2), rel=1e-5)
    assert land.label == "loss (half squared error per row, in y's units squared)"
    assert land.plot().get_ylabel() == land.label
    lead = dict((s[0], s[2]) for s in hl.lens.report(reg, X[:200], y[:200], sections=["loss-landscape"]).sections)["loss-landscape"]
    assert "Training loss (no L2 term; half squared error per row, in y's units squared)" in lead
    clf_unit = hl.lens.loss_landscape(hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y > 140), X, y > 140, steps=3).unit
    assert clf_unit == "cross entropy per row, nats"
    assert hl.lens.loss_landscape(reg.network_, X, y[:, None], loss=torch.nn.MSELoss(), steps=3).label == "loss"  # a loss= given: its own units


def test_linear_least_squares_is_a_parabola_with_its_minimum_at_zero():
    # y = w x + b solved exactly: along the (filter-normalised) direction d = ±|w| the loss is
    # L(a) = L0 + a² w² mean(x²) (the residual is orthogonal to x and to 1, so no linear term).
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 1))
    y = 3.0 * x[:, 0] + 1.0 + 0.3 * rng.normal(size=200)
    A = np.hstack([x, np.ones((200, 1))])
    (w, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    model = nn.Linear(1, 1).double()
    with torch.no_grad():
        model.weight.fill_(w)
        model.bias.fill_(b)
    land = hl.lens.loss_landscape(model, x, y[:, None], loss=nn.MSELoss(), steps=21, span=2.0, random_state=0)
    L0 = np.mean((A @ np.array([w, b]) - y) ** 2)
    np.testing.assert_allclose(land.losses, L0 + land.alphas**2 * w**2 * np.mean(x**2), rtol=1e-10)
    assert land.alphas[int(np.argmin(land.losses))] == 0.0


def test_filter_normalisation_matches_each_weight_row_and_leaves_biases_still():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
    with torch.no_grad():
        model[3].weight[2].zero_()  # a pruned unit stays pruned
    params = _params(model)
    dirs = _random_direction(params, torch.Generator().manual_seed(0), "filter")
    for (name, p), d in zip(params, dirs):
        if p.ndim <= 1:
            assert not d.any(), name  # biases and BatchNorm's scale and shift
        else:
            torch.testing.assert_close(d.reshape(d.shape[0], -1).norm(dim=1), p.detach().reshape(p.shape[0], -1).norm(dim=1))
    layer = _random_direction(params, torch.Generator().manual_seed(0), "layer")
    torch.testing.assert_close(layer[0].norm(), params[0][1].detach().norm())


def test_between_reaches_the_other_model_at_alpha_one(fitted, digits):
    X, y = digits
    with pytest.warns(Warning):
        other = hl.MLPClassifier((32,), max_iter=5, random_state=1).fit(X, y)
    land = hl.lens.loss_landscape(fitted, X, y, between=other, span=0.5, steps=9)
    one = int(np.flatnonzero(land.alphas == 1.0)[0])
    expected = log_loss(y, other.predict_proba(X))
    assert land.losses[one] == pytest.approx(expected, abs=1e-5) and land.other_loss == pytest.approx(expected, abs=1e-5)
    assert land.losses[int(np.flatnonzero(land.alphas == 0.0)[0])] == land.center_loss
    assert land.kind == "between" and land.normalization is None


@pytest.mark.parametrize(("span", "steps"), [(1.0, 41), (0.3, 8), (0.5, 21)])
def test_between_line_passes_through_both_models_whatever_the_grid(fitted, digits, span, steps):
    X, y = digits
    other = hl.MLPClassifier((32,), max_iter=1, random_state=1)
    with pytest.warns(Warning):
        other.fit(X, y)
    land = hl.lens.loss_landscape(fitted, X, y, between=other, span=span, steps=steps, max_rows=100, random_state=0)
    assert land.alphas[0] == -span and land.alphas[-1] == 1 + span and np.all(np.diff(land.alphas) > 0)
    assert steps <= len(land.alphas) <= steps + 2 and land.losses.shape == land.alphas.shape
    assert land.losses[list(land.alphas).index(0.0)] == land.center_loss
    assert land.losses[list(land.alphas).index(1.0)] == land.other_loss


def test_default_span_is_one_along_random_directions_and_half_on_the_between_line():
    """span=None (the default): [-1, 1] along a random direction, [-0.5, 1.5] on the line to another model (Goodfellow et al.'s plot)."""
    lin, Xt, yt = nn.Linear(4, 3), torch.randn(6, 4), torch.zeros(6, dtype=torch.long)
    ce = nn.CrossEntropyLoss()
    random = hl.lens.loss_landscape(lin, Xt, yt, loss=ce, steps=5, random_state=0)
    assert list(random.alphas) == [-1.0, -0.5, 0.0, 0.5, 1.0]
    line = hl.lens.loss_landscape(lin, Xt, yt, loss=ce, between=nn.Linear(4, 3), steps=5)
    assert list(line.alphas) == [-0.5, 0.0, 0.5, 1.0, 1.5]
    assert hl.lens.loss_landscape(lin, Xt, yt, loss=ce, between=nn.Linear(4, 3), span=1.0, steps=5).alphas[0] == -1.0  # a given span is kept


@given(span=st.floats(0.01, 5.0), half=st.integers(1, 40))
@settings(max_examples=100, deadline=None)
def test_odd_grid_has_the_model_exactly_at_its_middle(span, half):
    from hiddenlayers.lens._landscape import _grid

    grid = _grid(-span, span, 2 * half + 1, (0.0,), insert=False)
    assert grid[half] == 0.0 and len(grid) == 2 * half + 1 and np.all(np.diff(grid) > 0)


def test_odd_steps_put_a_point_exactly_on_the_model(fitted, digits):
    X, y = digits
    land = hl.lens.loss_landscape(fitted, X, y, span=0.05, steps=23, max_rows=100, random_state=0)  # linspace's middle is 7e-18 here
    assert land.alphas[11] == 0.0 and land.losses[11] == land.center_loss


def test_reproducible_with_random_state_and_2d_grid(fitted, digits):
    X, y = digits
    a = hl.lens.loss_landscape(fitted, X, y, directions=2, steps=5, random_state=3, max_rows=200)
    b = hl.lens.loss_landscape(fitted, X, y, directions=2, steps=5, random_state=3, max_rows=200)
    c = hl.lens.loss_landscape(fitted, X, y, directions=2, steps=5, random_state=4, max_rows=200)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert a.losses.shape == (5, 5) and a.losses[2, 2] == a.center_loss and a.rows == 200
    assert not np.array_equal(a.losses, c.losses)
    assert list(a.to_frame().columns) == ["alpha", "beta", "loss"]
    ax = a.plot()
    assert ax.get_xlabel() == "direction 1" and ax.get_ylabel() == "direction 2"


def test_weights_and_modes_restored_when_the_loss_raises():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    model[1].eval()
    before, modes = _state(model), [m.training for m in model.modules()]
    calls = {"n": 0}

    def flaky(out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("boom")
        return nn.functional.cross_entropy(out, yb)

    X, y = torch.randn(30, 4), torch.randint(0, 3, (30,))
    with pytest.raises(RuntimeError, match="boom"):
        hl.lens.loss_landscape(model, X, y, loss=flaky, steps=7, random_state=0)
    assert _same(before, _state(model)) and [m.training for m in model.modules()] == modes
    land = hl.lens.loss_landscape(model, X, y, loss=nn.CrossEntropyLoss(), steps=5, random_state=0)
    assert np.isfinite(land.losses).all() and _same(before, _state(model)) and [m.training for m in model.modules()] == modes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 2}, "steps must be an integer >= 3"),
        ({"span": 0}, r"span must be None \(the default reach\) or a finite number > 0"),
        ({"span": float("nan")}, r"span must be None \(the default reach\) or a finite number > 0"),
        ({"directions": 3}, "directions must be 1"),
        ({"normalization": "unit"}, "normalization must be 'filter'"),
        ({"directions": 2, "between": nn.Linear(4, 3)}, "pass directions=1 with it"),
    ],
)
def test_bad_arguments_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message):
        hl.lens.loss_landscape(nn.Linear(4, 3), torch.randn(5, 4), torch.zeros(5, dtype=torch.long), loss=nn.CrossEntropyLoss(), **kwargs)


def test_bad_data_and_models_one_line(fitted, digits):
    X, y = digits
    lin, Xt, yt = nn.Linear(4, 3), torch.randn(5, 4), torch.zeros(5, dtype=torch.long)
    with pytest.raises(ValueError, match=r"loss= is required for a Linear.*CrossEntropyLoss"):
        hl.lens.loss_landscape(lin, Xt, yt)
    bad = Xt.clone()
    bad[2, 1] = float("nan")
    with pytest.raises(ValueError, match="X holds NaN or infinite values \\(first in row 2\\)"):
        hl.lens.loss_landscape(lin, bad, yt, loss=nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="X has 0 rows"):
        hl.lens.loss_landscape(lin, Xt[:0], yt[:0], loss=nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="y has 4 rows but the network reads 5 rows"):
        hl.lens.loss_landscape(lin, Xt, yt[:4], loss=nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match=r"parameter 'weight' has shape \(3, 5\) there, \(3, 4\) here"):
        hl.lens.loss_landscape(lin, Xt, yt, loss=nn.CrossEntropyLoss(), between=nn.Linear(5, 3))
    with pytest.raises(ValueError, match="another architecture.*parameter '0.weight'"):
        hl.lens.loss_landscape(nn.Sequential(lin), Xt, yt, loss=nn.CrossEntropyLoss(), between=lin)
    with pytest.raises(ValueError, match="loss must return one number per batch"):
        hl.lens.loss_landscape(lin, Xt, yt, loss=nn.CrossEntropyLoss(reduction="none"))
    with pytest.raises(ValueError, match="labels the model was not fitted on \\(99\\)"):
        hl.lens.loss_landscape(fitted, X[:3], np.array([0, 1, 99]))


@settings(max_examples=40, deadline=None)
@given(steps=st.one_of(st.integers(-5, 50), st.floats(allow_nan=True), st.booleans()),
       span=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3), st.none()))
def test_validation_accepts_exactly_the_valid_grids(steps, span):
    from hiddenlayers.lens._landscape import _check_args

    valid = (isinstance(steps, int) and not isinstance(steps, bool) and steps >= 3
             and (span is None or (not isinstance(span, bool) and np.isfinite(span) and span > 0)))
    if valid:
        _check_args(1, span, steps, "filter", None)
    else:
        with pytest.raises(ValueError, match="^(steps|span) must be"):
            _check_args(1, span, steps, "filter", None)


def test_report_section_draws_two_curves_or_says_why(fitted, digits):
    X, y = digits
    from hiddenlayers.lens._report_landscape import landscape_section
    from hiddenlayers.lens._target import as_target

    lead, body = landscape_section(as_target(fitted), as_target(fitted).prepared(X), y)
    assert "two random filter-normalised directions" in lead and "direction 2" in body and "<img" in body
    _, body = landscape_section(as_target(nn.Linear(64, 10)), X.astype(np.float32), y)
    assert "Linear has no training loss the report can evaluate" in body
    _, body = landscape_section(as_target(fitted), as_target(fitted).prepared(X), None)
    assert "pass y to the report" in body


def test_report_note_names_l2_as_well_as_stopping_early(digits):
    """A strongly regularised fit sits off the data loss's bottom by design: the note said only "training had not reached the bottom"."""
    X, y = digits
    from hiddenlayers.lens._report_landscape import landscape_section
    from hiddenlayers.lens._target import as_target

    with pytest.warns(Warning):
        heavy = hl.MLPClassifier((16,), alpha=1.0, max_iter=20, random_state=0).fit(X[:300], y[:300])
    _, body = landscape_section(as_target(heavy), as_target(heavy).prepared(X[:300]), y[:300])
    assert "the L2 penalty (alpha) holds the weights back" in body and "too few epochs, or early stopping" in body


def test_image_classifier_uses_its_own_training_loss(digits):
    from hiddenlayers.apps import ImageClassifier

    X, y = digits
    images = X[:100].reshape(-1, 8, 8)
    clf = ImageClassifier("conv4k3,8", max_iter=1, early_stopping=False, random_state=0).fit(images, y[:100])
    land = hl.lens.loss_landscape(clf, images, y[:100], steps=3, random_state=0)
    assert land.center_loss == pytest.approx(log_loss(y[:100], clf.predict_proba(images), labels=clf.classes_), abs=1e-5)
    with pytest.raises(ValueError, match="one label of classes_"):
        clf.network_targets(np.array([0, 1, 42]))


def test_apps_fitted_without_y_take_targets_from_X_and_others_need_y():
    rows = np.random.default_rng(0).normal(size=(150, 4))
    ae = hl.Autoencoder((6,), n_components=2, max_iter=3, early_stopping=False, random_state=0, device="cpu").fit(rows)
    land = hl.lens.loss_landscape(ae, rows, steps=5, random_state=0)  # y=None: the rows are the targets
    Z = (rows - rows.mean(0)) / rows.std(0)
    R = (ae.inverse_transform(ae.transform(rows)) - rows.mean(0)) / rows.std(0)
    assert land.center_loss == pytest.approx(0.5 * ((R - Z) ** 2).sum(1).mean(), rel=1e-5)
    assert hl.lens.loss_landscape(ae, rows, np.zeros(150), steps=5, random_state=0).center_loss == land.center_loss  # y ignored, as fit does

    s = np.sin(np.arange(300) / 5.0)
    f = hl.Forecaster(window=8, horizon=2, hidden_layer_sizes=(8,), max_iter=3, random_state=0, device="cpu").fit(s)
    full = hl.lens.loss_landscape(f, s, steps=5, random_state=0, max_rows=None)
    assert full.rows == 300 - 8 - 2 + 1  # every window with a full horizon after it
    part = hl.lens.loss_landscape(f, s, steps=5, random_state=0, max_rows=50)
    assert part.rows == 50 and part.center_loss == pytest.approx(full.center_loss, rel=0.5)  # whole windows sampled, not series values

    with pytest.warns(Warning):  # not converged in 5 epochs
        clf = hl.MLPClassifier((4,), max_iter=5, random_state=0).fit(rows, rows[:, 0] > 0)
    with pytest.raises(ValueError, match="y is required for a MLPClassifier"):
        hl.lens.loss_landscape(clf, rows)


# ---------------------------------------------------------------- weighted rows: sample_weight and class_weight
@pytest.fixture(scope="module")
def skewed_digits(digits):
    """Digits with 0-3 merged into class 0 (about 4x the others), and a 'balanced' classifier fitted on them."""
    X, y = digits
    y = np.where(y < 4, 0, y)
    with pytest.warns(Warning):  # not converged: fine for a landscape
        clf = hl.MLPClassifier((16,), max_iter=20, random_state=0, class_weight="balanced").fit(X, y)
    return X, y, clf


def test_class_weighted_centre_is_the_weighted_log_loss_fit_minimised(skewed_digits):
    from sklearn.utils.class_weight import compute_sample_weight

    X, y, clf = skewed_digits
    p = clf.predict_proba(X)
    land = hl.lens.loss_landscape(clf, X, y, steps=3, random_state=0)
    weighted = log_loss(y, p, sample_weight=compute_sample_weight("balanced", y))
    assert land.center_loss == pytest.approx(weighted, abs=1e-5)
    assert abs(weighted - log_loss(y, p)) > 1e-3  # the test tells the two apart
    plain = hl.lens.loss_landscape(clf, X, y, steps=3, random_state=0, class_weighted=False)
    assert plain.center_loss == pytest.approx(log_loss(y, p), abs=1e-5)
    sw = np.arange(len(y)) % 3  # explicit weights multiply the class weights, as fit does
    both = hl.lens.loss_landscape(clf, X, y, steps=3, random_state=0, sample_weight=sw)
    assert both.center_loss == pytest.approx(log_loss(y, p, sample_weight=sw * compute_sample_weight("balanced", y)), abs=1e-5)


def test_explicit_sample_weight_is_sampled_with_the_rows(fitted, digits):
    from hiddenlayers.lens._target import sample_index

    X, y = digits
    p = fitted.predict_proba(X)
    sw = 1.0 + (y == 3) * 9.0  # row weights 1 and 10
    land = hl.lens.loss_landscape(fitted, X, list(y), steps=3, random_state=0, sample_weight=list(sw))
    assert land.center_loss == pytest.approx(log_loss(y, p, sample_weight=sw), abs=1e-5)
    idx = sample_index(len(y), 150, np.random.default_rng(1))  # loss_landscape's own draw for random_state=1
    part = hl.lens.loss_landscape(fitted, X, y, steps=3, random_state=1, max_rows=150, sample_weight=torch.as_tensor(sw))
    assert part.rows == 150
    assert part.center_loss == pytest.approx(log_loss(y[idx], p[idx], sample_weight=sw[idx], labels=fitted.classes_), abs=1e-5)


def test_balanced_counts_every_row_of_y_when_max_rows_samples(skewed_digits):
    from sklearn.utils.class_weight import compute_sample_weight

    from hiddenlayers.lens._target import sample_index

    X, y, clf = skewed_digits
    idx = sample_index(len(y), 100, np.random.default_rng(2))
    land = hl.lens.loss_landscape(clf, X, y, steps=3, random_state=2, max_rows=100)
    w = compute_sample_weight("balanced", y)[idx]  # fit's weights of the rows drawn, not the sample's own balance
    assert land.center_loss == pytest.approx(log_loss(y[idx], clf.predict_proba(X[idx]), sample_weight=w, labels=clf.classes_), abs=1e-5)


@pytest.mark.parametrize(
    ("sw", "message"),
    [
        (np.ones(599), r"sample_weight must hold one weight per row of X: X has 600 rows, sample_weight has shape \(599,\)"),
        (np.ones((600, 1)), r"one weight per row of X: X has 600 rows, sample_weight has shape \(600, 1\)"),
        (np.r_[np.ones(599), -1.0], r"sample_weight must be >= 0. Received: sample_weight\[599\]=-1"),
        (np.r_[np.nan, np.ones(599)], r"sample_weight must be finite. Received: sample_weight\[0\]=nan"),
        (np.r_[np.ones(599), np.inf], r"sample_weight must be finite. Received: sample_weight\[599\]=inf"),
        (np.zeros(600), "sample_weight is 0 for every row"),
        (np.array(["a"] * 600), "sample_weight must hold numbers"),
    ],
)
def test_bad_sample_weight_one_line(fitted, digits, sw, message):
    X, y = digits
    with pytest.raises(ValueError, match=message) as err:
        hl.lens.loss_landscape(fitted, X, y, steps=3, sample_weight=sw)
    assert "\n" not in str(err.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 3)), min_size=0, max_size=6))
def test_weight_check_accepts_exactly_finite_non_negative_weights_not_all_zero(values):
    from hiddenlayers.lens._landscape_weights import check_weights

    w = np.asarray(values, dtype=np.float64)
    valid = len(w) == 4 and np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0
    if valid:
        np.testing.assert_array_equal(check_weights(values, 4), w)
    else:
        with pytest.raises(ValueError, match="^sample_weight ") as err:
            check_weights(values, 4)
        assert "\n" not in str(err.value)


def test_sample_weight_where_it_cannot_apply_is_refused(fitted, digits):
    from hiddenlayers.lens._target import sample_index

    X, y = digits
    lin = nn.Linear(4, 3)
    with pytest.raises(ValueError, match="sample_weight works with the model's own training loss"):
        hl.lens.loss_landscape(lin, torch.randn(5, 4), torch.zeros(5, dtype=torch.long), loss=nn.CrossEntropyLoss(), sample_weight=np.ones(5))
    rows = np.random.default_rng(0).normal(size=(40, 3))
    ae = hl.Autoencoder((4,), n_components=2, max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(rows)
    with pytest.raises(ValueError, match="sample_weight does not apply to this Autoencoder: its targets come from X"):
        hl.lens.loss_landscape(ae, rows, steps=3, sample_weight=np.ones(40))
    idx = sample_index(len(y), 10, np.random.default_rng(0))
    sw = np.zeros(len(y))
    sw[np.setdiff1d(np.arange(len(y)), idx)[0]] = 1.0  # the one weighted row is not among the 10 drawn
    with pytest.raises(ValueError, match="the 10 rows the loss is taken on all have weight 0.*raise max_rows"):
        hl.lens.loss_landscape(fitted, X, y, steps=3, random_state=0, max_rows=10, sample_weight=sw)
    with pytest.raises(TypeError, match="class_weighted must be True"):
        hl.lens.loss_landscape(fitted, X, y, steps=3, class_weighted="yes")


def test_image_classifier_with_class_weight_uses_its_weighted_loss(digits):
    from sklearn.utils.class_weight import compute_sample_weight

    from hiddenlayers.apps import ImageClassifier

    X, y = digits
    images, labels = X[:100].reshape(-1, 8, 8), np.where(y[:100] < 5, 0, 1)
    cw = {0: 1.0, 1: 3.0}
    clf = ImageClassifier("conv4k3,8", max_iter=1, early_stopping=False, random_state=0, class_weight=cw).fit(images, labels)
    land = hl.lens.loss_landscape(clf, images, labels, steps=3, random_state=0)
    w = compute_sample_weight(cw, labels)
    assert land.center_loss == pytest.approx(log_loss(labels, clf.predict_proba(images), sample_weight=w), abs=1e-5)
    assert land.center_loss != pytest.approx(log_loss(labels, clf.predict_proba(images)), abs=1e-4)


def test_report_section_weighs_a_class_weighted_model(skewed_digits):
    from hiddenlayers.lens._report_landscape import landscape_section
    from hiddenlayers.lens._target import as_target

    X, y, clf = skewed_digits
    lead, _ = landscape_section(as_target(clf), as_target(clf).prepared(X), y)
    assert "weighted by the model's class_weight" in lead
