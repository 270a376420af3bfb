"""Provides the copy of the user module kept with each export, so that `modelmaker serve` and
`predict` find its preprocess/postprocess from any folder and on another machine.

The copy is `<version>/assets.extra/modelmaker_user_module/` (TF Serving reads nothing in
assets.extra but its warm-up file): the module's file, or its whole package folder when it is
(part of) a package, plus the files and packages of its own folder that it imported (its
sibling modules). `modelmaker_export.json` records the name to import under
"user_module_copy". As part of the version folder, the copy travels with every copy, upload
and atomic publish of the export.
"""

import os
import shutil
import sys

from modelmaker.user import module as user_module_lib
from modelmaker.errors import UserModuleError

FOLDER = os.path.join("assets.extra", "modelmaker_user_module")
KEY = "user_module_copy"    # in modelmaker_export.json: the import name inside FOLDER
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
_INSTALLED = ("site-packages", "dist-packages")


def keep_copy(module, version_dir):
    """Copies the source of `module` (a module object) into `version_dir`/FOLDER.

    Returns:
      The name to import from the copy, or None when the module has no source file (built in
      memory): nothing is copied then.
    """
    name, root, own = _own_source(module)
    if name is None:
        return None
    target = os.path.join(version_dir, FOLDER)
    os.makedirs(target, exist_ok=True)
    for path in [own] + _siblings(root, own):
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(target, os.path.basename(path)), ignore=_IGNORED)
        else:
            shutil.copy2(path, target)
    return name


def _own_source(module):
    """(import name, the folder that holds it, its file or top package folder), or Nones."""
    file = getattr(module, "__file__", None)
    if not file or not file.endswith(".py"):
        return None, None, None
    file = os.path.abspath(file)
    top = sys.modules.get(module.__name__.split(".")[0])
    package = getattr(top, "__path__", None) if module.__name__ != "__main__" else None
    if package:  # a package folder, or a module inside one: the whole top package
        folder = os.path.abspath(list(package)[0])
        return module.__name__, os.path.dirname(folder), folder
    # A file, whatever name it was imported under (a script's module is "__main__").
    return os.path.splitext(os.path.basename(file))[0], os.path.dirname(file), file


def _siblings(root, own):
    """The modules directly in `root` (files or package folders) that this process imported:
    the user module's own helpers. None for a folder of installed packages."""
    if os.path.basename(root) in _INSTALLED:
        return []
    found = set()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if "." in name or not file or name == "modelmaker":  # the framework is not theirs
            continue
        file = os.path.abspath(file)
        if os.path.dirname(file) == root and file.endswith(".py"):
            found.add(file)
        elif os.path.dirname(os.path.dirname(file)) == root and getattr(module, "__path__", None):
            found.add(os.path.dirname(file))
    found.discard(own)
    return sorted(found)


def import_copy(version_dir, name):
    """Imports `name` from the copy kept in `version_dir`, ahead of any module of that name
    (or of its siblings) imported before, e.g. from another version.

    Returns:
      (module, origin).

    Raises:
      UserModuleError: the copy is missing or fails to import.
    """
    folder = os.path.join(version_dir, FOLDER)
    if not os.path.isdir(folder):
        raise UserModuleError(
            f"the copy of the user module `{name}` recorded with {version_dir} is missing "
            f"({folder}); copy the whole version folder, or pass --user_module.")
    tops = {os.path.splitext(entry)[0] for entry in os.listdir(folder)}
    for loaded in [m for m in sys.modules if m.split(".")[0] in tops]:
        del sys.modules[loaded]
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    module, _ = user_module_lib.import_only(name, cwd=folder)
    return module, getattr(module, "__file__", None) or os.path.join(folder, name)
