"""Text columns the preprocessing reads as categories but that look like something else: IDs, and dates as text.

:class:`~._preprocessing.TablePreprocessor` one-hot encodes any text column
without error. Two kinds of column are then almost surely a mistake, and it
says so once per column with a :class:`~hiddenlayers.ColumnWarning`:

* an ID: every value distinct, more of them than ``max_categories``, so the
  model keeps ``max_categories - 1`` arbitrary values and sends every other row
  (and every new one) to ``<other>``;
* dates as text (``2021-01-03``, ``2021-01-03T10:00``): each date is a category
  of its own, so a date not seen in training means nothing to the model, and
  their order and distance are lost.

The data check (``id_columns``, ``date_text_columns``) finds the same columns
by the same test (:func:`dates_as_text`), so ``hiddenlayers train`` says it once.
"""

from __future__ import annotations

import re
import warnings

from ..exceptions import ColumnWarning

#: How many distinct values :func:`dates_as_text` parses (the most frequent first).
SAMPLE = 200
# an ISO date's start (year-month-day) before pandas decides: so '2021', '12' or '3-4' are never dates
_ISO_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def dates_as_text(values: list[str]) -> str | None:
    """One of ``values`` as an example when all of them (up to :data:`SAMPLE`) are ISO dates or timestamps, else ``None``.

    ``values``: a text column's distinct present values. A value must start as
    ``YYYY-MM-DD`` and parse with ``pd.to_datetime(format="ISO8601")``.
    """
    import pandas as pd

    sample = [str(v).strip() for v in values[:SAMPLE]]
    if not sample or not all(_ISO_START.match(v) for v in sample):
        return None
    try:  # utc=True: a sample mixing time zones (or none and one) is still dates
        parsed = pd.to_datetime(pd.Series(sample), format="ISO8601", errors="coerce", utc=True)
    except (ValueError, OverflowError):
        return None
    return sample[0] if bool(parsed.notna().all()) else None


def warn_column_hints(name: str, categories: list[str], n_present: int, max_categories: int, stacklevel: int = 3) -> str | None:
    """Warn when categorical column ``name`` holds dates as text, or is an ID; returns the reason warned (``"dates"``, ``"id"``) or ``None``.

    ``categories``: its distinct present values, most frequent first;
    ``n_present``: its count of present cells.
    """
    example = dates_as_text(categories)
    if example is not None:
        warnings.warn(ColumnWarning(
            f"column '{name}' holds dates as text (e.g. {example!r}), which the model reads as categories, one per date, unordered, a new date unknown: "
            "turn it into numbers first (e.g. days since a start date, day of week, month), or drop it.", name, "dates"), stacklevel=stacklevel)
        return "dates"
    if len(categories) == n_present and len(categories) > max_categories:
        warnings.warn(ColumnWarning(
            f"column '{name}': every value is distinct ({n_present} values): an ID? drop it or pass it as a number "
            f"(as categories it keeps {max_categories - 1} of them and sends the rest, and every new value, to '<other>').", name, "id"),
            stacklevel=stacklevel)
        return "id"
    return None


__all__ = ["SAMPLE", "dates_as_text", "warn_column_hints"]
