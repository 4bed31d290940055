"""``domain_shift(model, X_source, X_target)``: where, layer by layer, a new domain looks different.

One row per hidden layer:

* ``mmd2``: the unbiased MMD² between source and target activations (RBF kernel,
  bandwidth by the median heuristic on the pooled rows' nonzero distances) and ``p_value`` from a
  permutation test (the domain labels shuffled; the bandwidth is computed on the
  pooled rows, so it is the same under every permutation and the test keeps its level);
* ``a_distance``: the proxy A-distance ``2 (1 - 2 err)`` of a linear domain probe
  (logistic regression, balanced error of 5-fold cross-validated predictions, so unequal
  domain sizes do not read as a shift and every row is scored; 0 = indistinguishable, 2 = separable);
* ``dead_source``/``dead_target`` and ``saturated_*``: unit rates per domain (from the lens stats);
* ``target_probe``: held-out linear-probe accuracy on the target when ``y_target`` is given;
* ``cka_tuned``: linear CKA between the source layer and the fine-tuned layer on target rows
  when ``tuned`` (the model after fine-tuning) is given: 1 = the layer did not move; NaN (shown n/a) where
  either layer does not vary on those rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from .._docsections import parameters_section
from .._pipe import through_head
from ._probes import probe_features, probe_task, refuse_missing_labels
from ._record import record
from ._similarity import cka
from ._target import as_target, check_max_rows, count_rows, nan_padded, require_finite, sample_index, take_rows


@dataclass
class LayerShift:
    """The shift measures of one hidden layer (see the module docstring).

    Attributes
    ----------
    layer : str
        The layer's name.
    units : int
        Its units.
    mmd2 : float
        The unbiased MMD² between source and target activations (RBF kernel, median-heuristic bandwidth).
    p_value : float
        Of the permutation test of ``mmd2``.
    a_distance : float
        The proxy A-distance ``2 (1 - 2 err)`` of a linear domain probe: 0 = indistinguishable, 2 = separable.
    dead_source : float
        Share of the layer's units dead on the source rows.
    dead_target : float
        The same on the target rows.
    saturated_source : float
        Share of units saturated on the source rows.
    saturated_target : float
        The same on the target rows.
    target_probe : float or None
        Held-out linear-probe accuracy on the target (with ``y_target``).
    cka_tuned : float or None
        Linear CKA between the source layer and the fine-tuned layer on target rows (with ``tuned``): 1 = the layer did
        not move; NaN where either layer does not vary on those rows.
    """

    layer: str
    units: int
    mmd2: float
    p_value: float
    a_distance: float
    dead_source: float
    dead_target: float
    saturated_source: float
    saturated_target: float
    target_probe: float | None = None
    cka_tuned: float | None = None


@dataclass
class DomainShift:
    """Per-layer shift between two domains.

    Attributes
    ----------
    rows : list of LayerShift
        One per hidden layer, in layer order.
    n_source : int
        Source rows used.
    n_target : int
        Target rows used.
    n_permutations : int
        Permutations of each MMD test.
    level : float
        The tests' level: :meth:`shifted` names the layers whose p-value is below it.
    notes : list of str
        What the measures leave out or assume, one line each.
    """

    rows: list[LayerShift]
    n_source: int
    n_target: int
    n_permutations: int
    level: float = 0.05
    notes: list[str] = field(default_factory=list)

    def shifted(self) -> list[str]:
        """Layers whose MMD test rejects "same distribution" at ``level``."""
        return [r.layer for r in self.rows if r.p_value < self.level]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return asdict(self)

    def table(self) -> Any:
        """A Rich table, one row per hidden layer."""
        from .._rich_plain import PlainTable, styled

        t = PlainTable(title=f"domain shift per hidden layer ({self.n_source} source rows, {self.n_target} target rows)", title_justify="left")
        for col in ("layer", "units", "MMD²", "p", "A-dist", "dead s/t", "sat. s/t", "target probe", "CKA tuned"):
            t.add_column(col, justify="left" if col == "layer" else "right")
        for row, cells in zip(self.rows, self._cells()):
            p = cells[3]
            t.add_row(*cells[:3], styled((p, "red")) if row.p_value < self.level else p, *cells[4:])
        return t

    def _cells(self) -> list[list[str]]:
        out = []
        for r in self.rows:
            out.append([
                r.layer, str(r.units), f"{r.mmd2:.4f}", f"{r.p_value:.3f}", f"{r.a_distance:.2f}",
                f"{r.dead_source:.0%} / {r.dead_target:.0%}", f"{r.saturated_source:.0%} / {r.saturated_target:.0%}",
                "-" if r.target_probe is None else f"{r.target_probe:.3f}", "-" if r.cka_tuned is None else "n/a" if np.isnan(r.cka_tuned) else f"{r.cka_tuned:.3f}",
            ])
        return out

    def html_section(self) -> tuple[str, str, str, str]:
        """``(id, title, lead, body)`` for a lens report page (see :func:`page`)."""
        from . import _html as H

        header = ["layer", "units", "MMD²", "p-value", "A-distance", "dead source / target", "saturated source / target", "target probe", "CKA tuned"]
        classes = [["", "", "", "bad" if r.p_value < self.level else "", "", "", "", "", ""] for r in self.rows]
        shifted = self.shifted()
        lead = (
            f"Source ({self.n_source} rows) against target ({self.n_target} rows), per hidden layer: MMD² with a "
            f"{self.n_permutations}-permutation p-value, the proxy A-distance of a linear domain probe, unit health per domain."
        )
        findings = [f"the shift is significant (p < {self.level}) at {', '.join(shifted)}."] if shifted else []
        body = H.table_html(header, self._cells(), classes) + H.warnings_html(findings, ok=f"no layer shows a significant shift at level {self.level}.")
        body += "".join(H.note_html(n) for n in self.notes)
        return "domain-shift", "Domain shift", lead, body

    def html(self) -> str:
        """A self-contained page holding the section."""
        from . import _html as H

        return H.page("Domain shift", f"{len(self.shifted())} layer(s) shifted", [self.html_section()])

    def save(self, path: Any) -> None:
        """Write :meth:`html` atomically; a folder is refused.

        Parameters
        ----------
        path : str or PathLike
            The HTML file to write.
        """
        from . import _html as H

        H.write_page(path, self.html(), example="shift.html")


def mmd2_permutation(A: np.ndarray, B: np.ndarray, *, n_permutations: int = 200, rng: np.random.Generator) -> tuple[float, float]:
    """Unbiased MMD² of rows ``A (m, d)`` and ``B (n, d)`` under an RBF kernel, and its permutation p-value.

    Bandwidth: the median of the pooled nonzero squared distances (``k(x, y) = exp(-|x-y|² / median)``).
    The p-value is ``(1 + #{perm ≥ observed}) / (1 + n_permutations)``.
    """
    m, n = A.shape[0], B.shape[0]
    if m < 2 or n < 2:
        raise ValueError(f"MMD needs at least 2 rows per domain. Received {m} source and {n} target rows.")
    Z = torch.as_tensor(np.vstack([A, B]), dtype=torch.float64)
    D = torch.cdist(Z, Z).pow_(2)
    off = D[~torch.eye(m + n, dtype=torch.bool)]
    off = off[off > 0]  # duplicate rows (dead ReLU layers: many all-zero rows) would make the median 0 and the kernel constant
    med = float(np.median(off.numpy())) if off.numel() else 0.0
    K = torch.exp(-D / med) if med > 0 else torch.ones_like(D)
    labels = torch.zeros((n_permutations + 1, m + n), dtype=torch.float64)
    labels[0, :m] = 1.0
    g = torch.Generator().manual_seed(int(rng.integers(2**31)))
    picks = torch.argsort(torch.rand((n_permutations, m + n), generator=g), dim=1)[:, :m]  # a random m-subset per row
    labels[1:].scatter_(1, picks, 1.0)
    S, T = labels, 1.0 - labels
    KS, KT = K @ S.T, K @ T.T  # (N, P+1)
    kd = torch.diagonal(K)  # the self-pairs k(x, x), left out of the unbiased within-group sums
    ss = (S.T * KS).sum(0) - (S * kd).sum(1)
    tt = (T.T * KT).sum(0) - (T * kd).sum(1)
    st = (S.T * KT).sum(0)
    stat = ss / (m * (m - 1)) + tt / (n * (n - 1)) - 2.0 * st / (m * n)
    observed = float(stat[0])
    p = (1.0 + float((stat[1:] >= stat[0] - 1e-12).sum())) / (1.0 + n_permutations)
    return observed, p


def proxy_a_distance(A: np.ndarray, B: np.ndarray, *, random_state: int = 0, n_splits: int = 5) -> float:
    """``2 (1 - 2 err)`` of a linear domain classifier, floored at 0: 0 = indistinguishable, 2 = separable.

    ``err`` is the balanced error (the mean of the two domains' error rates) of
    ``n_splits``-fold cross-validated predictions (stratified by domain, so each
    fold holds both): every row is predicted once by a probe that did not see it.
    One held-out half used half the rows to score, so the distance moved with the
    split's seed; all rows halve that noise. Balanced, because with unequal sizes
    the plain error of "always the larger domain" is small (400 vs 40 rows: 0.09,
    an A-distance of 1.6 for one distribution); balanced, it is 0.5.
    ``A (m, d)``, ``B (n, d)``: at least 2 rows each (fewer folds when a domain has
    fewer than ``n_splits`` rows).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folds = min(n_splits, len(A), len(B))
    if folds < 2:
        raise ValueError(f"the proxy A-distance needs at least 2 rows per domain. Received {len(A)} source and {len(B)} target rows.")
    Z = np.vstack([A, B]).astype(np.float64)
    d = np.r_[np.zeros(len(A)), np.ones(len(B))]
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, class_weight="balanced"))
    pred = cross_val_predict(probe, Z, d, cv=StratifiedKFold(folds, shuffle=True, random_state=random_state))
    err = 1.0 - float(balanced_accuracy_score(d, pred))
    return max(0.0, 2.0 * (1.0 - 2.0 * err))


def _rows(X: Any, k: int, rng: np.random.Generator) -> Any:
    return take_rows(X, sample_index(count_rows(X), k, rng))


_DOMAIN_SHIFT_PARAMETERS = """
Parameters
----------
model : estimator, application or torch.nn.Module
    A fitted model (what :func:`record` takes).
X_source : array-like of shape (n_source, ...)
    Rows of the source domain.
X_target : array-like of shape (n_target, ...)
    Rows of the target domain.
y_target : array-like of shape (n_target,), optional
    Adds the target's linear-probe accuracy.
tuned : estimator or torch.nn.Module, optional
    The model fine-tuned on the target (same layer names): adds the linear CKA between each source layer and its
    tuned self on the target rows.
layers : selector, optional
    Which layers, as :func:`record` takes them.
n_permutations : int
    Permutations of each layer's MMD two-sample test.
max_rows : int, optional
    At most this many rows of each domain, drawn at random, enter the kernel tests; None: every row (an integral
    float such as ``1e5`` is read as an int).
level : float
    The tests' level: a layer whose MMD test's p-value is below it counts as shifted.
random_state : int
    Seed of the rows drawn and the permutations.
"""


@parameters_section(_DOMAIN_SHIFT_PARAMETERS)
def domain_shift(
    model: Any,
    X_source: Any,
    X_target: Any,
    *,
    y_target: Any = None,
    tuned: Any = None,
    layers: Any = None,
    n_permutations: int = 200,
    max_rows: int | None = 500,
    level: float = 0.05,
    random_state: int = 0,
) -> DomainShift:
    """Per hidden layer of ``model``, how the target rows differ from the source rows.

    Examples
    --------
    >>> import numpy as np, hiddenlayers as hl
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 6)); y = (X[:, 0] > 0).astype(int)
    >>> src = hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(X, y)
    >>> X_new = X + np.array([3.0, 0, 0, 0, 0, 0])  # the first feature moved by 3 standard deviations
    >>> shift = domain_shift(src, X[:200], X_new[200:], n_permutations=200)
    >>> shift.shifted()
    ['hidden1']
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) or n_permutations < 1:
        raise ValueError(f"n_permutations must be an integer >= 1. Received: n_permutations={n_permutations!r}.")
    cap = check_max_rows(max_rows, 2, " (MMD² and the domain probe need 2 rows per domain)")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1). Received: level={level!r}.")
    target = as_target(model)  # a Pipeline's (fitted) steps run first: an imputer fills the cells pipe.predict fills
    for name, rows in (("X_source", X_source), ("X_target", X_target)):  # every row, not only the sampled ones
        rows = through_head(target.head, rows)
        if not (target.prepare is not None and nan_padded(rows)):  # a sequence app's NaN padding: its reader checks it
            require_finite(rows, name)
    if cap is None:  # every row: the same draws as a cap above both domains' sizes
        cap = max(count_rows(X_source), count_rows(X_target))
    rng = np.random.default_rng(random_state)
    Xs = _rows(X_source, cap, rng)
    if y_target is not None:
        y_target = np.asarray(y_target)
        n_t = count_rows(X_target)
        if y_target.shape[0] != n_t:
            raise ValueError(f"X_target has {n_t} rows but y_target has {y_target.shape[0]}: pass one label per target row.")
        refuse_missing_labels(y_target, "y_target")
        idx = np.sort(rng.choice(n_t, size=min(cap, n_t), replace=False))
        Xt = take_rows(X_target, idx)
        y_t = y_target[idx]
    else:
        Xt, y_t = _rows(X_target, cap, rng), None
    rec_s, rec_t = record(model, Xs, layers), record(model, Xt, layers)
    rec_tuned = record(tuned, Xt, layers) if tuned is not None else None
    notes: list[str] = []
    out = []
    for name in rec_s:
        fs, ft = rec_s.features(name), rec_t.features(name)
        mmd2, p = mmd2_permutation(fs, ft, n_permutations=n_permutations, rng=rng)
        ss, st = rec_s.stats[name], rec_t.stats[name]
        row = LayerShift(
            layer=name, units=ss.units, mmd2=mmd2, p_value=p, a_distance=proxy_a_distance(fs, ft, random_state=random_state),
            dead_source=ss.n_dead / ss.units, dead_target=st.n_dead / st.units,
            saturated_source=ss.n_saturated / ss.units, saturated_target=st.n_saturated / st.units,
        )
        if y_t is not None:
            row.target_probe = probe_features({name: ft}, y_t, random_state=random_state, task=probe_task(model, np.asarray(y_t))).test_score[0]
        if rec_tuned is not None:
            if name in rec_tuned:
                row.cka_tuned = cka(ft, rec_tuned.features(name))
            else:
                notes.append(f"the tuned model has no layer {name}: no CKA for it.")
        out.append(row)
    return DomainShift(out, count_rows(Xs), count_rows(Xt), n_permutations, level, notes)


__all__ = ["DomainShift", "LayerShift", "domain_shift", "mmd2_permutation", "proxy_a_distance"]
