"""Provides `SyncStopHook`: the trainers of synchronous training stop after one agreed step.

Under all-reduce training (`multi_worker_mirrored`) every training step is one collective
operation over the chief and all the workers. A trainer that stops on its own leaves the others
waiting in the next step's all-reduce for ever, so a stop that is decided during training (early
stopping, whose decision the evaluator writes to early_stopping.json) must happen on every
trainer after the same global step. Reading the decision on each trainer's own clock does not
give that.

The protocol (one writer, one file, read at step boundaries):
- Only the chief looks at the decision (`wants_stop`, polled at its own cadence). Having finished
  step N it writes `<model_dir>/modelmaker_stop.json` = {"step": N + 1, "reason": ...}
  (atomically), then runs step N + 1 and stops.
- Every other trainer reads that file after each of its steps and stops once its global step
  reaches the agreed step.
It is enough because no trainer can finish step N + 1 before the chief has started it (the step's
all-reduce needs the chief), and the chief starts it only after writing the file: every trainer
sees the file at the latest right after step N + 1, and none has gone past it. The global step is
the same on every trainer (it advances once per all-reduce). The chief removes a file left by an
earlier run before its first step, which no worker can finish before the chief starts it either.
What it needs is what the done-markers and the evaluator already need: the model directory is
shared, and a file the chief wrote is visible to the others when they next open it.

It is a plain `SessionRunHook` on the global step and a file, with nothing of the strategy's
internals: the same hook serves any engine that trains with MonitoredTrainingSession (Estimator,
modelmaker's graph engine). Parameter-server training is asynchronous and one process has no
peers: there each trainer stops on its own (`controls.early_stopping.StopHook`).
"""

import os

import tensorflow as tf

from modelmaker import layout, records

MARKER = layout.STOP_MARKER


def path(model_dir):
    """The agreed stop step's file in `model_dir`."""
    return os.path.join(model_dir, MARKER)


def clear(model_dir):
    """Removes the step an earlier run agreed on."""
    try:
        os.unlink(path(model_dir))
    except FileNotFoundError:
        pass


def agreed_step(model_dir):
    """(step, reason) the chief wrote, or None."""
    found = records.read_json(path(model_dir))
    if not isinstance(found, dict) or not isinstance(found.get("step"), int):
        return None
    return found["step"], found.get("reason", "stop")


class SyncStopHook(tf.compat.v1.train.SessionRunHook):
    """Stops this trainer after the agreed step (see the module docstring).

    Args:
      model_dir: the shared model directory.
      is_chief: whether this task is the chief, which alone decides and writes the step.
      wants_stop: on the chief, a callable returning why training should stop (a done-marker
        reason, e.g. `early_stopping`) or None;
        called after each step (it keeps its own polling cadence). Ignored on other trainers.
      log: a callable taking one line of text.
    """

    def __init__(self, model_dir, *, is_chief, wants_stop=None, log=None):
        self._model_dir = model_dir
        self._is_chief = is_chief
        self._wants_stop = wants_stop or (lambda: None)
        self._log = log or (lambda line: None)
        self._agreed = None  # (step, reason) once known

    def begin(self):
        self._global_step = tf.compat.v1.train.get_global_step()
        if self._is_chief:
            clear(self._model_dir)  # an earlier run's

    def before_run(self, run_context):
        return tf.compat.v1.train.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        if self._agreed is None:
            self._agreed = self._decide(run_context) if self._is_chief else agreed_step(self._model_dir)
            if self._agreed is None:
                return
        step, reason = self._agreed
        # The step fetched with the run may have been read before its increment (as in
        # StopAtStepHook): read it exactly only when the agreed step may have been reached.
        if run_values.results + 1 >= step and run_context.session.run(self._global_step) >= step:
            if not self._is_chief:
                self._log(f"stopping at step {step}, as the chief decided ({reason})")
            run_context.request_stop()

    def _decide(self, run_context):
        reason = self._wants_stop()
        if reason is None:
            return None
        step = int(run_context.session.run(self._global_step)) + 1
        records.write_json(path(self._model_dir), {"step": step, "reason": reason})
        self._log(f"every trainer stops at step {step} ({reason})")
        return step, reason
