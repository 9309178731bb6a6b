"""Keep TensorFlow's log lines out of the user's output (no heavy imports).

TensorFlow's C++ core logs through absl: ``I0000 00:00:17... port.cc:153] oneDNN
custom operations are on...``, ``Could not find cuda drivers on your machine``,
``failed call to cuInit``. ``TF_CPP_MIN_LOG_LEVEL`` (0 shows everything, 1 hides
INFO, 2 also WARNING, 3 also ERROR) silences the lines logged once TensorFlow is
running, but the ones written while its shared libraries load, before absl's logging
is initialised, ignore it. So the command line

* sets ``TF_CPP_MIN_LOG_LEVEL`` to 3 unless the user set it (their value wins) or
  asked for ``--verbose`` (everything is shown);
* imports ``tensorflow`` (whoever imports it first: Keras, scikeras, a command) with
  its standard error captured, and writes back every captured line except the log
  lines below the level;
* lowers TensorFlow's and absl's Python loggers to errors.

TensorFlow is still imported lazily: only when a command needs it.

The library does the same when it is the first to import TensorFlow (building its
estimators' base class), with two differences, so that a notebook's cells show no
start-up lines and nothing the user set is changed: when the user set
``TF_CPP_MIN_LOG_LEVEL`` (any value) it does nothing at all; otherwise it sets it
to 3 only while TensorFlow is imported (TensorFlow reads it once, then) and
removes it again, and it leaves the Python loggers alone
(:func:`quiet_tensorflow_import`).
"""

import logging
import os
import re
import sys
import tempfile

ENV = "TF_CPP_MIN_LOG_LEVEL"
# when the user neither set TF_CPP_MIN_LOG_LEVEL nor asked for --verbose: 3 hides
# ERROR lines too ("failed call to cuInit" is one, on every machine without a GPU)
QUIET_LEVEL = 3

_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
# I0000 00:00:1795617253.467446    6642 port.cc:153] message   (absl: newer TF)
# 2026-11-25 14:54:22.830535: I tensorflow/core/util/port.cc:113] message  (TF 2.16)
_LOG_LINE = re.compile(
    r"(?:([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ "
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWEF]) )[^\s:\]]+:\d+\] "
)
# absl's one-time notice, and the second line of the CPU-instructions message
_NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called",
    "To enable the following instructions:",
)


def log_level(verbose=False, environ=None):
    """The TensorFlow C++ log level in force: the user's, else 0 or 3.

    Sets ``TF_CPP_MIN_LOG_LEVEL`` in ``environ`` (default ``os.environ``) to
    :data:`QUIET_LEVEL` when it is unset and ``verbose`` is false.
    """
    environ = os.environ if environ is None else environ
    text = environ.get(ENV)
    if text is None:
        if verbose:
            return 0
        environ[ENV] = str(QUIET_LEVEL)
        return QUIET_LEVEL
    try:
        return int(text)
    except ValueError:  # TensorFlow reads a non-number as 0
        return 0


def filter_log_lines(text, level):
    """``text`` without TensorFlow's C++ log lines of a severity below ``level``.

    Examples
    --------
    >>> text = (
    ...     "I0000 00:00:1795617253.467709    6642 cudart_stub.cc:31] Could not "
    ...     "find cuda drivers on your machine, GPU will not be used.\\n"
    ...     "a line of our own\\n"
    ... )
    >>> filter_log_lines(text, 3)
    'a line of our own\\n'
    >>> filter_log_lines(text, 0) == text
    True
    """
    if level <= 0:
        return text
    kept = []
    for line in text.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if match and _SEVERITY[match.group(1) or match.group(2)] < level:
            continue
        if line.startswith(_NOTICES):
            continue
        kept.append(line)
    return "".join(kept)


def quiet_tensorflow(verbose=False):
    """Quiet TensorFlow's logs for this process (see the module docstring).

    Returns a function that removes the import hook if TensorFlow was not imported
    (for callers running several commands in one process, such as the tests).
    """
    level = log_level(verbose)
    if level <= 0:
        return lambda: None
    if "tensorflow" in sys.modules:
        _quiet_python_loggers(level)
        return lambda: None
    finder = _QuietImportFinder(level)
    sys.meta_path.insert(0, finder)

    def remove():
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)

    return remove


def quiet_tensorflow_import():
    """The library's quieting of TensorFlow's start-up (see the module docstring).

    Does nothing if TensorFlow is already imported or ``TF_CPP_MIN_LOG_LEVEL``
    is set: the user asked for their level.
    """
    if "tensorflow" in sys.modules or ENV in os.environ:
        return
    if any(isinstance(finder, _QuietImportFinder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietImportFinder(QUIET_LEVEL, library=True))


def _quiet_python_loggers(level):
    python_level = logging.WARNING if level == 1 else logging.ERROR
    logging.getLogger("tensorflow").setLevel(python_level)
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None:
        absl_logging.set_verbosity(python_level)


class _QuietImportFinder:
    """Finds ``tensorflow`` as usual, and has it imported with stderr filtered.

    An import-system meta path finder (see :mod:`importlib.abc`; not subclassed, to
    keep ``skmnist --help`` from importing it).
    """

    def __init__(self, level, library=False):
        self.level, self.library = level, library

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        import importlib.util

        sys.meta_path.remove(self)  # once; the real finders do the finding
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self.level, self.library)
        return spec


class _QuietLoader:
    """The real loader of ``tensorflow``, run under :class:`_filtered_stderr`."""

    def __init__(self, loader, level, library=False):
        self.loader, self.level, self.library = loader, level, library

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # the module is the real loader's again, whatever happens
        module.__loader__ = module.__spec__.loader = self.loader
        if not self.library:
            with _filtered_stderr(self.level):
                self.loader.exec_module(module)
            _quiet_python_loggers(self.level)
            return
        # the library: the level only while TensorFlow reads it, the user's
        # environment as it was afterwards
        os.environ[ENV] = str(self.level)
        try:
            with _filtered_stderr(self.level):
                self.loader.exec_module(module)
        finally:
            if os.environ.get(ENV) == str(self.level):
                del os.environ[ENV]

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _filtered_stderr:
    """Capture file descriptor 2 (C++ writes too); write back what the filter keeps."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
        except (OSError, AttributeError, ValueError):
            self.saved = None  # no usable stderr: nothing to filter
            return self
        self.capture = tempfile.TemporaryFile()
        os.dup2(self.capture.fileno(), 2)
        return self

    def __exit__(self, *exc_info):
        if self.saved is None:
            return
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self.saved, 2)
        os.close(self.saved)
        with self.capture:
            self.capture.seek(0)
            text = self.capture.read().decode("utf-8", errors="replace")
        kept = filter_log_lines(text, self.level)
        if kept:
            sys.stderr.write(kept)
            sys.stderr.flush()
