"""Provides `run_stages`: the part of `modelmaker check` that runs the model, in a scratch folder.

The engine and the training controls (warm start included), input lengths, `TRAIN_STEPS` training steps
and `EVAL_STEPS` evaluation batches (timed), an export that is loaded back, and the metric
names the parameters watch. Each stage adds one row to the
check's table and the timings feed `modelmaker.config.combinations`.
"""

import dataclasses
import statistics
import time

import tensorflow as tf

from modelmaker import engine as engine_lib, layout, runner
from modelmaker.controls import best_export, early_stopping, tuning
from modelmaker.engine import checkpoints
from modelmaker.user import code_errors, inputs, returns
from modelmaker.errors import UserModuleError

TRAIN_STEPS = 5  # the first step warms up; the others give the step time
EVAL_STEPS = 2   # the same for evaluation


class _Timer(tf.compat.v1.train.SessionRunHook):
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
    trainer, controls = table.stage("training setup", _setup, user, trial, data_path, scratch) or (None, None)
    lengths = table.stage("input functions", _inputs, user, trial, data_path) or (None, None)
    step_secs = table.stage("train steps", _train, trainer, controls)
    found = table.stage("eval step", _evaluate, trainer, params, lengths[1])
    metrics, eval_secs = found or (None, None)
    export_secs = table.stage("export", _export, trainer, params, scratch)
    if any((tuning.target(params), best_export.target(params), early_stopping.setting(params))):
        table.stage("metric names", _metric_names, params, metrics)
    return dataclasses.replace(facts, step_secs=step_secs, eval_secs=eval_secs, export_secs=export_secs,
                               train_endless=_endless(lengths[0]), eval_endless=_endless(lengths[1]))


def _endless(length):
    return None if length is None else length.endless


def _setup(user, trial, data_path, scratch):
    trainer = engine_lib.build(user=user, params=trial, model_dir=scratch, data_path=data_path)
    controls = runner.controls(trainer)  # warm start and the controls' parameters are checked here
    hooks = len(controls.hooks) + len(controls.after_evaluation)
    return f"{trainer.built} built ({hooks} hooks and exporters)", (trainer, controls)


def _inputs(user, trial, data_path):
    (train_length, train), (eval_length, evaluation) = (
        _read(returns.checked(user, trial, training=training, data_path=data_path)) for training in (True, False))
    return (f"train: {train_length.describe()}, {train}; eval: {eval_length.describe()}, {evaluation}",
            (train_length, eval_length))


def _read(input_fn):
    """(the input's `inputs.Length`, its features and labels: names, dtypes, shapes)."""
    with tf.Graph().as_default():
        result = input_fn()
        return inputs.of_result(result, run=True), code_errors.describe_element(result)


def _train(trainer, controls):
    timer = _Timer()
    trainer.train(max_steps=TRAIN_STEPS, hooks=[*controls.hooks, timer], listeners=controls.listeners)
    if not timer.times:
        raise UserModuleError("train_input_fn's input is empty: training made no step. Check "
                              "the data it reads (--data_url).")
    step = timer.steady()
    return (f"{len(timer.times)} steps, ~{step * 1000:.1f} ms/step after the first "
            f"({timer.times[0]:.2f} s)"), step


def _evaluate(trainer, params, eval_length):
    timer, began = _Timer(), time.monotonic()
    metrics = trainer.evaluate(steps=EVAL_STEPS, hooks=[timer])
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


def _export(trainer, params, scratch):
    began = time.monotonic()
    path, _ = trainer.export(layout.export_base(scratch, params["export_name"]),
                             checkpoint=checkpoints.latest(scratch), global_step=TRAIN_STEPS)
    secs = time.monotonic() - began
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta = tf.compat.v1.saved_model.load(session, ["serve"], path)
    signatures = "; ".join(f"{name}: {', '.join(sorted(sig.inputs))} -> {', '.join(sorted(sig.outputs))}"
                           for name, sig in sorted(meta.signature_def.items()))
    return f"SavedModel written in {secs:.1f} s and loaded: {signatures}", secs
