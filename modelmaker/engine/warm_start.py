"""Provides `source`: where a new run's variables start from (a checkpoint or a SavedModel).

    "warm_start_from": "output/pretrained", "warm_start_vars": "dense.*"

`warm_start_from` may be a checkpoint folder (its newest checkpoint is read), a checkpoint
prefix (`.../model.ckpt-1000`), a SavedModel folder (`export/model/3`) or an export base
folder (`export/model`: its newest version). Only the trainable variables whose names match
the regular expression `warm_start_vars` are initialised from it. Warm start applies only
while train_url holds no checkpoint: a resumed run restores its own checkpoint instead.
"""

import os
import re

import tensorflow as tf

from modelmaker.engine import export as export_lib
from modelmaker.errors import ParamsError


def source(params, model_dir, *, log=None):
    """(checkpoint prefix, variable-name pattern) to warm-start from, or None (no warm start,
    or resuming). Each engine turns it into its own warm start.

    Raises:
      ParamsError: `warm_start_from` holds no checkpoint or SavedModel, or
        `warm_start_vars` is not a regular expression.
    """
    source = params["warm_start_from"]
    if source is None or tf.train.latest_checkpoint(model_dir):
        return None
    where = f"`warm_start_from` ({source!r}, from {params.sources['warm_start_from']})"
    pattern = params["warm_start_vars"]
    try:
        re.compile(pattern)
    except re.error as e:
        raise ParamsError(f"`warm_start_vars` ({pattern!r}, from {params.sources['warm_start_vars']}) "
                          f"is not a regular expression: {e}. Example: \"dense.*\" or \".*\".") from None
    path = checkpoint_path(source, where)
    if log:
        log(f"warm start: variables matching {pattern!r} from {path}")
    return path, pattern


def checkpoint_path(source, where):
    """The checkpoint prefix to read for `source` (see the module docstring)."""
    newest = export_lib.latest(source)
    for folder in (source, newest):
        if folder and tf.io.gfile.exists(os.path.join(folder, "variables", "variables.index")):
            return os.path.join(folder, "variables", "variables")
    if tf.io.gfile.isdir(source):
        found = tf.train.latest_checkpoint(source)
        if found:
            return found
    elif tf.io.gfile.exists(source + ".index"):
        return source
    raise ParamsError(
        f"{where} holds no checkpoint or SavedModel. Give a train_url with checkpoints, a "
        "checkpoint prefix such as .../model.ckpt-1000, or an export folder such as "
        ".../export/model/1.")
