"""Evaluate a saved model on the MNIST test set: accuracy, per-class precision,
recall and F1, and the confusion matrix."""

from skmnist.commands._common import (
    add_data_arguments,
    load_data,
    load_fitted_model,
    print_test_scores,
)

NAME = "evaluate"
HELP = "evaluate a saved model on the MNIST test set"


def add_arguments(parser):
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="model file saved by train, or exported by export (.onnx)",
    )
    add_data_arguments(parser)


def run(args):
    model = load_fitted_model(args.model, allow_onnx=True)
    mnist = load_data(args)
    y_pred = model.predict(mnist.X_test)
    print(f"model: {args.model}")
    print_test_scores(mnist.y_test, y_pred, report=True)
