"""Provides `SyncStopHook`: the trainers of synchronous training stop after one agreed step.

Under all-reduce training (`multi_worker_mirrored`) every training step is one collective
operation over the chief and all the workers. A trainer that stops on its own leaves the others
waiting in the next step's all-reduce for ever, so a stop decided during training must happen on
every trainer after the same global step. Two such stops exist: early stopping (whose decision
the evaluator writes to early_stopping.json, which each trainer would read on its own clock) and
a stop signal (SIGTERM/SIGINT) that reaches one task.

The protocol (one writer, files read at step boundaries):
- Only the chief decides. After each step it asks whether training should stop: early stopping
  has decided, it received a signal itself, or a worker asked (a worker that receives a signal
  writes `<model_dir>/modelmaker_stop.<task>.json` and trains on; the chief looks for these
  every POLL_SECS). Having finished step N it writes `<model_dir>/modelmaker_stop.json` =
  {"step": N + 1, "reason": ..., "signal": ..., "task": ...} (atomically), runs step N + 1 and
  stops; its checkpoint saver saves step N + 1 as at any end of training.
- Every other trainer reads that file after each of its steps and stops once its global step
  reaches the agreed step.
It is enough because no trainer can finish step N + 1 before the chief has started it (the step's
all-reduce needs the chief), and the chief starts it only after writing the file: every trainer
sees the file at the latest right after step N + 1, and none has gone past it. The global step is
the same on every trainer (it advances once per all-reduce). The chief removes the files of an
earlier run before training (`clear`), which no worker can get a step past either.
After training, a task whose stop came from another task's signal exits as that task does
(`interrupted`: 143 for SIGTERM), so that an orchestrator restarts the whole job, which resumes
from the saved step. What it needs is what the done-markers and the evaluator already need: the
model directory is shared, and a file one task wrote is visible to the others when they next
open it.

It is a plain `SessionRunHook` on the global step and files, using nothing of the strategy's
internals: the same hook serves any engine that trains with MonitoredTrainingSession (Estimator,
modelmaker's graph engine). Parameter-server training is asynchronous and one process has no
peers: there each trainer stops on its own (`controls.early_stopping.StopHook`,
`engine.hooks.preemption.StopHook`).
"""

import glob
import os
import time

import tensorflow as tf

from modelmaker import layout, records

MARKER = layout.STOP_MARKER
POLL_SECS = 1.0  # how often the chief looks for the workers' requests


def path(model_dir, task=None):
    """The agreed stop step's file in `model_dir`, or `task`'s request (e.g. 'worker_0')."""
    return os.path.join(model_dir, MARKER if task is None else layout.stop_request(task))


def clear(model_dir):
    """Removes the agreed step and the workers' requests an earlier run left."""
    for found in [path(model_dir), *glob.glob(path(model_dir, "*"))]:
        try:
            os.unlink(found)
        except FileNotFoundError:
            pass


def agreed(model_dir):
    """What the chief wrote: {"step", "reason", and for a signal "signal" and "task"}, or None."""
    found = records.read_json(path(model_dir))
    return found if isinstance(found, dict) and isinstance(found.get("step"), int) else None


def interrupted(model_dir):
    """The agreed stop when it came from a signal (see `agreed`), else None."""
    found = agreed(model_dir)
    return found if found and found.get("signal") else None


class SyncStopHook(tf.compat.v1.train.SessionRunHook):
    """Stops this trainer after the agreed step (see the module docstring).

    Args:
      model_dir: the shared model directory.
      is_chief: whether this task is the chief, which alone decides and writes the step.
      task: this task's request name (e.g. 'worker_0'); unused on the chief.
      peers: the request names of the workers, which the chief looks for.
      wants_stop: a callable returning this task's own reason to stop, as a dict with at least
        "reason" (a done-marker reason, e.g. `early_stopping`), or None; called after each step.
      log: a callable taking one line of text.
    """

    def __init__(self, model_dir, *, is_chief, wants_stop, task=None, peers=(), log=None):
        self._model_dir = model_dir
        self._is_chief = is_chief
        self._task = task
        self._peers = tuple(peers)
        self._wants_stop = wants_stop
        self._log = log or (lambda line: None)
        self._agreed = None      # the chief's decision, once known
        self._requested = False  # a worker's request is written
        self._next_poll = 0.0

    def begin(self):
        self._global_step = tf.compat.v1.train.get_global_step()

    def before_run(self, run_context):
        return tf.compat.v1.train.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        if self._agreed is None:
            self._agreed = self._decide(run_context) if self._is_chief else self._follow()
            if self._agreed is None:
                return
        step = self._agreed["step"]
        # The step fetched with the run may have been read before its increment (as in
        # StopAtStepHook): read it exactly only when the agreed step may have been reached.
        if run_values.results + 1 >= step and run_context.session.run(self._global_step) >= step:
            if not self._is_chief:
                self._log(f"stopping at step {step}, as the chief decided ({_describe(self._agreed)})")
            run_context.request_stop()

    def _decide(self, run_context):
        wish = self._wants_stop() or self._request()
        if wish is None:
            return None
        decided = dict(wish, step=int(run_context.session.run(self._global_step)) + 1)
        records.write_json(path(self._model_dir), decided)
        self._log(f"every trainer stops at step {decided['step']} ({_describe(decided)})")
        return decided

    def _request(self):
        """A worker's request, looked for every POLL_SECS."""
        now = time.monotonic()
        if now < self._next_poll:
            return None
        self._next_poll = now + POLL_SECS
        for task in self._peers:
            found = records.read_json(path(self._model_dir, task))
            if isinstance(found, dict) and found.get("reason"):
                return found
        return None

    def _follow(self):
        if not self._requested:
            wish = self._wants_stop()
            if wish is not None:
                records.write_json(path(self._model_dir, self._task), wish)
                self._requested = True
                self._log(f"asked the chief to stop every trainer after one step ({_describe(wish)})")
        return agreed(self._model_dir)


def _describe(decided):
    if decided.get("signal"):
        return f"{decided['signal']} on {decided.get('task', 'a task')}"
    return decided.get("reason", "stop")
