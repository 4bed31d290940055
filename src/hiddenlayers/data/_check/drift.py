"""Drift between training data and new data.

Per feature: the two-sample Kolmogorov-Smirnov test for numeric columns and
chi² for categorical ones, with the population stability index (PSI) as the
size of the shift; a column drifts when p < 0.001 and the shift is not tiny
(KS statistic or Cramér's V >= 0.1), since with large tables any shift is
"significant". Overall: a domain classifier (a random forest told to tell
training rows from new rows) and its held-out AUC (3-fold, or one held-out third above 3,000 rows; 0.5: no drift); its
feature importances name the columns that drive the drift.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import Finding, numeric_columns, preview


def psi(a: np.ndarray, b: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``b`` against ``a`` over ``a``'s decile bins (0: same; > 0.25: a large shift)."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return 0.0
    edges = np.unique(np.quantile(a, np.linspace(0, 1, bins + 1)[1:-1]))
    pa = np.bincount(np.searchsorted(edges, a, side="right"), minlength=edges.size + 1) / a.size
    pb = np.bincount(np.searchsorted(edges, b, side="right"), minlength=edges.size + 1) / b.size
    pa, pb = np.clip(pa, 1e-4, None), np.clip(pb, 1e-4, None)
    return float(np.sum((pb - pa) * np.log(pb / pa)))


def feature_drift(train: Any, new: Any, max_rows: int = 20000, seed: int = 0) -> list[dict[str, Any]]:
    """One record per shared column: test (``ks`` or ``chi2``), statistic, p-value, PSI (numeric), drifted."""
    import pandas as pd
    from scipy import stats

    rng = np.random.default_rng(seed)
    ta = train if len(train) <= max_rows else train.iloc[rng.choice(len(train), max_rows, replace=False)]
    nb = new if len(new) <= max_rows else new.iloc[rng.choice(len(new), max_rows, replace=False)]
    num = set(numeric_columns(train)) & set(numeric_columns(new))
    out = []
    new_cols = set(new.columns)
    for c in [c for c in train.columns if c in new_cols]:
        if c in num:
            a = ta[c].to_numpy(dtype=np.float64, na_value=np.nan)
            b = nb[c].to_numpy(dtype=np.float64, na_value=np.nan)
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            if a.size < 2 or b.size < 2:
                continue
            r = stats.ks_2samp(a, b, method="asymp")
            stat, p = float(r.statistic), float(r.pvalue)
            out.append({"column": str(c), "test": "ks", "statistic": stat, "p_value": p, "psi": psi(a, b), "drifted": p < 1e-3 and stat >= 0.1})
        else:
            a, b = ta[c].astype(str), nb[c].astype(str)
            top = a.value_counts().index[:50]
            ca = a.where(a.isin(top), "<other>").value_counts()
            cb = b.where(b.isin(top), "<other>").value_counts()
            table = pd.concat([ca, cb], axis=1).fillna(0).to_numpy().T
            table = table[:, table.sum(axis=0) > 0]
            if table.shape[1] < 2:
                continue
            chi2, p = stats.chi2_contingency(table)[:2]
            v = float(np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))
            out.append({"column": str(c), "test": "chi2", "statistic": v, "p_value": float(p), "psi": None, "drifted": p < 1e-3 and v >= 0.1})
    return out


def domain_auc(train: Any, new: Any, max_rows: int = 5000, seed: int = 0) -> tuple[float, dict[str, float]]:
    """Cross-validated AUC of a random forest telling training rows from new rows, and each column's importance."""
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict, train_test_split

    new_cols = set(new.columns)
    cols = [c for c in train.columns if c in new_cols]
    rng = np.random.default_rng(seed)
    ta = train[cols] if len(train) <= max_rows else train[cols].iloc[rng.choice(len(train), max_rows, replace=False)]
    nb = new[cols] if len(new) <= max_rows else new[cols].iloc[rng.choice(len(new), max_rows, replace=False)]
    both = pd.concat([ta, nb], ignore_index=True)
    num = set(numeric_columns(both))
    A = np.column_stack([both[c].to_numpy(dtype=np.float64, na_value=np.nan) if c in num else pd.factorize(both[c])[0].astype(np.float64) for c in cols])
    A[~np.isfinite(A)] = -1e9
    big = float(np.finfo(np.float32).max)  # the forest's trees read float32: larger finite values would become inf
    np.clip(A, -big, big, out=A)
    d = np.r_[np.zeros(len(ta)), np.ones(len(nb))]
    forest = RandomForestClassifier(n_estimators=50, max_depth=8, min_samples_leaf=5, random_state=seed, n_jobs=2)
    if len(d) > 3000:  # one held-out third is enough at this size; its forest also gives the importances
        fit_rows, test_rows = train_test_split(np.arange(len(d)), test_size=1 / 3, random_state=seed, stratify=d)
        forest.fit(A[fit_rows], d[fit_rows])
        auc = float(roc_auc_score(d[test_rows], forest.predict_proba(A[test_rows])[:, 1]))
    else:
        p = cross_val_predict(forest, A, d, cv=3, method="predict_proba")[:, 1]
        auc = float(roc_auc_score(d, p))
        forest.fit(A, d)
    imp = forest.feature_importances_
    return auc, {str(c): float(v) for c, v in sorted(zip(cols, imp), key=lambda cv: -cv[1])}


def _no_drift_finding(auc: float, imp: dict[str, float]) -> Finding:
    """The info finding for an AUC below 0.6; one well below 0.5 is read as what it usually is, not as "no drift".

    A held-out AUC under 0.4 means the classifier is reliably wrong: the same
    rows sit on both sides (the forest learns each copy's side in one fold and
    is fooled by its twin in the other), so the figure says nothing about drift.
    """
    if auc < 0.4:
        return Finding("domain_drift", "info",
                       f"drift not judged: a classifier tells training rows from new rows worse than chance (AUC {auc:.2f}), "
                       "which happens when the two share rows",
                       "see train_new_overlap: remove the shared rows from one side, then check again", details={"auc": auc, "importance": imp})
    return Finding("domain_drift", "info", f"a classifier cannot tell training rows from new rows (AUC {auc:.2f}; 0.5 = no drift)",
                   "nothing to do", details={"auc": auc, "importance": imp})


def check_drift(train: Any, new: Any, seed: int = 0) -> list[Finding]:
    """Drifted columns (per-feature tests) and the domain classifier's verdict."""
    if len(train) < 10 or len(new) < 10:
        return []
    out = []
    per = feature_drift(train, new, seed=seed)
    drifted = sorted((r for r in per if r["drifted"]), key=lambda r: -r["statistic"])
    if drifted:
        desc = preview([f"{r['column']} ({r['test']} {r['statistic']:.2f})" for r in drifted])
        out.append(Finding("feature_drift", "warning", f"{len(drifted)} column(s) are distributed differently in the new data: {desc}",
                           "the model may do worse on the new data: retrain on data like it, or find why it changed",
                           columns=tuple(r["column"] for r in drifted), details={"features": per}))
    auc, imp = domain_auc(train, new, seed=seed)
    top = [c for c, v in imp.items() if v > 0][:5]
    if auc >= 0.6:
        out.append(Finding("domain_drift", "warning",
                           f"a classifier tells training rows from new rows with AUC {auc:.2f} (0.5 = no drift); driven by {preview(top)}",
                           "the new data differ from the training data: look at the driving columns first",
                           columns=tuple(top), details={"auc": auc, "importance": imp}))
    else:
        out.append(_no_drift_finding(auc, imp))
    return out
