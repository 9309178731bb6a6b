"""Evaluate a saved model on the test set of MNIST (or of the --dataset): accuracy,
per-class precision, recall and F1, and the confusion matrix."""

from skmnist.commands._common import (
    add_data_arguments,
    load_data,
    load_fitted_model,
    print_scores_of,
)

NAME = "evaluate"
HELP = "evaluate a saved model on the MNIST (or another) test set"


def add_arguments(parser):
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="model file saved by train, or exported by export (.onnx)",
    )
    add_data_arguments(parser)


def run(args):
    model = load_fitted_model(args.model, allow_onnx=True)
    data = load_data(args)
    print(f"model: {args.model}")
    print(f"dataset: {data.name}")
    print_scores_of(model, data, report=True)
