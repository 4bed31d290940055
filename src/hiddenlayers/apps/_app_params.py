"""Parameter-table rows the applications share: each common parameter's constraint and meaning, once.

``row("max_iter", 200)`` is the shared row with that application's default; each
application's module builds its own table from these rows and its own. The error
texts are the ones the applications always raised (``tests/test_apps_*.py`` pin them).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from .._params import AnyOf, Bool, Checked, Constraint, Interval, Options, Param, StrOptions
from ..estimators import AVERAGING_MEANING, AVERAGING_PARAMS, check_class_weight, check_random_state_param, dtype_refusal
from ..network import activation_names, resolve_device
from ..training import SCHEDULES, SOLVERS, backup_of, check_callbacks, schedule_refusal
from ._fit import hidden_spec


def positive_int(minimum: int = 1, *, none: bool = False, text: str | None = None) -> Constraint:
    """An integer >= ``minimum`` (booleans refused), or also None; ``text`` replaces the error's phrase."""
    interval = Interval(Integral, minimum, None, closed="left", bools=False)
    if not none:
        return interval
    return AnyOf(Options((None,)), interval, text=text or f"{interval.text} or None", type="int or None")


def fraction(low: float = 0.0, high: float = 1.0) -> Interval:
    """A number strictly between ``low`` and ``high``."""
    return Interval(Real, low, high, closed="neither", bools=False, text=f"a number strictly between {low} and {high}")


def number(low: float, *, strict: bool, none: bool = False, text: str | None = None, finite: bool = True) -> Constraint:
    """A number > ``low`` (``strict``) or >= ``low`` (booleans refused), or also None; ``inf`` only with ``finite=False``."""
    interval = Interval(Real, low, None, closed="neither" if strict else "left", bools=False, finite=finite, text=text)
    if not none:
        return interval
    return AnyOf(Options((None,)), interval, text=text or f"{interval.text} or None", type="float or None")


ACTIVATION = StrOptions(activation_names(), text=f"one of {', '.join(activation_names())}", type="str")
DEVICE = Checked(resolve_device, text="'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'", type="str")

# name -> (constraint, one line of meaning, checked by the table?)
_SHARED: dict[str, tuple[Constraint, str, bool]] = {
    "hidden_layer_sizes": (Checked(hidden_spec, text="a hidden-layer spec such as (64, 32) or '64,32'", type="tuple of int or str"),
                           "The hidden layers, as a spec: widths (64, 32) or per-layer text such as 'lstm64,32'", True),
    "activation": (ACTIVATION, "Activation of the hidden layers whose spec names none", True),
    "solver": (StrOptions(SOLVERS, text=f"one of {', '.join(SOLVERS)}"), "Optimizer (checked by fit)", False),
    "learning_rate": (StrOptions(SCHEDULES, text=f"one of {', '.join(SCHEDULES)}", refusal=schedule_refusal), "Step-size schedule (checked by fit)", False),
    "learning_rate_init": (number(0, strict=True), "Initial step size", True),
    "alpha": (number(0, strict=False), "Strength of the L2 penalty on the weights", True),
    "batch_size": (positive_int(), "Rows per minibatch", True),
    "max_iter": (positive_int(), "Most epochs", True),
    "max_time": (number(0, strict=True, none=True, text="None or a number of seconds > 0", finite=False),
                 "Seconds of training (wall clock) in each fit call: the fit stops after the epoch in which they are reached and keeps "
                 "the weights any other stop keeps (the best held-out epoch with early stopping, else the last); stop_reason_ "
                 "'time_limit'; None: no limit", True),
    "tol": (number(0, strict=False), "Least improvement of the validation (or training) loss that counts as progress", True),
    "n_iter_no_change": (positive_int(), "Epochs without tol improvement before stopping", True),
    "early_stopping": (Bool(), "Hold out validation_fraction of the rows and stop when their loss stops improving", False),
    "validation_fraction": (fraction(), "Share of the training rows held out for early stopping", True),
    "clip_grad_norm": (number(0, strict=True, none=True, text="a number > 0 or None"), "Clip the gradients' global L2 norm to this; None: no clipping", True),
    "dtype": (StrOptions(("float32", "float64"), text="'float32' or 'float64'", refusal=dtype_refusal),
              "Float type of the weights and training", True),
    "device": (DEVICE, "Where to train: 'auto' picks CUDA, then Apple MPS, then the CPU", True),
    "random_state": (Checked(check_random_state_param, text="None, an int or a numpy RandomState", type="int, RandomState or None"),
                     "Seed of the weight init, shuffling, dropout and splits, as scikit-learn reads it: an int gives repeatable fits "
                     "(and leaves PyTorch's global generator as it was); None draws from NumPy's global generator; a RandomState is "
                     "drawn from by each fit", True),
    "verbose": (Bool(), "Print one line per epoch (checked by fit)", False),
    "callbacks": (Checked(check_callbacks, text="None or a list of hl.Callback objects", type="list of Callback or None"),
                  "Callback objects (hl.Callback, e.g. hl.CSVLogger) called each epoch as the MLP estimators' are (hooks, logs and "
                  "state.stop_training = True, stop_reason_ 'callback'); not saved in model files", True),
    "progress_bar": (Bool(), "Show a Rich progress bar over epochs on stderr while fitting, as the MLP estimators' (checked by fit)", False),
    "warm_start": (Bool(), "fit goes on from the fitted network's weights for max_iter epochs more (the optimizer restarts, as "
                   "scikit-learn's MLP's); what the first fit learned from the data (classes, vocabulary, shapes, standardisation) is kept", False),
    "init_from": (Options((None,), text="None, a fitted model or a saved model file", type="estimator, str or None"),
                  "Start from this fitted model's hidden layers (those that match by name and shape; checked by fit)", False),
    "freeze": (Options((None,), text="None, a count or layer names", type="int, list of str or None"),
               "Hidden layers kept fixed during fit: the first k, or these names (checked by fit)", False),
    "loss": (StrOptions(("log_loss", "gce"), text="'log_loss' or 'gce'"),
             "Training loss: 'log_loss' (cross entropy) or 'gce', the generalized cross entropy (1 - p_y^q) / q, robust to wrong "
             "labels (the validation loss of early stopping stays cross entropy)", True),
    "gce_q": (Interval(Real, 0, 1, closed="right", bools=False), "q of loss='gce' in (0, 1]: towards 0 it is cross entropy, at 1 mean absolute error", True),
    # MLPClassifier's rows, same constraints and meaning (the classifiers' fit: ``ClassifierFitting._row_weights``)
    "class_weight": (Checked(check_class_weight, text="None, 'balanced' or a dict {label: weight > 0}", type="dict, 'balanced' or None"),
                     "Weight of each class, multiplied into fit's sample_weight: 'balanced' is scikit-learn's n_samples / (n_classes * count), "
                     "a dict names every class of y; the training loss and the early-stopping score are weighted alike", True),
    "label_smoothing": (Interval(Real, 0, 1, closed="left", bools=False),
                        "Share eps of each one-hot target spread evenly over the classes: (1 - eps) * onehot + eps / k (PyTorch's); "
                        "loss_curve_ is the smoothed loss, the validation loss stays plain cross entropy; loss='log_loss' only", True),
}


def _own_loop_callbacks(value: Any) -> list[Any]:
    """``check_callbacks`` for an app that trains in a loop of its own: a ``BackupAndRestore`` there would never write."""
    callbacks = check_callbacks(value)
    if backup_of(callbacks) is not None:
        raise ValueError("BackupAndRestore backs up the fits training.train runs (the MLP estimators and the Image, Sequence, "
                         "Text, Speech, Autoencoder and Forecaster apps); this app trains in a loop of its own, which writes "
                         "no backup: drop BackupAndRestore from callbacks.")
    return callbacks


def own_loop_callbacks_row() -> Param:
    """The ``callbacks`` row of the Recommender and the Translator, whose own loops take every callback but ``BackupAndRestore``."""
    shared, _, _ = _SHARED["callbacks"]
    return row("callbacks", None, constraint=Checked(_own_loop_callbacks, text=shared.text, type=shared.type))


#: what an application's ``weight_averaging`` refuses (its other rules are the MLP estimators')
_APP_AVERAGING = (AVERAGING_MEANING + "; the classifiers' partial_fit is unavailable with it (as the MLP estimators'), and solver='lbfgs' "
                  "refuses it; a Recommender, Translator or DQNAgent has none (they train in loops of their own)")


def averaging_rows() -> tuple[Param, ...]:
    """The MLP estimators' six weight-averaging rows (``weight_averaging``, ``ema_decay``, ``swa_start``, ``swa_lr``,
    ``swa_anneal_epochs``, ``swa_anneal_strategy``): same constraints, defaults and meanings, for the apps whose fit is
    :func:`hiddenlayers.training.train` (``weight_averaging``'s meaning names what an app refuses)."""
    return tuple(Param(p.name, p.constraint, p.default, _APP_AVERAGING if p.name == "weight_averaging" else p.doc, check=p.check, type=p.type)
                 for p in AVERAGING_PARAMS)


def row(name: str, default: Any, doc: str | None = None, *, check: bool | None = None, constraint: Constraint | None = None) -> Param:
    """The shared row for ``name`` with this application's ``default`` (optionally its own meaning,
    constraint, or ``check=False`` where the value is checked later, where it is used)."""
    shared, meaning, checked = _SHARED[name]
    return Param(name, constraint or shared, default, doc or meaning, check=checked if check is None else check)
