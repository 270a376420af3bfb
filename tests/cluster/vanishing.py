"""The holdable classifier of tests/fault/holdable.py, whose evaluation input, the first time it
is built in the evaluator task, removes every checkpoint there is (as the chief removes those
beyond keep_checkpoint_max when it trains faster than the evaluator evaluates), then lets the
held training go on:

    --set hold_file=<file> --set hold_after=15 --set vanish_url=<train_url>
"""

import glob
import json
import os

from tests.fault import holdable
from tests.fault.holdable import model_fn, serving_input_receiver_fn, train_input_fn  # noqa: F401

_REMOVED = []


def eval_input_fn(path, params):
    task = json.loads(os.environ.get("TF_CONFIG") or "{}").get("task", {})
    if task.get("type") == "evaluator" and not _REMOVED:
        for found in glob.glob(os.path.join(params["vanish_url"], "model.ckpt-*")):
            os.unlink(found)
            _REMOVED.append(found)
        os.unlink(params["hold_file"])
    return holdable.eval_input_fn(path, params)
