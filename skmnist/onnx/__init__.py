"""Export fitted skmnist pipelines to ONNX and predict with them without TensorFlow.

- :func:`export_onnx` (and :func:`to_onnx`): the whole fitted pipeline -- pixel
  scaling, flattening or reshaping, the network, the class labels -- as one ONNX
  graph (needs ``onnx``);
- :class:`OnnxClassifier`: ``predict``, ``predict_proba``, ``classes_`` and
  ``score`` over onnxruntime (needs ``onnxruntime``, not TensorFlow).

Install both with ``pip install "skmnist[onnx]"``. Importing this package imports
neither: each is imported on first use, with a one-line error naming the extra if
it is missing.
"""

from skmnist.onnx._deps import MissingDependencyError
from skmnist.onnx._export import export_onnx, to_onnx
from skmnist.onnx._predictor import OnnxClassifier

__all__ = ["MissingDependencyError", "OnnxClassifier", "export_onnx", "to_onnx"]
