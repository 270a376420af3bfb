"""Which interpreter runs each stack of the benchmark: `compat` (TensorFlow 2.15 with
tensorflow-estimator: the Estimator sides and the TF 2.15 figures) and `current` (current
TensorFlow, no tf.estimator).

    python bench/stacks.py      # prints this interpreter's {"tensorflow": ..., "estimator": ...}

`bench/run.py` asks each interpreter with `probe` (a subprocess running this file, which imports
no TensorFlow) and gives each stack an interpreter with `interpreters`: the flag's when given,
else this interpreter for the stack it is, else none (its sides are skipped, with the reason).
"""

import importlib.metadata
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository

from modelmaker.engine.estimator import real  # noqa: E402  (imports no TensorFlow)

# stack -> the bench/run.py flag naming its interpreter, and an example of it.
STACKS = {"compat": ("--compat_python", ".venv-tf2.15/bin/python"),
          "current": ("--current_python", ".venv/bin/python")}


def here():
    """(TensorFlow version or None, whether tensorflow-estimator is installed) of this interpreter."""
    try:
        version = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        version = None
    return version, real.installed()


def probe(python):
    """`here()` of another interpreter.

    Raises:
      SystemExit: `python` did not run (its error output's tail).
    """
    proc = subprocess.run([python, __file__], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {python} {__file__} failed (exit code {proc.returncode}):\n"
                         + proc.stderr[-2000:])
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return found["tensorflow"], found["estimator"]


def interpreters(*, compat_python, current_python, this, executable=sys.executable):
    """{stack: (interpreter, None)} or {stack: (None, why not)} for each of STACKS.

    Args:
      compat_python, current_python: the flags' interpreters (None: not given).
      this: `here()` of `executable`, the interpreter running the bench: it serves the stack
        it is (`compat` when tensorflow-estimator is installed) unless that stack's flag is given.
    """
    version, estimator = this
    mine = "compat" if estimator else "current"
    given = {"compat": compat_python, "current": current_python}
    out = {}
    for stack, (flag, example) in STACKS.items():
        if given[stack]:
            out[stack] = (given[stack], None)
        elif stack == mine:
            out[stack] = (executable, None)
        else:
            out[stack] = (None, f"no {stack} interpreter: this one runs TensorFlow {version} "
                                f"{'with' if estimator else 'without'} tensorflow-estimator and "
                                f"{flag} was not given (e.g. {flag} {example})")
    return out


if __name__ == "__main__":
    version, estimator = here()
    print(json.dumps({"tensorflow": version, "estimator": estimator}))
