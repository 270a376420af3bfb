"""Provides `publish`: copies a finished local export to `<remote base>/<N>/` so that a TF
Serving poller never sees a half version.

Object stores cannot rename a folder (a "rename" is copy + delete per object, and TF
Serving loads a numbered folder as soon as it appears, with no completeness check). So
the files go straight to their final place, `variables/`, `assets/` and everything else
(`assets.extra/` with the copy of the user module that serving imports) first and
`saved_model.pb` LAST: until it lands the folder is not a SavedModel. Numbered
folders without `saved_model.pb` (an upload killed halfway) are removed by the next publish.
"""

import json
import os

from modelmaker import layout, logs

MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
MARKER = layout.EXPORT_MARKER  # written by modelmaker.engine.export beside saved_model.pb


def publish(store, base, local_dir, *, before_model_file=None):
    """Publishes the SavedModel in `local_dir` as the next version under `base`.

    When the newest complete remote version came from the same checkpoint (a rerun of a
    finished job), it is reused instead of uploaded again.

    Args:
      store: the Store of `base`.
      base: the remote export base Location (`<train_url>/export/<name>`).
      local_dir: the local version folder written by `modelmaker.engine.export.export`.
      before_model_file: called with the remote version Location after everything but
        `saved_model.pb` is uploaded (fault-injection tests interrupt here).

    Returns:
      The remote version URL.

    Raises:
      DataError: the store cannot be listed or written.
    """
    versions = _remote_versions(store, base)
    complete = sorted(n for n, names in versions.items() if any(m in names for m in MODEL_FILES))
    if complete and _same_checkpoint(store, base.join(str(complete[-1])), local_dir):
        return base.join(str(complete[-1])).url
    number = max(versions, default=0) + 1
    target = base.join(str(number))
    files = local_files(local_dir)
    first = [(path, target.join(rel)) for rel, path in files.items() if rel not in MODEL_FILES]
    last = [(path, target.join(rel)) for rel, path in files.items() if rel in MODEL_FILES]
    for n, names in versions.items():
        if n not in complete:  # a poller fails on these; remove them before adding more
            store.remove([base.join(str(n), name) for name in names])
            logs.info(f"removed an unfinished export left by an earlier crash: {base.join(str(n)).url}")
    store.put_many(first)
    if before_model_file:
        before_model_file(target)
    store.put_many(last)
    logs.info(f"export published: {target.url}")
    return target.url


def _remote_versions(store, base):
    """{version number: [file paths relative to the version folder]} under `base`."""
    versions = {}
    for rel in store.list(base):
        head, _, rest = rel.partition("/")
        if head.isdigit() and rest:
            versions.setdefault(int(head), []).append(rest)
    return versions


def _same_checkpoint(store, remote_version, local_dir):
    try:
        with open(os.path.join(local_dir, MARKER), encoding="utf-8") as f:
            local = json.load(f)
        remote = json.loads(store.read(remote_version.join(MARKER)) or b"null")
    except (OSError, ValueError):
        return False
    return bool(remote) and remote.get("checkpoint") == local.get("checkpoint")


def local_files(local_dir):
    """{relative path with '/': path} of every file below `local_dir`."""
    out = {}
    for folder, _, names in os.walk(local_dir):
        for name in names:
            path = os.path.join(folder, name)
            out[os.path.relpath(path, local_dir).replace(os.sep, "/")] = path
    return out
