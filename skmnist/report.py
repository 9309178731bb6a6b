"""A one-file HTML report of a fitted MNIST model.

The page is static and self-contained: the style sheet is inline and every figure is
a PNG embedded as a ``data:`` URI, so it opens anywhere, offline, and can be mailed
or archived as a single file.
"""

import base64
import html
import io
import math
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from skmnist._class_names import class_names
from skmnist._io import atomic_write
from skmnist._utils import is_positive_int, labels_from_proba

__all__ = ["write_report"]

_VERSIONED = (
    "skmnist",
    "scikit-learn",
    "keras",
    "tensorflow",
    "numpy",
    "matplotlib",
    "pillow",
)


def write_report(
    estimator,
    X_test,
    y_test,
    path,
    *,
    title="MNIST model report",
    dataset="MNIST",
    train_size=None,
    n_misclassified=24,
):
    """Write a self-contained HTML report of a fitted model, atomically.

    The report holds the dataset and split sizes, the classifier's class, the
    network's layers and parameter counts, the hyperparameters, the training
    time, the test accuracy, per-class precision, recall and F1, the confusion
    matrix, the training curves, sample predictions, the most confidently
    misclassified test digits, and the versions of the libraries used. Figures
    are embedded as PNG images, so the file needs no network nor any other file
    to be viewed. Both network families are described the same way: by the
    classifier's class, its parameters and its Keras layers.

    The test accuracy is in an element with ``id="test-accuracy"``, formatted with
    four decimals, for scripts and browser tests to read.

    Parameters
    ----------
    estimator : Pipeline or classifier
        A fitted pipeline from :func:`skmnist.make_mnist_pipeline` (either
        ``model``), or a fitted bare classifier such as
        :class:`skmnist.KerasMLPClassifier` (then ``X_test`` is what it takes:
        flat rows, or ``(n, height, width, 1)`` images for the convolutional
        network).
    X_test : array-like of shape (n_samples, 28, 28), (n_samples, 28, 28, 1) \
or (n_samples, 784)
        Test images, as the estimator takes them.
    y_test : array-like of shape (n_samples,)
        Test labels.
    path : str or path-like
        The HTML file to write; its folder is created if needed.
    title : str, default="MNIST model report"
        Title of the page.
    dataset : str, default="MNIST"
        Name of the dataset, as shown in the report.
    train_size : int, default=None
        Number of training images; by default the number the classifier was
        fitted on (including any held out for early stopping).
    n_misclassified : int, default=24
        Largest number of misclassified test digits shown; at least 1.

    Returns
    -------
    path : pathlib.Path
        The file written.

    See Also
    --------
    skmnist.plotting : The figures of the report, as display objects.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier, write_report
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier((16,), epochs=2, random_state=0).fit(X / 16, y)
    >>> path = write_report(clf, X / 16, y, os.path.join(tempfile.mkdtemp(), "r.html"),
    ...                     dataset="scikit-learn digits (8x8)")
    >>> '<span id="test-accuracy">' in path.read_text(encoding="utf-8")
    True
    """
    from sklearn.metrics import accuracy_score

    from skmnist.pipeline import final_classifier

    if not is_positive_int(n_misclassified):
        raise ValueError(
            f"n_misclassified must be a whole number >= 1 (the most mistakes "
            f"shown), got {n_misclassified!r}."
        )
    classifier = final_classifier(estimator)
    y_test = np.asarray(y_test)
    y_proba = estimator.predict_proba(X_test)
    # the same rule as predict(): the class of the highest probability
    y_pred = labels_from_proba(classifier.classes_, y_proba)
    context = {
        "names": class_names(estimator),
        "estimator": estimator,
        "classifier": classifier,
        "X_test": X_test,
        "y_test": y_test,
        "y_pred": y_pred,
        "y_proba": y_proba,
        "accuracy": float(accuracy_score(y_test, y_pred)),
        "train_size": train_size,
        "dataset": dataset,
        "n_misclassified": n_misclassified,
    }
    sections = [
        _overview_section(context),
        _dataset_section(context),
        _model_section(context),
        _curves_section(context),
        _metrics_section(context),
        _confusion_section(context),
        _digits_section(context),
        _environment_section(),
    ]
    page = _page(title, sections)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as file:
        file.write(page)
    return path


# -- sections ----------------------------------------------------------------------


def _overview_section(ctx):
    classifier = ctx["classifier"]
    cards = [
        ("Test accuracy", _accuracy_html(ctx["accuracy"])),
        ("Test images", f"{len(ctx['y_test']):,}"),
        ("Training time", _duration(getattr(classifier, "fit_time_", None))),
        ("Epochs trained", str(getattr(classifier, "n_iter_", "n/a"))),
        ("Parameters", f"{classifier.model_.count_params():,}"),
    ]
    body = "".join(
        f'<div class="card"><div class="card-label">{html.escape(label)}</div>'
        f'<div class="card-value">{value}</div></div>'
        for label, value in cards
    )
    return _section("overview", "Overview", f'<div class="cards">{body}</div>')


def _accuracy_html(accuracy):
    # The id is the page's contract with scripts: keep it and the format stable.
    return f'<span id="test-accuracy">{accuracy:.4f}</span>'


def _dataset_section(ctx):
    classifier = ctx["classifier"]
    n_train = ctx["train_size"]
    if n_train is None and hasattr(classifier, "X_shape_"):
        n_train = classifier.X_shape_[0]
    rows = [("Dataset", ctx["dataset"])]
    if n_train is not None:
        rows.append(("Training images", f"{n_train:,}"))
        if getattr(classifier, "early_stopping", False):
            # train_test_split rounds the held-out share up
            n_valid = math.ceil(classifier.validation_fraction * n_train)
            rows.append(("of which held out for early stopping", f"{n_valid:,}"))
    images = np.asarray(ctx["X_test"])
    rows += [
        ("Test images", f"{len(images):,}"),
        ("Test image shape", " × ".join(map(str, images.shape[1:]))),
        ("Classes", ", ".join(ctx["names"])),
    ]
    return _section("dataset", "Dataset", _key_value_table(rows))


def _model_section(ctx):
    estimator, classifier = ctx["estimator"], ctx["classifier"]
    # any network family: its class, its Keras layers, its parameters
    parts = [f"<p>Classifier: {html.escape(type(classifier).__name__)}</p>"]
    steps = getattr(estimator, "steps", None)
    if steps:
        chain = " → ".join(f"{name} ({type(step).__name__})" for name, step in steps)
        parts.append(f"<p>Pipeline: {html.escape(chain)}</p>")
    parts.append("<h3>Layers</h3>")
    parts.append(_layers_table(classifier.model_))
    parts.append(
        "<details><summary>Keras summary</summary>"
        f"<pre>{html.escape(classifier.summary())}</pre></details>"
    )
    params = [
        (name, repr(value))
        for name, value in sorted(classifier.get_params(deep=False).items())
    ]
    parts.append("<h3>Hyperparameters</h3>")
    parts.append(_key_value_table(params, code=True))
    return _section("model", "Model", "".join(parts))


def _layers_table(model):
    body = [
        (
            layer.name,
            type(layer).__name__,
            _output_shape(layer),
            f"{layer.count_params():,}",
        )
        for layer in model.layers
    ]
    body.append(("Total", "", "", f"{model.count_params():,}"))
    return _table(
        ["Layer", "Type", "Output shape", "Parameters"], body, numeric={3}, total=True
    )


def _output_shape(layer):
    try:
        shape = tuple(layer.output.shape)
    except (AttributeError, ValueError):
        return "?"
    return (
        "(" + ", ".join("None" if side is None else str(side) for side in shape) + ")"
    )


def _curves_section(ctx):
    from matplotlib.figure import Figure

    from skmnist.plotting import TrainingCurvesDisplay

    history = getattr(ctx["classifier"], "history_", None) or {}
    n_metrics = sum(key in history for key in ("loss", "accuracy"))
    if not n_metrics:
        return _section("curves", "Training curves", "<p>No history recorded.</p>")
    figure = Figure(figsize=(5 * n_metrics, 3.6), layout="constrained")
    TrainingCurvesDisplay.from_history(history, ax=figure.subplots(1, n_metrics))
    note = (
        "Validation curves come from the data held out for early stopping."
        if "val_loss" in history
        else "Train with early_stopping=True to record validation curves too."
    )
    body = _image(figure, "Loss and accuracy per epoch") + f"<p>{note}</p>"
    return _section("curves", "Training curves", body)


def _metrics_section(ctx):
    from sklearn.metrics import classification_report

    labels = ctx["classifier"].classes_
    names = ctx["names"]
    report = classification_report(
        ctx["y_test"],
        ctx["y_pred"],
        labels=labels,
        target_names=names,
        output_dict=True,
        zero_division=0,
    )
    rows = [
        (name, *_scores(report[name]), f"{int(report[name]['support']):,}")
        for name in names
    ]
    rows += [(key, *_scores(report[key]), "") for key in ("macro avg", "weighted avg")]
    table = _table(
        ["Class", "Precision", "Recall", "F1", "Support"],
        rows,
        numeric={1, 2, 3, 4},
        total=True,
        total_rows=2,
    )
    return _section("metrics", "Per-class metrics", table)


def _confusion_section(ctx):
    from sklearn.metrics import confusion_matrix

    labels = ctx["classifier"].classes_
    matrix = confusion_matrix(ctx["y_test"], ctx["y_pred"], labels=labels)
    note = (
        "<p>Rows are true digits, columns predicted ones; shading shows each cell's "
        "share of its row. Hover a cell for details.</p>"
    )
    return _section(
        "confusion", "Confusion matrix", note + _confusion_table(matrix, ctx["names"])
    )


def _confusion_table(matrix, labels):
    head = "".join(f"<th>{html.escape(str(label))}</th>" for label in labels)
    rows = []
    for i, (label, counts) in enumerate(zip(labels, matrix, strict=True)):
        total = max(int(counts.sum()), 1)
        cells = "".join(
            _confusion_cell(label, labels[j], count, count / total, i == j)
            for j, count in enumerate(counts)
        )
        rows.append(f"<tr><th>{html.escape(str(label))}</th>{cells}</tr>")
    return (
        '<table class="confusion"><thead><tr><th class="corner">true \\ pred</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _confusion_cell(true, predicted, count, share, correct):
    # blue for the diagonal, red for mistakes; mistakes are rarer, so amplified
    rgb, alpha = (
        ("37, 99, 235", share) if correct else ("220, 38, 38", min(1, 4 * share))
    )
    color = "#fff" if alpha > 0.55 else "inherit"
    tip = f"true {true}, predicted {predicted}: {count:,} ({share:.1%} of row)"
    return (
        f'<td style="background: rgba({rgb}, {alpha:.3f}); color: {color}" '
        f'title="{html.escape(tip)}">{count:,}</td>'
    )


def _digits_section(ctx):
    from skmnist.plotting import DigitGridDisplay, MisclassifiedDisplay

    n_wrong = min(ctx["n_misclassified"], int(np.sum(ctx["y_pred"] != ctx["y_test"])))
    parts = ["<h3>Sample predictions</h3>"]
    n_sample = min(20, len(ctx["y_test"]))
    figure = _grid_figure(n_sample, n_cols=10)
    DigitGridDisplay.from_predictions(
        ctx["X_test"][:n_sample],
        _named(ctx, ctx["y_test"][:n_sample]),
        _named(ctx, ctx["y_pred"][:n_sample]),
        ax=figure.axes,
    )
    parts.append(_image(figure, f"The first {n_sample} test digits"))
    parts.append("<h3>Most confidently misclassified</h3>")
    if n_wrong == 0:
        parts.append("<p>No test digit is misclassified.</p>")
    else:
        figure = _grid_figure(n_wrong, n_cols=12)
        MisclassifiedDisplay.from_predictions(
            ctx["X_test"],
            _named(ctx, ctx["y_test"]),
            ctx["y_proba"],
            classes=np.asarray(ctx["names"], dtype=object),
            n=n_wrong,
            ax=figure.axes,
        )
        parts.append(
            "<p>Titled with the true digit, the prediction and the probability the "
            "model gave it.</p>"
        )
        parts.append(_image(figure, f"The {n_wrong} most confident mistakes"))
    return _section("digits", "Digits", "".join(parts))


def _named(ctx, labels):
    """Labels as the names of their classes (the labels as text when unnamed)."""
    name_of = dict(zip(ctx["classifier"].classes_.tolist(), ctx["names"], strict=True))
    return np.asarray([name_of[label] for label in labels.tolist()], dtype=object)


def _environment_section():
    import skmnist

    rows = [("python", platform.python_version())]
    for name in _VERSIONED:
        version = skmnist.__version__ if name == "skmnist" else _version(name)
        rows.append((name, version))
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    rows.append(("report generated", generated))
    return _section("environment", "Environment", _key_value_table(rows))


# -- helpers -----------------------------------------------------------------------


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _scores(row):
    """Precision, recall and F1 of a ``classification_report`` row, formatted."""
    return tuple(f"{row[key]:.3f}" for key in ("precision", "recall", "f1-score"))


def _duration(seconds):
    if seconds is None:
        return "n/a"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


def _grid_figure(n_images, *, n_cols):
    from matplotlib.figure import Figure

    n_cols = min(n_cols, n_images)
    n_rows = math.ceil(n_images / n_cols)
    figure = Figure(figsize=(1.1 * n_cols, 1.45 * n_rows), layout="constrained")
    figure.subplots(n_rows, n_cols, squeeze=False)
    return figure


def _image(figure, alt):
    """A figure as an <img> with an embedded PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(alt)}</figcaption></figure>"
    )


def _table(header, rows, *, numeric=(), total=False, total_rows=1):
    def cell(tag, index, value):
        css = ' class="num"' if index in numeric else ""
        return f"<{tag}{css}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, name) for i, name in enumerate(header))
    body = [
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
        for row in rows
    ]
    foot = ""
    if total:
        foot = f"<tfoot>{''.join(body[-total_rows:])}</tfoot>"
        body = body[:-total_rows]
    return (
        f"<table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody>{foot}</table>"
    )


def _key_value_table(rows, *, code=False):
    def value(text):
        text = html.escape(str(text))
        return f"<code>{text}</code>" if code else text

    body = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{value(val)}</td></tr>"
        for key, val in rows
    )
    return f'<table class="kv"><tbody>{body}</tbody></table>'


def _section(anchor, heading, body):
    return f'<section id="{anchor}"><h2>{html.escape(heading)}</h2>{body}</section>'


def _page(title, sections):
    nav = "".join(
        f'<a href="#{anchor}">{label}</a>'
        for anchor, label in (
            ("overview", "Overview"),
            ("dataset", "Dataset"),
            ("model", "Model"),
            ("curves", "Curves"),
            ("metrics", "Metrics"),
            ("confusion", "Confusion"),
            ("digits", "Digits"),
            ("environment", "Environment"),
        )
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1><nav>{nav}</nav></header>
<main>
{"".join(sections)}
</main>
</body>
</html>
"""


_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --accent: #2563eb;
        --paper: #ffffff; --wash: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--wash);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { background: var(--paper); border-bottom: 1px solid var(--line);
         padding: 1.2rem 2rem 0.6rem; position: sticky; top: 0; z-index: 1; }
h1 { margin: 0 0 0.4rem; font-size: 1.5rem; }
nav a { color: var(--muted); text-decoration: none; margin-right: 1.1rem;
        font-size: 0.9rem; }
nav a:hover { color: var(--accent); }
main { max-width: 1120px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { background: var(--paper); border: 1px solid var(--line);
          border-radius: 8px; padding: 1.2rem 1.5rem; margin: 1.2rem 0; }
h2 { margin: 0 0 0.8rem; font-size: 1.2rem; }
h3 { margin: 1.2rem 0 0.5rem; font-size: 1rem; color: var(--muted); }
.cards { display: grid; gap: 0.8rem;
         grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.7rem 1rem; }
.card-label { color: var(--muted); font-size: 0.8rem; text-transform: uppercase;
              letter-spacing: 0.04em; }
.card-value { font-size: 1.5rem; font-weight: 600; }
#test-accuracy { color: var(--accent); }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid var(--line);
         text-align: left; }
thead th { color: var(--muted); font-weight: 600; font-size: 0.85rem; }
tfoot td { font-weight: 600; }
.num { text-align: right; }
table.kv th { color: var(--muted); font-weight: 500; padding-right: 2rem; }
table.confusion th, table.confusion td { text-align: center; min-width: 3.2rem;
                                         border: 1px solid var(--line); }
table.confusion .corner { font-size: 0.75rem; }
code, pre { font: 0.85rem/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; }
pre { background: var(--wash); padding: 0.8rem; overflow-x: auto; }
figure { margin: 0.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.85rem; }
details summary { cursor: pointer; color: var(--muted); margin: 0.8rem 0; }
"""
