"""The lens on a scikit-learn Pipeline whose last step is ours: every entry point runs the earlier steps first and gives
the numbers of the two-step call ``model=pipe[-1], X=pipe[:-1].transform(X)``, named by the encoded columns the network
reads. Before, each refused the Pipeline in one line naming that two-step call; the refusals that stay are pinned here."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline, make_pipeline

import hiddenlayers as hl
from fit_helpers import quiet_fit
from hiddenlayers import lens
from hiddenlayers.exceptions import NotFittedError

ENCODED = ["size", "weight", "color=blue", "color=green", "color=red"]


@pytest.fixture(scope="module")
def table_pipe() -> tuple[Pipeline, pd.DataFrame, np.ndarray]:
    """A TableEncoder then an MLP on a made table of 90 rows with a text column (a few epochs: the numbers, not the fit, matter)."""
    rng = np.random.default_rng(0)
    n = 90
    X = pd.DataFrame({"size": rng.normal(size=n), "weight": rng.normal(3.0, 2.0, size=n),
                      "color": rng.choice(["red", "green", "blue"], size=n)})
    y = np.where(X["size"] + (X["color"] == "red") > 0.4, "yes", "no")
    pipe = quiet_fit(make_pipeline(hl.TableEncoder(), hl.MLPClassifier((8, 6), max_iter=12, random_state=0)), X, y)
    return pipe, X, y


def _two_step(pipe: Pipeline, X: pd.DataFrame) -> tuple[object, np.ndarray]:
    return pipe[-1], pipe[:-1].transform(X)


def test_the_network_reads_the_encoded_columns_by_name(table_pipe: tuple) -> None:
    pipe, X, _ = table_pipe
    target = lens.as_target(pipe)
    assert sorted(target.feature_names or []) == sorted(ENCODED) and target.feature_names == list(pipe[:-1].get_feature_names_out())
    assert target.module is pipe[-1].network_ and target.estimator is pipe[-1]
    assert "encoded columns" in (target.input_space or "")
    assert lens.as_target(pipe[-1]).input_space is None  # the MLP alone reads its own columns


def test_record_summary_similarity_probe_and_project_match_the_two_step_call(table_pipe: tuple) -> None:
    pipe, X, y = table_pipe
    mlp, Xt = _two_step(pipe, X)
    got, want = lens.record(pipe, X, pre=True, keep_output=True), lens.record(mlp, Xt, pre=True, keep_output=True)
    assert list(got) == list(want) == ["hidden1", "hidden2"]
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])
        np.testing.assert_array_equal(got.pre[name], want.pre[name])
    np.testing.assert_array_equal(got.output, want.output)
    np.testing.assert_array_equal(lens.layer_similarity(pipe, X).matrix, lens.layer_similarity(mlp, Xt).matrix)
    p, q = lens.probe(pipe, X, y), lens.probe(mlp, Xt, y)
    assert (p.layers, p.test_score, p.train_score) == (q.layers, q.test_score, q.train_score)
    a, b = lens.project(pipe, X), lens.project(mlp, Xt)
    for name in b:
        np.testing.assert_array_equal(a[name], b[name])
    import io

    from rich.console import Console

    s, t = (lens.summary(m, x, console=Console(file=io.StringIO())) for m, x in ((pipe, X), (mlp, Xt)))
    assert [v.to_dict() for v in s] == [v.to_dict() for v in t]


def test_attributions_match_the_two_step_call(table_pipe: tuple) -> None:
    pipe, X, _ = table_pipe
    mlp, Xt = _two_step(pipe, X)
    rows, rows_t = X.iloc[:10], Xt[:10]
    np.testing.assert_allclose(lens.attribute(pipe, rows, target="yes", n_steps=16), lens.attribute(mlp, rows_t, target="yes", n_steps=16))
    np.testing.assert_allclose(lens.layer_attribution(pipe, rows, "hidden1", target="no", n_steps=16),
                               lens.layer_attribution(mlp, rows_t, "hidden1", target="no", n_steps=16))
    np.testing.assert_allclose(lens.neuron_attribution(pipe, rows, "hidden1", 0, n_steps=16), lens.neuron_attribution(mlp, rows_t, "hidden1", 0, n_steps=16))
    imp = lens.feature_importance(pipe, X, n_steps=8)
    np.testing.assert_allclose(imp, lens.feature_importance(mlp, Xt, n_steps=8))
    assert imp.shape == (len(ENCODED),)  # one per encoded column, in as_target(pipe).feature_names' order


def test_maps_preferred_inputs_landscape_and_shift_match_the_two_step_call(table_pipe: tuple) -> None:
    pipe, X, y = table_pipe
    mlp, Xt = _two_step(pipe, X)
    m, n = lens.neuron_maps(pipe, X, resolution=5), lens.neuron_maps(mlp, Xt, resolution=5)
    np.testing.assert_array_equal(m.maps["hidden1"], n.maps["hidden1"])
    pref = lens.preferred_inputs(pipe, X, units=[0, 1], steps=10)
    two = lens.preferred_inputs(mlp, Xt, units=[0, 1], steps=10)
    np.testing.assert_array_equal(pref.inputs, two.inputs)
    assert pref.feature_names == list(pipe[:-1].get_feature_names_out()) and two.feature_names is None  # numpy rows: no names
    assert pref.input_space is not None and two.input_space is None
    assert "in the encoded columns the network reads" in pref.plot(max_units=2).get_suptitle()
    land = {"steps": 5, "random_state": 0}
    np.testing.assert_array_equal(lens.loss_landscape(pipe, X, y, **land).losses, lens.loss_landscape(mlp, Xt, y, **land).losses)
    d, e = lens.domain_shift(pipe, X.iloc[:45], X.iloc[45:], n_permutations=20), lens.domain_shift(mlp, Xt[:45], Xt[45:], n_permutations=20)
    assert d.to_dict() == e.to_dict()


def test_freeze_curve_fine_tunes_the_last_step_on_the_encoded_rows(table_pipe: tuple) -> None:
    pipe, X, y = table_pipe
    mlp, Xt = _two_step(pipe, X)
    opts = {"n_splits": 1, "params": {"max_iter": 3}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert lens.freeze_curve(pipe, X, y, **opts).to_dict() == lens.freeze_curve(mlp, Xt, y, **opts).to_dict()


def test_report_names_the_encoded_columns_and_matches_the_two_step_call(table_pipe: tuple) -> None:
    pipe, X, y = table_pipe
    mlp, Xt = _two_step(pipe, X)
    wanted = ["layers", "probes", "features", "preferred-inputs"]
    rep, two = lens.report(pipe, X, y, sections=wanted), lens.report(mlp, Xt, y, sections=wanted)
    assert rep.title == "Inside Pipeline (TableEncoder, MLPClassifier)"
    assert rep.warnings == two.warnings
    body, body_two = ({sid: b for sid, _, _, b in r.sections} for r in (rep, two))
    assert body["layers"] == body_two["layers"] and body["probes"] == body_two["probes"]
    assert "color=red" in body["features"] and "color=red" not in body_two["features"]
    assert "color=red" in body["preferred-inputs"] and "encoded columns the network reads" in body["preferred-inputs"]


def test_report_takes_feature_names_as_columns_or_an_array(table_pipe: tuple) -> None:
    """``feature_names=frame.columns`` (a pandas Index) or an ndarray names the features, for a Pipeline and a model alone.
    Before, ``feature_names or ...`` asked the Index its truth: the Pipeline's report raised "The truth value of a Index is
    ambiguous", and the model's "Top features" section read "could not be computed"."""
    pipe, X, y = table_pipe
    mlp, Xt = _two_step(pipe, X)
    names = pd.Index(["s", "w", "blue", "green", "red"])
    for model, rows in ((pipe, X), (mlp, Xt)):
        for given in (names, names.to_numpy()):
            body = {sid: b for sid, _, _, b in lens.report(model, rows, y, sections=["features"], feature_names=given).sections}["features"]
            assert "could not be computed" not in body and "green" in body and "color=green" not in body


def test_steps_that_fill_and_project_run_first_and_name_their_outputs(iris: tuple) -> None:
    """make_pipeline(SimpleImputer, StandardScaler, PCA(3), MLP): a NaN the imputer fills is no error (pipe.predict takes
    it), the network's inputs are named pca0..pca2; a Pipeline with no imputer still refuses the NaN row in one line."""
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    X, y = iris
    X = X.copy()
    X[3, 1] = np.nan
    pipe = quiet_fit(make_pipeline(SimpleImputer(), StandardScaler(), PCA(3), hl.MLPClassifier((5,), max_iter=5, random_state=0)), X, y)
    np.testing.assert_array_equal(lens.record(pipe, X)["hidden1"], lens.record(pipe[-1], pipe[:-1].transform(X))["hidden1"])
    assert lens.as_target(pipe).feature_names == ["pca0", "pca1", "pca2"]
    scaled = quiet_fit(make_pipeline(StandardScaler(), hl.MLPClassifier((5,), max_iter=5, random_state=0)), np.nan_to_num(X), y)
    with pytest.raises(ValueError, match=r"^X holds NaN or infinite values \(first in row 3\)"):
        lens.record(scaled, X)


class _FitOnly(BaseEstimator):
    """A step with no transform (fitted by hand): the Pipeline's rows cannot be made."""

    def fit(self, X: object, y: object = None) -> _FitOnly:
        return self


def test_refusals_stay_one_line(table_pipe: tuple, iris: tuple) -> None:
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.preprocessing import StandardScaler

    pipe, X, y = table_pipe
    Xi, yi = iris
    head = "model must be a fitted estimator or application of hiddenlayers (MLPClassifier, Autoencoder, Forecaster, ...) or a torch.nn.Module. "
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk_pipe = make_pipeline(StandardScaler(), SkMLP((4,), max_iter=2, random_state=0)).fit(Xi, yi)
    for call in (lambda m: lens.record(m, Xi), lambda m: lens.summary(m, Xi), lambda m: lens.report(m, Xi, yi, sections=["layers"])):
        with pytest.raises(TypeError, match="^" + re.escape(head + "Received: Pipeline (a scikit-learn Pipeline whose last step is MLPClassifier from sklearn, not hiddenlayers: fit hl.MLPClassifier instead (it takes the same parameters)).") + "$"):
            call(sk_pipe)
    no_transform = Pipeline([("fit_only", _FitOnly()), ("clf", pipe[-1])])
    with pytest.raises(TypeError, match="^" + re.escape(head + "Received: Pipeline (a scikit-learn Pipeline whose step 'fit_only', _FitOnly, "
                                                        "has no transform(): every step before MLPClassifier must transform the rows it reads).") + "$"):
        lens.record(no_transform, X)
    unfitted = make_pipeline(hl.TableEncoder(), hl.MLPClassifier((4,)))
    with pytest.raises(NotFittedError, match=r"^This Pipeline's last step, MLPClassifier, is not fitted yet: call pipe\.fit\(X, y\) before looking inside it\.$"):
        lens.record(unfitted, X)


def test_a_fitted_model_behind_unfitted_steps_is_refused_in_the_lens_words(table_pipe: tuple) -> None:
    """A fitted MLP put into a new Pipeline whose steps are not fitted: the lens refuses it as cost, prune and explain do
    (hiddenlayers' NotFittedError, one line, naming the Pipeline's steps). Before, scikit-learn's NotFittedError of the
    first step came out of the first batch ("This TableEncoder instance is not fitted yet"), not ours."""
    pipe, X, y = table_pipe
    fresh = make_pipeline(hl.TableEncoder(), pipe[-1])
    line = r"^{} needs a fitted model: this Pipeline's steps before MLPClassifier are not fitted yet; call pipe\.fit\(X, y\) first\.$"
    for what, call in (("the lens", lambda: lens.record(fresh, X)), ("the lens", lambda: lens.summary(fresh, X)),
                       ("the lens", lambda: lens.domain_shift(fresh, X[:40], X[40:])),
                       ("freeze_curve", lambda: lens.freeze_curve(fresh, X, y, n_splits=1))):
        with pytest.raises(NotFittedError, match=line.format(what)):
            call()
