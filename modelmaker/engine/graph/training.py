"""`train`: the training phase of one process, on a tf.compat.v1 graph and a MonitoredTrainingSession.

What Estimator.train does for one process: a global step, the model_fn in TRAIN mode, its training
hooks, chief hooks and scaffold, a checkpoint cadence (steps xor secs) with saving listeners, summaries
every N steps, a NaN/Inf stop on the loss, and a restart from the newest checkpoint in model_dir.
The checkpoint hook writes the graph once, with large constants emptied (modelmaker.engine.hooks.checkpoint).
"""

import contextlib

import tensorflow as tf

from modelmaker.engine.hooks import checkpoint as events
from modelmaker.engine.graph import calls, distributed
from modelmaker.engine.graph.settings import RunSettings
from modelmaker.estimator import ModeKeys

_v1 = tf.compat.v1


def latest_step(model_dir):
    """The global step of the newest checkpoint in `model_dir` (0 when there is none)."""
    path = tf.train.latest_checkpoint(model_dir)
    return int(tf.train.load_variable(path, _v1.GraphKeys.GLOBAL_STEP)) if path else 0


def train(model_fn, input_fn, *, model_dir, params=None, settings=RunSettings(), max_steps=None, steps=None,
          hooks=(), saving_listeners=(), warm_start_from=None, strategy=None, between_graph=None):
    """Trains until `max_steps` (a global step) or for `steps` more steps, or until the input ends.

    Args:
      model_fn: the user's model_fn(features, labels, mode, params[, config]).
      input_fn: the training input function (a Dataset, or (features, labels)).
      model_dir: checkpoints and event files; training resumes from its newest checkpoint.
      params: the dict handed to model_fn and input_fn as `params`.
      settings: the RunSettings (checkpoint cadence, summaries, seed, session config).
      max_steps / steps: where to stop (at most one of them); None both: until the input ends.
      hooks: extra SessionRunHooks on every step; saving_listeners: CheckpointSaverListeners.
      warm_start_from: (checkpoint prefix, variable-name regex): a run without a checkpoint in
        model_dir initialises the matching trainable variables from it (tf.compat.v1.train.warm_start).
      strategy: a tf.compat.v1.distribute strategy to replicate the model_fn over (see `distributed`; one
        global step = one batch on each replica), or None: between_graph's (if any) or one replica.
      between_graph: this cluster task's `between_graph.TrainerTask` (server, sessions, strategy), or None.

    Returns:
      The global step reached (the saved one when training was already past max_steps).

    Raises:
      ValueError: both max_steps and steps, or one of them <= 0; a model_fn or input_fn that breaks the
        contract (see `calls`); tf.compat.v1.train.NanLossDuringTrainingError: the loss became NaN or Inf.
    """
    _check_stops(max_steps, steps)
    start = latest_step(model_dir)
    if max_steps is not None and start >= max_steps:
        _v1.logging.info(f"Skipping training: the checkpoint in {model_dir} is at step {start} >= "
                         f"max_steps {max_steps}.")
        return start
    settings = settings.in_dir(model_dir)
    strategy = strategy or (between_graph.strategy() if between_graph else None)
    with tf.Graph().as_default(), _placement(strategy, between_graph):
        _v1.set_random_seed(settings.tf_random_seed)
        global_step, spec, input_hooks = _train_spec(model_fn, input_fn, params, settings, strategy)
        if warm_start_from and not start:
            _v1.train.warm_start(warm_start_from[0], vars_to_warm_start=warm_start_from[1])
        _v1.summary.scalar("loss", spec.loss)
        scaffold = _scaffold(spec.scaffold, settings)
        worker_hooks = [*input_hooks, *hooks, *spec.training_hooks, _v1.train.NanTensorHook(spec.loss),
                        *_logging_hooks(spec.loss, global_step, settings)]
        if max_steps is not None or steps is not None:
            worker_hooks.append(_v1.train.StopAtStepHook(num_steps=steps, last_step=max_steps))
        chief_hooks = [*_checkpoint_hooks(spec, scaffold, model_dir, settings, saving_listeners),
                       *spec.training_chief_hooks]
        return _run(spec, global_step, scaffold, model_dir, settings, worker_hooks, chief_hooks, between_graph)


def _check_stops(max_steps, steps):
    if max_steps is not None and steps is not None:
        raise ValueError(f"train: give max_steps ({max_steps}) or steps ({steps}), not both.")
    for name, value in (("max_steps", max_steps), ("steps", steps)):
        if value is not None and value <= 0:
            raise ValueError(f"train: {name} must be > 0 or None, got {value}.")


@contextlib.contextmanager
def _placement(strategy, between_graph):
    """Where the graph's ops go: the strategy's replicas, the ps tasks and this task, or the defaults."""
    device_fn = between_graph.device_fn() if between_graph else None
    with (strategy.scope() if strategy else contextlib.nullcontext()), \
            (_v1.device(device_fn) if device_fn else contextlib.nullcontext()):
        yield


def _train_spec(model_fn, input_fn, params, settings, strategy):
    """(global step, the model_fn's TRAIN spec, input hooks): one replica, or every replica of `strategy`."""
    if strategy:
        return distributed.train_spec(strategy, model_fn, input_fn, params, settings)
    global_step = _v1.train.get_or_create_global_step()
    features, labels, input_hooks = calls.input_tensors(input_fn, ModeKeys.TRAIN, params, settings)
    return global_step, calls.model_spec(model_fn, features, labels, ModeKeys.TRAIN, params, settings), input_hooks


def _run(spec, global_step, scaffold, model_dir, settings, worker_hooks, chief_hooks, between_graph=None):
    """The training loop: run train_op until a hook or the end of the input stops it."""
    step = 0
    session = (between_graph.session if between_graph else _v1.train.MonitoredTrainingSession)(
        checkpoint_dir=model_dir, scaffold=scaffold, hooks=worker_hooks, chief_only_hooks=chief_hooks,
        save_checkpoint_secs=0, save_summaries_steps=settings.save_summary_steps or None,
        save_summaries_secs=None, log_step_count_steps=settings.log_step_count_steps or None,
        config=settings.session_config)
    with session:
        while not session.should_stop():
            _, step = session.run([spec.train_op, global_step])
    return latest_step(model_dir) or int(step)


def _scaffold(scaffold, settings):
    """The user's scaffold; where it has no saver, one keeping keep_checkpoint_max checkpoints goes into
    the graph's SAVERS collection, as Estimator puts it there (the scaffold and the stop hook find it)."""
    if scaffold.saver is None and not _v1.get_collection(_v1.GraphKeys.SAVERS):
        _v1.add_to_collection(_v1.GraphKeys.SAVERS, _v1.train.Saver(
            sharded=True, max_to_keep=settings.keep_checkpoint_max or 0,
            keep_checkpoint_every_n_hours=settings.keep_checkpoint_every_n_hours,
            defer_build=True, save_relative_paths=True))
    return scaffold


def _logging_hooks(loss, global_step, settings):
    every = settings.log_step_count_steps
    return [_v1.train.LoggingTensorHook({"loss": loss, "step": global_step}, every_n_iter=every)] if every else []


def _checkpoint_hooks(spec, scaffold, model_dir, settings, listeners):
    """The checkpoint hook, unless the model_fn brings its own CheckpointSaverHook (then listeners go nowhere)."""
    own = [h for h in (*spec.training_hooks, *spec.training_chief_hooks)
           if isinstance(h, _v1.train.CheckpointSaverHook)]
    if own:
        if listeners:
            raise ValueError("The model_fn brings its own CheckpointSaverHook; saving listeners "
                             "cannot be attached to it. Drop the hook, or the listeners.")
        return []
    save_steps, save_secs = settings.checkpoint_cadence
    return [events.CheckpointSaverHook(model_dir, save_steps=save_steps, save_secs=save_secs, scaffold=scaffold,
                                       listeners=list(listeners), save_graph_def=False)]
