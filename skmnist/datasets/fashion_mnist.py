"""Fashion-MNIST: its description, and :func:`load_fashion_mnist`."""

from __future__ import annotations

import os

from ._base import IdxDataset, IdxFile, load_idx_dataset

__all__ = ["FASHION_MNIST", "load_fashion_mnist"]

BASE_URL_ENV = "SKMNIST_FASHION_MNIST_BASE_URL"
DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist"
MIRROR_URLS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)

DESCR = """\
Fashion-MNIST: Zalando's article images
---------------------------------------

70,000 grayscale images of fashion products from Zalando's web shop, 28x28
pixels, uint8 (0-255), in ten classes of 7,000 images each: 60,000 for training
(X_train (60000, 28, 28), y_train (60000,)) and 10,000 for testing (X_test
(10000, 28, 28), y_test (10000,)). Labels are uint8 in 0..9:

    0 T-shirt/top   1 Trouser   2 Pullover   3 Dress   4 Coat
    5 Sandal        6 Shirt     7 Sneaker    8 Bag     9 Ankle boot

It is a drop-in replacement for MNIST (same image size, format and split) that
is harder to classify: published baselines reach about 0.87-0.89 test accuracy
with a multi-layer perceptron and about 0.90-0.93 with small convolutional
networks.

Fashion-MNIST is by Zalando Research (Han Xiao, Kashif Rasul and Roland
Vollgraf), Copyright (c) 2017 Zalando SE, under the MIT licence.

Citation: Han Xiao, Kashif Rasul and Roland Vollgraf, "Fashion-MNIST: a Novel
Image Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747,
2017. https://github.com/zalandoresearch/fashion-mnist
"""

# sha256 of each file's decompressed content (IDX header + data): the same for the
# official files and for Debian's recompressed copies. md5: the official .gz files,
# as published in the Fashion-MNIST README.
FASHION_MNIST = IdxDataset(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    files=(
        IdxFile(
            "x_train",
            "train-images-idx3-ubyte.gz",
            (60000, 28, 28),
            sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            md5="8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        ),
        IdxFile(
            "y_train",
            "train-labels-idx1-ubyte.gz",
            (60000,),
            sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            md5="25c81989df183df01b3e8a0aad5dffbe",
        ),
        IdxFile(
            "x_test",
            "t10k-images-idx3-ubyte.gz",
            (10000, 28, 28),
            sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            md5="bef4ecab320f06d8554ea6380940ec79",
        ),
        IdxFile(
            "y_test",
            "t10k-labels-idx1-ubyte.gz",
            (10000,),
            sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            md5="bb300cfdad3c16e7a12a480ee83cd310",
        ),
    ),
    target_names=(
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
    ),
    description=DESCR,
    licence="MIT",
    mirrors=MIRROR_URLS,
    base_url_env=BASE_URL_ENV,
    keras_cache="fashion-mnist",
    system_folders=(DEBIAN_FOLDER,),
    install_hint=(
        "; or install Debian's package dataset-fashion-mnist "
        f"(apt-get install dataset-fashion-mnist, files in {DEBIAN_FOLDER})"
    ),
)


def load_fashion_mnist(
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    base_url: str | None = None,
):
    """Load Zalando's Fashion-MNIST (60,000 train and 10,000 test article images).

    A drop-in replacement for MNIST: the same 28x28 uint8 images, the same
    60,000/10,000 split and ten classes, but clothes and shoes instead of
    digits, and harder to classify.

    Looks, in order, for the four IDX files (``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``) in ``<data_home>/fashion-mnist/``, in
    Keras's cache (``$KERAS_HOME/datasets/fashion-mnist/``, default
    ``~/.keras``), and where Debian's ``dataset-fashion-mnist`` package puts
    them (``/usr/share/datasets/fashion-mnist``). If none holds them, downloads
    the official files into ``<data_home>/fashion-mnist/``.

    Every file is verified by the SHA-256 of its *decompressed* content, so
    Debian's recompressed copies load and any change of content is refused;
    downloads are verified before they are moved into place.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to read from and download to. ``None`` means
        :func:`get_data_home` (``SKMNIST_DATA_HOME``, then ``~/.cache/skmnist``).
    download_if_missing : bool, default=True
        Whether to download the data when no local copy is found. If False,
        a missing dataset raises :class:`~skmnist.datasets.DatasetNotFoundError`.
    return_X_y : bool, default=False
        If True, return ``((X_train, y_train), (X_test, y_test))`` like
        ``keras.datasets.fashion_mnist.load_data()`` instead of a Bunch.
    base_url : str, default=None
        URL of a mirror folder serving the four IDX ``.gz`` files. ``None``
        means the ``SKMNIST_FASHION_MNIST_BASE_URL`` environment variable, else
        Zalando's official download, then Keras's copy.

    Returns
    -------
    fashion_mnist : sklearn.utils.Bunch
        Dictionary-like object with the following attributes, arrays uint8.

        X_train : ndarray of shape (60000, 28, 28)
            Training images, pixel values 0-255.
        y_train : ndarray of shape (60000,)
            Training labels, 0-9.
        X_test : ndarray of shape (10000, 28, 28)
            Test images.
        y_test : ndarray of shape (10000,)
            Test labels.
        target_names : ndarray of shape (10,)
            The class names: ``"T-shirt/top"``, ``"Trouser"``, ``"Pullover"``,
            ``"Dress"``, ``"Coat"``, ``"Sandal"``, ``"Shirt"``, ``"Sneaker"``,
            ``"Bag"``, ``"Ankle boot"``; label ``i`` is ``target_names[i]``.
        DESCR : str
            Description of the dataset, its licence and how to cite it.
        filename : str
            The folder holding the IDX files read.
        source : {"data_home", "keras_cache", "system", "download"}
            Where the data came from.

    (X_train, y_train), (X_test, y_test) : tuple of tuples of ndarray
        If ``return_X_y`` is True.

    Raises
    ------
    DatasetNotFoundError
        If the data is neither on disk nor downloadable; the message lists every
        place searched, every URL tried, and how to get the data.
    DatasetChecksumError
        If a download did not match its checksum (nothing is written).
    DatasetFileError
        If a local file is damaged or is not Fashion-MNIST.

    See Also
    --------
    load_mnist : The handwritten digits.
    get_data_home : Where the data is looked for.

    Notes
    -----
    Fashion-MNIST is by Zalando Research, under the MIT licence. Cite Xiao,
    Rasul and Vollgraf (2017), arXiv:1708.07747.

    Examples
    --------
    >>> from skmnist import load_fashion_mnist
    >>> fashion = load_fashion_mnist()
    >>> fashion.X_train.shape, fashion.X_train.dtype
    ((60000, 28, 28), dtype('uint8'))
    >>> fashion.target_names[fashion.y_train[:3]]
    array(['Ankle boot', 'T-shirt/top', 'T-shirt/top'], dtype='<U11')
    """
    return load_idx_dataset(
        FASHION_MNIST,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
        base_url=base_url,
    )
