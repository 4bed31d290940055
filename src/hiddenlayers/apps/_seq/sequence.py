"""``SequenceClassifier``: recurrent / 1-D convolutional hidden layers with the scikit-learn API.

Input ``X``: a 3-D array ``(N, T, F)`` (each sequence may end in whole NaN steps of padding, as the ONNX
export reads it); a list of ``(T_i, F)`` float arrays
of any lengths (e.g. MFCC frames); or token ids -- a list of 1-D integer
arrays or a 2-D integer array. Feature frames are standardised per feature
with the training set's mean and standard deviation (kept in the model
file). Sequences are padded to the longest in each batch and each layer
reads only its own sample's steps (packed sequences for LSTM/GRU, masking
for convolution and pooling), so padding never changes a prediction.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> frames = [rng.normal(size=(int(t), 3)) for t in rng.integers(5, 10, size=30)]  # (T, F) each
>>> labels = np.tile([0, 1], 15)
>>> clf = SequenceClassifier("lstm8,4", max_iter=2, early_stopping=False, random_state=0).fit(frames, labels)
>>> clf.predict(frames[:5]).shape
(5,)
"""

from __future__ import annotations

import json
import os
from typing import Any, cast

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if

from ..._docsections import parameters_section
from ..._params import Param, document, validate
from ...estimators import HiddenOutput, KeepsFittedSource, check_averaging, fit_keywords, hidden_output, restored_on_error, reuse_layers
from ...exceptions import DataError
from ...network import Embed, Spec, evaluating, load_device, resolve_device
from ...training import History, NoImprovement, Schedule, refuse_unusable, time_limit, to_tensor, train
from .._app_params import averaging_rows, positive_int, row
from .._appfile import (
    LOAD_PARAMETERS,
    DevicePickle,
    columns_state,
    file_errors,
    forget_columns,
    load_app,
    open_model_file,
    restore_columns,
    restore_state,
    restore_transfer,
    save_fitted,
    split_prefix,
)
from .._classify import ClassifierFitting, HeldOut, named
from .._fit import after_averaging, averaging_for, hidden_layer_index, hidden_spec, one_thread
from .._fitted import refuses_empty
from .._partial import PartialFitting
from .._seed import keeps_global_rng, seed_everything
from .._warm_fit import continues, known_codes, mark_built, refuse_rebuilt, warm_frozen
from .data import FRAMES, IDS, as_sequences, lengths_of, pad_frames, pad_ids
from .long import LongSequences, check_columns, long_features, long_labels, long_sequences
from .net import SequenceNetwork

DEFAULT_SPEC = "lstm64,32"
DEFAULT_EMBED = 32  # width of the embedding put first when token ids meet a spec without one
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _check_lengths(lengths: np.ndarray, min_length: int, fixed: int | None) -> None:
    """Every sequence long enough for the spec's convolution/pooling, and ``fixed`` steps long when the spec flattens time."""
    short = np.flatnonzero(lengths < min_length)
    if short.size:
        i = int(short[0])
        raise DataError(f"sequence {i} has {lengths[i]} steps, too few for the spec's convolution/pooling layers: each needs at least {min_length}; "
                        "give the convolutions ':same' padding (e.g. conv64k5:same), which keeps every length, or pool less.")
    if fixed is None:
        return
    bad = np.flatnonzero(lengths != fixed)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"sequence {i} has {lengths[i]} steps but this spec flattens the time axis, so every sequence needs {fixed} "
            "like in fit: end the sequence layers with a recurrent layer (last state) or global pooling (gap/gmp) to take any length."
        )


def _check_val_lengths(lengths: np.ndarray, min_length: int, fixed: int | None) -> None:
    """:func:`_check_lengths` of X_val's sequences, its message naming X_val."""
    if lengths.size:
        try:
            _check_lengths(lengths, min_length, fixed)
        except DataError as exc:
            raise DataError(f"X_val: {exc}") from None


def _widen(padded: np.ndarray, steps: int, kind: str) -> np.ndarray:
    """``padded`` ``(N, T, ...)`` padded to ``steps`` time steps (at least its own): id 0, or NaN steps for frames."""
    fill = 0 if kind == IDS else np.nan
    extra = max(0, steps - padded.shape[1])
    return np.pad(padded, [(0, 0), (0, extra), *[(0, 0)] * (padded.ndim - 2)], constant_values=fill)


def _stacked(first: np.ndarray, second: np.ndarray, kind: str) -> np.ndarray:
    """Two padded arrays ``(N, T1, ...)``, ``(M, T2, ...)`` as one ``(N + M, max(T1, T2), ...)``."""
    steps = max(first.shape[1], second.shape[1])
    return np.concatenate([_widen(first, steps, kind), _widen(second, steps, kind)])


def _frame_scale(seqs: list[np.ndarray]) -> dict[str, Any]:
    """Fitted attributes of feature frames: ``n_features_in_`` and the per-feature ``mean_`` and ``scale_`` ``(F,)``."""
    frames = np.concatenate(seqs)  # (total steps, F)
    return {"n_features_in_": int(frames.shape[1]), "mean_": frames.mean(0).astype(np.float64),
            "scale_": np.maximum(frames.std(0), 1e-6).astype(np.float64)}


def _pad_array(kind: str, seqs: list[np.ndarray], lengths: np.ndarray, mean: np.ndarray | None, scale: np.ndarray | None) -> np.ndarray:
    """``(N, T)`` ids, or ``(N, T, F)`` frames standardised with ``mean``/``scale`` in the frames' float type; ``T`` the longest of ``lengths``."""
    steps = int(lengths.max())
    if kind == IDS:
        return pad_ids(seqs, steps)
    return pad_frames(seqs, steps, cast(np.ndarray, mean), cast(np.ndarray, scale), seqs[0].dtype)  # frames always have both


SEQUENCE_PARAMS: tuple[Param, ...] = (
    row("hidden_layer_sizes", DEFAULT_SPEC, "The hidden layers, as a spec such as 'lstm64,32', 'gru64:bi,32' or 'conv32k5:same,gmp,32'"),
    row("activation", "relu", check=False),  # checked, with the nearest valid name, when the network is built
    row("solver", "adam"),
    row("learning_rate", "constant"),
    row("learning_rate_init", 3e-3),
    row("alpha", 0.0),
    row("batch_size", 64),
    row("max_iter", 30),
    row("max_time", None),
    row("early_stopping", True, "Hold out a stratified validation_fraction of the sequences and stop when their loss stops improving"),
    row("validation_fraction", 0.1),
    row("n_iter_no_change", 5),
    row("tol", 1e-4),
    row("clip_grad_norm", 5.0),
    Param("max_len", positive_int(none=True, text="an integer >= 1"), None, "Keep the first max_len steps of longer sequences; None keeps all"),
    row("dtype", "float32"),
    row("device", "auto", check=False),  # resolved by fit
    row("random_state", None),
    row("callbacks", None),
    row("progress_bar", False),
    row("verbose", False),
    row("warm_start", False),
    row("init_from", None),
    row("freeze", None),
    row("loss", "log_loss"),
    row("gce_q", 0.7),
    row("class_weight", None),
    row("label_smoothing", 0.0),
    *averaging_rows(),
)


def _reads_numbers(est: Any) -> bool:
    """Whether ``est`` reads sequences as given (a SequenceClassifier), so a long table's numbers can be its input; a subclass
    that reads something else (TextClassifier: texts) has no ``fit_long`` (scikit-learn's ``available_if``: ``hasattr`` is False)."""
    return type(est)._sequences is SequenceClassifier._sequences


@document(SEQUENCE_PARAMS)
class SequenceClassifier(PartialFitting, KeepsFittedSource, HiddenOutput, ClassifierFitting, DevicePickle, ClassifierMixin, BaseEstimator):
    """Classify whole sequences (frames or token ids) with recurrent or 1-D conv hidden layers.

    With token ids and a spec that does not start with ``embedD``, an ``embed32``
    layer goes first. Fitted attributes follow
    scikit-learn (``classes_``, ``network_``, ``history_``, ``loss_curve_``,
    ``validation_scores_``, ``n_iter_``, ``stop_reason_``) plus
    ``input_kind_`` (``"features"`` or ``"ids"``), ``n_features_in_``
    (features per step) or ``vocab_size_`` and ``max_id_`` (the largest id it reads), and ``max_len_`` (the longest step count any fit has read: a warm fit on longer sequences raises it).
    """

    _samples = "sequences"
    _param_table: tuple[Param, ...] = SEQUENCE_PARAMS

    _id_shift = 1  # user ids 0.. become 1.. so that 0 can mean padding
    _built_from: tuple[str, ...] = ("hidden_layer_sizes", "activation", "dtype", "max_len")  # a warm fit refuses another value

    def __init__(
        self,
        hidden_layer_sizes: Any = DEFAULT_SPEC,
        *,
        activation: str = "relu",
        solver: str = "adam",
        learning_rate: str = "constant",
        learning_rate_init: float = 3e-3,
        alpha: float = 0.0,
        batch_size: int = 64,
        max_iter: int = 30,
        max_time: float | None = None,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        clip_grad_norm: float | None = 5.0,
        max_len: int | None = None,
        dtype: str = "float32",
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        callbacks: Any = None,
        progress_bar: bool = False,
        verbose: bool = False,
        warm_start: bool = False,
        init_from: Any = None,
        freeze: Any = None,
        loss: str = "log_loss",
        gce_q: float = 0.7,
        class_weight: Any = None,
        label_smoothing: float = 0.0,
        weight_averaging: str | None = None,
        ema_decay: float = 0.99,
        swa_start: float = 0.75,
        swa_lr: float | None = None,
        swa_anneal_epochs: int = 10,
        swa_anneal_strategy: str = "cos",
    ) -> None:
        self.init_from = init_from
        self.freeze = freeze
        self.loss = loss
        self.gce_q = gce_q
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.weight_averaging, self.ema_decay, self.swa_start, self.swa_lr = weight_averaging, ema_decay, swa_start, swa_lr
        self.swa_anneal_epochs, self.swa_anneal_strategy = swa_anneal_epochs, swa_anneal_strategy
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.max_time = max_time
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.clip_grad_norm = clip_grad_norm
        self.max_len = max_len
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.progress_bar = progress_bar
        self.verbose = verbose
        self.warm_start = warm_start

    # -- data (TextClassifier overrides _sequences and _fit_sequences) ---------------
    def _sequences(self, X: Any) -> tuple[str, list[np.ndarray]]:
        """``(kind, sequences)`` with ids already shifted so that 0 is free for padding."""
        network = getattr(self, "network_", None)  # frames in the float type the network computes in (its own once fitted)
        double = str(next(network.parameters()).dtype) == "torch.float64" if network is not None else self.dtype == "float64"
        kind, seqs = as_sequences(X, self.max_len, np.float64 if double else np.float32)
        if kind == IDS:
            seqs = [s + self._id_shift for s in seqs]
        return kind, seqs

    def _fit_sequences(self, X: Any) -> tuple[str, list[np.ndarray], dict[str, Any]]:
        """``(kind, sequences, state)`` for fit; ``state``: the input's fitted attributes (``vocab_size_`` for ids), not yet assigned."""
        kind, seqs = self._sequences(X)
        state = {"vocab_size_": int(max(int(s.max()) for s in seqs)) + 1} if kind == IDS else {}
        return kind, seqs, state

    def _pad(self, kind: str, seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The padded array the network reads, and each sample's length."""
        lengths = lengths_of(seqs)
        if kind != self.input_kind_:
            what = {IDS: "token ids", FRAMES: "feature frames (T, F)"}
            raise DataError(f"X holds {what[kind]} but the model was fitted on {what[self.input_kind_]}: pass the same kind of input.")
        _check_lengths(lengths, self.min_length_, self.max_len_ if self.network_.fixed_length else None)
        if kind == IDS:
            top = max(int(s.max()) for s in seqs)
            if top >= self.vocab_size_:
                raise DataError(f"token id {top - self._id_shift} is larger than any id seen in fit ({self.max_id_}): map unseen tokens to an id seen in fit.")
        elif seqs[0].shape[1] != self.n_features_in_:
            raise DataError(f"X has {seqs[0].shape[1]} features per step but the model was fitted on {self.n_features_in_}: pass the same features.")
        return _pad_array(kind, seqs, lengths, getattr(self, "mean_", None), getattr(self, "scale_", None)), lengths

    @property
    def max_id_(self) -> int:
        """The largest token id the model reads: the largest seen in fit (models fitted on token ids only).

        Ids go from 0 to this; the network keeps one more id for padding, so this is not ``vocab_size_ - 1``.
        """
        return int(self.vocab_size_) - 1 - self._id_shift

    def _check_X(self, X: Any) -> np.ndarray:
        """The padded array ``(N, T)`` ids / ``(N, T, F)`` standardised frames the network reads (the lens uses this)."""
        self._require_fitted()
        return self._pad(*self._sequences(X))[0]

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        dtype = torch.long if a.dtype.kind in "iu" else _DTYPES[self.dtype]
        return to_tensor(a, dtype, self._device)

    # -- fit ----------------------------------------------------------------------
    def _validate_params(self) -> Spec:
        validate(self, self._param_table)
        self._check_smoothing()
        check_averaging(self)  # the MLP estimators' rules and words
        return hidden_spec(self.hidden_layer_sizes)

    @fit_keywords
    @keeps_global_rng
    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, X_val: Any = None, y_val: Any = None,
            sample_weight_val: Any = None) -> SequenceClassifier:
        """Train on sequences ``X`` with one label per sequence ``y``.

        Every check of the new data and parameters runs before a fitted attribute changes, so a refit that raises leaves a
        fitted model as it was (same attributes, same predictions).

        Parameters
        ----------
        X : list of arrays of shape (T_i, n_features), or of token-id sequences
            The training sequences (any lengths).
        y : array-like of shape (n_sequences,)
            One label per sequence.
        sample_weight : array-like of shape (n_sequences,), optional
            Weights ``>= 0`` (None: all 1), times ``class_weight``'s; the training loss is their weighted mean per batch
            and the early-stopping score their weighted accuracy.
        X_val : list of sequences, optional
            Your own held-out sequences (the same kind as ``X``: features per step or ids), which early stopping scores
            instead of a ``validation_fraction`` split (every sequence of ``X`` trains), read with what ``X`` fits
            (standardisation, a text's vocabulary). Needs ``early_stopping=True``; ``partial_fit`` does not take it.
        y_val : array-like of shape (n_val,), optional
            Labels ``y`` has.
        sample_weight_val : array-like of shape (n_val,), optional
            Weights of their score (``class_weight`` is not applied to it).
        """
        spec = self._validate_params()
        val = (X_val, y_val, sample_weight_val) if self._val_given(X_val, y_val, sample_weight_val) else None
        if continues(self):
            return self._fit_warm(X, y, sample_weight, val)
        kind, seqs, state = self._fit_sequences(X)
        classes, y_idx = self._classes(y, len(seqs))
        row_weights = self._row_weights(sample_weight, classes[y_idx], classes)  # checked before the network is built
        val_seqs, held = self._held_sequences(val, kind, seqs, state, classes)
        lengths = lengths_of(seqs)
        max_len = int(lengths.max())
        if kind == IDS:
            if not (len(spec) and isinstance(spec[0], Embed)):
                spec = Spec((Embed(DEFAULT_EMBED), *spec.layers))
            in_features: Any = max_len
        else:
            if len(spec) and isinstance(spec[0], Embed):
                raise ValueError(f"the spec starts with an embedding ({spec[0].to_text()}), which reads integer token ids, but X holds float feature frames: drop it or pass ids.")
            state.update(_frame_scale(seqs))
            in_features = (max_len, state["n_features_in_"])
        device = resolve_device(self.device)
        generator = seed_everything(self.random_state, device)
        with one_thread():  # the build's dry run of a recurrent layer stalls when two threads must meet on a busy machine
            network = SequenceNetwork(in_features, spec, len(classes), activation=self.activation, vocab_size=state.get("vocab_size_"))
        network.to(dtype=_DTYPES[self.dtype], device=device)
        min_length = network.min_length(max_len)
        if network.fixed_length and (lengths != max_len).any():
            raise DataError(
                f"this spec flattens the time axis, so every sequence needs the same length, but X has lengths {lengths.min()} to {lengths.max()}: "
                "end the sequence layers with a recurrent layer (last state) or global pooling (gap/gmp), or pad X yourself."
            )
        _check_lengths(lengths, min_length, None)
        _check_val_lengths(lengths_of(val_seqs), min_length, max_len if network.fixed_length else None)
        every = seqs + val_seqs
        padded = _pad_array(kind, every, lengths_of(every), state.get("mean_"), state.get("scale_"))
        y_all, split, weights = self._rows(y_idx, row_weights, held)
        with restored_on_error(self):  # init_from and freeze are checked against the new network, in reuse_layers
            for attr in ("n_features_in_", "vocab_size_", "mean_", "scale_", "long_columns_"):
                self.__dict__.pop(attr, None)
            self.__dict__.update(state)
            self.classes_, self.input_kind_, self.max_len_, self.min_length_ = classes, kind, max_len, min_length
            self._device, self.network_ = device, network
            self._train(padded, lengths_of(every), y_all, split, weights, generator)
            mark_built(self, self._built_from)
        return forget_columns(self)  # train --app's or fit_long's columns describe an earlier fit

    def _val_sequences(self, X_val: Any, state: dict[str, Any]) -> tuple[str, list[np.ndarray]]:
        """``X_val`` as ``(kind, sequences)`` read as a first fit reads ``X`` (ids shifted; a text's: by the tokenizer in ``state``)."""
        return self._sequences(X_val)

    def _held_sequences(self, val: tuple[Any, Any, Any] | None, kind: str, seqs: list[np.ndarray], state: dict[str, Any],
                        classes: np.ndarray) -> tuple[list[np.ndarray], HeldOut | None]:
        """A first fit's validation set: X_val's sequences (checked against ``X``'s ``kind`` and ``seqs``: features per step,
        ids ``X`` has) and its labels' codes among ``classes``; ``([], None)`` without one."""
        if val is None:
            return [], None
        X_val, y_val, sample_weight_val = val
        try:
            val_kind, val_seqs = self._val_sequences(X_val, state)
        except ValueError as exc:
            raise named("X_val", exc) from None
        what = {IDS: "token ids", FRAMES: "feature frames (T, F)"}
        if val_kind != kind:
            raise DataError(f"X_val holds {what[val_kind]} but X holds {what[kind]}: pass the same kind of input.")
        if kind == IDS:
            top = max(int(s.max()) for s in val_seqs)
            if top >= state["vocab_size_"]:
                raise DataError(f"X_val: token id {top - self._id_shift} is larger than any id in X "
                                f"({state['vocab_size_'] - 1 - self._id_shift}): map unseen tokens to an id X holds.")
        elif val_seqs[0].shape[1] != seqs[0].shape[1]:
            raise DataError(f"X_val has {val_seqs[0].shape[1]} features per step and X {seqs[0].shape[1]}: pass the same features.")
        return val_seqs, self._held_out(y_val, len(val_seqs), classes, sample_weight_val)

    @keeps_global_rng
    def _fit_warm(self, X: Any, y: Any, sample_weight: Any, val: tuple[Any, Any, Any] | None) -> SequenceClassifier:
        """``warm_start=True``: go on training ``network_`` on sequences ``X`` with labels among ``classes_`` (``val``:
        ``fit``'s own validation set, checked as predict checks sequences, scored instead of a split).

        The first fit's input kind, ``classes_``, vocabulary (a text's tokenizer), features per step and their
        ``mean_``/``scale_`` stay, and X is checked against them as predict checks it; the layers ``freeze``
        names now stay fixed (``set_params(freeze=None)`` unfreezes them); ``init_from`` is not read again (the model itself is the start).
        """
        refuse_rebuilt(self, self._built_from)
        kind, seqs = self._sequences(X)
        y_idx = known_codes(self, y, len(seqs))
        padded, lengths = self._pad(kind, seqs)  # a spec that flattens time: every sequence max_len_ steps, as predict refuses others
        longest = max(int(self.max_len_), padded.shape[1])  # longer sequences are read in full, as predict reads them
        row_weights = self._row_weights(sample_weight, self.classes_[y_idx], self.classes_)
        held = None
        if val is not None:
            try:
                val_padded, val_lengths = self._pad(*self._sequences(val[0]))
            except ValueError as exc:
                raise named("X_val", exc) from None
            held = self._held_out(val[1], len(val_lengths), self.classes_, val[2])
            padded, lengths = _stacked(padded, val_padded, kind), np.concatenate([lengths, val_lengths])
        padded = _widen(padded, longest, kind)
        generator = seed_everything(self.random_state, self._device)
        y_all, split, weights = self._rows(y_idx, row_weights, held)
        with restored_on_error(self):  # the weights and history_ go back if training fails
            self._train(padded, lengths, y_all, split, weights, generator, warm=True)
            self.max_len_ = longest  # the longest sequence any fit has read (the export's and the server's step limits follow it)
        return forget_columns(self)  # train --app's or fit_long's columns describe an earlier fit

    def _train(
        self, padded: np.ndarray, lengths: np.ndarray, y_idx: np.ndarray, split: tuple[np.ndarray, np.ndarray | None],
        weights: tuple[np.ndarray | None, np.ndarray | None], generator: torch.Generator, warm: bool = False,
    ) -> None:
        """Train ``network_`` on ``padded`` sequences with class codes ``y_idx``, ``split``'s (train, validation) rows
        and their ``weights`` (None: unweighted); ``warm``: ``history_`` goes on, the layers ``freeze`` names now stay fixed."""
        (train_idx, val_idx), (w_train, w_val) = split, weights
        Xt, Yt = self._tensor(padded[train_idx]), self._tensor(self._targets(y_idx[train_idx]))
        Wt = None if w_train is None else self._tensor(w_train)
        validate = None
        if val_idx is not None:
            Xv, lv, yv = self._tensor(padded[val_idx]), lengths[val_idx], torch.as_tensor(y_idx[val_idx], device=self._device)
            validate = self._validator(lambda: self._forward(Xv, lv), yv, w_val)

        monitor, history = ("val_score" if validate is not None else "train_loss"), (self.history_ if warm else None)
        before = len(history) if history is not None else 0
        # init_from / freeze: the source's layers (a warm fit: the layers freeze names now, kept fixed)
        layers = warm_frozen(self, self.network_, self.network_.hidden_names) if warm else reuse_layers(self, open_model_file)
        with one_thread(), layers:  # small recurrent steps: one thread
            result = train(
                self.network_, Xt, Yt, loss=self._train_loss(), solver=self.solver, learning_rate_init=float(self.learning_rate_init),
                schedule=Schedule(self.learning_rate, float(self.learning_rate_init), max_epochs=self.max_iter),
                batch_size=self.batch_size, max_epochs=self.max_iter, sample_weight=Wt, alpha=float(self.alpha), validate=validate,
                no_improvement=NoImprovement(monitor, self.tol, self.n_iter_no_change), stopping=time_limit(self.max_time, history),
                clip_grad_norm=None if self.clip_grad_norm is None else float(self.clip_grad_norm),
                generator=generator, restore_best=validate is not None, device=self._device, callbacks=self._callbacks(),
                history=history, warn_if_diverged_at_start=False,  # no usable epoch: refuse_unusable raises
                averaging=averaging_for(self, len(train_idx), self.network_),
            )
        self.network_.eval()
        refuse_unusable(result.history, float(self.learning_rate_init))  # a first epoch that diverged: raised inside restored_on_error
        self._set_history(result.history)
        after_averaging(self, result.history, before)


    @available_if(_reads_numbers)
    def fit_long(self, frame: Any, target: str, *, id_column: str, order_column: str | None = None, features: Any = None,
                 where: Any = None) -> SequenceClassifier:
        """Train on a long table ``frame`` (pandas DataFrame): one row per time step, grouped into sequences by ``id_column``.

        Steps are ordered by ``order_column`` (None: the rows' order); ``features`` (default: every column but the
        id, order and ``target`` columns) are the numbers read at each step; ``target`` holds each sequence's label,
        the same on all its rows. ``where(i)``: row ``i``'s place for an error message (default ``row N``).
        The columns are kept as ``long_columns_`` (and in the model file), so :meth:`sequences_from_long` reads new tables alike.
        """
        names = long_features(frame, {"id_column": id_column, "order_column": order_column, "target": target}, features)
        long = long_sequences(frame, id_column, names, order_column, where)
        self.fit(long.sequences, long_labels(frame[target], long, id_column, where))
        self.long_columns_ = {"id_column": id_column, "order_column": order_column, "features": names, "target": target}
        return self

    @available_if(_reads_numbers)
    def sequences_from_long(self, frame: Any, where: Any = None) -> LongSequences:
        """The sequences of a long table ``frame`` read with the columns :meth:`fit_long` read (``long_columns_``); other columns are ignored."""
        self._require_fitted()
        columns = getattr(self, "long_columns_", None)
        if columns is None:
            raise ValueError("this SequenceClassifier was fitted on sequences, not a long table (fit_long): pass sequences to predict.")
        check_columns(frame, {"the id column": columns["id_column"], "the order column": columns["order_column"], "the feature column": columns["features"]})
        return long_sequences(frame, columns["id_column"], columns["features"], columns["order_column"], where)

    # -- predict ------------------------------------------------------------------
    @torch.inference_mode()
    def _forward(self, X: torch.Tensor, lengths: np.ndarray, layer: int | None = None, batch: int = 256) -> torch.Tensor:
        """Logits (or hidden layer ``layer``'s output) for padded ``X``, in batches of similar lengths."""
        order = np.argsort(lengths, kind="stable")
        parts: list[torch.Tensor] = []
        with evaluating(self.network_), one_thread():
            for start in range(0, len(order), batch):
                idx = order[start : start + batch]
                xb = X[torch.as_tensor(idx, device=X.device)]
                if not self.network_.fixed_length:
                    xb = xb[:, : int(lengths[idx].max())]  # only the steps this batch uses
                parts.append(self.network_(xb) if layer is None else self.network_(xb, return_hidden=True)[1][layer])
        if parts[0].ndim == 3:  # a sequence-shaped hidden layer: pad every part to the longest
            steps = max(p.shape[1] for p in parts)
            parts = [torch.nn.functional.pad(p, (0, 0, 0, steps - p.shape[1])) for p in parts]
        result = torch.empty((len(order), *parts[0].shape[1:]), dtype=parts[0].dtype, device=parts[0].device)
        result[torch.as_tensor(order, device=result.device)] = torch.cat(parts)
        return result

    def _padded(self, X: Any) -> tuple[torch.Tensor, np.ndarray]:
        self._require_fitted()
        padded, lengths = self._pad(*self._sequences(X))
        return self._tensor(padded), lengths

    @refuses_empty
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(N, n_classes)`` in the order of ``classes_``.

        Parameters
        ----------
        X : list of sequences
            Sequences of the kind ``fit`` took.
        """
        logits = self._forward(*self._padded(X))
        return torch.softmax(logits.double(), dim=1).cpu().numpy()

    @refuses_empty
    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label per sequence, shape ``(N,)``.

        Parameters
        ----------
        X : list of sequences
            Sequences of the kind ``fit`` took.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    @refuses_empty
    def transform(self, X: Any, layer: int = -1) -> Any:
        """Hidden layer ``layer``'s output.

        ``(N, units)`` for a layer that summarises the sequence (recurrent last state, global pooling, dense); ``(N, T,
        units)`` for a sequence-shaped layer, zero past each sample's end (``T`` = the longest in ``X``). A NumPy array, or
        the frame :meth:`set_output` asks for (columns ``hiddenK_j``; a sequence-shaped layer has none: refused there).

        Parameters
        ----------
        X : list of sequences
            Sequences of the kind ``fit`` took.
        layer : int
            Which hidden layer, 1-based; ``-1`` = the last.
        """
        self._require_fitted()
        n_hidden = len(self.network_.hidden_names)
        idx = hidden_layer_index(layer, n_hidden)
        values = self._forward(*self._padded(X), layer=idx).cpu().numpy().astype(np.float64)
        return hidden_output(self, values, X, self.network_.hidden_names[idx])

    # -- files --------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "classes": json.dumps(self.classes_.tolist()),  # JSON text: labels such as "nan" stay strings
            "input_kind": self.input_kind_, "max_len": self.max_len_, "min_length": self.min_length_,
            "network": self.network_.config(), "history": self.history_.to_dict(),
        }
        if self.input_kind_ == IDS:
            state["vocab_size"] = self.vocab_size_
        else:
            state.update(n_features=self.n_features_in_, mean=self.mean_.tolist(), scale=self.scale_.tolist())
        if getattr(self, "long_columns_", None) is not None:
            state["long_columns"] = self.long_columns_
        return {**state, **columns_state(self)}  # a TextClassifier of train --app text: its text and label columns

    def _restore(self, state: dict[str, Any]) -> None:
        self.classes_ = np.asarray(json.loads(state["classes"]))
        self.input_kind_, self.max_len_, self.min_length_ = state["input_kind"], int(state["max_len"]), int(state["min_length"])
        if self.input_kind_ == IDS:
            self.vocab_size_ = int(state["vocab_size"])
        else:
            self.n_features_in_ = int(state["n_features"])
            self.mean_ = np.asarray(state["mean"], dtype=np.float64)
            self.scale_ = np.asarray(state["scale"], dtype=np.float64)
        if state.get("long_columns") is not None:  # fitted by fit_long: the id, order, feature and label columns it read
            self.long_columns_ = dict(state["long_columns"])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to one ``.safetensors`` file (weights + JSON metadata; no pickle).

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        tensors = {f"network.{k}": v for k, v in self.network_.state_dict().items()}
        save_fitted(path, self, self._state(), tensors)

    @classmethod
    @file_errors
    @parameters_section(LOAD_PARAMETERS)
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> SequenceClassifier:
        """Read a model written by :meth:`save`."""
        params, state, tensors = load_app(path, cls.__name__, device)
        model = cls(**params)
        model._restore(state)
        restore_columns(model, state, path)
        restore_transfer(model, state)  # init_from's record and the frozen layers, as the other apps' files give them back
        model._device = load_device(model.device, device)
        with one_thread():
            net = cast(SequenceNetwork, restore_state(lambda: SequenceNetwork.from_config(state["network"]), split_prefix(tensors, "network"), path,
                                                          _DTYPES[model.dtype]))
        model.network_ = net.to(dtype=_DTYPES[model.dtype], device=model._device)
        model._set_history(History.from_dict(state["history"]))
        mark_built(model, model._built_from)
        return model


__all__ = ["DEFAULT_SPEC", "SequenceClassifier"]
