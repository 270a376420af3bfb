"""Provides `run`: one training job in a prepared model directory, from Estimator to records.

train_and_evaluate -> final evaluation -> final export -> params.json / result.json.
"""

import os
import time

import tensorflow as tf

from modelmaker import adapters, export as export_lib, logs, params as params_lib, records, run_config, specs
from modelmaker.errors import CheckpointError
from modelmaker.progress import metrics_table


def run(*, user, params, data_path, model_dir, started):
    """Runs the job; see `modelmaker.api.fit` for the contract. Returns a FitResult."""
    from modelmaker.api import FitResult
    logs.info(f"modelmaker | user module {user.origin} | train_url {model_dir}")
    for path in export_lib.clean_leftovers(model_dir):
        logs.info(f"removed an unfinished export left by an earlier crash: {path}")
    params_file = _write_params(params, model_dir)
    adapters.check_serving_receiver(user)
    seed(params["random_seed"])

    estimator = build_estimator(user, params, model_dir)
    max_steps = params["train_max_steps"]
    before = checkpoint_step(model_dir)
    finished = max_steps is not None and before is not None and before >= max_steps
    if finished:
        logs.info(f"already trained: step {before} >= train_max_steps {max_steps}; nothing to "
                  "train (raise train_max_steps to continue). Evaluating and exporting.")
    elif before is not None:
        logs.info(f"resuming from step {before} (checkpoint in {model_dir})")

    metrics = _train_and_evaluate(estimator, user, params, data_path, max_steps)
    step = int(metrics.get("global_step", checkpoint_step(model_dir) or 0))
    logs.info(metrics_table(metrics, title=f"evaluation at step {step}"))
    export_dir = _export(estimator, user, params, model_dir)

    result = FitResult(global_step=step, metrics=_plain_metrics(metrics), export_dir=export_dir,
                       wall_seconds=round(time.time() - started, 3), params_file=params_file,
                       train_url=model_dir, trained=not finished)
    records.write_json(os.path.join(model_dir, records.RESULT_FILE), result.to_dict())
    logs.info(f"done in {result.wall_seconds:.1f}s | step {step} | export {export_dir}")
    return result


def _write_params(params, model_dir):
    path = os.path.join(model_dir, records.PARAMS_FILE)
    previous = records.read_json(path)
    current = params.as_dict()
    if previous is not None and previous != current:
        logs.info("parameters changed since the last run in this train_url:")
        for line in params_lib.changes(previous, current):
            logs.info(f"  {line}")
    records.write_json(path, current)
    return path


def seed(random_seed):
    """Makes runs repeatable: Python, NumPy, TF and Keras seeds plus deterministic ops.

    Estimator's tf_random_seed alone does not (Keras initializers and tf.data draw their
    own seeds), as measured on this stack.
    """
    if random_seed is None:
        return
    tf.keras.utils.set_random_seed(random_seed)
    tf.config.experimental.enable_op_determinism()


def build_estimator(user, params, model_dir, *, wrap=None):
    """The tf.estimator.Estimator for a checked user module, its params and model directory.

    `wrap`, when given, is applied to the checked model_fn (the report uses it to carry
    labels through prediction).
    """
    model_fn = adapters.model_fn(user, progress_every=params["log_step_count_steps"],
                                 max_steps=params["train_max_steps"], log=logs.info)
    return tf.estimator.Estimator(model_fn=wrap(model_fn) if wrap else model_fn, model_dir=model_dir,
                                  config=run_config.build(params, model_dir=model_dir),
                                  params=params.as_dict())


def _train_and_evaluate(estimator, user, params, data_path, max_steps):
    train_spec, eval_spec = specs.build(user, params, data_path=data_path)
    try:
        metrics, _ = tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
        if "Restoring from checkpoint failed" in str(e):
            raise CheckpointError(
                f"train_url {estimator.model_dir} holds checkpoints of a different model: "
                f"{_first_line(e.message)}. Use a new --train_url, or delete that folder to start over."
            ) from None
        raise
    except tf.compat.v1.train.NanLossDuringTrainingError:
        latest = tf.train.latest_checkpoint(estimator.model_dir)
        raise CheckpointError(
            f"loss became NaN or Inf during training (last good checkpoint: {latest or 'none'}, "
            f"step {checkpoint_step(estimator.model_dir)}). Lower the learning rate, check the "
            "input for NaN/Inf, or clip gradients; rerunning resumes from that checkpoint.") from None
    return metrics or {}


def _export(estimator, user, params, model_dir):
    checkpoint = tf.train.latest_checkpoint(model_dir)
    if checkpoint is None:
        logs.info("no checkpoint to export")
        return None
    base = export_lib.base_dir(model_dir, params["export_name"])
    path, reused = export_lib.export(
        estimator, adapters.serving_input_receiver_fn(user), base=base,
        checkpoint_path=checkpoint, global_step=checkpoint_step(model_dir),
        user_module=user.origin)
    logs.info(f"export {'unchanged' if reused else 'written'}: {path}")
    return path


def checkpoint_step(model_dir):
    """The global step of the newest checkpoint in `model_dir`, or None when there is none."""
    checkpoint = tf.train.latest_checkpoint(model_dir)
    if checkpoint is None:
        return None
    return int(tf.train.load_variable(checkpoint, tf.compat.v1.GraphKeys.GLOBAL_STEP))


def _plain_metrics(metrics):
    out = {}
    for key, value in metrics.items():
        try:
            out[key] = value.item() if hasattr(value, "item") else float(value)
        except (TypeError, ValueError):
            out[key] = str(value)
    return out


def _first_line(text):
    return text.strip().splitlines()[0] if text.strip() else text
