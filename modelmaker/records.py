"""Provides the run records in train_url (`params.json`, `result.json`, written atomically) and
`FitResult`, what result.json holds and `fit()` returns."""

import dataclasses
import json
import os
import tempfile
from typing import Any, Mapping, Optional

from modelmaker.layout import PARAMS_FILE, RESULT_FILE  # noqa: F401 (the records' names)


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What a run produced; the same fields are written to `<train_url>/result.json`."""

    global_step: int
    metrics: Mapping[str, Any]
    export_dir: Optional[str]
    wall_seconds: float
    params_file: str
    train_url: str
    trained: bool  # whether this run advanced the global step (False: finished or stopped early before)
    model_dir: str = ""  # the local model directory (differs from train_url when that is remote)
    tuning: Optional[Mapping[str, Any]] = None  # tuning_metric's final {metric, value, global_step}

    def to_dict(self):
        return dataclasses.asdict(self)


def write_json(path, data):
    """Writes `data` as JSON to `path` atomically: a temp file in the same folder, then rename.

    A crash leaves either the old file or the new one, never half of one.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=False, default=_plain)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; records are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_json(path):
    """The JSON in `path`, or None when it is absent or unreadable (e.g. from an old crash)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _plain(value):
    """JSON for numpy scalars and arrays, bytes and paths."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
