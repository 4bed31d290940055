"""The :class:`~hiddenlayers.apps.SpeechRecognizer` application (speech to text by CTC), one idea per module.

``recognizer``: the estimator (fit, predict, score, its model file); ``net``: ``CTCNetwork``, the
sequence layers with a per-frame softmax; ``inputs``: the frames and transcripts it reads;
``long``: utterances and transcripts from a long table (one row per frame); ``decode``: greedy and prefix-beam CTC decoding; ``metrics``: character and word error rates (``jiwer``).
"""
