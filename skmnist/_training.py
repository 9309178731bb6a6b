"""Training and running the Keras network fast, reproducibly, without global state.

Two things live here.

**Shuffling.** Keras shuffles NumPy input with ``tf.random.shuffle``, whose order
depends on TensorFlow's global seed: the caller's state would leak into our results,
and seeding it would change the caller's state. Instead each epoch's order is a NumPy
permutation drawn from ``(seed, epoch)``. So epoch ``e`` sees the same order whether it
is trained by one ``fit`` or by the ``e``-th ``partial_fit``.

**Compiled functions.** ``Model.fit`` runs one small graph per batch, and for this
network (0.2 MFLOP per sample) Keras's per-step dispatch costs more than the
arithmetic: about 2.5 s per MNIST epoch on two cores, where the matrix products alone
take 0.5 s. ``steps_per_execution`` only gets to about 0.6-0.7x.
:class:`CompiledNetwork` instead compiles a *whole epoch* into one ``tf.function``:
the batch loop is a graph ``while`` loop that gathers each batch from the full
training tensor by index, runs the model in training mode (dropout draws from the
layers' own seed generators), and applies the model's own Keras optimizer to its
trainable variables. Python is entered once per epoch, so callbacks still run per
epoch. ``jit_compile`` (XLA) is
not used: it was 3-4x slower on this CPU.

Every function is traced once per model, with an input signature, and holds no
reference to the data: the tensors are arguments, never captured constants, so the
training set is released when ``fit`` returns.

**The L2 penalty.** ``alpha`` is an argument of the epoch graph (no retrace when it
changes) and is added to each batch's loss as scikit-learn's ``MLPClassifier`` adds
it: ``0.5 * alpha * sum(W ** 2) / batch_len`` over the kernels of
:func:`weight_layers` (never the biases). It is its own term (``_penalty``), apart
from the data loss.

**Recipes.** Augmentation (one random affine transform per training image, applied
to each gathered batch with ``ImageProjectiveTransformV3``) and label smoothing are
arguments of the same graph. The augmentation's draws are stateless, seeded from
``(seed, epoch)`` folded with the batch's number: like the shuffling, epoch ``e``
sees the same images in ``fit`` and in the ``e``-th ``partial_fit``. With every
range at 0 the transform is skipped (``tf.cond``) and with no smoothing the loss is
exactly the plain one, so results are unchanged.
"""

import functools

import numpy as np

from skmnist._compat import concrete_call_flat, tensor_from_dlpack

# rows per call of the prediction function: bounds the activations' memory
# (~1.6 kB per row for the reference network) on very large inputs
PREDICT_CHUNK = 16384


def epoch_permutations(n_samples, seed, first_epoch, n_epochs, shuffle=True):
    """Row orders for epochs ``first_epoch .. first_epoch + n_epochs - 1``.

    Returns an ``int32`` array of shape ``(n_epochs, n_samples)``.

    Examples
    --------
    >>> epoch_permutations(5, seed=0, first_epoch=0, n_epochs=2).shape
    (2, 5)
    >>> later = epoch_permutations(5, 0, 1, 1)  # epoch 1 alone: the same order
    >>> bool((later == epoch_permutations(5, 0, 0, 2)[1:]).all())
    True
    """
    if not shuffle:
        return np.tile(np.arange(n_samples, dtype=np.int32), (n_epochs, 1))
    return np.stack(
        [
            np.random.default_rng([seed, epoch]).permutation(n_samples).astype(np.int32)
            for epoch in range(first_epoch, first_epoch + n_epochs)
        ]
    )


def weight_layers(model):
    """The layers of ``model`` that hold a kernel (dense, convolution), in order.

    Their kernels are what ``alpha`` penalises and what ``coefs_`` shows; nested
    models are walked into.
    """
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found.extend(weight_layers(layer))
        elif getattr(layer, "kernel", None) is not None:
            found.append(layer)
    return found


class CompiledNetwork:
    """Whole-epoch training, evaluation and prediction graphs of one compiled model.

    Parameters
    ----------
    model : keras.Model
        A compiled model with one input, of any per-sample shape (``(n_features,)``
        for the perceptron, ``(height, width, 1)`` for the convnet), and a softmax
        output; its optimizer is used for training.

    Attributes
    ----------
    input_shape : tuple of int
        Shape of one sample, read from the model (``model.inputs[0].shape[1:]``).

    Notes
    -----
    The loss is sparse categorical cross-entropy with Keras's ``sum_over_batch_size``
    reduction (weighted per-sample losses summed, divided by the batch's length),
    plus the model's own ``model.losses`` (regularisers), as ``Model.fit`` computes
    it, plus the L2 penalty ``0.5 * alpha * sum(W ** 2) / batch_len`` on the
    kernels; the logged epoch ``loss`` (penalties included) is the mean of the batch
    losses weighted by batch length and ``accuracy`` the sample-weighted share of
    correct predictions, as Keras's metrics report them. Evaluation adds
    ``model.losses`` as Keras's ``evaluate`` does, but not the ``alpha`` penalty.
    """

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        self.input_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        matrix = tf.TensorSpec([None, *self.input_shape], tf.float32)
        vector = tf.TensorSpec([None], tf.float32)
        labels = tf.TensorSpec([None], tf.int32)
        order = tf.TensorSpec([None], tf.int32)
        scalar = tf.TensorSpec([], tf.int32)
        strength = tf.TensorSpec([], tf.float32)
        self._kernels = [layer.kernel for layer in weight_layers(model)]
        # the square image a sample is augmented as (None: it is not an image)
        self.image_shape = augmentable_shape(self.input_shape)
        # partial objects, not methods or lambdas: tf.function counts traces per
        # code object and would warn about "excessive retracing" when many models
        # (a grid search) each trace theirs once.
        self._train_epoch = tf.function(
            functools.partial(self._train_epoch_graph),
            input_signature=[
                matrix,
                labels,
                vector,
                order,
                scalar,
                strength,
                tf.TensorSpec([3], tf.float32),  # shift, rotation (rad), zoom
                strength,  # label smoothing
                tf.TensorSpec([2], tf.int64),  # (seed, epoch) of the augmentation
            ],
        )
        self._evaluate = tf.function(
            functools.partial(self._evaluate_graph),
            input_signature=[matrix, labels, vector],
        )
        self._predict = tf.function(
            lambda X: tf.cast(model(X, training=False), tf.float32),
            input_signature=[matrix],
        )
        self._predict_concrete = None

    # --- graphs ------------------------------------------------------------------
    def _penalty(self, alpha, size):
        """MLPClassifier's L2 term for one batch of ``size`` rows (kernels only)."""
        import tensorflow as tf

        if not self._kernels:
            return tf.constant(0.0)
        squares = tf.add_n([tf.reduce_sum(tf.square(k)) for k in self._kernels])
        return 0.5 * alpha * squares / size

    def _augment(self, xb, ranges, seed):
        """``xb`` with one random affine transform per image (training only).

        ``ranges`` is (shift in pixels, rotation in radians, zoom fraction);
        the draws are stateless, from ``seed`` alone. The transform maps each
        output pixel back to the input (bilinear, zeros outside), about the
        image's centre: ``in = R(-angle) (out - centre - shift) / scale + centre``.
        """
        import tensorflow as tf

        height, width, channels = self.image_shape
        images = tf.reshape(xb, [-1, height, width, channels])
        n = tf.shape(images)[0]
        draws = tf.random.stateless_uniform([n, 4], seed, minval=-1.0, maxval=1.0)
        shift_x = draws[:, 0] * ranges[0]
        shift_y = draws[:, 1] * ranges[0]
        angle = draws[:, 2] * ranges[1]
        scale = 1.0 + draws[:, 3] * ranges[2]
        cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        ox, oy = cx + shift_x, cy + shift_y
        zeros = tf.zeros_like(cos)
        transforms = tf.stack(
            [
                cos,
                sin,
                cx - cos * ox - sin * oy,
                -sin,
                cos,
                cy + sin * ox - cos * oy,
                zeros,
                zeros,
            ],
            axis=1,
        )
        moved = tf.raw_ops.ImageProjectiveTransformV3(
            images=images,
            transforms=transforms,
            output_shape=tf.constant([height, width], tf.int32),
            fill_value=tf.constant(0.0),
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )
        return tf.reshape(moved, tf.shape(xb))

    def _smoothed_loss(self, yb, proba, smoothing):
        """Per-sample cross-entropy with labels smoothed by ``smoothing``.

        ``(1 - s) * CE(y) + s * mean_k(-log p_k)``, which is Keras's
        ``label_smoothing``; at ``s = 0`` it is exactly the plain loss (the
        second term is finite: probabilities are clipped as Keras clips them).
        """
        import keras
        import tensorflow as tf

        plain = keras.losses.sparse_categorical_crossentropy(yb, proba)
        eps = keras.config.epsilon()
        uniform = -tf.reduce_mean(
            tf.math.log(tf.clip_by_value(proba, eps, 1.0 - eps)), axis=-1
        )
        return (1.0 - smoothing) * plain + smoothing * uniform

    def _train_epoch_graph(
        self, X, y, w, order, batch_size, alpha, ranges, smoothing, seed
    ):
        import tensorflow as tf

        model, optimizer = self.model, self.model.optimizer
        variables = model.trainable_variables
        n = tf.shape(order)[0]
        n_batches = (n + batch_size - 1) // batch_size
        loss_sum = tf.constant(0.0)
        correct = tf.constant(0.0)
        weight_sum = tf.constant(0.0)
        for i in tf.range(n_batches):  # autograph: a graph while loop
            rows = order[i * batch_size : (i + 1) * batch_size]
            xb, yb, wb = tf.gather(X, rows), tf.gather(y, rows), tf.gather(w, rows)
            size = tf.cast(tf.shape(rows)[0], tf.float32)
            if self.image_shape is not None:
                batch_seed = tf.random.experimental.stateless_fold_in(
                    seed, tf.cast(i, tf.int64)
                )
                xb = tf.cond(
                    tf.reduce_any(ranges > 0),
                    lambda xb=xb, s=batch_seed: self._augment(xb, ranges, s),
                    lambda xb=xb: xb,
                )
            with tf.GradientTape() as tape:
                # float32 whatever the layers compute in (dtype_policy)
                proba = tf.cast(model(xb, training=True), tf.float32)
                losses = self._smoothed_loss(yb, proba, smoothing)
                loss = (
                    tf.reduce_sum(losses * wb) / size
                    + _added_losses(model)
                    + self._penalty(alpha, size)
                )
            grads = tape.gradient(loss, variables)
            if tf.distribute.has_strategy():
                optimizer.apply(grads, variables)
            else:
                # Keras all-reduces the gradients first; with no strategy that is an
                # identity, but tf.distribute wraps it in a tf.custom_gradient, which
                # registers a gradient function in TensorFlow's global registry at
                # every trace, never removed: it would keep this whole graph (and
                # the model) alive after fit. In merge_call's cross-replica context
                # Keras skips the all-reduce; the update is the same.
                tf.distribute.get_replica_context().merge_call(
                    lambda _, grads=grads: optimizer.apply(grads, variables)
                )
            hits = tf.cast(
                tf.equal(tf.argmax(proba, 1, output_type=tf.int32), yb), tf.float32
            )
            loss_sum += loss * size
            correct += tf.reduce_sum(hits * wb)
            weight_sum += tf.reduce_sum(wb)
        return {
            "loss": loss_sum / tf.cast(n, tf.float32),
            "accuracy": tf.math.divide_no_nan(correct, weight_sum),
        }

    def _evaluate_graph(self, X, y, w):
        import keras
        import tensorflow as tf

        proba = tf.cast(self.model(X, training=False), tf.float32)
        losses = keras.losses.sparse_categorical_crossentropy(y, proba)
        hits = tf.cast(
            tf.equal(tf.argmax(proba, 1, output_type=tf.int32), y), tf.float32
        )
        return {
            "loss": tf.reduce_sum(losses * w) / tf.cast(tf.shape(y)[0], tf.float32)
            + _added_losses(self.model),
            "correct": tf.reduce_sum(hits * w),
            "weight": tf.reduce_sum(w),
        }

    # --- Python entry points ---------------------------------------------------
    def train_epoch(
        self,
        X,
        y,
        w,
        order,
        batch_size,
        alpha=0.0,
        *,
        shift_range=0.0,
        rotation_range=0.0,
        zoom_range=0.0,
        label_smoothing=0.0,
        seed=0,
        epoch=0,
    ):
        """Train one epoch over ``X[order]``; return ``{"loss", "accuracy"}`` floats.

        ``X``, ``y``, ``w`` are tensors (converted once per ``fit``); ``alpha`` is
        the strength of the L2 penalty on the kernels. The ranges augment each
        training batch (pixels, degrees, zoom fraction; 0 for none), drawn from
        ``(seed, epoch)`` and the batch's number; ``label_smoothing`` smooths
        the loss's targets.
        """
        augment = shift_range > 0 or rotation_range > 0 or zoom_range > 0
        if augment and self.image_shape is None:
            raise ValueError(
                f"shift_range, rotation_range and zoom_range augment images, but "
                f"this network takes samples of shape {self.input_shape}, which "
                "are not images (flat rows must hold a square image of s * s "
                "pixels). Set the three ranges to 0, or give images."
            )
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        ranges = np.array(
            [shift_range, np.deg2rad(rotation_range), zoom_range], dtype=np.float32
        )
        logs = self._train_epoch(
            X,
            y,
            w,
            order,
            np.int32(batch_size),
            np.float32(alpha),
            ranges,
            np.float32(label_smoothing),
            np.array([seed, epoch], dtype=np.int64),
        )
        return {key: float(value) for key, value in logs.items()}

    def evaluate(self, X, y, w):
        """Validation ``{"loss", "accuracy"}`` in one call.

        The accuracy is divided in float64, as ``accuracy_score`` does: on a
        validation set with unit weights (the counts are exact in float32) it is
        the fitted model's ``score`` on that set, to the last bit.
        """
        out = {key: float(value) for key, value in self._evaluate(X, y, w).items()}
        weight = out.pop("weight")
        correct = out.pop("correct")
        out["accuracy"] = correct / weight if weight else 0.0
        return out

    def predict(self, X):
        """Probabilities of a C-contiguous float32 array, as a NumPy array."""
        import tensorflow as tf

        if self._predict_concrete is None:
            self._predict_concrete = _fast_caller(self._predict.get_concrete_function())
        run = self._predict_concrete
        if len(X) <= PREDICT_CHUNK:
            # converting first is faster than letting the function convert
            return run(tf.convert_to_tensor(X)).numpy()
        return np.concatenate(
            [
                run(tf.convert_to_tensor(X[start : start + PREDICT_CHUNK])).numpy()
                for start in range(0, len(X), PREDICT_CHUNK)
            ]
        )


def augmentable_shape(input_shape):
    """The ``(height, width, channels)`` image a sample is augmented as, or None.

    Images ``(h, w, c)`` and ``(h, w)`` are themselves; flat rows of ``s * s``
    values are ``s x s`` images (the square rule of ``KerasCNNClassifier``);
    anything else (a one-pixel strip included) is not an image.

    Examples
    --------
    >>> augmentable_shape((784,)), augmentable_shape((8, 8)), augmentable_shape((10,))
    ((28, 28, 1), (8, 8, 1), None)
    """
    shape = tuple(int(d) for d in input_shape)
    if len(shape) == 1:
        side = int(round(shape[0] ** 0.5))
        shape = (side, side, 1) if side * side == shape[0] else (1, shape[0], 1)
    elif len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3 or min(shape[:2]) < 2:
        return None
    return shape


def _added_losses(model):
    """The model's own losses (weight and activity regularisers), summed, or 0.

    ``Model.fit`` adds ``model.losses`` to the loss of every batch, and so does
    evaluation: a network built with ``kernel_regularizer`` trains as in Keras.
    Read after the forward pass, so activity regularisers of that pass count.
    """
    import tensorflow as tf

    losses = model.losses
    return tf.add_n(losses) if losses else tf.constant(0.0)


def _fast_caller(concrete):
    """A callable running ``concrete`` on one tensor with the least overhead.

    Calling the concrete function skips ``tf.function``'s signature matching; its
    ``_call_flat`` also skips re-binding the structured arguments (about 0.1 ms,
    a tenth of a one-image pipeline prediction). ``_call_flat`` is private, so the
    public call is the fallback if it is missing or behaves differently.
    """
    found = concrete_call_flat(concrete)
    if found is None:
        return concrete
    call_flat, captured = found

    def run(x):
        return call_flat([x], captured)

    try:
        import tensorflow as tf

        probe = tf.zeros([1, *concrete.inputs[0].shape[1:]], tf.float32)
        if np.array_equal(run(probe).numpy(), concrete(probe).numpy()):
            return run
    except Exception:  # noqa: BLE001 - any surprise: use the public call
        pass
    return concrete


def to_tensors(X, y, sample_weight):
    """Training arrays as the tensors :class:`CompiledNetwork` takes.

    ``X`` must already be float32; labels become int32 and missing weights ones
    (multiplying by 1.0 is exact, so unweighted results are unchanged).
    """
    import tensorflow as tf

    y = np.asarray(y).reshape(len(X)).astype(np.int32, copy=False)
    if sample_weight is None:
        sample_weight = np.ones(len(X), dtype=np.float32)
    w = np.asarray(sample_weight, dtype=np.float32).reshape(len(X))
    return _shared_tensor(X), tf.convert_to_tensor(y), tf.convert_to_tensor(w)


def _shared_tensor(X):
    """``X`` as a tensor, sharing its memory when TensorFlow can.

    ``tf.convert_to_tensor`` copies an array twice over (a NumPy copy, then an
    aligned TensorFlow buffer): two extra copies of MNIST's 188 MB at the peak.
    TensorFlow's kernels need 64-byte aligned data, which a large NumPy array never
    is (``malloc`` gives 16), so an unaligned ``X`` is copied once into an aligned
    buffer and handed over through DLPack without another copy. The tensor is only
    read, and only during ``fit``.
    """
    import tensorflow as tf

    if not (X.flags.c_contiguous and X.flags.writeable and X.ctypes.data % 64 == 0):
        buffer = np.empty(X.size + 64 // X.itemsize, dtype=X.dtype)
        start = (-buffer.ctypes.data % 64) // X.itemsize
        aligned = buffer[start : start + X.size].reshape(X.shape)
        np.copyto(aligned, X)
        X = aligned
    try:
        return tensor_from_dlpack(X)
    except (AttributeError, BufferError, TypeError, ValueError):
        return tf.convert_to_tensor(X)
