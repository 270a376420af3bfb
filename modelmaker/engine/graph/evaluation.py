"""`evaluate`: the metrics of one checkpoint, as Estimator.evaluate computes and records them.

The model_fn in EVAL mode; its eval_metric_ops (tf.compat.v1.metrics pairs or Keras Metric objects)
plus the mean of the loss ('loss') and the checkpoint's 'global_step'; over `steps` batches or until the
input ends; with the spec's evaluation hooks; the results written as scalars to `<model_dir>/eval[_name]`.
"""

import os

import numpy as np
import tensorflow as tf

from modelmaker.engine.graph import calls
from modelmaker.engine.graph.settings import RunSettings
from modelmaker.estimator import ModeKeys

_v1 = tf.compat.v1
LOSS_KEY = "loss"


class _StopAfterHook(_v1.train.SessionRunHook):
    """Stops an evaluation after `steps` runs of the update ops."""

    def __init__(self, steps):
        self._steps, self._done = steps, 0

    def after_run(self, run_context, run_values):
        self._done += 1
        if self._done >= self._steps:
            run_context.request_stop()


def eval_dir(model_dir, name=None):
    """Where the evaluation's event files go: `<model_dir>/eval` or `<model_dir>/eval_<name>`."""
    return os.path.join(model_dir, f"eval_{name}" if name else "eval")


def evaluate(model_fn, input_fn, *, model_dir, params=None, settings=RunSettings(), steps=None,
             checkpoint_path=None, hooks=(), name=None):
    """Evaluates one checkpoint and returns {metric: value, 'loss': mean loss, 'global_step': its step}.

    Args:
      model_fn, input_fn, params, settings: as for `train` (input_fn gives the evaluation data).
      model_dir: where the checkpoints are; the events go to `eval_dir(model_dir, name)`.
      steps: batches to evaluate; None: until the input ends.
      checkpoint_path: the checkpoint to evaluate; None: the newest in model_dir.
      hooks: extra SessionRunHooks (beside the spec's evaluation_hooks).

    Raises:
      ValueError: steps <= 0, no checkpoint to evaluate, or a metric named 'loss' or 'global_step'.
    """
    if steps is not None and steps <= 0:
        raise ValueError(f"evaluate: steps must be > 0 or None (until the input ends), got {steps}.")
    checkpoint_path = checkpoint_path or tf.train.latest_checkpoint(model_dir)
    if not checkpoint_path:
        raise ValueError(f"evaluate: no checkpoint in {model_dir}: train first, or give checkpoint_path.")
    settings = settings.in_dir(model_dir)
    with tf.Graph().as_default():
        _v1.set_random_seed(settings.tf_random_seed)
        global_step = _v1.train.get_or_create_global_step()
        features, labels, input_hooks = calls.input_tensors(input_fn, ModeKeys.EVAL, params, settings)
        spec = calls.model_spec(model_fn, features, labels, ModeKeys.EVAL, params, settings)
        values, update_op = _metric_ops(spec, global_step)
        final = _v1.train.FinalOpsHook(values)
        all_hooks = [*input_hooks, *hooks, *spec.evaluation_hooks, final]
        if steps is not None:
            all_hooks.append(_StopAfterHook(steps))
        creator = _v1.train.ChiefSessionCreator(scaffold=spec.scaffold, checkpoint_filename_with_path=checkpoint_path,
                                                config=settings.session_config)
        with _v1.train.MonitoredSession(session_creator=creator, hooks=all_hooks) as session:
            while not session.should_stop():
                session.run(update_op)
    results = {key: _plain(value) for key, value in final.final_ops_values.items()}
    write_summaries(eval_dir(model_dir, name), results)
    return results


def _metric_ops(spec, global_step):
    """({name: value tensor} incl. loss mean and global_step, the grouped update op)."""
    pairs = calls.metric_pairs(spec)
    for reserved in (LOSS_KEY, _v1.GraphKeys.GLOBAL_STEP):
        if reserved in pairs:
            raise ValueError(f"eval_metric_ops may not use the name {reserved!r}: the evaluation reports the "
                             f"{'mean loss' if reserved == LOSS_KEY else 'checkpoint step'} under it. Rename it.")
    pairs[LOSS_KEY] = _v1.metrics.mean(spec.loss)
    values = {key: value for key, (value, _) in pairs.items()}
    values[_v1.GraphKeys.GLOBAL_STEP] = global_step
    return values, tf.group(*[update for _, update in pairs.values()])


def _plain(value):
    """A numpy scalar as a Python number; arrays as they are."""
    return value.item() if isinstance(value, np.generic) or getattr(value, "ndim", None) == 0 else value


def write_summaries(directory, results):
    """Writes the numeric scalars of `results` to an event file in `directory` at results['global_step']."""
    step = int(results[_v1.GraphKeys.GLOBAL_STEP])
    summary = _v1.Summary()
    for key, value in results.items():
        if key != _v1.GraphKeys.GLOBAL_STEP and isinstance(value, (int, float)) and not isinstance(value, bool):
            summary.value.add(tag=key, simple_value=float(value))
    with tf.Graph().as_default():  # a v1 writer needs a graph; FileWriterCache writes it (empty) once
        writer = _v1.summary.FileWriterCache.get(directory)
        writer.add_summary(summary, step)
        writer.flush()
