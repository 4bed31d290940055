"""The model server (Starlette on uvicorn), one idea per module.

``serve``: :func:`~hiddenlayers.ship.serve`, the routes, reload and drain, and
the worker processes (uvicorn imports ``hiddenlayers.ship._serve.serve:app_from_env``);
``model``: ``ServedModel``, a loaded table model file and its request rows; ``app_model``:
the served applications (text; ``app_rec``, ``app_image``, ``app_auto``, ``app_seq``, ``app_speech``,
``app_translate``, ``app_agent`` the others), each request form checked, behind the same interface (``app_base``);
``app_onnx``: applications' ONNX exports behind those same adapters, run by onnxruntime; ``values``:
the number and missing-value rule requests share with the CSV reader;
``settings``: the server's settings checked by one rule (``hl.serve`` and the command); ``threshold``: a two-class
table model's decision threshold for ``/predict`` (``threshold=``, ``pos_label=``; ``serve --threshold``);
``metrics``: the Prometheus text; ``grace``: the HTTP protocol uvicorn runs, and ``framing`` its JSON answers
to requests its parser refuses. The micro-batcher is ``ship/_batcher.py``.
The public names are re-exported by :mod:`hiddenlayers.ship`; this package
exports nothing itself.
"""
