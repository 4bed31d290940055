"""``hiddenlayers.explain``: one forward and backward pass written out, of a tiny drawn network or of a fitted model.

``training`` cannot import the estimators (a lower stage), so this top-level
function, like ``hl.check``, dispatches: a fitted ``MLPClassifier`` or
``MLPRegressor`` goes to :func:`hiddenlayers.estimators.explain_model` (its
own weights, activations, loss and ``alpha``, on one of the user's rows);
anything else is the sizes of a tiny network for
:func:`hiddenlayers.training.explain`, whose signature this keeps.
"""

from __future__ import annotations

from typing import Any

from ._docsections import parameters_section
from .training import Explanation
from .training import explain as _explain_tiny

_EXPLAIN_PARAMETERS = """
Parameters
----------
sizes : estimator, Pipeline or sequence of int
    A fitted ``MLPClassifier``/``MLPRegressor`` (or a ``Pipeline`` ending in one), or the tiny network's layer
    widths (inputs, hidden..., outputs).
X_row : array-like of shape (n_features,), optional
    With a model: the one row to explain (raw columns for a model with stored preprocessing). Refused without one.
y_row : label or float, optional
    With a model: the row's label or target. Refused without one.
activation : str
    The tiny network's hidden activation; not with a model.
x : array-like of shape (sizes[0],), optional
    The tiny network's input (default: random, drawn from ``seed``); not with a model.
target : array-like of shape (sizes[-1],), optional
    The tiny network's target (default: the first class, one-hot); not with a model.
loss : str
    The tiny network's loss (see :func:`hiddenlayers.training.explain`); not with a model.
learning_rate : float, optional
    Step size, > 0. None: 0.1, but with a model and ``solver`` the model's own ``learning_rate_init``.
seed : int
    Seed of the tiny network's weights and default input; not with a model.
q : float, optional
    The exponent of ``loss="generalized_cross_entropy"`` / ``"binary_generalized_cross_entropy"``, in (0, 1]
    (default 0.7); not with a model.
solver : {None, "sgd", "adam"}
    None: one plain gradient-descent step; ``"sgd"`` or ``"adam"``: ``steps`` updates by the estimators' own rule.
steps : int
    Optimizer updates on the row, 1 to 10 (with ``solver``).
momentum : float, optional
    sgd's momentum (default 0.9, or the model's).
nesterovs_momentum : bool, optional
    sgd's Nesterov momentum (default True, or the model's).
beta_1 : float, optional
    adam's first-moment decay (default 0.9, or the model's).
beta_2 : float, optional
    adam's second-moment decay (default 0.999, or the model's).
epsilon : float, optional
    adam's denominator guard (default 1e-8, or the model's).
alpha : float
    The tiny network's L2 strength (default 0), stated apart and added to the step; not with a model, whose own
    ``alpha`` is used.
"""


@parameters_section(_EXPLAIN_PARAMETERS)
def explain(
    sizes: Any = (2, 3, 2),
    X_row: Any = None,
    y_row: Any = None,
    *,
    activation: str = "tanh",
    x: Any = None,
    target: Any = None,
    loss: str = "squared_error",
    learning_rate: float | None = None,
    seed: int = 0,
    q: float | None = None,
    solver: str | None = None,
    steps: int = 1,
    momentum: float | None = None,
    nesterovs_momentum: bool | None = None,
    beta_1: float | None = None,
    beta_2: float | None = None,
    epsilon: float | None = None,
    alpha: float = 0.0,
) -> Explanation:
    """One forward + backward pass by hand, checked against autograd.

    Two forms. ``hl.explain(model, X_row, y_row)``: a fitted ``MLPClassifier``/``MLPRegressor`` on one row (raw
    columns for a model with stored table preprocessing, shown before and after it) and its label or target; the loss
    and the L2 term are the estimator's, and the new weights are those of one plain gradient-descent step with
    ``learning_rate`` (not the estimator's optimizer). No ``sample_weight``: the fit divides a batch's weighted loss by
    its summed weights, so one row's weight cancels (it only turns ``alpha`` into ``alpha / w``). A fitted scikit-learn
    ``Pipeline`` ending in one of them takes the row as the Pipeline does: it passes through the steps first, and the
    inputs are named by theirs. ``hl.explain(sizes, ...)``: a tiny network drawn from ``seed`` (see
    :func:`hiddenlayers.training.explain`).

    Both forms take ``solver="sgd"`` or ``"adam"`` with ``steps`` and the estimators' settings: the optimizer's updates
    on the row, its state (velocity; m, v, m^, v^) written out and checked against ``torch.optim``, in place of the
    plain step. With a model, a setting left None is the model's own when ``solver`` is its solver
    (``source["from_model"]`` lists them).

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> hl.explain((2, 3, 2), seed=0).agrees
    True
    """
    optim = {"momentum": momentum, "nesterovs_momentum": nesterovs_momentum, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon}
    if hasattr(sizes, "fit") and hasattr(sizes, "get_params"):  # an estimator, fitted or not: its own checks say which
        given = [n for n, v, d in (("activation", activation, "tanh"), ("x", x, None), ("target", target, None), ("loss", loss, "squared_error"),
                                   ("seed", seed, 0), ("q", q, None), ("alpha", alpha, 0.0)) if v != d]
        if given:
            raise TypeError(f"hl.explain(model, X_row, y_row) takes the network, its activations and loss from the model: drop {', '.join(given)}.")
        if X_row is None or y_row is None:
            raise TypeError("hl.explain(model, X_row, y_row) needs the row and its label or target, e.g. hl.explain(clf, X[0], y[0]).")
        from .estimators import explain_model

        return explain_model(sizes, X_row, y_row, learning_rate=learning_rate, solver=solver, steps=steps, **optim)
    if X_row is not None or y_row is not None:
        raise TypeError("X_row and y_row go with a fitted MLPClassifier/MLPRegressor, hl.explain(model, X_row, y_row); "
                        "for the tiny network pass x= and target=.")
    return _explain_tiny(sizes, activation=activation, x=x, target=target, loss=loss, learning_rate=0.1 if learning_rate is None else learning_rate,
                         seed=seed, q=q, solver=solver, steps=steps, alpha=alpha, **optim)


__all__ = ["explain"]
