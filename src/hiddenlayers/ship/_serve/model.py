"""The model a server answers with: load, check request rows, encode a batch, predict.

A :class:`ServedModel` wraps a ``.safetensors`` file (read with
:func:`hiddenlayers.load`), an ``.onnx`` file (run by
:class:`hiddenlayers.ship.OnnxModel`, so PyTorch is never imported), or a
fitted estimator given in Python. Requests are checked row by row *before*
they join a batch (:meth:`ServedModel.rows`), so one bad request gets its own
4xx and never fails the batch it would have joined. Checked rows are plain
Python lists in :attr:`ServedModel.columns` order: numbers as ``float`` (NaN =
missing; text read by the CSV reader's rule, values within float32's range, see
:mod:`.values`), categories as ``str`` (``None`` = missing: null, NaN, or
a marker the CSV reader reads as missing, such as ``"NA"``; a number is the text of its category, a whole
float that of its integer, and an infinite one, JSON's ``1e400``, is refused as a numeric cell refuses it). A column the
model does not read is refused by name (with the nearest column it does read),
never ignored: a misspelt name would otherwise send a missing value.

A batch is encoded without pandas: the stored preprocessing (fill, mean,
scale, one-hot) is applied to the whole batch at once, which gives the same
bits as :class:`hiddenlayers.data.TablePreprocessor` (tested) at
about a hundredth of its cost for one row of 100 columns.

Some rows can only be refused once the batch is encoded or run: a value the
stored scaling takes beyond float32, an output that is not finite. Those rows
raise :class:`RowsRefused` with the other rows' answers, and the batcher
answers each request from its own rows: another client's huge value never
fails a good request, and no request is run twice.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..._cut import Cut
from ..._meta import WEIGHT_COLUMN_KEY
from ...data import F32_MAX, category_lookup, category_text, float32_numbers, non_finite_rows
from ...estimators import DenseModel
from ...exceptions import DataError, ModelFileError, NonFiniteOutputError
from .._batcher import RowFailures
from .keys import unknown_keys
from .values import F32_TEXT, F64_MAX, category, number, shown

TABLE_FORM = 'a JSON object with "rows" (a list of objects or lists) or "columns" (an object of lists)'


class RequestError(ValueError):
    """A request the server refuses: ``status`` is the HTTP status (4xx), the message one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle rebuilds an exception as cls(*self.args), and args holds the message alone: pass both
        # (multiprocessing and logging handlers pickle exceptions)
        return type(self), (self.status, str(self)), self.__dict__


Refusal = Callable[[int], str]  # a refused row's one-line message, given the row's 0-based index in its own request


class RowsRefused(RequestError, RowFailures):
    """422 for some rows of a batch whose other rows were answered.

    ``results`` holds one answer per row of the batch (a refused row's is
    meaningless); ``refused`` maps each refused row (0-based, in the batch) to
    its message. Raised alone (a batch of one request) it is that request's
    422 for its first refused row; the batcher answers each request of a
    larger batch by :meth:`split` of its own rows.
    """

    def __init__(self, results: list[Any], refused: dict[int, Refusal]) -> None:
        first = min(refused)
        super().__init__(422, refused[first](first))
        self.results, self.refused = results, refused

    def split(self, start: int, stop: int) -> tuple[bool, Any]:
        """The answers of rows ``start:stop`` (one request's), or the 422 naming that request's first refused row by its own index."""
        bad = [r for r in self.refused if start <= r < stop]
        if not bad:
            return True, self.results[start:stop]
        r = min(bad)
        return False, RequestError(422, self.refused[r](r - start))

    def __reduce__(self) -> tuple[Any, ...]:
        return RequestError, (self.status, str(self))  # pickled as the plain 422 (the answers stay behind)


def _fills_missing(pipe: Any) -> bool:
    """Whether the Pipeline ``pipe``'s steps fill NaN cells before anything that cannot take them (a SimpleImputer first)."""
    from .._pipeline_graph import fills_missing, kept_steps

    return fills_missing(kept_steps(pipe))


def _require_fitted(model: Any) -> None:
    """Refuse an unfitted estimator with :class:`~hiddenlayers.NotFittedError` naming its class.

    Asks scikit-learn's public ``check_is_fitted`` (which reads the estimator's
    ``__sklearn_is_fitted__``), not the estimator's private checks: ship stays off estimators' internals.
    """
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.utils.validation import check_is_fitted

    from ...exceptions import NotFittedError

    try:
        check_is_fitted(model)
    except SklearnNotFittedError:
        name = type(model).__name__
        raise NotFittedError(f"serve() needs a fitted model: this {name} instance is not fitted yet. Call fit first, or pass the path of a saved model file.") from None


def _open_safetensors(path: Path) -> Any:
    """What serves the ``.safetensors`` MLP file ``path``: a table MLP of dense layers in NumPy
    (:func:`~hiddenlayers.estimators.dense_model`: neither PyTorch nor scikit-learn is imported, so a worker starts in
    a fraction of the time), else the estimator ``hl.load`` gives, which refuses a damaged file in its own words; a
    saved Pipeline's MLP, which reads raw rows, or one of scikit-learn steps: the Pipeline, run whole."""
    from ..._files import read_metadata
    from ..._meta import stored_steps
    from ...estimators import dense_model
    from .._modelfile import load

    meta = read_metadata(path)
    fast = dense_model(path, meta)
    if fast is not None:
        return fast
    return load(path) if stored_steps(meta) else load(path, as_pipeline=False)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


OPEN_TRIES = 3  # times a model file replaced while it was being opened is opened again, before the open is refused


def _identity(path: Path) -> tuple[int, ...] | None:
    """What changes whenever the file at ``path`` does: its inode (a replacing rename), size and modification and change
    times in ns (a write in place; ``ctime`` also where a copy restores the old ``mtime``); None where there is no file."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def unchanged_while(path: Path, build: Callable[[], Any]) -> Any:
    """``build()`` (which hashes the model file ``path`` into its ``sha256``, and loads it) run while the file stays unchanged, so the sha256 it
    records is that of the bytes it loaded: a rolling reload that replaces the file between the hash and the load (or
    during the load) gets ``build`` run again on the new file, at most :data:`OPEN_TRIES` times, then a one-line
    :class:`~hiddenlayers.ModelFileError`. An error of ``build`` on a file that changed meanwhile is retried alike (a
    half-replaced file); on an unchanged file it is raised as it is.
    """
    for _ in range(OPEN_TRIES):
        before = _identity(path)
        try:
            built = build()
        except Exception:
            if _identity(path) == before:
                raise
            continue
        # the file as it was (no rename, write or copy since: timestamps alone may miss a write within a clock tick) and
        # the bytes it holds now are those built hashed (a write that kept the timestamps)
        if _identity(path) == before and _sha256(path) == built.sha256:
            return built
    raise ModelFileError(f"model file '{path}' changed while it was being loaded, {OPEN_TRIES} times: replace it in one step "
                         "(hl.save and hiddenlayers train write atomically; or copy it beside, then mv), then load or reload again.")


class ServedModel:
    """A loaded model plus what the server needs to check and encode rows for it.

    Parameters
    ----------
    source
        Path of a ``.safetensors`` or ``.onnx`` file, or a fitted
        MLPClassifier / MLPRegressor.
    version
        A counter the server raises on each reload (shown in answers).
    threads
        Threads per forward pass for an ``.onnx`` file's session (None:
        onnxruntime's defaults); the server limits NumPy's and PyTorch's itself.
    """

    no_proba = "/predict_proba needs a classifier; this model is a regressor: use /predict."
    _double, _limit = False, F32_MAX  # float32's range for the values a request sends; a float64 model's own (set in __init__)

    def __init__(self, source: Any, version: int = 1, threads: int | None = None) -> None:
        self.version = version
        self.loaded_at = time.time()
        self.path: str | None = None
        self.sha256: str | None = None
        self.onnx = None
        self.estimator: Any = None
        if isinstance(source, (str, Path)):
            p = Path(source)
            if not p.is_file():
                raise ModelFileError(f"model file '{p}' does not exist: check the path, or write one with `hiddenlayers train`.")
            self.path, self.sha256 = str(p.resolve()), _sha256(p)
            if p.suffix.lower() == ".onnx":
                from .._onnx_run import OnnxModel

                self.onnx = OnnxModel(p, threads=threads)
            else:
                self.estimator = _open_safetensors(p)
        elif type(source).__name__ in ("MLPClassifier", "MLPRegressor", "Pipeline"):  # a Pipeline: of scikit-learn steps (open_served)
            _require_fitted(source)
            self.estimator = source
        else:
            raise TypeError(f"serve() takes a model file path or a fitted MLPClassifier/MLPRegressor. Received: {type(source).__name__}.")
        # the network: a Pipeline's last step (its steps run before it, in predict)
        self._network = self.estimator.steps[-1][1] if type(self.estimator).__name__ == "Pipeline" else self.estimator
        self._numpy = isinstance(self.estimator, DenseModel)  # a table MLP file of dense layers run in NumPy, without the estimator class
        self._network_name = self.estimator.estimator if self._numpy else type(self._network).__name__
        # a float64 network (or float64 graph) takes any finite value, as its predict and `hiddenlayers predict` do
        self._double = (np.dtype(self.onnx.input_dtype) == np.float64) if self.onnx is not None else getattr(self._network, "dtype", "") == "float64"
        self._limit = F64_MAX if self._double else F32_MAX
        self.cut: Cut | None = None  # a decision threshold for /predict (.threshold.served_cut), set by the server
        self._describe()

    # ------------------------------------------------------------ what the model reads
    def _describe(self) -> None:
        """Columns (name, kind, categories), classes, target, task and weight column, from the file's stored preprocessing."""
        self.impute = True
        self.weight_column: str | None = None  # the train --sample-weight column the file records, if any
        if self.onnx is not None:
            m = self.onnx
            spec = m.spec
            self.classes = None if m.classes_ is None else m.classes_.tolist()
            self.multilabel = m.multilabel
            self.target, self.task, self.kind = m.target, m.task, "onnx"
            self.weight_column = m.weight_column
            if spec is not None:
                cols = [{"name": n, "kind": "numeric"} for n in spec["numeric"]]
                cols += [{"name": c["name"], "kind": "categorical", "categories": list(c["categories"])} for c in spec["categorical"]]
                self._missing_token = str(spec["missing_token"])
                # each known text in the spelling the graph stores (a category stored as "2.0" by an older version is sent as "2.0")
                self._stored = [{t: str(c["categories"][i]) for t, i in category_lookup(c["categories"]).items()} for c in spec["categorical"]]
            else:
                names = m.columns or [f"x{i}" for i in range(m.n_inputs)]
                cols = [{"name": n, "kind": "numeric"} for n in names]
                self.impute = m.fills_missing  # a Pipeline's export whose SimpleImputer fills NaN in the graph
            self.pre: list[dict[str, Any]] | None = None
        else:
            est = self.estimator
            self.kind = "safetensors" if self.path else "estimator"
            self.classes = est.classes_.tolist() if hasattr(est, "classes_") else None
            self.multilabel = getattr(self._network, "label_type_", "") == "multilabel-indicator"
            state = getattr(est, "preprocessing_", None) or {}
            self.target, self.task = state.get("target"), state.get("task") or ("classification" if self.classes is not None else "regression")
            self.weight_column = state.get(WEIGHT_COLUMN_KEY)
            if state.get("columns"):
                from ...data import TablePreprocessor

                self.pre = TablePreprocessor.from_dict(state).columns
                cols = [{k: c[k] for k in ("name", "kind")} | ({"categories": list(c["categories"])} if c["kind"] != "numeric" else {}) for c in self.pre]
            else:
                names = [str(n) for n in getattr(est, "feature_names_in_", [])] or [f"x{i}" for i in range(int(est.n_features_in_))]
                cols = [{"name": n, "kind": "numeric"} for n in names]
                self.pre, self.impute = None, est is not self._network and _fills_missing(est)
        self._index_columns(cols)
        # numeric columns that had no missing value in training (no indicator learned): a null there is filled, and noted
        if self.pre is not None:
            quiet = [c["name"] for c in self.pre if c["kind"] == "numeric" and not c["missing_indicator"]]
        else:  # an ONNX file lists them (an older one does not: no note, as its predict gives none)
            quiet = list((self.onnx.spec or {}).get("unlearned_missing", ())) if self.onnx is not None else []
        self._unlearned: list[int] = [self._index[n] for n in quiet if n in self._index]
        if self.pre is not None:
            self._plan()

    def _index_columns(self, cols: list[dict[str, Any]]) -> None:
        """What :meth:`rows` reads: the columns (name, kind) in order, their positions, the numeric and categorical ones."""
        self.column_info = cols
        self.columns = [c["name"] for c in cols]
        self._index = {n: i for i, n in enumerate(self.columns)}
        self._numeric = np.array([c["kind"] == "numeric" for c in cols], dtype=bool)
        self._num_idx: list[int] = np.flatnonzero(self._numeric).tolist()  # plain ints: indexing Python lists with them is faster
        self._cat_idx: list[int] = np.flatnonzero(~self._numeric).tolist()
        # per categorical column, the fitted categories spelled as a missing marker ("NA" for North America, learned from a
        # DataFrame): the model learned that exact text as a value, so a request's text is that category there (null is missing)
        self._learned_markers: dict[int, frozenset[str]] = {
            j: marked for j in self._cat_idx if (marked := frozenset(str(c) for c in cols[j].get("categories", ()) if category(str(c)) is None))}

    def _plan(self) -> None:
        """Where each stored-preprocessing output lands in the encoded matrix (in TablePreprocessor's order)."""
        assert self.pre is not None
        pos, num, ind_pos, ind_src, cats = 0, [], [], [], []
        fill, mean, scale = [], [], []
        for c in self.pre:
            if c["kind"] == "numeric":
                num.append(pos)
                fill.append(float(c["fill"]))
                mean.append(float(c["mean"]))
                scale.append(float(c["scale"]))
                pos += 1
                if c["missing_indicator"]:
                    ind_pos.append(pos)
                    ind_src.append(len(num) - 1)
                    pos += 1
            else:
                k = len(c["categories"])
                codes = category_lookup(c["categories"])
                other = pos + k if c["other"] else -1
                missing = pos + k + int(c["other"]) if c["missing_indicator"] else -1
                cats.append((pos, codes, other, missing))
                pos += k + int(c["other"]) + int(c["missing_indicator"])
        self._width = pos
        self._num_pos, self._ind_pos, self._ind_src = np.array(num, dtype=np.intp), np.array(ind_pos, dtype=np.intp), np.array(ind_src, dtype=np.intp)
        self._fill, self._mean, self._scale = np.array(fill), np.array(mean), np.array(scale)
        self._cats = cats

    # ------------------------------------------------------------ checking one request
    def rows(self, body: Any, max_rows: int) -> list[list[Any]]:
        """Checked rows of a decoded JSON body ``{"rows": [...]}`` or ``{"columns": {...}}`` (any other key is a 400).

        A row is an object by column name or a list in :attr:`columns` order.
        Every problem is a :class:`RequestError` (400 for the shape of the
        body, 413 for too many rows, 422 for a value) naming the row and column.
        """
        if not isinstance(body, dict):
            raise RequestError(400, f"the body must be {TABLE_FORM}.")
        unknown = unknown_keys(body.keys(), ("rows", "columns"), TABLE_FORM)
        if unknown is not None:  # a misspelt "rows", or a key the server would ignore: never answered as if it were not there
            raise RequestError(400, unknown)
        if not body:
            raise RequestError(400, f"the body must be {TABLE_FORM}.")
        if "rows" in body and "columns" in body:
            raise RequestError(400, 'the body has both "rows" and "columns": send one of them.')
        if "rows" in body:
            raw = body["rows"]
            if not isinstance(raw, list):
                raise RequestError(400, f'"rows" must be a list of rows. Received: {type(raw).__name__}.')
            self._check_count(len(raw), max_rows)
            return [self._row(r, i) for i, r in enumerate(raw)]
        cols = body["columns"]
        if not isinstance(cols, dict):
            raise RequestError(400, f'"columns" must be an object mapping column names to lists of values. Received: {type(cols).__name__}.')
        self._check_names(cols.keys(), "")
        lengths = {len(cols[n]) if isinstance(cols[n], list) else -1 for n in self.columns}  # the names are exactly the model's now
        if -1 in lengths:
            bad = next(n for n in self.columns if not isinstance(cols[n], list))
            raise RequestError(400, f"column '{bad}' must be a list of values, one per row.")
        if len(lengths) > 1:
            first, other = self.columns[0], next(n for n in self.columns if len(cols[n]) != len(cols[self.columns[0]]))
            raise RequestError(400, f'the lists in "columns" must all have the same length, one value per row: \'{first}\' has '
                                    f'{len(cols[first])} value(s) and \'{other}\' {len(cols[other])}; send as many values in each.')
        n = lengths.pop()
        self._check_count(n, max_rows)
        ordered = [cols[name] for name in self.columns]
        return [self._values([c[i] for c in ordered], i) for i in range(n)]

    def arrow_rows(self, table: Any, max_rows: int) -> list[list[Any]]:
        """Checked rows of a ``pyarrow.Table``: unique column names, numeric Arrow types in numeric columns, then as JSON columns."""
        import pyarrow as pa

        names = table.column_names
        dup = next((n for k, n in enumerate(names) if n in names[:k]), None)
        if dup is not None:
            raise RequestError(422, f"the Arrow stream has the column {dup!r} {names.count(dup)} times: give every column a unique name.")
        for name, kind in zip(names, table.schema.types):
            if name in self._index and self._numeric[self._index[name]] and not _arrow_numeric(pa, kind):
                raise RequestError(422, f"column {name!r} must be numeric but has the Arrow type {kind}: send integers, floats, decimals "
                                        "or booleans (or numbers as strings), null for missing.")
            if name in self._index and not self._numeric[self._index[name]] and (pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
                                                                                  or pa.types.is_fixed_size_binary(kind)):
                # as text bytes would be "b'Lyon'", never a category: every row answered as an unseen one
                raise RequestError(422, f"column {name!r} holds bytes (Arrow type {kind}), but the model learned it as text: send it as strings (utf8).")
            if name in self._index and not self._numeric[self._index[name]] and pa.types.is_temporal(kind):
                # as text a timestamp would be '2021-01-01 00:00:00', never the '2021-01-01' a CSV gave in training: every row unseen
                raise RequestError(422, f"column {name!r} holds dates or times (Arrow type {kind}), but the model learned it as text: "
                                        "send it as strings spelled as in the training data.")
        return self.rows({"columns": table.to_pydict()}, max_rows)

    @staticmethod
    def _check_count(n: int, max_rows: int) -> None:
        if n == 0:
            raise RequestError(400, "the request holds no rows: send at least one.")
        if n > max_rows:
            raise RequestError(413, f"the request holds {n} rows, more than the limit of {max_rows}: split it, or start the server with a larger --max-rows (max_rows= of hl.serve).")

    def _check_names(self, have: Any, where: str) -> None:
        """422 for a column the model does not read (first, with the nearest name it does), then for a missing one."""
        unknown = [n for n in have if n not in self._index]
        if unknown:
            raise RequestError(422, where + self._unknown_message(unknown, have))
        missing = [n for n in self.columns if n not in have]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            raise RequestError(422, f"{where}missing column(s) {shown} that the model was trained on: add them (null for a missing value).")

    def _unknown_message(self, unknown: list[Any], have: Any) -> str:
        """'unknown column ...' with a did-you-mean among the columns not sent (else all); the target is named as such."""
        name = unknown[0]
        if name == self.target:
            return f"column {name!r} is the model's target, not an input: leave it out."
        if name is not None and name == self.weight_column:
            return f"column {name!r} is the weight column the model was trained with (train --sample-weight), not an input: leave it out."
        pool = [n for n in self.columns if n not in have] or self.columns
        close = difflib.get_close_matches(str(name), pool, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
        model = ", ".join(repr(n) for n in self.columns[:10]) + (" ..." if len(self.columns) > 10 else "")
        return f"unknown column {name!r}{hint}{more}: send only the columns the model reads ({model}; see GET /metadata)."

    def _row(self, r: Any, i: int) -> list[Any]:
        if isinstance(r, dict):
            if len(r) != len(self.columns) or any(n not in r for n in self.columns):
                self._check_names(r.keys(), f"row {i + 1}: ")
            return self._values([r[n] for n in self.columns], i)
        if isinstance(r, list):
            if len(r) != len(self.columns):
                raise RequestError(422, f"row {i + 1} is a list of {len(r)} values; the model reads {len(self.columns)} (see GET /metadata for their order).")
            return self._values(r, i)
        raise RequestError(400, f"row {i + 1} must be an object (column -> value) or a list of values. Received: {type(r).__name__}.")

    def _values(self, values: list[Any], i: int) -> list[Any]:
        """One row's values, checked and normalised (float with NaN for missing numbers, str or None for categories)."""
        out = list(values)
        for j in self._num_idx:
            v = out[j]
            if (type(v) is float or type(v) is int) and -self._limit <= v <= self._limit:  # the common case; NaN fails the test
                continue
            out[j] = self._number(v, i, j)
        for j in self._cat_idx:
            v = out[j]
            if v is None:
                continue
            if type(v) is str:
                # "NA" is missing here as in a CSV, unless the model learned that exact text as one of this column's categories
                out[j] = v if v in self._learned_markers.get(j, ()) else category(v)
                continue
            if isinstance(v, (dict, list)):
                raise RequestError(422, f"row {i + 1}, column '{self.columns[j]}' holds a {type(v).__name__}: send text, a number or null.")
            if isinstance(v, float) and v in (math.inf, -math.inf):  # JSON 1e400: refused as a numeric cell refuses it, never the text "inf"
                raise RequestError(422, f"row {i + 1}, column '{self.columns[j]}' is infinite: send text or a finite number, or null for missing.")
            out[j] = None if isinstance(v, float) and v != v else category_text(v)
        if not self.impute:
            for j in self._num_idx:
                if out[j] != out[j]:
                    raise RequestError(422, f"row {i + 1}, column '{self.columns[j]}' is missing (null or NaN), and this model has no stored preprocessing to fill it: send a number.")
        return out

    def _number(self, v: Any, i: int, j: int) -> float:
        """One numeric cell by :func:`.values.number`; its ValueError becomes a 422."""
        try:
            return number(v, f"row {i + 1}, column '{self.columns[j]}'", self._double)
        except ValueError as exc:
            raise RequestError(422, str(exc)) from None

    def notes(self, rows: list[list[Any]]) -> list[str]:
        """What ``predict`` would note about one request's checked ``rows``: missing cells of numeric columns that had none in
        training, filled with the stored value though the model never saw them missing (:func:`~hiddenlayers.data.unlearned_missing_note`)."""
        counts = {self.columns[j]: n for j in self._unlearned if (n := sum(1 for r in rows if r[j] != r[j]))}
        if not counts:
            return []
        from ...data import unlearned_missing_note

        return [unlearned_missing_note(counts)]

    # ------------------------------------------------------------ one batch
    def encode(self, rows: list[list[Any]]) -> Any:
        """The model's input for checked ``rows``: the float matrix, or the ONNX graph feeds."""
        n = len(rows)
        if self.onnx is not None and self.onnx.spec is not None:
            feeds: dict[str, np.ndarray] = {}
            if len(self._num_idx):
                feeds["X"] = np.array([[r[j] for j in self._num_idx] for r in rows], dtype=self.onnx.input_dtype).reshape(n, -1)
            if len(self._cat_idx):
                tok = self._missing_token
                pairs = list(zip(self._cat_idx, self._stored))
                feeds["C"] = np.array([[tok if r[j] is None else st.get(r[j], r[j]) for j, st in pairs] for r in rows], dtype=object).reshape(n, -1)
            return feeds
        if self.pre is None:
            X = np.array(rows, dtype=np.float64).reshape(n, -1)
            return {"X": X.astype(self.onnx.input_dtype)} if self.onnx is not None else X
        out = np.zeros((n, self._width))
        if len(self._num_idx):
            X = np.array([[r[j] for j in self._num_idx] for r in rows], dtype=np.float64).reshape(n, -1)
            isnan = np.isnan(X)
            out[:, self._num_pos] = (np.where(isnan, self._fill, X) - self._mean) / self._scale
            if len(self._ind_pos):
                out[:, self._ind_pos] = isnan[:, self._ind_src]
        for (start, codes, other, missing), j in zip(self._cats, self._cat_idx):
            for i, r in enumerate(rows):
                v = r[j]
                if v is None:
                    if missing >= 0:
                        out[i, missing] = 1.0
                    continue
                code = codes.get(v)
                if code is not None:
                    out[i, start + code] = 1.0
                elif other >= 0:
                    out[i, other] = 1.0
        return out

    def predict(self, rows: list[list[Any]], proba: bool) -> list[Any]:
        """Predictions (labels or values) or class probabilities for ``rows``, as JSON-able lists."""
        if proba and self.classes is None:
            raise RequestError(400, self.no_proba)
        x = self.encode(rows)
        if self.onnx is not None:
            out = self.onnx.session.run(None, x)[0]
            return _require_finite(out, self._answers(out if proba else self._labels(out, self.onnx.decode), proba))
        refused = self._check_scaled(x, rows) if self.pre is not None else {}
        if self.pre is None and hasattr(self.estimator, "feature_names_in_") and not self._numpy:
            import pandas as pd

            x = pd.DataFrame(x, columns=self.columns)  # the names it was fitted with, so scikit-learn does not warn
        try:
            net = self._network
            if net is not self.estimator:  # a Pipeline of scikit-learn steps: the steps' output is what its MLP reads
                x = self.estimator[:-1].transform(x)
            if proba or self.classes is None:
                res = p = net.predict_proba(x) if proba else net.predict(x)
            else:  # labels hide the outputs they come from: one pass gives both, the probabilities are checked
                res, p = net.predict_with_proba(x)
        except NonFiniteOutputError as exc:  # rows the network overflows on: refused one by one below, the others answered
            res, p = exc.answer if isinstance(exc.answer, tuple) else (exc.answer, exc.answer)
        except (ValueError, DataError) as exc:
            raise RequestError(422, str(exc).splitlines()[0]) from None
        if self.cut is not None and not proba:
            res = self.cut.labels(p, self.classes)
        return _require_finite(p, self._answers(res, proba), refused)

    def _labels(self, out: np.ndarray, decode: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """The labels of a graph's output ``out`` (its probabilities): cut at :attr:`cut`'s threshold where one is set, else ``decode``d."""
        return self.cut.labels(out, self.classes) if self.cut is not None else decode(out)

    def _answers(self, values: np.ndarray, proba: bool) -> list[Any]:
        """``values`` (labels, probabilities or a regressor's values) as JSON-able lists; a float32 network's numbers with
        float32's shortest digits (0.3, not 0.30000001192092896), as ``hiddenlayers predict`` writes them. Labels stay as they are."""
        if (proba or self.classes is None) and not self._double and np.issubdtype(values.dtype, np.floating):
            return float32_numbers(values)
        return values.tolist()  # type: ignore[no-any-return]

    def _check_scaled(self, x: np.ndarray, rows: list[list[Any]]) -> dict[int, Refusal]:
        """The rows holding a value the stored scaling takes beyond float32's range (a raw value within it, a tiny scale).

        Each such row of ``x`` is set to zeros (in place), so the pass answers the batch's other rows; its answer is never sent.
        """
        if self._double:  # a float64 network: a value scaled to inf gives a non-finite output, refused by _require_finite
            return {}
        scaled = x[:, self._num_pos]
        beyond = np.abs(scaled) > F32_MAX
        refused: dict[int, Refusal] = {}
        for r in np.flatnonzero(beyond.any(axis=1)).tolist():
            k = int(np.flatnonzero(beyond[r])[0])
            j = self._num_idx[k]
            refused[r] = partial(_out_of_range, self.columns[j], shown(rows[r][j]), shown(scaled[r, k]))
            x[r] = 0.0
        return refused

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        """The JSON answer for one request's slice of a batch's :meth:`predict` (the server adds ``model_version``)."""
        return {"probabilities": result, "classes": self.classes} if proba else {"predictions": result}

    def metadata(self) -> dict[str, Any]:
        """What ``GET /metadata`` shows: columns, classes, target, task, source file, versions."""
        return {
            "format": self.kind, "path": self.path, "sha256": self.sha256, "model_version": self.version, "loaded_at": self.loaded_at,
            "estimator": self.onnx.estimator if self.onnx is not None else self._network_name,  # a Pipeline's MLP, as its export names it
            "task": self.task, "target": self.target, "classes": self.classes, "columns": self.column_info,
            **self._cut_shown(),
            "versions": versions(("onnxruntime",) if self.onnx is not None else ("torch", "numpy")),
        }

    def _cut_shown(self) -> dict[str, Any]:
        """``/metadata``'s ``threshold`` and ``positive_class`` where ``/predict`` cuts at one (none otherwise)."""
        if self.cut is None or self.classes is None:
            return {}
        return {"threshold": self.cut.threshold, "positive_class": self.classes[self.cut.positive]}


def versions(engines: tuple[str, ...]) -> dict[str, str | None]:
    """hiddenlayers' version and each installed engine package's (None where it is not installed), for ``/metadata``."""
    from importlib.metadata import PackageNotFoundError, version

    from ... import __version__

    out: dict[str, str | None] = {"hiddenlayers": __version__}
    for pkg in engines:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _arrow_numeric(pa: Any, kind: Any) -> bool:
    """Whether an Arrow type can hold a numeric column's values (numbers, booleans as 1/0, numbers as text, nulls)."""
    t = pa.types
    return bool(t.is_integer(kind) or t.is_floating(kind) or t.is_decimal(kind) or t.is_boolean(kind) or t.is_null(kind) or t.is_string(kind)
                or t.is_large_string(kind))


def _out_of_range(column: str, value: str, scaled: str, r: int) -> str:
    return (f"row {r + 1}, column '{column}' is out of range for this model: {value} becomes {scaled} after the stored scaling, "
            f"beyond {F32_TEXT}: send a smaller number, or null for missing.")


def _not_finite(r: int) -> str:
    return (f"row {r + 1}: the model's output is not finite for this row (its values are so far from the training data "
            "that the network overflows): send values of the size the model was trained on.")


def _require_finite(out: Any, results: list[Any], refused: dict[int, Refusal] | None = None, message: Refusal = _not_finite) -> list[Any]:
    """``results`` (one answer per row) when every row of ``out`` is finite and none is ``refused``; else :class:`RowsRefused`.

    A non-finite output is never sent (JSON has no NaN, and a label from NaN
    is arbitrary): its row gets ``message``, the other rows their answers.
    """
    refused = dict(refused or {})
    for r in non_finite_rows(out).tolist():
        refused.setdefault(r, message)
    if refused:
        raise RowsRefused(results, refused)
    return results


__all__ = ["RequestError", "RowsRefused", "ServedModel", "unchanged_while"]
