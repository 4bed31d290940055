"""``init_from`` and ``freeze`` of the MLP estimators: start from another model's hidden layers.

:func:`start_from_source` runs after the network is built (first fit): it
copies the source's hidden layers (input columns matched by name where both
know them) and sets ``transferred_`` and ``provenance_``. :func:`fit_frozen`
wraps the solver's fit: frozen layers are kept out of the update; with
``freeze="head_first"`` the head trains alone first, then every layer at a
tenth of ``learning_rate_init``. :class:`KeepsFittedSource` makes scikit-learn's
``clone`` keep a fitted ``init_from`` instead of unfitting it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._stacklevel import user_stacklevel
from .._words import article
from ..training import copy_hidden_layers, file_sha256, frozen, resolve_frozen

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP

#: the lower learning rate of the second phase of ``freeze="head_first"``, as a fraction of ``learning_rate_init``
HEAD_FIRST_LR = 0.1


def open_mlp_file(path: str) -> Any:
    """The MLP estimator saved in ``path``; a file of an application is refused with what to do instead."""
    from .. import estimators
    from .._files import read_metadata

    kind = read_metadata(path)["estimator"]
    if kind not in ("MLPClassifier", "MLPRegressor"):
        raise ValueError(f"init_from: '{path}' holds {article(kind)}, not an MLP estimator: load it with hiddenlayers.load(path) and pass the model.")
    return getattr(estimators, kind).load(path)


def _load_source(init_from: Any, open_file: Callable[[str], Any] = open_mlp_file) -> tuple[Any, dict[str, Any]]:
    """The fitted source model and its provenance record; ``open_file`` reads a model-file path
    (the applications pass theirs, which opens their own files too)."""
    if isinstance(init_from, (str, os.PathLike)):
        path = os.fspath(init_from)
        if not os.path.exists(path):
            raise ValueError(f"init_from: no model file at '{path}': give the path of a saved .safetensors model or a fitted model.")
        return open_file(path), {"source": os.path.basename(path), "source_sha256": file_sha256(path)}
    inner = getattr(init_from, "estimator", None) if type(init_from).__name__ == "FrozenEstimator" else init_from
    if _fitted_network(inner) is None:
        raise TypeError(
            "init_from must be a fitted model (estimator or application) or the path of a saved model file. "
            f"Received: {type(inner).__name__} without a fitted network (call fit first)."
        )
    return inner, {"source": type(inner).__name__, "source_sha256": None}


def _fitted_network(model: Any) -> Any:
    """``model``'s fitted network: the attribute its ``_net_attr`` names (a Translator's ``model_``), else ``network_``; None unfitted."""
    return getattr(model, getattr(type(model), "_net_attr", "network_"), None)


def _is_fitted_model(init_from: Any) -> bool:
    """Whether ``init_from`` is a fitted model object (not a path, a class, None or an unfitted estimator)."""
    if init_from is None or isinstance(init_from, (str, os.PathLike, type)):
        return False
    return _fitted_network(init_from) is not None


class KeepsFittedSource:
    """Mixin: scikit-learn's ``clone`` keeps a fitted ``init_from`` by reference.

    ``clone`` (so ``GridSearchCV``, ``cross_val_score``, ...) clones every parameter, which turns a
    fitted source model into an unfitted one, and the clone's ``fit`` then has nothing to copy. A
    fitted source is only read by ``fit`` (its hidden layers' ``state_dict`` is copied, its scaling
    and vocabulary are copied), so every clone can share it. Everything else is cloned as scikit-learn
    does (``__sklearn_clone__``, scikit-learn >= 1.3); an unfitted source, a path or a
    ``FrozenEstimator`` go through the usual clone. Put it before ``BaseEstimator`` in the bases.
    """

    def __sklearn_clone__(self) -> Any:
        source = self.__dict__.get("init_from")
        if not _is_fitted_model(source):
            return super().__sklearn_clone__()  # type: ignore[misc]
        view = object.__new__(type(self))  # the same attributes with init_from=None, for scikit-learn's own clone
        view.__dict__.update(self.__dict__)
        view.__dict__["init_from"] = None
        new = super(KeepsFittedSource, view).__sklearn_clone__()  # type: ignore[misc]
        new.init_from = source
        return new


def _input_columns(est: _BaseMLP, source: Any) -> np.ndarray | None:
    """Indices of the target's columns among the source's, when both know column names."""
    src_names = getattr(source, "feature_names_in_", None)
    tgt_names = getattr(est, "feature_names_in_", None)
    if src_names is None or tgt_names is None:
        return None
    where = {str(n): i for i, n in enumerate(src_names)}
    missing = [str(n) for n in tgt_names if str(n) not in where]
    if missing:
        raise ValueError(f"init_from: input column(s) {missing[:5]} are not among the source model's columns; rename or drop them.")
    idx = np.array([where[str(n)] for n in tgt_names], dtype=np.int64)
    return None if len(idx) == len(src_names) and (idx == np.arange(len(idx))).all() else idx


def start_from_source(est: _BaseMLP) -> None:
    """Copy ``est.init_from``'s hidden layers into the freshly built ``est.network_``.

    Sets ``transferred_`` (names of the copied layers) and ``provenance_``; no-op without ``init_from``.
    """
    est.transferred_ = []
    if est.init_from is None:
        est.provenance_ = None
        return
    source, provenance = _load_source(est.init_from)
    columns = _input_columns(est, source)
    est.transferred_ = copy_hidden_layers(_fitted_network(source), est.network_, input_columns=columns)
    est.provenance_ = {**provenance, "transferred": list(est.transferred_), "frozen": []}
    if est.verbose:
        fresh = [n for n in est.network_.hidden_names if n not in est.transferred_]
        print(f"init_from {provenance['source']}: copied {', '.join(est.transferred_)}" + (f"; new: {', '.join(fresh)}" if fresh else ""))


def interrupted(history: Any) -> bool:
    """Whether Ctrl-C stopped the training run ``history`` records (a :class:`~hiddenlayers.training.History`)."""
    return getattr(history, "stop_reason", None) == "interrupted"


def fit_frozen(est: _BaseMLP, fit: Any) -> None:
    """Run ``fit(learning_rate_init)`` (the solver's fit) with ``est.freeze`` applied; sets ``frozen_``.

    With ``"head_first"`` one fit call runs two phases, the head alone from
    ``learning_rate_init`` (a warm fit's too: the rate a finished fit left is
    its second phase's), then every layer from a tenth of it (up to
    ``max_iter`` epochs each). The call's attributes count both, as the
    applications' ``head_first`` and scikit-learn's ``n_iter_`` (the epochs of
    this call) do: ``n_iter_`` is both phases' epochs (L-BFGS: iterations),
    ``history_`` and ``loss_curve_`` hold them in order (earlier calls' first),
    ``stop_reason_`` is why the second phase stopped, and one
    ``ConvergenceWarning`` at most (the second phase's: the first stops at
    ``max_iter`` by design). Ctrl-C in the first phase ends the fit there (one
    ``InterruptedWarning``, ``stop_reason_ == "interrupted"``): the second phase
    does not run and ``frozen_`` names every hidden layer, as none was trained.
    The optimizer state kept is phase 1's (the head's moments, steps and rate, with
    their layout): a warm fit's phase 1 trains the same parameters and carries on from it;
    a fit that trains other layers starts fresh moments (``Optimizer.load_state``).
    """
    names = est.network_.hidden_names
    phase = est.__dict__.get("_head_first_phase")
    if est.freeze == "head_first" and phase is not None:  # a chunk of a streamed fit, whose phases are passes (head_first_passes)
        est.frozen_ = list(names) if phase == 1 else []
        with frozen(est.network_, est.frozen_):
            fit(None)  # at the pass's rate, which phase 2's schedule has lowered already
        return
    if est.freeze == "head_first":
        _start_phase_one(est, names)
        with frozen(est.network_, names), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # phase 1 runs to max_iter by design; phase 2 warns for the call
            fit(None)  # phase 1: the head alone
        if interrupted(est.history_):  # Ctrl-C ends the whole fit: the hidden layers stayed fixed
            est.frozen_ = list(names)
        else:
            one = _phase_start(est)
            _start_phase_two(est)
            fit(est.learning_rate_init * HEAD_FIRST_LR)  # phase 2: every layer, at a lower rate
            _count_both_phases(est, one)
    else:
        est.frozen_ = resolve_frozen(est.freeze, names)
        with frozen(est.network_, est.frozen_):
            fit(None)
    _note_frozen(est)


def head_first_passes(est: _BaseMLP, run: Callable[[int, float], None]) -> None:
    """``freeze="head_first"`` on a streamed fit: ``run(phase, lr0)`` runs one phase's passes, from rate ``lr0``.

    The contract of :func:`fit_frozen`'s, with passes for epochs: phase 1 trains the head alone from
    ``learning_rate_init``, phase 2 every layer from a tenth of it (fresh moments and patience), up to
    ``max_iter`` passes each; ``n_iter_`` counts both, one ``ConvergenceWarning`` at most (phase 2's),
    Ctrl-C in phase 1 ends the fit. The network may not be built yet (a first fit builds it in its first
    chunk), so each chunk's :func:`fit_frozen` applies its phase's freezing (``_head_first_phase``).
    """
    built = getattr(est, "network_", None)
    if built is not None:
        _start_phase_one(est, built.hidden_names)
    est.frozen_ = []
    with _in_phase(est, 1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # phase 1 runs to max_iter by design; phase 2 warns for the call
        run(1, est.learning_rate_init)
    if interrupted(est.history_):  # Ctrl-C ends the whole fit: the hidden layers stayed fixed
        est.frozen_ = list(est.network_.hidden_names)
    else:
        first = int(est.n_iter_)
        _start_phase_two(est)
        with _in_phase(est, 2):
            run(2, est.learning_rate_init * HEAD_FIRST_LR)
        est.n_iter_ = first + int(est.n_iter_)  # (history_ and t_ run on over the phases)
    _note_frozen(est)


@contextmanager
def _in_phase(est: _BaseMLP, phase: int) -> Iterator[None]:
    """Within: a streamed ``head_first`` fit's chunks train in ``phase`` (1: the head alone; 2: every layer)."""
    est._head_first_phase = phase
    try:
        yield
    finally:
        est.__dict__.pop("_head_first_phase", None)


def _start_phase_one(est: _BaseMLP, names: list[str]) -> None:
    """Before ``head_first``'s phase 1: it starts at ``learning_rate_init`` (not at the rate a finished fit's phase 2 left)."""
    head_alone_before = getattr(est, "frozen_", None) == list(names)  # the kept state is a head-alone run's (Ctrl-C in phase 1)
    if est._optimizer_state and not head_alone_before:
        est._optimizer_state = {k: v for k, v in est._optimizer_state.items() if k not in ("lr", "stalled")}
    est.frozen_ = []


def _start_phase_two(est: _BaseMLP) -> None:
    """Before ``head_first``'s phase 2: fresh moments (the trained buffer's layout changes) and its own patience."""
    est._optimizer_state = None
    est._no_improvement_count = 0  # phase 1's stall must not end it at once


def keep_frozen_record(est: _BaseMLP) -> None:
    """``frozen_`` after a call that trained nothing (``partial_fit`` of a chunk of weight 0): the last call's.

    A first call has none yet: every hidden layer stayed fixed, which ``freeze`` names (checked as a fit
    checks it; ``"head_first"``: all, as after Ctrl-C in its first phase).
    """
    if getattr(est, "frozen_", None) is not None:
        return
    names = est.network_.hidden_names
    est.frozen_ = list(names) if est.freeze == "head_first" else resolve_frozen(est.freeze, names)
    _note_frozen(est)


def _note_frozen(est: _BaseMLP) -> None:
    """Record ``frozen_`` in ``provenance_`` (and print it when verbose)."""
    if getattr(est, "provenance_", None) is not None:
        est.provenance_["frozen"] = list(est.frozen_)
    elif est.frozen_:
        est.provenance_ = {"source": None, "source_sha256": None, "transferred": [], "frozen": list(est.frozen_)}
    if est.verbose and est.frozen_:
        print(f"frozen: {', '.join(est.frozen_)}")


def _phase_start(est: _BaseMLP) -> tuple[Any, int, int]:
    """``(history_, n_iter_, t_)`` after ``head_first``'s first phase (its ``n_iter_``: its own epochs)."""
    return est.history_, int(est.n_iter_), int(est.t_)


def _count_both_phases(est: _BaseMLP, one: tuple[Any, int, int]) -> None:
    """After ``head_first``'s second phase: ``n_iter_`` covers both phases of the call.

    ``one``: :func:`_phase_start` after phase 1. Every solver (L-BFGS too) carries ``history_``
    and ``t_`` on over phases, so only ``n_iter_`` (each phase's own count) needs phase 1's added.
    """
    est.n_iter_ = one[1] + int(est.n_iter_)


def load_source(init_from: Any, open_file: Callable[[str], Any] = open_mlp_file) -> Any:
    """The fitted model ``init_from`` names.

    Parameters
    ----------
    init_from : estimator, FrozenEstimator or str
        A fitted model, a ``FrozenEstimator`` of one, or a model-file path.
    open_file : callable
        Opens a model-file path.
    """
    return _load_source(init_from, open_file)[0]


def load_source_record(init_from: Any, open_file: Callable[[str], Any] = open_mlp_file) -> tuple[Any, dict[str, Any]]:
    """The fitted model ``init_from`` names and its provenance record (``source``: file name or class, ``source_sha256``: the file's hash or None).

    Parameters
    ----------
    init_from, open_file
        As :func:`load_source` takes them.
    """
    return _load_source(init_from, open_file)


def _copy_source(model: Any, open_file: Callable[[str], Any], up_to_mismatch: bool = False) -> None:
    """Copy ``model.init_from``'s hidden layers into the built ``model.network_``; sets ``transferred_`` and ``provenance_``.

    ``up_to_mismatch``: the layers from the first one whose shape differs from the source's start fresh, named in one
    ``UserWarning`` (:func:`~hiddenlayers.training.copy_hidden_layers`), instead of a ``ValueError``."""
    model.transferred_, model.provenance_ = [], None
    if model.init_from is not None:
        source, provenance = _load_source(model.init_from, open_file)
        network = _fitted_network(source)
        model.transferred_ = copy_hidden_layers(network, model.network_, up_to_mismatch=up_to_mismatch)
        model.provenance_ = {**provenance, "transferred": list(model.transferred_), "frozen": []}
        shared = [n for n in model.network_.hidden_names if n in getattr(network, "hidden_names", ())]
        fresh = shared[len(model.transferred_):]
        if fresh:
            warnings.warn(f"init_from: copied {', '.join(model.transferred_)}; {fresh[0]} differs from the source's in shape (for an "
                          f"image, another size changes the width of the first dense layer after the convolutions), so {', '.join(fresh)} "
                          f"{'starts' if len(fresh) == 1 else 'start'} from fresh random weights.", UserWarning, stacklevel=user_stacklevel())


def refuse_frozen_fresh(frozen_layers: Sequence[str], copied: Sequence[str], freezable: Sequence[str]) -> None:
    """A ``ValueError`` when ``frozen_layers`` holds a layer ``init_from`` could not copy: it would stay at its random start for good.

    The apps that copy what matches and start the rest fresh (ImageClassifier on images of another size, Autoencoder,
    Recommender, Translator, SpeechRecognizer) call it before training.

    Parameters
    ----------
    frozen_layers : sequence of str
        What ``freeze`` names, among ``freezable``.
    copied : sequence of str
        The layers ``init_from`` copied.
    freezable : sequence of str
        The layers ``freeze`` may name.
    """
    fresh = [n for n in frozen_layers if n not in copied]
    if fresh:
        raise ValueError(f"freeze names {fresh}, which init_from could not copy (they start from fresh random weights and would never "
                         f"train): freeze only layers it copied, {[n for n in freezable if n in copied]}, or drop freeze.")


def _record_frozen(model: Any) -> None:
    if model.provenance_ is not None:
        model.provenance_["frozen"] = list(model.frozen_)
    if getattr(model, "verbose", False) and model.transferred_:
        print(f"init_from: copied {', '.join(model.transferred_)}; frozen: {', '.join(model.frozen_) or 'none'}")


@contextmanager
def reuse_layers(model: Any, open_file: Callable[[str], Any] = open_mlp_file, up_to_mismatch: bool = False) -> Iterator[None]:
    """For the applications' fit: copy ``model.init_from``'s hidden layers, keep ``model.freeze``'s fixed in the block.

    ``model.network_`` must be built; sets ``transferred_``, ``frozen_`` and ``provenance_``. ``freeze`` takes a count or
    layer names (``"head_first"`` needs two training runs: see :func:`fit_reused`).

    Parameters
    ----------
    model, open_file, up_to_mismatch
        As :func:`fit_reused` takes them.
    """
    _copy_source(model, open_file, up_to_mismatch)
    if model.freeze == "head_first":
        raise ValueError(f"freeze='head_first' is for MLPClassifier/MLPRegressor and ImageClassifier; {type(model).__name__} takes a count or layer names.")
    model.frozen_ = resolve_frozen(model.freeze, model.network_.hidden_names)
    if up_to_mismatch and model.init_from is not None:
        refuse_frozen_fresh(model.frozen_, model.transferred_, model.network_.hidden_names)
    _record_frozen(model)
    with frozen(model.network_, model.frozen_):
        yield


def fit_reused(model: Any, run: Callable[[float, Any], Any], open_file: Callable[[str], Any] = open_mlp_file, up_to_mismatch: bool = False) -> Any:
    """An application's training with ``init_from``/``freeze`` applied, ``freeze="head_first"`` included.

    With ``"head_first"`` the head trains alone at ``learning_rate_init``, then every layer at ``HEAD_FIRST_LR`` times it
    (up to ``max_iter`` epochs each, one history); otherwise one run with ``model.freeze``'s layers fixed. Sets
    ``transferred_``, ``frozen_`` and ``provenance_``. Ctrl-C in the first phase ends the fit there (its result comes
    back, its history's ``stop_reason`` is ``"interrupted"``, ``frozen_`` names every hidden layer).

    Parameters
    ----------
    model : application
        Its ``network_`` built, ``init_from`` and ``freeze`` set.
    run : callable
        ``run(learning_rate, history)`` trains ``model.network_`` once (continuing ``history``, a
        :class:`~hiddenlayers.training.History` or None) and returns the training result.
    open_file : callable
        Opens a model-file path ``init_from`` names.
    up_to_mismatch : bool
        Copy the source's layers up to the first whose shape differs (:func:`_copy_source`).
    """
    lr = float(model.learning_rate_init)
    if model.freeze != "head_first":
        with reuse_layers(model, open_file, up_to_mismatch):
            return run(lr, None)
    _copy_source(model, open_file, up_to_mismatch)
    model.frozen_ = []  # nothing stays fixed to the end
    _record_frozen(model)
    with frozen(model.network_, model.network_.hidden_names):
        first = run(lr, None)  # phase 1: the head alone
    if interrupted(first.history):  # Ctrl-C ends the whole fit: the hidden layers stayed fixed
        model.frozen_ = list(model.network_.hidden_names)
        if model.provenance_ is not None:
            model.provenance_["frozen"] = list(model.frozen_)
        return first
    return run(lr * HEAD_FIRST_LR, first.history)  # phase 2: every layer, at a lower rate


__all__ = ["HEAD_FIRST_LR", "KeepsFittedSource", "fit_frozen", "fit_reused", "head_first_passes", "keep_frozen_record", "load_source", "load_source_record", "refuse_frozen_fresh", "reuse_layers", "start_from_source"]
