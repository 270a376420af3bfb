"""modelmaker: write model_fn and three input functions; train, export and serve with one command.

Public names only; see README.md for the contract.
"""

__version__ = "0.1.0"

from modelmaker.errors import (  # noqa: E402
    CheckpointError, DataError, ModelmakerError, ParamsError, UserModuleError)
from modelmaker.user.code_errors import UserCodeError  # noqa: E402


def fit(user_module, params=None, **kwargs):
    """Trains, evaluates and exports `user_module`; see `modelmaker.api.fit`."""
    from modelmaker import api
    return api.fit(user_module, params, **kwargs)


__all__ = ["fit", "ModelmakerError", "ParamsError", "UserModuleError", "DataError",
           "CheckpointError", "UserCodeError", "__version__"]
