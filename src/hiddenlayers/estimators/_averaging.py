"""Weight averaging (EMA, SWA) as a fit option: its six parameters, their cross-checks, and the fit call's averager.

The MLP estimators and the applications (``hl.apps``) that train with :func:`hiddenlayers.training.train` take the same
``weight_averaging``, ``ema_decay``, ``swa_start``, ``swa_lr``, ``swa_anneal_epochs`` and ``swa_anneal_strategy``: the rows
of :data:`AVERAGING_PARAMS` (constraint, default, meaning), the refusals of :func:`check_averaging`, and one
:class:`~hiddenlayers.training.WeightAveraging` per fit call from :func:`averaging_of`. The averaging itself is the
training stage's (``training/_averaging.py``): what a fit scores and keeps are the averaged weights.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import Any

from .._params import AnyOf, Interval, Options, Param, StrOptions, defaults_of
from .._stacklevel import user_stacklevel
from ..training import WeightAveraging

#: what ``weight_averaging`` does, for every model that takes it (each adds what it refuses)
AVERAGING_MEANING = (
    "Average the weights as they train: 'ema' (an exponential moving average updated after every step, ema_decay) or "
    "'swa' (the plain mean of the weights at the end of each epoch from swa_start on, Izmailov et al. 2018); early stopping, "
    "validation_scores_ and the best weights score the averaged weights, and the fitted model holds them (batch-norm "
    "statistics recomputed for them), while loss_curve_ stays the training loss of the raw weights; each fit call (warm_start "
    "too) starts a new average from the model's weights")

#: ``partial_fit``'s refusal: it is unavailable with weight averaging (scikit-learn's ``available_if``), this is why
PARTIAL_FIT_AVERAGING = ("weight_averaging is not supported with partial_fit: each call is one epoch and keeps no average between "
                         "calls. Use fit (warm_start=True goes on from the model), or weight_averaging=None.")

#: the six parameters, in the order the constructors take them
AVERAGING_PARAMS: tuple[Param, ...] = (
    Param("weight_averaging", Options((None, "ema", "swa"), text="None, 'ema' or 'swa'"), None,
          AVERAGING_MEANING + "; partial_fit is unavailable with it, and a streamed fit, solver='lbfgs' and domain_adaptation refuse it"),
    Param("ema_decay", Interval(Real, 0, 1, closed="neither", bools=False), 0.99,
          "weight_averaging='ema': weight of the old average at each step, in (0, 1); the average spans about 1 / (1 - ema_decay) steps "
          "(0.99, Keras' default: 100); another value without weight_averaging='ema' is refused (it would be ignored)"),
    Param("swa_start", AnyOf(Interval(Integral, 1, None, closed="left", bools=False), Interval(Real, 0, 1, closed="right", bools=False),
                             text="a share of max_iter in (0, 1] or an epoch number >= 1", type="float or int"), 0.75,
          "weight_averaging='swa': first averaged epoch of each fit call, a share of max_iter (0.75: epoch ceil(0.75 * max_iter)) "
          "or an int epoch number (at most max_iter); another value than 0.75 without weight_averaging='swa' is refused (it would be ignored)"),
    Param("swa_lr", AnyOf(Options((None,)), Interval(Real, 0, None, closed="neither", bools=False), text="None or a number > 0",
                          type="float or None"), None,
          "weight_averaging='swa': SWA's own learning rate (None: the learning_rate schedule runs on, unchanged); from swa_start's "
          "epoch the rate anneals from the schedule's to swa_lr over swa_anneal_epochs (by swa_anneal_strategy, as torch.optim.swa_utils.SWALR), "
          "then stays there, and 'invscaling', 'adaptive', 'plateau' and 'cosine' stop driving it ('adaptive' no longer cuts "
          "it, so n_iter_no_change stops training); a warm fit goes on from the schedule's rate, not swa_lr; refused without "
          "weight_averaging='swa'"),
    Param("swa_anneal_epochs", Interval(Integral, 0, None, closed="left", bools=False), 10,
          "swa_lr: epochs from swa_start's over which the rate anneals to swa_lr (10, SWALR's and Lightning's default; 0: "
          "swa_lr at once); they are averaged too; another value than 10 without swa_lr is refused (it would be ignored)"),
    Param("swa_anneal_strategy", StrOptions(("cos", "linear"), text="'cos' or 'linear'"), "cos",
          "swa_lr: how the rate goes from the schedule's to swa_lr over swa_anneal_epochs, PyTorch SWALR's anneal_strategy: "
          "'cos' (its default: a half cosine, slow at both ends) or 'linear' (equal steps); another value than 'cos' "
          "without swa_lr is refused (it would be ignored)"),
)


def check_averaging(est: Any) -> None:
    """Refuse, in one line naming the fix, a ``weight_averaging`` setting ``est``'s fit cannot honour.

    Refused: ``swa_lr`` without ``'swa'`` (it sets the rate of SWA's epochs), a setting of an averaging the fit does not
    run (:func:`_refuse_unused`), averaging with ``solver='lbfgs'`` (full-batch line-search steps) or
    ``domain_adaptation``, and an int ``swa_start`` past ``max_iter``. Why public: the applications check their
    parameters with the estimators' rules and words.

    Parameters
    ----------
    est : estimator or application
        With the six averaging parameters, ``max_iter``, and where it has them ``solver`` and ``domain_adaptation``.
    """
    kind = est.weight_averaging
    if est.swa_lr is not None and kind != "swa":
        raise ValueError(f"swa_lr sets the learning rate of SWA's epochs and needs weight_averaging='swa'. Received: "
                         f"swa_lr={est.swa_lr!r} with weight_averaging={kind!r}; set weight_averaging='swa', or swa_lr=None.")
    _refuse_unused(est)
    if kind is None:
        return
    if getattr(est, "solver", None) == "lbfgs":
        raise ValueError(f"weight_averaging averages the steps of a stochastic solver, and solver='lbfgs' takes full-batch line-search "
                         f"steps. Received: weight_averaging={kind!r}; use solver='adam' or 'sgd', or weight_averaging=None.")
    if getattr(est, "domain_adaptation", None) is not None:
        raise ValueError(f"weight_averaging is not supported with domain_adaptation={est.domain_adaptation!r}: "
                         "set weight_averaging=None, or domain_adaptation=None.")
    start = est.swa_start
    if kind == "swa" and isinstance(start, Integral) and start > est.max_iter:
        raise ValueError(f"swa_start must be an epoch <= max_iter={est.max_iter} (no epoch past it would be averaged). Received: "
                         f"swa_start={start}; give an epoch <= {est.max_iter}, or a share of max_iter such as 0.75.")


def _refuse_unused(est: Any) -> None:
    """A ValueError for a setting of an averaging the fit does not run, which it would ignore: ``ema_decay`` other than its
    default without ``weight_averaging='ema'``, ``swa_start`` other than its default without ``'swa'``, ``swa_anneal_epochs``
    (and ``swa_anneal_strategy``) other than its default without ``swa_lr``. As ``swa_lr`` without ``'swa'`` is refused, and as ``train --ema-decay`` without
    ``--weight-averaging ema`` is (a grid over both parameters leaves the other one at its default where it does not apply)."""
    defaults = defaults_of(type(est))
    for name, kind in (("ema_decay", "ema"), ("swa_start", "swa")):
        value, default = getattr(est, name), defaults.get(name)
        if est.weight_averaging != kind and value != default:
            raise ValueError(f"{name} is a setting of weight_averaging='{kind}' and would be ignored without it. Received: {name}={value!r} with "
                             f"weight_averaging={est.weight_averaging!r}; set weight_averaging='{kind}', or leave {name} at its default {default!r}.")
    for name in ("swa_anneal_epochs", "swa_anneal_strategy"):
        anneal, default = getattr(est, name), defaults.get(name)
        if est.swa_lr is None and anneal != default:
            raise ValueError(f"{name} is a setting of swa_lr (how SWA's rate is reached) and would be ignored without it. Received: "
                             f"{name}={anneal!r} with swa_lr=None; set swa_lr (e.g. 0.01), or leave {name} at its default {default!r}.")


def swa_start_epoch(swa_start: float, max_iter: int) -> int:
    """The first epoch (1-based) of a fit call that SWA averages: ``swa_start`` itself when an int, else ``ceil(swa_start * max_iter)``.

    Parameters
    ----------
    swa_start : int or float
        An epoch, or a share of ``max_iter``.
    max_iter : int
        The call's epochs.
    """
    if isinstance(swa_start, Integral):
        return int(swa_start)
    return max(1, math.ceil(float(swa_start) * int(max_iter) - 1e-9))


def averaging_of(est: Any, most_steps: int) -> WeightAveraging | None:
    """One fit call's :class:`~hiddenlayers.training.WeightAveraging` from ``est``'s averaging parameters; None without averaging.

    A UserWarning when an EMA spans more steps (about ``1 / (1 - ema_decay)``) than ``most_steps``: its average would
    still lean on the first steps' weights (benchmarks/bench_averaging.py: digits, 420 steps at 0.999, 0.81 accuracy
    against 0.97).

    Parameters
    ----------
    est : estimator or application
        Its ``weight_averaging``, ``ema_decay``, ``swa_start`` (of ``max_iter``), ``swa_lr``, ``swa_anneal_epochs`` and
        ``swa_anneal_strategy``.
    most_steps : int
        The optimizer steps the call can take at most (``max_iter`` x steps per epoch).
    """
    if est.weight_averaging is None:
        return None
    span = 1.0 / (1.0 - float(est.ema_decay))
    if est.weight_averaging == "ema" and most_steps < span * (1 - 1e-9):
        warnings.warn(f"ema_decay={est.ema_decay:g} averages over about {span:.0f} steps, but this fit takes at most {most_steps}: "
                      f"the average still leans on the first steps' weights. Lower ema_decay below {1 - 1 / most_steps:.4g}, "
                      "or train longer.", UserWarning, stacklevel=user_stacklevel())
    return WeightAveraging(est.weight_averaging, decay=float(est.ema_decay), start_epoch=swa_start_epoch(est.swa_start, est.max_iter),
                           swa_lr=None if est.swa_lr is None else float(est.swa_lr), anneal_epochs=int(est.swa_anneal_epochs),
                           anneal_strategy=est.swa_anneal_strategy)


def warn_nothing_averaged(est: Any, epochs: int, stop_reason: str | None) -> None:
    """A UserWarning when an SWA fit call stopped before its first averaged epoch: the model is the plain one.

    Parameters
    ----------
    est : estimator or application
        The model fitted (its averaging parameters).
    epochs : int
        Epochs the call ran.
    stop_reason : str or None
        Why it stopped (early stopping, ``max_time``, ...), as the warning names it.
    """
    if est.weight_averaging != "swa":
        return
    start = swa_start_epoch(est.swa_start, est.max_iter)
    if epochs < start:
        warnings.warn(f"the fit stopped after {epochs} epochs ({stop_reason}), before swa_start's epoch {start}: no weights "
                      "were averaged. Lower swa_start (e.g. 0.5, or an epoch number), or raise n_iter_no_change.",
                      UserWarning, stacklevel=user_stacklevel())


__all__ = ["AVERAGING_MEANING", "AVERAGING_PARAMS", "PARTIAL_FIT_AVERAGING", "averaging_of", "check_averaging", "swa_start_epoch",
           "warn_nothing_averaged"]
