"""Export a saved model to ONNX: the whole pipeline (pixel scaling, network, class
labels) as one graph that `skmnist predict`, `evaluate` and `serve`, onnxruntime and
any ONNX runtime can run without TensorFlow. An ONNX file is data, not code: unlike
a joblib file, loading it runs nothing. Needs pip install "skmnist[onnx]"."""

NAME = "export"
HELP = "export a saved model to ONNX, to predict without TensorFlow"


def add_arguments(parser):
    parser.add_argument("model", metavar="MODEL", help="model file saved by train")
    parser.add_argument(
        "output", metavar="OUTPUT", help="ONNX file to write (must end in .onnx)"
    )
    parser.add_argument(
        "--input-dtype",
        choices=("float32", "uint8"),
        default="float32",
        help="element type of the graph's input: float32 takes any pixels, uint8 "
        "takes 8-bit images as they are (default: %(default)s)",
    )


def run(args):
    from pathlib import Path

    from skmnist.cli import CommandError
    from skmnist.onnx import MissingDependencyError

    if Path(args.output).suffix.lower() != ".onnx":  # before loading TensorFlow
        raise CommandError(
            f"the output file name must end in '.onnx'; got {args.output!r}"
        )
    if Path(args.model).suffix.lower() == ".onnx":
        raise CommandError(
            f"{args.model!r} is already an ONNX file; export the model saved by "
            "`skmnist train` (.joblib)"
        )
    try:
        import onnx  # noqa: F401  (fail before the slow model load)
    except ImportError:
        from skmnist.onnx._deps import INSTALL_HINT

        raise CommandError(
            f"exporting to ONNX needs the 'onnx' package; install it with: "
            f"{INSTALL_HINT}"
        ) from None
    from skmnist.commands._common import load_fitted_model
    from skmnist.onnx import export_onnx

    model = load_fitted_model(args.model)
    try:
        path = export_onnx(model, args.output, input_dtype=args.input_dtype)
    except MissingDependencyError as exc:
        raise CommandError(str(exc)) from None
    size = path.stat().st_size
    print(
        f"wrote {path} ({size / 1e6:.2f} MB): images in, labels and probabilities out"
    )
