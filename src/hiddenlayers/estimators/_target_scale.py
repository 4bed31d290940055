"""``MLPRegressor(scale_target=True)``: standardize y for training, map predictions back.

Why: the features are standardized, but a target in the hundreds (diabetes: 25-346) leaves a
small-init network at ``lr=1e-3`` far from its outputs for most of a fit. scikit-learn's answer is
``TransformedTargetRegressor(MLPRegressor(), StandardScaler())``; here the scaling lives in the
estimator, so one model (and its file, ONNX graph and server) predicts in y's units everywhere.

State: ``target_mean_`` and ``target_scale_``, float64 ``(n_outputs,)``, present only on a model
fitted with the scaling. Training targets are ``(y - mean) / scale``; predictions ``out * scale + mean``.
A streamed fit (``fit(source)``) takes them from the statistics pass (:attr:`Scan.target_moments`:
every row, weighted by the weight column, as the in-memory fit's ``y`` and ``sample_weight``); its
chunks' ``partial_fit`` calls keep them (:func:`streamed_chunks`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..data import unit_scale

PARTIAL_FIT = ("scale_target=True is not supported with partial_fit: the scaling would be fixed by the first chunk and mean "
               "something else for the next. Scale y yourself (e.g. sklearn's StandardScaler fitted on a sample), or set scale_target=False.")
STREAMED_PARTIAL = ("scale_target=True is not supported with partial_fit(source): each call would fix the scaling anew. Fit the "
                    "source (fit(source) standardizes y from its statistics pass), or set scale_target=False.")
POISSON = ("scale_target=True works with loss='squared_error' only: 'poisson' predicts exp(output), which a shifted target "
           "(negative values) would break and which needs no scaling. Set scale_target=False.")


def target_statistics(Y: np.ndarray, sample_weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and standard deviation ``(n_outputs,)`` each, float64, over the rows of ``Y`` ``(n, n_outputs)``.

    Weighted by ``sample_weight`` ``(n,)`` when given (the rows the weighted loss counts, as
    ``StandardScaler.fit(sample_weight=)``); all weights 0 counts every row alike. A std of 0 (or one that
    is not finite, or under 1e-12 of the mean's size) becomes 1: that column is only centred.
    """
    Y = np.asarray(Y, dtype=np.float64)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w is not None and not w.sum() > 0:
        w = None
    mean = np.average(Y, axis=0, weights=w)
    var = np.average((Y - mean) ** 2, axis=0, weights=w)
    return mean, _scale(mean, var)


def moments_statistics(moments: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`target_statistics` from a streamed target's :class:`~hiddenlayers.data.Moments` (``mean``, ``var``): ``(1,)`` each.

    The same rule for a std of 0 as in memory; a target whose moments are not finite (an infinite value,
    which the chunks' checks refuse with scikit-learn's message) is a ``ValueError`` here already.
    """
    mean, var = np.array([moments.mean], dtype=np.float64), np.array([moments.var], dtype=np.float64)
    if not (np.isfinite(mean).all() and np.isfinite(var).all()):
        raise ValueError("scale_target=True needs a finite target: its mean or variance over the source is not finite "
                         "(an infinite or huge value): fix those rows, or set scale_target=False.")
    return mean, _scale(mean, var)


def _scale(mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """The standard deviations ``sqrt(var)``, with 1 where one is 0, not finite, or under 1e-12 of the mean's size (only
    centred): ``data.unit_scale``, the rule of the table's columns too. (It read 1e-12 of at least 1, so a target in small
    units, 1e-13 ± 5e-14, was only centred and the network fitted values ~0 that its loss barely saw.)"""
    return unit_scale(mean, np.sqrt(var))


def set_target_scaling(est: Any, y: np.ndarray | None, sample_weight: np.ndarray | None, *, incremental: bool, first_pass: bool,
                       streamed: bool, moments: Any = None) -> None:
    """Fix (or keep) ``est``'s target scaling before its targets are made; a one-line ``ValueError`` for what cannot be scaled.

    A fresh fit computes it from ``y`` (or, with ``scale_target=False``, removes an old one); a warm fit keeps
    the stored one and refuses a ``scale_target`` that no longer matches the fitted model. A streamed fit
    (``streamed``) takes it from the statistics pass's ``moments`` (without them: the refusals only, said
    before any file is read); a chunk of a streamed fit (inside :func:`streamed_chunks`) keeps what its fit set.
    """
    if est.__dict__.get("_stream_scaling_fixed"):
        return
    want = bool(getattr(est, "scale_target", False))
    if want and incremental:
        raise ValueError(STREAMED_PARTIAL if streamed else PARTIAL_FIT)
    if want and getattr(est, "loss", "squared_error") != "squared_error":
        raise ValueError(POISSON)
    if streamed and moments is None:
        return
    if not first_pass:
        have = hasattr(est, "target_mean_")
        if have and incremental:  # want is False here: partial_fit with scale_target=True is refused above
            raise ValueError("the fitted model was trained with target scaling (scale_target=True), which partial_fit does not "
                             "continue: continue it with fit() and warm_start=True, or train a new model with scale_target=False "
                             "to go on with partial_fit.")
        if have != want:
            raise ValueError(f"scale_target={want} but the fitted model was trained {'with' if have else 'without'} target scaling: "
                             f"set scale_target={have} to go on from it, or refit with warm_start=False.")
        return
    if not want:
        for name in ("target_mean_", "target_scale_"):
            est.__dict__.pop(name, None)
        return
    if streamed:
        est.target_mean_, est.target_scale_ = moments_statistics(moments)
        return
    assert y is not None
    Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    est.target_mean_, est.target_scale_ = target_statistics(Y, sample_weight)


@contextlib.contextmanager
def streamed_chunks(est: Any) -> Iterator[None]:
    """Within: ``est``'s ``partial_fit`` calls (a streamed fit's chunks) keep the scaling the streamed fit fixed from
    its statistics pass, instead of refusing ``scale_target`` (as a user's ``partial_fit`` does) or taking one chunk's."""
    est._stream_scaling_fixed = True
    try:
        yield
    finally:
        est.__dict__.pop("_stream_scaling_fixed", None)


def scaled(est: Any, Y: np.ndarray) -> np.ndarray:
    """Targets ``Y`` ``(n, n_outputs)`` as the network trains on them: ``(Y - target_mean_) / target_scale_`` when scaled."""
    mean = getattr(est, "target_mean_", None)
    if mean is None:
        return Y
    return (Y - mean) / est.target_scale_


def scaling_to_json(est: Any) -> dict[str, list[float]] | None:
    """The scaling as a model file stores it (``{"mean": [...], "scale": [...]}``), or None for an unscaled model."""
    if not hasattr(est, "target_mean_"):
        return None
    return {"mean": [float(v) for v in est.target_mean_], "scale": [float(v) for v in est.target_scale_]}


class CheckpointScalingMismatch(ValueError):
    """A streamed fit's checkpoint written with the other ``scale_target`` than this fit's.

    The message names the Python parameter; the fields let a caller with other spellings (the command line's
    ``--scale-target`` / ``--no-scale-target``) say the same in its own words.

    Parameters
    ----------
    path : str
        The checkpoint.
    want : bool
        This fit's ``scale_target``.
    have : bool
        The checkpoint's.
    """

    def __init__(self, path: str, *, want: bool, have: bool) -> None:
        self.path, self.want, self.have = path, want, have
        super().__init__(f"checkpoint '{path}' was written by a fit {'with' if have else 'without'} target scaling and this fit has "
                         f"scale_target={want}: delete it to train from the start, or set scale_target={have} to resume it.")


def check_checkpoint_scaling(est: Any, stored: Any, path: str) -> None:
    """A :class:`CheckpointScalingMismatch` when a streamed fit's checkpoint ``path`` (its ``stored`` scaling, None for none)
    was written by a fit with the other ``scale_target``: resuming would train its network against targets on another scale."""
    want, have = bool(getattr(est, "scale_target", False)), stored is not None
    if want != have:
        raise CheckpointScalingMismatch(path, want=want, have=have)


def restore_checkpoint_scaling(est: Any, stored: Any, path: str) -> None:
    """Put a checkpoint's scaling (``stored``: :func:`scaling_to_json`'s record, or None) back into ``est``, as the run that
    wrote it trained with (not recomputed: a restarted run goes on against the same targets); one ``ValueError`` if it cannot."""
    check_checkpoint_scaling(est, stored, path)
    try:
        scaling_from_json(est, stored)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"checkpoint '{path}' holds a damaged target scaling ({exc}): delete it to train from the start.") from None


def scaling_from_json(est: Any, stored: Any) -> None:
    """Set ``est``'s scaling from a model file's record (None: an unscaled model, as every file before it was stored).

    A record that is not ``n_outputs_`` finite means and finite positive scales is a ``ValueError`` (the reader names the file).
    """
    if stored is None:
        if getattr(est, "scale_target", False):
            raise ValueError("scale_target is True but the file holds no target scaling")
        return
    mean = np.asarray(stored["mean"], dtype=np.float64)
    scale = np.asarray(stored["scale"], dtype=np.float64)
    n = int(est.n_outputs_)
    if mean.shape != (n,) or scale.shape != (n,) or not np.isfinite(mean).all() or not (np.isfinite(scale) & (scale > 0)).all():
        raise ValueError(f"the target scaling is not {n} finite means and positive scales")
    est.target_mean_, est.target_scale_ = mean, scale
