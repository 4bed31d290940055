"""The model's input, batch by batch, from a ``DataLoader`` or any iterable of batches (for :func:`~hiddenlayers.lens.record`).

A PyTorch researcher's data lives in a ``DataLoader``; concatenating it first
(``torch.cat``) needs it all in memory. Each batch is read as:

- a tensor or array: the input itself, ``(B, ...)``;
- a tuple or list: its first item is the input (the usual ``(x, y)``);
- a dict (any mapping, e.g. a Hugging Face ``BatchEncoding``): its ``input_key`` item.

Every batch must have the same feature shape (``shape[1:]``), since the
recorded arrays are those of the concatenated input. Reading stops as soon as
``max_rows`` rows are out, so a huge (or endless) loader is not exhausted.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
from torch import Tensor
from torch.utils.data import Dataset

from ._target import Target


def is_batch_source(X: Any) -> bool:
    """True for a DataLoader, generator or other iterable of batches; False for rows (arrays, tensors, DataFrames, lists, dicts)."""
    return hasattr(X, "__iter__") and getattr(X, "shape", None) is None and not isinstance(X, (str, bytes, Mapping, list, tuple))


def _shape(x: Any) -> tuple[int, ...] | None:
    """``x``'s shape when it is array-like with a rows axis (tensor, ndarray, DataFrame, sparse matrix); else None."""
    shape = getattr(x, "shape", None)
    if not isinstance(x, (Tensor, np.ndarray)) and not hasattr(x, "__array__") and not hasattr(x, "toarray"):
        return None
    if shape is None or len(shape) == 0:
        return None
    return tuple(int(s) for s in shape)


def batch_input(batch: Any, index: int, input_key: Hashable | None = None) -> tuple[Any, tuple[int, ...]]:
    """The input of batch number ``index`` (see the module docstring) and its shape ``(B, ...)``; one-line errors otherwise."""
    where = f"batch {index}"
    if isinstance(batch, Mapping):
        if input_key is None:
            keys = ", ".join(map(repr, list(batch)[:10]))
            raise ValueError(f"{where} is a dict (keys {keys}): pass input_key= naming the model's input, e.g. record(model, loader, input_key={next(iter(batch), 'x')!r}).")
        if input_key not in batch:
            keys = ", ".join(map(repr, list(batch)[:10]))
            raise ValueError(f"{where} has no key input_key={input_key!r}: pick one of its keys ({keys}).")
        x, what = batch[input_key], f"{where}[{input_key!r}]"
    elif input_key is not None:
        raise TypeError(
            f"input_key={input_key!r} names the input in dict batches, but {where} is a {type(batch).__name__}: "
            "leave input_key out (a tensor batch is the input; a tuple's first item is)."
        )
    elif isinstance(batch, (tuple, list)):
        if not batch:
            raise TypeError(f"{where} is an empty {type(batch).__name__}: each batch must be the input, (input, ...) or a dict.")
        x, what = batch[0], f"the first item of {where}"
    else:
        x, what = batch, where
    shape = _shape(x)
    if shape is None:
        got = f"a 0-d {type(x).__name__}" if getattr(x, "shape", None) is not None else f"a {type(x).__name__}"
        raise TypeError(
            f"{what} is {got}, not an array-like input with a rows axis: batches must hold a (B, ...) tensor or array "
            "(a tensor, (x, y) tuple, or dict with input_key=)."
        )
    return x, shape


def loader_batches(target: Target, loader: Iterable[Any], *, input_key: Hashable | None = None, max_rows: int | None = None) -> Iterator[Tensor]:
    """``loader``'s inputs as tensors on the module's device, prepared as :meth:`Target.prepared` prepares rows.

    At most ``max_rows`` rows come out in all (the last batch is cut); the
    loader is not read past them. Raises when the feature shape changes, when
    the loader gives no rows, and when a model's preparation does not keep one
    network input per row (a Forecaster's lag windows need the whole series).
    """
    if isinstance(loader, Dataset):
        raise TypeError(
            f"X is a {type(loader).__name__}, which yields single examples: wrap it in torch.utils.data.DataLoader(dataset, batch_size=...) "
            "to record it batch by batch."
        )
    seen, first = 0, None
    for index, batch in enumerate(loader):
        x, shape = batch_input(batch, index, input_key)
        if first is None:
            first = shape
        elif shape[1:] != first[1:]:
            raise ValueError(
                f"batch {index} has input shape {shape} but batch 0 had {first}: every batch must have the same feature shape "
                f"(B, {', '.join(map(str, first[1:]))}); pad or resize the inputs to one shape."
            )
        if max_rows is not None and seen + shape[0] > max_rows:
            x = x.iloc[: max_rows - seen] if hasattr(x, "iloc") else x[: max_rows - seen]
        rows = min(shape[0], max_rows - seen) if max_rows is not None else shape[0]
        if rows == 0:
            continue
        prepared = target.prepared(x, offset=seen)
        n_out = getattr(prepared, "shape", (rows,))[0]
        if n_out != rows:
            raise ValueError(
                f"{type(target.estimator).__name__} turns {rows} rows into {n_out} network inputs, so a loader cannot be prepared "
                "batch by batch: pass X as one array."
            )
        seen += rows
        yield target.to_tensor(prepared)
        if max_rows is not None and seen >= max_rows:
            return  # do not pull another batch from the loader
    if seen == 0:
        raise ValueError(f"X ({type(loader).__name__}) yielded no rows: pass a loader with at least one non-empty batch.")


__all__ = ["batch_input", "is_batch_source", "loader_batches"]
