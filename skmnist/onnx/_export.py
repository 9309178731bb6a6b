"""Write a fitted skmnist pipeline as one ONNX graph, from its fitted weights.

The graph is built node by node with :mod:`onnx.helper`: the input (cast from uint8
if asked), the image transformer's flattening or reshaping (a ``Reshape``) with its
division by the learned ``scale_`` folded into the first linear layer's kernel, the
Keras network converted call by call along its functional graph
(:mod:`skmnist.onnx._walk`, one converter per layer class in
:mod:`skmnist.onnx._converters`), its softmax output as the probabilities, and
``ArgMax`` + ``Gather`` on the classes as the labels. No TensorFlow converter is
involved: see ``docs/onnx.rst`` for why.
"""

import json
import math
from pathlib import Path

import numpy as np

from skmnist._class_names import class_names
from skmnist._io import atomic_write
from skmnist.onnx._deps import require
from skmnist.onnx._graph import OnnxGraph, Value
from skmnist.onnx._walk import check_network, convert_network

__all__ = ["export_onnx", "to_onnx"]

# Opset 17 and IR version 8: read by onnxruntime >= 1.14 and every onnx >= 1.12
OPSET = 17
IR_VERSION = 8
INPUT, LABEL, PROBABILITIES = "images", "label", "probabilities"
# metadata_props keys, read back by OnnxClassifier
METADATA_KEY = "skmnist"

# graph input element type -> the TensorProto name
_INPUT_TYPES = {"float32": "FLOAT", "uint8": "UINT8"}


def to_onnx(estimator, *, input_dtype="float32", name=None):
    """Convert a fitted skmnist pipeline (or classifier) to an ONNX model in memory.

    See :func:`export_onnx`, which writes the same model to a file.

    Parameters
    ----------
    estimator : Pipeline, classifier or fitted search
        A fitted pipeline of an :class:`~skmnist.ImageFlattener` or
        :class:`~skmnist.ImageReshaper` and a skmnist Keras classifier (either
        family, or any classifier on the shared engine whose network is made of
        the layers :func:`export_onnx` lists), a fitted classifier alone, or a
        fitted search whose ``best_estimator_`` is one of those.
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
    members = _members(estimator)
    for _, classifier in members:
        check_network(classifier.model_)  # every layer refused or accepted first
    transformer, classifier = members[0]

    graph = OnnxGraph(onnx)
    if transformer is not None:
        image_shape = tuple(int(d) for d in transformer.image_shape_)
        input_shape = image_shape
        scale = float(transformer.scale_)
    else:
        image_shape = None
        input_shape = tuple(int(d) for d in classifier.X_shape_[1:])
        scale = None
    x = graph.input(INPUT, input_shape, _INPUT_TYPES[input_dtype])
    if input_dtype != "float32":  # exact: every uint8 is a float32
        x = graph.node("Cast", [x], to=onnx.TensorProto.FLOAT)
    probas = [
        _member_probabilities(graph, x, transformer, classifier, input_shape, scale)
        for transformer, classifier in members
    ]
    # soft voting: the mean of the members' probabilities, as VotingClassifier
    output = probas[0] if len(probas) == 1 else graph.node("Mean", probas)
    classifier = estimator if len(members) > 1 else classifier
    n_classes = len(classifier.classes_)
    proba = graph.rename(output, PROBABILITIES)
    classes = np.asarray(classifier.classes_)
    index = graph.node("ArgMax", [proba], axis=1, keepdims=0)
    label = graph.node(
        "Gather", [graph.const("classes", _onnx_classes(classes)), index]
    )
    graph.rename(label, LABEL)

    outputs = [
        onnx.helper.make_tensor_value_info(
            LABEL, _elem_type(onnx, _onnx_classes(classes)), ["N"]
        ),
        onnx.helper.make_tensor_value_info(
            PROBABILITIES, onnx.TensorProto.FLOAT, ["N", n_classes]
        ),
    ]
    family = _family(estimator, members)
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
    _write_metadata(
        onnx,
        model,
        _metadata(
            estimator,
            members,
            scale,
            image_shape,
            input_shape,
            input_dtype,
        ),
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def _metadata(estimator, members, scale, image_shape, input_shape, input_dtype):
    """What :class:`OnnxClassifier` reads back from the file, as a dict."""
    transformer, classifier = members[0]
    classes = np.asarray(classifier.classes_)
    return {
        "family": _family(estimator, members),
        "members": [type(c).__name__ for _, c in members],
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


def _write_metadata(onnx, model, metadata):
    """Store ``metadata`` as JSON under the model's ``metadata_props["skmnist"]``."""
    onnx.helper.set_model_props(model, {METADATA_KEY: json.dumps(metadata)})


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
        (:class:`~skmnist.KerasMLPClassifier`,
        :class:`~skmnist.KerasCNNClassifier`, or any classifier on
        :class:`~skmnist.models.BaseKerasClassifier` whose network is made of
        the layers listed in the Notes), as :func:`skmnist.make_mnist_pipeline`
        makes; a fitted classifier alone (the graph then takes what the
        classifier takes: float32 features, no scaling); a fitted search whose
        ``best_estimator_`` is one of those; or a fitted soft-voting
        ``VotingClassifier`` of such pipelines with equal weights, fitted on the
        same images (a search's ``best_ensemble_``): one graph computing every
        member and the mean of their probabilities.
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
        Keras layer the export does not know (see Notes).
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
    The network's functional graph is exported call by call (Sequential and
    functional models, models nested in them, residual connections, layers
    called twice), for these Keras layers: Dense, Conv2D (strides, "valid" or
    "same" padding, dilation, groups), DepthwiseConv2D, SeparableConv2D,
    MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
    Flatten, Reshape, ZeroPadding2D, BatchNormalization (folded into the Dense or
    convolution before it where it can be), Activation, ReLU, LeakyReLU, PReLU,
    ELU, Softmax, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
    Rescaling, and Dropout and the other noise layers (the identity at
    inference); channels-last images. A network holding any other layer (or
    activation) is refused, before anything is written, by one ``ValueError``
    naming each such layer, its class and the supported set. The probabilities
    agree with the Keras pipeline's to float32 round-off (within 1e-5) and the
    labels are the same.

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


def _member_probabilities(graph, x, transformer, classifier, input_shape, scale):
    """One network's probabilities (Keras's layout) computed from the input ``x``."""
    network = classifier.model_
    network_shape = tuple(int(d) for d in _input_shape(network)[1:])
    if math.prod(network_shape) != math.prod(input_shape):
        raise ValueError(
            f"the network takes samples of shape {network_shape} but the pipeline "
            f"feeds it {input_shape}; only the pipelines of make_mnist_pipeline "
            "(or a transformer and classifier fitted together) can be exported"
        )
    x = _network_input(graph, x, network_shape)
    # The transformer's division by scale_ stays pending until the first linear
    # layer takes it into its kernel: (x / s) @ W == x @ (W / s), for Dense and the
    # convolutions alike (zero padding commutes with it), one pass less over the
    # batch. A layer that cannot take it divides (a Div node).
    if scale not in (None, 1.0):
        x.divisor = scale
    (output,) = convert_network(graph, network, [x])
    n_classes = len(classifier.classes_)
    if output.shape != (n_classes,):
        raise ValueError(
            f"the network {network.name!r} outputs samples of shape {output.shape}; "
            f"a classifier of {n_classes} classes must output (n_samples, "
            f"{n_classes}) probabilities (a softmax layer of {n_classes} units)"
        )
    return graph.keras_order(output)


def _family(estimator, members):
    if len(members) == 1:
        return type(members[0][1]).__name__
    return type(estimator).__name__


def _members(estimator):
    """``[(transformer or None, classifier), ...]``: one for a pipeline, classifier
    or search; one per voter of a soft-voting ensemble (such as a search's
    ``best_ensemble_``), whose pipelines must take the same images alike."""
    from sklearn.ensemble import VotingClassifier
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(estimator, VotingClassifier):
        return [_split(estimator)]
    if estimator.voting != "soft":
        raise ValueError(
            "cannot export a VotingClassifier with voting='hard': the ONNX export "
            "averages the members' probabilities, as voting='soft' does"
        )
    if estimator.weights is not None:
        raise ValueError(
            f"cannot export a VotingClassifier with weights={estimator.weights!r}: "
            "the ONNX export averages its members alike (weights=None)"
        )
    check_is_fitted(estimator)
    # a FrozenEstimator (how best_ensemble_ holds its refitted pipelines) exports
    # the estimator it wraps
    members = [
        _split(getattr(voter, "estimator", voter)) for voter in estimator.estimators_
    ]
    first, classes = members[0], np.asarray(estimator.classes_)
    for transformer, classifier in members:
        same_input = (transformer is None) == (first[0] is None) and (
            transformer is None
            or (
                tuple(transformer.image_shape_) == tuple(first[0].image_shape_)
                and float(transformer.scale_) == float(first[0].scale_)
            )
        )
        if not same_input:
            raise ValueError(
                "cannot export this VotingClassifier as one graph: its members take "
                "different inputs (image shape or pixel scale); every member must "
                "be fitted on the same images"
            )
        if not np.array_equal(np.asarray(classifier.classes_), classes):
            raise ValueError(
                f"cannot export this VotingClassifier: a member's classes "
                f"{np.asarray(classifier.classes_).tolist()} differ from the "
                f"ensemble's {classes.tolist()}"
            )
    return members


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


# -- the network's input --------------------------------------------------------


def _network_input(graph, x, network_shape):
    """The graph's input reshaped to the network's input, as a Value.

    A one-channel image batch goes straight to channels-first ``(n, 1, h, w)``
    (the same values in the same order as ``(n, h, w, 1)``), ready for ``Conv``;
    any other shape is the network's own.
    """
    if len(network_shape) == 3 and network_shape[2] == 1:
        height, width, _ = network_shape
        return Value(
            graph.reshape(x, [-1, 1, height, width]),
            shape=network_shape,
            channels_first=True,
        )
    return Value(graph.reshape(x, [-1, *network_shape]), shape=network_shape)
