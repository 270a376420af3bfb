"""The training jobs the benchmark compares, each run in its own fresh process.

Every job is the same work: train the seed MNIST model for `steps` steps at batch 64 on the
8k training images, evaluate once on the 2k evaluation images, and write a SavedModel.

- `modelmaker_job`: `modelmaker.fit` on the seed module with examples/mnist/parameters.json,
  checkpointing only at the end so that train_and_evaluate evaluates once; `engine` chooses
  modelmaker's engine (`modelmaker`, its own) or `estimator` (tf.estimator, TensorFlow 2.15).
- `estimator_job`: the same model_fn/input_fn written by hand against tf.estimator
  (train_and_evaluate + export_saved_model) with the same checkpoint, logging and summary
  cadence; its steady-state rate is the denominator of `train_overhead_ratio`.
- `keras_job`: the same network in tf.keras: `fit` + `evaluate` + `model.export` (Keras 2.15 on
  TensorFlow 2.15, Keras 3 on current TensorFlow).
- `bare.bare_job` (bench/bare.py): the floor, a bare Session.run(train_op) loop.

Each returns a dict of plain numbers; `wall_s` counts from the end of `import tensorflow`
(done by the caller) to the end of the job, so each side's own imports are included.
"""

import json
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PARAMETERS = os.path.join(HERE, "..", "examples", "mnist", "parameters.json")


def job_params(steps):
    """examples/mnist/parameters.json with `steps` steps and one checkpoint (and eval) at the end."""
    with open(PARAMETERS, encoding="utf-8") as f:
        params = json.load(f)
    params.update(train_max_steps=steps, save_checkpoints_steps=steps, eval_steps=None)
    return params


def modelmaker_job(*, data, out, steps, window, launched, engine=None, extra=None):
    """Runs `modelmaker.fit`; returns wall_s, steps_per_s, startup_s, accuracy, export_dir.
    `extra`: parameters over the job's (e.g. `distribute`). On a worker or ps task of a TF_CONFIG
    cluster fit returns nothing: accuracy, export_dir and global_step are then None."""
    start = time.perf_counter()
    import modelmaker
    from modelmaker import estimator
    # Before the seed module binds `tensorflow.compat.v1`: on TensorFlow >= 2.16 install() replaces
    # that module object (fit() calls it before it loads a module by path; this one is imported here).
    estimator.install()
    import mnist_timed
    mnist_timed.WINDOW = window
    params = job_params(steps)
    if engine:
        params["engine"] = engine
    params.update(extra or {})
    result = modelmaker.fit(mnist_timed, params, data_url=data, train_url=out)
    wall = time.perf_counter() - start
    chief = result is not None
    return dict(timed(mnist_timed.RESULT, launched), wall_s=wall,
                accuracy=float(result.metrics["accuracy"]) if chief else None,
                export_dir=result.export_dir if chief else None,
                global_step=result.global_step if chief else None, engine=engine or "default")


def estimator_job(*, data, out, steps, window, launched):
    """The hand-written tf.estimator job; returns wall_s, steps_per_s, startup_s, accuracy."""
    start = time.perf_counter()
    import tensorflow as tf
    import mnist_timed
    tf.get_logger().setLevel("ERROR")  # modelmaker quiets TensorFlow's logger the same way
    mnist_timed.WINDOW = window
    params = job_params(steps)
    config = tf.estimator.RunConfig(
        model_dir=out, save_checkpoints_steps=params["save_checkpoints_steps"],
        log_step_count_steps=params["log_step_count_steps"], save_summary_steps=100,
        keep_checkpoint_max=5)
    estimator = tf.estimator.Estimator(model_fn=mnist_timed.model_fn, config=config, params=params)
    train_spec = tf.estimator.TrainSpec(lambda: mnist_timed.train_input_fn(data, params),
                                        max_steps=steps)
    eval_spec = tf.estimator.EvalSpec(lambda: mnist_timed.eval_input_fn(data, params),
                                      steps=None, throttle_secs=params["eval_throttle_secs"])
    metrics, _ = tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)
    estimator.export_saved_model(os.path.join(out, "export", "model"),
                                 lambda: mnist_timed.serving_input_receiver_fn()())
    wall = time.perf_counter() - start
    return dict(timed(mnist_timed.RESULT, launched), wall_s=wall,
                accuracy=float(metrics["accuracy"]))


def timed(result, launched):
    """The StepTimer's figures: the window's rates (whole, fastest slice), start-up, and
    `train_s`, the time the steps took: from the first step's end to the last step's start, plus
    two steps at that pace (the first step's own extra time, graph optimization and warm-up, counts
    as fixed cost, as do the saves and the evaluation that hooks run after the last step). Also the
    wall-clock times (time.time()) of the first step's end and the last step's start, which the
    processes of one cluster share. A process that ran no step (a ps task) gets steps_done 0 only."""
    done = result.get("steps_done", 0)
    if not done:
        return {"steps_done": 0}
    span = result["last_step_start"] - result["first_step_end"]
    return {"steps_per_s": result.get("window_steps_per_s"),
            "best_slice_steps_per_s": result.get("best_slice_steps_per_s"),
            "startup_s": result["first_step_time"] - launched,
            "train_s": span * done / (done - 2) if done > 2 else None, "steps_done": done,
            "first_step_time": result["first_step_time"],
            "last_step_start_time": result["first_step_time"] + span,
            **({"profile": result["profile"]} if "profile" in result else {})}


def keras_job(*, data, out, steps, window, launched):
    """tf.keras fit + evaluate + model.export; returns wall_s and accuracy."""
    del window, launched  # Keras runs untimed inside: a per-batch callback would slow it
    start = time.perf_counter()
    import tensorflow as tf
    import mnist_timed  # the seed's input functions, so both sides read the same data
    params = job_params(steps)
    layers = tf.keras.layers
    images = tf.keras.Input(shape=(28, 28), name="images")
    net = layers.Flatten()(images)
    for _ in range(2):
        net = layers.Dropout(0.2)(layers.Dense(128, activation="relu")(net))
    model = tf.keras.Model({"images": images}, layers.Dense(10)(net))
    model.compile(optimizer=tf.keras.optimizers.Adam(params["learning_rate"]),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(mnist_timed.train_input_fn(data, params), epochs=1, steps_per_epoch=steps, verbose=0)
    _, accuracy = model.evaluate(mnist_timed.eval_input_fn(data, params), verbose=0)
    model.export(os.path.join(out, "export", "1"))  # a serving SavedModel (Keras 2.13+ and 3)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "accuracy": float(accuracy)}
