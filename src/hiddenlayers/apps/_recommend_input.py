"""Checks of a ``Recommender``'s (user, item) input that the ids alone cannot catch: column order and repeated pairs.

A DataFrame is read by position, user column then item column. Columns named the other way round
(``["movieId", "userId"]``) would swap users and items at fit, and consistently after, so nothing else
would notice: :func:`refuse_swapped_columns` refuses them when both names say so clearly (a word such as
user/customer and one such as item/movie/product); neutral names (``a``, ``id1``) are never judged.
A (user, item) pair given twice is two ratings to a squared-error fit: :func:`duplicate_pairs` finds them
so ``fit`` can say so (Surprise fits them so too; ``loss="bpr"`` counts a pair once, being one positive).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..exceptions import DataError

#: words of a column name that say it holds user ids (a plural's ``s`` and a joined ``id`` are read off: ``users``, ``userid``)
USER_WORDS = frozenset({"user", "customer", "client", "member", "viewer", "listener", "reader", "buyer", "shopper", "subscriber", "visitor"})
#: words that say it holds item ids
ITEM_WORDS = frozenset({"item", "movie", "film", "product", "book", "track", "song", "artist", "album", "article", "video", "sku", "recipe",
                        "game", "restaurant", "business", "anime", "episode", "course", "hotel", "podcast", "isbn", "asin"})


def _words(name: Any) -> set[str]:
    """The lower-case words of a column name (``"movieId"``, ``"movie_id"``, ``"MovieID"``: movie, id), each also without a
    plural ``s`` and a joined ``id`` (``"userid"``: user); a name that is not a string has none."""
    if not isinstance(name, str):
        return set()
    words = set()
    for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", name):
        w = word.lower()
        words |= {w, w.removesuffix("s"), w.removesuffix("id"), w.removesuffix("ids")}
    return words


def id_side(name: Any) -> str | None:
    """``"user"`` or ``"item"`` when the column name clearly says which ids it holds (a word of one list and none of the
    other), else None.

    Parameters
    ----------
    name : Any
        A column label; only strings are read.
    """
    words = _words(name)
    user, item = bool(words & USER_WORDS), bool(words & ITEM_WORDS)
    return "user" if user and not item else "item" if item and not user else None


def swapped_id_columns(columns: Sequence[Any]) -> bool:
    """True when the two id columns are named item first and user second (``["movieId", "userId"]``).

    Parameters
    ----------
    columns : sequence of 2 labels
        The (user, item) columns in the order they would be read.
    """
    return len(columns) == 2 and id_side(columns[0]) == "item" and id_side(columns[1]) == "user"


def refuse_swapped_columns(columns: Sequence[Any], fitted: Any = None) -> None:
    """Raise a DataError when :func:`swapped_id_columns` says the frame's columns name items first and users second.

    Parameters
    ----------
    columns : sequence of 2 labels
        The DataFrame's columns, read as (user, item) by position.
    fitted : array-like of str, optional
        The model's ``feature_names_in_``: the same names in the same order are let through (a model fitted so before
        this check read them so, and refusing them would leave it no frame to read).
    """
    if not swapped_id_columns(columns) or (fitted is not None and list(fitted) == list(columns)):
        return
    first, second = columns
    raise DataError(f"X's columns are [{first!r}, {second!r}]: by their names the first holds items and the second users, but X is read "
                    f"by position, user then item, so users and items would be swapped: put the user column first, e.g. "
                    f"df[[{second!r}, {first!r}]].")


class Duplicates(NamedTuple):
    """Repeated (user, item) pairs: how many rows repeat an earlier one, and the first such row and the earlier row it repeats
    (0-based positions)."""

    repeats: int
    row: int
    earlier: int


def duplicate_pairs(users: np.ndarray, items: np.ndarray) -> Duplicates | None:
    """The rows whose (user, item) pair an earlier row holds; None when every pair is given once.

    Parameters
    ----------
    users, items : numpy.ndarray of shape (n,)
        The ids of each row (no missing id: ``check_ids`` refuses them first).
    """
    repeated = pd.DataFrame({"user": users, "item": items}).duplicated(keep="first").to_numpy()
    if not repeated.any():
        return None
    row = int(np.flatnonzero(repeated)[0])
    earlier = int(np.flatnonzero((users[:row] == users[row]) & (items[:row] == items[row]))[0])
    return Duplicates(int(repeated.sum()), row, earlier)


def duplicate_words(found: Duplicates, users: np.ndarray, items: np.ndarray, columns: Sequence[Any] | None, rating: Any) -> str:
    """``fit``'s warning on repeated pairs of a squared-error fit: the count, the first pair, what fit does and how to aggregate.

    Parameters
    ----------
    found : Duplicates
        From :func:`duplicate_pairs`.
    users, items : numpy.ndarray of shape (n,)
        The ids it was found in.
    columns : sequence of 2 labels, optional
        A DataFrame's user and item column names, used in the example (default ``'user'``, ``'item'``).
    rating : Any
        The ratings' name (a Series' ``name``) for the example; not a plain name: ``rating``.
    """
    u, i = (columns if columns is not None and all(isinstance(c, str) for c in columns) else ("user", "item"))
    name = rating if isinstance(rating, str) and rating.isidentifier() else "rating"
    pair = f"user {_plain(users[found.row])!r}, item {_plain(items[found.row])!r}"
    return (f"X holds {found.repeats} (user, item) pair(s) given more than once (first: {pair}, rows {found.earlier} and {found.row}, "
            f"0-based): loss='squared_error' fits each row as a separate rating, as Surprise does, so such a pair weighs more; to fit "
            f"one rating per pair, aggregate first, e.g. df.groupby([{u!r}, {i!r}], as_index=False).{name}.mean().")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


__all__ = ["Duplicates", "ITEM_WORDS", "USER_WORDS", "duplicate_pairs", "duplicate_words", "id_side", "refuse_swapped_columns", "swapped_id_columns"]
