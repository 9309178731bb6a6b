"""Turn batches of grayscale images into the float32 arrays a network wants.

:class:`ImageFlattener` gives flat rows for dense networks, :class:`ImageReshaper`
keeps the 2-D structure, ``(n, height, width, 1)``, for convolutional ones. Both
accept the same input forms, learn the pixel scale the same way and check it the
same way: the code is shared in :class:`_BaseImageTransformer`.

Only numpy and scikit-learn are imported here: preprocessing must stay usable (and
fast to import) without TensorFlow.
"""

import math
import os
import sys
import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from skmnist._compat import (
    Interval,
    InvalidParameterError,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    validate_data,
)
from skmnist._utils import is_positive_int

__all__ = ["ImageFlattener", "ImageReshaper", "PixelScaleWarning"]

_ACCEPTED_SHAPES = (
    "(n_samples, height, width), (n_samples, height, width, 1) "
    "or (n_samples, height * width)"
)

# Dtypes that state a bit depth, (kind, itemsize) -> scale: bool, uint8 and uint16
# (either byte order), read by their full range as scikit-image's ``dtype_range``
# does. Other integers (int64 is what ``astype(int)`` and Python lists give) say
# nothing about the pixels' depth and are read by their values, as floats are.
_DTYPE_SCALES = {("b", 1): 1.0, ("u", 1): 255.0, ("u", 2): 65535.0}

# Relative slack on range comparisons, so that float round-off (a MinMaxScaler's
# 1.0000000000000002) is not taken for data above the scale.
_RTOL = 1e-6


class PixelScaleWarning(UserWarning):
    """Pixel values look scaled differently from what the transformer expects.

    Raised by :class:`ImageFlattener` and :class:`ImageReshaper` when every pixel of
    ``X`` would land below 1/255 after scaling: typically images already divided
    by 255 given to a transformer fitted on 0-255 intensities. Turn it into an
    error with ``warnings.simplefilter("error", PixelScaleWarning)``.

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


class _BaseImageTransformer(TransformerMixin, BaseEstimator):
    """Validation, pixel scale and shape bookkeeping shared by the image transformers.

    Subclasses define ``transform`` (calling :meth:`_scaled_float32` with their
    output shape), ``inverse_transform`` and their docstrings.
    """

    _parameter_constraints: dict = {
        "scale": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        # a pair of positive ints: the contents are checked in `_check_image_shape`
        "image_shape": [tuple, None],
    }

    def __init__(self, scale="auto", image_shape=None):
        self.scale = scale
        self.image_shape = image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the image shape and the pixel scale of `X`.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, height * width)
            Images with non-negative pixel values.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        self._check_image_shape()
        X = self._validate_images(X, reset=True)
        image_shape = self._infer_image_shape(X)
        high = _pixel_max(X, type(self).__name__)
        if isinstance(self.scale, str):  # "auto"
            self.scale_ = _auto_scale(X.dtype, high, type(self).__name__)
        else:
            self.scale_ = float(self.scale)
        self._check_against_scale(high, fitting=X.dtype)
        self.image_shape_ = image_shape
        self.n_features_in_ = math.prod(image_shape)
        return self

    def get_feature_names_out(self, input_features=None):
        """Name each output pixel by its image row and column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only validated against the names seen in ``fit``; the output names
            always describe pixel positions.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``pixel_r{row}_c{col}`` in row-major order, indices zero-padded to the
            width of the largest one, e.g. ``pixel_r00_c00`` to ``pixel_r27_c27``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        height, width = self.image_shape_
        row_digits, col_digits = len(str(height - 1)), len(str(width - 1))
        return np.asarray(
            [
                f"pixel_r{row:0{row_digits}d}_c{col:0{col_digits}d}"
                for row in range(height)
                for col in range(width)
            ],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.positive_only = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.requires_fit = True
        return tags

    def __setstate__(self, state):
        super().__setstate__(state)
        # Fitted before the scale was learned (skmnist 0.1: `scale` was always a
        # number, 255.0 by default, and used as is): that number is the scale.
        if "image_shape_" in self.__dict__ and "scale_" not in self.__dict__:
            self.scale_ = float(self.scale)

    # -- the shared transform ------------------------------------------------------

    def _scaled_float32(self, X, output_shape):
        """Validate `X`, check its range against ``scale_``; return float32 pixels.

        `output_shape` maps the number of samples to the output's shape, which
        must hold ``n_samples * n_features_in_`` values.
        """
        check_is_fitted(self)
        X = self._validate_images(X, reset=False)
        self._check_fitted_shape(X)
        self._check_against_scale(_pixel_max(X, type(self).__name__), fitting=None)
        Xt = np.empty(output_shape(X.shape[0]), dtype=np.float32)
        # Cast straight into the output: a reshape of a fresh C-contiguous array is a
        # view, so no intermediate copy (least of all a float64 one) is made.
        np.copyto(Xt.reshape(X.shape), X, casting="unsafe")
        if self.scale_ != 1.0:
            Xt /= np.float32(self.scale_)
        return Xt

    def _images_in_input_units(self, X):
        """Float32 images ``(n, height, width)`` from flat or 4-D scaled pixels."""
        check_is_fitted(self)
        X = check_array(
            X, dtype=np.float32, allow_nd=True, estimator=self, input_name="X"
        )
        n_pixels = math.prod(X.shape[1:])
        if X.ndim == 4 and X.shape[3] != 1:
            _check_batch_ndim(X)
        if n_pixels != self.n_features_in_ or (
            X.ndim > 2 and X.shape[1:3] != self.image_shape_
        ):
            raise ValueError(
                f"X has {n_pixels} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input (images of "
                f"shape {self.image_shape_}); got X of shape {X.shape}."
            )
        images = X * np.float32(self.scale_)  # a new array: never a view of X
        return images.reshape(-1, *self.image_shape_)

    # -- validation helpers ------------------------------------------------------

    def _check_image_shape(self):
        """Check that `image_shape`, if given, is a pair of positive ints."""
        shape = self.image_shape
        if shape is None:
            return
        if len(shape) != 2 or not all(is_positive_int(side) for side in shape):
            raise InvalidParameterError(
                f"The 'image_shape' parameter of {type(self).__name__} must be a "
                f"pair of positive ints (height, width) or None. Got {shape!r} "
                "instead."
            )

    def _validate_images(self, X, *, reset):
        """Validate `X` as a batch of images; return it as an ndarray, uncopied."""
        # ensure_2d=False: 3-D and 4-D batches are welcome, and n_features_in_ is
        # pixels per image (set in fit), not X.shape[1].
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype="numeric",
            ensure_2d=False,
            allow_nd=True,
        )
        _check_batch_ndim(X)
        if math.prod(X.shape[1:]) == 0:
            raise ValueError(
                f"X has empty images (shape {X.shape}); each image needs at least "
                "one pixel."
            )
        return X

    def _check_against_scale(self, high, *, fitting):
        """Refuse pixels above the scale; warn when all of them would be < 1/255.

        `fitting` is the dtype of the data in ``fit``, None in ``transform``.
        """
        name, scale = type(self).__name__, self.scale_
        if high > scale * (1 + _RTOL):
            if fitting is not None:  # only an explicit scale can be exceeded in fit
                raise ValueError(
                    f"X has pixel values above scale: found maximum {high} > "
                    f"scale={self.scale}; pass already-scaled data with scale=1.0, "
                    "set scale to the largest possible intensity (e.g. 65535.0 for "
                    "16-bit images), or use scale='auto'."
                )
            raise ValueError(_above_scale_message(name, high, scale))
        if 0 < high and high * 255 <= scale:
            _warn(_looks_rescaled_message(name, high, scale, self.scale, fitting))

    def _infer_image_shape(self, X):
        """Return ``(height, width)`` of the images in validated `X`."""
        given = None if self.image_shape is None else tuple(map(int, self.image_shape))
        if X.ndim > 2:
            found = X.shape[1:3]
            if given is not None and found != given:
                raise ValueError(
                    f"X has images of shape {found} but image_shape={given}; "
                    "set image_shape=None to take the shape from X."
                )
            return found
        n_features = X.shape[1]
        if given is not None:
            if math.prod(given) != n_features:
                raise ValueError(
                    f"X has {n_features} features, which cannot be reshaped into "
                    f"image_shape={given} ({math.prod(given)} pixels); pass the "
                    "matching image_shape or None."
                )
            return given
        side = math.isqrt(n_features)
        return (side, side) if side * side == n_features else (1, n_features)

    def _check_fitted_shape(self, X):
        """Refuse images of another shape than the ones seen in fit."""
        name = type(self).__name__
        if X.ndim > 2 and X.shape[1:3] != self.image_shape_:
            raise ValueError(
                f"X has images of shape {X.shape[1:3]} but {name} was fitted on "
                f"{self.image_shape_}; resize the images or refit."
            )
        if X.ndim == 2 and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {name} is expecting "
                f"{self.n_features_in_} features as input (images of shape "
                f"{self.image_shape_}); resize the images or refit."
            )


class ImageFlattener(_BaseImageTransformer):
    """Flatten grayscale images to float32 rows scaled to [0, 1].

    Accepts a batch of images as ``(n_samples, height, width)``,
    ``(n_samples, height, width, 1)`` or already-flat ``(n_samples, height * width)``
    data (arrays, nested lists or pandas DataFrames with one column per pixel) and
    returns a C-contiguous float32 matrix of shape ``(n_samples, height * width)``,
    each pixel divided by the pixel scale ``scale_``. Pixels are flattened
    row-major: output column ``i`` is image row ``i // width``, column ``i % width``.

    With the default ``scale="auto"`` the scale is learned in ``fit`` from the
    data, as users hold pixels (see Notes), so uint8 images, openml's float64
    0-255 pixels, ``X / 255`` and ``MinMaxScaler`` output all come out in [0, 1].

    Parameters
    ----------
    scale : "auto" or float, default="auto"
        The largest possible pixel intensity; every pixel is divided by it.
        ``"auto"`` learns it in ``fit`` (table in Notes). A number is used as
        is, and input values must lie in ``[0, scale]``: e.g. ``scale=1.0`` for
        data already in ``[0, 1]``, ``scale=4095.0`` for 12-bit images.

    image_shape : tuple of (int, int), default=None
        ``(height, width)`` of the images. Only needed to un-flatten 2-D input that
        is not made of square images: when None, flat input with a perfect-square
        number of features is read as square images, anything else as a single row
        ``(1, n_features)``. For 3-D and 4-D input it must match the images' shape.

    Attributes
    ----------
    scale_ : float
        The pixel scale used by ``transform``: learned in ``fit`` when
        ``scale="auto"``, else ``float(scale)``.

    image_shape_ : tuple of (int, int)
        ``(height, width)`` of the images seen during ``fit``.

    n_features_in_ : int
        Number of pixels per image, ``height * width``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    ImageReshaper : The same, keeping images 2-D for convolutional networks.
    sklearn.preprocessing.MinMaxScaler : Per-feature scaling learned from the data.
    sklearn.preprocessing.FunctionTransformer : Wrap an arbitrary stateless function.

    Notes
    -----
    **The pixel scale learned by** ``scale="auto"``, from the dtype where it
    states a bit depth (scikit-image's ``dtype_range``), else from the values:

    =================================  ==========  ================================
    data seen in ``fit``               ``scale_``  because
    =================================  ==========  ================================
    bool                               1           False/True
    integers holding only 0 and 1      1           binary images (thresholded)
    uint8                              255         8-bit images, as MNIST
    uint16                             65535       16-bit images
    other ints and floats, max <= 1    1           already scaled: ``X / 255``,
                                                   ``MinMaxScaler`` output
    other ints and floats, max <= 255  255         8-bit intensities, as openml's
                                                   float64 MNIST or ``astype(int)``
    other ints and floats, max > 255   error       ambiguous: pass ``scale=``
    =================================  ==========  ================================

    An all-zero batch tells nothing: integers that state their depth still get
    it; other data get ``scale_=1`` and a :class:`PixelScaleWarning`.

    **Data that contradict the scale** (checked in ``fit`` for a numeric `scale`,
    and in ``transform`` against ``scale_``; one ``max`` reduction of `X`):

    - values above ``scale_`` raise a ``ValueError``: the output would leave
      [0, 1], a certain error (e.g. 0-255 pixels after fitting on ``X / 255``);
    - values that would all land below 1/255 (maximum ``<= scale_ / 255``) give a
      :class:`PixelScaleWarning`: typically ``X / 255`` after fitting on 0-255
      pixels, but a blank or very faint batch can look the same, so it is not an
      error. Both messages say how to fix the data or the fit.

    Transformers pickled before ``scale_`` existed (``scale=255.0``) load with
    ``scale_ = scale``.

    Array input is converted straight to float32 into the output buffer, which is
    the only large allocation: a ``(60000, 28, 28)`` uint8 MNIST batch costs its
    188 MB float32 result and nothing more. Nested lists and object arrays are first
    converted by numpy, which may use a wider dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import ImageFlattener
    >>> images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # one 2x2 image
    >>> flattener = ImageFlattener().fit(images)
    >>> flattener.image_shape_, flattener.scale_
    ((2, 2), 255.0)
    >>> flattener.transform(images)
    array([[0. , 1. , 0.2, 0.4]], dtype=float32)
    >>> ImageFlattener().fit_transform(images / 255.0)  # already scaled: scale_=1
    array([[0. , 1. , 0.2, 0.4]], dtype=float32)
    >>> flattener.get_feature_names_out()
    array(['pixel_r0_c0', 'pixel_r0_c1', 'pixel_r1_c0', 'pixel_r1_c1'], dtype=object)
    >>> flattener.inverse_transform([[0.0, 1.0, 0.2, 0.4]])
    array([[[  0., 255.],
            [ 51., 102.]]], dtype=float32)
    """

    def transform(self, X):
        """Flatten images to float32 rows and divide them by ``scale_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, height * width)
            Images of the shape seen in ``fit``, pixel values in ``[0, scale_]``.

        Returns
        -------
        Xt : ndarray of shape (n_samples, height * width), dtype float32
            C-contiguous, values in ``[0, 1]``.

        Raises
        ------
        ValueError
            If pixel values exceed ``scale_`` (see Notes of the class).

        Warns
        -----
        PixelScaleWarning
            If every pixel would land below 1/255 (see Notes of the class).
        """
        return self._scaled_float32(X, lambda n: (n, self.n_features_in_))

    def inverse_transform(self, X):
        """Turn flat rows back into ``(n_samples, height, width)`` images.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width)
            Flat rows, as returned by :meth:`transform`.

        Returns
        -------
        images : ndarray of shape (n_samples, height, width), dtype float32
            Pixel values multiplied back by ``scale_``: in the units of ``fit``.
        """
        return self._images_in_input_units(X)


class ImageReshaper(_BaseImageTransformer, auto_wrap_output_keys=None):
    """Shape grayscale images as float32 ``(n, height, width, 1)`` scaled to [0, 1].

    The sibling of :class:`ImageFlattener` for convolutional networks: the same
    input forms (``(n, h, w)``, ``(n, h, w, 1)``, flat ``(n, h * w)`` with square
    images or `image_shape`, nested lists, pandas DataFrames), the same pixel scale
    learned in ``fit`` and the same checks, but the output keeps the 2-D structure
    of the images: a C-contiguous float32 array of shape
    ``(n_samples, height, width, 1)`` (channels last, as Keras's ``Conv2D`` wants).

    Parameters
    ----------
    scale : "auto" or float, default="auto"
        The largest possible pixel intensity; every pixel is divided by it.
        ``"auto"`` learns it in ``fit``, by the rules tabled in
        :class:`ImageFlattener`'s Notes (uint8: 255, ``X / 255``: 1, ...).

    image_shape : tuple of (int, int), default=None
        ``(height, width)`` of the images; only needed for flat input that is not
        made of square images.

    Attributes
    ----------
    scale_ : float
        The pixel scale used by ``transform``.

    image_shape_ : tuple of (int, int)
        ``(height, width)`` of the images seen during ``fit``.

    n_features_in_ : int
        Number of pixels per image, ``height * width``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    ImageFlattener : The same, flattening images to rows for dense networks.

    Notes
    -----
    Values above ``scale_`` raise a ``ValueError``; data that would all land below
    1/255 give a :class:`PixelScaleWarning` (details in :class:`ImageFlattener`).

    **The output is 4-D**, unusual for a scikit-learn transformer.
    :meth:`get_feature_names_out` names the ``height * width`` pixels as the
    flattener does, in the order of ``Xt.reshape(n, -1)``; ``Xt.shape[1]`` is the
    height, not the number of names. A DataFrame cannot hold 4-D data, so
    ``set_output(transform="pandas")`` (or ``"polars"``) raises a ``ValueError``
    and a global ``set_config(transform_output="pandas")`` leaves this step's
    output an array (so a convolutional pipeline keeps working under it).

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import ImageReshaper
    >>> images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # one 2x2 image
    >>> reshaper = ImageReshaper().fit(images)
    >>> Xt = reshaper.transform(images)
    >>> Xt.shape, Xt.dtype, reshaper.scale_
    ((1, 2, 2, 1), dtype('float32'), 255.0)
    >>> Xt[0, :, :, 0]
    array([[0. , 1. ],
           [0.2, 0.4]], dtype=float32)
    >>> reshaper.inverse_transform(Xt)
    array([[[  0., 255.],
            [ 51., 102.]]], dtype=float32)
    """

    def transform(self, X):
        """Shape images as float32 ``(n, height, width, 1)`` divided by ``scale_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, height * width)
            Images of the shape seen in ``fit``, pixel values in ``[0, scale_]``.

        Returns
        -------
        Xt : ndarray of shape (n_samples, height, width, 1), dtype float32
            C-contiguous, values in ``[0, 1]``.

        Raises
        ------
        ValueError
            If pixel values exceed ``scale_`` (see :class:`ImageFlattener`).

        Warns
        -----
        PixelScaleWarning
            If every pixel would land below 1/255 (see :class:`ImageFlattener`).
        """
        return self._scaled_float32(X, lambda n: (n, *self.image_shape_, 1))

    def inverse_transform(self, X):
        """Turn ``(n, height, width, 1)`` arrays back into ``(n, height, width)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, 1) or \
                (n_samples, height, width)
            Scaled images, as returned by :meth:`transform`.

        Returns
        -------
        images : ndarray of shape (n_samples, height, width), dtype float32
            Pixel values multiplied back by ``scale_``: in the units of ``fit``.
        """
        return self._images_in_input_units(X)

    def set_output(self, *, transform=None):
        """Refuse DataFrame output, which cannot hold 4-D images.

        Parameters
        ----------
        transform : {"default"} or None, default=None
            ``"default"`` or None keep the array output. ``"pandas"`` and
            ``"polars"`` raise.

        Returns
        -------
        self : estimator instance
            Unchanged.

        Raises
        ------
        ValueError
            For any container but the default array.
        """
        if transform not in (None, "default"):
            raise ValueError(
                f"{type(self).__name__} outputs 4-D arrays (n_samples, height, width, "
                f"1), which transform={transform!r} cannot hold. Keep the default "
                "output, or use ImageFlattener for a DataFrame with one column per "
                "pixel."
            )
        return self


# -- range helpers -------------------------------------------------------------------


def _pixel_max(X, name):
    """The largest pixel of `X` as a float; refuse negative pixels.

    Two reductions, no temporary copy of `X` (NaN and inf are refused before).
    """
    low, high = X.min(), X.max()
    if low < 0:
        raise ValueError(
            f"Negative values in data passed to {name}: found minimum {float(low)}, "
            "but pixel values must be non-negative intensities. Shift or clip the "
            "data first, e.g. np.clip(X, 0, None) (with a MinMaxScaler in front, "
            "use MinMaxScaler(clip=True))."
        )
    return float(high)


def _auto_scale(dtype, high, name):
    """The pixel scale ``scale="auto"`` learns from `X`'s dtype and maximum."""
    if dtype.kind in "biu" and high == 1:
        return 1.0  # 0/1 binary images, in any integer dtype
    if (dtype.kind, dtype.itemsize) in _DTYPE_SCALES:
        return _DTYPE_SCALES[dtype.kind, dtype.itemsize]
    if high == 0:
        _warn(
            f"X passed to {name}.fit is all zeros, so its pixel scale cannot be "
            "learned; assuming pixels in [0, 1] (scale_=1.0). Pass scale= "
            "explicitly (e.g. scale=255.0 for 8-bit intensities) or fit on "
            "images with ink."
        )
        return 1.0
    if high <= 1 + _RTOL:
        return 1.0
    if high <= 255 * (1 + _RTOL):
        return 255.0
    raise ValueError(
        f"X has pixel values up to {high} ({dtype}), beyond the 8-bit range "
        f"0-255, so {name}(scale='auto') cannot tell their scale. Pass the largest "
        "possible intensity explicitly, e.g. scale=65535.0 for 16-bit images "
        "(or convert them to uint16), or scale=float(X.max()) to scale by the "
        "data's own maximum."
    )


def _warn(message):
    """Warn with a :class:`PixelScaleWarning` pointing at the caller's line.

    The caller is the first frame outside this module and scikit-learn (whose
    ``set_output`` and ``_fit_context`` wrappers, and pipelines, sit in between).
    """
    level, frame = 1, sys._getframe(1)
    while frame is not None and (
        frame.f_code.co_filename == __file__
        or f"{os.sep}sklearn{os.sep}" in frame.f_code.co_filename
    ):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, PixelScaleWarning, stacklevel=level + 1)


def _describe_scale(scale):
    return {
        1.0: "pixels within [0, 1]",
        255.0: "8-bit intensities, 0-255",
        65535.0: "16-bit intensities, 0-65535",
    }.get(scale, f"pixels within [0, {scale:g}]")


def _above_scale_message(name, high, scale):
    message = (
        f"X has pixel values up to {high}, above the scale {name} was fitted with "
        f"(scale_={scale}: {_describe_scale(scale)}). "
    )
    if scale == 1.0 and high <= 255:
        message += (
            "If they are 8-bit intensities, divide them by 255 as the data seen in "
            "fit were (X / 255), or refit on data in these units. With a "
            "MinMaxScaler in front, test pixels brighter than any seen in its fit "
            "exceed 1: use MinMaxScaler(clip=True)."
        )
    else:
        message += (
            "Pass them in the units of the data seen in fit, or refit on data in "
            "these units (with scale=65535.0 for 16-bit images)."
        )
    return message


def _looks_rescaled_message(name, high, scale, scale_param, fitting):
    """`fitting` is the dtype of the data in ``fit``, None in ``transform``."""
    summary = (
        f"All pixel values of X lie in [0, {high}], but {name} "
        f"{'was fitted with' if fitting is None else 'uses'} scale_={scale} "
        f"({_describe_scale(scale)}): divided by it, every pixel lands below 1/255 "
        "and a network sees nearly blank images. "
    )
    if fitting is not None and scale_param != "auto":
        return summary + (
            f"If the data are already scaled, pass scale=1.0 or scale='auto' "
            f"instead of scale={scale_param}."
        )
    if fitting is not None and fitting.kind == "u":  # uint16 holding 8-bit values
        return summary + (
            f"If these are 8-bit intensities stored as {fitting}, pass scale=255.0 "
            "(or X.astype(np.uint8))."
        )
    if fitting is not None:  # floats in [0, 1/255]
        return summary + (
            "If the data were divided by 255 twice (X / 255 / 255), divide them once."
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


def _check_batch_ndim(X):
    """Refuse arrays that are not a batch of single-channel images."""
    if X.ndim == 4 and X.shape[3] != 1:
        raise ValueError(
            f"X has {X.shape[3]} channels (shape {X.shape}) but only single-channel "
            "(grayscale) images are supported; convert to grayscale first, e.g. "
            "X.mean(axis=-1)."
        )
    if X.ndim == 1:
        raise ValueError(
            f"Expected a batch of images, got a 1-D array of shape {X.shape}. "
            "Reshape your data: X.reshape(1, -1) if it is a single flat image."
        )
    if X.ndim not in (2, 3, 4):
        raise ValueError(
            f"Expected a batch of images of shape {_ACCEPTED_SHAPES}, got a "
            f"{X.ndim}-D array of shape {X.shape}."
        )
