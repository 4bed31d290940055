"""Which input features drive the outputs, hidden layers and units (Captum).

- :func:`attribute`: integrated gradients (or another Captum method, ``method=``: :mod:`._methods`) of an output
  (class) w.r.t. the inputs.
- :func:`layer_attribution`: layer conductance — how much each hidden unit of a
  layer carries of an output's change from the baseline.
- :func:`neuron_attribution`: integrated gradients of one hidden unit w.r.t. the inputs.
Baseline (``baseline=``), the reference input the path starts from: ``"auto"`` (the default;
None means the same), ``"mean"``, ``"median"``, ``"zeros"``, or a number, ``(features,)`` row or
``(n, features)`` array in the units of ``X`` (for a model whose ``network_input`` rescales rows,
such as an Autoencoder, or that standardises by its training ``mean_``/``scale_``, an ImageClassifier's
pixels, the baseline is rescaled the same way: every array given is read in ``X``'s units, in any shape that
broadcasts to ``X``'s, e.g. ``(8, 8)``, ``(1, 8, 8)`` or ``(n, 8, 8)`` for ``(n, 8, 8)`` images, even where that is also the
network's own layout; for images a shape that does not broadcast is refused; only ``"zeros"`` means the network input's own zeros). ``"mean"``/``"median"``: each
network input's mean/median over the rows of ``X`` given (all of them, before ``max_rows`` draws;
SHAP's background mean; at least 2 rows), except that a model standardising its input with its
training data's ``mean_``/``scale_`` (Autoencoder, Forecaster) takes that training mean for ``"mean"``, and a model
with a stored table ``preprocessing_`` (``hiddenlayers train``'s) takes its training rows' mean as stored at fit time:
0 per standardised number, each missing-value indicator's missing rate and each one-hot column's category
frequency (a file written before these were stored: the rows given, as before). ``"auto"`` is ``"mean"`` for tabular rows ``(n, features)``:
zero in a table's raw units is usually no "absent" value (a column that is 5 everywhere would get
the weight of the gap 5 - 0 and rank first), while the mean is the typical row, so a column that never
changes gets exactly zero attribution. For images ``(n, C, H, W)`` and sequences ``(n, T, F)`` it is
zeros in ``X``'s units: a black image, all-zero frames, the usual references there (an ImageClassifier
standardises its pixels, so its black image is not its network's zeros: it goes through the same standardisation). ``"zeros"``: the network
input's zeros (the default before; an estimator trained by ``hiddenlayers train`` standardises its
numeric columns, so zero there is the training mean).
A network whose output on ``X`` or the baseline is NaN or inf (diverged) is refused, as
:func:`~hiddenlayers.lens.record` refuses it: its path gradients may still be finite numbers.
``layer``: a layer name or a 1-based hidden-layer index (as ``transform`` takes). For a
linear model ``f(x) = w·x + b`` integrated gradients from a baseline ``b`` are
exactly ``w ⊙ (x - b)``.

Completeness: a row's integrated gradients (and a layer's conductances) sum to ``f(x) - f(baseline)``
as the steps grow; :func:`attribute` and :func:`layer_attribution` warn when, over the rows, ``Σ|delta| / Σ|f(x) - f(baseline)|``
exceeds :data:`COMPLETENESS_TOLERANCE` (5%: a small MLP on standardised iris
missed by 1.3% at the default 50 steps in the tests, no reason to warn), ``delta`` being Captum's convergence delta
(the attributions' sum minus that gap): too few ``n_steps`` for how sharply the output
bends along the path (raw, unscaled inputs far from the baseline do that).
"""

from __future__ import annotations

import functools
import numbers
import re
import warnings
from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast, overload

import numpy as np
import torch

from .._stacklevel import user_stacklevel
from ._record import to_numpy
from ._state import evaluating, module_of, out_of_place

F = TypeVar("F", bound=Callable[..., Any])

COMPLETENESS_TOLERANCE = 0.05
"""Largest ``Σ|delta| / Σ|f(x) - f(baseline)|`` over the rows that :func:`attribute` and :func:`layer_attribution` accept without a warning."""


BASELINES = ("auto", "mean", "median", "zeros")
"""The named baselines (see the module docstring); ``"auto"`` is the default."""


def named_baseline(baseline: Any, rows: Any, estimator: Any = None) -> Any:
    """A named ``baseline`` (None/"auto", "mean", "median", "zeros") as one row of network input, else ``baseline`` unchanged.

    ``rows``: the network-input rows ``(n, ...)`` the statistics are taken over. ``estimator``: the model, when
    it standardises its input with its training data's ``mean_`` and ``scale_`` (an Autoencoder, a Forecaster),
    "mean" is that training mean: 0 in network units. Returns a float64 array of one row's shape, or the
    number 0.0. Over padded sequences (NaN past each row's end) each step's statistic is taken over the rows that reach
    that step. An unknown name, or "mean"/"median" of fewer than 2 rows (the row itself would be its own
    baseline: every attribution 0), is one line naming the fix.
    """
    if baseline is not None and not isinstance(baseline, str):
        return baseline
    name = "auto" if baseline is None else baseline.strip().lower()
    if name not in BASELINES:
        from ..data import did_you_mean

        raise ValueError(f"baseline must be one of {', '.join(map(repr, BASELINES))}, a number or one row of X. "
                         f"Received: baseline={baseline!r}.{did_you_mean([baseline], BASELINES)}")
    ndim = len(rows.shape) if hasattr(rows, "shape") else np.ndim(rows)
    if name == "zeros" or (name == "auto" and ndim > 2):  # images, sequences: black image, silent frames
        return 0.0
    if name in ("auto", "mean") and all(hasattr(estimator, a) for a in ("network_input", "mean_", "scale_")):
        return 0.0  # rows standardised by the training data's statistics: zero is the training mean
    stored = stored_training_mean(estimator) if name in ("auto", "mean") else None
    if stored is not None and ndim == 2 and tuple(rows.shape)[1] == len(stored):
        return stored  # a model reading a raw table (hiddenlayers train): its training rows' mean, categories' frequencies included
    a = _as_float_rows(rows)
    if len(a) < 2:
        stat = "mean" if name == "auto" else name
        raise ValueError(f"baseline={stat!r} needs at least 2 rows of X to take the {stat} over (X has {len(a)}): pass "
                         "the training rows' mean as one row, baseline=X_train.mean(axis=0), or baseline='zeros'.")
    if a.ndim > 2 and np.isnan(a).any():  # padded sequences: each step's statistic over the rows that reach it
        return (np.nanmedian if name == "median" else np.nanmean)(a, axis=0)
    return np.median(a, axis=0) if name == "median" else a.mean(axis=0)


def stored_training_mean(estimator: Any) -> np.ndarray | None:
    """The training rows' mean in network units that a model's stored table ``preprocessing_`` holds (``hiddenlayers train``'s
    models: 0 per standardised number, missing rates, category frequencies); None without one, or for an older file
    that did not store the frequencies (the mean is then taken over the rows given, as before)."""
    state = getattr(estimator, "preprocessing_", None)
    if not isinstance(state, dict) or state.get("kind") != "table":
        return None
    from ..data import TablePreprocessor
    from ..exceptions import DataError

    try:
        return TablePreprocessor.from_dict(state).training_mean()
    except DataError:
        return None  # a damaged state: the model's own calls name it


def _as_float_rows(rows: Any) -> np.ndarray:
    """Network-input rows as a float64 array (a tensor copied to the CPU, a sparse matrix densified)."""
    if isinstance(rows, torch.Tensor):
        return rows.detach().cpu().double().numpy()
    if hasattr(rows, "toarray"):
        rows = rows.toarray()
    return np.asarray(rows, dtype=np.float64)


def _baseline(baseline: Any, x: torch.Tensor) -> torch.Tensor:
    """``baseline`` (None = zeros, a number, one row of ``x``'s shape or ``x``'s shape) broadcast to ``x``."""
    if baseline is None:
        return torch.zeros_like(x)
    b = baseline.detach() if isinstance(baseline, torch.Tensor) else torch.as_tensor(np.asarray(baseline, dtype=np.float64))
    _check_baseline_shape(tuple(b.shape), tuple(x.shape))
    if b.is_floating_point() and not bool(torch.isfinite(b).all()):
        raise ValueError("baseline holds NaN or infinite values: pass a finite reference input, e.g. np.zeros(X.shape[1]) or X.mean(axis=0).")
    return b.to(dtype=x.dtype, device=x.device).expand_as(x)


def _check_baseline_shape(got: tuple[int, ...], full: tuple[int, ...]) -> None:
    """A baseline is a number, one row of X or X's shape ``full``: anything else is one line naming the shapes."""
    row = full[1:]
    if got not in ((), row, full):
        raise ValueError(
            f"baseline must be a number, one row of X (shape {row}) or X's shape {full}. Received shape {got}; "
            "pass e.g. np.zeros(X.shape[1]) or X.mean(axis=0)."
        )


def _baseline_in_network_units(target: Any, X: Any, baseline: Any) -> Any:
    """``baseline`` given in the units of ``X``, turned into network-input rows as ``X`` is.

    Only for models whose ``network_input`` rescales or reshapes rows (an Autoencoder
    standardises them, a Forecaster cuts standardised lag windows): ``X.mean(axis=0)``
    must mean the data's mean there too, not "the mean's raw numbers, read as
    standardised values". A number stands for every input value (a row full of it).
    Any shape that broadcasts to ``X``'s is in ``X``'s units too: one image ``(8, 8)``, or
    ``(1, 8, 8)`` (which is also the network's own layout of one image, read in pixels all the same), a row ``(8,)``
    of every image; ``(n, ...)`` one per row. Images or sequences in a shape that does not broadcast to ``X``'s are
    refused in one line (there is no reading of them in pixels); other shapes pass through for :func:`_baseline` to check.
    """
    if baseline is None or not _rescales(target, X):
        return baseline
    b = np.asarray(baseline.detach().cpu() if isinstance(baseline, torch.Tensor) else baseline, dtype=np.float64)
    if not hasattr(X, "shape"):
        return _frames_baseline(target, X, b, baseline)
    shape = tuple(np.shape(X))
    if b.ndim == 0:
        b = np.full(shape[1:], float(b))  # one row full of the number
    if not bool(np.isfinite(b).all()):
        return baseline  # _baseline names the problem
    if tuple(b.shape) == shape:
        return target.prepared(b)
    if tuple(b.shape) == shape[1:]:
        return target.prepared(b[None])[0]
    try:
        full = np.broadcast_shapes(b.shape, shape)
    except ValueError:
        full = None
    if full == shape:
        per_row = b.ndim == len(shape) and b.shape[0] == shape[0] > 1  # (n, ...): a baseline per row of X
        return target.prepared(np.broadcast_to(b, shape).copy()) if per_row else target.prepared(np.broadcast_to(b, (1, *shape[1:])).copy())[0]
    if len(shape) > 2:
        raise ValueError(f"baseline is read in X's units (pixels, frames) and must broadcast to X's shape {shape}: a number, one "
                         f"example of shape {shape[1:]} or X's shape. Received shape {tuple(b.shape)}; pass e.g. np.zeros({shape[1:]}).")
    return baseline


def _frames_baseline(target: Any, X: Any, b: np.ndarray, baseline: Any) -> Any:
    """A number or one frame ``(F,)`` ``b`` in the frames' units, for a list of sequences ``(T_i, F)``: one network-input row
    ``(T, F)`` as long as ``X``'s padded rows, every step ``b`` turned into network input as ``X`` is (each row's padding is
    masked where it is used).

    Why: a number was read in network units for a list (the training mean), in the frames' units for the same sequences
    as one NaN-padded ``(n, T, F)`` array, so the two forms gave different attributions. Other shapes pass through
    unchanged (network input, ``(T, F)`` per step of the padded length), as before.
    """
    width = int(np.shape(X[0])[1])
    if b.shape not in ((), (width,)) or not bool(np.isfinite(b).all()):
        return baseline
    longest = max(int(np.shape(s)[0]) for s in X)  # one row as long as the longest: the same values at every step of every row
    return np.asarray(target.prepared([np.broadcast_to(b, (longest, width)).astype(np.float32)]), dtype=np.float64)[0]


def _frames_list(X: Any) -> bool:
    """Whether ``X`` is a list (tuple) of 2-D sequences ``(T_i, F)``, the form a SequenceClassifier takes besides a padded array."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and all(np.ndim(s) == 2 for s in X)


def _rescales(target: Any, X: Any) -> bool:
    """Whether the model turns ``X`` into network input by more than a check, so a baseline in ``X``'s units must go the same way.

    ``network_input`` (Autoencoder, Forecaster...) or a standardisation by the training data's ``mean_``/``scale_``
    (an ImageClassifier's pixels, a SequenceClassifier's frames) on an ``X`` with a shape or a list of ``(T_i, F)`` sequences.
    """
    est = target.estimator
    if est is None or target.prepare is None:
        return False
    if hasattr(est, "network_input"):
        return True
    if not (hasattr(est, "mean_") and hasattr(est, "scale_")):
        return False
    return (hasattr(X, "shape") and not isinstance(X, torch.Tensor)) or _frames_list(X)


def _auto_for_images(target: Any, X: Any, baseline: Any, ndim: int) -> Any:
    """``"auto"`` (or None) for images or sequences of a model that standardises them (an ImageClassifier): zeros in ``X``'s
    units, a black image, turned into network input as ``X`` is (its network's 0 is the training mean, a grey image);
    any other baseline unchanged."""
    if not (baseline is None or (isinstance(baseline, str) and baseline.strip().lower() == "auto")) or ndim <= 2:
        return baseline
    if not _rescales(target, X) or hasattr(target.estimator, "network_input"):
        return baseline  # network_input models (Autoencoder, Forecaster) take their training mean, as documented
    return _baseline_in_network_units(target, X, 0.0)


def _ids_message(module: torch.nn.Module) -> str:
    """The one-line refusal for integer inputs (token or item ids), naming the embedding layer to attribute at instead.

    Why: it said only "token or index inputs have no gradient", with no way forward; the field's way (Captum's
    ``LayerIntegratedGradients`` on the embedding) is not built in, so the message says how to run it on this network.
    """
    embedding = next((n for n, m in module.named_modules() if isinstance(m, torch.nn.Embedding)), None)
    at = (f"Captum's LayerIntegratedGradients(forward, layer) on its embedding layer {embedding!r}, with "
          "forward = hl.lens.as_target(model).module and ids = torch.as_tensor(hl.lens.as_target(model).prepared(X))") if embedding else \
        "record its layers (hl.lens.record, probe, layer_similarity) instead"
    return (f"attribution needs floating-point inputs, and this model reads integer ids (tokens or items), which have no "
            f"gradient; the lens does not attribute to tokens: run {at}.")


def _check_n_steps(n_steps: Any) -> None:
    """Captum integrates in ``n_steps`` steps from the baseline to X: at least one is needed."""
    if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 1:
        raise ValueError(f"n_steps must be an integer >= 1 (integration steps from the baseline to X). Received: n_steps={n_steps!r}.")


def _setup(
    model: Any, X: Any, baseline: Any, n_steps: Any, *, prepared: bool = False
) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The module, ``X`` as its input tensor and the baseline; every argument checked before Captum runs.

    The public functions run under :func:`_in_eval_mode`, so the module is in eval mode here.
    """
    from ._record import as_target
    from ._runnable import check_runnable
    from ._target import n_rows

    _check_n_steps(n_steps)
    target = as_target(model)
    check_runnable(target.module)  # two inputs, 'meta' parameters, TorchScript: one line, as record() says it
    Xp = X if prepared else target.prepared(X)
    n_rows(Xp)  # a dict, list or loader of the user's: one line saying what to pass (torch's words were "numpy.object_")
    x = target.to_tensor(Xp).detach()
    if not x.is_floating_point():
        raise TypeError(_ids_message(target.module))
    out_x = _rows_output(target.module, x, None if prepared else x.shape[0])  # before the named baseline: one example's values are no rows to take a mean over
    given = baseline
    if not prepared:
        baseline = _auto_for_images(target, X, baseline, x.ndim)  # "auto" for images: a black image, already in network units
    if baseline is None or isinstance(baseline, str):
        baseline = named_baseline(baseline, x, target.estimator)  # taken over the network-input rows: already in their units
    elif not prepared and baseline is given:
        baseline = _baseline_in_network_units(target, X, baseline)
    base = _baseline(baseline, x)
    if x.is_floating_point() and bool(torch.isnan(x).any()):  # a padded sequence's missing steps (NaN, as the model reads them)
        base = base.masked_fill(torch.isnan(x), float("nan"))  # the baseline has each row's own length: no path from a longer one
    _check_finite_output(target.module, x, base, out_x)
    if x.dtype in _LOW_PRECISION:  # Captum's float32 noise and draws meet float32 rows; the model reads its own dtype
        return FirstOutput(target.module, x.dtype), x.float(), base.float()
    return (target.module if isinstance(out_x, torch.Tensor) else FirstOutput(target.module)), x, base


_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _float_numpy(attr: torch.Tensor) -> np.ndarray:
    """A layer's attributions as NumPy, float16/bfloat16 widened to float32 (exactly): a low-precision model's layer
    attributions came back float16 from some methods (conductance, DeepLIFT) and float32 from others, and its input
    attributions are float32 (:func:`attribute`)."""
    return to_numpy(attr.float() if attr.dtype in _LOW_PRECISION else attr)


class FirstOutput(torch.nn.Module):
    """``inner`` whose output is its first tensor (:func:`~._record._first_tensor`), for a model that returns a dict,
    tuple or dataclass (``{"logits": ..., "hidden": ...}``, a Hugging Face ``ModelOutput``); with ``dtype``, a half or
    bfloat16 model that takes float32 rows, cast to ``dtype`` on the way in, and gives a float32 output.

    Why: Captum attributes a tensor output; such a model failed on ``'dict' object has no attribute 'ndim'``. The first
    tensor is what :func:`~hiddenlayers.lens.record` keeps as the model's output (``keep_output=True``). Layers are
    still named as in ``inner`` (:func:`_layer` looks there). A low-precision model's rows are float32 for Captum: its
    noise tunnel (``smooth=``, and GradientSHAP, which runs in one) adds float32 noise, which made a float16 or bfloat16
    row float32 and failed on "mat1 and mat2 must have the same dtype"; the cast back is exact, as is the widening.
    """

    def __init__(self, inner: torch.nn.Module, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.dtype = dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from ._record import _first_tensor

        out = _first_tensor(self.inner(x if self.dtype is None else x.to(self.dtype)))
        if out is None:
            raise TypeError(f"{type(self.inner).__name__}'s output holds no tensor to attribute: return the scores to explain (e.g. the logits).")
        return out if self.dtype is None or not out.is_floating_point() else out.float()


def _unpadded(attr: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``attr`` with 0 at ``x``'s padding (NaN steps of a padded sequence, whose attribution Captum leaves NaN): no step, no share."""
    pad = torch.isnan(x) if x.is_floating_point() else None
    return attr.masked_fill(pad, 0.0) if pad is not None and attr.shape == x.shape and bool(pad.any()) else attr


def _rows_output(module: torch.nn.Module, x: torch.Tensor, rows: int | None = None) -> Any:
    """The module's output on ``x``, after the lens's one-example rule (:mod:`._one_example`): one unbatched example
    (``X[0]``: a ``(features,)`` row, a ``(C, H, W)`` image) is refused in one line, as :func:`~hiddenlayers.lens.record`
    refuses it, where Captum failed deep inside on the shapes or attributed the example's values as rows. A shape or
    dtype the model cannot read is one line naming the layer (:func:`~._runnable.diagnosed`; ``rows``: X's row count,
    None when ``x`` holds rows drawn from it), where PyTorch said only "mat1 and mat2 shapes cannot be multiplied"."""
    from ._one_example import check_rows, watching
    from ._record import _first_tensor
    from ._runnable import diagnosed
    from ._time_first import time_first_guard

    with torch.no_grad(), diagnosed(module, rows=rows) as forward, watching(module) as watch, time_first_guard(module) as order:
        watch.block = order.shape = tuple(x.shape)
        order.rows = x.shape[0]  # X given time first to a batch_first=False layer: its steps would be attributed as rows
        out = forward(x)
    first = _first_tensor(out)
    if first is not None:
        check_rows(x, {type(module).__name__: [first]})
    return out


def _check_finite_output(module: torch.nn.Module, x: torch.Tensor, base: torch.Tensor, out_x: Any = None) -> None:
    """Raise :class:`~hiddenlayers.lens._record.NonFiniteActivations` when the model's output on ``x`` or the baseline is not finite.

    Why: ``x`` and the baseline were checked finite, so a NaN or inf output means the network diverged;
    the gradients along the path may still be finite, so integrated gradients would come back as numbers
    (and the convergence delta as NaN, which no tolerance catches), as record() refuses such a network.
    ``out_x``: the module's output on ``x`` when already computed (:func:`_rows_output`).
    """
    from ._record import NonFiniteActivations, _first_tensor

    with torch.no_grad():
        for what, t in (("X", x), ("the baseline", base)):
            out = _first_tensor(out_x if what == "X" and out_x is not None else module(t))
            if out is not None and out.is_floating_point() and not bool(torch.isfinite(out).all()):
                raise NonFiniteActivations(
                    f"the model's output on {what} holds NaN or infinite values from finite input: the network has diverged "
                    "(or its input overflows its dtype), so its attributions would be meaningless; retrain it with a lower "
                    "learning rate or scaled inputs before attributing."
                )


def _in_eval_mode(fn: F) -> F:
    """Run ``fn(model, ...)`` with the model's module in eval mode; every submodule's own mode is restored after.

    Why: attributions of a model left in train mode would include dropout noise,
    and setting ``eval()`` for good would change the user's model. Its in-place
    activations compute out of place meanwhile (:func:`~._state.out_of_place`).
    """

    @functools.wraps(fn)
    def wrapper(model: Any, *args: Any, **kwargs: Any) -> Any:
        module = module_of(model)
        if module is None:
            return fn(model, *args, **kwargs)  # not a model: fn raises the usual error
        with evaluating(module), out_of_place(module):
            try:
                return fn(model, *args, **kwargs)
            except RuntimeError as exc:
                why = _captum_limit(str(exc))
                if why is None:
                    raise
                raise ValueError(why) from exc

    return cast(F, wrapper)


def _captum_limit(torch_says: str) -> str | None:
    """One line for a model Captum's method cannot run on (a layer's output changed in place after it; DeepLift on a
    nonlinearity called twice), saying what to do instead; None for any other error."""
    if "leaf Variable that requires grad is being used in an in-place operation" in torch_says:
        return (
            "the layer's output is changed in place later in the forward pass (e.g. `out += identity` after it), which "
            "Captum's layer attributions cannot follow (they hand that output on as a leaf tensor): pick the module that makes "
            "the in-place result (the block around it), use method='conductance' or 'gradient_shap', or write the step out of "
            "place (out = out + identity)."
        )
    found = re.search(r"A Module (.*?) was detected that does not contain some of the input/output attributes", torch_says)
    if found:
        return (
            f"method='deeplift' needs each nonlinear module called once per forward pass (Captum's DeepLift keeps one input and "
            f"output per module), and this model calls a {found.group(1)} more than once (one self.relu shared by a block's "
            "steps, as in torchvision's ResNets): give each call its own module, or use method='integrated_gradients'."
        )
    return None


def _labels(model: Any) -> list[Any] | None:
    """The model's class labels as plain Python values (None for a regressor or a bare module)."""
    classes = getattr(model, "classes_", None)
    return None if classes is None else np.asarray(classes).tolist()


def _index(target: Any, labels: list[Any] | None, n_out: int) -> int | None:
    """``target`` as an output index: a class label first, else an integer index; None when it is neither."""
    if labels is not None:
        hits = [i for i, c in enumerate(labels) if c == target]
        if hits:
            return hits[0]
    if isinstance(target, numbers.Integral) and not isinstance(target, bool) and 0 <= int(target) < n_out:
        return int(target)
    return None


def _output_index(model: Any, module: torch.nn.Module, x: torch.Tensor, target: Any) -> tuple[Any, float]:
    """The output Captum attributes and the sign to apply: ``target`` (class label or output index) checked.

    A binary classifier has one logit ``z`` (the positive class, ``classes_[1]``); the
    negative class's logit is ``-z`` (a two-way softmax over ``(0, z)`` seen from class 0),
    so its attributions are the positive class's negated (integrated gradients and
    conductance are linear in the attributed output). ``target`` 0/1 there means
    ``classes_[0]``/``classes_[1]``, as the columns of ``predict_proba``.
    """
    with torch.no_grad():
        out = module(x[:1])
    if out.ndim != 2:
        if target is None and out[0].numel() > 1:
            raise ValueError(
                f"the model's output has shape {tuple(out.shape[1:])} per row: pass target= as an index into it, "
                f"a tuple of {out.ndim - 1} ints as Captum takes (e.g. target={(0,) * (out.ndim - 1)})."
            )
        return target, 1.0  # outputs with more axes: Captum's own target forms (tuples) pass through
    n_out = int(out.shape[1])
    if target is None:
        if n_out == 1:
            return 0, 1.0
        raise ValueError(f"the model has {n_out} outputs: pass target= (an output index or class label).")
    labels = _labels(model)
    binary = labels is not None and len(labels) == 2 and n_out == 1
    index = _index(target, labels, 2 if binary else n_out)
    if index is None:
        if labels is not None:
            n_idx = 2 if binary else n_out
            raise ValueError(f"target {target!r} is not a class of this model; classes are {labels} (output indices 0..{n_idx - 1}).")
        if n_out == 1:  # "an output index 0..0" read oddly: one output (a regressor's) needs no target
            raise ValueError(f"target {target!r} is not an output of this model, which has one output: leave target out (or pass target=0).")
        raise ValueError(f"target {target!r} is not an output of this model; pass an output index 0..{n_out - 1}.")
    if binary:
        return 0, (-1.0 if index == 0 else 1.0)
    return (0 if n_out == 1 else index), 1.0  # one output: a regressor's


def _check_delta_flag(return_convergence_delta: Any) -> None:
    if not isinstance(return_convergence_delta, (bool, np.bool_)):
        raise TypeError(f"return_convergence_delta must be True or False. Received: return_convergence_delta={return_convergence_delta!r}.")


def _with_delta(attr: torch.Tensor, delta: torch.Tensor, sign: float, n_steps: int, return_delta: bool, method: str) -> Any:
    """Captum's ``attr`` (n, ...) and convergence ``delta`` (n,) as the public functions return them, after the completeness check.

    ``sign``: :func:`_output_index`'s (a binary classifier's negative class negates both); ``method`` names the
    attribution in the warning. Returns ``sign * attr`` as numpy, or ``(that, sign * delta)`` with ``return_delta``.
    """
    delta = delta.detach().double()
    gap = attr.detach().reshape(len(attr), -1).sum(1).double() - delta  # f(x) - f(baseline) per row
    _check_completeness(delta, gap, int(n_steps), method)
    out = sign * _float_numpy(attr)
    return (out, sign * delta.cpu().numpy()) if return_delta else out


def _check_completeness(delta: torch.Tensor, gap: torch.Tensor, n_steps: int, method: str = "integrated gradients") -> None:
    """Warn (one ``UserWarning``) when the attributions' sums miss ``f(x) - f(baseline)`` by more than the tolerance.

    ``delta``/``gap``: ``(n,)`` per row. Relative over all rows (``Σ|delta| / Σ|gap|``), so a
    row whose gap is near zero does not raise it alone; no gap at all (X is the baseline) never warns.
    ``method``: the attribution's name in the warning (``"layer conductance"``).
    """
    total_gap = float(gap.abs().sum())
    if total_gap == 0.0:
        return
    rel = float(delta.abs().sum()) / total_gap
    if rel > COMPLETENESS_TOLERANCE:
        warnings.warn(
            f"{method} did not converge: the attributions' sums miss f(X) - f(baseline) by {100 * rel:.3g}% "
            f"(over {COMPLETENESS_TOLERANCE:.0%}); raise n_steps (now {n_steps}, e.g. n_steps={max(200, 4 * n_steps)}) "
            "or scale the inputs so the path from the baseline is shorter.",
            UserWarning,
            stacklevel=user_stacklevel(),  # the user's call of attribute or layer_attribution
        )


@overload
def attribute(
    model: Any, X: Any, *, target: Any = ..., baseline: Any = ..., n_steps: int = ..., return_convergence_delta: Literal[False] = ...,
    method: str = ..., random_state: int = ..., window: Any = ..., stride: Any = ..., smooth: str | None = ..., n_samples: int | None = ...,
    stdev: float | None = ...,
) -> np.ndarray: ...
@overload
def attribute(
    model: Any, X: Any, *, target: Any = ..., baseline: Any = ..., n_steps: int = ..., return_convergence_delta: Literal[True],
    method: str = ..., random_state: int = ..., window: Any = ..., stride: Any = ..., smooth: str | None = ..., n_samples: int | None = ...,
    stdev: float | None = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@_in_eval_mode
def attribute(
    model: Any, X: Any, *, target: Any = None, baseline: Any = "auto", n_steps: int = 50, return_convergence_delta: bool = False,
    method: str = "integrated_gradients", random_state: int = 0, window: Any = None, stride: Any = None, smooth: str | None = None,
    n_samples: int | None = None, stdev: float | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Attributions (integrated gradients by default) of output ``target`` w.r.t. each input: ``(n, features)``.

    The result has the network input's shape, in its units: ``X`` as the model feeds it to the network (an
    ``ImageClassifier``'s ``(n, C, H, W)`` for ``(n, H, W)`` images, an Autoencoder's standardised rows). A binary
    classifier's negative class gets the positive class's attributions negated. Whether or not the delta is returned, a
    relative completeness miss over :data:`COMPLETENESS_TOLERANCE` warns once, naming the fix (more ``n_steps``).
    Returns the attributions, or ``(attributions, delta)``.

    Parameters
    ----------
    model : estimator, application, Network or torch.nn.Module
        The model (what :func:`record` takes).
    X : array-like of shape (n, ...)
        The rows to explain.
    target : label or int, optional
        Class label (estimators) or output index; required when there is more than one output.
    baseline : str or array-like
        The reference input (see the module docstring): ``"auto"``, ``"zeros"``, ``"median"``, or one row of network
        input.
    n_steps : int
        Captum's integration steps (more steps, a smaller gap between the attributions' sum and
        ``f(X) - f(baseline)``); GradientSHAP: samples per row.
    return_convergence_delta : bool
        As Captum names it, also return ``delta``, ``(n,)``: each row's attributions summed minus
        ``f(x) - f(baseline)`` (in the output's units; 0 is exact). Integrated gradients and DeepLift only; asking
        another method for a delta is refused.
    method : str
        Which Captum attribution (:data:`~._methods.METHODS`, when to use which in :mod:`._methods`):
        ``"integrated_gradients"``, ``"saliency"`` (``|gradient|``: no sign, no baseline), ``"input_x_gradient"`` (no
        baseline), ``"deeplift"``, ``"gradient_shap"`` (baselines drawn from ``X``'s rows), ``"feature_ablation"`` or
        ``"occlusion"``.
    random_state : int
        Seeds GradientSHAP's baselines and the noise tunnel.
    window : int or tuple, optional
        Occlusion's sliding window, filled with the baseline (:mod:`._occlusion` gives the forms and the defaults per
        input kind); occlusion only.
    stride : int or tuple, optional
        The window's step; occlusion only.
    smooth : {None, "smoothgrad", "smoothgrad_sq", "vargrad"}
        Run the method inside Captum's ``NoiseTunnel`` (:mod:`._smooth`; not with GradientSHAP, a delta, or padded
        sequences).
    n_samples : int, optional
        The noise tunnel's noisy copies of each row (default 20).
    stdev : float, optional
        The noise's standard deviation in the network input's units (default: 15% of its range over the rows).
    """
    from captum.attr import IntegratedGradients

    from ._methods import COMPLETE, LABELS, check_method, check_options, check_padding, run_method

    _check_delta_flag(return_convergence_delta)
    method = check_method(method)
    if return_convergence_delta and method not in COMPLETE:
        raise ValueError(f"method={method!r} has no convergence delta (its attributions need not sum to f(x) - f(baseline)): "
                         f"pass return_convergence_delta=False, or method={' or '.join(map(repr, COMPLETE))}.")
    options = check_options(method, window, stride, smooth, n_samples, stdev, bool(return_convergence_delta))
    _check_seed(random_state)
    module, x, base = _setup(model, X, baseline, n_steps)
    tgt, sign = _output_index(model, module, x, target)
    if method != "integrated_gradients" or options.smooth is not None:
        check_padding(method, x, options.smooth)
        attr, delta = run_method(method, module, x, base, tgt, n_steps, random_state, options)
        if delta is not None:
            return _with_delta(attr, delta, sign, n_steps, bool(return_convergence_delta), LABELS[method])
        unsigned = method == "saliency" or (options.smooth is not None and not options.smooth.signed)  # |gradient|, squares: the same for -z
        return (1.0 if unsigned else sign) * to_numpy(attr)
    ig = IntegratedGradients(module)
    attr, delta = ig.attribute(x, baselines=base, target=tgt, n_steps=n_steps, return_convergence_delta=True)
    if not bool(torch.isfinite(delta).all()) and bool(torch.isnan(x).any()):  # padding: its NaN attributions made the sums NaN
        attr = _unpadded(attr, x)
        delta = ig.compute_convergence_delta(attr, base, x, target=tgt)
    return _with_delta(attr, delta, sign, n_steps, bool(return_convergence_delta), "integrated gradients")


def _check_seed(random_state: Any) -> None:
    """GradientSHAP's draws and the noise of ``smooth=`` are seeded by ``random_state``: an integer >= 0."""
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise ValueError(f"random_state must be an integer >= 0 (the seed of GradientSHAP's and the noise tunnel's draws). Received: random_state={random_state!r}.")


def _layer(module: torch.nn.Module, layer: str | int) -> torch.nn.Module:
    """The one layer ``layer`` names: a name, a pattern matching one layer, or a 1-based hidden-layer index."""
    from ._select import layer_listing, select_layers

    if isinstance(module, FirstOutput):  # layers are named as in the user's model
        module = module.inner
    hits = select_layers(module, layer, param="layer")
    if len(hits) > 1:  # the matches capped as an unmatched name's listing is: a pattern may match hundreds
        shown = layer_listing(module, hits, layer if isinstance(layer, str) else "*")
        raise ValueError(f"layer={layer!r} matched {len(hits)} layers ({shown}): name one layer.")
    return next(iter(hits.values()))


@overload
def layer_attribution(
    model: Any, X: Any, layer: str | int, *, target: Any = ..., baseline: Any = ..., n_steps: int = ...,
    return_convergence_delta: Literal[False] = ..., method: str = ..., random_state: int = ..., upsample: bool | str = ...,
    smooth: str | None = ..., n_samples: int | None = ..., stdev: float | None = ...,
) -> np.ndarray: ...
@overload
def layer_attribution(
    model: Any, X: Any, layer: str | int, *, target: Any = ..., baseline: Any = ..., n_steps: int = ..., return_convergence_delta: Literal[True],
    method: str = ..., random_state: int = ..., upsample: bool | str = ..., smooth: str | None = ..., n_samples: int | None = ...,
    stdev: float | None = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@_in_eval_mode
def layer_attribution(
    model: Any, X: Any, layer: str | int, *, target: Any = None, baseline: Any = "auto", n_steps: int = 50, return_convergence_delta: bool = False,
    method: str = "conductance", random_state: int = 0, upsample: bool | str = False, smooth: str | None = None,
    n_samples: int | None = None, stdev: float | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Layer conductance of each unit of ``layer`` for output ``target``: ``(n, units)`` (the layer's output shape per row).

    A row's conductances sum to ``f(x) - f(baseline)`` as the steps grow; as in :func:`attribute`, a relative miss over
    :data:`COMPLETENESS_TOLERANCE` warns once whether or not the delta is returned. Returns the conductances, or
    ``(conductances, delta)``. Padded sequences (a SequenceClassifier's rows of several lengths): each row's
    conductances are its sequence's attributed alone, and a per-step (``:seq``) layer's steps past a row's end get 0 (its
    masked layers hold them at 0).

    Parameters
    ----------
    model, X
        As :func:`attribute` takes them: the model (what :func:`record` takes) and its rows ``(n, ...)``.
    layer : str or int
        The layer, by name or 1-based hidden-layer index.
    target, baseline, n_steps, random_state
        As :func:`attribute` takes them (GradientSHAP's baselines drawn from ``X``'s rows, ``n_steps`` samples).
    return_convergence_delta : bool
        Also return ``delta``, ``(n,)``: each row's sum minus ``f(x) - f(baseline)``, in the output's units (Captum's
        ``LayerConductance`` option); for conductance, integrated gradients and DeepLift only.
    method : str
        :data:`~._methods.LAYER_METHODS`: ``"conductance"``, ``"integrated_gradients"`` (of the layer's output),
        ``"deeplift"``, ``"gradient_shap"``, ``"gradient_x_activation"``, ``"gradcam"`` (Grad-CAM of a convolutional
        layer, Captum's ``LayerGradCam``: ``(n, 1, h, w)``, signed; :mod:`._gradcam`) or ``"guided_gradcam"`` (Captum's
        ``GuidedGradCam``: Grad-CAM's positive part resized to the input times guided backpropagation, the input's
        shape ``(n, C, H, W)``).
    upsample : bool or str
        Grad-CAM only: True resizes the map to the input image's height and width, ``(n, 1, H, W)``, by Captum's
        ``LayerAttribution.interpolate`` (bilinear; or ``"nearest"``, ``"bicubic"``), to lay over the image.
    smooth, n_samples, stdev
        As :func:`attribute` takes them: the layer method inside Captum's ``NoiseTunnel`` (noise on the inputs, the
        layer's attributions of the noisy copies combined; :mod:`._smooth`): any method but ``"gradient_shap"``, no
        delta, no padded sequences; Grad-CAM's map is smoothed at the layer's resolution, then upsampled.
    """
    from ._gradcam import Negated, check_conv_layer, check_input_positions, check_upsample, upsampled
    from ._methods import LAYER_COMPLETE, LAYER_METHODS, check_method_of, check_padding, run_layer_method
    from ._smooth import check_smoothing

    _check_delta_flag(return_convergence_delta)
    method = check_method_of(method, LAYER_METHODS, "layer_attribution")
    if return_convergence_delta and method not in LAYER_COMPLETE:
        raise ValueError(f"method={method!r} has no convergence delta: pass return_convergence_delta=False, or method="
                         f"{', '.join(map(repr, LAYER_COMPLETE))}.")
    smoothing = check_smoothing(smooth, n_samples, stdev, method, bool(return_convergence_delta), LAYER_METHODS)
    mode = check_upsample(upsample, method)
    _check_seed(random_state)
    module, x, base = _setup(model, X, baseline, n_steps)
    tgt, sign = _output_index(model, module, x, target)
    if method != "conductance" or smoothing is not None:
        check_padding(method, x, smoothing, works="method='conductance' or 'integrated_gradients'")
    mod = _layer(module, layer)
    if method in ("gradcam", "guided_gradcam"):
        shape = check_conv_layer(module, mod, x, layer)
        if method == "guided_gradcam":
            check_input_positions(shape, x, layer)
    run_on = module
    if method == "guided_gradcam" and sign < 0:  # not linear in the output: the negative class's -z attributed itself
        run_on, sign = Negated(module), 1.0
    attr, delta = run_layer_method(method, run_on, mod, x, base, tgt, n_steps, random_state, smoothing)
    if mode is not None:
        attr = upsampled(attr.detach(), x, mode)
    if delta is None:
        unsigned = smoothing is not None and not smoothing.signed  # squares, a variance: the same for -z
        return (1.0 if unsigned else sign) * _float_numpy(attr)
    name = "layer conductance" if method == "conductance" else f"layer {method.replace('_', ' ')}"
    return _with_delta(attr, delta, sign, n_steps, bool(return_convergence_delta), name)


@_in_eval_mode
def neuron_attribution(model: Any, X: Any, layer: str | int, unit: int | tuple[int, ...], *, baseline: Any = "auto", n_steps: int = 50,
                       method: str = "integrated_gradients", random_state: int = 0, smooth: str | None = None,
                       n_samples: int | None = None, stdev: float | None = None) -> np.ndarray:
    """Attributions of hidden unit ``unit`` of ``layer`` w.r.t. each input: ``(n, features)``.

    No ``return_convergence_delta`` and no completeness warning, unlike :func:`attribute` and :func:`layer_attribution`:
    Captum's ``NeuronIntegratedGradients`` computes no convergence delta.

    Parameters
    ----------
    model, X, layer
        As :func:`layer_attribution` takes them: the model, its rows ``(n, ...)``, and the layer (a name or a 1-based
        hidden-layer index).
    unit : int or tuple of int
        An integer: the unit as the lens counts units (:meth:`Recording.units`): a dense layer's output column, a
        convolution's channel, a recurrent layer's unit; a channel or recurrent unit is its output averaged over
        positions or steps (a padded sequence's real steps only). A tuple of ints, Captum's own form, names one position
        of the layer's output per row (``(channel, row, col)`` of a conv layer).
    baseline, n_steps, random_state, smooth, n_samples, stdev
        As :func:`attribute` takes them (the noise tunnel: any method but ``"gradient_shap"``, no padded sequences).
    method : str
        :data:`~._methods.NEURON_METHODS`: ``"integrated_gradients"``, ``"gradient"``, ``"deeplift"``,
        ``"gradient_shap"`` (baselines drawn from ``X``'s rows, ``n_steps`` samples) or ``"feature_ablation"``.
    """
    from ._methods import NEURON_METHODS, check_method_of, check_padding, run_neuron_method
    from ._record import _output_lengths
    from ._smooth import check_smoothing

    method = check_method_of(method, NEURON_METHODS, "neuron_attribution")
    smoothing = check_smoothing(smooth, n_samples, stdev, method, False, NEURON_METHODS)
    _check_seed(random_state)
    module, x, base = _setup(model, X, baseline, n_steps)
    check_padding(method, x, smoothing)
    mod = _layer(module, layer)
    lengths: list[torch.Tensor | None] = [None]  # the real steps per row of the layer's latest output (padded sequences)
    selector = _neuron_selector(module, mod, x, layer, unit, lengths)
    h = mod.register_forward_hook(lambda m, args, kwargs, _o: lengths.__setitem__(0, _output_lengths(m, args, kwargs)), with_kwargs=True)
    try:
        attr = run_neuron_method(method, module, mod, x, base, selector, n_steps, random_state, smoothing)
    finally:
        h.remove()
    return to_numpy(_unpadded(attr.detach(), x))


def _neuron_selector(module: torch.nn.Module, mod: torch.nn.Module, x: torch.Tensor, layer: str | int, unit: Any,
                     lengths: list[torch.Tensor | None] | None = None) -> Any:
    """``unit`` checked against the layer's output on one row, as Captum's ``neuron_selector``.

    A dense output ``(n, units)`` takes the index as is; a conv ``(n, C, ...)`` or recurrent ``(n, T, units)``
    output gets a callable averaging the unit over its positions (a bare index there would select a whole
    slice, which Captum cannot differentiate); a tuple indexes one position of the output.
    ``lengths[0]``: the real steps ``(n,)`` of each row of the layer's latest output, set by a hook where the layer is a
    length-aware sequence layer (:func:`~._record._output_lengths`); a recurrent unit is then averaged over those steps
    only, as the lens's statistics read it, never over the padding after a short sequence's end.
    """
    from ._layer_output import layer_output_of_one_row
    from ._record import _kind, step_mask

    is_index = isinstance(unit, numbers.Integral) and not isinstance(unit, bool)
    is_tuple = isinstance(unit, tuple) and bool(unit) and all(isinstance(u, numbers.Integral) and not isinstance(u, bool) for u in unit)
    if not (is_index or is_tuple):
        raise TypeError(f"unit must be an integer unit index of layer {layer!r}. Received: unit={unit!r}; a tuple of ints names one position of its output.")
    first = layer_output_of_one_row(module, mod, x)
    if first is None:
        return tuple(unit) if is_tuple else int(unit)  # Captum names what it cannot select
    shape = tuple(first.shape[1:])  # one row's output
    if is_tuple:
        if len(unit) != len(shape) or not all(0 <= int(u) < n for u, n in zip(unit, shape, strict=True)):
            raise ValueError(f"unit={unit!r} is not a position of layer {layer!r}'s output, shape {shape} per row: pass {len(shape)} indices within it.")
        return tuple(int(u) for u in unit)
    kind = _kind(mod, first)
    axis = 1 if kind == "conv" else first.ndim - 1  # conv: channels; dense and recurrent: the last axis
    width = int(first.shape[axis])
    if not 0 <= int(unit) < width:
        raise ValueError(f"unit must be in 0..{width - 1} for layer {layer!r}. Received: unit={unit!r}.")
    u = int(unit)
    if first.ndim == 2:
        return u

    def mean_of_unit(o: Any) -> torch.Tensor:
        t = o[0] if isinstance(o, (tuple, list)) else o  # an RNN's (output, state)
        steps = None if lengths is None or kind != "recurrent" or t.ndim != 3 else lengths[0]
        if steps is not None and steps.shape == t.shape[:1]:  # (n, T) of the unit, averaged over each row's real steps
            real = step_mask(steps, t.shape[1]).to(t.device)
            return (t.select(axis, u) * real.to(t.dtype)).sum(1) / real.sum(1).clamp(min=1).to(t.dtype)
        return t.select(axis, u).reshape(t.shape[0], -1).mean(1)  # (n,): the unit averaged over positions/steps

    return mean_of_unit


@_in_eval_mode
def feature_importance(model: Any, X: Any, *, baseline: Any = "auto", max_rows: int | None = 300, n_steps: int = 32,
                       method: str = "integrated_gradients", random_state: int = 0, window: Any = None, stride: Any = None,
                       smooth: str | None = None, n_samples: int | None = None, stdev: float | None = None) -> np.ndarray:
    """Mean |attribution| (integrated gradients by default) per input feature, each row for its own predicted output.

    The result has one example's network-input shape: ``(features,)``, or ``(C, H, W)`` / ``(T, F)`` for images and
    sequences. One Captum call: the target of row ``i`` is the output with the highest score on row ``i``.

    Parameters
    ----------
    model, X
        As :func:`attribute` takes them: the model (what :func:`record` takes) and its rows ``(n, ...)``.
    baseline : str or array-like
        As :func:`attribute` takes it (a whole-``X`` baseline follows the rows used); ``"auto"`` is the mean of ``X``'s
        rows for a table (a constant column gets importance 0: it changed nothing) and zeros for images and sequences.
    max_rows : int, optional
        At most this many rows, drawn at random (seed 0), not the first ones (data sorted by label would be explained by
        its first classes only); None: every row.
    n_steps : int
        Integration steps per row (GradientSHAP: samples per row).
    method, random_state, window, stride, smooth, n_samples, stdev
        As :func:`attribute` takes them (Captum's Saliency, InputXGradient, DeepLift, GradientShap, FeatureAblation,
        Occlusion, NoiseTunnel).
    """
    from captum.attr import IntegratedGradients

    from ._methods import check_method, check_options, check_padding, run_method
    from ._record import as_target
    from ._target import check_max_rows, n_rows, sample_index, take_rows

    method = check_method(method)
    options = check_options(method, window, stride, smooth, n_samples, stdev, False)
    _check_seed(random_state)
    max_rows = check_max_rows(max_rows)
    target = as_target(model)
    Xp = target.prepared(X)
    auto = _auto_for_images(target, X, baseline, len(np.shape(Xp)))  # "auto" for images: a black image, in network units
    if auto is not baseline:
        b = auto
    elif baseline is None or isinstance(baseline, str):
        b = named_baseline(baseline, Xp, target.estimator)  # over every row of X
    else:
        b = _baseline_in_network_units(target, X, baseline)
    idx = sample_index(n_rows(Xp), max_rows, 0)
    if idx is not None:
        if b is not None and not isinstance(b, numbers.Number):  # checked against all of X's rows, before some are drawn
            _check_baseline_shape(tuple(np.shape(b)), tuple(Xp.shape))
        if np.ndim(b) >= 1 and np.ndim(b) == np.ndim(Xp) and np.shape(b)[0] == n_rows(Xp):
            b = take_rows(b if hasattr(b, "shape") else np.asarray(b), idx)  # a whole-X baseline follows X's rows
        Xp = take_rows(Xp, idx)
    module, x, base = _setup(model, Xp, b, n_steps, prepared=True)
    with torch.no_grad():
        out = module(x)
    if out.ndim > 2:
        raise ValueError(
            f"feature_importance needs one score per output and row, (n, outputs); this model gives {tuple(out.shape[1:])} per row: "
            "pick the output to explain with hl.lens.attribute(model, X, target=...) (a tuple index into it)."
        )
    tgt: Any = out.argmax(1).tolist() if out.ndim == 2 and out.shape[1] > 1 else (0 if out.ndim == 2 else None)
    if method == "integrated_gradients" and options.smooth is None:
        attr = IntegratedGradients(module).attribute(x, baselines=base, target=tgt, n_steps=n_steps)
    else:
        check_padding(method, x, options.smooth)
        attr = run_method(method, module, x, base, tgt, n_steps, random_state, options)[0]
    return to_numpy(_unpadded(attr.detach(), x).abs().mean(0)).astype(np.float64)


__all__ = ["attribute", "feature_importance", "layer_attribution", "neuron_attribution"]
