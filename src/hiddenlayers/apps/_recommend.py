"""``Recommender``: user and item embeddings through dense hidden layers, predicting ratings.

``rating ≈ μ + b_user + b_item + MLP([e_user, e_item])``: ``μ`` is the
training mean, ``b`` learned biases (one-wide embeddings), ``e`` the learned
user and item vectors (``nn.Embedding``), and the MLP a
:class:`~hiddenlayers.Network` whose hidden layers model the interaction;
``interaction="dot"`` feeds it ``e_user ⊙ e_item`` (elementwise) instead, and
with no hidden layer the score is matrix factorization's ``b_user + b_item +
e_user · e_item`` (NCF's GMF, He et al. 2017, with its weights fixed at 1).
Rows whose user or item was not seen in ``fit`` fall back to ``μ`` plus
the bias of whichever side is known, and one warning counts them; ids of
another type than fit's (``"1"`` for ``1``) that match no known id are a ``DataError``.
"""

from __future__ import annotations

import os
import time
import warnings
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import train_test_split
from torch import Tensor, nn

from .._docsections import parameters_section
from .._params import Checked, DefaultsOnUnpickle, Interval, Param, StrOptions, document, validate
from .._stacklevel import user_stacklevel
from ..data import center_spread
from ..estimators import KeepsFittedSource, fit_keywords, refuse_frozen_fresh, restored_on_error
from ..exceptions import DataError, DivergedWarning
from ..network import Network, PortablePickle, load_device, resolve_device
from ..training import (
    STOP_REASONS,
    FlatParams,
    History,
    LoopHooks,
    NoImprovement,
    Optimizer,
    diverged_message,
    frozen,
    has_diverged,
    held_at_start,
    kept_weights,
    make_optimizer,
    note_start_loss,
    refuse_unusable,
    time_limit,
    warn_interrupted,
)
from ._app_params import number, own_loop_callbacks_row, positive_int, row
from ._appfile import (
    LOAD_PARAMETERS,
    columns_state,
    file_errors,
    forget_columns,
    history_state,
    load_app,
    names_state,
    restore_columns,
    restore_history,
    restore_names,
    restore_state,
    save_fitted,
    split_prefix,
)
from ._columns import check_column_names, column_names, set_fitted_names
from ._fit import VAL_LOSS, device_of, fit_callbacks, forward_batches, hidden_spec, one_thread
from ._fitted import FitRequired, refuses_empty
from ._recommend_bpr import batch_pass, bpr_training_data
from ._recommend_input import duplicate_pairs, duplicate_words, refuse_swapped_columns
from ._recommend_rows import RowAdam
from ._recommend_topn import check_n, id_array, id_order, list_lengths_words, rated_from_file, rated_pairs, rated_tensors, top_n
from ._recommend_warm import copy_known_rows, joined_ids
from ._seed import keeps_global_rng, seed_everything
from ._warm import copy_layers, frozen_names, open_source, provenance_record
from ._warm_fit import continues, mark_built, past_history, refuse_rebuilt, warm_frozen


class RecommenderNet(nn.Module):
    """Maps ``(B, 2)`` integer (user, item) codes to ``(B, 1)`` predicted ratings.

    ``interaction``: what the MLP reads, ``"concat"`` (the two vectors side by side, ``2·n_factors`` wide) or ``"dot"``
    (their elementwise product, ``n_factors`` wide; with no hidden layer the head's weights are fixed at 1, see :attr:`gmf`)."""

    mean: Tensor  # the training mean rating, a 0-d buffer

    def __init__(self, n_users: int, n_items: int, n_factors: int, spec: Any, activation: str, dropout: float, mean: float, init: str = "auto",
                 interaction: str = "concat") -> None:
        super().__init__()
        self.interaction = interaction
        self.user = nn.Embedding(n_users, n_factors)
        self.item = nn.Embedding(n_items, n_factors)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        self.dropout = nn.Dropout(dropout)
        width = 2 * n_factors if interaction == "concat" else n_factors
        self.mlp = Network(width, hidden_spec(spec), 1, activation=activation, init=init)
        self.register_buffer("mean", torch.tensor(float(mean)))
        if init != "none":
            for emb in (self.user, self.item):
                nn.init.normal_(emb.weight, std=0.1)
            for emb in (self.user_bias, self.item_bias):
                nn.init.zeros_(emb.weight)
            if self.gmf:
                with torch.no_grad():
                    self.mlp.head.weight.fill_(1.0)
                    self.mlp.head.bias.zero_()
        if self.gmf:  # h = 1 for good: a learnt h let the vectors' scale escape reg's penalty (MovieLens NDCG@10 0.153-0.163, not 0.191)
            self.mlp.head.weight.requires_grad_(False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle; a network pickled before ``interaction`` existed read its vectors side by side."""
        state.setdefault("interaction", "concat")
        super().__setstate__(state)

    @property
    def gmf(self) -> bool:
        """True for ``interaction="dot"`` with no hidden layer: the head is GMF's ``h·(e_user ⊙ e_item) + c`` with ``h`` fixed at 1
        (not trained: ``requires_grad`` False), so the score is the biases plus the plain dot product (and ``c``, one trained offset)."""
        return self.interaction == "dot" and not self.mlp.hidden_names

    @property
    def lens_layers(self) -> list[str]:
        """Layers the lens records by default: the user and item embeddings, then the MLP's hidden layers."""
        return ["user", "item", *(f"mlp.{n}" for n in self.mlp.hidden_names)]

    def forward(self, x: Tensor) -> Tensor:
        u, i = x[:, 0].long(), x[:, 1].long()  # (B,), (B,)
        return self.rate(self.user(u), self.item(i), self.user_bias(u), self.item_bias(i))

    def rate(self, user: Tensor, item: Tensor, user_bias: Tensor, item_bias: Tensor) -> Tensor:
        """Ratings ``(B, 1)`` from the pairs' looked-up rows: vectors ``(B, n_factors)``, biases ``(B, 1)``.

        ``forward`` after its lookups; fit's loop calls it on rows it gathered itself (see :class:`RowAdam`)."""
        # (B, 2·n_factors) side by side, or (B, n_factors) elementwise: with no hidden layer the head makes it h·(e_u ⊙ e_i), GMF
        pair = self.dropout(torch.cat([user, item], dim=1) if self.interaction == "concat" else user * item)
        return self.mean + user_bias + item_bias + self.mlp(pair)  # (B, 1)


def _pairs(X: Any, fitted: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Users and items from a 2-column frame/array or a ``(users, items)`` tuple.

    A frame whose column names say item first and user second is refused (:func:`refuse_swapped_columns`; ``fitted``: a
    model's ``feature_names_in_``, whose own order is let through)."""
    if isinstance(X, tuple) and len(X) == 2:
        users, items = np.asarray(X[0]), np.asarray(X[1])
        if users.ndim == 0 and items.ndim == 0:  # (user, item): one pair, read as the (users, items) form
            raise DataError(f"X is one (user, item) pair as a tuple, {X!r}, but a tuple is read as (users, items): pass [{X!r}] (a list of pairs) "
                            f"or ([{X[0]!r}], [{X[1]!r}]).")
    elif isinstance(X, pd.DataFrame):
        if X.shape[1] != 2:
            raise DataError(f"X must have exactly 2 columns (user, item). Received columns {list(X.columns)}: select them, e.g. df[['userId', 'movieId']].")
        refuse_swapped_columns(list(X.columns), fitted)
        users, items = X.iloc[:, 0].to_numpy(), X.iloc[:, 1].to_numpy()
    else:
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise DataError(f"X must be (n, 2) pairs of (user, item) ids or a (users, items) tuple. Received shape {arr.shape}.")
        users, items = arr[:, 0], arr[:, 1]
    if users.ndim != 1 or users.shape != items.shape:
        raise DataError(f"users and items must be 1-D and the same length. Received {users.shape} and {items.shape}.")
    return users, items


def cold_start_words(user_seen: np.ndarray, item_seen: np.ndarray, loss: str = "squared_error") -> str:
    """The warning of ``predict`` (and the CLI's note) on rows whose user or item was not seen in fit.

    Parameters
    ----------
    user_seen : numpy.ndarray of bool, shape (n,)
        As :meth:`Recommender.seen`'s first column.
    item_seen : numpy.ndarray of bool, shape (n,)
        As its second column.
    loss : str
        The model's loss (a ``"bpr"`` model has no global mean: such a row's score is the known side's bias alone).
    """
    cold = int((~(user_seen & item_seen)).sum())
    fallback = "scored by the known side's bias alone" if loss == "bpr" else "predicted from the global mean plus the known side's bias"
    return (f"{cold} of {len(user_seen)} rows have a user ({int((~user_seen).sum())}) or item ({int((~item_seen).sum())}) not seen in fit: "
            f"{fallback}.")


_AT_PREDICT = "; an id not seen in fit is predicted from the global mean plus the known side's bias, a missing one is refused"


def check_ids(side: str, ids: np.ndarray, column: Any = None, when: str = "fit") -> None:
    """Raise a DataError for ids that are missing (NaN, None, NA) or numbers that are not whole (inf, 1.5).

    Ids are ints or strings: left in at fit, every NaN would become one shared
    "user" (``pd.unique`` keeps one NaN) and 1.5 an id no integer matches; at
    predict (``when="predict"``) they would silently get the global mean (plus
    the other side's bias), as an unknown but valid id does. A float column of whole numbers (pandas'
    ints with a missing value) is fine. ``column`` (a DataFrame's column
    label) is named in the message.
    """
    where = "" if column is None else f" of column {column!r}"
    missing = np.asarray(pd.isna(ids), dtype=bool)
    if missing.any():
        raise DataError(
            f"Missing {side} ids (NaN or None) in {_rows(missing)}{where}: drop or fill those rows before {when}, e.g. df.dropna()"
            f"{_AT_PREDICT if when != 'fit' else ''}."
        )
    fractional = _not_whole(ids)
    if fractional.any():
        first = ids[np.flatnonzero(fractional)[0]]
        first = first.item() if isinstance(first, np.generic) else first  # 1.5, not np.float64(1.5)
        raise DataError(
            f"{side.capitalize()} ids that are not whole numbers (first: {first!r}) in {_rows(fractional)}{where}: "
            f"ids must be integers or strings; fix or drop those rows before {when}."
        )


def _check_pairs(X: Any, users: np.ndarray, items: np.ndarray, when: str) -> None:
    """:func:`check_ids` on both sides, naming a DataFrame's user and item columns."""
    columns = list(X.columns) if isinstance(X, pd.DataFrame) else [None, None]
    check_ids("user", users, columns[0], when)
    check_ids("item", items, columns[1], when)


def _warn_duplicates(X: Any, y: Any, users: np.ndarray, items: np.ndarray) -> None:
    """One warning when a (user, item) pair is given more than once (a squared-error fit fits each row as a rating)."""
    found = duplicate_pairs(users, items)
    if found is not None:
        columns = list(X.columns) if isinstance(X, pd.DataFrame) else None
        warnings.warn(duplicate_words(found, users, items, columns, getattr(y, "name", None)), UserWarning, stacklevel=user_stacklevel())


def _rows(bad: np.ndarray) -> str:
    """``'3 of 100 rows (0-based: 4, 9, 17)'``: how many are flagged and the first five positions."""
    where = ", ".join(str(i) for i in np.flatnonzero(bad)[:5])
    more = ", ..." if bad.sum() > 5 else ""
    return f"{int(bad.sum())} of {len(bad)} rows (0-based: {where}{more})"


#: the Recommender's training objectives (its ``loss`` parameter)
LOSSES = ("squared_error", "bpr")
#: what its MLP reads of the user and item vectors (its ``interaction`` parameter): both side by side, or their elementwise product
INTERACTIONS = ("concat", "dot")
_BUILT_FROM = ("n_factors", "hidden_layer_sizes", "activation", "dropout", "loss", "interaction")  # what shaped the network: a warm fit refuses another value
_NO_FLOATS = ("string", "bytes", "integer", "boolean", "empty")  # object ids pandas' fast scan proves hold no float


def _not_whole(ids: np.ndarray) -> np.ndarray:
    """Which numeric ids are infinite or have a fraction (ids without NaN); all False for ints and strings."""
    if ids.dtype.kind == "f":
        return ~np.isfinite(ids) | (ids != np.trunc(ids))
    if ids.dtype.kind == "O" and pd.api.types.infer_dtype(ids, skipna=False) not in _NO_FLOATS:
        return np.fromiter((isinstance(v, (float, np.floating)) and not float(v).is_integer() for v in ids), dtype=bool, count=len(ids))
    return np.zeros(len(ids), dtype=bool)


def _id_kind(ids: Any) -> str:
    """``"number"`` or ``"text"`` when every id (missing ones aside) is of that kind, else ``"mixed"``."""
    kind = pd.api.types.infer_dtype(ids, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal", "boolean"):
        return "number"
    return "text" if kind in ("string", "bytes") else "mixed"


def check_id_kinds(side: str, ids: np.ndarray, codes: np.ndarray, fitted: pd.Index) -> None:
    """Raise a DataError when no ``ids`` of this side was seen in fit and they are of another kind than fit's
    (``"1"`` for a model fitted on ``1``): every row would fall back to the global mean; the cause is the type."""
    clash = id_kind_clash(ids, codes, fitted)
    if clash is None:
        return
    plural, cast = {"number": "numbers", "text": "strings"}, "int" if clash[1] == "number" else "str"
    raise DataError(
        f"{side.capitalize()} ids are {plural[clash[0]]} (first: {_plain(ids[0])!r}) but the model was fitted on {plural[clash[1]]} "
        f"(first: {_plain(fitted[0])!r}), so none is known: convert them with .astype({cast}) first."
    )


def id_kind_clash(ids: np.ndarray, codes: np.ndarray, fitted: pd.Index) -> tuple[str, str] | None:
    """``(the ids' kind, fit's kind)``, each ``"number"`` or ``"text"``, when none of ``ids`` was seen in fit (``codes`` all -1)
    and they are of another kind than the fitted ids: the case :func:`check_id_kinds` refuses (the CLI words it its own way).

    Parameters
    ----------
    ids : numpy.ndarray of shape (n,)
        The ids given.
    codes : numpy.ndarray of int, shape (n,)
        Their codes in ``fitted`` (-1: unseen).
    fitted : pandas.Index
        The model's ``users_`` or ``items_``.
    """
    if not len(ids) or (codes >= 0).any():
        return None
    given, known = _id_kind(ids), _id_kind(fitted)
    return None if "mixed" in (given, known) or given == known else (given, known)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def damped_biases(users: np.ndarray, items: np.ndarray, residual: np.ndarray, n_users: int, n_items: int, lam: float, iters: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """User and item biases of ``residual ≈ b_u + b_i`` by alternating ridge means (shrunk by ``lam``)."""
    bu, bi = np.zeros(n_users), np.zeros(n_items)
    cu = np.bincount(users, minlength=n_users) + lam
    ci = np.bincount(items, minlength=n_items) + lam
    for _ in range(iters):
        bi = np.bincount(items, residual - bu[users], minlength=n_items) / ci
        bu = np.bincount(users, residual - bi[items], minlength=n_users) / cu
    return bu, bi


@torch.no_grad()
def start_biases(net: RecommenderNet, X: Tensor, Y: Tensor, mean: float, lam: float, kept: tuple[int, int] = (0, 0), head_kept: bool = False) -> None:
    """Start from the damped-bias model: biases of ``Y - mean`` by :func:`damped_biases`, the MLP's head zero, so the
    hidden layers learn what the biases miss (GMF's fixed ``h = 1`` is kept, its bias zeroed: the small random vectors' dot
    product is all it adds). ``kept``: the first (users, items) rows whose biases a source gave (left
    as they are); ``head_kept``: the head too came from a source (not zeroed). ``X`` (n, 2) codes, ``Y`` (n, 1) ratings."""
    codes, ratings = X.cpu().numpy(), Y[:, 0].cpu().double().numpy()
    bu, bi = damped_biases(codes[:, 0], codes[:, 1], ratings - mean, net.user_bias.num_embeddings, net.item_bias.num_embeddings, lam)
    net.user_bias.weight[kept[0]:, 0] = torch.as_tensor(bu[kept[0]:], device=X.device)
    net.item_bias.weight[kept[1]:, 0] = torch.as_tensor(bi[kept[1]:], device=X.device)
    if not head_kept:
        if not net.gmf:  # GMF's h is fixed at 1
            net.mlp.head.weight.zero_()
        net.mlp.head.bias.zero_()


def _fit_penalized(
    est: Recommender, net: RecommenderNet, X: Tensor, Y: Tensor, validation: tuple[Tensor, Tensor] | None, gen: torch.Generator,
    history: History | None = None, objective: Any = None,
) -> History:
    """Mini-batch Adam on squared error + ``reg`` · (squared norms of the batch's embeddings and biases).

    Matrix factorization's usual penalty: each rating pulls only on its own
    user's and item's vectors, so rarely-rated items stay near zero. It needs
    the batch's ids, which :func:`hiddenlayers.training.train` does not pass
    to a loss; hence this short loop. Each step updates only the embedding and
    bias rows of the batch's users and items (:class:`RowAdam`, lazy Adam: other
    rows and their moments stay as they are) and the MLP by AdamW (``alpha``'s
    decoupled decay on its linear weights). Early stopping on ``validation`` restores
    the best weights (the starting ones, :func:`start_biases`' or a source's or a warm fit's, if no epoch
    beats them; a new ``loss="bpr"`` fit starts from random vectors, no model, so it keeps its best epoch). Ctrl-C (``KeyboardInterrupt``) stops there with those best weights, ``stop_reason`` ``"interrupted"``
    and the estimators' warning. ``net``, ``X``, ``Y`` and ``validation`` share one device. ``est`` gives the parameters only.
    ``history`` (a warm fit's) goes on, its epochs numbered on; the optimizers start afresh. An epoch whose mean squared
    error diverges (NaN/inf, or past 1e4 x the history's first batch's: ``training``'s rule) stops it with ``stop_reason``
    ``"diverged"`` and the best weights, with the estimators' ``DivergedWarning`` when they are an epoch's (``history.held_epoch``;
    0: no usable epoch, and ``Recommender.fit`` raises). ``est.max_time`` stops it after the epoch in which this call's seconds
    reach it (``stop_reason`` ``"time_limit"``, training's rule :func:`~hiddenlayers.training.time_limit`; ``history.time`` runs on).
    ``est.callbacks`` (then the progress bar) get the hooks as ``training.train`` calls them (:class:`~hiddenlayers.training.LoopHooks`); a
    callback's ``state.stop_training`` stops after that epoch (``stop_reason`` ``"callback"``) with the best weights.
    ``objective``: what an epoch minimises and how ``validation`` is scored (default :class:`_SquaredError`; ``loss="bpr"``'s
    :class:`~hiddenlayers.apps._recommend_bpr.BprObjective`, whose ``Y`` is None and ``validation`` pairs with fixed negatives).
    """
    device = X.device
    objective = _SquaredError() if objective is None else objective
    flat = FlatParams(net.mlp)
    opt = make_optimizer("adamw", flat, weight_decay=est.alpha)  # decoupled decay on the MLP's linear weights
    rows = RowAdam([net.user, net.item, net.user_bias, net.item_bias])
    hist, best = History() if history is None else history, (flat.data.clone(), rows.state())
    first, began = len(hist), held_at_start(hist) or 0  # a warm fit's epochs so far; the epoch whose weights the run begins with
    monitor = objective.monitor if validation is not None else "train_loss"  # the rating fit's val_loss, BPR's val_score (NDCG@10)
    stop = NoImprovement(monitor, est.tol, est.n_iter_no_change)
    limit, t0 = time_limit(est.max_time, hist), time.perf_counter() - (hist.time[-1] if hist.time else 0.0)  # the clock runs on
    # the epoch's squared error accumulates on the device, read once per epoch (float64 like Python's float, but MPS has none)
    acc_dtype = torch.float32 if device.type == "mps" else torch.float64
    if validation is not None and (monitor != "val_score" or first):  # epoch 0 = the bias model (or a warm fit's): kept if no epoch beats it;
        stop.update(objective.held_out(net, validation)[monitor == "val_score"])  # a new BPR fit's epoch 0 is random vectors, no model
    hooks = LoopHooks(fit_callbacks(est, val=VAL_NDCG if monitor == "val_score" else VAL_LOSS), net, hist)
    try:
        hooks.begin()  # Ctrl-C here is one before the first step: the run's start kept, as in training.train
        for epoch in range(first + 1, first + est.max_iter + 1):
            hooks.epoch_begin(epoch)
            train_loss, first_batch = objective.epoch(est, net, flat, opt, rows, X, Y, gen, acc_dtype, hooks)
            note_start_loss(hist, first_batch)
            val = objective.held_out(net, validation) if validation is not None else (float("nan"), float("nan"))
            _record(hist, epoch, train_loss, val, est.learning_rate_init, time.perf_counter() - t0)
            if has_diverged(train_loss, hist.start_loss):
                hist.stop_reason = "diverged"
                break
            if stop.update(val[monitor == "val_score"] if validation is not None else train_loss):
                best = (flat.data.clone(), rows.state())
                hist.best_epoch = epoch
            if hooks.epoch_end():  # a callback's stop wins, as in training.train
                hist.stop_reason = "callback"
                break
            if reason := stop(hist):
                hist.stop_reason = reason
                break
            if limit is not None and limit(hist):
                hist.stop_reason = "time_limit"
                break
        else:
            hist.stop_reason = "max_epochs"
    except KeyboardInterrupt:  # Ctrl-C: keep the best epoch's weights (the start's if none in this run), as the estimators do, with their warning
        hist.stop_reason = "interrupted"
        warn_interrupted(kept_weights(hist.best_epoch if (hist.best_epoch or 0) > first else None, this_run=True))
    flat.data.copy_(best[0])
    rows.restore(best[1])
    flat.release()
    hist.stop_message = STOP_REASONS.get(hist.stop_reason or "", "")  # the words training.train gives (progress bar, summary)
    _note_held(hist, first, began, est.learning_rate_init)
    net.eval()
    hooks.end()
    return hist


def _note_held(hist: History, first: int, began: int, learning_rate_init: float) -> None:
    """After a run that began after epoch ``first`` on the weights of epoch ``began`` (0: a fresh fit's start): record in
    ``hist.held_epoch`` whose weights the model keeps (this run's best epoch's, else those it began with), and after a
    divergence say so in the estimators' ``DivergedWarning`` when they are an epoch's (with none, ``Recommender.fit`` raises)."""
    this_run = (hist.best_epoch or 0) > first
    hist.held_epoch = hist.best_epoch if this_run else began
    if hist.stop_reason == "diverged" and hist.held_epoch:
        warnings.warn(diverged_message(hist.epoch[-1], hist.train_loss[-1], hist.start_loss, kept_weights(hist.held_epoch, this_run),
                                       learning_rate_init, RATINGS_FIX), DivergedWarning, stacklevel=user_stacklevel())


def _step(est: Recommender, net: RecommenderNet, flat: FlatParams, opt: Optimizer, rows: RowAdam, xb: Tensor, yb: Tensor) -> Tensor:
    """One step on the batch ``xb`` (B, 2) codes, ``yb`` (B, 1) ratings: the MLP by ``opt``, the batch's table rows by ``rows``.

    The loss is ``(squared error + reg · Σ ‖looked-up row‖²) / B``, the sum over the batch's lookups (a user
    rated twice counts twice); the penalty's gradient is added by ``rows.step`` rather than through autograd.
    Returns the batch's summed squared error (a detached 0-d tensor)."""
    u, i = xb[:, 0], xb[:, 1]
    eu, ei, bu, bi = rows.lookup([u, i, u, i])  # (B, n_factors) ×2, (B, 1) ×2
    flat.grad.zero_()
    sq = ((net.rate(eu, ei, bu, bi) - yb) ** 2).sum()
    (sq / len(xb)).backward()
    opt.step(est.learning_rate_init)
    rows.step(est.learning_rate_init, est.reg / len(xb))
    return sq.detach()


def _record(hist: History, epoch: int, train_loss: float, val: tuple[float, float], lr: float, seconds: float) -> None:
    """Append an epoch's figures to ``hist`` (``val``: the objective's held-out ``(loss, score)``, NaNs without a validation
    set; ``seconds``: since the history's first run)."""
    hist.epoch.append(epoch)
    hist.train_loss.append(train_loss)
    hist.val_loss.append(val[0])
    hist.val_score.append(val[1])
    hist.lr.append(lr)
    hist.time.append(seconds)


def _penalized_epoch(
    est: Recommender, net: RecommenderNet, flat: FlatParams, opt: Optimizer, rows: RowAdam, X: Tensor, Y: Tensor, gen: torch.Generator,
    acc_dtype: torch.dtype, hooks: LoopHooks,
) -> tuple[float, float]:
    """One pass over ``X`` (n, 2) codes and ``Y`` (n, 1) ratings in shuffled mini-batches of :func:`_step`: ``(the epoch's mean
    squared error, the first batch's, before its step)``, the second the divergence rule's reference in a history's first epoch.
    ``hooks`` get each step's ``on_batch_end`` (``batch_loss``: the epoch's summed squared error so far, a 0-d tensor)."""
    net.train()
    perm = torch.randperm(X.shape[0], generator=gen).to(X.device)  # drawn on the CPU: the same order on every device
    return batch_pass(perm, est.batch_size, hooks, acc_dtype, lambda idx: _step(est, net, flat, opt, rows, X[idx], Y[idx]))


class _SquaredError:
    """The rating objective (``loss="squared_error"``) for :func:`_fit_penalized`: :func:`_penalized_epoch`, and the held-out
    mean squared error, which early stopping watches (``monitor``; the score is its negative)."""

    epoch = staticmethod(_penalized_epoch)
    monitor = "val_loss"

    @staticmethod
    def held_out(net: nn.Module, validation: tuple[Tensor, Tensor]) -> tuple[float, float]:
        mse = float(((forward_batches(net, validation[0]) - validation[1]) ** 2).mean())
        return mse, -mse


#: the progress bar's validation column of a loss="bpr" fit: the held-out users' NDCG@10, which early stopping watches
VAL_NDCG: tuple[str, Any] = ("val ndcg@10", lambda logs: logs.get("val_score"))

#: the Recommender's remedy after "Lower learning_rate_init" in the divergence messages (it has no gradient clipping)
RATINGS_FIX = "or check the ratings for huge values"


def _validation_scores(loss: str, history: History) -> tuple[list[float] | None, float | None]:
    """``validation_scores_`` and ``best_validation_score_`` of a fit that ``history`` records: a ``loss="bpr"`` fit's held-out
    NDCG@10 per epoch (NaN for an epoch without one: a warm fit's earlier run without early stopping) and the highest; None
    and None without any (no early stopping, or too few positives to hold some out) and for ``loss="squared_error"``, whose
    early stopping watches the held-out error (``history_.val_loss``)."""
    scores = [float(v) for v in history.val_score]
    if loss != "bpr" or not np.isfinite(scores).any():
        return None, None
    return scores, float(np.nanmax(scores))


def _check_clip(clip: Any) -> None:
    if clip is not None and (len(clip) != 2 or not clip[0] < clip[1]):
        raise ValueError(f"clip must be None or (low, high) with low < high, e.g. (0.5, 5.0). Received: clip={clip!r}.")


RECOMMENDER_PARAMS: tuple[Param, ...] = (
    Param("n_factors", positive_int(), 32, "Width of each user and item embedding"),
    row("hidden_layer_sizes", (64,), "Hidden layers over the concatenated user and item embeddings"),
    row("activation", "relu"),
    Param("interaction", StrOptions(INTERACTIONS, text="'concat' or 'dot'", type="str"), "concat",
          "What the hidden layers read of the user and item vectors: 'concat', the two side by side; 'dot', their elementwise "
          "product, and with hidden_layer_sizes=() the score is matrix factorization's: the biases plus the vectors' dot product "
          "(NCF's GMF, He et al. 2017, its weights fixed at 1), which ranks best with loss='bpr' on MovieLens; for ratings (the default loss) 'concat' rated better there "
          "(examples/RESULTS.md)"),
    Param("dropout", Interval(Real, 0, 1, closed="left"), 0.0, "Dropout on the hidden layers while training"),
    Param("reg", number(0, strict=False), 0.05, "L2 penalty on the embeddings and biases of each batch's users and items"),
    Param("bias_reg", number(0, strict=False), 5.0, "L2 penalty on the user and item biases (shrinks rarely rated ones to the mean)"),
    Param("loss", StrOptions(LOSSES, text="'squared_error' or 'bpr'", type="str"), "squared_error",
          "What fit learns: 'squared_error' the ratings (predict gives stars); 'bpr' a ranking from implicit feedback (Rendle et al. "
          "2009): each pair of fit is a positive, ranked above an item its user did not interact with, drawn afresh each epoch; "
          "predict then gives a score for ordering items (not a rating), and score/rmse refuse"),
    Param("n_negatives", positive_int(), 1,
          "With loss='bpr': negatives drawn per positive each epoch (uniform, with replacement, among the items its user did not "
          "interact with; LightFM's and Spotlight's knob); the loss is the mean over every (positive, negative) pair, and an epoch "
          "costs about (1 + n_negatives) / 2 times one of a single negative; past 2**21 negatives an epoch they are drawn per "
          "batch, so memory grows with batch_size x n_negatives, not with the number of positives"),
    Param("positive_threshold", number(-np.inf, strict=True, none=True), None,
          "With loss='bpr': only pairs rated at least this are positives (the others are neither positives nor drawn as "
          "negatives); None: every pair"),
    row("alpha", 1e-4),
    row("learning_rate_init", 1e-3),
    row("batch_size", 256),
    row("max_iter", 100),
    row("max_time", None),
    row("tol", 1e-4),
    row("n_iter_no_change", 3),
    row("early_stopping", True, "Hold out validation_fraction of the ratings and stop when their error stops falling (loss='bpr': of the "
        "positives, and stop when the held-out users' NDCG@10 stops rising, validation_scores_); the best epoch's weights are kept"),
    row("validation_fraction", 0.1),
    Param("clip", Checked(_check_clip, text="None or (low, high) with low < high", type="tuple of float or None"), None,
          "Clip predictions to the rating scale, e.g. (0.5, 5.0); None: no clipping"),
    row("device", "auto"),
    row("random_state", None),
    own_loop_callbacks_row(),
    row("progress_bar", False),
    row("warm_start", False, "fit goes on from the fitted network for max_iter epochs more on the ratings given (the optimizers restart, "
        "as scikit-learn's MLP's); the first fit's user and item ids, biases as trained and global_mean_ are kept, a new id is refused"),
    row("init_from", None, "Start from this fitted Recommender (or its saved file), e.g. last month's: the embeddings and biases of the "
        "ids it knew (matched by id), its global mean and its MLP layers of matching shape are copied; new ids get fresh rows; "
        "layers of another shape start fresh, named in one warning (checked by fit)"),
    row("freeze", None, "MLP hidden layers kept fixed during fit: the first k of mlp.hidden1, mlp.hidden2, ..., or these names (checked by fit)"),
)


def _refuse_float32_ratings(ratings: np.ndarray) -> None:
    """A :class:`DataError` line for ratings ``(n,)`` the network's float32 arithmetic cannot hold: a spread below float32's
    smallest normal number (~1.2e-38, e.g. ratings of ~1e-300, all 0 in float32) or values beyond its largest (~3.4e38).

    Why: such ratings trained a model that predicts 0 (or inf), and ``score`` then read R² 1.0 from sums that underflow.
    """
    f32 = np.finfo(np.float32)
    mean, std = (float(v) for v in center_spread(ratings))
    if 0 < std < f32.tiny or np.abs(ratings).max() > f32.max:
        raise DataError(f"y's ratings have mean {mean:.3g} and spread {std:.3g}, beyond what float32 (the network's arithmetic) holds "
                        "(spread above ~1.2e-38, values below ~3.4e38): rescale them (e.g. to 1-5 stars) and refit.")


@document(RECOMMENDER_PARAMS)
class Recommender(KeepsFittedSource, FitRequired, DefaultsOnUnpickle, PortablePickle, RegressorMixin, BaseEstimator):
    """Rating predictor from user and item ids (any hashable ids: ints or strings).

    ``fit(X, ratings)`` with ``X`` a 2-column DataFrame (user, item), an
    ``(n, 2)`` array, or a ``(users, items)`` tuple. Missing ids (NaN, None)
    and numeric ids that are not whole numbers are a ``DataError``, in
    ``fit`` and in ``predict`` (where a row with an unknown but valid id is
    rated the global mean plus the bias of its known side; :meth:`seen` tells
    those cold-start rows). ``n_features_in_`` is 2 (the user and item columns);
    a DataFrame's column names are kept (``feature_names_in_``): later frames
    must have them in the same order, as in scikit-learn. ``score`` is R²
    (scikit-learn regressors' convention); use :meth:`rmse` for the usual
    recommender metric.

    ``loss="bpr"`` trains the same network to rank instead (implicit feedback, BPR): every pair of
    ``fit`` (or those rated at least ``positive_threshold``; for clicks or views without ratings leave
    ``y`` out, ``fit(X)``) is a positive, each epoch ranks it above
    ``n_negatives`` items the user did not interact with, drawn uniformly afresh (seeded by ``random_state``),
    the loss the mean over the (positive, negative) pairs. Early stopping holds out ``validation_fraction``
    of the positives and watches a ranking metric, not the held-out BPR loss (which rose while the lists went
    on improving): NDCG@10 of the held-out users' lists, their pairs of fit left out, on at most 200 of them
    (a seeded sample: ``_recommend_heldout.VALIDATION_USERS``); the best epoch's weights are kept, and
    ``validation_scores_`` (also ``history_.val_score``; ``history_.val_loss`` is the held-out BPR loss) and
    ``best_validation_score_`` record it. ``predict`` then gives scores, not ratings, so
    ``score`` and :meth:`rmse` refuse; :meth:`recommend` ranks by them. Top-N lists from a rating
    model rank by the stars a user would give *if* they rated an item, which is not what they choose.

    ``init_from`` warm-starts from a fitted Recommender (last month's model, or its
    file): the new model knows the source's users and items (its vectors and biases,
    matched by id, those this month's data lacks too) plus the new ids (fresh rows),
    and starts from the source's global mean and MLP, so before any epoch it rates a
    known pair as the source did; training on the new ratings then moves it. A source of the
    other ``loss`` (a rating model from a ``loss="bpr"`` one, or the reverse) gives its vectors
    and hidden layers only: its mean, biases and head are in its own units (a BPR score's mean
    is 0), so they start as a model without a source starts them.

    ``fit`` is mini-batch Adam on the squared error plus ``reg`` times the squared norms of
    the vectors and biases the batch looks up; each step updates only those rows (lazy Adam,
    as ``torch.optim.SparseAdam``: a row's moments and value are unchanged by steps whose batch
    lacks it), and the MLP by AdamW with ``alpha``'s decoupled decay on its linear weights.

    :meth:`recommend` gives each user's top-N items, leaving out ``rated_``: the (user, item) pairs
    fit rated, a boolean SciPy CSR matrix (users x items, in ``users_`` and ``items_`` order) that the
    model file keeps; :func:`~hiddenlayers.apps.ranking_metrics` scores the lists on held-out ratings.

    Example
    -------
    >>> import hiddenlayers as hl
    >>> rec = hl.Recommender(n_factors=8, max_iter=5, random_state=0)
    >>> rec.fit(([1, 1, 2, 2], ["a", "b", "a", "c"]), [5, 3, 4, 1]).predict(([1], ["c"])).shape
    (1,)
    >>> rec.recommend([1], n=2)["item"].tolist()  # user 1 rated a and b: c is the one left
    ['c']
    """

    def __init__(
        self,
        n_factors: int = 32,
        hidden_layer_sizes: Any = (64,),
        *,
        activation: str = "relu",
        interaction: str = "concat",
        dropout: float = 0.0,
        reg: float = 0.05,
        bias_reg: float = 5.0,
        loss: str = "squared_error",
        n_negatives: int = 1,
        positive_threshold: float | None = None,
        alpha: float = 1e-4,
        learning_rate_init: float = 1e-3,
        batch_size: int = 256,
        max_iter: int = 100,
        max_time: float | None = None,
        tol: float = 1e-4,
        n_iter_no_change: int = 3,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        clip: tuple[float, float] | None = None,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        callbacks: Any = None,
        progress_bar: bool = False,
        warm_start: bool = False,
        init_from: Any = None,
        freeze: Any = None,
    ) -> None:
        self.warm_start = warm_start
        self.init_from = init_from
        self.freeze = freeze
        self.n_factors = n_factors
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.interaction = interaction
        self.dropout = dropout
        self.reg = reg
        self.bias_reg = bias_reg
        self.loss = loss
        self.positive_threshold = positive_threshold
        self.n_negatives = n_negatives
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.max_time = max_time
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.clip = clip
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.progress_bar = progress_bar

    def _check_params(self) -> torch.device:
        """Validate the parameters; return the resolved ``device`` (a GPU this machine lacks fails here, before any data work)."""
        validate(self, RECOMMENDER_PARAMS)
        if self.loss != "bpr" and self.positive_threshold is not None:
            raise ValueError(f"positive_threshold={self.positive_threshold!r} picks the positive pairs of loss='bpr', but loss={self.loss!r}: "
                             "set loss='bpr', or leave positive_threshold=None.")
        if self.loss != "bpr" and self.n_negatives != 1:
            raise ValueError(f"n_negatives={self.n_negatives!r} sets the negatives per positive of loss='bpr', but loss={self.loss!r} "
                             "has none: set loss='bpr', or leave n_negatives=1.")
        if self.loss == "bpr" and self.clip is not None:
            raise ValueError(f"clip={self.clip!r} clips ratings, but loss='bpr' predicts ranking scores, not ratings: leave clip=None.")
        return resolve_device(self.device)

    @fit_keywords
    @keeps_global_rng
    def fit(self, X: Any, y: Any = None) -> Recommender:
        """Learn embeddings, biases and hidden layers from ``(user, item)`` pairs ``X`` and ratings ``y``.

        A DataFrame's string column names become ``feature_names_in_``. Everything is checked and trained before the model
        changes, so a failed refit leaves it as it was.

        Parameters
        ----------
        X : array-like of shape (n, 2)
            ``(user, item)`` id pairs; a DataFrame is read by position, user column first (columns named item then user,
            ``["movieId", "userId"]``, are refused). A pair given twice is two ratings (warned of once); with
            ``loss="bpr"`` one positive.
        y : array-like of shape (n,), optional
            The ratings. With ``loss="bpr"`` and no ``positive_threshold`` it may be left out: every pair is a positive,
            as the interactions alone that implicit's and LightFM's ``fit`` take (ratings there are ignored anyway).
        """
        device = self._check_params()
        names = None if isinstance(X, tuple) else column_names(X)
        users, items = _pairs(X, getattr(self, "feature_names_in_", None) if self.warm_start else None)
        ratings = self._ratings(y, users.shape[0])
        if ratings.shape[0] != users.shape[0]:
            raise DataError(f"X has {users.shape[0]} rows but y has {ratings.shape[0]} ratings: pass one rating per (user, item) pair.")
        if not np.isfinite(ratings).all():
            raise DataError(f"y holds NaN or infinite ratings in {_rows(~np.isfinite(ratings))}: drop those rows before fit, e.g. df.dropna().")
        if ratings.shape[0] < 2:
            raise DataError(f"y holds {ratings.shape[0]} rating{'' if ratings.shape[0] == 1 else 's'}: pass at least 2 (user, item) pairs and their ratings.")
        if self.loss != "bpr":
            _refuse_float32_ratings(ratings)
        _check_pairs(X, users, items, "fit")
        if self.loss != "bpr":  # a BPR fit counts a pair once: one positive (bpr_pairs), however often it is given
            _warn_duplicates(X, y, users, items)
        if continues(self):
            return self._fit_warm(X, users, items, ratings)
        source, provenance = open_source(self)
        known = (source.users_, source.items_) if source is not None else (None, None)
        if source is not None:  # ids of another type than the source's ("1" for 1) would all be new: the cause is the type
            check_id_kinds("user", users, source.users_.get_indexer(users), source.users_)
            check_id_kinds("item", items, source.items_.get_indexer(items), source.items_)
        users_, items_ = joined_ids(known[0], users), joined_ids(known[1], items)
        # BPR's scores: no offset; a rating model starts from its source's mean only if the source rates too (a BPR source's is 0)
        same_loss = source is not None and getattr(source, "loss", "squared_error") == self.loss
        mean = 0.0 if self.loss == "bpr" else float(source.global_mean_ if same_loss else ratings.mean())
        codes = np.stack([users_.get_indexer(users), items_.get_indexer(items)], axis=1)
        gen = seed_everything(self.random_state, device)
        # built on the CPU (embeddings, biases, the ``mean`` buffer), then moved: the same random_state gives
        # the same initial weights on every device
        net = RecommenderNet(len(users_), len(items_), self.n_factors, self.hidden_layer_sizes, self.activation, self.dropout, mean,
                             interaction=self.interaction).to(device)
        fixed = frozen_names(self, [f"mlp.{n}" for n in net.mlp.hidden_names])
        copied = self._start_from(source, net, head=same_loss) if source is not None else []
        if source is not None:
            refuse_frozen_fresh(fixed, copied, [f"mlp.{n}" for n in net.mlp.hidden_names])
        with frozen(net, fixed):
            kept = (len(source.users_), len(source.items_)) if source is not None else (0, 0)
            # a source of the other loss gives vectors and hidden layers only: its biases and head are in its scores' units
            history = self._train(net, mean, codes, ratings, device, gen, kept if same_loss else (0, 0), "mlp.head" in copied)
        self.network_, self.users_, self.items_, self.global_mean_, self.history_ = net, users_, items_, mean, history
        self.rated_ = rated_pairs(codes[:, 0], codes[:, 1], (len(users_), len(items_)), getattr(source, "rated_", None))
        self.transferred_, self.frozen_, self.provenance_ = copied, fixed, provenance_record(provenance, copied, fixed)
        if self.provenance_ is not None and source is not None:
            self.provenance_.update(users_from_source=kept[0], new_users=len(users_) - kept[0], items_from_source=kept[1], new_items=len(items_) - kept[1])
        set_fitted_names(self, names)
        self.n_features_in_ = 2  # the user and item id columns, whatever form X took
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history.train_loss)
        self.stop_reason_ = history.stop_reason
        self.validation_scores_, self.best_validation_score_ = _validation_scores(self.loss, history)
        mark_built(self, _BUILT_FROM)
        return forget_columns(self)  # the columns train --app read describe an earlier fit

    def _ratings(self, y: Any, n: int) -> np.ndarray:
        """``y`` as float64 ratings (a copy); None: ``n`` ones, the positives of ``loss="bpr"``, refused in one line where ratings are needed."""
        if y is None:
            if self.loss != "bpr":
                raise DataError(f"y is None, but loss={self.loss!r} learns ratings: pass one rating per (user, item) pair, or set loss='bpr' "
                                "to rank the pairs (every pair a positive: clicks or views need no ratings).")
            if self.positive_threshold is not None:
                raise DataError(f"y is None, but positive_threshold={self.positive_threshold!r} keeps the pairs rated at least that: pass the "
                                "ratings, or leave positive_threshold=None (every pair a positive).")
            return np.ones(n)
        try:
            return np.array(y, dtype=np.float64).reshape(-1)  # a copy: pandas may hand out read-only views
        except (TypeError, ValueError):
            raise DataError(f"y must hold numeric ratings (e.g. 1 to 5 stars); it has values such as {np.asarray(y).reshape(-1)[:3].tolist()}: map them to numbers first.") from None

    @keeps_global_rng
    def _fit_warm(self, X: Any, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> Recommender:
        """``warm_start=True``: go on training ``network_`` on the ``ratings`` of ``X``'s (user, item) pairs (``users``, ``items``).

        The first fit's ids (``users_``, ``items_``), column names and ``global_mean_`` stay, and so do its biases and head
        as trained (no new bias start); an id it has not seen is a ValueError; the layers ``freeze`` names now stay fixed.
        """
        refuse_rebuilt(self, _BUILT_FROM)
        u, i = self._codes(X)  # column names and id types checked as predict checks them
        for side, ids, codes in (("user", users, u), ("item", items, i)):
            new = pd.unique(ids[codes < 0])
            if len(new):
                raise ValueError(f"X has {len(new)} {side} id(s) not seen in the first fit (first: {_plain(new[0])!r}): warm_start=True goes on "
                                 f"with the fitted ids ({side}s_) and their embedding rows; fit a new model with init_from=the fitted model to add "
                                 "them (known ids' rows copied), or set warm_start=False.")
        net = self.network_
        gen = seed_everything(self.random_state, device_of(net))
        with restored_on_error(self), warm_frozen(self, net, [f"mlp.{n}" for n in net.mlp.hidden_names]):
            history = self._train(net, self.global_mean_, np.stack([u, i], axis=1), ratings, device_of(net), gen,
                                  (len(self.users_), len(self.items_)), True, past_history(self))
        self.history_, self.n_iter_, self.loss_curve_, self.stop_reason_ = history, len(history), list(history.train_loss), history.stop_reason
        self.validation_scores_, self.best_validation_score_ = _validation_scores(self.loss, history)
        if getattr(self, "rated_", None) is not None:  # a model from before rated_ knows not its first fit's pairs: it stays without
            self.rated_ = rated_pairs(u, i, self.rated_.shape, self.rated_)
        return forget_columns(self)  # the columns train --app read describe an earlier fit

    @staticmethod
    def _start_from(source: Recommender, net: RecommenderNet, head: bool = True) -> list[str]:
        """Copy ``source``'s known ids' embedding rows and biases and its MLP's layers of matching shape into ``net``; the names copied.

        ``head``: copy the MLP's head and count the biases as copied (False for a source of the other loss, whose head and
        biases are in its own units: fit starts them afresh, so they are not named)."""
        done, not_done = copy_known_rows(source.network_, net)
        if not head:
            done = [name for name in done if name not in ("user_bias", "item_bias")]
        head = head and not net.gmf  # GMF's head is its fixed h = 1, not a learnt layer to copy
        return copy_layers(source.network_, net, [*(f"mlp.{n}" for n in net.mlp.hidden_names), *(["mlp.head"] if head else [])], done, not_done)

    def _train(
        self, net: RecommenderNet, mean: float, codes: np.ndarray, ratings: np.ndarray, device: torch.device, gen: torch.Generator,
        kept: tuple[int, int] = (0, 0), head_kept: bool = False, history: History | None = None,
    ) -> History:
        """Fit ``net`` to ``ratings`` of the ``(n, 2)`` user and item ``codes``, holding out ``validation_fraction`` for early stopping.

        ``kept`` and ``head_kept``: what a source (or a warm fit) gave (:func:`start_biases` leaves those biases and the head as they are);
        ``history``: a warm fit's, which goes on."""
        Xt = torch.as_tensor(codes, dtype=torch.int64, device=device)  # (n, 2) user and item codes
        Yt = torch.as_tensor(ratings[:, None], dtype=torch.float32, device=device)  # (n, 1)
        if self.loss == "bpr":
            positives, held, objective = bpr_training_data(self, codes, ratings, (net.user.num_embeddings, net.item.num_embeddings), device, gen)
            with one_thread():
                result = _fit_penalized(self, net, positives, None, held, gen, history, objective)  # type: ignore[arg-type]
            refuse_unusable(result, self.learning_rate_init, RATINGS_FIX)
            return result
        validation = None
        if self.early_stopping and len(ratings) >= 20:
            tr, va = train_test_split(np.arange(len(ratings)), test_size=self.validation_fraction, random_state=self.random_state)
            tr_idx, va_idx = torch.as_tensor(tr, device=device), torch.as_tensor(va, device=device)
            validation = (Xt[va_idx], Yt[va_idx])
            Xt, Yt = Xt[tr_idx], Yt[tr_idx]
        start_biases(net, Xt, Yt, mean, self.bias_reg, kept, head_kept)
        with one_thread():
            result = _fit_penalized(self, net, Xt, Yt, validation, gen, history)
        refuse_unusable(result, self.learning_rate_init, RATINGS_FIX)  # before fit sets an attribute (a warm fit's: restored_on_error)
        return result

    def _codes(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """The fitted vocabularies' codes of ``X``'s users and items (-1 for unseen), after scikit-learn's column-name check.

        A DataFrame must have fit's column names in fit's order (its ids are read
        by position); a ``(users, items)`` tuple is positional by definition.
        """
        self._require_fitted()
        if not isinstance(X, tuple):
            check_column_names(self, X)
        users, items = _pairs(X, getattr(self, "feature_names_in_", None))
        _check_pairs(X, users, items, "predict")
        u, i = self.users_.get_indexer(users), self.items_.get_indexer(items)
        check_id_kinds("user", users, u, self.users_)
        check_id_kinds("item", items, i, self.items_)
        return u, i

    @refuses_empty
    def predict(self, X: Any) -> np.ndarray:
        """Predicted ratings, shape ``(n,)``; unseen users/items fall back to biases and the global mean.

        With ``loss="bpr"`` these are ranking scores, not ratings: only their order within a user means anything (higher:
        more likely chosen); ``global_mean_`` is 0, so an unseen user's score is the item's bias.

        Parameters
        ----------
        X : array-like of shape (n, 2)
            ``(user, item)`` id pairs.
        """
        u, i = self._codes(X)
        known = (u >= 0) & (i >= 0)
        out = np.full(len(u), self.global_mean_)
        if known.any():
            pairs = torch.as_tensor(np.stack([u[known], i[known]], axis=1), dtype=torch.int64, device=device_of(self.network_))
            out[known] = forward_batches(self.network_, pairs).cpu().numpy()[:, 0]
        if not known.all():
            with torch.no_grad():
                ub = self.network_.user_bias.weight[:, 0].cpu().numpy().astype(np.float64)
                ib = self.network_.item_bias.weight[:, 0].cpu().numpy().astype(np.float64)
            out[~known] += np.where(u[~known] >= 0, ub[u[~known]], 0.0) + np.where(i[~known] >= 0, ib[i[~known]], 0.0)
            warnings.warn(cold_start_words(u >= 0, i >= 0, self.loss), UserWarning, stacklevel=user_stacklevel())
        return np.clip(out, *self.clip) if self.clip is not None else out

    def seen(self, X: Any) -> np.ndarray:
        """Which ids of ``X``'s rows were seen in ``fit``: bool ``(n, 2)``, column 0 the user, column 1 the item.

        A row with a False is cold start: :meth:`predict` rates it by the fallback (``global_mean_`` plus the bias of its
        known side, if any), whose error is usually much larger; score such rows apart (``hiddenlayers evaluate`` does).

        Parameters
        ----------
        X : array-like of shape (n, 2)
            ``(user, item)`` id pairs.
        """
        u, i = self._codes(X)
        return np.stack([u >= 0, i >= 0], axis=1)

    def recommend(self, users: Any, n: int = 10, *, exclude_seen: bool = True, items: Any = None) -> pd.DataFrame:
        """Each user's ``n`` items of highest :meth:`predict` (rating, or ``loss="bpr"``'s score): a DataFrame with columns ``user``, ``rank``, ``item``, ``score``.

        Rows come in the order of ``users``, ranks 1, 2, ... within each; equal scores rank by item id, ascending (numbers
        by value, text alphabetically; where the ids mix the two, numbers first), so a list is the same on every call,
        device and batch. ``score`` is :meth:`predict`'s rating of the pair (clipped to ``clip`` when set; the order is by
        the unclipped rating, so clipped ties keep it, and only equal unclipped ratings go by id). A user not seen in fit
        gets :meth:`predict`'s fallback, the global mean plus each item's bias (the items rated above average most surely),
        and one warning counts such users. Every candidate is scored for a batch of users in one forward pass (users x
        items pairs, about 131,000 pairs a pass), not item by item.

        Parameters
        ----------
        users : id or 1-D list of ids
            One user id or distinct ids, as fitted.
        n : int
            Items per user, from 1 (more than there are candidates is clipped to them with a warning, as implicit clips
            ``N``).
        exclude_seen : bool
            Leave out the items the user rated in ``fit`` (``rated_``; a warm fit's and an ``init_from`` source's too), so
            a user with fewer than ``n`` other candidates gets fewer rows.
        items : 1-D list of ids, optional
            The candidate item ids (default every item of ``items_``); ids not seen in fit are refused (they have no
            vector).
        """
        self._require_fitted()
        n = check_n(n)
        if not isinstance(exclude_seen, (bool, np.bool_)):
            raise TypeError(f"exclude_seen must be True or False. Received: exclude_seen={exclude_seen!r}.")
        rated = getattr(self, "rated_", None) if exclude_seen else None
        if exclude_seen and rated is None:
            raise ValueError("This Recommender does not hold the (user, item) pairs its fit rated (its file or pickle is older than recommend), "
                             "so exclude_seen=True cannot leave them out: pass exclude_seen=False, or fit it again and save it.")
        wanted = id_array("users", users)
        check_ids("user", wanted, when="recommend")
        u = self.users_.get_indexer(wanted)
        check_id_kinds("user", wanted, u, self.users_)
        candidates = self._candidate_codes(items)
        candidates = candidates[id_order(self.items_[candidates])]  # in item id order: the sort keeps it among equal scores
        asked, n = n, min(n, len(candidates))
        if (u < 0).any():
            warnings.warn(f"{int((u < 0).sum())} of {len(u)} users were not seen in fit (first: {_plain(wanted[u < 0][0])!r}): their lists "
                          "rank items by the global mean plus the item's bias, as predict rates an unseen user.", UserWarning, stacklevel=user_stacklevel())
        row, rank, item, score = top_n(self.network_, u, candidates, n, self.global_mean_, rated)
        if asked > n:  # the lists' true lengths: the candidates less what each user rated in fit (exclude_seen)
            warnings.warn(f"n={asked} is more than the {n} candidate items: {list_lengths_words(np.bincount(row, minlength=len(u)), n)}.",
                          UserWarning, stacklevel=user_stacklevel())
        if self.clip is not None:
            score = np.clip(score, *self.clip)
        return pd.DataFrame({"user": wanted[row], "rank": rank.astype(np.int64), "item": self.items_[item].to_numpy(), "score": score})

    def _candidate_codes(self, items: Any) -> np.ndarray:
        """The item codes ``recommend`` ranks: every fitted item's (``items`` None) or those of the given distinct, known ids."""
        if items is None:
            return np.arange(len(self.items_))
        given = id_array("items", items)
        check_ids("item", given, when="recommend")
        codes = self.items_.get_indexer(given)
        check_id_kinds("item", given, codes, self.items_)
        if (codes < 0).any():
            raise DataError(f"items holds {int((codes < 0).sum())} id(s) not seen in fit (first: {_plain(given[codes < 0][0])!r}), which have no vector to "
                            "rank: pass items the model knows (its items_).")
        return codes

    def network_input(self, X: Any) -> np.ndarray:
        """``(n, 2)`` int64 (user, item) codes as the network reads them (the lens uses this).

        Parameters
        ----------
        X : array-like of shape (n, 2)
            ``(user, item)`` id pairs; every user and item must have been seen in ``fit``: unseen ones have no embedding.
        """
        codes = np.stack(self._codes(X), axis=1).astype(np.int64)
        unseen = int((codes < 0).any(axis=1).sum())
        if unseen:
            raise DataError(f"{unseen} of {len(codes)} rows have a user or item not seen in fit, which has no embedding: pass rows of known users and items (e.g. training rows).")
        return codes

    def network_targets(self, y: Any) -> np.ndarray:
        """Ratings ``y`` as the targets the loss compares ``network_``'s output with: float64 ``(n, 1)``.

        Row ``i`` pairs with row ``i`` of :meth:`network_input`. For tools that evaluate the training loss outside ``fit``
        (``hl.lens.loss_landscape``). Refused for a ``loss="bpr"`` model: its loss pairs each row with a sampled negative,
        not a target.

        Parameters
        ----------
        y : array-like of shape (n,)
            The ratings.
        """
        self._refuse_ranking("network_targets (the squared-error loss)")
        try:
            ratings = np.asarray(y, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise DataError(f"y must hold numeric ratings; it has values such as {np.asarray(y).reshape(-1)[:3].tolist()}: map them to numbers first.") from None
        if not np.isfinite(ratings).all():
            raise DataError("y holds NaN or infinite ratings: pass finite ratings, one per (user, item) pair.")
        return ratings[:, None]

    def network_loss(self, z: Tensor, targets: Tensor) -> Tensor:
        """The training loss summed over rows: predicted ratings ``z`` against :meth:`network_targets`.

        Squared error ``Σ(z - r)²`` (no ½: fit's loop minimises this and reports its mean as ``loss_curve_``), without the
        embedding penalty ``reg`` and the weight decay ``alpha``; divide by ``n`` for the mean. Refused for a ``loss="bpr"``
        model (see :meth:`network_targets`).

        Parameters
        ----------
        z : torch.Tensor of shape (n, 1)
            The network's predicted ratings.
        targets : torch.Tensor of shape (n, 1)
            :meth:`network_targets` of the same rows.
        """
        self._refuse_ranking("network_loss (the squared-error loss)")
        return ((z - targets) ** 2).sum()

    def _refuse_ranking(self, what: str) -> None:
        """A ValueError naming ``what`` when this model was fitted with ``loss="bpr"``, whose predictions are not ratings."""
        self._require_fitted()
        if self.loss == "bpr":
            raise ValueError(f"{what} compares predictions with ratings, but this Recommender was fitted with loss='bpr': its predict gives "
                             "ranking scores, not ratings. Score its lists with hl.apps.ranking_metrics, or fit with loss='squared_error'.")

    @refuses_empty
    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of :meth:`predict` against ratings ``y`` (scikit-learn regressors' ``score``); refused for a ``loss="bpr"`` model.

        Parameters
        ----------
        X : array-like of shape (n, 2)
            ``(user, item)`` id pairs.
        y : array-like of shape (n,)
            Their true ratings.
        sample_weight : array-like of shape (n,), optional
            Each pair's weight in R² (None: all 1).
        """
        self._refuse_ranking("score (R²)")
        return float(super().score(X, y, sample_weight=sample_weight))

    def rmse(self, X: Any, y: Any) -> float:
        """Root mean squared error of :meth:`predict` against ratings ``y``, in rating units; refused for a ``loss="bpr"`` model.

        Parameters
        ----------
        X, y
            ``(user, item)`` id pairs ``(n, 2)`` and their true ratings ``(n,)``, as :meth:`score` takes them.
        """
        self._refuse_ranking("rmse")
        return float(np.sqrt(np.mean((self.predict(X) - np.asarray(y, dtype=np.float64)) ** 2)))

    # --------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write weights, the user/item vocabularies and the column names (as JSON) to one ``.safetensors`` file.

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        tensors = {f"net.{k}": v for k, v in self.network_.state_dict().items()}
        if getattr(self, "rated_", None) is not None:
            tensors.update(rated_tensors(self.rated_))
        clip = None if self.clip is None else [float(c) for c in self.clip]
        state = {
            "users_": self.users_.tolist(), "items_": self.items_.tolist(), "global_mean_": self.global_mean_,
            "n_iter_": self.n_iter_, "loss_curve_": self.loss_curve_, "stop_reason_": self.stop_reason_, **names_state(self),
            "validation_scores_": getattr(self, "validation_scores_", None), "best_validation_score_": getattr(self, "best_validation_score_", None),
            **columns_state(self), **history_state(self),
        }
        save_fitted(path, self, state, tensors, estimator="Recommender", clip=clip)

    @classmethod
    @file_errors
    @parameters_section(LOAD_PARAMETERS)
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> Recommender:
        """Read a recommender written by :meth:`save`."""
        params, state, tensors = load_app(path, "Recommender", device)
        if params.get("clip") is not None:
            params["clip"] = tuple(params["clip"])
        model = cls(**params)
        model.users_, model.items_ = pd.Index(state.pop("users_")), pd.Index(state.pop("items_"))
        restore_names(model, state, path, 2)
        restore_columns(model, state, path)
        restore_history(model, state, path)
        model.network_ = restore_state(lambda: RecommenderNet(
            len(model.users_), len(model.items_), params["n_factors"], params["hidden_layer_sizes"], params["activation"], params["dropout"], state["global_mean_"], init="none",
            interaction=model.interaction,  # a file from before interaction: the default, "concat"
        ), split_prefix(tensors, "net"), path)
        model.network_.to(load_device(model.device, device))
        model.rated_ = rated_from_file(tensors, (len(model.users_), len(model.items_)), path)
        model.validation_scores_ = model.best_validation_score_ = None  # a file from before they were kept
        for k, v in state.items():
            setattr(model, k, v)
        mark_built(model, _BUILT_FROM)
        model.n_features_in_ = 2
        return model

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle; a fitted model pickled before ``n_features_in_`` existed gets it (always 2: user, item)."""
        super().__setstate__(state)
        if "network_" in self.__dict__:
            self.__dict__.setdefault("n_features_in_", 2)
            self.__dict__.setdefault("rated_", None)  # pickled before the training pairs were kept: recommend(exclude_seen=True) refuses
            self.__dict__.setdefault("validation_scores_", None)
            self.__dict__.setdefault("best_validation_score_", None)


__all__ = ["Recommender", "RecommenderNet"]
