"""Provides `TablePrinter`: the exporter that prints each evaluation's metrics table as it happens.

Estimator evaluates inside `train_and_evaluate` (one process), in a cluster's evaluator task,
or once at the end; exporters run after each of those evaluations, so a table printed here
appears for every evaluation the start-up line promised, not only the final one.
"""

import tensorflow as tf

from modelmaker import logs
from modelmaker.progress import metrics_table

NAME = "metrics_table"  # never written to: this exporter exports nothing
_PRINTED = {}  # model directory -> tables printed by this process


class TablePrinter(tf.estimator.Exporter):
    """Prints the metrics table of each evaluation; exports nothing."""

    def __init__(self, model_dir, log=logs.info):
        self._model_dir = model_dir
        self._log = log

    @property
    def name(self):
        return NAME

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        self._log(metrics_table(eval_result, title=f"evaluation at step {eval_result.get('global_step')}"))
        _PRINTED[self._model_dir] = printed(self._model_dir) + 1
        return None


def printed(model_dir):
    """How many evaluation tables this process has printed for `model_dir`."""
    return _PRINTED.get(model_dir, 0)
