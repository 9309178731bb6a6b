"""The image rules every part of skmnist shares: shapes and pixel scales.

One place says how a flat row of pixels becomes an image, which pixel scale
``scale="auto"`` learns from the data seen in ``fit``, and how data that
contradict a learned scale are judged. The image transformers
(:mod:`skmnist.preprocessing`), the convolutional network, the plots and
:class:`skmnist.onnx.OnnxClassifier` all call these functions, so they cannot
disagree. NumPy only: no scikit-learn, no TensorFlow.
"""

import math
import os
import sys
import warnings

import numpy as np

__all__ = [
    "PixelScaleWarning",
    "as_image_batch",
    "check_pixel_range",
    "fitted_image_shape",
    "learn_scale",
    "pixel_range",
    "square_image_shape",
]

# Relative slack on range comparisons, so that float round-off (a MinMaxScaler's
# 1.0000000000000002) is not taken for data above the scale.
RTOL = 1e-6

# The bit depths a maximum is rounded up to when it lies in their upper half
# (255: 8-bit, 1023: 10-bit, 4095: 12-bit, 16383: 14-bit, 65535: 16-bit).
BIT_DEPTH_MAXIMA = (255.0, 1023.0, 4095.0, 16383.0, 65535.0)

# Pixels above the scale are strays (clipped, with a warning) while they are at
# most this share of the batch's non-zero pixels; beyond it the batch is in other
# units (an error). A MinMaxScaler fitted on 500 MNIST images leaves 0.4% strays in
# the test set; X in 0-255 after fitting on X / 255 has over 99%.
STRAY_SHARE = 0.1

_FLOAT32_MAX = float(np.finfo(np.float32).max)


class PixelScaleWarning(UserWarning):
    """Pixel values look scaled differently from what the transformer expects.

    Raised by :class:`ImageFlattener` and :class:`ImageReshaper` (and
    :class:`skmnist.onnx.OnnxClassifier`) when every pixel of ``X`` would land
    below 1/255 after scaling (typically images already divided by 255 given to a
    transformer fitted on 0-255 intensities), and when a few stray pixels lie
    above the learned scale and are clipped to it. Turn it into an error with
    ``warnings.simplefilter("error", PixelScaleWarning)``.

    Examples
    --------
    >>> import warnings
    >>> from skmnist import ImageFlattener, PixelScaleWarning
    >>> flattener = ImageFlattener().fit([[[0, 255]]])  # 8-bit intensities
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = flattener.transform([[[0.0, 1.0]]])  # already divided by 255
    >>> caught[0].category is PixelScaleWarning
    True
    """


# -- shapes ---------------------------------------------------------------------------


def square_image_shape(n_pixels):
    """``(height, width)`` of a flat row of `n_pixels` pixels.

    A perfect square is a square image (784 -> 28 x 28, 64 -> 8 x 8); any other
    count is a single row ``(1, n_pixels)``.

    Examples
    --------
    >>> square_image_shape(784), square_image_shape(64), square_image_shape(10)
    ((28, 28), (8, 8), (1, 10))
    """
    n_pixels = int(n_pixels)
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels else (1, n_pixels)


def as_image_batch(images):
    """``(n, h, w)``, ``(n, h, w, 1)`` or flat square ``(n, h * w)`` -> ``(n, h, w)``.

    Examples
    --------
    >>> as_image_batch(np.zeros((2, 64))).shape
    (2, 8, 8)
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2:
        height, width = square_image_shape(images.shape[1])
        if height == width:
            images = images.reshape(len(images), height, width)
    if images.ndim != 3:
        raise ValueError(
            "expected images of shape (n, height, width), (n, height, width, 1) or "
            f"(n, side * side), got shape {images.shape}"
        )
    return images


def fitted_image_shape(model, default=None):
    """``(height, width)`` of the images a fitted model takes.

    A pipeline's image step (``image_shape_``), an
    :class:`~skmnist.onnx.OnnxClassifier`'s, a convolutional classifier's, or the
    square (else single-row) image of a classifier's ``n_features_in_``; else
    `default` (``skmnist predict`` and ``serve`` prepare images to it, MNIST's
    28x28 for a model that does not say).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> fitted_image_shape(SimpleNamespace(image_shape_=(8, 8, 1)))
    (8, 8)
    >>> fitted_image_shape(SimpleNamespace(n_features_in_=784))
    (28, 28)
    """
    steps = getattr(model, "steps", None)
    for holder in [steps[0][1], steps[-1][1]] if steps else [model]:
        shape = getattr(holder, "image_shape_", None)
        if shape is not None:
            return tuple(int(side) for side in shape[:2])
    final = steps[-1][1] if steps else model
    n_features = getattr(final, "n_features_in_", None)
    if n_features is None and default is not None:
        return tuple(default)
    if n_features is None:
        raise ValueError(
            f"cannot tell the image shape {type(model).__name__} takes: it has no "
            "image_shape_ nor n_features_in_; is it fitted?"
        )
    return square_image_shape(n_features)


# -- pixel scales ---------------------------------------------------------------------


def pixel_range(X):
    """The smallest and largest pixel of `X`, as floats (NaN and inf refused before).

    Two reductions, no temporary copy of `X`.
    """
    low = 0.0 if X.dtype.kind in "bu" else float(X.min())  # unsigned: no scan
    high = float(X.max())
    if max(high, -low) > _FLOAT32_MAX:
        raise ValueError(
            f"X has pixel values up to {max(high, -low):g} in magnitude, beyond "
            f"float32's range ({_FLOAT32_MAX:.3g}), in which the images are scaled "
            "and the networks compute; divide the data by a constant first."
        )
    return low, high


def learn_scale(dtype, high, name):
    """The pixel scale ``scale="auto"`` learns from the dtype and maximum of `X`.

    The rules, tabled in :class:`skmnist.ImageFlattener`'s Notes and the user
    guide: bool and 0/1 integers -> 1; uint8 -> 255 (the dtype states the
    depth); otherwise a maximum up to 1 -> 1, a maximum in the upper half of a
    bit depth -> that depth's maximum (255, 1023, 4095, 16383, 65535), and any
    other maximum is the scale itself (``load_digits``'s 0-16 -> 16).

    Examples
    --------
    >>> u16 = np.dtype(np.uint16)
    >>> [learn_scale(u16, high, "f") for high in (200, 3000, 60000)]
    [255.0, 4095.0, 65535.0]
    >>> learn_scale(np.dtype(float), 16.0, "f"), learn_scale(np.dtype(float), 0.7, "f")
    (16.0, 1.0)
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "b" or (dtype.kind in "iu" and high == 1):
        return 1.0  # binary images, in any integer dtype
    if dtype.kind == "u" and dtype.itemsize == 1:
        return 255.0
    if high == 0:
        if dtype.kind == "u" and dtype.itemsize == 2:
            return 65535.0  # uint16 states its depth when the values cannot
        warn(
            f"X passed to {name}.fit is all zeros, so its pixel scale cannot be "
            "learned; assuming pixels in [0, 1] (scale_=1.0). Pass scale= "
            "explicitly (e.g. scale=255.0 for 8-bit intensities) or fit on "
            "images with ink."
        )
        return 1.0
    if high <= 1 + RTOL:
        return 1.0
    for depth_max in BIT_DEPTH_MAXIMA:
        if depth_max / 2 < high <= depth_max * (1 + RTOL):
            return depth_max
    return high


def check_pixel_range(X, low, high, scale, name, *, scale_param="auto", fitting=None):
    """Judge `X` (pixels in ``[low, high]``) against `scale`; return whether to clip.

    - pixels outside ``[0, scale]``: when they are at most ``STRAY_SHARE`` of the
      non-zero pixels, they are strays (after a MinMaxScaler, test pixels darker
      or brighter than any in its fit): one :class:`PixelScaleWarning`, and True
      (clip to ``[0, scale]``); beyond that share the batch is in other units
      (above) or not intensities (below 0): ``ValueError``;
    - every pixel below ``scale / 255``: a :class:`PixelScaleWarning` (a blank or
      faint batch looks the same, so not an error).

    `fitting` is the dtype of the data in ``fit``, None in ``transform``.
    """
    limit = scale * (1 + RTOL)
    if low >= 0 and high <= limit:
        if 0 < high and high * 255 <= scale:
            warn(_looks_rescaled_message(name, high, scale, scale_param, fitting))
        return False
    below = int(np.count_nonzero(X < 0)) if low < 0 else 0
    above = int(np.count_nonzero(X > limit)) if high > limit else 0
    ink = int(np.count_nonzero(X))
    if below > STRAY_SHARE * ink:
        raise ValueError(
            f"Negative values in data passed to {name}: found minimum {low} "
            f"({below:,} of the {ink:,} non-zero pixels), but pixel values must be "
            "non-negative intensities. Shift or clip the data first, e.g. "
            "np.clip(X, 0, None) (with a MinMaxScaler in front, use "
            "MinMaxScaler(clip=True))."
        )
    if above > STRAY_SHARE * ink:
        raise ValueError(
            _above_scale_message(name, high, scale, scale_param, fitting)
            + f" ({above:,} of its {ink:,} non-zero pixels lie above.)"
        )
    outside = []
    if below:
        outside.append(f"{below:,} below 0 (down to {low:g})")
    if above:
        outside.append(f"{above:,} above the scale (up to {high:g})")
    warn(
        f"{' and '.join(outside)} of the {ink:,} non-zero pixels of X lie outside "
        f"[0, scale_={scale:g}] ({_describe_scale(scale)}); they are clipped to "
        f"[0, {scale:g}]. A few such pixels are usual after a MinMaxScaler (test "
        "pixels darker or brighter than any in its fit): MinMaxScaler(clip=True) "
        "clips them without this warning."
    )
    return True


def warn(message):
    """Warn with a :class:`PixelScaleWarning` pointing at the caller's line.

    The caller is the first frame outside skmnist's image code and scikit-learn
    (whose ``set_output`` and ``_fit_context`` wrappers, and pipelines, sit in
    between).
    """
    package = os.path.dirname(__file__)
    ours = {
        os.path.join(package, "_images.py"),
        os.path.join(package, "preprocessing.py"),
        os.path.join(package, "onnx", "_predictor.py"),
    }
    level, frame = 1, sys._getframe(1)
    while frame is not None and (
        frame.f_code.co_filename in ours
        or f"{os.sep}sklearn{os.sep}" in frame.f_code.co_filename
    ):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, PixelScaleWarning, stacklevel=level + 1)


def _describe_scale(scale):
    return {
        1.0: "pixels within [0, 1]",
        255.0: "8-bit intensities, 0-255",
        4095.0: "12-bit intensities, 0-4095",
        65535.0: "16-bit intensities, 0-65535",
    }.get(scale, f"pixels within [0, {scale:g}]")


def _above_scale_message(name, high, scale, scale_param, fitting):
    if fitting is not None:  # only an explicit scale can be exceeded in fit
        return (
            f"X has pixel values above scale: found maximum {high} > "
            f"scale={scale_param}; pass already-scaled data with scale=1.0, set "
            "scale to the largest possible intensity (e.g. 65535.0 for 16-bit "
            "images), or use scale='auto'."
        )
    message = (
        f"X has pixel values up to {high}, above the scale {name} was fitted with "
        f"(scale_={scale}: {_describe_scale(scale)}). "
    )
    if scale == 1.0 and high <= 255:
        return message + (
            "If they are 8-bit intensities, divide them by 255 as the data seen in "
            "fit were (X / 255), or refit on data in these units. With a "
            "MinMaxScaler in front, use MinMaxScaler(clip=True)."
        )
    return message + (
        "Pass them in the units of the data seen in fit, or refit on data in "
        "these units (or with scale= set to their largest possible intensity)."
    )


def _looks_rescaled_message(name, high, scale, scale_param, fitting):
    summary = (
        f"All pixel values of X lie in [0, {high}], but {name} "
        f"{'was fitted with' if fitting is None else 'uses'} scale_={scale} "
        f"({_describe_scale(scale)}): divided by it, every pixel lands below 1/255 "
        "and a network sees nearly blank images. "
    )
    if fitting is not None:  # only an explicit scale can be too large in fit
        return summary + (
            f"If the data are already scaled, pass scale=1.0 or scale='auto' "
            f"instead of scale={scale_param}."
        )
    if high <= 1:
        return summary + (
            "The data look already scaled (e.g. X / 255): pass them in the units "
            f"of the data seen in fit (X * {scale:g}), or refit on data in these "
            "units."
        )
    return summary + (
        "Pass them in the units of the data seen in fit, or refit on data in "
        "these units."
    )
