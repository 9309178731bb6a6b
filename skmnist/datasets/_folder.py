"""A folder of labelled images, one sub-folder per class, as a Bunch.

The layout of Keras's ``image_dataset_from_directory`` and torchvision's
``ImageFolder``. Only NumPy, scikit-learn's ``Bunch`` and Pillow are imported.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["IMAGE_EXTENSIONS", "load_image_folder", "read_image"]

# what the folder loader reads; other files (README, .DS_Store...) are skipped
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def load_image_folder(path, *, image_shape=None, return_X_y=False):
    """Load a folder of labelled images: one sub-folder per class, PNG/JPEG files.

    The layout Keras's ``image_dataset_from_directory`` and torchvision's
    ``ImageFolder`` read::

        path/
            cat/   001.png  002.jpg ...
            dog/   001.png  ...

    Each image is converted to grayscale (colour by luminance, transparency over
    white) and, if `image_shape` asks for it, resized. The classes are the
    sub-folders in sorted order; files whose extension is not an image's
    (``IMAGE_EXTENSIONS``) and hidden files are skipped.

    Parameters
    ----------
    path : str or path-like
        The folder holding one sub-folder per class.
    image_shape : tuple of (int, int), default=None
        ``(height, width)`` every image is resized to (Pillow's Lanczos filter:
        anti-aliased when shrinking). None keeps the images' own size, which
        must then be common to all of them.
    return_X_y : bool, default=False
        Return ``(images, target)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object, with the following attributes.

        images : ndarray of shape (n_samples, height, width), dtype uint8
            The images, 0-255, in the order of ``filenames``; ready for
            :func:`skmnist.make_mnist_pipeline`.
        data : ndarray of shape (n_samples, height * width), dtype uint8
            The same pixels as flat rows (a view of ``images``).
        target : ndarray of shape (n_samples,), dtype int64
            The index of each image's class in ``target_names``.
        target_names : ndarray of shape (n_classes,), dtype object
            The class (sub-folder) names, sorted.
        filenames : ndarray of shape (n_samples,), dtype object
            The path of each image file.
        DESCR : str
            A description of the folder.

    (images, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If `path` is not a folder.
    ValueError
        If `path` has no class sub-folder, a class has no image, a file cannot be
        read as an image (the message names it), or the images have different
        sizes and `image_shape` is None.

    See Also
    --------
    skmnist.load_mnist : The MNIST digits, in a Bunch with the official split.
    skmnist.load_digit_images : Read digit images, prepared as MNIST digits were.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skmnist import load_image_folder
    >>> root = tempfile.mkdtemp()
    >>> for name, value in [("dark", 30), ("light", 220)]:
    ...     os.mkdir(os.path.join(root, name))
    ...     for i in range(3):
    ...         pixels = np.full((12, 10), value + i, dtype=np.uint8)
    ...         Image.fromarray(pixels).save(os.path.join(root, name, f"{i}.png"))
    >>> data = load_image_folder(root)
    >>> data.images.shape, data.target.tolist(), data.target_names.tolist()
    ((6, 12, 10), [0, 0, 0, 1, 1, 1], ['dark', 'light'])
    >>> load_image_folder(root, image_shape=(8, 8)).images.shape
    (6, 8, 8)
    """
    shape = _check_image_shape(image_shape)
    root = Path(os.fspath(path))
    if not root.is_dir():
        raise FileNotFoundError(
            f"no folder at {str(root)!r}; give a folder holding one sub-folder of "
            "images per class"
        )
    classes = sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and not entry.name.startswith(".")
    )
    if not classes:
        raise ValueError(
            f"{str(root)!r} has no class sub-folders: put the images of each class "
            f"in a sub-folder named after it ({root / 'cat'}/*.png, "
            f"{root / 'dog'}/*.png, ...)"
        )
    files, target = [], []
    for index, name in enumerate(classes):
        found = sorted(
            entry
            for entry in (root / name).iterdir()
            if entry.is_file()
            and not entry.name.startswith(".")
            and entry.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not found:
            raise ValueError(
                f"class {name!r} has no image: {str(root / name)!r} holds no "
                f"{'/'.join(ext[1:].upper() for ext in IMAGE_EXTENSIONS[:3])} "
                "file; add its images or remove the folder"
            )
        files += found
        target += [index] * len(found)
    images = [read_image(file, shape) for file in files]
    if shape is None:
        sizes = {}
        for file, image in zip(files, images, strict=True):
            sizes.setdefault(image.shape, file)
        if len(sizes) > 1:
            examples = ", ".join(
                f"{file.relative_to(root)} {h}x{w}"
                for (h, w), file in list(sizes.items())[:3]
            )
            raise ValueError(
                f"the images in {str(root)!r} have {len(sizes)} different sizes "
                f"({examples}, as height x width); pass image_shape=(height, width) "
                "to resize them all, e.g. image_shape=(28, 28)"
            )
    images = np.stack(images)
    target = np.asarray(target, dtype=np.int64)
    if return_X_y:
        return images, target
    height, width = images.shape[1:]
    counts = ", ".join(
        f"{name} {n:,}"
        for name, n in zip(
            classes, np.bincount(target, minlength=len(classes)), strict=True
        )
    )
    return Bunch(
        images=images,
        data=images.reshape(len(images), -1),
        target=target,
        target_names=np.asarray(classes, dtype=object),
        filenames=np.asarray([str(file) for file in files], dtype=object),
        DESCR=(
            f"Images from {root}: {len(images):,} grayscale images of "
            f"{height}x{width} pixels, uint8 (0-255), in {len(classes)} classes "
            f"(one per sub-folder): {counts}."
        ),
    )


def read_image(path, image_shape=None):
    """One image file as a 2-D uint8 grayscale array, resized to `image_shape`.

    The preparation of :func:`load_image_folder`: ``skmnist predict
    --no-normalize`` and the server prepare images the same way, so a model
    trained on a folder sees new images as it saw its training images.
    """
    from PIL import Image

    from skmnist.digits import _read_image

    try:
        gray = _read_image(path)  # float64 in [0, 1], the digits' one decoder
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)!r}: {exc}") from exc
    if image_shape is not None and gray.shape != tuple(image_shape):
        resized = Image.fromarray(gray.astype(np.float32)).resize(
            (image_shape[1], image_shape[0]), Image.Resampling.LANCZOS
        )
        gray = np.asarray(resized, dtype=np.float64)
    return np.round(np.clip(gray, 0.0, 1.0) * 255.0).astype(np.uint8)


def _check_image_shape(image_shape):
    if image_shape is None:
        return None
    try:
        height, width = (int(side) for side in image_shape)
        valid = (height, width) == tuple(image_shape) and min(height, width) >= 1
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"image_shape must be a pair of whole numbers >= 1, (height, width), or "
            f"None to keep the images' own size; got {image_shape!r}"
        )
    return height, width
