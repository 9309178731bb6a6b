"""Turn batches of grayscale images into the float32 arrays a network wants.

:class:`ImageFlattener` gives flat rows for dense networks, :class:`ImageReshaper`
keeps the 2-D structure, ``(n, height, width, 1)``, for convolutional ones. Both
accept the same input forms, learn the pixel scale the same way and check it the
same way: the code is shared in :class:`_BaseImageTransformer`.

Only numpy and scikit-learn are imported here: preprocessing must stay usable (and
fast to import) without TensorFlow.
"""

import math
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
from skmnist._images import (
    PixelScaleWarning,
    check_pixel_range,
    learn_scale,
    pixel_range,
    square_image_shape,
)
from skmnist._utils import is_positive_int

__all__ = ["ImageFlattener", "ImageReshaper", "PixelScaleWarning"]

_ACCEPTED_SHAPES = (
    "(n_samples, height, width), (n_samples, height, width, 1) "
    "or (n_samples, height * width)"
)


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
        name = type(self).__name__
        low, high = pixel_range(X)
        if isinstance(self.scale, str):  # "auto"
            self.scale_ = learn_scale(X.dtype, high, name)
        else:
            self.scale_ = float(self.scale)
        # strays are only warned about here: fit returns no pixels
        check_pixel_range(
            X, low, high, self.scale_, name, scale_param=self.scale, fitting=X.dtype
        )
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

    # -- the shared transform ------------------------------------------------------

    def _scaled_float32(self, X, output_shape):
        """Validate `X`, check its range against ``scale_``; return float32 pixels.

        `output_shape` maps the number of samples to the output's shape, which
        must hold ``n_samples * n_features_in_`` values.
        """
        check_is_fitted(self)
        X = self._validate_images(X, reset=False)
        self._check_fitted_shape(X)
        name = type(self).__name__
        clip = check_pixel_range(X, *pixel_range(X), self.scale_, name)
        Xt = np.empty(output_shape(X.shape[0]), dtype=np.float32)
        # Cast straight into the output: a reshape of a fresh C-contiguous array is a
        # view, so no intermediate copy (least of all a float64 one) is made.
        np.copyto(Xt.reshape(X.shape), X, casting="unsafe")
        if self.scale_ != 1.0:
            Xt /= np.float32(self.scale_)
        if clip:  # stray pixels outside [0, scale_], warned about
            np.clip(Xt, np.float32(0.0), np.float32(1.0), out=Xt)
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
        return square_image_shape(n_features)

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
    **The pixel scale learned by** ``scale="auto"``: from the dtype where it
    states a bit depth, else from the data's own maximum, rounded up to the bit
    depth it reaches (so data in their natural units train as well as the same
    data pre-scaled):

    ==================================  ==========  ===============================
    data seen in ``fit``                ``scale_``  because
    ==================================  ==========  ===============================
    bool, integers holding only 0, 1    1           binary images (thresholded)
    uint8                               255         8-bit images, as MNIST
    other dtypes, max <= 1              1           already scaled: ``X / 255``,
                                                    ``MinMaxScaler`` output
    other dtypes, max in (127.5, 255]   255         8-bit values in floats, int64
                                                    (``astype(int)``) or uint16
    max in ``(2**b / 2, 2**b - 1]``     2**b - 1    b-bit images, b = 10, 12, 14
                                                    or 16 (e.g. 12-bit in uint16)
    any other max                       the max     the data's own units:
                                                    ``load_digits``'s 0-16 -> 16
    ==================================  ==========  ===============================

    An all-zero batch tells nothing: uint8 and uint16 get their dtype's range;
    other data get ``scale_=1`` and a :class:`PixelScaleWarning`.

    **Data that contradict the scale** are judged by the bulk of the batch, not
    its single brightest pixel (checked in ``fit`` for a numeric `scale`, and in
    ``transform`` against ``scale_``):

    - pixels above ``scale_`` that are at most a tenth of the batch's non-zero
      pixels are strays (after a ``MinMaxScaler``, test pixels that were always
      dark in its fit): they are clipped to ``scale_`` (output 1) with one
      :class:`PixelScaleWarning`;
    - more of them mean the batch is in other units (e.g. 0-255 pixels after
      fitting on ``X / 255``): a ``ValueError``;
    - negative pixels follow the same rule: a few are clipped to 0 with the
      warning (a ``MinMaxScaler``'s test pixels darker than any in its fit),
      more raise a ``ValueError``;
    - pixels that would all land below 1/255 (maximum ``<= scale_ / 255``) give a
      :class:`PixelScaleWarning`: typically ``X / 255`` after fitting on 0-255
      pixels, but a blank or very faint batch can look the same, so it is not an
      error. The messages say how to fix the data or the fit.

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
            If more than a tenth of the non-zero pixels exceed ``scale_``
            (see Notes of the class).

        Warns
        -----
        PixelScaleWarning
            If every pixel would land below 1/255, or if a few stray pixels
            above ``scale_`` were clipped (see Notes of the class).
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
    A few stray pixels above ``scale_`` are clipped with a warning, a batch mostly
    above it raises a ``ValueError``, and data that would all land below 1/255
    give a :class:`PixelScaleWarning` (details in :class:`ImageFlattener`).

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
            If more than a tenth of the non-zero pixels exceed ``scale_``
            (see :class:`ImageFlattener`).

        Warns
        -----
        PixelScaleWarning
            If every pixel would land below 1/255, or if a few stray pixels
            above ``scale_`` were clipped (see :class:`ImageFlattener`).
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
