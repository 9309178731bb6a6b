"""Write a self-contained HTML report of a saved model, evaluated on the MNIST test
set (or the --dataset's): accuracy, per-class metrics, confusion matrix, training
curves, misclassified images, the network and its hyperparameters. Open it in any
browser, offline."""

from skmnist.commands._common import add_data_arguments, load_data

NAME = "report"
HELP = "write a one-file HTML report of a saved model"


def add_arguments(parser):
    parser.add_argument("model", metavar="MODEL", help="model file saved by train")
    parser.add_argument(
        "-o",
        "--output",
        default="report.html",
        metavar="FILE",
        help="HTML file to write (default: %(default)s)",
    )
    parser.add_argument(
        "--title",
        default=None,
        help="page title (default: '<dataset> model report')",
    )
    add_data_arguments(parser)


def run(args):
    from skmnist.commands._common import load_fitted_model
    from skmnist.report import write_report

    model = load_fitted_model(args.model)
    data = load_data(args)
    print(f"evaluating {args.model} on {len(data.X_test):,} {data.name} test images")
    path = write_report(
        model,
        data.X_test,
        data.y_test,
        args.output,
        title=args.title or f"{data.name} model report",
        dataset=data.name,
    )
    print(f"wrote the report to {path}")
