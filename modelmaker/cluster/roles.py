"""Provides what the tasks that are neither chief nor worker do: ps and evaluator loops that end.

Estimator's `ps` blocks in `server.join()` forever, and its evaluator returns only once it
has evaluated a checkpoint at max_steps (never when training stops early or max_steps is
None). Here both watch the model directory instead: they stop when the chief's done-marker
(`cluster.done`) appears, or when no new checkpoint has appeared for
`cluster_idle_timeout_secs`. The chief runs the final evaluation and export itself, so the
evaluator's job is the evaluation curve during training; it writes no records and no exports.
A checkpoint the chief removed (keep_checkpoint_max) before the evaluator could read it is
skipped for a newer one.
"""

import contextlib
import os
import shutil
import time

from modelmaker.cluster import done, sync_stop

POLL_SECS = 1.0


class Watch:
    """Polls a model directory for the done-marker and for checkpoint progress.

    A marker older than this task belongs to an earlier run in the same directory and is
    ignored (the chief clears it when it starts, possibly after this task started).

    Args:
      model_dir: the shared model directory.
      latest_checkpoint: a callable returning the newest checkpoint path (or None).
      idle_timeout_secs: give up after this long without a new checkpoint (None: never).
      also: tasks whose own markers must be there too (a ps waits for every worker: one
        that starts after the chief has finished still needs the ps to learn that it is done).
      clock: wall-clock seconds (the marker holds wall-clock time).
    """

    def __init__(self, model_dir, *, latest_checkpoint, idle_timeout_secs, also=(), clock=time.time):
        self._model_dir = model_dir
        self._also = tuple(also)
        self._latest = latest_checkpoint
        self._timeout = idle_timeout_secs
        self._clock = clock
        self._started = clock()
        self._checkpoint = latest_checkpoint()
        self._progress = self._started

    def done(self):
        """The chief's marker when it (and those of `also`) were written after this task
        started, else None."""
        marker = self._fresh(None)
        if marker and all(self._fresh(task) for task in self._also):
            return marker
        return None

    def _fresh(self, task):
        marker = done.read(self._model_dir, task)
        return marker if marker and marker.get("time", 0) >= self._started else None

    def latest(self):
        """The newest checkpoint; a new one counts as progress."""
        checkpoint = self._latest()
        if checkpoint != self._checkpoint:
            self._checkpoint, self._progress = checkpoint, self._clock()
        return checkpoint

    def idle(self):
        """True once no new checkpoint has appeared for the idle timeout."""
        self.latest()
        return self._timeout is not None and self._clock() - self._progress >= self._timeout

    def stop_reason(self):
        """Why to stop now (text), or None to go on."""
        marker = self.done()
        if marker:
            return f"the chief is done ({marker.get('reason')} at step {marker.get('global_step')})"
        if self.idle():
            return (f"no new checkpoint for {self._timeout}s (cluster_idle_timeout_secs); "
                    "the chief is gone or stuck")
        return None


def wait(watch, seconds, *, sleep=time.sleep, clock=time.monotonic):
    """Sleeps up to `seconds` (forever for None), polling `watch`; returns its stop reason or None."""
    end = None if seconds is None else clock() + seconds
    while True:
        reason = watch.stop_reason()
        if reason or (end is not None and clock() >= end):
            return reason
        remaining = POLL_SECS if end is None else min(POLL_SECS, end - clock())
        sleep(max(0.0, remaining))


@contextlib.contextmanager
def marking_done(model_dir, *, global_step, task=None):
    """Clears the done-marker of `task` (None: the chief, which also clears the files of
    `sync_stop`), runs the block, then writes it with reason `finished` (or the reason of the stop the
    chief agreed with synchronous trainers), or `failed` when the block raised.

    Args:
      model_dir: the shared model directory.
      global_step: a callable returning the step reached, for the marker.
      task: `marker_name(cluster)` for a worker; None for the chief.
    """
    done.clear(model_dir, task)
    if task is None:
        sync_stop.clear(model_dir)
    reason = "failed"
    try:
        yield
        agreed = sync_stop.agreed(model_dir) if task is None else None
        reason = agreed["reason"] if agreed else "finished"  # e.g. early stopping in lockstep
    finally:
        if done.read(model_dir, task) is None:  # early stopping may have written its own
            done.write(model_dir, reason=reason, global_step=global_step(), task=task)


def marker_name(cluster):
    """The done-marker name of a worker task, e.g. `worker_1`."""
    return f"{cluster.task_type}_{cluster.task_index}"


def ps_watch_list(cluster):
    """The worker markers a ps task waits for besides the chief's."""
    return [f"worker_{i}" for i in range(len(cluster.jobs.get("worker", ())))]


def serve_ps(cluster, *, watch, log):
    """Runs this ps task's gRPC server until `watch` says stop. Returns the reason."""
    import tensorflow as tf
    address = cluster.jobs["ps"][cluster.task_index]
    server = tf.distribute.Server(tf.train.ClusterSpec(cluster.tf_config()["cluster"]),
                                  job_name="ps", task_index=cluster.task_index,
                                  protocol="grpc", start=True)
    log(f"ps {cluster.task_index} serving variables on {address}; stops when the chief and "
        "every worker are done")
    reason = wait(watch, None)
    log(f"ps {cluster.task_index} stopping: {reason}")
    del server  # the process exits next; TensorFlow servers cannot be stopped otherwise
    return reason


def evaluate_until_done(*, evaluate, watch, max_steps, start_delay_secs, throttle_secs, log,
                        sleep=time.sleep, clock=time.monotonic):
    """Evaluates each new checkpoint, at most every `throttle_secs`, until training ends.

    Args:
      evaluate: a callable (checkpoint path) -> metrics dict with `global_step`.
      watch: a `Watch` of the model directory.
      max_steps: Estimator's max_steps; evaluating a checkpoint at or past it ends the loop.
      start_delay_secs: wait before the first evaluation (`eval_start_delay_secs`).
      throttle_secs: least seconds between evaluations (`eval_throttle_secs`).
      log: a callable taking one line.

    Once the chief is done, the newest checkpoint is evaluated if it has not been yet.

    Returns:
      Why the loop ended, as text.
    """
    reason = wait(watch, start_delay_secs, sleep=sleep, clock=clock)
    evaluated = None
    while reason is None:
        began = clock()
        checkpoint = watch.latest()
        if checkpoint and checkpoint != evaluated:
            evaluated = checkpoint
            step = int((_evaluate(evaluate, checkpoint, log) or {}).get("global_step", 0))
            if max_steps is not None and step >= max_steps:
                reason = f"evaluated step {step} >= max_steps {max_steps}"
                break
        reason = wait(watch, max(POLL_SECS, throttle_secs - (clock() - began)), sleep=sleep, clock=clock)
    else:
        # Training is over: the curve in eval/ ends at the last checkpoint, as Estimator's does.
        checkpoint = watch.latest() if watch.done() else None
        if checkpoint and checkpoint != evaluated:
            _evaluate(evaluate, checkpoint, log)
    log(f"evaluator stopping: {reason}")
    return reason


def _evaluate(evaluate, checkpoint, log):
    """`evaluate(checkpoint)`, or None when the checkpoint was removed before it could be read:
    the chief keeps only the newest keep_checkpoint_max, and may train faster than this task
    evaluates. Any other failure is raised."""
    try:
        return evaluate(checkpoint)
    except Exception:
        if os.path.exists(checkpoint + ".index"):  # still there: not that
            raise
        log(f"checkpoint {os.path.basename(checkpoint)} was removed before it could be evaluated "
            "(the chief keeps the newest keep_checkpoint_max); going on with a newer one")
        return None


def clean_worker_dir(model_dir, cluster):
    """Removes `tmp_worker_<i>/`, where MultiWorkerMirroredStrategy's non-chief saves its throwaway
    checkpoints."""
    shutil.rmtree(os.path.join(model_dir, f"tmp_worker_{cluster.task_index}"), ignore_errors=True)
