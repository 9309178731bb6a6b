"""Fashion-MNIST: the real data through ``load_fashion_mnist()``, and its sources.

The session fixture ``fashion_mnist`` fails with the loader's message (which says
how to get the data) when Fashion-MNIST is neither on disk nor downloadable.
"""

import dataclasses
import hashlib

import numpy as np
import pytest
from dataset_files import (
    IDX_NAMES,
    KEYS,
    bunch_arrays,
    closed_port_url,
    idx_content,
    md5_of_file,
    part_files,
    serve,
    write_idx,
    write_idx_folder,
)
from numpy.testing import assert_array_equal

import skmnist
from skmnist.datasets import (
    FASHION_MNIST,
    DatasetFileError,
    DatasetNotFoundError,
    load_fashion_mnist,
    load_idx_dataset,
)

CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
NAMES = [IDX_NAMES[key] for key in KEYS]


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home-empty"))
    for name in ["SKMNIST_BASE_URL", "SKMNIST_FASHION_MNIST_BASE_URL"]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def fashion_files(fashion_mnist, tmp_path_factory):
    """Fashion-MNIST written by the test as IDX .gz files (recompressed)."""
    folder = tmp_path_factory.mktemp("fashion-files")
    return write_idx_folder(folder, bunch_arrays(fashion_mnist), compresslevel=1)


def nowhere_else(tmp_path):
    """FASHION_MNIST with no system folder: only the data home and downloads."""
    return dataclasses.replace(FASHION_MNIST, system_folders=(str(tmp_path / "none"),))


def test_arrays_classes_and_description(fashion_mnist):
    assert fashion_mnist.X_train.shape == (60000, 28, 28)
    assert fashion_mnist.y_train.shape == (60000,)
    assert fashion_mnist.X_test.shape == (10000, 28, 28)
    assert fashion_mnist.y_test.shape == (10000,)
    for key in ["X_train", "y_train", "X_test", "y_test"]:
        assert fashion_mnist[key].dtype == np.uint8
    assert np.bincount(fashion_mnist.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion_mnist.y_test).tolist() == [1000] * 10
    assert fashion_mnist.y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert fashion_mnist.target_names.tolist() == CLASS_NAMES
    for fact in ["MIT", "Zalando", "Xiao", "arXiv:1708.07747"]:
        assert fact in fashion_mnist.DESCR


def test_content_checksums_match_the_arrays(fashion_mnist):
    for key, array in bunch_arrays(fashion_mnist).items():
        digest = hashlib.sha256(idx_content(array)).hexdigest()
        assert digest == FASHION_MNIST.file(key).sha256, key


def test_published_gz_md5s_are_recorded():
    md5s = {f.name: f.md5 for f in FASHION_MNIST.files}
    assert md5s == {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }


def test_recompressed_files_in_the_data_home_load(
    tmp_path, fashion_files, fashion_mnist
):
    assert md5_of_file(fashion_files / NAMES[1]) != FASHION_MNIST.file("y_train").md5
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name in NAMES:
        (folder / name).symlink_to(fashion_files / name)
    bunch = load_fashion_mnist(data_home=tmp_path, download_if_missing=False)
    assert (bunch.source, bunch.filename) == ("data_home", str(folder))
    assert_array_equal(bunch.X_test, fashion_mnist.X_test)


def test_keras_cache_folder_is_reused(tmp_path, monkeypatch, fashion_files):
    keras_folder = tmp_path / "keras" / "datasets" / "fashion-mnist"
    keras_folder.mkdir(parents=True)
    for name in NAMES:
        (keras_folder / name).symlink_to(fashion_files / name)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    bunch = load_fashion_mnist(data_home=tmp_path / "home", download_if_missing=False)
    assert (bunch.source, bunch.filename) == ("keras_cache", str(keras_folder))


def test_download_into_the_data_home_then_offline(
    tmp_path, monkeypatch, fashion_files, fashion_mnist
):
    dataset = nowhere_else(tmp_path)
    data_home = tmp_path / "home"
    # SKMNIST_BASE_URL is MNIST's mirror: Fashion-MNIST has its own variable.
    monkeypatch.setenv("SKMNIST_BASE_URL", closed_port_url())
    with serve(fashion_files) as url:
        monkeypatch.setenv("SKMNIST_FASHION_MNIST_BASE_URL", url)
        bunch = load_idx_dataset(dataset, data_home=data_home)
    assert (bunch.source, bunch.filename) == (
        "download",
        str(data_home / "fashion-mnist"),
    )
    assert_array_equal(bunch.y_train, fashion_mnist.y_train)
    assert part_files(data_home) == []

    monkeypatch.delenv("SKMNIST_FASHION_MNIST_BASE_URL")
    offline = load_fashion_mnist(data_home=data_home, download_if_missing=False)
    assert offline.source == "data_home"


def test_mnist_files_are_refused_as_fashion(tmp_path, fashion_files, mnist):
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name in NAMES[1:]:
        (folder / name).symlink_to(fashion_files / name)
    write_idx(folder / NAMES[0], mnist.X_train)  # right shape, wrong dataset
    with pytest.raises(DatasetFileError, match="x_train differs from the published"):
        load_fashion_mnist(data_home=tmp_path, download_if_missing=False)


def test_not_found_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_idx_dataset(
            nowhere_else(tmp_path), data_home=tmp_path, download_if_missing=False
        )
    message = str(excinfo.value)
    assert message.startswith("Fashion-MNIST not found in data home")
    assert str(tmp_path / "fashion-mnist") in message
    for hint in [
        "apt-get install dataset-fashion-mnist",
        "SKMNIST_DATA_HOME",
        "SKMNIST_FASHION_MNIST_BASE_URL",
    ]:
        assert hint in message


def test_default_mirrors_are_the_official_files_then_keras():
    assert FASHION_MNIST.mirrors[0] == (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    )
    assert "tf-keras-datasets" in FASHION_MNIST.mirrors[1]
    assert FASHION_MNIST.system_folders == ("/usr/share/datasets/fashion-mnist",)


def test_public_name():
    assert skmnist.load_fashion_mnist is load_fashion_mnist
    assert "load_fashion_mnist" in skmnist.__all__
