"""A regression target with a few values far from the rest (``extreme_target``, a warning).

Five values of 1e6 among values around 1e4 dominate a squared-error fit: standardizing the target
(``scale_target``) divides by an SD those five rows inflate, so the bulk collapses near one value (one
synthetic table, 400 training rows: held-out R² on the ordinary rows -108 with them, 0.97 without). Such values may be real (incomes, prices), so this is
a warning, not a refusal. The rule is robust, so the extremes cannot hide themselves by inflating the
spread they are judged by: a value is extreme when it lies more than :data:`CUT` robust SDs from the
target's median, the robust SD being 1.4826 x the median absolute deviation (the SD of a normal sample),
or, when more than half the values are equal (MAD 0), the 10-90 % quantile range / 2.563 (the same for a
normal sample); if that is 0 too the target is nearly constant and nothing is judged. A normal target's
largest robust z-score grows like sqrt(2 ln n) (about 6 at 10^8 rows) and a uniform one's stays under 1.7,
so :data:`CUT` = 20 leaves both quiet at any scale or shift; heavy tails reach it (a lognormal's upper tail),
which is where a log transform of the target helps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._float32 import F32_MAX
from .common import Finding, preview

#: Robust SDs from the median beyond which a target value is extreme.
CUT = 20.0
#: Fewest usable target values judged (a median and a MAD of fewer say little).
MIN_ROWS = 20
_MAD_SD = 1.4826  # MAD x this = SD, for a normal sample
_Q_SD = 2.5631  # (q90 - q10) / this = SD, for a normal sample


def robust_spread(y: np.ndarray) -> tuple[float, float]:
    """``(median, robust SD)`` of finite values ``y`` ``(n,)``, the SD from the MAD, else the 10-90 % range (see the module docstring)."""
    med = float(np.median(y))
    sd = _MAD_SD * float(np.median(np.abs(y - med)))
    if not sd > 0:
        q10, q90 = np.quantile(y, [0.1, 0.9])
        sd = float(q90 - q10) / _Q_SD
    return med, sd


def check_extreme_target(y: Any, name: str | None, cut: float = CUT, sampled_of: int | None = None) -> list[Finding]:
    """The ``extreme_target`` warning for a regression target, or [] when no value lies over ``cut`` robust SDs from the median.

    ``y``: the target as float64 ``(rows,)``, NaN where missing (those rows, and values check_infinite or
    beyond_float32 refuse, are not judged); the finding's rows are positions in ``y``, farthest first.
    ``name``: the target's column name for the message. ``sampled_of``: the table's row count when ``y`` holds only its
    first rows (a streamed check's kept target): the message says so.
    """
    v = np.asarray(y, dtype=np.float64)
    usable = np.flatnonzero(np.abs(v) <= F32_MAX)  # NaN and inf fail the comparison
    if usable.size < MIN_ROWS:
        return []
    med, sd = robust_spread(v[usable])
    if not (sd > 0 and np.isfinite(sd)):
        return []
    z = np.abs(v[usable] - med) / sd
    far = np.flatnonzero(z > cut)
    if far.size == 0:
        return []
    far = far[np.argsort(-z[far], kind="stable")]
    rows = usable[far]
    subject = f"the target '{name}'" if name is not None else "the target"
    sample = f" (among the first {v.size:,} rows only)" if sampled_of is not None and sampled_of > v.size else ""
    fix = ("look at those rows for entry errors or unit mix-ups (drop wrong ones); if they are real, train on np.log1p(target) "
           "and map predictions back with np.expm1, or use loss='poisson' (train --loss poisson), whose exp output spans such ranges"
           if float(np.min(v[usable])) >= 0 else
           "look at those rows for entry errors or unit mix-ups (drop wrong ones); if they are real, train on a compressed target "
           "(e.g. np.sign(y) * np.log1p(np.abs(y))) and map predictions back")
    return [Finding(
        "extreme_target", "warning",
        f"{subject} has {rows.size} value(s) more than {cut:g} robust SDs from its median {med:.6g} (robust SD {sd:.4g}; "
        f"farthest {v[rows[0]]:.6g}), which dominate a squared-error fit: rows {preview(rows)}{sample}",
        fix, rows=tuple(int(r) for r in rows), columns=(name,) if name is not None else (),
        details={"median": med, "robust_sd": sd, "cut": cut, "robust_z": [round(float(z[i]), 1) for i in far[:100]],
                 **({"sample_rows": int(v.size)} if sample else {})},
    )]


__all__ = ["CUT", "check_extreme_target", "robust_spread"]
