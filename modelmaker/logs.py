"""Provides modelmaker's logger, the switch that quiets TensorFlow's own noise, and the
evaluation table a person reads."""

import logging
import sys
import warnings

LOGGER = logging.getLogger("modelmaker")


def setup(verbose=False, stream=None):
    """Sends modelmaker's lines to `stream` (stderr) and quiets TensorFlow unless `verbose`.

    TensorFlow's C++ log level must be set before TensorFlow is imported; the command-line
    edge does that (`environment.quiet_native_logs`). This function handles the Python side:
    tf/absl loggers and deprecation warnings.
    """
    for old in [h for h in LOGGER.handlers if isinstance(h, _Handler)]:
        LOGGER.removeHandler(old)
    handler = _Handler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
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
