"""``Forecaster``: time-series forecasting from lag windows through dense hidden layers.

The series is standardized, cut into sliding windows of ``window`` past
values, and a :class:`~hiddenlayers.Network` maps each window to the next
``horizon`` values at once (direct multi-step output). With
``target="delta"`` the inputs and outputs are taken relative to the last
observed value, which makes the model translation-invariant: the choice for
trending series (CO2) whose test values lie above everything seen in
training. ``target="level"`` keeps absolute levels (cyclic series such as
sunspots, where the level itself carries information).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator

from .._docsections import parameters_section
from .._params import DefaultsOnUnpickle, Param, StrOptions, document, validate
from ..data import center_spread, unit_scale, unreadable_kind
from ..estimators import KeepsFittedSource, as_values, check_averaging, fit_keywords, load_source, restored_on_error, reuse_layers
from ..exceptions import DataError
from ..network import Network, PortablePickle, load_device, resolve_device
from ..training import History, get_loss
from ._app_params import averaging_rows, positive_int, row
from ._appfile import (
    LOAD_PARAMETERS,
    as_array,
    columns_state,
    file_errors,
    forget_columns,
    history_state,
    load_app,
    open_model_file,
    restore_columns,
    restore_history,
    restore_state,
    save_fitted,
    split_prefix,
)
from ._backtest import Backtest, run_backtest
from ._date_gaps import warn_series_gaps
from ._date_step import check_series_step, checked_freq, series_step
from ._fit import (
    VAL_LOSS,
    after_averaging,
    averaging_for,
    check_positive_int,
    device_of,
    fit_callbacks,
    fit_squared_error,
    float_tensor,
    forward_batches,
    hidden_spec,
)
from ._fitted import FitRequired, refuses_empty
from ._one_series import check_one_column
from ._recursive import recursive_forecast
from ._seed import keeps_global_rng, seed_everything
from ._text_dates import with_text_dates
from ._warm_fit import continues, mark_built, past_history, refuse_rebuilt, warm_frozen

TARGETS = ("level", "delta")
_BUILT_FROM = ("window", "horizon", "hidden_layer_sizes", "activation", "target")  # what shaped the network: a warm fit refuses another value


def _check_time_index(series: Any, name: str) -> None:
    """A pandas series on a time index (dates, periods) must be in time order, each time once: the values are read in their
    order, so a shuffled or descending index (read_csv of a newest-first file) would train and forecast a reversed series."""
    import pandas as pd

    index = getattr(series, "index", None)
    if not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) or index.is_monotonic_increasing and index.is_unique:
        return
    if index.hasnans:
        raise DataError(f"the time index of {name} has a missing time (NaT) at position {int(np.flatnonzero(index.isna())[0])}: fill or drop that value.")
    step = int(np.flatnonzero(np.asarray(index[1:] <= index[:-1]))[0]) + 1  # the first time not after the one before it
    if index[step] == index[step - 1]:
        raise DataError(f"the time index of {name} holds {index[step]} twice (positions {step - 1} and {step}): give each time one value "
                        f"(e.g. {name}.groupby(level=0).mean()).")
    raise DataError(f"the time index of {name} is out of order: {index[step]} comes after {index[step - 1]} (position {step}); the values are "
                    f"read in order, so sort it first ({name}.sort_index()).")


def _is_time_index(index: Any) -> bool:
    """Whether ``index`` is a pandas time index (dates, periods)."""
    import pandas as pd

    return isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex))


def _as_series(series: Any, name: str = "series") -> np.ndarray:
    series = as_values(series)  # a tensor detached, on the CPU, widened from bfloat16; one on the meta device refused
    check_one_column(series, name)  # a table of several columns: the one series to pass, named
    series = with_text_dates(series)  # an index of ISO 8601 date text (read_csv's index_col without parse_dates): checked as dates
    _check_time_index(series, name)
    what = unreadable_kind(series) if hasattr(series, "dtype") else None
    if what is not None:  # NumPy read dates and durations as their nanosecond counts, and complex numbers as their real part
        fix = {"durations": f"{name}.dt.total_seconds()", "complex numbers": f"np.abs({name})"}.get(what, f"({name} - {name}.min()).dt.days")
        raise DataError(f"{name} holds {what} ({series.dtype}), not numbers: forecast the values measured at those times (the "
                        f"times belong in the index), or turn them into numbers first (e.g. {fix}).")
    try:
        s = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a 1-D sequence of numbers (list, NumPy array or pandas Series). Received: {type(series).__name__}"
                        f"{_first_non_number(series)}.") from None
    if s.ndim == 2 and 1 in s.shape:
        s = s.reshape(-1)
    if s.ndim != 1:
        raise DataError(f"{name} must be 1-D (one value per time step). Received shape {s.shape}.")
    if not np.isfinite(s).all():
        raise DataError(f"{name} has missing or non-finite values: fill them first (e.g. pandas' Series.interpolate()).")
    return s


def _first_non_number(series: Any) -> str:
    """``" holding 'x' at position 1"``: the first value of a flat ``series`` that is not a number, for the message; else ``""``.

    Why: an object column mixing numbers and text (a CSV's "n/a") read as "must be a sequence of numbers. Received: Series",
    naming neither the value nor where it is.
    """
    try:
        values = list(np.asarray(series, dtype=object).reshape(-1))
    except (TypeError, ValueError):
        return ""
    import pandas as pd

    for i, value in enumerate(values):
        if value is None:  # read as NaN, then refused as missing
            continue
        if value is pd.NA:
            return f" holding pd.NA at position {i}: fill the missing values first (e.g. pandas' Series.interpolate())"
        try:
            float(value)
        except (TypeError, ValueError):
            return f" holding {value!r} at position {i}"
    return ""


def _standardization(s: np.ndarray) -> tuple[float, float]:
    """The series' ``mean_`` and ``scale_`` (its standard deviation; 1 for a constant series, which has none).

    Constant is judged relative to the level: a spread below 1e-12 of the mean's size is rounding, not signal. (An absolute
    1e-12 read a series in tiny units, 1e-13 ± 5e-14, as constant: standardized by 1, its windows were all ~0 to the
    network, and its forecasts were off by float32 noise 1e6 times the series' spread.)
    """
    mean, std = center_spread(s)  # at any magnitude: np.std of 1e300 values overflowed (scale inf, NaN forecasts), of 1e-300 underflowed
    return float(mean), float(unit_scale(mean, std))


def _refuse_y(y: Any, method: str) -> None:
    """A second series where scikit-learn's ``y`` goes (sktime's ``fit(y, X)`` order) would be ignored: refuse it."""
    if y is not None:
        raise DataError(
            f"Forecaster.{method} takes one series, {method}(series): it reads no exogenous inputs or second target, "
            f"so y (a {type(y).__name__}) would be ignored; drop it (y=None)."
        )


def _series_items(series: Any) -> list[Any]:
    """``forecast_many``'s series, one item per series: a list (or other sequence) of 1-D series, or the rows of a 2-D array."""
    usage = "pass a list of 1-D series (any lengths) or a 2-D array with one series per row"
    if hasattr(series, "columns"):  # a DataFrame: are its series the columns or the rows? the caller says
        raise DataError(f"series is a {type(series).__name__}: {usage}, e.g. [df[c] for c in df.columns] when each column is a series.")
    if isinstance(series, Mapping):  # iterating it gives its keys (names), not its series
        raise DataError(f"series is a {type(series).__name__}: {usage}, e.g. list(d.values()) (row i of the result is the i-th series).")
    if isinstance(series, (str, bytes)) or not hasattr(series, "__iter__"):
        raise DataError(f"series must hold several series: {usage}. Received: {type(series).__name__}.")
    if isinstance(series, np.ndarray) and series.ndim > 2:
        raise DataError(f"series must be a 2-D array (n_series, length) or a list of 1-D series. Received shape {series.shape}.")
    items = list(series)
    if items and all(np.ndim(v) == 0 for v in items):
        raise DataError(f"series is one series of {len(items)} values, not several: use forecast(steps, series) for one, or forecast_many(steps, [series]).")
    return items


FORECASTER_PARAMS: tuple[Param, ...] = (
    Param("window", positive_int(), 24, "Past values each forecast reads"),
    Param("horizon", positive_int(), 1, "Future values each forecast gives"),
    row("hidden_layer_sizes", (64,)),
    row("activation", "relu"),
    Param("target", StrOptions(TARGETS, text=f"one of {', '.join(TARGETS)}"), "level",
          "What the network predicts: the next values ('level') or their changes from the last value ('delta')"),
    row("alpha", 1e-4),
    row("learning_rate_init", 1e-3),
    row("batch_size", 32),
    row("max_iter", 500),
    row("max_time", None),
    row("tol", 1e-6),
    row("n_iter_no_change", 20),
    row("early_stopping", True, "Hold out the last validation_fraction of the windows and stop when their error stops falling"),
    row("validation_fraction", 0.15),
    row("device", "auto"),
    row("random_state", None),
    row("callbacks", None),
    row("progress_bar", False),
    row("warm_start", False, "fit goes on from the fitted network's weights for max_iter epochs more on the windows of the series given "
        "(the optimizer restarts, as scikit-learn's MLP's); the first fit's mean_ and scale_ are kept, and predict(steps) forecasts after this series"),
    row("init_from", None),
    row("freeze", None),
    *averaging_rows(),
)


@document(FORECASTER_PARAMS)
class Forecaster(KeepsFittedSource, FitRequired, DefaultsOnUnpickle, PortablePickle, BaseEstimator):
    """Forecast the next ``horizon`` values of a series from its last ``window`` values.

    ``fit(series)`` learns from every window of one series. ``predict(steps)``
    (an int) forecasts ``steps`` values after the training series;
    ``predict(series)`` gives the rolling forecasts over another stretch of
    the same process: row ``i`` of the ``(len(series) - window + 1, horizon)``
    result forecasts ``series[window + i : window + i + horizon]`` from the
    ``window`` values before it (so ``[:-1, 0]`` are the one-step forecasts
    of ``series[window:]``). ``forecast(steps, series)`` forecasts after one
    series, ``forecast_many(steps, [series, ...])`` after each of several
    (one row per series).

    ``n_features_in_`` is 1, scikit-learn's count of ``X``'s columns: one series and no exogenous
    features, so ``predict``/``score`` of a table of several columns is refused in scikit-learn's words.

    The windows are made on ``device``. ``init_from`` starts the hidden layers
    from another fitted forecaster (or model file) whose layers match in shape
    (same ``window``: one of another window is refused, since its first layer
    reads another number of values and so none of its layers could be copied);
    ``freeze`` keeps the first k (or the named) fixed.

    Example
    -------
    >>> import numpy as np, hiddenlayers as hl
    >>> y = np.sin(np.arange(300) / 5)
    >>> f = hl.Forecaster(window=20, horizon=3, max_iter=50, random_state=0).fit(y)
    >>> f.predict(5).shape
    (5,)
    >>> f.forecast_many(5, [y[:200], y]).shape  # several series, one pass per horizon block
    (2, 5)
    """

    network_: Network  # set by fit and load

    def __init__(
        self,
        window: int = 24,
        horizon: int = 1,
        hidden_layer_sizes: Any = (64,),
        *,
        activation: str = "relu",
        target: str = "level",
        alpha: float = 1e-4,
        learning_rate_init: float = 1e-3,
        batch_size: int = 32,
        max_iter: int = 500,
        max_time: float | None = None,
        tol: float = 1e-6,
        n_iter_no_change: int = 20,
        early_stopping: bool = True,
        validation_fraction: float = 0.15,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        callbacks: Any = None,
        progress_bar: bool = False,
        warm_start: bool = False,
        init_from: Any = None,
        freeze: Any = None,
        weight_averaging: str | None = None,
        ema_decay: float = 0.99,
        swa_start: float = 0.75,
        swa_lr: float | None = None,
        swa_anneal_epochs: int = 10,
        swa_anneal_strategy: str = "cos",
    ) -> None:
        self.weight_averaging, self.ema_decay, self.swa_start, self.swa_lr = weight_averaging, ema_decay, swa_start, swa_lr
        self.swa_anneal_epochs, self.swa_anneal_strategy = swa_anneal_epochs, swa_anneal_strategy
        self.warm_start = warm_start
        self.init_from = init_from
        self.freeze = freeze
        self.window = window
        self.horizon = horizon
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.target = target
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.max_time = max_time
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.progress_bar = progress_bar

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A fitted forecaster pickled before ``n_features_in_`` was set gets it (1: the one series it read), and one pickled
        before ``freq_`` was kept gets None (no step to check)."""
        if "last_window_" in state and "n_features_in_" not in state:
            state = {**state, "n_features_in_": 1}
        if "last_window_" in state and "freq_" not in state:  # pickled before the training dates' step was kept: not checked
            state = {**state, "freq_": None}
        super().__setstate__(state)

    def _check_params(self) -> torch.device:
        """Validate the parameters; return the resolved ``device`` (a GPU this machine lacks fails here, before any data work)."""
        validate(self, FORECASTER_PARAMS)
        check_averaging(self)  # the MLP estimators' rules and words
        return resolve_device(self.device)

    def _dated(self, series: Any, name: str) -> np.ndarray:
        """``series`` checked (:func:`_as_series`) and, where it is a pandas Series on dates, its step against the training
        series' (``freq_``): another step is refused (:mod:`._date_step`); an index of ISO 8601 date text is read as dates."""
        series = with_text_dates(series)
        s = _as_series(series, name)
        check_series_step(series, getattr(self, "freq_", None), name, self.window)
        return s

    # ----------------------------------------------------------- windows
    def _windows(self, s: np.ndarray, with_targets: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Model inputs ``(m, window)``, targets ``(m, horizon)`` or None, and each window's anchor (m,)."""
        z = (s - self.mean_) / self.scale_
        span = self.window + (self.horizon if with_targets else 0)
        return self._relative(sliding_window_view(z, span), with_targets)  # blocks (m, span)

    def _relative(self, blocks: np.ndarray, with_targets: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Standardized ``blocks`` (m, window [+ horizon]) as the network reads them: relative to each window's last value for ``target="delta"``."""
        X = blocks[:, : self.window]
        anchor = X[:, -1].copy() if self.target == "delta" else np.zeros(len(X))
        X = X - anchor[:, None]
        Y = blocks[:, self.window :] - anchor[:, None] if with_targets else None
        return np.ascontiguousarray(X), Y, anchor

    @fit_keywords
    @keeps_global_rng
    def fit(self, series: Any, y: Any = None) -> Forecaster:
        """Learn from all windows of ``series``.

        The values are read as evenly spaced steps: a pandas Series on dates that skip steps (daily with days missing) is
        fitted all the same, with one ``UserWarning`` (how many gaps, the first, the step inferred); business days or month
        starts are steps of their own, not gaps. Such a series' step is kept as ``freq_`` (a pandas offset alias, ``"MS"``;
        None for an array): ``predict``, ``forecast``, ``score`` and ``backtest`` refuse a series on dates of another step (a
        monthly model given daily values), and ``save`` keeps it.

        Parameters
        ----------
        series : array-like of shape (n,)
            The values, oldest first.
        y : None
            scikit-learn's slot, must stay None: the model reads no exogenous inputs, and a second series given here
            (sktime's ``fit(y, X)`` order) was ignored without a word, so it is refused.
        """
        _refuse_y(y, "fit")
        device = self._check_params()
        series = with_text_dates(series)  # its step kept and its gaps said, as for a series on dates
        s = _as_series(series)
        warn_series_gaps(series)  # dates that skip steps: read as evenly spaced all the same (they may be meant), said once
        warm = continues(self)  # warm_start: the fitted network, mean_ and scale_ go on; init_from is not read again
        if warm:
            check_series_step(series, getattr(self, "freq_", None), "series", self.window)  # a warm fit on another step is the same mistake as a forecast on it
        need = self.window + self.horizon + 1
        if len(s) < need:
            longer = "horizon" if self.horizon > self.window else "window"
            raise DataError(
                f"series has {len(s)} values; window={self.window} and horizon={self.horizon} need at least {need} "
                f"(window + horizon + 1): pass a series of at least {need} values, or shorten the {longer}."
            )
        spec = hidden_spec(self.hidden_layer_sizes)
        if warm:
            refuse_rebuilt(self, _BUILT_FROM)
        else:
            self._check_source_window()
        # the new state is assigned and trained in this block; a failure (a bad spec or init_from, a diverging fit) puts the old back
        with restored_on_error(self):
            if not warm:
                self.mean_, self.scale_ = _standardization(s)
            X, Y, _ = self._windows(s, with_targets=True)
            assert Y is not None
            gen = seed_everything(self.random_state, device_of(self.network_) if warm else device)
            if warm:
                device = device_of(self.network_)
            else:  # built on the CPU, then moved: the same random_state gives the same initial weights on every device
                self.network_ = Network(self.window, spec, self.horizon, activation=self.activation).to(device)
            self.history_: History = self._train(X, Y, device, gen, past_history(self) if warm else None)
            self.n_iter_ = len(self.history_)
            self.loss_curve_ = list(self.history_.train_loss)
            self.stop_reason_ = self.history_.stop_reason
            self.last_window_ = s[-self.window :].copy()
            self.freq_: str | None = series_step(series) or (getattr(self, "freq_", None) if warm else None)  # the dates' step, checked at predict; an array has none
            self.n_features_in_ = 1  # scikit-learn's count of X's columns: one series, no exogenous features
            mark_built(self, _BUILT_FROM)
        return forget_columns(self)  # the value column train --app read describes an earlier fit

    def _check_source_window(self) -> None:
        """Refuse an ``init_from`` forecaster of another ``window``: its first layer reads that many values, so it cannot be copied,
        and as layers are copied from the first on, no layer would be: a transfer that copies nothing is a mistake, said in one line."""
        if self.init_from is None:
            return
        source = load_source(self.init_from, open_model_file)
        if isinstance(source, Forecaster) and int(source.window) != int(self.window):
            raise ValueError(f"init_from: the source forecaster's window is {source.window} and this one's is {self.window}: its first layer "
                             f"(hidden1) reads {source.window} values, not {self.window}, and layers are copied from the first on, so none could "
                             f"be copied; set window={source.window} (the source's), or drop init_from.")

    def _train(self, X: np.ndarray, Y: np.ndarray, device: torch.device, gen: torch.Generator, history: History | None = None) -> History:
        """Fit ``network_`` to the windows ``X`` (m, window) -> ``Y`` (m, horizon), validating on the latest ones; ``history``:
        a warm fit's, which goes on (the layers ``freeze`` names now stay fixed)."""
        Xt, Yt = float_tensor(X, device), float_tensor(Y, device)
        validation = None
        n_val = int(round(len(X) * self.validation_fraction)) if self.early_stopping else 0
        if n_val >= 2 and len(X) - n_val >= 2:  # chronological split: validate on the latest windows
            validation = (Xt[-n_val:], Yt[-n_val:])
            Xt, Yt = Xt[:-n_val], Yt[:-n_val]
        # init_from / freeze: the source's hidden layers, frozen ones kept fixed
        layers = reuse_layers(self, open_model_file) if history is None else warm_frozen(self, self.network_, self.network_.hidden_names)
        before = len(history) if history is not None else 0
        with layers:
            fitted = fit_squared_error(
                self.network_, Xt, Yt, validation=validation, learning_rate_init=self.learning_rate_init, batch_size=self.batch_size,
                max_epochs=self.max_iter, patience=self.n_iter_no_change, tol=self.tol, alpha=self.alpha, generator=gen,
                callbacks=fit_callbacks(self, val=VAL_LOSS), history=history, max_time=self.max_time, averaging=averaging_for(self, Xt.shape[0], self.network_),
            )
        after_averaging(self, fitted, before)
        return fitted

    def _predict_windows(self, s: np.ndarray) -> np.ndarray:
        X, _, anchor = self._windows(s, with_targets=False)
        return self._forward(X, anchor)

    def _forward(self, X: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        """The network's forecasts from inputs ``X`` (m, window) with their ``anchor`` (m,): (m, horizon) in series units."""
        out = forward_batches(self.network_, float_tensor(X, device_of(self.network_))).cpu().numpy().astype(np.float64)
        return (out + anchor[:, None]) * self.scale_ + self.mean_

    def network_input(self, series: Any) -> np.ndarray:
        """Every lag window of ``series`` as the network reads it: float32 ``(len(series) - window + 1, window)``.

        Row ``i`` (standardized, and relative to its last value when ``target="delta"``) forecasts
        ``series[window + i :]``; the lens uses this.

        Parameters
        ----------
        series : array-like of shape (n,)
            The values, oldest first.
        """
        self._require_fitted()
        if isinstance(series, (int, np.integer)):
            raise DataError(f"network_input needs a series (1-D values), not a number of steps. Received: {series!r}.")
        s = _as_series(series)
        if len(s) < self.window:
            raise DataError(f"series has {len(s)} values but each window needs window={self.window}: pass a longer series.")
        return self._windows(s, with_targets=False)[0].astype(np.float32)

    def network_targets(self, series: Any) -> np.ndarray:
        """What the network must predict from ``series``' windows: float64 ``(len(series) - window - horizon + 1, horizon)``.

        Row ``i`` is the ``horizon`` values after window ``i`` of :meth:`network_input` (standardized, and relative to the
        window's last value when ``target="delta"``), as fit builds them; the last ``horizon`` windows have no full future
        and no row. A forecaster's targets come from the series, so this takes the series (fit's ``y`` is ignored). For
        tools that evaluate the training loss outside ``fit`` (``hl.lens.loss_landscape``).

        Parameters
        ----------
        series : array-like of shape (n,)
            The values, oldest first.
        """
        self._require_fitted()
        s = _as_series(series)
        need = self.window + self.horizon
        if len(s) < need:
            raise DataError(f"series has {len(s)} values but a window and its targets need window + horizon = {need}: pass a longer series.")
        Y = self._windows(s, with_targets=True)[1]
        assert Y is not None
        return np.ascontiguousarray(Y)

    def network_loss(self, z: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The training loss summed over windows: forecasts ``z`` of ``network_`` against :meth:`network_targets`.

        Half squared error ``0.5·Σ(z - y)²`` per window, the data term fit minimises (without the L2 term ``alpha``); divide
        by ``m`` for the mean.

        Parameters
        ----------
        z : torch.Tensor of shape (m, horizon)
            The network's forecasts.
        targets : torch.Tensor of shape (m, horizon)
            :meth:`network_targets` of the same windows.
        """
        self._require_fitted()
        return get_loss("squared_error").value(z, targets, None)

    # --------------------------------------------------------- predicting
    def forecast(self, steps: int, series: Any = None) -> np.ndarray:
        """The next ``steps`` values after ``series``, shape ``(steps,)``.

        Up to ``horizon`` steps come from one direct prediction; beyond that the forecasts are fed back as inputs
        (recursive).

        Parameters
        ----------
        steps : int
            Values to forecast.
        series : array-like of shape (n,), optional
            The history, oldest first, at least ``window`` values (default: the training series).
        """
        self._require_fitted()
        steps = check_positive_int(steps, "steps")
        past = self.last_window_ if series is None else self._last_window(series, "series")
        return self._recurse(past[None, -self.window :], steps)[0]

    def forecast_many(self, steps: int, series: Any) -> np.ndarray:
        """The next ``steps`` values after each of several series, shape ``(n_series, steps)``.

        Row ``i`` equals ``forecast(steps, series[i])``, but each horizon block is one forward pass for the whole batch. (A
        method of its own: ``forecast`` already reads a ``(1, n)`` or ``(n, 1)`` array as one series.)

        Parameters
        ----------
        steps : int
            Values to forecast per series.
        series : list of 1-D arrays, or array of shape (n_series, n)
            The histories, oldest first: any lengths, each at least ``window`` values; only the last ``window`` are read.
        """
        self._require_fitted()
        steps = check_positive_int(steps, "steps")
        last = np.empty((0, self.window))
        items = _series_items(series)
        if isinstance(series, np.ndarray) and series.ndim == 2 and items and series.shape[1] < self.window:
            raise DataError(f"series is a {series.shape} array, read as {series.shape[0]} series (one per row) of {series.shape[1]} values, fewer than "
                            f"window={self.window}: pass longer series, or series.T when each column is a series.")
        if items:
            last = np.stack([self._last_window(s, f"series[{i}]") for i, s in enumerate(items)])
        return self._recurse(last, steps)

    def _last_window(self, series: Any, name: str) -> np.ndarray:
        """The last ``window`` values of one series, checked (numbers, 1-D, finite, long enough); ``name`` says which series."""
        s = self._dated(series, name)
        if len(s) < self.window:
            raise DataError(f"{name} has {len(s)} values but the model needs the last window={self.window}: pass a longer series.")
        return s[-self.window :]

    def _recurse(self, last: np.ndarray, steps: int) -> np.ndarray:
        """``steps`` forecasts after each window of ``last`` (n, window): (n, steps), series units.

        One direct prediction per ``horizon`` block, for all n windows in one pass;
        each block is fed back as the newest inputs of the next (:func:`recursive_forecast`).
        """
        return recursive_forecast(self._next_block, last, steps)

    def _next_block(self, hist: np.ndarray) -> np.ndarray:
        """The network's next ``horizon`` values after windows ``hist`` (n, window) of raw values: (n, horizon), series units."""
        X, _, anchor = self._relative((hist - self.mean_) / self.scale_, with_targets=False)
        return self._forward(X, anchor)

    def backtest(self, series: Any, steps: int | None = None, folds: int = 5, stride: int | None = None, *, season: int = 1) -> Backtest:
        """Rolling-origin evaluation on ``series``: ``folds`` forecasts of ``steps`` values, each scored.

        Every fold forecasts ``steps`` values from the values before its origin (recursively beyond ``horizon``, as
        :meth:`forecast`), all folds in one batch. The fitted model is used as it is, not refit per fold (Darts'
        ``retrain=False``): pass values the model did not train on (e.g. the stretch after the training series, with
        ``window`` values before it) for an honest score; folds that forecast values of the training series (found by its
        last window, :attr:`last_window_`, met once in ``series``) are one ``UserWarning``. ``folds=1`` is the one hold-out
        that ``hiddenlayers evaluate`` reports by default.

        Returns a :class:`~hiddenlayers.apps.Backtest`: ``folds`` (one row per fold: origin, for a series on dates the first
        and last date forecast (``start``, ``end``), MAE, RMSE, MASE, MAPE (NaN where a value forecast is 0), sMAPE (0 to 2),
        naive last-value MAE, and with ``season`` the seasonal naive MAE) and ``mean``.

        Parameters
        ----------
        series : array-like of shape (n,)
            The values to forecast, oldest first.
        steps : int, optional
            Values forecast per fold; the last origin is ``steps`` before the end of ``series`` (default ``horizon``).
        folds : int
            Forecast origins.
        stride : int, optional
            Steps between consecutive origins (default ``steps``).
        season : int
            The seasonal period (12 for monthly values with a yearly cycle, 7 for daily ones with a weekly cycle): MASE is
            scaled by the in-sample MAE of the seasonal naive forecast (sktime's ``sp``), and a ``snaive_mae`` column scores
            that forecast (each value the one a season earlier), the baseline a seasonal series' forecaster must beat.
            1 (default): no season, the one-step naive forecast's scale.

        Examples
        --------
        >>> import numpy as np, hiddenlayers as hl
        >>> y = np.sin(np.arange(300) / 5)
        >>> f = hl.Forecaster(window=20, max_iter=30, random_state=0).fit(y[:200])
        >>> bt = f.backtest(y[180:], steps=5, folds=4)
        >>> bt.folds.index.tolist(), bt.folds["origin"].tolist()
        ([1, 2, 3, 4], [100, 105, 110, 115])
        """
        self._require_fitted()
        series = with_text_dates(series)  # its folds dated
        s = self._dated(series, "series")
        index = getattr(series, "index", None)
        return run_backtest(self.forecast_many, self.window, s, self.horizon if steps is None else steps, folds, stride, self.last_window_, season,
                            dates=index if _is_time_index(index) else None)

    @refuses_empty
    def predict(self, X: Any) -> np.ndarray:
        """``predict(steps: int)`` -> :meth:`forecast`; ``predict(series)`` -> rolling forecasts ``(len - window + 1, horizon)``.

        Parameters
        ----------
        X : int or array-like of shape (n,)
            A number of steps to forecast after the training series, or a series (oldest first) to forecast from every
            window of.
        """
        self._require_fitted()
        if isinstance(X, (int, np.integer)) and not isinstance(X, bool):
            return self.forecast(int(X))
        if np.ndim(X) == 0:  # a float or bool count of steps read as a series of one value said 'Received shape ()'
            raise DataError(f"predict takes a number of steps (an integer >= 1) or a series. Received: {X!r} ({type(X).__name__}): "
                            "pass an int, e.g. predict(3), or the series to forecast from.")
        s = self._dated(X, "X")
        if len(s) < self.window:
            raise DataError(f"series has {len(s)} values but each forecast needs window={self.window} past values: pass a longer series.")
        return self._predict_windows(s)

    @refuses_empty
    def score(self, X: Any, y: Any = None) -> float:
        """R² of the rolling forecasts (all ``horizon`` steps) on a series (on a constant one, as scikit-learn's
        ``r2_score`` gives it: 1.0 for a perfect forecast, else 0.0).

        Parameters
        ----------
        X : array-like of shape (n,)
            The series, oldest first.
        y : None
            Must stay None (as in :meth:`fit`).
        """
        _refuse_y(y, "score")
        self._require_fitted()
        s = self._dated(X, "X")
        if len(s) < self.window + self.horizon:
            raise DataError(f"series needs at least window + horizon = {self.window + self.horizon} values to score.")
        pred = self.predict(s)[: len(s) - self.window - self.horizon + 1]
        truth = sliding_window_view(s[self.window :], self.horizon)
        ss_res = float(((truth - pred) ** 2).sum())
        ss_tot = float(((truth - truth.mean()) ** 2).sum())
        if ss_tot > 0:
            return 1.0 - ss_res / ss_tot
        return 1.0 if ss_res == 0 else 0.0  # a constant series: scikit-learn's r2_score (force_finite), 1.0 only for a perfect forecast

    # --------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted forecaster (weights, scaling, last window) to one ``.safetensors`` file.

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        tensors = {f"net.{k}": v for k, v in self.network_.state_dict().items()}
        tensors["last_window"] = torch.as_tensor(self.last_window_)
        state = {"mean_": self.mean_, "scale_": self.scale_, "n_iter_": self.n_iter_, "loss_curve_": self.loss_curve_, "stop_reason_": self.stop_reason_,
                 "n_features_in_": self.n_features_in_, "freq_": getattr(self, "freq_", None), **columns_state(self), **history_state(self)}
        save_fitted(path, self, state, tensors, estimator="Forecaster")

    @classmethod
    @file_errors
    @parameters_section(LOAD_PARAMETERS)
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> Forecaster:
        """Read a forecaster written by :meth:`save`."""
        params, state, tensors = load_app(path, "Forecaster", device)
        model = cls(**params)
        net = restore_state(lambda: Network(params["window"], hidden_spec(params["hidden_layer_sizes"]), params["horizon"], activation=params["activation"], init="none"),
                            split_prefix(tensors, "net"), path)
        model.network_ = net.to(load_device(model.device, device))
        model.last_window_ = as_array(tensors["last_window"])
        model.n_features_in_ = 1  # files written before it was stored: the one series they all read
        model.freq_ = checked_freq(state.pop("freq_", None), path)  # files written before it was stored: no step, not checked
        restore_history(model, state, path)
        restore_columns(model, state, path)
        for k, v in state.items():
            setattr(model, k, v)
        mark_built(model, _BUILT_FROM)
        return model


__all__ = ["Forecaster", "TARGETS"]
