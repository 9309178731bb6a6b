"""Arguments and helpers shared by several subcommands (no heavy imports here)."""

import argparse


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def add_data_arguments(parser):
    """--data-home and --base-url, as understood by skmnist.load_mnist."""
    group = parser.add_argument_group("data")
    group.add_argument(
        "--data-home",
        metavar="DIR",
        help="folder holding mnist.npz or the IDX files (default: $SKMNIST_DATA_HOME, "
        "else the per-user cache)",
    )
    group.add_argument(
        "--base-url", metavar="URL", help="mirror to download the IDX files from"
    )
    group.add_argument(
        "--offline",
        action="store_true",
        help="never download; fail if the data is not already there",
    )


def load_data(args):
    """Load MNIST as the data arguments say."""
    from skmnist.data import load_mnist

    return load_mnist(
        data_home=args.data_home,
        base_url=args.base_url,
        download_if_missing=not args.offline,
    )


def load_fitted_model(path):
    """Load a saved model and check that it can classify (one-line errors)."""
    from skmnist.cli import CommandError
    from skmnist.persistence import load_model

    model = load_model(path)
    if not all(hasattr(model, name) for name in ("predict", "predict_proba")):
        raise CommandError(
            f"{path!r} holds a {type(model).__name__}, not a fitted classifier; "
            "train one with `skmnist train`"
        )
    return model
