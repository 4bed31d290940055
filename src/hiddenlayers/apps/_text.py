"""``TextClassifier``: texts -> token ids -> embedding + recurrent hidden layers, scikit-learn API.

A :class:`~hiddenlayers.apps.SequenceClassifier` whose input is
text: a :class:`~hiddenlayers.apps._tokenize.Tokenizer` (words or
characters) fitted on the training texts turns each text into ids; its
vocabulary is saved in the model file as JSON, and words never seen in
``fit`` map to the "unknown" id at predict time.

>>> texts = ["a fine film", "a dull mess", "fine acting", "a dull plot"] * 5
>>> clf = TextClassifier("embed8,gru8", max_iter=3, early_stopping=False, random_state=0).fit(texts, [1, 0, 1, 0] * 5)
>>> clf.predict(["what a fine mess"]).shape
(1,)
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np

from .._params import Bool, Options, Param, StrOptions, document
from ..estimators import load_source
from ._app_params import positive_int, row
from ._appfile import open_model_file
from ._seq.data import IDS
from ._seq.sequence import SEQUENCE_PARAMS, SequenceClassifier
from ._tokenize import NORMAL_FORMS, NORMAL_FORMS_TEXT, Tokenizer, as_texts

DEFAULT_SPEC = "embed64,gru64"


_SEQ = {p.name: p for p in SEQUENCE_PARAMS}


def _texts(X: Any) -> list[str]:
    texts = as_texts(X)
    if not texts:
        raise ValueError("X has 0 texts: pass at least one.")
    return texts


def _refuse_no_vocabulary(tokenizer: Tokenizer, texts: list[str]) -> None:
    """A vocabulary of no token (every training text empty, or no token as frequent as ``min_freq``) is refused, as
    scikit-learn's ``CountVectorizer`` refuses an empty vocabulary: the network would read every text as the same unknown
    ids and learn the label frequencies alone."""
    if tokenizer.tokens:
        return
    unit = "word" if tokenizer.mode == "word" else "character"
    if any(tokenizer.split(t) for t in texts):
        raise ValueError(f"no {unit} appears at least min_freq={tokenizer.min_freq} times in the {len(texts)} training texts, so the "
                         f"vocabulary is empty: lower min_freq.")
    blank = " or blank" if unit == "word" else ""
    raise ValueError(f"the {len(texts)} training texts hold no {unit} (each is empty{blank}), so the vocabulary is empty: check that X "
                     "holds the texts (the CLI's --text-column).")


def _ids(texts: list[str], tokenizer: Tokenizer) -> list[np.ndarray]:
    """Each text's token ids; a text with no tokens reads as one unknown token (:meth:`Tokenizer.text_ids`, the ONNX runner's rule too)."""
    return tokenizer.text_ids(texts)


TEXT_PARAMS: tuple[Param, ...] = (
    row("hidden_layer_sizes", DEFAULT_SPEC, "The hidden layers, as a spec such as 'embed64,gru64' or 'embed64,conv64k5,gmp'"),
    Param("tokenizer", StrOptions(("word", "char"), text="'word' or 'char'"), "word", "Split texts into words (and punctuation) or characters"),
    Param("max_vocab", positive_int(none=True), 20000, "Keep the most frequent tokens; None keeps all"),
    Param("min_freq", positive_int(), 1, "Drop tokens seen fewer times than this in fit"),
    Param("lowercase", Bool(), True, "Fold case before tokenizing"),
    Param("normalize", Options(NORMAL_FORMS, text=NORMAL_FORMS_TEXT, type="{'NFKC', 'NFC'} or None"), "NFKC",
          "Unicode normalization before case folding, so one text typed two ways gives the same tokens: 'NFKC' joins accents "
          "typed apart ('e' + U+0301 -> 'é') and folds full-width letters, ligatures ('ﬁ' -> 'fi'), '²' -> '2', '…' -> '...'; 'NFC' "
          "joins accents only; None reads text as typed (models saved before this setting existed)"),
    replace(_SEQ["max_len"], default=200, doc="Keep each text's first max_len tokens; None keeps all"),
    *(_SEQ[name] for name in ("activation", "solver", "learning_rate", "learning_rate_init", "alpha", "batch_size", "max_iter", "max_time",
                               "early_stopping", "validation_fraction", "n_iter_no_change", "tol", "clip_grad_norm", "dtype",
                               "device", "random_state", "callbacks", "progress_bar", "verbose", "warm_start", "init_from", "freeze", "loss", "gce_q",
                               "class_weight", "label_smoothing", "weight_averaging", "ema_decay", "swa_start", "swa_lr",
                               "swa_anneal_epochs", "swa_anneal_strategy")),
)


@document(TEXT_PARAMS)
class TextClassifier(SequenceClassifier):
    """Classify texts with an embedding and recurrent (or 1-D conv) hidden layers.

    A text with no tokens reads as one unknown token. The fitted attributes are
    those of :class:`SequenceClassifier`, plus ``tokenizer_`` (the fitted ``Tokenizer``).
    """

    _id_shift = 0  # the tokenizer already keeps id 0 for padding
    _param_table = TEXT_PARAMS
    _built_from = (*SequenceClassifier._built_from, "tokenizer", "max_vocab", "min_freq", "lowercase", "normalize")  # the vocabulary stays

    def __init__(
        self,
        hidden_layer_sizes: Any = DEFAULT_SPEC,
        *,
        tokenizer: str = "word",
        max_vocab: int | None = 20000,
        min_freq: int = 1,
        lowercase: bool = True,
        normalize: str | None = "NFKC",
        max_len: int | None = 200,
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
        super().__init__(
            hidden_layer_sizes, activation=activation, solver=solver, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, alpha=alpha, batch_size=batch_size, max_iter=max_iter, max_time=max_time,
            early_stopping=early_stopping, validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            tol=tol, clip_grad_norm=clip_grad_norm, max_len=max_len, dtype=dtype, device=device,
            random_state=random_state, callbacks=callbacks, progress_bar=progress_bar, verbose=verbose, warm_start=warm_start, init_from=init_from, freeze=freeze, loss=loss, gce_q=gce_q,
            class_weight=class_weight, label_smoothing=label_smoothing, weight_averaging=weight_averaging, ema_decay=ema_decay,
            swa_start=swa_start, swa_lr=swa_lr, swa_anneal_epochs=swa_anneal_epochs, swa_anneal_strategy=swa_anneal_strategy,
        )
        self.tokenizer = tokenizer
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.lowercase = lowercase
        self.normalize = normalize

    def _sequences(self, X: Any) -> tuple[str, list[np.ndarray]]:
        return IDS, _ids(_texts(X), self.tokenizer_)

    def _fit_sequences(self, X: Any) -> tuple[str, list[np.ndarray], dict[str, Any]]:
        """The texts as ids by a new tokenizer, which ``state`` holds (``tokenizer_``, ``vocab_size_``) until fit assigns it."""
        texts = _texts(X)
        if self.init_from is not None:  # the source's vocabulary: its embedding rows mean the same tokens
            tokenizer = Tokenizer.from_json(load_source(self.init_from, open_model_file).tokenizer_.to_json())
        else:
            tokenizer = Tokenizer(
                self.tokenizer, lowercase=self.lowercase, normalize=self.normalize, max_vocab=self.max_vocab, min_freq=self.min_freq,
                max_len=self.max_len,
            ).fit(texts)
            _refuse_no_vocabulary(tokenizer, texts)
        return IDS, _ids(texts, tokenizer), {"tokenizer_": tokenizer, "vocab_size_": tokenizer.vocab_size}

    def _val_sequences(self, X_val: Any, state: dict[str, Any]) -> tuple[str, list[np.ndarray]]:
        """``X_val``'s texts as ids by the tokenizer fitted on ``X`` (``state``'s): words ``X`` lacks read as unknown."""
        return IDS, _ids(_texts(X_val), state["tokenizer_"])

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "tokenizer": self.tokenizer_.to_json()}

    def _restore(self, state: dict[str, Any]) -> None:
        super()._restore(state)
        self.tokenizer_ = Tokenizer.from_json(state["tokenizer"])
        if "normalize" not in json.loads(state["tokenizer"]):  # a file written before normalize existed: its model reads text as typed
            self.normalize = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__({"normalize": None, **state})  # pickled before normalize existed: text read as typed, as then


__all__ = ["DEFAULT_SPEC", "TextClassifier"]
