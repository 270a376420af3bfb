"""Provides the training progress line a person reads, and the hooks that count steps.

Lines share one grep-able format: `train | step 1200/3000 | 850.1 steps/s | loss 0.2345 | ETA 2s`.
"""

import math
import time

import tensorflow as tf


class ProgressHook(tf.compat.v1.train.SessionRunHook):
    """Prints step, steps/s, loss and ETA every N steps, fetching tensors only on those steps.

    It stands in for Estimator's LoggingTensorHook and StepCounterHook (run_config turns them
    off): the same lines at the same cadence, and, given `summary_dir`, the same
    `global_step/sec` TensorBoard scalar, with two fewer hooks on every step.
    """

    def __init__(self, *, loss, every_n_steps, max_steps, log, summary_dir=None):
        self._loss = loss
        self._every = every_n_steps
        self._max_steps = max_steps
        self._log = log
        self._summary_dir = summary_dir

    def begin(self):
        self._global_step = tf.compat.v1.train.get_global_step()

    def after_create_session(self, session, coord):
        # Read once; afterwards a local counter avoids fetching the step on every run.
        self._step = int(session.run(self._global_step))
        self._last = (self._step, time.perf_counter())

    def before_run(self, run_context):
        if (self._step + 1) % self._every == 0:
            return tf.compat.v1.train.SessionRunArgs({"loss": self._loss, "step": self._global_step})
        return None

    def after_run(self, run_context, run_values):
        self._step += 1
        if not run_values.results:
            return
        # Resynchronise with the real global step when other workers advanced it. The value read
        # in the training run is from just before or just after its increment (no ordering
        # between the read and the train op), so on one worker it never exceeds the counter.
        self._step = max(self._step, int(run_values.results["step"]))
        now = time.perf_counter()
        steps, secs = self._step - self._last[0], now - self._last[1]
        self._last = (self._step, now)
        rate = steps / secs if secs > 0 else float("inf")
        self._log(progress_line(step=self._step, max_steps=self._max_steps, rate=rate,
                                loss=float(run_values.results["loss"])))
        if self._summary_dir and math.isfinite(rate):
            summary = tf.compat.v1.Summary(
                value=[tf.compat.v1.Summary.Value(tag="global_step/sec", simple_value=rate)])
            tf.compat.v1.summary.FileWriterCache.get(self._summary_dir).add_summary(
                summary, self._step)


class StepCounter(tf.compat.v1.train.SessionRunHook):
    """Knows which global step each training run performs, without fetching it every run.

    `step` is advanced before the run, so when a later hook raises in that run (Estimator's
    NanTensorHook on a NaN loss) it names the step that failed, as progress lines count it.
    Other workers advancing the global step are not seen (exact on one worker).
    """

    def __init__(self):
        self.step = None

    def begin(self):
        self._global_step = tf.compat.v1.train.get_global_step()

    def after_create_session(self, session, coord):
        self.step = int(session.run(self._global_step))

    def before_run(self, run_context):
        self.step += 1


EVAL_PROGRESS_SECS = 5.0  # an evaluation longer than this prints a line this often


class EvalProgressHook(tf.compat.v1.train.SessionRunHook):
    """Prints `eval | batch 1200/5000 | 35s | 34.2 batches/s | ETA 1m53s` every few seconds of
    an evaluation, so that a long one (or one that never ends) shows it is alive."""

    def __init__(self, *, total, log, every_secs=None):
        self._total = total
        self._log = log
        self._every = EVAL_PROGRESS_SECS if every_secs is None else every_secs

    def after_create_session(self, session, coord):
        self._batches = 0
        self._began = self._last = time.monotonic()

    def after_run(self, run_context, run_values):
        self._batches += 1
        now = time.monotonic()
        if now - self._last < self._every:
            return
        self._last = now
        secs = now - self._began
        rate = self._batches / secs if secs > 0 else float("inf")
        total = f"/{self._total}" if self._total else ""
        parts = [f"eval | batch {self._batches}{total}", format_seconds(secs), f"{rate:.1f} batches/s"]
        if self._total and math.isfinite(rate) and rate > 0:
            parts.append(f"ETA {format_seconds(max(0, self._total - self._batches) / rate)}")
        self._log(" | ".join(parts))


def progress_line(*, step, max_steps, rate, loss):
    """One progress line; ETA only when the end is known."""
    total = f"/{max_steps}" if max_steps else ""
    parts = [f"train | step {step}{total}", f"{rate:.1f} steps/s", f"loss {loss:.4g}"]
    if max_steps and rate > 0 and math.isfinite(rate):
        parts.append(f"ETA {format_seconds(max(0, max_steps - step) / rate)}")
    return " | ".join(parts)


def format_seconds(secs):
    """12s, 3m04s, 2h05m."""
    secs = int(round(secs))
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m"
