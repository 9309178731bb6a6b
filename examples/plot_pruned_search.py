"""
A pruned Optuna search over the network's shape
===============================================

:class:`skmnist.PrunedSearchCV` searches a whole pipeline with Optuna and prunes
unpromising trials *epoch by epoch*: each trial trains its cross-validation folds
in lockstep, one epoch at a time, reports the validation accuracy averaged over the
folds after every epoch, and the pruner (successive halving by default) stops a
trial that falls behind the others. (Optuna's own ``OptunaSearchCV`` cannot prune a
``Pipeline``: it needs ``partial_fit`` on the top-level estimator.) The first trial
is the pipeline as given, so the search cannot end below it, and every trial
scores its best epoch, whose count comes back in ``best_params_``.

The search space is :func:`skmnist.mlp_search_space`, a conditional space: the
number of hidden layers first, then the units of each layer, plus dropout, learning
rate and batch size. ``best_params_`` come back as the pipeline's own parameters,
ready for ``set_params``.

A real search gives a time budget instead (``timeout=600``) on all the images, with
one hold-out split. To keep the build fast: 5,000 training images, 10 trials of at
most 4 epochs, 2 folds.
"""

# %%
import skmnist

mnist = skmnist.load_mnist()
X, y = mnist.X_train[:5000], mnist.y_train[:5000]

search = skmnist.PrunedSearchCV(
    skmnist.make_mnist_pipeline(random_state=0),
    skmnist.mlp_search_space,
    n_trials=10,
    cv=2,
    max_epochs=4,
    random_state=0,
    verbose=1,
)
search.fit(X, y)

# %%
# The best parameters are the pipeline's own, and the best pipeline was refitted on
# all of ``X``.
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.4f}")
print(
    f"test accuracy of the refitted best pipeline: "
    f"{search.score(mnist.X_test, mnist.y_test):.4f}"
)
states = [trial.state.name for trial in search.study_.trials]
print({state: states.count(state) for state in set(states)})

# %%
# Seeing the search
# -----------------
# Three of Optuna's own matplotlib plots, drawn from the search's ``study_`` by
# methods of the fitted search (or the functions of the same names in
# :mod:`skmnist.search`). Each returns the matplotlib ``Axes``, on a
# figure of its own. First the optimisation history: the fold-averaged accuracy of
# every complete trial, and the best so far. Pruned trials have no final score, so
# Optuna leaves them out of this one.
ax = search.plot_optimization_history()

# %%
# The learning curves: each trial's fold-averaged validation accuracy after every
# epoch (Optuna counts its steps from 0, the first epoch). Pruned trials, dotted,
# stop early: the epochs they did not train are the saving.
ax = search.plot_intermediate_values()

# %%
# Which parameters mattered, by fANOVA over the complete trials (seeded, so the same
# trials always give the same bars). The names are Optuna's, those the space
# samples: ``n_layers``, ``n_units_l0``, ``dropout``... fANOVA assesses only the
# parameters found in every complete trial: the units of a second layer
# (``n_units_l1``) count only if no complete network had a single layer (pass
# ``evaluator=optuna.importance.PedAnovaImportanceEvaluator()`` to rank such
# conditional parameters anyway). The first trial, the pipeline's own parameters,
# sampled nothing and is left out. Pruned trials do not count either, so a handful
# of complete trials give a rough picture; it sharpens with a few tens.
ax = search.plot_param_importances()

# %%
# ``search.save_plots(directory)`` writes the three as ``history.png``,
# ``importances.png`` and ``learning_curves.png`` into a directory, and so does
# ``skmnist search --plots DIR`` from the shell.

# %%
# ``cv_results_`` has scikit-learn's shape, so it reads like a ``GridSearchCV``'s.
import pandas as pd

columns = ["trial_number", "state", "n_epochs", "mean_test_score", "rank_test_score"]
print(pd.DataFrame(search.cv_results_)[columns].sort_values("rank_test_score"))
