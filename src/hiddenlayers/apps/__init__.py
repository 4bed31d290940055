"""Applications built from dense hidden layers, each with the scikit-learn API.

* :class:`Autoencoder` -- encode/decode, reconstruction-error anomaly scores.
* :class:`Forecaster` -- lag windows -> next ``horizon`` values of a series; ``backtest`` scores it over
  several forecast origins (:class:`Backtest`); :func:`recursive_forecast` is its loop past ``horizon`` (NumPy);
  :func:`date_gaps` finds where a series' dates skip steps (:func:`date_gaps_message`: fit's warning, the CLI's note);
  :func:`next_dates` dates a forecast's values (``predict``'s date column) in the step :func:`date_step` infers, which
  ``fit`` keeps (``freq_``) and :func:`mismatched_step` compares with later dates' (:func:`steps_differ`; :func:`step_mismatch_message`: the refusal;
  :func:`checked_freq`: a stored step read back, or the file refused as damaged).
* :class:`Recommender` -- user/item embeddings through hidden layers -> ratings; ``recommend`` gives top-N lists and
  :func:`ranking_metrics` scores them on held-out ratings (precision, recall, NDCG, MAP, hit rate at k);
  :func:`swapped_id_columns` (columns named item then user, refused), :func:`duplicate_pairs` (a pair given twice, warned of),
  :func:`id_kind_clash` (ids of the other type than fit's) and :func:`list_lengths_words` (what lists past the candidates hold)
  are its input checks and words, which the CLI words its own way.
* :class:`DQNAgent` -- a Q-network learning a gymnasium game (double DQN); :func:`make_env` makes an environment from its id (one-line errors);
  :func:`renamed_stop_reason` reads an agent file's training summary in today's words (``"max_time"`` -> ``"time_limit"``).
* :class:`ImageClassifier` -- convolutional image classifier (images N x H x W [x C], or a folder of class sub-folders:
  :func:`read_image_folder` reads one as it does; :func:`refuse_unknown_classes` names a sub-folder scored that is no class).
* :class:`SequenceClassifier` -- recurrent / 1-D conv classifier of variable-length sequences (frames or token ids).
  :func:`long_sequences`, :func:`long_labels` and :func:`long_features` read its sequences from a long table (one row per time step);
  :func:`check_long_columns` checks its column names alone (a header's); :func:`pad_ids` pads id sequences into one
  array (NumPy only: the ONNX runner pads with it).
* :class:`SpeechRecognizer` -- speech to text: conv/recurrent layers over MFCC frames trained by CTC; greedy or
  prefix-beam decoding (:func:`greedy_decode`, :func:`prefix_beam_search`), :func:`character_error_rate` / :func:`word_error_rate`;
  :func:`long_transcripts` reads one transcript per utterance of a long table (``SpeechRecognizer.fit_long``),
  :func:`utterance_names` names its utterances in messages.
* :class:`TextClassifier` -- texts through a word/char tokenizer, an embedding and recurrent layers; :class:`Tokenizer`
  (NumPy only: the ONNX runner tokenizes with it) and its reserved ids :data:`PAD_ID` (0) and :data:`UNKNOWN_ID` (1).
* :class:`Translator` -- encoder-decoder with attention: sentences -> sentences (BLEU); :func:`unknown_words_note` is its
  one warning on source words not seen in fit (the server's note).

Each saves to and loads from one ``.safetensors`` file (``save`` / ``Cls.load``).
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "Autoencoder": "._autoencoder",
    "Forecaster": "._forecast",
    "Backtest": "._backtest",
    "DateGaps": "._date_gaps",
    "date_gaps": "._date_gaps",
    "date_gaps_message": "._date_gaps",
    "next_dates": "._date_gaps",
    "date_step": "._date_gaps",
    "steps_differ": "._date_step",
    "mismatched_step": "._date_step",
    "step_mismatch_message": "._date_step",
    "checked_freq": "._date_step",
    "run_backtest": "._backtest",
    "recursive_forecast": "._recursive",
    "Recommender": "._recommend",
    "cold_start_words": "._recommend",
    "id_kind_clash": "._recommend",
    "swapped_id_columns": "._recommend_input",
    "duplicate_pairs": "._recommend_input",
    "list_lengths_words": "._recommend_topn",
    "ranking_metrics": "._recommend_metrics",
    "DQNAgent": "._agent",
    "make_env": "._agent",
    "renamed_stop_reason": "._deprecated",
    "ImageClassifier": "._image",
    "check_image_size": "._image",
    "read_image_folder": "._image_folder",
    "refuse_unknown_classes": "._image_folder",
    "fitted_beyond_unit_scale": "._pixel_scale",
    "fitted_on_unit_scale": "._pixel_scale",
    "scale_advice": "._pixel_scale",
    "pixel_words": "._pixel_scale",
    "UNIT_SCALE_FIT": "._pixel_scale",
    "UNIT_SCALE_MAX": "._pixel_scale",
    "UNIT_SCALE_MIN": "._pixel_scale",
    "standardised_pixels": "._pixel_scale",
    "standardised_advice": "._pixel_scale",
    "SequenceClassifier": "._seq.sequence",
    "LongSequences": "._seq.long",
    "long_features": "._seq.long",
    "check_columns": "._seq.long",
    "check_long_columns": "._seq.long",
    "long_labels": "._seq.long",
    "long_sequences": "._seq.long",
    "pad_ids": "._seq.data",
    "SpeechRecognizer": "._speech.recognizer",
    "CTCNetwork": "._speech.net",
    "greedy_decode": "._speech.decode",
    "prefix_beam_search": "._speech.decode",
    "character_error_rate": "._speech.metrics",
    "word_error_rate": "._speech.metrics",
    "long_transcripts": "._speech.long",
    "utterance_names": "._speech.long",
    "TextClassifier": "._text",
    "Tokenizer": "._tokenize",
    "PAD_ID": "._tokenize",
    "UNKNOWN_ID": "._tokenize",
    "as_texts": "._tokenize",
    "Translator": "._translate.translate",
    "unknown_words_note": "._translate.text",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
