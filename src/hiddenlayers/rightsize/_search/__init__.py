"""The hidden-layer search (Optuna), one idea per module.

``search``: :func:`~hiddenlayers.rightsize.search` and its worker processes;
``options``: :func:`~hiddenlayers.rightsize.check_search_options`, the checks of
its settings that need no data; ``space``: :class:`~hiddenlayers.rightsize.SearchSpace` and the
parameter / FLOP counts; ``run``: the trial objective and the worker loop
(``python -m hiddenlayers.rightsize._search.run``); ``storage``: Optuna
storages, studies and dead-worker recovery; ``saved``: the model files written for a study,
recorded in it, which a resumed search may write over; ``scoring`` and ``resumed``: what a
resumed study's trials were scored with, chose among and trained with, held
against this search's; ``budget``: the epochs, folds and patience a trial's score was
earned under, recorded per trial and held against a resumed search's; ``limit``: the latency limit a resumed study is judged by;
``reach``: the early stop under a latency limit no spec of the space meets; ``result``:
:class:`~hiddenlayers.rightsize.SearchResult`. The public names are re-exported
by :mod:`hiddenlayers.rightsize`; this package exports nothing itself.
"""
