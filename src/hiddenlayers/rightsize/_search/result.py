"""The outcome of :func:`hiddenlayers.search`: best trial or Pareto front, refitted, shown.

:func:`_result` picks the best feasible trial (or the Pareto front) from the
study and refits each chosen configuration on all the data;
:class:`SearchResult` holds them and renders a Rich table or one HTML page.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .budget import budget_of
from .dominance import SAME_LATENCY_RULE, dominates
from .run import AVERAGED_ATTR, FAILED_ATTR, FIXED_ATTR, FOLD_SCORES_ATTR, TrialSetup, build_estimator, fit_or_interrupt
from .scoring import scoring_text
from .space import RATE, is_rate_name


@dataclass(repr=False)  # a short repr, and print() the table: the rows, models and study make the generated one pages long
class SearchResult:
    """The outcome of :func:`~hiddenlayers.rightsize.search`: best trial(s), the study, saved model files.

    Attributes
    ----------
    objectives : tuple of str
        The objectives searched, ``"score"`` first.
    rows : list of dict
        One dict per best configuration (the Pareto front when several objectives), sorted by score. A measured
        ``latency`` (µs) comes with its ``latency_spread`` (half the interquartile range of the timed calls) and the
        ``torch_threads`` and ``blas_threads`` it was measured under (None in trials stored before they were recorded);
        on the front, latencies within :func:`same_latency` count as equal (:meth:`same_latency_rule` says it). Each
        row says its ``solver``, ``weight_averaging`` and whether its score was of ``averaged`` weights (an SWA stopped
        or peaking before its start epoch averaged none).
    n_trials : int
        Trials in the study.
    n_complete : int
        Trials that finished.
    n_pruned : int
        Trials stopped below their peers' median.
    study_name : str
        The study's name in ``storage``.
    storage : str or None
        Where the study lives; None: in memory.
    models : list
        The refitted estimators of ``rows``.
    paths : list of str
        Their model files when ``save_dir`` was given.
    study : optuna.Study or None
        The Optuna study itself.
    max_latency_us : float or None
        The latency limit (µs) the trials were judged by.
    n_infeasible : int
        Complete trials over ``max_latency_us``.
    class_weight : None, "balanced" or dict
        What weighted the classes in the score that ranked the trials.
    label_smoothing : float
        The label smoothing every trial trained with.
    sample_weight : bool
        Whether sample weights weighted the score.
    space : SearchSpace or None
        The :class:`~hiddenlayers.rightsize.SearchSpace` searched.
    n_failed : int
        Trials that raised (a diverged one, say), each one's reason in :meth:`trials`' ``failed_because`` and
        :meth:`failures`.
    budget : dict
        What each trial was scored under: ``max_epochs``, ``cv`` as resolved, ``validation_fraction`` (None without a
        split), ``patience``.
    validation_set : dict or None
        The fingerprint (``rows``, ``digest``) of the user's ``X_val`` rows that scored every trial; None when folds of
        ``X`` did.
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
    max_latency_us: float | None = None
    n_infeasible: int = 0
    class_weight: Any = None
    label_smoothing: float = 0.0
    sample_weight: bool = False
    space: Any = field(default=None, repr=False)
    n_failed: int = 0
    budget: dict[str, Any] = field(default_factory=dict)
    validation_set: dict[str, Any] | None = None

    @property
    def best(self) -> dict[str, Any]:
        """The highest-scoring row (the best config for one objective)."""
        return self.rows[0]

    @property
    def best_model(self) -> Any:
        """The model of the best row, refitted when the search kept models; None when it kept none."""
        return self.models[0] if self.models else None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-able values: the counts, ``rows`` (the best configurations) and ``trials`` (every finished trial, :meth:`trials`)."""
        return {
            "objectives": list(self.objectives), "rows": self.rows, "n_trials": self.n_trials, "n_complete": self.n_complete,
            "n_pruned": self.n_pruned, "n_failed": self.n_failed, "study_name": self.study_name, "storage": self.storage, "paths": self.paths,
            "max_latency_us": self.max_latency_us, "n_infeasible": self.n_infeasible, "same_latency": self.same_latency_rule(),
            "within_noise": self.within_noise(), "budget": self.budget, "validation_set": self.validation_set,
            **self._scoring(), "trials": self.trials(),
        }

    def _scoring(self) -> dict[str, Any]:
        """The settings that weighted the ranking score, ``class_weight`` in its JSON form (a dict as ``[[label, weight], ...]``)."""
        from ...estimators import class_weight_to_json

        return {"class_weight": class_weight_to_json(self.class_weight), "label_smoothing": self.label_smoothing,
                "sample_weight": self.sample_weight}

    def trials_table(self) -> Any:
        """Every trial of the study as a pandas DataFrame, one row each in trial order: :meth:`trials` as a table."""
        import pandas as pd

        return pd.DataFrame(self.trials(), columns=["state", *_ROW_KEYS, *_TRIAL_KEYS])

    def trials(self) -> list[dict[str, Any]]:
        """Every finished trial of the study, one dict each in trial order (plain Python values, ready for JSON).

        ``state`` (``"complete"``, ``"pruned"``: stopped early, ``"fail"``) then the keys of :attr:`rows` (``score``
        None for a trial without values: failed, or stopped early when several objectives; Optuna gives a one-objective
        trial stopped early its last reported score), ``duration_s`` (wall seconds, None if not recorded) and
        ``stopped_at`` (the epoch a trial stopped early at, else None). The learning rate is one key,
        ``learning_rate_init``, beside ``solver``, whatever name a trial sampled it under, so trials compare.
        A trial that failed before it sampled its settings (its worker killed, then failed by a resumed search:
        ``failed_because`` "worker process N died") has them None.
        """
        fixed = self.space.fixed() if self.space is not None else {}
        trials = self.study.get_trials(deepcopy=False) if self.study is not None else []
        return [{"state": t.state.name.lower(), **(_row(t, fixed) if "hidden" in t.params else _unsampled_row(t)), **_trial_extra(t)}
                for t in trials if t.state.is_finished() and ("hidden" in t.params or t.state.name == "FAIL")]

    def within_noise(self) -> list[int]:
        """The other finished trials whose score is within one fold standard deviation (``score_sd``) of the best row's:
        the folds cannot tell them from the best. Empty with one fold or when nothing comes that close."""
        sd = self.best.get("score_sd") if self.rows else None
        if sd is None:
            return []
        floor = self.best["score"] - sd
        return [t["trial"] for t in self.trials()
                if t["state"] == "complete" and t["trial"] != self.best["trial"] and t["score"] is not None and t["score"] >= floor]

    def noise_note(self) -> str | None:
        """One sentence on the best score's noise for the table and the page: its fold sd, and the trials within it (None with one fold)."""
        sd = self.best.get("score_sd") if self.rows else None
        if sd is None:
            return None
        close = self.within_noise()
        shown = ", ".join(map(str, close[:8])) + (", ..." if len(close) > 8 else "")
        return (f"score: mean over the folds, sd: their standard deviation; the best is {self.best['score']:.4g} ± {sd:.2g}"
                + (f", and {len(close)} other trial(s) score within one sd of it ({shown}): the folds cannot tell them apart"
                   if close else ", and no other trial scores within one sd of it"))

    def _caption(self) -> str | None:
        parts = [p for p in (self.noise_note(), self.same_latency_rule()) if p]
        return "; ".join(parts) if parts else None

    def failures(self) -> list[str]:
        """``"trial 3: ValueError: training diverged ..."`` for every failed trial of the study, in trial order."""
        return [f"trial {t['trial']}: {t['failed_because']}" for t in self.trials() if t["state"] == "fail"]

    def same_latency_rule(self) -> str | None:
        """What "the same latency" meant when the Pareto front was picked (:data:`SAME_LATENCY_RULE`); None when latency was no objective."""
        return SAME_LATENCY_RULE if "latency" in self.objectives[1:] else None

    def _title(self) -> str:
        return "best trial" if len(self.objectives) == 1 else f"Pareto front ({len(self.rows)} configurations)"

    def _counts(self) -> str:
        failed = f", {self.n_failed} failed" if self.n_failed else ""  # trials() says why
        counts = f"{self.n_complete} complete, {self.n_pruned} stopped early{failed} of {self.n_trials} trials"
        if self.max_latency_us is not None:  # what the limit left out: those trials are in no row
            counts += f"; {self.n_infeasible} over the latency limit of {self.max_latency_us:g} µs"
        weighted = scoring_text(self._scoring())
        if weighted:  # the score that ranked the trials is not the plain one
            counts += f"; scored with {weighted}"
        return counts

    def _columns(self) -> list[str]:
        """The table's columns: the settings, then the objectives, then params, FLOPs and latency when the rows have them.

        Latency shows whenever it was measured, an objective or not: under ``max_latency_us`` alone it is
        what made the other trials infeasible.
        """
        cols = ["trial", "hidden", "activation", "lr", "alpha", "dropout", "batch"]
        cols += [c for c, key in (("solver", "solver"), ("averaging", "weight_averaging")) if self._shows(key)]
        cols += list(self.objectives)
        if any(r.get("score_sd") is not None for r in self.rows):  # the score's spread over the folds, beside it
            cols.insert(cols.index("score") + 1, "sd")
        cols += [c for c in ("params", "flops", "latency") if c not in cols and any(r.get(c) is not None for r in self.rows)]
        if "latency" in cols:  # a latency says what it was measured under
            cols.insert(cols.index("latency") + 1, "threads")
        return cols

    def _shows(self, key: str) -> bool:
        """Whether the table shows a row's ``solver`` / ``weight_averaging``: when the space offered several, or a row's is not the default."""
        offered = getattr(self.space, "solvers" if key == "solver" else key, ()) if self.space is not None else ()
        return len(set(offered)) > 1 or any(r.get(key, UNSEARCHED[key]) != UNSEARCHED[key] for r in self.rows)

    def table(self) -> Any:
        """A Rich table of the best rows: each configuration and its objectives, titled with the trial counts."""
        from ..._rich_plain import PlainTable  # cells, titles and captions print as given (paths, names)

        t = PlainTable(title=f"{self._title()} — {self._counts()}", caption=self._caption())
        cols = self._columns()
        for c in cols:
            t.add_column(c, justify="left" if c in ("hidden", "activation", "solver", "averaging") else "right")
        for r in self.rows:
            t.add_row(*(_cell(r, c) for c in cols))
        return t

    def __rich__(self) -> Any:
        return self.table()

    def __repr__(self) -> str:
        best = self.rows[0] if self.rows else None
        shown = "no configuration finished" if best is None else (
            f"best hidden={best.get('hidden')}, score={best.get('score', float('nan')):.4g}"
            + "".join(f", {o}={best[o]:,.4g}" for o in self.objectives[1:] if isinstance(best.get(o), (int, float))))
        return f"SearchResult({self._title()}: {shown}; {self._counts()}; print() shows the table)"

    def __str__(self) -> str:
        """The table as plain text, so ``print(hl.search(...))`` shows it (no colours, 140 columns)."""
        from .._plain import plain_text

        return plain_text(self.table())

    def save_html(self, path: str | os.PathLike[str]) -> None:
        """One self-contained HTML page (the reports' shared shell): the table and a plot (inline SVG) of every trial, best ones marked.

        Parameters
        ----------
        path : str or PathLike
            The HTML file to write.
        """
        import io

        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from ..._html import page, table_html, write_page

        done = [t for t in (self.study.get_trials(deepcopy=False) if self.study is not None else []) if t.values]
        best = {r["trial"] for r in self.rows}
        x_name = self.objectives[1] if len(self.objectives) > 1 else "trial"
        starred = "best trial" if len(self.objectives) == 1 else "Pareto front"
        fig = Figure(figsize=(7, 4.5), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        for mark, group in (("o", [t for t in done if t.number not in best]), ("*", [t for t in done if t.number in best])):
            xs = [t.values[1] if x_name != "trial" else t.number for t in group]
            ax.scatter(xs, [t.values[0] for t in group], marker=mark, s=90 if mark == "*" else 25,
                       c="tab:red" if mark == "*" else "tab:gray", label=starred if mark == "*" else "other trials")
        if x_name in ("params", "flops"):
            ax.set_xscale("log")
        ax.set_xlabel(x_name + (" (µs)" if x_name == "latency" else ""))
        ax.set_ylabel("validation score")
        ax.legend()
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        svg = buf.getvalue()
        svg = svg[svg.index("<svg"):]  # the <svg> element only: no XML prolog or DOCTYPE (with its URL) inside the HTML body
        cols = self._columns()
        table = table_html(cols, [[_cell(r, c) for c in cols] for r in self.rows])
        shown = f"{len(self.rows)} of {self.n_trials} trials shown ({self._counts()}); objectives: {', '.join(self.objectives)}."
        lead = f"Every trial's validation score; stars mark the {starred}." + (f" On it, {self.same_latency_rule()}." if self.same_latency_rule() else "")
        lead += f" The {self.noise_note()}." if self.noise_note() and len(self.objectives) == 1 else ""
        text = page(f"Search: {self.study_name}", shown, [
            ("trials", "Trials", lead, f"<figure>{svg}</figure>"),
            ("best", self._title()[0].upper() + self._title()[1:], "The kept trials: settings, validation score and costs.", table),
        ], footer="Written by hiddenlayers search — one self-contained file, no network needed.")
        write_page(path, text, example="search.html")


def _cell(r: dict[str, Any], col: str) -> str:
    """One row's value in column ``col``, formatted as in the terminal table (and the HTML page)."""
    if col == "threads":
        return _threads_cell(r)
    if col == "averaging":  # an SWA that never started (the trial stopped or peaked before it) is said so
        kind = r.get("weight_averaging")
        return "none" if kind is None else kind if r.get("averaged") else f"{kind} (not reached)"
    key = {"lr": "learning_rate_init", "batch": "batch_size", "sd": "score_sd"}.get(col, col)
    v = r.get(key)
    if v is None:
        return "-"
    if col in ("lr", "alpha"):
        return f"{v:.2g}"
    if col == "dropout":
        return f"{v:.2f}"
    if col in ("score", "sd"):
        return f"{v:.4g}"
    if col == "latency":
        return f"{v:.4g} µs"
    if col in ("params", "flops"):
        return f"{int(v):,}"
    return str(v)


def _threads_cell(r: dict[str, Any]) -> str:
    """``"4 torch, 1 BLAS"``: the threads a row's latency was measured under; ``"-"`` when not recorded."""
    torch_threads, blas = r.get("torch_threads"), r.get("blas_threads")
    if torch_threads is None:
        return "-"
    return f"{torch_threads} torch" + ("" if blas is None else f", {blas} BLAS")


def _best_epoch(t: Any) -> int | None:
    if t.user_attrs.get("best_epoch"):
        return int(t.user_attrs["best_epoch"])
    curve = [v if v is not None else -np.inf for v in t.user_attrs.get("curve", [])]
    return int(np.argmax(curve)) + 1 if curve else None


#: a result row's keys, in order (:func:`_row`)
_ROW_KEYS = ("trial", "hidden", "activation", "learning_rate_init", "alpha", "dropout", "batch_size", "solver", "weight_averaging",
             "averaged", "params", "flops", "latency", "latency_spread", "torch_threads", "blas_threads", "epochs", "best_epoch", "score", "score_sd")
_TRIAL_KEYS = ("duration_s", "stopped_at", "failed_because")  # what a trial row of trials() adds to a result row
UNSEARCHED = {"solver": "adam", "weight_averaging": None}  # what trials trained with before these were searched


def _row(t: Any, space_fixed: dict[str, Any]) -> dict[str, Any]:
    """One result row: what trial ``t`` trained with (sampled and fixed settings) and what it scored.

    Settings the space fixed are in the trial's ``fixed`` attribute; a trial
    stored before that attribute existed gets those of ``space_fixed`` (this
    search's space), and one stored before solvers and weight averaging were
    searched gets ``UNSEARCHED`` (what every trial trained with then). ``averaged``:
    whether the trial's score was of averaged weights (an SWA that patience or the
    peak's epoch left before its start averaged none: the refit then averages none either).
    The learning rate is ``learning_rate_init`` whatever name the trial sampled it under
    (``learning_rate_init[sgd]`` when the solvers' ranges differ), so rows of every solver compare.
    A trial without values (failed) has ``score`` None.
    """
    p = {**space_fixed, **UNSEARCHED, **t.user_attrs.get(FIXED_ATTR, {}), **t.params}
    for name, value in t.params.items():  # a rate sampled under its solver's name (learning_rate_init[sgd]): one key for all
        if is_rate_name(name):
            p[RATE] = value
    return {
        "trial": t.number, "hidden": p["hidden"], "activation": p["activation"],
        "learning_rate_init": p["learning_rate_init"], "alpha": p["alpha"], "dropout": p.get("dropout", 0.0),
        "batch_size": p["batch_size"], "solver": p["solver"], "weight_averaging": p["weight_averaging"],
        "averaged": bool(t.user_attrs.get(AVERAGED_ATTR, False)),
        "params": t.user_attrs.get("params"), "flops": t.user_attrs.get("flops"),
        "latency": t.user_attrs.get("latency_us"), "latency_spread": t.user_attrs.get("latency_spread_us"),
        "torch_threads": t.user_attrs.get("torch_threads"),
        "blas_threads": t.user_attrs.get("blas_threads"), "epochs": t.user_attrs.get("epochs"), "best_epoch": _best_epoch(t),
        "score": t.values[0] if t.values else None, "score_sd": _fold_sd(t),
    }


def _unsampled_row(t: Any) -> dict[str, Any]:
    """The row of trial ``t``, failed before it sampled any setting: its number, every other key None.

    Why: such a trial (a worker killed between Optuna creating it and its first setting) counted in ``n_failed``, but
    :meth:`SearchResult.trials`, :meth:`~SearchResult.failures` and ``hiddenlayers search``'s failures note left it
    out, so a resumed search said nothing of why a trial of its ``trials`` failed."""
    return {**dict.fromkeys(_ROW_KEYS), "trial": t.number, "averaged": False}


def _fold_sd(t: Any) -> float | None:
    """The standard deviation (ddof=1) of trial ``t``'s fold scores at its best epoch: how far its score moves with the rows
    it is held out on; None with one fold, a fold without a score, or a trial stored before they were recorded."""
    folds = t.user_attrs.get(FOLD_SCORES_ATTR) or []
    if len(folds) < 2 or any(v is None for v in folds):
        return None
    return float(np.std(folds, ddof=1))


def _trial_extra(t: Any) -> dict[str, Any]:
    """Trial ``t``'s wall time in seconds; stopped early, its epoch then (a trial stored before ``stopped_at`` was: its epochs);
    failed, why (``failed_because``: the exception in one line; "reason not recorded" for a trial stored before it was)."""
    duration = t.duration.total_seconds() if t.duration is not None else None
    stopped = t.user_attrs.get("stopped_at", t.user_attrs.get("epochs")) if t.state.name == "PRUNED" else None
    failed = (t.user_attrs.get(FAILED_ATTR) or "reason not recorded") if t.state.name == "FAIL" else None
    return {"duration_s": duration, "stopped_at": None if stopped is None else int(stopped), "failed_because": failed}


def pareto_front(trials: list[Any], objectives: tuple[str, ...] | None = None) -> list[Any]:
    """The trials no other trial dominates: score (``values[0]``) maximised, every other value minimised.

    A trial dominates another when it is at least as good in every objective
    and better in one; trials with equal values dominate neither and are all kept.
    ``objectives`` names the values; a ``"latency"`` among them compares within the
    measurement's resolution (:func:`same_latency`), so a model worse on score and
    not meaningfully faster is dominated. Without ``objectives`` every value compares exactly.
    """
    latency_at = objectives.index("latency") if objectives is not None and "latency" in objectives else None
    return [a for a in trials if not any(b is not a and dominates(b, a, latency_at) for b in trials)]


def _feasible(t: Any, max_latency_us: float | None) -> bool:
    """Whether trial ``t`` meets this search's latency limit, judged from its measured latency.

    Not from the constraint stored with the trial: a resumed study may have been
    run under another limit (or none), and its trials are judged by this one.
    A trial without a measured latency cannot be shown to meet a limit.
    """
    if max_latency_us is None:
        return True
    latency = t.user_attrs.get("latency_us")
    return latency is not None and latency <= max_latency_us


def _nothing_found(trials: list[Any], complete: list[Any], max_latency_us: float | None, study: Any = None) -> str:
    """Why no trial can be chosen, and the fix: every trial failed (the first's reason), or none complete met the limit
    (``study`` given: said as the early stop of :mod:`~hiddenlayers.rightsize._search.reach` when the search stopped so)."""
    from .reach import out_of_reach_text

    early = out_of_reach_text(study, max_latency_us) if study is not None and complete else None
    if early is not None:
        return f"no feasible trial finished: {early}"
    failed = [t for t in trials if t.state.name == "FAIL"]
    if not complete and failed:
        reason = failed[0].user_attrs.get(FAILED_ATTR) or "reason not recorded"
        return (f"no trial finished: {len(failed)} of {len(trials)} failed (trial {failed[0].number}: {reason}) and "
                f"{len(trials) - len(failed)} stopped early or ran no further; fix what the failure names and run again.")
    if complete and max_latency_us is not None:
        return (f"no feasible trial finished: all {len(complete)} complete trials of {len(trials)} are over the latency limit of "
                f"{max_latency_us:g} µs: raise max_latency_us or search smaller networks.")
    return f"no trial finished ({len(complete)} complete of {len(trials)}): run more trials, or a longer timeout."


def _result(study: Any, setup: TrialSetup, objectives: tuple[str, ...], storage: Any, name: str,
            save_dir: Any, max_saved: int, refit: bool, data: tuple[Any, Any],
            before_refit: Callable[[SearchResult], None] | None = None) -> SearchResult:
    import optuna

    S = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == S.COMPLETE]
    feasible = [t for t in complete if _feasible(t, setup.max_latency_us)]
    if not feasible:
        raise RuntimeError(_nothing_found(trials, complete, setup.max_latency_us, study))
    if len(objectives) == 1:
        best = [max(feasible, key=lambda t: (t.values[0], -t.user_attrs.get("params", 0)))]  # ties: the smaller network
    else:
        best = pareto_front(feasible, objectives)
    rows = sorted((_row(t, setup.space.fixed()) for t in best), key=lambda r: -r["score"])
    for r in rows:
        for o in objectives:
            r.setdefault(o, None)
    result = SearchResult(
        objectives=objectives, rows=rows, n_trials=len(trials), n_complete=len(complete),
        n_pruned=sum(t.state == S.PRUNED for t in trials), n_failed=sum(t.state == S.FAIL for t in trials), study_name=name,
        storage=None if storage is None else str(storage), study=study,
        max_latency_us=setup.max_latency_us, n_infeasible=len(complete) - len(feasible),
        class_weight=setup.class_weight, label_smoothing=setup.label_smoothing, sample_weight=setup.sample_weight is not None,
        space=setup.space, budget=budget_of(setup), validation_set=(setup.data or {}).get("validation"),
    )
    if refit:
        if before_refit is not None:  # e.g. the command line's outputs checked again: one taken during the trials is refused before the refits' work
            before_refit(result)
        for r in rows[:max_saved]:
            # all the data, for as many epochs as the trial's mean fold curve needed to peak
            model = build_estimator(r, setup, None, epochs=r["best_epoch"] or setup.max_epochs)
            fit_or_interrupt(model, *data, setup.sample_weight)  # Ctrl-C: no half-trained model saved as the chosen one
            result.models.append(model)
            if save_dir is not None:  # checked before the trials (search._check_save_dir); made here, as the files come
                Path(save_dir).mkdir(parents=True, exist_ok=True)
                path = Path(save_dir) / f"{name}-trial{r['trial']}.safetensors"
                model.save(path)
                result.paths.append(str(path))
    return result


__all__ = ["SearchResult"]
