"""Provides the checkpoint facts every engine and caller needs: the newest one and its step."""

import tensorflow as tf


def latest(model_dir):
    """The newest checkpoint prefix in `model_dir`, or None."""
    return tf.train.latest_checkpoint(model_dir)


def step(model_dir):
    """The global step of the newest checkpoint in `model_dir`, or None when there is none."""
    checkpoint = latest(model_dir)
    if checkpoint is None:
        return None
    return int(tf.train.load_variable(checkpoint, tf.compat.v1.GraphKeys.GLOBAL_STEP))
