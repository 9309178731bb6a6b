"""Hyperparameter search of whole pipelines with Optuna, pruned epoch by epoch.

- :class:`PrunedSearchCV`, the search estimator (``_estimator``);
- :func:`open_storage`, Optuna storages ready for many workers (``_storage``);
- :func:`mlp_search_space` and :func:`cnn_search_space`, ready-made spaces for
  the two network families, :func:`auto_search_space` across families and
  presets, and :func:`training_search_space`, the training parameters any
  network shares (``_spaces``);
- ``cv_results_`` and the progress lines are built in ``_results``;
- :func:`plot_optimization_history`, :func:`plot_param_importances`,
  :func:`plot_intermediate_values` and :func:`save_search_plots`, Optuna's own
  matplotlib plots of a fitted search (``_plots``).

Neither Optuna, TensorFlow nor matplotlib is imported with this package, only when
a search starts or a plot is drawn.
"""

from skmnist.search._estimator import PrunedSearchCV
from skmnist.search._plots import (
    plot_intermediate_values,
    plot_optimization_history,
    plot_param_importances,
    save_search_plots,
)
from skmnist.search._spaces import (
    auto_search_space,
    cnn_search_space,
    mlp_search_space,
    training_search_space,
)
from skmnist.search._storage import open_storage

__all__ = [
    "PrunedSearchCV",
    "auto_search_space",
    "cnn_search_space",
    "mlp_search_space",
    "open_storage",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_param_importances",
    "save_search_plots",
    "training_search_space",
]
