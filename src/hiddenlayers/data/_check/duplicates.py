"""Duplicate rows: exact and near duplicates in the training data, duplicates
with conflicting labels, and rows shared between training and new data.

Near duplicates are rows equal after standardising each numeric column (mean 0,
SD 1) and rounding to ``tol`` standard deviations, with text columns equal: a
grid hash, O(rows), checked on two grids offset by half a cell so that close
rows on either side of a cell edge are still caught.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import Finding, combine_columns, numeric_columns, preview, row_hashes, scaled_matrix


def _groups(h: np.ndarray) -> list[np.ndarray]:
    """Groups (of 2+ row positions) that share a hash."""
    order = np.argsort(h, kind="stable")
    hs = h[order]
    cut = np.flatnonzero(np.diff(hs) != 0) + 1
    return [g for g in np.split(order, cut) if g.size > 1]


def _grid_hash(Z: np.ndarray, other: np.ndarray, tol: float, offset: float) -> np.ndarray:
    cells = np.floor(Z / tol + offset).astype(np.int64)
    h = combine_columns(np.ascontiguousarray(cells).view(np.uint64)) if cells.shape[1] else np.zeros(len(Z), np.uint64)
    with np.errstate(over="ignore"):
        return h ^ (other * np.uint64(0x9E3779B97F4A7C15))


def check_duplicates(frame: Any, y: np.ndarray | None, tol: float = 0.01) -> list[Finding]:
    """Exact duplicates, near duplicates (see the module docstring) and exact duplicates whose labels disagree."""
    out: list[Finding] = []
    n = len(frame)
    if n < 2 or frame.shape[1] == 0:
        return out
    h = row_hashes(frame)
    groups = _groups(h)
    extra = np.sort(np.concatenate([g[1:] for g in groups])) if groups else np.zeros(0, np.int64)
    if extra.size:
        out.append(duplicates_finding(extra, int(extra.size), len(groups)))
    if y is not None:
        ys = np.asarray(y, dtype=object)
        bad = []
        for g in groups:
            g = g[np.array([ys[i] is not None for i in g])]  # rows without a label cannot conflict
            if len({str(ys[i]) for i in g}) > 1:
                bad.append(g)
        if bad:
            rows = np.sort(np.concatenate(bad))
            out.append(conflicts_finding(len(bad), rows, int(rows.size)))
    num = numeric_columns(frame)
    if num:
        numeric = set(num)
        rest = [c for c in frame.columns if c not in numeric]
        other = row_hashes(frame[rest]) if rest else np.zeros(n, np.uint64)
        Z = scaled_matrix(frame, num)
        exact = set(extra.tolist())
        near: set[int] = set()
        for off in (0.0, 0.5):
            for g in _groups(_grid_hash(Z, other, tol, off)):
                near.update(int(r) for r in g[1:] if int(r) not in exact)
        near -= exact
        if near:
            rows = np.array(sorted(near))
            out.append(near_duplicates_finding(rows, int(rows.size), tol))
    return out


def near_duplicates_finding(rows: np.ndarray, total: int, tol: float, sample: int | None = None) -> Finding:
    """The ``near_duplicates`` finding: ``total`` rows within ``tol`` SD of an earlier one, the first of them ``rows``;
    ``sample`` as in :func:`duplicates_finding`."""
    return Finding("near_duplicates", "info",
                   f"{total} row(s) are near duplicates of another (within {tol} SD per numeric column, text equal): "
                   f"rows {preview(rows, total=total)}{_sampled(sample)}",
                   "check whether these are the same record measured twice; drop them if so",
                   rows=tuple(int(r) for r in rows), details={"space": f"standardised, rounded to {tol} SD", **({"sample_rows": sample} if sample else {})})


def _sampled(sample: int | None) -> str:
    return "" if sample is None else f" (among the first {sample:,} rows only: later rows were not compared)"


def duplicates_finding(rows: np.ndarray, total: int, groups: int, sample: int | None = None) -> Finding:
    """The ``duplicates`` finding: ``total`` rows repeat an earlier one, the first of them ``rows`` (0-based), in ``groups`` groups.

    ``sample``: the rows compared when not every row was (a streamed check past its cap); None when all were.
    """
    return Finding("duplicates", "warning", f"{total} row(s) repeat an earlier row exactly: rows {preview(rows, total=total)}{_sampled(sample)}",
                   "drop the repeats (report.clean(X, y, drop=('duplicates',))): they weigh twice and leak across validation splits",
                   rows=tuple(int(r) for r in rows), details={"groups": groups, **({"sample_rows": sample} if sample else {})})


def conflicts_finding(groups: int, rows: np.ndarray, total: int, sample: int | None = None) -> Finding:
    """The ``conflicting_labels`` finding: ``groups`` groups of identical rows with different labels, ``total`` labelled rows
    in them, the first of them ``rows``; ``sample`` as in :func:`duplicates_finding`."""
    return Finding("conflicting_labels", "warning",
                   f"{groups} group(s) of identical rows carry different labels ({total} rows): rows {preview(rows, total=total)}{_sampled(sample)}",
                   "check those labels: identical inputs cannot have two right answers", rows=tuple(int(r) for r in rows),
                   details={"sample_rows": sample} if sample else {})


def check_shared_rows(frame: Any, new: Any) -> list[Finding]:
    """Rows of the new data that also appear (exactly, on the shared columns) in the training data: a train/test leak."""
    new_cols = set(new.columns)
    cols = [c for c in frame.columns if c in new_cols]
    if not cols or len(new) == 0 or len(frame) == 0:
        return []
    a = row_hashes(frame[cols])
    b = row_hashes(new[cols])
    shared = np.flatnonzero(np.isin(b, a))
    if shared.size == 0:
        return []
    return [Finding("train_new_overlap", "warning",
                    f"{shared.size} row(s) of the new data ({shared.size / len(new):.1%}) also appear in the training data: new rows {preview(shared)}",
                    "remove them from one side: scores on rows seen in training are too optimistic",
                    rows=tuple(int(r) for r in shared), details={"rows_refer_to": "X_new"})]
