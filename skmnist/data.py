"""The MNIST loader's original import path, kept for backward compatibility.

Everything lives in :mod:`skmnist.datasets` now (one description per dataset, one
shared reader and fetcher); this module re-exports the names it always had.

Examples
--------
>>> from skmnist.data import load_mnist, MNISTNotFoundError
>>> from skmnist.datasets import DatasetNotFoundError
>>> issubclass(MNISTNotFoundError, DatasetNotFoundError)
True
"""

from .datasets import (
    MNISTChecksumError,
    MNISTFileError,
    MNISTNotFoundError,
    get_data_home,
    load_fashion_mnist,
    load_mnist,
)

__all__ = [
    "MNISTChecksumError",
    "MNISTFileError",
    "MNISTNotFoundError",
    "get_data_home",
    "load_fashion_mnist",
    "load_mnist",
]
