"""Did-you-mean hints for column names: one rule for every message about a missing or unknown column.

A column the model needs (or ``--target``/``--features``/``--sample-weight`` names) that the
data lacks is most often one that was renamed (``"Age"`` for ``"age"``, ``"sepal_len"`` for
``"sepal length"``). Each such message ends with the closest available name, by
:func:`difflib.get_close_matches` on lower-cased names with a similarity of at least
:data:`CUTOFF`, and says nothing when no name is that close.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

SHOW = 10  # missing names shown in one message
CUTOFF = 0.65
"""The least :class:`difflib.SequenceMatcher` ratio (2 x matching characters / both lengths) of a name offered.

difflib's default, 0.6, offered 'income' for 'nope' (2 x 3 / 10: the letters n, o, e in order) and 'texts' for 'items';
a renamed column is closer ('colour' for 'color' 0.91, 'x1' for 'x_1' 0.8, 'customer' for 'user' 0.67)."""


def close_names(wanted: Sequence[object], available: Iterable[object]) -> list[tuple[str, str]]:
    """``(wanted name, closest available name)`` for each name of ``wanted`` that has one; an available name is used once."""
    pool = {str(a).lower(): str(a) for a in available}
    pairs = []
    for name in wanted:
        close = difflib.get_close_matches(str(name).lower(), list(pool), n=1, cutoff=CUTOFF)
        if close:
            pairs.append((str(name), pool.pop(close[0])))
    return pairs


def did_you_mean(wanted: Sequence[object], available: Iterable[object]) -> str:
    """``" Did you mean 'age'?"`` (one name wanted), ``" Did you mean 'a1' for 'a', 'b1' for 'b'?"`` (several); ``""`` when none is close.

    Parameters
    ----------
    wanted : sequence
        The names not found.
    available : iterable
        The names the user may have meant (for a model's missing inputs, the data's columns the model does not read).
    """
    pairs = close_names(wanted, available)
    if not pairs:
        return ""
    if len(wanted) == 1:
        return f" Did you mean '{pairs[0][1]}'?"
    return " Did you mean " + ", ".join(f"'{have}' for '{want}'" for want, have in pairs[:SHOW]) + "?"


def lacks_columns(missing: Sequence[object], unused: Iterable[object], *, what: str = "the data", fix: str = "add them (values may be empty)") -> str:
    """``"the data lacks column(s) 'age' that the model was trained on: add them (values may be empty). Did you mean 'Age'?"``.

    Where ``what`` is a file's ``"the data"`` and its columns look like a row of data, it says the file may lack its
    header row.

    Parameters
    ----------
    missing : sequence
        The model's input names absent from the data.
    unused : iterable
        The data's columns the model does not read, where the hint looks (a column the model reads is no rename).
    what : str
        Names the data (``"X_row"``).
    fix : str
        The remedy.
    """
    from ._column_hints import header_as_data_hint

    names = [str(u) for u in unused]
    shown = ", ".join(repr(str(m)) for m in missing[:SHOW]) + (f" and {len(missing) - SHOW} more" if len(missing) > SHOW else "")
    headless = ""
    if what == "the data":  # a file: its header may be a row of data
        headless = header_as_data_hint(names, ",".join(map(str, missing)) if len(missing) <= SHOW else "a,b,label")
    return f"{what} lacks column(s) {shown} that the model was trained on: {fix}.{did_you_mean(missing, names)}{headless}"
