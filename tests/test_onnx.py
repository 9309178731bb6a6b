"""ONNX export and the onnxruntime predictor: parity with the Keras pipeline, input
checks, the CLI and the server on .onnx files, and no TensorFlow at prediction."""

import json
import subprocess
import sys
import warnings

import numpy as np
import onnx  # the `test` extra installs onnx and onnxruntime
import onnxruntime as ort
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, confusion_matrix
from sklearn.pipeline import make_pipeline

from skmnist import ImageFlattener, make_mnist_pipeline
from skmnist.cli import main
from skmnist.onnx import MissingDependencyError, OnnxClassifier, export_onnx, to_onnx
from skmnist.persistence import save_model

HEAVY = ("tensorflow", "keras")
N_TEST = 2000  # parity subset of the MNIST test set (the full set: benchmarks)
FAMILIES = {
    "mlp": {"hidden_layer_sizes": (64,), "epochs": 1},
    "cnn": {"filters": (8, 16), "epochs": 1},
}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def exported(request, mnist, tmp_path_factory):
    """``(pipeline, onnx path)`` for each family, trained briefly on 3,000 images."""
    family = request.param
    pipe = make_mnist_pipeline(model=family, random_state=0, **FAMILIES[family])
    pipe.fit(mnist.X_train[:3000], mnist.y_train[:3000])
    path = export_onnx(pipe, tmp_path_factory.mktemp("onnx") / f"{family}.onnx")
    return pipe, path


@pytest.fixture(scope="module")
def mlp_files(mnist, tmp_path_factory):
    """A small MLP pipeline saved with joblib and exported to ONNX: for the CLI."""
    pipe = make_mnist_pipeline(hidden_layer_sizes=(32,), epochs=1, random_state=0)
    pipe.fit(mnist.X_train[:2000], mnist.y_train[:2000])
    folder = tmp_path_factory.mktemp("cli")
    joblib_path = save_model(pipe, folder / "mnist.joblib")
    return pipe, joblib_path, export_onnx(pipe, folder / "mnist.onnx")


def _digits(model="mlp", y=None, **params):
    X, target = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8)  # 0-16 intensities
    pipe = make_mnist_pipeline(model=model, epochs=1, random_state=0, **params)
    return pipe.fit(images, target if y is None else y), images


# -- parity ------------------------------------------------------------------------


def test_probabilities_and_classes_match_the_keras_pipeline(exported, mnist):
    pipe, path = exported
    X = mnist.X_test[:N_TEST]
    clf = OnnxClassifier(path)
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float32 and proba.shape == (N_TEST, 10)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), pipe.predict(X))
    assert clf.predict(X).dtype == pipe.predict(X).dtype
    np.testing.assert_array_equal(clf.classes_, pipe.classes_)
    assert clf.score(X, mnist.y_test[:N_TEST]) == pipe.score(X, mnist.y_test[:N_TEST])


def test_every_input_form_the_pipeline_takes_gives_the_same_result(exported, mnist):
    pipe, path = exported
    clf = OnnxClassifier(path)
    X = mnist.X_test[:50]  # uint8 (n, 28, 28)
    expected = clf.predict_proba(X)
    for form in (
        X.astype(np.float64),  # openml's 0-255 floats
        X.reshape(50, -1),  # flat rows
        X[..., np.newaxis],  # (n, 28, 28, 1)
        X.tolist(),  # nested lists
    ):
        np.testing.assert_array_equal(clf.predict_proba(form), expected)
        np.testing.assert_allclose(pipe.predict_proba(form), expected, atol=1e-5)


def test_the_graph_is_checked_and_self_describing(exported):
    pipe, path = exported
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    (graph_input,) = model.graph.input
    assert graph_input.name == "images"
    dims = [d.dim_value or d.dim_param for d in graph_input.type.tensor_type.shape.dim]
    assert dims == ["N", 28, 28]
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    # the scaling is in the graph, folded into the first layer's kernel:
    # W / scale_, no separate pass (and no Div) over the batch
    assert "Div" not in {node.op_type for node in model.graph.node}
    first = next(i for i in model.graph.initializer if i.name.endswith("_kernel"))
    weights = pipe[-1].model_.layers[0].get_weights()[0]
    if weights.ndim == 4:  # Keras (kh, kw, in, out) -> ONNX (out, in, kh, kw)
        weights = weights.transpose(3, 2, 0, 1)
    np.testing.assert_array_equal(
        onnx.numpy_helper.to_array(first), weights / np.float32(pipe[0].scale_)
    )
    meta = json.loads({p.key: p.value for p in model.metadata_props}["skmnist"])
    assert meta["family"] == type(pipe[-1]).__name__
    assert meta["classes"] == pipe.classes_.tolist()


def test_plain_onnxruntime_gives_labels_and_probabilities(exported, mnist):
    pipe, path = exported
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = mnist.X_test[:20].astype(np.float32)
    labels, proba = session.run(None, {"images": X})
    np.testing.assert_array_equal(labels, pipe.predict(X))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-5)


def test_uint8_input_graph(exported, mnist, tmp_path):
    pipe, _ = exported
    path = export_onnx(pipe, tmp_path / "u8.onnx", input_dtype="uint8")
    (graph_input,) = onnx.load(path).graph.input
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    X = mnist.X_test[:200]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"images": X})  # uint8 images as they are
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(labels, pipe.predict(X))
    clf = OnnxClassifier(path)
    np.testing.assert_array_equal(clf.predict_proba(X.astype(float)), proba)
    with pytest.raises(ValueError, match="input_dtype='float32'"):
        clf.predict(X / 2)  # fractional pixels
    with pytest.raises(ValueError, match="input_dtype must be"):
        export_onnx(pipe, tmp_path / "f64.onnx", input_dtype="float64")


def test_in_memory_conversion_equals_the_file(exported):
    pipe, path = exported
    assert to_onnx(pipe).SerializeToString() == path.read_bytes()
    np.testing.assert_array_equal(
        OnnxClassifier(path.read_bytes()).classes_, pipe.classes_
    )


@pytest.mark.parametrize(
    "activation", ["tanh", "logistic", "elu", "selu", "gelu", "swish"]
)
def test_every_mlp_activation_is_exported(activation, tmp_path):
    pipe, images = _digits(hidden_layer_sizes=(16, 8), activation=activation)
    clf = OnnxClassifier(export_onnx(pipe, tmp_path / "m.onnx"))
    np.testing.assert_allclose(
        clf.predict_proba(images), pipe.predict_proba(images), atol=1e-5
    )


def test_cnn_with_same_padding_on_small_images(tmp_path):
    # 8x8 images through three blocks: the later convolutions and poolings meet
    # images smaller than their window, so they pad ("same"), as TensorFlow does
    pipe, images = _digits(model="cnn", filters=(4, 4, 4), dense_units=8)
    clf = OnnxClassifier(export_onnx(pipe, tmp_path / "c.onnx"))
    np.testing.assert_allclose(
        clf.predict_proba(images), pipe.predict_proba(images), atol=1e-5
    )
    np.testing.assert_array_equal(clf.predict(images), pipe.predict(images))


def test_cnn_with_batch_normalization_is_exported_folded(tmp_path):
    # small batches: enough steps for the moving statistics to leave their start
    pipe, images = _digits(
        model="cnn", filters=(4, 8), batch_normalization=True, batch_size=16
    )
    path = export_onnx(pipe, tmp_path / "bn.onnx")
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert "Conv" in ops and "BatchNormalization" not in ops  # folded
    clf = OnnxClassifier(path)
    np.testing.assert_allclose(
        clf.predict_proba(images), pipe.predict_proba(images), atol=1e-5
    )
    np.testing.assert_array_equal(clf.predict(images), pipe.predict(images))


def test_cnn_with_same_padding_is_exported(tmp_path):
    pipe, images = _digits(model="cnn", filters=(4, 8), padding="same")
    clf = OnnxClassifier(export_onnx(pipe, tmp_path / "same.onnx"))
    np.testing.assert_allclose(
        clf.predict_proba(images), pipe.predict_proba(images), atol=1e-5
    )
    np.testing.assert_array_equal(clf.predict(images), pipe.predict(images))


def test_string_labels_survive_the_export(tmp_path):
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    y = names[load_digits().target]
    pipe, images = _digits(y=y, hidden_layer_sizes=(16,))
    clf = OnnxClassifier(export_onnx(pipe, tmp_path / "s.onnx"))
    np.testing.assert_array_equal(clf.classes_, pipe.classes_)
    np.testing.assert_array_equal(clf.predict(images), pipe.predict(images))


def test_a_bare_classifier_is_exported_with_its_own_inputs(tmp_path):
    from skmnist import KerasMLPClassifier

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    model = KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=1, random_state=0)
    model.fit(X, y)
    clf = OnnxClassifier(export_onnx(model, tmp_path / "bare.onnx"))
    assert clf.scale_ is None
    np.testing.assert_allclose(clf.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_works_with_sklearn_metrics_and_confusion_matrix_display(exported, mnist):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, path = exported
    clf = OnnxClassifier(path)
    X, y = mnist.X_test[:300], mnist.y_test[:300]
    y_pred = clf.predict(X)
    display = ConfusionMatrixDisplay.from_predictions(y, y_pred)
    np.testing.assert_array_equal(display.confusion_matrix, confusion_matrix(y, y_pred))
    assert clf.score(X, y) == accuracy_score(y, y_pred)
    plt.close(display.figure_)


# -- refusals ------------------------------------------------------------------------


def test_export_refusals(tmp_path, exported):
    pipe, _ = exported
    with pytest.raises(ValueError, match=r"must end in '\.onnx'.*'m\.onnx'"):
        export_onnx(pipe, tmp_path / "m.joblib")
    assert not (tmp_path / "m.joblib").exists()
    with pytest.raises(NotFittedError):
        export_onnx(make_mnist_pipeline(), tmp_path / "unfitted.onnx")
    X, y = load_digits(return_X_y=True)
    other = make_pipeline(ImageFlattener(), LogisticRegression(max_iter=50)).fit(X, y)
    with pytest.raises(ValueError, match="only skmnist's Keras classifiers"):
        export_onnx(other, tmp_path / "other.onnx")
    assert not list(tmp_path.glob("*.onnx*"))  # nothing half-written


def test_predictor_checks_inputs_as_the_pipeline_does(exported, mnist):
    _, path = exported
    clf = OnnxClassifier(path)
    with pytest.raises(ValueError, match=r"shape \(2, 27, 28\).*\(n_samples, 28, 28\)"):
        clf.predict(np.zeros((2, 27, 28), np.uint8))
    with pytest.raises(ValueError, match="above the scale"):
        clf.predict(np.full((1, 28, 28), 300.0))
    with pytest.raises(ValueError, match="Negative values"):
        clf.predict(-np.ones((1, 28, 28)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.full((1, 28, 28), np.nan))
    from skmnist import PixelScaleWarning

    with pytest.warns(PixelScaleWarning, match="below 1/255"):
        clf.predict(mnist.X_test[:2] / 255.0)  # already scaled: nearly blank


def test_predictor_clips_stray_pixels_as_the_pipeline_does(tmp_path):
    """The shared image rules: a few pixels above the scale are clipped, warned."""
    from sklearn.preprocessing import MinMaxScaler

    from skmnist import PixelScaleWarning

    X, y = load_digits(return_X_y=True)
    scaler = MinMaxScaler().fit(X[:100])
    pipe = make_mnist_pipeline(hidden_layer_sizes=(8,), epochs=1, random_state=0)
    pipe.fit(scaler.transform(X[:100]), y[:100])
    clf = OnnxClassifier(export_onnx(pipe, tmp_path / "digits.onnx"))
    X_test = scaler.transform(X[100:300])
    # pixels darker or brighter than any in the scaler's 100 images
    assert X_test.max() > 1 and X_test.min() < 0

    with pytest.warns(PixelScaleWarning, match=r"clipped to \[0, 1\]") as onnx_warned:
        onnx_proba = clf.predict_proba(X_test)
    with pytest.warns(PixelScaleWarning, match=r"clipped to \[0, 1\]") as keras_warned:
        keras_proba = pipe.predict_proba(X_test)
    # only the pixel-scale warnings count (old library versions add their own)
    assert _count(onnx_warned, PixelScaleWarning) == 1
    assert _count(keras_warned, PixelScaleWarning) == 1
    np.testing.assert_allclose(onnx_proba, keras_proba, atol=1e-5)
    np.testing.assert_allclose(
        clf.predict_proba(np.clip(X_test, 0, 1)), onnx_proba, atol=1e-6
    )


def test_predictor_refuses_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="skmnist export"):
        OnnxClassifier(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a readable ONNX model"):
        OnnxClassifier(tmp_path / "junk.onnx")
    # a valid ONNX model without skmnist's metadata
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y]
    )
    model = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", 17)]
    )
    model.ir_version = 8
    onnx.save(model, tmp_path / "foreign.onnx")
    with pytest.raises(ValueError, match="not one written by skmnist.export_onnx"):
        OnnxClassifier(tmp_path / "foreign.onnx")


def _run_python(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )


def test_missing_onnxruntime_is_one_line_naming_the_extra(mlp_files):
    _, _, onnx_path = mlp_files
    code = (
        "import sys\n"
        "sys.modules['onnxruntime'] = None  # as if not installed\n"
        "from skmnist.onnx import OnnxClassifier, MissingDependencyError\n"
        "try:\n"
        f"    OnnxClassifier({str(onnx_path)!r})\n"
        "except MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    result = _run_python(code)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    assert "'onnxruntime'" in line and 'pip install "skmnist[onnx]"' in line
    assert issubclass(MissingDependencyError, ImportError)

    cli = _run_python(
        "import sys\nsys.modules['onnxruntime'] = None\nfrom skmnist.cli import main\n"
        f"sys.exit(main(['evaluate', {str(onnx_path)!r}]))"
    )
    assert cli.returncode == 1
    (line,) = cli.stderr.strip().splitlines()
    assert line.startswith("skmnist evaluate: error:") and "skmnist[onnx]" in line


# -- without TensorFlow: the predictor, the CLI, the server ------------------------


def test_predicting_from_onnx_imports_neither_tensorflow_nor_keras(
    mlp_files, tmp_path, mnist
):
    from PIL import Image

    pipe, _, onnx_path = mlp_files
    png = tmp_path / "digit.png"
    Image.fromarray(mnist.X_test[0]).save(png)
    code = (
        "import contextlib, io, sys\n"
        "import numpy as np\n"
        "from skmnist import OnnxClassifier\n"
        "from skmnist.cli import main\n"
        "from skmnist.serve import create_app\n"
        f"clf = OnnxClassifier({str(onnx_path)!r})\n"
        "clf.predict(np.zeros((3, 28, 28), np.uint8))\n"
        "clf.score(np.zeros((1, 28, 28)), [0])\n"
        "create_app(" + repr(str(onnx_path)) + ")\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    status = main(['predict', {str(onnx_path)!r}, {str(png)!r}])\n"
        "assert status == 0, status\n"
        f"print('heavy:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(out.getvalue().strip())\n"
    )
    result = _run_python(code)
    assert result.returncode == 0, result.stderr
    heavy, prediction = result.stdout.strip().splitlines()[-2:]
    assert heavy == "heavy:"  # no tensorflow, no keras
    # the CLI's answer is the Keras pipeline's on the same prepared image
    from skmnist.digits import load_digit_image

    digit = load_digit_image(png)[np.newaxis]
    path, label, probability = prediction.split("\t")
    assert path == str(png) and int(label) == pipe.predict(digit)[0]
    assert float(probability) == pytest.approx(
        pipe.predict_proba(digit).max(), abs=1e-4
    )


def test_cli_export_then_predict_and_evaluate_agree_with_joblib(
    mlp_files, tmp_path, capsys, mnist
):
    pipe, joblib_path, _ = mlp_files
    out = tmp_path / "cli.onnx"
    assert main(["export", str(joblib_path), str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    np.testing.assert_allclose(
        OnnxClassifier(out).predict_proba(mnist.X_test[:100]),
        pipe.predict_proba(mnist.X_test[:100]),
        atol=1e-5,
    )
    assert main(["evaluate", str(out)]) == 0
    from_onnx = capsys.readouterr().out
    accuracy = accuracy_score(mnist.y_test, pipe.predict(mnist.X_test))
    assert f"test accuracy: {accuracy:.4f} on 10,000 images" in from_onnx

    assert main(["export", str(joblib_path), str(tmp_path / "x.keras")]) == 1
    assert "must end in '.onnx'" in capsys.readouterr().err
    assert main(["report", str(out)]) == 1  # needs the training history
    assert "is an ONNX model" in capsys.readouterr().err


def test_serve_accepts_onnx(mlp_files, mnist):
    from starlette.testclient import TestClient

    from skmnist.serve import create_app

    pipe, _, onnx_path = mlp_files
    client = TestClient(create_app(onnx_path))
    assert client.get("/model").json()["family"] == "OnnxClassifier"
    digit = mnist.X_test[3]
    answer = client.post("/predict?normalize=no", json=digit.tolist()).json()
    assert answer["prediction"] == pipe.predict(digit[np.newaxis])[0]
    np.testing.assert_allclose(
        answer["probabilities"], pipe.predict_proba(digit[np.newaxis])[0], atol=1e-5
    )


def test_no_warning_on_ordinary_images(exported, mnist):
    _, path = exported
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OnnxClassifier(path).predict(mnist.X_test[:10])


def _count(record, category):
    """How many warnings of ``category`` a ``pytest.warns`` record holds."""
    return sum(issubclass(w.category, category) for w in record)
