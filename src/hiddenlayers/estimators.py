"""scikit-learn drop-in estimators: ``MLPClassifier`` and ``MLPRegressor``.

Same constructor parameters (names, meanings, defaults) and fitted attributes
as ``sklearn.neural_network``'s, over a PyTorch :class:`Network` trained by
:func:`hiddenlayers.training.train`. Extras keep sklearn's behaviour by
default: per-layer specs in ``hidden_layer_sizes``, more solvers and
schedules, ``loss_threshold``/``max_time`` stopping, ``device``, ``history_``,
``stop_reason_`` and ``transform(X, layer=k)`` for hidden activations.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions  # noqa: F401  (documented constraints)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, column_or_1d, validate_data

from .exceptions import DataError, NotFittedError
from .layers import get_activation, init_dense_, sklearn_init_
from .losses import Loss, get_loss
from .network import Network, count_parameters, resolve_device
from .optim import SCHEDULES, SOLVERS, Schedule
from .spec import Spec
from .stopping import History, LossBelow, MaxEpochs, NoImprovement, StoppingRule, TimeLimit
from .training import train

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _check(cond: bool, name: str, allowed: str, value: Any) -> None:
    if not cond:
        raise ValueError(f"{name} must be {allowed}. Received: {name}={value!r}.")


def _validate(est: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
    """``validate_data`` with one clear error for text in ``X`` (sklearn's names a value only)."""
    try:
        return validate_data(est, X, *args, **kwargs)
    except ValueError as exc:
        msg = str(exc)
        if not msg.startswith("could not convert string to float") or sp.issparse(X):
            raise
        detail = re.sub(r"np\.str_\((.*)\)", r"\1", msg)
        try:
            np.asarray(X, dtype=np.float64)
        except (ValueError, TypeError):
            raise DataError(
                f"X has non-numeric values ({detail}): encode text or category columns as numbers first, "
                "e.g. with sklearn's OneHotEncoder."
            ) from None
        raise DataError(
            f"y has non-numeric values ({detail}): {type(est).__name__} needs numeric targets; for class labels use MLPClassifier."
        ) from None


class _BaseMLP(BaseEstimator):
    """Shared machinery of the two estimators (not public)."""

    _loss_name = "squared_error"

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        loss_threshold: float | None = None,
        max_time: float | None = None,
        clip_grad_norm: float | None = None,
        callbacks: Any = None,
        device: str = "auto",
        dtype: str = "float32",
        init: str = "sklearn",
        engine: str = "auto",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss_threshold = loss_threshold
        self.max_time = max_time
        self.clip_grad_norm = clip_grad_norm
        self.callbacks = callbacks
        self.device = device
        self.dtype = dtype
        self.init = init
        self.engine = engine

    # ------------------------------------------------------------------ checks
    def _validate_params(self) -> Spec:  # type: ignore[override]
        spec = Spec.parse(self.hidden_layer_sizes)
        get_activation(self.activation)
        _check(self.solver in SOLVERS, "solver", f"one of {', '.join(SOLVERS)}", self.solver)
        _check(self.learning_rate in SCHEDULES, "learning_rate", f"one of {', '.join(SCHEDULES)}", self.learning_rate)
        num = numbers.Real
        _check(isinstance(self.alpha, num) and self.alpha >= 0, "alpha", "a number >= 0", self.alpha)
        _check(
            self.batch_size == "auto" or (isinstance(self.batch_size, numbers.Integral) and self.batch_size >= 1),
            "batch_size", "'auto' or an integer >= 1", self.batch_size,
        )
        _check(isinstance(self.learning_rate_init, num) and self.learning_rate_init > 0, "learning_rate_init", "a number > 0", self.learning_rate_init)
        _check(isinstance(self.power_t, num) and self.power_t >= 0, "power_t", "a number >= 0", self.power_t)
        _check(isinstance(self.max_iter, numbers.Integral) and self.max_iter >= 1, "max_iter", "an integer >= 1", self.max_iter)
        _check(isinstance(self.tol, num) and self.tol >= 0, "tol", "a number >= 0", self.tol)
        _check(isinstance(self.momentum, num) and 0 <= self.momentum <= 1, "momentum", "a number in [0, 1]", self.momentum)
        _check(isinstance(self.validation_fraction, num) and 0 < self.validation_fraction < 1, "validation_fraction", "a number in (0, 1)", self.validation_fraction)
        _check(isinstance(self.beta_1, num) and 0 <= self.beta_1 < 1, "beta_1", "a number in [0, 1)", self.beta_1)
        _check(isinstance(self.beta_2, num) and 0 <= self.beta_2 < 1, "beta_2", "a number in [0, 1)", self.beta_2)
        _check(isinstance(self.epsilon, num) and self.epsilon > 0, "epsilon", "a number > 0", self.epsilon)
        _check(
            (isinstance(self.n_iter_no_change, numbers.Integral) and self.n_iter_no_change >= 1) or self.n_iter_no_change == np.inf,
            "n_iter_no_change", "an integer >= 1 or numpy.inf", self.n_iter_no_change,
        )
        _check(isinstance(self.max_fun, numbers.Integral) and self.max_fun >= 1, "max_fun", "an integer >= 1", self.max_fun)
        _check(self.loss_threshold is None or (isinstance(self.loss_threshold, num) and self.loss_threshold >= 0), "loss_threshold", "None or a number >= 0", self.loss_threshold)
        _check(self.max_time is None or (isinstance(self.max_time, num) and self.max_time > 0), "max_time", "None or a number of seconds > 0", self.max_time)
        _check(self.clip_grad_norm is None or (isinstance(self.clip_grad_norm, num) and self.clip_grad_norm > 0), "clip_grad_norm", "None or a number > 0", self.clip_grad_norm)
        _check(self.dtype in _DTYPES, "dtype", "'float32' or 'float64'", self.dtype)
        _check(self.init in ("sklearn", "auto"), "init", "'sklearn' (scikit-learn's uniform init) or 'auto' (He/Glorot)", self.init)
        _check(self.engine in ("auto", "dense", "autograd"), "engine", "'auto', 'dense' or 'autograd'", self.engine)
        resolve_device(self.device)
        return spec

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def _require_fitted(self) -> None:
        """Raise :class:`NotFittedError` (ours, also scikit-learn's) before ``fit``."""
        if not hasattr(self, "network_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
            )

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # ``transform(X, layer=k)`` makes this a transformer too (hidden
        # activations as features); outputs follow ``dtype``, not X's dtype.
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags

    # ------------------------------------------------------------- fitting
    def _loss(self) -> Loss:
        return get_loss(self._loss_name)

    def _build(self, spec: Spec, n_features: int, n_outputs: int, rng: np.random.RandomState) -> None:
        net = Network(n_features, spec, n_outputs, activation=self.activation, init="none")
        # The head gets the estimator-level activation's init, as in scikit-learn.
        acts = [*net.activation_names(), self.activation]
        if self.init == "sklearn":
            for lin, act in zip(net.linears(), acts):
                sklearn_init_(lin, act, rng)  # same draws as sklearn for this random_state
        else:
            gen = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
            for lin, act in zip(net.linears(), acts):
                init_dense_(lin, act, generator=gen)
        self.network_ = net.to(dtype=_DTYPES[self.dtype], device=self._device)
        self._optimizer_state: dict[str, Any] | None = None
        self.history_ = History()
        self.n_iter_ = 0
        self.t_ = 0
        self.best_loss_: float | None = np.inf
        self.validation_scores_: list[float] | None = [] if self.early_stopping else None
        self.best_validation_score_: float | None = -np.inf if self.early_stopping else None

    def _targets(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def _fit(self, X: Any, y: Any, sample_weight: Any = None, incremental: bool = False) -> Any:
        spec = self._validate_params()
        self._device = resolve_device(self.device)
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if X.shape[0] == 0:
            raise ValueError("X has 0 samples: at least one sample is required to fit.")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        Y = self._targets(y)
        n_outputs = Y.shape[1]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self.n_outputs_ = n_outputs
            with torch.random.fork_rng(devices=[]):  # nn.Linear's own init draws from the global stream before ours replaces it
                self._build(spec, X.shape[1], n_outputs, self._random_state)
        elif n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} outputs but the model was fitted with {self.n_outputs_}; refit with warm_start=False.")
        self.n_layers_ = len(self.network_.hidden_names) + 2
        self.out_activation_ = self._loss().out_activation
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sample_weight)
        else:
            self._fit_stochastic(X, Y, y, sample_weight, incremental)
        self._cache_weights()
        return self

    def _fit_stochastic(self, X: Any, Y: np.ndarray, y: np.ndarray, sample_weight: Any, incremental: bool) -> None:
        dtype, device = _DTYPES[self.dtype], self._device
        w_val = None
        if self.early_stopping:
            stratify = y if is_classifier(self) and self.n_outputs_ == 1 and y.ndim == 1 else None
            arrays = [X, Y, y] + ([sample_weight] if sample_weight is not None else [])
            parts = train_test_split(*arrays, random_state=self._random_state, test_size=self.validation_fraction, stratify=stratify)
            X, X_val, Y, _, _, y_val = parts[:6]
            if sample_weight is not None:
                sample_weight, w_val = parts[6], parts[7]
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of your dataset.")
        n = X.shape[0]
        batch_size = min(200, n) if self.batch_size == "auto" else int(self.batch_size)
        if batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped", stacklevel=3)
        with warnings.catch_warnings():  # a read-only X is shared, never written: training indexes copies
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            Xt: Any = X.tocsr() if sp.issparse(X) else torch.as_tensor(np.ascontiguousarray(X), dtype=dtype, device=device)
        Yt = torch.as_tensor(Y, dtype=dtype, device=device)
        Wt = None if sample_weight is None else torch.as_tensor(sample_weight, dtype=dtype, device=device)

        validate = None
        if self.early_stopping:
            def validate() -> tuple[float, float]:
                self._cache_weights()
                score = self._score(X_val, y_val, sample_weight=w_val)
                return math.nan, float(score)

        no_imp: NoImprovement | None = None
        rules: list[StoppingRule] = []
        max_epochs = 1 if incremental else self.max_iter
        if not incremental:
            patience = self.n_iter_no_change if self.n_iter_no_change != np.inf else 10**12
            no_imp = NoImprovement("val_score" if self.early_stopping else "train_loss", self.tol, int(patience))
            if self.early_stopping and self.best_validation_score_ is not None and np.isfinite(self.best_validation_score_):
                no_imp.best = self.best_validation_score_
            elif not self.early_stopping and self.best_loss_ is not None and np.isfinite(self.best_loss_):
                no_imp.best = self.best_loss_
            if self.loss_threshold is not None:
                rules.append(LossBelow(self.loss_threshold))
            if self.max_time is not None:
                rules.append(TimeLimit(self.max_time))
        rules.append(MaxEpochs(len(self.history_) + max_epochs))
        stopping = rules[0]
        for r in rules[1:]:
            stopping = stopping | r
        lr_now = self._optimizer_state.get("lr") if (self._optimizer_state and self.learning_rate != "constant") else None
        schedule_kind = self.learning_rate if (self.solver == "sgd" or self.learning_rate in ("cosine", "plateau")) else "constant"
        schedule = Schedule(schedule_kind, self.learning_rate_init, power_t=self.power_t, max_epochs=self.max_iter, patience=max(1, int(min(self.n_iter_no_change, 10**6)) // 2))
        if lr_now is not None:
            schedule.lr = lr_now
        callbacks = list(self.callbacks or [])
        if self.verbose:
            from ._progress import ProgressBar

            callbacks.append(ProgressBar(max_epochs, type(self).__name__))
        seed = int(self._random_state.randint(np.iinfo(np.int32).max))
        gen = torch.Generator().manual_seed(seed)
        epochs_before = len(self.history_)
        # Dropout draws from torch's global generator: seed it from random_state for this fit
        # only, so results repeat without changing the caller's global random state.
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            result = train(
                self.network_, Xt, Yt,
                loss=self._loss(), solver=self.solver, learning_rate_init=self.learning_rate_init, schedule=schedule,
                batch_size=batch_size, max_epochs=max_epochs, shuffle=self.shuffle, sample_weight=Wt, alpha=self.alpha,
                validate=validate, stopping=stopping, no_improvement=no_imp, callbacks=callbacks,
                clip_grad_norm=self.clip_grad_norm, generator=gen, engine=self.engine,
                optimizer_kwargs=self._optimizer_kwargs(), optimizer_state=self._optimizer_state,
                history=self.history_, restore_best=self.early_stopping, samples_seen=self.t_, device=device,
            )
        hist = result.history
        self._optimizer_state = {**result.optimizer.state(), "lr": schedule.lr}
        self.n_iter_ = len(hist) - epochs_before  # epochs of this call, as sklearn counts
        self.t_ = result.samples_seen
        self.loss_curve_ = list(hist.train_loss)
        self.loss_ = hist.train_loss[-1]
        self.stop_reason_ = hist.stop_reason
        if self.early_stopping:
            self.validation_scores_ = list(hist.val_score)
            finite = [s for s in hist.val_score if np.isfinite(s)]
            self.best_validation_score_ = max(finite) if finite else -np.inf
            self.best_loss_ = None
        else:
            finite = [v for v in hist.train_loss if np.isfinite(v)]
            self.best_loss_ = min(finite) if finite else np.inf
        if hist.stop_reason == "max_epochs" and not incremental:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
        if incremental:
            self.stop_reason_ = "partial_fit"

    def _optimizer_kwargs(self) -> dict[str, Any]:
        if self.solver == "sgd":
            return {"momentum": self.momentum, "nesterov": self.nesterovs_momentum}
        if self.solver in ("adam", "adamw"):
            kw: dict[str, Any] = {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
            if self.solver == "adamw":
                kw["weight_decay"] = self.alpha
            return kw
        return {"epsilon": self.epsilon}

    def _fit_lbfgs(self, X: Any, Y: np.ndarray, sample_weight: Any) -> None:
        from ._lbfgs import fit_lbfgs

        hist, res = fit_lbfgs(
            self.network_, X, Y, loss=self._loss(), alpha=self.alpha, sample_weight=sample_weight,
            max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol, history=History(), engine=self.engine,
        )
        self.history_ = hist
        self.n_iter_ = int(res.nit)
        self.loss_ = float(res.fun)
        self.loss_curve_ = list(hist.train_loss)
        self.best_loss_ = min(hist.train_loss) if hist.train_loss else self.loss_
        self.stop_reason_ = hist.stop_reason
        self.t_ = X.shape[0] * self.n_iter_

    # ----------------------------------------------------------- inference
    def _cache_weights(self) -> None:
        net = self.network_
        self._np_ok = net.is_plain_dense() and self._device.type == "cpu"
        dt = np.float32 if self.dtype == "float32" else np.float64
        self._np_layers = [
            (lin.weight.detach().cpu().numpy().T.astype(dt), lin.bias.detach().cpu().numpy().astype(dt))
            for lin in net.linears()
        ]
        self._np_acts = [get_activation(a).np_forward for a in net.activation_names()]
        self._np_dtype = dt

    def _check_X(self, X: Any) -> Any:
        self._require_fitted()
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype.kind == "f"
            and X.shape[1] == self.n_features_in_
            and X.shape[0] > 0
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X.sum())
        ):
            return X
        return _validate(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False)

    def _raw_output(self, X: Any) -> np.ndarray:
        """Head outputs ``(n, n_outputs)`` (before the output activation) as NumPy."""
        X = self._check_X(X)
        if getattr(self, "_np_ok", False) and not sp.issparse(X):
            h = X.astype(self._np_dtype, copy=False)
            layers = self._np_layers
            for (W, b), act in zip(layers[:-1], self._np_acts):
                h = act(h @ W + b)
            W, b = layers[-1]
            return h @ W + b
        return self._torch_forward(X)[0]

    def _torch_forward(self, X: Any, layer: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        dtype = _DTYPES[self.dtype]
        outs, hiddens = [], []
        self.network_.eval()
        with torch.inference_mode():
            for start in range(0, X.shape[0], 8192):
                block = X[start : start + 8192]
                block = block.toarray() if sp.issparse(block) else block
                xt = torch.as_tensor(np.ascontiguousarray(block), dtype=dtype, device=self._device)
                out, hidden = self.network_(xt, return_hidden=True)
                outs.append(out.cpu().numpy())
                if layer is not None:
                    hiddens.append(hidden[layer].cpu().numpy())
        n_out = self.network_.out_features
        raw = np.concatenate(outs) if outs else np.zeros((0, n_out))
        return raw, ([np.concatenate(hiddens)] if hiddens else [])

    def transform(self, X: Any, layer: int = -1) -> np.ndarray:
        """Activations of hidden layer ``layer`` (1-based; ``-1`` = last), shape ``(n, units)``."""
        X = self._check_X(X)
        n_hidden = len(self.network_.hidden_names)
        if n_hidden == 0:
            raise ValueError("this model has no hidden layers to transform with")
        if not isinstance(layer, numbers.Integral) or layer == 0 or not (-n_hidden <= layer <= n_hidden):
            raise ValueError(f"layer must be 1..{n_hidden} (or -1..-{n_hidden} from the end). Received: layer={layer!r}.")
        idx = layer - 1 if layer > 0 else n_hidden + layer
        return self._torch_forward(X, layer=idx)[1][0]

    def fit_transform(self, X: Any, y: Any, sample_weight: Any = None, layer: int = -1) -> np.ndarray:
        """Fit on ``(X, y)``, then return hidden layer ``layer``'s activations of ``X``."""
        return self.fit(X, y, sample_weight=sample_weight).transform(X, layer=layer)  # type: ignore[attr-defined, no-any-return]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape ``(fan_in, fan_out)`` as in scikit-learn."""
        self._require_fitted()
        return [lin.weight.detach().cpu().numpy().T.copy() for lin in self.network_.linears()]

    @coefs_.setter
    def coefs_(self, value: list[np.ndarray]) -> None:
        with torch.no_grad():
            for lin, w in zip(self.network_.linears(), value):
                lin.weight.copy_(torch.as_tensor(np.asarray(w).T))
        self._cache_weights()

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape ``(fan_out,)``."""
        self._require_fitted()
        return [lin.bias.detach().cpu().numpy().copy() for lin in self.network_.linears()]

    @intercepts_.setter
    def intercepts_(self, value: list[np.ndarray]) -> None:
        with torch.no_grad():
            for lin, b in zip(self.network_.linears(), value):
                lin.bias.copy_(torch.as_tensor(np.asarray(b)))
        self._cache_weights()

    @property
    def n_parameters_(self) -> int:
        """Number of trainable parameters of the fitted network."""
        self._require_fitted()
        return count_parameters(self.network_)

    def save(self, path: Any) -> None:
        """Write the fitted model to one ``.safetensors`` file (atomically)."""
        from .modelfile import save

        save(self, path)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in ("_np_layers", "_np_acts"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "network_" in state:
            self._cache_weights()


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's API, PyTorch inside.

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(X, y)
    >>> clf.stop_reason_ in {"max_epochs", "no_improvement_train_loss"}
    True
    """

    def _loss(self) -> Loss:
        if self._label_binarizer.y_type_ == "multiclass":
            return get_loss("log_loss")
        return get_loss("binary_log_loss")

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, np.ndarray]:
        X, y = _validate(self, X, y, accept_sparse=["csr", "csc"], multi_output=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        target = type_of_target(y)
        if target in ("continuous", "continuous-multioutput"):
            raise ValueError(
                f"Unknown label type: {target!r}. MLPClassifier needs class labels (integers, strings or booleans); "
                "for real-valued targets use MLPRegressor."
            )
        if target not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                f"Unknown label type: {target!r}. MLPClassifier takes one column of class labels, or a 0/1 indicator "
                "matrix for multi-label; for several multi-class columns use sklearn.multioutput.MultiOutputClassifier."
            )
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the previous call to fit. "
                        f"Previously got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. 'y' has {classes}.")
        return X, y

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return self._label_binarizer.transform(y).astype(np.float32)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Fit the network to ``X`` ``(n_samples, n_features)`` and labels ``y``."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)  # type: ignore[no-any-return]

    def _check_solver(self) -> bool:
        if self.solver == "lbfgs":
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. {self.solver} is not stochastic.")
        return True

    @available_if(_check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` is required on the first call."""
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)  # type: ignore[no-any-return]

    def _decode(self, z: np.ndarray) -> np.ndarray:
        lb = self._label_binarizer
        if lb.y_type_ == "multiclass":
            return self.classes_[z.argmax(axis=1)]
        if lb.y_type_ == "multilabel-indicator":
            return (z > 0).astype(int)
        pos = z[:, 0] > 0
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, z.shape[0])
        return self.classes_[pos.astype(np.intp)]

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, shape ``(n_samples,)`` (or ``(n_samples, n_labels)`` for multi-label)."""
        return self._decode(self._raw_output(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` in the order of ``classes_``."""
        z = self._raw_output(X)
        p = self._loss().np_output(np.array(z, dtype=np.float64))
        if self._label_binarizer.y_type_ == "binary" or (z.shape[1] == 1 and self._label_binarizer.y_type_ != "multilabel-indicator"):
            p = np.hstack([1.0 - p, p])
        return p

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        p = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(p, out=p)

    def _score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor (``loss="squared_error"`` or ``"poisson"``).

    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=50, random_state=0).fit(X, y / 100)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,), activation: str = "relu", **kwargs: Any) -> None:
        super().__init__(hidden_layer_sizes, activation, **kwargs)
        self.loss = loss

    def _loss(self) -> Loss:
        return get_loss(self.loss)

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, np.ndarray]:
        X, y = _validate(self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss not in ("squared_error", "poisson"):
            hint = ""
            if not isinstance(self.loss, str):
                hint = " MLPRegressor's first positional argument is loss, as in scikit-learn: pass hidden_layer_sizes=... by keyword."
            raise ValueError(f"loss must be 'squared_error' or 'poisson'. Received: loss={self.loss!r}.{hint}")
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (ValueError, TypeError) as exc:
                detail = re.sub(r"np\.str_\((.*)\)", r"\1", str(exc))
                raise DataError(
                    f"y has non-numeric values ({detail}): {type(self).__name__} needs numeric targets; for class labels use MLPClassifier."
                ) from None
            if not np.all(np.isfinite(y)):
                raise ValueError("Input y contains NaN or infinity.")
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs y >= 0 (counts or rates). Received negative targets.")
        return X, y

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Fit the network to ``X`` ``(n_samples, n_features)`` and targets ``y``."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)  # type: ignore[no-any-return]

    def _check_solver(self) -> bool:
        if self.solver == "lbfgs":
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. {self.solver} is not stochastic.")
        return True

    @available_if(_check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``(X, y)``."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        """Predictions ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        z = self._raw_output(X)
        y = self._loss().np_output(z)
        return y.ravel() if y.shape[1] == 1 else y

    def _score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        from sklearn.metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))


def _regressor_signature() -> inspect.Signature:
    # scikit-learn reads parameter names from the signature: derive the
    # regressor's from the shared one (plus ``loss`` first, as in sklearn).
    base = inspect.signature(_BaseMLP.__init__)
    params = list(base.parameters.values())
    loss = inspect.Parameter("loss", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="squared_error")
    return base.replace(parameters=[params[0], loss, *params[1:]])


MLPRegressor.__init__.__signature__ = _regressor_signature()  # type: ignore[attr-defined]

__all__ = ["MLPClassifier", "MLPRegressor"]
