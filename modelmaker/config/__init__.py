"""Run parameters: the defaults table, merging and rules, file and --set parsing, did-you-mean."""

from modelmaker.config.params import (  # noqa: F401
    DEFAULTS, REQUIRED, Key, Layer, RunParams, changes, default_params_file, example, load_file,
    near_miss, parse_assignment, parse_value, resolve, write_example)
