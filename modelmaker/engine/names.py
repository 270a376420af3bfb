"""The engines' names: the `engine` parameter's choices (config/defaults.py) and `modelmaker.engine.ENGINES`' keys."""

MODELMAKER, ESTIMATOR = "modelmaker", "estimator"
NAMES = (MODELMAKER, ESTIMATOR)
DEFAULT = MODELMAKER
