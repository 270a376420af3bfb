"""Provides `TablePrinter`: the control that prints each evaluation's metrics table as it happens.

The engine evaluates inside `train_and_evaluate` (one process), in a cluster's evaluator task,
or once at the end; the after-evaluation controls run after each of those evaluations, so a
table printed here appears for every evaluation the start-up line promised, not only the
final one.
"""

from modelmaker import logs

_PRINTED = {}  # model directory -> tables printed by this process


class TablePrinter:
    """After each evaluation: prints its metrics table (a plain callable
    `(metrics, checkpoint_path)`)."""

    def __init__(self, model_dir, log=logs.info):
        self._model_dir = model_dir
        self._log = log

    def __call__(self, metrics, checkpoint_path):
        self._log(logs.metrics_table(metrics, title=f"evaluation at step {metrics.get('global_step')}"))
        _PRINTED[self._model_dir] = printed(self._model_dir) + 1


def printed(model_dir):
    """How many evaluation tables this process has printed for `model_dir`."""
    return _PRINTED.get(model_dir, 0)
