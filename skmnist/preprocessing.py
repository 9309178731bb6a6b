"""Turn batches of grayscale images into the flat float32 matrix a dense network wants.

Only numpy and scikit-learn are imported here: preprocessing must stay usable (and
fast to import) without TensorFlow.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

__all__ = ["ImageFlattener"]

_ACCEPTED_SHAPES = (
    "(n_samples, height, width), (n_samples, height, width, 1) "
    "or (n_samples, height * width)"
)


class ImageFlattener(TransformerMixin, BaseEstimator):
    """Flatten grayscale images to float32 rows scaled to [0, 1].

    Accepts a batch of images as ``(n_samples, height, width)``,
    ``(n_samples, height, width, 1)`` or already-flat ``(n_samples, height * width)``
    data (arrays, nested lists or pandas DataFrames with one column per pixel) and
    returns a C-contiguous float32 matrix of shape ``(n_samples, height * width)``,
    each pixel divided by `scale`. Pixels are flattened row-major: output column
    ``i`` is image row ``i // width``, column ``i % width``.

    Parameters
    ----------
    scale : float, default=255.0
        The largest possible pixel intensity; every pixel is divided by it. Input
        values must lie in ``[0, scale]``. Use ``scale=1.0`` for data already in
        ``[0, 1]``.

    image_shape : tuple of (int, int), default=None
        ``(height, width)`` of the images. Only needed to un-flatten 2-D input that
        is not made of square images: when None, flat input with a perfect-square
        number of features is read as square images, anything else as a single row
        ``(1, n_features)``. For 3-D and 4-D input it must match the images' shape.

    Attributes
    ----------
    image_shape_ : tuple of (int, int)
        ``(height, width)`` of the images seen during ``fit``.

    n_features_in_ : int
        Number of pixels per image, ``height * width``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.MinMaxScaler : Per-feature scaling learned from the data.
    sklearn.preprocessing.FunctionTransformer : Wrap an arbitrary stateless function.

    Notes
    -----
    Array input is converted straight to float32 into the output buffer, which is
    the only large allocation: a ``(60000, 28, 28)`` uint8 MNIST batch costs its
    188 MB float32 result and nothing more. Nested lists and object arrays are first
    converted by numpy, which may use a wider dtype.

    Examples
    --------
    >>> from skmnist import ImageFlattener
    >>> images = [[[0, 255], [51, 102]]]  # one 2x2 image
    >>> flattener = ImageFlattener().fit(images)
    >>> flattener.image_shape_
    (2, 2)
    >>> flattener.transform(images)
    array([[0. , 1. , 0.2, 0.4]], dtype=float32)
    >>> flattener.get_feature_names_out()
    array(['pixel_r0_c0', 'pixel_r0_c1', 'pixel_r1_c0', 'pixel_r1_c1'], dtype=object)
    >>> flattener.inverse_transform([[0.0, 1.0, 0.2, 0.4]])
    array([[[  0., 255.],
            [ 51., 102.]]], dtype=float32)
    """

    _parameter_constraints: dict = {
        "scale": [Interval(Real, 0, None, closed="neither")],
        # a pair of positive ints: the contents are checked in `_check_image_shape`
        "image_shape": [tuple, None],
    }

    def __init__(self, scale=255.0, image_shape=None):
        self.scale = scale
        self.image_shape = image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the image shape of `X` and check its pixel values.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, height * width)
            Images with pixel values in ``[0, scale]``.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        self._check_image_shape()
        X = self._validate_images(X, reset=True)
        self.image_shape_ = self._infer_image_shape(X)
        self.n_features_in_ = math.prod(self.image_shape_)
        return self

    def transform(self, X):
        """Flatten images to float32 rows and divide them by `scale`.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, height * width)
            Images of the shape seen in ``fit``, pixel values in ``[0, scale]``.

        Returns
        -------
        Xt : ndarray of shape (n_samples, height * width), dtype float32
            C-contiguous, values in ``[0, 1]``.
        """
        check_is_fitted(self)
        X = self._validate_images(X, reset=False)
        self._check_fitted_shape(X)
        Xt = np.empty((X.shape[0], self.n_features_in_), dtype=np.float32)
        # Cast straight into the output: a reshape of a fresh C-contiguous array is a
        # view, so no intermediate copy (least of all a float64 one) is made.
        np.copyto(Xt.reshape(X.shape), X, casting="unsafe")
        Xt /= np.float32(self.scale)
        return Xt

    def inverse_transform(self, X):
        """Turn flat rows back into ``(n_samples, height, width)`` images.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width)
            Flat rows, as returned by :meth:`transform`.

        Returns
        -------
        images : ndarray of shape (n_samples, height, width), dtype float32
            Pixel values multiplied back by `scale`.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=np.float32, estimator=self, input_name="X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input (images of "
                f"shape {self.image_shape_})."
            )
        images = X * np.float32(self.scale)  # a new array: never a view of X
        return images.reshape(-1, *self.image_shape_)

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

    # -- validation helpers ------------------------------------------------------

    def _check_image_shape(self):
        """Check that `image_shape`, if given, is a pair of positive ints."""
        shape = self.image_shape
        if shape is None:
            return
        if len(shape) != 2 or not all(_is_positive_int(side) for side in shape):
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
        _check_pixel_range(X, self.scale, type(self).__name__)
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


def _is_positive_int(value):
    # numpy ints count (shapes often come from arrays); bools do not
    return isinstance(value, Integral) and not isinstance(value, bool) and value > 0


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


def _check_pixel_range(X, scale, name):
    """Refuse pixel values outside ``[0, scale]`` (NaN and inf are caught before)."""
    # min() and max() reduce without a temporary copy of X
    low, high = X.min(), X.max()
    if low < 0:
        raise ValueError(
            f"Negative values in data passed to {name}: found minimum {float(low)}, "
            f"but pixel values must lie in [0, scale={scale}]. Shift or clip the "
            "data first, e.g. np.clip(X, 0, None)."
        )
    if high > scale:
        raise ValueError(
            f"X has pixel values above scale: found maximum {float(high)} > "
            f"scale={scale}; pass already-scaled data with scale=1.0, or set scale "
            "to the largest possible intensity (e.g. 65535.0 for 16-bit images)."
        )
