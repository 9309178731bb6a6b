"""One plain line per epoch: the estimators' ``verbose`` display (imports Keras).

Keras's progress bar is made for a terminal: written to a file, a pipe or a Jupyter
cell, each epoch comes out as an ``Epoch 1/10`` line and then a line of bar
characters with backspaces and escape codes (twice in a notebook). An epoch here is
one compiled call, so there is no progress within it to show anyway: one flushed
line per epoch serves a terminal, a log file and a notebook alike. Nested progress
(a search's candidates and folds, each fit's epochs) is scikit-learn's
``ProgressBar`` callback's job; when it watches a fit, these lines are left out
(see ``BaseKerasClassifier._keras_callbacks``).
"""

import sys
import time

import keras


class EpochLines(keras.callbacks.Callback):
    """Print ``epoch 3/10 - 2.14 s - loss: 0.1234 - accuracy: 0.9630`` after each epoch.

    Parameters
    ----------
    epochs : int
        Epochs the fit will run at most (early stopping may end it sooner).
    stream : file-like, default=None
        Where to write; None is ``sys.stdout`` at the time of writing. Each line is
        flushed, so a log file or a pipe reader sees the epoch as it ends.
    """

    def __init__(self, epochs, stream=None):
        super().__init__()
        self.epochs, self.stream = epochs, stream
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - (self._start or time.perf_counter())
        parts = [f"epoch {epoch + 1}/{self.epochs}", f"{elapsed:.2f} s"]
        parts += [f"{name}: {float(value):.4f}" for name, value in (logs or {}).items()]
        print(" - ".join(parts), file=self.stream or sys.stdout, flush=True)
