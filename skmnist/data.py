"""Load MNIST from local files (npz or IDX), the Keras cache, or a verified download.

Nothing here imports TensorFlow or Keras: the loader only needs NumPy and the
standard library, so ``import skmnist.data`` stays fast.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import urlopen

import numpy as np
from sklearn.utils import Bunch

from ._io import atomic_write

__all__ = [
    "MNISTChecksumError",
    "MNISTFileError",
    "MNISTNotFoundError",
    "get_data_home",
    "load_mnist",
]

DATA_HOME_ENV = "SKMNIST_DATA_HOME"
BASE_URL_ENV = "SKMNIST_BASE_URL"
NPZ_NAME = "mnist.npz"
IDX_DIRNAME = "mnist-idx"

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
IDX_MIRROR_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"

# Seconds without any data before a connection is abandoned (not a total budget).
_TIMEOUT = 60
_CHUNK_SIZE = 1 << 20

# Keras key -> exact array shape; every array is uint8.
_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}


@dataclass(frozen=True)
class _IdxFile:
    key: str
    name: str
    md5: str
    sha256: str


_IDX_FILES = (
    _IdxFile(
        "x_train",
        "train-images-idx3-ubyte.gz",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    _IdxFile(
        "y_train",
        "train-labels-idx1-ubyte.gz",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    _IdxFile(
        "x_test",
        "t10k-images-idx3-ubyte.gz",
        "9fb629c4189551a2d022fa330f9573f3",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    _IdxFile(
        "y_test",
        "t10k-labels-idx1-ubyte.gz",
        "ec29112dd5afa0611ce80d1b7f02629c",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
)

DESCR = """\
MNIST handwritten digits
------------------------

70,000 grayscale images of handwritten digits 0-9, 28x28 pixels, uint8 (0-255),
centred by centre of mass: 60,000 for training (X_train (60000, 28, 28), y_train
(60000,)) and 10,000 for testing (X_test (10000, 28, 28), y_test (10000,)).
Labels are uint8 in 0..9; the ten classes are roughly balanced.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, derived from
NIST Special Databases 1 and 3. Yann LeCun and Corinna Cortes hold the copyright;
it is available under the Creative Commons Attribution-Share Alike 3.0 licence
(CC BY-SA 3.0).

References: Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
learning applied to document recognition", Proc. IEEE 86(11), 1998.
http://yann.lecun.com/exdb/mnist/
"""


class MNISTFileError(ValueError):
    """A local MNIST file is damaged or does not hold MNIST as expected."""


class MNISTChecksumError(OSError):
    """A downloaded file did not match its published checksum (nothing was kept)."""


class MNISTNotFoundError(FileNotFoundError):
    """MNIST is not on disk and could not be downloaded."""


class _FetchError(OSError):
    """A download failed for a network reason; ``str()`` is ``"<url>: <reason>"``."""


@dataclass(frozen=True)
class _Location:
    kind: str  # "npz" (a file) or "idx" (a folder holding the four IDX files)
    path: Path
    source: str  # "data_home", "keras_cache" or "download"

    def exists(self) -> bool:
        if self.kind == "npz":
            return self.path.is_file()
        return all((self.path / f.name).is_file() for f in _IDX_FILES)

    def describe(self) -> str:
        if self.kind == "npz":
            return str(self.path)
        return f"{self.path}{os.sep}<the four IDX .gz files>"


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder where skmnist looks for (and downloads) MNIST.

    In order: the ``data_home`` argument, else the ``SKMNIST_DATA_HOME``
    environment variable, else a per-user cache folder,
    ``$XDG_CACHE_HOME/skmnist`` or ``~/.cache/skmnist``. A leading ``~`` is
    expanded.

    The folder is not created here: it may be read-only, and it is only created
    when a download needs to write into it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. ``None`` means the environment variable, then the
        per-user default.

    Returns
    -------
    data_home : pathlib.Path
        The data folder, which may not exist yet.

    See Also
    --------
    load_mnist : Load MNIST from this folder, downloading it if needed.

    Examples
    --------
    >>> from skmnist import get_data_home
    >>> get_data_home("~/mnist-data").name
    'mnist-data'
    >>> "~" in str(get_data_home("~/mnist-data"))
    False
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or _default_data_home()
    return Path(data_home).expanduser()


def _default_data_home() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache).expanduser() / "skmnist"


def _keras_cache() -> Path:
    # Same rule as keras.utils.get_file: $KERAS_HOME, else ~/.keras.
    keras_home = os.environ.get("KERAS_HOME") or "~/.keras"
    return Path(keras_home).expanduser() / "datasets" / NPZ_NAME


def load_mnist(
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    base_url: str | None = None,
):
    """Load the MNIST handwritten digits (60,000 train and 10,000 test images).

    Looks, in order, for ``<data_home>/mnist.npz`` (the Keras layout); the four
    original IDX files (``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``) directly in ``data_home`` or in
    ``<data_home>/mnist-idx/``; and the Keras cache
    (``$KERAS_HOME/datasets/mnist.npz``, default ``~/.keras``). If none is
    there, downloads the data into ``data_home``.

    Every file read is checked (keys, dtypes, exact shapes, label range, IDX
    headers and payload sizes); every download is verified against published
    checksums before it is moved into place, so an interrupted or corrupted
    download never leaves a file behind that a later call would load.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to read from and download to. ``None`` means
        :func:`get_data_home` (``SKMNIST_DATA_HOME``, then ``~/.cache/skmnist``).
    download_if_missing : bool, default=True
        Whether to download the data when no local copy is found. If False,
        a missing dataset raises :class:`MNISTNotFoundError`.
    return_X_y : bool, default=False
        If True, return ``((X_train, y_train), (X_test, y_test))`` like
        ``keras.datasets.mnist.load_data()`` instead of a Bunch.
    base_url : str, default=None
        URL of a mirror folder serving the four IDX ``.gz`` files (``http://``,
        ``https://`` or ``file://``). ``None`` means the ``SKMNIST_BASE_URL``
        environment variable, else the Keras ``mnist.npz`` with the original
        IDX files from a public mirror as a fallback. Files are verified
        against the published checksums whatever the source.

    Returns
    -------
    mnist : sklearn.utils.Bunch
        Dictionary-like object with the following attributes. All arrays are
        uint8, as stored; convert and scale them in your pipeline.

        X_train : ndarray of shape (60000, 28, 28)
            Training images, pixel values 0-255.
        y_train : ndarray of shape (60000,)
            Training labels, 0-9.
        X_test : ndarray of shape (10000, 28, 28)
            Test images.
        y_test : ndarray of shape (10000,)
            Test labels.
        target_names : ndarray of shape (10,)
            The digits 0-9.
        DESCR : str
            Description of the dataset, its licence and its authors.
        filename : str
            The npz file read, or the folder holding the IDX files read.
        source : {"data_home", "keras_cache", "download"}
            Where the data came from.

    (X_train, y_train), (X_test, y_test) : tuple of tuples of ndarray
        If ``return_X_y`` is True.

    Raises
    ------
    MNISTNotFoundError
        If the data is neither on disk nor downloadable. The message lists every
        place searched and every URL tried, with the reason each failed.
    MNISTChecksumError
        If a download did not match its checksum (nothing is written).
    MNISTFileError
        If a local file is damaged or is not MNIST. Delete or replace it.

    See Also
    --------
    get_data_home : Where the data is looked for.

    Notes
    -----
    MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, under
    the CC BY-SA 3.0 licence.

    Examples
    --------
    >>> from skmnist import load_mnist
    >>> mnist = load_mnist()
    >>> mnist.X_train.shape, mnist.X_train.dtype
    ((60000, 28, 28), dtype('uint8'))
    >>> mnist.y_train[:5]
    array([5, 0, 4, 1, 9], dtype=uint8)
    >>> (X_train, y_train), (X_test, y_test) = load_mnist(return_X_y=True)
    >>> X_test.shape, y_test.shape
    ((10000, 28, 28), (10000,))
    """
    home = get_data_home(data_home)
    candidates = _candidates(home)
    location = next((c for c in candidates if c.exists()), None)
    if location is None:
        if not download_if_missing:
            raise MNISTNotFoundError(_not_found_message(home, candidates, []))
        location = _download(home, candidates, base_url)

    arrays = (
        _read_npz(location.path)
        if location.kind == "npz"
        else _read_idx_folder(location.path)
    )
    if return_X_y:
        return (arrays["x_train"], arrays["y_train"]), (
            arrays["x_test"],
            arrays["y_test"],
        )
    return Bunch(
        X_train=arrays["x_train"],
        y_train=arrays["y_train"],
        X_test=arrays["x_test"],
        y_test=arrays["y_test"],
        target_names=np.arange(10),
        DESCR=DESCR,
        filename=str(location.path),
        source=location.source,
    )


def _candidates(home: Path) -> list[_Location]:
    return [
        _Location("npz", home / NPZ_NAME, "data_home"),
        _Location("idx", home, "data_home"),
        _Location("idx", home / IDX_DIRNAME, "data_home"),
        _Location("npz", _keras_cache(), "keras_cache"),
    ]


# --- reading and validating ----------------------------------------------------------


def _bad_file(path: Path, problem: str) -> MNISTFileError:
    return MNISTFileError(
        f"MNIST file {str(path)!r} is damaged or not MNIST: {problem}. Delete it so "
        "that it is downloaded again, or replace it with a good copy."
    )


def _check_array(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    expected = _SHAPES[key]
    if array.dtype != np.uint8 or array.shape != expected:
        raise _bad_file(
            path,
            f"{key} has dtype {array.dtype} and shape {array.shape}, expected uint8 "
            f"and {expected}",
        )
    if key.startswith("y") and array.max(initial=0) > 9:
        raise _bad_file(path, f"{key} holds label {array.max()}, expected 0..9")
    return array


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise _bad_file(path, f"cannot open it as .npz ({exc})") from exc
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise _bad_file(path, "it holds a single .npy array, not an .npz archive")
    with npz:
        missing = sorted(set(_SHAPES) - set(npz.files))
        if missing:
            raise _bad_file(
                path, f"missing arrays {missing}; it holds {sorted(npz.files)}"
            )
        try:
            arrays = {key: npz[key] for key in _SHAPES}
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
            raise _bad_file(path, f"cannot read its arrays ({exc})") from exc
    return {key: _check_array(path, key, array) for key, array in arrays.items()}


def _read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    return {
        f.key: _check_array(folder / f.name, f.key, _read_idx(folder / f.name, f.key))
        for f in _IDX_FILES
    }


def _read_idx(path: Path, key: str) -> np.ndarray:
    shape = _SHAPES[key]
    # IDX header: magic 0x0000 08 <ndim> (08 = unsigned byte) then each dimension,
    # all big-endian uint32.
    expected_header = (0x0800 + len(shape), *shape)
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read(4 * len(expected_header))
            header = np.frombuffer(raw, dtype=">u4", count=len(raw) // 4)
            header = tuple(header.tolist())
            if header != expected_header:
                raise _bad_file(
                    path,
                    f"IDX header (magic, dims) is {header}, expected {expected_header}",
                )
            # Read straight into the result: no intermediate bytes copy, writable.
            array = np.empty(shape, dtype=np.uint8)
            n_read = _readinto_fully(file, memoryview(array.reshape(-1)))
            if n_read != array.nbytes or file.read(1):
                extra = "" if n_read != array.nbytes else " and more"
                raise _bad_file(
                    path,
                    f"payload has {n_read}{extra} bytes, the header promises "
                    f"{array.nbytes}",
                )
    except MNISTFileError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise _bad_file(path, f"cannot decompress it ({exc})") from exc
    return array


def _readinto_fully(file, buffer: memoryview) -> int:
    total = 0
    while total < len(buffer):
        n = file.readinto(buffer[total:])
        if not n:
            break
        total += n
    return total


# --- downloading ---------------------------------------------------------------------


def _download(home: Path, candidates: list[_Location], base_url: str | None):
    """Try each source in turn; return the location of the first one that works."""
    base_url = base_url or os.environ.get(BASE_URL_ENV) or None
    if base_url is not None:
        _check_base_url(base_url)
        sources = [lambda: _download_idx(home, base_url)]
    else:
        sources = [lambda: _download_keras_npz(home), lambda: _download_idx(home)]

    failures: list[OSError] = []
    for fetch in sources:
        try:
            location = fetch()
        except OSError as exc:  # network, checksum, or data home not writable
            failures.append(exc)
            continue
        if failures:
            warnings.warn(
                f"Downloaded MNIST from a fallback source; first failed: {failures[0]}",
                stacklevel=3,
            )
        return location

    checksum_failures = [f for f in failures if isinstance(f, MNISTChecksumError)]
    if checksum_failures:
        others = [f for f in failures if f is not checksum_failures[0]]
        message = _not_found_message(home, candidates, others, checksum_failures[0])
        raise MNISTChecksumError(message)
    raise MNISTNotFoundError(_not_found_message(home, candidates, failures))


def _check_base_url(base_url: str) -> None:
    if urlsplit(base_url).scheme not in {"http", "https", "file"}:
        raise ValueError(
            f"base_url (or ${BASE_URL_ENV}) must be an http://, https:// or file:// "
            f"URL of a folder serving the four MNIST IDX .gz files, got {base_url!r}."
        )


def _download_keras_npz(home: Path) -> _Location:
    dest = home / NPZ_NAME
    _fetch(KERAS_URL, dest, {"sha256": KERAS_SHA256})
    return _Location("npz", dest, "download")


def _download_idx(home: Path, base_url: str | None = None) -> _Location:
    base_url = (base_url or IDX_MIRROR_URL).rstrip("/")
    folder = home / IDX_DIRNAME
    for f in _IDX_FILES:
        _fetch(
            f"{base_url}/{f.name}", folder / f.name, {"md5": f.md5, "sha256": f.sha256}
        )
    return _Location("idx", folder, "download")


def _fetch(url: str, dest: Path, digests: dict[str, str]) -> None:
    """Download ``url`` to ``dest`` if the digests match; otherwise write nothing."""
    if dest.is_file() and _file_digests(dest, digests) == digests:
        return  # left by an earlier, partly successful download: already verified
    try:
        with urlopen(url, timeout=_TIMEOUT) as response:
            # Only now, with a server answering, is a folder worth creating.
            dest.parent.mkdir(parents=True, exist_ok=True)
            _stream_verified(url, response, dest, digests)
    except (_FetchError, MNISTChecksumError):
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise _FetchError(f"{url}: {_reason(exc)}") from exc


def _stream_verified(url, response, dest: Path, digests: dict[str, str]) -> None:
    """Copy ``response`` into ``dest`` via a ``.part`` file kept only if verified."""
    hashes = {name: hashlib.new(name, usedforsecurity=False) for name in digests}
    with atomic_write(dest) as out:
        expected_size = response.headers.get("Content-Length")
        size = 0
        while chunk := response.read(_CHUNK_SIZE):
            out.write(chunk)
            for h in hashes.values():
                h.update(chunk)
            size += len(chunk)
        # http.client returns b"" rather than raising when the peer closes early.
        if expected_size is not None and size != int(expected_size):
            raise _FetchError(
                f"{url}: connection closed after {size} of {expected_size} bytes"
            )
        actual = {name: h.hexdigest() for name, h in hashes.items()}
        if actual != digests:
            raise MNISTChecksumError(_checksum_message(url, dest, digests, actual))


def _file_digests(path: Path, digests: dict[str, str]) -> dict[str, str]:
    hashes = {name: hashlib.new(name, usedforsecurity=False) for name in digests}
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK_SIZE):
            for h in hashes.values():
                h.update(chunk)
    return {name: h.hexdigest() for name, h in hashes.items()}


def _checksum_message(url, dest, expected, actual) -> str:
    diffs = "; ".join(
        f"{name} expected {expected[name]}, got {actual[name]}"
        for name in expected
        if expected[name] != actual[name]
    )
    return (
        f"Checksum mismatch for {url}: {diffs}. Nothing was saved as "
        f"{str(dest)!r}. The download or the mirror is corrupt; retry, or use "
        f"another mirror (base_url= or ${BASE_URL_ENV})."
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, URLError):
        return str(exc.reason)
    return f"{type(exc).__name__}: {exc}"


def _not_found_message(
    home: Path,
    candidates: list[_Location],
    failures: list[OSError],
    headline: object = None,
) -> str:
    if headline is None:
        why = "the download failed" if failures else "download_if_missing=False"
        headline = f"MNIST not found in data home {str(home)!r} ({why})."
    looked = "; ".join(c.describe() for c in candidates)
    tried = "".join(f" Tried {str(f).rstrip('.')}." for f in failures)
    return (
        f"{headline} Looked for: {looked}.{tried} To fix: set ${DATA_HOME_ENV} or "
        f"pass data_home= to a folder holding {NPZ_NAME} or the four IDX files "
        f"({', '.join(f.name for f in _IDX_FILES)}), or set base_url= or "
        f"${BASE_URL_ENV} to a mirror serving the IDX files."
    )
