"""Provides `BestExporter`: after each evaluation, export the model only if it is the best so far.

    "best_export": {"metric": "accuracy", "mode": "max"}, "exports_to_keep": 5

Versions go to `<train_url>/export/best/<N>/`, by the same version-folder rules as the final
export (`modelmaker.engine.export`), so the folder is a TF Serving base path whose newest version is
always the best model. The best score is kept in `<train_url>/best.json` (and beside each
version in `modelmaker_best.json`), so a restarted run compares against it and never exports a
worse model. Estimator's own BestExporter compares `loss` unless told otherwise and exports
unconditionally on its first evaluation after a restart (tensorflow/tensorflow#47396).

One writer per step: in a cluster the evaluator task and the chief's final evaluation both
evaluate the final checkpoint, often at the same moment, and both would find it the best. Before
exporting a step, a task claims it by creating `<train_url>/best_claims/<step>` exclusively
(O_CREAT | O_EXCL, atomic on local and network filesystems); a task that finds the claim taken
leaves that step to its owner. The chief clears the claims when a run starts (`clear_claims`), so
a step whose export crashed is claimed afresh by a rerun.
"""

import json
import os
import socket
import time

import tensorflow as tf

from modelmaker.engine import export as export_lib
from modelmaker.controls.target import Target
from modelmaker import layout, records
from modelmaker.errors import ParamsError

NAME = layout.BEST_EXPORT_NAME          # <train_url>/export/best/
RECORD = layout.BEST_RECORD             # <train_url>/best.json
CLAIMS = layout.BEST_CLAIMS             # <train_url>/best_claims/<step>
VERSION_RECORD = layout.BEST_VERSION_RECORD  # inside each version folder


def target(params):
    """The `Target` of `best_export`, or None when best export is off."""
    setting = params["best_export"]
    if setting is None:
        return None
    if params["export_name"] == NAME:
        raise ParamsError(
            f"`export_name` ({NAME!r}, from {params.sources['export_name']}) is the folder best_export "
            f"writes to (export/{NAME}/). Choose another export_name, e.g. \"model\".")
    return Target(setting["metric"], key="best_export", mode=setting["mode"])


def read_best(model_dir, watched):
    """The best record so far for `watched` in `model_dir`, or None.

    `best.json` is written after a version is published; a crash in between leaves the newer
    record only beside the version, so the newer of the two wins.
    """
    newest = export_lib.latest(layout.export_base(model_dir, NAME))
    found = [records.read_json(os.path.join(model_dir, RECORD)),
             records.read_json(os.path.join(newest, VERSION_RECORD)) if newest else None]
    found = [r for r in found if watched.matches(r) and isinstance(r.get("value"), (int, float))]
    return max(found, key=lambda r: r.get("global_step", 0), default=None)


def claim(model_dir, step):
    """True when this task is the first to claim the best export of `step` (see the module
    docstring); False when another task has."""
    folder = os.path.join(model_dir, CLAIMS)
    os.makedirs(folder, exist_ok=True)
    try:
        fd = os.open(os.path.join(folder, str(step)), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"host": socket.gethostname(), "pid": os.getpid(), "time": time.time()}, f)
    return True


def clear_claims(model_dir):
    """Removes the claims of earlier runs in `model_dir`; returns how many."""
    folder = os.path.join(model_dir, CLAIMS)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in names:
        try:
            os.unlink(os.path.join(folder, name))
        except FileNotFoundError:
            pass
    return len(names)


class BestExport:
    """After each evaluation: exports the model under `export/best/` when it is the best so far.

    A plain after-evaluation callable `(metrics, checkpoint_path)`; `export` is the engine's
    (`Engine.export`), so it works whichever engine evaluated.
    """

    def __init__(self, watched, *, model_dir, export, exports_to_keep, log):
        """
        Args:
          watched: the `Target` to maximise or minimise.
          model_dir: the model directory (best.json, export/best/).
          export: `Engine.export`-like: (base, *, checkpoint, global_step, before_publish) ->
            (version folder, reused).
          exports_to_keep: keep the newest N versions (None keeps all).
          log: a callable taking one line of text.
        """
        self._watched = watched
        self._model_dir = model_dir
        self._export = export
        self._keep = exports_to_keep
        self._log = log

    def __call__(self, metrics, checkpoint_path):
        """Exports when `metrics` beat the best so far; returns the version folder or None."""
        value = self._watched.read(metrics)
        step = int(metrics[tf.compat.v1.GraphKeys.GLOBAL_STEP])
        best = read_best(self._model_dir, self._watched)
        if not self._watched.improved(value, best and best["value"]):
            self._log(f"best export: {self._watched.metric} {value:.6g} at step {step} does not beat "
                      f"{best['value']:.6g} (step {best['global_step']}); not exported")
            return None
        if not claim(self._model_dir, step):
            self._log(f"best export: step {step} is exported by another task (it claimed "
                      f"{CLAIMS}/{step} first); not exported here")
            return None
        record = {"metric": self._watched.metric, "mode": self._watched.mode, "value": value,
                  "global_step": step, "checkpoint": os.path.basename(checkpoint_path)}

        def note(staged):
            with open(os.path.join(staged, VERSION_RECORD), "w", encoding="utf-8") as f:
                json.dump(record, f)

        base = layout.export_base(self._model_dir, NAME)
        path, _ = self._export(base, checkpoint=checkpoint_path, global_step=step, before_publish=note)
        records.write_json(os.path.join(self._model_dir, RECORD), dict(record, export_dir=path))
        export_lib.prune(base, self._keep)
        previous = f" (was {best['value']:.6g} at step {best['global_step']})" if best else ""
        self._log(f"best export: {self._watched.metric} {value:.6g} at step {step}{previous} -> {path}")
        return path
