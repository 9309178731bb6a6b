"""The subcommands, their errors, and a quiet, clean output.

Commands run in-process through :func:`skmnist.cli.main` (TensorFlow is imported
once per session), except where the output of the real command is the point: what
reaches stderr and a pipe from a fresh process.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from skmnist.cli import main
from skmnist.commands._quiet import QUIET_LEVEL, filter_log_lines, log_level
from tests.test_digits import on_paper


def run(capsys, *argv):
    """Run ``skmnist argv...``; return (status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, err, command, *fragments):
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"skmnist {command}: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def parse_predictions(out):
    rows = [line.split("\t") for line in out.strip().splitlines()]
    return [(name, int(digit), float(p)) for name, digit, p in rows]


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("images")


# -- evaluate ----------------------------------------------------------------------


def test_evaluate(capsys, saved_pipeline, fitted_pipeline, mnist):
    status, out, _ = run(capsys, "evaluate", saved_pipeline)

    accuracy = fitted_pipeline.score(mnist.X_test, mnist.y_test)
    assert status == 0
    assert f"test accuracy: {accuracy:.4f} on 10,000 images" in out
    assert "precision" in out and "macro avg" in out  # the classification report
    assert "confusion matrix" in out


# -- predict -----------------------------------------------------------------------


def test_predict_mnist_pngs_matches_the_pipeline(
    capsys, saved_pipeline, fitted_pipeline, mnist, image_dir
):
    X = mnist.X_test[:8]
    paths = [image_dir / f"mnist-{k}.png" for k in range(len(X))]
    for path, digit in zip(paths, X, strict=True):
        Image.fromarray(digit).save(path)

    status, out, _ = run(capsys, "predict", saved_pipeline, *paths)

    assert status == 0
    rows = parse_predictions(out)
    proba = fitted_pipeline.predict_proba(X)
    assert [name for name, _, _ in rows] == [str(path) for path in paths]
    assert [digit for _, digit, _ in rows] == list(fitted_pipeline.predict(X))
    assert [p for _, _, p in rows] == pytest.approx(proba.max(axis=1), abs=1e-4)


def test_predict_digits_on_white_paper(
    capsys, saved_pipeline, fitted_pipeline, mnist, image_dir
):
    # confidently predicted originals: the answer must not hinge on a rounding
    proba = fitted_pipeline.predict_proba(mnist.X_test[:50])
    chosen = np.flatnonzero(proba.max(axis=1) > 0.95)[:5]
    rng = np.random.default_rng(1)
    paths = []
    for k in chosen:
        paths.append(image_dir / f"paper-{k}.jpg")
        Image.fromarray(on_paper(mnist.X_test[k], rng)).save(paths[-1], quality=90)

    status, out, _ = run(capsys, "predict", saved_pipeline, *paths)

    assert status == 0
    digits = [digit for _, digit, _ in parse_predictions(out)]
    assert digits == list(proba[chosen].argmax(axis=1))


def test_predict_errors(capsys, saved_pipeline, image_dir, tmp_path):
    garbage = tmp_path / "scan.png"
    garbage.write_text("not an image")
    status, _, err = run(capsys, "predict", saved_pipeline, garbage)
    assert_one_line_error(status, err, "predict", "scan.png", "not a readable image")

    status, _, err = run(capsys, "predict", saved_pipeline, tmp_path / "nope.png")
    assert_one_line_error(status, err, "predict", "no image file", "nope.png")

    big = tmp_path / "big.png"
    Image.fromarray(np.full((40, 30), 255, dtype=np.uint8)).save(big)
    status, _, err = run(capsys, "predict", "--no-normalize", saved_pipeline, big)
    assert_one_line_error(status, err, "predict", "wrong shape", "40x30")

    status, _, err = run(capsys, "predict", saved_pipeline, big)  # white page
    assert_one_line_error(status, err, "predict", "big.png", "no digit found")


# -- report and train --report -------------------------------------------------------


def test_report(capsys, saved_pipeline, tmp_path):
    target = tmp_path / "out" / "report.html"
    status, out, _ = run(capsys, "report", saved_pipeline, "-o", target)

    assert status == 0
    assert f"wrote the report to {target}" in out
    page = target.read_text(encoding="utf-8")
    assert '<span id="test-accuracy">' in page and "10,000" in page


def test_train_with_report(capsys, tmp_path):
    model, report = tmp_path / "m.joblib", tmp_path / "train.html"
    status, out, _ = run(
        capsys,
        "train",
        "-o", model,
        "--report", report,
        "--epochs", "1",
        "--hidden-layer-sizes", "16",
        "--random-state", "0",
        "--quiet",
    )  # fmt: skip

    assert status == 0
    assert model.is_file() and report.is_file()
    accuracy = out.split("test accuracy: ")[1].split()[0]
    page = report.read_text(encoding="utf-8")
    assert f'<span id="test-accuracy">{accuracy}</span>' in page
    assert "60,000" in page  # training images


# -- errors common to every command that reads a model -------------------------------


@pytest.mark.parametrize("command", ["evaluate", "report", "predict"])
def test_missing_or_bad_model_file(capsys, command, tmp_path, mnist):
    image = tmp_path / "digit.png"
    Image.fromarray(mnist.X_test[0]).save(image)
    extra = [image] if command == "predict" else []

    status, _, err = run(capsys, command, tmp_path / "none.joblib", *extra)
    assert_one_line_error(status, err, command, "no saved model", "none.joblib")

    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"\x00garbage")
    status, _, err = run(capsys, command, garbage, *extra)
    assert_one_line_error(status, err, command, "not a readable skmnist model")


def test_model_file_holding_no_classifier(capsys, tmp_path):
    from skmnist import ImageFlattener
    from skmnist.persistence import save_model

    path = save_model(ImageFlattener().fit([[[0, 255]]]), tmp_path / "flat.joblib")
    status, _, err = run(capsys, "evaluate", path)
    assert_one_line_error(status, err, "evaluate", "ImageFlattener", "not a fitted")


def test_help_lists_the_new_commands_and_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^ {4}(\w+) ", out, re.M)
    mine = [name for name in listed if name in ("evaluate", "predict", "report")]
    assert listed[0] == "train" and mine == ["evaluate", "predict", "report"]
    for command, option in [
        ("predict", "--no-normalize"),
        ("report", "--output"),
        ("train", "--report"),
    ]:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert option in capsys.readouterr().out


# -- a quiet, clean command line: the real command, its output to pipes --------------

# TensorFlow's C++ log lines (absl format), its absl notice, and anything naming CUDA
TF_LOG_LINE = re.compile(  # absl's format (newer TF), then TF 2.16's
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ "
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] )\S+:\d+\]"
)
TF_NOISE = ("absl::InitializeLog", "cuda", "cuInit", "oneDNN", "rebuild TensorFlow")


def tf_log_lines(stderr):
    return [
        line
        for line in stderr.splitlines()
        if TF_LOG_LINE.match(line) or any(word in line for word in TF_NOISE)
    ]


def env_without_log_level():
    """This environment without TF_CPP_MIN_LOG_LEVEL (the test configuration sets
    it): the command must quiet TensorFlow by itself."""
    return {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def test_train_output_to_pipes_is_quiet_and_one_line_per_epoch(tmp_path):
    model = tmp_path / "m.joblib"
    result = subprocess.run(
        [
            sys.executable, "-m", "skmnist", "train",
            "--subset", "1000", "--epochs", "3", "--hidden-layer-sizes", "8",
            "--random-state", "0", "-o", str(model),
        ],
        capture_output=True,
        text=True,
        env=env_without_log_level(),
        timeout=600,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert tf_log_lines(result.stderr) == []
    assert result.stderr.strip() == ""
    out = result.stdout
    assert "\r" not in out and "\x1b" not in out  # no progress bar, no colours
    epochs = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert [line.split(" - ")[0] for line in epochs] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]
    for line in epochs:  # each line complete: time, loss and accuracy
        pattern = r"epoch \d/3 - \d+\.\d\d s( - \w+: \d+\.\d{4})+"
        assert re.fullmatch(pattern, line), line
        assert "loss: " in line and "accuracy: " in line
    assert "training the mlp on 1,000 images for 3 epochs" in out
    assert model.is_file()


def _import_tensorflow(setup):
    """stderr of a fresh process that runs ``setup`` then imports TensorFlow."""
    code = f"{setup}\nimport tensorflow as tf\ntf.constant(1.0) + 1.0\n"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env_without_log_level(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def _messages(lines):
    """Log lines without their time stamp and thread id."""
    return sorted(TF_LOG_LINE.sub("", line) for line in lines)


def test_tensorflow_logs_hidden_unless_verbose():
    plain = tf_log_lines(_import_tensorflow(""))
    setup = "from skmnist.commands._quiet import quiet_tensorflow\n"
    quiet = tf_log_lines(_import_tensorflow(setup + "quiet_tensorflow()"))
    verbose = tf_log_lines(_import_tensorflow(setup + "quiet_tensorflow(verbose=True)"))

    assert quiet == []
    # --verbose shows what TensorFlow prints when left alone
    assert _messages(verbose) == _messages(plain)


def test_log_level_the_users_setting_wins():
    environ = {}
    assert log_level(environ=environ) == QUIET_LEVEL
    assert environ == {"TF_CPP_MIN_LOG_LEVEL": str(QUIET_LEVEL)}

    environ = {}
    assert log_level(verbose=True, environ=environ) == 0
    assert environ == {}  # left to TensorFlow: everything shown

    for value, level in [("0", 0), ("1", 1), ("2", 2), ("junk", 0)]:
        environ = {"TF_CPP_MIN_LOG_LEVEL": value}
        assert log_level(environ=environ) == level
        assert log_level(verbose=True, environ=environ) == level
        assert environ == {"TF_CPP_MIN_LOG_LEVEL": value}


def test_filter_log_lines_by_severity():
    lines = [
        "WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\n",
        "I0000 00:00:1795617253.467709    6642 cudart_stub.cc:31] Could not find "
        "cuda drivers on your machine, GPU will not be used.\n",
        "I0000 00:00:1795617253.820005    6642 cpu_feature_guard.cc:227] This "
        "TensorFlow binary is optimized to use available CPU instructions.\n",
        "To enable the following instructions: AVX2 FMA, in other operations, "
        "rebuild TensorFlow with the appropriate compiler flags.\n",
        "W0000 00:00:1795617253.9    6642 some_file.cc:12] a warning\n",
        "E0000 00:00:1795617257.429920    6642 cuda_platform.cc:52] failed call to "
        "cuInit: UNKNOWN ERROR (303)\n",
        "F0000 00:00:1795617257.5    6642 crash.cc:1] a fatal error\n",
        "/x/y.py:3: UserWarning: a Python warning stays\n",
    ]
    text = "".join(lines)
    assert filter_log_lines(text, 0) == text
    assert filter_log_lines(text, 2) == "".join(lines[5:])
    assert filter_log_lines(text, 3) == lines[6] + lines[7]


def test_usage_errors_are_one_line(capsys):
    for argv in (["train", "--epochs", "0"], ["nope"], [], ["train", "--model", "rnn"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("skmnist") and "error: " in err and "--help" in err


def test_verbose_before_or_after_the_command():
    from skmnist.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["train"]).verbose is False
    assert parser.parse_args(["--verbose", "train"]).verbose is True
    assert parser.parse_args(["evaluate", "m.joblib", "--verbose"]).verbose is True


# -- train: options, and the arguments checked before any data is read ---------------


def test_train_alpha_reaches_the_classifier():
    from skmnist.cli import build_parser
    from skmnist.commands.train import model_params

    parser = build_parser()
    assert "alpha" not in model_params(parser.parse_args(["train"]))  # the model's
    args = parser.parse_args(["train", "--model", "cnn", "--alpha", "1e-4"])
    assert model_params(args)["alpha"] == 1e-4


def test_train_subset_is_stratified_and_the_same_every_time(mnist):
    from skmnist.commands._common import stratified_subset

    X, y = stratified_subset(mnist.X_train, mnist.y_train, 1000)
    X2, y2 = stratified_subset(mnist.X_train, mnist.y_train, 1000)
    assert X.shape == (1000, 28, 28) and np.array_equal(X, X2) and np.array_equal(y, y2)
    counts = np.bincount(y, minlength=10)
    expected = np.bincount(mnist.y_train, minlength=10) / len(mnist.y_train) * 1000
    assert np.abs(counts - expected).max() <= 1
    X_all, _ = stratified_subset(mnist.X_train, mnist.y_train, 10**6)
    assert X_all is mnist.X_train


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--hidden-layer-sizes", "16,x"], "comma-separated whole numbers"),
        (["--hidden-layer-sizes", "16,0"], "must all be >= 1"),
        (["--model", "cnn", "--hidden-layer-sizes", "16"], "option of --model mlp"),
        (["--filters", "8,16"], "option of --model cnn"),
        (["--model", "cnn", "--filters", "8,,16"], "--filters must be comma-sep"),
        (["--model", "cnn-strong", "--hidden-layer-sizes", "16"], "of --model mlp"),
    ],
)
def test_train_bad_values_fail_before_loading_data(capsys, tmp_path, argv, fragment):
    # an empty data home and --offline: had the data been read, the error would
    # have been "not found"
    status, _, err = run(
        capsys, "train", *argv, "--offline", "--data-home", tmp_path / "empty"
    )
    assert_one_line_error(status, err, "train", fragment)


# -- --model cnn ---------------------------------------------------------------------


def test_train_cnn(capsys, tmp_path, mnist):
    from skmnist.models.cnn import KerasCNNClassifier
    from skmnist.persistence import load_model

    model = tmp_path / "cnn.joblib"
    status, out, _ = run(
        capsys,
        "train", "--model", "cnn", "--filters", "4,8", "--subset", "600",
        "--epochs", "2", "--random-state", "0", "-o", model,
    )  # fmt: skip

    assert status == 0
    assert "training the cnn on 600 images for 2 epochs" in out
    assert len([line for line in out.splitlines() if line.startswith("epoch ")]) == 2
    pipe = load_model(model)
    assert [name for name, _ in pipe.steps] == ["reshape", "classifier"]
    assert isinstance(pipe[-1], KerasCNNClassifier)
    assert pipe[-1].filters == (4, 8) and pipe[-1].callbacks is None
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy == pytest.approx(pipe.score(mnist.X_test, mnist.y_test), abs=1e-4)


def test_train_a_preset_with_the_options_given_winning(capsys, tmp_path, mnist):
    from skmnist.models import PRESETS
    from skmnist.persistence import load_model

    model = tmp_path / "strong.joblib"
    status, out, _ = run(
        capsys,
        "train", "--model", "cnn-strong", "--filters", "4,8", "--subset", "600",
        "--epochs", "1", "--random-state", "0", "--quiet", "-o", model,
    )  # fmt: skip

    assert status == 0, out
    assert "training the cnn-strong on 600 images for 1 epoch\n" in out
    clf = load_model(model)[-1]
    assert clf.filters == (4, 8) and clf.epochs == 1  # given: they win
    recipe = PRESETS["cnn-strong"].estimator_params()
    del recipe["filters"], recipe["epochs"]
    assert {name: getattr(clf, name) for name in recipe} == recipe  # the preset's


def test_train_a_users_network(capsys, tmp_path):
    from skmnist.models.custom import KerasImageClassifier
    from skmnist.persistence import load_model

    model = tmp_path / "own.joblib"
    status, out, err = run(
        capsys,
        "train", "--model", "network_builders:small_network", "--subset", "300",
        "--epochs", "1", "--random-state", "0", "-o", model,
    )  # fmt: skip

    assert status == 0, err
    assert "training the network_builders:small_network on 300 images" in out
    pipe = load_model(model)
    assert [name for name, _ in pipe.steps] == ["reshape", "classifier"]
    assert isinstance(pipe[-1], KerasImageClassifier)
    assert pipe[-1].model.__name__ == "small_network"


@pytest.mark.parametrize(
    "model, fragment",
    [
        ("network_builders:no_such_builder", "cannot import 'no_such_builder'"),
        ("no_such_module:build", "cannot import 'build' from 'no_such_module'"),
    ],
)
def test_a_network_that_cannot_be_imported_is_one_clear_error(
    capsys, tmp_path, model, fragment
):
    status, _, err = run(
        capsys, "train", "--model", model, "--offline", "--data-home", tmp_path
    )
    assert_one_line_error(status, err, "train", fragment)


def test_search_cnn(capsys):
    status, out, err = run(
        capsys,
        "search", "--model", "cnn", "--n-trials", "2", "--subset", "300",
        "--cv", "2", "--epochs", "1", "--random-state", "0", "--quiet",
        "--set", "classifier__filters=(4, 8)",
    )  # fmt: skip

    assert status == 0, err
    assert "searching the cnn on 300 images: up to 2 trials" in out
    best = dict(
        line.strip().split(" = ", 1) for line in out.splitlines() if " = " in line
    )
    # the CNN's space, with the fixed filters; none of the MLP's parameters
    assert best["classifier__filters"] == "(4, 8)"
    assert "classifier__kernel_size" in best and "classifier__dense_units" in best
    assert "classifier__hidden_layer_sizes" not in best


def test_search_a_users_network(capsys):
    status, out, err = run(
        capsys,
        "search", "--model", "network_builders:small_network", "--n-trials", "2",
        "--subset", "300", "--cv", "2", "--epochs", "1", "--random-state", "0",
        "--quiet", "--set", "classifier__model__units=8",
    )  # fmt: skip

    assert status == 0, err
    best = dict(
        line.strip().split(" = ", 1) for line in out.splitlines() if " = " in line
    )
    # the training space, with the builder's argument fixed
    assert best["classifier__model__units"] == "8"
    assert "classifier__learning_rate" in best and "classifier__batch_size" in best


# -- train --validation ------------------------------------------------------------


def test_train_prints_the_validation_accuracy_of_every_epoch(capsys, tmp_path, mnist):
    from skmnist.persistence import load_model

    model = tmp_path / "m.joblib"
    status, out, _ = run(
        capsys,
        "train", "--subset", "600", "--epochs", "2", "--hidden-layer-sizes", "8",
        "--validation", "test", "--random-state", "0", "-o", model,
    )  # fmt: skip
    assert status == 0, out
    assert "validating on the test set after every epoch" in out
    epochs = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 2 and all("val_accuracy: " in line for line in epochs)
    last = float(epochs[-1].split("val_accuracy: ")[1].split()[0])
    pipe = load_model(model)
    assert last == pytest.approx(pipe.score(mnist.X_test, mnist.y_test), abs=1e-4)
    assert pipe.transform_input is None  # a plain pipeline, refits without routing


def test_train_validation_fraction_is_held_out(capsys, tmp_path):
    status, out, _ = run(
        capsys,
        "train", "--subset", "600", "--epochs", "1", "--hidden-layer-sizes", "8",
        "--validation", "0.25", "-o", tmp_path / "m.joblib",
    )  # fmt: skip
    assert status == 0
    assert "training the mlp on 450 images" in out
    assert "validating on 150 held-out training images" in out


@pytest.mark.parametrize("value", ["0", "1.5", "train"])
def test_train_bad_validation_is_refused(capsys, value):
    with pytest.raises(SystemExit):
        main(["train", "--validation", value])
    assert "expected 'test' (the official test set)" in capsys.readouterr().err
