"""Building the Keras network behind :class:`skmnist.KerasMLPClassifier`.

Kept apart from the estimator so that the architecture can be read (and tested) on
its own. Keras is imported inside the functions: importing this module is cheap.
"""

import numpy as np

# sklearn's MLPClassifier names, mapped to Keras's, plus Keras's own common names
ACTIVATIONS = {
    "relu": "relu",
    "tanh": "tanh",
    "logistic": "sigmoid",
    "sigmoid": "sigmoid",
    "identity": "linear",
    "linear": "linear",
    "elu": "elu",
    "gelu": "gelu",
    "selu": "selu",
    "swish": "swish",
}

OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
    "adagrad": "Adagrad",
}


def layer_seeds(seed, n_layers):
    """Independent integer seeds for the initialisers and dropout of each layer.

    Derived from one seed with :class:`numpy.random.SeedSequence`, so that every
    layer gets its own stream and nothing global (TensorFlow's or NumPy's seed) is
    read or written.
    """
    state = np.random.SeedSequence(seed).generate_state(2 * n_layers, dtype=np.uint32)
    # Keras wants Python ints below 2**31
    return [int(s) >> 1 for s in state]


def count_parameters(n_features, hidden_layer_sizes, n_classes):
    """Number of trainable parameters of the dense network (weights and biases).

    Examples
    --------
    >>> count_parameters(784, (256, 128), 10)
    235146
    """
    sizes = [n_features, *hidden_layer_sizes, n_classes]
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    return sum((n_in + 1) * n_out for n_in, n_out in pairs)


def build_mlp(
    n_features, n_classes, hidden_layer_sizes, activation, dropout, seed, name=None
):
    """Return the uncompiled dense network.

    ``Dense(h) -> activation -> Dropout(dropout)`` for every hidden layer but the
    last, which has no dropout, then a ``Dense(n_classes)`` softmax output. At
    ``hidden_layer_sizes=(256, 128)`` and ``dropout=0.2`` this is exactly the
    reference MNIST model: 235,146 parameters.
    """
    import keras

    sizes = tuple(hidden_layer_sizes)
    seeds = iter(layer_seeds(seed, len(sizes) + 1))
    layers = [keras.Input(shape=(n_features,), name="pixels")]
    for i, units in enumerate(sizes):
        layers.append(
            keras.layers.Dense(
                units,
                activation=ACTIVATIONS[activation],
                kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
                name=f"hidden_{i + 1}",
            )
        )
        drop_seed = next(seeds)
        if dropout > 0 and i < len(sizes) - 1:
            layers.append(
                keras.layers.Dropout(dropout, seed=drop_seed, name=f"dropout_{i + 1}")
            )
    layers.append(
        keras.layers.Dense(
            n_classes,
            activation="softmax",
            kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
            name="output",
        )
    )
    return keras.Sequential(layers, name=name or "mlp")


def make_optimizer(name, learning_rate):
    """A fresh Keras optimizer from its lowercase name and a learning rate."""
    import keras

    return getattr(keras.optimizers, OPTIMIZERS[name])(learning_rate=learning_rate)
