"""The ONNX graph being written, and the values that flow through it.

:class:`OnnxGraph` collects nodes and initializers with unique names.
:class:`Value` is one Keras tensor as it exists in the ONNX graph: the ONNX tensor
name, the Keras shape of one sample, whether an image batch is held channels-first
(ONNX's ``Conv`` layout) or channels-last (Keras's), and a pending division of the
whole tensor (the pipeline's pixel scale, not yet applied). Converters ask for the
layout they need (:meth:`OnnxGraph.channels_first`, :meth:`OnnxGraph.keras_order`);
each conversion is written once per value.
"""

from dataclasses import dataclass, field

import numpy as np

# (n, h, w, c) <-> (n, c, h, w)
TO_CHANNELS_FIRST = (0, 3, 1, 2)
TO_CHANNELS_LAST = (0, 2, 3, 1)


@dataclass(eq=False)
class Value:
    """A Keras tensor in the ONNX graph.

    Attributes
    ----------
    name : str
        The ONNX tensor.
    shape : tuple or None
        Keras shape of one sample (no batch axis), e.g. ``(h, w, c)``.
    channels_first : bool
        For an image batch (4-D): the ONNX tensor is ``(n, c, h, w)``; Keras's
        tensor is ``(n, h, w, c)``. False: the ONNX tensor has Keras's layout.
    divisor : float or None
        The Keras tensor is the ONNX tensor divided by this (the pixel scale,
        pending until a linear layer absorbs it into its kernel).
    """

    name: str
    shape: tuple = None
    channels_first: bool = False
    divisor: float = None
    # the same tensor already written in another form: {form: name}
    forms: dict = field(default_factory=dict, repr=False)

    @property
    def rank(self):
        """Rank of the Keras tensor, batch axis included."""
        return len(self.shape) + 1

    def onnx_axis(self, keras_axis):
        """The ONNX axis holding the Keras tensor's axis ``keras_axis``."""
        if self.channels_first:  # an image batch: rank 4
            return TO_CHANNELS_LAST[keras_axis % 4]
        return keras_axis


class OnnxGraph:
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

    def f32(self, hint, value):
        """A float32 constant."""
        return self.const(hint, np.asarray(value, dtype=np.float32))

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
        """Give ``tensor`` the public name ``name`` (an Identity if it must)."""
        node = self.nodes[-1] if self.nodes else None
        if node is None or list(node.output) != [tensor]:
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

    # -- values in the layout a converter needs ------------------------------------

    def plain(self, value):
        """``value``'s tensor with any pending division applied, in its layout."""
        if value.divisor is None:
            return value.name
        if "plain" not in value.forms:
            value.forms["plain"] = self.node(
                "Div", [value.name, self.f32("scale", value.divisor)]
            )
        return value.forms["plain"]

    def channels_first(self, value, keep_divisor=False):
        """An image batch ``(n, c, h, w)``; the division applied unless kept."""
        name = value.name if keep_divisor else self.plain(value)
        if value.channels_first:
            return name
        key = ("nchw", keep_divisor)
        if key not in value.forms:
            value.forms[key] = self.node("Transpose", [name], perm=TO_CHANNELS_FIRST)
        return value.forms[key]

    def keras_order(self, value, keep_divisor=False):
        """The tensor in Keras's layout (channels last), divided unless kept."""
        name = value.name if keep_divisor else self.plain(value)
        if not value.channels_first:
            return name
        key = ("nhwc", keep_divisor)
        if key not in value.forms:
            value.forms[key] = self.node("Transpose", [name], perm=TO_CHANNELS_LAST)
        return value.forms[key]
