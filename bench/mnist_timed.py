"""The seed MNIST user module (examples/mnist/mnist.py) with a step timer added to training.

    import mnist_timed
    mnist_timed.WINDOW = (500, 2500)
    modelmaker.fit(mnist_timed, ...)   # or tf.estimator.Estimator(model_fn=mnist_timed.model_fn)
    mnist_timed.RESULT  # {"first_step_time", "window_steps_per_s", "best_slice_steps_per_s",
                        #  "steps_done", "first_step_end", "last_step_end"}

Both the modelmaker run and the hand-written tf.estimator baseline train through this module,
so they carry the same extra hook (one Python call per step) and are timed the same way (the bare
`Session.run` loop of bench/bare.py calls it by hand). The input and serving functions are the
seed's own, unchanged. It needs no tf.estimator: it runs on current TensorFlow too.
"""

import os
import sys
import time

import tensorflow as tf

_EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "mnist")
if _EXAMPLE not in sys.path:
    sys.path.insert(0, os.path.abspath(_EXAMPLE))

import mnist  # noqa: E402  (the seed module, found through the path above)

train_input_fn = mnist.train_input_fn
eval_input_fn = mnist.eval_input_fn
serving_input_receiver_fn = mnist.serving_input_receiver_fn

WINDOW = (500, 2500)   # steady-state window: steps [first, last) are timed
RESULT = {}            # filled by StepTimer while training
PROFILE = False        # True: cProfile the window's steps (bench/child.py --profile)


class StepTimer(tf.compat.v1.train.SessionRunHook):
    """Records when the first step finished, the steps/s over the WINDOW, the steps/s of its
    fastest eighth (the slice least disturbed by other processes on the machine), and when the
    first step ended and the last one started (perf_counter), from which the training time of a
    job follows. Not when the last step ended: the hooks that run after it in the same step (a
    checkpoint save, the evaluation a save listener starts) are not training.

    Counts `after_run` calls instead of fetching the global step, so it adds no fetch.
    """

    SLICES = 8

    def __init__(self, window):
        self._start, self._stop = window
        self._every = max(1, (self._stop - self._start) // self.SLICES)
        self._done = 0
        self._marks = []  # perf_counter() at the window's start and after each slice

    def before_run(self, run_context):
        RESULT["last_step_start"] = time.perf_counter()

    def after_run(self, run_context, run_values):
        self._done += 1
        now = time.perf_counter()
        RESULT["steps_done"] = self._done
        if self._done == 1:
            RESULT["first_step_time"] = time.time()
            RESULT["first_step_end"] = now
        if self._start <= self._done <= self._stop and (self._done - self._start) % self._every == 0:
            self._marks.append(now)
        if PROFILE and self._done in (self._start, self._stop):
            self._profile()
        if self._done == self._stop and len(self._marks) > 1:
            steps = self._every * (len(self._marks) - 1)
            RESULT["window_steps_per_s"] = steps / (self._marks[-1] - self._marks[0])
            fastest = min(b - a for a, b in zip(self._marks, self._marks[1:]))
            RESULT["best_slice_steps_per_s"] = self._every / fastest


    def _profile(self):
        """Starts cProfile at the window's start; at its end, stops it and puts the functions
        that took the most time of their own into RESULT["profile"] (microseconds per step)."""
        import cProfile
        import pstats
        if self._done == self._start:
            self._profiler = cProfile.Profile()
            self._profiler.enable()
            return
        self._profiler.disable()
        steps = self._stop - self._start
        stats = pstats.Stats(self._profiler).stats
        rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:PROFILE_ROWS]
        RESULT["profile"] = [{"function": f"{os.path.basename(path)}:{line}({name})",
                              "calls_per_step": round(calls / steps, 2),
                              "own_us_per_step": round(own / steps * 1e6, 1),
                              "total_us_per_step": round(total / steps * 1e6, 1)}
                             for (path, line, name), (_, calls, own, total, _) in rows]


PROFILE_ROWS = 25


def model_fn(features, labels, mode, params):
    """The seed model_fn; in TRAIN mode a StepTimer is appended to its training hooks."""
    spec = mnist.model_fn(features, labels, mode, params)
    if mode == "train":  # ModeKeys.TRAIN, spelled so that no tf.estimator is needed here
        spec = spec._replace(training_hooks=tuple(spec.training_hooks) + (StepTimer(WINDOW),))
    return spec
