"""Provides `run`: one training job in a prepared model directory, from Estimator to records.

train_and_evaluate -> final evaluation -> final export -> params.json / result.json.
"""

import os
import time

import tensorflow as tf

from modelmaker import (adapters, export as export_lib, logs, params as params_lib, precheck, preemption,
                        records, run_config, specs)
from modelmaker.distributed import cluster as cluster_lib, roles, strategies
from modelmaker import cadence, eval_tables, tuning, warm_start
from modelmaker.errors import CheckpointError
from modelmaker.progress import StepCounter


def run(*, user, params, data_path, model_dir, started, faults=None, cluster=cluster_lib.LOCAL,
        remote=None):
    """Runs the job; see `modelmaker.api.fit` for the contract. Returns a FitResult (None on a
    worker, ps or evaluator task: only the chief writes records and exports).

    `faults` (a `modelmaker.faults.Faults`) injects crashes for the fault-tolerance tests.
    `cluster` is this task's `distributed.cluster.Cluster` (from TF_CONFIG).
    `remote` (a `storage.sync.TrainUrl`) mirrors `model_dir` to a remote train_url.
    """
    from modelmaker.api import FitResult
    plan = strategies.plan(params["distribute"], cluster, strategies.local_devices(),
                           train_max_steps=params["train_max_steps"])
    logs.info(f"modelmaker | user module {user.origin} | train_url {model_dir}")
    logs.info(plan.describe())
    if plan.role in (cluster_lib.CHIEF, cluster_lib.EVALUATOR):
        precheck.evaluation_ends(user, params, data_path=data_path, plan=plan)
    if plan.role != cluster_lib.CHIEF:
        return _run_task(plan, user, params, data_path, model_dir)
    for path in export_lib.clean_leftovers(model_dir):
        logs.info(f"removed an unfinished export left by an earlier crash: {path}")
    params_file = _write_params(params, model_dir)
    seed(params["random_seed"])
    logs.info(cadence.describe(params, evaluator_task=plan.cluster.is_distributed))

    estimator = build_estimator(user, params, model_dir, plan=plan)
    precheck.serving_graph(user, params, config=estimator.config, model_dir=model_dir)
    max_steps = plan.max_steps
    before = checkpoint_step(model_dir)
    finished = max_steps is not None and before is not None and before >= max_steps
    if finished:
        logs.info(f"already trained: step {before} >= train_max_steps {max_steps}; nothing to "
                  "train (raise train_max_steps to continue). Evaluating and exporting.")
    elif before is not None:
        logs.info(f"resuming from step {before} (checkpoint in {model_dir})")

    metrics = _train_as_chief(estimator, user, params, data_path, plan,
                              listeners=remote.listeners() if remote else ())
    if plan.distributed:  # evaluate and export in one process
        estimator = build_estimator(user, params, model_dir)
    if not metrics:  # a cluster's chief has not evaluated, nor has a run with nothing to train
        metrics = _evaluate(estimator, user, params, data_path, plan)
    after = checkpoint_step(model_dir)
    step = int(metrics.get("global_step", after or 0))  # its table: eval_tables
    export_dir = _export(estimator, user, params, model_dir,
                         before_publish=faults.before_publish if faults else None)
    if remote:
        export_dir = remote.publish(export_dir)

    result = FitResult(global_step=step, metrics=_plain_metrics(metrics), export_dir=export_dir,
                       wall_seconds=round(time.time() - started, 3), params_file=params_file,
                       train_url=remote.url if remote else model_dir,
                       trained=(after or 0) > (before or 0),  # this run advanced the global step
                       model_dir=model_dir,
                       tuning=tuning.result(params, metrics, step))
    records.write_json(os.path.join(model_dir, records.RESULT_FILE), result.to_dict())
    if remote:
        remote.push()
    logs.info(f"done in {result.wall_seconds:.1f}s | step {step} | export {export_dir}")
    logs.info(f"TensorBoard: tensorboard --logdir {result.train_url}")
    return result


def _write_params(params, model_dir):
    path = os.path.join(model_dir, records.PARAMS_FILE)
    previous = records.read_json(path)
    current = params.as_dict()
    if previous is not None and previous != current:
        logs.info("parameters changed since the last run in this train_url:")
        for line in params_lib.changes(previous, current):
            logs.info(f"  {line}")
    records.write_json(path, current)
    return path


def seed(random_seed):
    """Makes runs repeatable: Python, NumPy, TF and Keras seeds plus deterministic ops.

    Estimator's tf_random_seed alone does not (Keras initializers and tf.data draw their
    own seeds), as measured on this stack.
    """
    if random_seed is None:
        return
    tf.keras.utils.set_random_seed(random_seed)
    tf.config.experimental.enable_op_determinism()


def build_estimator(user, params, model_dir, *, wrap=None, plan=None):
    """The tf.estimator.Estimator for a checked user module, its params and model directory.

    `wrap`, when given, is applied to the checked model_fn (the report uses it to carry
    labels through prediction). `plan` (a `strategies.Plan`) sets the cluster, the strategy
    and max_steps; None builds a one-process Estimator (evaluation, export).
    """
    max_steps = plan.max_steps if plan else params["train_max_steps"]
    model_fn = adapters.model_fn(user, progress_every=params["log_step_count_steps"],
                                 max_steps=max_steps, log=logs.info)
    return tf.estimator.Estimator(model_fn=wrap(model_fn) if wrap else model_fn, model_dir=model_dir,
                                  config=run_config.build(params, model_dir=model_dir, plan=plan),
                                  params=params.as_dict(),
                                  warm_start_from=warm_start.settings(params, model_dir, log=logs.info))


def _train_as_chief(estimator, user, params, data_path, plan, listeners=()):
    """Trains; in a cluster, clears the done-marker first and writes it when training ends,
    whatever the outcome, so that ps and evaluator tasks stop."""
    if not plan.cluster.is_distributed:
        return _train_and_evaluate(estimator, user, params, data_path, plan, listeners)
    with roles.marking_done(estimator.model_dir,
                            global_step=lambda: checkpoint_step(estimator.model_dir) or 0):
        return _train_and_evaluate(estimator, user, params, data_path, plan, listeners)


def _run_task(plan, user, params, data_path, model_dir):
    """Runs a worker, ps or evaluator task; they write no records and no exports."""
    if plan.role == cluster_lib.WORKER:
        with roles.marking_done(model_dir, global_step=lambda: checkpoint_step(model_dir) or 0,
                                task=roles.marker_name(plan.cluster)):
            _train_and_evaluate(build_estimator(user, params, model_dir, plan=plan),
                                user, params, data_path, plan)
        roles.clean_worker_dir(model_dir, plan.cluster)
        return None
    ps = plan.role == cluster_lib.PS
    watch = roles.Watch(model_dir, latest_checkpoint=lambda: tf.train.latest_checkpoint(model_dir),
                        idle_timeout_secs=params["cluster_idle_timeout_secs"],
                        also=roles.ps_watch_list(plan.cluster) if ps else ())
    if ps:
        roles.serve_ps(plan.cluster, watch=watch, log=logs.info)
        return None
    estimator, tables = build_estimator(user, params, model_dir), eval_tables.printed(model_dir)
    roles.evaluate_until_done(
        evaluate=lambda checkpoint: _evaluate(estimator, user, params, data_path, plan, checkpoint),
        watch=watch, max_steps=plan.max_steps, start_delay_secs=params["eval_start_delay_secs"],
        throttle_secs=params["eval_throttle_secs"], log=logs.info)
    note = cadence.shortfall(params, evaluations=eval_tables.printed(model_dir) - tables,
                             last_step=checkpoint_step(model_dir))
    if note:
        logs.info(note)
    return None


def _evaluate(estimator, user, params, data_path, plan, checkpoint=None):
    """One evaluation of `checkpoint` (default: the newest) on the evaluation input."""
    _, eval_spec = specs.build(user, params, data_path=data_path, model_dir=estimator.model_dir,
                               plan=plan)
    with preemption.watch() as stop:
        hooks = list(eval_spec.hooks) + [_eval_stop_hook(stop, estimator)]
        metrics = estimator.evaluate(eval_spec.input_fn, steps=eval_spec.steps, hooks=hooks,
                                     checkpoint_path=checkpoint, name=eval_spec.name)
    # best export, early stopping and the tuning objective follow every evaluation
    specs.run_exporters(estimator, eval_spec, metrics,
                        checkpoint_path=checkpoint or estimator.latest_checkpoint())
    return metrics


def _train_and_evaluate(estimator, user, params, data_path, plan, listeners=()):
    train_spec, eval_spec = specs.build(user, params, data_path=data_path,
                                        model_dir=estimator.model_dir, plan=plan)
    counter = StepCounter()
    with preemption.watch() as stop:
        stop_hook = preemption.StopHook(stop, model_dir=estimator.model_dir,
                                        save=estimator.config.is_chief, log=logs.info)
        train_spec = _with_hooks(train_spec, counter, stop_hook, listeners=listeners)
        eval_spec = eval_spec._replace(hooks=tuple(eval_spec.hooks) + (_eval_stop_hook(stop, estimator),))
        try:
            # TensorFlow's distribute coordinator reads TF_CONFIG itself: show it the checked one.
            with run_config.tf_config_scope(plan.cluster):
                outcome = tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)
            metrics = outcome[0] if outcome else None  # None on every task of a cluster
        except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
            if "Restoring from checkpoint failed" in str(e):
                raise CheckpointError(
                    f"train_url {estimator.model_dir} holds checkpoints of a different model: "
                    f"{_first_line(e.message)}. Use a new --train_url, or delete that folder to "
                    "start over.") from None
            raise
        except tf.compat.v1.train.NanLossDuringTrainingError:
            raise _diverged(estimator.model_dir, counter.step) from None
        # A signal during the final evaluation, or on a task that saves no checkpoints:
        # stop before the export.
        stop.check(checkpoint_step(estimator.model_dir), saved=estimator.config.is_chief)
    return metrics or {}


def _eval_stop_hook(stop, estimator):
    return preemption.EvalStopHook(stop, saved=estimator.config.is_chief, log=logs.info)


def _with_hooks(train_spec, *hooks, listeners=()):
    return tf.estimator.TrainSpec(train_spec.input_fn, max_steps=train_spec.max_steps,
                                  hooks=tuple(train_spec.hooks) + hooks,
                                  saving_listeners=tuple(train_spec.saving_listeners) + tuple(listeners))


def _diverged(model_dir, step):
    latest = tf.train.latest_checkpoint(model_dir)
    good = f"{latest} (step {checkpoint_step(model_dir)})" if latest else "none yet"
    return CheckpointError(
        f"loss became NaN or Inf at step {step}; the last good checkpoint is {good}. Lower the "
        "learning rate, check the input for NaN/Inf, or clip gradients; rerunning resumes from "
        "that checkpoint.")


def _export(estimator, user, params, model_dir, *, before_publish=None):
    checkpoint = tf.train.latest_checkpoint(model_dir)
    if checkpoint is None:
        logs.info("no checkpoint to export")
        return None
    base = export_lib.base_dir(model_dir, params["export_name"])
    path, reused = export_lib.export(
        estimator, adapters.serving_input_receiver_fn(user), base=base,
        checkpoint_path=checkpoint, global_step=checkpoint_step(model_dir),
        user_module=user, before_publish=before_publish)
    logs.info(f"export {'unchanged' if reused else 'written'}: {path}")
    for old in export_lib.prune(base, params["exports_to_keep"]):
        logs.info(f"removed an old export (exports_to_keep {params['exports_to_keep']}): {old}")
    return path


def checkpoint_step(model_dir):
    """The global step of the newest checkpoint in `model_dir`, or None when there is none."""
    checkpoint = tf.train.latest_checkpoint(model_dir)
    if checkpoint is None:
        return None
    return int(tf.train.load_variable(checkpoint, tf.compat.v1.GraphKeys.GLOBAL_STEP))


def _plain_metrics(metrics):
    out = {}
    for key, value in metrics.items():
        try:
            out[key] = value.item() if hasattr(value, "item") else float(value)
        except (TypeError, ValueError):
            out[key] = str(value)
    return out


def _first_line(text):
    return text.strip().splitlines()[0] if text.strip() else text
