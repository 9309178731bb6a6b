"""
Cross-validation and the confusion matrix
=========================================

Because :class:`skmnist.KerasMLPClassifier` is a real scikit-learn classifier,
``cross_val_score`` with an integer ``cv`` uses stratified folds, and
:class:`~sklearn.metrics.ConfusionMatrixDisplay` accepts the pipeline.

To keep the build fast this example uses the first 10,000 training images and
3 epochs per fit.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import check_cv, cross_val_predict, cross_val_score

import skmnist

mnist = skmnist.load_mnist()
X, y = mnist.X_train[:10000], mnist.y_train[:10000]
pipe = skmnist.make_mnist_pipeline(epochs=3, random_state=0)

print("is a classifier:", is_classifier(pipe))
print("cv=3 means:", check_cv(3, y, classifier=is_classifier(pipe)))

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
