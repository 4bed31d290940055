"""The parameter tables of ``MLPClassifier`` and ``MLPRegressor``: each parameter once.

Each row names a constructor parameter, what it accepts, its default (equal to the
``__init__`` signature's; ``tests/estimators/test_params.py`` checks) and one line of meaning.
:func:`hiddenlayers._params.validate` checks the table in ``fit``; the classes'
docstrings get their "Parameters" section from it.
"""

from __future__ import annotations

import math
import numbers
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from .._params import AnyOf, Bool, Checked, Interval, Options, Param, StrOptions
from ..exceptions import SpecError
from ..network import Spec, get_activation, resolve_device
from ..training import SCHEDULES, SOLVERS, schedule_refusal
from ._averaging import AVERAGING_PARAMS
from ._class_weight import check_class_weight


def dtype_refusal(value: Any) -> str:
    """The error for a ``dtype`` that is not one of the two names.

    A NumPy or PyTorch float type (``np.float64``, ``torch.float64``, as those libraries take it) is told the name to
    pass instead.

    Parameters
    ----------
    value : object
        The ``dtype`` given.
    """
    message = f"dtype must be 'float32' or 'float64'. Received: dtype={value!r}."
    name = str(value).removeprefix("torch.") if type(value).__module__ == "torch" else None
    if name is None and value is not None and not isinstance(value, str):  # (np.dtype(None) is float64)
        try:
            name = np.dtype(value).name
        except (TypeError, ValueError):
            name = None
    if name in ("float32", "float64"):
        message += f" Pass its name: dtype={name!r}."
    return message


def _none_or(interval: Interval, text: str) -> AnyOf:
    return AnyOf(Options((None,)), interval, text=text, type=f"{interval.type} or None")


def check_random_state_param(seed: Any) -> None:
    """scikit-learn's ``check_random_state`` as a check of a ``random_state`` parameter, without building a RandomState for a valid seed.

    Seeding one costs ~0.1 ms, paid on every ``partial_fit`` call; ``fit`` builds the one it uses. The MLP estimators
    and the applications check ``random_state`` with it; anything else goes to scikit-learn's function, which raises
    its own message.

    Parameters
    ----------
    seed : object
        The ``random_state`` given: None, an int in ``[0, 2**32)`` or a ``np.random.RandomState`` pass; anything
        else is a ValueError naming ``random_state``.
    """
    if seed is None or isinstance(seed, np.random.RandomState) or (isinstance(seed, Integral) and 0 <= int(seed) < 2**32):
        return
    try:
        check_random_state(seed)
    except ValueError:  # scikit-learn's "Seed must be between 0 and 2**32 - 1" names no parameter
        raise ValueError(f"random_state must be None, an int in [0, 2**32 - 1] or a np.random.RandomState (an int repeats the fit). "
                         f"Received: random_state={seed!r}.") from None


class _WidthTypeError(SpecError, TypeError):
    """A width of ``hidden_layer_sizes`` is a number but not an integer: a ``SpecError`` that is also
    the ``TypeError`` scikit-learn raises for it (its ``InvalidParameterError`` is both too)."""


def _check_hidden_layer_sizes(value: Any) -> None:
    """Parse ``hidden_layer_sizes`` as a spec, after scikit-learn's rule for its numbers.

    scikit-learn takes an int or an array-like of ints (NumPy ints included) and rejects floats
    and bools, even whole ones such as ``5.0``; so do we, before the spec parser (which is lenient
    with ``5.0`` for JSON written by other tools). Text specs, dicts and layer objects are ours and
    go to :meth:`Spec.parse` as they are.
    """
    if isinstance(value, (list, tuple)) or (hasattr(value, "__array__") and getattr(value, "ndim", 0) == 1):
        items: Any = value
    elif isinstance(value, (str, bytes, dict)):
        items = ()
    else:
        items = (value,)
    for i, width in enumerate(items, start=1):
        is_bool = isinstance(width, (bool, np.bool_))
        if isinstance(width, (numbers.Number, np.bool_)) and (is_bool or not isinstance(width, Integral)):
            number = float(width) if isinstance(width, Real) and not is_bool else math.nan
            fix = f"write {int(number)} instead of {width!r}" if number.is_integer() and number > 0 else "give a whole number of units such as 64"
            where = "" if items is not value else f" (layer {i} is {width!r})"
            raise _WidthTypeError(
                f"hidden_layer_sizes must be an int or a sequence of ints, as in scikit-learn. "
                f"Received: hidden_layer_sizes={value!r}{where}; {fix}."
            )
    Spec.parse(value)


# Parameters shared by both estimators, in the signature's order.
SHARED: tuple[Param, ...] = (
    Param("hidden_layer_sizes", Checked(_check_hidden_layer_sizes, text="a hidden-layer spec", type="tuple of int, str or list of layer specs"), (100,),
          "Width of each hidden layer, e.g. (64, 32); per-layer specs such as '64:tanh:dropout=0.2,32' also work; () or '' for none: "
          "a linear model (logistic or linear regression on the inputs, as scikit-learn's hidden_layer_sizes=()); "
          "X is a table, so layers are dense (convolutions such as 'conv16k3' need image or sequence input: hl.Network or hl.ImageClassifier)"),
    Param("activation", Checked(get_activation, text="an activation name (hl.activation_names())", type="str"), "relu",
          "Activation of every hidden layer whose spec names none ('identity', 'logistic', 'tanh', 'relu', 'gelu', ...)"),
    Param("solver", StrOptions(SOLVERS, text=f"one of {', '.join(SOLVERS)}"), "adam",
          "Optimizer: scikit-learn's 'sgd', 'adam', 'lbfgs', plus 'adamw' (Adam with alpha as decoupled weight decay) and 'rmsprop'"),
    Param("alpha", Interval(Real, 0, None, closed="left"), 0.0001, ("Strength of the L2 penalty on the weights (as scikit-learn's: alpha / 2 x the squared weights, divided by n_samples, "
           "added to the loss and to loss_curve_); with solver='adamw' it is AdamW's decoupled weight decay instead (PyTorch's "
           "weight_decay, 0.01 there): each step shrinks the linear weights by learning rate x alpha, not divided by n_samples, "
           "not in loss_curve_")),
    Param("batch_size", AnyOf(StrOptions(("auto",)), Interval(Integral, 1, None, closed="left", bools=False), text="'auto' or an integer >= 1", type="int or 'auto'"),
          "auto", "Rows per minibatch; 'auto' is min(200, n_samples)"),
    Param("learning_rate", StrOptions(SCHEDULES, text=f"one of {', '.join(SCHEDULES)}", refusal=schedule_refusal), "constant",
          "Step-size schedule of 'sgd' (and of the others for 'cosine' and 'plateau'); 'cosine' anneals from "
          "learning_rate_init to 0 over each fit call's max_iter epochs (a warm fit starts a new cycle) and partial_fit "
          "calls walk a cycle of max_iter calls, then restart at learning_rate_init; 'plateau' divides by 10 after "
          "n_iter_no_change // 2 epochs without improvement by tol (as the n_iter_no_change rule counts them), counted "
          "across partial_fit calls and warm fits"),
    Param("learning_rate_init", Interval(Real, 0, None, closed="neither"), 0.001, "Initial step size"),
    Param("power_t", Interval(Real, 0, None, closed="left"), 0.5, "Exponent of the 'invscaling' schedule"),
    Param("max_iter", Interval(Integral, 1, None, closed="left", bools=False), 200, "Most epochs (or L-BFGS iterations)"),
    Param("shuffle", Bool(), True, "Shuffle the rows every epoch (stochastic solvers)"),
    Param("random_state", Checked(check_random_state_param, text="None, an int or a numpy RandomState", type="int, RandomState or None"), None,
          "Seed of the weight init, shuffling and the early-stopping split; an int gives repeatable fits"),
    Param("tol", Interval(Real, 0, None, closed="left"), 1e-4, "Least improvement of the loss (or score) that counts as progress"),
    Param("verbose", AnyOf(Bool(), Interval(Integral, 0, None, closed="left"), text="True, False or an integer >= 0", type="bool"), False,
          "Print scikit-learn's progress lines on stdout"),
    Param("warm_start", Bool(), False, "Start fit from the previous solution instead of new weights"),
    Param("momentum", Interval(Real, 0, 1), 0.9, "Momentum of 'sgd'"),
    Param("nesterovs_momentum", Bool(), True, "Use Nesterov's momentum with 'sgd'"),
    Param("early_stopping", Bool(), False, "Hold out validation_fraction of the rows and stop when their score stops improving "
          "(the stochastic solvers; solver='lbfgs' trains on every row and ignores it, as scikit-learn's does, leaving "
          "validation_scores_ and best_validation_score_ None)"),
    Param("validation_fraction", Interval(Real, 0, 1, closed="left"), 0.1,
          "Share of the training rows held out by early_stopping (0, as in scikit-learn, only without early_stopping)"),
    Param("beta_1", Interval(Real, 0, 1, closed="left"), 0.9, "Decay of Adam's first-moment estimate"),
    Param("beta_2", Interval(Real, 0, 1, closed="left"), 0.999, "Decay of Adam's second-moment estimate"),
    Param("epsilon", Interval(Real, 0, None, closed="neither"), 1e-8, "Adam's numerical-stability term"),
    Param("n_iter_no_change", AnyOf(Interval(Integral, 1, None, closed="left", bools=False), Options((math.inf,)), text="an integer >= 1 or numpy.inf", type="int"),
          10, "Epochs without tol improvement before stopping"),
    Param("max_fun", Interval(Integral, 1, None, closed="left", bools=False), 15000, "Most loss evaluations of 'lbfgs'"),
    Param("loss_threshold", _none_or(Interval(Real, 0, None, closed="left", bools=False), "None or a number >= 0"), None, "Stop once the training loss falls below this"),
    Param("max_time", _none_or(Interval(Real, 0, None, closed="neither", finite=False, bools=False), "None or a number of seconds > 0"), None,
          "Stop after this many seconds of training (wall clock) in each fit call; earlier warm fits do not count"),
    Param("clip_grad_norm", _none_or(Interval(Real, 0, None, closed="neither", bools=False), "None or a number > 0"), None,
          "Clip the gradients' global L2 norm to this before each step"),
    Param("callbacks", Options((None,), text="None or a list of hl.Callback objects"), None, "Callback objects (hl.Callback) called each epoch; checked by fit", check=False,
          type="list of Callback or None"),
    Param("progress_bar", Bool(text="True or False (the Rich progress bar on stderr)"), False, "Show a Rich progress bar on stderr while fitting"),
    Param("device", Checked(resolve_device, text="'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'", type="str"), "auto",
          "Where to train: 'auto' picks CUDA, then Apple MPS, then the CPU"),
    Param("dtype", StrOptions(("float32", "float64"), text="'float32' or 'float64'", refusal=dtype_refusal), "float32",
          "Float type of the weights and training"),
    Param("init", StrOptions(("sklearn", "auto"), text="'sklearn' (scikit-learn's uniform init) or 'auto' (He/Glorot)"), "sklearn",
          "Weight initialisation"),
    Param("engine", StrOptions(("auto", "dense", "autograd"), text="'auto', 'dense' or 'autograd'"), "auto",
          "Back-propagation engine: the hand-written dense one, PyTorch autograd, or 'auto' (dense where it applies)"),
    Param("precision", StrOptions(("fp32", "tf32", "bf16"), text="'fp32', 'tf32' or 'bf16'"), "fp32",
          "Matmul precision on CUDA: 'tf32' (TF32 matmuls) or 'bf16' (bf16 matmuls, fp32 weights and optimizer state); the CPU trains in 'fp32'"),
    Param("init_from", Options((None,), text="None, a fitted model or a saved model file"), None,
          "Start from this fitted model's hidden layers (a model, a FrozenEstimator of one, or a .safetensors path): those that match "
          "by name are copied, a mismatch is an error; checked by fit", check=False, type="estimator, str or None"),
    Param("freeze", Options((None,), text="None, a count, layer names or 'head_first'"), None,
          "Hidden layers kept fixed: the first k, these names, or 'head_first' (the head alone from learning_rate_init, then every "
          "layer at 0.1 x it, up to max_iter epochs each; n_iter_, history_ and loss_curve_ count both); checked by fit", check=False, type="int, list of str, str or None"),
    Param("domain_adaptation", Options((None, "dann"), text="None or 'dann'"), None,
          "'dann': domain-adversarial training on fit's unlabelled X_target (a gradient-reversal layer and a domain head)"),
    *AVERAGING_PARAMS,
)

# The classifier's own, after the shared ones (keyword arguments in practice).
CLASSIFIER_PARAMS: tuple[Param, ...] = (
    *SHARED,
    Param("loss", StrOptions(("log_loss", "gce"), text="'log_loss' or 'gce'"), "log_loss",
          "Loss to minimise: 'log_loss' (cross entropy, as scikit-learn's), or 'gce', the generalized cross entropy "
          "(1 - p_y^q) / q, which is robust to wrong labels"),
    Param("gce_q", Interval(Real, 0, 1, closed="right"), 0.7,
          "q of loss='gce' in (0, 1]: towards 0 it is cross entropy, at 1 mean absolute error (0.7: Zhang & Sabuncu's choice)"),
    Param("class_weight", Checked(check_class_weight, text="None, 'balanced' or a dict {label: weight > 0}", type="dict, 'balanced' or None"), None,
          "Weight of each class, multiplied into sample_weight: 'balanced' is scikit-learn's n_samples / (n_classes * count) "
          "(refused by partial_fit, as SGDClassifier's), a dict names every class of y; the early-stopping score is weighted alike"),
    Param("label_smoothing", Interval(Real, 0, 1, closed="left", bools=False), 0.0,
          "Share eps of each target spread evenly over the classes: (1 - eps) * onehot + eps / k (PyTorch's), y * (1 - eps) + eps / 2 "
          "per logistic output (binary, multi-label); loss_curve_ is the smoothed loss, which cannot fall below the smoothed targets' "
          "entropy (k classes: -(1-eps+eps/k)*log(1-eps+eps/k) - (k-1)*(eps/k)*log(eps/k); per logistic output k=2), so fit warns "
          "when loss_threshold is below it; loss='log_loss' only"),
)

# ``loss`` is checked with the data (its message adds a hint on positional arguments), as scikit-learn's.
REGRESSOR_PARAMS: tuple[Param, ...] = (
    Param("loss", StrOptions(("squared_error", "poisson"), text="'squared_error' or 'poisson'"), "squared_error",
          "Loss to minimise: 'squared_error', or 'poisson' for counts and rates (y >= 0)", check=False),
    *SHARED,
    Param("scale_target", Bool(), False,
          "Standardize each output column of y for training (its sample_weight-weighted mean and std over fit's rows, "
          "std 0 -> 1; stored as target_mean_ and target_scale_) and map predictions back (predict, model files, ONNX): "
          "then loss_curve_, best_loss_, loss_threshold and tol's loss are in scaled units and the head's coefs_/intercepts_ "
          "predict scaled targets; warm_start keeps the stored scaling; loss='squared_error' only; partial_fit and streamed "
          "fits refuse it (False: scikit-learn's behaviour)"),
)
