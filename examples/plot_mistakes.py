"""
Looking at mistakes
===================

Where does the network go wrong, and how sure was it? The displays in
:mod:`skmnist.plotting` follow scikit-learn's ``Display`` pattern
(``from_estimator``, ``from_predictions``, ``plot(ax=...)``): training curves from
the fitted pipeline, a grid of test digits with their predictions, and the most
confidently misclassified digits. The confusion matrix is scikit-learn's own
:class:`~sklearn.metrics.ConfusionMatrixDisplay`, which accepts the pipeline.

To keep the build fast the network trains for 5 epochs, with early stopping on a
held-out tenth of the training set so that validation curves are recorded.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay

import skmnist

mnist = skmnist.load_mnist()
pipe = skmnist.make_mnist_pipeline(epochs=5, early_stopping=True, random_state=0)
pipe.fit(mnist.X_train, mnist.y_train)
print(f"test accuracy: {pipe.score(mnist.X_test, mnist.y_test):.4f}")

# %%
# Training and validation curves, one value per epoch from ``history_``
skmnist.TrainingCurvesDisplay.from_estimator(pipe)

# %%
# The first test digits with their predictions (mistakes in red)
skmnist.DigitGridDisplay.from_estimator(pipe, mnist.X_test, mnist.y_test, n=24)

# %%
# The most confidently wrong: true label, prediction and its probability. Many are
# digits a person would hesitate over too.
display = skmnist.MisclassifiedDisplay.from_estimator(
    pipe, mnist.X_test, mnist.y_test, n=16
)
print("test indices of the worst mistakes:", display.indices[:8])

# %%
# Which digits are confused with which
fig, ax = plt.subplots(figsize=(6, 5))
ConfusionMatrixDisplay.from_estimator(
    pipe, mnist.X_test, mnist.y_test, ax=ax, colorbar=False
)

# %%
# The same in one self-contained HTML file, images embedded (no network needed
# to view it). The command line does this with ``skmnist report``.
import tempfile
from pathlib import Path

path = skmnist.write_report(
    pipe, mnist.X_test, mnist.y_test, Path(tempfile.mkdtemp()) / "report.html"
)
print(f"report written: {path.name}, {path.stat().st_size / 1e6:.1f} MB")
