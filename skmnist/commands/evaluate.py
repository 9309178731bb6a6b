"""Evaluate a saved model on the MNIST test set: accuracy, per-class precision,
recall and F1, and the confusion matrix."""

from skmnist.commands._common import add_data_arguments, load_data, load_fitted_model

NAME = "evaluate"
HELP = "evaluate a saved model on the MNIST test set"


def add_arguments(parser):
    parser.add_argument("model", metavar="MODEL", help="model file saved by train")
    add_data_arguments(parser)


def run(args):
    from sklearn.metrics import classification_report, confusion_matrix

    from skmnist.commands.train import format_confusion_matrix

    model = load_fitted_model(args.model)
    mnist = load_data(args)
    y_pred = model.predict(mnist.X_test)
    accuracy = float((y_pred == mnist.y_test).mean())
    print(f"model: {args.model}")
    print(f"test accuracy: {accuracy:.4f} on {len(mnist.X_test):,} images")
    print()
    print(classification_report(mnist.y_test, y_pred, digits=4))
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(format_confusion_matrix(confusion_matrix(mnist.y_test, y_pred)))
