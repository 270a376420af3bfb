"""The reference engine: tf.estimator builds, trains, evaluates, exports and predicts."""
