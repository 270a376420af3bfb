"""Provides the tuning objective: the evaluation metric a hyperparameter tuner optimises.

    "tuning_metric": "accuracy"

After each evaluation, `Reporter` writes that metric as the TensorBoard scalar
`training/hptuning/metric` into `<train_url>/eval/` (the tag KDL's and AI Platform's tuners
read) and, when the `cloudml-hypertune` package is importable, reports it under the same tag
with `hypertune.HyperTune().report_hyperparameter_tuning_metric` (Vertex AI / AI Platform's
default metric tag). The final value also goes into `result.json` as `tuning`.
"""

import functools
import os

import tensorflow as tf

from modelmaker import layout
from modelmaker.controls.target import Target

TAG = "training/hptuning/metric"


def target(params):
    """The `Target` of `tuning_metric`, or None when no objective is named."""
    name = params["tuning_metric"]
    return None if name is None else Target(name, key="tuning_metric")


def result(params, metrics, global_step):
    """The `tuning` entry of result.json: {metric, value, global_step}, or None."""
    watched = target(params)
    if watched is None or watched.metric not in metrics:
        return None
    return {"metric": watched.metric, "value": watched.read(metrics), "global_step": int(global_step)}


def write_summary(model_dir, value, global_step):
    """Appends `value` at `global_step` as the `training/hptuning/metric` scalar in the eval dir."""
    summary = tf.compat.v1.Summary(value=[tf.compat.v1.Summary.Value(tag=TAG, simple_value=value)])
    # Controls may run inside the engine's training graph when training and evaluation share
    # a process; a v1 FileWriter needs a graph of its own there (and outside eager mode).
    with tf.Graph().as_default():
        writer = tf.compat.v1.summary.FileWriterCache.get(layout.eval_dir(model_dir))
        writer.add_summary(summary, global_step)
        writer.flush()


def report_hypertune(value, global_step):
    """Reports to cloudml-hypertune when it is installed; returns whether it was."""
    reporter = hypertune_reporter()
    if reporter is None:
        return False
    reporter.report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag=TAG, metric_value=value, global_step=global_step)
    return True


@functools.lru_cache(maxsize=None)
def hypertune_reporter():
    """The process's `hypertune.HyperTune()`, or None when cloudml-hypertune is not installed."""
    try:
        import hypertune
    except ImportError:
        return None
    return hypertune.HyperTune()


class Reporter:
    """After each evaluation: publishes the tuning objective (a plain callable
    `(metrics, checkpoint_path)`); exports nothing."""

    def __init__(self, watched, *, model_dir):
        self._watched = watched
        self._model_dir = model_dir

    def __call__(self, metrics, checkpoint_path):
        value = self._watched.read(metrics)
        step = int(metrics[tf.compat.v1.GraphKeys.GLOBAL_STEP])
        write_summary(self._model_dir, value, step)
        report_hypertune(value, step)
