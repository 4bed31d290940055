"""The training budget a trial's score was earned under, recorded per trial and held against a resumed search's.

A trial's score is the peak of its mean held-out curve, so what bounds and shapes
that curve changes the score: ``max_epochs`` (the longest curve, and SWA's start at
3/4 of it), ``cv`` (the folds, as resolved for the rows: ``"auto"`` is 3 or 1),
``validation_fraction`` (the held-out share, used only with one split) and ``patience``
(epochs without a better score before a fold stops). Trials of one study earned
under other budgets do not rank together: 5 epochs against 50 picks the longer run.

Not budget, and never refused: ``trials``, ``timeout``, ``threads``, ``workers``
(how many trials run, and where); ``warmup_epochs`` and ``min_peers`` (when the
hopeless-trial rule may stop a trial: it stops one or leaves it alone, so a
finished trial's score is the same under any of them, and stopped trials are not
ranked); ``random_state`` (another draw of the folds and the initial weights under
the same budget, not another budget; a resumed session reseeds its sampler anyway);
``max_latency_us`` (every trial is judged under this search's limit: ``limit.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # run.py imports this module to record the budget: no import back at run time
    from .run import TrialSetup

#: the trial attribute that holds :func:`budget_of`
BUDGET_ATTR = "budget"

#: the settings of the budget, in the order an error names them
SETTINGS = ("max_epochs", "cv", "validation_fraction", "patience")


def budget_of(setup: TrialSetup) -> dict[str, Any]:
    """``{"max_epochs", "cv", "validation_fraction", "patience"}``: the budget every trial of this search is scored under.

    ``cv`` is the number of folds as resolved (``"auto"`` on the rows given); ``validation_fraction`` is None
    with more than one fold, where no split uses it (so a study of 3 folds resumes under any of it), and with the user's own
    validation rows (``cv`` 1 then; which rows is the data record's, :func:`~hiddenlayers.rightsize._search.heldout.heldout_of`).
    """
    return {"max_epochs": int(setup.max_epochs), "cv": int(setup.cv),
            "validation_fraction": float(setup.validation_fraction) if int(setup.cv) == 1 and setup.heldout is None else None,
            "patience": int(setup.patience)}


def _python(name: str, value: Any) -> str:
    """``max_epochs=5``: a setting as :func:`search` takes it."""
    return f"{name}={value!r}"


class ResumedBudgetError(ValueError):
    """A resumed study's trials were scored under another budget than this search's.

    The CLI words it with its own options (:meth:`worded`).

    Parameters
    ----------
    study_name : str
        The study.
    storage : str or object
        Where the study lives.
    theirs : dict
        The settings that differ (names of :data:`SETTINGS`) with the study's values.
    mine : dict
        The same settings with this search's values.
    """

    def __init__(self, study_name: str, storage: Any, theirs: dict[str, Any], mine: dict[str, Any]) -> None:
        self.study_name, self.storage, self.theirs, self.mine = study_name, storage, theirs, mine
        super().__init__(self.worded())

    def worded(self, spell: Callable[[str, Any], str] = _python, fix: str | None = None) -> str:
        """The one-line refusal: each setting that differs, the study's value and this search's, and the fix.

        Parameters
        ----------
        spell : callable
            ``spell(name, value)`` writes one setting (default: ``max_epochs=5``).
        fix : str, optional
            The sentence that ends the line (default: pass the study's values, or a new study_name).
        """
        theirs = ", ".join(spell(k, v) for k, v in self.theirs.items())
        mine = ", ".join(spell(k, v) for k, v in self.mine.items())
        fix = fix if fix is not None else f"Pass {theirs} (the study's), or a new study_name."
        return (f"study {self.study_name!r} in {self.storage} holds trials scored with {theirs}, and this search has {mine}: "
                f"scores earned under another training budget do not rank together. {fix}")


def check_resumed_budget(study: Any, setup: TrialSetup, storage: Any) -> None:
    """Raise :class:`ResumedBudgetError` (a one-line ValueError) when study ``study`` (resumed from ``storage``) holds
    finished or stopped trials scored under another budget (:func:`budget_of`) than this search's.

    Why: Optuna resumes a study whatever its objective computes, so a study of ``max_epochs=5`` resumed with 50
    ranked both runs' scores together and chose across them. Trials stored before the budget was recorded are not judged.
    """
    import optuna

    S = optuna.trial.TrialState
    mine = budget_of(setup)
    for t in study.get_trials(deepcopy=False, states=(S.COMPLETE, S.PRUNED)):
        stored = t.user_attrs.get(BUDGET_ATTR)
        if not isinstance(stored, dict):
            continue
        differ = [k for k in SETTINGS if k in stored and stored[k] != mine[k]]
        if "validation_fraction" in differ and None in (stored["validation_fraction"], mine["validation_fraction"]):
            # one split against folds: cv says it; folds have no validation_fraction
            differ.remove("validation_fraction")
        if differ:
            raise ResumedBudgetError(study.study_name, storage, {k: stored[k] for k in differ}, {k: mine[k] for k in differ})


__all__ = ["BUDGET_ATTR", "SETTINGS", "ResumedBudgetError", "budget_of", "check_resumed_budget"]
