"""One converter per Keras layer class, registered in one table.

As skl2onnx's ``_registration.py`` and ``operator_converters/`` do: each function
decorated with :func:`register` writes the ONNX operators that compute one call of
one Keras layer class, and the graph walk (:mod:`skmnist.onnx._walk`) looks the
converter up here by the layer's class; it knows no layer itself. A converter is
called as ``convert(walk, layer, inputs, outputs)``: ``inputs`` the
:class:`~skmnist.onnx._graph.Value` of each input tensor, ``outputs`` the call's
Keras output tensors (for their shapes); it returns one ``Value`` per output.
A ``check(layer)`` registered beside it returns why this configuration of the
layer cannot be exported (or ``None``); the walk asks every layer before writing
anything.

Image batches flow channels-first (ONNX's ``Conv`` layout) from the first
convolution on, and go back to Keras's channels-last order only where the order
shows (``Flatten``, ``Reshape``, ``Dense`` on images, per-channel constants).
"""

from dataclasses import dataclass

import numpy as np

from skmnist.onnx._graph import Value

__all__ = [
    "ACTIVATIONS",
    "CONVERTERS",
    "find_converter",
    "register",
    "supported_layers",
    "unsupported_reason",
]

# Keras's SELU constants (keras.activations.selu)
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


@dataclass(frozen=True)
class Converter:
    """How one Keras layer class is exported: ``convert`` and its ``check``."""

    convert: object
    check: object = None


CONVERTERS = {}


def register(*class_names, check=None):
    """Register the decorated function as the converter of Keras's ``class_names``."""

    def decorator(convert):
        for name in class_names:
            CONVERTERS[name] = Converter(convert, check)
        return convert

    return decorator


def find_converter(layer):
    """The :class:`Converter` of ``layer``'s class, or None.

    Looked up by class name, for Keras's own classes only: a user's subclass of a
    Keras layer (or a class of the same name) computes something else.
    """
    cls = type(layer)
    if cls.__module__.split(".")[0] != "keras":
        return None
    return CONVERTERS.get(cls.__name__)


def supported_layers():
    """The names of the Keras layer classes the export knows, sorted."""
    return sorted(CONVERTERS)


def unsupported_reason(layer):
    """Why ``layer`` cannot be exported, in a few words, or None if it can."""
    converter = find_converter(layer)
    if converter is None:
        return "no converter for this class"
    return None if converter.check is None else converter.check(layer)


# -- helpers -----------------------------------------------------------------------


def _array(variable):
    """A Keras variable's value as a float32 NumPy array."""
    # Variable.numpy(): keras.ops.convert_to_numpy warns on variables (NumPy 2)
    return np.asarray(variable.numpy(), dtype=np.float32)


def _optional(layer, attribute):
    variable = getattr(layer, attribute, None)
    return None if variable is None else _array(variable)


def _scaled(kernel, divisor):
    """``kernel / divisor``: a linear layer absorbing its input's pending division."""
    return kernel if divisor is None else kernel / np.float32(divisor)


def _pair(value):
    return tuple(int(v) for v in (value if np.ndim(value) else (value, value)))


def _pads(size, window, strides, dilations, padding):
    """ONNX ``pads`` (begins then ends), as TensorFlow pads.

    ``"same"`` pads ``max((out - 1) * stride + window - in, 0)`` in total per axis,
    the extra one at the end (bottom/right), as TensorFlow does.
    """
    begins, ends = [], []
    for n, k, s, d in zip(size, window, strides, dilations, strict=True):
        total = 0
        if padding == "same":
            effective = (k - 1) * d + 1
            total = max((-(-n // s) - 1) * s + effective - n, 0)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends


def _check_channels_last(layer):
    data_format = getattr(layer, "data_format", "channels_last")
    if data_format != "channels_last":
        return f"data_format={data_format!r} (only 'channels_last' is exported)"
    return None


def _check_window(layer):
    padding = getattr(layer, "padding", "valid")
    if padding not in ("valid", "same"):
        return f"padding={padding!r} (only 'valid' and 'same' are exported)"
    return _check_channels_last(layer)


def _common_layout(graph, values):
    """The values' tensors in one layout: channels-first if any image batch is."""
    first = any(v.channels_first for v in values) and all(v.rank == 4 for v in values)
    if first:
        return [graph.channels_first(v) for v in values], True
    return [graph.keras_order(v) for v in values], False


# -- activations ------------------------------------------------------------------
# name of the Keras activation function -> writer(graph, tensor, axis) -> tensor;
# ``axis`` is the ONNX axis of Keras's last axis (for softmax)


def _gelu(g, x, axis):
    # Keras's default, exact form: x * (1 + erf(x / sqrt(2))) / 2
    erf = g.node("Erf", [g.node("Div", [x, g.f32("sqrt2", 2**0.5)])])
    one_plus = g.node("Add", [erf, g.f32("one", 1.0)])
    return g.node("Mul", [g.node("Mul", [x, g.f32("half", 0.5)]), one_plus])


def _times(inner):
    """``x * inner(x)`` (swish, hard swish, mish)."""
    return lambda g, x, axis: g.node("Mul", [x, inner(g, x, axis)])


ACTIVATIONS = {
    "linear": lambda g, x, axis: x,
    "relu": lambda g, x, axis: g.node("Relu", [x]),
    "relu6": lambda g, x, axis: g.node(
        "Clip", [x, g.f32("zero", 0.0), g.f32("six", 6.0)]
    ),
    "leaky_relu": lambda g, x, axis: g.node("LeakyRelu", [x], alpha=0.2),
    "sigmoid": lambda g, x, axis: g.node("Sigmoid", [x]),
    "hard_sigmoid": lambda g, x, axis: g.node(
        "HardSigmoid", [x], alpha=1 / 6, beta=0.5
    ),
    "tanh": lambda g, x, axis: g.node("Tanh", [x]),
    "softmax": lambda g, x, axis: g.node("Softmax", [x], axis=axis),
    "log_softmax": lambda g, x, axis: g.node("LogSoftmax", [x], axis=axis),
    "elu": lambda g, x, axis: g.node("Elu", [x], alpha=1.0),
    "selu": lambda g, x, axis: g.node(
        "Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE
    ),
    "softplus": lambda g, x, axis: g.node("Softplus", [x]),
    "softsign": lambda g, x, axis: g.node("Softsign", [x]),
    "exponential": lambda g, x, axis: g.node("Exp", [x]),
    "gelu": _gelu,
    "silu": _times(lambda g, x, axis: g.node("Sigmoid", [x])),
    "hard_silu": _times(
        lambda g, x, axis: g.node("HardSigmoid", [x], alpha=1 / 6, beta=0.5)
    ),
    "mish": _times(lambda g, x, axis: g.node("Tanh", [g.node("Softplus", [x])])),
}
ACTIVATIONS["swish"] = ACTIVATIONS["silu"]  # Keras's alias
ACTIVATIONS["hard_swish"] = ACTIVATIONS["hard_silu"]


def _activation_name(layer):
    function = getattr(layer, "activation", None)
    return "linear" if function is None else getattr(function, "__name__", "?")


def _check_activation(layer):
    name = _activation_name(layer)
    if name not in ACTIVATIONS:
        return (
            f"activation {name!r} (the export knows {', '.join(sorted(ACTIVATIONS))})"
        )
    return None


def _activate(graph, name, value):
    """The Keras activation ``name`` applied to ``value``: a new Value."""
    if name == "linear":
        return value
    tensor = ACTIVATIONS[name](graph, graph.plain(value), value.onnx_axis(-1))
    return Value(tensor, channels_first=value.channels_first)


# -- batch normalisation folded into the layer before it ---------------------------


def _batch_norm_affine(layer):
    """Keras's inference batch norm as ``x * multiplier + shift`` per channel."""
    variance = _array(layer.moving_variance).astype(np.float64)
    multiplier = 1.0 / np.sqrt(variance + layer.epsilon)
    gamma = _optional(layer, "gamma")
    if gamma is not None:
        multiplier = multiplier * gamma
    beta = _optional(layer, "beta")
    shift = -_array(layer.moving_mean) * multiplier
    if beta is not None:
        shift = shift + beta
    return multiplier, shift


@dataclass(frozen=True)
class _Fold:
    """A batch norm folded into the layer before it: its affine map and outputs."""

    multiplier: np.ndarray
    shift: np.ndarray
    outputs: list


def _fold_following_batch_norm(walk, layer, output):
    """The :class:`_Fold` of a batch norm taking this layer's output, or None.

    Only when the layer has no activation, the batch norm normalises the channel
    (last) axis and is the output's only use: then ``bn(x W + b)`` is
    ``x (W m) + (b m + s)``.
    """
    if _activation_name(layer) != "linear":
        return None
    call = walk.sole_consumer(output)
    if call is None:
        return None
    norm, _, norm_outputs = call
    rank = len(output.shape)
    if (
        find_converter(norm) is not CONVERTERS["BatchNormalization"]
        or int(norm.axis) % rank != rank - 1
    ):
        return None
    return _Fold(*_batch_norm_affine(norm), norm_outputs)


def _folded(kernel, bias, fold, out_axis=-1):
    """Kernel and bias with a folded batch norm (channels along ``out_axis``)."""
    if fold is None:
        return kernel, bias
    shape = [1] * kernel.ndim
    shape[out_axis] = -1
    kernel = (kernel * fold.multiplier.reshape(shape)).astype(np.float32)
    bias = 0.0 if bias is None else bias.astype(np.float64)
    return kernel, (bias * fold.multiplier + fold.shift).astype(np.float32)


def _finish(walk, layer, value, fold):
    """The layer's activation; a folded batch norm's output is the same value."""
    value = _activate(walk.graph, _activation_name(layer), value)
    if fold is not None:
        walk.bind(fold.outputs, [value])
    return value


# -- layers ------------------------------------------------------------------------


@register("Dense", check=_check_activation)
def _dense(walk, layer, inputs, outputs):
    (x,) = inputs
    g = walk.graph
    fold = _fold_following_batch_norm(walk, layer, outputs[0])
    kernel = _scaled(_array(layer.kernel), x.divisor)
    kernel, bias = _folded(kernel, _optional(layer, "bias"), fold)
    tensor = g.keras_order(x, keep_divisor=True)
    weights = g.const(f"{layer.name}_kernel", kernel)
    bias = None if bias is None else g.const(f"{layer.name}_bias", bias)
    if x.rank == 2:
        y = g.node("Gemm", [tensor, weights] + ([bias] if bias is not None else []))
    else:  # Keras's Dense on the last axis of a larger tensor
        y = g.node("MatMul", [tensor, weights])
        if bias is not None:
            y = g.node("Add", [y, bias])
    return [_finish(walk, layer, Value(y), fold)]


def _conv(g, layer, x, name, kernel, bias, group):
    """An ONNX ``Conv`` of the Value ``x`` with the window of the Keras ``layer``.

    ``kernel`` is ONNX's ``(out, in / group, kh, kw)``.
    """
    window = tuple(kernel.shape[2:])
    strides = _pair(layer.strides)
    dilations = _pair(layer.dilation_rate)
    inputs = [g.channels_first(x, keep_divisor=True), g.const(f"{name}_kernel", kernel)]
    if bias is not None:
        inputs.append(g.const(f"{name}_bias", bias))
    return g.node(
        "Conv",
        inputs,
        kernel_shape=list(window),
        strides=list(strides),
        dilations=list(dilations),
        pads=_pads(x.shape[:2], window, strides, dilations, layer.padding),
        group=int(group),
    )


def _check_conv(layer):
    return _check_window(layer) or _check_activation(layer)


@register("Conv2D", check=_check_conv)
def _conv2d(walk, layer, inputs, outputs):
    (x,) = inputs
    fold = _fold_following_batch_norm(walk, layer, outputs[0])
    kernel = _scaled(_array(layer.kernel), x.divisor)  # (kh, kw, in / groups, out)
    kernel, bias = _folded(kernel, _optional(layer, "bias"), fold)
    y = _conv(
        walk.graph,
        layer,
        x,
        layer.name,
        np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)),
        bias,
        group=getattr(layer, "groups", 1),
    )
    return [_finish(walk, layer, Value(y, channels_first=True), fold)]


def _depthwise_kernel(kernel):
    """Keras ``(kh, kw, in, multiplier)`` -> ONNX ``(in * multiplier, 1, kh, kw)``.

    Keras's output channel ``i * multiplier + m`` is input channel ``i``'s ``m``-th
    filter, which is ONNX's grouped convolution with one group per input channel.
    """
    kh, kw, channels, multiplier = kernel.shape
    return np.ascontiguousarray(
        kernel.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw)
    )


@register("DepthwiseConv2D", check=_check_conv)
def _depthwise_conv2d(walk, layer, inputs, outputs):
    (x,) = inputs
    fold = _fold_following_batch_norm(walk, layer, outputs[0])
    kernel = _depthwise_kernel(_scaled(_array(layer.kernel), x.divisor))
    kernel, bias = _folded(kernel, _optional(layer, "bias"), fold, out_axis=0)
    y = _conv(walk.graph, layer, x, layer.name, kernel, bias, group=x.shape[-1])
    return [_finish(walk, layer, Value(y, channels_first=True), fold)]


@register("SeparableConv2D", check=_check_conv)
def _separable_conv2d(walk, layer, inputs, outputs):
    # a depthwise convolution (strides, padding, dilation), then a 1 x 1 one
    (x,) = inputs
    g = walk.graph
    fold = _fold_following_batch_norm(walk, layer, outputs[0])
    depthwise = _depthwise_kernel(_scaled(_array(layer.depthwise_kernel), x.divisor))
    y = _conv(g, layer, x, f"{layer.name}_depthwise", depthwise, None, x.shape[-1])
    pointwise = _array(layer.pointwise_kernel)  # (1, 1, in * multiplier, out)
    pointwise, bias = _folded(pointwise, _optional(layer, "bias"), fold)
    inputs = [y, g.const(f"{layer.name}_kernel", pointwise.transpose(3, 2, 0, 1))]
    if bias is not None:
        inputs.append(g.const(f"{layer.name}_bias", bias))
    y = g.node("Conv", inputs, kernel_shape=[1, 1])
    return [_finish(walk, layer, Value(y, channels_first=True), fold)]


def _pool(op):
    def convert(walk, layer, inputs, outputs):
        # max and mean commute with dividing by a positive scale: it stays pending
        (x,) = inputs
        window = _pair(layer.pool_size)
        strides = _pair(layer.strides)
        attributes = {
            "kernel_shape": list(window),
            "strides": list(strides),
            "pads": _pads(x.shape[:2], window, strides, (1, 1), layer.padding),
        }
        if op == "AveragePool":  # TensorFlow averages over the real pixels only
            attributes["count_include_pad"] = 0
        g = walk.graph
        y = g.node(op, [g.channels_first(x, keep_divisor=True)], **attributes)
        return [Value(y, channels_first=True, divisor=x.divisor)]

    return convert


register("MaxPooling2D", check=_check_window)(_pool("MaxPool"))
register("AveragePooling2D", check=_check_window)(_pool("AveragePool"))


def _global_pool(op):
    def convert(walk, layer, inputs, outputs):
        (x,) = inputs
        g = walk.graph
        y = g.node(op, [g.channels_first(x, keep_divisor=True)])  # (n, c, 1, 1)
        if getattr(layer, "keepdims", False):
            return [Value(y, channels_first=True, divisor=x.divisor)]
        return [Value(g.node("Flatten", [y], axis=1), divisor=x.divisor)]

    return convert


register("GlobalAveragePooling2D", check=_check_channels_last)(
    _global_pool("GlobalAveragePool")
)
register("GlobalMaxPooling2D", check=_check_channels_last)(
    _global_pool("GlobalMaxPool")
)


@register("Flatten", check=_check_channels_last)
def _flatten(walk, layer, inputs, outputs):
    # Keras flattens in its own (channels-last) order
    (x,) = inputs
    g = walk.graph
    y = g.node("Flatten", [g.keras_order(x, keep_divisor=True)], axis=1)
    return [Value(y, divisor=x.divisor)]


@register("Reshape")
def _reshape(walk, layer, inputs, outputs):
    (x,) = inputs
    g = walk.graph
    shape = [0, *(int(d) for d in layer.target_shape)]  # 0: keep the batch axis
    y = g.reshape(g.keras_order(x, keep_divisor=True), shape)
    return [Value(y, divisor=x.divisor)]


@register("ZeroPadding2D", check=_check_channels_last)
def _zero_padding2d(walk, layer, inputs, outputs):
    # zeros stay zeros when divided: a pending division stays pending
    (x,) = inputs
    g = walk.graph
    (top, bottom), (left, right) = (_pair(side) for side in layer.padding)
    pads = g.const("pads", np.asarray([0, 0, top, left, 0, 0, bottom, right], np.int64))
    y = g.node("Pad", [g.channels_first(x, keep_divisor=True), pads])
    return [Value(y, channels_first=True, divisor=x.divisor)]


@register(
    "Dropout",
    "SpatialDropout2D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
    "Identity",
)
def _identity(walk, layer, inputs, outputs):
    # the identity at inference
    return list(inputs)


@register("BatchNormalization")
def _batch_normalization(walk, layer, inputs, outputs):
    # not folded into the layer before it (see _fold_following_batch_norm)
    (x,) = inputs
    g = walk.graph
    multiplier, shift = _batch_norm_affine(layer)
    axis = int(layer.axis) % x.rank
    if axis == x.rank - 1 and x.rank in (2, 4):  # ONNX's op: channels on axis 1
        tensor = g.channels_first(x) if x.rank == 4 else g.plain(x)
        y = g.node(
            "BatchNormalization",
            [
                tensor,
                g.f32(f"{layer.name}_gamma", _gamma(layer)),
                g.f32(f"{layer.name}_beta", _beta(layer)),
                g.f32(f"{layer.name}_mean", _array(layer.moving_mean)),
                g.f32(f"{layer.name}_variance", _array(layer.moving_variance)),
            ],
            epsilon=float(layer.epsilon),
        )
        return [Value(y, channels_first=x.rank == 4)]
    # another axis: x * multiplier + shift, broadcast along it (Keras's order)
    shape = [1] * (x.rank - 1)
    shape[axis - 1] = -1
    y = g.node(
        "Mul",
        [
            g.keras_order(x),
            g.f32(f"{layer.name}_multiplier", multiplier.reshape(shape)),
        ],
    )
    y = g.node("Add", [y, g.f32(f"{layer.name}_shift", shift.reshape(shape))])
    return [Value(y)]


def _gamma(layer):
    gamma = _optional(layer, "gamma")
    return np.ones_like(_array(layer.moving_mean)) if gamma is None else gamma


def _beta(layer):
    beta = _optional(layer, "beta")
    return np.zeros_like(_array(layer.moving_mean)) if beta is None else beta


@register("Activation", check=_check_activation)
def _activation_layer(walk, layer, inputs, outputs):
    (x,) = inputs
    return [_activate(walk.graph, _activation_name(layer), x)]


def _check_relu(layer):
    if layer.max_value is not None and float(layer.max_value) < 0:
        return f"max_value={layer.max_value}"
    return None


@register("ReLU", check=_check_relu)
def _relu(walk, layer, inputs, outputs):
    # Keras: max_value above it, x from threshold up, slope * (x - threshold) below
    (x,) = inputs
    g = walk.graph
    tensor = g.plain(x)
    slope = float(layer.negative_slope)
    threshold = float(layer.threshold)
    if threshold == 0 and slope == 0:
        y = g.node("Relu", [tensor])
    elif threshold == 0:
        y = g.node("LeakyRelu", [tensor], alpha=slope)
    else:
        below = g.node(
            "Mul",
            [
                g.node("Sub", [tensor, g.f32("threshold", threshold)]),
                g.f32("slope", slope),
            ],
        )
        above = g.node("GreaterOrEqual", [tensor, g.f32("threshold", threshold)])
        y = g.node("Where", [above, tensor, below])
    if layer.max_value is not None:
        y = g.node("Min", [y, g.f32("max_value", float(layer.max_value))])
    return [Value(y, channels_first=x.channels_first)]


@register("LeakyReLU")
def _leaky_relu(walk, layer, inputs, outputs):
    (x,) = inputs
    g = walk.graph
    y = g.node("LeakyRelu", [g.plain(x)], alpha=float(layer.negative_slope))
    return [Value(y, channels_first=x.channels_first)]


@register("ELU")
def _elu(walk, layer, inputs, outputs):
    (x,) = inputs
    g = walk.graph
    y = g.node("Elu", [g.plain(x)], alpha=float(layer.alpha))
    return [Value(y, channels_first=x.channels_first)]


@register("PReLU")
def _prelu(walk, layer, inputs, outputs):
    # the learned slopes have Keras's (channels-last) sample shape
    (x,) = inputs
    g = walk.graph
    slope = g.const(f"{layer.name}_alpha", _array(layer.alpha))
    return [Value(g.node("PRelu", [g.keras_order(x), slope]))]


def _check_softmax(layer):
    if np.ndim(layer.axis):
        return f"axis={layer.axis} (one axis is exported)"
    return None


@register("Softmax", check=_check_softmax)
def _softmax(walk, layer, inputs, outputs):
    x = inputs[0]  # a mask, if given, is not part of inference on images
    g = walk.graph
    y = g.node("Softmax", [g.plain(x)], axis=x.onnx_axis(int(layer.axis)))
    return [Value(y, channels_first=x.channels_first)]


@register("Rescaling")
def _rescaling(walk, layer, inputs, outputs):
    (x,) = inputs
    g = walk.graph
    scale = np.asarray(layer.scale, np.float32)
    offset = np.asarray(layer.offset, np.float32)
    if scale.ndim == 0 and offset.ndim == 0:  # elementwise: any layout
        tensor, channels_first = g.plain(x), x.channels_first
    else:  # per-channel constants broadcast in Keras's order
        tensor, channels_first = g.keras_order(x), False
    y = g.node("Mul", [tensor, g.const(f"{layer.name}_scale", scale)])
    y = g.node("Add", [y, g.const(f"{layer.name}_offset", offset)])
    return [Value(y, channels_first=channels_first)]


def _merge(op, pairwise=False):
    def convert(walk, layer, inputs, outputs):
        g = walk.graph
        tensors, channels_first = _common_layout(g, inputs)
        if pairwise:  # a binary op, applied left to right
            y = tensors[0]
            for other in tensors[1:]:
                y = g.node(op, [y, other])
        else:
            y = g.node(op, tensors)
        return [Value(y, channels_first=channels_first)]

    return convert


register("Add")(_merge("Sum"))
register("Subtract")(_merge("Sub", pairwise=True))
register("Multiply")(_merge("Mul", pairwise=True))
register("Average")(_merge("Mean"))
register("Maximum")(_merge("Max"))
register("Minimum")(_merge("Min"))


@register("Concatenate")
def _concatenate(walk, layer, inputs, outputs):
    g = walk.graph
    tensors, channels_first = _common_layout(g, inputs)
    axis = Value("", shape=inputs[0].shape, channels_first=channels_first)
    y = g.node("Concat", tensors, axis=axis.onnx_axis(int(layer.axis)))
    return [Value(y, channels_first=channels_first)]


@register("Functional", "Sequential")
def _nested_model(walk, layer, inputs, outputs):
    # a model used as a layer: its own graph, inlined
    return walk.nested(layer, inputs)
