"""The web application behind ``skmnist serve``: the drawing page and the JSON API.

Routes
------
``GET /``
    The page (HTML, with ``/static/app.js`` and ``/static/style.css``; nothing is
    fetched from anywhere else, so it works offline).
``POST /predict``
    One digit in, the prediction out. The body is an image (PNG, JPEG or anything
    Pillow reads; any ``Content-Type`` but the two below), a ``multipart/form-data``
    upload with the file in the field ``image``, or JSON (``application/json``, or
    any body starting with ``[`` or ``{``): an array of pixels of the model's
    image shape (28x28 for MNIST), bare or as
    ``{"image": [[...], ...]}``. Query parameters
    ``invert`` (``auto``, ``yes``, ``no``) and ``normalize`` (``auto``, ``no``) mean
    what ``skmnist predict``'s ``--invert`` and ``--no-normalize`` mean.
``GET /model``
    What is being served: family, parameters, training accuracy, versions, limits.
``GET /health``
    ``{"status": "ok"}`` while the server is up.

Every error is JSON, ``{"error": "<what went wrong, what to do>", "status": <code>}``,
with a 4xx code for a bad request; the server goes on serving.
"""

import io
import json
import math
import platform
import threading
from importlib import metadata, resources
from os import PathLike, fspath
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from skmnist._class_names import class_names
from skmnist._images import fitted_image_shape
from skmnist._utils import is_positive_int, labels_from_proba
from skmnist.digits import SIZE, _decode_image, prepare_digit

__all__ = ["create_app"]

MAX_UPLOAD_BYTES = 10_000_000  # a phone photo as a JPEG is 2-8 MB
MAX_PIXELS = 20_000_000  # a 12-megapixel photo passes; decoding needs ~8 bytes a pixel
_DECODERS = 2  # images decoded at once: bounds the memory big photos take

_INVERT = {"auto": "auto", "yes": True, "no": False}
_NORMALIZE = {"auto": "auto", "no": False}
_VERSIONED = (
    "skmnist",
    "scikit-learn",
    "scikeras",
    "keras",
    "tensorflow",
    "numpy",
    "pillow",
    "starlette",
    "uvicorn",
)
_STATIC = {  # file in skmnist/serve/static -> media type
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
_HEADERS = {  # on every response: the page loads only its own files
    "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
_HOW_TO_SEND = (
    "send a PNG or JPEG image as the body, a multipart upload with the file in the "
    "field 'image', or JSON (Content-Type: application/json): an array of "
    "pixels of the model's image size (GET /model: image_shape)"
)


def create_app(model, *, max_upload_bytes=MAX_UPLOAD_BYTES, max_pixels=MAX_PIXELS):
    """Build the web application that serves a fitted model: page and JSON API.

    The model is loaded (if given as a file) and checked once, here: it must take
    uint8 images of the shape it was trained on (``(n, 28, 28)`` for MNIST), as
    every skmnist pipeline does, and have ``predict_proba`` and ``classes_``.
    Each request's image is prepared to that shape by
    :func:`skmnist.digits.prepare_digit`, as in ``skmnist predict``; the answers
    and ``GET /model`` name the classes (``class_names``). The model
    is called in a worker thread, one call at a time, so that the event loop keeps
    answering.

    Parameters
    ----------
    model : estimator, str or path-like
        A fitted skmnist pipeline (or any fitted classifier taking ``(n, height,
        width)`` images), or the path of one saved with :func:`skmnist.save_model` (a
        pickle: load only files you trust) or exported with
        :func:`skmnist.export_onnx` (``.onnx``: data, run by onnxruntime without
        TensorFlow).
    max_upload_bytes : int, default=10_000_000
        Largest request body accepted; larger ones get status 413.
    max_pixels : int, default=20_000_000
        Largest image accepted, in pixels (width times height); larger ones get
        status 413 before they are decoded.

    Returns
    -------
    app : starlette.applications.Starlette
        An ASGI application; serve it with :func:`skmnist.serve.run_server` (or any
        ASGI server).

    Raises
    ------
    FileNotFoundError
        If ``model`` is a path with no file.
    ValueError
        If the model is not a fitted classifier of images, or a limit is not
        a positive integer.

    See Also
    --------
    run_server : Serve the application with uvicorn.
    skmnist.digits.prepare_digit : How every image is prepared.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from starlette.testclient import TestClient
    >>> from skmnist.serve import create_app
    >>> X, y = load_digits(return_X_y=True)  # 8x8 digits, padded to 28x28
    >>> images = np.pad(X.reshape(-1, 8, 8) * 15, [(0, 0), (10, 10), (10, 10)])
    >>> images = images.astype(np.uint8)
    >>> flat = FunctionTransformer(lambda X: X.reshape(len(X), -1) / 255)
    >>> model = make_pipeline(flat, KNeighborsClassifier()).fit(images, y)
    >>> client = TestClient(create_app(model))
    >>> client.get("/health").json()
    {'status': 'ok'}
    >>> answer = client.post("/predict", json=images[0].tolist()).json()
    >>> answer["prediction"], len(answer["probabilities"]), np.shape(answer["image"])
    (0, 10, (28, 28))
    >>> client.post("/predict", json=[[0, 1], [1, 0]]).json()["status"]
    422
    """
    for name, value in (
        ("max_upload_bytes", max_upload_bytes),
        ("max_pixels", max_pixels),
    ):
        if not is_positive_int(value):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    served = _ServedModel(model)
    api = _Api(served, max_upload_bytes=max_upload_bytes, max_pixels=max_pixels)
    pages = _Pages()
    routes = [
        Route("/", pages.index, methods=["GET"]),
        Route("/static/{name}", pages.static, methods=["GET"]),
        Route("/predict", api.predict, methods=["POST"]),
        Route("/model", api.model, methods=["GET"]),
        Route("/health", api.health, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_SecurityHeaders)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.model = served
    return app


# -- the model ---------------------------------------------------------------------


class _ServedModel:
    """The fitted estimator, loaded and checked once, called one request at a time."""

    def __init__(self, model):
        source = None
        if isinstance(model, str | PathLike):
            source = Path(model).name  # not the folders: /model may be public
            if Path(model).suffix.lower() == ".onnx":  # no TensorFlow needed
                from skmnist.onnx import MissingDependencyError, OnnxClassifier

                try:
                    model = OnnxClassifier(fspath(model))
                except MissingDependencyError as exc:  # one line from the CLI
                    raise ValueError(str(exc)) from exc
            else:
                from skmnist.persistence import load_model

                model = load_model(fspath(model))
        if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
            raise ValueError(
                f"cannot serve this {type(model).__name__}: it is not a fitted "
                "classifier (no predict_proba or no classes_); fit it first, or save "
                "one with `skmnist train`"
            )
        self.estimator = model
        self.classes = np.asarray(model.classes_)
        self.names = class_names(model)
        self.shape = fitted_image_shape(model, default=(SIZE, SIZE))
        self._lock = threading.Lock()  # one model call at a time, whatever the thread
        try:  # the first call traces the network: pay for it now, not on a request
            proba = self.predict_proba(np.zeros(self.shape, np.uint8))
        except Exception as exc:
            raise ValueError(
                f"cannot serve this {type(model).__name__}: it fails on a "
                f"{self.shape[0]}x{self.shape[1]} uint8 image "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        if proba.shape != self.classes.shape:
            raise ValueError(
                f"the model gives {proba.size} probabilities for "
                f"{self.classes.size} classes"
            )
        self.description = {
            **_describe(model, self.classes, source),
            "class_names": self.names,
            "image_shape": list(self.shape),
        }

    def predict_proba(self, digit):
        """Class probabilities of one prepared uint8 image of ``self.shape``."""
        with self._lock:
            proba = self.estimator.predict_proba(digit[np.newaxis])
        return np.asarray(proba, dtype=np.float64)[0]

    def answer(self, digit):
        """The JSON answer for one prepared digit."""
        proba = self.predict_proba(digit)
        return {
            "prediction": labels_from_proba(self.classes, proba[np.newaxis])[0].item(),
            "prediction_name": self.names[int(proba.argmax())],
            "probability": float(proba.max()),
            "classes": self.classes.tolist(),
            "class_names": self.names,
            "probabilities": proba.tolist(),
            "image": digit.tolist(),
        }


def _describe(model, classes, source):
    steps = getattr(model, "steps", None) or [(None, model)]
    classifier = steps[-1][1]
    history = getattr(classifier, "history_", None) or {}

    def last(key):
        values = history.get(key) if isinstance(history, dict) else None
        return float(values[-1]) if values else None

    try:
        parameters = classifier.get_params(deep=False)
    except AttributeError:
        parameters = {}
    return {
        "family": type(classifier).__name__,
        "module": type(classifier).__module__,
        "steps": [
            {"name": name, "class": type(step).__name__}
            for name, step in steps
            if name is not None
        ],
        "parameters": {key: _jsonable(value) for key, value in parameters.items()},
        "classes": classes.tolist(),
        "training": {
            "accuracy": last("accuracy"),
            "validation_accuracy": last("val_accuracy"),
            "epochs": _jsonable(getattr(classifier, "n_iter_", None)),
            "fit_time_s": _jsonable(getattr(classifier, "fit_time_", None)),
        },
        "source": source,
        "versions": _versions(),
    }


def _versions():
    versions = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _jsonable(value):
    """A parameter value as JSON: numbers, strings, lists; anything else by repr."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return repr(value)


# -- the API -----------------------------------------------------------------------


class _Api:
    def __init__(self, served, *, max_upload_bytes, max_pixels):
        self.served = served
        self.max_upload_bytes = max_upload_bytes
        self.max_pixels = max_pixels
        self._decoders = threading.BoundedSemaphore(_DECODERS)

    async def health(self, request):
        return JSONResponse({"status": "ok"})

    async def model(self, request):
        limits = {
            "max_upload_bytes": self.max_upload_bytes,
            "max_pixels": self.max_pixels,
        }
        return JSONResponse({**self.served.description, "limits": limits})

    async def predict(self, request):
        options = _options(request.query_params)
        body = await _read_body(request, self.max_upload_bytes)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            work, data = self._image_digit, await _uploaded_file(request, body)
        elif kind == "application/json" or body.lstrip()[:1] in (b"[", b"{"):
            # no image format starts with [ or {: JSON sent as a form (curl -d) too
            work, data = _json_digit, body
        else:  # PNG, JPEG... whatever the label: Pillow reads the bytes or says no
            work, data = self._image_digit, body
        # decoding, preparing and the model call take milliseconds of CPU each:
        # in a worker thread, so the event loop goes on answering meanwhile
        answer = await run_in_threadpool(self._answer, work, data, options)
        return JSONResponse(answer)

    def _answer(self, work, data, options):
        options = {**options, "shape": self.served.shape}
        with self._decoders:
            digit = work(data, options)
        return self.served.answer(digit)

    def _image_digit(self, data, options):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                width, height = image.size
        except Image.DecompressionBombError as exc:
            raise HTTPException(413, f"image too large: {exc}") from exc
        except UnidentifiedImageError as exc:
            raise HTTPException(
                400, f"the body is not an image (PNG, JPEG...); {_HOW_TO_SEND}"
            ) from exc
        except (OSError, SyntaxError, ValueError) as exc:  # a damaged header
            raise HTTPException(400, f"cannot read the image: {exc}") from exc
        if width * height > self.max_pixels:
            raise HTTPException(
                413,
                f"image too large: {width}x{height} is {width * height:,} pixels, over "
                f"the limit of {self.max_pixels:,}; scale it down",
            )
        try:
            gray = _decode_image(io.BytesIO(data))  # as skmnist predict reads files
        except ValueError as exc:
            raise HTTPException(400, f"cannot decode the image: {exc}") from exc
        return _prepare(gray, options)


def _options(query):
    options = {}
    for name, choices in (("invert", _INVERT), ("normalize", _NORMALIZE)):
        text = query.get(name, "auto")
        if text not in choices:
            raise HTTPException(
                400, f"{name}={text!r} is not one of {', '.join(choices)}"
            )
        options[name] = choices[text]
    return options


async def _read_body(request, limit):
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, _too_large(int(declared), limit))
    chunks, size = [], 0
    async for chunk in request.stream():  # chunked bodies have no Content-Length
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, _too_large(size, limit, at_least=True))
        chunks.append(chunk)
    if not size:
        raise HTTPException(400, f"empty request body: {_HOW_TO_SEND}")
    return b"".join(chunks)


def _too_large(size, limit, at_least=False):
    return (
        f"request body too large: {'over ' if at_least else ''}{size:,} bytes, the "
        f"limit is {limit:,}; send a smaller image (a digit needs only 28x28 pixels)"
    )


async def _uploaded_file(request, body):
    """The bytes of the file in a multipart body: field 'image', else the only file."""

    async def replay():  # the body was already read, within the size limit
        return {"type": "http.request", "body": body, "more_body": False}

    # malformed multipart bodies raise HTTPException(400) from Starlette itself
    async with Request(request.scope, replay).form(max_files=1, max_fields=10) as form:
        upload = form.get("image")
        if not isinstance(upload, UploadFile):
            files = [value for value in form.values() if isinstance(value, UploadFile)]
            if not files:
                raise HTTPException(
                    422,
                    "the multipart upload has no file: put the image in the "
                    "field 'image'",
                )
            upload = files[0]
        return await upload.read()


def _json_digit(body, options):
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, f"malformed JSON: {exc}") from exc
    if isinstance(value, dict):
        if "image" not in value:
            raise HTTPException(
                422, 'the JSON object has no "image": give it an array of pixels'
            )
        value = value["image"]
    try:
        pixels = np.array(value, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise HTTPException(
            422,
            f"the image must be an array of numbers, rows of equal length ({exc})",
        ) from exc
    height, width = options["shape"]
    if pixels.shape != (height, width):
        raise HTTPException(
            422,
            f"wrong array shape {pixels.shape}: the image must be {height}x{width} "
            f"({height} rows of {width} pixels), the size the model takes",
        )
    if not np.isfinite(pixels).all() or pixels.min() < 0 or pixels.max() > 255:
        raise HTTPException(
            422, "pixel values must be numbers from 0 to 255 (or from 0 to 1)"
        )
    return _prepare(pixels, options)


def _prepare(pixels, options):
    try:
        return prepare_digit(pixels, **options)
    except ValueError as exc:  # blank image, no contrast...
        raise HTTPException(422, str(exc)) from exc


# -- the page ----------------------------------------------------------------------


class _Pages:
    def __init__(self):
        folder = resources.files("skmnist.serve") / "static"
        self.files = {name: (folder / name).read_bytes() for name in _STATIC}

    async def index(self, request):
        return self._file("index.html")

    async def static(self, request):
        name = request.path_params["name"]
        if name == "index.html" or name not in self.files:
            raise HTTPException(404, f"no such file: /static/{name}")
        return self._file(name)

    def _file(self, name):
        return Response(
            self.files[name],
            media_type=_STATIC[name],
            headers={"cache-control": "no-cache"},
        )


# -- errors and headers ------------------------------------------------------------


async def _http_error(request, exc):
    message = exc.detail
    if exc.status_code == 404 and message == "Not Found":
        message = (
            f"no such page: {request.url.path}; the page is /, the API is "
            "POST /predict, GET /model and GET /health"
        )
    elif exc.status_code == 405:
        allowed = [m.strip() for m in (exc.headers or {}).get("Allow", "").split(",")]
        allowed.sort(key=lambda method: method == "HEAD")  # GET before HEAD
        message = (
            f"{request.method} is not allowed on {request.url.path}; use "
            + " or ".join(allowed)
        )
    return JSONResponse(
        {"error": message, "status": exc.status_code},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _server_error(request, exc):
    return JSONResponse(
        {"error": f"internal error: {type(exc).__name__}: {exc}", "status": 500},
        status_code=500,
    )


class _SecurityHeaders:
    """ASGI middleware: the page may load nothing but its own files."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        return await self.app(scope, receive, send_with_headers)
