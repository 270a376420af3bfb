"""Provides `BestExporter`: after each evaluation, export the model only if it is the best so far.

    "best_export": {"metric": "accuracy", "mode": "max"}, "exports_to_keep": 5

Versions go to `<train_url>/export/best/<N>/`, by the same version-folder rules as the final
export (`modelmaker.export`), so the folder is a TF Serving base path whose newest version is
always the best model. The best score is kept in `<train_url>/best.json` (and beside each
version in `modelmaker_best.json`), so a restarted run compares against it and never exports a
worse model. Estimator's own BestExporter compares `loss` unless told otherwise and exports
unconditionally on its first evaluation after a restart (tensorflow/tensorflow#47396).
"""

import json
import os

import tensorflow as tf

from modelmaker import export as export_lib, monitor, records
from modelmaker.errors import ParamsError

NAME = "best"                          # <train_url>/export/best/
RECORD = "best.json"                   # <train_url>/best.json
VERSION_RECORD = "modelmaker_best.json"  # inside each version folder


def target(params):
    """The `monitor.Target` of `best_export`, or None when best export is off."""
    setting = params["best_export"]
    if setting is None:
        return None
    if params["export_name"] == NAME:
        raise ParamsError(
            f"`export_name` ({NAME!r}, from {params.sources['export_name']}) is the folder best_export "
            f"writes to (export/{NAME}/). Choose another export_name, e.g. \"model\".")
    return monitor.Target(setting["metric"], key="best_export", mode=setting["mode"])


def read_best(model_dir, watched):
    """The best record so far for `watched` in `model_dir`, or None.

    `best.json` is written after a version is published; a crash in between leaves the newer
    record only beside the version, so the newer of the two wins.
    """
    newest = export_lib.latest(os.path.join(model_dir, export_lib.EXPORT_DIR, NAME))
    found = [records.read_json(os.path.join(model_dir, RECORD)),
             records.read_json(os.path.join(newest, VERSION_RECORD)) if newest else None]
    found = [r for r in found if watched.matches(r) and isinstance(r.get("value"), (int, float))]
    return max(found, key=lambda r: r.get("global_step", 0), default=None)


class BestExporter(tf.estimator.Exporter):
    """An Estimator exporter that keeps the best model under `export/best/`."""

    def __init__(self, watched, *, receiver_fn, user_module, exports_to_keep, log):
        """
        Args:
          watched: the `monitor.Target` to maximise or minimise.
          receiver_fn: the serving input receiver function for the export.
          user_module: the `UserModule`, recorded and copied beside each version.
          exports_to_keep: keep the newest N versions (None keeps all).
          log: a callable taking one line of text.
        """
        self._watched = watched
        self._receiver_fn = receiver_fn
        self._user_module = user_module
        self._keep = exports_to_keep
        self._log = log

    @property
    def name(self):
        return NAME

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        """Exports when `eval_result` beats the best so far; returns the version folder or None."""
        value = self._watched.read(eval_result)
        step = int(eval_result[tf.compat.v1.GraphKeys.GLOBAL_STEP])
        best = read_best(estimator.model_dir, self._watched)
        if not self._watched.improved(value, best and best["value"]):
            self._log(f"best export: {self._watched.metric} {value:.6g} at step {step} does not beat "
                      f"{best['value']:.6g} (step {best['global_step']}); not exported")
            return None
        record = {"metric": self._watched.metric, "mode": self._watched.mode, "value": value,
                  "global_step": step, "checkpoint": os.path.basename(checkpoint_path)}

        def note(staged):
            with open(os.path.join(staged, VERSION_RECORD), "w", encoding="utf-8") as f:
                json.dump(record, f)

        path, _ = export_lib.export(estimator, self._receiver_fn, base=export_path,
                                    checkpoint_path=checkpoint_path, global_step=step,
                                    user_module=self._user_module, before_publish=note)
        records.write_json(os.path.join(estimator.model_dir, RECORD), dict(record, export_dir=path))
        export_lib.prune(export_path, self._keep)
        previous = f" (was {best['value']:.6g} at step {best['global_step']})" if best else ""
        self._log(f"best export: {self._watched.metric} {value:.6g} at step {step}{previous} -> {path}")
        return path
