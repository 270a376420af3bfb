"""Provides graceful stops: SIGTERM (an orchestrator preempting the job) and SIGINT (Ctrl-C)
save a checkpoint at the current step and stop training, so that rerunning the same command
continues from that step.

    with preemption.watch() as stop:
        hooks = [preemption.StopHook(stop, model_dir=model_dir, save=is_chief)]
        ...train with hooks...            # raises Interrupted after saving
        eval_hooks = [preemption.EvalStopHook(stop)]   # raises Interrupted after a batch
        stop.check(step_of_latest_checkpoint)   # a signal during the final evaluation

The signal handler only records the signal; training notices it after the current step, an
evaluation after the current batch (the checkpoint it evaluates is already saved). Trainers that
step together (multi_worker_mirrored over processes) must stop after the same step: there the
signal is a wish the chief turns into one agreed step (`cluster.sync_stop`), the chief saves it,
and every trainer exits with the signalled task's code (`peer_interrupted`).
A second signal of the same kind acts at once (Ctrl-C twice quits without saving). The
exit code is 128 + the signal number (143, 130): Kubeflow's training operator restarts
pods that exit with these codes (train_util.go IsRetryableExitCode).
"""

import contextlib
import os
import signal
import threading

import tensorflow as tf

from modelmaker import layout
from modelmaker.errors import Interrupted

SIGNALS = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}


class StopRequest:
    """The first stop signal received while watching, or none yet."""

    def __init__(self):
        self.signum = None

    def __bool__(self):
        return self.signum is not None

    def interrupted(self, step, *, saved=True):
        """The `Interrupted` error to raise for a stop at `step`."""
        return _interrupted("", SIGNALS[self.signum], step, saved=saved)

    def wish(self, task):
        """This task's reason to stop, for `cluster.sync_stop` (`task`: e.g. 'worker/0'), or None."""
        if not self:
            return None
        return {"reason": "interrupted", "signal": SIGNALS[self.signum], "task": task}

    def check(self, step, *, saved=True):
        """Raises `Interrupted` at `step` (the latest checkpoint's) if a signal arrived.

        `saved` is False on tasks that write no checkpoints.

        Raises:
          Interrupted: a stop signal was received.
        """
        if self:
            raise self.interrupted(step, saved=saved)


def peer_interrupted(decided, step, *, saved):
    """The `Interrupted` error of a task whose synchronous training stopped at `step` because
    another task received a signal (`decided`: `cluster.sync_stop.interrupted`)."""
    return _interrupted(f"{decided['task']} ", decided["signal"], step, saved=saved)


def _interrupted(who, name, step, *, saved):
    where = (f"checkpoint saved at step {step}" if saved
             else f"stopped at step {step} (this task saves no checkpoints; the chief does)")
    return Interrupted(f"{who}received {name}: {where}; rerun the same command to continue",
                       signal_name=name, step=step, exit_code=128 + int(getattr(signal, name)))


@contextlib.contextmanager
def watch():
    """Records SIGTERM and SIGINT in a `StopRequest` instead of dying, until the block ends.

    A signal the parent process set to be ignored (e.g. SIGINT for a background job) stays
    ignored. Outside the main thread signals cannot be caught; the request then never fires.

    Yields:
      The `StopRequest`.
    """
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS if signal.getsignal(s) != signal.SIG_IGN}

    def record(signum, frame):
        if stop.signum is None:
            stop.signum = signum
        # Restore the old handler so that a second signal acts at once.
        signal.signal(signum, _handler(previous[signum]))

    for signum in previous:
        signal.signal(signum, record)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, _handler(handler))


def _handler(handler):
    # getsignal() returns None for a handler installed outside Python.
    return signal.SIG_DFL if handler is None else handler


class StopHook(tf.compat.v1.train.SessionRunHook):
    """After each training step, on a stop signal: saves a checkpoint at the current step and
    raises `Interrupted`.

    Raising (rather than requesting a stop) skips what Estimator would do at the end of
    training: the CheckpointSaverHook's end() would save too, but its listener would then
    run a full evaluation, eating the orchestrator's grace period.
    """

    def __init__(self, stop, *, model_dir, save=True, log=None):
        """Args:
          stop: the `StopRequest` from `watch()`.
          model_dir: where checkpoints go.
          save: whether this task writes checkpoints (the chief does; other workers only stop).
          log: a callable taking one line of text, or None.
        """
        self._stop = stop
        self._path = os.path.join(model_dir, layout.CHECKPOINT_BASENAME)
        self._save = save
        self._log = log or (lambda line: None)

    def begin(self):
        self._global_step = tf.compat.v1.train.get_global_step()

    def after_run(self, run_context, run_values):
        if not self._stop:
            return
        session = run_context.session
        step = int(session.run(self._global_step))
        saver = _saver() if self._save else None
        if saver is None:
            # Another worker (the chief saves), or a model_fn with its own Scaffold saver:
            # Estimator's saver hook saves in end(), and the caller's `check` raises.
            run_context.request_stop()
            return
        self._log(f"received {SIGNALS[self._stop.signum]} at step {step}: saving a checkpoint")
        saver.save(session, self._path, global_step=step)
        raise self._stop.interrupted(step)


class EvalStopHook(tf.compat.v1.train.SessionRunHook):
    """After each evaluation batch, on a stop signal: raises `Interrupted` at the step of the
    checkpoint being evaluated (saved already), so that a long evaluation stops promptly."""

    def __init__(self, stop, *, saved=True, log=None):
        """Args:
          stop: the `StopRequest` from `watch()`.
          saved: whether this task writes checkpoints (False: an evaluator or worker task).
          log: a callable taking one line of text, or None.
        """
        self._stop = stop
        self._saved = saved
        self._log = log or (lambda line: None)

    def begin(self):
        self._global_step = tf.compat.v1.train.get_global_step()

    def after_run(self, run_context, run_values):
        if not self._stop:
            return
        step = int(run_context.session.run(self._global_step))
        self._log(f"received {SIGNALS[self._stop.signum]} during the evaluation of step {step}: stopping")
        raise self._stop.interrupted(step, saved=self._saved)


def _saver():
    """The Saver Estimator made for this graph (the one its CheckpointSaverHook uses), or None."""
    savers = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SAVERS)
    return savers[0] if len(savers) == 1 else None
