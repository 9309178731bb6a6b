"""
Cross-validation and the confusion matrix
=========================================

Because :class:`skmnist.KerasMLPClassifier` is a real scikit-learn classifier,
``cross_val_score`` with an integer ``cv`` uses stratified folds, and
:class:`~sklearn.metrics.ConfusionMatrixDisplay` accepts the pipeline.

It runs in seconds on scikit-learn's own :func:`~sklearn.datasets.load_digits`
(1,797 images of 8x8 pixels, which ships with scikit-learn: no download), given
in its own units, floats 0-16: the image step learns that scale
(``scale_ == 16``), so the pipeline trains as well as on the images divided by 16.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import is_classifier
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import check_cv, cross_val_predict, cross_val_score

import skmnist

digits = load_digits()
X, y = digits.images, digits.target  # (1797, 8, 8) floats 0-16
pipe = skmnist.make_mnist_pipeline(epochs=20, random_state=0)

print("is a classifier:", is_classifier(pipe))
print("cv=3 means:", check_cv(3, y, classifier=is_classifier(pipe)))
print("pixel scale learned from 0-16 images:", skmnist.ImageFlattener().fit(X).scale_)

# %%
# Scores of three stratified folds
scores = cross_val_score(pipe, X, y, cv=3)
print("fold accuracies:", np.round(scores, 4), "mean:", round(scores.mean(), 4))

# %%
# Out-of-fold predictions, as a normalised confusion matrix: which digits are
# confused with which?
y_pred = cross_val_predict(pipe, X, y, cv=3)
fig, ax = plt.subplots(figsize=(6, 5))
ConfusionMatrixDisplay.from_predictions(
    y, y_pred, normalize="true", values_format=".2f", ax=ax, colorbar=False
)
ax.set_title("Out-of-fold predictions, rows normalised")
