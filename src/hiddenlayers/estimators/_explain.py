"""One forward and backward pass of a fitted ``MLPClassifier``/``MLPRegressor`` on one of the user's rows.

:func:`explain_model` reads the estimator's own weights (float64 copies), its
hidden layers' activations, the loss it trains on and its ``alpha``, turns the
row into the network's input (the stored table preprocessing first, if the
model has one) and the label into the loss's target (through ``classes_``),
and hands them to :func:`hiddenlayers.training.explain_network`, which writes
the pass out with real numbers and checks it against autograd.

The loss is the estimator's for a batch of that one row: cross entropy over
the softmax (multiclass), binary cross entropy per logistic output (two
classes, multilabel), with ``loss="gce"`` the generalized cross entropy
``(1 - p_y^q)/q`` with the model's ``gce_q`` over the same outputs, or for the
regressor ``½·Σ_k (y_k - t_k)²`` summed over the outputs (scikit-learn steps
along the sum's gradient, and so do we; its ``loss_curve_`` records ``½·mean``
over the outputs, and so does ours, which the output says; for one output they
agree) or with ``loss="poisson"`` the half Poisson deviance
of ``y = e^z``. A classifier fitted with ``label_smoothing`` is explained on the
softened target it trains on (``(1 - eps)·onehot + eps/k``; ``y·(1 - eps) + eps/2`` per
logistic output), not the one-hot row, so the loss shown is its training loss. The L2 term ``½·alpha·Σ W²`` is stated apart and its
``alpha·W`` added to the one step.

No ``sample_weight``: the estimators' fit divides a batch's weighted loss (and
its L2 term) by the batch's summed weights, so for a batch of this one row a
weight ``w > 0`` cancels from the data loss and its gradients (``w·L / w = L``)
and only turns the L2 strength into ``alpha / w``. The loss and gradients shown
are the weighted fit's already; a row's weight matters only against the other
rows of its batch, which a one-row walk-through does not have. A ``class_weight``
dict does weigh the row, by its class's ``w``, so the step shown uses ``alpha / w``,
equal to the model's own ``partial_fit`` on the row with plain SGD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._docsections import parameters_section
from ..data import TablePreprocessor, lacks_columns
from ..network import DenseLayer
from ._class_weight import smooth_targets

if TYPE_CHECKING:
    from ..training import Explanation
    from ._mlp_base import _BaseMLP

#: the estimator's loss name -> the name :func:`explain_network` writes out (gce: see _loss_of)
_LOSSES = {"log_loss": "cross_entropy", "binary_log_loss": "binary_cross_entropy", "squared_error": "squared_error", "poisson": "poisson"}
SUPPORTED = "explain supports MLPClassifier and MLPRegressor models with dense hidden layers"
#: what to use where explain refuses a network (convolution, recurrence, norm): the lens reads any layer of any model
LENS_INSTEAD = ("see its hidden layers with hl.lens.summary(model, X) (activations, dead units) and hl.lens.GradientFlow "
                "(gradients per layer during training), or `hiddenlayers inspect`")
PLAIN_LEARNING_RATE = 0.1  # the plain step's learning rate when none is given: it is not the model's optimizer, whose rate is its own


_EXPLAIN_MODEL_PARAMETERS = """
Parameters
----------
model : MLPClassifier, MLPRegressor or Pipeline
    The fitted model, or a fitted scikit-learn ``Pipeline`` ending in one: ``X_row`` is then the row as the Pipeline
    takes it, passed through the steps before the MLP (shown as the raw row), and the network's inputs are named by
    ``pipe[:-1].get_feature_names_out()``.
X_row : dict, Series, DataFrame or array-like
    The row as the user has it: for a model with stored table preprocessing (``hiddenlayers train``,
    ``preprocessing_``) a dict, a pandas Series or a one-row DataFrame of the raw columns (categories as text), shown
    before and after preprocessing; otherwise ``n_features_in_`` numbers.
y_row : label, array-like or float
    Its label (one of ``classes_``; a 0/1 vector for multilabel) or its target value(s).
learning_rate : float, optional
    The step size (None: 0.1; with ``solver``, the model's ``learning_rate_init``).
solver : {None, "sgd", "adam"}
    ``steps`` updates by ``fit``'s rule from zero state instead (see
    :func:`hiddenlayers.training.explain_network`).
steps : int
    Updates with ``solver``.
momentum, nesterovs_momentum, beta_1, beta_2, epsilon
    The solver's settings; one left None is the model's (``clf.momentum``, ...) where ``solver`` is its solver, else
    the estimators' default.
"""


@parameters_section(_EXPLAIN_MODEL_PARAMETERS)
def explain_model(model: Any, X_row: Any, y_row: Any, *, learning_rate: float | None = None, solver: str | None = None, steps: int = 1,
                  momentum: float | None = None, nesterovs_momentum: bool | None = None, beta_1: float | None = None,
                  beta_2: float | None = None, epsilon: float | None = None) -> Explanation:
    """Explain one forward and backward pass of fitted ``model`` on one row.

    The step shown is one plain gradient-descent step, not the estimator's own optimizer (e.g. Adam); it leaves the layers
    the model's fit kept frozen (``frozen_``) unchanged, as that fit did. No ``sample_weight``: for a batch of this one
    row the fit's weight cancels (see the module docstring): the loss and gradients shown are the weighted fit's too;
    a ``class_weight`` dict's weight ``w`` of the row's class makes the step's L2 strength ``alpha / w``, as the model's
    own fit on this row (a note says so; ``"balanced"`` keeps ``alpha``). With ``label_smoothing`` the
    target is the smoothed one the model trains on; with ``scale_target`` the standardized one (outputs and loss in those
    units, as ``loss_curve_``).

    Examples
    --------
    >>> import numpy as np, hiddenlayers as hl
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> clf = hl.MLPClassifier((3,), max_iter=5, random_state=0).fit(X, ["a", "b", "a", "b"])
    >>> explain_model(clf, X[0], "a").agrees
    True
    """
    from .._pipe import split_pipeline
    from ..training import explain_network

    parts = split_pipeline(model)
    model = _require_mlp(model if parts is None else parts[1])
    layers = _dense_layers(model)
    if parts is None:
        x, input_names, raw, notes = _inputs(model, X_row)
    else:
        x, input_names, raw, notes = _pipeline_inputs(parts[0], model, X_row)
    target, output_names, label = _target(model, y_row)
    eps = float(getattr(model, "label_smoothing", 0.0) or 0.0)
    if hasattr(model, "target_mean_"):
        notes.append("scale_target: the target and the outputs are standardized, as the model trains on them "
                     "(y = output * target_scale_ + target_mean_)")
    if eps:  # the model trains on softened targets: the loss written out is that one, not the one-hot row's
        softmax = model._label_binarizer.y_type_ == "multiclass"
        target = smooth_targets(target[None, :], eps, softmax, np.float64)[0]
        notes.append(f"label_smoothing={eps:g}: the target is the one the model trains on, "
                     + (f"(1 - {eps:g})·onehot + {eps:g}/{target.shape[0]}" if softmax else f"y·(1 - {eps:g}) + {eps:g}/2 per output"))
    loss_name = model._loss().name
    network_loss, q = _loss_of(model, loss_name)
    alpha = 0.0 if model.solver == "adamw" else float(model.alpha)  # AdamW decays weights in its step, not in the loss
    weights = [(lin.weight.detach().cpu().double().numpy(), lin.bias.detach().cpu().double().numpy()) for lin in model.network_.linears()]
    row_weight = _row_class_weight(model, label)
    cw_note = _class_weight_note(model, label, alpha, row_weight)
    if cw_note:
        notes.append(cw_note)
    alpha /= row_weight  # the fit's L2 term over the batch's summed weight: alpha / w for a batch of this row alone
    dropped = [f"{name} p={layer.dropout.p:g}" for name, layer in zip(model.network_.hidden_names, layers) if layer.dropout is not None]
    if dropped:
        notes.append(f"dropout ({', '.join(dropped)}) is off here, as in predict: a training step sets each unit's h to 0 with probability p "
                     "and scales the others by 1/(1 - p) (inverted dropout), so its gradients differ from these; a dropped unit passes none")
    frozen = _frozen(model)
    fixed = [model.network_.hidden_names.index(name) for name in frozen]
    if frozen:
        are = "layers " + ", ".join(frozen) + " are" if len(frozen) > 1 else f"layer {frozen[0]} is"
        notes.append(f"{are} frozen (freeze={model.freeze!r}): the step shown leaves {'them' if len(frozen) > 1 else 'it'} unchanged, as the model's "
                     "training does" + (", and the L2 term counts the trained layers' weights only" if alpha else ""))
    elif getattr(model, "freeze", None) == "head_first":
        notes.append("freeze='head_first': the model's fit ended training every layer, as the step shown does")
    if model.solver == "adamw":
        notes.append(f"the model's solver is adamw: its weight decay (alpha={model.alpha:g}) is part of its step, not of the loss, so no L2 term is added")
    source = {
        "model": type(model).__name__, "solver": model.solver, "estimator_loss": loss_name, "alpha": float(model.alpha),
        "raw": raw, "label": label, "notes": notes, **({"row_weight": row_weight} if row_weight != 1.0 else {}),
    }
    given = {"momentum": momentum, "nesterovs_momentum": nesterovs_momentum, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon}
    learning_rate, optim, source["from_model"] = _optim_settings(model, solver, learning_rate, given)  # from_model: what the output names
    return explain_network(weights, model.network_.activation_names(), x, target, loss=network_loss, learning_rate=learning_rate,
                           alpha=alpha, input_names=input_names, output_names=output_names, source=source, fixed=fixed, q=q,
                           solver=solver, steps=steps, **optim)


def _optim_settings(model: Any, solver: str | None, learning_rate: float | None,
                    given: dict[str, Any]) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The step's learning rate, ``given`` (the optimizer settings by the estimators' names, None where not given) with the
    model's own values filled in, and the values taken from the model by name (``source["from_model"]``: the output names them).

    With ``solver`` the steps are the ones the model's ``fit`` would take from zero state: ``learning_rate`` None is the
    model's ``learning_rate_init``, and a setting left None is the model's (``momentum``, ...) where ``solver`` is the model's
    solver (another solver's settings keep the estimators' defaults). Without one the step is one plain gradient-descent
    step, not the model's optimizer, and ``learning_rate`` None is :data:`PLAIN_LEARNING_RATE`.
    """
    if solver is None:
        return (PLAIN_LEARNING_RATE if learning_rate is None else learning_rate), given, {}
    taken: dict[str, Any] = {}
    if learning_rate is None:
        learning_rate = taken["learning_rate_init"] = model.learning_rate_init
    if solver == model.solver:
        mine = ("momentum", "nesterovs_momentum") if solver == "sgd" else ("beta_1", "beta_2", "epsilon")
        taken.update({k: getattr(model, k) for k in mine if given.get(k) is None})
    return learning_rate, {**given, **{k: v for k, v in taken.items() if k in given}}, taken


def _require_mlp(model: Any) -> _BaseMLP:
    """``model`` when it is a fitted MLP of ours; else a one-line ``TypeError`` naming what it is (scikit-learn's MLP, or a
    Pipeline ending in it, too), or ``NotFittedError``."""
    from .._words import foreign_note, pipeline_note
    from ._mlp_base import _BaseMLP

    if not isinstance(model, _BaseMLP):
        fix = "hl.explain(pipe[-1], pipe[:-1].transform(X[i:i + 1])[0], y[i]), the row as it reads it"
        note = foreign_note(model) + pipeline_note(model, fix)
        if not note and type(model).__module__.startswith("hiddenlayers."):  # an application of ours: convolution, recurrence, ...
            note = f" (its layers are not all dense): {LENS_INSTEAD}"
        raise TypeError(f"{SUPPORTED}. Received: {type(model).__name__}{note}.")
    if not hasattr(model, "network_"):  # the weights explain writes out are made by fit
        from ..exceptions import NotFittedError

        raise NotFittedError(f"This {type(model).__name__} instance is not fitted yet: explain writes out the model's own weights, which fit "
                             f"makes. Fit it first (max_iter=1 shows a barely trained one), or walk through a tiny network with drawn "
                             f"weights: hl.explain((n_inputs, hidden..., n_outputs)).")
    return model


def _pipeline_inputs(head: Any, model: _BaseMLP, X_row: Any) -> tuple[np.ndarray, list[str] | None, dict[str, Any] | None, list[str]]:
    """:func:`_inputs` of a Pipeline's last step ``model``: the row as the Pipeline takes it, through ``head`` (its steps before
    ``model``, None when only ``"passthrough"`` steps precede it), then read by ``model`` as its own numbers.

    The raw row is shown by the Pipeline's input names (``feature_names_in_``, or scikit-learn's ``x0``, ``x1``, ... without
    them); the network's input by ``head.get_feature_names_out()`` (a one-hot step's ``color_red``), else ``model``'s own.
    """
    import pandas as pd

    from .._pipe import head_names, real_steps, require_fitted_head, step_classes, through_head

    require_fitted_head(head, model, "explain")
    if isinstance(X_row, dict):
        X_row = pd.DataFrame([X_row])
    elif isinstance(X_row, pd.Series):
        X_row = X_row.to_frame().T
    if not isinstance(X_row, pd.DataFrame):
        try:
            X_row = np.asarray(X_row).reshape(1, -1)
        except (TypeError, ValueError):
            raise ValueError(f"X_row must be one row as the Pipeline takes it. Received: {_short(X_row)}.") from None
    if len(X_row) != 1:
        raise ValueError(f"X_row must be one row. Received: {len(X_row)} rows; pick one, e.g. frame.iloc[[3]].")
    first = real_steps(head.steps)[0][1] if head is not None else model  # the step that reads the row: a "passthrough" has no names
    names_in = getattr(first, "feature_names_in_", None)
    if isinstance(X_row, pd.DataFrame):
        raw_names, values = [str(c) for c in X_row.columns], X_row.iloc[0].tolist()
    else:
        raw_names = [str(n) for n in names_in] if names_in is not None and len(names_in) == X_row.shape[1] else [f"x{i}" for i in range(X_row.shape[1])]
        values = X_row[0].tolist()
    moved = through_head(head, X_row)
    moved = moved.toarray() if hasattr(moved, "toarray") else np.asarray(moved)  # a sparse one-hot output, or a DataFrame (set_output)
    x, own_names, _, notes = _inputs(model, moved)
    if head is not None:
        notes.insert(0, f"the row passed through the Pipeline's steps before {type(model).__name__} ({step_classes(head.steps)}) first: x is their output")
    return x, head_names(head, x.shape[0]) or own_names, {n: _plain(v) for n, v in zip(raw_names, values)}, notes


def _row_class_weight(model: _BaseMLP, label: Any) -> float:
    """The weight ``w`` the model's dict ``class_weight`` gives this row's class, the weight of a one-row batch of it in the fit;
    1.0 without one, for a multi-label model (which takes none), and for ``"balanced"`` (see :func:`_class_weight_note`)."""
    class_weight = getattr(model, "class_weight", None)
    if not isinstance(class_weight, dict) or model._label_binarizer.y_type_ == "multilabel-indicator":
        return 1.0
    return float(next(v for k, v in class_weight.items() if _same_label(k, label)))


def _class_weight_note(model: _BaseMLP, label: Any, alpha: float, w: float) -> str | None:
    """What the model's ``class_weight`` does to this row's step (see the module docstring: a one-row batch's weight ``w`` cancels
    from the loss and its gradients, and its L2 term is ``alpha / w``, as the engine divides the batch's penalty by its summed weight).

    A dict gives ``w``, and the step shown uses ``alpha / w``, as the model's own one-row fit does. ``"balanced"`` weighs a class by
    the training labels' counts, which the model does not keep: the step keeps ``alpha``, as a one-row fit, where the row's class is
    the only one present, weighs it 1."""
    class_weight = getattr(model, "class_weight", None)
    if class_weight is None or model._label_binarizer.y_type_ == "multilabel-indicator":
        return None
    cancels = "in a batch of this row alone the weight w cancels from the loss and its gradients shown (w·L / w = L)"
    if isinstance(class_weight, str):
        return (f"class_weight={class_weight!r} weighs each class n_rows / (n_classes x its rows) of the training labels, which the model "
                f"does not keep: {cancels}, and the L2 strength would be alpha / w; the step shown keeps alpha, as a fit on this one row "
                "(its class the only one present, so w = 1) does")
    return (f"class_weight={class_weight!r} weighs class {label!r} by {w:g}: {cancels}, and the L2 term's strength is "
            f"alpha / {w:g} = {alpha / w:g}, as in the step shown (the model's own fit on this one row)" + ("" if alpha else " (here 0)"))


def _loss_of(model: _BaseMLP, loss_name: str) -> tuple[str, float | None]:
    """(the loss :func:`explain_network` writes out, its ``q``) for the estimator's training loss, or a ValueError naming it."""
    if loss_name in _LOSSES:
        return _LOSSES[loss_name], None
    if getattr(model, "loss", None) == "gce":  # the classifier's generalized cross entropy, over a softmax or per logistic output
        binary = loss_name.startswith("binary_")
        return ("binary_" if binary else "") + "generalized_cross_entropy", float(model.gce_q)
    raise ValueError(f"{SUPPORTED} trained on log_loss, gce, squared_error or poisson; this model trains on {loss_name}, "
                     "which explain does not write out: refit with one of those losses to explain it.")


def _frozen(model: _BaseMLP) -> list[str]:
    """The hidden layers the model's last fit kept fixed: ``frozen_``, or a loaded model's provenance (its file keeps them there)."""
    names = getattr(model, "frozen_", None)
    if names is None:
        names = (getattr(model, "provenance_", None) or {}).get("frozen") or []
    return [str(n) for n in names if n in model.network_.hidden_names]


def _dense_layers(model: _BaseMLP) -> list[DenseLayer]:
    """The hidden layers, each a plain dense one (no norm); anything else is a ValueError naming the layer."""
    network = model.network_
    layers = []
    for name, layer in zip(network.hidden_names, network.hidden_layers):
        if type(layer) is not DenseLayer:
            raise ValueError(f"{SUPPORTED}; layer '{name}' is a {type(layer).__name__}: {LENS_INSTEAD}.")
        if layer.norm is not None:
            raise ValueError(f"{SUPPORTED} without norm; layer '{name}' normalises its z ({type(layer.norm).__name__}), which explain does not "
                             f"write out: refit without norm= to explain it, or {LENS_INSTEAD}.")
        layers.append(layer)
    return layers


def _inputs(model: _BaseMLP, X_row: Any) -> tuple[np.ndarray, list[str] | None, dict[str, Any] | None, list[str]]:
    """(network input ``(n_features_in_,)``, input names, raw values by column or None, notes)."""
    import pandas as pd

    state = getattr(model, "preprocessing_", None)
    if state:
        pre = TablePreprocessor.from_dict(state)
        if isinstance(X_row, dict):
            X_row = pd.DataFrame([X_row])
        elif isinstance(X_row, pd.Series):
            X_row = X_row.to_frame().T
        if not isinstance(X_row, pd.DataFrame):
            raise TypeError(f"this model reads a table through its stored preprocessing: pass the row as a dict, a pandas Series or a one-row "
                            f"DataFrame of its columns ({', '.join(pre.feature_names[:5])}{', ...' if len(pre.feature_names) > 5 else ''}). "
                            f"Received: {type(X_row).__name__}.")
        if len(X_row) != 1:
            raise ValueError(f"X_row must be one row. Received: {len(X_row)} rows; pick one, e.g. frame.iloc[[3]].")
        res = pre.transform(X_row)
        raw = {n: _plain(X_row[n].iloc[0]) for n in pre.feature_names if n in X_row.columns}
        return res.matrix[0], pre.output_names, raw, list(res.notes)
    names = [str(n) for n in getattr(model, "feature_names_in_", [])] or None
    if isinstance(X_row, pd.Series):
        X_row = X_row.to_frame().T
    if isinstance(X_row, pd.DataFrame):
        if len(X_row) != 1:
            raise ValueError(f"X_row must be one row. Received: {len(X_row)} rows; pick one, e.g. frame.iloc[[3]].")
        if names:
            missing = [n for n in names if n not in X_row.columns]
            if missing:
                raise ValueError(lacks_columns(missing, [c for c in X_row.columns if c not in set(names)], what="X_row", fix="pass a row of the training columns"))
            X_row = X_row[names]
        X_row = X_row.to_numpy()
    try:
        x = np.asarray(X_row, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"X_row must be {model.n_features_in_} numbers (this model has no stored preprocessing). Received: {_short(X_row)}.") from None
    if x.ndim == 2 and x.shape[0] > 1:  # X[:2]: read flat it was "8 values", which named the wrong problem
        raise ValueError(f"X_row must be one row. Received: {x.shape[0]} rows (shape {x.shape}); pick one, e.g. X[3] (and y[3]).")
    x = x.reshape(-1)
    if x.shape[0] != model.n_features_in_:
        raise ValueError(f"X_row must have {model.n_features_in_} values, one per feature the model was trained on. Received: {x.shape[0]}.")
    return x, names, None, []


def _target(model: _BaseMLP, y_row: Any) -> tuple[np.ndarray, list[str] | None, Any]:
    """(the loss's target ``(n_outputs,)``, output names, the label as given)."""
    from sklearn.base import is_classifier

    if not is_classifier(model):
        values = np.asarray(y_row, dtype=np.float64).reshape(-1) if _numeric(y_row) else None
        if values is None and _numeric(y_row, finite=False):  # NaN (a missing target) or infinite: numbers, but no loss to write out
            raise ValueError(f"y_row must be the row's target: {model.n_outputs_} finite number(s); a missing (NaN) or infinite target has no "
                             f"loss to write out: pick a row that has one. Received: {_short(y_row)}.")
        if values is None or values.shape[0] != model.n_outputs_:
            raise ValueError(f"y_row must be the row's target: {model.n_outputs_} number(s). Received: {_short(y_row)}.")
        # the network's target is the one fit trains on: standardized by a scale_target model's stored scaling
        return model.network_targets(values[None, :])[0], None, _plain(y_row) if np.ndim(y_row) == 0 else values.tolist()
    lb = model._label_binarizer
    classes = np.asarray(model.classes_)
    if lb.y_type_ == "multilabel-indicator":
        y = np.asarray(y_row).reshape(1, -1)
        if y.shape[1] != len(classes) or not np.isin(y, (0, 1)).all():
            raise ValueError(f"y_row of this multilabel model must be {len(classes)} values of 0 or 1. Received: {_short(y_row)}.")
        return lb.transform(y)[0].astype(np.float64), [str(c) for c in classes], y[0].tolist()
    if np.ndim(y_row) != 0 and np.size(y_row) == 1:  # y.iloc[[i]] beside X.iloc[[i]]: the one label it holds
        y_row = np.asarray(y_row, dtype=object).reshape(-1)[0]
    if np.ndim(y_row) != 0:
        raise ValueError(f"y_row must be one label, one of the classes {_classes(classes)}. Received: {_short(y_row)}.")
    hits = np.flatnonzero([_same_label(c, y_row) for c in classes])
    if not hits.size:
        bools = isinstance(y_row, (bool, np.bool_)) and classes.dtype != bool
        raise ValueError(f"label {_plain(y_row)!r} is not a class of the model ({_classes(classes)}): pass one of them"
                         + (" (a bool is read as a class only where the classes are bools, not as 0 or 1)." if bools else "."))
    label = classes[hits[0]]
    names = [str(classes[1])] if len(classes) == 2 else [str(c) for c in classes]  # two classes: one logistic output, P(classes_[1])
    return lb.transform(np.asarray([label]))[0].astype(np.float64), names, _plain(label)


def _same_label(c: Any, y: Any) -> bool:
    """``y`` names class ``c``: equal values, or equal text where one of them is text (``"3"`` is class 3). A bool and a
    number never name each other: ``True == 1`` in Python, so ``True`` read as class 1 of integer classes (a mistake, not a label)."""
    if isinstance(c, str) or isinstance(y, str):
        return str(c) == str(y)
    if isinstance(c, (bool, np.bool_)) != isinstance(y, (bool, np.bool_)):
        return False
    try:
        return bool(c == y)
    except (TypeError, ValueError):
        return False


def _numeric(v: Any, finite: bool = True) -> bool:
    """``v`` reads as float64 numbers (``finite``: and none is NaN or infinite)."""
    try:
        values = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool(np.all(np.isfinite(values))) if finite else True


def _plain(v: Any) -> Any:
    """A NumPy/pandas scalar as a plain Python value (JSON-able); missing as None."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def _classes(classes: np.ndarray) -> str:
    shown = ", ".join(repr(_plain(c)) for c in classes[:10])
    return shown + (", ..." if len(classes) > 10 else "")


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())  # one line: a Series' or an array's repr spans several
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = ["explain_model"]
