"""Small file-system helpers shared by the loaders and the model savers."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_path", "atomic_write"]

# Read once at import: os.umask can only be read by setting it, which would race with
# other threads creating files if done on every call.
_UMASK = os.umask(0)
os.umask(_UMASK)

_WRITE_MODES = frozenset({"w", "wt", "wb"})


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike,
    mode: str = "wb",
    *,
    encoding: str | None = None,
    newline: str | None = None,
    fsync: bool = True,
) -> Iterator[IO]:
    """Write a file all at once, or not at all.

    Yields a file object opened on a temporary file in the same directory as
    ``path`` (named ``<name>.<random>.part``). When the ``with`` block ends
    normally, the data is flushed (and fsynced), then the temporary file is
    renamed onto ``path`` with :func:`os.replace`, which is atomic. When the
    block raises anything, including :class:`KeyboardInterrupt`, the temporary
    file is deleted and ``path`` is left exactly as it was.

    Readers therefore only ever see the old file or the complete new one, never
    a half-written one, even if the process dies mid-write.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace. Its directory must exist.
    mode : {"wb", "w", "wt"}, default="wb"
        Binary or text mode, as for :func:`open`.
    encoding : str, default=None
        Text encoding, for text modes only.
    newline : str, default=None
        Newline translation, for text modes only.
    fsync : bool, default=True
        Whether to fsync the file (and, on POSIX, its directory) so the new
        content survives a power loss. Turn off only for throw-away files.

    Yields
    ------
    file : file object
        The open temporary file. Do not close it yourself.

    Raises
    ------
    ValueError
        If ``mode`` is not a write mode listed above.

    Notes
    -----
    A new file gets the usual permissions (``0o666`` minus the umask); a
    replaced file keeps the permissions of the file it replaces.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skmnist._io import atomic_write
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_write(folder / "hello.txt", "w", encoding="utf-8") as f:
    ...     _ = f.write("hello")
    >>> (folder / "hello.txt").read_text(encoding="utf-8")
    'hello'
    >>> sorted(p.name for p in folder.iterdir())  # no temporary file left behind
    ['hello.txt']
    """
    if mode not in _WRITE_MODES:
        raise ValueError(
            f"atomic_write() mode must be one of {sorted(_WRITE_MODES)}, got {mode!r}."
        )
    path = Path(path)
    text_options = {} if "b" in mode else {"encoding": encoding, "newline": newline}
    with _replace_on_success(path, ".part", fsync=fsync) as (fd, _):
        with os.fdopen(fd, mode, **text_options) as file:
            yield file
            file.flush()
            if fsync:
                os.fsync(file.fileno())


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, *, suffix: str = ".part", fsync: bool = True
) -> Iterator[Path]:
    """Give a writer that wants a file name its file, all at once or not at all.

    The sibling of :func:`atomic_write` for libraries that write by name (such
    as Keras's ``model.save``, which insists on a ``.keras`` suffix): yields the
    name of a new, empty temporary file in the same directory as ``path``
    (``<name>.<random><suffix>``). When the ``with`` block ends normally, the
    temporary file is fsynced and renamed onto ``path``; when it raises, the
    temporary file is deleted and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace. Its directory must exist.
    suffix : str, default=".part"
        End of the temporary file's name, for writers that check it.
    fsync : bool, default=True
        As for :func:`atomic_write`.

    Yields
    ------
    tmp_path : pathlib.Path
        The temporary file to write (it exists, empty; overwrite it).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skmnist._io import atomic_path
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "model.keras", suffix=".keras") as tmp:
    ...     _ = tmp.write_text("weights", encoding="utf-8")
    >>> sorted(p.name for p in folder.iterdir())
    ['model.keras']
    """
    path = Path(path)
    with _replace_on_success(path, suffix, fsync=fsync) as (fd, tmp_name):
        os.close(fd)
        yield Path(tmp_name)
        if fsync:
            _fsync_file(tmp_name)


@contextlib.contextmanager
def _replace_on_success(path: Path, suffix: str, *, fsync: bool):
    """A temporary file beside ``path`` (fd, name): renamed onto it, or deleted.

    The one place skmnist replaces a file: a new file gets the usual permissions
    (not mkstemp's 0o600), a replaced one keeps its own.
    """
    file_mode = _permissions_for(path)
    fd, tmp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f"{path.name}.", suffix=suffix
    )
    try:
        yield fd, tmp_name
        os.chmod(tmp_name, file_mode)  # mkstemp creates 0o600
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    if fsync:
        _fsync_directory(path.parent)


def _permissions_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def _fsync_file(name: str) -> None:
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
