"""Provides the done-marker: a file in the model directory that says training has ended.

Estimator's `ps` tasks never return and an `evaluator` waits for a step that early stopping
may never reach. The chief writes `<model_dir>/modelmaker_done.json` when training ends (for
any reason); parameter servers, the evaluator and early stopping poll it and stop.
"""

import os
import time

from modelmaker import records

MARKER = "modelmaker_done.json"


def path(model_dir):
    """The marker's path in `model_dir`."""
    return os.path.join(model_dir, MARKER)


def write(model_dir, *, reason, global_step):
    """Marks training in `model_dir` as ended (atomically). `reason`: e.g. 'finished', 'early_stop'."""
    records.write_json(path(model_dir), {"reason": reason, "global_step": int(global_step),
                                         "time": time.time()})


def read(model_dir):
    """The marker's content, or None while training goes on."""
    return records.read_json(path(model_dir))


def clear(model_dir):
    """Removes a marker left by an earlier, finished run (a rerun may train further)."""
    try:
        os.unlink(path(model_dir))
    except FileNotFoundError:
        pass
