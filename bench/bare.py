"""The floor: a bare `tf.compat.v1.Session.run(train_op)` loop over the MNIST example's graph and input.

`bare_job` builds what the engine builds for training (a global step, the seed model_fn in TRAIN
mode, its input read through an initializable iterator), then runs `train_op` `steps` times in a
plain v1 Session: no MonitoredTrainingSession, no hooks, no checkpoints, no summaries, no global-step
fetch. The only extra is the bench's `StepTimer`, called by hand around each run, as the engines call
it as a hook, so the three sides are timed the same way. Nothing is evaluated or exported.
"""

import time

import mnist_timed
import training


def bare_job(*, data, out, steps, window, launched):
    """Trains `steps` steps in a bare loop; returns wall_s, steps_per_s and the step times."""
    del out  # writes nothing
    start = time.perf_counter()
    import tensorflow as tf
    from modelmaker import estimator
    estimator.install()  # tf.layers / tf.estimator names for the seed module on TensorFlow >= 2.16
    v1 = tf.compat.v1
    mnist_timed.WINDOW = window
    params = training.job_params(steps)
    timer = mnist_timed.StepTimer(window)
    with tf.Graph().as_default():
        global_step = v1.train.get_or_create_global_step()
        with tf.device("/cpu:0"):
            dataset = mnist_timed.train_input_fn(data, params)
        iterator = v1.data.make_initializable_iterator(dataset)
        features, labels = iterator.get_next()
        spec = mnist_timed.mnist.model_fn(features, labels, estimator.ModeKeys.TRAIN, params)
        del global_step  # created before model_fn, as the engine does; the optimizer increments it
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.local_variables_initializer(),
                         iterator.initializer])
            for _ in range(steps):
                timer.before_run(None)
                session.run(spec.train_op)
                timer.after_run(None, None)
    wall = time.perf_counter() - start
    return dict(training.timed(mnist_timed.RESULT, launched), wall_s=wall)
