"""
Bring your own network: a small residual CNN
============================================

:class:`skmnist.KerasImageClassifier` trains *your* Keras network with skmnist's
engine: whole epochs compiled into one graph, bitwise reproducible from
``random_state``, early stopping, ``partial_fit``, pickling, and searches over
your builder's own arguments. The network is given as scikeras takes it: a
function that builds a ``keras.Model``, its arguments routed as
``model__<argument>``.

Here the builder is a small residual network with batch normalisation: a strided
stem, ``blocks`` residual blocks of ``filters`` channels, global average pooling and
a softmax. It asks for ``meta`` (the data's shape and number of classes) and
``seed`` (one int per fit, drawn from ``random_state``), from which it seeds every
initialiser: that is what makes two fits identical. To keep the build fast: 5,000
MNIST training images, a short search, 2,000 test images.
"""

# %%
import keras
import numpy as np

import skmnist


def residual_cnn(meta, seed, filters=16, blocks=1):
    """A strided stem, ``blocks`` residual blocks, global pooling, softmax."""
    seeds = np.random.default_rng(seed)

    def he():
        return keras.initializers.HeNormal(seed=int(seeds.integers(2**31)))

    def conv(x, strides=1):
        x = keras.layers.Conv2D(
            filters, 3, strides, padding="same", use_bias=False, kernel_initializer=he()
        )(x)
        # a short training run: moving statistics that follow the batches sooner
        return keras.layers.BatchNormalization(momentum=0.9)(x)

    inputs = keras.Input(shape=meta["X_shape_"][1:])  # (28, 28, 1) after the reshaper
    x = keras.layers.Activation("relu")(conv(inputs, strides=2))  # 14 x 14
    x = keras.layers.MaxPooling2D()(x)  # 7 x 7: each pooled unit sees most of a stroke
    for _ in range(blocks):
        y = conv(keras.layers.Activation("relu")(conv(x)))
        x = keras.layers.Activation("relu")(keras.layers.Add()([x, y]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(
        meta["n_classes_"],
        activation="softmax",
        kernel_initializer=keras.initializers.GlorotUniform(int(seeds.integers(2**31))),
    )(x)
    return keras.Model(inputs, outputs, name="residual_cnn")


mnist = skmnist.load_mnist()
X, y = mnist.X_train[:5000], mnist.y_train[:5000]
X_test, y_test = mnist.X_test[:2000], mnist.y_test[:2000]

# %%
# The network in a pipeline
# -------------------------
# ``make_mnist_pipeline`` puts the image step in front (images keep their shape,
# scaled to [0, 1]); ``model__filters`` is a parameter of the pipeline like any
# other. The same ``random_state`` gives the same network, to the bit.
pipe = skmnist.make_mnist_pipeline(
    residual_cnn, model__filters=16, epochs=4, learning_rate=0.01, random_state=0
)
pipe.fit(X, y)
print(f"test accuracy: {pipe.score(X_test, y_test):.4f}")
print(pipe[-1].summary())

# %%
# Searching the builder's arguments
# ---------------------------------
# :class:`skmnist.PrunedSearchCV` trains each trial epoch by epoch and prunes the
# ones that fall behind. The space: the training parameters every network shares
# (:func:`skmnist.training_search_space`) plus the builder's own ``filters`` and
# ``blocks``, addressed as ``classifier__model__<argument>``.


def space(trial):
    return {
        **skmnist.training_search_space(trial),
        "classifier__model__filters": trial.suggest_categorical("filters", [8, 16]),
        "classifier__model__blocks": trial.suggest_int("blocks", 1, 2),
    }


search = skmnist.PrunedSearchCV(
    pipe, space, n_trials=4, cv=0.2, max_epochs=3, random_state=0, verbose=1
)
search.fit(X, y)
print("best parameters:", search.best_params_)
print(
    f"test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.4f}"
)

# %%
# Exported to ONNX, predicted without TensorFlow
# ----------------------------------------------
# The exporter walks the network's graph: the residual additions, the batch
# normalisations (folded into the convolutions before them) and the global
# pooling become one ONNX graph with the pixel scaling and the class labels.
# ``skmnist serve model.onnx`` serves that file as it serves a built-in family's.
import os
import tempfile

path = os.path.join(tempfile.mkdtemp(), "residual.onnx")
skmnist.export_onnx(search.best_estimator_, path)
onnx_model = skmnist.OnnxClassifier(path)
gap = np.abs(
    onnx_model.predict_proba(X_test) - search.best_estimator_.predict_proba(X_test)
).max()
same = (onnx_model.predict(X_test) == search.predict(X_test)).mean()
print(f"ONNX against Keras: max |dp| = {gap:.1e}, same class for {same:.2%}")

# %%
# Your network in everything skmnist has
# --------------------------------------
# The fitted pipeline plots, reports, pickles and serves like the built-in
# families' (``skmnist.save_model``, ``skmnist serve``); on the command line the
# same builder trains with ``skmnist train --model mymodule:residual_cnn``. The
# training curves of the refitted best network:
display = skmnist.TrainingCurvesDisplay.from_estimator(search.best_estimator_)
