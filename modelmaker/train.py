"""`python -m modelmaker.train` / `modelmaker train`: read argv once, then call `fit()`.

    python -m modelmaker.train --user_module mymodel --data_url data/ --train_url output/ \\
        [--params parameters.json] [--set key=value ...] [--train_max_steps=2000]
"""

import argparse
import os
import sys

from modelmaker import params as params_lib, requirements
from modelmaker import faults as faults_lib
from modelmaker.errors import Interrupted, ModelmakerError, ParamsError

_DESCRIPTION = """Train and evaluate a user module with tf.estimator.train_and_evaluate, then
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


def train_parser(prog="python -m modelmaker.train"):
    """`build_parser` plus the flags only training has."""
    parser = build_parser(prog)
    parser.add_argument("--install-requirements", "--install_requirements", dest="install_requirements",
                        nargs="?", const=requirements.AUTO, metavar="FILE",
                        help="first pip-install requirements.txt (the one beside your module, else "
                             "in the current folder; or FILE) into this Python; pip's output is shown")
    parser.add_argument("--report", action="store_true",
                        help="after training, write the evaluation report of the eval split to "
                             "<train_url>/analysis/eval/ (as `modelmaker evaluate` does)")
    return parser


def parse(argv, *, prog="python -m modelmaker.train", cwd=None, parser=None):
    """Parses argv into (args, RunParams, ignored platform arguments).

    `parser` defaults to `train_parser(prog)`; other verbs pass their own.

    Raises:
      ParamsError: a near miss of a modelmaker flag, or a bad parameter.
    """
    parser = parser or train_parser(prog)
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


def main(argv=None, prog="python -m modelmaker.train"):
    """Runs training from the command line; returns the exit code (0; 2 for user mistakes;
    143 / 130 when SIGTERM / SIGINT stopped training after a checkpoint)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv
    from modelmaker import logs  # no TensorFlow here: its C++ log level is set first
    logs.quiet_tensorflow_startup(verbose)
    try:
        args, run_params, ignored = parse(argv, prog=prog)
        faults = faults_lib.parse(os.environ.get(faults_lib.ENV))  # tests inject crashes
        if args.install_requirements:  # before TensorFlow and the user module are imported
            requirements.install_for(args.user_module, args.install_requirements, cwd=os.getcwd(),
                                     log=lambda line: print(line, file=sys.stderr, flush=True))
        from modelmaker import api
        logs.setup(verbose)
        if ignored:
            logs.info(f"ignoring arguments modelmaker does not use: {' '.join(ignored)}")
        result = api.fit(args.user_module, run_params, data_url=args.data_url,
                         train_url=args.train_url, cache_dir=args.cache_dir, verbose=verbose,
                         faults=faults)
        if args.report and result is not None:  # None: a worker, ps or evaluator task
            from modelmaker.report.evaluate import evaluate
            # Remote URLs: staged and pulled already (the cache answers); the report is uploaded.
            evaluate(args.user_module, run_params, data_url=args.data_url, train_url=args.train_url,
                     cache_dir=args.cache_dir)
    except ModelmakerError as e:
        if verbose:  # an error in the user's code: its whole traceback too
            from modelmaker import usererrors
            print(usererrors.full_traceback(e), end="", file=sys.stderr)
        print(f"modelmaker: error: {e}", file=sys.stderr)
        return e.exit_code
    except Interrupted as e:  # SIGTERM/SIGINT after a checkpoint: 143/130, retryable
        print(f"modelmaker: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
