"""Files every stage writes: atomic writes, JSON that keeps non-finite floats, and
the model-file container (safetensors tensors + one JSON metadata document).

Low in the import order on purpose: data loaders, the lens report, the search
result, model files and the CLI all write through :func:`atomic_write_bytes`,
so a crash or Ctrl-C never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from ._meta import BASE_FORMAT_VERSION, FORMAT, META_KEY, UNREADABLE, parse_metadata
from .exceptions import ModelFileError

_NONFINITE = "__nonfinite_float__"


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars as Python ones and non-finite floats tagged, ready for ``json.dumps``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return {_NONFINITE: repr(value)}  # JSON has no literal for inf/nan; tagged, so a string "nan" stays a string
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def unjson(value: Any) -> Any:
    """The inverse of :func:`jsonable`: tagged non-finite floats back to floats."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_NONFINITE), str):
        return float(value[_NONFINITE])
    if isinstance(value, list):
        return [unjson(v) for v in value]
    if isinstance(value, dict):
        return {k: unjson(v) for k, v in value.items()}
    return value


def _file_mode(path: Path) -> int:
    """The mode a plain ``open(path, "w")`` would leave: the old file's, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


#: errno values that mean the storage, not the program, refused a write: the start and the fix of its one-line message
DISK_ERRORS = {
    errno.ENOSPC: ("no space left on the device", "free some space or choose another output path"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or choose another output path"),
    errno.EFBIG: ("file too large for the file system", "choose an output path on another file system"),
    errno.EROFS: ("read-only file system", "choose an output path on a writable file system"),
    errno.EIO: ("input/output error (a failing disk or a lost network mount)", "check the disk, or choose another output path"),
}


def disk_error(exc: OSError, path: Path) -> OSError:
    """``exc`` as one sentence naming ``path`` and the fix where the disk refused the write (:data:`DISK_ERRORS`); else ``exc``.

    Why: a full disk surfaced as ``[Errno 28] No space left on device`` with no file named (the temp file's
    write raised it), read as a crash; what the user must know is which output, that nothing was replaced, and what to do.
    """
    if exc.errno not in DISK_ERRORS:
        return exc
    reason, fix = DISK_ERRORS[exc.errno]
    return OSError(exc.errno, f"{reason} while writing '{path}': nothing was written there (an old file is as it was); {fix}.", str(path))


def check_writable(path: str | os.PathLike[str], *, what: str = "the output") -> Path:
    """``path`` as a :class:`~pathlib.Path` once it is somewhere a file can be written atomically.

    Its folder must exist (a mistyped folder is an error, not created:
    :class:`FileNotFoundError`), and anything already at ``path`` must be a
    regular file: the atomic rename would replace a device node, FIFO or socket
    (``/dev/null`` as root) with a plain file, so those are a
    :class:`FileExistsError` (a folder: :class:`IsADirectoryError`). ``what`` names the path in the message (``"--out"``).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"folder '{path.parent}' does not exist: create it first or choose another output path", str(path.parent))
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return path
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, f"'{path}' is a folder: give a file name for {what}.", str(path))
    if not stat.S_ISREG(mode):
        raise FileExistsError(errno.EEXIST, f"'{path}' is not a regular file (a device, FIFO or socket): choose a file path for {what}.", str(path))
    return path


def write_problem(folder: str | os.PathLike[str]) -> str | None:
    """Why no file can be created in ``folder`` (the system's reason: ``"Read-only file system"``), or None: tried with a nameless
    temporary file, which nothing else sees and which is gone when closed.

    Why tried, not read from the permissions: ``os.access`` passes root everywhere, and says nothing of a read-only mount.
    Checked before any work, as every output is: a read-only folder was refused only when the file was written, after the
    whole prune, search or fit it was to hold (the error then naming a temporary file).
    """
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``.

    The folder must exist and ``path``, if it exists, must be a regular file
    (:func:`check_writable`).
    """
    atomic_write_files({path: data})


def atomic_write_files(files: dict[str | os.PathLike[str], bytes]) -> None:
    """Write several files together: every one to a temp file beside it, then all renamed into place.

    Nothing is renamed until every temp file is written, so a failure (a full
    disk, Ctrl-C) leaves every old file as it was and no temp file behind. New
    files get the mode ``open(path, "w")`` would give them (the umask), and
    replaced files keep theirs. The temp files are unnamed while written (:func:`_open_temp`),
    so even a kill -9 or the OOM killer during a large save leaves no file behind.
    """
    paths = {check_writable(_through_link(p)): data for p, data in files.items()}
    staged: list[tuple[int, str | None, Path]] = []
    path = next(iter(paths), Path())
    try:
        for path, data in paths.items():
            staged.append((*_write_temp(path, data), path))
        for fd, name, path in staged:
            _publish(fd, name, path)
    except BaseException as exc:
        for _fd, name, _ in staged:
            _discard(name)
        if isinstance(exc, OSError) and exc.errno in DISK_ERRORS:
            raise disk_error(exc, path) from None
        raise
    finally:
        for fd, _, _ in staged:
            os.close(fd)


@contextlib.contextmanager
def atomic_stream(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file to write ``path`` piece by piece, atomically: a temp file beside it, renamed onto ``path`` on leaving.

    For output too large to hold in memory (``predict DIR --out``). An exception (or Ctrl-C) inside
    the block removes the temp file and leaves ``path`` as it was (a kill -9 too, where the temp file is unnamed:
    :func:`_open_temp`); the new file gets the mode ``open(path, "w")`` would give it, as :func:`atomic_write_bytes`'s do.
    """
    target = check_writable(_through_link(path))
    try:
        fd, name = _open_temp(target)
    except OSError as exc:
        raise disk_error(exc, target) from None
    try:
        os.fchmod(fd, _file_mode(target))
        with os.fdopen(fd, "wb", closefd=False) as fh:
            yield fh
            fh.flush()
        os.fsync(fd)
        _publish(fd, name, target)
    except BaseException as exc:
        _discard(name)
        if isinstance(exc, OSError) and exc.errno in DISK_ERRORS:
            raise disk_error(exc, target) from None
        raise
    finally:
        os.close(fd)


def _through_link(path: str | os.PathLike[str]) -> Path:
    """The file a symlink ``path`` points to (at any depth, resolved as ``open`` would), else ``path``.

    Why: the rename replaced the link itself with a plain file, so ``current.safetensors -> v3.safetensors``
    stopped being a link and v3 kept the old model; ``open(path, "w")`` writes where the link points, and so do we.
    """
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _open_temp(path: Path) -> tuple[int, str | None]:
    """A new file in ``path``'s folder, open for writing: ``(fd, None)`` unnamed (Linux's ``O_TMPFILE``), else ``(fd, name)``, mkstemp's.

    Why unnamed: a process killed while it writes (kill -9, the OOM killer, a lost session) cannot
    remove a named temp file, and hidden ``.model.safetensors.*.tmp`` files of a model's size piled up
    beside the outputs; an unnamed file vanishes with the process. It gets a name only for the rename
    (:func:`_publish`). File systems or kernels without ``O_TMPFILE`` (and systems without ``/proc``) use mkstemp.
    """
    flag = getattr(os, "O_TMPFILE", 0)
    if flag and os.path.isdir("/proc/self/fd"):
        try:
            return os.open(path.parent, flag | os.O_RDWR, 0o600), None  # RDWR: a named copy can read it back
        except OSError as exc:  # the kernel (EISDIR) or the file system (EOPNOTSUPP) lacks it; a full disk is raised
            if exc.errno not in (errno.EISDIR, errno.EOPNOTSUPP, errno.EINVAL):
                raise
    return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)


def _publish(fd: int, name: str | None, path: Path) -> None:
    """Rename the written temp file ``fd`` onto ``path``; an unnamed one gets a fresh temp name first (:func:`_name_unnamed`)."""
    if name is None:
        name = _name_unnamed(fd, path)
        try:
            os.replace(name, path)
        except BaseException:
            _discard(name)
            raise
    else:
        os.replace(name, path)


def _name_unnamed(fd: int, path: Path) -> str:
    """A hidden temp name beside ``path`` for the unnamed file ``fd``: a hard link through ``/proc/self/fd`` (linkat with
    AT_SYMLINK_FOLLOW, as open(2) shows; ``dst_dir_fd`` makes Python call linkat, its plain link() does not follow),
    else, where linking is refused (a sandbox), a named copy of its bytes."""
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        while True:
            name = f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=folder, follow_symlinks=True)
                return str(path.parent / name)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno in DISK_ERRORS:
                    raise
                break
    finally:
        os.close(folder)
    copy, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(copy, os.fstat(fd).st_mode & 0o7777)
        with os.fdopen(copy, "wb", closefd=False) as out:
            while chunk := os.pread(fd, 1 << 20, out.tell()):
                out.write(chunk)
        os.fsync(copy)
    except BaseException:
        _discard(name)
        raise
    finally:
        os.close(copy)
    return name


def _discard(name: str | None) -> None:
    """Remove the named temp file ``name`` if it is still there (an unnamed one, None, needs nothing)."""
    if name is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _write_temp(path: Path, data: bytes) -> tuple[int, str | None]:
    """A synced temp file holding ``data`` in ``path``'s folder, with the mode ``path`` should get: :func:`_open_temp`'s pair, still open."""
    fd, name = _open_temp(path)
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp and O_TMPFILE make 0600; keep what open() would give
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(data)
            fh.flush()
        os.fsync(fd)
    except BaseException:
        _discard(name)
        os.close(fd)
        raise
    return fd, name


def write_model_file(path: str | os.PathLike[str], estimator: str, body: dict[str, Any], tensors: dict[str, Any],
                     version: int = BASE_FORMAT_VERSION) -> None:
    """Write ``tensors`` (name -> torch tensor) and one JSON document (the format
    header, ``estimator`` and ``body``) to ``path`` as safetensors, atomically.

    ``version``: the format version the file claims (:data:`hiddenlayers._meta.FORMAT_VERSION`): the base one, which every
    hiddenlayers reads, unless an older reader must refuse the file rather than misread it."""
    from safetensors.torch import save as st_save

    from . import __version__

    meta = {"format": FORMAT, "format_version": version, "library_version": __version__, "estimator": estimator, **body}
    blob = st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata={META_KEY: json.dumps(jsonable(meta), allow_nan=False)})
    atomic_write_bytes(path, blob)


def check_tensors(path: str | os.PathLike[str], tensors: dict[str, Any], expected: dict[str, Any]) -> None:
    """Refuse a tensor of a model file whose kind differs from the freshly built model's (``expected``: name -> tensor) or that holds NaN/inf.

    Why: ``load_state_dict`` casts what it is given, so a file altered to int32 weights loaded and predicted
    0 for every row, and NaN or infinite weights loaded and predicted NaN or inf. A float tensor must be
    float32 or float64 (what ``save`` writes; a float32 weight read into a float64 model is exact); names
    and shapes are the caller's check. A tensor the fresh model holds non-finite (a mask) is not checked for NaN/inf.
    """
    import torch

    for key, want in expected.items():
        got = tensors.get(key)
        if got is None:
            continue
        floating = got.is_floating_point()
        if floating != want.is_floating_point() or (floating and got.dtype not in (torch.float32, torch.float64)):
            raise ModelFileError(f"'{path}' tensor {key!r} is {str(got.dtype).removeprefix('torch.')} but the model's is "
                                 f"{str(want.dtype).removeprefix('torch.')}: the file was altered; copy or save it again.")
        if floating and bool(torch.isfinite(want).all()) and not bool(torch.isfinite(got).all()):
            raise ModelFileError(f"'{path}' tensor {key!r} holds NaN or infinite values, so every prediction would be NaN or infinite: "
                                 "the file was altered or damaged; copy or save it again.")


def built_for_file(path: str | os.PathLike[str], build: Callable[[], Any], tensors: dict[str, Any]) -> Any:
    """``build()`` (the ``torch.nn.Module`` a model file's JSON describes), made only once its parameters and buffers are exactly
    ``tensors`` (name -> tensor, the file's) by name and shape; else a :class:`ModelFileError` naming the first difference.

    Why: the JSON sets the sizes of the network, and the network was built (allocated and initialised) before the
    file's tensors were compared with it, so a file altered to claim 10**9 hidden units took gigabytes of memory (or
    the machine's last) before it was refused. The module is first built on PyTorch's meta device, which records
    shapes and allocates nothing; only a network the file's own tensors fill is built for real, so loading a file
    takes about the memory its tensors do. The meta build stops as soon as it has made far more parameters than the
    file holds (:func:`_few_parameters`): a recurrent layer altered to 10**12 stacked layers was built one by one, for
    ever. Kinds and values are :func:`check_tensors`' to judge.
    """
    import torch

    with torch.device("meta"), _few_parameters(path, len(tensors)):
        expected = build().state_dict()
    for key, want in expected.items():  # in layer order: the first layer whose size was changed is the one named
        got = tensors.get(key)
        if got is not None and tuple(got.shape) != tuple(want.shape):
            raise ModelFileError(f"'{path}' tensor {key!r} has shape {tuple(got.shape)} but its architecture needs "
                                 f"{tuple(want.shape)}: the file was altered.")
    missing, unexpected = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise ModelFileError(f"'{path}' tensors do not match its architecture (missing {missing[:3]}, unexpected {unexpected[:3]}): the file was altered.")
    return build()


def inconsistent_contents(path: str | os.PathLike[str], exc: BaseException) -> str:
    """The one line for a model file whose contents failed to load with ``exc`` (edited JSON, a size PyTorch cannot make):
    the error's first line, at most 200 characters.

    Why: PyTorch's C++ errors carry their stack after the first line ("Exception raised from THPUtils_unpackLong at ...
    frame #0: c10::Error::Error(...)"): a layer of 2**63 units in an MLP file gave a 2,174-character message.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    exc : BaseException
        What its load raised.
    """
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"'{path}' has inconsistent contents ({type(exc).__name__}: {first}); the file was altered or is damaged."


@contextlib.contextmanager
def _few_parameters(path: str | os.PathLike[str], held: int) -> Iterator[None]:
    """Inside: a :class:`ModelFileError` as soon as this thread has registered more module parameters than a file of ``held``
    tensors can fill (twice as many, plus 8: a parameter replaced while built counts again), so a network described as
    endless stops being built at once. Other threads' modules are not counted (a server loading two models)."""
    from torch.nn.modules.module import register_module_parameter_registration_hook

    limit, made, thread = 2 * held + 8, [0], threading.get_ident()

    def count(module: Any, name: str, param: Any) -> None:
        if threading.get_ident() == thread:
            made[0] += 1
            if made[0] > limit:
                raise ModelFileError(f"'{path}' describes a network of more than {limit} weight tensors, but the file holds {held}: "
                                     "the file was altered.")

    handle = register_module_parameter_registration_hook(count)
    try:
        yield
    finally:
        handle.remove()


#: the suffixes of the tables and arrays the commands read as data (read_table's formats; before a .gz too: a compressed CSV): such
#: a file given as the model is the user's data, most often the two paths swapped (`hiddenlayers predict data.csv model.safetensors`)
#: Parquet's magic, a Parquet file's first and last 4 bytes: ``PAR1``, or ``PARE`` where its footer is encrypted (the one
#: list every check of "is this Parquet?" reads: a piped table's first bytes, a glob's file, a footer's digest, a model path)
PARQUET_MAGICS = (b"PAR1", b"PARE")


def is_parquet_magic(four: bytes) -> bool:
    """Whether ``four`` (a file's first or last 4 bytes, or any bytes that start so) is Parquet's magic, plain or encrypted."""
    return four.startswith(PARQUET_MAGICS)


DATA_SUFFIXES = frozenset({".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".npy", ".npz"})


def foreign_format(path: str | os.PathLike[str]) -> str | None:
    """What a file that is no safetensors file looks like (a data table, ONNX, a pickle, a zip such as ``torch.save``'s), and what reads it;
    None: unknown.

    Why: "of another format" left the user guessing which, and what to do with an
    .onnx file or a pickled estimator handed to ``load`` (a pickle is never opened: unpickling runs code).
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
    if not head:
        return "it is empty (0 bytes: a save or copy that never finished?): copy or save it again."
    if len(head) >= 3 and head[0] == 0x80 and (head[1] in (2, 3) or (head[1] in (4, 5) and head[2] == 0x95)):  # PROTO n (FRAME)
        return ("it is a Python pickle, which is never loaded (unpickling runs code): "
                "save the fitted model with its .save(path) to a .safetensors file, and load that.")
    name = Path(path).name.lower()
    suffix = Path(name.removesuffix(".gz")).suffix  # data.csv.gz is data; model.safetensors.gz is a compressed model, not data
    if suffix in DATA_SUFFIXES or is_parquet_magic(head) or head.startswith(b"\x93NUM"):  # Parquet's and NumPy's magic
        return ("it is a data file, not a model: a command takes the model file first (hiddenlayers predict MODEL DATA), and a model "
                "file is the .safetensors file that `hiddenlayers train --out` or .save(path) writes.")
    if head.startswith(b"PK\x03\x04"):
        return ("it is a zip archive (a torch.save checkpoint?): read a checkpoint with torch.load(path, weights_only=True); "
                "a hiddenlayers model file is written by .save(path).")
    # ONNX's protobuf opens with ir_version (field 1, a small varint), then producer_name, opset_import or graph
    if Path(path).suffix.lower() == ".onnx" or (len(head) >= 3 and head[0] == 0x08 and 3 <= head[1] <= 20 and head[2] in (0x12, 0x3A, 0x42)):
        return ("it looks like an ONNX file: run it with hl.ship.OnnxModel(path) or `hiddenlayers predict FILE.onnx`, "
                "which read .onnx files; load() reads .safetensors model files.")
    return None


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata of a model file, validated, without loading tensors.

    Parameters
    ----------
    path : str or PathLike
        The ``.safetensors`` model file.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file '{path}' does not exist: check the path, or train one with `hiddenlayers train`.")
    if path.is_dir():
        raise ModelFileError(f"'{path}' is a folder, not a model file: give the path of a .safetensors file.")
    try:
        with safe_open(str(path), framework="np") as fh:  # "np": the header alone, without importing PyTorch ("pt" imports it)
            raw = fh.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise ModelFileError(
            f"'{path}' is not a readable safetensors model file ({type(exc).__name__}): "
            + (foreign_format(path) or UNREADABLE)
        ) from None
    return parse_metadata(raw.get(META_KEY), path, ModelFileError)
