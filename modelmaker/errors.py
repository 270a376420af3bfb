"""Provides the error types that separate a user's mistake from a bug in modelmaker.

Every `ModelmakerError` is a user mistake: the command line prints its message on one
line and exits with code 2, with no traceback. Any other exception is a bug in
modelmaker (or TensorFlow) and keeps its traceback (exit code 1).
"""


class ModelmakerError(Exception):
    """A mistake the user can fix; the message says what, the value, where, and the fix."""

    exit_code = 2


class ParamsError(ModelmakerError, ValueError):
    """A run parameter is unknown, malformed, of the wrong type or out of range."""


class UserModuleError(ModelmakerError):
    """The user module is missing, fails to import, or breaks the four-function contract."""


class DataError(ModelmakerError):
    """A data or output location is missing, unreadable or unwritable."""


class CheckpointError(ModelmakerError):
    """The model directory holds checkpoints this model cannot use, or training diverged."""


class ScaffoldError(ModelmakerError):
    """`modelmaker init` cannot create a project: unknown template, or a target it must not touch."""


class RequirementsError(ModelmakerError):
    """The project's requirements.txt is missing where it was asked for, or pip failed on it."""


class Interrupted(Exception):
    """Training stopped on SIGTERM or SIGINT after saving a checkpoint: not a mistake.

    The command line prints the message and exits with `exit_code` (128 + the signal
    number: 143 for SIGTERM, 130 for SIGINT), which orchestrators such as Kubeflow treat as
    retryable; rerunning the same command continues from the saved step.
    """

    def __init__(self, message, *, signal_name, step, exit_code):
        super().__init__(message)
        self.signal_name = signal_name
        self.step = step
        self.exit_code = exit_code
