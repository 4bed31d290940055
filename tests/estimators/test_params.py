"""Parameter tables: each estimator's and application's parameters documented and checked once."""

from __future__ import annotations

import inspect
import math
import numbers
import pydoc
import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers._params import AnyOf, Bool, Interval, Options, Param, StrOptions, defaults_of, document, validate

CLASSES = ["MLPClassifier", "MLPRegressor", "Autoencoder", "Forecaster", "Recommender", "DQNAgent",
           "ImageClassifier", "SequenceClassifier", "TextClassifier", "Translator"]


def _table(cls: type) -> tuple[Param, ...]:
    import importlib

    module = importlib.import_module(cls.__module__)
    tables = [v for k, v in vars(module).items() if k.endswith("_PARAMS") and isinstance(v, tuple)]
    own = getattr(cls, "_param_table", None)
    if own is not None:
        return own  # type: ignore[no-any-return]
    assert len(tables) == 1, f"{cls.__name__}: expected one *_PARAMS table in {cls.__module__}"
    return tables[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", CLASSES)
def test_table_matches_signature(name: str) -> None:
    cls = getattr(hl, name)
    table = _table(cls)
    defaults = defaults_of(cls)
    assert [p.name for p in table] == list(defaults), "the table lists the signature's parameters, in its order"
    for p in table:
        assert p.default == defaults[p.name] and type(p.default) is type(defaults[p.name]), p.name
        if p.check:  # the default itself passes the table
            p.constraint.check(p.name, p.default)


@pytest.mark.parametrize("name", CLASSES)
def test_help_lists_every_parameter(name: str) -> None:
    cls = getattr(hl, name)
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    doc = cls.__doc__
    assert doc.count("\nParameters\n----------\n") == 1
    for p in _table(cls):
        assert f"\n{p.name} : " in doc, p.name
        assert f"{p.name} : " in text, p.name


def test_mlp_classifier_documents_every_parameter() -> None:
    # scikit-learn's 23 parameters plus ours (progress_bar, precision, ...): help() shows each
    text = pydoc.render_doc(hl.MLPClassifier, renderer=pydoc.plaintext)
    names = [p.name for p in _table(hl.MLPClassifier)]
    signature = list(inspect.signature(hl.MLPClassifier).parameters)
    assert names == signature and len(names) >= 33 and {"progress_bar", "precision"} <= set(names)
    assert "progress_bar : bool, default=False" in text


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("MLPClassifier", {"alpha": -1.0}, "alpha must be a number >= 0. Received: alpha=-1.0."),
        ("MLPClassifier", {"shuffle": "yes"}, "shuffle must be True or False. Received: shuffle='yes'."),
        ("MLPRegressor", {"momentum": 1.5}, "momentum must be a number in [0, 1]. Received: momentum=1.5."),
        ("Autoencoder", {"tol": -1.0}, "tol must be a number >= 0. Received: tol=-1.0."),
        ("Forecaster", {"window": 0}, "window must be an integer >= 1. Received: window=0."),
        ("Recommender", {"dropout": 1.0}, "dropout must be a number in [0, 1). Received: dropout=1.0."),
        ("DQNAgent", {"epsilon_end": 2.0}, "epsilon_end must be a number in [0, 1]. Received: epsilon_end=2.0."),
        ("SequenceClassifier", {"tol": -1.0}, "tol must be a number >= 0. Received: tol=-1.0."),
        ("TextClassifier", {"min_freq": 0}, "min_freq must be an integer >= 1. Received: min_freq=0."),
    ],
)
def test_one_error_shape(name: str, params: dict, message: str) -> None:
    est = getattr(hl, name)(**params)
    with pytest.raises(ValueError) as info:
        validate(est, _table(type(est)))
    assert str(info.value) == message


def test_translator_flags_keep_their_type_error() -> None:
    with pytest.raises(TypeError, match=r"^bidirectional must be True or False\. Received: bidirectional=1\.$"):
        validate(hl.Translator(bidirectional=1), _table(hl.Translator))


def test_fit_checks_the_table_before_the_data() -> None:
    with pytest.raises(ValueError, match=r"^beta_2 must be a number in \[0, 1\)\. Received: beta_2=1\.$"):
        hl.MLPClassifier(beta_2=1).fit(np.zeros((4, 2)), [0, 1, 0, 1])


# ---------------------------------------------------------------- constraints
_NOT_A_NUMBER = st.one_of(st.text(max_size=5), st.none(), st.booleans(), st.lists(st.integers(), max_size=2))


@given(st.one_of(st.floats(allow_nan=True), st.integers(-10, 10), _NOT_A_NUMBER))
def test_interval_real_open_right(value: object) -> None:
    c = Interval(numbers.Real, 0, 1, closed="left", bools=False)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value) and 0 <= value < 1
    assert c.allows(value) == ok
    if not ok:
        with pytest.raises(ValueError, match=r"^x must be a number in \[0, 1\)\. Received: x="):
            c.check("x", value)


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10), _NOT_A_NUMBER), st.booleans())
def test_interval_open_end_refuses_infinity_unless_allowed(value: object, finite: bool) -> None:
    c = Interval(numbers.Real, 0, None, closed="neither", bools=False, finite=finite)
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    ok = number and value > 0 and (not finite or math.isfinite(value))  # type: ignore[operator, arg-type]
    assert c.allows(value) == ok
    if not ok:
        infinite = finite and number and math.isinf(value)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^x must be a number > 0%s\. Received: x=" % (" and finite" if infinite else "")):
            c.check("x", value)


NON_FINITE_REFUSED = [  # (class, parameter): inf trains into NaN weights or never/always stops
    ("MLPClassifier", "learning_rate_init"), ("MLPClassifier", "alpha"), ("MLPRegressor", "tol"), ("MLPClassifier", "power_t"),
    ("MLPClassifier", "epsilon"), ("MLPRegressor", "clip_grad_norm"), ("MLPClassifier", "loss_threshold"),
    ("Autoencoder", "learning_rate_init"), ("SequenceClassifier", "clip_grad_norm"), ("Recommender", "reg"), ("DQNAgent", "max_grad_norm"),
]


@pytest.mark.parametrize(("name", "param"), NON_FINITE_REFUSED)
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float32("inf")])
def test_non_finite_numbers_are_refused(name: str, param: str, value: float) -> None:
    with pytest.raises(ValueError, match=rf"^{param} must be .*\. Received: {param}="):
        validate(getattr(hl, name)(**{param: value}), _table(getattr(hl, name)))


def test_inf_stays_allowed_where_it_means_no_limit() -> None:
    for est in (hl.MLPClassifier(n_iter_no_change=np.inf, max_time=math.inf), hl.Translator(max_time=math.inf)):
        validate(est, _table(type(est)))
    with pytest.raises(ValueError, match=r"^learning_rate_init must be a number > 0 and finite\. Received: learning_rate_init=inf\.$"):
        validate(hl.MLPClassifier(learning_rate_init=math.inf), _table(hl.MLPClassifier))


@given(st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), _NOT_A_NUMBER))
def test_positive_integer_or_none(value: object) -> None:
    c = AnyOf(Options((None,)), Interval(numbers.Integral, 1, None, closed="left", bools=False))
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)
    assert c.allows(value) == ok
    if not ok:
        with pytest.raises(ValueError, match=r"^n must be None or an integer >= 1\. Received: n="):
            c.check("n", value)


@given(st.one_of(st.text(max_size=6), st.sampled_from(["adam", "sgd"]), st.integers(), st.none()))
def test_str_options(value: object) -> None:
    c = StrOptions(("adam", "sgd"))
    assert c.allows(value) == (value in ("adam", "sgd") and isinstance(value, str))
    assert c.text == "one of 'adam', 'sgd'"


def test_bool_refuses_numbers_and_strings() -> None:
    assert Bool().allows(True) and Bool().allows(np.bool_(False))
    assert not any(Bool().allows(v) for v in (0, 1, "True", None))


def test_document_replaces_the_parameters_section_and_keeps_examples() -> None:
    table = (Param("k", Interval(numbers.Integral, 1, None, closed="left"), 3, "Neighbours."),)

    @document(table)
    class Thing:
        """Summary line.

        Parameters
        ----------
        old : stale, hand-written

        Example
        -------
        >>> 1 + 1
        2
        """

        def __init__(self, k: int = 3) -> None:
            self.k = k

    assert Thing.__doc__ == (
        "Summary line.\n\nParameters\n----------\nk : int, default=3\n    Neighbours. Must be an integer >= 1.\n\n"
        "Examples\n--------\n>>> 1 + 1\n2\n"
    )


def test_spec_examples_in_the_docs_parse() -> None:
    """Every spec written as an example in help() parses (the doc once showed 'conv(16,3)', not the grammar)."""
    from hiddenlayers.estimators._mlp_params import SHARED

    doc = next(p.doc for p in SHARED if p.name == "hidden_layer_sizes")
    examples = [text for text in re.findall(r"'([^']+)'", doc) if re.match(r"[0-9]|conv", text)]
    assert examples and "conv16k3" in examples
    for text in examples:
        hl.Spec.parse(text)
    assert "conv(" not in (hl.MLPClassifier.__doc__ or "")


def test_alpha_documents_what_adamw_makes_of_it() -> None:
    # help(alpha) said "L2 penalty ... divided by n_samples" for every solver; adamw takes alpha as its decoupled
    # weight decay (not divided by n_samples, not in loss_curve_), which the docs did not say
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    doc = " ".join(hl.MLPClassifier.__doc__.split())
    assert "with solver='adamw' it is AdamW's decoupled weight decay" in doc and "not in loss_curve_" in doc
    curves = {}
    for solver in ("adam", "adamw"):
        for alpha in (0.0, 10.0):
            clf = hl.MLPClassifier((4,), solver=solver, alpha=alpha, max_iter=1, random_state=0, dtype="float64", shuffle=False)
            with pytest.warns(UserWarning):  # one epoch does not converge
                curves[solver, alpha] = clf.fit(X, y).loss_curve_[0]
    assert curves["adamw", 10.0] == curves["adamw", 0.0]  # the decay is no term of the loss
    assert curves["adam", 10.0] > curves["adam", 0.0]  # the L2 term is


@pytest.mark.parametrize("param, says", [
    ("batch_size", "batch_size must be 'auto' or an integer >= 1. Received: batch_size=True."),
    ("n_iter_no_change", "n_iter_no_change must be an integer >= 1 or numpy.inf. Received: n_iter_no_change=True."),
    ("max_fun", "max_fun must be an integer >= 1. Received: max_fun=True."),
    ("max_time", "max_time must be None or a number of seconds > 0. Received: max_time=True."),
    ("loss_threshold", "loss_threshold must be None or a number >= 0. Received: loss_threshold=True."),
    ("clip_grad_norm", "clip_grad_norm must be None or a number > 0. Received: clip_grad_norm=True."),
])
def test_a_bool_is_no_count(param: str, says: str) -> None:
    # batch_size=True trained on batches of one row without a word (max_iter=True was already refused); max_time=True
    # was one second, loss_threshold=True a threshold of 1.0 and clip_grad_norm=True a norm of 1 (the apps refuse them)
    est = hl.MLPRegressor(**{param: True})
    with pytest.raises(ValueError) as info:
        validate(est, _table(type(est)))
    assert str(info.value) == says


@pytest.mark.parametrize(("params", "meant"), [({"solver": "sdg"}, "sgd"), ({"solver": "Adam"}, "adam"),
                                              ({"learning_rate": "constnat"}, "constant"), ({"solver": "xyz"}, None),
                                              ({"solver": 3}, None)])
def test_a_misspelt_option_is_told_the_nearest(params: dict, meant: str | None) -> None:
    """solver='sdg' was told only the list; as an unknown activation is, it is now told the option it most likely meant."""
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError) as info:
        hl.MLPClassifier((2,), max_iter=1, **params).fit(X, y)
    message = str(info.value)
    name, value = next(iter(params.items()))
    assert message.startswith(f"{name} must be one of ") and f"Received: {name}={value!r}." in message
    assert message.endswith(f" Did you mean {meant!r}?") if meant else "Did you mean" not in message


@given(st.text(max_size=12))
def test_str_options_suggest_only_one_of_their_options(value: str) -> None:
    opts = StrOptions(("constant", "invscaling", "adaptive"))
    if opts.allows(value):
        opts.check("schedule", value)
        return
    with pytest.raises(ValueError, match=r"^schedule must be one of ") as info:
        opts.check("schedule", value)
    said = re.findall(r"Did you mean '([^']*)'\?$", str(info.value))
    assert not said or said[0] in opts.values


def test_the_servers_parameter_names_are_the_estimators() -> None:
    """The NumPy serving path's names (it cannot import the classes) are each estimator's constructor parameters."""
    from hiddenlayers.estimators._param_names import PARAM_NAMES

    for cls in (hl.MLPClassifier, hl.MLPRegressor):
        assert PARAM_NAMES[cls.__name__] == set(cls._get_param_names()), cls.__name__


@pytest.mark.parametrize("typed, name", [(np.float64, "float64"), (np.dtype("float32"), "float32"), ("torch.float64", "float64")])
def test_a_numpy_or_torch_float_type_for_dtype_is_told_the_name_to_pass(typed, name):
    """dtype=np.float64 (or torch.float64), as NumPy and PyTorch take it, was refused with only the list of names;
    the refusal now says which string to pass. Other values keep the plain refusal (np.dtype(None) is float64: not told)."""
    import torch

    value = getattr(torch, name) if typed == "torch.float64" else typed
    with pytest.raises(ValueError, match=re.escape(f"Received: dtype={value!r}. Pass its name: dtype='{name}'.") + "$"):
        hl.MLPClassifier(dtype=value).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match=re.escape(f"Received: dtype={value!r}. Pass its name: dtype='{name}'.") + "$"):
        hl.SequenceClassifier(dtype=value).fit(np.zeros((4, 3, 2)), [0, 1, 0, 1])
    for other in (None, np.float16, "fp64"):
        with pytest.raises(ValueError, match=re.escape(f"dtype must be 'float32' or 'float64'. Received: dtype={other!r}.") + "$"):
            hl.MLPRegressor(dtype=other).fit([[0.0], [1.0]], [0.0, 1.0])


@pytest.mark.parametrize("none", ["", " ", (), []])
def test_no_hidden_layer_is_one_linear_model_however_it_is_written(none) -> None:
    """hidden_layer_sizes '' (the CLI's --hidden ''), () and [] all mean no hidden layer (scikit-learn accepts ()): one weight
    matrix from the inputs to the outputs, the same model; the parameter's documentation says so."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of 3 epochs
        a = hl.MLPClassifier(hidden_layer_sizes=none, max_iter=3, random_state=0).fit(X, y)
        b = hl.MLPClassifier(hidden_layer_sizes=(), max_iter=3, random_state=0).fit(X, y)
    assert [w.shape for w in a.coefs_] == [(4, 3)] and a.n_layers_ == 2
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert "() or '' for none" in " ".join((hl.MLPClassifier.__doc__ or "").split())
