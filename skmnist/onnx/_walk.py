"""Walk a Keras model's graph and convert each layer call with its registered converter.

The walk is generic: it follows the functional graph (each layer call, the tensors
it takes and makes, in an order where every tensor exists before it is used), finds
each layer's converter in :data:`skmnist.onnx._converters.CONVERTERS` and binds the
values the converter returns to the call's output tensors. It knows no layer type.
Sequential models are graphs too, and a model used as a layer is walked inside the
outer one.
"""

from skmnist._compat import keras_graph_nodes
from skmnist.onnx._converters import (
    find_converter,
    supported_layers,
    unsupported_reason,
)

__all__ = ["check_network", "convert_network"]


def _calls(model):
    """``[(layer, input tensors, output tensors)]`` of ``model``, inputs first."""
    return keras_graph_nodes(model)


def _problems(model, prefix=""):
    """``"'name' (Class): why"`` for each layer of ``model`` that cannot be exported."""
    problems = []
    for layer, _, _ in _calls(model):
        reason = unsupported_reason(layer)
        where = f"{prefix}{layer.name}"
        if reason is not None:
            problems.append(f"{where!r} ({type(layer).__name__}): {reason}")
        elif find_converter(layer) is not None and hasattr(layer, "layers"):
            problems.extend(_problems(layer, prefix=f"{where}/"))
    return problems


def check_network(network):
    """Refuse, in one error, a network holding any layer the export cannot write.

    Called before anything is converted or written.

    Raises
    ------
    ValueError
        Naming each such layer, its class and why, and the supported layers.
    """
    if find_converter(network) is None or not hasattr(network, "layers"):
        raise ValueError(
            f"cannot export the Keras network {network.name!r} "
            f"({type(network).__name__}) to ONNX: only functional and Sequential "
            "models have a graph to export; build the network with keras.Input "
            "and layer calls (keras.Model(inputs, outputs)) or keras.Sequential"
        )
    if len(network.inputs) != 1 or len(network.outputs) != 1:
        raise ValueError(
            f"cannot export the Keras network {network.name!r} to ONNX: it has "
            f"{len(network.inputs)} inputs and {len(network.outputs)} outputs; the "
            "export takes one image input and one probability output"
        )
    problems = _problems(network)
    if problems:
        layers = "; ".join(problems)
        raise ValueError(
            f"cannot export the Keras network {network.name!r} to ONNX: "
            f"{'layer' if len(problems) == 1 else 'layers'} {layers}. The export "
            f"supports these layers: {', '.join(supported_layers())}. Replace "
            "the layer, or save the model with skmnist.save_model instead"
        )


def convert_network(graph, network, inputs):
    """Write ``network``'s graph into ``graph``, from the input values ``inputs``.

    Returns the :class:`~skmnist.onnx._graph.Value` of each of its outputs.
    """
    return _Walk(graph, network).run(inputs)


class _Walk:
    """One model's graph being converted: its calls, tensor uses and values."""

    def __init__(self, graph, model):
        self.graph = graph
        self.model = model
        self.calls = _calls(model)
        self.values = {}  # id(Keras tensor) -> Value
        self._uses = {}  # id(Keras tensor) -> the calls taking it
        for call in self.calls:
            for tensor in call[1]:
                self._uses.setdefault(id(tensor), []).append(call)
        for tensor in model.outputs:  # an output is a use the graph cannot change
            self._uses.setdefault(id(tensor), []).append(None)

    def run(self, inputs):
        self.bind(self.model.inputs, inputs)
        for call in self.calls:
            layer, tensors, outputs = call
            if all(id(t) in self.values for t in outputs):
                continue  # computed by an earlier converter (a folded layer)
            converter = find_converter(layer)
            values = converter.convert(
                self, layer, [self.values[id(t)] for t in tensors], outputs
            )
            self.bind(outputs, values)
        return [self.values[id(t)] for t in self.model.outputs]

    # -- what a converter may ask --------------------------------------------------

    def bind(self, tensors, values):
        """Make ``values`` the ONNX values of the Keras ``tensors``."""
        for tensor, value in zip(tensors, values, strict=True):
            if value.shape is None:
                value.shape = tuple(int(d) for d in tensor.shape[1:])
            self.values[id(tensor)] = value

    def sole_consumer(self, tensor):
        """The one call taking ``tensor`` as input, or None (several, or an output)."""
        uses = self._uses.get(id(tensor), [])
        return uses[0] if len(uses) == 1 else None

    def nested(self, model, inputs):
        """The output values of ``model``, a model used as a layer, on ``inputs``."""
        return _Walk(self.graph, model).run(inputs)
