"""The user's own validation rows of a streamed fit: ``fit(source, X_val=other_source)`` or ``fit(source, X_val=, y_val=)``.

Given, early stopping scores these rows after each pass (``validation_scores_``, ``history_.val_score``,
``best_validation_score_``) and no unit of the training source is held out (``validation_fraction`` is unused).
``X_val`` is either another :class:`~hiddenlayers.data.ParquetSource` (Parquet or CSV) with the training source's
feature columns, target column and weight column (its weights weight the score), read chunk by chunk, or a table in
memory (a DataFrame by column name, or a 2-D array in the source's feature order) with ``y_val`` and
``sample_weight_val``. Either way the rows go through the preprocessing learned by the training source's statistics
pass, never one learned from them; ``class_weight`` weights training rows only, as in memory.

Under ``torch.distributed`` each rank scores its share of the validation rows (a source's units shared out by their
rows, an array's rows cut in ``world`` slices) and the ranks all-reduce the score's six sums (weights, hits or squared
errors, the target's two moments and the weighted loss), so every rank computes the same score and ``val_loss`` from the same numbers and early
stopping stops them at the same pass. That reads each validation row once per pass over all ranks, where scoring
on rank 0 and broadcasting would read all of them on one rank while the others wait. A validation source's statistics pass
and readability check, before training, are rank 0's alone (:func:`~._stream_plan.shared_scan`): the others take its
result as plain data, and its refusal is raised on every rank with the same line.
A checkpoint records the validation rows (``StreamValidation.record``: a source's files, or the rows' count and digest),
so a resume scored on other rows is refused (:mod:`._trained_on`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import is_classifier

from ..data import UnitCache, UnreadableRowError, refuse_unreadable, rows_digest
from ..exceptions import DataError
from ._checks import check_sample_weight
from ._held_out import loss_sum
from ._predict import raw_output
from ._stream_plan import balanced_shards, shared_scan
from ._trained_on import validation_files, validation_rows
from ._validation_data import validation_labels

if TYPE_CHECKING:
    from ..data import ParquetSource
    from ._mlp_base import _BaseMLP

Chunk = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]  # (X (rows, inputs) float32, y (rows,), weights (rows,) or None)
SCORE_ROWS = 65_536  # rows per chunk while scoring


@dataclass
class StreamValidation:
    """Checked validation rows: ``chunks(rank, world)`` yields that rank's share as preprocessed ``(X, y, w)`` chunks; ``rows`` in all;
    ``record``: what a checkpoint keeps of them (:func:`~._trained_on.validation_files` or :func:`~._trained_on.validation_rows`)."""

    chunks: Callable[[int, int], Iterator[Chunk]]
    rows: int
    record: dict[str, Any]


def stream_validation(est: _BaseMLP, src: ParquetSource, scan: Any, X_val: Any, y_val: Any, sample_weight_val: Any) -> StreamValidation:
    """The validation rows of ``fit(src, X_val=...)`` checked against the training source and its statistics pass.

    Labels among its classes, numbers for a regressor, 2+ rows, some weight > 0; each problem one line naming ``X_val``.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        The estimator fitting.
    src : ParquetSource
        The training source.
    scan : Scan
        Its statistics pass.
    X_val : ParquetSource, DataFrame or array, optional
        Another source of the same columns, or rows in memory.
    y_val : array-like, optional
        The labels or targets of rows in memory.
    sample_weight_val : array-like, optional
        Their weights.
    """
    from ..data import is_source

    if is_source(X_val):
        return _from_source(est, src, scan, X_val)
    return _from_arrays(est, src, scan, X_val, y_val, sample_weight_val)


def _from_source(est: _BaseMLP, src: ParquetSource, scan: Any, val: ParquetSource) -> StreamValidation:
    """A validation source: the training source's columns, read through ``scan``'s preprocessing; its own pass checks its rows.
    One that shares a file with the training source (the same source, a file of its folder, a link) is refused: early stopping
    would score rows the model trains on, as ``train DIR --validation`` refuses it."""
    from ..data import shared_files

    shared = shared_files(val.files, src.files)
    if shared:
        more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
        raise ValueError(f"X_val ({val.path}) shares {', '.join(repr(f) for f in shared[:3])}{more} with the training source "
                         f"({src.path}), so early stopping would score rows the model trains on (leakage): keep the validation "
                         "files apart from the training files.")
    for what, mine, theirs in (("target", val.target, src.target), ("weight", val.weight, src.weight)):
        if mine != theirs:
            raise ValueError(f"X_val ({val.path}) has the {what} column {mine!r} and the training source {theirs!r}: make it "
                             f"ParquetSource({val.path!r}, target={src.target!r}{'' if src.weight is None else f', weight={src.weight!r}'}).")
    features = src.features or []
    missing = [c for c in features if c not in set(val.features or [])]
    extra = [c for c in val.features or [] if c not in set(features)]
    if missing or extra:
        said = "; ".join(f"{k} {', '.join(map(repr, v[:5]))}{' ...' if len(v) > 5 else ''}" for k, v in
                         (("lacks", missing), ("has besides", extra)) if v)
        raise ValueError(f"X_val ({val.path}) has other feature columns than the training source ({src.path}): it {said}. "
                         "Give both the same columns (or features= naming the training source's).")
    # read as the training rows are (a column numeric there is numeric here), checked now, not after a pass of training; under
    # torch.distributed by rank 0 alone, its statistics (or its refusal, on every rank) sent to the others as plain data
    vscan = shared_scan(val, lambda: _readable_scan(val, scan.preprocessor))
    if is_classifier(est):
        known = set(np.asarray(scan.classes).tolist())
        unseen = None if vscan.classes is None else [c for c in vscan.classes.tolist() if c not in known]
        if unseen is None or unseen:
            shown = "over 1000 distinct values" if unseen is None else ", ".join(map(repr, unseen[:5])) + (" ..." if len(unseen) > 5 else "")
            raise ValueError(f"X_val ({val.path}) holds labels in {src.target!r} that the training source does not ({shown}), which the model "
                             f"cannot predict: keep its rows of the classes {np.asarray(scan.classes).tolist()[:10]}.")
    elif not vscan.target_numeric:
        raise ValueError(f"X_val ({val.path}): the target {src.target!r} is not numeric, and the regressor scores numbers.")
    if vscan.n_rows < 2:
        raise ValueError(f"X_val ({val.path}) has {vscan.n_rows} row(s): early stopping scores at least 2. Pass more validation rows.")

    cache = UnitCache(vscan.units_rows, range(len(val.units)), scan.preprocessor)  # read once for every pass's score when small

    def chunks(rank: int, world: int) -> Iterator[Chunk]:
        share = balanced_shards(list(range(len(val.units))), vscan.units_rows, world)[rank]
        yield from val.weighted_chunks(share, rows=SCORE_ROWS, preprocessor=scan.preprocessor, cache=cache)

    return StreamValidation(chunks, vscan.n_rows, validation_files(val))


def _readable_scan(val: ParquetSource, preprocessor: Any) -> Any:
    """``val``'s statistics pass, every row read through the training source's ``preprocessor`` in it (one read for both,
    :func:`~hiddenlayers.data.refuse_unreadable`); a refusal is one DataError naming ``X_val``."""
    try:
        refuse_unreadable(val, preprocessor)
        return val.scan()
    except UnreadableRowError as exc:
        raise DataError(f"X_val: data check: {exc}") from None
    except DataError as exc:
        raise DataError(f"X_val: {str(exc).replace('has no rows to learn from', 'has no rows to score')}") from None


def _from_arrays(est: _BaseMLP, src: ParquetSource, scan: Any, X_val: Any, y_val: Any, sample_weight_val: Any) -> StreamValidation:
    """In-memory validation rows: a DataFrame (by name) or a 2-D array (the source's feature order), transformed once by ``scan``'s preprocessing."""
    import pandas as pd

    features = list(src.features or [])
    if isinstance(X_val, pd.DataFrame):
        frame = X_val
    else:
        arr = np.asarray(X_val)
        if arr.ndim != 2 or arr.shape[1] != len(features):
            raise ValueError(f"X_val has shape {arr.shape}, and a streamed fit reads the {len(features)} feature columns of the source "
                             f"({', '.join(features[:5])}{' ...' if len(features) > 5 else ''}): pass a DataFrame of those columns.")
        frame = pd.DataFrame(arr, columns=features)
    try:
        A = scan.preprocessor.transform(frame.reset_index(drop=True)).matrix.astype(np.float32)
    except DataError as exc:  # the preprocessing's words are for a model's input: said of X_val and the training source here
        said = str(exc).replace("the data lacks", "X_val lacks").replace("that the model was trained on", "that the training source has")
        raise DataError(said if said.startswith("X_val") else f"X_val: {said}") from None
    if not np.isfinite(A).all():
        raise ValueError("X_val: holds infinite values (or ones beyond float32's range), which the network cannot read: fill or drop those rows.")
    y = _labels(est, scan, y_val, len(A))
    w = None
    if sample_weight_val is not None:
        try:
            w = check_sample_weight(sample_weight_val, A, allow_all_zero=True)
        except ValueError as exc:
            raise ValueError(f"sample_weight_val: {exc}") from None
        if not np.sum(w) > 0:
            raise ValueError("sample_weight_val is 0 for every row of X_val, so they cannot score the model: give some rows a weight > 0.")

    def chunks(rank: int, world: int) -> Iterator[Chunk]:
        for part in np.array_split(np.arange(len(A)), world)[rank:rank + 1]:
            for s in range(0, len(part), SCORE_ROWS):
                rows = part[s:s + SCORE_ROWS]
                yield A[rows], y[rows], None if w is None else w[rows]

    return StreamValidation(chunks, len(A), validation_rows(len(A), rows_digest(A, y, is_classifier(est), w)))


def _labels(est: _BaseMLP, scan: Any, y_val: Any, n: int) -> np.ndarray:
    """``y_val`` as ``(n,)``: a classifier's labels among the source's classes, a regressor's finite numbers."""
    if is_classifier(est):
        y = validation_labels(y_val, scan.classes)
    else:
        y = np.asarray(y_val, dtype=np.float64)
        y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
        if y.ndim != 1 or not np.isfinite(y).all():
            raise ValueError(f"y_val must be one column of finite numbers, as the source's target is. Received shape {y.shape}"
                             f"{'' if y.ndim != 1 else ' with NaN or infinite values'}.")
    if len(y) != n:
        raise ValueError(f"X_val has {n} rows and y_val {len(y)}: give one label per row of X_val.")
    if n < 2:
        raise ValueError(f"X_val has {n} row(s): early stopping scores at least 2. Pass more validation rows.")
    return y


def score_sums(est: _BaseMLP, chunks: Iterator[Chunk]) -> list[float]:
    """``[weight, hits, squared error, weighted y, weighted y², weighted loss]`` summed over ``chunks`` (``w`` None: 1 a
    row): what :func:`score_of` and :func:`loss_of` turn into accuracy or R² and the loss's weighted mean (the training
    loss without its L2 term, :func:`~._held_out.loss_sum`), so that ranks' sums add up to those of all their rows."""
    n = hits = sse = s1 = s2 = loss = 0.0
    classifier = is_classifier(est)
    for X, y, w in chunks:
        raw = raw_output(est, X, check_input=False)
        pred = est._from_raw(raw, X)
        rw = np.ones(len(y)) if w is None else w
        loss += loss_sum(est, raw, y, rw)[0]
        n += float(rw.sum())
        if classifier:
            hits += float(rw[pred == y].sum())
        else:
            yv = y.astype(np.float64)
            sse += float((rw * (pred.reshape(yv.shape) - yv) ** 2).sum())
            s1 += float((rw * yv).sum())
            s2 += float((rw * yv**2).sum())
    return [n, hits, sse, s1, s2, loss]


def score_of(est: _BaseMLP, sums: list[float]) -> float:
    """Accuracy (classifier) or R² (regressor) from :func:`score_sums`' sums."""
    n, hits, sse, s1, s2 = sums[:5]
    if is_classifier(est):
        return hits / n
    sst = s2 - s1 * s1 / n
    return 1.0 - sse / sst if sst > 0 else 0.0


def loss_of(sums: list[float]) -> float:
    """The held-out loss's weighted mean ``Σ w·loss / Σ w`` from :func:`score_sums`' sums (``history_.val_loss``)."""
    return sums[5] / sums[0]


def validation_score(est: _BaseMLP, val: StreamValidation, rank: int, world: int) -> tuple[float, float]:
    """``(loss, score)`` of ``val``'s rows, this rank's share summed and the sums all-reduced: the same numbers on every rank."""
    from ..training import reduce_sum

    sums = reduce_sum(score_sums(est, val.chunks(rank, world)))
    return loss_of(sums), score_of(est, sums)


__all__ = ["StreamValidation", "loss_of", "score_of", "score_sums", "stream_validation", "validation_score"]
