"""Provides early stopping: end training once an evaluation metric has stopped improving.

    "early_stopping": {"metric": "loss", "mode": "min", "patience": 3, "min_delta": 0.001}

After each evaluation, `Monitor` (an after-evaluation control, so it runs wherever
evaluation runs: in the training process, or in a separate evaluator task) compares the
metric with the best so far and counts the evaluations since the last improvement larger
than `min_delta`. Best and count live in `<train_url>/early_stopping.json`. When the count
reaches `patience`:
- `StopHook`, on every training worker, sees the decision (in memory, or in that file every
  few seconds) and stops training. Synchronous trainers (multi_worker_mirrored over several
  processes) must stop after the same step, or those left wait in the all-reduce for ever:
  there only the chief looks at the decision and turns it into one agreed step that every
  trainer reads at a step boundary (`modelmaker.cluster.sync_stop.SyncStopHook`);
- `DoneListener`, on the chief only, writes the done-marker (`modelmaker.cluster.done`)
  so that an evaluator and parameter servers stop too; Estimator alone leaves the evaluator
  waiting for `train_max_steps` forever.
A rerun in a train_url that stopped early trains nothing, as a finished run does, unless the
metric, mode or patience changed (`max_steps` lowers the step limit).
"""

import dataclasses
import os
import time

import tensorflow as tf

from modelmaker.controls.target import Target
from modelmaker import layout, records
from modelmaker.cluster import done

NAME = "early_stopping"
STATE = layout.EARLY_STOPPING_STATE
POLL_SECS = 2.0   # how often a training worker rereads the decision an evaluator wrote


@dataclasses.dataclass(frozen=True)
class Setting:
    """The early_stopping parameter: what to watch and how long to wait."""

    watched: Target
    patience: int


def setting(params):
    """The `Setting` of `params["early_stopping"]`, or None when early stopping is off."""
    value = params["early_stopping"]
    if value is None:
        return None
    return Setting(Target(value["metric"], key="early_stopping", mode=value["mode"],
                                  min_delta=value["min_delta"]), value["patience"])


class Monitor:
    """The early-stopping state of one train_url, shared by the exporter and the hooks."""

    def __init__(self, chosen, model_dir, *, log):
        self.setting = chosen
        self.model_dir = model_dir
        self._log = log
        self.state = None
        self.reload()

    @property
    def path(self):
        return os.path.join(self.model_dir, STATE)

    def reload(self):
        """Rereads the persisted state (another task may have written it)."""
        found = records.read_json(self.path)
        self.state = found if self.setting.watched.matches(found) else None

    def should_stop(self):
        return bool(self.state) and self.state["bad_evaluations"] >= self.setting.patience

    def __call__(self, metrics, checkpoint_path):
        """The after-evaluation control: counts one evaluation (see `update`)."""
        self.update(metrics)

    def update(self, eval_result):
        """Counts one evaluation; persists and returns the new state.

        Once training should stop, the state is final: evaluations of checkpoints saved
        before the workers noticed do not undo the decision.
        """
        watched = self.setting.watched
        value = watched.read(eval_result)
        step = int(eval_result[tf.compat.v1.GraphKeys.GLOBAL_STEP])
        state = dict(self.state or {"metric": watched.metric, "mode": watched.mode, "best": None,
                                    "best_step": None, "bad_evaluations": 0, "last_step": 0})
        if self.should_stop() or step <= state["last_step"]:
            return state  # decided already, or the same checkpoint again (e.g. after a restart)
        if watched.improved(value, state["best"]):
            state.update(best=value, best_step=step, bad_evaluations=0)
        else:
            state["bad_evaluations"] += 1
            best = "nothing yet" if state["best"] is None else f"{state['best']:.6g} (step {state['best_step']})"
            self._log(f"early stopping: {watched.metric} {value:.6g} at step {step} is no better than "
                      f"{best} by more than {watched.min_delta:g}; "
                      f"{state['bad_evaluations']} of {self.setting.patience} evaluations without improvement")
        state["last_step"] = step
        records.write_json(self.path, state)
        self.state = state
        if self.should_stop():
            self._log(f"early stopping: stopping training at step {step}")
        return state


class Decision:
    """Whether to stop (`NAME`, the done-marker's reason) or not (None), from `watching`; reread from its file at most
    every `poll_secs`, since an evaluator task may decide in another process."""

    def __init__(self, watching, *, poll_secs=POLL_SECS):
        self._monitor = watching
        self._poll_secs = poll_secs
        self._next_poll = 0.0

    def __call__(self):
        now = time.monotonic()
        if now >= self._next_poll:
            self._monitor.reload()
            self._next_poll = now + self._poll_secs
        return NAME if self._monitor.should_stop() else None


class StopHook(tf.compat.v1.train.SessionRunHook):
    """Stops training on this worker once the monitor has decided so (a trainer that needs no
    peer to take a step: one process, or asynchronous parameter-server training)."""

    def __init__(self, watching, *, poll_secs=POLL_SECS):
        self._decision = Decision(watching, poll_secs=poll_secs)

    def after_run(self, run_context, run_values):
        if self._decision():
            run_context.request_stop()


class DoneListener(tf.compat.v1.train.CheckpointSaverListener):
    """On the chief (saving listeners run only there): writes the done-marker after an early stop."""

    def __init__(self, watching):
        self._monitor = watching

    def end(self, session, global_step_value):
        if self._monitor.should_stop():
            done.write(self._monitor.model_dir, reason=NAME, global_step=global_step_value)


def max_steps(watching, limit, *, log):
    """`limit`, or the step at which an earlier run here stopped early (so that a rerun
    trains nothing, as a finished run does)."""
    if watching is None or not watching.should_stop():
        return limit
    step = max(1, watching.state["last_step"])
    if watching.model_dir not in _TOLD:  # evaluations rebuild the controls: say it once
        _TOLD.add(watching.model_dir)
        log(f"early stopping: training in this train_url stopped at step {step} "
            f"({watching.setting.watched.metric} did not improve for "
            f"{watching.setting.patience} evaluations) and does not resume. Raise "
            f"early_stopping.patience, or delete {STATE}, to train on.")
    return step if limit is None else min(limit, step)


_TOLD = set()  # model directories whose early stop this process has announced
