"""Read pictures of handwritten digits and format them the way MNIST digits were made.

MNIST digits are white strokes on black, anti-aliased, scaled so that the longer side
of their bounding box is 20 pixels, and placed in a 28x28 field so that their centre
of mass is at its centre. A scan or photo of a digit on white paper must go through
the same steps before the network can read it; :func:`prepare_digit` does them.

Only NumPy, SciPy and Pillow are imported here (no TensorFlow).
"""

import os
import warnings

import numpy as np

__all__ = ["load_digit_image", "load_digit_images", "prepare_digit"]

SIZE = 28  # side of the MNIST field
BOX = 20  # side of the box the digit is scaled into
CENTRE = 14.0  # centre of mass of MNIST digits, in pixel-index coordinates

# Images are first reduced to this many pixels on their longer side: enough detail
# for a 20-pixel digit, and photos of several megapixels stay fast.
_WORKING_SIZE = 512
# Ink fainter than this share of the darkest stroke is noise or paper texture.
_NOISE_FLOOR = 0.3
# Blobs with less ink than this share of the largest blob are specks, not strokes.
_MIN_BLOB_SHARE = 0.1
_OPTIONS = ("auto", True, False)


def prepare_digit(image, *, invert="auto", normalize="auto", shape=(SIZE, SIZE)):
    """Turn one picture of a handwritten digit into a 28x28 MNIST-style image.

    The steps are those used to build MNIST:

    1. convert to grayscale in [0, 1] (colour by luminance, transparency over white);
    2. invert when the background is light, so strokes are bright on black;
    3. subtract the background level, stretch the strokes to full intensity and
       clear faint noise and small specks;
    4. crop to the bounding box of the ink;
    5. resize, anti-aliased, so that the longer side is 20 pixels, keeping the
       aspect ratio;
    6. paste into a 28x28 field so that the centre of mass is at its centre.

    For a model trained on images of another size, `shape` sets the field: the
    box of step 5 keeps MNIST's proportion (20/28 of the field's shorter side).

    Parameters
    ----------
    image : array-like of shape (height, width) or (height, width, 3 or 4)
        Grayscale, RGB or RGBA pixels. Integer images are read by their dtype's
        range (0-255 for uint8, 0-65535 for uint16); float images must lie in
        [0, 1], or in [0, 255] if any value exceeds 1.
    invert : {"auto", True, False}, default="auto"
        Whether the digit is dark on a light background. "auto" decides from the
        median of the image's border pixels.
    normalize : {"auto", True, False}, default="auto"
        Whether to crop, resize and centre the digit (steps 3-6). "auto" does so
        unless the image is already 28x28 (`shape`) with a dark background, that
        is, already in MNIST format; False requires an image of `shape`.
    shape : tuple of (int, int), default=(28, 28)
        ``(height, width)`` of the result: the image shape the model was trained
        on (``pipeline[0].image_shape_``).

    Returns
    -------
    digit : ndarray of shape `shape`, dtype uint8
        White strokes on black, 0-255, as in :func:`skmnist.load_mnist`.

    Raises
    ------
    ValueError
        If the image has a wrong shape, or is blank (no strokes to find).

    See Also
    --------
    load_digit_images : Read image files and prepare them.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist.digits import prepare_digit
    >>> paper = np.full((90, 60), 240, dtype=np.uint8)  # light paper...
    >>> paper[20:70, 25:35] = 30  # ...with a dark vertical stroke: a "1"
    >>> digit = prepare_digit(paper)
    >>> digit.shape, digit.dtype, int(digit.max())
    ((28, 28), dtype('uint8'), 255)
    >>> rows, cols = np.nonzero(digit)
    >>> int(rows.max() - rows.min() + 1)  # the longer side is 20 pixels
    20
    >>> int(digit[0, 0]), int(digit[14, 14])  # black background, white stroke inside
    (0, 255)
    """
    _check_option("invert", invert)
    _check_option("normalize", normalize)
    gray = _to_gray(image)
    if invert == "auto":
        invert = bool(np.median(_border(gray)) > 0.5)
    shape = _check_shape(shape)
    ink = 1.0 - gray if invert else gray
    field_sized = ink.shape == shape
    if normalize == "auto":
        normalize = invert or not field_sized
    if normalize:
        ink = _normalize(ink, shape)
    elif not field_sized:
        raise ValueError(
            f"wrong shape: got a {ink.shape[0]}x{ink.shape[1]} image, but without "
            f"normalization (cropping, resizing, centring) it must be "
            f"{shape[0]}x{shape[1]}, the size the model takes"
        )
    return _to_uint8(ink)


def load_digit_image(path, *, invert="auto", normalize="auto", shape=(SIZE, SIZE)):
    """Read one PNG, JPEG (or other Pillow-readable) file and prepare its digit.

    Parameters
    ----------
    path : str or path-like
        Image file holding one handwritten digit.
    invert, normalize : {"auto", True, False}, default="auto"
        As in :func:`prepare_digit`.
    shape : tuple of (int, int), default=(28, 28)
        As in :func:`prepare_digit`.

    Returns
    -------
    digit : ndarray of shape `shape`, dtype uint8
        The prepared digit.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a readable image, or holds no digit.
    """
    try:
        image = _read_image(path)
        return prepare_digit(image, invert=invert, normalize=normalize, shape=shape)
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)!r}: {exc}") from exc


def load_digit_images(paths, *, invert="auto", normalize="auto", shape=(SIZE, SIZE)):
    """Read image files of handwritten digits as a batch of MNIST-style images.

    Parameters
    ----------
    paths : iterable of str or path-like
        Image files (PNG, JPEG, or anything Pillow reads), one digit each.
    invert, normalize : {"auto", True, False}, default="auto"
        As in :func:`prepare_digit`.
    shape : tuple of (int, int), default=(28, 28)
        ``(height, width)`` of each result, as in :func:`prepare_digit`.

    Returns
    -------
    digits : ndarray of shape (n_files, height, width), dtype uint8
        Ready for :func:`skmnist.make_mnist_pipeline`'s ``predict``.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ValueError
        If a file is not a readable image, or holds no digit; the message names it.

    See Also
    --------
    prepare_digit : The preparation steps.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skmnist import load_digit_images
    >>> paper = np.full((60, 60), 255, dtype=np.uint8)
    >>> paper[10:50, 20:40] = 0  # a dark block on white paper
    >>> path = os.path.join(tempfile.mkdtemp(), "digit.png")
    >>> Image.fromarray(paper).save(path)
    >>> load_digit_images([path]).shape
    (1, 28, 28)
    """
    shape = _check_shape(shape)
    digits = [
        load_digit_image(path, invert=invert, normalize=normalize, shape=shape)
        for path in paths
    ]
    return np.stack(digits) if digits else np.zeros((0, *shape), np.uint8)


# -- reading and converting ------------------------------------------------------


def _read_image(path):
    """The pixels of an image file as a 2-D float array in [0, 1]."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no image file at {path!r}")
    return _decode_image(path)


def _decode_image(source):
    """The pixels of an image (a path or a binary file object) as 2-D floats in [0, 1].

    The one decoder behind :func:`load_digit_image` and ``skmnist serve``'s uploads.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # past Pillow's decompression-bomb limit (about 89 megapixels) Pillow
            # only warns, and decoding one such file as floats takes gigabytes:
            # refuse it, as Pillow itself refuses twice that size
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                image = ImageOps.exif_transpose(image)  # photos: the camera's turn
                return _pil_to_gray(image)
    except Image.DecompressionBombWarning as exc:
        raise ValueError(
            f"image too large for a digit ({exc}); scale it down first"
        ) from exc
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
    ) as exc:
        # Pillow raises these for foreign, truncated or corrupt files
        raise ValueError(f"not a readable image ({exc})") from exc


def _pil_to_gray(image):
    from PIL import Image

    if image.mode.startswith("I;16"):
        return np.asarray(image, dtype=np.float64) / 65535.0
    if image.mode in ("I", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        return pixels / (65535.0 if pixels.max() > 255 else 255.0)
    if "A" in image.mode or "transparency" in image.info:
        # transparent pixels are paper: composite over white
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return np.asarray(image.convert("L"), dtype=np.float64) / 255.0


def _to_gray(image):
    """Any 2-D or colour image array -> 2-D float64 in [0, 1]."""
    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        pixels = _colour_to_gray(pixels)
    if pixels.ndim != 2 or min(pixels.shape) == 0:
        raise ValueError(
            "expected one image of shape (height, width) or (height, width, 3 or 4), "
            f"got shape {pixels.shape}"
        )
    return _scale_to_unit(pixels)


def _colour_to_gray(pixels):
    colour = _scale_to_unit(pixels[..., :3])
    gray = colour @ np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as Pillow's "L"
    if pixels.shape[2] == 4:
        alpha = _scale_to_unit(pixels[..., 3])
        gray = gray * alpha + (1.0 - alpha)  # over white paper
    return gray


def _scale_to_unit(pixels):
    if pixels.dtype == bool:
        return pixels.astype(np.float64)
    if np.issubdtype(pixels.dtype, np.integer):
        top = 255 if pixels.dtype.itemsize == 1 else np.iinfo(pixels.dtype).max
        if pixels.dtype.itemsize > 2:  # int32/int64: read as 8 or 16 bits by range
            top = 65535 if pixels.max() > 255 else 255
        return pixels.astype(np.float64) / top
    pixels = pixels.astype(np.float64)
    if not np.isfinite(pixels).all():
        raise ValueError("the image has NaN or infinite pixel values")
    return pixels / 255.0 if pixels.max() > 1 else pixels


def _to_uint8(ink):
    return np.round(np.clip(ink, 0.0, 1.0) * 255.0).astype(np.uint8)


def _border(pixels):
    return np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])


def _check_shape(shape):
    try:
        height, width = (int(side) for side in shape)
    except (TypeError, ValueError):
        height = width = 0
    if min(height, width) < 1:
        raise ValueError(
            f"shape must be (height, width), two whole numbers >= 1; got {shape!r}"
        )
    return height, width


def _check_option(name, value):
    if not any(value is option or value == option for option in _OPTIONS):
        raise ValueError(f"{name} must be 'auto', True or False, got {value!r}")


# -- the MNIST normalization -----------------------------------------------------


def _normalize(ink, shape=(SIZE, SIZE)):
    """Bright-on-black ink of any size -> float image of `shape`, MNIST-style."""
    ink = _resize(ink, _shrunk_shape(ink.shape, _WORKING_SIZE))
    ink = _clean(ink)
    rows, cols = np.nonzero(ink)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    # MNIST's 20-pixel box in its 28-pixel field, in proportion for other fields
    box = BOX if shape == (SIZE, SIZE) else max(1, round(min(shape) * BOX / SIZE))
    ink = _resize(ink, _fit_shape(ink.shape, box))
    ink = np.clip(ink, 0.0, None)
    ink /= ink.max()  # anti-aliasing dims thin strokes: restore full intensity
    return _paste_centred(ink, shape)


def _clean(ink):
    """Stretch strokes to [0, 1] over the background; clear noise and specks."""
    from scipy import ndimage

    background = np.median(_border(ink))
    # the median filter ignores salt noise when looking for the strongest stroke
    peak = ndimage.median_filter(ink, size=3).max()
    if peak - background < 0.1:
        raise ValueError(
            "no digit found: the image is blank, has too little contrast, or its "
            "strokes are not darker than the background (check invert=)"
        )
    ink = np.clip((ink - background) / (peak - background), 0.0, 1.0)
    ink[ink < _NOISE_FLOOR] = 0.0
    labels, n_blobs = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    masses = ndimage.sum(ink, labels, index=np.arange(1, n_blobs + 1))
    keep = np.flatnonzero(masses >= _MIN_BLOB_SHARE * masses.max()) + 1
    return np.where(np.isin(labels, keep), ink, 0.0)


def _shrunk_shape(shape, longest):
    """``shape`` scaled down so its longer side is at most ``longest``."""
    return shape if max(shape) <= longest else _fit_shape(shape, longest)


def _fit_shape(shape, longest):
    """``shape`` scaled so its longer side is ``longest``, keeping the aspect."""
    scale = longest / max(shape)
    return tuple(max(1, round(side * scale)) for side in shape)


def _resize(pixels, shape):
    from PIL import Image

    if pixels.shape == shape:
        return pixels
    image = Image.fromarray(pixels.astype(np.float32))  # mode "F": no rounding
    # Lanczos filters over the whole source footprint: anti-aliased when shrinking
    resized = image.resize((shape[1], shape[0]), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.float64)


def _paste_centred(digit, shape=(SIZE, SIZE)):
    """Place ``digit`` in a field of `shape` with its centre of mass at the centre."""
    from scipy import ndimage

    height, width = digit.shape
    com_row, com_col = ndimage.center_of_mass(digit)
    # MNIST's centre is (14, 14) in pixel-index coordinates: half the side
    centre_row, centre_col = shape[0] * CENTRE / SIZE, shape[1] * CENTRE / SIZE
    # clamp: a lopsided digit is moved as far as it can go without being cut
    top = int(np.clip(round(centre_row - com_row), 0, shape[0] - height))
    left = int(np.clip(round(centre_col - com_col), 0, shape[1] - width))
    field = np.zeros(shape)
    field[top : top + height, left : left + width] = digit
    return field
