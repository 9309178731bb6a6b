"""The ``skmnist`` command line.

Each subcommand lives in its own module under :mod:`skmnist.commands` and defines
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args)``. Only ``run`` may
import heavy libraries (TensorFlow, Optuna, matplotlib): ``skmnist --help`` and
argument errors must answer at once.
"""

import argparse
import importlib
import os
import sys

from skmnist import __version__

# subcommand modules, in the order ``--help`` lists them
COMMANDS = ("train", "search", "evaluate", "predict", "report")


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit status 1."""


def build_parser():
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="skmnist",
        description="Train, search, evaluate and report the Keras MNIST network "
        "with scikit-learn.",
        epilog="Data: set SKMNIST_DATA_HOME (or --data-home) to a folder holding "
        "mnist.npz or the four MNIST IDX files; otherwise it is downloaded once.",
    )
    parser.add_argument("--version", action="version", version=f"skmnist {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"skmnist.commands.{name}")
        sub = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.__doc__
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Entry point of the ``skmnist`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    # TensorFlow's C++ start-up log lines would drown the command's own output
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
