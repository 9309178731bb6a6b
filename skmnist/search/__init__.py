"""Hyperparameter search of whole pipelines with Optuna, pruned epoch by epoch.

- :class:`PrunedSearchCV`, the search estimator (``_estimator``);
- :func:`open_storage`, Optuna storages ready for many workers (``_storage``);
- :func:`default_search_space` and :func:`cnn_search_space`, ready-made spaces for
  the two network families (``_spaces``);
- ``cv_results_`` and the progress lines are built in ``_results``.

Neither Optuna nor TensorFlow is imported with this package, only when a search
starts.
"""

from skmnist.search._estimator import PrunedSearchCV
from skmnist.search._spaces import cnn_search_space, default_search_space
from skmnist.search._storage import open_storage

__all__ = ["PrunedSearchCV", "cnn_search_space", "default_search_space", "open_storage"]
