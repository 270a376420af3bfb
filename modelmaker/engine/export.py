"""Provides SavedModel export into integer version folders that TF Serving can poll.

Layout: `<train_url>/export/<export_name>/<N>/` with N = 1, 2, ... The engine writes each
export into a `.staging-*` folder first (TF Serving ignores names that are not integers),
and the finished SavedModel is then renamed into place, so a numbered folder always holds a
complete model. Leftovers of a crash are removed by `clean_leftovers` on the next run.
"""

import glob
import json
import os
import shutil
import time

from modelmaker import layout
from modelmaker.user import source as user_source

EXPORT_DIR = layout.EXPORT_DIR
MARKER = layout.EXPORT_MARKER   # beside saved_model.pb; TF Serving ignores extra files
_STAGING = layout.STAGING_PREFIX


def versions(base):
    """The integer version numbers under `base`, ascending."""
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return []
    return sorted(int(n) for n in names if n.isdigit() and os.path.isdir(os.path.join(base, n)))


def latest(base):
    """The newest version folder under `base`, or None."""
    found = versions(base)
    return os.path.join(base, str(found[-1])) if found else None


def prune(base, keep):
    """Removes all but the newest `keep` version folders under `base`; None or 0 keeps all.

    Returns the removed paths.
    """
    if not keep:
        return []
    removed = []
    for number in versions(base)[:-keep]:
        path = os.path.join(base, str(number))
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def clean_leftovers(model_dir):
    """Removes staging and Estimator `temp-*` folders a killed export left behind.

    Returns the removed paths.
    """
    removed = []
    pattern_roots = glob.glob(os.path.join(model_dir, EXPORT_DIR, "*"))
    for root in pattern_roots:
        for name in os.listdir(root) if os.path.isdir(root) else []:
            path = os.path.join(root, name)
            if name.startswith((_STAGING, "temp-")) and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def export(write, *, base, checkpoint_path, global_step, user_module=None, before_publish=None):
    """Exports the model at `checkpoint_path` as the next version under `base`.

    When the newest version was already exported from this same checkpoint (a rerun of
    a finished job), it is reused instead of written again.

    Args:
      write: the engine's writer: `write(staging_dir)` writes the SavedModel of
        `checkpoint_path` under `staging_dir` and returns the folder it wrote.
      base: the export base path (`layout.export_base(...)`).
      checkpoint_path: the checkpoint to export.
      global_step: its step, recorded beside the model.
      user_module: the `UserModule`: its origin is recorded beside the model and a copy of its
        source kept with it (`modelmaker.user_source`), so that `modelmaker predict` / `serve`
        find its optional preprocess/postprocess from any folder or machine.
      before_publish: called with the staged folder just before it is renamed into place
        (used by fault-injection tests to kill the process at the worst moment).

    Returns:
      (version_dir, reused)
    """
    newest = latest(base)
    if newest:
        marker = read_marker(newest)
        if marker and marker.get("checkpoint") == os.path.basename(checkpoint_path):
            return newest, True
    os.makedirs(base, exist_ok=True)
    staging = os.path.join(base, f"{_STAGING}{os.getpid()}-{int(time.time() * 1000)}")
    try:
        exported = write(staging)
        exported = exported.decode() if isinstance(exported, bytes) else exported
        record = {"global_step": int(global_step), "checkpoint": os.path.basename(checkpoint_path),
                  "user_module": user_module.origin if user_module else None}
        copied = user_source.keep_copy(user_module.module, exported) if user_module else None
        if copied:
            record[user_source.KEY] = copied
        with open(os.path.join(exported, MARKER), "w", encoding="utf-8") as f:
            json.dump(record, f)
        if before_publish:
            before_publish(exported)
        target = os.path.join(base, str((versions(base) or [0])[-1] + 1))
        os.rename(exported, target)  # atomic on a local filesystem
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, False


def read_marker(version_dir):
    """The `modelmaker_export.json` record of a version folder (step, checkpoint, user module), or None."""
    try:
        with open(os.path.join(version_dir, MARKER), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
