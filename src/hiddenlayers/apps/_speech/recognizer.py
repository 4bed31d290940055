"""``SpeechRecognizer``: feature frames (MFCCs) -> text, with sequence hidden layers trained by CTC.

The hidden layers come from the sequence spec grammar (``conv64k5:same``, ``pool2``,
``lstm64:bi``, ``gru64``; every recurrent layer returns all its steps), a linear head gives
each output frame a softmax over the alphabet and CTC's blank, and
:func:`~hiddenlayers.training.ctc_loss` (PyTorch's ``ctc_loss``) trains them on transcripts
alone: no frame-level alignment is needed. The alphabet is the characters of ``fit``'s
transcripts (``alphabet_``). ``predict`` decodes greedily (the best path) or by a CTC prefix
beam search (``beam_size > 1``); ``score`` is 1 - the character error rate (``jiwer``).
Early stopping holds out ``validation_fraction`` of the utterances and keeps the epoch of the
lowest greedy CER. Frames are standardised per feature with the training mean and standard
deviation, kept in the model file.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> frames = [rng.normal(size=(12, 3)).astype(np.float32) for _ in range(8)]  # (T, F) each
>>> rec = SpeechRecognizer("gru8:bi", max_iter=2, early_stopping=False, random_state=0).fit(frames, ["ab", "ba"] * 4)
>>> rec.alphabet_, len(rec.predict(frames[:3]))
('ab', 3)
"""

from __future__ import annotations

import os
from typing import Any, cast

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ..._docsections import parameters_section
from ..._params import Param, document, validate
from ...estimators import KeepsFittedSource, check_averaging, fit_keywords, refuse_frozen_fresh, restored_on_error
from ...exceptions import DataError
from ...network import evaluating, load_device, resolve_device
from ...training import (
    Callback,
    History,
    NoImprovement,
    Schedule,
    ctc_loss,
    ctc_per_row,
    frozen,
    refuse_unusable,
    time_limit,
    to_tensor,
    train,
)
from .._app_params import averaging_rows, positive_int, row
from .._appfile import LOAD_PARAMETERS, DevicePickle, file_errors, load_app, restore_state, save_fitted, split_prefix
from .._fit import after_averaging, averaging_for, fit_callbacks, hidden_layer_index, hidden_spec, one_thread
from .._fitted import FitRequired, refuses_empty
from .._seed import keeps_global_rng, seed_everything, seed_of
from .._seq.data import lengths_of, pad_frames
from .._seq.long import LongSequences, check_columns, long_features, long_sequences
from .._seq.net import step_lengths, zero_padding
from .._warm import frozen_names, open_source, provenance_record
from .._warm_fit import continues, mark_built, refuse_other_data, refuse_rebuilt, warm_frozen
from .decode import greedy_decode, prefix_beam_search
from .inputs import as_frames, check_emittable, check_lengths, check_transcripts, target_rows
from .long import long_transcripts, utterance_names
from .metrics import character_error_rate, check_texts
from .net import CTCNetwork, ctc_spec
from .warm import start_from

DEFAULT_SPEC = "conv64k5:same,pool2,conv64k5:same,conv64k5:same"  # the fastest learner measured on digit strings (see the guide)
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_BUILT_FROM = ("hidden_layer_sizes", "activation", "dtype")  # what shaped the network: a warm fit refuses another value


def _spec(value: Any) -> Any:
    return ctc_spec(hidden_spec(value))


SPEECH_PARAMS: tuple[Param, ...] = (
    row("hidden_layer_sizes", DEFAULT_SPEC, "The hidden layers, as a sequence spec that keeps the time axis, such as 'conv64k5:same,pool2,conv64k5:same,conv64k5:same' or "
        "'conv32k5:same,pool2,gru64:bi' (recurrent layers return every step)", check=False),  # checked by fit, with the layer named
    row("activation", "relu", check=False),
    row("solver", "adam"),
    row("learning_rate", "constant"),
    row("learning_rate_init", 3e-3),
    row("alpha", 0.0),
    row("batch_size", 32),
    row("max_iter", 30),
    row("max_time", None),
    row("early_stopping", True, "Hold out validation_fraction of the utterances and keep the epoch of their lowest greedy character error rate, "
        "stopping when it stops improving"),
    row("validation_fraction", 0.1),
    row("n_iter_no_change", 5),
    row("tol", 1e-4, "Least fall of the held-out character error rate (or of the training loss without early_stopping) that counts as progress"),
    row("clip_grad_norm", 5.0),
    row("dtype", "float32"),
    row("device", "auto", check=False),
    row("random_state", None),
    row("callbacks", None),
    row("progress_bar", False),
    row("verbose", False),
    row("warm_start", False, "fit goes on from the fitted network's weights for max_iter epochs more (the optimizer restarts, as "
        "scikit-learn's MLP's); the first fit's alphabet_, features and their mean_/scale_ are kept, a new character is refused"),
    row("init_from", None, "Start from this fitted SpeechRecognizer (or its saved file), e.g. one trained on other speakers or words: the "
        "alphabet is learned from this fit's transcripts; the output rows of the blank and of the characters both alphabets hold are "
        "copied (matched by character), new characters start fresh; the hidden layers are copied where kind and shapes match, the "
        "others start fresh, named in one warning; the source's frame standardisation (mean_, scale_) is kept when the feature counts match"),
    row("freeze", None, "Hidden layers kept fixed during fit: the first k of hidden1, hidden2, ..., or these names; the output layer always "
        "trains, as it holds the new characters' rows (checked by fit)"),
    *averaging_rows(),
)


class _PatienceAfterBlanks(NoImprovement):
    """``NoImprovement`` on 1 - held-out CER whose patience starts once the CER first falls below 1.

    CTC's first epochs commonly emit only blanks: the held-out CER stays at 1 (score 0) for
    many epochs while the loss falls (17 epochs for 'conv64k5:same,pool2,conv64k5:same,gru32:bi' on
    400 digit strings), so the plain rule would stop a model that is about to learn.
    """

    def update(self, value: float) -> bool:
        better = super().update(value)
        if not self.best > 0.0:
            self.count = 0
        return better


class _EpochPrinter(Callback):
    """``verbose``: one line per epoch with the CTC loss and the held-out character error rate."""

    def on_epoch_end(self, **kwargs: Any) -> None:
        logs = kwargs["logs"]
        score = logs.get("val_score")
        held_out = f", validation CER {1.0 - score:.4f}" if score is not None and np.isfinite(score) else ""  # none without early_stopping
        print(f"epoch {logs['epoch']}: CTC loss {logs['train_loss']:.4f}{held_out}", flush=True)


@document(SPEECH_PARAMS)
class SpeechRecognizer(KeepsFittedSource, FitRequired, DevicePickle, BaseEstimator):
    """Transcribe utterances (feature frames, e.g. MFCCs) to text with CTC-trained sequence hidden layers.

    Fitted attributes: ``alphabet_`` (the symbols, in id order 1..; 0 is the blank), ``network_``
    (a :class:`CTCNetwork`), ``n_features_in_``, ``mean_`` / ``scale_`` ``(F,)``, ``max_len_`` (the most frames
    any fit has read: a warm fit on longer utterances raises it), ``min_length_`` (fewest frames the spec reads), ``history_``, ``loss_curve_`` (mean CTC loss per
    utterance), ``validation_scores_`` (1 - held-out greedy CER per epoch), ``best_validation_score_``, ``n_iter_``, ``stop_reason_``;
    after :meth:`fit_long`, ``long_columns_`` (the id, order, feature and transcript columns read); ``transferred_``,
    ``frozen_`` (layer names) and ``provenance_`` (the ``init_from`` source, its file's hash, the layers copied and kept
    fixed, the characters whose output rows were copied and those new; None without ``init_from`` or ``freeze``; kept in the file).
    """

    def __init__(
        self, hidden_layer_sizes: Any = DEFAULT_SPEC, *, activation: str = "relu", solver: str = "adam", learning_rate: str = "constant",
        learning_rate_init: float = 3e-3, alpha: float = 0.0, batch_size: int = 32, max_iter: int = 30, max_time: float | None = None,
        early_stopping: bool = True, validation_fraction: float = 0.1, n_iter_no_change: int = 5, tol: float = 1e-4, clip_grad_norm: float | None = 5.0,
        dtype: str = "float32", device: str = "auto", random_state: int | np.random.RandomState | None = None, callbacks: Any = None, progress_bar: bool = False, verbose: bool = False,
        warm_start: bool = False, init_from: Any = None, freeze: Any = None, weight_averaging: str | None = None, ema_decay: float = 0.99,
        swa_start: float = 0.75, swa_lr: float | None = None, swa_anneal_epochs: int = 10, swa_anneal_strategy: str = "cos",
    ) -> None:
        self.weight_averaging, self.ema_decay, self.swa_start, self.swa_lr = weight_averaging, ema_decay, swa_start, swa_lr
        self.swa_anneal_epochs, self.swa_anneal_strategy = swa_anneal_epochs, swa_anneal_strategy
        self.warm_start = warm_start
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
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.progress_bar = progress_bar
        self.verbose = verbose
        self.init_from = init_from
        self.freeze = freeze

    # -- fit ----------------------------------------------------------------------
    @fit_keywords
    def fit(self, X: Any, y: Any) -> SpeechRecognizer:
        """Train on utterances ``X`` and their transcripts ``y``.

        Every check of the data and parameters runs before a fitted attribute changes, and the new network is trained
        apart: a refit that raises leaves a fitted model as it was.

        Parameters
        ----------
        X : list of arrays of shape (T_i, F)
            The utterances' frames (see :mod:`.inputs`).
        y : sequence of str
            One transcript each, not empty nor whitespace alone, as :meth:`fit_long` requires.
        """
        validate(self, SPEECH_PARAMS)
        check_averaging(self)  # the MLP estimators' rules and words
        spec = _spec(self.hidden_layer_sizes)
        seqs = as_frames(X, np.float64 if self.dtype == "float64" else np.float32)  # frames in the float type the network computes in
        self._fit(spec, seqs, check_transcripts(y, len(seqs)))
        self.__dict__.pop("long_columns_", None)
        return self

    @keeps_global_rng
    def _fit(self, spec: Any, seqs: list[np.ndarray], texts: list[str], names: list[str] | None = None) -> None:
        """Train a new network on ``seqs`` and ``texts`` and set the fitted attributes (``names``: how a message names each utterance).

        With ``init_from``, the source's layers and character rows are copied into the new network before training
        (:func:`.warm.start_from`) and ``freeze``'s layers stay fixed while it trains.
        """
        if continues(self):
            self._fit_warm(seqs, texts, names)
            return
        source, provenance = open_source(self)  # another class: one ValueError, before anything changes
        alphabet = "".join(sorted(set("".join(texts))))
        lengths = lengths_of(seqs)
        mean, scale = _standardisation(source, np.concatenate(seqs))  # over all frames (total, F)
        device = resolve_device(self.device)
        generator = seed_everything(self.random_state, device)
        max_len, n_features = int(lengths.max()), int(mean.shape[0])
        with one_thread():  # the build's dry run of a recurrent layer stalls when two threads must meet on a busy machine
            network = CTCNetwork((max_len, n_features), spec, len(alphabet) + 1, activation=self.activation)
        network.to(dtype=_DTYPES[self.dtype], device=device)
        min_length = network.min_length(max_len)
        check_lengths(seqs, min_length, names)
        frames_out = network.output_lengths(torch.as_tensor(lengths)).numpy()
        check_emittable(texts, frames_out, names)
        fixed = frozen_names(self, network.hidden_names)
        copied, counts = start_from(source, network, alphabet) if source is not None else ([], {})
        if source is not None:
            refuse_frozen_fresh(fixed, copied, network.hidden_names)
        padded = pad_frames(seqs, max_len, mean, scale, seqs[0].dtype)  # (N, T, F), NaN steps past each end
        Y = target_rows(texts, alphabet, frames_out)
        train_idx, val_idx = self._split(len(seqs))
        with frozen(network, fixed):
            history = self._train(network, device, padded, lengths, Y, texts, alphabet, train_idx, val_idx, generator)
        self.alphabet_, self.n_features_in_, self.mean_, self.scale_ = alphabet, n_features, mean, scale
        self.max_len_, self.min_length_, self._device, self.network_ = max_len, min_length, device, network
        self._set_history(history)
        self.transferred_, self.frozen_, self.provenance_ = copied, fixed, provenance_record(provenance, copied, fixed)
        if self.provenance_ is not None:
            self.provenance_.update(counts)
        mark_built(self, _BUILT_FROM)

    @keeps_global_rng
    def _fit_warm(self, seqs: list[np.ndarray], texts: list[str], names: list[str] | None) -> None:
        """``warm_start=True``: go on training ``network_`` on ``seqs`` and ``texts`` (``names``: how a message names each utterance).

        The first fit's alphabet, features per frame and their ``mean_``/``scale_`` stay; a character outside ``alphabet_``,
        or other features is a ValueError; the layers ``freeze`` names now stay fixed. Utterances longer than ``max_len_`` frames
        are read in full, as ``predict`` reads them (the network reads any length), and ``max_len_`` grows to the longest any fit has read.
        """
        refuse_rebuilt(self, _BUILT_FROM)
        new = sorted(set("".join(texts)) - set(self.alphabet_))
        if new:
            raise ValueError(f"the transcripts have character(s) {new[:10]} outside the fitted alphabet_ {self.alphabet_!r}: warm_start=True goes on "
                             "with the fitted output rows; set warm_start=False to fit a new model, or init_from=the fitted model to start one "
                             "from its layers (its characters' rows copied).")
        refuse_other_data(self, "frames of width (features per frame)", int(self.n_features_in_), int(seqs[0].shape[1]), "pass the same features")
        lengths = check_lengths(seqs, self.min_length_, names)
        frames_out = self.network_.output_lengths(torch.as_tensor(lengths)).numpy()
        check_emittable(texts, frames_out, names)
        longest = max(int(self.max_len_), int(lengths.max()))  # longer utterances are read in full, as predict reads them
        padded = pad_frames(seqs, longest, self.mean_, self.scale_, seqs[0].dtype)  # (N, longest, F), NaN steps past each end
        Y = target_rows(texts, self.alphabet_, frames_out)
        generator = seed_everything(self.random_state, self._device)
        train_idx, val_idx = self._split(len(seqs))
        with restored_on_error(self), warm_frozen(self, self.network_, self.network_.hidden_names):
            self._set_history(self._train(self.network_, self._device, padded, lengths, Y, texts, self.alphabet_, train_idx, val_idx,
                                          generator, self.history_))
            self.max_len_ = longest  # the longest utterance any fit has read

    def fit_long(self, frame: Any, target: str, *, id_column: str, order_column: str | None = None, features: Any = None,
                 where: Any = None) -> SpeechRecognizer:
        """Train on a long table ``frame``: one row per frame, grouped into utterances by ``id_column``.

        The table is read and checked as :meth:`SequenceClassifier.fit_long
        <hiddenlayers.apps.SequenceClassifier.fit_long>` reads one. The columns are kept as ``long_columns_`` (and in the
        model file).

        Parameters
        ----------
        frame : DataFrame
            The long table.
        target : str
            The column holding each utterance's transcript as text, the same on all its rows.
        id_column : str
            The utterance id column.
        order_column : str, optional
            Orders the frames (None: the rows' order).
        features : sequence of str, optional
            The numbers of each frame (e.g. 13 MFCCs); default: every column but the id, order and ``target`` columns.
        where : callable, optional
            ``where(i)``: row ``i``'s place in the user's file, for messages (default ``row N``); a message names an
            utterance by its id and first row.
        """
        validate(self, SPEECH_PARAMS)
        check_averaging(self)  # the MLP estimators' rules and words
        spec = _spec(self.hidden_layer_sizes)
        names = long_features(frame, {"id_column": id_column, "order_column": order_column, "target": target}, features)
        long = long_sequences(frame, id_column, names, order_column, where)
        texts = long_transcripts(frame, target, long, id_column, where)
        floats = np.float64 if self.dtype == "float64" else np.float32  # frames in the float type the network computes in
        self._fit(spec, [s.astype(floats) for s in long.sequences], texts, utterance_names(long, id_column, where))
        self.long_columns_ = {"id_column": id_column, "order_column": order_column, "features": names, "target": target}
        return self

    def sequences_from_long(self, frame: Any, where: Any = None) -> LongSequences:
        """The utterances of a long table ``frame`` read by the columns :meth:`fit_long` read (``long_columns_``); other columns are ignored.

        Parameters
        ----------
        frame : DataFrame
            The long table.
        where : callable, optional
            ``where(i)``: row ``i``'s place in the user's file, for messages.
        """
        self._require_fitted()
        columns = getattr(self, "long_columns_", None)
        if columns is None:
            raise ValueError("this SpeechRecognizer was fitted on frame arrays, not a long table (fit_long): pass frames to predict.")
        check_columns(frame, {"the id column": columns["id_column"], "the order column": columns["order_column"], "the feature column": columns["features"]})
        return long_sequences(frame, columns["id_column"], columns["features"], columns["order_column"], where)

    def _split(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Sorted training and held-out utterance indices (all for training without early stopping)."""
        if not self.early_stopping:
            return np.arange(n), None
        n_val = max(1, int(round(self.validation_fraction * n)))
        if n - n_val < 1:
            raise ValueError(f"{n} utterances are too few for early_stopping with validation_fraction={self.validation_fraction}: "
                             "pass more utterances or early_stopping=False.")
        order = np.random.default_rng(seed_of(self.random_state)).permutation(n)
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    def _train(self, network: CTCNetwork, device: torch.device, padded: np.ndarray, lengths: np.ndarray, Y: np.ndarray, texts: list[str],
               alphabet: str, train_idx: np.ndarray, val_idx: np.ndarray | None, generator: torch.Generator,
               history: History | None = None) -> History:
        """Train ``network`` on the ``train_idx`` utterances; with ``val_idx``, keep the epoch of their best greedy CER; ``history``
        (a warm fit's) goes on."""
        dtype = _DTYPES[self.dtype]
        Xt, Yt = to_tensor(padded[train_idx], dtype, device), to_tensor(Y[train_idx], dtype, device)
        validate_fn = None
        if val_idx is not None:
            Xv, lv, Yv = to_tensor(padded[val_idx], dtype, device), lengths[val_idx], to_tensor(Y[val_idx], dtype, device)
            refs = [texts[i] for i in val_idx.tolist()]

            def validate_fn() -> tuple[float, float]:
                log_probs, loss = _run(network, Xv, lv, Yv)
                hyps = ["".join(alphabet[s - 1] for s in greedy_decode(lp)) for lp in log_probs]
                network.train()
                return loss / len(refs), 1.0 - character_error_rate(refs, hyps)

        rule = _PatienceAfterBlanks("val_score", self.tol, self.n_iter_no_change) if validate_fn is not None else NoImprovement("train_loss", self.tol, self.n_iter_no_change)
        callbacks = fit_callbacks(self, *([_EpochPrinter()] if self.verbose else []))
        before = len(history) if history is not None else 0
        with one_thread():  # small recurrent steps: one thread is fastest
            result = train(
                network, Xt, Yt, loss=ctc_loss(Y.shape[1] - 2), solver=self.solver, learning_rate_init=float(self.learning_rate_init),
                schedule=Schedule(self.learning_rate, float(self.learning_rate_init), max_epochs=self.max_iter),
                batch_size=self.batch_size, max_epochs=self.max_iter, alpha=float(self.alpha), validate=validate_fn,
                no_improvement=rule, stopping=time_limit(self.max_time, history),
                clip_grad_norm=None if self.clip_grad_norm is None else float(self.clip_grad_norm),
                generator=generator, restore_best=validate_fn is not None, device=device, callbacks=callbacks, history=history,
                warn_if_diverged_at_start=False,  # no usable epoch: refuse_unusable raises instead
                averaging=averaging_for(self, len(train_idx), network),
            )
        network.eval()
        refuse_unusable(result.history, float(self.learning_rate_init))  # a first epoch that diverged: before fit sets an attribute
        after_averaging(self, result.history, before)
        return result.history

    def _set_history(self, history: History) -> None:
        """scikit-learn's fitted attributes from ``history`` (of a fit or a loaded file)."""
        self.history_ = history
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history.train_loss)
        self.validation_scores_ = list(history.val_score) if self.early_stopping else None
        best = history.best_epoch
        kept = self.early_stopping and best is not None and best in history.epoch
        self.best_validation_score_ = float(history.val_score[history.epoch.index(best)]) if kept else None
        self.stop_reason_ = history.stop_reason

    # -- predict ------------------------------------------------------------------
    def network_input(self, X: Any) -> np.ndarray:
        """The padded array ``(N, T, F)`` the network reads.

        Frames standardised with ``mean_`` / ``scale_``, whole NaN steps after each utterance's end (``T``: the longest in
        ``X``). What the lens runs ``network_`` on.

        Parameters
        ----------
        X : list of arrays of shape (T_i, F)
            The utterances' frames.
        """
        self._require_fitted()
        seqs = as_frames(X, np.float64 if next(self.network_.parameters()).dtype == torch.float64 else np.float32)  # the network's float type
        if seqs[0].shape[1] != self.n_features_in_:
            raise DataError(f"X has {seqs[0].shape[1]} features per frame but the model was fitted on {self.n_features_in_}: pass the same features.")
        lengths = check_lengths(seqs, self.min_length_)
        return pad_frames(seqs, int(lengths.max()), self.mean_, self.scale_, seqs[0].dtype)

    def frame_log_probs(self, X: Any) -> list[np.ndarray]:
        """Per utterance, the natural-log probabilities ``(T'_i, 1 + len(alphabet_))`` of each output frame.

        Column 0 is the blank, column ``k`` is ``alphabet_[k - 1]``. What :meth:`predict` decodes.

        Parameters
        ----------
        X : list of arrays of shape (T_i, F)
            The utterances' frames.
        """
        padded = self.network_input(X)
        lengths = (~np.isnan(padded[..., 0])).sum(1)
        return _run(self.network_, to_tensor(padded, _DTYPES[self.dtype], self._device), lengths)[0]

    @refuses_empty
    def transform(self, X: Any, layer: int = -1) -> np.ndarray:
        """Hidden layer ``layer``'s output per utterance: float64 ``(N, T', units)``.

        Every layer of a recognizer keeps the time axis, so this is the shape :meth:`SequenceClassifier.transform
        <hiddenlayers.apps.SequenceClassifier.transform>` gives a sequence-shaped layer: ``T'`` is the longest utterance's
        steps after that layer's convolutions and pooling, and each utterance's steps past its own end are zero. A NumPy
        array (the hidden representation the lens and a downstream model read; a frame would need one row per step).

        Parameters
        ----------
        X : list of arrays of shape (T_i, F)
            The utterances' frames.
        layer : int
            Which hidden layer, 1-based; ``-1`` = the last.
        """
        padded = self.network_input(X)
        idx = hidden_layer_index(layer, len(self.network_.hidden_names))
        lengths = (~np.isnan(padded[..., 0])).sum(1)
        return _hidden(self.network_, to_tensor(padded, _DTYPES[self.dtype], self._device), lengths, idx)

    @refuses_empty
    def predict(self, X: Any, *, beam_size: int = 1) -> list[str]:
        """The transcript of each utterance.

        Parameters
        ----------
        X : list of arrays of shape (T_i, F)
            The utterances' frames.
        beam_size : int
            1: greedy CTC decoding; more: a prefix beam search keeping ``beam_size`` labels.
        """
        positive_int().check("beam_size", beam_size)
        decode = greedy_decode if beam_size == 1 else (lambda lp: prefix_beam_search(lp, int(beam_size)))
        return ["".join(self.alphabet_[s - 1] for s in decode(lp)) for lp in self.frame_log_probs(X)]

    @refuses_empty
    def score(self, X: Any, y: Any, *, beam_size: int = 1) -> float:
        """1 - the corpus character error rate of :meth:`predict` against the transcripts ``y`` (higher is better, as scikit-learn's scores).

        A character of ``y`` outside ``alphabet_`` is allowed: the model cannot emit it, so it counts as an error.

        Parameters
        ----------
        X : list of arrays of shape (T_i, F)
            The utterances' frames.
        y : sequence of str
            The true transcripts.
        beam_size : int
            As :meth:`predict` takes it.
        """
        self._require_fitted()
        refs = check_texts(y, "y", allow_empty=False)
        hyps = self.predict(X, beam_size=beam_size)
        if len(refs) != len(hyps):
            raise ValueError(f"y must hold one text per utterance: X has {len(hyps)} utterances, y has {len(refs)} texts.")
        return 1.0 - character_error_rate(refs, hyps)

    # -- files --------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to one ``.safetensors`` file (weights + JSON metadata; no pickle), atomically.

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        state = {"alphabet": self.alphabet_, "n_features": self.n_features_in_, "mean": self.mean_.tolist(), "scale": self.scale_.tolist(),
                 "max_len": self.max_len_, "min_length": self.min_length_, "network": self.network_.config(), "history": self.history_.to_dict(),
                 "long_columns": getattr(self, "long_columns_", None)}
        tensors = {f"network.{k}": v for k, v in self.network_.state_dict().items()}
        save_fitted(path, self, state, tensors)

    @classmethod
    @file_errors
    @parameters_section(LOAD_PARAMETERS)
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> SpeechRecognizer:
        """Read a model written by :meth:`save` (JSON and raw tensors only; nothing is unpickled)."""
        params, state, tensors = load_app(path, cls.__name__, device)
        model = cls(**params)
        model.alphabet_, model.n_features_in_ = str(state["alphabet"]), int(state["n_features"])
        model.mean_, model.scale_ = np.asarray(state["mean"], dtype=np.float64), np.asarray(state["scale"], dtype=np.float64)
        model.max_len_, model.min_length_ = int(state["max_len"]), int(state["min_length"])
        model._device = load_device(model.device, device)
        with one_thread():
            net = cast(CTCNetwork, restore_state(lambda: CTCNetwork.from_config(state["network"]), split_prefix(tensors, "network"), path,
                                                     _DTYPES[model.dtype]))
        model.network_ = net.to(dtype=_DTYPES[model.dtype], device=model._device)
        model._set_history(History.from_dict(state["history"]))
        if state.get("long_columns") is not None:  # fitted by fit_long: the id, order, feature and transcript columns it read
            model.long_columns_ = dict(state["long_columns"])
        if state.get("provenance_") is not None:  # the key the other apps' files use, which `hiddenlayers info` shows
            model.provenance_ = state["provenance_"]
        mark_built(model, _BUILT_FROM)
        return model


def _standardisation(source: Any, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature ``(mean, scale)`` ``(F,)`` of ``frames`` ``(total frames, F)``; a source with as many features keeps its own,
    which its copied first layer learned to read."""
    if source is not None and int(source.n_features_in_) == int(frames.shape[1]):
        return source.mean_.copy(), source.scale_.copy()
    return frames.mean(0).astype(np.float64), np.maximum(frames.std(0), 1e-6).astype(np.float64)


@torch.inference_mode()
def _hidden(network: CTCNetwork, X: torch.Tensor, lengths: np.ndarray, layer: int, batch: int = 256) -> np.ndarray:
    """Hidden layer ``layer``'s (0-based) output ``(N, T', units)`` float64 for padded ``X``, in batches of similar lengths,
    zero past each utterance's steps at that layer."""
    order = np.argsort(lengths, kind="stable")
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    with evaluating(network), one_thread():
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            h = network(X[torch.as_tensor(idx, device=X.device)][:, : int(lengths[idx].max())], return_hidden=True)[1][layer]
            steps = torch.as_tensor(lengths[idx])
            for module in network.hidden_layers[: layer + 1]:
                steps = step_lengths(module, steps)
            parts.append((idx, zero_padding(h, steps).double().cpu().numpy()))
    out = np.zeros((len(order), max(p.shape[1] for _, p in parts), parts[0][1].shape[2]))
    for idx, values in parts:
        out[idx, : values.shape[1]] = values
    return out


@torch.inference_mode()
def _run(network: CTCNetwork, X: torch.Tensor, lengths: np.ndarray, Y: torch.Tensor | None = None,
         batch: int = 256) -> tuple[list[np.ndarray], float]:
    """``(per-utterance log-probabilities (T'_i, symbols), summed CTC loss against Y's rows or 0.0)`` for padded ``X``,
    in batches of similar lengths (each cut to its longest utterance)."""
    order = np.argsort(lengths, kind="stable")
    out: list[np.ndarray] = [np.empty(0)] * len(order)
    loss = 0.0
    with evaluating(network), one_thread():
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            rows = torch.as_tensor(idx, device=X.device)
            z = network(X[rows][:, : int(lengths[idx].max())])  # (B, T', symbols)
            if Y is not None:
                loss += float(ctc_per_row(z, Y[rows]).sum())
            lp = torch.log_softmax(z.double(), dim=2).cpu().numpy()
            frames = network.output_lengths(torch.as_tensor(lengths[idx])).tolist()
            for k, i in enumerate(idx.tolist()):
                out[i] = lp[k, : frames[k]]
    return out, loss


__all__ = ["DEFAULT_SPEC", "SPEECH_PARAMS", "SpeechRecognizer"]
