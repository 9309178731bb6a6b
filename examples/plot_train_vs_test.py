"""
Train against test accuracy, epoch by epoch
===========================================

The reference Keras notebook trains with ``validation_data=(x_test, y_test)``,
prints the test accuracy after every epoch and plots "Train" against "Test". The
scikit-learn way is a validation set given to ``fit`` (``X_val``, ``y_val``, as
``HistGradientBoostingClassifier`` takes it), which the pipeline prepares with its
image step when metadata routing is on. The validation set is never trained on.

To keep the build fast: 6,000 training images, 2,000 test images, 10 epochs.
"""

# %%
import matplotlib.pyplot as plt
import sklearn

import skmnist

mnist = skmnist.load_mnist()
X, y = mnist.X_train[:6000], mnist.y_train[:6000]
X_test, y_test = mnist.X_test[:2000], mnist.y_test[:2000]

# %%
# Fit with a validation set
# -------------------------
# With routing enabled, :func:`skmnist.make_mnist_pipeline` has the classifier
# request ``X_val``/``y_val`` and the pipeline flatten and scale ``X_val`` as it
# does ``X``. ``verbose=1`` prints the notebook's line per epoch.
with sklearn.config_context(enable_metadata_routing=True):
    pipe = skmnist.make_mnist_pipeline(random_state=0, verbose=1)
    pipe.fit(X, y, X_val=X_test, y_val=y_test)

history = pipe[-1].history_
print(f"last epoch's test accuracy: {history['val_accuracy'][-1]:.4f}")
print(f"pipe.score on the test set: {pipe.score(X_test, y_test):.4f}")

# %%
# The "Train vs Test" figure
# --------------------------
# :class:`skmnist.TrainingCurvesDisplay` draws every curve of ``history_``.
display = skmnist.TrainingCurvesDisplay.from_estimator(pipe, name="reference MLP")
display.figure_.set_size_inches(10, 4)
plt.show()
