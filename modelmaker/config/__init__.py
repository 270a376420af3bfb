"""Run parameters: the defaults table, merging and rules, file and --set parsing, did-you-mean.

    from modelmaker import config
    params = config.resolve([config.Layer("parameters.json", config.load_file("parameters.json"))])
"""

from modelmaker.config.defaults import DEFAULTS, RENAMED, REQUIRED, Key, example  # noqa: F401
from modelmaker.config.params import Layer, RunParams, changes, resolve  # noqa: F401
from modelmaker.config.sources import (  # noqa: F401
    default_params_file, load_file, parse_assignment, parse_value, read_yaml, write_example)
from modelmaker.config.suggest import near_miss  # noqa: F401
