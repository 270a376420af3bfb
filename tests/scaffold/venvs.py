"""Throwaway virtual environments and wheels for the packaging tests, made offline.

A venv made from a venv's python with --system-site-packages sees the *base* Python's
packages, not TensorFlow in the venv; so these venvs get no pip of their own and see this
interpreter's site-packages through a .pth file instead (TensorFlow and pip reused, nothing
downloaded). Their own site-packages come first on sys.path, so what is installed into them
wins over anything of the same name here.
"""

import base64
import hashlib
import os
import site
import subprocess
import sys
import zipfile


def clean_env():
    """os.environ without PYTHONPATH, so a subprocess cannot import the repository's modelmaker."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def bare_venv(path, *, wheels=()):
    """Creates a venv at `path`, installs `wheels` into it (no deps, no index), then lets it
    see this interpreter's site-packages; returns the venv's python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = os.path.join(str(path), "bin", "python")
    if wheels:
        # pip --python installs into the new venv before it can see our packages, so pip never
        # mistakes this environment's editable modelmaker for one it should replace.
        subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                        "--no-index", "--disable-pip-version-check", "--quiet", *map(str, wheels)],
                       check=True, env=clean_env())
    purelib = subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip()
    reused = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        reused.append(site.getusersitepackages())
    with open(os.path.join(purelib, "reuse-test-env.pth"), "w") as f:
        f.write("\n".join(reused) + "\n")
    return python


def tiny_wheel(folder, name="mm_reqtest_pkg", version="0.1", value=42):
    """Writes a pure-Python wheel whose package `name` has `VALUE = value`; returns its path."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VALUE = {value}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: modelmaker-tests\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    wheel = os.path.join(str(folder), f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return wheel
