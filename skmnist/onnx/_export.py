"""Write a fitted skmnist pipeline as one ONNX graph, from its fitted weights.

The graph is built node by node with :mod:`onnx.helper`: the image transformer's
scaling by its learned ``scale_`` is folded into the first layer's kernel, its
flattening or reshaping a
``Reshape``, each Keras layer the ONNX operators that compute it (``Gemm`` and an
activation for ``Dense``; ``Conv``, ``MaxPool`` and a ``Transpose`` from ONNX's
channels-first layout back to Keras's channels-last order before ``Flatten``),
the output ``Softmax`` the probabilities, and ``ArgMax`` + ``Gather`` on the
classes the labels. No TensorFlow converter is involved: see ``docs/onnx.rst`` for
why.
"""

import json
import math
from pathlib import Path

import numpy as np

from skmnist._class_names import class_names
from skmnist._io import atomic_write
from skmnist.onnx._deps import require

__all__ = ["export_onnx", "to_onnx"]

# Opset 17 and IR version 8: read by onnxruntime >= 1.14 and every onnx >= 1.12
OPSET = 17
IR_VERSION = 8
INPUT, LABEL, PROBABILITIES = "images", "label", "probabilities"
# metadata_props keys, read back by OnnxClassifier
METADATA_KEY = "skmnist"

# graph input element type -> the TensorProto name
_INPUT_TYPES = {"float32": "FLOAT", "uint8": "UINT8"}
_SUPPORTED_LAYERS = "Dense, Conv2D, MaxPooling2D, Flatten, Dropout, Activation"
# Keras's SELU constants (keras.activations.selu)
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def to_onnx(estimator, *, input_dtype="float32", name=None):
    """Convert a fitted skmnist pipeline (or classifier) to an ONNX model in memory.

    See :func:`export_onnx`, which writes the same model to a file.

    Parameters
    ----------
    estimator : Pipeline, classifier or fitted search
        A fitted pipeline of an :class:`~skmnist.ImageFlattener` or
        :class:`~skmnist.ImageReshaper` and a skmnist Keras classifier (either
        family), a fitted classifier alone, or a fitted search whose
        ``best_estimator_`` is one of those.
    input_dtype : {"float32", "uint8"}, default="float32"
        Element type of the graph's input; see :func:`export_onnx`.
    name : str, default=None
        Name of the graph; the classifier's class name by default.

    Returns
    -------
    model : onnx.ModelProto
        The checked model: input ``"images"``, outputs ``"label"`` and
        ``"probabilities"``.
    """
    onnx = require("onnx", "Exporting to ONNX")
    if input_dtype not in _INPUT_TYPES:
        raise ValueError(
            f"input_dtype must be 'float32' (any pixels) or 'uint8' (8-bit images "
            f"in, cast to float32 in the graph); got {input_dtype!r}"
        )
    transformer, classifier = _split(estimator)
    graph = _Graph(onnx)
    network = classifier.model_

    if transformer is not None:
        image_shape = tuple(int(d) for d in transformer.image_shape_)
        input_shape = image_shape
        x = graph.input(INPUT, input_shape, _INPUT_TYPES[input_dtype])
        if input_dtype != "float32":  # exact: every uint8 is a float32
            x = graph.node("Cast", [x], to=onnx.TensorProto.FLOAT)
        scale = float(transformer.scale_)
    else:
        image_shape = None
        input_shape = tuple(int(d) for d in classifier.X_shape_[1:])
        x = graph.input(INPUT, input_shape, _INPUT_TYPES[input_dtype])
        if input_dtype != "float32":
            x = graph.node("Cast", [x], to=onnx.TensorProto.FLOAT)
        scale = None

    network_shape = tuple(int(d) for d in _input_shape(network)[1:])
    if math.prod(network_shape) != math.prod(input_shape):
        raise ValueError(
            f"the network takes samples of shape {network_shape} but the pipeline "
            f"feeds it {input_shape}; only the pipelines of make_mnist_pipeline "
            "(or a transformer and classifier fitted together) can be exported"
        )
    x, layout, size = _network_input(graph, x, network_shape)
    # The transformer's division by scale_ is folded into the first layer's kernel
    # (x / s) @ W == x @ (W / s), for Dense and Conv2D alike (zero padding commutes
    # with it): one pass less over the whole batch. Reshapes before it are
    # permutations, so they commute too. A network starting otherwise gets a Div.
    pending = scale if scale not in (None, 1.0) else None
    for layer in network.layers:
        kind = type(layer).__name__
        if pending is not None and kind not in ("InputLayer", "Dropout", *_LINEAR):
            x = graph.node("Div", [x, graph.const("scale", np.float32(pending))])
            pending = None
        x, layout, size = _convert_layer(
            graph, layer, x, layout, size, input_scale=pending
        )
        if kind in _LINEAR:
            pending = None
    if layout != "flat":
        raise ValueError(
            f"the network ends with {layout} feature maps; a classifier must end "
            "in a Dense softmax layer"
        )
    proba = graph.rename(x, PROBABILITIES)
    classes = np.asarray(classifier.classes_)
    index = graph.node("ArgMax", [proba], axis=1, keepdims=0)
    label = graph.node(
        "Gather", [graph.const("classes", _onnx_classes(classes)), index]
    )
    graph.rename(label, LABEL)

    n_classes = len(classes)
    outputs = [
        onnx.helper.make_tensor_value_info(
            LABEL, _elem_type(onnx, _onnx_classes(classes)), ["N"]
        ),
        onnx.helper.make_tensor_value_info(
            PROBABILITIES, onnx.TensorProto.FLOAT, ["N", n_classes]
        ),
    ]
    family = type(classifier).__name__
    onnx_graph = onnx.helper.make_graph(
        graph.nodes,
        name or family,
        graph.inputs,
        outputs,
        initializer=graph.initializers,
    )
    model = onnx.helper.make_model(
        onnx_graph,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        producer_name="skmnist",
        producer_version=_version(),
        doc_string=(
            f"{family} exported by skmnist: {input_dtype} images of shape (n, "
            f"{', '.join(map(str, input_shape))}) in, labels and class "
            "probabilities out."
        ),
    )
    model.ir_version = IR_VERSION
    metadata = {
        "family": family,
        "transformer": None if transformer is None else type(transformer).__name__,
        "scale": scale,
        "image_shape": None if image_shape is None else list(image_shape),
        "input_shape": list(input_shape),
        "input_dtype": input_dtype,
        "classes": classes.tolist(),
        "classes_dtype": classes.dtype.str if classes.dtype.kind != "O" else "O",
        "class_names": class_names(estimator),  # read back as class_names_
        "skmnist_version": _version(),
    }
    onnx.helper.set_model_props(model, {METADATA_KEY: json.dumps(metadata)})
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(estimator, path, *, input_dtype="float32", name=None):
    """Write a fitted skmnist pipeline as one ONNX model, atomically.

    The whole pipeline goes into one graph: the pixel scaling learned by the image
    transformer (``scale_``), its flattening or reshaping, the network with its
    fitted weights, and the class labels. The graph's input ``"images"`` takes
    ``(n, height, width)`` pixels in the units seen in ``fit`` -- float32, or uint8
    with ``input_dtype="uint8"`` -- and it returns ``"label"`` (the class labels)
    and ``"probabilities"`` (float32, in the order of ``classes_``).
    Run it without TensorFlow with :class:`skmnist.onnx.OnnxClassifier`, which
    also accepts uint8 or float64 arrays, flat rows and ``(n, h, w, 1)``
    batches, or with any ONNX runtime. The model is checked with
    :func:`onnx.checker.check_model` before it is written.

    Unlike a joblib file, an ONNX file is data: loading it runs no code.

    Parameters
    ----------
    estimator : Pipeline, classifier or fitted search
        A fitted pipeline of an :class:`~skmnist.ImageFlattener` or
        :class:`~skmnist.ImageReshaper` and a skmnist Keras classifier
        (:class:`~skmnist.KerasMLPClassifier` or
        :class:`~skmnist.KerasCNNClassifier`), as :func:`skmnist.make_mnist_pipeline`
        makes; a fitted classifier alone (the graph then takes what the
        classifier takes: float32 features, no scaling); or a fitted search whose
        ``best_estimator_`` is one of those.
    path : str or path-like
        Destination file; must end in ``.onnx``. Its folder is created if needed.
    input_dtype : {"float32", "uint8"}, default="float32"
        Element type of the graph's input. ``"float32"`` takes any pixels (uint8
        images cast to float32, which is exact, as the transformer does);
        ``"uint8"`` takes 8-bit images as they are (the graph casts them), for
        runtimes fed straight from image bytes, and no fractional pixels.
    name : str, default=None
        Name of the graph; the classifier's class name by default.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.onnx``, or the estimator holds a step or a
        Keras layer the export does not know.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    skmnist.onnx.MissingDependencyError
        If ``onnx`` is not installed (``pip install "skmnist[onnx]"``).

    See Also
    --------
    skmnist.onnx.OnnxClassifier : Predict with the file through onnxruntime.
    skmnist.save_model : Save the pipeline with joblib (a pickle).

    Notes
    -----
    Keras layers exported: Dense (relu, tanh, sigmoid, linear, elu, selu, gelu,
    swish, softmax), Conv2D and MaxPooling2D (channels-last, valid or same
    padding), Flatten, Activation; Dropout is the identity at inference. The
    probabilities agree with the Keras pipeline's to float32 round-off (about
    1e-7) and the labels are the same.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import make_mnist_pipeline
    >>> from skmnist.onnx import OnnxClassifier, export_onnx
    >>> X, y = load_digits(return_X_y=True)
    >>> images = X.reshape(-1, 8, 8)  # 0-16 intensities
    >>> pipe = make_mnist_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0)
    >>> pipe = pipe.fit(images, y)
    >>> path = export_onnx(pipe, os.path.join(tempfile.mkdtemp(), "digits.onnx"))
    >>> onnx_model = OnnxClassifier(path)
    >>> bool((onnx_model.predict(images) == pipe.predict(images)).all())
    True
    """
    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise ValueError(
            f"the ONNX file name must end in '.onnx'; got {str(path)!r}. Name it "
            f"e.g. {path.with_suffix('.onnx').name!r}"
        )
    model = to_onnx(estimator, input_dtype=input_dtype, name=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as file:
        file.write(model.SerializeToString())
    return path


# -- the estimator's parts ---------------------------------------------------------


def _split(estimator):
    """``(transformer or None, classifier)`` of a pipeline, classifier or search."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from skmnist.preprocessing import ImageFlattener, ImageReshaper

    if hasattr(estimator, "best_estimator_") and not isinstance(estimator, Pipeline):
        estimator = estimator.best_estimator_
    if isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s is not None and s != "passthrough"]
    else:
        steps = [estimator]
    *transformers, classifier = steps
    if not hasattr(classifier, "model_") or not hasattr(classifier, "classes_"):
        check_is_fitted(classifier)  # a NotFittedError for an unfitted skmnist one
        raise ValueError(
            f"cannot export a {type(classifier).__name__}: only skmnist's Keras "
            "classifiers (KerasMLPClassifier, KerasCNNClassifier) are exported to "
            "ONNX; save other models with skmnist.save_model"
        )
    check_is_fitted(classifier, "model_")
    if len(transformers) > 1 or (
        transformers and not isinstance(transformers[0], ImageFlattener | ImageReshaper)
    ):
        names = [type(t).__name__ for t in transformers]
        raise ValueError(
            f"cannot export a pipeline with the steps {names} before the "
            "classifier: the ONNX export knows one ImageFlattener or ImageReshaper "
            "step (as make_mnist_pipeline builds), or none"
        )
    transformer = transformers[0] if transformers else None
    if transformer is not None:
        check_is_fitted(transformer)
    return transformer, classifier


def _input_shape(network):
    try:
        return tuple(network.input_shape)
    except (AttributeError, ValueError):  # a model with several inputs, or unbuilt
        return tuple(network.inputs[0].shape)


def _onnx_classes(classes):
    """The classes as an array ONNX can store: strings become an object array."""
    if classes.dtype.kind in "UO":
        return np.asarray([str(c) for c in classes], dtype=object)
    if classes.dtype.kind == "b":
        return classes.astype(np.bool_)
    return classes


def _elem_type(onnx, array):
    if array.dtype == object:
        return onnx.TensorProto.STRING
    return onnx.helper.np_dtype_to_tensor_dtype(array.dtype)


def _version():
    import skmnist

    return skmnist.__version__


# -- the network, layer by layer ---------------------------------------------------


def _network_input(graph, x, network_shape):
    """Reshape the scaled input to the network's input, channels-first for convs.

    Returns ``(tensor, layout, spatial size)``; layout is ``"flat"`` for
    ``(n, features)`` and ``"nchw"`` for image batches.
    """
    if len(network_shape) == 1:
        shape = [-1, network_shape[0]]
        return graph.reshape(x, shape), "flat", None
    if len(network_shape) == 3:
        height, width, channels = network_shape
        if channels == 1:  # (n, h, w, 1) and (n, 1, h, w) hold the same values
            return graph.reshape(x, [-1, 1, height, width]), "nchw", (height, width)
        x = graph.reshape(x, [-1, height, width, channels])
        return graph.node("Transpose", [x], perm=[0, 3, 1, 2]), "nchw", (height, width)
    raise ValueError(
        f"cannot export a network taking samples of shape {network_shape}: the ONNX "
        "export knows flat rows (n, features) and images (n, height, width, channels)"
    )


# layers linear in their input, which can absorb the input's scaling
_LINEAR = ("Dense", "Conv2D")


def _scaled_kernel(kernel, input_scale):
    kernel = kernel.astype(np.float32)
    return kernel if input_scale is None else kernel / np.float32(input_scale)


def _convert_layer(graph, layer, x, layout, size, input_scale=None):
    kind = type(layer).__name__
    if kind in ("InputLayer", "Dropout"):  # Dropout is the identity at inference
        return x, layout, size
    if kind == "Dense":
        if layout != "flat":
            raise ValueError(
                f"cannot export Dense layer {layer.name!r} applied to image batches; "
                "put a Flatten layer before it"
            )
        kernel, *bias = layer.get_weights()
        kernel = _scaled_kernel(kernel, input_scale)
        inputs = [x, graph.const(f"{layer.name}_kernel", kernel)]
        if bias:
            inputs.append(graph.const(f"{layer.name}_bias", bias[0].astype(np.float32)))
        x = graph.node("Gemm", inputs)
        return _activation(graph, layer, x), layout, size
    if kind == "Flatten":
        if layout == "nchw":  # Keras flattens channels-last: (h, w, c) order
            x = graph.node("Transpose", [x], perm=[0, 2, 3, 1])
        return graph.node("Flatten", [x], axis=1), "flat", None
    if kind == "Activation":
        return _activation(graph, layer, x), layout, size
    if kind == "Conv2D":
        _check_conv_layer(layer, layout)
        kernel, *bias = layer.get_weights()
        window = tuple(int(k) for k in layer.kernel_size)
        strides = tuple(int(s) for s in layer.strides)
        dilations = tuple(int(d) for d in layer.dilation_rate)
        pads, size = _pads(size, window, strides, dilations, layer.padding)
        inputs = [
            x,
            graph.const(
                f"{layer.name}_kernel",
                # Keras (kh, kw, in, out) -> ONNX (out, in, kh, kw)
                np.ascontiguousarray(
                    _scaled_kernel(kernel, input_scale).transpose(3, 2, 0, 1)
                ),
            ),
        ]
        if bias:
            inputs.append(graph.const(f"{layer.name}_bias", bias[0].astype(np.float32)))
        x = graph.node(
            "Conv",
            inputs,
            kernel_shape=list(window),
            strides=list(strides),
            dilations=list(dilations),
            pads=pads,
            group=int(getattr(layer, "groups", 1)),
        )
        return _activation(graph, layer, x), layout, size
    if kind == "MaxPooling2D":
        _check_conv_layer(layer, layout)
        window = tuple(int(k) for k in layer.pool_size)
        strides = tuple(int(s) for s in layer.strides)
        pads, size = _pads(size, window, strides, (1, 1), layer.padding)
        x = graph.node(
            "MaxPool", [x], kernel_shape=list(window), strides=list(strides), pads=pads
        )
        return x, layout, size
    raise ValueError(
        f"cannot export Keras layer {layer.name!r} ({kind}) to ONNX: the export "
        f"knows {_SUPPORTED_LAYERS} layers"
    )


def _check_conv_layer(layer, layout):
    if layout != "nchw":
        raise ValueError(
            f"cannot export {type(layer).__name__} layer {layer.name!r} applied to "
            "flat rows"
        )
    data_format = getattr(layer, "data_format", "channels_last")
    if data_format != "channels_last":
        raise ValueError(
            f"cannot export layer {layer.name!r} with data_format={data_format!r}; "
            "skmnist's networks are channels_last"
        )


def _pads(size, window, strides, dilations, padding):
    """ONNX ``pads`` (begin..., end...) and the output size, as TensorFlow pads.

    ``"same"`` pads ``max((out - 1) * stride + window - in, 0)`` in total per axis,
    the extra one at the end (bottom/right), as TensorFlow does.
    """
    begins, ends, out = [], [], []
    for n, k, s, d in zip(size, window, strides, dilations, strict=True):
        effective = (k - 1) * d + 1
        if padding == "valid":
            begins.append(0)
            ends.append(0)
            out.append((n - effective) // s + 1)
        elif padding == "same":
            o = -(-n // s)
            total = max((o - 1) * s + effective - n, 0)
            begins.append(total // 2)
            ends.append(total - total // 2)
            out.append(o)
        else:
            raise ValueError(f"cannot export padding={padding!r}")
    return begins + ends, tuple(out)


def _activation(graph, layer, x):
    function = getattr(layer, "activation", None)
    name = getattr(function, "__name__", str(function))
    if name in ("linear", "None"):
        return x
    if name == "relu":
        return graph.node("Relu", [x])
    if name == "sigmoid":
        return graph.node("Sigmoid", [x])
    if name == "tanh":
        return graph.node("Tanh", [x])
    if name == "softmax":
        return graph.node("Softmax", [x], axis=-1)
    if name == "elu":
        return graph.node("Elu", [x], alpha=1.0)
    if name == "selu":
        return graph.node("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE)
    if name in ("silu", "swish"):
        return graph.node("Mul", [x, graph.node("Sigmoid", [x])])
    if name == "gelu":  # Keras's default, exact form: x * (1 + erf(x / sqrt(2))) / 2
        erf = graph.node(
            "Erf", [graph.node("Div", [x, graph.const("sqrt2", np.float32(2**0.5))])]
        )
        one_plus = graph.node("Add", [erf, graph.const("one", np.float32(1.0))])
        half_x = graph.node("Mul", [x, graph.const("half", np.float32(0.5))])
        return graph.node("Mul", [half_x, one_plus])
    raise ValueError(
        f"cannot export the activation {name!r} of layer {layer.name!r} to ONNX"
    )


class _Graph:
    """Nodes, initializers and unique tensor names of the graph being built."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes, self.initializers, self.inputs = [], [], []
        self._names = set()
        self._constants = {}

    def _unique(self, hint):
        name, i = hint, 1
        while name in self._names:
            i += 1
            name = f"{hint}_{i}"
        self._names.add(name)
        return name

    def input(self, name, sample_shape, elem_type="FLOAT"):
        self._names.add(name)
        self.inputs.append(
            self.onnx.helper.make_tensor_value_info(
                name, getattr(self.onnx.TensorProto, elem_type), ["N", *sample_shape]
            )
        )
        return name

    def const(self, hint, value):
        value = np.asarray(value)
        key = (hint, value.dtype.str, value.shape, value.tobytes())
        if key in self._constants:  # one initializer per distinct constant
            return self._constants[key]
        name = self._unique(hint)
        if value.dtype == object:
            tensor = self.onnx.helper.make_tensor(
                name,
                self.onnx.TensorProto.STRING,
                value.shape,
                [s.encode("utf-8") for s in value.tolist()],
            )
        else:
            tensor = self.onnx.numpy_helper.from_array(value, name)
        self.initializers.append(tensor)
        self._constants[key] = name
        return name

    def node(self, op, inputs, **attributes):
        output = self._unique(op.lower())
        self.nodes.append(
            self.onnx.helper.make_node(
                op, inputs, [output], name=f"{output}_node", **attributes
            )
        )
        return output

    def reshape(self, x, shape):
        return self.node(
            "Reshape", [x, self.const("shape", np.asarray(shape, np.int64))]
        )

    def rename(self, tensor, name):
        """Give the last node's output the public name `name`."""
        node = self.nodes[-1]
        if list(node.output) != [tensor]:  # not the last node's: add an Identity
            return self.node_named("Identity", [tensor], name)
        node.output[0] = name
        self._names.add(name)
        return name

    def node_named(self, op, inputs, output):
        self._names.add(output)
        self.nodes.append(
            self.onnx.helper.make_node(op, inputs, [output], name=f"{output}_node")
        )
        return output
