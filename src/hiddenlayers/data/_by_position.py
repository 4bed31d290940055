"""The note that a model fitted without column names reads a named table's columns by position.

A model fitted on a plain array (scikit-learn's ``n_features_in_`` and no ``feature_names_in_``) has no names to
match a table's columns to, so ``hiddenlayers predict`` and ``evaluate`` (of its ``.safetensors`` file or its ONNX
export) read them in the file's order: a file whose columns are in another order than the training array's gives
other answers, and this note is the one word the user gets of it.
"""

from __future__ import annotations

from collections.abc import Sequence


def by_position_note(columns: Sequence[object]) -> str | None:
    """The note naming ``columns`` as read by position; None where the names are the positions themselves.

    The positions themselves: ``x0, x1, ...``, scikit-learn's names for an array's columns, or ``0, 1, ...``, a
    DataFrame made from one.

    Parameters
    ----------
    columns : sequence
        A table's columns, in its order.
    """
    names = [str(c) for c in columns]
    if names in ([f"x{i}" for i in range(len(names))], [str(i) for i in range(len(names))]):
        return None
    return (f"the model was fitted without column names, so the file's columns are read by position: {', '.join(names)} "
            "(fit it on a DataFrame to have them matched by name)")


__all__ = ["by_position_note"]
