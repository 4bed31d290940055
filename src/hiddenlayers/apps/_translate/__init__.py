"""The :class:`~hiddenlayers.apps.Translator` application, one idea per module.

``translate``: the ``Translator`` estimator (fit, decoding, BLEU, its model
file); ``fit``: its training loop; ``text``: tokenizer, vocabulary, input checks
and the attention map; ``seq2seq``: the encoder-decoder network and decoding; ``warm``: ``init_from`` (rows copied
by token text, layers by shape) and the layers ``freeze`` counts.
The public class is re-exported by :mod:`hiddenlayers.apps`; ``Translator`` is
also found here, lazily, because pickles made before this package existed name
its class ``hiddenlayers.apps._translate.Translator``.
"""

from __future__ import annotations

from ..._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {"Translator": ".translate"})
