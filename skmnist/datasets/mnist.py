"""MNIST: its description, and :func:`load_mnist`."""

from __future__ import annotations

import os

from ._base import (
    DatasetChecksumError,
    DatasetFileError,
    DatasetNotFoundError,
    IdxDataset,
    IdxFile,
    RemoteNpz,
    load_idx_dataset,
)

__all__ = [
    "MNIST",
    "MNISTChecksumError",
    "MNISTFileError",
    "MNISTNotFoundError",
    "load_mnist",
]

BASE_URL_ENV = "SKMNIST_BASE_URL"
NPZ_NAME = "mnist.npz"
IDX_DIRNAME = "mnist-idx"
KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
IDX_MIRROR_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class MNISTFileError(DatasetFileError):
    """A local MNIST file is damaged or does not hold MNIST as expected."""


class MNISTChecksumError(DatasetChecksumError):
    """A downloaded file did not match its published checksum (nothing was kept)."""


class MNISTNotFoundError(DatasetNotFoundError):
    """MNIST is not on disk and could not be downloaded."""


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

# sha256 of each file's decompressed content (IDX header + data); md5 of the
# original .gz files as published.
MNIST = IdxDataset(
    name="MNIST",
    folder=IDX_DIRNAME,
    files=(
        IdxFile(
            "x_train",
            "train-images-idx3-ubyte.gz",
            (60000, 28, 28),
            sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            md5="f68b3c2dcbeaaa9fbdd348bbdeb94873",
        ),
        IdxFile(
            "y_train",
            "train-labels-idx1-ubyte.gz",
            (60000,),
            sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            md5="d53e105ee54ea40749a09fcbcd1e9432",
        ),
        IdxFile(
            "x_test",
            "t10k-images-idx3-ubyte.gz",
            (10000, 28, 28),
            sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            md5="9fb629c4189551a2d022fa330f9573f3",
        ),
        IdxFile(
            "y_test",
            "t10k-labels-idx1-ubyte.gz",
            (10000,),
            sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            md5="ec29112dd5afa0611ce80d1b7f02629c",
        ),
    ),
    target_names=tuple(range(10)),
    description=DESCR,
    licence="CC BY-SA 3.0",
    mirrors=IDX_MIRROR_URLS,
    base_url_env=BASE_URL_ENV,
    npz=RemoteNpz(NPZ_NAME, KERAS_URL, KERAS_SHA256),
    keras_cache=NPZ_NAME,
    loose_in_data_home=True,
    file_error=MNISTFileError,
    checksum_error=MNISTChecksumError,
    not_found_error=MNISTNotFoundError,
)


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
    there, downloads the data into ``data_home``: the Keras ``mnist.npz``, else
    the IDX files from a mirror, into ``<data_home>/mnist-idx/``.

    Every array read is checked (keys, dtypes, exact shapes, label range, IDX
    headers and payload sizes) and verified by the SHA-256 of its content, so a
    recompressed copy loads and any change of content is refused. Every download
    is verified before it is moved into place, so an interrupted or corrupted
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
        IDX files from public mirrors as fallbacks. Files are verified
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
    load_fashion_mnist : Zalando's Fashion-MNIST, a drop-in replacement.

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
    return load_idx_dataset(
        MNIST,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
        base_url=base_url,
    )
