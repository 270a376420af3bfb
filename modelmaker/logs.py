"""Provides modelmaker's logger, the switch that quiets TensorFlow's own noise, and the
evaluation table a person reads."""

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings

LOGGER = logging.getLogger("modelmaker")


def setup(verbose=False, stream=None):
    """Sends modelmaker's lines to `stream` (stderr) and quiets TensorFlow unless `verbose`.

    TensorFlow's C++ log level must be set before TensorFlow is imported; the command-line
    edge does that (`environment.quiet_native_logs`). This function imports TensorFlow without
    its native start-up lines (`import_tensorflow`) and handles the Python side: tf/absl
    loggers and deprecation warnings.
    """
    for old in [h for h in LOGGER.handlers if isinstance(h, _Handler)]:
        LOGGER.removeHandler(old)
    handler = _Handler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    import_tensorflow(verbose)
    quiet_tensorflow(not verbose)


class _Handler(logging.StreamHandler):
    """Writes to `stream`, or to whatever sys.stderr is at the time of each line (so that
    redirections made after setup, e.g. by test runners, are honoured)."""

    def __init__(self, stream=None):
        super().__init__(stream or sys.stderr)
        self._fixed = stream

    def emit(self, record):
        if self._fixed is None:
            self.stream = sys.stderr
        super().emit(record)


# What TensorFlow >= 2.17 writes to stderr while it is imported, through absl, before
# TF_CPP_MIN_LOG_LEVEL applies: "WARNING: All log messages before absl::InitializeLog() ..."
# and I/W/E lines such as "I0000 00:00:17961.. 5906 port.cc:153] oneDNN custom operations are on".
_NATIVE_STARTUP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} \d\d:\d\d:[\d.]+ +\d+ \S+:\d+\] )")


def import_tensorflow(verbose=False):
    """Imports TensorFlow for a command: unless `verbose`, without the native start-up lines
    that TF_CPP_MIN_LOG_LEVEL no longer silences on current TensorFlow (everything else the
    import writes to stderr is shown)."""
    if verbose or "tensorflow" in sys.modules:
        import tensorflow  # noqa: F401
        return
    with native_startup_lines_dropped():
        import tensorflow  # noqa: F401


@contextlib.contextmanager
def native_startup_lines_dropped():
    """Captures file descriptor 2 while the block runs, then writes back to stderr every line
    but the native start-up lines (`_NATIVE_STARTUP_LINE`), also when the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not _NATIVE_STARTUP_LINE.match(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def quiet_tensorflow(quiet=True):
    """Silences (or restores) TensorFlow's INFO/WARNING lines and deprecation notices."""
    import tensorflow as tf
    from tensorflow.python.util import deprecation
    level = logging.ERROR if quiet else logging.INFO
    tf.get_logger().setLevel(level)
    logging.getLogger("absl").setLevel(level)
    deprecation._PRINT_DEPRECATION_WARNINGS = not quiet  # the only switch TF offers
    if quiet:
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        # tf.compat.v1 layers warn from the caller's frame, so match the text, not the module.
        warnings.filterwarnings("ignore", message=r".*is deprecated and will be removed", category=UserWarning)


def info(line):
    """Logs one line for the person at the terminal."""
    LOGGER.info(line)


def metrics_table(metrics, *, title):
    """A short two-column table of evaluation metrics (global_step shown in the title)."""
    rows = [(k, v) for k, v in sorted(metrics.items()) if k != "global_step"]
    if not rows:
        return title
    width = max(len(k) for k, _ in rows)
    body = "\n".join(f"  {k:<{width}}  {_format_value(v)}" for k, v in rows)
    return f"{title}\n{body}"


def _format_value(value):
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return str(value)
