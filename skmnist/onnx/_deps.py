"""The optional ONNX dependencies, imported on first use with a one-line error."""

import importlib

INSTALL_HINT = 'pip install "skmnist[onnx]"'


class MissingDependencyError(ImportError):
    """An optional dependency of skmnist's ONNX support is not installed."""


def require(module, purpose):
    """Import and return `module`; if it is missing, say which extra installs it.

    Parameters
    ----------
    module : str
        ``"onnx"`` (needed to export) or ``"onnxruntime"`` (needed to predict).
    purpose : str
        What needs it, for the message ("exporting to ONNX").

    Raises
    ------
    MissingDependencyError
        One line naming the module, the purpose and the extra.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the {module!r} package, which is not installed "
            f"({exc}); install it with: {INSTALL_HINT}"
        ) from exc
