"""Right-size: what a network costs (parameters, FLOPs, latency, energy), the
search for the smallest hidden layers that meet a target (Optuna), and pruning."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "CostReport": "._cost",
    "LayerCost": "._cost",
    "cost": "._cost",
    "time_calls": "._cost",
    "PruneReport": "._prune.prune",
    "prune": "._prune.prune",
    "SearchSpace": "._search.space",
    "SEARCH_SOLVERS": "._search.space",
    "SEARCH_AVERAGING": "._search.space",
    "DEFAULT_LEARNING_RATES": "._search.space",
    "search": "._search.search",
    "check_search_options": "._search.options",
    "check_search_data": "._search.search",
    "storage_problem": "._search.storage",
    "close_study": "._search.storage",
    "saved_files": "._search.saved",
    "written_for": "._search.saved",
    "record_saved": "._search.saved",
    "recorded_files": "._search.saved",
    "SearchResult": "._search.result",
    "ResumedBudgetError": "._search.budget",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
