""":func:`~hiddenlayers.rightsize.prune` of a fitted scikit-learn ``Pipeline`` ending in an MLP of ours.

The MLP is pruned on the rows through the steps before it, and the result is a new Pipeline of the same fitted steps then
the pruned MLP. Its latency is timed twice, because each answers a different question: the MLP alone on the transformed
rows (what pruning changed) and the whole Pipeline's ``predict`` on the rows as given (what its user waits for: a
``TableEncoder`` or a one-hot step can take longer than the network, and then a 2x faster network is a few percent).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..._pipe import require_fitted_head, through_head
from ...exceptions import NotFittedError
from .latency import interleaved_latency


def prune_pipeline(pipe: Any, parts: tuple[Any, Any], X: Any, y: Any, prune_model: Callable[[Any, Any, Any], Any],
                   settings: dict[str, Any]) -> Any:
    """:func:`~hiddenlayers.rightsize.prune` of ``pipe``, split by ``split_pipeline`` into ``parts`` (its steps before the MLP,
    or None, and the MLP): a new Pipeline of the same step objects (its parameters as ``pipe``'s: ``memory``, ``verbose``)
    then the MLP as ``prune_model(mlp, rows, y)`` prunes it, its ``prune_report_`` naming the steps and holding both latencies.
    ``settings``: prune's, of which the latency ones (``latency_calls``, ``big_batch``, ``latency_threads``) time the Pipeline."""
    head, last = parts
    if hasattr(last, "hidden_layer_sizes") and not hasattr(last, "network_"):
        raise NotFittedError(f"prune() needs a fitted model: this Pipeline's last step, {type(last).__name__}, is not fitted yet; "
                             "call pipe.fit(X, y) first.")
    require_fitted_head(head, last, "prune()")
    small = prune_model(last, through_head(head, X), y)
    pruned = type(pipe)(**{**pipe.get_params(deep=False), "steps": [*pipe.steps[:-1], (pipe.steps[-1][0], small)]})
    report = small.prune_report_
    report.pipeline = [f"{name}: {step if step is None or isinstance(step, str) else type(step).__name__}" for name, step in pipe.steps]
    timed = []
    if settings["latency_calls"] > 0:  # X as given: the same rows the network alone was timed on, before the steps
        timed = interleaved_latency([pipe, pruned] if report.cut else [pipe], X, big_batch=settings["big_batch"],
                                    calls=settings["latency_calls"], threads=settings["latency_threads"])
    timed += [(math.nan, math.nan)] * (2 - len(timed))  # not measured: latency_calls=0, or (after) no cut kept, as the network's
    (report.pipeline_b1_before_us, report.pipeline_big_before_ms), (report.pipeline_b1_after_us, report.pipeline_big_after_ms) = timed
    pruned.prune_report_ = report
    return pruned


__all__ = ["prune_pipeline"]
