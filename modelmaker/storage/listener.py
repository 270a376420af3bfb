"""Provides `UploadListener`: uploads the model directory after each checkpoint is saved."""

import tensorflow as tf


class UploadListener(tf.compat.v1.train.CheckpointSaverListener):
    """Calls `push(soft=True)` after every checkpoint save and once when training ends.

    Soft: a failed upload is logged and retried at the next checkpoint rather than
    stopping training; the final upload after the export is strict.
    """

    def __init__(self, push):
        self._push = push

    def after_save(self, session, global_step_value):
        self._push(soft=True)

    def end(self, session, global_step_value):
        self._push(soft=True)
