"""Provides the done-marker: a file in the model directory that says training has ended.

Estimator's `ps` tasks never return and an `evaluator` waits for a step that early stopping
may never reach. The chief writes `<model_dir>/modelmaker_done.json` when training ends (for
any reason); parameter servers, the evaluator and early stopping poll it and stop.
"""

import os
import time

from modelmaker import layout, records

MARKER = layout.DONE_MARKER


def path(model_dir, task=None):
    """The marker's path in `model_dir`: the chief's, or that of `task` (e.g. 'worker_0'),
    which ps tasks also wait for before they stop."""
    return os.path.join(model_dir, layout.done_marker(task))


def write(model_dir, *, reason, global_step, task=None):
    """Marks training in `model_dir` as ended (atomically). `reason`: e.g. 'finished', 'early_stop'."""
    records.write_json(path(model_dir, task), {"reason": reason, "global_step": int(global_step),
                                               "time": time.time()})


def read(model_dir, task=None):
    """The marker's content, or None while training goes on."""
    return records.read_json(path(model_dir, task))


def clear(model_dir, task=None):
    """Removes a marker left by an earlier, finished run (a rerun may train further)."""
    try:
        os.unlink(path(model_dir, task))
    except FileNotFoundError:
        pass
