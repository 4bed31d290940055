"""``fit(X, y, epochs=5, ...)`` from Keras / Lightning: one ``TypeError`` naming our equivalent, sklearn routing unchanged."""

from __future__ import annotations

import keyword
import pickle

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import has_fit_parameter

import hiddenlayers as hl
from hiddenlayers.estimators import UnknownFitKeywordError
from hiddenlayers.exceptions import HiddenLayersError

X = np.random.default_rng(0).normal(size=(24, 3))
Y = np.arange(24) % 2
FIT_PARAMS = ("X", "y", "sample_weight", "X_target", "X_val", "y_val", "sample_weight_val")
ESTIMATORS = [hl.MLPClassifier, hl.MLPRegressor]


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(("given", "fix"), [
    ({"epochs": 5}, "(max_iter=5) or est.set_params(max_iter=5)"),
    ({"max_epochs": np.int64(7)}, "(max_iter=7) or est.set_params(max_iter=7)"),
    ({"batch_size": 32}, "(batch_size=32) or est.set_params(batch_size=32)"),
    ({"validation_data": (X, Y)}, "fit(X, y, X_val=Xv, y_val=yv) with early_stopping=True"),
    ({"callbacks": [hl.Callback()]}, "(callbacks=[...]) or est.set_params(callbacks=[...])"),
    ({"verbose": 0}, "(verbose=0) or est.set_params(verbose=0)"),
    ({"validation_split": 0.2}, "(early_stopping=True, validation_fraction=0.2)"),
])
def test_keras_keywords_name_our_equivalent(cls: type, given: dict, fix: str) -> None:  # type: ignore[type-arg]
    est = cls(max_iter=2)
    with pytest.raises(TypeError) as info:
        est.fit(X, Y, **given)
    msg = str(info.value)
    assert isinstance(info.value, UnknownFitKeywordError) and isinstance(info.value, HiddenLayersError)
    assert hl.UnknownFitKeywordError is UnknownFitKeywordError
    assert msg.startswith(f"{cls.__name__}.fit() got an unexpected keyword argument {next(iter(given))!r}: ")
    assert fix in msg and "\n" not in msg
    assert not hasattr(est, "n_iter_")  # refused before anything ran


def test_several_unknown_keywords_are_all_named_and_the_rest_get_the_parameter_list() -> None:
    with pytest.raises(UnknownFitKeywordError, match="arguments 'epochs', 'shuffle_buffer': .*max_iter=5.*; fit\\(\\) takes X, y, "
                       "sample_weight, X_target, X_val, y_val, sample_weight_val\\.$"):
        hl.MLPClassifier().fit(X, Y, epochs=5, shuffle_buffer=2)


_IDENT = st.from_regex(r"\A[a-z_][a-z0-9_]{0,12}\Z").filter(
    lambda s: s not in FIT_PARAMS and not keyword.iskeyword(s) and s not in ("self", "epochs", "max_epochs", "n_epochs", "num_epochs",
                                                                             "batch_size", "callbacks", "verbose", "class_weight",
                                                                             "shuffle", "validation_data", "validation_split"))


@settings(max_examples=40, deadline=None)
@given(name=_IDENT, value=st.one_of(st.integers(), st.text(max_size=5), st.none()))
def test_any_other_keyword_gets_pythons_wording_and_fits_parameters(name: str, value: object) -> None:
    with pytest.raises(UnknownFitKeywordError) as info:
        hl.MLPRegressor().fit(X, Y, **{name: value})
    assert str(info.value) == (f"MLPRegressor.fit() got an unexpected keyword argument {name!r}: "
                               f"fit() takes {', '.join(FIT_PARAMS)}.")


def test_a_hint_needs_the_parameter_the_estimator_really_has() -> None:
    class NoMaxIter(hl.MLPClassifier):
        def get_params(self, deep: bool = True) -> dict:  # type: ignore[type-arg]
            return {k: v for k, v in super().get_params(deep).items() if k != "max_iter"}

    with pytest.raises(UnknownFitKeywordError, match=r"'epochs': fit\(\) takes X, y"):
        NoMaxIter().fit(X, Y, epochs=3)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fits_signature_and_metadata_routing_are_its_explicit_parameters(cls: type) -> None:
    import inspect

    assert tuple(inspect.signature(cls.fit).parameters)[1:] == FIT_PARAMS  # no **kwargs catch-all
    assert has_fit_parameter(cls(), "sample_weight") and not has_fit_parameter(cls(), "epochs")
    routing = cls().get_metadata_routing()
    assert set(routing.fit.requests) == set(FIT_PARAMS[2:])
    assert set(inspect.signature(cls.set_fit_request).parameters) == {"self", *FIT_PARAMS[2:]}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_known_keywords_still_reach_fit_and_the_estimator_pickles() -> None:
    est = hl.MLPClassifier(max_iter=2, early_stopping=True, n_iter_no_change=50, random_state=0)
    est.fit(X, Y, sample_weight=np.ones(24), X_val=X[:6], y_val=Y[:6])
    assert est.n_iter_ == 2 and len(est.validation_scores_) == 2
    assert pickle.loads(pickle.dumps(est)).predict(X).shape == (24,)


def test_pipeline_and_grid_search_pass_an_unknown_fit_param_to_the_same_refusal() -> None:
    pipe = make_pipeline(StandardScaler(), hl.MLPClassifier(max_iter=2))
    with pytest.raises(UnknownFitKeywordError, match="epochs are the constructor's max_iter"):
        pipe.fit(X, Y, mlpclassifier__epochs=5)
    search = GridSearchCV(hl.MLPClassifier(max_iter=2), {"alpha": [1e-4]}, cv=2, error_score="raise")
    with pytest.raises(TypeError, match="unexpected keyword argument 'epochs'"):
        search.fit(X, Y, epochs=5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_routing_enabled_still_refuses_an_unrequested_param_before_fit() -> None:
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                             hl.MLPClassifier(max_iter=2).set_fit_request(sample_weight=True))
        pipe.fit(X, Y, sample_weight=np.ones(24))  # a requested param is routed as before
        with pytest.raises(TypeError, match="epochs"):  # sklearn's own refusal: nothing requested 'epochs'
            pipe.fit(X, Y, epochs=5)
