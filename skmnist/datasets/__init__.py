"""Datasets in the IDX format: MNIST, Fashion-MNIST, and any other you describe.

Each dataset is one :class:`IdxDataset` description (files, shapes, checksums,
mirrors, description, licence); :func:`load_idx_dataset` finds, reads, verifies and
downloads any of them. A third dataset is a description and a three-line loader::

    KMNIST = IdxDataset(name="Kuzushiji-MNIST", folder="kmnist", files=(...), ...)

    def load_kmnist(**kwargs):
        return load_idx_dataset(KMNIST, **kwargs)

:func:`load_image_folder` reads your own labelled images, one sub-folder per class.

Nothing here imports TensorFlow or Keras.
"""

from ._base import (
    DatasetChecksumError,
    DatasetFileError,
    DatasetNotFoundError,
    IdxDataset,
    IdxFile,
    RemoteNpz,
    get_data_home,
    load_idx_dataset,
)
from ._folder import load_image_folder
from .fashion_mnist import FASHION_MNIST, load_fashion_mnist
from .mnist import (
    MNIST,
    MNISTChecksumError,
    MNISTFileError,
    MNISTNotFoundError,
    load_mnist,
)

__all__ = [
    "FASHION_MNIST",
    "MNIST",
    "DatasetChecksumError",
    "DatasetFileError",
    "DatasetNotFoundError",
    "IdxDataset",
    "IdxFile",
    "MNISTChecksumError",
    "MNISTFileError",
    "MNISTNotFoundError",
    "RemoteNpz",
    "get_data_home",
    "load_fashion_mnist",
    "load_idx_dataset",
    "load_image_folder",
    "load_mnist",
]
