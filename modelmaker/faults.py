"""Provides fault injection for the fault-tolerance tests: kill the process at the worst moment.

    MODELMAKER_FAULT=kill_before_publish python -m modelmaker.train --user_module ...

The command line reads the variable once (`parse(environment.read().fault)`) and hands the
resulting `Faults` down as a value; nothing below it reads the environment. Unset or empty
means no fault. The kill is SIGKILL: no handler, no cleanup, like a machine losing power.
"""

import dataclasses
import os
import signal

from modelmaker.errors import ParamsError

ENV = "MODELMAKER_FAULT"

# Every fault, with where the process dies. The keys are the accepted values of ENV.
POINTS = {
    "kill_before_publish": "after the SavedModel is complete in its staging folder, before it "
                           "is renamed into its numbered version folder",
}


@dataclasses.dataclass(frozen=True)
class Faults:
    """The faults to inject in one run (none by default)."""

    kill_before_publish: bool = False

    @property
    def before_publish(self):
        """The `before_publish` callback for `modelmaker.engine.export.export`, or None."""
        return _kill if self.kill_before_publish else None


def parse(text):
    """Faults from the value of MODELMAKER_FAULT (None or empty: none).

    Raises:
      ParamsError: an unknown fault name.
    """
    if not text:
        return Faults()
    if text not in POINTS:
        raise ParamsError(f"{ENV}={text!r} is not a fault modelmaker knows; use one of: "
                          f"{', '.join(POINTS)}, or unset it.")
    return Faults(kill_before_publish=text == "kill_before_publish")


def _kill(*_):
    os.kill(os.getpid(), signal.SIGKILL)
