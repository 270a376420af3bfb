"""Provides the argument parser the training verbs share and `parse`: argv -> (args, RunParams).

Every key of the defaults, the parameters file and the platform's hyperparameters is a
--<key> flag (`--key=value` or `--key value`, read like --set: ModelArts and KDL pass a job's
parameters so); parameters merge in this order: defaults < parameters file (--params, else
./parameters.json when present) < platform environment (docs/platforms.md) < --set key=value
and --<key>=value. Unknown arguments are ignored (cloud platforms add their own), except near
misses of modelmaker's own flags and parameters.
"""

import argparse
import os
import re

from modelmaker import config as params_lib, platforms
from modelmaker.config import suggest
from modelmaker.errors import ParamsError

DEFAULT_TRAIN_URL = "output"
_PARAM = "param:"                              # the argparse dest prefix of a parameter flag
_FLAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")

_DESCRIPTION = """Train and evaluate a user module (the engine parameter: modelmaker or estimator), then
export a SavedModel to <train_url>/export/<export_name>/<version>/.

Parameters merge in this order: defaults < parameters file (--params, else
./parameters.json when present) < platform environment (SageMaker SM_HPS) <
--set key=value and --<key>=value (--<key> value). Every key of the defaults and
of the parameters file is such a flag. On SageMaker, Vertex AI and ModelArts the
platform's variables give data_url, train_url and where the export goes
(docs/platforms.md). Arguments modelmaker does not know (cloud platforms add their
own) are ignored, except near misses of its flags and keys, which are errors."""


def build_parser(prog="python -m modelmaker.train", *, description=_DESCRIPTION):
    """The argument parser shared with `modelmaker evaluate`; every reserved parameter also
    gets a --<key> flag (`parse` adds those of the parameters file and the platform)."""
    parser = argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user_module", required=True, metavar="MODULE",
                        help="your module: a dotted name importable from the current folder "
                             "(mymodel), or a path to a .py file or package folder")
    parser.add_argument("--data_url", "--data_dir", dest="data_url", metavar="PATH",
                        help="dataset location, passed to your input functions as `path` "
                             "(default: the platform's data channel, see docs/platforms.md)")
    parser.add_argument("--train_url", "--model_dir", dest="train_url", metavar="PATH",
                        help="model directory: checkpoints, TensorBoard events, exports, "
                             "params.json and result.json (default: the platform's checkpoint "
                             f"folder, else ./{DEFAULT_TRAIN_URL})")
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
    keys = parser.add_argument_group(
        "reserved parameters (same as --set KEY=VALUE; every key of the parameters file is a "
        "--KEY=VALUE or --KEY VALUE flag too)")
    _add_parameter_flags(keys, params_lib.DEFAULTS)
    return parser


def _add_parameter_flags(group, keys):
    """--<key> for each parameter key (the one path of --key=value and --key value); keys that
    are already flags (params, set, ...) or no flag name are left to --set."""
    taken = {s for action in group._actions for s in action.option_strings}
    for key in keys:
        if _FLAG_NAME.fullmatch(key) and f"--{key}" not in taken:
            spec = params_lib.DEFAULTS.get(key)
            text = f"{spec.doc} (default: {spec.default!r})" if spec else "a parameter of the parameters file"
            group.add_argument(f"--{key}", dest=f"{_PARAM}{key}", metavar="VALUE",
                               default=argparse.SUPPRESS, help=text.replace("%", "%%"))
            taken.add(f"--{key}")


def parse(argv, *, prog="python -m modelmaker.train", cwd=None, parser=None,
          platform=platforms.LOCAL_PLATFORM):
    """Parses argv into (args, RunParams, ignored platform arguments).

    `parser` defaults to `build_parser(prog)`; verbs with more flags pass their own. Every key
    of the parameters file and of `platform`'s parameters becomes a --<key> flag; `platform`
    (`modelmaker.platforms.Platform`) also gives data_url and train_url when argv does not.
    `args.sources` names where data_url and train_url came from.

    Raises:
      ParamsError: a near miss of a modelmaker flag or parameter, or a bad parameter.
    """
    parser = parser or build_parser(prog)
    first, _ = parser.parse_known_args(argv)  # --params: its keys become flags too
    file = first.params or params_lib.default_params_file(cwd or os.getcwd())
    layers = [params_lib.Layer(file, params_lib.load_file(file))] if file else []
    layers += [params_lib.Layer(source, dict(values)) for source, values in platform.layers]
    _add_parameter_flags(parser, [key for layer in layers for key in layer.values])
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
    overrides = dict(params_lib.parse_assignment(item) for item in args.set)
    for dest, value in vars(args).items():
        if dest.startswith(_PARAM):
            overrides[dest[len(_PARAM):]] = params_lib.parse_value(value)
    if overrides:
        layers.append(params_lib.Layer("the command line", overrides))
    _apply_locations(args, platform)
    return args, params_lib.resolve(layers), unknown


def _apply_locations(args, platform):
    """data_url and train_url: the command line, else the platform's, else the default."""
    args.sources = {}
    for name, default in (("data_url", None), ("train_url", DEFAULT_TRAIN_URL)):
        if getattr(args, name) is not None:
            args.sources[name] = "the command line"
        elif name in platform.locations:
            setattr(args, name, platform.locations[name])
            args.sources[name] = platform.sources[name]
        elif default is not None:
            setattr(args, name, default)
            args.sources[name] = "the default"


def ignored_note(ignored, params):
    """The line naming the arguments modelmaker ignores, with the way to pass a parameter that
    is in neither the defaults nor the parameters file, and the nearest known key."""
    names = [token[2:].split("=", 1)[0] for token in ignored if token.startswith("--")]
    note = f"ignoring arguments modelmaker does not use: {' '.join(ignored)}"
    if not names:
        return note
    hints = [f"--set {names[0]}=VALUE passes a new parameter"]
    close = [(n, suggest.closest(n, list(params.values))) for n in names]
    hints += [f"--{n}: the nearest known key is {c}" for n, c in close if c]
    return f"{note} (only keys of the defaults or the parameters file are flags; {'; '.join(hints)})"
