"""Provides `build`: run parameters (and the cluster, later) -> tf.estimator.RunConfig."""

import tensorflow as tf


def build(params, *, model_dir):
    """A RunConfig carrying the checkpoint, logging, summary and seed settings of `params`.

    Args:
      params: the validated `RunParams`.
      model_dir: the local model directory (checkpoints, events, exports).
    """
    return tf.estimator.RunConfig(
        model_dir=model_dir,
        save_checkpoints_steps=params["save_checkpoints_steps"],
        save_checkpoints_secs=params["save_checkpoints_secs"],
        # RunConfig treats 0 and None alike (keep all); the seed allows both.
        keep_checkpoint_max=params["keep_checkpoint_max"] or 0,
        log_step_count_steps=params["log_step_count_steps"],
        save_summary_steps=params["save_summary_steps"] or 0,
        tf_random_seed=params["random_seed"],
    )
