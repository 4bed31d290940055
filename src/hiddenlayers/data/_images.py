"""Image data: IDX files (Fashion-MNIST from the Debian package) and folders of images.

Nothing is downloaded: Fashion-MNIST comes from the Debian package
``dataset-fashion-mnist`` (files in ``/usr/share/datasets/fashion-mnist``),
other images from the user's folders, read with Pillow.
"""

from __future__ import annotations

import gzip
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._stacklevel import user_stacklevel
from ..exceptions import DataError

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
# Pillow modes of one gray channel (after _eight_bit), with or without alpha: a folder of them reads as "L", not as 3 equal channels
_GRAY = ("L", "1", "LA", "La")
# IDX type codes -> big-endian NumPy dtypes (http://yann.lecun.com/exdb/mnist/ format)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (gzip-compressed or raw) into an array of its shape and type.

    Layout: two zero bytes, a type code, the number of dimensions, each
    dimension as a big-endian int32, then the data.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"'{path}' is a damaged gzip file ({exc}): reinstall the data or replace the file.") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_TYPES:
        raise DataError(f"'{path}' is not an IDX file (bad magic number {raw[:4].hex() or 'empty'}): give an IDX file such as train-images-idx3-ubyte.gz.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"'{path}' has a truncated IDX header: the file is damaged.")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"'{path}' holds {len(raw) - header} data bytes but its header {shape} says {expected}: the file is truncated or damaged.")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load_fashion_mnist(path: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST as ``(X_train, y_train, X_test, y_test)``.

    Images are ``uint8`` arrays ``(N, 28, 28)`` (60,000 train, 10,000 test), labels ``int64`` 0-9 (names in
    :data:`FASHION_MNIST_CLASSES`).

    Parameters
    ----------
    path : str or PathLike, optional
        The folder holding the four IDX files (default: the Debian package ``dataset-fashion-mnist``'s folder).

    Examples
    --------
    >>> X_train, y_train, X_test, y_test = load_fashion_mnist()  # needs dataset-fashion-mnist  # doctest: +SKIP
    """
    folder = Path(path) if path is not None else FASHION_MNIST_DIR
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    files = []
    for name in names:
        found = [folder / f"{name}{ext}" for ext in (".gz", "") if (folder / f"{name}{ext}").is_file()]
        if not found:
            raise FileNotFoundError(
                f"Fashion-MNIST file {name}.gz not found in '{folder}': install the Debian package dataset-fashion-mnist "
                "(apt-get install dataset-fashion-mnist) or pass path= to a folder holding the four IDX files."
            )
        files.append(found[0])
    X_train, y_train, X_test, y_test = (read_idx(f) for f in files)
    for X, y, part in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        if X.ndim != 3 or y.ndim != 1 or X.shape[0] != y.shape[0]:
            raise DataError(f"Fashion-MNIST {part} files disagree: images {X.shape}, labels {y.shape}; the files are damaged.")
    return X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64)


def _eight_bit(picture: Any, path: Path) -> Any:
    """``picture`` with 8-bit channels: a 16-bit grayscale image (Pillow's ``I;16`` modes: medical, depth and
    microscopy PNGs and TIFFs) scaled from 0-65535 to 0-255, as torchvision's ``convert_image_dtype`` scales it.

    Pillow's own ``convert("L")`` clips such pixels at 255, so every value above 255 read as white and a dark
    16-bit scan came out as a silhouette. A 32-bit integer (``I``) or float (``F``) image has no full scale
    to map from: its pixels are taken as they are when they lie in 0-255, else it is refused, named.
    """
    from PIL import Image

    if picture.mode.startswith("I;16"):
        wide = np.asarray(picture).astype(np.uint32)
        return Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8), "L")
    if picture.mode in ("I", "F"):
        values = np.asarray(picture)
        low, high = float(values.min()), float(values.max())
        if low < 0 or high > 255:
            kind = "32-bit integer" if picture.mode == "I" else "floating-point"
            raise DataError(f"image '{path}' is {kind} ({picture.mode}) with pixels from {low:.6g} to {high:.6g}, which have no "
                            "fixed full scale to read as 0-255: save it as an 8- or 16-bit image (scaled to its full range) first.")
        return Image.fromarray(np.rint(values).astype(np.uint8), "L")
    return picture


def _image_files(root: Path) -> list[Path]:
    """The image files below ``root`` in sorted order, hidden ones left out: a name starting with ``.`` at any depth below
    ``root`` (macOS's ``._1.png`` resource forks, which Pillow cannot read; Jupyter's ``.ipynb_checkpoints`` copies,
    which became a class of their own, or a second copy of an image in its class). A linked folder is read as
    torchvision's ``ImageFolder`` reads it (``train/cat -> /data/cats``: ``Path.rglob`` left it out, so its class was
    missing), a link back up the tree once; a link to no file is refused, named."""
    files = []
    for here, folders, names in os.walk(root, followlinks=True):
        below = Path(here).relative_to(root)
        if os.path.realpath(here) in {os.path.realpath(root / up) for up in below.parents}:
            folders[:] = []  # a link to a folder above it: its images are read where they lie
            continue
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            p = Path(here) / name
            if name.startswith(".") or p.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if p.is_symlink() and not p.exists():
                raise DataError(f"image '{p}' is a link to '{os.readlink(p)}', which does not exist: remove the link or restore its file.")
            if p.is_file():
                files.append(p)
    return sorted(files)


def _warn_of_sizes(root: Path, images: list[Any], files: list[Path]) -> None:
    """One UserWarning when ``images`` (Pillow images, of ``files``) have more than one size: each is resized to the first
    file's (in sorted path order), a size no one chose, which distorted the others without a word."""
    sizes = [(im.height, im.width) for im in images]
    other = next((i for i, s in enumerate(sizes) if s != sizes[0]), None)
    if other is None:
        return
    h, w = sizes[0]
    warnings.warn(f"the images of '{root}' have {len(set(sizes))} sizes ('{files[0]}' {h} x {w} pixels, '{files[other]}' {sizes[other][0]} x "
                  f"{sizes[other][1]}, ...): each is resized to the first's, {h} x {w}; to choose the size, resize them to one first.",
                  UserWarning, stacklevel=user_stacklevel())


def load_image_folder(
    path: str | os.PathLike[str], *, size: tuple[int, int] | None = None, mode: str | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a folder of images: ``(X, y, files)``.

    One sub-folder per class (``cats/1.png``, ``dogs/7.jpg``): ``y`` is the sub-folder name; images directly in
    ``path`` get the label ``""``. ``X`` is ``uint8`` ``(N, H, W, C)``. Hidden files and folders (a name starting with
    ``.``: ``.ipynb_checkpoints``, macOS's ``._1.png``) are left out, as are files of other suffixes.

    Parameters
    ----------
    path : str or PathLike
        The folder to read.
    size : tuple of int, optional
        ``(H, W)`` in pixels every image is resized to (default: the first image's size, in sorted path order; images
        of other sizes are then named in one ``UserWarning``).
    mode : str, optional
        The Pillow mode every image is converted to (default: ``"L"`` when all are grayscale, with or without alpha,
        else ``"RGB"``).
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder '{root}' does not exist or is not a folder: give a folder with one sub-folder of images per class.")
    files = _image_files(root)
    if not files:
        raise DataError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in '{root}': put one sub-folder of images per class there.")
    images: list[Image.Image] = []
    for f in files:
        try:
            with Image.open(f) as im:
                im.load()
                images.append(_eight_bit(im.copy(), f))
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(f"cannot read image '{f}' ({type(exc).__name__}): remove or replace the file.") from None
    if mode is None:
        mode = "L" if all(im.mode in _GRAY for im in images) else "RGB"
    if size is None:
        size = (images[0].height, images[0].width)
        _warn_of_sizes(root, images, files)
    arrays = []
    for picture in images:
        img = picture.convert(mode)
        if (img.height, img.width) != tuple(size):
            img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        a = np.asarray(img, dtype=np.uint8)
        arrays.append(a[:, :, None] if a.ndim == 2 else a)
    labels = np.array([f.relative_to(root).parts[0] if len(f.relative_to(root).parts) > 1 else "" for f in files])
    return np.stack(arrays), labels, [str(f) for f in files]


__all__ = ["FASHION_MNIST_CLASSES", "FASHION_MNIST_DIR", "load_fashion_mnist", "load_image_folder", "read_idx"]
