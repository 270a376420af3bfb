"""Provides the argument parser the training verbs share and `parse`: argv -> (args, RunParams).

Every reserved parameter gets a --<key> flag; parameters merge in this order: defaults <
parameters file (--params, else ./parameters.json when present) < --set key=value and
--<key>=value. Unknown arguments are ignored (cloud platforms add their own), except near
misses of modelmaker's own flags.
"""

import argparse
import os

from modelmaker import config as params_lib
from modelmaker.errors import ParamsError

_DESCRIPTION = """Train and evaluate a user module (the engine parameter: modelmaker or estimator), then
export a SavedModel to <train_url>/export/<export_name>/<version>/.

Parameters merge in this order: defaults < parameters file (--params, else
./parameters.json when present) < --set key=value and --<key>=value.
Arguments modelmaker does not know (cloud platforms add their own) are ignored,
except near misses of its own flags, which are errors."""


def build_parser(prog="python -m modelmaker.train", *, description=_DESCRIPTION):
    """The argument parser shared with `modelmaker evaluate`; every reserved parameter also
    gets a --<key> flag."""
    parser = argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user_module", required=True, metavar="MODULE",
                        help="your module: a dotted name importable from the current folder "
                             "(mymodel), or a path to a .py file or package folder")
    parser.add_argument("--data_url", "--data_dir", dest="data_url", metavar="PATH",
                        help="dataset location, passed to your input functions as `path`")
    parser.add_argument("--train_url", "--model_dir", dest="train_url", default="output",
                        metavar="PATH", help="model directory: checkpoints, TensorBoard events, "
                        "exports, params.json and result.json (default: ./output)")
    parser.add_argument("--cache_dir", metavar="PATH",
                        help="local cache for s3://, obs://, ks3:// and gs:// data_url/train_url "
                             "(default: $MODELMAKER_CACHE_DIR, else /cache when writable, else a temp folder)")
    parser.add_argument("--params", metavar="FILE",
                        help="parameters file, JSON or YAML (default: ./parameters.json if present)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter (reserved or custom); VALUE is read as YAML "
                             "(1000, 0.1, null, [1,2]); repeatable")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's own log lines and deprecation warnings")
    keys = parser.add_argument_group("reserved parameters (same as --set KEY=VALUE)")
    for key, spec in params_lib.DEFAULTS.items():
        keys.add_argument(f"--{key}", dest=f"param:{key}", metavar="VALUE", default=argparse.SUPPRESS,
                          help=f"{spec.doc} (default: {spec.default!r})".replace("%", "%%"))
    return parser


def parse(argv, *, prog="python -m modelmaker.train", cwd=None, parser=None):
    """Parses argv into (args, RunParams, ignored platform arguments).

    `parser` defaults to `build_parser(prog)`; verbs with more flags pass their own.

    Raises:
      ParamsError: a near miss of a modelmaker flag, or a bad parameter.
    """
    parser = parser or build_parser(prog)
    args, unknown = parser.parse_known_args(argv)
    flags = [a.option_strings for a in parser._actions]
    known = sorted({s[2:] for group in flags for s in group if s.startswith("--")})
    for token in unknown:
        if token.startswith("--"):
            name = token[2:].split("=", 1)[0]
            close = params_lib.near_miss(name, known)
            if close:
                raise ParamsError(f"unknown flag --{name}: did you mean --{close}? "
                                  f"Run `{prog} --help` for the flags.")
    layers = []
    file = args.params or params_lib.default_params_file(cwd or os.getcwd())
    if file:
        layers.append(params_lib.Layer(file, params_lib.load_file(file)))
    overrides = dict(params_lib.parse_assignment(item) for item in args.set)
    for dest, value in vars(args).items():
        if dest.startswith("param:"):
            overrides[dest[len("param:"):]] = params_lib.parse_value(value)
    if overrides:
        layers.append(params_lib.Layer("the command line", overrides))
    return args, params_lib.resolve(layers), unknown
