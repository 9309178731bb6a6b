"""ONNX export of any Keras graph: the walk, each layer converter, the refusals.

Parity is checked for both onnxruntime and onnx's own reference evaluator
(``onnx.reference.ReferenceEvaluator``, a NumPy implementation of the standard): a
residual network with batch normalisation on the MNIST test set, and one small
network per converter (its padding, stride and dilation variants side by side) on
scikit-learn's 8 x 8 digits.
"""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx.reference import ReferenceEvaluator
from sklearn.datasets import load_digits

from skmnist import make_mnist_pipeline
from skmnist._network import layer_seeds
from skmnist.models._base import BaseKerasClassifier
from skmnist.models.cnn import image_shape
from skmnist.onnx import OnnxClassifier, export_onnx, to_onnx

keras = pytest.importorskip("keras")
L = keras.layers

N_REFERENCE = 500  # test images through the (slow, pure NumPy) reference evaluator


class GraphClassifier(BaseKerasClassifier):
    """A skmnist estimator around the Keras graph that ``build`` returns.

    A stand-in for an estimator taking the user's network: ``build(input_shape,
    n_classes, seed)`` is set per subclass by :func:`estimator_for`.
    """

    _allow_nd = True  # images in, reshaped to (n, h, w, 1) as the CNN does

    def _network_input(self, X):
        return X.reshape(len(X), *image_shape(X.shape[1:]))

    def _build_network(self, input_shape, n_classes, seed):
        return self.build(input_shape, n_classes, seed)


def estimator_for(build, **params):
    cls = type("GraphClassifier", (GraphClassifier,), {"build": staticmethod(build)})
    return cls(random_state=0, **params)


def _initializers(seed):
    """A fresh seeded initializer per call: every layer its own stream."""
    seeds = iter(layer_seeds(seed, 64))
    return lambda: keras.initializers.GlorotUniform(seed=next(seeds))


def _batch_norm(seed, **kwargs):
    """Batch norm starting from non-trivial statistics, so folding them shows."""
    uniform = keras.initializers.RandomUniform
    return L.BatchNormalization(
        momentum=0.9,
        gamma_initializer=uniform(0.5, 1.5, seed=seed),
        beta_initializer=uniform(-0.5, 0.5, seed=seed + 1),
        moving_mean_initializer=uniform(-0.5, 0.5, seed=seed + 2),
        moving_variance_initializer=uniform(0.5, 2.0, seed=seed + 3),
        **kwargs,
    )


def residual_network(input_shape, n_classes, seed):
    """A small residual CNN with batch norm: folded, after a merge, and in a block."""
    init = _initializers(seed)
    inputs = keras.Input(input_shape)
    x = L.Conv2D(16, 3, padding="same", use_bias=False, kernel_initializer=init())(
        inputs
    )
    x = L.ReLU()(_batch_norm(seed)(x))  # folded into the convolution
    for block in range(2):
        y = L.Conv2D(16, 3, padding="same", kernel_initializer=init())(x)
        y = L.Activation("relu")(_batch_norm(seed + 10 * block + 4)(y))
        y = L.DepthwiseConv2D(3, padding="same", depthwise_initializer=init())(y)
        y = _batch_norm(seed + 10 * block + 8)(y)
        x = L.Add()([x, y])  # the shortcut
    x = _batch_norm(seed + 30)(x)  # after a merge: an explicit BatchNormalization
    x = L.MaxPooling2D()(x)
    z = L.SeparableConv2D(
        16,
        3,
        strides=2,
        padding="same",
        depthwise_initializer=init(),
        pointwise_initializer=init(),
    )(x)
    z = L.ReLU()(_batch_norm(seed + 40)(z))
    w = L.AveragePooling2D(3, strides=2, padding="same")(x)
    w = L.Conv2D(8, 1, kernel_initializer=init())(w)
    x = L.Concatenate()([z, w])
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(0.2, seed=seed)(x)
    outputs = L.Dense(n_classes, activation="softmax", kernel_initializer=init())(x)
    return keras.Model(inputs, outputs, name="residual")


@pytest.fixture(scope="module")
def residual(mnist, tmp_path_factory):
    """``(pipeline, onnx path)``: the residual CNN, 2 epochs on 5,000 MNIST images."""
    pipe = make_mnist_pipeline(model="cnn")  # its ImageReshaper, our network
    pipe.steps[-1] = (
        "classifier",
        estimator_for(residual_network, epochs=2, learning_rate=0.01, batch_size=64),
    )
    pipe.fit(mnist.X_train[:5000], mnist.y_train[:5000])
    return pipe, export_onnx(pipe, tmp_path_factory.mktemp("graphs") / "res.onnx")


def _reference_run(path, X):
    labels, proba = ReferenceEvaluator(onnx.load(path)).run(
        None, {"images": X.astype(np.float32)}
    )
    return labels, proba


def test_residual_network_parity_with_onnxruntime(residual, mnist):
    pipe, path = residual
    X = mnist.X_test  # all 10,000
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"images": X.astype(np.float32)})
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(labels, pipe.predict(X))
    np.testing.assert_array_equal(OnnxClassifier(path).predict(X), labels)


def test_residual_network_parity_with_the_reference_evaluator(residual, mnist):
    pipe, path = residual
    X = mnist.X_test[:N_REFERENCE]
    labels, proba = _reference_run(path, X)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(labels, pipe.predict(X))


def test_batch_norm_is_folded_where_it_can_be(residual):
    pipe, path = residual
    ops = [node.op_type for node in onnx.load(path).graph.node]
    network = pipe[-1].model_
    n_norms = sum(isinstance(layer, L.BatchNormalization) for layer in network.layers)
    # six follow a convolution and are folded into it; the one after Add is not
    assert n_norms == 7 and ops.count("BatchNormalization") == 1
    # the pixel scale is folded into the first convolution: no division at all
    assert "Div" not in ops
    # image batches stay channels-first from the input to the global pooling
    assert "Transpose" not in ops


# -- one network per converter, its variants side by side -------------------------


def _branches(*make_branch):
    """A network applying each branch to the image, flattened and concatenated."""

    def build(input_shape, n_classes, seed):
        init = _initializers(seed)
        inputs = keras.Input(input_shape)
        features = [L.Flatten()(branch(inputs, init, seed)) for branch in make_branch]
        x = L.Concatenate()(features) if len(features) > 1 else features[0]
        outputs = L.Dense(n_classes, activation="softmax", kernel_initializer=init())(x)
        return keras.Model(inputs, outputs)

    return build


def _conv(filters=4, **kwargs):
    return lambda x, init, seed: L.Conv2D(filters, kernel_initializer=init(), **kwargs)(
        x
    )


ACTIVATION_NAMES = (
    "relu6",
    "leaky_relu",
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "gelu",
    "swish",
    "hard_swish",  # named in every Keras 3 (newer ones call it hard_silu)
    "mish",
    "log_softmax",
    "linear",
)


def _pool_of_conv(pool, *args, **kwargs):
    def branch(x, init, seed):
        return pool(*args, **kwargs)(
            _conv(16, kernel_size=3, activation="relu")(x, init, seed)
        )

    return branch


def _activation_on_conv(name):
    return lambda x, init, seed: L.Activation(name)(_conv(kernel_size=3)(x, init, seed))


def _merge_of_convs(merge):
    def branch(x, init, seed):
        return merge()([_conv(kernel_size=3)(x, init, seed) for _ in range(3)])

    return branch


CONVERTER_CASES = {
    "Conv2D": _branches(
        _conv(kernel_size=3),
        _conv(kernel_size=3, padding="same"),
        _conv(kernel_size=3, strides=2),
        _conv(kernel_size=3, strides=2, padding="same"),
        _conv(kernel_size=(3, 2), strides=(2, 1), padding="same"),
        _conv(kernel_size=3, dilation_rate=2),
        _conv(kernel_size=2, dilation_rate=(2, 3), padding="same"),
        _conv(kernel_size=4, strides=3, padding="same", activation="tanh"),
        lambda x, init, seed: L.Conv2D(4, 3, groups=2, kernel_initializer=init())(
            _conv(kernel_size=1)(x, init, seed)
        ),
    ),
    "DepthwiseConv2D": _branches(
        lambda x, init, seed: L.DepthwiseConv2D(
            3, depth_multiplier=3, depthwise_initializer=init()
        )(x),
        lambda x, init, seed: L.DepthwiseConv2D(
            3,
            strides=2,
            padding="same",
            activation="relu",
            depthwise_initializer=init(),
        )(_conv(kernel_size=1)(x, init, seed)),
        lambda x, init, seed: L.DepthwiseConv2D(
            2, dilation_rate=2, padding="same", depthwise_initializer=init()
        )(x),
    ),
    "SeparableConv2D": _branches(
        lambda x, init, seed: L.SeparableConv2D(
            5,
            3,
            depth_multiplier=2,
            depthwise_initializer=init(),
            pointwise_initializer=init(),
        )(_conv(kernel_size=1)(x, init, seed)),
        lambda x, init, seed: L.SeparableConv2D(
            4,
            3,
            strides=2,
            padding="same",
            use_bias=False,
            activation="relu",
            depthwise_initializer=init(),
            pointwise_initializer=init(),
        )(x),
        lambda x, init, seed: L.SeparableConv2D(
            4,
            3,
            dilation_rate=2,
            padding="same",
            depthwise_initializer=init(),
            pointwise_initializer=init(),
        )(x),
    ),
    "MaxPooling2D": _branches(
        _pool_of_conv(L.MaxPooling2D),
        _pool_of_conv(L.MaxPooling2D, 3, strides=2, padding="same"),
        _pool_of_conv(L.MaxPooling2D, (2, 3), strides=1),
    ),
    "AveragePooling2D": _branches(
        _pool_of_conv(L.AveragePooling2D, 2),
        # "same": TensorFlow averages over the real pixels only
        _pool_of_conv(L.AveragePooling2D, 3, strides=2, padding="same"),
        _pool_of_conv(L.AveragePooling2D, (3, 2), strides=(1, 2)),
    ),
    "GlobalPooling2D": _branches(
        lambda x, init, seed: x,  # the pixels too: enough to learn the digits
        _pool_of_conv(L.GlobalAveragePooling2D),
        _pool_of_conv(L.GlobalAveragePooling2D, keepdims=True),
        _pool_of_conv(L.GlobalMaxPooling2D),
    ),
    "BatchNormalization": _branches(
        # folded into a convolution, a bias-free one, and a Dense
        lambda x, init, seed: _batch_norm(seed)(_conv(kernel_size=3)(x, init, seed)),
        lambda x, init, seed: _batch_norm(seed + 4)(
            L.Conv2D(4, 3, use_bias=False, kernel_initializer=init())(x)
        ),
        lambda x, init, seed: _batch_norm(seed + 8)(
            L.Dense(6, kernel_initializer=init())(L.Flatten()(x))
        ),
        # explicit: after an activation, without scale and center, on flat rows
        lambda x, init, seed: _batch_norm(seed + 12, center=False, scale=False)(
            _conv(kernel_size=3, activation="relu")(x, init, seed)
        ),
        lambda x, init, seed: _batch_norm(seed + 16)(L.Flatten()(x)),
        # explicit: its input is used twice
        lambda x, init, seed: (lambda y: L.Add()([y, _batch_norm(seed + 20)(y)]))(
            _conv(kernel_size=3)(x, init, seed)
        ),
        # explicit: normalising another axis than the channels
        lambda x, init, seed: _batch_norm(seed + 24, axis=1)(x),
    ),
    "activation layers": _branches(
        lambda x, init, seed: L.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.2)(
            _conv(kernel_size=3)(x, init, seed)
        ),
        lambda x, init, seed: L.ReLU(max_value=6.0)(
            _conv(kernel_size=3)(x, init, seed)
        ),
        lambda x, init, seed: L.LeakyReLU(0.3)(_conv(kernel_size=3)(x, init, seed)),
        lambda x, init, seed: L.ELU(0.7)(_conv(kernel_size=3)(x, init, seed)),
        lambda x, init, seed: L.PReLU(
            alpha_initializer=keras.initializers.RandomUniform(0, 0.5, seed=seed)
        )(_conv(kernel_size=3)(x, init, seed)),
        lambda x, init, seed: L.Softmax()(_conv(kernel_size=3)(x, init, seed)),
        lambda x, init, seed: L.Softmax(axis=1)(_conv(kernel_size=3)(x, init, seed)),
        *(_activation_on_conv(name) for name in ACTIVATION_NAMES),
    ),
    "shapes": _branches(
        lambda x, init, seed: L.Reshape((4, 16))(x),
        lambda x, init, seed: L.Dense(3, kernel_initializer=init())(
            L.Reshape((-1, 8, 2))(_conv(kernel_size=3)(x, init, seed))
        ),
        # Dense on image batches: on the channel axis
        lambda x, init, seed: L.Dense(3, activation="relu", kernel_initializer=init())(
            _conv(kernel_size=3)(x, init, seed)
        ),
        lambda x, init, seed: L.Rescaling(2.0, offset=-0.5)(x),
        lambda x, init, seed: L.Rescaling([0.5, 2.0, 1.0, -1.0], offset=0.1)(
            _conv(kernel_size=3)(x, init, seed)
        ),
        lambda x, init, seed: L.SpatialDropout2D(0.3)(L.Dropout(0.5)(x)),
        lambda x, init, seed: L.ZeroPadding2D(((1, 2), (0, 1)))(x),
        lambda x, init, seed: _conv(kernel_size=3)(L.ZeroPadding2D(1)(x), init, seed),
    ),
    "merges": _branches(
        *(_merge_of_convs(merge) for merge in (L.Add, L.Average, L.Maximum)),
        *(_merge_of_convs(merge) for merge in (L.Minimum, L.Multiply)),
        lambda x, init, seed: L.Subtract()(
            [_conv(kernel_size=3)(x, init, seed), _conv(kernel_size=3)(x, init, seed)]
        ),
        # a channels-first image batch with a flat (channels-last) reshape of it
        lambda x, init, seed: L.Add()(
            [
                _conv(kernel_size=3)(x, init, seed),
                L.Reshape((6, 6, 4))(
                    L.Dense(144, kernel_initializer=init())(L.Flatten()(x))
                ),
            ]
        ),
        lambda x, init, seed: L.Concatenate(axis=1)(
            [
                _conv(kernel_size=3)(x, init, seed),
                L.MaxPooling2D(1)(_conv(kernel_size=3)(x, init, seed)),
            ]
        ),
        lambda x, init, seed: L.Concatenate()(
            [
                _conv(kernel_size=3)(x, init, seed),
                L.Reshape((6, 6, 1))(
                    L.Dense(36, kernel_initializer=init())(L.Flatten()(x))
                ),
            ]
        ),
    ),
}


def _nested(input_shape, n_classes, seed):
    """A Sequential block inside a functional model inside a Sequential model."""
    init = _initializers(seed)
    block = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            L.Conv2D(4, 3, padding="same", kernel_initializer=init()),
            _batch_norm(seed),
            L.ReLU(),
        ],
        name="block",
    )
    inputs = keras.Input(input_shape)
    x = L.Add()([block(inputs), L.Conv2D(4, 1, kernel_initializer=init())(inputs)])
    inner = keras.Model(inputs, L.Flatten()(x), name="inner")
    return keras.Sequential(
        [
            keras.Input(input_shape),
            inner,
            L.Dense(n_classes, activation="softmax", kernel_initializer=init()),
        ]
    )


CONVERTER_CASES["nested models"] = _nested


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.reshape(-1, 8, 8), y  # 0-16 intensities


@pytest.mark.parametrize("case", sorted(CONVERTER_CASES))
def test_each_converter_matches_keras_in_both_runtimes(case, digits, tmp_path):
    X, y = digits
    pipe = make_mnist_pipeline(model="cnn")
    pipe.steps[-1] = (
        "classifier",
        # trained to confident predictions, where differences show
        estimator_for(
            CONVERTER_CASES[case], epochs=3, batch_size=32, learning_rate=0.01
        ),
    )
    pipe.fit(X, y)
    path = export_onnx(pipe, tmp_path / "case.onnx")
    expected = pipe.predict_proba(X)

    clf = OnnxClassifier(path)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), pipe.predict(X))
    labels, proba = _reference_run(path, X[:200])
    np.testing.assert_allclose(proba, expected[:200], rtol=0, atol=1e-5)
    np.testing.assert_array_equal(labels, pipe.predict(X[:200]))


# -- refusals --------------------------------------------------------------------


class Doubling(L.Layer):
    """A user's own layer: the export cannot know what it computes."""

    def call(self, x):
        return 2 * x


class MyDense(L.Dense):
    """A user's subclass of a Keras layer: it may compute something else."""


def cubed(x):
    """An activation of the user's own (a function, as Keras accepts)."""
    return x * x * x


def _unsupported(input_shape, n_classes, seed):
    inputs = keras.Input(input_shape)
    x = L.Conv2D(2, 3, activation=cubed, name="odd_conv")(inputs)
    x = L.UpSampling2D(name="upsample")(x)
    x = Doubling(name="doubling")(L.Flatten()(x))
    outputs = MyDense(n_classes, activation="softmax", name="my_dense")(x)
    return keras.Model(inputs, outputs)


def test_unsupported_layers_are_refused_in_one_error_before_anything_is_written(
    digits, tmp_path
):
    X, y = digits
    model = estimator_for(_unsupported, epochs=1).fit(X, y)
    with pytest.raises(ValueError) as error:
        export_onnx(model, tmp_path / "refused.onnx")
    message = str(error.value)
    for named in (
        "'odd_conv' (Conv2D): activation 'cubed'",
        "'upsample' (UpSampling2D)",
        "'doubling' (Doubling)",
        "'my_dense' (MyDense)",
    ):
        assert named in message
    assert "supports these layers: Activation, ActivityRegularization, Add" in message
    assert "BatchNormalization" in message and "SeparableConv2D" in message
    assert not list(tmp_path.iterdir())  # nothing written
    with pytest.raises(ValueError, match="UpSampling2D"):
        to_onnx(model)


def _as_fitted(network, n_classes=10):
    """A classifier holding ``network`` as if fitted on 8 x 8 images (no training:
    networks the engine would not train, to reach the export's own checks)."""
    model = estimator_for(lambda *args: network)
    model.model_ = network
    model.classes_ = np.arange(n_classes)
    model.X_shape_ = (1, 8, 8, 1)
    return model


def test_the_output_must_be_class_probabilities():
    inputs = keras.Input((8, 8, 1))
    x = L.Dense(10, activation="softmax")(L.Flatten()(inputs))
    network = keras.Model(inputs, L.Reshape((10, 1))(x))
    with pytest.raises(ValueError, match=r"outputs samples of shape \(10, 1\)"):
        to_onnx(_as_fitted(network))


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = L.Dense(10, activation="softmax")

    def call(self, x):
        return self.dense(keras.ops.reshape(x, (-1, 64)))


def test_a_subclassed_model_is_refused_with_the_way_out():
    network = Subclassed()
    network(np.zeros((1, 8, 8, 1), np.float32))  # built
    with pytest.raises(ValueError, match="only functional and Sequential models"):
        to_onnx(_as_fitted(network))
