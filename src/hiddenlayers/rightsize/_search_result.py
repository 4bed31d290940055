"""The outcome of :func:`hiddenlayers.search`: best trial or Pareto front, refitted, shown.

:func:`_result` picks the best feasible trial (or the Pareto front) from the
study and refits each chosen configuration on all the data;
:class:`SearchResult` holds them and renders a Rich table or one HTML page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._search_run import FIXED_ATTR, TrialSetup, build_estimator


@dataclass
class SearchResult:
    """The outcome of :func:`~hiddenlayers.rightsize.search`: best trial(s), the study, saved model files.

    ``rows``: one dict per best configuration (the Pareto front when several
    objectives), sorted by score; ``models``: the refitted estimators of those
    rows; ``paths``: their model files when ``save_dir`` was given.
    """

    objectives: tuple[str, ...]
    rows: list[dict[str, Any]]
    n_trials: int
    n_complete: int
    n_pruned: int
    study_name: str
    storage: str | None
    models: list[Any] = field(default_factory=list, repr=False)
    paths: list[str] = field(default_factory=list)
    study: Any = field(default=None, repr=False)

    @property
    def best(self) -> dict[str, Any]:
        """The highest-scoring row (the best config for one objective)."""
        return self.rows[0]

    @property
    def best_model(self) -> Any:
        return self.models[0] if self.models else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "objectives": list(self.objectives), "rows": self.rows, "n_trials": self.n_trials, "n_complete": self.n_complete,
            "n_pruned": self.n_pruned, "study_name": self.study_name, "storage": self.storage, "paths": self.paths,
        }

    def table(self) -> Any:
        from rich.table import Table

        title = "best configuration" if len(self.objectives) == 1 else f"Pareto front ({len(self.rows)} configurations)"
        t = Table(title=f"{title} — {self.n_complete} complete, {self.n_pruned} stopped early of {self.n_trials} trials")
        cols = ["trial", "hidden", "activation", "lr", "alpha", "dropout", "batch", *self.objectives]
        for c in cols:
            t.add_column(c, justify="left" if c in ("hidden", "activation") else "right")
        for r in self.rows:
            vals = [str(r["trial"]), r["hidden"], r["activation"], f"{r['learning_rate_init']:.2g}", f"{r['alpha']:.2g}",
                    f"{r['dropout']:.2f}", str(r["batch_size"])]
            for o in self.objectives:
                v = r[o]
                vals.append(f"{v:.4f}" if o == "score" else f"{v:.1f} µs" if o == "latency" else f"{int(v):,}")
            t.add_row(*vals)
        return t

    def __rich__(self) -> Any:
        return self.table()

    def save_html(self, path: str | os.PathLike[str]) -> None:
        """One self-contained HTML page: the table and a plot (inline SVG) of every trial, best ones marked."""
        import html
        import io

        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .._files import atomic_write_bytes

        done = [t for t in (self.study.get_trials(deepcopy=False) if self.study is not None else []) if t.values]
        best = {r["trial"] for r in self.rows}
        x_name = self.objectives[1] if len(self.objectives) > 1 else "trial"
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for mark, group in (("o", [t for t in done if t.number not in best]), ("*", [t for t in done if t.number in best])):
            xs = [t.values[1] if x_name != "trial" else t.number for t in group]
            ax.scatter(xs, [t.values[0] for t in group], marker=mark, s=90 if mark == "*" else 25,
                       c="tab:red" if mark == "*" else "tab:gray", label="best / Pareto front" if mark == "*" else "other trials")
        if x_name in ("params", "flops"):
            ax.set_xscale("log")
        ax.set_xlabel(x_name + (" (µs)" if x_name == "latency" else ""))
        ax.set_ylabel("validation score")
        ax.legend()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
        plt.close(fig)
        head = ["trial", "hidden", "activation", "learning_rate_init", "alpha", "dropout", "batch_size", *self.objectives]
        cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(h)))}</td>" for h in head) + "</tr>" for r in self.rows)
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>hiddenlayers search</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style></head><body>"
            f"<h1>Search: {html.escape(self.study_name)}</h1><p>{self.n_trials} trials, {self.n_complete} complete, "
            f"{self.n_pruned} stopped early; objectives: {', '.join(self.objectives)}</p>{buf.getvalue()}"
            "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{cells}</table></body></html>"
        )
        atomic_write_bytes(path, page.encode())


def _best_epoch(t: Any) -> int | None:
    if t.user_attrs.get("best_epoch"):
        return int(t.user_attrs["best_epoch"])
    curve = [v if v is not None else -np.inf for v in t.user_attrs.get("curve", [])]
    return int(np.argmax(curve)) + 1 if curve else None


def _row(t: Any, space_fixed: dict[str, float]) -> dict[str, Any]:
    """One result row: what trial ``t`` trained with (sampled and fixed settings) and what it scored.

    Settings the space fixed are in the trial's ``fixed`` attribute; a trial
    stored before that attribute existed gets those of ``space_fixed`` (this
    search's space).
    """
    p = {**space_fixed, **t.user_attrs.get(FIXED_ATTR, {}), **t.params}
    return {
        "trial": t.number, "hidden": p["hidden"], "activation": p["activation"],
        "learning_rate_init": p["learning_rate_init"], "alpha": p["alpha"], "dropout": p.get("dropout", 0.0),
        "batch_size": p["batch_size"], "params": t.user_attrs.get("params"), "flops": t.user_attrs.get("flops"),
        "latency": t.user_attrs.get("latency_us"), "epochs": t.user_attrs.get("epochs"), "best_epoch": _best_epoch(t),
        "score": t.values[0],
    }


def _result(study: Any, setup: TrialSetup, objectives: tuple[str, ...], storage: Any, name: str,
            save_dir: Any, max_saved: int, refit: bool, data: tuple[Any, Any]) -> SearchResult:
    import optuna

    S = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == S.COMPLETE]
    feasible = [t for t in complete if all(c <= 0 for c in t.user_attrs.get("constraints", [0.0]))]
    if not feasible:
        raise RuntimeError(f"no feasible trial finished ({len(complete)} complete of {len(trials)}): raise the constraints or run more trials.")
    if len(objectives) == 1:
        best = [max(feasible, key=lambda t: (t.values[0], -t.user_attrs.get("params", 0)))]  # ties: the smaller network
    else:
        best = [t for t in study.best_trials if t in feasible] or feasible
    rows = sorted((_row(t, setup.space.fixed()) for t in best), key=lambda r: -r["score"])
    for r in rows:
        for o in objectives:
            r.setdefault(o, None)
    result = SearchResult(
        objectives=objectives, rows=rows, n_trials=len(trials), n_complete=len(complete),
        n_pruned=sum(t.state == S.PRUNED for t in trials), study_name=name,
        storage=None if storage is None else str(storage), study=study,
    )
    if refit:
        import warnings

        for r in rows[:max_saved]:
            # all the data, for as many epochs as the trial's mean fold curve needed to peak
            model = build_estimator(r, setup, None, epochs=r["best_epoch"] or setup.max_epochs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(*data)
            result.models.append(model)
            if save_dir is not None:
                path = Path(save_dir) / f"{name}-trial{r['trial']}.safetensors"
                model.save(path)
                result.paths.append(str(path))
    return result


__all__ = ["SearchResult"]
