"""``TextClassifier``: texts -> token ids -> embedding + recurrent hidden layers, scikit-learn API.

A :class:`~hiddenlayers.apps.sequence.SequenceClassifier` whose input is
text: a :class:`~hiddenlayers.apps._tokenize.Tokenizer` (words or
characters) fitted on the training texts turns each text into ids; its
vocabulary is saved in the model file as JSON, and words never seen in
``fit`` map to the "unknown" id at predict time.

>>> clf = TextClassifier(max_iter=10).fit(["a fine film", "a dull mess", ...], [1, 0, ...])
>>> clf.predict(["what a fine mess"])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..estimators import load_source
from ._seqdata import IDS
from ._sequence import SequenceClassifier
from ._tokenize import UNKNOWN_ID, Tokenizer, as_texts

DEFAULT_SPEC = "embed64,gru64"


class TextClassifier(SequenceClassifier):
    """Classify texts with an embedding and recurrent (or 1-D conv) hidden layers.

    ``tokenizer``: ``"word"`` or ``"char"``; ``max_vocab``: keep the most
    frequent tokens (``None`` = all); ``min_freq``: drop rarer tokens;
    ``lowercase``: fold case; ``max_len``: keep each text's first
    ``max_len`` tokens. A text with no tokens reads as one unknown token.
    The other parameters and the fitted attributes are those of
    :class:`SequenceClassifier`, plus ``tokenizer_`` (the fitted :class:`Tokenizer`).
    """

    _id_shift = 0  # the tokenizer already keeps id 0 for padding

    def __init__(
        self,
        hidden_layer_sizes: Any = DEFAULT_SPEC,
        *,
        tokenizer: str = "word",
        max_vocab: int | None = 20000,
        min_freq: int = 1,
        lowercase: bool = True,
        max_len: int | None = 200,
        activation: str = "relu",
        solver: str = "adam",
        learning_rate: str = "constant",
        learning_rate_init: float = 3e-3,
        alpha: float = 0.0,
        batch_size: int = 64,
        max_iter: int = 30,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        clip_grad_norm: float | None = 5.0,
        dtype: str = "float32",
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        init_from: Any = None,
        freeze: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes, activation=activation, solver=solver, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, alpha=alpha, batch_size=batch_size, max_iter=max_iter,
            early_stopping=early_stopping, validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            tol=tol, clip_grad_norm=clip_grad_norm, max_len=max_len, dtype=dtype, device=device,
            random_state=random_state, verbose=verbose, init_from=init_from, freeze=freeze,
        )
        self.tokenizer = tokenizer
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.lowercase = lowercase

    def _sequences(self, X: Any, fitting: bool) -> tuple[str, list[np.ndarray]]:
        texts = as_texts(X)
        if not texts:
            raise ValueError("X has 0 texts: pass at least one.")
        if fitting and self.init_from is not None:  # the source's vocabulary: its embedding rows mean the same tokens
            self.tokenizer_ = Tokenizer.from_json(load_source(self.init_from).tokenizer_.to_json())
        elif fitting:
            self.tokenizer_ = Tokenizer(
                self.tokenizer, lowercase=self.lowercase, max_vocab=self.max_vocab, min_freq=self.min_freq, max_len=self.max_len,
            ).fit(texts)
        unknown = np.array([UNKNOWN_ID], dtype=np.int64)
        return IDS, [ids if ids.size else unknown for ids in self.tokenizer_.encode(texts)]

    def _fit_vocab(self, seqs: list[np.ndarray]) -> int:
        return self.tokenizer_.vocab_size

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "tokenizer": self.tokenizer_.to_json()}

    def _restore(self, state: dict[str, Any]) -> None:
        super()._restore(state)
        self.tokenizer_ = Tokenizer.from_json(state["tokenizer"])


__all__ = ["DEFAULT_SPEC", "TextClassifier"]
