"""The dataset reader and fetcher, on small files each test writes itself, and MNIST.

A tiny test-only dataset (5 training and 3 test images of 4x4 pixels, checksums
computed here) exercises the shared code: reading npz and IDX files, the Keras cache,
downloading from a local HTTP server, verification, fallbacks and every error.
Tests on real MNIST get it through ``load_mnist()`` (the session ``mnist`` fixture)
and write it out themselves when they need files.
"""

import dataclasses
import gzip
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from dataset_files import (
    IDX_NAMES,
    KEYS,
    HalfFileHandler,
    bunch_arrays,
    closed_port_url,
    describe,
    idx_content,
    md5_of_file,
    part_files,
    serve,
    sha256,
    tiny_arrays,
    write_idx,
    write_idx_folder,
    write_raw_idx,
)
from numpy.testing import assert_array_equal

import skmnist
from skmnist import datasets as data_module
from skmnist._io import atomic_write
from skmnist.datasets import (
    MNIST,
    DatasetChecksumError,
    DatasetFileError,
    DatasetNotFoundError,
    IdxDataset,
    RemoteNpz,
    get_data_home,
    load_idx_dataset,
    load_mnist,
)
from skmnist.datasets._base import _GzipContentSha256

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
NAMES = [IDX_NAMES[key] for key in KEYS]

TINY_ARRAYS = tiny_arrays()
TINY = describe(
    "Tiny",
    TINY_ARRAYS,
    folder="tiny-idx",
    target_names=("zero", "one", "two"),
    base_url_env="SKMNIST_TINY_BASE_URL",
    keras_cache="tiny.npz",
    loose_in_data_home=True,
)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """Keep a real ~/.keras cache or mirror setting from making a test pass."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home-empty"))
    for name in ["SKMNIST_BASE_URL", "SKMNIST_TINY_BASE_URL"]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mirror(tmp_path):
    """A folder holding the tiny dataset's four IDX files."""
    return write_idx_folder(tmp_path / "mirror", TINY_ARRAYS)


def write_npz(path, arrays, **savez_kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        np.savez(file, **arrays, **savez_kwargs)
    return path


def with_npz(path, url="http://127.0.0.1:9/tiny.npz"):
    """TINY with a single-file copy whose checksum is that of ``path``."""
    npz = RemoteNpz(Path(path).name, url, sha256(Path(path).read_bytes()))
    return dataclasses.replace(TINY, npz=npz)


def assert_tiny(bunch):
    for key in KEYS:
        assert_array_equal(bunch_arrays(bunch)[key], TINY_ARRAYS[key])
        assert bunch_arrays(bunch)[key].dtype == np.uint8
    assert_array_equal(bunch.target_names, ["zero", "one", "two"])
    assert bunch.DESCR.startswith("Tiny")


# --- reading local files -------------------------------------------------------------


def test_npz_in_data_home(tmp_path):
    path = write_npz(tmp_path / "tiny.npz", TINY_ARRAYS)
    bunch = load_idx_dataset(with_npz(path), data_home=tmp_path)
    assert_tiny(bunch)
    assert (bunch.filename, bunch.source) == (str(path), "data_home")


@pytest.mark.parametrize("subdir", ["", "tiny-idx"])
def test_idx_files_in_both_layouts(tmp_path, subdir):
    folder = write_idx_folder(tmp_path / subdir, TINY_ARRAYS)
    bunch = load_idx_dataset(TINY, data_home=tmp_path, download_if_missing=False)
    assert_tiny(bunch)
    assert (bunch.filename, bunch.source) == (str(folder), "data_home")
    assert bunch.X_train.flags.writeable


def test_loose_files_are_ignored_unless_the_dataset_allows_them(tmp_path):
    write_idx_folder(tmp_path, TINY_ARRAYS)
    strict = dataclasses.replace(TINY, loose_in_data_home=False)
    with pytest.raises(DatasetNotFoundError, match="in tiny-idx/"):
        load_idx_dataset(strict, data_home=tmp_path, download_if_missing=False)


def test_return_X_y_is_the_keras_layout(tmp_path):
    write_idx_folder(tmp_path, TINY_ARRAYS)
    (X_train, y_train), (X_test, y_test) = load_idx_dataset(
        TINY, data_home=tmp_path, return_X_y=True
    )
    assert_array_equal(X_train, TINY_ARRAYS["x_train"])
    assert_array_equal(y_test, TINY_ARRAYS["y_test"])
    assert (X_test.shape, y_train.shape) == ((3, 4, 4), (5,))


def test_keras_cache_is_reused_without_creating_the_data_home(tmp_path, monkeypatch):
    keras_home = tmp_path / "keras"
    path = write_npz(keras_home / "datasets" / "tiny.npz", TINY_ARRAYS)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    data_home = tmp_path / "not-created"

    bunch = load_idx_dataset(TINY, data_home=data_home, download_if_missing=False)

    assert (bunch.filename, bunch.source) == (str(path), "keras_cache")
    assert_tiny(bunch)
    assert not data_home.exists(), "reading must not create the data home"


def test_system_folder_comes_after_the_data_home(tmp_path):
    system = write_idx_folder(tmp_path / "usr-share", TINY_ARRAYS)
    dataset = dataclasses.replace(TINY, system_folders=(str(system),))
    bunch = load_idx_dataset(dataset, data_home=tmp_path / "home")
    assert (bunch.filename, bunch.source) == (str(system), "system")

    own = write_idx_folder(tmp_path / "home" / "tiny-idx", TINY_ARRAYS)
    bunch = load_idx_dataset(dataset, data_home=tmp_path / "home")
    assert (bunch.filename, bunch.source) == (str(own), "data_home")


def test_a_recompressed_copy_loads(tmp_path, mirror):
    # Another gzip level and timestamp: other .gz bytes, the same content.
    folder = write_idx_folder(tmp_path / "home", TINY_ARRAYS, compresslevel=9, mtime=7)
    assert md5_of_file(folder / NAMES[0]) != md5_of_file(mirror / NAMES[0])
    assert_tiny(load_idx_dataset(TINY, data_home=folder, download_if_missing=False))


def test_a_multi_member_gzip_file_loads(tmp_path):
    folder = write_idx_folder(tmp_path, TINY_ARRAYS)
    content = idx_content(TINY_ARRAYS["x_train"])
    two_members = gzip.compress(content[:20]) + gzip.compress(content[20:])
    (folder / NAMES[0]).write_bytes(two_members)
    assert_tiny(load_idx_dataset(TINY, data_home=folder))


def test_changed_content_is_refused_naming_the_file(tmp_path):
    folder = write_idx_folder(tmp_path, TINY_ARRAYS)
    changed = TINY_ARRAYS["x_test"].copy()
    changed[0, 0, 0] ^= 1
    write_idx(folder / NAMES[2], changed)
    with pytest.raises(DatasetFileError) as excinfo:
        load_idx_dataset(TINY, data_home=folder)
    message = str(excinfo.value)
    assert repr(str(folder / NAMES[2])) in message
    assert "x_test differs from the published data" in message
    assert TINY.file("x_test").sha256 in message
    assert "Delete it" in message


def test_not_found_without_download_lists_places(tmp_path):
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_idx_dataset(TINY, data_home=tmp_path, download_if_missing=False)
    message = str(excinfo.value)
    assert message.startswith(f"Tiny not found in data home {str(tmp_path)!r}")
    assert "download_if_missing=False" in message
    assert str(tmp_path / "tiny-idx") in message
    assert "keras-home-empty" in message
    for hint in ["SKMNIST_DATA_HOME", "data_home=", "SKMNIST_TINY_BASE_URL"]:
        assert hint in message


def test_a_dataset_needs_the_four_arrays():
    with pytest.raises(ValueError, match=r"one file for each of .*has \['x_train'"):
        dataclasses.replace(TINY, files=TINY.files[:1])


# --- damaged local files -------------------------------------------------------------


def truncated_npz(home):
    path = write_npz(home / "tiny.npz", TINY_ARRAYS)
    path.write_bytes(path.read_bytes()[:200])
    return path, "cannot open it as .npz"


def wrong_shape_npz(home):
    path = write_npz(home / "tiny.npz", {**TINY_ARRAYS, "x_train": np.zeros((2, 4, 4))})
    return path, r"x_train has dtype float64 and shape \(2, 4, 4\), expected uint8"


def missing_key_npz(home):
    path = write_npz(home / "tiny.npz", {"x_train": TINY_ARRAYS["x_train"]})
    return path, r"missing arrays \['x_test', 'y_test', 'y_train'\]"


def float_npz(home):
    floats = {**TINY_ARRAYS, "x_test": TINY_ARRAYS["x_test"].astype(np.float32)}
    path = write_npz(home / "tiny.npz", floats)
    return path, "x_test has dtype float32"


def truncated_idx(home):
    write_idx_folder(home, TINY_ARRAYS)
    data = (home / NAMES[0]).read_bytes()
    (home / NAMES[0]).write_bytes(data[: len(data) // 2])
    return home / NAMES[0], "cannot decompress"


def wrong_magic_idx(home):
    write_idx_folder(home, TINY_ARRAYS)
    write_raw_idx(home / NAMES[3], [2051, 3], np.zeros(3, np.uint8))
    return home / NAMES[3], r"header .* is \(2051, 3\), expected \(2049, 3\)"


def trailing_bytes_idx(home):
    write_idx_folder(home, TINY_ARRAYS)
    write_raw_idx(home / NAMES[3], [2049, 3], np.zeros(4, np.uint8))
    return home / NAMES[3], "payload has 3 and more bytes"


def short_payload_idx(home):
    write_idx_folder(home, TINY_ARRAYS)
    write_raw_idx(home / NAMES[2], [2051, 3, 4, 4], np.zeros(40, np.uint8))
    return home / NAMES[2], "payload has 40 bytes, the header promises 48"


def bad_label_idx(home):
    write_idx_folder(home, TINY_ARRAYS)
    write_raw_idx(home / NAMES[3], [2049, 3], np.full(3, 3, np.uint8))
    return home / NAMES[3], r"label 3, expected 0\.\.2"


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
        short_payload_idx,
        bad_label_idx,
    ],
)
def test_damaged_file_raises_naming_it(tmp_path, damage):
    bad_path, problem = damage(tmp_path)
    dataset = with_npz(bad_path) if bad_path.suffix == ".npz" else TINY
    with pytest.raises(DatasetFileError, match=problem) as excinfo:
        load_idx_dataset(dataset, data_home=tmp_path, download_if_missing=False)
    assert isinstance(excinfo.value, ValueError)
    assert repr(str(bad_path)) in str(excinfo.value)
    assert "Delete it" in str(excinfo.value)


# --- downloading ---------------------------------------------------------------------


def test_download_verifies_caches_and_then_works_offline(tmp_path, mirror):
    data_home = tmp_path / "home"
    with serve(mirror) as url:
        bunch = load_idx_dataset(TINY, data_home=data_home, base_url=url)
    assert bunch.source == "download"
    assert_tiny(bunch)
    assert sorted(os.listdir(data_home / "tiny-idx")) == sorted(NAMES)
    assert part_files(data_home) == []

    offline = load_idx_dataset(TINY, data_home=data_home, download_if_missing=False)
    assert (offline.source, offline.filename) == (
        "data_home",
        str(data_home / "tiny-idx"),
    )
    assert_tiny(offline)


def test_base_url_environment_variable_is_the_datasets_own(
    tmp_path, mirror, monkeypatch
):
    with serve(mirror) as url:
        monkeypatch.setenv("SKMNIST_TINY_BASE_URL", url)
        bunch = load_idx_dataset(TINY, data_home=tmp_path / "home")
    assert bunch.source == "download"


def test_checksum_mismatch_keeps_nothing(tmp_path, mirror):
    changed = TINY_ARRAYS["y_test"].copy()
    changed[0] = 1
    write_idx(mirror / NAMES[3], changed)
    data_home = tmp_path / "home"

    with serve(mirror) as url, pytest.raises(DatasetChecksumError) as excinfo:
        load_idx_dataset(TINY, data_home=data_home, base_url=url)

    message = str(excinfo.value)
    assert isinstance(excinfo.value, OSError)
    assert message.startswith(f"Checksum mismatch for {url}{NAMES[3]}")
    assert f"content expected {TINY.file('y_test').sha256}" in message
    assert "Nothing was saved" in message
    assert not (data_home / "tiny-idx" / NAMES[3]).exists()
    assert part_files(data_home) == []
    with pytest.raises(DatasetNotFoundError):
        load_idx_dataset(TINY, data_home=data_home, download_if_missing=False)


def test_a_recompressed_mirror_passes_and_published_md5_is_only_information(tmp_path):
    mirror = write_idx_folder(tmp_path / "mirror", TINY_ARRAYS, compresslevel=9)
    published = {
        spec.key: "0" * 32 for spec in TINY.files
    }  # md5s this mirror's files do not have
    dataset = dataclasses.replace(
        TINY,
        files=tuple(dataclasses.replace(f, md5=published[f.key]) for f in TINY.files),
    )
    with serve(mirror) as url:
        bunch = load_idx_dataset(dataset, data_home=tmp_path / "home", base_url=url)
    assert bunch.source == "download"
    assert_tiny(bunch)


def test_garbage_instead_of_gzip_is_a_checksum_error(tmp_path, mirror):
    (mirror / NAMES[1]).write_bytes(b"<html>Not Found</html>")
    with serve(mirror) as url, pytest.raises(DatasetChecksumError) as excinfo:
        load_idx_dataset(TINY, data_home=tmp_path / "home", base_url=url)
    assert f"{url}{NAMES[1]}: it is not a valid gzip file" in str(excinfo.value)
    assert part_files(tmp_path / "home") == []


def test_interrupted_download_keeps_nothing(tmp_path, mirror):
    data_home = tmp_path / "home"
    with serve(mirror, HalfFileHandler) as url:
        with pytest.raises(DatasetNotFoundError, match="connection closed after"):
            load_idx_dataset(TINY, data_home=data_home, base_url=url)
    assert part_files(data_home) == []
    assert not (data_home / "tiny-idx" / NAMES[0]).exists()
    with pytest.raises(DatasetNotFoundError):
        load_idx_dataset(TINY, data_home=data_home, download_if_missing=False)


def test_files_already_verified_are_not_downloaded_again(tmp_path, mirror):
    data_home = tmp_path / "home"
    write_idx(data_home / "tiny-idx" / NAMES[0], TINY_ARRAYS["x_train"], mtime=5)
    (mirror / NAMES[0]).unlink()  # the server cannot serve it any more
    with serve(mirror) as url:
        assert load_idx_dataset(TINY, data_home=data_home, base_url=url).source == (
            "download"
        )


def test_concurrent_downloads_into_one_data_home_are_safe(tmp_path, mirror):
    data_home = tmp_path / "home"
    results, errors = [], []

    def load():
        try:
            results.append(load_idx_dataset(TINY, data_home=data_home, base_url=url))
        except Exception as exc:  # noqa: BLE001 -- reported by the assertion below
            errors.append(exc)

    with serve(mirror) as url:
        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(results) == 4
    for bunch in results:
        assert_tiny(bunch)
    assert part_files(data_home) == []


def test_offline_error_says_where_it_looked_and_how_to_fix(tmp_path, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv("SKMNIST_TINY_BASE_URL", url)
    data_home = tmp_path / "home"

    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_idx_dataset(TINY, data_home=data_home)

    message = str(excinfo.value)
    assert isinstance(excinfo.value, OSError)
    assert message.startswith(f"Tiny not found in data home {str(data_home)!r}")
    assert "\n" not in message
    assert f"{url}{NAMES[0]}" in message
    assert "refused" in message.lower()
    for hint in [
        "SKMNIST_DATA_HOME",
        "data_home=",
        "base_url=",
        "SKMNIST_TINY_BASE_URL",
    ]:
        assert hint in message
    assert not data_home.exists(), "a failed connection must not create folders"


def test_sources_fall_back_in_order(tmp_path):
    server_root = tmp_path / "server"
    write_npz(server_root / "tiny.npz", TINY_ARRAYS)
    write_idx_folder(server_root / "second", TINY_ARRAYS)
    (server_root / "first").mkdir()  # a mirror that answers 404
    data_home = tmp_path / "home"
    with serve(server_root) as url:
        dataset = dataclasses.replace(
            TINY,
            # the npz is served, but its published checksum is another file's
            npz=RemoteNpz("tiny.npz", f"{url}tiny.npz", "0" * 64),
            mirrors=(f"{url}first/", f"{url}second/"),
        )
        with pytest.warns(UserWarning, match="fallback.*sha256 expected 0000"):
            bunch = load_idx_dataset(dataset, data_home=data_home)
    assert (bunch.source, bunch.filename) == ("download", str(data_home / "tiny-idx"))
    assert_tiny(bunch)
    assert not (data_home / "tiny.npz").exists()
    assert part_files(data_home) == []


def test_a_verified_npz_download_is_used(tmp_path):
    served = write_npz(tmp_path / "server" / "tiny.npz", TINY_ARRAYS)
    with serve(served.parent) as url:
        dataset = with_npz(served, f"{url}tiny.npz")
        bunch = load_idx_dataset(dataset, data_home=tmp_path / "home")
    assert (bunch.source, bunch.filename) == (
        "download",
        str(tmp_path / "home" / "tiny.npz"),
    )
    assert_tiny(bunch)


def test_every_source_failing_names_every_url(tmp_path):
    dataset = dataclasses.replace(
        TINY, mirrors=(closed_port_url("one/"), closed_port_url("two/"))
    )
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_idx_dataset(dataset, data_home=tmp_path)
    for mirror in dataset.mirrors:
        assert f"{mirror}{NAMES[0]}" in str(excinfo.value)


@pytest.mark.parametrize("base_url", ["127.0.0.1:8000", "ftp://mirror/mnist/"])
def test_base_url_must_be_an_http_or_file_url(tmp_path, base_url):
    with pytest.raises(ValueError, match=re.escape(repr(base_url))) as excinfo:
        load_mnist(data_home=tmp_path, base_url=base_url)
    assert "SKMNIST_BASE_URL" in str(excinfo.value)


def test_file_url_mirror(tmp_path, mirror):
    bunch = load_idx_dataset(
        TINY, data_home=tmp_path / "home", base_url=mirror.as_uri()
    )
    assert bunch.source == "download"


def test_gzip_content_hash_handles_any_chunking():
    content = idx_content(np.arange(200_000, dtype=np.uint32).astype(np.uint8))
    spec = dataclasses.replace(TINY.files[0], sha256=sha256(content))
    compressed = gzip.compress(content[:1000]) + gzip.compress(content[1000:])
    for chunk in [1, 7, 4096, len(compressed)]:
        verifier = _GzipContentSha256(spec)
        for start in range(0, len(compressed), chunk):
            verifier.update(compressed[start : start + chunk])
        assert verifier.problem() is None, chunk
    truncated = _GzipContentSha256(spec)
    truncated.update(compressed[:-10])
    assert "truncated" in truncated.problem()


def test_gzip_content_hash_bounds_its_output_per_step():
    # 3 MB of zeros compress to a few kB: one chunk inflates in several bounded steps
    content = bytes(3 << 20) + b"end"
    spec = dataclasses.replace(TINY.files[0], sha256=sha256(content))
    verifier = _GzipContentSha256(spec)
    verifier.update(gzip.compress(content))
    assert verifier.problem() is None


# --- MNIST itself --------------------------------------------------------------------


def test_mnist_arrays_and_description(mnist):
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
    assert mnist.source in {"data_home", "keras_cache", "download"}
    assert Path(mnist.filename).exists()


def test_mnist_return_X_y_matches_the_bunch(mnist, mnist_mirror):
    (X_train, y_train), (X_test, y_test) = load_mnist(
        data_home=mnist_mirror,
        return_X_y=True,  # the IDX files loose in the folder
    )
    assert (X_train.shape, y_train.shape) == ((60000, 28, 28), (60000,))
    assert (X_test.shape, y_test.shape) == ((10000, 28, 28), (10000,))
    assert_array_equal(y_test, mnist.y_test)


@pytest.fixture(scope="module")
def mnist_mirror(mnist, tmp_path_factory):
    """Real MNIST written by the test as IDX .gz files (a recompressed copy)."""
    folder = tmp_path_factory.mktemp("mnist-mirror")
    return write_idx_folder(folder, bunch_arrays(mnist), compresslevel=1)


def test_mnist_real_checksums_download_then_offline(tmp_path, mnist, mnist_mirror):
    # The files are recompressed (other .gz md5s): the content sha256 is what counts.
    assert md5_of_file(mnist_mirror / NAMES[3]) != MNIST.file("y_test").md5
    data_home = tmp_path / "home"
    with serve(mnist_mirror) as url:
        bunch = load_mnist(data_home=data_home, base_url=url)
    assert (bunch.source, bunch.filename) == ("download", str(data_home / "mnist-idx"))
    assert_array_equal(bunch.X_train, mnist.X_train)
    assert_array_equal(bunch.y_test, mnist.y_test)

    offline = load_mnist(data_home=data_home, download_if_missing=False)
    assert offline.source == "data_home"
    assert_array_equal(offline.X_test, mnist.X_test)


def test_mnist_content_checksums_match_the_arrays(mnist):
    for key, array in bunch_arrays(mnist).items():
        assert sha256(idx_content(array)) == MNIST.file(key).sha256, key


def test_mnist_keras_cache_is_reused(tmp_path, monkeypatch, mnist):
    keras_home = tmp_path / "keras"
    path = write_npz(keras_home / "datasets" / "mnist.npz", bunch_arrays(mnist))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    data_home = tmp_path / "not-created"

    bunch = load_mnist(data_home=data_home, download_if_missing=False)

    assert (bunch.source, bunch.filename) == ("keras_cache", str(path))
    assert_array_equal(bunch.y_train, mnist.y_train)
    assert not data_home.exists()


def test_mnist_changed_label_is_refused(tmp_path, mnist, mnist_mirror):
    home = tmp_path / "home"
    home.mkdir()
    for name in NAMES[:3]:
        (home / name).symlink_to(mnist_mirror / name)
    labels = mnist.y_test.copy()
    labels[0] = (labels[0] + 1) % 10
    write_idx(home / NAMES[3], labels)
    with pytest.raises(data_module.MNISTFileError, match="y_test differs"):
        load_mnist(data_home=home, download_if_missing=False)


def test_mnist_not_found_message(tmp_path):
    with pytest.raises(data_module.MNISTNotFoundError) as excinfo:
        load_mnist(data_home=tmp_path, download_if_missing=False)
    message = str(excinfo.value)
    assert message.startswith(f"MNIST not found in data home {str(tmp_path)!r}")
    assert str(tmp_path / "mnist.npz") in message
    assert str(tmp_path / "mnist-idx") in message
    assert "keras-home-empty" in message
    for hint in ["SKMNIST_DATA_HOME", "mnist.npz", "SKMNIST_BASE_URL", *NAMES]:
        assert hint in message


def test_mnist_checksum_error_keeps_its_class_and_message(tmp_path, mnist_mirror):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in NAMES[:3]:
        (mirror / name).symlink_to(mnist_mirror / name)
    write_raw_idx(mirror / NAMES[3], [2049, 10000], np.zeros(10000, np.uint8))
    with serve(mirror) as url, pytest.raises(data_module.MNISTChecksumError) as excinfo:
        load_mnist(data_home=tmp_path / "home", base_url=url)
    assert "ec29112dd5afa0611ce80d1b7f02629c" in str(excinfo.value)  # published md5


def test_data_home_parameter_beats_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKMNIST_DATA_HOME", str(tmp_path / "from-env"))
    empty = tmp_path / "empty"
    with pytest.raises(data_module.MNISTNotFoundError, match=re.escape(str(empty))):
        load_mnist(data_home=empty, download_if_missing=False)


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


def test_public_import_paths_and_error_classes():
    assert skmnist.load_mnist is data_module.load_mnist is load_mnist
    assert skmnist.get_data_home is data_module.get_data_home is get_data_home
    assert skmnist.load_fashion_mnist is skmnist.datasets.load_fashion_mnist
    pairs = [
        (data_module.MNISTFileError, DatasetFileError, ValueError),
        (data_module.MNISTChecksumError, DatasetChecksumError, OSError),
        (data_module.MNISTNotFoundError, DatasetNotFoundError, FileNotFoundError),
    ]
    for specific, generic, builtin in pairs:
        assert issubclass(specific, generic) and issubclass(generic, builtin)
    assert isinstance(MNIST, IdxDataset)


# --- atomic_write --------------------------------------------------------------------


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


# --- import cost ---------------------------------------------------------------------


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, skmnist.datasets; "
        "assert not {'tensorflow', 'keras'} & set(sys.modules), 'heavy import'"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(skmnist.__file__).parent.parent)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
