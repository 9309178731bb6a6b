"""``skmnist serve``: the JSON API, bad requests, a real server and a real browser.

The API is tested in-process with Starlette's TestClient; then ``skmnist serve`` runs
for real (uvicorn on 127.0.0.1, a free port) and a headless Chromium draws digits on
its page with pointer strokes. The browser tests need Debian's ``chromium`` and
``chromium-driver`` and the ``selenium`` package, as the report's test does; with
``SKMNIST_SKIP_BROWSER=1`` they are skipped.
"""

import asyncio
import base64
import io
import json
import math
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image
from starlette.testclient import TestClient

from skmnist.digits import load_digit_images, prepare_digit
from skmnist.serve import create_app, run_server
from skmnist.serve._server import is_loopback


@pytest.fixture(scope="module")
def client(fitted_pipeline):
    return TestClient(create_app(fitted_pipeline))


@pytest.fixture(scope="module")
def strict_client(fitted_pipeline):
    """Small limits, to test them with small requests."""
    app = create_app(fitted_pipeline, max_upload_bytes=20_000, max_pixels=250_000)
    return TestClient(app)


@pytest.fixture(scope="module")
def test_digits(mnist):
    return mnist.X_test[:8], mnist.y_test[:8]


def paper_png(digit, scale=4, fmt="PNG"):
    """An MNIST digit as a scan would show it: dark ink on light paper, enlarged."""
    image = Image.fromarray(255 - digit).resize(
        (28 * scale, 28 * scale), Image.Resampling.BILINEAR
    )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def assert_answer_matches(answer, pipeline, digit):
    """The answer is the pipeline's own verdict on the prepared ``digit``."""
    proba = pipeline.predict_proba(digit[np.newaxis])[0]
    assert_array_equal(np.array(answer["image"], dtype=np.uint8), digit)
    assert answer["classes"] == pipeline.classes_.tolist()
    assert_allclose(answer["probabilities"], proba, rtol=1e-5, atol=1e-7)
    assert answer["prediction"] == pipeline.predict(digit[np.newaxis])[0]
    assert answer["probability"] == pytest.approx(proba.max(), rel=1e-5)


# -- good requests -----------------------------------------------------------------


def test_health_and_security_headers(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy  # the page may load nothing from elsewhere
    assert response.headers["x-content-type-options"] == "nosniff"


def test_model_metadata(client, fitted_pipeline):
    import sklearn

    import skmnist

    classifier = fitted_pipeline[-1]
    description = client.get("/model").json()
    assert description["family"] == type(classifier).__name__
    assert description["steps"] == [
        {"name": name, "class": type(step).__name__}
        for name, step in fitted_pipeline.steps
    ]
    parameters = classifier.get_params(deep=False)
    assert description["parameters"].keys() == parameters.keys()
    assert description["parameters"]["hidden_layer_sizes"] == [64]
    assert description["parameters"]["epochs"] == parameters["epochs"]
    training = description["training"]
    assert training["accuracy"] == pytest.approx(classifier.history_["accuracy"][-1])
    assert training["validation_accuracy"] == pytest.approx(
        classifier.history_["val_accuracy"][-1]
    )
    assert training["epochs"] == classifier.n_iter_
    assert description["classes"] == list(range(10))
    assert description["versions"]["skmnist"] == skmnist.__version__
    assert description["versions"]["scikit-learn"] == sklearn.__version__
    assert description["limits"] == {
        "max_upload_bytes": 10_000_000,
        "max_pixels": 20_000_000,
    }


def test_predict_json_array(client, fitted_pipeline, test_digits):
    X, _ = test_digits
    for digit in X[:4]:  # already MNIST-format: used as it is
        answer = client.post("/predict", json=digit.tolist()).json()
        assert_answer_matches(answer, fitted_pipeline, digit)
    wrapped = client.post("/predict", json={"image": X[4].tolist()}).json()
    assert_answer_matches(wrapped, fitted_pipeline, X[4])
    as_floats = client.post("/predict", json=(X[5] / 255).tolist()).json()
    assert_answer_matches(as_floats, fitted_pipeline, X[5])
    as_a_form = client.post(  # curl -d @digit.json says form-urlencoded
        "/predict",
        content=json.dumps(X[6].tolist()),
        headers={"content-type": "application/x-www-form-urlencoded"},
    ).json()
    assert_answer_matches(as_a_form, fitted_pipeline, X[6])


def test_predict_png_agrees_with_load_digit_images_and_the_cli(
    client, fitted_pipeline, saved_pipeline, test_digits, tmp_path, capsys
):
    from skmnist.cli import main

    X, _ = test_digits
    paths = []
    for i, digit in enumerate(X[:3]):
        path = tmp_path / f"digit{i}.png"
        path.write_bytes(paper_png(digit))
        paths.append(path)
    prepared = load_digit_images(paths)  # the Python API

    answers = [
        client.post(
            "/predict", content=path.read_bytes(), headers={"content-type": "image/png"}
        ).json()
        for path in paths
    ]
    for answer, digit in zip(answers, prepared, strict=True):
        assert_answer_matches(answer, fitted_pipeline, digit)

    assert main(["predict", str(saved_pipeline), *map(str, paths)]) == 0  # the CLI
    lines = capsys.readouterr().out.splitlines()
    for line, answer in zip(lines, answers, strict=True):
        _, label, probability = line.split("\t")
        assert int(label) == answer["prediction"]
        assert float(probability) == pytest.approx(answer["probability"], abs=1e-4)


def test_predict_jpeg_and_multipart_uploads(client, fitted_pipeline, test_digits):
    X, _ = test_digits
    jpeg = paper_png(X[0], fmt="JPEG")
    expected = prepare_digit(np.asarray(Image.open(io.BytesIO(jpeg)).convert("L")))
    for response in (
        client.post("/predict", content=jpeg, headers={"content-type": "image/jpeg"}),
        # whatever the label (curl --data-binary says form-urlencoded), bytes are read
        client.post(
            "/predict",
            content=jpeg,
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        client.post("/predict", files={"image": ("digit.jpg", jpeg, "image/jpeg")}),
        # a form with the file under another name, beside a text field
        client.post(
            "/predict",
            files={"photo": ("digit.jpg", jpeg, "image/jpeg")},
            data={"note": "mine"},
        ),
    ):
        assert response.status_code == 200, response.text
        assert_answer_matches(response.json(), fitted_pipeline, expected)


def test_predict_options_mean_what_the_cli_options_mean(client, test_digits):
    X, _ = test_digits
    png = paper_png(X[1])  # dark on light
    gray = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    normal = client.post("/predict?invert=auto", content=png).json()
    forced = client.post("/predict?invert=yes", content=png).json()
    assert normal["image"] == forced["image"] == prepare_digit(gray).tolist()

    refused = client.post("/predict?invert=no", content=png)  # white ink on black?
    assert refused.status_code == 422
    with pytest.raises(ValueError) as expected:
        prepare_digit(gray, invert=False)
    assert refused.json()["error"] == str(expected.value)

    unscaled = client.post("/predict?normalize=no", content=png)  # 112x112
    assert unscaled.status_code == 422
    assert "must be 28x28" in unscaled.json()["error"]
    raw = client.post("/predict?normalize=no", json=X[2].tolist()).json()
    assert raw["image"] == X[2].tolist()


def test_the_model_is_loaded_once(saved_pipeline, test_digits, monkeypatch):
    from skmnist import persistence

    calls = []
    real_load_model = persistence.load_model

    def counting_load_model(path):
        calls.append(path)
        return real_load_model(path)

    monkeypatch.setattr(persistence, "load_model", counting_load_model)
    client = TestClient(create_app(saved_pipeline))
    X, _ = test_digits
    for digit in X[:3]:
        assert client.post("/predict", json=digit.tolist()).status_code == 200
    assert client.get("/model").json()["source"] == saved_pipeline.name
    assert calls == [str(saved_pipeline)]


def test_the_model_gets_28x28_uint8_images_whatever_it_is(fitted_pipeline, test_digits):
    seen = []

    class Recorder:
        """Any classifier of (n, 28, 28) images: the MLP pipeline, a CNN one..."""

        classes_ = fitted_pipeline.classes_

        def predict_proba(self, X):
            seen.append((X.shape, X.dtype))
            return fitted_pipeline.predict_proba(X)

    client = TestClient(create_app(Recorder()))
    assert client.post("/predict", content=paper_png(test_digits[0][0])).is_success
    assert client.get("/model").json()["family"] == "Recorder"
    assert seen == [((1, 28, 28), np.uint8)] * 2  # the check at start-up, the request


def test_predictions_do_not_block_the_event_loop(fitted_pipeline, test_digits):
    import httpx

    class SlowModel:
        """The fixture pipeline, taking 0.4 s per call."""

        classes_ = fitted_pipeline.classes_

        def predict_proba(self, X):
            time.sleep(0.4)
            return fitted_pipeline.predict_proba(X)

    app = create_app(SlowModel())
    digit = test_digits[0][0].tolist()

    async def scenario():
        finished = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:

            async def predict():
                response = await http.post("/predict", json=digit)
                finished.append(("predict", response.status_code))

            async def health():
                await asyncio.sleep(0.1)  # while the model works
                response = await http.get("/health")
                finished.append(("health", response.status_code))

            await asyncio.gather(predict(), health())
        return finished

    assert asyncio.run(scenario()) == [("health", 200), ("predict", 200)]


# -- bad requests ------------------------------------------------------------------


def _png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _multipart(body, boundary="b0undary"):
    return {
        "content": body,
        "headers": {"content-type": f"multipart/form-data; boundary={boundary}"},
    }


def _bad_requests():
    """(name, method, path, request arguments, status, words of the message)."""
    blank = _png_bytes(np.full((60, 60), 255, np.uint8))
    stroke = np.full((60, 60), 255, np.uint8)
    stroke[10:50, 25:35] = 0
    truncated = _png_bytes(stroke)[:60]
    huge = _png_bytes(np.zeros((600, 600), np.uint8))  # 360,000 pixels, tiny file
    big_body = b"\x89PNG" + bytes(25_000)
    row = [0] * 28
    json_type = {"content-type": "application/json"}
    # fmt: off
    return [
        ("not an image", "POST", "/predict", {"content": b"hello"}, 400,
         "not an image"),
        ("empty body", "POST", "/predict", {"content": b""}, 400, "empty request body"),
        ("truncated PNG", "POST", "/predict", {"content": truncated}, 400, "image"),
        ("blank image", "POST", "/predict", {"content": blank}, 422, "no digit found"),
        ("body over the limit", "POST", "/predict", {"content": big_body}, 413,
         "too large"),
        ("chunked body over the limit", "POST", "/predict",
         {"content": iter([big_body[:10_000]] * 3)}, 413, "too large"),
        ("too many pixels", "POST", "/predict", {"content": huge}, 413, "600x600"),
        ("malformed JSON", "POST", "/predict",
         {"content": b'{"image": [1, 2', "headers": json_type},
         400, "malformed JSON"),
        ("malformed JSON, no type", "POST", "/predict", {"content": b"[[1, 2],"}, 400,
         "malformed JSON"),
        ("JSON not UTF-8", "POST", "/predict",
         {"content": b"\xff\xfe[\x00", "headers": json_type},
         400, "malformed JSON"),
        ("JSON wrong shape", "POST", "/predict", {"json": [row] * 27}, 422,
         "shape (27, 28)"),
        ("JSON flat list", "POST", "/predict", {"json": row * 28}, 422, "shape (784,)"),
        ("JSON ragged rows", "POST", "/predict", {"json": [row] * 27 + [[0]]}, 422,
         "rows of equal length"),
        ("JSON strings", "POST", "/predict", {"json": [["a"] * 28] * 28}, 422,
         "array of numbers"),
        ("JSON number", "POST", "/predict", {"json": 7}, 422, "shape ()"),
        ("JSON null pixels", "POST", "/predict", {"json": [[None] * 28] * 28}, 422,
         "from 0 to 255"),
        ("JSON out of range", "POST", "/predict", {"json": [[300] * 28] * 28}, 422,
         "from 0 to 255"),
        ("JSON negative", "POST", "/predict", {"json": [[-1] * 28] * 28}, 422,
         "from 0 to 255"),
        ("JSON object without image", "POST", "/predict", {"json": {"pixels": []}}, 422,
         'no "image"'),
        ("JSON blank paper", "POST", "/predict", {"json": [[255] * 28] * 28}, 422,
         "no digit found"),
        ("multipart without a file", "POST", "/predict", _multipart(
            b'--b0undary\r\nContent-Disposition: form-data; name="image"\r\n\r\n'
            b"x\r\n--b0undary--\r\n"), 422, "no file"),
        ("malformed multipart", "POST", "/predict",
         _multipart(b"--other\r\nContent-Disposition: form-data\r\n\r\nx"), 400, ""),
        ("two files", "POST", "/predict",
         {"files": [("image", ("a.png", blank)), ("image", ("b.png", blank))]}, 400,
         "files"),
        ("bad invert option", "POST", "/predict?invert=maybe", {"content": blank}, 400,
         "invert='maybe'"),
        ("bad normalize option", "POST", "/predict?normalize=yes", {"content": blank},
         400, "normalize='yes'"),
        ("GET /predict", "GET", "/predict", {}, 405, "use POST"),
        ("PUT /predict", "PUT", "/predict", {"content": blank}, 405, "use POST"),
        ("POST /health", "POST", "/health", {}, 405, "use GET"),
        ("DELETE /model", "DELETE", "/model", {}, 405, "use GET"),
        ("unknown page", "GET", "/admin", {}, 404, "no such page"),
        ("unknown static file", "GET", "/static/secret.py", {}, 404, "no such file"),
    ]
    # fmt: on


BAD_REQUESTS = _bad_requests()


@pytest.mark.parametrize(
    "method, path, arguments, status, words",
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_bad_requests_get_a_json_error_and_the_server_goes_on(
    strict_client, test_digits, method, path, arguments, status, words
):
    response = strict_client.request(method, path, **arguments)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == status
    assert words in body["error"]
    if status == 405:
        for allowed in response.headers["allow"].split(","):
            assert allowed.strip() in body["error"]
    # and the next request is served as usual
    assert strict_client.get("/health").json() == {"status": "ok"}
    digit = test_digits[0][0]
    assert strict_client.post("/predict", json=digit.tolist()).status_code == 200


def test_create_app_refuses_what_it_cannot_serve(tmp_path, fitted_pipeline):
    from sklearn.linear_model import LogisticRegression

    from skmnist.pipeline import make_mnist_pipeline

    with pytest.raises(ValueError, match="cannot serve this Pipeline: it is not a fit"):
        create_app(make_mnist_pipeline())
    flat = LogisticRegression().fit(np.eye(10), np.arange(10))  # 10 features
    # served at the shape it was fitted on (10 features: a 1x10 image), it fails
    with pytest.raises(ValueError, match="fails on a 1x10 uint8 image"):
        create_app(flat)
    with pytest.raises(FileNotFoundError, match="no saved model"):
        create_app(tmp_path / "missing.joblib")
    for name in ("max_upload_bytes", "max_pixels"):
        with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
            create_app(fitted_pipeline, **{name: 0})


def test_run_server_reports_a_busy_port(fitted_pipeline):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            run_server(object(), port=port, on_ready=pytest.fail)


def test_loopback_hosts():
    assert all(map(is_loopback, ["127.0.0.1", "127.0.1.1", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.10", "example.org"]))


def test_cli_arguments():
    from skmnist.cli import build_parser

    args = build_parser().parse_args(["serve", "model.joblib"])
    assert (args.host, args.port, args.max_upload_mb) == ("127.0.0.1", 8000, 10)
    assert not args.access_log
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "model.joblib", "--port", "70000"])


def test_cli_on_a_file_that_is_not_a_model(tmp_path, capsys):
    from skmnist.cli import main

    path = tmp_path / "notes.joblib"
    path.write_text("not a model")
    assert main(["serve", str(path), "--port", "0"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("skmnist serve: error: ") and error.count("\n") == 1


# -- a real server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(saved_pipeline):
    """``skmnist serve`` in a subprocess, on 127.0.0.1 and a free port: its URL."""
    command = [sys.executable, "-m", "skmnist", "serve", str(saved_pipeline)]
    process = subprocess.Popen(
        [*command, "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = queue.Queue()
    log = []

    def drain():  # read stderr to the end, so that the server never blocks on it
        for line in process.stderr:
            log.append(line)
            lines.put(line)

    threading.Thread(target=drain, daemon=True).start()
    url = None
    deadline = time.monotonic() + 180
    while url is None and time.monotonic() < deadline and process.poll() is None:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        match = re.search(r" on (http://127\.0\.0\.1:\d+/) ", line)
        url = match and match.group(1)
    if url is None:
        process.kill()
        pytest.fail("skmnist serve did not start:\n" + "".join(log))
    yield url
    process.send_signal(signal.SIGINT)  # Ctrl+C: a clean stop
    assert process.wait(timeout=30) == 0, "".join(log)
    assert "Traceback" not in "".join(log)


def test_real_server_answers_and_survives_bad_requests(server, fitted_pipeline, mnist):
    import httpx

    digit = mnist.X_test[0]
    with httpx.Client(base_url=server, timeout=30) as http:
        page = http.get("/")
        assert page.status_code == 200 and "<canvas" in page.text
        assert not re.search(r'(src|href)="(?!/static/|data:)', page.text)  # no CDN
        for name in ("app.js", "style.css"):
            assert http.get(f"/static/{name}").status_code == 200
        answer = http.post("/predict", json=digit.tolist()).json()
        assert_answer_matches(answer, fitted_pipeline, digit)

        too_big = bytes(10_000_001)
        assert http.post("/predict", content=too_big).status_code == 413
        streamed = http.post("/predict", content=iter([bytes(1_000_000)] * 11))
        assert streamed.status_code == 413
        assert http.post("/predict", content=b"GIF89a nonsense").status_code == 400
        assert http.get("/predict").status_code == 405
        assert http.post("/predict", json=[[1]]).status_code == 422
        assert http.get("/health").json() == {"status": "ok"}
        again = http.post("/predict", json=digit.tolist()).json()
        assert again["probabilities"] == answer["probabilities"]


def test_real_server_under_concurrent_requests(server, fitted_pipeline, mnist):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    X = mnist.X_test[:48]
    expected = fitted_pipeline.predict(X)
    with httpx.Client(base_url=server, timeout=60) as http:

        def ask(digit):
            response = http.post("/predict", json=digit.tolist())
            return response.status_code, response.json().get("prediction")

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, X))
    assert [status for status, _ in answers] == [200] * len(X)
    assert_array_equal([label for _, label in answers], expected)


# -- in a real browser -------------------------------------------------------------


@pytest.fixture
def page(browser, server, tmp_path, request):
    """The served page, fresh; a screenshot is kept in tmp_path if the test fails."""
    browser.get_log("browser")  # forget earlier pages' console messages
    browser.get(server)
    _wait(browser, "document.body.dataset.state === 'idle'", "the page to start")
    failed_before = request.session.testsfailed
    yield browser
    if request.session.testsfailed > failed_before:  # the call's report is in
        path = tmp_path / "screenshot.png"
        browser.save_screenshot(str(path))
        sys.stderr.write(f"\nscreenshot of the page at the failure: {path}\n")


def _wait(browser, condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not browser.execute_script(f"return Boolean({condition})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


_SETTLED = (
    "document.body.dataset.state !== 'waiting' && "
    "document.getElementById('result').dataset.version === "
    "document.getElementById('pad').dataset.version"
)

_OVAL = [  # a "0": an upright ellipse, from the top, clockwise, closed
    (0.5 + 0.22 * math.sin(angle), 0.5 - 0.32 * math.cos(angle))
    for angle in np.linspace(0, 2 * math.pi, 25)
]
# strokes in pad coordinates (0-1, from the top left), drawn as a person would
STROKES = {
    "0": [_OVAL],
    "1": [[(0.5, 0.15), (0.5, 0.85)]],
    "3": [
        [
            (0.27, 0.2),
            (0.5, 0.13),
            (0.7, 0.22),
            (0.68, 0.38),
            (0.45, 0.48),
            (0.7, 0.58),
            (0.72, 0.75),
            (0.5, 0.87),
            (0.25, 0.8),
        ]
    ],
    "7": [[(0.25, 0.18), (0.75, 0.18), (0.42, 0.85)]],
}


def draw(browser, strokes, pointer):
    """Draw ``strokes`` on the pad with a mouse, a finger or a pen (W3C actions)."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput
    from selenium.webdriver.common.by import By

    pad = browser.find_element(By.ID, "pad")
    width, height = pad.size["width"], pad.size["height"]
    kinds = {
        "mouse": interaction.POINTER_MOUSE,
        "touch": interaction.POINTER_TOUCH,
        "pen": interaction.POINTER_PEN,
    }
    actions = ActionBuilder(
        browser, mouse=PointerInput(kinds[pointer], pointer), duration=10
    )
    for stroke in strokes:
        for i, (x, y) in enumerate(stroke):  # offsets from the pad's centre
            offset = round((x - 0.5) * width), round((y - 0.5) * height)
            actions.pointer_action.move_to(pad, *offset)
            if i == 0:
                actions.pointer_action.pointer_down()
        actions.pointer_action.pointer_up()
    actions.perform()


def shown(browser):
    """What the page shows: prediction, state, bars, the 28x28 image, the pad PNG."""
    return browser.execute_script(
        """
        const seen = document.getElementById("seen");
        const rgba = seen.getContext("2d").getImageData(0, 0, 28, 28).data;
        const image = [];
        for (let i = 0; i < rgba.length; i += 4) image.push(rgba[i]);
        return {
            prediction: document.getElementById("prediction").textContent,
            confidence: document.getElementById("confidence").textContent,
            state: document.body.dataset.state,
            status: document.getElementById("status").textContent,
            pointer: document.getElementById("pad").dataset.pointer,
            bars: Array.from(document.querySelectorAll(".bar-value"),
                             e => e.textContent),
            best: Array.from(document.querySelectorAll(".bar-label.best"),
                             e => e.textContent),
            image: image,
            pad: document.getElementById("pad").toDataURL("image/png"),
        };
        """
    )


@pytest.mark.parametrize(
    "digit, pointer",
    [
        ("0", "mouse"),
        ("1", "mouse"),
        ("3", "mouse"),
        ("7", "mouse"),
        ("1", "touch"),
        ("7", "pen"),
    ],
)
def test_drawing_a_digit_shows_its_prediction(
    page, fitted_pipeline, digit, pointer, tmp_path
):
    draw(page, STROKES[digit], pointer)
    _wait(page, _SETTLED, "the prediction of the last stroke")
    result = shown(page)

    assert result["state"] == "done", result["status"]
    assert result["pointer"] == pointer
    assert result["prediction"] == digit
    # the page shows what the Python API says of the very pixels drawn
    drawing = tmp_path / "drawing.png"
    drawing.write_bytes(base64.b64decode(result["pad"].split(",", 1)[1]))
    prepared = load_digit_images([drawing])[0]
    assert_array_equal(np.reshape(result["image"], (28, 28)), prepared)
    proba = fitted_pipeline.predict_proba(prepared[np.newaxis])[0]
    assert str(fitted_pipeline.classes_[proba.argmax()]) == digit
    assert percent(result["confidence"]) == pytest.approx(100 * proba.max(), abs=0.051)
    bars = [percent(text) for text in result["bars"]]
    assert bars == pytest.approx(100 * proba, abs=0.051)
    assert result["best"] == [digit]


def percent(text):
    number, sign = text.split()
    assert sign == "%"
    return float(number)


def test_clear_and_draw_again(page):
    from selenium.webdriver.common.by import By

    draw(page, STROKES["7"], "mouse")
    _wait(page, _SETTLED, "the first prediction")
    assert shown(page)["prediction"] == "7"
    page.find_element(By.ID, "clear").click()
    cleared = shown(page)
    assert cleared["prediction"] == "–" and cleared["state"] == "idle"
    assert not any(cleared["image"]) and not any(cleared["bars"])
    draw(page, STROKES["1"], "mouse")
    _wait(page, _SETTLED, "the second prediction")
    assert shown(page)["prediction"] == "1"  # not a 7 with a stroke through it


def test_uploading_a_photo(page, fitted_pipeline, mnist, tmp_path):
    from selenium.webdriver.common.by import By

    digit, label = mnist.X_test[0], mnist.y_test[0]
    path = tmp_path / "photo.jpg"
    path.write_bytes(paper_png(digit, scale=8, fmt="JPEG"))
    expected = load_digit_images([path])[0]

    page.find_element(By.ID, "photo").send_keys(str(path))
    _wait(page, _SETTLED + " && document.body.dataset.state !== 'idle'", "the photo")
    result = shown(page)
    assert result["state"] == "done", result["status"]
    assert "photo.jpg" in result["status"]
    assert_array_equal(np.reshape(result["image"], (28, 28)), expected)
    prediction = fitted_pipeline.predict(expected[np.newaxis])[0]
    assert result["prediction"] == str(prediction) == str(label)


def test_page_is_offline_and_describes_the_model(page, server, fitted_pipeline):
    from selenium.webdriver.common.by import By

    loaded = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(server) for url in loaded)
    model_line = page.find_element(By.ID, "model-line").text
    accuracy = fitted_pipeline[-1].history_["accuracy"][-1]
    assert type(fitted_pipeline[-1]).__name__ in model_line
    assert f"training accuracy {100 * accuracy:.1f} %" in model_line
    assert "tensorflow" in page.find_element(By.ID, "versions").text
    errors = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
