"""The HTML report: its contents, self-containment, atomic writing, and a real browser.

The browser test needs Debian's ``chromium`` and ``chromium-driver`` and the
``selenium`` package (CI installs them). Without them it fails, unless
``SKMNIST_SKIP_BROWSER=1`` is set, in which case it is skipped.
"""

import base64
import contextlib
import io
import os
import re
from html import escape

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image

from skmnist import report as report_module
from skmnist.report import write_report

N_TEST = 2000  # enough mistakes for every section, and quick to predict


@pytest.fixture(scope="module")
def test_set(mnist):
    return mnist.X_test[:N_TEST], mnist.y_test[:N_TEST]


@pytest.fixture(scope="module")
def report_path(fitted_pipeline, test_set, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(fitted_pipeline, *test_set, path, title="Test <run> & co")


@pytest.fixture(scope="module")
def page(report_path):
    return report_path.read_text(encoding="utf-8")


def expected_accuracy(estimator, X, y):
    return f"{estimator.score(X, y):.4f}"


def test_report_headline_figures(page, fitted_pipeline, test_set):
    classifier = fitted_pipeline[-1]
    accuracy = expected_accuracy(fitted_pipeline, *test_set)
    assert f'<span id="test-accuracy">{accuracy}</span>' in page
    assert "<title>Test &lt;run&gt; &amp; co</title>" in page  # escaped
    assert f"{classifier.fit_time_:.1f} s" in page
    assert f"{N_TEST:,}" in page
    assert "10,000" in page  # training images, read from the classifier
    assert "1,000" in page  # of which held out for early stopping


def test_report_describes_the_model(page, fitted_pipeline):
    classifier = fitted_pipeline[-1]
    for layer in classifier.model_.layers:
        assert f"<td>{layer.name}</td>" in page
        assert f"{layer.count_params():,}" in page
    assert "50,890" in page  # 784*64+64 + 64*10+10 trainable parameters
    for name, value in classifier.get_params(deep=False).items():
        assert f"<th>{name}</th><td><code>{escape(repr(value))}</code></td>" in page
    assert "Keras summary" in page
    assert "<p>Classifier: KerasMLPClassifier</p>" in page
    assert "flatten (ImageFlattener)" in page


def test_report_metrics_and_confusion_matrix(page, fitted_pipeline, test_set):
    from sklearn.metrics import confusion_matrix, f1_score

    X, y = test_set
    y_pred = fitted_pipeline.predict(X)
    table = re.search(r'<table class="confusion">.*?</table>', page, re.S).group()
    cells = [
        int(n.replace(",", "")) for n in re.findall(r"<td[^>]*>([\d,]+)</td>", table)
    ]
    assert_array_equal(np.reshape(cells, (10, 10)), confusion_matrix(y, y_pred))

    metrics = re.search(r'<section id="metrics">.*?</section>', page, re.S).group()
    f1 = f1_score(y, y_pred, average=None)
    for digit in range(10):
        # class, precision, recall, then F1
        row = rf'<td>{digit}</td>(<td[^>]*>[^<]*</td>){{2}}<td class="num">'
        assert re.search(row + f"{f1[digit]:.3f}</td>", metrics)
    assert "macro avg" in metrics and "weighted avg" in metrics


def test_report_lists_the_versions(page):
    import keras
    import numpy
    import sklearn
    import tensorflow

    import skmnist

    for name, module in [
        ("skmnist", skmnist),
        ("scikit-learn", sklearn),
        ("keras", keras),
        ("tensorflow", tensorflow),
        ("numpy", numpy),
    ]:
        assert f"<th>{name}</th><td>{module.__version__}</td>" in page


def test_report_is_self_contained(page):
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 3  # training curves, sample digits, mistakes
    for source in sources:
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix)
        with Image.open(io.BytesIO(base64.b64decode(source[len(prefix) :]))) as image:
            image.verify()
    assert not re.search(r'(src|href)="(?!data:|#)', page)  # nothing to fetch
    assert "<script" not in page and "<link" not in page


def test_report_on_a_bare_classifier_without_mistakes(fitted_pipeline, mnist, tmp_path):
    flattener, classifier = fitted_pipeline[0], fitted_pipeline[-1]
    X = flattener.transform(mnist.X_test[:300])
    right = classifier.predict(X) == mnist.y_test[:300]
    path = write_report(
        classifier, X[right], mnist.y_test[:300][right], tmp_path / "r.html"
    )

    page = path.read_text(encoding="utf-8")
    assert '<span id="test-accuracy">1.0000</span>' in page
    assert "No test digit is misclassified." in page
    assert "Pipeline:" not in page


def test_report_describes_a_cnn_pipeline_and_a_bare_cnn(mnist, tmp_path):
    from skmnist.pipeline import make_mnist_pipeline

    pipe = make_mnist_pipeline(model="cnn", filters=(8,), epochs=1, random_state=0)
    pipe.fit(mnist.X_train[:1000], mnist.y_train[:1000])
    X, y = mnist.X_test[:300], mnist.y_test[:300]
    page = write_report(pipe, X, y, tmp_path / "cnn.html").read_text(encoding="utf-8")

    network = pipe[-1].model_
    assert f'<span id="test-accuracy">{pipe.score(X, y):.4f}</span>' in page
    assert "<p>Classifier: KerasCNNClassifier</p>" in page
    assert "reshape (ImageReshaper)" in page
    assert "Conv2D" in page and "MaxPooling2D" in page
    for layer in network.layers:
        assert f"<td>{layer.name}</td>" in page
    assert f"{network.count_params():,}" in page
    assert "<th>filters</th><td><code>(8,)</code></td>" in page
    assert len(re.findall(r'<img src="data:image/png', page)) == 3

    images = pipe[0].transform(X)  # what the bare network takes: (n, 28, 28, 1)
    bare = write_report(pipe[-1], images, y, tmp_path / "bare.html")
    bare_page = bare.read_text(encoding="utf-8")
    assert f'<span id="test-accuracy">{pipe.score(X, y):.4f}</span>' in bare_page
    assert "28 × 28 × 1" in bare_page and "Pipeline:" not in bare_page


def test_report_is_written_atomically(fitted_pipeline, test_set, tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("previous report", encoding="utf-8")
    real_atomic_write = report_module.atomic_write

    @contextlib.contextmanager
    def write_half_then_fail(target, *args, **kwargs):
        with real_atomic_write(target, *args, **kwargs) as file:
            yield HalfWriter(file)

    class HalfWriter:
        def __init__(self, file):
            self.file = file

        def write(self, text):
            self.file.write(text[: len(text) // 2])
            raise OSError("disk full")

    monkeypatch.setattr(report_module, "atomic_write", write_half_then_fail)
    for slow_section in ("_curves_section", "_digits_section"):  # figures: skip them
        monkeypatch.setattr(report_module, slow_section, lambda ctx: "")
    with pytest.raises(OSError, match="disk full"):
        write_report(fitted_pipeline, *test_set, path)
    assert path.read_text(encoding="utf-8") == "previous report"
    assert os.listdir(tmp_path) == ["report.html"]  # no temporary file left


@pytest.mark.parametrize("n_misclassified", [0, -3, 2.5, True])
def test_report_refuses_a_bad_number_of_mistakes(
    fitted_pipeline, test_set, tmp_path, n_misclassified
):
    with pytest.raises(ValueError, match="n_misclassified must be a whole number"):
        write_report(
            fitted_pipeline,
            *test_set,
            tmp_path / "r.html",
            n_misclassified=n_misclassified,
        )
    assert not (tmp_path / "r.html").exists()


def test_report_needs_a_fitted_model(test_set, tmp_path):
    from sklearn.exceptions import NotFittedError

    from skmnist.pipeline import make_mnist_pipeline

    with pytest.raises(NotFittedError):
        write_report(make_mnist_pipeline(), *test_set, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


# -- in a real browser -------------------------------------------------------------


def test_report_in_a_browser(browser, report_path, fitted_pipeline, test_set):
    from selenium.webdriver.common.by import By

    browser.get(report_path.as_uri())

    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title == "Test <run> & co"
    images = browser.execute_script(
        "return Array.from(document.images, img => "
        "({alt: img.alt, complete: img.complete, width: img.naturalWidth}))"
    )
    assert len(images) == 3
    for image in images:
        assert image["complete"] and image["width"] > 0, f"not decoded: {image}"
    shown = browser.find_element(By.ID, "test-accuracy").text
    assert shown == expected_accuracy(fitted_pipeline, *test_set)
