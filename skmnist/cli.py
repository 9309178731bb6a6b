"""The ``skmnist`` command line.

Each subcommand lives in its own module under :mod:`skmnist.commands` and defines
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args)``. Only ``run`` may
import heavy libraries (TensorFlow, Optuna, matplotlib): ``skmnist --help`` and
argument errors must answer at once.
"""

import argparse
import importlib
import sys

from skmnist import __version__
from skmnist._quiet import quiet_tensorflow

# subcommand modules, in the order ``--help`` lists them
COMMANDS = ("train", "search", "evaluate", "predict", "report", "serve", "export")


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit status 1."""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, with a usage error reported on one line (status 2)."""

    def error(self, message):
        # control characters from the arguments (a newline...) shown escaped
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser():
    """The argument parser with every subcommand registered."""
    parser = _ArgumentParser(
        prog="skmnist",
        description="Train, search, evaluate and report the Keras MNIST network "
        "with scikit-learn.",
        epilog="Data: set SKMNIST_DATA_HOME (or --data-home) to a folder holding "
        "mnist.npz or the four MNIST IDX files; otherwise it is downloaded once.",
    )
    parser.add_argument("--version", action="version", version=f"skmnist {__version__}")
    _add_verbose(parser, default=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"skmnist.commands.{name}")
        sub = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.__doc__
        )
        module.add_arguments(sub)
        _add_verbose(sub, default=argparse.SUPPRESS)  # after the command too
        sub.set_defaults(run=module.run)
    return parser


def _add_verbose(parser, default):
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=default,
        help="show TensorFlow's own log lines (hidden unless you set "
        "TF_CPP_MIN_LOG_LEVEL, which wins)",
    )


def main(argv=None):
    """Entry point of the ``skmnist`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    # TensorFlow's C++ start-up log lines would drown the command's own output; it is
    # imported (if the command needs it) after this, with its logs filtered
    unquiet = quiet_tensorflow(verbose=args.verbose)
    try:
        args.run(args)
    except KeyboardInterrupt:
        print("skmnist: interrupted", file=sys.stderr)
        return 130
    except (CommandError, OSError, ValueError) as exc:
        # expected failures (missing data or files, bad values): one line, no traceback
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        print(f"skmnist {args.command}: error: {message}", file=sys.stderr)
        return 1
    finally:
        unquiet()
    return 0


if __name__ == "__main__":
    sys.exit(main())
