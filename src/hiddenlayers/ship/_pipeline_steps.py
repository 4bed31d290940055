"""The scikit-learn steps a Pipeline's model file holds before its MLP, without pickle: scalers, imputers, PCA.

A step is stored as three plain parts: its class name, from the fixed allow-list ``MATRIX_STEPS`` (never an import
path read from the file), its ``get_params(deep=False)`` (numbers, text, None, and lists or tuples of them; any other
value is refused in one line), and its fitted attributes: NumPy arrays of numbers as tensors of the safetensors file
(named ``pipeline.<step>.<attribute>``, dtype and bits kept), scalars, dtypes and arrays of names in the JSON record.
Loading builds the step with its class's constructor from those parameters and sets the attributes back, so its
``transform`` is the saved one's, bit for bit. These classes' fitted state is plain arrays and numbers; a step whose
state is not (``SimpleImputer(add_indicator=True)``'s indicator, a ``PCA(random_state=np.random.RandomState())``) is
refused in one line naming the step.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .._meta import MATRIX_STEPS

#: private fitted attributes a class's transform reads, stored beside the public ones (which end with ``_``)
_PRIVATE = {"SimpleImputer": ("_fit_dtype", "_fill_dtype"), "PCA": ("_fit_svd_solver",)}
_PUBLIC = re.compile(r"[a-z][a-z0-9_]*_")
#: the array dtypes kept as tensors (what safetensors and torch hold exactly)
_TENSOR_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
_PLAIN = (type(None), bool, int, float, str)


def step_classes() -> dict[str, type]:
    """The allow-list: each of ``MATRIX_STEPS`` by name to its scikit-learn class (imported here, never from a file's text)."""
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    classes: dict[str, type] = {c.__name__: c for c in (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, SimpleImputer, PCA)}
    assert tuple(classes) == MATRIX_STEPS
    return classes


def is_matrix_step(step: Any) -> bool:
    """Whether ``step`` is an instance of one of the allow-listed classes itself (a subclass would not load back as itself)."""
    return type(step) is step_classes().get(type(step).__name__)


def _params(name: str, step: Any) -> dict[str, Any]:
    """``step``'s parameters as the file stores them: ``{"values": {...}, "tuples": [names of tuple-valued ones]}``."""
    from .._files import jsonable

    kind, values, tuples = type(step).__name__, {}, []
    for key, value in step.get_params(deep=False).items():
        items = value if isinstance(value, (list, tuple)) else [value]
        if not all(isinstance(v, (*_PLAIN, np.number, np.bool_)) for v in items):
            raise TypeError(f"step {name!r} ({kind}) has {key} of type {type(value).__name__}, which is not plain data and has no pickle-free file: "
                            "set it to a number, text or None (or a list of them) before fitting.")
        if isinstance(value, tuple):
            tuples.append(key)
        values[key] = jsonable(list(value) if isinstance(value, tuple) else value)
    return {"values": values, "tuples": tuples}


def _attribute(name: str, kind: str, attr: str, value: Any, tensors: dict[str, Any]) -> dict[str, Any]:
    """One fitted attribute as the record stores it; an array of numbers goes into ``tensors`` (name -> torch tensor)."""
    import torch

    from .._files import jsonable
    from ..estimators import SECTION_TENSORS

    if isinstance(value, (np.number, np.bool_)):  # before plain values: a np.float64 is a float too
        return {"value": jsonable(value), "numpy": value.dtype.str}
    if isinstance(value, _PLAIN):
        return {"value": jsonable(value)}
    if isinstance(value, np.dtype) and value.kind in "biufO":
        return {"dtype": value.str}
    if isinstance(value, np.ndarray) and value.dtype.name in _TENSOR_DTYPES:
        key = f"{SECTION_TENSORS}{name}.{attr}"
        tensors[key] = torch.from_numpy(np.ascontiguousarray(value).copy())
        return {"tensor": key}
    if (isinstance(value, np.ndarray) and value.dtype.kind in "OU" and value.ndim == 1
            and all(isinstance(v, (*_PLAIN, np.number, np.bool_)) for v in value.tolist())):
        return {"items": jsonable(value.tolist()), "dtype": value.dtype.str}
    raise TypeError(f"step {name!r} ({kind}) holds {attr} of type {type(value).__name__}, which has no pickle-free file: "
                    "fit it with numeric data and its default options (e.g. add_indicator=False), or save the Pipeline with its own library.")


def step_record(name: str, step: Any, tensors: dict[str, Any]) -> dict[str, Any]:
    """The record of the fitted allow-listed ``step`` named ``name``: its parameters and fitted attributes; its arrays go into ``tensors``.

    A parameter or fitted attribute that is not plain data is a one-line ``TypeError`` naming the step and the fix.
    """
    from sklearn.utils.validation import check_is_fitted

    kind = type(step).__name__
    check_is_fitted(step)  # scikit-learn's wording
    attrs = [a for a in vars(step) if _PUBLIC.fullmatch(a)] + [a for a in _PRIVATE.get(kind, ()) if hasattr(step, a)]
    fitted = {a: _attribute(name, kind, a, getattr(step, a), tensors) for a in attrs}
    return {"params": _params(name, step), "fitted": fitted}


def _value(stored: Any, tensors: dict[str, Any], name: str) -> Any:
    """One fitted attribute back from its record (the inverse of :func:`_attribute`); a damaged record is a ``TypeError``/``KeyError``."""
    from .._files import unjson
    from ..estimators import SECTION_TENSORS

    if not isinstance(stored, dict) or len(stored) not in (1, 2):
        raise TypeError(f"step {name!r} has a fitted attribute that is not a stored value")
    if "tensor" in stored:
        key = stored["tensor"]
        if not isinstance(key, str) or not key.startswith(f"{SECTION_TENSORS}{name}."):
            raise ValueError(f"step {name!r} names tensor {key!r}, not one of its own")
        return np.array(tensors[key].numpy())  # a copy the step owns, writable
    if "dtype" in stored and "items" not in stored:
        dtype = np.dtype(str(stored["dtype"]))
        if dtype.kind not in "biufO":
            raise ValueError(f"step {name!r} stores dtype {dtype} (not numbers)")
        return dtype
    if "items" in stored:
        items, dtype = unjson(stored["items"]), np.dtype(str(stored["dtype"]))
        if not isinstance(items, list) or dtype.kind not in "OU" or not all(isinstance(v, _PLAIN) for v in items):
            raise TypeError(f"step {name!r} stores items that are not a list of names or numbers")
        return np.asarray(items, dtype=object if dtype.kind == "O" else str)  # str: as wide as the items, not as a width the file gives
    value = unjson(stored["value"])
    if not isinstance(value, _PLAIN):
        raise TypeError(f"step {name!r} stores a value that is not a number, text or null")
    if "numpy" in stored:
        dtype = np.dtype(str(stored["numpy"]))
        if dtype.kind not in "biuf":
            raise ValueError(f"step {name!r} stores a scalar of dtype {dtype} (not a number)")
        return dtype.type(value)
    return value


def step_from_record(name: str, kind: str, record: Any, tensors: dict[str, Any]) -> Any:
    """The fitted step ``kind`` named ``name`` that ``record`` (:func:`step_record`'s) and the file's ``tensors`` describe.

    ``kind`` must be on the allow-list (nothing is imported by a name from the file); a damaged record is a ``TypeError``,
    ``KeyError`` or ``ValueError`` that the caller turns into a ``ModelFileError``.
    """
    from .._files import unjson

    classes = step_classes()
    if kind not in classes:
        raise ValueError(f"step {name!r} is a {kind!r}, not one of {list(classes)}")
    cls = classes[kind]
    if not isinstance(record, dict) or not isinstance(record["params"], dict) or not isinstance(record["fitted"], dict):
        raise TypeError(f"step {name!r}'s record is not a JSON object of params and fitted attributes")
    values, tuples = unjson(record["params"]["values"]), record["params"]["tuples"]
    expected = set(cls().get_params(deep=False))
    if not isinstance(values, dict) or set(values) != expected or not isinstance(tuples, list) or not set(tuples) <= expected:
        raise TypeError(f"step {name!r}'s parameters are not {kind}'s {sorted(expected)}")
    for value in values.values():
        if not all(isinstance(v, _PLAIN) for v in (value if isinstance(value, list) else [value])):
            raise TypeError(f"step {name!r}'s parameters are not numbers, text or lists of them")
    step = cls(**{k: tuple(v) if k in tuples and isinstance(v, list) else v for k, v in values.items()})
    for attr, stored in record["fitted"].items():
        if not (isinstance(attr, str) and (_PUBLIC.fullmatch(attr) or attr in _PRIVATE.get(kind, ()))):
            raise ValueError(f"step {name!r} stores {attr!r}, not a fitted attribute's name")
        setattr(step, attr, _value(stored, tensors, name))
    return step


__all__ = ["is_matrix_step", "step_classes", "step_from_record", "step_record"]
