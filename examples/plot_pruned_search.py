"""
A pruned Optuna search over the network's shape
===============================================

:class:`skmnist.PrunedSearchCV` searches a whole pipeline with Optuna and prunes
unpromising trials *epoch by epoch*: each trial trains its cross-validation folds
in lockstep, one epoch at a time, reports the validation accuracy averaged over the
folds after every epoch, and Optuna's median pruner stops a trial that falls behind
the others. (Optuna's own ``OptunaSearchCV`` cannot prune a ``Pipeline``: it needs
``partial_fit`` on the top-level estimator.)

The search space is :func:`skmnist.default_search_space`, a conditional space: the
number of hidden layers first, then the units of each layer, plus dropout, learning
rate and batch size. ``best_params_`` come back as the pipeline's own parameters,
ready for ``set_params``.

To keep the build fast: 5,000 training images, 10 trials of at most 4 epochs,
2 folds.
"""

# %%
import matplotlib.pyplot as plt
import optuna

import skmnist

mnist = skmnist.load_mnist()
X, y = mnist.X_train[:5000], mnist.y_train[:5000]

search = skmnist.PrunedSearchCV(
    skmnist.make_mnist_pipeline(epochs=4, random_state=0),
    skmnist.default_search_space,
    n_trials=10,
    cv=2,
    pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    random_state=0,
    verbose=1,
)
search.fit(X, y)

# %%
# The best parameters are the pipeline's own, and the best pipeline was refitted on
# all of ``X``.
print("best parameters:", search.best_params_)
print(f"best CV accuracy: {search.best_score_:.4f}")
print(
    f"test accuracy of the refitted best pipeline: "
    f"{search.score(mnist.X_test, mnist.y_test):.4f}"
)
states = [trial.state.name for trial in search.study_.trials]
print({state: states.count(state) for state in set(states)})

# %%
# Each trial's fold-averaged validation accuracy after every epoch. Pruned trials
# stop early: the epochs they did not train are the saving.
fig, ax = plt.subplots(figsize=(7, 4.5))
for trial in search.study_.trials:
    epochs = sorted(trial.intermediate_values)
    values = [trial.intermediate_values[e] for e in epochs]
    pruned = trial.state == optuna.trial.TrialState.PRUNED
    ax.plot(
        [e + 1 for e in epochs],
        values,
        marker="x" if pruned else "o",
        linestyle=":" if pruned else "-",
        color="tab:red" if pruned else "tab:blue",
        alpha=0.8,
    )
ax.plot([], [], "o-", color="tab:blue", label="complete")
ax.plot([], [], "x:", color="tab:red", label="pruned")
ax.set(
    xlabel="epoch",
    ylabel="mean validation accuracy over folds",
    title="Trials of the pruned search",
)
ax.legend()

# %%
# ``cv_results_`` has scikit-learn's shape, so it reads like a ``GridSearchCV``'s.
import pandas as pd

columns = ["trial_number", "state", "n_epochs", "mean_test_score", "rank_test_score"]
print(pd.DataFrame(search.cv_results_)[columns].sort_values("rank_test_score"))
