"""Provides `modelmaker init`: a new project folder made from a template shipped in the package.

    modelmaker init myproject                 # the default template (csv-classifier)
    cd myproject
    python -m modelmaker.train --user_module mymodel

Templates live in `modelmaker/templates/<name>/`; `TEMPLATES` names them. `create` never
overwrites an existing non-empty folder unless asked to (`force`), and never writes
outside the target folder, even through a symlink inside it.
"""

import os

from modelmaker.config.suggest import closest
from modelmaker.errors import ScaffoldError

# template name -> one line for `modelmaker init --list`; each is a folder under templates/.
TEMPLATES = {
    "csv-classifier": "classify the rows of a CSV file (numeric columns -> a label column); "
                      "sample fruit data",
    "image-classifier": "classify images kept in one folder per class (PNG/JPEG) with a small "
                        "CNN; sample shape images",
}
DEFAULT_TEMPLATE = "csv-classifier"
TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

# Files whose text gets `{{project}}` replaced by the project folder's name.
_RENDERED = (".md",)
_SKIPPED_DIRS = ("__pycache__",)
_SKIPPED_SUFFIXES = (".pyc", ".pyo")



def template_files(name, *, root=TEMPLATES_DIR):
    """The files of template `name`, as sorted paths relative to its folder.

    Raises:
      ScaffoldError: `name` is not a template, or the template holds a symlink.
    """
    folder = _template_dir(name, root)
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            if filename.endswith(_SKIPPED_SUFFIXES):
                continue
            if os.path.islink(path):
                raise ScaffoldError(f"template {name!r} holds a symlink ({path}); templates must "
                                    "hold plain files. Replace the link with the file it points to.")
            files.append(os.path.relpath(path, folder))
    return sorted(files)


def create(target, *, template=DEFAULT_TEMPLATE, force=False, root=TEMPLATES_DIR):
    """Creates a project in folder `target` from `template`.

    Args:
      target: the project folder; created when missing.
      template: a key of `TEMPLATES`.
      force: write into a non-empty `target`, replacing files of the same names.
      root: the folder holding the templates (tests point it elsewhere).

    Returns:
      The absolute paths written, in order.

    Raises:
      ScaffoldError: unknown template; `target` is a file, or non-empty without `force`;
        a file would land outside `target` (e.g. through a symlink in it). Nothing is
        written in these cases.
    """
    files = template_files(template, root=root)
    target = os.path.abspath(os.fspath(target))
    _check_target(target, force)
    destinations = [_destination(target, rel) for rel in files]
    project = os.path.basename(target)
    source_dir = _template_dir(template, root)
    for rel, dest in zip(files, destinations):
        with open(os.path.join(source_dir, rel), "rb") as f:
            data = f.read()
        if rel.endswith(_RENDERED):
            data = data.decode("utf-8").replace("{{project}}", project).encode("utf-8")
        _write(dest, data)
    return destinations


def _template_dir(name, root):
    if name not in TEMPLATES:
        close = next((t for t in TEMPLATES if t.startswith(str(name))), None) or closest(str(name), list(TEMPLATES))
        hint = f"did you mean {close!r}? " if close else ""
        raise ScaffoldError(f"unknown template {name!r}: {hint}choose one of "
                            f"{', '.join(TEMPLATES)} (modelmaker init --list).")
    folder = os.path.join(root, name)
    if not os.path.isdir(folder):
        raise ScaffoldError(f"template {name!r} is missing its folder {folder}: this modelmaker "
                            "installation is incomplete. Reinstall modelmaker.")
    return folder


def _check_target(target, force):
    if os.path.lexists(target) and not os.path.isdir(target):
        raise ScaffoldError(f"{target} exists and is not a folder. Choose another project name.")
    if os.path.isdir(target) and os.listdir(target) and not force:
        raise ScaffoldError(f"{target} already exists and is not empty; modelmaker init does not "
                            "overwrite files. Choose a new folder name, or add --force to write "
                            "the template's files into it (files of the same name are replaced).")


def _destination(target, rel):
    """`target/rel`, refused when it (or a symlink on the way) would leave `target`."""
    dest = os.path.normpath(os.path.join(target, rel))
    real_target = os.path.realpath(target)
    real_dest = os.path.realpath(dest)
    inside = os.path.commonpath([real_target, real_dest]) == real_target
    if os.path.isabs(rel) or ".." in rel.split(os.sep) or not inside:
        raise ScaffoldError(f"refusing to write {rel!r}: it would land at {real_dest}, outside "
                            f"the project folder {target} (a '..' or a symlink on the way). "
                            "Remove that symlink, or choose another folder.")
    return dest


def _write(path, data):
    # Via a temporary name: a crash mid-write leaves the old file or none, never half a file.
    partial = f"{path}.partial-{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(partial, "wb") as f:
            f.write(data)
        os.replace(partial, path)
    except OSError as e:
        raise ScaffoldError(f"cannot write {path}: {e.strerror}. Check that the folder is "
                            "writable and that no folder of that name is in the way.") from None
