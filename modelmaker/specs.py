"""Provides `build`: the TrainSpec and EvalSpec of a run, from its parameters and user module.

This is the one place that decides what runs during training and evaluation: input
functions, training hooks, saving listeners, evaluation hooks and exporters. Best export,
early stopping and the tuning objective are exporters, i.e. they run after each evaluation,
wherever evaluation runs (`run_exporters` runs them after an evaluation made outside
train_and_evaluate).
"""

import os

import tensorflow as tf

from modelmaker import adapters, best_export, early_stopping, eval_tables, logs, tuning
from modelmaker.progress import EvalProgressHook


def build(user, params, *, data_path, model_dir, require_dataset=False, plan=None):
    """(TrainSpec, EvalSpec) for `user` under `params`.

    Args:
      user: the checked `UserModule`.
      params: the `RunParams`.
      data_path: the local data path handed to the input functions as `path`.
      model_dir: the model directory (early stopping and best export keep their state there).
      require_dataset: input functions must return a Dataset (distributed training).
      plan: the `distributed.strategies.Plan`, when there is one: it gives Estimator's
        max_steps, adds `worker_index`/`num_workers` to the input functions' params (training
        shards by them; evaluation reads everything, 0 of 1) and, when distributed, requires
        a Dataset.

    Raises:
      ParamsError: a combination of parameters the training controls cannot honour.
    """
    require_dataset = require_dataset or bool(plan and plan.distributed)

    def input_fn(fn, name, training):
        return checked_input_fn(user, params, fn, name, training=training, data_path=data_path,
                                plan=plan, require_dataset=require_dataset)
    chosen = early_stopping.setting(params)
    watching = early_stopping.Monitor(chosen, model_dir, log=logs.info) if chosen else None
    train_spec = tf.estimator.TrainSpec(
        input_fn=input_fn(user.train_input_fn, "train_input_fn", True),
        max_steps=_max_steps(watching, plan.max_steps if plan else params["train_max_steps"]),
        hooks=train_hooks(params, watching), saving_listeners=saving_listeners(watching))
    eval_spec = tf.estimator.EvalSpec(
        input_fn=input_fn(user.eval_input_fn, "eval_input_fn", False), steps=params["eval_steps"],
        start_delay_secs=params["eval_start_delay_secs"],
        throttle_secs=params["eval_throttle_secs"],
        hooks=eval_hooks(params), exporters=exporters(user, params, watching, model_dir=model_dir))
    return train_spec, eval_spec


def checked_input_fn(user, params, fn, name, *, training, data_path, plan=None, require_dataset=False):
    """The Estimator input_fn that calls the user's `fn` (named `name`) as training or
    evaluation does: with `data_path`, the params and the plan's worker parameters."""
    extra = plan.input_params(training=training) if plan else {}
    return adapters.input_fn(fn, name=name, path=data_path, params=lambda: {**params.as_dict(), **extra},
                             origin=user.origin, require_dataset=require_dataset)


def _max_steps(watching, max_steps):
    """`max_steps`, or the step at which an earlier run here stopped early (so that a rerun
    trains nothing, as a finished run does)."""
    if watching is None or not watching.should_stop():
        return max_steps
    step = max(1, watching.state["last_step"])
    if watching.model_dir not in _TOLD:  # evaluations rebuild the specs: say it once
        _TOLD.add(watching.model_dir)
        logs.info(f"early stopping: training in this train_url stopped at step {step} "
                  f"({watching.setting.watched.metric} did not improve for "
                  f"{watching.setting.patience} evaluations) and does not resume. Raise "
                  f"early_stopping.patience, or delete {early_stopping.STATE}, to train on.")
    return step if max_steps is None else min(max_steps, step)


_TOLD = set()  # model directories whose early stop this process has announced


def train_hooks(params, watching=None):
    """SessionRunHooks that run on every training worker."""
    return [early_stopping.StopHook(watching)] if watching else []


def saving_listeners(watching=None):
    """CheckpointSaverListeners; they run on the chief only."""
    return [early_stopping.DoneListener(watching)] if watching else []


def eval_hooks(params):
    """SessionRunHooks that run during each evaluation: a progress line every few seconds."""
    return [EvalProgressHook(total=params["eval_steps"], log=logs.info)]


def exporters(user, params, watching=None, *, model_dir=None):
    """Exporters run after each evaluation (the final export is done by the runner); the
    first prints the evaluation's table (given `model_dir`)."""
    found = [eval_tables.TablePrinter(model_dir)] if model_dir else []
    objective = tuning.target(params)
    if objective:
        found.append(tuning.Reporter(objective))
    if watching:
        found.append(early_stopping.MonitorExporter(watching))
    best = best_export.target(params)
    if best:
        found.append(best_export.BestExporter(
            best, receiver_fn=adapters.serving_input_receiver_fn(user), user_module=user,
            exports_to_keep=params["exports_to_keep"], log=logs.info))
    return found


def run_exporters(estimator, eval_spec, metrics, *, checkpoint_path, is_the_final_export=False):
    """Runs `eval_spec.exporters` after an evaluation made outside train_and_evaluate (a
    cluster's evaluator task, the chief's final evaluation), as Estimator's evaluator does.

    Returns the exporters' results (export folders, or None).
    """
    base = os.path.join(estimator.model_dir, "export")
    return [exporter.export(estimator, os.path.join(base, exporter.name), checkpoint_path,
                            metrics, is_the_final_export) for exporter in eval_spec.exporters]
