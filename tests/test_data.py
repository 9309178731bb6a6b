import contextlib
import functools
import gzip
import os
import re
import socket
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import skmnist
from skmnist import data as data_module
from skmnist._io import atomic_write
from skmnist.data import (
    MNISTChecksumError,
    MNISTFileError,
    MNISTNotFoundError,
    get_data_home,
    load_mnist,
)

IDX_NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """Keep a real ~/.keras cache or mirror setting from making a test pass."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home-empty"))
    monkeypatch.delenv("SKMNIST_BASE_URL", raising=False)


@pytest.fixture
def idx_dir(shared_data_dir):
    return shared_data_dir / "mnist-idx"


def link_files(src_dir, dest_dir, names=IDX_NAMES):
    dest_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dest_dir / name).symlink_to(src_dir / name)
    return dest_dir


def part_files(folder):
    return sorted(p.name for p in Path(folder).rglob("*.part*"))


def assert_same_arrays(bunch, reference):
    for key in ["X_train", "y_train", "X_test", "y_test"]:
        assert_array_equal(bunch[key], reference[key])


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


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


# --- loading the real data ---------------------------------------------------------


def test_load_shared_npz(mnist, shared_data_dir):
    assert mnist.X_train.shape == (60000, 28, 28)
    assert mnist.y_train.shape == (60000,)
    assert mnist.X_test.shape == (10000, 28, 28)
    assert mnist.y_test.shape == (10000,)
    for key in ["X_train", "y_train", "X_test", "y_test"]:
        assert mnist[key].dtype == np.uint8
    assert mnist.y_train[0] == 5 and mnist.y_train[1] == 0 and mnist.y_test[0] == 7
    assert np.bincount(mnist.y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.y_test).tolist() == TEST_COUNTS
    assert_array_equal(mnist.target_names, np.arange(10))
    assert "CC BY-SA 3.0" in mnist.DESCR and "LeCun" in mnist.DESCR
    assert mnist.filename == str(shared_data_dir / "mnist.npz")
    assert mnist.source == "data_home"


def test_return_X_y_matches_keras_layout(mnist):
    (X_train, y_train), (X_test, y_test) = load_mnist(return_X_y=True)
    assert (X_train.shape, y_train.shape) == ((60000, 28, 28), (60000,))
    assert (X_test.shape, y_test.shape) == ((10000, 28, 28), (10000,))
    assert_array_equal(y_test, mnist.y_test)


@pytest.mark.parametrize("subdir", ["", "mnist-idx"])
def test_idx_files_alone_give_the_npz_arrays(tmp_path, idx_dir, mnist, subdir):
    folder = link_files(idx_dir, tmp_path / subdir)
    bunch = load_mnist(data_home=tmp_path, download_if_missing=False)
    assert bunch.filename == str(folder)
    assert_same_arrays(bunch, mnist)
    assert bunch.X_train.flags.writeable and bunch.X_train.dtype == np.uint8


# --- where the data is looked for --------------------------------------------------


def test_get_data_home_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("SKMNIST_DATA_HOME", str(tmp_path / "from-env"))
    assert get_data_home(tmp_path / "param") == tmp_path / "param"
    assert get_data_home() == tmp_path / "from-env"

    monkeypatch.delenv("SKMNIST_DATA_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_data_home() == tmp_path / "xdg" / "skmnist"

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == tmp_path / "home" / ".cache" / "skmnist"
    assert get_data_home("~/mnist") == tmp_path / "home" / "mnist"
    assert not any(tmp_path.iterdir()), "get_data_home must not create folders"


def test_data_home_parameter_beats_env_in_load_mnist(tmp_path):
    # SKMNIST_DATA_HOME points at the real data (conftest); the parameter wins.
    empty = tmp_path / "empty"
    with pytest.raises(MNISTNotFoundError, match=re.escape(str(empty))):
        load_mnist(data_home=empty, download_if_missing=False)


def test_keras_cache_is_reused(monkeypatch, tmp_path, shared_data_dir, mnist):
    keras_home = tmp_path / "keras"
    link_files(shared_data_dir, keras_home / "datasets", ["mnist.npz"])
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    data_home = tmp_path / "not-created"

    bunch = load_mnist(data_home=data_home, download_if_missing=False)

    assert bunch.source == "keras_cache"
    assert bunch.filename == str(keras_home / "datasets" / "mnist.npz")
    assert_array_equal(bunch.y_train, mnist.y_train)
    assert not data_home.exists(), "reading must not create the data home"


def test_not_found_without_download_lists_places(tmp_path):
    with pytest.raises(MNISTNotFoundError) as excinfo:
        load_mnist(data_home=tmp_path, download_if_missing=False)
    message = str(excinfo.value)
    assert "download_if_missing=False" in message
    assert str(tmp_path / "mnist.npz") in message
    assert str(tmp_path / "mnist-idx") in message
    assert "keras-home-empty" in message
    assert "SKMNIST_DATA_HOME" in message


# --- downloading -------------------------------------------------------------------


def test_download_verifies_caches_and_then_works_offline(tmp_path, idx_dir, mnist):
    data_home = tmp_path / "home"
    with serve(idx_dir) as url:
        bunch = load_mnist(data_home=data_home, base_url=url)
    assert bunch.source == "download"
    assert_same_arrays(bunch, mnist)
    assert sorted(p.name for p in (data_home / "mnist-idx").iterdir()) == sorted(
        IDX_NAMES
    )
    assert part_files(data_home) == []

    offline = load_mnist(data_home=data_home, download_if_missing=False)
    assert offline.source == "data_home"
    assert offline.filename == str(data_home / "mnist-idx")
    assert_same_arrays(offline, mnist)


def test_download_checksum_mismatch_keeps_nothing(tmp_path, idx_dir):
    mirror = link_files(idx_dir, tmp_path / "mirror", IDX_NAMES[:3])
    tampered = bytearray((idx_dir / IDX_NAMES[3]).read_bytes())
    tampered[100] ^= 0xFF
    (mirror / IDX_NAMES[3]).write_bytes(bytes(tampered))
    data_home = tmp_path / "home"

    with serve(mirror) as url, pytest.raises(MNISTChecksumError) as excinfo:
        load_mnist(data_home=data_home, base_url=url)

    message = str(excinfo.value)
    assert message.startswith(f"Checksum mismatch for {url}{IDX_NAMES[3]}")
    assert "ec29112dd5afa0611ce80d1b7f02629c" in message  # the expected md5
    assert "Nothing was saved" in message
    assert not (data_home / "mnist-idx" / IDX_NAMES[3]).exists()
    assert part_files(data_home) == []
    with pytest.raises(MNISTNotFoundError):
        load_mnist(data_home=data_home, download_if_missing=False)


def test_interrupted_download_keeps_nothing(tmp_path, idx_dir):
    data_home = tmp_path / "home"
    with serve(idx_dir, HalfFileHandler) as url:
        with pytest.raises(MNISTNotFoundError, match="connection closed after"):
            load_mnist(data_home=data_home, base_url=url)
    assert part_files(data_home) == []
    assert not (data_home / "mnist-idx" / IDX_NAMES[0]).exists()
    with pytest.raises(MNISTNotFoundError):
        load_mnist(data_home=data_home, download_if_missing=False)


def test_offline_error_says_where_it_looked_and_how_to_fix(tmp_path, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv("SKMNIST_BASE_URL", url)
    data_home = tmp_path / "home"

    with pytest.raises(MNISTNotFoundError) as excinfo:
        load_mnist(data_home=data_home)

    message = str(excinfo.value)
    assert isinstance(excinfo.value, OSError)
    assert message.startswith(f"MNIST not found in data home {str(data_home)!r}")
    assert "\n" not in message
    assert f"{url}train-images-idx3-ubyte.gz" in message
    assert "refused" in message.lower()
    for hint in ["SKMNIST_DATA_HOME", "data_home=", "base_url=", "SKMNIST_BASE_URL"]:
        assert hint in message
    assert not data_home.exists(), "a failed connection must not create folders"


def test_default_sources_fall_back_to_idx_mirror(monkeypatch, tmp_path, idx_dir):
    # The shared mnist.npz is content-identical to the Keras file but its bytes are
    # not, so it fails the Keras sha256 and the loader must fall back.
    server_root = tmp_path / "server"
    link_files(idx_dir.parent, server_root, ["mnist.npz"])
    link_files(idx_dir, server_root / "mnist")
    data_home = tmp_path / "home"
    with serve(server_root) as url:
        monkeypatch.setattr(data_module, "KERAS_URL", f"{url}mnist.npz")
        monkeypatch.setattr(data_module, "IDX_MIRROR_URL", f"{url}mnist/")
        with pytest.warns(UserWarning, match="fallback.*sha256 expected 731c5ac6"):
            bunch = load_mnist(data_home=data_home)
    assert bunch.source == "download"
    assert not (data_home / "mnist.npz").exists()
    assert part_files(data_home) == []


def test_base_url_must_be_a_url(tmp_path):
    with pytest.raises(ValueError, match="127.0.0.1:8000"):
        load_mnist(data_home=tmp_path, base_url="127.0.0.1:8000")


# --- damaged files -----------------------------------------------------------------


def write_idx(path, magic_and_dims, payload):
    header = np.asarray(magic_and_dims, dtype=">u4").tobytes()
    path.write_bytes(gzip.compress(header + bytes(payload)))


def truncated_npz(home, shared):
    (home / "mnist.npz").write_bytes((shared / "mnist.npz").read_bytes()[:100_000])
    return home / "mnist.npz", "cannot open it as .npz"


def wrong_shape_npz(home, shared):
    small = {"x_train": np.zeros((100, 28, 28), np.uint8)}
    small |= {"y_train": np.zeros(100, np.uint8)}
    small |= {"x_test": np.zeros((10000, 28, 28), np.uint8)}
    small |= {"y_test": np.zeros(10000, np.uint8)}
    np.savez(home / "mnist.npz", **small)
    return home / "mnist.npz", r"shape \(100, 28, 28\), expected uint8 and \(60000"


def missing_key_npz(home, shared):
    np.savez(home / "mnist.npz", x_train=np.zeros((2, 28, 28)), y_train=[0, 1])
    return home / "mnist.npz", r"missing arrays \['x_test', 'y_test'\]"


def float_npz(home, shared):
    arrays = {"x_train": np.zeros((2, 28, 28), np.float32)}
    arrays |= {"y_train": np.zeros(60000, np.uint8)}
    arrays |= {"x_test": np.zeros((10000, 28, 28), np.uint8)}
    arrays |= {"y_test": np.zeros(10000, np.uint8)}
    np.savez(home / "mnist.npz", **arrays)
    return home / "mnist.npz", "x_train has dtype float32"


def truncated_idx(home, shared):
    link_files(shared / "mnist-idx", home, IDX_NAMES[:3])
    data = (shared / "mnist-idx" / IDX_NAMES[3]).read_bytes()
    (home / IDX_NAMES[3]).write_bytes(data[: len(data) // 2])
    return home / IDX_NAMES[3], "cannot decompress"


def wrong_magic_idx(home, shared):
    link_files(shared / "mnist-idx", home, IDX_NAMES[:3])
    write_idx(home / IDX_NAMES[3], [2051, 10000], np.zeros(10000, np.uint8))
    return home / IDX_NAMES[3], r"header .* is \(2051, 10000\), expected \(2049, 10000"


def trailing_bytes_idx(home, shared):
    link_files(shared / "mnist-idx", home, IDX_NAMES[:3])
    write_idx(home / IDX_NAMES[3], [2049, 10000], np.zeros(10001, np.uint8))
    return home / IDX_NAMES[3], "payload has 10000 and more bytes"


def bad_label_idx(home, shared):
    link_files(shared / "mnist-idx", home, IDX_NAMES[:3])
    write_idx(home / IDX_NAMES[3], [2049, 10000], np.full(10000, 10, np.uint8))
    return home / IDX_NAMES[3], "label 10, expected 0..9"


@pytest.mark.parametrize(
    "damage",
    [
        truncated_npz,
        wrong_shape_npz,
        missing_key_npz,
        float_npz,
        truncated_idx,
        wrong_magic_idx,
        trailing_bytes_idx,
        bad_label_idx,
    ],
)
def test_damaged_file_raises_naming_it(tmp_path, shared_data_dir, damage):
    bad_path, problem = damage(tmp_path, shared_data_dir)
    with pytest.raises(MNISTFileError, match=problem) as excinfo:
        load_mnist(data_home=tmp_path, download_if_missing=False)
    assert isinstance(excinfo.value, ValueError)
    assert repr(str(bad_path)) in str(excinfo.value)
    assert "Delete it" in str(excinfo.value)


# --- atomic_write ------------------------------------------------------------------


def test_atomic_write_creates_and_replaces(tmp_path):
    target = tmp_path / "model.bin"
    with atomic_write(target) as f:
        f.write(b"first")
        assert not target.exists(), "the target appears only when the block ends"
    target.chmod(0o640)
    with atomic_write(target, "w", encoding="utf-8") as f:
        f.write("second")
    assert target.read_text(encoding="utf-8") == "second"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_failure_leaves_original_untouched(tmp_path, error):
    target = tmp_path / "model.bin"
    target.write_bytes(b"original")
    with pytest.raises(error):
        with atomic_write(target) as f:
            f.write(b"half-written")
            raise error()
    assert target.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_atomic_write_rejects_non_write_modes(tmp_path):
    with pytest.raises(ValueError, match="'ab'"):
        with atomic_write(tmp_path / "x", "ab"):
            pass


# --- import cost -------------------------------------------------------------------


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, skmnist.data; "
        "assert not {'tensorflow', 'keras'} & set(sys.modules), 'heavy import'"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(skmnist.__file__).parent.parent)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
