"""
Watching a grid search epoch by epoch
=====================================

scikit-learn 1.9's callbacks (:mod:`sklearn.callback`) reach inside skmnist's
classifiers: every epoch is a task. A ``ProgressBar`` on the search shows the
candidates, the folds and each fit's epochs; a ``ScoringMonitor`` on the
classifier scores the model after every epoch, and every clone the search makes
logs into one run. Here we plot every candidate's per-epoch training accuracy
from the monitor's log.

To keep the build fast: 3,000 training images, 2 candidates, 2 folds, 3 epochs.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.model_selection import GridSearchCV

import skmnist

mnist = skmnist.load_mnist()
X, y = mnist.X_train[:3000], mnist.y_train[:3000]

monitor = ScoringMonitor(scoring="accuracy")
pipe = skmnist.make_mnist_pipeline(epochs=3, random_state=0)
pipe[-1].set_callbacks(monitor)  # kept by every clone of the pipeline
grid = {"classifier__hidden_layer_sizes": [(32,), (256, 128)]}
search = GridSearchCV(pipe, grid, cv=2)
search.set_callbacks(ProgressBar(max_propagation_depth=None))
with warnings.catch_warnings():
    # the pipeline's image step has no epochs to show (scikit-learn says so)
    warnings.filterwarnings("ignore", message=".*does not support callbacks")
    search.fit(X, y)
print("best:", search.best_params_)

# %%
# The monitor's log
# -----------------
# One row per task it scored: each epoch, and each fit as a whole. The
# ``task_id_path`` locates it in the search: (search, evaluation, fit, epoch).
log = monitor.get_logs().data
epochs = [row for row in log if row["task_name"] == "epoch"]
print(f"{len(log)} rows, {len(epochs)} of them epochs")
for row in epochs[:4]:
    print(row["task_id_path"], f"accuracy {row['accuracy']:.4f}")

# %%
# Per-epoch accuracy of every candidate and fold
# ----------------------------------------------
# GridSearchCV numbers its evaluations candidate by candidate, fold by fold; the
# refit of the best candidate comes last.
n_splits = search.n_splits_
fits = {}
for row in epochs:
    fits.setdefault(row["parent_task_id_path"], []).append(row["accuracy"])
fig, ax = plt.subplots(figsize=(6, 4))
for path, scores in fits.items():
    if path[1] == 0:  # the search, not the refit
        evaluation = path[2]
        sizes = search.cv_results_["params"][evaluation // n_splits]
        layers = sizes["classifier__hidden_layer_sizes"]
        label = f"{layers}, fold {evaluation % n_splits}"
    else:
        label = "refit of the best"
    ax.plot(range(1, len(scores) + 1), scores, marker="o", label=label)
ax.set(xlabel="epoch", ylabel="training accuracy", title="Every fit, every epoch")
ax.legend(fontsize="small")
plt.show()
