"""Provides `build`: the TrainSpec and EvalSpec of a run, from the engine and what the run adds.

Input functions are the user's, checked (`Engine.input_fn`); hooks and listeners come
from `modelmaker.engine.hooks.assemble`; the after-evaluation controls (best export, early
stopping, tuning objective) run as one Estimator exporter, so they follow every evaluation
train_and_evaluate makes.
"""

import tensorflow as tf


def build(engine, *, max_steps, hooks=(), listeners=(), eval_hooks=(), after_evaluation=()):
    """(TrainSpec, EvalSpec) of `engine` (an `EstimatorEngine`) training to `max_steps`."""
    params = engine.params
    train_spec = tf.estimator.TrainSpec(
        input_fn=engine.input_fn(training=True), max_steps=max_steps, hooks=list(hooks),
        saving_listeners=list(listeners))
    eval_spec = tf.estimator.EvalSpec(
        input_fn=engine.input_fn(training=False), steps=params["eval_steps"],
        start_delay_secs=params["eval_start_delay_secs"], throttle_secs=params["eval_throttle_secs"],
        hooks=list(eval_hooks), exporters=[AfterEvaluation(after_evaluation)] if after_evaluation else None)
    return train_spec, eval_spec


class AfterEvaluation(tf.estimator.Exporter):
    """Runs the after-evaluation controls when Estimator's evaluator calls its exporters."""

    def __init__(self, controls):
        self._controls = tuple(controls)

    @property
    def name(self):
        return "after_evaluation"

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        for control in self._controls:
            control(eval_result, checkpoint_path)
        return None
