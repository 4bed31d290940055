"""scikit-learn's ``set_output`` for the estimators' ``transform`` (hidden activations as pandas or polars frames).

The estimators have ``transform(X, layer=k)``, so scikit-learn treats them as transformers: a
``Pipeline(...).set_output(transform="pandas")`` calls ``set_output`` on every step that has
``transform`` and fails on one that lacks it. The configuration lives where scikit-learn keeps it
(``_sklearn_output_config``, which ``clone`` copies); an unset estimator follows the global
``sklearn.set_config(transform_output=...)``, as scikit-learn's own transformers do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

KINDS = ("default", "pandas", "polars")


def configure(est: Any, transform: str | None) -> None:
    """Record ``transform`` (``"default"``, ``"pandas"``, ``"polars"``; ``None`` leaves the setting as it is) on ``est``."""
    if transform is None:
        return
    if transform not in KINDS:
        raise ValueError(f"set_output's transform must be one of {list(KINDS)} or None. Received: transform={transform!r}.")
    if transform == "polars":
        _polars()
    est._sklearn_output_config = {**getattr(est, "_sklearn_output_config", {}), "transform": transform}


def output_kind(est: Any) -> str:
    """The container ``transform`` returns: the estimator's own setting, else scikit-learn's global one."""
    from sklearn import get_config

    own = getattr(est, "_sklearn_output_config", {}).get("transform")
    return str(own if own is not None else get_config()["transform_output"])


def wrapped(est: Any, values: np.ndarray, X: Any, names: list[str]) -> Any:
    """``values`` (n, units) as the container ``est`` is set to return, columns ``names``; a pandas frame keeps
    the index of a pandas ``X`` (as scikit-learn's transformers do)."""
    kind = output_kind(est)
    if kind == "pandas":
        import pandas as pd

        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(values, columns=names, index=index, copy=False)
    if kind == "polars":
        return _polars().DataFrame(values, schema=names, orient="row")
    return values


def _polars() -> Any:
    try:
        import polars
    except ImportError:
        raise ValueError("set_output(transform='polars') needs polars: pip install polars, or use transform='pandas'.") from None
    return polars
