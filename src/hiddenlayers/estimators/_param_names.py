"""The constructor parameters' names of ``MLPClassifier`` and ``MLPRegressor``, without importing them.

The server's NumPy path (:mod:`._np_model`) reads a model file without scikit-learn, so it cannot ask the classes; a
file naming a parameter outside these is one ``hl.load`` refuses, and the NumPy path leaves it to ``hl.load``.
``tests/estimators/test_params.py`` checks the sets against the parameter tables.
"""

from __future__ import annotations

_SHARED = frozenset({
    "activation", "alpha", "batch_size", "beta_1", "beta_2", "callbacks", "clip_grad_norm", "device", "domain_adaptation",
    "dtype", "early_stopping", "ema_decay", "engine", "epsilon", "freeze", "hidden_layer_sizes", "init", "init_from",
    "learning_rate", "learning_rate_init", "loss", "loss_threshold", "max_fun", "max_iter", "max_time", "momentum",
    "n_iter_no_change", "nesterovs_momentum", "power_t", "precision", "progress_bar", "random_state", "shuffle", "solver",
    "swa_anneal_epochs", "swa_anneal_strategy", "swa_lr", "swa_start", "tol", "validation_fraction", "verbose",
    "warm_start", "weight_averaging",
})

PARAM_NAMES: dict[str, frozenset[str]] = {
    "MLPClassifier": _SHARED | {"class_weight", "gce_q", "label_smoothing"},
    "MLPRegressor": _SHARED | {"scale_target"},
}
"""Each estimator's constructor parameter names (its ``get_params()`` keys)."""
