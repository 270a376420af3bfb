"""Provides the hooks of a training run, put together in this one place.

Three kinds:
- `in_model_fn`: hooks built inside the model function on its own tensors and scaffold (the
  progress line on the loss; the light checkpoint saver; the batch counter that user-code
  errors quote);
- `for_run`: hooks around the whole run (the training controls' hooks and listeners, the
  graceful stop on SIGTERM/SIGINT, the upload listener of a remote train_url);
- `for_evaluation`: hooks of each evaluation (a progress line every few seconds, the stop
  after the current batch on SIGTERM/SIGINT).
"""

from modelmaker.engine.hooks import checkpoint, preemption
from modelmaker.user import code_errors
from modelmaker.engine.hooks.progress import EvalProgressHook, ProgressHook

TRAIN, EVAL = "train", "eval"  # tf.estimator.ModeKeys' values


def in_model_fn(spec, config, *, mode, progress_every, max_steps, log, checkpoint_hook=True):
    """`spec` (an EstimatorSpec-like namedtuple) with the model function's hooks for `mode`.

    Args:
      spec: what the user's model_fn returned, checked.
      config: the run config (model_dir, is_chief, checkpoint cadence, cluster).
      mode: "train", "eval" or "infer" (the ModeKeys values).
      progress_every: print a progress line every N training steps (None: never).
      max_steps: the step training ends at, for the ETA (None: unknown).
      log: a callable taking one line of text (None: no progress lines).
      checkpoint_hook: add the light checkpoint hook (`checkpoint.with_checkpoint_hook`); False
        where the engine adds it itself (modelmaker's graph engine).
    """
    counter = code_errors.count_runs_hook()  # for 'while reading batch N' in user-code errors
    if counter is not None and mode == EVAL:
        return spec._replace(evaluation_hooks=tuple(spec.evaluation_hooks) + (counter,))
    if mode != TRAIN:
        return spec
    if counter is not None:
        spec = spec._replace(training_hooks=tuple(spec.training_hooks) + (counter,))
    if progress_every and log:
        hook = ProgressHook(loss=spec.loss, every_n_steps=progress_every, max_steps=max_steps, log=log,
                            summary_dir=config.model_dir if config.is_chief else None)
        spec = spec._replace(training_hooks=tuple(spec.training_hooks) + (hook,))
    return checkpoint.with_checkpoint_hook(spec, config) if checkpoint_hook else spec


def for_run(controls, *, stop, model_dir, is_chief, listeners=(), log):
    """(hooks, listeners) a training run adds to the user's.

    Args:
      controls: the run's `controls.assemble.Controls`.
      stop: the `preemption.StopRequest` being watched.
      model_dir: where a stop saves its checkpoint.
      is_chief: whether this task saves checkpoints.
      listeners: more CheckpointSaverListeners (e.g. the remote train_url's upload).
      log: a callable taking one line of text.
    """
    stop_hook = preemption.StopHook(stop, model_dir=model_dir, save=is_chief, log=log)
    return (*controls.hooks, stop_hook), (*controls.listeners, *listeners)


def for_evaluation(params, *, stop, saved, log):
    """The hooks of each evaluation.

    Args:
      params: the `RunParams` (eval_steps: the batches to expect).
      stop: the `preemption.StopRequest` being watched.
      saved: whether the task evaluating writes checkpoints (for the stop message).
      log: a callable taking one line of text.
    """
    return (EvalProgressHook(total=params["eval_steps"], log=log),
            preemption.EvalStopHook(stop, saved=saved, log=log))
