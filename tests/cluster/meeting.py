"""The tiny classifier of tests/modules/tiny.py, whose final evaluations and exports meet: a
test module that makes the evaluator's and the chief's work on the final checkpoint overlap.

    --set meet_url=<train_url> --set meet_dir=<a folder the tasks share>

Once the chief's done-marker is in `meet_url`, an evaluation waits at its end until another
process has ended one too; then an export waits in `serving_input_receiver_fn` (which runs
after a best export has decided to export, before it records anything) until another process
exports as well, or until every other process that evaluated has exited. Waits are bounded
(MEET_SECS) for loaded machines; normally each side waits for well under a second.
"""

import itertools
import os
import time

import tensorflow as tf

from modelmaker import layout
from tests.launch.test_launch import alive
from tests.modules import tiny
from tests.modules.tiny import model_fn, train_input_fn  # noqa: F401

MEET_SECS = 60
_PARAMS = {}  # the run's parameters, kept by the input function for the receiver function
_COUNT = itertools.count()


def _final(params):
    return bool(params) and os.path.exists(os.path.join(params["meet_url"], layout.DONE_MARKER))


def _arrive(kind):
    folder = _PARAMS["meet_dir"]
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, f"{kind}-{os.getpid()}-{next(_COUNT)}"), "w").close()


def _others(kind):
    """Pids of other processes that arrived at `kind`."""
    names = os.listdir(_PARAMS["meet_dir"])
    return {int(n.split("-")[1]) for n in names if n.startswith(kind + "-")} - {os.getpid()}


def _wait(condition):
    deadline = time.monotonic() + MEET_SECS
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def _batches(params):
    features, labels = tiny._data(64, 1)
    final = _final(params)
    for i in range(0, 64, 16):
        yield {"x": features["x"][i:i + 16]}, labels[i:i + 16]
    if final:  # every batch is read: wait until another final evaluation is done too
        _arrive("eval")
        _wait(lambda: _others("eval"))


def eval_input_fn(path, params):
    _PARAMS.update(params)
    return tf.data.Dataset.from_generator(
        lambda: _batches(params),
        output_signature=({"x": tf.TensorSpec([None, 4], tf.float32)}, tf.TensorSpec([None], tf.int32)))


def serving_input_receiver_fn():
    if _final(_PARAMS):
        _arrive("export")
        _wait(lambda: _others("export") or not any(alive(p) for p in _others("eval")))
    return tiny.serving_input_receiver_fn()
