"""Predict the class of each image file (PNG, JPEG...) with a saved model.

Each image is read as grayscale, inverted if its background is light, cropped to the
ink, resized so its longer side is 20 pixels and centred by its centre of mass in a
28x28 field, as MNIST digits were made; a photo of a digit on white paper works.
For a model trained on images of another size, the field is that size. Prints one
line per image: the file name, the class (its name, for a model that knows its
classes' names: Fashion-MNIST, a folder of images) and its probability,
tab-separated."""

import sys

NAME = "predict"
HELP = "predict the class (digit) of image files with a saved model"

_INVERT = {"auto": "auto", "yes": True, "no": False}


def add_arguments(parser):
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="model file saved by train, or exported by export (.onnx)",
    )
    parser.add_argument(
        "images", metavar="IMAGE", nargs="+", help="image files, one digit each"
    )
    parser.add_argument(
        "--invert",
        choices=sorted(_INVERT),
        default="auto",
        help="whether the digits are dark on a light background (default: decide "
        "from each image's border)",
    )
    parser.add_argument(
        "--no-normalize",
        action="store_true",
        help="use the pixels as they are, without cropping, resizing or centring; "
        "the images must then have the model's size (28x28 for MNIST)",
    )


def run(args):
    import numpy as np

    from skmnist._class_names import class_names
    from skmnist._images import fitted_image_shape
    from skmnist._utils import labels_from_proba
    from skmnist.commands._common import load_fitted_model
    from skmnist.digits import SIZE, load_digit_image

    # first the model: the images are prepared to the shape it was trained on
    model = load_fitted_model(args.model, allow_onnx=True)
    options = {
        "invert": _INVERT[args.invert],
        "normalize": False if args.no_normalize else "auto",
        "shape": fitted_image_shape(model, default=(SIZE, SIZE)),
    }
    digits = []
    with _Counter("reading images", len(args.images)) as counter:
        for path in args.images:
            digits.append(load_digit_image(path, **options))
            counter.step()
    proba = model.predict_proba(np.stack(digits))
    labels = labels_from_proba(model.classes_, proba)
    name_of = dict(
        zip(np.asarray(model.classes_).tolist(), class_names(model), strict=True)
    )
    for path, label, p in zip(args.images, labels, proba.max(axis=1), strict=True):
        print(f"{path}\t{name_of[label.item()]}\t{p:.4f}")


class _Counter:
    """``label: i/n`` on stderr, rewritten in place; only on a terminal."""

    def __init__(self, label, total, stream=None):
        self.label, self.total, self.done = label, total, 0
        self.stream = sys.stderr if stream is None else stream
        self.active = total > 1 and self.stream.isatty()

    def __enter__(self):
        return self

    def step(self):
        self.done += 1
        if self.active:
            print(f"\r{self.label}: {self.done}/{self.total}", end="", file=self.stream)

    def __exit__(self, *exc_info):
        if self.active:
            print(file=self.stream)  # leave the counter's last state on its own line
