"""
Grid search over layer sizes and dropout
========================================

The network's parameters are flat, so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` searches them like any other
estimator's, through the pipeline's ``classifier__`` prefix.

It runs in seconds on scikit-learn's :func:`~sklearn.datasets.load_digits`
(8x8 images, shipped with scikit-learn): 20 epochs per fit, 2 folds, and a
quarter of the images held out for the test accuracy.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split

import skmnist

digits = load_digits()
X, X_test, y, y_test = train_test_split(
    digits.images, digits.target, stratify=digits.target, random_state=0
)

grid = {
    "classifier__hidden_layer_sizes": [(64,), (256, 128), (512, 256)],
    "classifier__dropout": [0.0, 0.2, 0.4],
}
search = GridSearchCV(
    skmnist.make_mnist_pipeline(epochs=20, random_state=0), grid, cv=2
)
search.fit(X, y)
print("best:", search.best_params_, f"CV accuracy {search.best_score_:.4f}")
print(f"test accuracy: {search.score(X_test, y_test):.4f}")

# %%
# Mean CV accuracy of every combination
sizes = [str(s) for s in grid["classifier__hidden_layer_sizes"]]
scores = np.asarray(search.cv_results_["mean_test_score"]).reshape(len(sizes), -1)
fig, ax = plt.subplots(figsize=(5.5, 4))
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(len(grid["classifier__dropout"])), grid["classifier__dropout"])
ax.set_yticks(range(len(sizes)), sizes)
ax.set(xlabel="dropout", ylabel="hidden_layer_sizes", title="Mean CV accuracy")
for (i, j), value in np.ndenumerate(scores):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="white")
fig.colorbar(image, ax=ax)
