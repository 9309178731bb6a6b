"""
The reference run, end to end
=============================

The classic Keras MNIST walk-through, the scikit-learn way: load the data, look at
a digit, build the pipeline (flatten and scale, then the network), train for ten
epochs, evaluate on the official test set, plot the accuracy per epoch and the
confusion matrix.

This example trains the full reference model on all 60,000 training images
(about half a minute on two CPU cores).
"""

# %%
# Load the data
# -------------
# :func:`skmnist.load_mnist` returns the official split as ``uint8`` images. It reads
# a local copy if it finds one (see the data-home example) and otherwise downloads
# and verifies the files once.
import matplotlib.pyplot as plt

import skmnist

mnist = skmnist.load_mnist()
print(mnist.X_train.shape, mnist.X_train.dtype, mnist.X_test.shape)

# %%
# Look at a digit
# ---------------
fig, ax = plt.subplots(figsize=(3, 3))
ax.imshow(mnist.X_train[0], cmap="gray_r")
ax.set_title(f"label: {mnist.y_train[0]}")
ax.set_axis_off()

# %%
# Build and train
# ---------------
# The pipeline flattens each 28x28 image to 784 float32 values in [0, 1]
# (no float64 copy) and feeds them to the network: Dense 256 ReLU, Dropout 0.2,
# Dense 128 ReLU, Dense 10 softmax, trained with Adam for 10 epochs of batches of 128.
# ``random_state`` makes the run reproducible without touching global seeds.
pipe = skmnist.make_mnist_pipeline(random_state=0)
pipe.fit(mnist.X_train, mnist.y_train)
classifier = pipe.named_steps["classifier"]
print(classifier.summary())
print(f"trained {classifier.n_iter_} epochs in {classifier.fit_time_:.1f} s")

# %%
# Evaluate
# --------
accuracy = pipe.score(mnist.X_test, mnist.y_test)
print(f"test accuracy: {accuracy:.4f}")

# %%
# Accuracy per epoch, and the confusion matrix
# --------------------------------------------
# ``history_`` holds one value per epoch. The confusion matrix is scikit-learn's own
# display, which accepts the pipeline directly.
from sklearn.metrics import ConfusionMatrixDisplay

fig, (ax_curve, ax_matrix) = plt.subplots(1, 2, figsize=(11, 4.5))
epochs = range(1, classifier.n_iter_ + 1)
ax_curve.plot(epochs, classifier.history_["accuracy"], marker="o", label="training")
ax_curve.axhline(accuracy, color="tab:orange", linestyle="--", label="test")
ax_curve.set(xlabel="epoch", ylabel="accuracy", title="Accuracy per epoch")
ax_curve.legend()
ConfusionMatrixDisplay.from_estimator(
    pipe, mnist.X_test, mnist.y_test, ax=ax_matrix, colorbar=False
)
ax_matrix.set_title("Confusion matrix (test set)")
fig.tight_layout()
