"""Provides `build`: the TrainSpec and EvalSpec of a run, from its parameters and user module.

This is the one place that decides what runs during training and evaluation: input
functions, training hooks, evaluation hooks and exporters.
"""

import tensorflow as tf

from modelmaker import adapters


def build(user, params, *, data_path, require_dataset=False, plan=None):
    """(TrainSpec, EvalSpec) for `user` under `params`.

    Args:
      user: the checked `UserModule`.
      params: the `RunParams`.
      data_path: the local data path handed to the input functions as `path`.
      require_dataset: input functions must return a Dataset (distributed training).
      plan: the `distributed.strategies.Plan`, when there is one: it gives Estimator's
        max_steps, adds `worker_index`/`num_workers` to the input functions' params (training
        shards by them; evaluation reads everything, 0 of 1) and, when distributed, requires
        a Dataset.
    """
    require_dataset = require_dataset or bool(plan and plan.distributed)

    def input_fn(fn, name, training):
        extra = plan.input_params(training=training) if plan else {}
        return adapters.input_fn(fn, name=name, path=data_path,
                                 params=lambda: {**params.as_dict(), **extra},
                                 origin=user.origin, require_dataset=require_dataset)
    train_spec = tf.estimator.TrainSpec(
        input_fn=input_fn(user.train_input_fn, "train_input_fn", True),
        max_steps=plan.max_steps if plan else params["train_max_steps"], hooks=train_hooks(params))
    eval_spec = tf.estimator.EvalSpec(
        input_fn=input_fn(user.eval_input_fn, "eval_input_fn", False), steps=params["eval_steps"],
        start_delay_secs=params["eval_start_delay_secs"],
        throttle_secs=params["eval_throttle_secs"],
        hooks=eval_hooks(params), exporters=exporters(params))
    return train_spec, eval_spec


def train_hooks(params):
    """SessionRunHooks that run on every training worker."""
    return []


def eval_hooks(params):
    """SessionRunHooks that run during each evaluation."""
    return []


def exporters(params):
    """Exporters run after each evaluation (the final export is done by the runner)."""
    return []
