"""Serve a saved model on a web page: draw a digit and watch the prediction live.

Starts a web server (Starlette on uvicorn) with one page -- a canvas to draw on with
the mouse, a finger or a pen, the probability of every class, the 28x28 image the
model sees, a photo upload -- and a JSON API: POST /predict, GET /model, GET /health.
Every image is prepared as `skmnist predict` prepares files. Listens on 127.0.0.1
(this machine only) unless --host says otherwise: there is no authentication, so
expose it only on a network you trust. Needs the serve extra:
pip install "skmnist[serve]"."""

import argparse
import sys

NAME = "serve"
HELP = "draw digits in a browser page and see the model's predictions live"


def _port(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a port number, got {text!r}"
        ) from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port from 0 to 65535, got {value}"
        )
    return value


def add_arguments(parser):
    from skmnist.commands._common import positive_int

    parser.add_argument("model", metavar="MODEL", help="model file saved by train")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; "
        "0.0.0.0 exposes the model to the network, without authentication)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="TCP port (default: 8000; 0 picks a free one)",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=positive_int,
        default=10,
        metavar="MB",
        help="largest request accepted, in megabytes (default: 10)",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (the page sends one per stroke as you draw)",
    )


def run(args):
    from skmnist.cli import CommandError

    try:
        from skmnist.serve import create_app, run_server
        from skmnist.serve._server import is_loopback
    except ImportError as exc:
        raise CommandError(
            f"skmnist serve needs Starlette and uvicorn ({exc}); install them with "
            "pip install 'skmnist[serve]'"
        ) from None
    # the model is loaded and checked once, here, before the first request
    app = create_app(args.model, max_upload_bytes=args.max_upload_mb * 1_000_000)
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: anyone who can reach this machine "
            "can use the model; there is no authentication",
            file=sys.stderr,
        )
    family = app.state.model.description["family"]
    try:
        run_server(
            app,
            host=args.host,
            port=args.port,
            access_log=args.access_log,
            on_ready=lambda url: print(
                f"serving {args.model} ({family}) on {url} (Ctrl+C to stop)",
                file=sys.stderr,
                flush=True,
            ),
        )
    except KeyboardInterrupt:  # uvicorn stops cleanly, then passes Ctrl+C on
        print("skmnist serve: stopped", file=sys.stderr)
