"""Provides `read_curves`: the scalar series of a training run, read from its TensorBoard files.

Estimator writes training summaries (loss, global_step/sec, the user's own) to
`<train_url>/events.out.tfevents.*` and evaluation metrics to `<train_url>/eval/`.
"""

import glob
import os

import tensorflow as tf

RUNS = {"train": "", "eval": "eval"}  # run name -> folder under train_url


def read_curves(model_dir):
    """Every scalar tag of the training and evaluation runs.

    Args:
      model_dir: the train_url.

    Returns:
      {run: {tag: [(step, value), ...] sorted by step}} with run in RUNS; a run without
      event files is absent. When a step was logged twice (a resumed run), the last value wins.
    """
    curves = {}
    for run, folder in RUNS.items():
        series = {}
        for path in sorted(glob.glob(os.path.join(model_dir, folder, "events.out.tfevents.*"))):
            for tag, step, value in _scalars(path):
                series.setdefault(tag, {})[step] = value
        if series:
            curves[run] = {tag: sorted(points.items()) for tag, points in series.items()}
    return curves


def _scalars(path):
    """(tag, step, value) for each scalar in one event file; a file cut short ends early."""
    try:
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                number = _number(value)
                if number is not None:
                    yield value.tag, int(event.step), number
    except tf.errors.DataLossError:  # the writer was still appending: keep what was read
        return


def _number(value):
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if value.HasField("tensor") and not value.tensor.tensor_shape.dim:
        try:
            return float(tf.make_ndarray(value.tensor))
        except (TypeError, ValueError):  # a string scalar (text summary)
            return None
    return None
