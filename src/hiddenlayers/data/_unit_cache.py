"""A streamed fit's preprocessed rows, kept in memory across its passes when the whole training share is small.

Why: every pass of ``fit(ParquetSource)`` reads its units again (Arrow, pandas, then ``TablePreprocessor.transform``),
which costs a fixed ~50 ms per CSV file or row group here beside the rows' own work: on a few small files the reading, not
the training, was most of a streamed fit (178 rows in 3 CSV files: 155 ms a pass, where a pass's training took ~30 ms).
A source this small gains nothing from streaming, so its blocks are read once and replayed; a large one (over
:data:`CACHE_BYTES` preprocessed) is never held, so a fit's memory stays bounded by its chunks, as the issue's 5 GB
benchmark needs.

The blocks kept are those :meth:`~._stream.ParquetSource.weighted_chunks` builds from each record batch (float32
features, raw target, float64 weights), in the same order, so a cached pass yields the very chunks a read one would:
the shuffling, the row limit and the chunk sizes apply after, unchanged (``tests/data/test_unit_cache.py`` compares
them bit for bit). Only the preprocessing the cache was made for is replayed; another one reads the files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

#: the most preprocessed bytes (float32 features, target and weight per row, estimated before reading) a fit keeps
CACHE_BYTES = 256 * 2**20

Block = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


class UnitCache:
    """The preprocessed blocks of ``units`` of a source, read once for a fit's passes when they all fit in ``max_bytes``.

    Parameters
    ----------
    units_rows : sequence of int
        The rows of every unit of the source (its scan's ``units_rows``), indexed by unit.
    units : iterable of int
        The units this fit reads each pass (a rank's share).
    preprocessor : TablePreprocessor
        The preprocessing the blocks are made with; the cache serves that one only.
    max_bytes : int, optional
        The estimate at or under which the blocks are kept (default :data:`CACHE_BYTES`); above, nothing is kept.
    """

    def __init__(self, units_rows: Sequence[int], units: Iterable[int], preprocessor: Any, max_bytes: int | None = None) -> None:
        limit = CACHE_BYTES if max_bytes is None else int(max_bytes)
        rows = sum(int(units_rows[u]) for u in set(units))
        per_row = 4 * len(preprocessor.output_names) + 16  # float32 features, an 8-byte target cell and weight
        self.preprocessor = preprocessor
        self.enabled = rows * per_row <= limit
        self._blocks: dict[int, list[Block]] = {}

    def blocks(self, unit: int, preprocessor: Any, read: Iterator[Block]) -> Iterator[Block]:
        """Unit ``unit``'s blocks: replayed when kept, else ``read`` (the source's reader), kept as they pass when the cache serves
        ``preprocessor`` and the unit is read to its end (a pass stopped early by a row limit keeps nothing of it).

        Parameters
        ----------
        unit : int
            The unit.
        preprocessor : TablePreprocessor
            The preprocessing of the caller's pass.
        read : iterator of (X, y, w)
            The unit's blocks as the source reads them; not started when the unit is kept.
        """
        kept = self._blocks.get(unit)
        if kept is not None and preprocessor is self.preprocessor:
            yield from kept
            return
        if not (self.enabled and preprocessor is self.preprocessor):
            yield from read
            return
        seen: list[Block] = []
        for block in read:
            seen.append(block)
            yield block
        self._blocks[unit] = seen  # reached only when the caller read the whole unit


__all__ = ["CACHE_BYTES", "UnitCache"]
