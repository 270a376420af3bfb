"""The seed MNIST user module (examples/mnist/mnist.py) with a step timer added to training.

    import mnist_timed
    mnist_timed.WINDOW = (500, 2500)
    modelmaker.fit(mnist_timed, ...)   # or tf.estimator.Estimator(model_fn=mnist_timed.model_fn)
    mnist_timed.RESULT  # {"first_step_time": ..., "window_steps_per_s": ..., ...}

Both the modelmaker run and the hand-written tf.estimator baseline train through this module,
so they carry the same extra hook (one Python call per step) and are timed the same way.
The input and serving functions are the seed's own, unchanged.
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


class StepTimer(tf.estimator.SessionRunHook):
    """Records when the first step finished and the steps/s (wall and CPU) in the WINDOW.

    Counts `after_run` calls instead of fetching the global step, so it adds no fetch.
    """

    def __init__(self, window):
        self._start, self._stop = window
        self._done = 0
        self._t_start = self._cpu_start = None

    def after_run(self, run_context, run_values):
        self._done += 1
        if self._done == 1:
            RESULT["first_step_time"] = time.time()
        if self._done == self._start:
            self._t_start, self._cpu_start = time.perf_counter(), time.process_time()
        elif self._done == self._stop and self._t_start is not None:
            steps = self._stop - self._start
            RESULT["window_steps_per_s"] = steps / (time.perf_counter() - self._t_start)
            # CPU seconds of this process: less sensitive to other processes on the machine.
            RESULT["window_steps_per_cpu_s"] = steps / (time.process_time() - self._cpu_start)


def model_fn(features, labels, mode, params):
    """The seed model_fn; in TRAIN mode a StepTimer is appended to its training hooks."""
    spec = mnist.model_fn(features, labels, mode, params)
    if mode == tf.estimator.ModeKeys.TRAIN:
        spec = spec._replace(training_hooks=tuple(spec.training_hooks) + (StepTimer(WINDOW),))
    return spec
