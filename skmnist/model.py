"""Old import path of :class:`skmnist.models.KerasMLPClassifier`, kept working.

Code written for earlier releases imports ``skmnist.model.KerasMLPClassifier``, and
models saved by them (joblib/pickle files) name that path: both resolve here.
"""

from skmnist.models.mlp import KerasMLPClassifier

__all__ = ["KerasMLPClassifier"]
