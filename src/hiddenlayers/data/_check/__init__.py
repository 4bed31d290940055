"""The data checks behind :func:`hiddenlayers.check`, one idea per module.

``check``: :func:`~hiddenlayers.data.check`, which runs them and gathers the
report; ``common``: the :class:`~hiddenlayers.data.Finding` record and helpers
every check shares; ``table``: file findings, unparseable numbers, mixed types,
empty columns, infinite values, new data's other columns; ``columns``: missing,
constant, ID-like; ``leakage``: leaky columns; ``blocks``: plain numeric columns
as float64 blocks, for the checks that judge wide tables in numpy; ``duplicates``; ``labels``: fatal target problems,
imbalance, confident-learning label errors; ``outliers``; ``drift``; ``stream``:
the fast checks of a streamed table, with ``stream_rows`` (its duplicates over
every row, by row hashes), ``stream_leak`` (its leakage) and ``stream_missing``
(missingness against a numeric target); ``weights``: per-row weights
(``sample_weight``, ``zero_weight``, ``skewed_weights``); ``report``:
:class:`~hiddenlayers.data.DataReport`. The public names are re-exported by
:mod:`hiddenlayers.data`; this package exports nothing itself.
"""
