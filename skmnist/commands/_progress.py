"""The ``train`` command's line per epoch: the estimators' own (imports Keras)."""

from skmnist._progress import EpochLines

__all__ = ["EpochLines"]
