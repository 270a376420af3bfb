"""Provides `install_for`: pip-install a project's requirements.txt before training starts.

ModelArts and KDL install a job's extra Python packages before the user code runs;
`modelmaker train --install-requirements` does the same, into the Python that runs
modelmaker (`sys.executable -m pip install -r requirements.txt`), with pip's own output
shown. It runs before the user module is imported, so that module can import what it
just installed.
"""

import os
import subprocess
import sys

from modelmaker.errors import RequirementsError

FILE_NAME = "requirements.txt"
AUTO = "auto"  # --install-requirements without a file: look beside the user module, then cwd


def candidate_dirs(user_module, cwd):
    """The folders searched for requirements.txt, nearest to the user module first.

    Args:
      user_module: the --user_module value: a dotted name resolved from `cwd`, or a path
        to a .py file or a package folder.
      cwd: the current folder.

    Returns:
      Absolute folder paths without duplicates: the module's folder (for a package folder,
      the package and then its parent), then `cwd`.
    """
    spec = str(user_module).strip()
    looks_like_path = spec.endswith(".py") or os.sep in spec or (os.altsep and os.altsep in spec)
    if looks_like_path:
        path = os.path.abspath(os.path.join(cwd, spec))
    else:
        path = os.path.join(os.path.abspath(cwd), *spec.split("."))
        path = path if os.path.isdir(path) else path + ".py"
    dirs = [path, os.path.dirname(path)] if os.path.isdir(path) else [os.path.dirname(path)]
    dirs.append(os.path.abspath(cwd))
    return list(dict.fromkeys(dirs))


def find(user_module, cwd):
    """The requirements.txt nearest to the user module (see `candidate_dirs`), or None."""
    for folder in candidate_dirs(user_module, cwd):
        path = os.path.join(folder, FILE_NAME)
        if os.path.isfile(path):
            return path
    return None


def listed(path):
    """The requirement lines of `path`: everything but blank lines and comments."""
    with open(path, encoding="utf-8") as f:
        lines = (line.split(" #", 1)[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith("#")]


def install(path, *, python=None, log=print):
    """Runs `python -m pip install -r path` from the file's folder; pip prints to the terminal.

    pip runs in the file's folder so that relative entries (`./mypackage`) mean the same
    wherever training is started.

    Args:
      path: the requirements file.
      python: the interpreter whose environment receives the packages (default: this one).
      log: called with each line modelmaker itself prints.

    Raises:
      RequirementsError: pip could not be started, or exited with a non-zero status.
    """
    path = os.path.abspath(path)
    command = [python or sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
               "-r", path]
    log(f"installing {path} with: {' '.join(command)}")
    try:
        status = subprocess.run(command, cwd=os.path.dirname(path), stdin=subprocess.DEVNULL).returncode
    except OSError as e:
        raise RequirementsError(f"could not start pip ({command[0]}: {e.strerror}) to install "
                                f"{path}. Install the packages yourself, then train without "
                                "--install-requirements.") from None
    if status != 0:
        raise RequirementsError(
            f"pip could not install {path} (pip exit status {status}; its output is above). "
            "Fix or remove the failing line, check the package index is reachable, or install "
            "the packages yourself and train without --install-requirements.")
    log(f"installed the packages of {path}")


def install_for(user_module, requested, *, cwd, python=None, log=print):
    """The train CLI's hook: installs the requirements `requested` for a user module.

    Args:
      user_module: the --user_module value (used to find the file when `requested` is AUTO).
      requested: AUTO, or the path given as --install-requirements FILE.
      cwd: the folder relative paths are resolved from.
      python: the interpreter to install into (default: this one).
      log: called with each line modelmaker itself prints.

    Returns:
      The requirements file used, or None when AUTO found none.

    Raises:
      RequirementsError: an explicit FILE does not exist, or pip failed.
    """
    if requested == AUTO:
        path = find(user_module, cwd)
        if path is None:
            looked = ", ".join(candidate_dirs(user_module, cwd))
            log(f"--install-requirements: no {FILE_NAME} in {looked}; nothing to install")
            return None
    else:
        path = os.path.join(cwd, requested)
        if not os.path.isfile(path):
            raise RequirementsError(f"--install-requirements {requested!r}: no such file (looked "
                                    f"at {os.path.abspath(path)}). Give the path of your "
                                    f"requirements file, or leave the value out to use the "
                                    f"{FILE_NAME} beside your user module.")
    if not listed(path):
        log(f"{path} lists no packages; nothing to install")
        return path
    install(path, python=python, log=log)
    return path
