"""ImageClassifier: learns sklearn's bundled digits as images, reads folders, saves/loads, the lens sees inside."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers import DataError, NotFittedError
from hiddenlayers.apps import ImageClassifier
from hiddenlayers.data._images import FASHION_MNIST_DIR, load_fashion_mnist

SMALL = "conv8k3:same,pool2,32"


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return (d.images * (255 / 16)).astype(np.uint8), d.target  # (1797, 8, 8) uint8 images


@pytest.fixture(scope="module")
def fitted(digits: tuple[np.ndarray, np.ndarray]) -> ImageClassifier:
    X, y = digits
    return ImageClassifier(SMALL, max_iter=15, learning_rate_init=3e-3, random_state=0).fit(X[:1200], y[:1200])


def test_learns_digits(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    assert fitted.score(X[1200:], y[1200:]) >= 0.85
    assert fitted.image_shape_ == (1, 8, 8) and list(fitted.classes_) == list(range(10))
    assert fitted.n_iter_ == len(fitted.loss_curve_) == len(fitted.validation_scores_) >= 2
    assert fitted.stop_reason_ in ("max_epochs", "no_improvement_validation_score")
    assert not fitted.network_.is_plain_dense()
    proba = fitted.predict_proba(X[:5])
    assert proba.shape == (5, 10) and np.allclose(proba.sum(1), 1.0)
    assert fitted.transform(X[:4], layer=1).shape == (4, 8 * 8 * 8)
    assert fitted.transform(X[:4]).shape == (4, 32)


def test_one_image_predicts_on_one_thread(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray]) -> None:
    # two threads for one small image stalled on a busy machine (13 ms against 1.6 ms): the fit loop's rule, restored after
    seen: list[int] = []
    hook = fitted.network_.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        fitted.predict(digits[0][:1])  # the first call counts the pass's multiply-adds (one forward, on two threads)
        seen.clear()
        fitted.predict(digits[0][:1])
        fitted.transform(digits[0][:1])
        assert seen == [1, 1] and torch.get_num_threads() == 2
    finally:
        hook.remove()
        torch.set_num_threads(before)


def test_channels_last_and_float_input(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = digits
    p = fitted.predict_proba(X[:6])
    np.testing.assert_allclose(fitted.predict_proba(X[:6, :, :, None]), p, rtol=1e-6)
    np.testing.assert_allclose(fitted.predict_proba(X[:6].astype(np.float32) / 255), p, rtol=1e-5, atol=1e-6)


def test_save_load_round_trip(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    X, _ = digits
    path = tmp_path / "cnn.safetensors"
    fitted.save(path)
    again = ImageClassifier.load(path)
    np.testing.assert_array_equal(again.predict_proba(X[:50]), fitted.predict_proba(X[:50]))
    assert again.get_params() == fitted.get_params()
    assert again.history_.train_loss == fitted.history_.train_loss
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    assert meta["estimator"] == "ImageClassifier" and meta["state"]["network"]["in_features"] == [1, 8, 8]
    assert meta["params"]["hidden_layer_sizes"]["value"] == fitted.hidden_layer_sizes  # the form given, with the parsed spec


def test_a_float64_model_predicts_after_load_as_before_save(digits: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    """load built the network in float32, copied the file's float64 weights into it (rounded) and then cast it to float64:
    its probabilities moved by ~1e-7 from those before save."""
    X, y = digits
    model = ImageClassifier("conv2k3:same,4", max_iter=1, dtype="float64", random_state=0).fit(X[:40], y[:40])
    model.save(tmp_path / "f64.safetensors")
    again = ImageClassifier.load(tmp_path / "f64.safetensors")
    for kept, saved in zip(again.network_.state_dict().values(), model.network_.state_dict().values()):
        assert kept.dtype == saved.dtype and torch.equal(kept, saved)
    np.testing.assert_array_equal(again.predict_proba(X[:40]), model.predict_proba(X[:40]))


def test_loads_files_that_name_the_spec_hidden_layers(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    """Files written while the spec parameter was called ``hidden_layers`` still load."""
    from safetensors.torch import load_file, save_file

    X, _ = digits
    path = tmp_path / "cnn.safetensors"
    fitted.save(path)
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        metadata = fh.metadata()
    meta = json.loads(metadata["hiddenlayers"])
    meta["params"]["hidden_layers"] = meta["params"].pop("hidden_layer_sizes")["value"]  # those files held the text as given
    old = tmp_path / "old.safetensors"
    save_file(load_file(str(path)), str(old), metadata={**metadata, "hiddenlayers": json.dumps(meta)})
    again = ImageClassifier.load(old)
    assert again.hidden_layer_sizes == fitted.hidden_layer_sizes
    np.testing.assert_array_equal(again.predict(X[:20]), fitted.predict(X[:20]))


def test_folder_of_images(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    from PIL import Image

    X, y = digits
    for i in range(120):
        label = "even" if y[i] % 2 == 0 else "odd"
        (tmp_path / label).mkdir(exist_ok=True)
        Image.fromarray(X[i]).save(tmp_path / label / f"{i:03d}.png")
    clf = ImageClassifier(SMALL, max_iter=2, early_stopping=False, random_state=0).fit(tmp_path)
    assert list(clf.classes_) == ["even", "odd"]
    assert clf.predict(tmp_path).shape == (120,)
    assert set(clf.predict(X[:10])) <= {"even", "odd"}


def test_lens_records_and_reports(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    X, y = digits
    rec = hl.lens.record(fitted, X[:40])
    assert rec.kinds == {"hidden1": "conv", "hidden2": "conv", "hidden3": "dense"}
    assert rec["hidden1"].shape == (40, 8, 8, 8)
    report = hl.lens.report(fitted, X[1200:1350], y[1200:1350])
    report.save(tmp_path / "report.html")
    assert "hidden1" in report.html and (tmp_path / "report.html").stat().st_size > 10_000


def test_clone_and_params() -> None:
    clf = ImageClassifier(SMALL, max_iter=3)
    assert clone(clf).get_params() == clf.get_params()
    with pytest.raises(NotFittedError, match=r"^This ImageClassifier instance is not fitted yet"):
        clf.predict(np.zeros((1, 8, 8)))


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros((4, 8)), [0, 1, 0, 1], r"^images must have shape \(N, H, W\), \(N, H, W, C\) or \(N, C, H, W\) with C in 1, 3, 4\. Received shape \(4, 8\)"),
        (np.full((4, 8, 8), np.nan), [0, 1, 0, 1], r"^images contain NaN or infinity"),
        (np.zeros((4, 8, 8)), [0, 1, 0], r"^y must hold one label per image: X has 4 images, y has shape \(3,\)\.$"),
        # Keras' to_categorical labels: said as such, with the labels to pass
        (np.zeros((4, 8, 8)), np.eye(3)[[0, 1, 2, 0]], r"^y must hold one label per image: X has 4 images, y has shape \(4, 3\)\. These are one-hot rows: "
                                                     r"pass the labels, y\.argmax\(axis=1\)\.$"),
        (np.zeros((4, 8, 8)), np.ones((4, 3)), r"^y must hold one label per image: X has 4 images, y has shape \(4, 3\)\.$"),
        (np.zeros((4, 8, 8)), [1, 1, 1, 1], r"^y has a single class 1: a classifier needs at least two\.$"),
        (np.array([["a"] * 8] * 8)[None], [0], r"^images must be a numeric array"),
    ],
)
def test_bad_input(X: np.ndarray, y: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ImageClassifier(SMALL, max_iter=1).fit(X, y)


def test_bad_params_and_shapes(fitted: ImageClassifier) -> None:
    with pytest.raises(ValueError, match=r"^max_iter must be an integer >= 1\. Received: max_iter=0\.$"):
        ImageClassifier(max_iter=0).fit(np.zeros((4, 8, 8)), [0, 1, 0, 1])
    with pytest.raises(DataError, match=r"^X has 81 features \(pixels per image, shape \(1, 9, 9\) \(C, H, W\)\), but ImageClassifier is expecting 64 features as input \(shape \(1, 8, 8\)\): resize them to 8 x 8 pixels\.$"):
        fitted.predict(np.zeros((2, 9, 9)))
    # as many pixels in another layout: the counts agree ("64 features ... expecting 64" said nothing), the shapes differ
    with pytest.raises(DataError, match=r"^X holds images of 4 x 16 pixels \(shape \(1, 4, 16\) \(C, H, W\)\), but ImageClassifier was fitted on "
                       r"8 x 8 \(shape \(1, 8, 8\)\): the same 64 pixels in another layout; reshape them to 8 x 8"):
        fitted.predict(np.zeros((2, 4, 16)))
    with pytest.raises(ValueError, match=r"^layer must be 1\.\.3 \(or -1\.\.-3 from the end\)\. Received: layer=4\.$"):
        fitted.transform(np.zeros((2, 8, 8)), layer=4)
    with pytest.raises(ValueError, match=r"^y is required"):
        ImageClassifier().fit(np.zeros((4, 8, 8)))


@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(), reason="Debian package dataset-fashion-mnist is not installed")
def test_fashion_mnist_subsample() -> None:
    X_train, y_train, X_test, y_test = load_fashion_mnist()
    clf = ImageClassifier("conv8k3,pool2,32", max_iter=3, batch_size=32, learning_rate_init=3e-3, early_stopping=False, random_state=0)
    clf.fit(X_train[:1500], y_train[:1500])
    assert clf.score(X_test[:500], y_test[:500]) >= 0.7  # chance: 0.1


def test_pickle_round_trip(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray]) -> None:
    import pickle

    X, _ = digits
    again = pickle.loads(pickle.dumps(fitted))
    assert again._device == fitted._device
    np.testing.assert_array_equal(again.predict_proba(X[:20]), fitted.predict_proba(X[:20]))


def test_float_pixels_on_the_0_255_scale_given_to_a_model_fitted_on_0_1_pixels_warn():
    """predict read 0-255 floats for a model fitted on uint8 images (scaled by 1/255) 255 times too bright, without a word;
    the server and the CLI refuse them by the same rule (hl.ship.image_input), Python warns and names the fix."""
    import warnings

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8)
    model = hl.apps.ImageClassifier(max_iter=1, random_state=0).fit(X, rng.integers(0, 2, 60))
    with pytest.warns(UserWarning, match=r"float pixels go up to 255, but the model was fitted on uint8 images 0-255 \(scaled by 1/255\): pass the images as a uint8 array, or divide the floats by 255\.$"):
        model.predict(X.astype(np.float32))
    with pytest.warns(UserWarning, match=r"^these int64 pixels go up to 255, but the model was fitted on uint8 images 0-255 \(scaled by 1/255\): "
                                         r"pass the images as a uint8 array, or divide them by 255\.$"):  # an int64 array is no "float pixels"
        model.predict(X.astype(np.int64))
    with pytest.warns(UserWarning, match=r"^these uint16 pixels go up to 6\.554e\+04, but the model was fitted on uint8 images 0-255 \(scaled by "
                                         r"1/255\), and pixels beyond 255 are not 8-bit: divide them by their full scale, 65535 for 16-bit images, "
                                         r"to pixels 0-1\.$"):  # 16-bit pixels were told to divide by 255, which left them up to 257
        model.predict(X.astype(np.uint16) * 257)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the scales the model was fitted on: no warning
        assert (model.predict(X) == model.predict(X / 255.0)).all()
    on_255 = hl.apps.ImageClassifier(max_iter=1, random_state=0).fit(X.astype(np.float32), rng.integers(0, 2, 60))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fitted on 0-255 floats: 0-255 floats are its scale
        on_255.predict(X.astype(np.float32))


def test_standardised_pixels_given_to_a_model_fitted_on_0_1_pixels_warn():
    """torchvision's Normalize((0.5,), (0.5,)) leaves pixels -1 to 1, under the 0-255 guard's 1.5: a model fitted on uint8 images,
    which standardises its pixels itself, predicted from them without a word (MNIST's (0.1307,), (0.3081,) went up to 2.8 and
    was told to divide by 255). A model fitted on standardised pixels reads its own kind without a word."""
    import warnings

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8), rng.integers(0, 2, 60)
    model = hl.apps.ImageClassifier("conv2k3:same,4", max_iter=1, random_state=0).fit(X, y)
    advice = (r"but the model was fitted on pixels 0-1 and standardises them itself \(mean_, scale_\): pass the pixels before any normalisation "
              r"\(undo torchvision's Normalize, X \* std \+ mean\), 0-1, or pass the images as a uint8 array\.$")
    for mean, std, low in ((0.5, 0.5, "-1"), (0.1307, 0.3081, "-0.4242")):
        with pytest.warns(UserWarning, match=rf"^these float pixels go down to {low}, " + advice):
            model.predict((X / 255.0 - mean) / std)
    standardised = (X / 255.0 - 0.5) / 0.5
    own = hl.apps.ImageClassifier("conv2k3:same,4", max_iter=1, random_state=0).fit(standardised, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fitted on pixels below 0: they are its scale; a little below 0 is still the 0-1 scale
        own.predict(standardised)
        model.predict(X / 255.0 - 0.2)


def test_uint8_images_given_to_a_model_fitted_on_0_255_floats_warn():
    """The converse: fitted on 0-255 pixels given as floats (X.astype(np.float32)), predict read a uint8 array 255 times too
    dark (uint8 is scaled by 1/255) and answered at chance (0.10 on digits, 0.91 as floats) without a word."""
    import warnings

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8)
    on_255 = hl.apps.ImageClassifier("conv2k3:same,4", max_iter=1, random_state=0).fit(X.astype(np.float32), rng.integers(0, 2, 60))
    with pytest.warns(UserWarning, match=r"^these uint8 images are read as pixels 0-1 \(scaled by 1/255\), but the model was fitted on float pixels "
                                         r"from 0 to 255: pass them on its training scale, e.g. X.astype\(np.float32\) for 0-255 pixels\.$"):
        on_255.predict(X)
    on_unit = hl.apps.ImageClassifier("conv2k3:same,4", max_iter=1, random_state=0).fit(X / 255.0, rng.integers(0, 2, 60))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fitted on 0-1 floats, or on uint8 images: uint8 is their scale
        on_unit.predict(X)
        on_255.predict(X.astype(np.float32))


def test_pipeline_set_output_pandas_works_as_with_the_mlps(fitted: ImageClassifier, digits: tuple[np.ndarray, np.ndarray]) -> None:
    # transform() makes ImageClassifier a transformer: Pipeline.set_output(transform="pandas") called its set_output,
    # which it lacked ("`set_output` is not available"), where the MLP estimators' works
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    X, y = digits
    pipe = make_pipeline(ImageClassifier(SMALL, max_iter=2, random_state=0)).set_output(transform="pandas")
    assert set(pipe.fit(X[:300], y[:300]).predict(X[300:400])) <= set(range(10))
    out = pipe[-1].transform(X[:4], layer=1)
    assert isinstance(out, pd.DataFrame) and out.shape == (4, 8 * 8 * 8) and out.columns[-1] == "hidden1_511"
    assert list(clone(fitted).set_output(transform="pandas").get_params()) == list(fitted.get_params())
    frame = fitted.set_output(transform="pandas").transform(X[:4])
    try:
        assert list(frame.columns) == list(fitted.get_feature_names_out()) == [f"hidden3_{j}" for j in range(32)]
        np.testing.assert_array_equal(frame.to_numpy(), fitted.set_output(transform="default").transform(X[:4]))
    finally:
        fitted.set_output(transform="default")  # the module's fixture is shared


def test_the_pixel_scale_advice_names_the_models_own_training_range(tmp_path: Path) -> None:
    """digits fitted on X / 16 (floats 0-1) and given raw X (0-16) were told to 'divide by 255'; the advice now names the
    training range and the matching division, in predict's warning and in the server's refusal. A file written before the
    range was kept keeps the generic wording."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    from sklearn.datasets import load_digits

    from hiddenlayers.ship._serve.app_model import open_served
    from hiddenlayers.ship._serve.model import RequestError

    X, y = load_digits(return_X_y=True)
    images = X[:200].reshape(-1, 8, 8)
    model = hl.apps.ImageClassifier("conv4k3:same,8", max_iter=1, random_state=0).fit(images / 16, y[:200])
    assert model.pixel_range_ == (0.0, 1.0) and model.pixel_dtype_ == "float"
    advice = r"the model was fitted on float pixels from 0 to 1: scale these as its training images were, e.g\. divide them by 16 if 16 is their full scale\.$"
    with pytest.warns(UserWarning, match=r"^these float pixels go up to 16, but " + advice):
        model.predict(images[:5])
    path = tmp_path / "digits.safetensors"
    model.save(path)
    assert hl.load(path).pixel_range_ == (0.0, 1.0)
    full = int(np.argmax(images.max(axis=(1, 2)) == 16))  # an image whose brightest pixel is 16
    with pytest.raises(RequestError, match=r"^images\[0\] holds float pixels up to 16, but " + advice):
        open_served(path).rows({"images": images[full : full + 1].tolist()}, 8)
    with safe_open(str(path), "pt") as f:  # the file as written before the range was kept
        metadata = dict(f.metadata())
    doc = json.loads(metadata["hiddenlayers"])
    del doc["state"]["pixel_range"], doc["state"]["pixel_dtype"]
    save_file(load_file(str(path)), str(path), metadata={**metadata, "hiddenlayers": json.dumps(doc)})
    old = hl.load(path)
    assert not hasattr(old, "pixel_range_")
    with pytest.warns(UserWarning, match=r"but the model was fitted on pixels 0-1 \(uint8 images scaled by 1/255\): pass the images as a uint8 array"):
        old.predict(images[:5])


@pytest.mark.parametrize("shape, fitted", [((6, 1, 4, 4), (1, 4, 4)), ((6, 3, 4, 4), (3, 4, 4)), ((6, 4, 4, 3), (3, 4, 4)),
                                           ((6, 4, 4, 1), (1, 4, 4)), ((6, 4, 4, 4), (4, 4, 4)), ((6, 3, 8, 4), (3, 8, 4))])
def test_tiny_channels_first_images_are_not_read_as_channels_last(shape: tuple[int, ...], fitted: tuple[int, ...]) -> None:
    """(N, 1, 4, 4) is PyTorch's 4 x 4 grayscale: it was read as 1 x 4 images of 4 channels (a SpecError about pooling), and
    (N, 3, 4, 4) as 3 x 4 RGBA images without a word. The smaller of the two candidate axes is the channels; a fitted model's
    shape decides where one reading gives it."""
    X = np.random.default_rng(0).random(shape)
    clf = ImageClassifier("conv2k3:same,4", max_iter=1, early_stopping=False, random_state=0).fit(X, [0, 1] * 3)
    assert clf.image_shape_ == fitted
    channels_last = X.transpose(0, 2, 3, 1) if shape[1] == fitted[0] and shape[1:] != (4, 4, 4) else X
    np.testing.assert_array_equal(clf.predict(channels_last), clf.predict(X))  # the other order of the same images, told by the fitted shape


def test_images_in_another_axis_order_are_told_to_move_the_axis_never_to_reshape() -> None:
    """An RGB model given (N, H, C, W) images was told to X.reshape(-1, 8, 8, 3), which mixes up the pixels; one RGB image where a
    batch goes was said to have "1 channel(s)" and told to convert to RGB, which it is."""
    X = np.random.default_rng(0).random((6, 8, 8, 3))
    clf = ImageClassifier("conv2k3:same,4", max_iter=1, early_stopping=False, random_state=0).fit(X, [0, 1] * 3)
    moved = r"each image holds the fitted 8 x 8 pixels of 3 channel\(s\) with its axes in another order: move the channel axis .* np\.moveaxis"
    with pytest.raises(DataError, match=r"Received shape \(6, 8, 3, 8\): " + moved):
        clf.predict(X.transpose(0, 1, 3, 2))
    for one in (X[0], X[0].transpose(2, 0, 1)):
        with pytest.raises(DataError, match=r"^X has shape \((8, 8, 3|3, 8, 8)\): one image of the fitted 8 x 8 pixels of 3 channels, where a batch "
                                            r"goes: pass a batch of one, X\[None\]\.$"):
            clf.predict(one)
    with pytest.raises(DataError, match=r"Received shape \(6, 8, 8, 3, 1\): put the channels, 1 \(grayscale\), 3 \(RGB\) or 4 \(RGBA\), on the axis "
                                        r"right after N or on the last one and drop the extra axes of size 1, np\.squeeze\(X, axis=4\)\.$"):
        clf.predict(X[..., None])
    assert clf.predict(X[:1]).shape == (1,)


@pytest.mark.parametrize("layout", ["last", "first"])
def test_images_of_two_channels_are_told_to_keep_the_gray_one_not_to_move_the_axis(layout: str) -> None:
    """Gray-and-alpha images (N, H, W, 2) were told to 'put the channels ... on the axis right after N or on the last one', where
    they already are."""
    X = np.random.default_rng(0).random((6, 8, 8, 2))
    X, keep = (X, r"X\[\.\.\., :1\]") if layout == "last" else (X.transpose(0, 3, 1, 2), r"X\[:, :1\]")
    with pytest.raises(DataError, match=r"Received shape \(6, (8, 8, 2|2, 8, 8)\): 2 channels are none of those \(grayscale with alpha, Pillow's "
                                        rf"mode 'LA'\?\): keep the gray channel, {keep}, or give RGB images\.$"):
        ImageClassifier("4", max_iter=1).fit(X, [0, 1] * 3)
