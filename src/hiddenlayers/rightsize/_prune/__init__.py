"""Structural pruning (:func:`~hiddenlayers.rightsize.prune`), one idea per module.

``prune``: ``prune()``, its unit ranking, the cut (``shrink``) and fine-tuning,
its argument checks and ``PruneReport``; ``latency``: the interleaved latency timing;
``pipeline``: a fitted scikit-learn Pipeline ending in our MLP, its MLP pruned and the whole Pipeline timed too;
``bound``: the cross-fitted paired drop of a cut, its interval and the binary
search over the share of units removed. The public names are re-exported by
:mod:`hiddenlayers.rightsize`; ``PruneReport`` is also found here, lazily,
because pickles made before this package existed name its class
``hiddenlayers.rightsize._prune.PruneReport``.
"""

from __future__ import annotations

from ..._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {"PruneReport": ".prune"})
