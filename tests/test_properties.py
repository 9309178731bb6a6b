"""Bad input, generated: each input either works or raises one clear error.

Hypothesis throws random shapes, dtypes (integers, floats 16-64, bool, complex,
strings, objects), NaN/inf, empty and large arrays at the image transformers and at a
fitted classifier; garbage and truncated bytes at the MNIST readers (``.npz`` and IDX
files, and a download from a mirror serving garbage) and at the image reader; odd
arguments at the command line. What counts as working is checked (shapes, dtypes,
finite values); an error must be one exception of an allowed kind with a message, not
a TensorFlow error, and a failed load must leave no file behind.

``OUTCOMES`` counts, per property, the examples that worked and those that raised a
clear error; the totals are printed when the module's tests end (``pytest -s``).
"""

import collections
import contextlib
import gzip
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import skmnist

# One profile for the module: no deadline (a TensorFlow call on a loaded machine is
# slow), no example database written into the checkout, examples kept few.
settings.register_profile(
    "skmnist-properties",
    deadline=None,
    database=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("skmnist-properties")

OUTCOMES = collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module", autouse=True)
def print_outcomes():
    yield
    total = collections.Counter()
    lines = ["", "generated inputs tried, per property (worked / clear error):"]
    for name, counts in sorted(OUTCOMES.items()):
        total.update(counts)
        lines.append(f"  {name}: {counts['worked']} / {counts['error']}")
    lines.append(f"  total: {total['worked']} worked, {total['error']} clear errors")
    print("\n".join(lines))


def _is_foreign(exc):
    """An exception raised by TensorFlow, Keras or JAX themselves (not ours)."""
    module = type(exc).__module__ or ""
    return module.split(".")[0] in ("tensorflow", "keras", "jax", "tf_keras")


@contextlib.contextmanager
def outcome(name, allowed=(ValueError, TypeError)):
    """Count the example; let through one allowed, clear, non-TensorFlow error."""
    try:
        yield
    except allowed as exc:
        assert not _is_foreign(exc), f"a {type(exc).__module__} error leaked: {exc!r}"
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        OUTCOMES[name]["error"] += 1
    else:
        OUTCOMES[name]["worked"] += 1


# -- strategies ----------------------------------------------------------------------

DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128", "U4", "S4", "O",
]  # fmt: skip
OBJECTS = st.one_of(
    st.integers(-300, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.none(),
)


@st.composite
def any_array(draw, shape):
    """An array of any dtype, with any values (NaN, inf, extremes) of the dtype."""
    dtype = draw(st.sampled_from(DTYPES))
    if dtype == "O":
        return draw(hnp.arrays(object, shape, elements=OBJECTS))
    return draw(hnp.arrays(np.dtype(dtype), shape))


@st.composite
def pixel_array(draw, shape):
    """Plausible images: uint8 or float pixels in 0-255 or in [0, 1]."""
    kind = draw(st.sampled_from(["uint8", "float 0-255", "float 0-1"]))
    if kind == "uint8":
        return draw(hnp.arrays(np.uint8, shape))
    top = 255.0 if kind == "float 0-255" else 1.0
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return draw(hnp.arrays(dtype, shape, elements=st.floats(0, top, width=32)))


def image_batches(side=None, max_side=10):
    """Batches of images of any rank (mostly 3-D), any dtype and values."""
    sides = st.integers(0, max_side) if side is None else st.just(side)
    shapes = st.one_of(
        st.tuples(st.integers(0, 4), sides, sides),
        hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=max_side),
    )
    return shapes.flatmap(lambda shape: st.one_of(any_array(shape), pixel_array(shape)))


def image_transformers():
    names = ["ImageFlattener"]
    if hasattr(skmnist, "ImageReshaper") or "ImageReshaper" in dir(skmnist):
        names.append("ImageReshaper")
    return names


def check_transformed(name, X, Xt):
    Xt = np.asarray(Xt)
    assert Xt.dtype == np.float32
    assert np.isfinite(Xt).all(), f"{name} returned non-finite values"
    assert len(Xt) == len(X)
    assert Xt.ndim == (2 if name == "ImageFlattener" else 4)


# -- image transformers ---------------------------------------------------------------


@pytest.mark.parametrize("name", image_transformers())
@settings(PROFILE, max_examples=150)
@given(X=image_batches())
@example(X=np.zeros((0, 28, 28), np.uint8))  # empty
@example(X=np.full((2, 28, 28), np.nan))
@example(X=np.full((2, 28, 28), np.inf, np.float32))
@example(X=np.full((2, 4, 4), 1e300))  # inf once cast to float32
@example(X=np.full((2, 4, 4), -0.0))
@example(X=[[[0, 1], [2]]])  # ragged lists
@example(X=np.array([[["a", "b"], ["c", "d"]]]))
def test_transformer_fit_transform(name, X):
    transformer = getattr(skmnist, name)()
    with outcome(f"{name}.fit_transform"):
        Xt = transformer.fit_transform(X)
        check_transformed(name, X, Xt)


@pytest.mark.parametrize("name", image_transformers())
@settings(PROFILE, max_examples=100)
@given(X=image_batches(side=8))
def test_transformer_transform_after_fit(name, X):
    transformer = getattr(skmnist, name)().fit(np.zeros((3, 8, 8), np.uint8))
    with outcome(f"{name}.transform"):
        Xt = transformer.transform(X)
        check_transformed(name, X, Xt)
        assert Xt[0].size == 64


@pytest.mark.parametrize("name", image_transformers())
def test_transformer_large_batch(name):
    # 20,000 MNIST-sized images: 63 MB of float32 output, within memory
    X = np.random.default_rng(0).integers(0, 256, (20000, 28, 28), dtype=np.uint8)
    with outcome(f"{name}.large"):
        Xt = getattr(skmnist, name)().fit_transform(X)
        check_transformed(name, X, Xt)
        assert Xt.max() <= 1.0


# -- the MNIST readers -------------------------------------------------------------

# name, shape of the four IDX files, in the order the loader reads them
IDX_FILES = [
    ("train-images-idx3-ubyte.gz", (60000, 28, 28)),
    ("train-labels-idx1-ubyte.gz", (60000,)),
    ("t10k-images-idx3-ubyte.gz", (10000, 28, 28)),
    ("t10k-labels-idx1-ubyte.gz", (10000,)),
]
LOADER_ERRORS = (ValueError, OSError)  # the loader's own errors derive from these


def idx_header(dims):
    return np.array([0x0800 + len(dims), *dims], dtype=">u4").tobytes()


@pytest.fixture(scope="module")
def real_idx_dir(mnist, tmp_path_factory):
    """The four genuine MNIST IDX files, written here from the loaded arrays."""
    folder = tmp_path_factory.mktemp("real-idx")
    arrays = [mnist.X_train, mnist.y_train, mnist.X_test, mnist.y_test]
    for (name, shape), array in zip(IDX_FILES, arrays, strict=True):
        assert array.shape == shape
        payload = idx_header(shape) + np.ascontiguousarray(array).tobytes()
        (folder / name).write_bytes(gzip.compress(payload, compresslevel=1))
    return folder


@pytest.fixture(scope="module", autouse=True)
def no_keras_cache(tmp_path_factory):
    """An empty Keras cache and no mirror from the environment, for every loader."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras-home")))
        mp.delenv("SKMNIST_BASE_URL", raising=False)
        yield


@st.composite
def idx_garbage(draw, shape):
    """Bytes that are not a valid IDX file of ``shape``: random, truncated, lying."""
    kind = draw(
        st.sampled_from(
            ["raw", "gzip raw", "wrong header", "short payload", "cut gzip"]
        )
    )
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "gzip raw":
        return gzip.compress(draw(st.binary(max_size=200)))
    if kind == "wrong header":  # huge or zero dimensions, other ranks and types
        dims = draw(
            st.lists(
                st.sampled_from([0, 1, 28, 60000, 2**31, 2**32 - 1]),
                min_size=0,
                max_size=4,
            )
        )
        assume(tuple(dims) != shape)
        return gzip.compress(idx_header(dims) + draw(st.binary(max_size=100)))
    content = idx_header(shape) + draw(st.binary(max_size=200))
    if kind == "short payload":
        return gzip.compress(content)
    compressed = gzip.compress(content)
    return compressed[: draw(st.integers(0, len(compressed) - 1))]


@st.composite
def idx_folders(draw):
    """For each IDX file: the real one, garbage, or no file; at least one not real."""
    files = []
    for name, shape in IDX_FILES:
        choice = draw(st.sampled_from(["real", "garbage", "missing"]))
        files.append(
            (name, choice, draw(idx_garbage(shape)) if choice == "garbage" else None)
        )
    return files


def write_idx_folder(folder, files, real_idx_dir):
    folder.mkdir(parents=True, exist_ok=True)
    for name, choice, data in files:
        if choice == "real":
            os.link(real_idx_dir / name, folder / name)
        elif choice == "garbage":
            (folder / name).write_bytes(data)


def snapshot(folder):
    """Every file under ``folder`` with its size and modification time."""
    return {
        p.relative_to(folder): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


@settings(PROFILE, max_examples=40)
@given(files=idx_folders(), loose=st.booleans())
@example(files=[(name, "real", None) for name, _ in IDX_FILES], loose=True)
def test_load_mnist_idx_garbage(files, loose, real_idx_dir):
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        write_idx_folder(home if loose else home / "mnist-idx", files, real_idx_dir)
        before = snapshot(home)
        with outcome("load_mnist IDX files", LOADER_ERRORS):
            bunch = skmnist.load_mnist(data_home=home, download_if_missing=False)
            assert all(choice == "real" for _, choice, _ in files), "loaded damage"
            assert bunch.X_train.shape == (60000, 28, 28)
            assert bunch.X_test.dtype == np.uint8
        assert snapshot(home) == before  # nothing written, nothing removed


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@st.composite
def npz_garbage(draw):
    """Bytes of an ``mnist.npz`` that is not MNIST: random, a zip of junk, an npz of
    other arrays (any dtype, wrong keys or shapes), any of these cut short."""
    kind = draw(st.sampled_from(["raw", "zip", "npz"]))
    if kind == "raw":
        data = draw(st.binary(max_size=300))
    elif kind == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in draw(st.lists(st.sampled_from(["x_train.npy", "y_train.npy",
                                                       "x_test.npy", "junk"]),
                                      max_size=4, unique=True)):  # fmt: skip
                archive.writestr(name, draw(st.binary(max_size=100)))
        data = buffer.getvalue()
    else:
        keys = draw(
            st.lists(
                st.sampled_from(["x_train", "y_train", "x_test", "y_test", "other"]),
                max_size=5,
                unique=True,
            )
        )
        shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
        data = _npz_bytes({key: draw(shapes.flatmap(any_array)) for key in keys})
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    return data


@settings(PROFILE, max_examples=60)
@given(data=npz_garbage())
def test_load_mnist_npz_garbage(data):
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "mnist.npz").write_bytes(data)
        with outcome("load_mnist mnist.npz", LOADER_ERRORS):
            skmnist.load_mnist(data_home=home, download_if_missing=False)
            pytest.fail("loaded MNIST from a damaged mnist.npz")
        assert snapshot(home) == {Path("mnist.npz"): (len(data), _mtime(home))}


def _mtime(home):
    return (home / "mnist.npz").stat().st_mtime_ns


@settings(PROFILE, max_examples=25)
@given(files=idx_folders())
def test_download_from_a_mirror_serving_garbage(files, real_idx_dir):
    # the real download path (urlopen, streaming, verifying, moving into place),
    # from a file:// mirror where some files are damaged or missing
    assume(any(choice != "real" for _, choice, _ in files))
    with tempfile.TemporaryDirectory() as tmp:
        mirror, home = Path(tmp, "mirror"), Path(tmp, "home")
        write_idx_folder(mirror, files, real_idx_dir)
        home.mkdir()
        with outcome("load_mnist download", LOADER_ERRORS):
            skmnist.load_mnist(data_home=home, base_url=mirror.as_uri())
            pytest.fail("downloaded MNIST from a mirror serving damaged files")
        # what is left in the data home is only complete, verified files
        for path in home.rglob("*"):
            if path.is_file():
                assert (real_idx_dir / path.name).is_file(), f"left {path}"
                assert path.read_bytes() == (real_idx_dir / path.name).read_bytes()


# -- the image reader ----------------------------------------------------------------

MODES = {  # Pillow mode -> formats that can hold it
    "L": ["PNG", "JPEG", "BMP", "GIF", "TIFF"],
    "RGB": ["PNG", "JPEG", "BMP", "TIFF"],
    "RGBA": ["PNG", "TIFF"],
    "LA": ["PNG"],
    "1": ["PNG", "BMP", "TIFF"],
    "P": ["PNG", "GIF", "BMP"],
    "I;16": ["PNG", "TIFF"],
    "I": ["PNG", "TIFF"],
    "F": ["TIFF"],
}


@st.composite
def image_files(draw):
    """Bytes of image files: a digit-like stroke on paper; any mode and format with
    random pixels (NaN and inf for float TIFFs), possibly cut short; plain garbage;
    or a PNG header declaring an image of up to 2**31 pixels a side."""
    from PIL import Image

    kind = draw(st.sampled_from(["digit", "image", "cut image", "garbage", "huge png"]))
    if kind == "digit":  # a dark stroke on white paper, which must work
        paper = np.full((draw(st.integers(20, 60)), draw(st.integers(20, 60))), 255)
        top, left = draw(st.integers(2, 8)), draw(st.integers(2, 8))
        paper[top : top + draw(st.integers(8, 12)), left : left + 4] = 0
        buffer = io.BytesIO()
        fmt = draw(st.sampled_from(["PNG", "JPEG", "BMP", "TIFF"]))
        Image.fromarray(paper.astype(np.uint8)).save(buffer, format=fmt)
        return buffer.getvalue()
    if kind == "garbage":
        return draw(st.binary(max_size=300))
    if kind == "huge png":
        return _png_header(
            draw(st.integers(1, 2**31 - 1)), draw(st.integers(1, 2**31 - 1))
        )
    mode = draw(st.sampled_from(sorted(MODES)))
    fmt = draw(st.sampled_from(MODES[mode]))
    shape = draw(st.tuples(st.integers(1, 40), st.integers(1, 40)))
    if mode == "F":
        pixels = draw(hnp.arrays(np.float32, shape))
        image = Image.fromarray(pixels, mode="F")
    elif mode in ("I", "I;16"):
        pixels = draw(hnp.arrays(np.int32 if mode == "I" else np.uint16, shape))
        image = (
            Image.fromarray(pixels).convert(mode)
            if mode == "I"
            else Image.fromarray(pixels)
        )
    else:
        channels = {"RGB": 3, "RGBA": 4, "LA": 2}.get(mode)
        full = shape if channels is None else (*shape, channels)
        pixels = draw(hnp.arrays(np.uint8, full))
        base = Image.fromarray(pixels, mode={"1": "L", "P": "L"}.get(mode, mode))
        image = base.convert(mode)
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):
        assume(False)  # Pillow cannot write this mode in this format
    data = buffer.getvalue()
    if kind == "cut image":
        data = data[: draw(st.integers(0, len(data) - 1))]
    return data


def _png_header(width, height):
    import struct
    import zlib

    def chunk(kind, body):
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


@settings(PROFILE, max_examples=120)
@given(data=image_files(), suffix=st.sampled_from([".png", ".jpg", ".tif", ""]))
@example(data=_png_header(100_000, 100_000), suffix=".png")
def test_load_digit_images_garbage(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "digit" + suffix)
        path.write_bytes(data)
        with outcome("load_digit_images"):
            digits = skmnist.load_digit_images([path])
            assert digits.shape == (1, 28, 28) and digits.dtype == np.uint8


# -- a fitted classifier -------------------------------------------------------------


@pytest.fixture(scope="module")
def digits_classifier():
    """A tiny KerasMLPClassifier fitted on scikit-learn's 8x8 digits (64 features)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    classifier = skmnist.KerasMLPClassifier(
        hidden_layer_sizes=(16,), epochs=2, random_state=0
    )
    return classifier.fit(X.astype(np.float32), y)


def feature_batches():
    """Mostly (n, 64) batches of any dtype and values; sometimes any shape."""
    shapes = st.one_of(
        st.tuples(st.integers(0, 5), st.just(64)),
        st.tuples(st.integers(1, 3), st.sampled_from([0, 1, 63, 65, 784])),
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=8),
    )
    return shapes.flatmap(
        lambda shape: st.one_of(
            any_array(shape),
            hnp.arrays(np.float32, shape, elements=st.floats(0, 16, width=32)),
        )
    )


@settings(PROFILE, max_examples=60)
@given(X=feature_batches(), method=st.sampled_from(["predict", "predict_proba"]))
@example(X=np.zeros((0, 64), np.float32), method="predict")
@example(X=np.full((2, 64), np.nan), method="predict_proba")
@example(X=np.full((2, 64), -np.inf, np.float32), method="predict")
@example(X=np.full((2, 64), 1e300), method="predict_proba")  # inf in float32
@example(X=np.full((2, 64), 1e30, np.float32), method="predict_proba")
@example(X=np.zeros((2, 64), np.complex64), method="predict")
@example(X=np.full((2, 64), "7"), method="predict")
def test_classifier_predict(digits_classifier, X, method):
    with outcome(f"KerasMLPClassifier.{method}"):
        result = getattr(digits_classifier, method)(X)
        assert len(result) == len(X)
        if method == "predict":
            assert set(np.asarray(result).tolist()) <= set(digits_classifier.classes_)
        else:
            assert result.shape == (len(X), 10)
            assert np.isfinite(result).all(), "non-finite probabilities"
            assert np.allclose(result.sum(axis=1), 1.0, atol=1e-4)


def test_classifier_large_batch(digits_classifier):
    X = np.random.default_rng(0).uniform(0, 16, (50_000, 64)).astype(np.float32)
    with outcome("KerasMLPClassifier.large"):
        proba = digits_classifier.predict_proba(X)
        assert proba.shape == (50_000, 10) and np.isfinite(proba).all()


# -- the command line ----------------------------------------------------------------


def _cli_words():
    """The subcommands and every option any of them takes, from the help texts."""
    import re

    from skmnist.cli import COMMANDS, build_parser

    parser = build_parser()
    options = set(re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", parser.format_help()))
    for command in COMMANDS:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            with pytest.raises(SystemExit):
                parser.parse_args([command, "--help"])
        options |= set(re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", out.getvalue()))
    return list(COMMANDS), sorted(options)


COMMAND_NAMES, OPTIONS = _cli_words()
VALUES = st.one_of(
    st.sampled_from(["0", "-1", "1", "3.5", "nan", "inf", "", "--", "-", "x,y",
                     "1e9", "99999999999999999999", "mlp", "cnn", "é", "a=b"]),
    st.integers(-(2**40), 2**40).map(str),
    st.text(max_size=8),
)  # fmt: skip
ARGV = st.lists(
    st.one_of(st.sampled_from(COMMAND_NAMES), st.sampled_from(OPTIONS), VALUES),
    max_size=8,
)
HELP_WORDS = {"-h", "--help", "--version"}


@contextlib.contextmanager
def fake_commands():
    """Every subcommand's run replaced by a recorder: only parsing is exercised."""
    import importlib

    from skmnist.cli import COMMANDS

    calls = []
    with pytest.MonkeyPatch.context() as mp:
        for name in COMMANDS:
            module = importlib.import_module(f"skmnist.commands.{name}")
            mp.setattr(module, "run", calls.append)
        yield calls


@settings(PROFILE, max_examples=300)
@given(
    argv=st.one_of(
        ARGV,
        st.tuples(st.sampled_from(COMMAND_NAMES), ARGV).map(lambda t: [t[0], *t[1]]),
    )
)
@example(argv=[])
@example(argv=["train", "--epochs", "0"])
@example(argv=["search", "--n-trials", "-3", "--model", "rnn"])
def test_cli_argument_parsing(argv):
    from skmnist.cli import main

    out, err = io.StringIO(), io.StringIO()
    with fake_commands() as calls, contextlib.redirect_stdout(out):
        with contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:
                status = exc.code
    if calls:
        assert status == 0 and len(calls) == 1
        OUTCOMES["cli parsing"]["worked"] += 1
    elif status == 0:  # help or version, on stdout
        assert HELP_WORDS & set(argv) and out.getvalue().strip()
        OUTCOMES["cli parsing"]["worked"] += 1
    else:
        assert status == 2, (status, err.getvalue())
        lines = err.getvalue().strip().splitlines()
        assert len(lines) == 1 and "error: " in lines[0], err.getvalue()
        assert "Traceback" not in err.getvalue()
        OUTCOMES["cli parsing"]["error"] += 1


@settings(PROFILE, max_examples=40)
@given(
    layers=st.one_of(st.text(max_size=10), st.lists(st.integers(-5, 300)).map(
        lambda sizes: ",".join(map(str, sizes)))),
    dropout=st.sampled_from([None, "0.2", "-1", "nan", "1.5"]),
)  # fmt: skip
def test_cli_train_values_without_data(layers, dropout, tmp_path_factory):
    # the real train command, up to the data: an empty data home and --offline,
    # so each run ends in one line on stderr (a bad value, or no data), status 1
    from skmnist.cli import main

    assume(not layers.startswith("-"))  # would be read as an option: parsing above
    home = tmp_path_factory.mktemp("no-data")
    argv = ["train", "--offline", "--data-home", str(home)]
    argv += ["--hidden-layer-sizes", layers]
    argv += [] if dropout is None else [f"--dropout={dropout}"]
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(argv)
    lines = err.getvalue().strip().splitlines()
    assert status == 1 and len(lines) == 1, err.getvalue()
    assert lines[0].startswith("skmnist train: error: ")
    assert list(home.iterdir()) == []  # nothing written
    OUTCOMES["cli train values"]["error"] += 1
