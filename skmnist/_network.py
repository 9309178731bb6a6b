"""Pieces every skmnist network shares: activations, optimizers, layer seeds.

The architectures themselves live in :mod:`skmnist.models` (``mlp.py``, ``cnn.py``),
each beside its estimator. Keras is imported inside the functions: importing this
module is cheap.
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


def make_optimizer(name, learning_rate, momentum=0.0, nesterov=False, **kwargs):
    """A fresh Keras optimizer from its lowercase name and a learning rate.

    ``momentum`` and ``nesterov`` are those of ``"sgd"`` (Keras's SGD, whose update
    is ``MLPClassifier``'s ``solver="sgd"`` update) and ignored by the others;
    ``kwargs`` are any other arguments of the optimizer's class (routed as
    ``optimizer__name=value``), and win.
    """
    import keras

    options = {"learning_rate": learning_rate}
    if name == "sgd":
        options.update(momentum=momentum, nesterov=nesterov)
    options.update(kwargs)
    return getattr(keras.optimizers, OPTIMIZERS[name])(**options)
