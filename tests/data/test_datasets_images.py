"""Image data loaders: IDX files (a tiny Fashion-MNIST fixture) and folders of images."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers import DataError
from hiddenlayers.data._images import load_fashion_mnist, load_image_folder, read_idx

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fashion_mnist"


def test_tiny_fixture_loads() -> None:
    X_train, y_train, X_test, y_test = load_fashion_mnist(FIXTURE)
    assert X_train.shape == (6, 28, 28) and X_test.shape == (3, 28, 28)
    assert X_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert y_train.tolist() == [0, 1, 2, 9, 5, 3] and y_test.tolist() == [7, 8, 4]
    assert X_train[0, 0, :4].tolist() == [0, 1, 2, 255]


def test_raw_idx_and_other_types(tmp_path: Path) -> None:
    data = np.arange(6, dtype=">i4").reshape(2, 3)
    (tmp_path / "a.idx").write_bytes(bytes([0, 0, 0x0C, 2]) + np.array([2, 3], ">i4").tobytes() + data.tobytes())
    out = read_idx(tmp_path / "a.idx")
    assert out.tolist() == [[0, 1, 2], [3, 4, 5]] and out.dtype == np.int32


def test_missing_package_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"install the Debian package dataset-fashion-mnist \(apt-get install dataset-fashion-mnist\)"):
        load_fashion_mnist(tmp_path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG....", r"is not an IDX file \(bad magic number 89504e47\)"),
        (bytes([0, 0, 8, 1]) + np.array([5], ">i4").tobytes() + b"abc", r"holds 3 data bytes but its header \(5,\) says 5: the file is truncated or damaged\.$"),
        (gzip.compress(bytes([0, 0, 8, 2]) + b"\x00", mtime=0), r"has a truncated IDX header"),
        (b"\x1f\x8b\x08garbage", r"is a damaged gzip file"),
    ],
)
def test_damaged_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_idx(path)


def test_image_folder(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "cat").mkdir()
    (tmp_path / "dog").mkdir()
    Image.fromarray(np.full((4, 5), 10, np.uint8)).save(tmp_path / "cat" / "a.png")
    Image.fromarray(np.full((8, 10), 200, np.uint8)).save(tmp_path / "dog" / "b.png")
    (tmp_path / "notes.txt").write_text("ignored")
    with pytest.warns(UserWarning, match=r"^the images of '.*' have 2 sizes \('.*a\.png' 4 x 5 pixels, '.*b\.png' 8 x 10, \.\.\.\): each is "
                                         r"resized to the first's, 4 x 5; to choose the size, resize them to one first\.$"):  # resized without a word
        X, y, files = load_image_folder(tmp_path)
    assert X.shape == (2, 4, 5, 1) and X.dtype == np.uint8
    assert y.tolist() == ["cat", "dog"] and files[0].endswith("a.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a size asked for: resizing to it is what was asked
        X, _, _ = load_image_folder(tmp_path, size=(6, 6), mode="RGB")
    assert X.shape == (2, 6, 6, 3)
    (tmp_path / "dog" / "bad.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match=r"^cannot read image .*bad\.png' \(UnidentifiedImageError\): remove or replace the file\.$"):
        load_image_folder(tmp_path)


def test_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"does not exist or is not a folder"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(DataError, match=r"^no images .* found in"):
        load_image_folder(tmp_path)


def test_image_folder_scales_16_bit_images(tmp_path: Path) -> None:
    """A 16-bit grayscale PNG is scaled from 0-65535 to 0-255: Pillow's convert('L') clipped it, so 256 and up read as 255."""
    from PIL import Image

    (tmp_path / "scan").mkdir()
    deep = np.array([[0, 257, 1000], [32768, 60000, 65535]], dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "scan" / "a.png")
    assert Image.open(tmp_path / "scan" / "a.png").mode.startswith("I;16")
    X, _, _ = load_image_folder(tmp_path)
    assert X.shape == (1, 2, 3, 1)
    assert X[0, :, :, 0].tolist() == np.rint(deep / 257).astype(int).tolist() == [[0, 1, 4], [128, 233, 255]]
    X, _, _ = load_image_folder(tmp_path, mode="RGB")  # converted to colour after the scaling, not clipped on the way
    assert X[0, 1, :, 0].tolist() == [128, 233, 255]


def test_image_folder_wide_images_in_0_255_read_as_given_else_refused(tmp_path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.array([[0.0, 12.4, 255.0]], dtype=np.float32)).save(tmp_path / "a.tif")
    X, _, _ = load_image_folder(tmp_path)
    assert X[0, 0, :, 0].tolist() == [0, 12, 255]
    Image.fromarray(np.array([[0.0, 0.5, 1000.0]], dtype=np.float32)).save(tmp_path / "b.tif")
    with pytest.raises(DataError, match=r"^image '.*b\.tif' is floating-point \(F\) with pixels from 0 to 1000, which have no fixed full scale"):
        load_image_folder(tmp_path)


def test_image_folder_of_gray_images_with_alpha_reads_one_channel(tmp_path: Path) -> None:
    """A grayscale PNG with transparency (mode LA) is grayscale: it was read as RGB, three equal channels."""
    from PIL import Image

    (tmp_path / "a").mkdir()
    Image.fromarray(np.array([[[10, 255], [200, 0]]], dtype=np.uint8), "LA").save(tmp_path / "a" / "x.png")
    Image.fromarray(np.full((1, 2), 7, np.uint8)).save(tmp_path / "a" / "y.png")
    X, _, _ = load_image_folder(tmp_path)
    assert X.shape == (2, 1, 2, 1) and X[:, 0, :, 0].tolist() == [[10, 200], [7, 7]]


def test_image_folder_leaves_hidden_files_and_folders_out(tmp_path: Path) -> None:
    """Jupyter's .ipynb_checkpoints became a class of its own (at the top) or a second copy of an image (in a class), and
    macOS's ._x.png resource fork was refused as an image Pillow cannot read: hidden names are left out, as ls leaves them."""
    from PIL import Image

    for name in ("cat", "dog", ".ipynb_checkpoints", "cat/.ipynb_checkpoints"):
        (tmp_path / name).mkdir()
    for name in ("cat/a.png", "dog/b.png", ".ipynb_checkpoints/a-checkpoint.png", "cat/.ipynb_checkpoints/a-checkpoint.png"):
        Image.fromarray(np.full((2, 2), 9, np.uint8)).save(tmp_path / name)
    (tmp_path / "cat" / "._a.png").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    X, y, files = load_image_folder(tmp_path)
    assert y.tolist() == ["cat", "dog"] and [Path(f).relative_to(tmp_path).as_posix() for f in files] == ["cat/a.png", "dog/b.png"]
    hidden_root = tmp_path / ".photos"  # a folder given by a hidden name is read: only what lies below it is judged
    (tmp_path / "cat").rename(hidden_root)
    assert load_image_folder(hidden_root)[0].shape == (1, 2, 2, 1)


def test_image_folder_names_a_link_to_no_file(tmp_path: Path) -> None:
    """A link to an image that is gone was left out in silence, one image fewer than the folder lists."""
    from PIL import Image

    (tmp_path / "cat").mkdir()
    Image.fromarray(np.full((2, 2), 9, np.uint8)).save(tmp_path / "cat" / "a.png")
    (tmp_path / "cat" / "b.png").symlink_to(tmp_path / "gone.png")
    with pytest.raises(DataError, match=r"^image '.*b\.png' is a link to '.*gone\.png', which does not exist: remove the link or restore its file\.$"):
        load_image_folder(tmp_path)


def test_image_folder_reads_linked_class_folders_and_a_loop_once(tmp_path: Path) -> None:
    """A class folder that is a link (train/cat -> /data/cats, as datasets are often laid out) was left out by Path.rglob:
    its class was missing (or the folder held "no images"). It is read, as torchvision's ImageFolder reads it; a link back
    up the tree does not read its images twice, nor forever."""
    from PIL import Image

    for name in ("data/cats", "data/dogs", "train"):
        (tmp_path / name).mkdir(parents=True)
    Image.fromarray(np.full((2, 2), 9, np.uint8)).save(tmp_path / "data" / "cats" / "a.png")
    Image.fromarray(np.full((2, 2), 99, np.uint8)).save(tmp_path / "data" / "dogs" / "b.png")
    (tmp_path / "train" / "cat").symlink_to(tmp_path / "data" / "cats", target_is_directory=True)
    (tmp_path / "train" / "dog").symlink_to(tmp_path / "data" / "dogs", target_is_directory=True)
    (tmp_path / "data" / "cats" / "again").symlink_to(tmp_path / "data" / "cats", target_is_directory=True)
    X, y, files = load_image_folder(tmp_path / "train")
    assert y.tolist() == ["cat", "dog"] and X[:, 0, 0, 0].tolist() == [9, 99]
    assert [Path(f).relative_to(tmp_path / "train").as_posix() for f in files] == ["cat/a.png", "dog/b.png"]
