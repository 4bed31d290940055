"""What ranked a search's trials: its ``class_weight``, ``label_smoothing`` and whether rows had a ``sample_weight``.

These change the held-out score the trials are ranked by, so a result says
them (:func:`scoring_text`) and a resumed study refuses a call whose settings
differ from those its trials were scored with (:func:`check_resumed_scoring`):
their scores would not rank together.
"""

from __future__ import annotations

from typing import Any

from .run import TrialSetup


def scoring_of(setup: TrialSetup) -> dict[str, Any]:
    """``{"class_weight", "label_smoothing", "sample_weight"}`` of this search, as its trials record them
    (``class_weight`` in its JSON form: a dict as ``[[label, weight], ...]``; ``sample_weight``: given or not)."""
    from ...estimators import class_weight_to_json

    return {"class_weight": class_weight_to_json(setup.class_weight), "label_smoothing": float(setup.label_smoothing),
            "sample_weight": setup.sample_weight is not None}


def _stored(trial: Any) -> dict[str, Any]:
    """The settings trial ``trial`` was scored with; those stored before they were recorded had none (None, 0.0, no weights)."""
    a = trial.user_attrs
    return {"class_weight": a.get("class_weight"), "label_smoothing": float(a.get("label_smoothing", 0.0)),
            "sample_weight": bool(a.get("sample_weight", False))}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two settings score alike: a dict ``class_weight`` compared as a mapping (order, int/float aside)."""
    from ...estimators import class_weight_from_json

    def cw(s: dict[str, Any]) -> Any:
        v = class_weight_from_json(s["class_weight"])
        return {k: float(w) for k, w in v.items()} if isinstance(v, dict) else v

    return cw(a) == cw(b) and a["label_smoothing"] == b["label_smoothing"] and a["sample_weight"] == b["sample_weight"]


def scoring_text(scoring: dict[str, Any], *, every: bool = False) -> str:
    """``"class_weight='balanced', label_smoothing=0.1, sample_weight given"``: the settings that differ from none
    (all three with ``every``); ``""`` when none is set."""
    from ...estimators import class_weight_from_json

    parts = []
    cw = class_weight_from_json(scoring["class_weight"])
    if every or cw is not None:
        parts.append(f"class_weight={cw!r}")
    if every or scoring["label_smoothing"]:
        parts.append(f"label_smoothing={scoring['label_smoothing']:g}")
    if every or scoring["sample_weight"]:
        parts.append("sample_weight " + ("given" if scoring["sample_weight"] else "none"))
    return ", ".join(parts)


def check_resumed_scoring(study: Any, setup: TrialSetup, storage: Any) -> None:
    """A one-line ValueError when study ``study`` (resumed from ``storage``) holds finished or stopped trials
    scored with other settings than this search's: mixed, they would be ranked by different scores."""
    import optuna

    S = optuna.trial.TrialState
    mine = scoring_of(setup)
    for t in study.get_trials(deepcopy=False, states=(S.COMPLETE, S.PRUNED)):
        theirs = _stored(t)
        if not _same(theirs, mine):
            raise ValueError(
                f"study {study.study_name!r} in {storage} holds trials scored with {scoring_text(theirs, every=True)}, and this search "
                f"has {scoring_text(mine, every=True)}: their scores do not rank together. Pass a new study_name, "
                "or the settings the study was run with.")


def _data_text(data: dict[str, Any]) -> str:
    """``"classification on 178 rows x 13 columns (digest 0123abcd...)"``: a trial's recorded data in words."""
    held = data.get("validation")
    scored = "scored on folds of them" if held is None else f"scored on {held['rows']} validation rows (digest {held['digest']})"
    return f"{data['task']} on {data['rows']} rows x {data['columns']} columns (digest {data['digest']}), {scored}"


def check_resumed_data(study: Any, setup: TrialSetup, storage: Any) -> None:
    """A one-line ValueError when study ``study`` (resumed from ``storage``) holds finished or stopped trials
    scored on other data (another target, task, rows or columns; :func:`~hiddenlayers.rightsize._search.run.data_of`).

    Why: Optuna resumes a study whatever the objective computes, so a study of one target resumed on another
    ranked an accuracy beside an R² and saved the winner refitted on the new target. Trials stored before
    the data was recorded are not judged.
    """
    import optuna

    S = optuna.trial.TrialState
    if setup.data is None:
        return
    for t in study.get_trials(deepcopy=False, states=(S.COMPLETE, S.PRUNED)):
        theirs = t.user_attrs.get("data")
        if isinstance(theirs, dict) and theirs != setup.data:
            raise ValueError(
                f"study {study.study_name!r} in {storage} holds trials scored on other data ({_data_text(theirs)}), and this search "
                f"has {_data_text(setup.data)}: their scores do not rank together. Pass a new study_name, "
                "or the data and target the study was run with.")


def check_resumed_objectives(study: Any, objectives: tuple[str, ...], storage: Any) -> None:
    """A one-line ValueError when study ``study`` (resumed from ``storage``) was run for other objectives; a new study
    (no trials) gets them as Optuna's metric names (``study.set_metric_names``: the dashboard shows them too).

    Why: the directions alone were checked, and ``("score", "params")`` and ``("score", "flops")`` have the same,
    so a resumed search ranked one trial's parameter count against another's FLOPs on one Pareto axis.
    A study with trials and no metric names (stored before they were set) is not judged.
    """
    import warnings

    import optuna

    names = getattr(study, "metric_names", None)
    if names is not None and list(names) != list(objectives):
        raise ValueError(
            f"study {study.study_name!r} in {storage} was run for the objectives {', '.join(names)}, and this search has "
            f"{', '.join(objectives)}: their values do not compare. Pass a new study_name, or the objectives the study was run with.")
    if names is None and not study.get_trials(deepcopy=False) and hasattr(study, "set_metric_names"):
        with warnings.catch_warnings():  # experimental in Optuna 4; the user can do nothing about it
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(list(objectives))


__all__ = ["check_resumed_data", "check_resumed_objectives", "check_resumed_scoring", "scoring_of", "scoring_text"]
