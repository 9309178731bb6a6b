"""The default pruner of :class:`skmnist.PrunedSearchCV`. Imports Optuna: load it
only when a search starts."""

import optuna


class FirstRungsPruner(optuna.pruners.BasePruner):
    """Optuna's ``SuccessiveHalvingPruner``, asked only in the first third of training.

    Successive halving with ``reduction_factor=3`` places rungs at
    ``min_resource * 3**k`` epochs (steps, counted from 0). Pruning at a rung
    late in training saves little and throws away a trial that was nearly
    done (28 of 30 epochs, with ``min_resource=3``), so past a third of
    ``max_epochs`` a trial trains to the end. The first rung comes after a
    fifth of ``max_epochs`` (step 6 of 30): at earlier rungs, fast starters
    (large batches, high learning rates) pruned the slower networks that
    generalise better (see the user guide's search benchmark).
    """

    def __init__(self, max_epochs, reduction_factor=3):
        self.max_epochs = max_epochs
        min_resource = max(1, max_epochs // 5)
        # Steps are 0-based epochs; a short search keeps at least its first rung.
        self.last_step = max(max_epochs // reduction_factor - 1, min_resource)
        self.halving = optuna.pruners.SuccessiveHalvingPruner(
            min_resource=min_resource, reduction_factor=reduction_factor
        )

    def prune(self, study, trial):
        step = trial.last_step
        if step is None or step > self.last_step:
            return False
        return self.halving.prune(study, trial)
