"""The evaluate, predict and report subcommands, ``train --report``, and their errors.

Commands run in-process through :func:`skmnist.cli.main` (TensorFlow is imported
once per session); the package tests cover the console script itself.
"""

import re

import numpy as np
import pytest
from PIL import Image

from skmnist.cli import main
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
