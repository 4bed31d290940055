"""Run the ONNX export of a TextClassifier, or of a SequenceClassifier fitted on token ids (:mod:`._app_graph_ids`), on texts or ids.

onnxruntime and NumPy only (no PyTorch): :class:`TokenOnnx` reads the export's metadata (the tokenizer, the pad id, the
largest id, the step rules), tokenizes texts with the :class:`~hiddenlayers.apps.Tokenizer` the file holds (NumPy: a text
with no tokens reads as one unknown token, as the TextClassifier reads it), checks each id sequence as ``predict`` does,
pads a batch with the pad id and runs the graph: ``predict_proba`` and ``predict`` answer as the model's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..apps import pad_ids  # apps/_seq/data: NumPy only, no PyTorch
from ..exceptions import DataError, ModelFileError
from ._onnx_app import AppOnnx, empty_refusal

TOKENIZER_KEY = "tokenizer"  # a TextClassifier export's metadata: Tokenizer.to_json(), the vocabulary and the splitting rules
#: a token-id export's metadata: JSON {"pad_id", "id_shift", "max_id", "unknown_id"}: X's pad id, what the graph adds to
#: every id, the largest id X may hold, and the id of words outside the vocabulary (None: no tokenizer)
TOKENS_KEY = "token_ids"


class TokenOnnx(AppOnnx):
    """A token-id export (a TextClassifier's or a token-id SequenceClassifier's), run with onnxruntime.

    Its attributes: ``tokenizer`` (a TextClassifier's :class:`~hiddenlayers.apps.Tokenizer`, None for a
    SequenceClassifier's), ``classes``, ``pad_id`` (0 for texts' ids, -1 for a SequenceClassifier's), ``max_id``,
    ``min_length`` (the fewest ids a sequence needs), ``max_len`` (ids past it are cut, as ``predict`` cuts them; None:
    none), ``graph_steps`` (the graph's fixed step count, None where dynamic) and ``exact`` (every sequence must have
    ``graph_steps`` ids: the layers flatten time).

    Parameters
    ----------
    path, threads
        The ``.onnx`` file, and onnxruntime's threads per run (None: its defaults; see :func:`~._onnx_app.session`).
    opened : object, optional
        The file's session where the caller has made it.

    Examples
    --------
    On a TextClassifier's export (an exported file, so the example is not run here):

    >>> model = TokenOnnx("text.onnx")  # doctest: +SKIP
    >>> model.predict(["a fine film", ""])  # doctest: +SKIP
    array(['pos', 'neg'], dtype='<U3')
    """

    def __init__(self, path: str | Path, threads: int | None = None, opened: Any = None) -> None:
        super().__init__(path, threads, opened)
        if TOKENS_KEY not in self.metadata:
            raise ModelFileError(f"'{path}' is not the ONNX export of a TextClassifier or of a SequenceClassifier fitted on token ids: "
                                 "export one with `hiddenlayers export MODEL.safetensors`.")
        tokens, seq = self.info(TOKENS_KEY), self.info("sequence")
        try:
            self.pad_id, self.max_id = int(tokens["pad_id"]), int(tokens["max_id"])
            self.min_length, self.max_len = int(seq["min_length"]), None if seq["max_len"] is None else int(seq["max_len"])
            self.classes = np.asarray(self.info("classes"))
            self.tokenizer: Any = None
            if TOKENIZER_KEY in self.metadata:
                from ..apps import Tokenizer  # NumPy, json and re: no PyTorch

                self.tokenizer = Tokenizer.from_json(self.metadata[TOKENIZER_KEY])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"'{path}' has damaged hiddenlayers metadata ({type(exc).__name__}): export the model again.") from None
        self.graph_steps: int | None = self.shape[0] if self.shape[0] > 0 else None
        self.exact = bool(seq.get("fixed_length", False))

    def text_ids(self, texts: Any) -> list[np.ndarray]:
        """Each text's ids by the file's tokenizer (cut at its ``max_len``; a text with no tokens: ``[1]``, the unknown id).

        Parameters
        ----------
        texts : sequence of str
            The texts.
        """
        if self.tokenizer is None:
            raise ValueError(f"'{self.path}' is a SequenceClassifier's export, which reads token ids, not texts: pass id sequences.")
        return self.tokenizer.text_ids(texts)  # type: ignore[no-any-return]

    def checked(self, seqs: Any) -> list[np.ndarray]:
        """``seqs`` as int64 arrays cut at ``max_len``, checked as ``predict`` checks them.

        Integers, 0 to ``max_id``, at least ``min_length`` each, no more than the graph's fixed steps; else a one-line
        DataError naming the sequence.

        Parameters
        ----------
        seqs : sequence of 1-D integer arrays
            Id sequences.
        """
        if isinstance(seqs, np.ndarray) and seqs.ndim == 2:
            seqs = list(seqs)
        out = []
        for i, s in enumerate(seqs):
            if isinstance(s, (str, np.str_)):  # texts given to a SequenceClassifier's export: it has no tokenizer
                raise DataError(f"sequence {i} is a text, but '{self.path}' is a SequenceClassifier's export, which reads token ids "
                                f"(0 to {self.max_id}), not texts: map each text's tokens to ids first.")
            a = np.asarray(s)
            if a.ndim != 1 or a.dtype.kind not in "iu":
                raise DataError(f"sequence {i} has shape {a.shape} and dtype {a.dtype}: token ids are 1-D integers (0 to {self.max_id}); "
                                "map tokens to ids first.")
            if a.size and a.min() < 0:
                raise DataError(f"sequence {i} holds the negative token id {int(a.min())}: ids are 0 to {self.max_id} (padding is the "
                                "runner's, not the caller's); drop it.")
            if a.size and a.max() > self.max_id:
                raise DataError(f"sequence {i} holds the token id {int(a.max())}, outside the ids the model reads (0 to {self.max_id}): "
                                "map unseen tokens to an id seen in fit.")
            out.append(self._length(a.astype(np.int64)[: self.max_len], f"sequence {i}", "ids"))
        if not out:
            raise DataError("X has 0 sequences: pass at least one.")
        return out

    def _length(self, a: np.ndarray, where: str, unit: str) -> np.ndarray:
        """``a``, its length checked against the layers' fewest steps and the graph's fixed steps; ``where``: ``"text 3"`` or
        ``"sequence 3"``, ``unit``: ``"tokens"`` or ``"ids"`` (the words of a refusal)."""
        n, least = len(a), max(1, self.min_length)
        if n == 0:
            raise DataError(empty_refusal(where, unit, least))
        if n < least:  # 1 or more, below a least above 1: convolution/pooling layers set it
            raise DataError(f"{where} has {n} {unit}, too few for the model's convolution/pooling layers: each needs at least {least}.")
        if self.exact and n != self.graph_steps:
            raise DataError(f"{where} has {n} {unit}, but this model's layers flatten the time axis: every one needs {self.graph_steps}, as in fit.")
        if self.graph_steps is not None and n > self.graph_steps:
            raise DataError(f"{where} has {n} {unit}, but this export's graph is fixed at {self.graph_steps} steps (the longest sequence in fit): "
                            f"send at most {self.graph_steps}, or use the .safetensors file, which reads longer ones.")
        return a

    def proba_of_ids(self, seqs: list[np.ndarray]) -> np.ndarray:
        """Probabilities ``(n, n_classes)`` of checked id sequences, padded with the pad id and run by the graph.

        Parameters
        ----------
        seqs : list of numpy.ndarray
            Id sequences as :meth:`checked` returns them.
        """
        return self.run(pad_ids(seqs, self.graph_steps, pad_id=self.pad_id))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` of texts (a TextClassifier's export) or of id sequences (a SequenceClassifier's).

        Parameters
        ----------
        X : list of str, or of id sequences
            The texts or sequences.
        """
        if self.tokenizer is None:
            return self.proba_of_ids(self.checked(X))
        seqs = [self._length(ids, f"text {i}", "tokens") for i, ids in enumerate(self.text_ids(X))]  # the tokenizer's ids are in range
        if not seqs:
            raise DataError("X has 0 texts: pass at least one.")
        return self.proba_of_ids(seqs)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each text or id sequence (``classes`` in the metadata), shape ``(n,)``.

        Parameters
        ----------
        X : list of str, or of id sequences
            Texts (a TextClassifier's export) or id sequences (a SequenceClassifier's).
        """
        return self.classes[self.predict_proba(X).argmax(axis=1)]  # type: ignore[no-any-return]


__all__ = ["TOKENIZER_KEY", "TOKENS_KEY", "TokenOnnx"]
