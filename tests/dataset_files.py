"""Helpers for the dataset tests: write IDX and npz files, serve them on 127.0.0.1.

Nothing here depends on files outside the test's own temporary folders.
"""

import contextlib
import functools
import gzip
import hashlib
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from skmnist.datasets import IdxDataset, IdxFile

KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def idx_content(array):
    """The uncompressed IDX bytes of a uint8 array: header, then the data."""
    dims = np.asarray([0x0800 + array.ndim, *array.shape], dtype=">u4")
    return dims.tobytes() + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path, array, *, compresslevel=1, mtime=0):
    """Write ``array`` as a gzip-compressed IDX file; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        gzip.compress(idx_content(array), compresslevel=compresslevel, mtime=mtime)
    )
    return path


def write_raw_idx(path, magic_and_dims, payload):
    """Write an IDX file with any header and payload (to make damaged files)."""
    header = np.asarray(magic_and_dims, dtype=">u4").tobytes()
    Path(path).write_bytes(gzip.compress(header + bytes(payload), mtime=0))
    return Path(path)


def write_idx_folder(folder, arrays, names=IDX_NAMES, **kwargs):
    """Write the four arrays (a dict keyed like ``KEYS``) as IDX files in ``folder``."""
    for key in KEYS:
        write_idx(Path(folder) / names[key], arrays[key], **kwargs)
    return Path(folder)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def md5_of_file(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def describe(name, arrays, **fields):
    """An IdxDataset whose checksums are computed from ``arrays`` by the test."""
    files = tuple(
        IdxFile(
            key,
            IDX_NAMES[key],
            arrays[key].shape,
            sha256=sha256(idx_content(arrays[key])),
            md5=None,
        )
        for key in KEYS
    )
    return IdxDataset(
        name=name,
        files=files,
        description=f"{name}: test data written by the test suite.",
        licence="CC0",
        **fields,
    )


def tiny_arrays(seed=0):
    """Five 4x4 training images and three test images, labels in 0..2."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(5, 4, 4), dtype=np.uint8),
        "y_train": np.array([0, 1, 2, 1, 0], dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8),
        "y_test": np.array([2, 0, 1], dtype=np.uint8),
    }


def bunch_arrays(bunch):
    return {
        "x_train": bunch.X_train,
        "y_train": bunch.y_train,
        "x_test": bunch.X_test,
        "y_test": bunch.y_test,
    }


def part_files(folder):
    return sorted(p.name for p in Path(folder).rglob("*.part*"))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class HalfFileHandler(QuietHandler):
    """Announces the full Content-Length, sends half the bytes, then hangs up."""

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        payload = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.close_connection = True


@contextlib.contextmanager
def serve(directory, handler=QuietHandler):
    """Serve ``directory`` over HTTP on 127.0.0.1; yield its base URL."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url(path="mirror/"):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"
