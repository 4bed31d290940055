"""``Translator``: a sequence-to-sequence network with attention, scikit-learn style.

Sentences are put in Unicode NFC (an accent typed apart joins its letter),
then split into lowercased words and punctuation marks (or
characters); each side gets its own vocabulary, stored as JSON in the model
file. A (bi-directional) GRU/LSTM encoder reads the source, a GRU/LSTM decoder
with Bahdanau or Luong attention writes the target; training uses teacher
forcing and stops early on the validation loss (cross-entropy per target
token). The default, Luong attention without input feeding and an output layer
tied to the target embeddings, trains the decoder over whole sentences at once
(about 2x faster per epoch than step-by-step Bahdanau) and learns in fewer epochs. Decoding is greedy (``beam_size=1``) or beam search with length
normalisation; :meth:`Translator.score` is corpus BLEU from ``sacrebleu``.

>>> english = ["the cat sleeps", "the dog sleeps", "the cat eats", "the dog eats"] * 4
>>> spanish = ["el gato duerme", "el perro duerme", "el gato come", "el perro come"] * 4
>>> tr = Translator(hidden_size=16, embed_dim=8, max_iter=2, early_stopping=False, random_state=0).fit(english, spanish)
>>> type(tr.predict(["the cat sleeps"], beam_size=2)[0])
<class 'str'>
>>> 0 <= tr.score(english, spanish) <= 100          # corpus BLEU
True
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator, Sequence
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ..._docsections import parameters_section
from ..._params import Bool, Interval, Options, Param, StrOptions, document, validate
from ..._stacklevel import user_stacklevel
from ...estimators import KeepsFittedSource, fit_keywords, refuse_frozen_fresh, restored_on_error
from ...network import evaluating, load_device, resolve_device
from ...training import History, frozen, refuse_unusable
from .._app_params import number, own_loop_callbacks_row, positive_int, row
from .._appfile import LOAD_PARAMETERS, DevicePickle, file_errors, load_app, restore_state, save_fitted, split_prefix
from .._fit import check_positive_int
from .._fitted import FitRequired, refuses_empty
from .._seed import keeps_global_rng, seed_everything
from .._tokenize import NORMAL_FORMS, NORMAL_FORMS_TEXT, normalized
from .._warm import frozen_names, open_source, provenance_record
from .._warm_fit import continues, mark_built, refuse_rebuilt, warm_frozen
from .fit import diverged_fix, train
from .seq2seq import Seq2Seq, beam_decode, greedy_decode, pad_batch
from .text import BOS, EOS, PAD, AttentionMap, Vocab, check_texts, detokenize, single_thread, tokenize, unknown_words, unknown_words_note
from .warm import check_same_tokens, freezable, start_from

_FLAG = Bool(error=TypeError)
_BUILT_FROM = ("hidden_size", "embed_dim", "cell", "num_layers", "bidirectional", "attention", "input_feeding", "tie_embeddings",
               "tokenizer", "lowercase", "normalize", "max_vocab", "min_freq")  # what shaped the model and its vocabularies: a warm fit refuses another value

TRANSLATOR_PARAMS: tuple[Param, ...] = (
    Param("hidden_size", positive_int(), 128, "Units of each recurrent layer (per direction in the encoder)"),
    Param("embed_dim", positive_int(), 64, "Width of the source and target word embeddings"),
    Param("cell", StrOptions(("gru", "lstm")), "gru", "Recurrent cell of the encoder and decoder"),
    Param("num_layers", positive_int(), 1, "Stacked recurrent layers in the encoder and the decoder"),
    Param("bidirectional", _FLAG, True, "Read the source both ways"),
    Param("attention", StrOptions(("bahdanau", "luong")), "luong", "Attention: additive 'bahdanau' or multiplicative 'luong'"),
    Param("input_feeding", _FLAG, False, "Feed the last attention vector into the next decoder step (step-by-step training, slower)"),
    Param("tie_embeddings", _FLAG, True, "The output layer shares the target embedding matrix (fewer weights, faster learning on small corpora)"),
    Param("tokenizer", StrOptions(("word", "char")), "word", "Split sentences into words (and punctuation) or characters"),
    Param("lowercase", _FLAG, True, "Fold case before tokenizing"),
    Param("normalize", Options(NORMAL_FORMS, text=NORMAL_FORMS_TEXT, type="{'NFC', 'NFKC'} or None"), "NFC",
          "Unicode normalization of both sides before case folding (and of score's references): 'NFC' joins accents typed apart "
          "('e' + U+0301 -> 'é'), which changes no character's look, so translations keep the target's characters; 'NFKC' also folds "
          "full-width letters, ligatures, '²' -> '2', '…' -> '...'; None reads text as typed (models saved before this setting existed)"),
    Param("max_vocab", positive_int(5, none=True, text="an integer >= 5"), 10000, "Most tokens in each vocabulary (rarer ones become <unk>); None keeps all"),
    Param("min_freq", positive_int(), 1, "Drop tokens seen fewer times than this (they become <unk>)"),
    Param("max_len", positive_int(2), 50, "Tokens kept per sentence, and the default length of a translation"),
    Param("dropout", Interval(Real, 0, 1, closed="left", bools=False), 0.1, "Dropout on embeddings and recurrent outputs while training"),
    Param("teacher_forcing", Interval(Real, 0, 1, bools=False, text="a probability in [0, 1]"), 1.0,
          "Probability of feeding the true previous word (not the predicted one) while training"),
    row("learning_rate_init", 2e-3),
    Param("max_grad_norm", number(0, strict=True), 5.0, "Clip the gradients' global L2 norm to this"),
    row("batch_size", 64, "Sentence pairs per minibatch"),
    row("max_iter", 30),
    row("max_time", None,
        "Seconds of training: stops at the end of the epoch once the time used, or it plus the last epoch's duration, reaches it"),
    row("early_stopping", True, "Hold out validation_fraction of the pairs and stop when their token accuracy stops improving",
        constraint=_FLAG, check=True),
    row("validation_fraction", 0.1),
    row("n_iter_no_change", 3),
    row("tol", 1e-4),
    row("device", "auto", check=False),  # resolved by fit
    row("random_state", None),
    own_loop_callbacks_row(),
    row("progress_bar", False),
    row("verbose", False),
    row("warm_start", False, "fit goes on from the fitted model's weights for max_iter epochs more (Adam restarts, as scikit-learn's "
        "MLP's); the first fit's vocabularies are kept (new words read as the unknown token)"),
    row("init_from", None, "Start from this fitted Translator (or its saved file), e.g. one pre-trained on a large general corpus: the "
        "vocabularies are learned from this fit's data; the embedding and output rows of the tokens both know are copied (matched by "
        "text), new tokens start fresh; the encoder, bridge, attention, decoder and combine layers are copied where their shapes "
        "match, the others start fresh, named in one warning. tokenizer, lowercase and normalize must be the source's (checked by fit)"),
    row("freeze", None, "Layers kept fixed during fit: the first k of encoder, bridge (bridge_cell for an LSTM), attn, decoder, combine, "
        "or these names; the embeddings and output layer always train, as they hold the new tokens' rows (checked by fit)"),
)


def _warn_empty_pairs(src_tok: Sequence[Sequence[str]], tgt_tok: Sequence[Sequence[str]]) -> None:
    """A ``UserWarning`` naming the pairs whose source or target has no token (an empty or blank string).

    Why: a misaligned or cut parallel corpus holds such lines, and each teaches the model to translate a sentence into
    nothing (an empty target: EOS at once) or nothing into a sentence, which a corpus-cleaning step drops before training."""
    empty = [i for i, (s, t) in enumerate(zip(src_tok, tgt_tok)) if not s or not t]
    if empty:
        shown = ", ".join(map(str, empty[:5])) + (", ..." if len(empty) > 5 else "")
        warnings.warn(f"{len(empty)} of {len(src_tok)} sentence pairs have an empty source or target (pairs {shown}): each trains "
                      "the model to translate into or from nothing; drop them first, e.g. keep the pairs where "
                      "s.strip() and t.strip().", UserWarning, stacklevel=user_stacklevel())


@document(TRANSLATOR_PARAMS)
class Translator(KeepsFittedSource, FitRequired, DevicePickle, BaseEstimator):
    """Encoder-decoder translator with attention (fit on parallel sentences, predict strings).

    ``attention="luong"`` with ``input_feeding=False`` (the default) trains all
    decoder steps at once, several times faster than ``bahdanau`` or input feeding,
    which run step by step. Fitted: ``model_``,
    ``source_vocab_``, ``target_vocab_`` (lists of tokens), ``history_``,
    ``loss_curve_``, ``validation_scores_`` (token accuracy), ``n_iter_``, ``stop_reason_``;
    ``transferred_``, ``frozen_`` (layer names) and ``provenance_`` (the ``init_from`` source, its file's
    hash, the layers copied and kept fixed, and per side the tokens whose rows were copied and those new;
    None without ``init_from`` or ``freeze``; kept in the model file, from which :meth:`load` restores all three).
    Beyond fit/predict/score/transform: :meth:`attention_map` (where each output
    word looked) and :meth:`log_probability` (how likely a given translation is).
    """

    _fitted_attribute = "model_"
    #: what a file written before these options existed was trained with: Luong fed its vector back, the output layer had its
    #: own weights, and text was read as typed. ``load`` fills them in, and so does ``train --app translator --init-from``.
    PARAMS_BEFORE_OPTIONS: ClassVar[dict[str, Any]] = {"input_feeding": True, "tie_embeddings": False, "normalize": None}
    _not_fitted = "This {name} instance is not fitted yet: call fit(sources, targets) before using it."
    _net_attr = "model_"  # the fitted network, for DevicePickle

    def __init__(
        self,
        *,
        hidden_size: int = 128,
        embed_dim: int = 64,
        cell: str = "gru",
        num_layers: int = 1,
        bidirectional: bool = True,
        attention: str = "luong",
        input_feeding: bool = False,
        tie_embeddings: bool = True,
        tokenizer: str = "word",
        lowercase: bool = True,
        normalize: str | None = "NFC",
        max_vocab: int | None = 10000,
        min_freq: int = 1,
        max_len: int = 50,
        dropout: float = 0.1,
        teacher_forcing: float = 1.0,
        learning_rate_init: float = 2e-3,
        max_grad_norm: float = 5.0,
        batch_size: int = 64,
        max_iter: int = 30,
        max_time: float | None = None,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 3,
        tol: float = 1e-4,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        callbacks: Any = None,
        progress_bar: bool = False,
        verbose: bool = False,
        warm_start: bool = False,
        init_from: Any = None,
        freeze: Any = None,
    ) -> None:
        self.warm_start = warm_start
        self.hidden_size = hidden_size
        self.embed_dim = embed_dim
        self.cell = cell
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.attention = attention
        self.input_feeding = input_feeding
        self.tie_embeddings = tie_embeddings
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.normalize = normalize
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.max_len = max_len
        self.dropout = dropout
        self.teacher_forcing = teacher_forcing
        self.learning_rate_init = learning_rate_init
        self.max_grad_norm = max_grad_norm
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.max_time = max_time
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.progress_bar = progress_bar
        self.verbose = verbose
        self.init_from = init_from
        self.freeze = freeze

    # -- checks -----------------------------------------------------------
    def _validate_params(self) -> None:
        validate(self, TRANSLATOR_PARAMS)

    # -- text <-> ids -----------------------------------------------------
    def _tokens(self, text: str) -> list[str]:
        return tokenize(text, self.tokenizer, self.lowercase, self.normalize)[: self.max_len - 1]

    def _source_ids(self, sources: Sequence[str]) -> list[list[int]]:
        vocab = self._src_vocab
        return [vocab.encode(self._tokens(s)) + [EOS] for s in sources]

    def unknown_words(self, sources: Any) -> list[list[str]]:
        """Per source sentence, its tokens that the source vocabulary lacks, each once, in order.

        They read as the unknown token; :meth:`predict` counts them in one warning.

        Parameters
        ----------
        sources : list of str
            The sentences, tokenized as the model does (lowercased with ``lowercase``).
        """
        self._require_fitted()
        return unknown_words((self._tokens(s) for s in check_texts(sources, "sources")), self._src_vocab)

    def _target_ids(self, targets: Sequence[str]) -> list[list[int]]:
        return [self._tgt_vocab.encode(self._tokens(t)) for t in targets]

    def _text(self, ids: Sequence[int]) -> str:
        return detokenize(self._tgt_vocab.decode(ids), self.tokenizer)

    def _pairs(self, sources: Any, targets: Any) -> tuple[list[str], list[str]]:
        src, tgt = check_texts(sources, "sources"), check_texts(targets, "targets")
        if len(src) != len(tgt):
            raise ValueError(f"sources and targets must pair up one to one: got {len(src)} sources and {len(tgt)} targets.")
        return src, tgt

    def _batches(self, lengths: Sequence[int], shuffle: bool, rng: np.random.Generator | None = None) -> Iterator[np.ndarray]:
        """Index batches of similar length (little padding); shuffled in pools of 50 batches when training."""
        order = rng.permutation(len(lengths)) if shuffle and rng is not None else np.arange(len(lengths))
        pool = self.batch_size * 50
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        if shuffle and rng is not None:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        yield from batches

    def _tensors(self, src: list[list[int]], tgt: list[list[int]], idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        s, lengths = pad_batch([src[i] for i in idx], self._device)
        t_in, _ = pad_batch([[BOS] + tgt[i] for i in idx], self._device)
        t_out, _ = pad_batch([tgt[i] + [EOS] for i in idx], self._device)
        return s, lengths, t_in, t_out

    # -- fit --------------------------------------------------------------
    @single_thread
    @fit_keywords
    @keeps_global_rng
    def fit(self, sources: Any, targets: Any) -> Translator:
        """Learn to translate each ``sources[i]`` into ``targets[i]``.

        Two named pandas Series (a table's columns) are remembered as ``source_column_`` and ``target_column_`` (kept in the
        model file), so a table of the same columns reads back by name (``hiddenlayers predict``).

        Parameters
        ----------
        sources : list of str or pandas.Series
            The sentences to translate from.
        targets : list of str or pandas.Series
            Their translations, one per source.
        """
        self._validate_params()
        columns = _column_names(sources, targets)
        src_text, tgt_text = self._pairs(sources, targets)
        device = resolve_device(self.device)
        generator = seed_everything(self.random_state, device)
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        n = len(src_text)
        val_idx: np.ndarray | None = None
        if self.early_stopping:
            n_val = max(1, int(round(self.validation_fraction * n)))
            if n - n_val < 1:
                raise ValueError(
                    f"{n} sentence pairs are too few for early_stopping with validation_fraction={self.validation_fraction}: pass more pairs or early_stopping=False."
                )
            perm = rng.permutation(n)
            val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        else:
            train_idx = np.arange(n)
        src_tok = [self._tokens(s) for s in src_text]
        tgt_tok = [self._tokens(t) for t in tgt_text]
        _warn_empty_pairs(src_tok, tgt_tok)
        if continues(self):
            return self._fit_warm(src_tok, tgt_tok, (train_idx, val_idx), rng)
        source, provenance = open_source(self)  # another class: one ValueError, before anything changes
        if source is not None:
            check_same_tokens(source, self)
        with restored_on_error(self):  # new vocabularies and model; a fit that fails puts the old ones back
            self._device = device
            self._src_vocab = Vocab.build((src_tok[i] for i in train_idx), self.max_vocab, self.min_freq)
            self._tgt_vocab = Vocab.build((tgt_tok[i] for i in train_idx), self.max_vocab, self.min_freq)
            self.source_vocab_, self.target_vocab_ = self._src_vocab.itos, self._tgt_vocab.itos
            for attr in ("source_column_", "target_column_"):
                self.__dict__.pop(attr, None)
            self.__dict__.update(columns)
            src = [self._src_vocab.encode(t) + [EOS] for t in src_tok]
            tgt = [self._tgt_vocab.encode(t) for t in tgt_tok]
            self.model_ = self._build().to(self._device)
            fixed = frozen_names(self, freezable(self.model_))
            copied, counts = self._start_from(source) if source is not None else ([], {})
            if source is not None:
                refuse_frozen_fresh(fixed, copied, freezable(self.model_))
            with frozen(self.model_, fixed):
                self._set_history(self._usable(train(self, src, tgt, train_idx, val_idx, rng, clock=time.perf_counter)))
            self.transferred_, self.frozen_, self.provenance_ = copied, fixed, provenance_record(provenance, copied, fixed)
            if self.provenance_ is not None:
                self.provenance_.update(counts)
            mark_built(self, _BUILT_FROM)
        return self

    def _fit_warm(self, src_tok: list[list[str]], tgt_tok: list[list[str]], split: tuple[np.ndarray, np.ndarray | None],
                  rng: np.random.Generator) -> Translator:
        """``warm_start=True``: go on training ``model_`` on the token lists ``src_tok``/``tgt_tok`` with ``split``'s (train,
        validation) pairs. The first fit's vocabularies stay (a token they lack reads as the unknown token, as in predict);
        the layers ``freeze`` names now stay fixed; ``init_from`` is not read again (the model itself is the start)."""
        refuse_rebuilt(self, _BUILT_FROM)
        src = [self._src_vocab.encode(t) + [EOS] for t in src_tok]
        tgt = [self._tgt_vocab.encode(t) for t in tgt_tok]
        with restored_on_error(self), warm_frozen(self, self.model_, freezable(self.model_)):  # a failed fit puts the weights back
            self._set_history(self._usable(train(self, src, tgt, *split, rng, clock=time.perf_counter, history=self.history_)))
        return self

    def _start_from(self, source: Translator) -> tuple[list[str], dict[str, int]]:
        """Copy ``source``'s rows of the tokens both vocabularies hold and its layers of matching shape into ``model_``."""
        vocabs = {"source": (source.source_vocab_, self.source_vocab_), "target": (source.target_vocab_, self.target_vocab_)}
        return start_from(source, self.model_, vocabs)

    def _build(self) -> Seq2Seq:
        return Seq2Seq(
            len(self._src_vocab),
            len(self._tgt_vocab),
            embed_dim=self.embed_dim,
            hidden_size=self.hidden_size,
            cell=self.cell,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            attention=self.attention,
            dropout=float(self.dropout),
            input_feeding=bool(self.input_feeding),
            tie_embeddings=bool(self.tie_embeddings),
        )

    def _usable(self, history: History) -> History:
        """``history`` of a run that left usable weights; a run whose first epoch diverged (no epoch to fall back on) is
        ``training``'s one-line ValueError, raised inside ``restored_on_error`` (the model stays as it was)."""
        refuse_unusable(history, self.learning_rate_init, diverged_fix(self))
        return history

    def _set_history(self, history: History) -> None:
        self.history_ = history
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history.train_loss)
        self.validation_scores_ = list(history.val_score) if self.early_stopping else None
        self.stop_reason_ = history.stop_reason

    # -- use --------------------------------------------------------------
    @refuses_empty
    def predict(
        self, sources: Any, *, beam_size: int = 1, max_len: int | None = None, length_penalty: float = 1.0, copy_unknown: bool = True
    ) -> list[str]:
        """Translate each source sentence.

        A source with no token (``""``, blanks) translates to ``""``, as line-aligned translators (Marian, OpenNMT) keep
        blank lines blank: nothing is decoded for it. Source words not seen in fit are counted in one ``UserWarning`` (how
        many sentences, the first few words: :meth:`unknown_words` lists them).

        Parameters
        ----------
        sources : list of str or pandas.Series
            The sentences to translate.
        beam_size : int
            1: greedy; more: beam search whose finished hypotheses are ranked by log-probability / length **
            ``length_penalty``.
        max_len : int, optional
            The most tokens written (default: the ``max_len`` parameter).
        length_penalty : float
            The exponent of the length in the beam's ranking (0: no length normalisation).
        copy_unknown : bool
            Replace an output ``<unk>`` by the source word it attended to most (names and rare words pass through, as in
            Luong et al. 2015).
        """
        texts = check_texts(sources, "sources")
        decoded = self._decode(texts, beam_size, max_len, length_penalty)
        note = unknown_words_note(self.unknown_words(texts), self.tokenizer)
        if note is not None:
            warnings.warn(note, UserWarning, stacklevel=user_stacklevel())
        out = []
        for text, (ids, _, align) in zip(texts, decoded):
            words = self._tgt_vocab.decode(ids)
            if copy_unknown:
                source = self._tokens(text)
                words = [source[j] if w == "<unk>" and j < len(source) else w for w, j in zip(words, align)]
                words = [w for w in words if w != "<unk>"]
            out.append(detokenize(words, self.tokenizer))
        return out

    @single_thread
    def _decode(self, sources: Any, beam_size: int, max_len: int | None, length_penalty: float) -> list[tuple[list[int], float, list[int]]]:
        """``(ids, log-probability, attended source position per id)`` per sentence."""
        self._require_fitted()
        texts = check_texts(sources, "sources")
        check_positive_int(beam_size, "beam_size")
        limit = check_positive_int(self.max_len if max_len is None else max_len, "max_len")
        if isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float)) or length_penalty < 0:
            raise ValueError(f"length_penalty must be a number >= 0. Received: length_penalty={length_penalty!r}.")
        src = self._source_ids(texts)
        out: list[tuple[list[int], float, list[int]]] = [([], 0.0, [])] * len(src)  # an empty source's: the empty translation
        said = np.flatnonzero([len(s) > 1 for s in src])  # sources with a token besides EOS; the others are not decoded
        with evaluating(self.model_):  # no dropout; each submodule's own mode back after
            for batch in self._batches([len(src[i]) for i in said], shuffle=False):
                b = said[batch]
                s, lengths = pad_batch([src[i] for i in b], self._device)
                if beam_size == 1:
                    ids, scores, maps = greedy_decode(self.model_, s, lengths, limit)
                    for i, row, sc, att in zip(b, ids, scores, maps):
                        out[i] = (row, sc, att.argmax(1).tolist())
                else:
                    for j, i in enumerate(b):
                        out[i] = beam_decode(
                            self.model_, s[j : j + 1, : int(lengths[j])], lengths[j : j + 1], int(beam_size), limit, float(length_penalty)
                        )
        return out

    @single_thread
    @torch.no_grad()
    def log_probability(self, sources: Any, targets: Any) -> np.ndarray:
        """Log-probability (natural log, EOS included) the model gives each target given its source, ``(N,)``.

        Parameters
        ----------
        sources : list of str
            The source sentences.
        targets : list of str
            One candidate translation per source.
        """
        self._require_fitted()
        src_text, tgt_text = self._pairs(sources, targets)
        src, tgt = self._source_ids(src_text), self._target_ids(tgt_text)
        out = np.zeros(len(src))
        with evaluating(self.model_):
            for b in self._batches([len(s) for s in src], shuffle=False):
                s, lengths, t_in, t_out = self._tensors(src, tgt, b)
                logp = torch.log_softmax(self.model_(s, lengths, t_in).double(), dim=2)
                picked = logp.gather(2, t_out.unsqueeze(2)).squeeze(2).masked_fill(t_out == PAD, 0.0)
                out[b] = picked.sum(1).cpu().numpy()
        return out

    @refuses_empty
    def score(self, sources: Any, targets: Any, *, beam_size: int = 1) -> float:
        """Corpus BLEU (0-100, ``sacrebleu``, 13a tokenization) of the translations of ``sources`` against the references.

        Compared lowercased when ``lowercase=True``, the references in the model's Unicode form (``normalize``).

        Parameters
        ----------
        sources : list of str
            The sentences to translate.
        targets : list of str
            The reference translations, one per source.
        beam_size : int
            As :meth:`predict`'s.
        """
        import sacrebleu

        src_text, tgt_text = self._pairs(sources, targets)
        hyps = self.predict(src_text, beam_size=beam_size)
        refs = [normalized(t, self.normalize) for t in tgt_text]  # as the targets fit read: a decomposed accent matches the translation's
        return float(sacrebleu.corpus_bleu(hyps, [refs], lowercase=bool(self.lowercase)).score)

    @single_thread
    @torch.no_grad()
    def attention_map(self, source: str, *, max_len: int | None = None) -> AttentionMap:
        """The attention weights of the greedy translation of one ``source`` sentence.

        Parameters
        ----------
        source : str
            The sentence to translate.
        max_len : int, optional
            The most tokens written (default: the ``max_len`` parameter).
        """
        self._require_fitted()
        if not isinstance(source, str):
            raise TypeError(f"source must be one sentence (str). Received: {type(source).__name__}; use predict() for lists.")
        src = self._source_ids([source])
        limit = check_positive_int(self.max_len if max_len is None else max_len, "max_len")
        if len(src[0]) == 1:  # no token: the empty translation, as predict's, its EOS on the source's EOS
            return AttentionMap(np.ones((1, 1)), ["<eos>"], ["<eos>"], "")
        s, lengths = pad_batch(src, self._device)
        with evaluating(self.model_):
            ids, _, maps = greedy_decode(self.model_, s, lengths, limit)
        weights = maps[0].double().numpy()
        targets = self._tgt_vocab.decode(ids[0]) + (["<eos>"] if weights.shape[0] > len(ids[0]) else [])
        return AttentionMap(weights, self._src_vocab.decode(src[0]), targets, self._text(ids[0]))

    @single_thread
    @torch.no_grad()
    @refuses_empty
    def transform(self, sources: Any) -> np.ndarray:
        """Encoder states averaged over each sentence's tokens, ``(N, hidden_size * directions)``.

        Parameters
        ----------
        sources : list of str
            The sentences to encode.
        """
        self._require_fitted()
        src = self._source_ids(check_texts(sources, "sources"))
        out = np.zeros((len(src), self.model_.enc_dim))
        with evaluating(self.model_):
            for b in self._batches([len(s) for s in src], shuffle=False):
                s, lengths = pad_batch([src[i] for i in b], self._device)
                enc = self.model_.encode(s, lengths)
                out[b] = (enc.memory.sum(1) / lengths.to(enc.memory.device)[:, None]).double().cpu().numpy()
        return out

    # -- the lens -----------------------------------------------------------
    def network_input(self, pairs: Any) -> np.ndarray:
        """``(N, 2, W)`` int64 ids of the sentence pairs ``pairs`` for :func:`hiddenlayers.lens.report` and ``record``.

        Per pair, the source ids (with EOS) and BOS + the target ids, each padded with PAD (0) to ``W`` (see
        :meth:`lens_network`). The targets are fed teacher-forced: the decoder reads the reference translation, as in
        training, so each of its layers is seen on the words a good translation has.

        Parameters
        ----------
        pairs : tuple of two lists of str, or DataFrame
            ``(sources, targets)``, two lists of sentences as :meth:`score` takes them, or a DataFrame holding the
            ``source_column_`` and ``target_column_`` this model was fitted on.
        """
        self._require_fitted()
        sources, targets = self._lens_pairs(pairs)
        src_text, tgt_text = self._pairs(sources, targets)
        if not src_text:
            raise ValueError("pairs holds no sentence pair: pass at least one (source, target) pair.")
        from .lens_view import pair_rows

        return pair_rows(self._source_ids(src_text), self._target_ids(tgt_text))

    def _lens_pairs(self, pairs: Any) -> tuple[Any, Any]:
        """``(sources, targets)`` of :meth:`network_input`'s ``pairs`` (a one-line TypeError for another form)."""
        if hasattr(pairs, "columns") and hasattr(pairs, "iloc"):
            names = (getattr(self, "source_column_", None), getattr(self, "target_column_", None))
            if names[0] is None or names[1] is None:
                raise TypeError(f"{type(self).__name__} was fitted on lists, so it stores no column names to read a DataFrame by: "
                                "pass (sources, targets), two lists of sentences.")
            missing = [n for n in names if n not in pairs.columns]
            if missing:
                raise ValueError(f"the DataFrame has no column {missing[0]!r} (this model's {'source' if missing[0] == names[0] else 'target'} "
                                 f"column); its columns are {', '.join(map(repr, map(str, pairs.columns[:10])))}.")
            return pairs[names[0]], pairs[names[1]]
        if isinstance(pairs, tuple) and len(pairs) == 2:
            return pairs[0], pairs[1]
        raise TypeError(f"a Translator's pairs are a tuple (sources, targets) of two lists of sentences, as score() takes them"
                        f"{' or a DataFrame of its source and target columns' if getattr(self, 'source_column_', None) else ''}. "
                        f"Received: {type(pairs).__name__}.")

    def lens_network(self) -> torch.nn.Module:
        """The fitted network as the one-input module :mod:`hiddenlayers.lens` runs on :meth:`network_input`'s rows: the
        encoder's layers on the sources and the decoder's on the teacher-forced targets, named ``encoder.*`` and ``decoder.*``."""
        self._require_fitted()
        from .lens_view import TranslatorLens

        return TranslatorLens(self.model_)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__({"normalize": None, **state})  # pickled before normalize existed: text read as typed, as then

    # -- files ------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write weights, vocabularies and history to one ``.safetensors`` file (JSON metadata; no pickle).

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        state = {"source_vocab": self.source_vocab_, "target_vocab": self.target_vocab_, "history": self.history_.to_dict(),
                 **{k[:-1]: getattr(self, k) for k in ("source_column_", "target_column_") if hasattr(self, k)}}
        tensors = {f"model.{k}": v for k, v in self.model_.state_dict().items()}
        save_fitted(path, self, state, tensors)

    @classmethod
    @file_errors
    @parameters_section(LOAD_PARAMETERS)
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> Translator:
        """Read a model written by :meth:`save`."""
        params, state, tensors = load_app(path, cls.__name__, device)
        params = {**cls.PARAMS_BEFORE_OPTIONS, **params}
        model = cls(**params)
        model._src_vocab, model._tgt_vocab = Vocab(state["source_vocab"]), Vocab(state["target_vocab"])
        model.source_vocab_, model.target_vocab_ = model._src_vocab.itos, model._tgt_vocab.itos
        model._device = load_device(model.device, device)
        net = restore_state(model._build, split_prefix(tensors, "model"), path)
        model.model_ = net.to(model._device)
        model._set_history(History.from_dict(state["history"]))
        model.__dict__.update({f"{k}_": str(state[k]) for k in ("source_column", "target_column") if state.get(k) is not None})
        if state.get("provenance_") is not None:  # the key the other apps' files use, which `hiddenlayers info` shows
            model.provenance_ = state["provenance_"]
            model.__dict__.update({k: state[k] for k in ("transferred_", "frozen_") if k in state})  # load_app's, from the record
        mark_built(model, _BUILT_FROM)
        return model


def _column_names(sources: Any, targets: Any) -> dict[str, str]:
    """``{"source_column_": ..., "target_column_": ...}`` when both are pandas Series with string names (a table's columns), else ``{}``."""
    source, target = (getattr(v, "name", None) if hasattr(v, "to_numpy") else None for v in (sources, targets))
    return {"source_column_": source, "target_column_": target} if isinstance(source, str) and isinstance(target, str) else {}


__all__ = ["AttentionMap", "Translator", "detokenize", "tokenize"]
