"""Feeding training data to Keras reproducibly, without global random state.

Keras shuffles NumPy input with ``tf.random.shuffle``, whose order depends on
TensorFlow's global seed: the caller's state would leak into our results, and
seeding it would change the caller's state. Instead each epoch's order is a NumPy
permutation drawn from ``(seed, epoch)``. So epoch ``e`` sees the same order whether
it is trained by one ``fit`` or by the ``e``-th ``partial_fit``.
"""

import numpy as np


def epoch_permutations(n_samples, seed, first_epoch, n_epochs, shuffle=True):
    """Row orders for epochs ``first_epoch .. first_epoch + n_epochs - 1``.

    Returns an ``int32`` array of shape ``(n_epochs, n_samples)``.

    Examples
    --------
    >>> epoch_permutations(5, seed=0, first_epoch=0, n_epochs=2).shape
    (2, 5)
    >>> (epoch_permutations(5, 0, 1, 1) == epoch_permutations(5, 0, 0, 2)[1:]).all()
    np.True_
    """
    if not shuffle:
        return np.tile(np.arange(n_samples, dtype=np.int32), (n_epochs, 1))
    return np.stack(
        [
            np.random.default_rng([seed, epoch]).permutation(n_samples).astype(np.int32)
            for epoch in range(first_epoch, first_epoch + n_epochs)
        ]
    )


def make_dataset(X, y, sample_weight, batch_size, permutations):
    """A ``tf.data.Dataset`` of ``(X, y[, w])`` batches, epoch after epoch.

    Batches never straddle two epochs, so ``len(dataset)`` is
    ``n_epochs * ceil(n_samples / batch_size)``.
    """
    import tensorflow as tf

    tensors = [tf.convert_to_tensor(X), tf.convert_to_tensor(y)]
    if sample_weight is not None:
        tensors.append(tf.convert_to_tensor(sample_weight))

    def gather(index):
        return tuple(tf.gather(t, index) for t in tensors)

    epochs = tf.data.Dataset.from_tensor_slices(permutations)
    batches = epochs.flat_map(
        lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
    )
    return batches.map(gather).prefetch(2)
