"""``DataReport``: what :func:`check` found, as a text table, JSON or a
self-contained HTML page, and ``clean`` to drop what was found (on copies)."""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .common import Finding

# drop=(...) names -> what they remove: rows (of X) or columns
ROW_DROPS = ("duplicates", "near_duplicates", "conflicting_labels", "label_issues", "outliers", "missing_target", "missing_rows")
COLUMN_DROPS = ("empty_columns", "constant_columns", "id_columns", "leakage")
#: every name ``DataReport.clean(drop=...)`` takes (``hiddenlayers check --clean OUT --drop ...`` takes the same)
CLEAN_DROPS = ROW_DROPS + COLUMN_DROPS
_ORDER = {"fatal": 0, "warning": 1, "info": 2}


class Cleaned(tuple):
    """``(X, y)`` copies without the dropped rows/columns; ``.dropped`` says what went, ``.summary`` in one line."""

    dropped: dict[str, Any]
    summary: str

    def __new__(cls, X: Any, y: Any, dropped: dict[str, Any], summary: str) -> Cleaned:
        obj = super().__new__(cls, (X, y))
        obj.dropped, obj.summary = dropped, summary
        return obj


@dataclass(repr=False)
class DataReport:
    """The findings of :func:`hiddenlayers.check` on one table (and optionally new data).

    Its repr is one line (:meth:`summary` and the checks that found something), not every finding's rows; ``print()``
    shows the findings and their fixes.

    Attributes
    ----------
    findings : list of Finding
        Every finding, fatal first. Their rows are 0-based positions in ``X`` (in ``X_new`` for
        ``train_new_overlap``; file line numbers for ``ragged_rows``/``empty_rows``).
    n_rows : int
        Rows of the table checked.
    n_columns : int
        Columns of the table checked.
    task : str or None
        ``"classification"`` or ``"regression"``; None without a target.
    target : str or None
        The target's name, where it has one.
    seconds : dict of str to float
        Seconds each check took, by check, and the ``total``.
    """

    findings: list[Finding]
    n_rows: int
    n_columns: int
    task: str | None = None
    target: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.findings = sorted(self.findings, key=lambda f: _ORDER[f.severity])

    @property
    def fatal(self) -> list[Finding]:
        """Findings that make training impossible."""
        return [f for f in self.findings if f.severity == "fatal"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings that training survives but that may spoil the model (severity ``"warning"``)."""
        return [f for f in self.findings if f.severity == "warning"]

    def __getitem__(self, check: str) -> Finding:
        """The finding of the check called ``check`` (KeyError if it found nothing)."""
        for f in self.findings:
            if f.check == check:
                return f
        raise KeyError(f"no finding from check {check!r}: found {', '.join(sorted({f.check for f in self.findings})) or 'nothing'}")

    def __contains__(self, check: object) -> bool:
        return any(f.check == check for f in self.findings)

    def summary(self) -> str:
        """One line: rows, columns and the count of findings by severity."""
        counts = {s: sum(f.severity == s for f in self.findings) for s in _ORDER}
        found = ", ".join(f"{n} {s}{'s' if s == 'warning' and n > 1 else ''}" for s, n in counts.items() if n) or "no findings"
        return f"{self.n_rows} rows x {self.n_columns} columns: {found}"

    def table(self) -> str:
        """The findings as a plain-text list: severity, check, message, then the fix indented."""
        lines = [f"data check: {self.summary()}"]
        for f in self.findings:
            lines.append(f"{f.severity.upper():8} {f.check}: {f.message}")
            lines.append(f"{'':8}   fix: {f.fix}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        found = ", ".join(dict.fromkeys(f.check for f in self.findings))
        return f"DataReport({self.summary()}{f' ({found})' if found else ''}; print() shows the findings and fixes)"

    def _repr_html_(self) -> str:  # Jupyter
        return self.html_section()

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able values: the table's size, task and target, :meth:`summary`, every finding and the
        seconds each check took."""
        return {"rows": self.n_rows, "columns": self.n_columns, "task": self.task, "target": self.target,
                "summary": self.summary(), "findings": [f.to_dict() for f in self.findings],
                "seconds": {k: round(v, 4) for k, v in self.seconds.items()}}

    def to_json(self) -> str:
        """The report as JSON text (every finding with all its rows)."""
        return json.dumps(_finite(self.to_dict()), indent=2)

    def html_section(self) -> str:
        """The findings as an HTML table (no page shell): the lens report's "Data" section uses it."""
        from ..._html import wrap_class

        if not self.findings:
            return '<p class="ok">No problems found in the data.</p>'
        rows = []
        for f in self.findings:
            cls = {"fatal": "bad", "warning": "warn"}.get(f.severity, "")
            td = f'<td class="{cls}">' if cls else "<td>"
            text = "".join(f'<td{_class(wrap_class(t))} style="text-align:left">{html.escape(t)}</td>' for t in (f.message, f.fix))
            rows.append(f"<tr>{td}{html.escape(f.severity)}</td><td>{html.escape(f.check)}</td>{text}</tr>")
        return (f"<p>{html.escape(self.summary())}</p><table><thead><tr><th>severity</th><th>check</th><th>finding</th><th>fix</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the report as one self-contained HTML page, atomically; a folder is refused.

        Parameters
        ----------
        path : str or PathLike
            The HTML file to write.
        """
        from ..._html import page, write_page

        lead = "What the data checks found, most serious first; each finding says how to fix it."
        text = page("Data check", self.summary(), [("findings", "Findings", lead, self.html_section())],
                    footer="Written by hiddenlayers.check — one self-contained file, no network needed.")
        write_page(path, text, example="data.html")

    def clean(self, X: Any, y: Any = None, drop: tuple[str, ...] = ("duplicates", "conflicting_labels", "label_issues")) -> Cleaned:
        """Copies of ``X`` (and ``y``) without what the named checks found; the data passed in is never changed.

        Returns ``(X2, y2)`` with ``.dropped`` and ``.summary``.

        Parameters
        ----------
        X : DataFrame or array of shape (rows, columns)
            The table this report checked.
        y : array-like of shape (rows,), optional
            Its target.
        drop : tuple of str
            The checks whose findings go: rows from ``duplicates``, ``near_duplicates``, ``conflicting_labels``,
            ``label_issues``, ``outliers``, ``missing_target``, ``missing_rows``; columns from ``empty_columns``,
            ``constant_columns``, ``id_columns``, ``leakage``.
        """
        import pandas as pd

        if isinstance(drop, str):
            drop = (drop,)
        unknown = [d for d in drop if d not in CLEAN_DROPS]
        if unknown:
            raise ValueError(f"drop holds unknown name(s) {unknown}: use any of {', '.join(CLEAN_DROPS)}.")
        n = len(X)
        if n != self.n_rows:
            raise ValueError(f"X has {n} rows but this report was made on {self.n_rows}: clean the same data that was checked.")
        rows: set[int] = set()
        cols: list[str] = []
        dropped: dict[str, Any] = {}
        for f in self.findings:
            if f.check not in drop or f.severity == "fatal":
                continue
            if f.check in ROW_DROPS:
                rows.update(f.rows)
                dropped[f.check] = len(f.rows)
            else:
                cols += [c for c in f.columns if c not in cols]
                dropped[f.check] = list(f.columns)
        keep = np.ones(n, dtype=bool)
        keep[[r for r in rows if 0 <= r < n]] = False
        if isinstance(X, pd.DataFrame):
            X2 = X.drop(columns=[c for c in cols if c in X.columns]).iloc[keep].copy()
        else:
            A = np.asarray(X)
            idx = [i for i in range(A.shape[1]) if str(i) not in cols and f"x{i}" not in cols] if A.ndim == 2 else None
            X2 = (A[keep][:, idx] if idx is not None else A[keep]).copy()
        y2 = None
        if y is not None and not isinstance(y, str):
            y2 = y.iloc[keep].copy() if isinstance(y, (pd.Series, pd.DataFrame)) else np.asarray(y)[keep].copy()
        parts = [f"{v} row(s) ({k})" if isinstance(v, int) else f"column(s) {', '.join(v)} ({k})" for k, v in dropped.items()]
        summary = f"dropped {int((~keep).sum())} row(s) and {len(cols)} column(s): " + ("; ".join(parts) if parts else "nothing found to drop")
        return Cleaned(X2, y2, dropped, summary)


def _class(name: str) -> str:
    return f' class="{name}"' if name else ""


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _finite(value.item())
    return value
