"""Data beyond MNIST: a folder of images, --dataset, class names that travel.

The folder is written here from Fashion-MNIST test images, one PNG per image, one
sub-folder per class (issue 22).
"""

import json
import os

import numpy as np
import pytest
from PIL import Image

from skmnist import load_image_folder, make_mnist_pipeline
from skmnist._class_names import class_names
from skmnist.cli import main

N_PER_CLASS = 30


def run(capsys, *argv):
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _folder_name(name):
    return str(name).replace("/", "-")  # "T-shirt/top" cannot name a folder


@pytest.fixture(scope="module")
def fashion_folder(fashion_mnist, tmp_path_factory):
    """``N_PER_CLASS`` Fashion-MNIST test images per class as PNG files."""
    root = tmp_path_factory.mktemp("fashion-folder")
    X, y = fashion_mnist.X_test, fashion_mnist.y_test
    for label, name in enumerate(fashion_mnist.target_names):
        folder = root / _folder_name(name)
        folder.mkdir()
        for i in np.flatnonzero(y == label)[:N_PER_CLASS]:
            Image.fromarray(X[i]).save(folder / f"{i:05d}.png")
    return root


def _write(path, pixels, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(path, format=fmt)


# -- load_image_folder -----------------------------------------------------------


def test_folder_loads_the_images_it_was_written_from(fashion_folder, fashion_mnist):
    data = load_image_folder(fashion_folder)
    names = sorted(_folder_name(n) for n in fashion_mnist.target_names)

    assert data.images.shape == (10 * N_PER_CLASS, 28, 28)
    assert data.images.dtype == np.uint8
    assert data.data.shape == (10 * N_PER_CLASS, 784)
    assert data.target_names.tolist() == names
    assert np.bincount(data.target).tolist() == [N_PER_CLASS] * 10
    # PNG is lossless: each file gives back the Fashion-MNIST image it came from
    for image, filename in zip(data.images[::37], data.filenames[::37], strict=True):
        index = int(os.path.basename(filename).split(".")[0])
        np.testing.assert_array_equal(image, fashion_mnist.X_test[index])
    assert "300 grayscale images of 28x28 pixels" in data.DESCR
    X, y = load_image_folder(fashion_folder, return_X_y=True)
    np.testing.assert_array_equal(X, data.images)
    np.testing.assert_array_equal(y, data.target)


def test_folder_converts_colour_and_resizes(tmp_path):
    rgb = np.zeros((40, 30, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: luma 0.299
    _write(tmp_path / "red" / "a.jpg", rgb)
    _write(tmp_path / "gray" / "b.png", np.full((40, 30), 200))
    _write(tmp_path / "gray" / "notes.txt.bak", np.zeros((2, 2)), fmt="PNG")  # skipped
    (tmp_path / "gray" / "README").write_text("not an image: skipped")

    data = load_image_folder(tmp_path, image_shape=(8, 6))

    assert data.images.shape == (2, 8, 6)
    assert data.target_names.tolist() == ["gray", "red"]
    assert abs(int(data.images[1].mean()) - 76) <= 2  # 0.299 * 255
    assert (data.images[0] == 200).all()


def test_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder at"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_image_folder(tmp_path)

    _write(tmp_path / "a" / "1.png", np.zeros((5, 5)))
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError, match="class 'b' has no image"):
        load_image_folder(tmp_path)

    (tmp_path / "b" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"broken\.png.*not a readable image"):
        load_image_folder(tmp_path)

    _write(tmp_path / "b" / "broken.png", np.zeros((7, 6)))
    with pytest.raises(
        ValueError, match=r"2 different sizes .* image_shape=\(28, 28\)"
    ):
        load_image_folder(tmp_path)
    assert load_image_folder(tmp_path, image_shape=(5, 5)).images.shape == (2, 5, 5)
    with pytest.raises(ValueError, match="image_shape must be a pair"):
        load_image_folder(tmp_path, image_shape=(5, 0))


# -- end to end, from Python and from the shell ------------------------------------


def test_a_folder_trains_and_predicts_from_python(fashion_folder, tmp_path):
    from sklearn.model_selection import train_test_split

    from skmnist import export_onnx
    from skmnist.digits import load_digit_images
    from skmnist.onnx import OnnxClassifier

    data = load_image_folder(fashion_folder)
    X_train, X_test, y_train, y_test = train_test_split(
        data.images, data.target, test_size=0.2, stratify=data.target, random_state=0
    )
    pipe = make_mnist_pipeline(epochs=15, random_state=0).fit(X_train, y_train)
    pipe.class_names_ = data.target_names[pipe.classes_]

    assert pipe.score(X_test, y_test) > 0.5  # 10 classes: chance is 0.1
    assert class_names(pipe) == data.target_names.tolist()
    # the files, read again as skmnist predict --no-normalize reads them
    files = data.filenames[:5]
    again = load_digit_images(files, normalize=False, invert=False)
    np.testing.assert_array_equal(pipe.predict(again), pipe.predict(data.images[:5]))
    # the names travel into the ONNX file
    onnx_model = OnnxClassifier(export_onnx(pipe, tmp_path / "folder.onnx"))
    assert onnx_model.class_names_.tolist() == data.target_names.tolist()


def test_a_folder_trains_and_predicts_from_the_shell(fashion_folder, tmp_path, capsys):
    model = tmp_path / "folder.joblib"
    status, out, _ = run(
        capsys,
        "train",
        "--dataset",
        fashion_folder,
        "--epochs",
        "15",
        "--random-state",
        "0",
        "--quiet",
        "-o",
        model,
        "--report",
        tmp_path / "report.html",
    )
    assert status == 0, out
    assert f"dataset: {fashion_folder.name}" in out
    assert "on 240 images" in out  # a stratified fifth held out as the test set
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.5
    assert "classes: 0 Ankle boot, 1 Bag" in out

    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"<title>{fashion_folder.name} model report</title>" in report
    assert "Ankle boot" in report and "Trouser" in report

    files = sorted((fashion_folder / "Trouser").glob("*.png"))[:10]
    status, out, _ = run(capsys, "predict", "--no-normalize", model, *files)
    assert status == 0
    rows = [line.split("\t") for line in out.strip().splitlines()]
    names = sorted(_folder_name(n) for n in os.listdir(fashion_folder))
    assert [row[0] for row in rows] == [str(f) for f in files]
    assert all(row[1] in names for row in rows)  # names, not indices
    assert sum(row[1] == "Trouser" for row in rows) >= 5

    status, out, _ = run(capsys, "evaluate", model, "--dataset", fashion_folder)
    assert status == 0
    assert f"test accuracy: {accuracy:.4f} on 60 images" in out
    assert "Ankle boot" in out  # the per-class report by name


def test_fashion_mnist_from_the_shell(fashion_mnist, tmp_path, capsys):
    model = tmp_path / "fashion.joblib"
    argv = ["train", "--dataset", "fashion-mnist", "--subset", "2000", "--epochs", "2"]
    status, out, _ = run(capsys, *argv, "--quiet", "--random-state", "0", "-o", model)
    assert status == 0
    assert "dataset: Fashion-MNIST" in out
    assert "on 10,000 images" in out  # the official test set
    assert "classes: 0 T-shirt/top, 1 Trouser" in out

    status, out, _ = run(
        capsys, "report", model, "--dataset", "Fashion-MNIST", "-o", tmp_path / "r.html"
    )
    assert status == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<title>Fashion-MNIST model report</title>" in page
    assert "Ankle boot" in page


@pytest.mark.parametrize(
    "dataset, message",
    [
        ("kmnist", "neither a folder nor one of mnist, fashion-mnist"),
        ("no_such_module:X", "cannot import it"),
        ("skmnist.datasets:load_mnist", "not an skmnist.datasets.IdxDataset"),
        ("no/such/folder", "no folder there"),
    ],
)
def test_unknown_datasets_are_one_line_errors(dataset, message, capsys, tmp_path):
    status, _, err = run(capsys, "train", "--dataset", dataset, "-o", tmp_path / "m")
    assert status == 1
    assert len(err.strip().splitlines()) == 1 and message in err


def test_a_dataset_description_by_module_and_name(capsys, tmp_path, mnist):
    model = tmp_path / "m.joblib"
    argv = ["--subset", "500", "--epochs", "1", "--quiet", "-o", model]
    status, out, _ = run(capsys, "train", "--dataset", "skmnist.datasets:MNIST", *argv)
    assert status == 0 and "dataset: MNIST" in out


# -- serve: the model's shape and names -------------------------------------------


def test_serve_answers_with_names_at_the_models_shape(tmp_path):
    from sklearn.datasets import load_digits
    from starlette.testclient import TestClient

    from skmnist.serve import create_app

    digits = load_digits()
    pipe = make_mnist_pipeline(hidden_layer_sizes=(16,), epochs=3, random_state=0)
    pipe.fit(digits.images, digits.target)
    pipe.class_names_ = [f"digit {n}" for n in digits.target_names]
    client = TestClient(create_app(pipe))

    model = client.get("/model").json()
    assert model["image_shape"] == [8, 8]
    assert model["class_names"][:2] == ["digit 0", "digit 1"]
    answer = client.post("/predict", json=digits.images[0].tolist()).json()
    assert np.shape(answer["image"]) == (8, 8)
    assert answer["prediction_name"] == f"digit {answer['prediction']}"
    assert answer["class_names"] == model["class_names"]
    wrong = client.post("/predict", json=np.zeros((28, 28)).tolist()).json()
    assert wrong["status"] == 422 and "must be 8x8" in wrong["error"]
    assert json.dumps(answer)  # all JSON
