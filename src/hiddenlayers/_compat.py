"""Old module paths of the flat layout, kept importable.

Pickles name the module of each class they hold (``hiddenlayers.layers.DenseLayer``,
``hiddenlayers.apps.image.ImageClassifier``, ...), and user code may import
``hiddenlayers.modelfile``. The move into stage packages kept every class, so a
small import hook maps each old path to its new module: old pickles unpickle
and old imports work (``tests/ship/test_legacy_files.py``). The same holds for
the search modules that later moved into ``rightsize/_search/`` (a pickled
``SearchResult`` or ``SearchSpace`` names ``rightsize._search_result`` ...) and
the data checks, the server's, the translator's and the sequence classifier's modules that moved into
``data/_check/``, ``ship/_serve/``, ``apps/_translate/`` and ``apps/_seq/`` (a pickled
``DataReport`` names ``data._check_report``, a ``Translator`` ``apps._translate_text``,
its ``Seq2Seq`` ``apps._seq2seq``, a ``SequenceClassifier`` ``apps._seqnet``), and prune's interval module that joined
``rightsize/_prune/`` (a ``DropEstimate`` names ``rightsize._prune_bound``).

``python -m`` on an old path runs the new module as ``__main__`` (``get_code``
below), so an old command line such as the search worker's
``python -m hiddenlayers.rightsize._search_run JOB SEED`` still works.

Left out on purpose: ``cost``, ``search``, ``explain``, ``compress`` and the
``lens`` modules. Importing a submodule sets an attribute of its package, and
those old names are public functions (``hl.cost``, ``hl.lens.record``), which an
alias module would replace.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import CodeType, ModuleType
from typing import Any

_MOVED = {
    "_cli_common": "cli._common", "_engine": "training._engine", "_lbfgs": "training._lbfgs", "_np_const": "training._np_const",
    "_onnx_graph": "ship._onnx_graph", "_onnx_run": "ship._onnx_run", "_progress": "training._progress",
    "_spec_check": "network._spec_check", "_spec_text": "network._spec_text", "_energy": "rightsize._energy",
    "_estimator_checks": "estimators._checks", "_estimator_fit": "estimators._fit", "_estimator_predict": "estimators._predict",
    "_search_result": "rightsize._search.result", "_search_run": "rightsize._search.run", "_search_storage": "rightsize._search.storage",
    "datasets_bible": "data._bible", "datasets_images": "data._images", "datasets_real": "data._real",
    "datasets_speech": "data._speech", "datasets_text": "data._text", "layer_kinds": "network._kinds", "layers": "network._layers",
    "losses": "training._losses", "modelfile": "ship._modelfile", "optim": "training._optim", "preprocessing": "data._preprocessing",
    "spec": "network._spec", "stopping": "training._stopping",
    "apps.agent": "apps._agent", "apps.autoencoder": "apps._autoencoder", "apps.forecast": "apps._forecast",
    "apps.image": "apps._image", "apps.recommend": "apps._recommend", "apps.sequence": "apps._seq.sequence",
    "apps.text": "apps._text", "apps.translate": "apps._translate.translate",
    # the search modules before they became the rightsize._search package
    "rightsize._search_result": "rightsize._search.result", "rightsize._search_run": "rightsize._search.run",
    "rightsize._search_space": "rightsize._search.space", "rightsize._search_storage": "rightsize._search.storage",
    # prune's interval module before it joined prune in the rightsize._prune package (a pickled DropEstimate;
    # prune's own old path, rightsize._prune, is the package, which finds PruneReport lazily)
    "rightsize._prune_bound": "rightsize._prune.bound",
    # the data checks before they became the data._check package (a pickled DataReport or Finding)
    "data._check_columns": "data._check.columns", "data._check_common": "data._check.common",
    "data._check_drift": "data._check.drift", "data._check_duplicates": "data._check.duplicates",
    "data._check_labels": "data._check.labels", "data._check_outliers": "data._check.outliers",
    "data._check_report": "data._check.report", "data._check_table": "data._check.table",
    # the server's modules before they became the ship._serve package
    "ship._serve_metrics": "ship._serve.metrics", "ship._serve_model": "ship._serve.model",
    "ship._serve_values": "ship._serve.values",
    # the translator's helpers before they joined it in the apps._translate package (a pickled Translator
    # names apps._translate_text for its Vocab; its own old path, apps._translate, is the package, which
    # finds Translator lazily)
    "apps._translate_fit": "apps._translate.fit", "apps._translate_text": "apps._translate.text",
    # the translator's network, before it joined them (a pickled Translator names apps._seq2seq for its Seq2Seq)
    "apps._seq2seq": "apps._translate.seq2seq",
    # the sequence classifier's modules before they became the apps._seq package (a pickled SequenceClassifier
    # or TextClassifier names apps._seqnet for its network)
    "apps._sequence": "apps._seq.sequence", "apps._seqdata": "apps._seq.data", "apps._seqnet": "apps._seq.net",
}
ALIASES = {f"hiddenlayers.{old}": f"hiddenlayers.{new}" for old, new in _MOVED.items()}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path and hands back the module that lives at the new one."""

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> Any:
        if fullname not in ALIASES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> ModuleType:
        module = importlib.import_module(ALIASES[spec.name])
        self._real_spec = module.__spec__  # the import system sets __spec__ to the alias's; put it back below
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._real_spec

    def get_code(self, fullname: str) -> CodeType:
        """What ``python -m <old path>`` runs: the new module, as ``__main__`` under its own name.

        runpy asks the loader for code and runs it with the old name's package, which
        would break the new module's relative imports; so the code is a redirect,
        ``runpy.run_module(new, run_name="__main__", alter_sys=True)`` (arguments kept).
        """
        return compile(f"import runpy\nrunpy.run_module({ALIASES[fullname]!r}, run_name='__main__', alter_sys=True)\n", f"<alias of {ALIASES[fullname]}>", "exec")


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (idempotent)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
