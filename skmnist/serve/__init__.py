"""Draw a digit in the browser and watch a fitted model read it: ``skmnist serve``.

:func:`create_app` wraps a fitted skmnist pipeline (or a saved model file) in a small
`Starlette <https://www.starlette.io>`_ web application: one page with a drawing
canvas and a JSON API (``POST /predict``, ``GET /model``, ``GET /health``).
:func:`run_server` serves it with `uvicorn <https://www.uvicorn.org>`_, bound to
127.0.0.1 unless told otherwise. Every image, drawn or uploaded, is prepared by
:func:`skmnist.digits.prepare_digit`, exactly as ``skmnist predict`` and
:func:`skmnist.load_digit_images` prepare files.

Needs the ``serve`` extra: ``pip install "skmnist[serve]"`` (Starlette, uvicorn,
python-multipart). Importing this package never imports TensorFlow; loading a model
does.
"""

from skmnist.serve._app import create_app
from skmnist.serve._server import run_server

__all__ = ["create_app", "run_server"]
