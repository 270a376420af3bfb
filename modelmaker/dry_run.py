"""Provides `run_stages`: the part of `modelmaker check` that runs the model, in a scratch folder.

The Estimator and specs (warm start included), input lengths, `TRAIN_STEPS` training steps
and `EVAL_STEPS` evaluation batches (timed), an export that is loaded back, and the metric
names the parameters watch. Each stage adds one row to the
check's table and the timings feed `modelmaker.combinations`.
"""

import dataclasses
import statistics
import time

import tensorflow as tf

from modelmaker import (adapters, best_export, early_stopping, export as export_lib, inputs, runner, specs,
                        tuning, usererrors)
from modelmaker.errors import UserModuleError

TRAIN_STEPS = 5  # the first step warms up; the others give the step time
EVAL_STEPS = 2   # the same for evaluation


class _Timer(tf.estimator.SessionRunHook):
    """Records the seconds of each session.run."""

    def __init__(self):
        self.times = []
        self._began = None

    def before_run(self, run_context):
        self._began = time.perf_counter()

    def after_run(self, run_context, run_values):
        self.times.append(time.perf_counter() - self._began)

    def steady(self):
        """The median step time after the first (which includes warm-up)."""
        return statistics.median(self.times[1:] or self.times) if self.times else None


def run_stages(table, user, params, data_path, scratch, facts):
    """Adds the rows of the model-running stages to `table`; returns `facts` with what they measured.

    Args:
      table: the check's `Table`.
      user: the checked `UserModule`.
      params: the `RunParams` of the real run; a shortened copy is trained here.
      data_path: the data path handed to the input functions.
      scratch: a temporary folder used as the model directory.
      facts: `combinations.Facts` known so far.
    """
    # No checkpoint is saved between the first and the last step, so the steps time cleanly.
    trial = params.replace("modelmaker check", train_max_steps=TRAIN_STEPS, eval_steps=EVAL_STEPS,
                           eval_every_steps=None, save_checkpoints_steps=TRAIN_STEPS + 1,
                           save_checkpoints_secs=None, log_step_count_steps=None,
                           save_summary_steps=None)
    built = table.stage("training setup", _setup, user, trial, data_path, scratch)
    estimator, train_spec, eval_spec = built or (None, None, None)
    lengths = table.stage("input functions", _inputs, train_spec, eval_spec) or (None, None)
    step_secs = table.stage("train steps", _train, estimator, train_spec)
    found = table.stage("eval step", _evaluate, estimator, eval_spec, params, lengths[1])
    metrics, eval_secs = found or (None, None)
    export_secs = table.stage("export", _export, estimator, user, params, scratch)
    if any((tuning.target(params), best_export.target(params), early_stopping.setting(params))):
        table.stage("metric names", _metric_names, params, metrics)
    return dataclasses.replace(facts, step_secs=step_secs, eval_secs=eval_secs, export_secs=export_secs,
                               train_endless=_endless(lengths[0]), eval_endless=_endless(lengths[1]))


def _endless(length):
    return None if length is None else length.endless


def _setup(user, trial, data_path, scratch):
    train_spec, eval_spec = specs.build(user, trial, data_path=data_path, model_dir=scratch)
    estimator = runner.build_estimator(user, trial, scratch)  # warm start happens here
    hooks = len(train_spec.hooks) + len(eval_spec.exporters)
    return f"Estimator, TrainSpec and EvalSpec built ({hooks} hooks and exporters)", (
        estimator, train_spec, eval_spec)


def _inputs(train_spec, eval_spec):
    (train_length, train), (eval_length, evaluation) = _read(train_spec.input_fn), _read(eval_spec.input_fn)
    return (f"train: {train_length.describe()}, {train}; eval: {eval_length.describe()}, {evaluation}",
            (train_length, eval_length))


def _read(input_fn):
    """(the input's `inputs.Length`, its features and labels: names, dtypes, shapes)."""
    with tf.Graph().as_default():
        result = input_fn()
        return inputs.of_result(result, run=True), usererrors.describe_element(result)


def _train(estimator, train_spec):
    timer = _Timer()
    estimator.train(train_spec.input_fn, max_steps=TRAIN_STEPS, hooks=list(train_spec.hooks) + [timer],
                    saving_listeners=list(train_spec.saving_listeners))
    if not timer.times:
        raise UserModuleError("train_input_fn's input is empty: training made no step. Check "
                              "the data it reads (--data_url).")
    step = timer.steady()
    return (f"{len(timer.times)} steps, ~{step * 1000:.1f} ms/step after the first "
            f"({timer.times[0]:.2f} s)"), step


def _evaluate(estimator, eval_spec, params, eval_length):
    timer, began = _Timer(), time.monotonic()
    metrics = estimator.evaluate(eval_spec.input_fn, steps=EVAL_STEPS,
                                 hooks=list(eval_spec.hooks) + [timer])
    wall, step = time.monotonic() - began, timer.steady()
    known = eval_length.batches if eval_length and (eval_length.batches or 0) > 0 else None
    batches = min(filter(None, (params["eval_steps"], known)), default=None)
    whole = wall - sum(timer.times) + batches * step if batches else None
    shown = ", ".join(f"{k} {float(v):.4g}" for k, v in sorted(metrics.items()) if k != "global_step")
    estimate = f"; a whole evaluation ({batches:,} batches): ~{whole:.1f} s" if whole else ""
    return f"{len(timer.times)} batches: {shown}{estimate}", (metrics, whole)


def _metric_names(params, metrics):
    named = []
    for watched in (tuning.target(params), best_export.target(params)):
        if watched:
            watched.read(metrics)
            named.append(f"{watched.key}: {watched.metric}")
    stopping = early_stopping.setting(params)
    if stopping:
        stopping.watched.read(metrics)
        named.append(f"early_stopping: {stopping.watched.metric}")
    return "; ".join(named) + " (all produced by the evaluation)", None


def _export(estimator, user, params, scratch):
    began = time.monotonic()
    path, _ = export_lib.export(
        estimator, adapters.serving_input_receiver_fn(user),
        base=export_lib.base_dir(scratch, params["export_name"]),
        checkpoint_path=estimator.latest_checkpoint(), global_step=TRAIN_STEPS, user_module=user)
    secs = time.monotonic() - began
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta = tf.compat.v1.saved_model.load(session, ["serve"], path)
    signatures = "; ".join(f"{name}: {', '.join(sig.inputs)} -> {', '.join(sig.outputs)}"
                           for name, sig in sorted(meta.signature_def.items()))
    return f"SavedModel written in {secs:.1f} s and loaded: {signatures}", secs
