"""Provides `run`: one training job in a prepared model directory, from the engine to the records.

train_and_evaluate -> final evaluation -> final export -> params.json / result.json. Every
step goes through the `Engine` interface (`modelmaker.engine.base`); the training controls
act after each evaluation wherever it runs.
"""

import contextlib
import os
import time

import tensorflow as tf
from tensorflow.python.framework import config as tf_config_lib

from modelmaker import config, engine as engine_lib, layout, logs, records
from modelmaker.cluster import roles, strategies, sync_stop, tf_config as cluster_lib
from modelmaker.controls import assemble, best_export, cadence, eval_tables, tuning
from modelmaker.engine import checkpoints, export as export_lib
from modelmaker.engine.hooks import assemble as hooks_lib, preemption
from modelmaker.user import inputs, returns


def run(*, user, params, data_path, model_dir, started, faults=None, cluster=cluster_lib.LOCAL,
        remote=None):
    """Runs the job; see `modelmaker.api.fit` for the contract. Returns a `records.FitResult`
    (None on a worker, ps or evaluator task: only the chief writes records and exports).

    `faults` (a `modelmaker.faults.Faults`) injects crashes for the fault-tolerance tests.
    `cluster` is this task's `cluster.tf_config.Cluster` (from TF_CONFIG).
    `remote` (a `storage.sync.TrainUrl`) mirrors `model_dir` to a remote train_url.
    The `Engine` is the one the `engine` parameter names (`modelmaker.engine.choose`).
    """
    plan, engine = _plan(user, params, cluster, data_path=data_path, model_dir=model_dir)
    trainer_args = dict(user=user, params=params, plan=plan, model_dir=model_dir, data_path=data_path)
    if plan.role != cluster_lib.CHIEF:
        return _run_task(engine_lib.build(engine, **trainer_args))
    for path in export_lib.clean_leftovers(model_dir):
        logs.info(f"removed an unfinished export left by an earlier crash: {path}")
    best_export.clear_claims(model_dir)  # this run's tasks claim the steps they export afresh
    params_file = _write_params(params, model_dir)
    with seeded(params["random_seed"]):
        return _run_chief(engine_lib.build(engine, **trainer_args), params_file=params_file, started=started,
                          faults=faults, remote=remote)


def _run_chief(trainer, *, params_file, started, faults, remote):
    """Trains, evaluates and exports as the chief (or the one process), and writes the records."""
    params, plan, model_dir = trainer.params, trainer.plan, trainer.model_dir
    logs.info(cadence.describe(params, evaluator_task=plan.cluster.is_distributed))
    trainer.check_serving_graph()
    before = checkpoints.step(model_dir)
    _say_where_training_starts(plan.max_steps, before, model_dir)
    metrics = _train_as_chief(trainer, listeners=remote.listeners() if remote else ())
    if not metrics:  # a cluster's chief has not evaluated, nor has a run with nothing to train
        metrics = evaluate(trainer)
    after = checkpoints.step(model_dir)
    step = int(metrics.get("global_step", after or 0))  # its table: controls.eval_tables
    export_dir = _export(trainer, before_publish=faults.before_publish if faults else None)
    if remote:
        export_dir = remote.publish(export_dir)

    result = records.FitResult(
        global_step=step, metrics=_plain_metrics(metrics), export_dir=export_dir,
        wall_seconds=round(time.time() - started, 3), params_file=params_file,
        train_url=remote.url if remote else model_dir, model_dir=model_dir,
        trained=(after or 0) > (before or 0),  # this run advanced the global step
        tuning=tuning.result(params, metrics, step))
    records.write_json(os.path.join(model_dir, layout.RESULT_FILE), result.to_dict())
    if remote:
        remote.push()
    logs.info(f"done in {result.wall_seconds:.1f}s | step {step} | export {export_dir}")
    logs.info(f"TensorBoard: tensorboard --logdir {result.train_url}")
    return result


def _plan(user, params, cluster, *, data_path, model_dir):
    """(this task's `strategies.Plan`, the engine's name), said in the log; a run whose
    evaluations would never end is refused here, before anything is written."""
    plan = strategies.plan(params["distribute"], cluster, strategies.local_devices(),
                           train_max_steps=params["train_max_steps"])
    engine = engine_lib.choose(params)
    logs.info(f"modelmaker | user module {user.origin} | train_url {model_dir}")
    logs.info(f"{plan.describe()} | engine {engine}")
    if plan.role in (cluster_lib.CHIEF, cluster_lib.EVALUATOR):
        inputs.refuse_endless_evaluation(params, returns.checked(user, params, training=False,
                                                                 data_path=data_path, plan=plan))
    return plan, engine


def _say_where_training_starts(max_steps, before, model_dir):
    """Says that `model_dir` is trained to `max_steps` already, or that training resumes."""
    if max_steps is not None and before is not None and before >= max_steps:
        logs.info(f"already trained: step {before} >= train_max_steps {max_steps}; nothing to "
                  "train (raise train_max_steps to continue). Evaluating and exporting.")
    elif before is not None:
        logs.info(f"resuming from step {before} (checkpoint in {model_dir})")


def _write_params(params, model_dir):
    path = os.path.join(model_dir, layout.PARAMS_FILE)
    previous = records.read_json(path)
    current = params.as_dict()
    if previous is not None and previous != current:
        logs.info("parameters changed since the last run in this train_url:")
        for line in config.changes(previous, current):
            logs.info(f"  {line}")
    records.write_json(path, current)
    return path


@contextlib.contextmanager
def seeded(random_seed):
    """Makes the run repeatable: Python, NumPy, TF and Keras seeds plus deterministic ops, for
    the length of the block (None: neither).

    Estimator's tf_random_seed alone does not (Keras initializers and tf.data draw their
    own seeds), as measured on this stack. Deterministic ops are process-wide, and with them
    every unseeded random op fails ("Random ops require a seed"), so they are turned off again
    afterwards: a later unseeded run, or the caller's own code after `fit()`, is not affected.
    """
    if random_seed is None:
        yield
        return
    tf.keras.utils.set_random_seed(random_seed)
    already = tf_config_lib.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not already:
            tf_config_lib.disable_op_determinism()  # no public API turns them off (TF 2.15, 2.21)


def controls(trainer):
    """The training controls of `trainer`'s run (`controls.assemble.Controls`)."""
    return assemble.assemble(trainer.params, model_dir=trainer.model_dir, max_steps=trainer.max_steps,
                             export=trainer.export, log=logs.info, plan=trainer.plan)


def _train_as_chief(trainer, listeners=()):
    """Trains; in a cluster, clears the done-marker first and writes it when training ends,
    whatever the outcome, so that ps and evaluator tasks stop."""
    if not trainer.plan.cluster.is_distributed:
        return train_and_evaluate(trainer, listeners)
    with roles.marking_done(trainer.model_dir, global_step=lambda: checkpoints.step(trainer.model_dir) or 0):
        return train_and_evaluate(trainer, listeners)


def _run_task(trainer):
    """Runs a worker, ps or evaluator task; they write no records and no exports."""
    plan, params, model_dir = trainer.plan, trainer.params, trainer.model_dir
    if plan.role == cluster_lib.WORKER:
        with roles.marking_done(model_dir, global_step=lambda: checkpoints.step(model_dir) or 0,
                                task=roles.marker_name(plan.cluster)):
            train_and_evaluate(trainer)
        roles.clean_worker_dir(model_dir, plan.cluster)
        return None
    ps = plan.role == cluster_lib.PS
    watch = roles.Watch(model_dir, latest_checkpoint=lambda: checkpoints.latest(model_dir),
                        idle_timeout_secs=params["cluster_idle_timeout_secs"],
                        also=roles.ps_watch_list(plan.cluster) if ps else ())
    if ps:
        roles.serve_ps(plan.cluster, watch=watch, log=logs.info)
        return None
    tables = eval_tables.printed(model_dir)
    roles.evaluate_until_done(
        evaluate=lambda checkpoint: evaluate(trainer, checkpoint),
        watch=watch, max_steps=plan.max_steps, start_delay_secs=params["eval_start_delay_secs"],
        throttle_secs=params["eval_throttle_secs"], log=logs.info)
    note = cadence.shortfall(params, evaluations=eval_tables.printed(model_dir) - tables,
                             last_step=checkpoints.step(model_dir))
    if note:
        logs.info(note)
    return None


def evaluate(trainer, checkpoint=None):
    """One evaluation of `checkpoint` (default: the newest), followed by the controls; a stop
    signal ends it after the current batch."""
    with preemption.watch() as stop:
        # The checkpoint is saved already; whether "saved" by this task: the chief's (or one
        # process's) final evaluation, not an evaluator task's.
        hooks = hooks_lib.for_evaluation(trainer.params, stop=stop, saved=trainer.plan.cluster.is_chief,
                                         log=logs.info)
        metrics = trainer.evaluate(checkpoint=checkpoint, hooks=hooks)
    # best export, early stopping and the tuning objective follow every evaluation
    evaluated = checkpoint or checkpoints.latest(trainer.model_dir)
    for control in controls(trainer).after_evaluation:  # the table printer first
        control(metrics, evaluated)
    return metrics


def train_and_evaluate(trainer, listeners=()):
    """Trains with the controls, stopping gracefully on SIGTERM/SIGINT; returns the metrics."""
    plan, model_dir = trainer.plan, trainer.model_dir
    chosen, is_chief = controls(trainer), plan.cluster.is_chief
    with preemption.watch() as stop:
        hooks, listeners = hooks_lib.for_run(chosen, stop=stop, model_dir=model_dir, is_chief=is_chief,
                                             listeners=listeners, log=logs.info,
                                             lockstep=plan.cluster if plan.lockstep else None)
        eval_hooks = hooks_lib.for_evaluation(trainer.params, stop=stop, saved=is_chief, log=logs.info)
        metrics = trainer.train_and_evaluate(max_steps=chosen.max_steps, hooks=hooks, listeners=listeners,
                                             eval_hooks=eval_hooks, after_evaluation=chosen.after_evaluation)
        # A signal during the final evaluation, or on a task that saves no checkpoints, or on
        # another trainer of synchronous training: stop before the export.
        agreed = sync_stop.agreed(model_dir) if plan.lockstep else None
        step = agreed["step"] if agreed else checkpoints.step(model_dir)
        stop.check(step, saved=is_chief)
        if agreed and agreed.get("signal"):
            raise preemption.peer_interrupted(agreed, step, saved=is_chief)
    return metrics or {}


def _export(trainer, *, before_publish=None):
    checkpoint = checkpoints.latest(trainer.model_dir)
    if checkpoint is None:
        logs.info("no checkpoint to export")
        return None
    params = trainer.params
    base = layout.export_base(trainer.model_dir, params["export_name"])
    path, reused = trainer.export(base, checkpoint=checkpoint, global_step=checkpoints.step(trainer.model_dir),
                                  before_publish=before_publish)
    logs.info(f"export {'unchanged' if reused else 'written'}: {path}")
    for old in export_lib.prune(base, params["exports_to_keep"]):
        logs.info(f"removed an old export (exports_to_keep {params['exports_to_keep']}): {old}")
    return path


def _plain_metrics(metrics):
    out = {}
    for key, value in metrics.items():
        try:
            out[key] = value.item() if hasattr(value, "item") else float(value)
        except (TypeError, ValueError):
            out[key] = str(value)
    return out
