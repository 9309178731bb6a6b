"""The command line's quieting of TensorFlow's logs: the library's, for all commands."""

from skmnist._quiet import (
    ENV,
    QUIET_LEVEL,
    filter_log_lines,
    log_level,
    quiet_tensorflow,
)

__all__ = ["ENV", "QUIET_LEVEL", "filter_log_lines", "log_level", "quiet_tensorflow"]
