"""Model files of a scikit-learn ``Pipeline`` of preprocessing then an MLP, without pickle.

Two shapes. A fitted ``Pipeline([("pre", hl.TableEncoder()), ("clf", hl.MLPClassifier())])`` is the model that
``hiddenlayers train`` makes: a table preprocessing, then a network on its matrix. So its file is an MLP's
model file whose stored preprocessing is the encoder's ``preprocessor_.to_dict()`` (what ``train`` stores),
plus a ``"pipeline"`` section that gives the Pipeline back: the step names and kinds (``"passthrough"`` and
None steps kept in place), the Pipeline's ``verbose``/``transform_input``, the encoder's parameters,
``n_features_in_`` and ``feature_names_in_``, and the MLP's own ``feature_names_in_`` (present when the
encoder gave it a DataFrame: ``set_output(transform="pandas")``). The CLI, the server, the ONNX exporter and
a hiddenlayers without this module read the file as the MLP with its preprocessing; :func:`hiddenlayers.load`
gives the Pipeline.

Or scikit-learn steps from the allow-list ``MATRIX_STEPS`` (``make_pipeline(SimpleImputer(), StandardScaler(),
hl.MLPClassifier())``): the file is the MLP's, fitted on the steps' output, plus the same ``"pipeline"`` section with
each step's class name, parameters and fitted attributes (:mod:`._pipeline_steps`; their arrays are tensors of the
file). Its MLP alone does not read raw rows, so the file claims format version 2, which an older hiddenlayers refuses
("upgrade hiddenlayers") rather than predict without the steps; the server and the CLI's ``predict``/``evaluate`` run the
whole Pipeline, and the ONNX exporter writes its steps as nodes ahead of the MLP's graph (:mod:`._export_pipeline`).

Other pipelines are refused in one line: they have no pickle-free file. A ``memory`` cache is not a part of the
model and is not stored.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._meta import FORMAT_VERSION, MATRIX_STEPS, PIPELINE_KEY, pipeline_steps, stored_steps
from .._words import article
from ..exceptions import ModelFileError
from ._pipeline_steps import is_matrix_step, step_from_record, step_record

_MLPS = ("MLPClassifier", "MLPRegressor")
_MAX_WIDTH = 1 << 24  # columns a stored step may read: far beyond any table, far below a row that would not fit in memory
_ENCODER = "TableEncoder"
_SHAPE = ("{what} takes a Pipeline of a hl.TableEncoder, or of scikit-learn steps (" + ", ".join(MATRIX_STEPS) + "), then a "
          "hl.MLPClassifier or hl.MLPRegressor ('passthrough' steps aside)")


def is_pipeline(model: Any) -> bool:
    """Whether ``model`` is a scikit-learn ``Pipeline`` (the class itself: a subclass would not load back as itself)."""
    from sklearn.pipeline import Pipeline

    return type(model) is Pipeline


def _kind(step: Any) -> str | None:
    """A step as the file records it: its class name, or ``"passthrough"``/None for a skipped step."""
    return step if step is None or isinstance(step, str) else type(step).__name__


def _kept(pipe: Any) -> list[tuple[str, Any]]:
    """``pipe``'s ``(name, step)`` pairs that are not skipped (``"passthrough"`` or None)."""
    return [(name, step) for name, step in pipe.steps if not (step is None or isinstance(step, str))]


def _shape_problem(pipe: Any) -> str | None:
    """What keeps ``pipe`` from being a TableEncoder, or allow-listed scikit-learn steps, then an MLP, with the fix; None when it is one."""
    from ..data import TableEncoder
    from ..estimators import MLPClassifier, MLPRegressor

    kept = _kept(pipe)
    encoded = any(type(step) is TableEncoder for _, step in kept)
    for name, step in kept:
        if encoded and type(step).__name__ == "StandardScaler":
            return (f"step {name!r} is a StandardScaler: TableEncoder already standardises the numeric columns "
                    "(median fill, mean 0, sd 1), so drop the step")
    shown = ", ".join(f"{name!r} ({_kind(step)})" for name, step in pipe.steps)
    if not kept or type(kept[-1][1]) not in (MLPClassifier, MLPRegressor) or pipe.steps[-1][1] is not kept[-1][1]:
        return (f"its steps are {shown}: end it with a hl.MLPClassifier or hl.MLPRegressor (other estimators have no pickle-free "
                "file; save them with their own library)")
    before = kept[:-1]
    if encoded and len(before) != 1:
        return (f"its steps are {shown}: put one hl.TableEncoder() before the MLP and nothing else (it fills, standardises and "
                "one-hot encodes a DataFrame), or scikit-learn steps without it")
    if not before:
        return (f"its steps are {shown}: put one hl.TableEncoder() (or scikit-learn steps) before the MLP, or save the MLP alone "
                "with hl.save(pipe[-1], path)")
    odd = [(name, step) for name, step in before if not (type(step) is TableEncoder or is_matrix_step(step))]
    if odd:
        name, step = odd[0]
        return (f"step {name!r} is a {_kind(step)}, which has no pickle-free file: use " + ", ".join(MATRIX_STEPS) + " or one "
                "hl.TableEncoder() before the MLP, or save the Pipeline with its own library")
    return None


def pipeline_parts(pipe: Any, what: str = "save()") -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """``pipe``'s fitted TableEncoder (None for scikit-learn steps) and MLP, the ``"pipeline"`` record its file stores, and the
    steps' tensors (name -> torch tensor; empty with an encoder). ``what``: the caller, for errors.

    A Pipeline of another shape, or a step whose parameters or fitted state are not plain data, is a ``TypeError`` naming the
    step and the fix; one not fitted is scikit-learn's ``NotFittedError``; an MLP that already stores its own table
    preprocessing (a loaded ``train``-made one) is a ``ValueError``.
    """
    from sklearn.utils.validation import check_is_fitted

    from .._files import jsonable

    problem = _shape_problem(pipe)
    if problem is not None:
        raise TypeError(f"{_SHAPE.format(what=what)}; {problem}.")
    check_is_fitted(pipe)  # scikit-learn's wording: "This Pipeline instance is not fitted yet. Call 'fit' ..."
    kept = _kept(pipe)
    mlp = kept[-1][1]
    if getattr(mlp, "preprocessing_", None) is not None:
        raise ValueError(f"{type(mlp).__name__} in the Pipeline already stores its own table preprocessing (a model from "
                         "`hiddenlayers train`), so the encoder would run twice: save the MLP alone with hl.save(pipe[-1], path).")
    final = getattr(mlp, "feature_names_in_", None)
    record: dict[str, Any] = {
        "steps": [[str(name), _kind(step)] for name, step in pipe.steps],
        "verbose": bool(pipe.verbose),
        "transform_input": jsonable(getattr(pipe, "transform_input", None)),
        "final_feature_names_in_": None if final is None else [str(n) for n in final],
    }
    tensors: dict[str, Any] = {}
    if not is_matrix_step(kept[0][1]):
        enc = kept[0][1]
        check_is_fitted(enc, "preprocessor_")
        names = getattr(enc, "feature_names_in_", None)
        record["encoder"] = {"params": jsonable(enc.get_params(deep=False)), "n_features_in_": int(enc.n_features_in_),
                             "feature_names_in_": None if names is None else [str(n) for n in names]}
        return enc, mlp, record, tensors
    record["matrix_steps"] = {str(name): step_record(str(name), step, tensors) for name, step in kept[:-1]}
    return None, mlp, record, tensors


def save_pipeline(pipe: Any, path: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> None:
    """Write the fitted ``pipe`` (:func:`pipeline_parts`) to ``path``: an MLP file with the encoder's preprocessing, or with the
    scikit-learn steps' records and tensors (format version 2: an older hiddenlayers refuses it), and the steps."""
    from ..estimators import to_file

    enc, mlp, record, tensors = pipeline_parts(pipe)
    if enc is None:
        to_file(mlp, path, extra, sections={PIPELINE_KEY: record}, tensors=tensors, version=FORMAT_VERSION)
    else:
        to_file(mlp, path, extra, preprocessing=enc.preprocessor_.to_dict(), sections={PIPELINE_KEY: record})


def pipeline_as_model(pipe: Any, what: str = "export_onnx()") -> Any:
    """The MLP that ``pipe``'s file holds, with the encoder's preprocessing inside (for ONNX export and ``serve``): what
    ``hl.load(path, as_pipeline=False)`` of :func:`save_pipeline`'s file gives, so the export or the server is the saved
    model's. ``what``: the caller, named in a refusal. A Pipeline of scikit-learn steps has no such MLP (its MLP reads the
    steps' output): a ``TypeError``; the callers run or export those whole."""
    from .. import estimators

    enc = pipeline_parts(pipe, what)[0]  # refused in the caller's name, before any file
    if enc is None:
        shown = ", ".join(f"{name!r} ({_kind(step)})" for name, step in _kept(pipe)[:-1])
        raise TypeError(f"{what} reads a Pipeline of a hl.TableEncoder then an MLP as one MLP; this one runs scikit-learn steps {shown} "
                        "before its MLP, which reads their output: pass the Pipeline itself.")
    with tempfile.TemporaryDirectory(prefix="hl-pipeline-") as tmp:
        path = Path(tmp) / "pipeline.safetensors"
        save_pipeline(pipe, path)
        return getattr(estimators, type(pipe.steps[-1][1]).__name__).load(path)


def _names(value: Any, what: str) -> list[str] | None:
    """A stored list of column names (None stays None); anything else is a ``TypeError`` naming ``what``."""
    if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise TypeError(f"{what} is not a list of names")
    return value


def _encoder(record: dict[str, Any], state: Any) -> Any:
    """The fitted TableEncoder a file's record and stored preprocessing ``state`` describe, checked against each other."""
    from ..data import TableEncoder, TablePreprocessor

    if not isinstance(state, dict):
        raise TypeError("the file stores no table preprocessing for its TableEncoder")
    pre = TablePreprocessor.from_dict(state)
    rec = record["encoder"]
    if not isinstance(rec, dict):
        raise TypeError("the encoder's record is not a JSON object")
    params = rec["params"]
    if not isinstance(params, dict) or set(params) != set(TableEncoder().get_params()):
        raise TypeError(f"the encoder's parameters are not {sorted(TableEncoder().get_params())}")
    if not all(v is None or isinstance(v, (bool, int, float, str)) for v in params.values()):
        raise TypeError("the encoder's parameters are not numbers or text")
    # stored as the user left them (a set_params after fit included), checked at the next fit as scikit-learn does
    names = _names(rec["feature_names_in_"], "the encoder's feature_names_in_")
    n = rec["n_features_in_"]
    if names is not None and names != pre.feature_names:
        raise ValueError("the encoder's feature_names_in_ are not its preprocessing's columns")
    if isinstance(n, bool) or n != len(pre.feature_names):
        raise ValueError(f"the encoder's n_features_in_={n!r} is not its preprocessing's {len(pre.feature_names)} columns")
    return TableEncoder.from_preprocessor(pre, named=names is not None, **params)


def _matrix_steps(est: Any, record: dict[str, Any], steps: list[tuple[str, str | None]], tensors: dict[str, Any]) -> dict[str, Any]:
    """The fitted scikit-learn steps of a file's record, by name (:func:`._pipeline_steps.step_from_record`)."""
    stored = record["matrix_steps"]
    named = {name: kind for name, kind in steps if kind not in (None, "passthrough", *_MLPS)}
    if not isinstance(stored, dict) or set(stored) != set(named):
        raise TypeError(f"the stored steps are not the pipeline's {sorted(named)}")
    if est.preprocessing_ is not None:
        raise ValueError("the MLP after scikit-learn steps stores a table preprocessing too")
    return {name: step_from_record(name, str(kind), stored[name], tensors) for name, kind in named.items()}


def _check_widths(pipe: Any, est: Any) -> None:
    """A ``ValueError`` when the steps' output for one row of zeros is not as wide as the MLP's input (an altered record)."""
    import pandas as pd

    first = _kept(pipe)[0][1]
    n = first.n_features_in_
    if not isinstance(n, int) or isinstance(n, bool) or not 0 < n <= _MAX_WIDTH:  # a row of 10**12 zeros is no check
        raise ValueError(f"the first step's n_features_in_={n!r} is not a number of columns")
    row = np.zeros((1, n))
    names = getattr(first, "feature_names_in_", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pipe[:-1].transform(row if names is None else pd.DataFrame(row, columns=list(names)))
    if np.shape(out)[1:] != (est.n_features_in_,):
        raise ValueError(f"the steps give {np.shape(out)[1:]} columns for the MLP's {est.n_features_in_} inputs")


def _rebuild(est: Any, record: Any, tensors: dict[str, Any]) -> Any:
    """The Pipeline of a file's ``"pipeline"`` record around ``est`` (the file's MLP, loaded with the preprocessing);
    ``tensors``: the file's (the scikit-learn steps' arrays)."""
    from sklearn.pipeline import Pipeline

    steps = pipeline_steps(record, type(est).__name__)
    encoded = any(kind == _ENCODER for _, kind in steps)
    built = {name: _encoder(record, est.preprocessing_) for name, kind in steps if kind == _ENCODER} if encoded else \
        _matrix_steps(est, record, steps, tensors)
    final = _names(record["final_feature_names_in_"], "the MLP's feature_names_in_")
    if final is not None and len(final) != est.n_features_in_:
        raise ValueError(f"{len(final)} feature names for the MLP's {est.n_features_in_} inputs")
    verbose, given = record["verbose"], record["transform_input"]
    if not isinstance(verbose, bool):
        raise TypeError("the pipeline's verbose is not true or false")
    given = _names(given, "the pipeline's transform_input")
    est.preprocessing_ = None  # the encoder runs it: the MLP reads the matrix, as the one saved did
    if final is not None:
        est.feature_names_in_ = np.asarray(final, dtype=object)
    pipe = Pipeline([(name, est if kind in _MLPS else built.get(name, kind)) for name, kind in steps],
                    verbose=verbose, transform_input=given)
    pipe = pipe.set_output(transform="pandas") if final is not None else pipe  # the MLP was fitted on the steps' DataFrame
    if not encoded:
        _check_widths(pipe, est)
    return pipe


def pipeline_from_file(est: Any, record: Any, path: str | os.PathLike[str]) -> Any:
    """The fitted Pipeline that ``path`` stores (``record``: its ``"pipeline"`` section; ``est``: its MLP, loaded).

    A damaged or edited record, or one that disagrees with the file's preprocessing or tensors, is a :class:`ModelFileError`.
    """
    from safetensors.torch import load_file

    from ..exceptions import DataError

    try:
        tensors = load_file(str(path)) if isinstance(record, dict) and "matrix_steps" in record else {}
    except Exception as exc:
        raise ModelFileError(f"'{path}' has unreadable tensor data ({type(exc).__name__}): the file is truncated or corrupt.") from None
    try:
        return _rebuild(est, record, tensors)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, DataError) as exc:
        raise ModelFileError(f"'{path}' has inconsistent pipeline metadata ({type(exc).__name__}: {exc}); "
                             "the file was altered or is damaged.") from None


def pipeline_of_model(est: Any, path: str | os.PathLike[str]) -> Any:
    """A ``train``-made MLP (table preprocessing stored) as ``make_pipeline(TableEncoder, MLP)``, reading columns by name.

    Its records beside the encoding (target, weight column, search) stay in the file. An MLP fitted on a matrix has no encoder
    to give: ``ValueError``.
    """
    from sklearn.pipeline import make_pipeline

    from ..data import TableEncoder, TablePreprocessor

    state = est.preprocessing_
    if not (isinstance(state, dict) and state.get("kind") == "table"):
        raise ValueError(f"as_pipeline=True gives a TableEncoder and the MLP, but '{path}' holds {article(type(est).__name__)} fitted on a "
                         "matrix (no table preprocessing stored): load it with hl.load(path).")
    pre = TablePreprocessor.from_dict(state)
    enc = TableEncoder.from_preprocessor(pre, named=True, max_categories=pre.max_categories)
    est.preprocessing_ = None
    return make_pipeline(enc, est)


__all__ = ["is_pipeline", "pipeline_as_model", "pipeline_from_file", "pipeline_of_model", "pipeline_parts", "save_pipeline", "stored_steps"]
