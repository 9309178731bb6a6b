"""One description per dataset, one reader and fetcher for all of them.

A dataset in the IDX format (MNIST, Fashion-MNIST, ...) is data about files: their
names, the arrays they hold, checksums of their content, mirrors, a description and a
licence. :class:`IdxDataset` holds that description; :func:`load_idx_dataset` turns any
description into a :class:`~sklearn.utils.Bunch`, finding the files on disk or
downloading and verifying them. A new dataset in this format is a new description and
a three-line loader, not new code.

Nothing here imports TensorFlow or Keras: only NumPy and the standard library.
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

from .._io import atomic_write

__all__ = [
    "DatasetChecksumError",
    "DatasetFileError",
    "DatasetNotFoundError",
    "IdxDataset",
    "IdxFile",
    "RemoteNpz",
    "get_data_home",
    "load_idx_dataset",
]

DATA_HOME_ENV = "SKMNIST_DATA_HOME"

# Seconds without any data before a connection is abandoned (not a total budget).
_TIMEOUT = 60
_CHUNK_SIZE = 1 << 20
# The four arrays every dataset provides, in the Keras ``load_data()`` order.
_KEYS = ("x_train", "y_train", "x_test", "y_test")
# IDX magic number: 0x00 0x00, type 0x08 (unsigned byte), then the number of dims.
_IDX_UBYTE = 0x0800


# --- errors --------------------------------------------------------------------------


class DatasetFileError(ValueError):
    """A local dataset file is damaged or does not hold the dataset as expected."""


class DatasetChecksumError(OSError):
    """A downloaded file did not match its published checksum (nothing was kept)."""


class DatasetNotFoundError(FileNotFoundError):
    """The dataset is not on disk and could not be downloaded."""


class _FetchError(OSError):
    """A download failed for a network reason; ``str()`` is ``"<url>: <reason>"``."""


# --- descriptions --------------------------------------------------------------------


@dataclass(frozen=True)
class IdxFile:
    """One gzip-compressed IDX file of a dataset.

    Parameters
    ----------
    key : {"x_train", "y_train", "x_test", "y_test"}
        The array the file holds (the Keras ``load_data()`` names).
    name : str
        The file name, e.g. ``"train-images-idx3-ubyte.gz"``.
    shape : tuple of int
        The exact shape of the array; every array is uint8.
    sha256 : str
        SHA-256 of the *decompressed* content (the IDX header and the pixels or
        labels). It is what is verified, so a recompressed copy passes and any
        change of content fails; the same checksum verifies the array when it is
        read from an ``.npz`` file.
    md5 : str, default=None
        The published MD5 of the original ``.gz`` file, for information (a
        recompressed copy has another one).
    """

    key: str
    name: str
    shape: tuple[int, ...]
    sha256: str
    md5: str | None = None

    @property
    def header(self) -> bytes:
        """The IDX header of the file: magic number then dimensions, big-endian."""
        dims = (_IDX_UBYTE + len(self.shape), *self.shape)
        return np.asarray(dims, dtype=">u4").tobytes()


@dataclass(frozen=True)
class RemoteNpz:
    """A single ``.npz`` file holding the four arrays, as Keras distributes MNIST.

    Parameters
    ----------
    name : str
        File name in the data home and in the Keras cache, e.g. ``"mnist.npz"``.
    url : str
        Where to download it from.
    sha256 : str
        SHA-256 of the file itself, verified after download.
    """

    name: str
    url: str
    sha256: str


@dataclass(frozen=True)
class IdxDataset:
    """Description of an image dataset stored as four IDX files.

    Parameters
    ----------
    name : str
        Human name, used in messages, e.g. ``"Fashion-MNIST"``.
    folder : str
        Sub-folder of the data home that holds the IDX files, and that downloads
        go to, e.g. ``"fashion-mnist"``.
    files : tuple of IdxFile
        The four files, one for each of ``x_train``, ``y_train``, ``x_test``,
        ``y_test``.
    target_names : tuple
        The class names, in label order; labels must lie in
        ``0 .. len(target_names) - 1``.
    description : str
        The ``DESCR`` text: what the data is, its authors, licence and citation.
    licence : str
        The licence, in short (e.g. ``"MIT"``).
    mirrors : tuple of str, default=()
        Base URLs of folders serving the IDX files, tried in order.
    base_url_env : str, default=None
        Environment variable naming a mirror that replaces ``mirrors``.
    npz : RemoteNpz, default=None
        A single-file copy, looked for in the data home and downloaded before the
        mirrors are tried.
    keras_cache : str, default=None
        Path under ``$KERAS_HOME/datasets`` where Keras caches the dataset: an
        ``.npz`` file or a folder of IDX files.
    system_folders : tuple of str, default=()
        Folders where a system package installs the IDX files.
    loose_in_data_home : bool, default=False
        Whether the IDX files may also sit directly in the data home.
    install_hint : str, default=""
        One more way to get the data, added to the not-found message.
    file_error, checksum_error, not_found_error : type, default=the generic classes
        The exception classes raised (subclasses of :class:`DatasetFileError`,
        :class:`DatasetChecksumError` and :class:`DatasetNotFoundError`).

    Examples
    --------
    >>> from skmnist.datasets import MNIST
    >>> MNIST.name, MNIST.folder, len(MNIST.files)
    ('MNIST', 'mnist-idx', 4)
    >>> MNIST.files[1].name, MNIST.files[1].shape
    ('train-labels-idx1-ubyte.gz', (60000,))
    """

    name: str
    folder: str
    files: tuple[IdxFile, ...]
    target_names: tuple
    description: str
    licence: str
    mirrors: tuple[str, ...] = ()
    base_url_env: str | None = None
    npz: RemoteNpz | None = None
    keras_cache: str | None = None
    system_folders: tuple[str, ...] = ()
    loose_in_data_home: bool = False
    install_hint: str = ""
    file_error: type = DatasetFileError
    checksum_error: type = DatasetChecksumError
    not_found_error: type = DatasetNotFoundError

    def __post_init__(self):
        keys = sorted(f.key for f in self.files)
        if keys != sorted(_KEYS):
            raise ValueError(
                f"An IdxDataset needs one file for each of {list(_KEYS)}; "
                f"{self.name} has {keys}."
            )

    def file(self, key: str) -> IdxFile:
        """The :class:`IdxFile` holding array ``key`` (e.g. ``"x_train"``)."""
        return next(f for f in self.files if f.key == key)


# --- where the data is looked for ----------------------------------------------------


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder where skmnist looks for (and downloads) its datasets.

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
    load_fashion_mnist : The same for Fashion-MNIST.

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


def _keras_datasets() -> Path:
    # Same rule as keras.utils.get_file: $KERAS_HOME, else ~/.keras.
    keras_home = os.environ.get("KERAS_HOME") or "~/.keras"
    return Path(keras_home).expanduser() / "datasets"


@dataclass(frozen=True)
class _Location:
    kind: str  # "npz" (a file) or "idx" (a folder holding the IDX files)
    path: Path
    source: str  # "data_home", "keras_cache", "system" or "download"

    def exists(self, dataset: IdxDataset) -> bool:
        if self.kind == "npz":
            return self.path.is_file()
        return all((self.path / f.name).is_file() for f in dataset.files)

    def describe(self, dataset: IdxDataset) -> str:
        if self.kind == "npz":
            return str(self.path)
        return f"{self.path}{os.sep}<the {len(dataset.files)} IDX .gz files>"


def _candidates(dataset: IdxDataset, home: Path) -> list[_Location]:
    places = []
    if dataset.npz is not None:
        places.append(_Location("npz", home / dataset.npz.name, "data_home"))
    if dataset.loose_in_data_home:
        places.append(_Location("idx", home, "data_home"))
    places.append(_Location("idx", home / dataset.folder, "data_home"))
    if dataset.keras_cache is not None:
        kind = "npz" if dataset.keras_cache.endswith(".npz") else "idx"
        places.append(
            _Location(kind, _keras_datasets() / dataset.keras_cache, "keras_cache")
        )
    places.extend(_Location("idx", Path(p), "system") for p in dataset.system_folders)
    return places


# --- the loader ----------------------------------------------------------------------


def load_idx_dataset(
    dataset: IdxDataset,
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    base_url: str | None = None,
):
    """Load any dataset described by an :class:`IdxDataset`.

    Looks in the data home (``<name>.npz`` when the dataset has one, then the
    IDX files in ``<data_home>/<folder>/``), Keras's cache, and the system
    folders, in that order; if none holds the data, downloads it into the data
    home (the ``.npz`` first when there is one, then the IDX files from each
    mirror in turn). Every array read is checked (dtype, exact shape, label range,
    IDX header and payload size) and verified by the SHA-256 of its content; every
    download is verified before it is moved into place.

    :func:`skmnist.load_mnist` and :func:`skmnist.load_fashion_mnist` are this
    function with their description; their docstrings describe the parameters.

    Parameters
    ----------
    dataset : IdxDataset
        What to load.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download_if_missing : bool, default=True
        Whether to download the data when no local copy is found.
    return_X_y : bool, default=False
        If True, return ``((X_train, y_train), (X_test, y_test))``.
    base_url : str, default=None
        A mirror folder serving the IDX files; replaces the dataset's mirrors.

    Returns
    -------
    data : sklearn.utils.Bunch or tuple
        ``X_train``, ``y_train``, ``X_test``, ``y_test``, ``target_names``,
        ``DESCR``, ``filename`` and ``source``; or the nested tuple when
        ``return_X_y`` is True.

    Examples
    --------
    >>> from skmnist.datasets import MNIST, load_idx_dataset
    >>> (X_train, y_train), _ = load_idx_dataset(MNIST, return_X_y=True)
    >>> X_train.shape
    (60000, 28, 28)
    """
    home = get_data_home(data_home)
    candidates = _candidates(dataset, home)
    location = next((c for c in candidates if c.exists(dataset)), None)
    if location is None:
        if not download_if_missing:
            raise dataset.not_found_error(
                _not_found_message(dataset, home, candidates, [])
            )
        location = _download(dataset, home, candidates, base_url)

    if location.kind == "npz":
        arrays = _read_npz(dataset, location.path)
    else:
        arrays = _read_idx_folder(dataset, location.path)
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
        target_names=np.asarray(dataset.target_names),
        DESCR=dataset.description,
        filename=str(location.path),
        source=location.source,
    )


# --- reading and validating ----------------------------------------------------------


def _bad_file(dataset: IdxDataset, path: Path, problem: str) -> DatasetFileError:
    return dataset.file_error(
        f"{dataset.name} file {str(path)!r} is damaged or not {dataset.name}: "
        f"{problem}. Delete it so that it is downloaded again, or replace it with a "
        "good copy."
    )


def _check_array(dataset, path: Path, spec: IdxFile, array: np.ndarray) -> np.ndarray:
    """Check dtype, shape, labels and the content checksum of one array."""
    if array.dtype != np.uint8 or array.shape != spec.shape:
        raise _bad_file(
            dataset,
            path,
            f"{spec.key} has dtype {array.dtype} and shape {array.shape}, expected "
            f"uint8 and {spec.shape}",
        )
    n_classes = len(dataset.target_names)
    if spec.key.startswith("y") and array.max(initial=0) >= n_classes:
        raise _bad_file(
            dataset,
            path,
            f"{spec.key} holds label {array.max()}, expected 0..{n_classes - 1}",
        )
    digest = hashlib.sha256(spec.header)
    digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    if digest.hexdigest() != spec.sha256:
        raise _bad_file(
            dataset,
            path,
            f"the content of {spec.key} differs from the published data (sha256 of "
            f"its IDX content is {digest.hexdigest()}, expected {spec.sha256})",
        )
    return array


def _read_npz(dataset: IdxDataset, path: Path) -> dict[str, np.ndarray]:
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise _bad_file(dataset, path, f"cannot open it as .npz ({exc})") from exc
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise _bad_file(
            dataset, path, "it holds a single .npy array, not an .npz archive"
        )
    with npz:
        missing = sorted(set(_KEYS) - set(npz.files))
        if missing:
            raise _bad_file(
                dataset, path, f"missing arrays {missing}; it holds {sorted(npz.files)}"
            )
        try:
            arrays = {key: npz[key] for key in _KEYS}
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
            raise _bad_file(dataset, path, f"cannot read its arrays ({exc})") from exc
    return {
        key: _check_array(dataset, path, dataset.file(key), array)
        for key, array in arrays.items()
    }


def _read_idx_folder(dataset: IdxDataset, folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for spec in dataset.files:
        path = folder / spec.name
        arrays[spec.key] = _check_array(
            dataset, path, spec, _read_idx(dataset, path, spec)
        )
    return arrays


def _read_idx(dataset: IdxDataset, path: Path, spec: IdxFile) -> np.ndarray:
    expected = np.frombuffer(spec.header, dtype=">u4").tolist()
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read(len(spec.header))
            header = np.frombuffer(raw, dtype=">u4", count=len(raw) // 4).tolist()
            if header != expected:
                raise _bad_file(
                    dataset,
                    path,
                    f"IDX header (magic, dims) is {tuple(header)}, expected "
                    f"{tuple(expected)}",
                )
            # Read straight into the result: no intermediate bytes copy, writable.
            array = np.empty(spec.shape, dtype=np.uint8)
            n_read = _readinto_fully(file, memoryview(array.reshape(-1)))
            if n_read != array.nbytes or file.read(1):
                extra = "" if n_read != array.nbytes else " and more"
                raise _bad_file(
                    dataset,
                    path,
                    f"payload has {n_read}{extra} bytes, the header promises "
                    f"{array.nbytes}",
                )
    except DatasetFileError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise _bad_file(dataset, path, f"cannot decompress it ({exc})") from exc
    return array


def _readinto_fully(file, buffer: memoryview) -> int:
    total = 0
    while total < len(buffer):
        n = file.readinto(buffer[total:])
        if not n:
            break
        total += n
    return total


# --- verifying downloads -------------------------------------------------------------


class _FileSha256:
    """SHA-256 of a file's bytes (for single-file downloads such as Keras's npz)."""

    def __init__(self, expected: str):
        self._expected = expected
        self._hash = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def problem(self) -> str | None:
        actual = self._hash.hexdigest()
        if actual == self._expected:
            return None
        return f"sha256 expected {self._expected}, got {actual}"


class _GzipContentSha256:
    """SHA-256 of the decompressed content of a gzip stream fed in chunks.

    The raw bytes' MD5 is kept for the message only: a recompressed copy of the
    same content has another MD5 and is just as good.
    """

    def __init__(self, spec: IdxFile):
        self._spec = spec
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._content = hashlib.sha256()
        self._inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
        self._error: str | None = None

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        if self._error is None:
            try:
                self._inflate(chunk)
            except zlib.error as exc:
                self._error = f"it is not a valid gzip file ({exc})"

    def _inflate(self, data: bytes) -> None:
        while data:
            if self._inflater.eof:  # a gzip file may hold several members
                self._inflater = zlib.decompressobj(wbits=31)
            # Bounded output per step: a hostile file cannot fill the memory.
            out = self._inflater.decompress(data, _CHUNK_SIZE)
            self._content.update(out)
            if self._inflater.eof:
                data = self._inflater.unused_data
            elif self._inflater.unconsumed_tail:
                data = self._inflater.unconsumed_tail
            elif len(out) == _CHUNK_SIZE:
                data = b""  # more output may be pending: drain it
                while len(out := self._inflater.decompress(b"", _CHUNK_SIZE)):
                    self._content.update(out)
            else:
                data = b""

    def problem(self) -> str | None:
        if self._error is None and not self._inflater.eof:
            self._error = "its gzip stream is truncated"
        md5 = self._md5.hexdigest()
        published = (
            f" (published .gz md5 {self._spec.md5}, this file's {md5})"
            if self._spec.md5
            else ""
        )
        if self._error is not None:
            return f"{self._error}; sha256 of the content expected {self._spec.sha256}"
        actual = self._content.hexdigest()
        if actual == self._spec.sha256:
            return None
        return (
            f"sha256 of the decompressed content expected {self._spec.sha256}, got "
            f"{actual}{published}"
        )


# --- downloading ---------------------------------------------------------------------


def _download(dataset: IdxDataset, home: Path, candidates, base_url: str | None):
    """Try each source in turn; return the location of the first one that works."""
    env = dataset.base_url_env
    base_url = base_url or (os.environ.get(env) if env else None) or None
    if base_url is not None:
        _check_base_url(dataset, base_url)
        sources = [lambda: _download_idx(dataset, home, base_url)]
    else:
        sources = []
        if dataset.npz is not None:
            sources.append(lambda: _download_npz(dataset, home))
        sources.extend(
            (lambda m=mirror: _download_idx(dataset, home, m))
            for mirror in dataset.mirrors
        )

    failures: list[OSError] = []
    for fetch in sources:
        try:
            location = fetch()
        except OSError as exc:  # network, checksum, or data home not writable
            failures.append(exc)
            continue
        if failures:
            warnings.warn(
                f"Downloaded {dataset.name} from a fallback source; first failed: "
                f"{failures[0]}",
                stacklevel=4,
            )
        return location

    checksum_failures = [f for f in failures if isinstance(f, DatasetChecksumError)]
    if checksum_failures:
        others = [f for f in failures if f is not checksum_failures[0]]
        message = _not_found_message(
            dataset, home, candidates, others, checksum_failures[0]
        )
        raise dataset.checksum_error(message)
    raise dataset.not_found_error(
        _not_found_message(dataset, home, candidates, failures)
    )


def _check_base_url(dataset: IdxDataset, base_url: str) -> None:
    if urlsplit(base_url).scheme not in {"http", "https", "file"}:
        env = f" (or ${dataset.base_url_env})" if dataset.base_url_env else ""
        raise ValueError(
            f"base_url{env} must be an http://, https:// or file:// URL of a folder "
            f"serving the {len(dataset.files)} {dataset.name} IDX .gz files, got "
            f"{base_url!r}."
        )


def _download_npz(dataset: IdxDataset, home: Path) -> _Location:
    dest = home / dataset.npz.name
    _fetch(dataset, dataset.npz.url, dest, lambda: _FileSha256(dataset.npz.sha256))
    return _Location("npz", dest, "download")


def _download_idx(dataset: IdxDataset, home: Path, base_url: str) -> _Location:
    base_url = base_url.rstrip("/")
    folder = home / dataset.folder
    for spec in dataset.files:
        _fetch(
            dataset,
            f"{base_url}/{spec.name}",
            folder / spec.name,
            lambda spec=spec: _GzipContentSha256(spec),
        )
    return _Location("idx", folder, "download")


def _fetch(dataset: IdxDataset, url: str, dest: Path, verifier) -> None:
    """Download ``url`` to ``dest`` if it verifies; otherwise write nothing."""
    if dest.is_file() and _verify_file(dest, verifier()) is None:
        return  # left by an earlier, partly successful download: already verified
    try:
        with urlopen(url, timeout=_TIMEOUT) as response:
            # Only now, with a server answering, is a folder worth creating.
            dest.parent.mkdir(parents=True, exist_ok=True)
            _stream_verified(dataset, url, response, dest, verifier())
    except (_FetchError, DatasetChecksumError):
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise _FetchError(f"{url}: {_reason(exc)}") from exc


def _stream_verified(dataset, url, response, dest: Path, verifier) -> None:
    """Copy ``response`` into ``dest`` via a ``.part`` file kept only if verified."""
    with atomic_write(dest) as out:
        expected_size = response.headers.get("Content-Length")
        size = 0
        while chunk := response.read(_CHUNK_SIZE):
            out.write(chunk)
            verifier.update(chunk)
            size += len(chunk)
        # http.client returns b"" rather than raising when the peer closes early.
        if expected_size is not None and size != int(expected_size):
            raise _FetchError(
                f"{url}: connection closed after {size} of {expected_size} bytes"
            )
        problem = verifier.problem()
        if problem is not None:
            env = dataset.base_url_env
            where = f"base_url= or ${env}" if env else "base_url="
            raise dataset.checksum_error(
                f"Checksum mismatch for {url}: {problem}. Nothing was saved as "
                f"{str(dest)!r}. The download or the mirror is corrupt; retry, or "
                f"use another mirror ({where})."
            )


def _verify_file(path: Path, verifier) -> str | None:
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK_SIZE):
            verifier.update(chunk)
    return verifier.problem()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, URLError):
        return str(exc.reason)
    return f"{type(exc).__name__}: {exc}"


def _not_found_message(
    dataset: IdxDataset,
    home: Path,
    candidates: list[_Location],
    failures: list[OSError],
    headline: object = None,
) -> str:
    if headline is None:
        why = "the download failed" if failures else "download_if_missing=False"
        headline = f"{dataset.name} not found in data home {str(home)!r} ({why})."
    looked = "; ".join(c.describe(dataset) for c in candidates)
    tried = "".join(f" Tried {str(f).rstrip('.')}." for f in failures)
    names = ", ".join(f.name for f in dataset.files)
    where = "directly or in" if dataset.loose_in_data_home else "in"
    holding = f"the IDX files ({names}) {where} {dataset.folder}/"
    if dataset.npz is not None:
        holding = f"{dataset.npz.name}, or {holding}"
    env = dataset.base_url_env
    mirror = f"base_url= or ${env}" if env else "base_url="
    return (
        f"{headline} Looked for: {looked}.{tried} To fix: set ${DATA_HOME_ENV} or "
        f"pass data_home= to a folder holding {holding}; or set {mirror} to a mirror "
        f"serving the IDX files{dataset.install_hint}."
    )
