import pickle
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import skmnist
from skmnist.preprocessing import ImageFlattener


@pytest.fixture
def images():
    """Three 4x5 uint8 images whose pixel values span 0..255."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    X[0, 0, 0], X[0, 0, 1] = 0, 255
    return X


# sklearn's synthetic data, shifted to be non-negative because of the positive_only
# tag, stays well below 255, so the default instance passes every check: no
# expected failures and no need to loosen `scale`.
@parametrize_with_checks([ImageFlattener()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_lazy_reexport():
    assert skmnist.ImageFlattener is ImageFlattener


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
def test_input_forms_give_identical_output(images, to_input):
    image_shape = images.shape[1:]  # 4x5 is not square: flat forms need the hint
    expected = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)

    Xt = ImageFlattener(image_shape=image_shape).fit_transform(to_input(images))

    assert Xt.dtype == np.float32
    assert Xt.flags.c_contiguous
    assert_array_equal(Xt, expected)


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


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float64])
def test_transform_allocates_only_its_output(dtype):
    X = np.random.default_rng(0).integers(0, 256, size=(2000, 28, 28)).astype(dtype)
    flattener = ImageFlattener().fit(X[:10])
    output_nbytes = X.shape[0] * 28 * 28 * np.dtype(np.float32).itemsize

    tracemalloc.start()
    try:
        Xt = flattener.transform(X)
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
    flattener = ImageFlattener().fit(np.zeros((2, n_features)))
    assert flattener.image_shape_ == image_shape
    assert flattener.n_features_in_ == n_features


def test_image_shape_unflattens_flat_input():
    flattener = ImageFlattener(image_shape=(3, 4)).fit(np.zeros((2, 12)))
    assert flattener.image_shape_ == (3, 4)
    assert flattener.n_features_in_ == 12


def test_fitted_on_flat_transforms_images():
    flattener = ImageFlattener().fit(np.zeros((2, 16)))
    assert flattener.transform(np.zeros((1, 4, 4))).shape == (1, 16)


# -- rejected inputs -------------------------------------------------------------


def test_transform_refuses_other_image_shape():
    flattener = ImageFlattener().fit(np.zeros((2, 28, 28)))
    msg = r"images of shape \(20, 20\) but ImageFlattener was fitted on \(28, 28\)"
    with pytest.raises(ValueError, match=msg):
        flattener.transform(np.zeros((2, 20, 20)))


def test_transform_refuses_flat_input_of_other_width():
    flattener = ImageFlattener().fit(np.zeros((2, 28, 28)))
    msg = (
        r"X has 400 features, but ImageFlattener is expecting 784 features as input "
        r"\(images of shape \(28, 28\)\)"
    )
    with pytest.raises(ValueError, match=msg):
        flattener.transform(np.zeros((2, 400)))


@pytest.mark.parametrize(
    "X, msg",
    [
        (np.zeros((2, 20, 20)), r"shape \(20, 20\) but image_shape=\(28, 28\)"),
        (np.zeros((2, 700)), r"700 features, .* image_shape=\(28, 28\) \(784 pixels\)"),
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
            [[300, 1]],
            r"found maximum 300.0 > scale=255.0; pass already-scaled data with "
            r"scale=1.0",
            id="above-scale",
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


def test_transform_rejects_bad_values_too():
    flattener = ImageFlattener().fit(np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="found maximum 256.0 > scale=255.0"):
        flattener.transform(np.full((1, 2, 2), 256))


@pytest.mark.parametrize(
    "params, msg",
    [
        ({"scale": 0}, "'scale' parameter"),
        ({"scale": -1.0}, "'scale' parameter"),
        ({"scale": np.inf}, "'scale' parameter"),
        ({"scale": np.nan}, "'scale' parameter"),
        ({"scale": "255"}, "'scale' parameter"),
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
        flattener.fit(np.zeros((1, 28, 28)))


def test_image_shape_accepts_numpy_ints():
    flattener = ImageFlattener(image_shape=(np.int64(7), np.int64(112)))
    image_shape = flattener.fit(np.zeros((1, 784))).image_shape_
    assert image_shape == (7, 112)
    assert all(type(side) is int for side in image_shape)


def test_transform_requires_fit():
    with pytest.raises(NotFittedError):
        ImageFlattener().transform(np.zeros((1, 2, 2)))


# -- feature names and output containers -----------------------------------------


def test_feature_names_say_row_and_column():
    names = ImageFlattener().fit(np.zeros((1, 28, 28))).get_feature_names_out()
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

    Xt = flattener.transform(X) * 255
    for i, name in enumerate(flattener.get_feature_names_out()):
        assert name == f"pixel_r{i // width}_c{i % width}"
        assert round(float(Xt[0, i])) == 10 * (i // width) + i % width


def test_feature_names_pad_each_index_to_its_own_width():
    names = ImageFlattener().fit(np.zeros((1, 12))).get_feature_names_out()
    assert names[0] == "pixel_r0_c00"
    assert names[-1] == "pixel_r0_c11"


def test_dataframe_feature_names_are_validated():
    df = pd.DataFrame(np.zeros((2, 4)), columns=["a", "b", "c", "d"])
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
