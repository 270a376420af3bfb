"""Provides `translated`: TensorFlow's errors of a training run, as the user's, for every engine.

Two failures are the user's and get one line that names the fix: checkpoints in train_url
that belong to another model ("Restoring from checkpoint failed"), and a loss that became
NaN or Inf (NanTensorHook's error, naming the step and the last good checkpoint).
"""

import tensorflow as tf

from modelmaker.engine import checkpoints
from modelmaker.errors import CheckpointError


class translated:
    """A context around a training run in `model_dir`; `counter` (a `progress.StepCounter`
    among the run's hooks) names the step a NaN loss appeared at."""

    def __init__(self, model_dir, counter):
        self._model_dir = model_dir
        self._counter = counter

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if isinstance(error, (tf.errors.NotFoundError, tf.errors.InvalidArgumentError)):
            if "Restoring from checkpoint failed" in str(error):
                raise CheckpointError(
                    f"train_url {self._model_dir} holds checkpoints of a different model: "
                    f"{_first_line(error.message)}. Use a new --train_url, or delete that folder to "
                    "start over.") from None
        if isinstance(error, tf.compat.v1.train.NanLossDuringTrainingError):
            raise diverged(self._model_dir, self._counter.step) from None
        return False


def diverged(model_dir, step):
    """The CheckpointError of a loss that became NaN or Inf at `step`."""
    latest = checkpoints.latest(model_dir)
    good = f"{latest} (step {checkpoints.step(model_dir)})" if latest else "none yet"
    return CheckpointError(
        f"loss became NaN or Inf at step {step}; the last good checkpoint is {good}. Lower the "
        "learning rate, check the input for NaN/Inf, or clip gradients; rerunning resumes from "
        "that checkpoint.")


def _first_line(text):
    return text.strip().splitlines()[0] if text.strip() else text
