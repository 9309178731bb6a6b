"""Pieces every skmnist network shares: activations, optimizers, layer seeds.

The architectures themselves live in :mod:`skmnist.models` (``mlp.py``, ``cnn.py``),
each beside its estimator. Keras is imported inside the functions: importing this
module is cheap.
"""

import contextlib

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

SCHEDULES = ("constant", "cosine", "one-cycle")

DTYPE_POLICIES = ("float32", "mixed_bfloat16")


@contextlib.contextmanager
def dtype_policy_scope(name):
    """Keras's default dtype policy set to ``name`` inside the block, then restored.

    Layers take the default policy when they are created, so a network built
    inside the block computes in ``name``. Keras keeps the policy in
    thread-local state: other threads are not affected.
    """
    if name == "float32":  # the default: touch nothing
        yield
        return
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def make_schedule(name, learning_rate, total_steps):
    """The learning rate of ``learning_rate_schedule=name`` over ``total_steps``.

    A float for ``"constant"`` (the optimizer's plain rate, as before), else a
    Keras ``CosineDecay`` of the optimizer's step counter: ``"cosine"`` from
    ``learning_rate`` to 0; ``"one-cycle"`` with a linear warm-up from
    ``learning_rate / 25`` over 30% of the steps, then a cosine decay to
    ``learning_rate / 250000`` (PyTorch's ``OneCycleLR`` defaults).

    Examples
    --------
    >>> make_schedule("constant", 0.01, 100)
    0.01
    >>> schedule = make_schedule("one-cycle", 0.01, 100)
    >>> [round(float(schedule(step)), 6) for step in (0, 30, 100)]
    [0.0004, 0.01, 0.0]
    """
    if name == "constant":
        return learning_rate
    import keras

    total_steps = max(int(total_steps), 1)
    if name == "cosine":
        return keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=total_steps, alpha=0.0
        )
    warmup = int(round(0.3 * total_steps))
    return keras.optimizers.schedules.CosineDecay(
        learning_rate / 25,
        decay_steps=max(total_steps - warmup, 1),
        alpha=1 / 1e4 / 25,  # of warmup_target: learning_rate / 250000
        warmup_target=learning_rate,
        warmup_steps=warmup,
    )


def layer_seeds(seed, n_layers):
    """Independent integer seeds for the initialisers and dropout of each layer.

    Derived from one seed with :class:`numpy.random.SeedSequence`, so that every
    layer gets its own stream and nothing global (TensorFlow's or NumPy's seed) is
    read or written.
    """
    state = np.random.SeedSequence(seed).generate_state(2 * n_layers, dtype=np.uint32)
    # Keras wants Python ints below 2**31
    return [int(s) >> 1 for s in state]


def make_optimizer(
    name, learning_rate, momentum=0.0, nesterov=False, weight_decay=None, **kwargs
):
    """A fresh Keras optimizer from its lowercase name and a learning rate.

    ``momentum`` and ``nesterov`` are those of ``"sgd"`` (Keras's SGD, whose update
    is ``MLPClassifier``'s ``solver="sgd"`` update) and ignored by the others;
    ``weight_decay`` is Keras's decoupled decay (None: the optimizer's default);
    ``kwargs`` are any other arguments of the optimizer's class (routed as
    ``optimizer__name=value``), and win.

    Examples
    --------
    >>> make_optimizer("adam", 0.01, weight_decay=1e-4).weight_decay
    0.0001
    """
    import keras

    options = {"learning_rate": learning_rate}
    if name == "sgd":
        options.update(momentum=momentum, nesterov=nesterov)
    if weight_decay is not None:
        options["weight_decay"] = weight_decay
    options.update(kwargs)
    return getattr(keras.optimizers, OPTIMIZERS[name])(**options)
