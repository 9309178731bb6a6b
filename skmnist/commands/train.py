"""Train the MNIST pipeline on the official training set (or a stratified subset of
it; --dataset picks Fashion-MNIST, another IDX dataset or a folder of images),
evaluate it on the test set (accuracy and confusion matrix) and save the fitted
pipeline. --model picks the network: a family of skmnist.models.FAMILIES (mlp, the
dense network of the reference notebook; cnn, a small convolutional network), a named
training recipe of skmnist.models.PRESETS (cnn-fast, cnn-strong, cnn-strong-bf16,
mlp-strong: the options given as well win over the recipe's), or your own,
MODULE:FUNCTION naming a function that builds a keras.Model. Progress is one line
per epoch; --validation adds the loss and accuracy on a validation set to each line
(--validation test: the official test set, as the reference notebook prints it)."""

from skmnist.commands._common import (
    add_data_arguments,
    add_model_argument,
    load_data,
    model_family,
    name_classes,
    positive_int,
    print_scores_of,
    stratified_subset,
)

NAME = "train"
HELP = "train the reference network on MNIST and save the fitted pipeline"


def add_arguments(parser):
    parser.add_argument(
        "-o",
        "--output",
        default="mnist-pipeline.joblib",
        metavar="FILE",
        help="where to save the fitted pipeline (default: %(default)s)",
    )
    add_model_argument(parser, "train")
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="default: the model's (10; a preset's own)",
    )
    parser.add_argument(
        "--subset",
        type=positive_int,
        default=None,
        metavar="N",
        help="train on a stratified sample of N training images, the same in every "
        "run (default: all 60,000)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="default: the model's (128; a preset's own)",
    )
    for name, (family, meaning, default) in _family_options().items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            default=None,
            metavar="N,N,...",
            help=f"{family}: {meaning}, comma-separated (default: {default})",
        )
    parser.add_argument(
        "--dropout",
        type=float,
        default=None,
        help="dropout rate (default: the model's: 0.2 for mlp, 0.5 for cnn)",
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="default: the model's (0.001; a preset's own)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="L2 penalty on the weights, scikit-learn MLPClassifier's alpha "
        "(default: the model's: 0)",
    )
    parser.add_argument(
        "--validation",
        type=validation_set,
        default=None,
        metavar="SET",
        help="score a validation set after every epoch and print its loss and "
        "accuracy: 'test' for the official test set (the reference notebook's "
        "run), or a fraction in (0, 1) of the training images, held out "
        "(stratified, the same in every run) and not trained on (default: none)",
    )
    parser.add_argument("--random-state", type=int, default=None, metavar="SEED")
    parser.add_argument("--quiet", action="store_true", help="no line per epoch")
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write a one-file HTML report of the run to FILE",
    )
    add_data_arguments(parser)


def validation_set(text):
    """argparse type of --validation: 'test' or a fraction in (0, 1)."""
    import argparse

    if text == "test":
        return text
    try:
        fraction = float(text)
    except ValueError:
        fraction = None
    if fraction is None or not 0 < fraction < 1:
        raise argparse.ArgumentTypeError(
            f"expected 'test' (the official test set) or a fraction of the training "
            f"images between 0 and 1 such as 0.1; got {text!r}"
        )
    return fraction


def parse_sizes(text, option="--hidden-layer-sizes"):
    """'256,128' -> (256, 128), with a clear error for anything else."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"{option} must be comma-separated whole numbers such as 256,128; "
            f"got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise ValueError(f"{option} must all be >= 1; got {text!r}")
    return sizes


def _family_options():
    """Layer-size options, one per family that has one, from the registry:
    ``{parameter: (family, meaning, default as N,N)}``."""
    from skmnist.models._registry import FAMILIES

    return {
        family.sizes_option[0]: (family.name, *family.sizes_option[1:])
        for family in FAMILIES.values()
        if family.sizes_option is not None
    }


def model_params(args):
    """The classifier's parameters the arguments set (the rest keep the model's
    defaults, or a preset's values)."""
    from skmnist.models._registry import PRESETS

    params = {"random_state": args.random_state}
    for name in ("epochs", "batch_size", "learning_rate", "alpha", "dropout"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    base = PRESETS[args.model].family if args.model in PRESETS else args.model
    for name, (family, _, _) in _family_options().items():
        text = getattr(args, name)
        if text is None:
            continue
        option = "--" + name.replace("_", "-")
        if base != family:
            raise ValueError(
                f"{option} is an option of --model {family}; --model {args.model} "
                f"has no such parameter: leave it out, or use --model {family}"
            )
        params[name] = parse_sizes(text, option)
    return params


def build_pipeline(model, params):
    """make_mnist_pipeline for the --model family (or MODULE:FUNCTION network)."""
    from skmnist.pipeline import make_mnist_pipeline

    _, model = model_family(model)
    return make_mnist_pipeline(model=model, **params)


def run(args):
    import time

    from skmnist.persistence import save_model

    params = model_params(args)  # argument errors before loading anything
    model_family(args.model)
    data = load_data(args)
    X, y = data.X_train, data.y_train
    if args.subset is not None:
        X, y = stratified_subset(X, y, args.subset)
    X, y, validation = split_validation(X, y, data, args.validation)
    pipe = build_pipeline(args.model, params)
    if not args.quiet:
        from skmnist.commands._progress import EpochLines

        pipe.set_params(classifier__callbacks=[EpochLines(pipe[-1].epochs)])
    n_epochs = pipe[-1].epochs
    epochs = f"{n_epochs} epoch{'s' if n_epochs != 1 else ''}"
    print(f"dataset: {data.name}")
    print(f"training the {args.model} on {len(X):,} images for {epochs}")
    if validation is not None:
        print(f"validating on {validation[2]} after every epoch")
    start = time.perf_counter()
    fit_pipeline(pipe, X, y, validation)
    elapsed = time.perf_counter() - start
    # the progress printer is no part of the model: not saved with it
    pipe.set_params(classifier__callbacks=None)
    name_classes(pipe, data)  # the dataset's class names travel with the model
    print(f"fit time: {elapsed:.1f} s")
    print_scores_of(pipe, data)
    path = save_model(pipe, args.output)
    print(f"saved the fitted pipeline to {path}")
    if args.report:
        from skmnist.report import write_report

        report = write_report(
            pipe,
            data.X_test,
            data.y_test,
            args.report,
            title=f"{data.name} model report",
            dataset=data.name,
            train_size=len(X),
        )
        print(f"wrote the report to {report}")


def split_validation(X, y, data, validation):
    """``(X, y, (X_val, y_val, description) or None)`` for --validation."""
    if validation is None:
        return X, y, None
    if validation == "test":
        return X, y, (data.X_test, data.y_test, "the test set")
    from sklearn.model_selection import train_test_split

    X, X_val, y, y_val = train_test_split(
        X, y, test_size=validation, stratify=y, random_state=0
    )
    return X, y, (X_val, y_val, f"{len(X_val):,} held-out training images")


def fit_pipeline(pipe, X, y, validation):
    """``pipe.fit(X, y)``, with the validation set prepared by the image step.

    The steps are fitted one after the other, as ``Pipeline.fit`` does, rather than
    through metadata routing: the saved pipeline stays one that refits anywhere.
    """
    if validation is None:
        pipe.fit(X, y)
        return
    X_val, y_val, _ = validation
    head = pipe[:-1]
    Xt = head.fit_transform(X, y)
    pipe[-1].fit(Xt, y, X_val=head.transform(X_val), y_val=y_val)
