"""``ImageClassifier``: a convolutional network with the scikit-learn API.

Input: arrays ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` (``uint8`` 0-255 or float),
or a folder with one sub-folder of images per class (read with Pillow).
Pixels are scaled to [0, 1] (``uint8``) and standardised per channel with the
training set's mean and standard deviation, which live in the model file.
Training is :func:`hiddenlayers.training.train` (autograd, flat-buffer
optimizers) with early stopping on a stratified validation split.

>>> import numpy as np
>>> X = np.random.default_rng(0).integers(0, 256, size=(40, 8, 8), dtype=np.uint8)  # (N, H, W) uint8
>>> y = np.repeat(["shirt", "shoe"], 20)
>>> clf = ImageClassifier("conv4k3,pool2,8", max_iter=2, early_stopping=False, random_state=0).fit(X, y)
>>> clf.predict(X[:3]).shape, 0 <= clf.score(X, y) <= 1
((3,), True)
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from .._docsections import parameters_section
from .._params import Checked, Param, document, validate
from .._stacklevel import user_stacklevel
from ..estimators import (
    HiddenOutput,
    KeepsFittedSource,
    check_averaging,
    fit_keywords,
    fit_reused,
    hidden_output,
    load_source,
    restored_on_error,
)
from ..exceptions import DataError
from ..network import Network, Spec, evaluating, load_device, resolve_device
from ..training import History, NoImprovement, Schedule, inference_threads, refuse_unusable, time_limit, to_tensor, train
from ._app_params import averaging_rows, row
from ._appfile import (
    LOAD_PARAMETERS,
    DevicePickle,
    columns_state,
    file_errors,
    forget_columns,
    load_app,
    open_model_file,
    restore_columns,
    restore_state,
    restore_transfer,
    save_fitted,
    split_prefix,
)
from ._classify import ClassifierFitting, HeldOut, named
from ._fit import DATA_FIX, after_averaging, averaging_for, hidden_layer_index
from ._fitted import refuses_empty
from ._image_folder import fitted_mode, folder_images, is_folder, refuse_unknown_classes
from ._image_shape import channels_last, shape_hint
from ._partial import PartialFitting
from ._pixel_scale import (
    UNIT_SCALE_FIT,
    UNIT_SCALE_MAX,
    fitted_on_unit_scale,
    pixel_words,
    scale_advice,
    standardised_advice,
    standardised_pixels,
)
from ._seed import keeps_global_rng, seed_everything
from ._warm_fit import continues, known_codes, mark_built, refuse_other_data, refuse_rebuilt, warm_frozen

DEFAULT_SPEC = "conv32k3,pool2,conv64k3,pool2,128"  # valid convolutions: images of at least 10 x 10 pixels
SMALL_SPEC = "conv32k3:same,pool2,conv64k3:same,pool2,128"  # what the default becomes below 10 x 10: 'same' padding, from 4 x 4
_MIN_DEFAULT, _MIN_SMALL = 10, 4  # the smallest side each of the two takes (pool2 twice must leave one pixel)
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_BUILT_FROM = ("hidden_layer_sizes", "activation", "dtype")  # what shaped the network: a warm fit refuses another value
_MODES = {1: ("grayscale", "L"), 3: ("RGB", "RGB"), 4: ("RGBA", "RGBA")}  # channels -> (name, Pillow mode)


_is_path = is_folder


def default_spec_for(image_shape: tuple[int, ...]) -> str:
    """The default hidden layers for images of ``image_shape`` ``(C, H, W)``, as spec text.

    :data:`DEFAULT_SPEC` (valid convolutions, as trained and measured on 28 x 28 images) where it
    fits, that is both sides >= 10 pixels; below that its 'same'-padded variant :data:`SMALL_SPEC`
    (the same layers and widths, so 8 x 8 digits work as 28 x 28 images do); below 4 x 4 a
    :class:`DataError` saying what the default needs and what to pass instead.
    """
    height, width = (int(d) for d in image_shape[-2:])
    side = min(height, width)
    if side >= _MIN_DEFAULT:
        return DEFAULT_SPEC
    if side >= _MIN_SMALL:
        return SMALL_SPEC
    raise DataError(
        f"images of {height} x {width} pixels are too small for the default hidden layers, which need at least "
        f"{_MIN_SMALL} x {_MIN_SMALL} (two pool2 layers): pass hidden_layer_sizes for them, e.g. 'conv32k3:same,128' or '128'."
    )


def check_image_size(value: Any) -> tuple[int, int] | None:
    """:class:`ImageClassifier`'s ``image_size`` as ``(height, width)`` in pixels, or None; anything else is one ValueError.

    Parameters
    ----------
    value : None, int or pair of int
        None, an int (a square) or two whole numbers >= 1 (a list, as JSON and ``train --set image_size=[H,W]`` give it).
    """
    if value is None:
        return None
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    if (isinstance(value, bool) or not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in pair)):
        raise ValueError(f"image_size must be None, an int or (height, width), whole numbers >= 1 in pixels, e.g. (64, 64). Received: {value!r}.")
    return int(pair[0]), int(pair[1])


IMAGE_PARAMS: tuple[Param, ...] = (
    row("hidden_layer_sizes", DEFAULT_SPEC, "The hidden layers, as a spec such as 'conv32k3,pool2,conv64k3,pool2,128'; the default "
        "takes images from 10 x 10 pixels, and smaller ones (from 4 x 4) get it with 'same' padding (hidden_spec_ shows the layers fitted)",
        constraint=Checked(Spec.parse, text="a hidden-layer spec such as 'conv32k3,pool2,128'", type="str or list of layer specs")),
    row("activation", "relu", check=False),  # checked, with the nearest valid name, when the network is built
    Param("image_size", Checked(check_image_size, text="None, an int or (height, width)", type="int or tuple of (int, int)"), None, "(height, width) in pixels, or an int for a square, that a first fit resizes a folder's images to, as "
        "Keras' image_dataset_from_directory does (None: the first image's size; a folder of large photos is then as large in memory). "
        "Arrays are taken as given, so arrays of another size are refused: resize them yourself"),
    row("solver", "adam"),
    row("learning_rate", "constant"),
    row("learning_rate_init", 1e-3),
    row("alpha", 0.0),
    row("batch_size", 128),
    row("max_iter", 20),
    row("max_time", None),
    row("early_stopping", True, "Hold out a stratified validation_fraction of the images and stop when their loss stops improving"),
    row("validation_fraction", 0.1),
    row("n_iter_no_change", 3),
    row("tol", 1e-4),
    row("dtype", "float32"),
    row("device", "auto", check=False),  # resolved by fit
    row("random_state", None),
    row("callbacks", None),
    row("progress_bar", False),
    row("verbose", False),
    row("warm_start", False),
    row("init_from", None, "Start from this fitted model's hidden layers (those that match by name and shape); a source "
        "ImageClassifier's per-channel mean and scale are kept too, since its layers learned on inputs standardised that way (checked by fit)"),
    row("freeze", None, "Hidden layers kept fixed during fit: the first k, these names, or 'head_first' (the head alone, "
        "then every layer at 0.1 x learning_rate_init, up to max_iter epochs each; checked by fit)"),
    row("loss", "log_loss"),
    row("gce_q", 0.7),
    row("class_weight", None),
    row("label_smoothing", 0.0),
    *averaging_rows(),
)


@document(IMAGE_PARAMS)
class ImageClassifier(PartialFitting, KeepsFittedSource, HiddenOutput, ClassifierFitting, DevicePickle, ClassifierMixin, BaseEstimator):
    """Image classification with convolutional hidden layers (default: a small CNN).

    Fitted attributes follow scikit-learn: ``classes_``, ``network_``,
    ``history_``, ``loss_curve_``, ``validation_scores_``, ``n_iter_``,
    ``stop_reason_``, ``n_features_in_`` (pixels per image, C x H x W), plus ``image_shape_`` ``(C, H, W)`` and ``hidden_spec_``
    (the hidden layers fitted, as spec text), ``pixel_range_`` (min, max of the training pixels as given) and ``pixel_dtype_``
    (``"uint8"`` or ``"float"``): what the pixel-scale warning names.

    The default ``hidden_layer_sizes`` (:data:`DEFAULT_SPEC`) is sized to the
    images, as scikit-learn's defaults work on any data: images smaller than
    10 x 10 pixels (8 x 8 digits) get its 'same'-padded variant
    :data:`SMALL_SPEC`, shown in ``hidden_spec_``; ``get_params()`` keeps
    what was passed, so ``clone`` and grid search refit the same way.
    """

    _samples = "images"

    def __init__(
        self,
        hidden_layer_sizes: Any = DEFAULT_SPEC,
        *,
        activation: str = "relu",
        image_size: int | tuple[int, int] | None = None,
        solver: str = "adam",
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-3,
        alpha: float = 0.0,
        batch_size: int = 128,
        max_iter: int = 20,
        max_time: float | None = None,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 3,
        tol: float = 1e-4,
        dtype: str = "float32",
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        callbacks: Any = None,
        progress_bar: bool = False,
        verbose: bool = False,
        warm_start: bool = False,
        init_from: Any = None,
        freeze: Any = None,
        loss: str = "log_loss",
        gce_q: float = 0.7,
        class_weight: Any = None,
        label_smoothing: float = 0.0,
        weight_averaging: str | None = None,
        ema_decay: float = 0.99,
        swa_start: float = 0.75,
        swa_lr: float | None = None,
        swa_anneal_epochs: int = 10,
        swa_anneal_strategy: str = "cos",
    ) -> None:
        self.warm_start = warm_start
        self.init_from = init_from
        self.freeze = freeze
        self.loss = loss
        self.gce_q = gce_q
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.weight_averaging, self.ema_decay, self.swa_start, self.swa_lr = weight_averaging, ema_decay, swa_start, swa_lr
        self.swa_anneal_epochs, self.swa_anneal_strategy = swa_anneal_epochs, swa_anneal_strategy
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.image_size = image_size
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.max_time = max_time
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.progress_bar = progress_bar
        self.verbose = verbose

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A model pickled before ``n_features_in_`` was set gets it from its ``image_shape_``."""
        if "image_shape_" in state and "n_features_in_" not in state:
            state = {**state, "n_features_in_": int(np.prod(state["image_shape_"]))}
        super().__setstate__(state)

    # -- data -------------------------------------------------------------
    def _pixels(self, X: Any) -> np.ndarray:
        """Any accepted input as ``float`` ``(N, C, H, W)`` before standardisation."""
        return self._read(X)[0]

    def _refuse_other_size(self, pixels: np.ndarray) -> None:
        """Arrays ``(N, C, H, W)`` of another size than ``image_size`` asks for are refused: it resizes a folder's images only."""
        size = check_image_size(self.image_size)
        if size is not None and tuple(pixels.shape[2:]) != size:
            raise DataError(f"these images are {pixels.shape[2]} x {pixels.shape[3]} pixels, but image_size={self.image_size!r} asks for "
                            f"{size[0]} x {size[1]}: image_size resizes the images a folder's files hold; resize arrays yourself (e.g. PIL's "
                            "Image.resize), or leave image_size=None.")

    def _read(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(pixels, raw)``: :meth:`_pixels`' float ``(N, C, H, W)`` and the same images as given (uint8 unscaled)."""
        if _is_path(X):
            from ..data import load_image_folder

            fitted = getattr(self, "image_shape_", None)
            mode = None if fitted is None else fitted_mode(fitted)
            X, _, _ = load_image_folder(X, size=None if fitted is None else fitted[1:], mode=mode)
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        try:
            a = np.asarray(X)
        except ValueError:  # a list of images of different sizes: NumPy cannot stack them
            shapes = sorted({np.shape(x) for x in X})
            raise DataError(
                f"images have different shapes ({', '.join(map(str, shapes[:3]))}{', ...' if len(shapes) > 3 else ''}): "
                "resize them to one size (H, W) and one channel count first, e.g. with PIL's Image.resize."
            ) from None
        if a.dtype == object or not (a.dtype.kind in "uif" or a.dtype == bool):
            raise DataError(f"images must be a numeric array (N, H, W) or (N, H, W, C), or a folder path. Received dtype {a.dtype}.")
        if a.ndim == 3:
            a = a[:, None]  # (N, H, W) -> (N, 1, H, W)
        elif a.ndim == 4 and a.shape[-1] in (1, 3, 4) and channels_last(a.shape, getattr(self, "image_shape_", None)):
            a = a.transpose(0, 3, 1, 2)  # channels-last -> (N, C, H, W)
        elif not (a.ndim == 4 and a.shape[1] in (1, 3, 4)):
            raise DataError(f"images must have shape (N, H, W), (N, H, W, C) or (N, C, H, W) with C in 1, 3, 4. Received shape {a.shape}: {shape_hint(a, getattr(self, 'image_shape_', None))}")
        if a.shape[0] == 0:
            raise DataError("X has 0 images: pass at least one.")
        # pixels in the float type the network computes in (its own once fitted): a float64 model reads float64 pixels, as its ONNX graph does
        network = getattr(self, "network_", None)
        double = str(next(network.parameters()).dtype) == "torch.float64" if network is not None else self.dtype == "float64"
        floats: Any = np.float64 if double else np.float32
        scaled = a.astype(floats) / floats(255.0) if a.dtype == np.uint8 else a.astype(floats)
        if not np.isfinite(scaled).all():
            raise DataError("images contain NaN or infinity: clean or impute the pixels first.")
        if getattr(self, "mean_", None) is not None:
            self._warn_if_on_another_scale(scaled, uint8=a.dtype == np.uint8, given=a.dtype)
        return scaled, a

    def _warn_if_on_another_scale(self, scaled: np.ndarray, uint8: bool = False, given: Any = None) -> None:
        """A UserWarning when float pixels above 1.5 reach a model fitted on 0-1 pixels: 0-255 pixels given as floats, which
        the network would read 255 times too bright (the server and the CLI refuse them by the same rule, ``hl.ship.image_input``).
        The advice names the model's own training range (``scale_advice``): 255 is the divisor only for 0-255 images.

        ``uint8``: the images came as uint8, scaled to 0-1; a model fitted on floats on a larger scale (0-255 pixels given as
        floats, ``X.astype(np.float32)``) would read them 255 times too dark, and predicted one class for all without a word.
        ``given``: the images' dtype as given, which the warning names (an int64 array's are no "float pixels").
        Pixels below ``UNIT_SCALE_MIN`` (-0.25) given to a model fitted on pixels 0-1, none below 0, are standardised ones
        (torchvision's ``Normalize``): the warning says to pass them before the normalisation (``standardised_pixels``)."""
        if uint8:
            if not fitted_on_unit_scale(self):
                span = getattr(self, "pixel_range_", None)
                fitted = f"from {span[0]:.4g} to {span[1]:.4g}" if span is not None else "beyond 0-1"
                warnings.warn(f"these uint8 images are read as pixels 0-1 (scaled by 1/255), but the model was fitted on float pixels {fitted}: "
                              "pass them on its training scale, e.g. X.astype(np.float32) for 0-255 pixels.", UserWarning, stacklevel=user_stacklevel())
            return
        low, top = float(scaled.min()), float(scaled.max())
        if standardised_pixels(self, low):  # torchvision's Normalize: its pixels above 1.5 (ImageNet's up to 2.6) need no / 255 either
            kind, _ = pixel_words(given)
            warnings.warn(f"these {kind} pixels go down to {low:.4g}, but {standardised_advice('pass the images as a uint8 array')}",
                          UserWarning, stacklevel=user_stacklevel())
        elif fitted_on_unit_scale(self) and top > UNIT_SCALE_MAX:
            kind, these = pixel_words(given)
            said = scale_advice(self, top, "pass the images as a uint8 array", these) or (
                f"the model was fitted on pixels 0-1 (uint8 images scaled by 1/255): pass the images as a uint8 array, or divide {these} by 255.")
            warnings.warn(f"these {kind} pixels go up to {top:.4g}, but {said}", UserWarning, stacklevel=user_stacklevel())

    def _check_X(self, X: Any) -> np.ndarray:
        """Standardised ``(N, C, H, W)`` float32 array, as the network reads it (the lens uses this)."""
        self._require_fitted()
        self._refuse_one_image(getattr(X, "shape", None))
        a = self._pixels(X)
        fitted = tuple(self.image_shape_)
        if a.shape[1] != fitted[0]:
            name, mode = _MODES[fitted[0]]
            raise DataError(
                f"images have {a.shape[1]} channel(s) but the model was fitted on {fitted[0]} ({name}): "
                f"convert them to {name} first, e.g. with PIL's Image.convert({mode!r})."
            )
        if a.shape[1:] != fitted:
            raise DataError(self._shape_error(tuple(a.shape[1:]), fitted))
        return (a - self.mean_[None, :, None, None]) / self.scale_[None, :, None, None]

    def _refuse_one_image(self, shape: tuple[int, ...] | None) -> None:
        """A DataError for one colour image of the fitted size, ``(H, W, C)`` or ``(C, H, W)``, given where a batch goes: read
        as H images of W x C pixels, it was refused as having "1 channel(s) ... convert them to RGB", which it already is."""
        c, h, w = (int(d) for d in self.image_shape_)
        if shape is not None and c > 1 and tuple(shape) in ((h, w, c), (c, h, w)):
            raise DataError(f"X has shape {tuple(shape)}: one image of the fitted {h} x {w} pixels of {c} channels, where a batch goes: "
                            "pass a batch of one, X[None].")

    def _shape_error(self, got: tuple[int, ...], fitted: tuple[int, ...]) -> str:
        """The line for images of shape ``got`` (C, H, W) where the model was fitted on ``fitted``: scikit-learn's "X has N features,
        but ... is expecting M" where the counts differ; where they agree (8 x 8 and 4 x 16 are both 64 pixels) that line said
        "64 features ... expecting 64", so the shapes lead instead."""
        n_got, n_fit = int(np.prod(got)), int(np.prod(fitted))
        if n_got != n_fit:
            return (f"X has {n_got} features (pixels per image, shape {got} (C, H, W)), but {type(self).__name__} is "
                    f"expecting {n_fit} features as input (shape {fitted}): resize them to {fitted[1]} x {fitted[2]} pixels.")
        return (f"X holds images of {got[1]} x {got[2]} pixels (shape {got} (C, H, W)), but {type(self).__name__} was fitted on "
                f"{fitted[1]} x {fitted[2]} (shape {fitted}): the same {n_got} pixels in another layout; reshape them to "
                f"{fitted[1]} x {fitted[2]} if that is what they are, else resize them.")

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return to_tensor(a, _DTYPES[self.dtype], self._device)

    # -- fit --------------------------------------------------------------
    def _validate_params(self) -> Spec:  # type: ignore[override]
        validate(self, IMAGE_PARAMS)
        self._check_smoothing()
        check_averaging(self)  # the MLP estimators' rules and words
        return Spec.parse(self.hidden_layer_sizes)

    def _sized_spec(self, spec: Spec, image_shape: tuple[int, ...]) -> Spec:
        """``spec``, or for the default (:data:`DEFAULT_SPEC`) the variant that fits ``image_shape`` ``(C, H, W)``."""
        if spec.to_text() != Spec.parse(DEFAULT_SPEC).to_text():
            return spec
        return Spec.parse(default_spec_for(image_shape))

    @property
    def hidden_spec_(self) -> str:
        """The hidden layers fitted, as spec text: ``hidden_layer_sizes``, or the default's variant sized to the images."""
        self._require_fitted()
        return str(self.network_.spec.to_text())

    def _input_scale(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel mean and scale the network reads its input with ``(channels,)`` each.

        With ``init_from`` an ImageClassifier, the source's: its copied layers learned on inputs
        standardised that way (as a pretrained network keeps its own normalisation). Otherwise
        those of ``pixels`` ``(n, channels, height, width)``. A source ImageClassifier fitted on another
        channel count is a :class:`DataError` naming the conversion (its first convolution reads its channels).
        """
        if self.init_from is not None:
            source = load_source(self.init_from, open_model_file)
            fitted = getattr(source, "image_shape_", None)
            if fitted is not None and int(fitted[0]) != pixels.shape[1]:
                name, mode = _MODES[int(fitted[0])]
                raise DataError(f"init_from was fitted on {fitted[0]}-channel ({name}) images and these have {pixels.shape[1]}: its first "
                                f"convolution reads {fitted[0]} channel(s), so convert the images to {name} first (PIL's Image.convert({mode!r})), "
                                "or fit without init_from.")
            mean, scale = getattr(source, "mean_", None), getattr(source, "scale_", None)
            if mean is not None and scale is not None and np.shape(mean) == (pixels.shape[1],):
                return np.array(mean, dtype=np.float64), np.array(scale, dtype=np.float64)
        return pixels.mean(axis=(0, 2, 3)).astype(np.float64), np.maximum(pixels.std(axis=(0, 2, 3)), 1e-6).astype(np.float64)

    @fit_keywords
    @keeps_global_rng
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, *, X_val: Any = None, y_val: Any = None,
            sample_weight_val: Any = None) -> ImageClassifier:
        """Train on images ``X`` with labels ``y``.

        Every check of the new data and parameters runs before a fitted attribute changes, so a refit that raises leaves a
        fitted model as it was (same attributes, same predictions).

        Parameters
        ----------
        X : array-like of shape (n_images, H, W) or (n_images, H, W, C), or a folder path
            The training images (a folder: one sub-folder per class).
        y : array-like of shape (n_images,), optional
            The labels; None with a folder: its sub-folder names.
        sample_weight : array-like of shape (n_images,), optional
            Weights ``>= 0`` (None: all 1), times ``class_weight``'s; the training loss is their weighted mean per batch
            and the early-stopping score their weighted accuracy.
        X_val : array-like or folder path, optional
            Your own held-out images (X's channels and size, or a folder), which early stopping scores instead of a
            ``validation_fraction`` split (every image of ``X`` trains), standardised with ``X``'s ``mean_``/``scale_``.
            Needs ``early_stopping=True``; ``partial_fit`` does not take it.
        y_val : array-like of shape (n_val,), optional
            Labels ``y`` has (None with a folder: its sub-folder names).
        sample_weight_val : array-like of shape (n_val,), optional
            Weights of their score (``class_weight`` is not applied to it).
        """
        spec = self._validate_params()
        given = self._val_given(X_val, y_val, sample_weight_val, labelled=_is_path(X_val))
        if _is_path(X):  # a warm fit (partial_fit's later calls) reads the folder at the fitted size, as predict does
            fitted: tuple[int, ...] | None = tuple(getattr(self, "image_shape_", ())) if continues(self) else None
            first = fitted is None and getattr(self, "_partial_classes", None) is None  # partial_fit's batch may hold one class
            X, folder_y = folder_images(X, fitted, labelled=y is None, least=2 if first else 1, size=check_image_size(self.image_size))
            y = folder_y if y is None else y
        if y is None:
            raise ValueError("y is required: pass one label per image, or a folder with one sub-folder per class.")
        pixels, raw = self._read(X)
        self._refuse_other_size(pixels)
        val = (X_val, y_val, sample_weight_val) if given else None
        if continues(self):
            return self._fit_warm(pixels, y, sample_weight, val)
        classes, y_idx = self._classes(y, pixels.shape[0])
        image_shape = tuple(int(d) for d in pixels.shape[1:])
        spec = self._sized_spec(spec, image_shape)
        mean, scale = self._input_scale(pixels)
        row_weights = self._row_weights(sample_weight, classes[y_idx], classes)
        every, held = self._held_images(pixels, val, classes)
        device = resolve_device(self.device)
        generator = seed_everything(self.random_state, device)
        y_all, split, weights = self._rows(y_idx, row_weights, held)
        network = Network(image_shape, spec, len(classes), activation=self.activation).to(dtype=_DTYPES[self.dtype], device=device)
        Xs = (every - mean[None, :, None, None].astype(np.float32)) / scale[None, :, None, None].astype(np.float32)
        with restored_on_error(self):  # init_from and freeze are checked against the new network, in fit_reused
            self.classes_, self.image_shape_, self.mean_, self.scale_ = classes, image_shape, mean, scale
            self.n_features_in_ = int(np.prod(image_shape))  # pixels per image (C x H x W): the values scikit-learn would count
            self.pixel_range_ = (float(raw.min()), float(raw.max()))  # the training pixels as given: the scale predict's advice names
            self.pixel_dtype_ = "uint8" if raw.dtype == np.uint8 else "float"
            self._device, self.network_ = device, network
            self._train(Xs, y_all, split, weights, generator)
            mark_built(self, _BUILT_FROM)
        return forget_columns(self)  # the columns train --app read describe an earlier fit

    def _held_images(self, pixels: np.ndarray, val: tuple[Any, Any, Any] | None, classes: np.ndarray) -> tuple[np.ndarray, HeldOut | None]:
        """``(pixels, None)`` without a validation set; with ``val`` (``fit``'s ``X_val``, ``y_val``, ``sample_weight_val``)
        float ``pixels`` ``(n, C, H, W)`` with X_val's images after them, and their labels' codes among ``classes``.

        X_val is read as ``X`` is (a folder's images converted and resized to X's channels and size, its sub-folder names
        the labels unless ``y_val`` is given); arrays of another channel count or size are refused, named."""
        if val is None:
            return pixels, None
        X_val, y_val, sample_weight_val = val
        shape = tuple(int(d) for d in pixels.shape[1:])
        if _is_path(X_val):
            X_val, folder_y = folder_images(X_val, shape, labelled=y_val is None)
            y_val = folder_y if y_val is None else y_val
        try:
            given = self._read(X_val)[0]
        except DataError as exc:
            raise named("X_val", exc) from None
        if given.shape[1:] != shape:
            raise DataError(f"X_val has images of shape {given.shape[1:]} (C, H, W) and X {shape}: give them X's {shape[0]} channel(s) "
                            f"and size, {shape[1]} x {shape[2]} pixels.")
        return np.concatenate([pixels, given]), self._held_out(y_val, given.shape[0], classes, sample_weight_val)

    @keeps_global_rng
    def _fit_warm(self, pixels: np.ndarray, y: Any, sample_weight: Any, val: tuple[Any, Any, Any] | None) -> ImageClassifier:
        """``warm_start=True``: go on training ``network_`` on float ``pixels`` ``(N, C, H, W)`` with labels among ``classes_``
        (``val``: ``fit``'s own validation set, scored instead of a split).

        The first fit's image shape, ``classes_`` and per-channel ``mean_``/``scale_`` stay; the layers ``freeze``
        names now stay fixed (``set_params(freeze=None)`` unfreezes them); ``init_from`` is not read again (the model itself is the start).
        """
        refuse_rebuilt(self, _BUILT_FROM)
        shape = tuple(int(d) for d in self.image_shape_)
        refuse_other_data(self, "images of shape (C, H, W)", shape, tuple(int(d) for d in pixels.shape[1:]),
                          f"give them {shape[0]} channel(s) and resize them to {shape[1]} x {shape[2]} pixels")
        y_idx = known_codes(self, y, pixels.shape[0])
        row_weights = self._row_weights(sample_weight, self.classes_[y_idx], self.classes_)
        every, held = self._held_images(pixels, val, self.classes_)
        generator = seed_everything(self.random_state, self._device)
        y_all, split, weights = self._rows(y_idx, row_weights, held)
        Xs = (every - self.mean_[None, :, None, None].astype(np.float32)) / self.scale_[None, :, None, None].astype(np.float32)
        with restored_on_error(self):  # the weights and history_ go back if training fails
            self._train(Xs, y_all, split, weights, generator, warm=True)
        return forget_columns(self)  # the columns train --app read describe an earlier fit

    def _train(self, Xs: np.ndarray, y_idx: np.ndarray, split: tuple[np.ndarray, np.ndarray | None],
               weights: tuple[np.ndarray | None, np.ndarray | None], generator: torch.Generator, warm: bool = False) -> None:
        """Train ``network_`` on standardised images ``Xs`` ``(N, C, H, W)`` with class codes ``y_idx``, ``split``'s
        (train, validation) rows and their ``weights`` (None: unweighted); set the history (``warm``: ``history_`` goes on)."""
        (train_idx, val_idx), (w_train, w_val) = split, weights
        Xt, Yt = self._tensor(Xs[train_idx]), self._tensor(self._targets(y_idx[train_idx]))
        Wt = None if w_train is None else self._tensor(w_train)
        validate = None
        if val_idx is not None:
            Xv, yv = self._tensor(Xs[val_idx]), torch.as_tensor(y_idx[val_idx], device=self._device)
            validate = self._validator(lambda: self._logits(Xv), yv, w_val)

        monitor = "val_score" if validate is not None else "train_loss"
        limit = time_limit(self.max_time, self.history_ if warm else None)  # one deadline for the call (both phases of head_first)
        before = len(self.history_) if warm else 0

        def run(lr: float, history: History | None) -> Any:  # history: the second phase of freeze="head_first" goes on
            return train(
                self.network_, Xt, Yt, loss=self._train_loss(), solver=self.solver, learning_rate_init=lr,
                schedule=Schedule(self.learning_rate, lr, max_epochs=self.max_iter), batch_size=self.batch_size,
                max_epochs=self.max_iter, sample_weight=Wt, alpha=float(self.alpha), validate=validate,
                no_improvement=NoImprovement(monitor, self.tol, self.n_iter_no_change), stopping=limit, generator=generator, history=history,
                restore_best=validate is not None, device=self._device, callbacks=self._callbacks(),
                warn_if_diverged_at_start=False, diverged_fix=DATA_FIX,  # no usable epoch: refuse_unusable raises; no clip_grad_norm to name
                averaging=averaging_for(self, len(train_idx), self.network_),  # a new average per train call (head_first's phases too)
            )

        if warm:  # the layers freeze names now stay fixed (set_params(freeze=None) unfreezes); its history goes on
            with warm_frozen(self, self.network_, self.network_.hidden_names, head_first=True):
                result = run(float(self.learning_rate_init), self.history_)
        else:  # init_from / freeze: copy the source's convolutions, keep frozen ones fixed (or the head first, then all)
            result = fit_reused(self, run, open_model_file, up_to_mismatch=True)  # images of another size: the convolutions carry over
        self.network_.eval()
        refuse_unusable(result.history, float(self.learning_rate_init), DATA_FIX)  # a first epoch that diverged: raised inside restored_on_error
        self._set_history(result.history)
        after_averaging(self, result.history, before)

    # -- predict ----------------------------------------------------------
    @torch.inference_mode()
    def _logits(self, X: torch.Tensor, layer: int | None = None, batch: int = 1024) -> torch.Tensor:
        parts = []
        with evaluating(self.network_), inference_threads(self.network_, X, min(X.shape[0], batch)):  # one image: one thread
            for start in range(0, X.shape[0], batch):
                out, hidden = self.network_(X[start : start + batch], return_hidden=True)
                parts.append(out if layer is None else hidden[layer].flatten(1))
        return torch.cat(parts)

    @refuses_empty
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(N, n_classes)`` in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (N, H, W) or (N, H, W, C)
            The images, as ``fit`` took them.
        """
        Xt = self._tensor(self._check_X(X))
        with inference_threads(self.network_, Xt, min(Xt.shape[0], 1024)):  # the softmax too: a tiny op on two threads stalls
            return torch.softmax(self._logits(Xt).double(), dim=1).cpu().numpy()

    @refuses_empty
    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label per image, shape ``(N,)``.

        Parameters
        ----------
        X : array-like of shape (N, H, W) or (N, H, W, C)
            The images, as ``fit`` took them.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Mean accuracy of ``predict(X)`` against the labels.

        Parameters
        ----------
        X : array-like of shape (n_images, H, W, C), or a folder
            The images, as :meth:`predict` takes them. A folder: the labels are its sub-folder names, as ``fit(folder)``
            takes them (an image directly in it is refused, named).
        y : array-like of shape (n_images,), optional
            The labels; needed for arrays. Given with a folder it means what it means to ``fit``: one label per image, in
            the folder's sorted file order.
        sample_weight : array-like of shape (n_images,), optional
            Weights each image in the mean.
        """
        if is_folder(X):
            self._require_fitted()
            folder = X
            X, folder_y = folder_images(folder, self.image_shape_, labelled=y is None, fitting=False)
            if y is None:  # the sub-folder names are the labels: one named for no class is refused, as evaluate DIR refuses it
                refuse_unknown_classes(folder, folder_y, self.classes_)
                y = folder_y
        if y is None:
            raise ValueError("y is required: pass one label per image, or a folder with one sub-folder per class.")
        return super().score(X, y, sample_weight)

    @refuses_empty
    def transform(self, X: Any, layer: int = -1) -> Any:
        """Hidden layer ``layer``'s output, flattened to ``(N, features)``.

        A NumPy array, or the frame :meth:`set_output` (or scikit-learn's global ``transform_output``) asks for, columns
        ``hiddenK_j``.

        Parameters
        ----------
        X : array-like of shape (N, H, W) or (N, H, W, C)
            The images.
        layer : int
            Which hidden layer, 1-based; ``-1`` = the last.
        """
        Xc = self._check_X(X)
        n_hidden = len(self.network_.hidden_names)
        idx = hidden_layer_index(layer, n_hidden)
        values = self._logits(self._tensor(Xc), layer=idx).cpu().numpy().astype(np.float64)
        return hidden_output(self, values, X, self.network_.hidden_names[idx])

    # -- files ------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to one ``.safetensors`` file (weights + JSON metadata; no pickle).

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        state = {
            "classes": self.classes_.tolist(), "image_shape": list(self.image_shape_), "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(), "network": self.network_.config(), "history": self.history_.to_dict(),
        }
        if getattr(self, "pixel_range_", None) is not None:  # a model pickled before it was kept has none
            state.update(pixel_range=list(self.pixel_range_), pixel_dtype=self.pixel_dtype_)
        state.update(columns_state(self))  # train --app image's label column
        tensors = {f"network.{k}": v for k, v in self.network_.state_dict().items()}
        save_fitted(path, self, state, tensors)

    @classmethod
    @file_errors
    @parameters_section(LOAD_PARAMETERS)
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> ImageClassifier:
        """Read a model written by :meth:`save`."""
        params, state, tensors = load_app(path, cls.__name__, device)
        if "hidden_layers" in params:  # files written before the name matched the other estimators'
            params["hidden_layer_sizes"] = params.pop("hidden_layers")
        if isinstance(params.get("image_size"), list):  # JSON's list: the tuple it was given as
            params["image_size"] = tuple(params["image_size"])
        model = cls(**params)
        model.classes_ = np.asarray(state["classes"])
        model.image_shape_ = tuple(int(d) for d in state["image_shape"])
        model.n_features_in_ = int(np.prod(model.image_shape_))
        if state.get("pixel_range") is not None:  # files written before it was kept: the generic 0-1 advice
            low, high = (float(v) for v in state["pixel_range"])
            model.pixel_range_ = (low, high)
            model.pixel_dtype_ = str(state["pixel_dtype"])
        model.mean_ = np.asarray(state["mean"], dtype=np.float64)
        model.scale_ = np.asarray(state["scale"], dtype=np.float64)
        restore_columns(model, state, path)
        restore_transfer(model, state)  # init_from's record and the frozen layers, as the other apps' files give them back
        model._device = load_device(model.device, device)
        net = restore_state(lambda: Network.from_config(state["network"]), split_prefix(tensors, "network"), path, _DTYPES[model.dtype])
        model.network_ = net.to(dtype=_DTYPES[model.dtype], device=model._device)
        model._set_history(History.from_dict(state["history"]))
        mark_built(model, _BUILT_FROM)
        return model


__all__ = ["DEFAULT_SPEC", "SMALL_SPEC", "UNIT_SCALE_FIT", "UNIT_SCALE_MAX", "ImageClassifier", "default_spec_for", "fitted_on_unit_scale"]
