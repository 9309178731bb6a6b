import pickle
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

import skmnist
from skmnist._compat import InvalidParameterError
from skmnist.preprocessing import ImageFlattener, ImageReshaper, PixelScaleWarning

TRANSFORMERS = [ImageFlattener, ImageReshaper]


@pytest.fixture
def images():
    """Three 4x5 uint8 images whose pixel values span 0..255."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    X[0, 0, 0], X[0, 0, 1] = 0, 255
    return X


@pytest.fixture
def blank():
    """Blank uint8 images: their dtype states the scale, so fitting is silent."""
    return lambda *shape: np.zeros(shape, dtype=np.uint8)


# sklearn's synthetic data, shifted to be non-negative because of the positive_only
# tag, stays within [0, 255], so scale="auto" learns 1 or 255 and the default
# instances pass every check: no expected failures for either transformer.
@parametrize_with_checks([ImageFlattener(), ImageReshaper()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# Output-container checks that check_estimator does not yield (scikit-learn runs
# them on its own transformers): the flattener passes them all. (The checks
# themselves mix fitting with and without feature names: sklearn warns.)
@pytest.mark.filterwarnings("ignore:X (does not )?ha(s|ve) .*feature names")
@pytest.mark.parametrize(
    "check_name",
    [
        "check_transformer_get_feature_names_out",
        "check_transformer_get_feature_names_out_pandas",
        "check_set_output_transform",
        "check_set_output_transform_pandas",
        "check_global_output_transform_pandas",
    ],
)
def test_flattener_passes_output_container_checks(check_name):
    getattr(estimator_checks, check_name)("ImageFlattener", ImageFlattener())


# The reshaper passes check_set_output_transform; the four others above assume a
# 2-D output (they count X_t.shape[1] features, or build a DataFrame from it), which
# a (n, h, w, 1) output cannot be by design: its behaviour there is tested below
# (test_reshaper_feature_names_describe_the_4d_output and the set_output tests).
def test_reshaper_passes_default_set_output_check():
    estimator_checks.check_set_output_transform("ImageReshaper", ImageReshaper())


def test_lazy_reexport():
    assert skmnist.ImageFlattener is ImageFlattener
    assert skmnist.ImageReshaper is ImageReshaper
    assert skmnist.PixelScaleWarning is PixelScaleWarning
    assert issubclass(PixelScaleWarning, UserWarning)


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, skmnist.preprocessing; "
        "assert not {'tensorflow', 'keras'} & set(sys.modules)"
    )
    repo_root = Path(skmnist.__file__).parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo_root)


# -- accepted inputs -------------------------------------------------------------


@pytest.mark.parametrize(
    "to_input",
    [
        pytest.param(lambda X: X, id="3d"),
        pytest.param(lambda X: X[..., np.newaxis], id="4d-one-channel"),
        pytest.param(lambda X: X.reshape(len(X), -1), id="flat"),
        pytest.param(lambda X: X.tolist(), id="nested-list"),
        pytest.param(lambda X: pd.DataFrame(X.reshape(len(X), -1)), id="dataframe"),
        pytest.param(lambda X: X.astype(np.float64), id="float64"),
        pytest.param(lambda X: np.asfortranarray(X), id="fortran-ordered"),
    ],
)
@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_input_forms_give_identical_output(images, to_input, Transformer):
    image_shape = images.shape[1:]  # 4x5 is not square: flat forms need the hint
    expected = images.astype(np.float32) / np.float32(255)

    Xt = Transformer(image_shape=image_shape).fit_transform(to_input(images))

    assert Xt.dtype == np.float32
    assert Xt.flags.c_contiguous
    if Transformer is ImageFlattener:
        assert_array_equal(Xt, expected.reshape(len(images), -1))
    else:
        assert_array_equal(Xt, expected[..., np.newaxis])


def test_scales_to_unit_interval(images):
    Xt = ImageFlattener().fit_transform(images)
    assert Xt[0, 0] == 0.0
    assert Xt[0, 1] == 1.0
    assert Xt.min() >= 0.0 and Xt.max() <= 1.0


def test_custom_scale_for_already_scaled_data():
    X = np.array([[[0.0, 0.5], [0.25, 1.0]]], dtype=np.float32)
    assert_array_equal(ImageFlattener(scale=1.0).fit_transform(X), X.reshape(1, -1))


def test_transform_never_modifies_its_input():
    # float32 input needs no cast: the output must still be a new array
    X = np.full((2, 3, 3), 255.0, dtype=np.float32)
    Xt = ImageFlattener().fit_transform(X)
    assert not np.shares_memory(X, Xt)
    assert_array_equal(X, 255.0)


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
@pytest.mark.parametrize(
    "make_X",
    [
        pytest.param(lambda X: X.astype(np.uint8), id="uint8"),
        pytest.param(lambda X: X.astype(np.int64), id="int64"),
        pytest.param(lambda X: X.astype(np.float64), id="float64"),
        pytest.param(lambda X: X / 255.0, id="float64-unit"),
    ],
)
def test_transform_allocates_only_its_output(make_X, Transformer):
    X = make_X(np.random.default_rng(0).integers(0, 256, size=(2000, 28, 28)))
    transformer = Transformer().fit(X[:10])
    output_nbytes = X.shape[0] * 28 * 28 * np.dtype(np.float32).itemsize

    tracemalloc.start()
    try:
        Xt = transformer.transform(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert Xt.dtype == np.float32
    # a float64 temporary alone would be 2x the output
    assert peak < 1.5 * output_nbytes


@pytest.mark.parametrize(
    "n_features, image_shape",
    [(784, (28, 28)), (16, (4, 4)), (1, (1, 1)), (10, (1, 10)), (12, (1, 12))],
)
def test_flat_input_infers_image_shape(n_features, image_shape):
    flattener = ImageFlattener().fit(np.zeros((2, n_features), np.uint8))
    assert flattener.image_shape_ == image_shape
    assert flattener.n_features_in_ == n_features


def test_image_shape_unflattens_flat_input():
    flattener = ImageFlattener(image_shape=(3, 4)).fit(np.zeros((2, 12), np.uint8))
    assert flattener.image_shape_ == (3, 4)
    assert flattener.n_features_in_ == 12


def test_fitted_on_flat_transforms_images():
    flattener = ImageFlattener().fit(np.zeros((2, 16), np.uint8))
    assert flattener.transform(np.zeros((1, 4, 4))).shape == (1, 16)


# -- rejected inputs -------------------------------------------------------------


def test_transform_refuses_other_image_shape():
    flattener = ImageFlattener().fit(np.zeros((2, 28, 28), np.uint8))
    msg = r"images of shape \(20, 20\) but ImageFlattener was fitted on \(28, 28\)"
    with pytest.raises(ValueError, match=msg):
        flattener.transform(np.zeros((2, 20, 20)))


def test_transform_refuses_flat_input_of_other_width():
    flattener = ImageFlattener().fit(np.zeros((2, 28, 28), np.uint8))
    msg = (
        r"X has 400 features, but ImageFlattener is expecting 784 features as input "
        r"\(images of shape \(28, 28\)\)"
    )
    with pytest.raises(ValueError, match=msg):
        flattener.transform(np.zeros((2, 400)))


@pytest.mark.parametrize(
    "X, msg",
    [
        (
            np.zeros((2, 20, 20), np.uint8),
            r"shape \(20, 20\) but image_shape=\(28, 28\)",
        ),
        (
            np.zeros((2, 700), np.uint8),
            r"700 features, .* image_shape=\(28, 28\) \(784 pixels\)",
        ),
    ],
)
def test_fit_refuses_input_not_matching_image_shape(X, msg):
    with pytest.raises(ValueError, match=msg):
        ImageFlattener(image_shape=(28, 28)).fit(X)


@pytest.mark.parametrize(
    "X, msg",
    [
        pytest.param([[np.nan, 1.0]], "Input X contains NaN", id="nan"),
        pytest.param([[np.inf, 1.0]], "Input X contains infinity", id="inf"),
        pytest.param(
            [[-3.0, 1.0]],
            r"Negative values .* found minimum -3.0.*np\.clip\(X, 0, None\)",
            id="negative",
        ),
        pytest.param(
            [["a", "b"]], "dtype='numeric' is not compatible with .*strings", id="str"
        ),
        pytest.param(
            np.array([[1, "b"]], dtype=object),
            "could not convert string to float: 'b'",
            id="object",
        ),
        pytest.param(
            np.zeros((0, 28, 28)), r"0 sample\(s\) \(shape=\(0, 28, 28\)\)", id="empty"
        ),
        pytest.param(np.zeros((3, 0, 5)), r"empty images \(shape \(3, 0, 5\)\)"),
        pytest.param(
            np.zeros(4), r"1-D array of shape \(4,\).*X\.reshape\(1, -1\)", id="1d"
        ),
        pytest.param(
            np.zeros((2, 3, 3, 1, 1)), r"5-D array of shape \(2, 3, 3, 1, 1\)", id="5d"
        ),
        pytest.param(
            np.zeros((2, 3, 3, 3)), r"3 channels .* convert to grayscale", id="rgb"
        ),
    ],
)
def test_rejects_bad_input(X, msg):
    with pytest.raises(ValueError, match=msg):
        ImageFlattener().fit(X)


def test_explicit_scale_refuses_values_above_it():
    msg = (
        r"found maximum 300.0 > scale=255.0; pass already-scaled data with "
        r"scale=1.0, .* or use scale='auto'"
    )
    with pytest.raises(ValueError, match=msg):
        ImageFlattener(scale=255.0).fit([[300, 1]])


def test_transform_rejects_bad_values_too(blank):
    flattener = ImageFlattener().fit(blank(1, 2, 2))  # uint8: scale_ 255
    msg = r"values up to 256.0, above the scale .* \(scale_=255.0: 8-bit"
    with pytest.raises(ValueError, match=msg):
        flattener.transform(np.full((1, 2, 2), 256))
    with pytest.raises(ValueError, match="Negative values"):
        flattener.transform(np.full((1, 2, 2), -1))


@pytest.mark.parametrize(
    "params, msg",
    [
        ({"scale": 0}, "'scale' parameter"),
        ({"scale": -1.0}, "'scale' parameter"),
        ({"scale": np.inf}, "'scale' parameter"),
        ({"scale": np.nan}, "'scale' parameter"),
        ({"scale": "255"}, "'scale' parameter .* among {'auto'}"),
        ({"scale": None}, "'scale' parameter"),
        ({"image_shape": [28, 28]}, "'image_shape' parameter .* instance of 'tuple'"),
        ({"image_shape": (28,)}, r"pair of positive ints .* Got \(28,\)"),
        ({"image_shape": (0, 28)}, "pair of positive ints"),
        ({"image_shape": (28.0, 28)}, "pair of positive ints"),
        ({"image_shape": (True, True)}, "pair of positive ints"),
    ],
)
def test_invalid_params_are_refused_in_fit(params, msg):
    flattener = ImageFlattener(**params)  # __init__ only stores
    with pytest.raises(InvalidParameterError, match=msg):
        flattener.fit(np.zeros((1, 28, 28), np.uint8))


def test_image_shape_accepts_numpy_ints():
    flattener = ImageFlattener(image_shape=(np.int64(7), np.int64(112)))
    image_shape = flattener.fit(np.zeros((1, 784), np.uint8)).image_shape_
    assert image_shape == (7, 112)
    assert all(type(side) is int for side in image_shape)


def test_transform_requires_fit():
    with pytest.raises(NotFittedError):
        ImageFlattener().transform(np.zeros((1, 2, 2)))


# -- feature names and output containers -----------------------------------------


def test_feature_names_say_row_and_column():
    flattener = ImageFlattener().fit(np.zeros((1, 28, 28), np.uint8))
    names = flattener.get_feature_names_out()
    assert names.dtype == object
    assert len(names) == 784
    assert names[0] == "pixel_r00_c00"
    assert names[1] == "pixel_r00_c01"
    assert names[28] == "pixel_r01_c00"
    assert names[-1] == "pixel_r27_c27"


def test_feature_names_follow_row_major_order(images):
    height, width = images.shape[1:]
    # each pixel's value encodes its position: 10 * row + col
    rows, cols = np.indices((height, width))
    X = (10 * rows + cols)[np.newaxis]
    flattener = ImageFlattener().fit(X)

    Xt = flattener.transform(X) * flattener.scale_  # 34, the max: its own units
    for i, name in enumerate(flattener.get_feature_names_out()):
        assert name == f"pixel_r{i // width}_c{i % width}"
        assert round(float(Xt[0, i])) == 10 * (i // width) + i % width


def test_feature_names_pad_each_index_to_its_own_width():
    names = ImageFlattener().fit(np.zeros((1, 12), np.uint8)).get_feature_names_out()
    assert names[0] == "pixel_r0_c00"
    assert names[-1] == "pixel_r0_c11"


def test_dataframe_feature_names_are_validated():
    df = pd.DataFrame(np.zeros((2, 4), np.uint8), columns=["a", "b", "c", "d"])
    flattener = ImageFlattener().fit(df)

    assert_array_equal(flattener.feature_names_in_, ["a", "b", "c", "d"])
    assert_array_equal(
        flattener.get_feature_names_out(["a", "b", "c", "d"]),
        ["pixel_r0_c0", "pixel_r0_c1", "pixel_r1_c0", "pixel_r1_c1"],
    )
    with pytest.raises(ValueError, match="input_features is not equal"):
        flattener.get_feature_names_out(["w", "x", "y", "z"])
    with pytest.raises(ValueError, match="feature names should match"):
        flattener.transform(df[["d", "c", "b", "a"]])


def test_set_output_pandas(images):
    flattener = ImageFlattener(image_shape=(4, 5)).set_output(transform="pandas")
    df = pd.DataFrame(images.reshape(3, -1), index=["x", "y", "z"])

    out = flattener.fit_transform(df)

    assert isinstance(out, pd.DataFrame)
    assert_array_equal(out.columns, flattener.get_feature_names_out())
    assert_array_equal(out.index, ["x", "y", "z"])
    assert (out.dtypes == np.float32).all()


# -- round trips -----------------------------------------------------------------


def test_clone_and_pickle_round_trip(images):
    flattener = ImageFlattener(scale=255.0, image_shape=(4, 5))
    assert clone(flattener).get_params() == flattener.get_params()

    fitted = pickle.loads(pickle.dumps(flattener.fit(images)))

    assert fitted.image_shape_ == (4, 5)
    assert_array_equal(fitted.transform(images), flattener.transform(images))


def test_inverse_transform_round_trip(images):
    flattener = ImageFlattener().fit(images)

    restored = flattener.inverse_transform(flattener.transform(images))

    assert restored.dtype == np.float32
    assert restored.shape == images.shape
    assert_allclose(restored, images, rtol=1e-6)


def test_inverse_transform_refuses_other_width(images):
    flattener = ImageFlattener().fit(images)
    with pytest.raises(ValueError, match="X has 3 features, .* expecting 20"):
        flattener.inverse_transform(np.zeros((1, 3)))


def test_works_in_a_pipeline():
    rng = np.random.default_rng(0)
    # class 1 images are bright, class 0 dark: trivially separable
    y = np.arange(40) % 2
    X = rng.integers(0, 100, size=(40, 6, 6)) + 150 * y[:, np.newaxis, np.newaxis]

    pipe = make_pipeline(ImageFlattener(), LogisticRegression()).fit(X, y)

    assert pipe.score(X, y) == 1.0
    assert_array_equal(
        pipe[:-1].get_feature_names_out()[:2], ["pixel_r0_c0", "pixel_r0_c1"]
    )


# -- the pixel scale learned in fit (issue 10) -----------------------------------


def _mnist_like(n=4, seed=0):
    """uint8 digits-like images: a blank border and a 0-255 stroke area."""
    X = np.zeros((n, 28, 28), dtype=np.uint8)
    X[:, 6:22, 6:22] = np.random.default_rng(seed).integers(0, 256, (n, 16, 16))
    X[:, 10, 10] = 255
    return X


@pytest.mark.parametrize(
    "make_X, scale",
    [
        pytest.param(lambda X: X, 255.0, id="uint8"),
        pytest.param(lambda X: X.astype(np.float64), 255.0, id="float64-0-255"),
        pytest.param(lambda X: X.astype(np.float32), 255.0, id="float32-0-255"),
        pytest.param(lambda X: X.astype(int), 255.0, id="int64-astype-int"),
        pytest.param(lambda X: X.astype(np.int32), 255.0, id="int32"),
        pytest.param(lambda X: X.tolist(), 255.0, id="nested-list"),
        pytest.param(
            lambda X: pd.DataFrame(
                X.reshape(len(X), -1).astype(np.float64),
                columns=[f"pixel{i}" for i in range(1, 785)],
            ),
            255.0,
            id="openml-dataframe",
        ),
        pytest.param(lambda X: X / 255.0, 1.0, id="x255-float64"),
        pytest.param(lambda X: X.astype(np.float32) / 255, 1.0, id="x255-float32"),
        pytest.param(
            lambda X: MinMaxScaler().fit_transform(X.reshape(len(X), -1)),
            1.0,
            id="minmax-scaler",
        ),
        pytest.param(lambda X: X > 127, 1.0, id="bool"),
        pytest.param(lambda X: (X > 127).astype(np.uint8), 1.0, id="binarized-uint8"),
        pytest.param(lambda X: (X > 127).astype(int), 1.0, id="binarized-int64"),
        pytest.param(lambda X: (X > 127) * 1.0, 1.0, id="binarized-float"),
        pytest.param(lambda X: X.astype(np.uint16) * 257, 65535.0, id="uint16"),
        pytest.param(lambda X: X.astype(">u2") * 257, 65535.0, id="uint16-big-end"),
        # values in their own units (issue 22): the depth they reach, or their max
        pytest.param(lambda X: X.astype(np.uint16), 255.0, id="8-bit-in-uint16"),
        pytest.param(
            lambda X: (X.astype(int) * 4095 // 255).astype(np.uint16),
            4095.0,
            id="12-bit-uint16",
        ),
        pytest.param(
            lambda X: np.round(X * (1023 / 255)).astype(np.float32),
            1023.0,
            id="10-bit-float",
        ),
        pytest.param(lambda X: X.astype(int) * 4095 // 255, 4095.0, id="12-bit-int"),
        pytest.param(lambda X: X // 16.0 + X // 255, 16.0, id="0-16-float"),
        pytest.param(lambda X: X.astype(int) // 16 + X // 255, 16.0, id="0-16-int"),
        pytest.param(lambda X: X * 300.0, 255.0 * 300, id="beyond-16-bit"),
    ],
)
@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_auto_scale_learns_how_pixels_are_held(make_X, scale, Transformer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every form here is unambiguous: silent
        transformer = Transformer().fit(make_X(_mnist_like()))
        Xt = transformer.transform(make_X(_mnist_like(seed=1)))

    assert transformer.scale_ == scale
    assert Xt.dtype == np.float32
    assert Xt.min() == 0.0 and Xt.max() == 1.0


@pytest.mark.parametrize(
    "make_X",
    [
        pytest.param(lambda X: X.astype(np.float64), id="float64-0-255"),
        pytest.param(lambda X: X.astype(int), id="int64"),
        pytest.param(lambda X: X.astype(np.float32) / 255, id="x255-float32"),
        pytest.param(lambda X: X / 255.0, id="x255-float64"),
        pytest.param(
            lambda X: pd.DataFrame(X.reshape(len(X), -1).astype(np.float64)),
            id="dataframe",
        ),
    ],
)
def test_every_form_of_the_same_images_gives_the_same_pixels(make_X):
    X = _mnist_like()
    expected = ImageFlattener().fit_transform(X)
    assert_allclose(ImageFlattener().fit_transform(make_X(X)), expected, rtol=1e-6)


def test_minmax_scaler_round_off_above_one_is_not_refused():
    X = np.array([[0.0, 0.5, 1.0 + 4e-16]])  # as MinMaxScaler can produce
    flattener = ImageFlattener().fit(X)
    assert flattener.scale_ == 1.0
    assert_allclose(flattener.transform(X), [[0.0, 0.5, 1.0]])


def test_all_zero_batch_of_a_typed_dtype_is_silent(blank):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flattener = ImageFlattener().fit(blank(2, 4, 4))
    assert flattener.scale_ == 255.0
    assert_array_equal(flattener.transform(blank(1, 4, 4)), 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_all_zero_batch_without_a_typed_dtype_warns(dtype):
    msg = r"all zeros, so its pixel scale cannot be learned; assuming .*scale_=1.0"
    with pytest.warns(PixelScaleWarning, match=msg):
        flattener = ImageFlattener().fit(np.zeros((2, 4, 4), dtype=dtype))
    assert flattener.scale_ == 1.0


def test_uint16_holding_8_bit_values_is_read_as_8_bit():
    X = _mnist_like()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flattener = ImageFlattener().fit(X.astype(np.uint16))
    assert flattener.scale_ == 255.0
    assert_array_equal(
        flattener.transform(X.astype(np.uint16)), ImageFlattener().fit_transform(X)
    )


def test_explicit_scale_still_reads_uint16_by_its_dtype():
    X = _mnist_like().astype(np.uint16) * 257
    assert ImageFlattener(scale=65535.0).fit_transform(X).max() == 1.0


def test_explicit_scale_too_large_for_the_data_warns_at_fit():
    X = _mnist_like() / 255.0
    msg = r"lie in \[0, 1.0\], .* uses scale_=255.0 .* pass scale=1.0 or scale='auto'"
    with pytest.warns(PixelScaleWarning, match=msg):
        ImageFlattener(scale=255.0).fit(X)


def test_explicit_scale_keeps_the_old_behaviour():
    X = np.array([[[0, 100], [200, 1000]]])
    flattener = ImageFlattener(scale=1000.0).fit(X)
    assert flattener.scale_ == 1000.0
    assert_allclose(flattener.transform(X), [[0.0, 0.1, 0.2, 1.0]])


# -- contradicting data at transform ---------------------------------------------


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
@pytest.mark.parametrize(
    "make_X",
    [
        pytest.param(lambda X: X / 255.0, id="x255-float64"),
        pytest.param(lambda X: X.astype(np.float32) / 255, id="x255-float32"),
        pytest.param(lambda X: X > 127, id="bool"),
    ],
)
def test_scaled_data_after_fitting_on_8_bit_warns(Transformer, make_X):
    transformer = Transformer().fit(_mnist_like())
    msg = (
        r"All pixel values of X lie in \[0, 1.0\], but \w+ was fitted with "
        r"scale_=255.0 \(8-bit intensities, 0-255\): .* below 1/255 .* already "
        r"scaled \(e.g. X / 255\): pass them in the units of the data seen in fit "
        r"\(X \* 255\), or refit"
    )
    with pytest.warns(PixelScaleWarning, match=msg) as record:
        transformer.transform(make_X(_mnist_like(seed=1)))
    # the warning points at the caller, not at skmnist's or scikit-learn's code
    assert record[0].filename == __file__


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_8_bit_data_after_fitting_on_scaled_is_an_error(Transformer):
    transformer = Transformer().fit(_mnist_like() / 255.0)
    msg = (
        r"values up to 255.0, above the scale \w+ was fitted with \(scale_=1.0: "
        r"pixels within \[0, 1\]\). If they are 8-bit intensities, divide them "
        r"by 255 .* \(X / 255\), or refit .* MinMaxScaler\(clip=True\)"
    )
    with pytest.raises(ValueError, match=msg):
        transformer.transform(_mnist_like(seed=1))


def test_minmax_scaler_stray_test_pixels_are_clipped_with_one_warning():
    X_train = _mnist_like()
    X_test = X_train.copy()
    X_test[:, 0, 0] = 7  # a pixel always 0 in the training images
    flat = X_train.reshape(len(X_train), -1)
    flattener = ImageFlattener().fit(MinMaxScaler().fit_transform(flat))
    leaky = MinMaxScaler().fit(flat).transform(X_test.reshape(len(X_test), -1))
    assert leaky.max() == 7.0
    msg = r"^4 above the scale \(up to 7\) of the .* non-zero pixels .* \[0, 1\]"
    with pytest.warns(PixelScaleWarning, match=msg) as record:
        Xt = flattener.transform(leaky)
    assert len(record) == 1 and record[0].filename == __file__
    assert Xt.max() == 1.0
    assert_array_equal(Xt[:, 0], 1.0)
    assert_array_equal(Xt[:, 1:], flattener.transform(np.minimum(leaky, 1))[:, 1:])
    # the way out the warning names is silent
    clipped = MinMaxScaler(clip=True).fit(flat)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert flattener.transform(clipped.transform(X_test.reshape(4, -1))).max() == 1


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_stray_negative_pixels_are_clipped_to_zero(Transformer):
    X = _mnist_like() / 255.0
    transformer = Transformer().fit(X)
    X_test = X.copy()
    X_test[:, 0, 0] = -0.25  # a MinMaxScaler's test pixel darker than its fit's
    with pytest.warns(PixelScaleWarning, match=r"^4 below 0 \(down to -0.25\)"):
        Xt = transformer.transform(X_test)
    assert_array_equal(Xt, transformer.transform(np.clip(X_test, 0, 1)))


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_a_batch_mostly_above_the_scale_is_an_error(Transformer):
    """Strays are a few pixels; a batch in brighter units is a contradiction."""
    X = _mnist_like() // 16.0  # 0-15 floats: scale_ 15
    transformer = Transformer().fit(X)
    assert transformer.scale_ == 15.0
    with pytest.raises(ValueError, match=r"above the scale .* non-zero pixels lie"):
        transformer.transform(_mnist_like())  # the same images in 0-255


@pytest.mark.parametrize(
    "X",
    [
        pytest.param(np.zeros((1, 28, 28)), id="blank-float"),
        pytest.param(np.zeros((1, 28, 28), np.uint8), id="blank-uint8"),
        pytest.param(_mnist_like().astype(np.float64), id="float64-0-255"),
        pytest.param(np.full((1, 28, 28), 2, np.uint8), id="faint-but-above-1"),
    ],
)
def test_consistent_data_after_fitting_on_8_bit_is_silent(X):
    flattener = ImageFlattener().fit(_mnist_like())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flattener.transform(X)


def test_data_divided_twice_warns():
    flattener = ImageFlattener().fit(_mnist_like() / 255.0)
    with pytest.warns(PixelScaleWarning, match=r"scale_=1.0 \(pixels within"):
        flattener.transform(_mnist_like() / 255.0 / 255.0)


def test_warning_can_be_made_an_error():
    flattener = ImageFlattener().fit(_mnist_like())
    with warnings.catch_warnings():
        warnings.simplefilter("error", PixelScaleWarning)
        with pytest.raises(PixelScaleWarning):
            flattener.transform(_mnist_like() / 255.0)


# -- ImageReshaper ---------------------------------------------------------------


def test_reshaper_outputs_4d_float32_in_image_order(images):
    reshaper = ImageReshaper().fit(images)
    Xt = reshaper.transform(images)

    assert Xt.shape == (3, 4, 5, 1)
    assert Xt.dtype == np.float32 and Xt.flags.c_contiguous
    assert_array_equal(Xt[..., 0], images / np.float32(255))
    assert reshaper.image_shape_ == (4, 5) and reshaper.n_features_in_ == 20


def test_reshaper_unflattens_flat_input(images):
    flat = images.reshape(3, -1)
    assert ImageReshaper(image_shape=(4, 5)).fit_transform(flat).shape == (3, 4, 5, 1)
    square = ImageReshaper().fit_transform(np.zeros((2, 16), np.uint8))
    assert square.shape == (2, 4, 4, 1)


def test_reshaper_shares_the_flatteners_validation(images):
    reshaper = ImageReshaper().fit(images)
    with pytest.raises(ValueError, match="fitted on \\(4, 5\\); resize"):
        reshaper.transform(np.zeros((1, 5, 4), np.uint8))
    with pytest.raises(ValueError, match="3 channels"):
        ImageReshaper().fit(np.zeros((1, 4, 4, 3)))
    with pytest.raises(InvalidParameterError, match="'scale' parameter"):
        ImageReshaper(scale=0).fit(images)


@pytest.mark.parametrize("squeeze", [False, True])
def test_reshaper_inverse_transform_round_trip(images, squeeze):
    reshaper = ImageReshaper().fit(images)
    Xt = reshaper.transform(images)

    restored = reshaper.inverse_transform(Xt[..., 0] if squeeze else Xt)

    assert restored.shape == images.shape and restored.dtype == np.float32
    assert_allclose(restored, images, rtol=1e-6)
    assert not np.shares_memory(restored, Xt)


def test_reshaper_inverse_transform_refuses_other_shapes(images):
    reshaper = ImageReshaper().fit(images)
    with pytest.raises(ValueError, match="expecting 20 features"):
        reshaper.inverse_transform(np.zeros((1, 5, 4, 1)))


def test_reshaper_feature_names_describe_the_4d_output(images):
    reshaper = ImageReshaper().fit(images)
    names = reshaper.get_feature_names_out()
    flat = reshaper.transform(images).reshape(len(images), -1)

    assert_array_equal(names, ImageFlattener().fit(images).get_feature_names_out())
    assert len(names) == flat.shape[1] == 20
    assert names[6] == "pixel_r1_c1"
    assert flat[0, 6] == np.float32(images[0, 1, 1]) / np.float32(255)


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_reshaper_refuses_dataframe_output(container):
    with pytest.raises(ValueError, match=f"4-D arrays .* transform='{container}'"):
        ImageReshaper().set_output(transform=container)
    pipe = make_pipeline(ImageReshaper(), LogisticRegression())
    with pytest.raises(ValueError, match="ImageFlattener for a DataFrame"):
        pipe.set_output(transform=container)


def test_reshaper_default_output_is_allowed(images):
    reshaper = ImageReshaper().set_output(transform="default")
    assert isinstance(reshaper.fit_transform(images), np.ndarray)


def test_global_pandas_output_leaves_the_reshaper_an_array(images):
    with config_context(transform_output="pandas"):
        out = ImageReshaper().fit_transform(images)
        flat_out = ImageFlattener().fit_transform(images)
    assert isinstance(out, np.ndarray) and out.shape == (3, 4, 5, 1)
    assert isinstance(flat_out, pd.DataFrame)


def test_reshaper_clone_and_pickle_round_trip(images):
    reshaper = ImageReshaper(image_shape=(4, 5)).fit(images)
    assert clone(reshaper).get_params() == {"scale": "auto", "image_shape": (4, 5)}
    loaded = pickle.loads(pickle.dumps(reshaper))
    assert loaded.scale_ == 255.0
    assert_array_equal(loaded.transform(images), reshaper.transform(images))


# -- the default pipeline on each form (trains a small network) ------------------


def test_default_pipeline_trains_as_well_on_scaled_floats(stratified_split, mnist):
    from skmnist import make_mnist_pipeline

    X, y, _ = stratified_split(3000)
    X_test, y_test = mnist.X_test[:2000], mnist.y_test[:2000]

    on_uint8 = make_mnist_pipeline(epochs=2, random_state=0).fit(X, y)
    on_scaled = make_mnist_pipeline(epochs=2, random_state=0).fit(X / 255.0, y)
    uint8_accuracy = on_uint8.score(X_test, y_test)
    scaled_accuracy = on_scaled.score(X_test / 255.0, y_test)

    assert on_scaled[0].scale_ == 1.0
    assert uint8_accuracy > 0.8  # 0.86 with this seed
    assert abs(scaled_accuracy - uint8_accuracy) < 0.01
    # contradicting data at predict: a warning one way, an error the other
    with pytest.warns(PixelScaleWarning, match="X \\* 255"):
        on_uint8.predict(X_test[:50] / 255.0)
    with pytest.raises(ValueError, match="X / 255"):
        on_scaled.predict(X_test[:50])


# -- data in their own units train as the same data pre-scaled (issue 22) ---------


def test_load_digits_in_its_own_units_trains_as_divided_by_16():
    from sklearn.datasets import load_digits

    from skmnist import make_mnist_pipeline

    digits = load_digits()
    X, y = digits.images, digits.target  # floats 0-16
    assert_array_equal(
        ImageFlattener().fit_transform(X), ImageFlattener().fit_transform(X / 16)
    )
    params = {"hidden_layer_sizes": (16,), "epochs": 3, "random_state": 0}
    own = make_mnist_pipeline(**params).fit(X[:1000], y[:1000])
    scaled = make_mnist_pipeline(**params).fit(X[:1000] / 16, y[:1000])
    assert own[0].scale_ == 16.0
    assert_allclose(
        own.predict_proba(X[1000:]), scaled.predict_proba(X[1000:] / 16), atol=1e-6
    )


def test_minmax_scaler_in_front_scores_with_one_warning(mnist):
    from skmnist import make_mnist_pipeline

    X = mnist.X_train[:2000].reshape(2000, -1)
    X_test = mnist.X_test[:2000].reshape(2000, -1)
    pipe = make_pipeline(
        MinMaxScaler(), make_mnist_pipeline(epochs=5, random_state=0)
    ).fit(X, mnist.y_train[:2000])
    assert pipe[0].transform(X_test).max() > 1  # pixels dark in all 2,000 images

    with pytest.warns(PixelScaleWarning, match="clipped to") as record:
        accuracy = pipe.score(X_test, mnist.y_test[:2000])
    # only the pixel-scale warnings count (old library versions add their own)
    assert sum(issubclass(w.category, PixelScaleWarning) for w in record) == 1
    assert accuracy > 0.8
