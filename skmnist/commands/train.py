"""Train the MNIST pipeline on the official training set, evaluate it on the test
set (accuracy and confusion matrix) and save the fitted pipeline."""

from skmnist.commands._common import add_data_arguments, load_data, positive_int

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
    parser.add_argument("--epochs", type=positive_int, default=10, help="default: 10")
    parser.add_argument(
        "--batch-size", type=positive_int, default=128, help="default: 128"
    )
    parser.add_argument(
        "--hidden-layer-sizes",
        default="256,128",
        metavar="N,N,...",
        help="units per hidden layer, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--dropout", type=float, default=0.2, help="default: 0.2")
    parser.add_argument(
        "--learning-rate", type=float, default=0.001, help="default: 0.001"
    )
    parser.add_argument("--random-state", type=int, default=None, metavar="SEED")
    parser.add_argument(
        "--quiet", action="store_true", help="no per-epoch progress display"
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write a one-file HTML report of the run to FILE",
    )
    add_data_arguments(parser)


def parse_layers(text):
    """'256,128' -> (256, 128), with a clear error for anything else."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"--hidden-layer-sizes must be comma-separated whole numbers such as "
            f"256,128; got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise ValueError(f"--hidden-layer-sizes must all be >= 1; got {text!r}")
    return sizes


def run(args):
    import time

    from sklearn.metrics import confusion_matrix

    from skmnist.persistence import save_model
    from skmnist.pipeline import make_mnist_pipeline

    layers = parse_layers(args.hidden_layer_sizes)
    mnist = load_data(args)
    pipe = make_mnist_pipeline(
        hidden_layer_sizes=layers,
        dropout=args.dropout,
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )
    print(f"training on {len(mnist.X_train):,} images for {args.epochs} epochs")
    start = time.perf_counter()
    pipe.fit(mnist.X_train, mnist.y_train)
    elapsed = time.perf_counter() - start
    y_pred = pipe.predict(mnist.X_test)
    accuracy = float((y_pred == mnist.y_test).mean())
    print(f"fit time: {elapsed:.1f} s")
    print(f"test accuracy: {accuracy:.4f} on {len(mnist.X_test):,} images")
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(format_confusion_matrix(confusion_matrix(mnist.y_test, y_pred)))
    path = save_model(pipe, args.output)
    print(f"saved the fitted pipeline to {path}")
    if args.report:
        from skmnist.report import write_report

        report = write_report(
            pipe, mnist.X_test, mnist.y_test, args.report, train_size=len(mnist.X_train)
        )
        print(f"wrote the report to {report}")


def format_confusion_matrix(matrix):
    """A labelled text table of a 10x10 confusion matrix."""
    width = max(4, len(str(matrix.max())) + 1)
    header = " " * 3 + "".join(f"{j:>{width}}" for j in range(matrix.shape[1]))
    rows = [
        f"{i:>3}" + "".join(f"{v:>{width}}" for v in row)
        for i, row in enumerate(matrix)
    ]
    return "\n".join([header, *rows])
