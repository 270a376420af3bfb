"""`ModeKeys`: the three modes a model_fn is called in (the same strings as tf.estimator's)."""


class ModeKeys:
    """Standard names for model modes; equal to `tf.estimator.ModeKeys`'s values, so either compares."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"
