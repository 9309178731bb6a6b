"""Network builders for the tests, written as a user of KerasImageClassifier would.

Module-level functions, so that estimators holding them pickle.
"""

import numpy as np


def _initializers(seed):
    """A new seeded Glorot initialiser per call, all derived from ``seed``."""
    import keras

    seeds = np.random.default_rng(seed)

    def glorot():
        return keras.initializers.GlorotUniform(seed=int(seeds.integers(2**31)))

    return glorot


def small_network(meta, seed, units=16, dropout=0.0):
    """Flatten, one hidden ReLU layer (and dropout), softmax; every layer seeded."""
    import keras

    glorot = _initializers(seed)
    inputs = keras.Input(shape=meta["X_shape_"][1:])
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(units, activation="relu", kernel_initializer=glorot())(x)
    if dropout:
        x = keras.layers.Dropout(dropout, seed=int(seed) % 2**31)(x)
    outputs = keras.layers.Dense(
        meta["n_classes_"], activation="softmax", kernel_initializer=glorot()
    )(x)
    return keras.Model(inputs, outputs)


def residual_network(meta, seed, filters=8):
    """A small residual convnet with batch normalisation, on (h, w) images."""
    import keras

    glorot = _initializers(seed)
    height, width = meta["X_shape_"][1:3]
    inputs = keras.Input(shape=(height, width, 1))
    x = keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer=glorot())(
        inputs
    )
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    y = keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer=glorot())(x)
    y = keras.layers.BatchNormalization()(y)
    x = keras.layers.Activation("relu")(keras.layers.Add()([x, y]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(
        meta["n_classes_"], activation="softmax", kernel_initializer=glorot()
    )(x)
    return keras.Model(inputs, outputs)


def regularised_network(meta, seed, l2=0.01):
    """One softmax layer with an L2 kernel regulariser."""
    import keras

    inputs = keras.Input(shape=meta["X_shape_"][1:])
    x = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(
        meta["n_classes_"],
        activation="softmax",
        kernel_initializer=_initializers(seed)(),
        kernel_regularizer=keras.regularizers.L2(l2),
    )(x)
    return keras.Model(inputs, outputs)


def compiled_network(meta, compile_kwargs, seed, loss=None):
    """small_network compiled as scikeras's examples do (loss overridable)."""
    model = small_network(meta, seed)
    model.compile(**{**compile_kwargs, **({"loss": loss} if loss else {})})
    return model


def scikeras_style(meta, hidden=16, **kwargs):
    """A builder in scikeras's tutorial style: ``**kwargs``, no seed used."""
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(meta["n_features_in_"],)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )
    return model


def logits_network(meta, seed):
    """Wrong on purpose: no softmax on the output."""
    import keras

    inputs = keras.Input(shape=meta["X_shape_"][1:])
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(meta["n_classes_"])(x))


def wrong_classes_network(meta, seed):
    """Wrong on purpose: one output unit too many."""
    import keras

    inputs = keras.Input(shape=meta["X_shape_"][1:])
    x = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(meta["n_classes_"] + 1, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def fixed_input_network(meta, seed):
    """Wrong for anything but 784 values per sample: a hard-coded input shape."""
    import keras

    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(meta["n_classes_"], activation="softmax")(x)
    return keras.Model(inputs, outputs)


def not_a_model(meta):
    """Wrong on purpose: returns no model."""
    return "a network"
