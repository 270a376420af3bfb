"""`python -m modelmaker.train` / `modelmaker train`: read argv once, then call `fit()`.

    python -m modelmaker.train --user_module mymodel --data_url data/ --train_url output/ \\
        [--params parameters.json] [--set key=value ...] [--train_max_steps=2000]
"""

import os
import sys

from modelmaker import environment, faults as faults_lib
from modelmaker.commands import args as args_lib
from modelmaker.errors import Interrupted, ModelmakerError
from modelmaker.user import requirements


def train_parser(prog="python -m modelmaker.train"):
    """`args.build_parser` plus the flags only training has."""
    parser = args_lib.build_parser(prog)
    parser.add_argument("--install-requirements", "--install_requirements", dest="install_requirements",
                        nargs="?", const=requirements.AUTO, metavar="FILE",
                        help="first pip-install requirements.txt (the one beside your module, else "
                             "in the current folder; or FILE) into this Python; pip's output is shown")
    parser.add_argument("--report", action="store_true",
                        help="after training, write the evaluation report of the eval split to "
                             "<train_url>/analysis/eval/ (as `modelmaker evaluate` does)")
    return parser


def parse(argv, *, prog="python -m modelmaker.train", cwd=None):
    """`args.parse` with the training flags: (args, RunParams, ignored platform arguments)."""
    return args_lib.parse(argv, prog=prog, cwd=cwd, parser=train_parser(prog))


def main(argv=None, prog="python -m modelmaker.train"):
    """Runs training from the command line; returns the exit code (0; 2 for user mistakes;
    143 / 130 when SIGTERM / SIGINT stopped training after a checkpoint)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv
    environment.quiet_native_logs(verbose)  # before TensorFlow is imported
    try:
        env = environment.read()
        args, run_params, ignored = parse(argv, prog=prog)
        faults = faults_lib.parse(env.fault)  # tests inject crashes
        if args.install_requirements:  # before TensorFlow and the user module are imported
            requirements.install_for(args.user_module, args.install_requirements, cwd=os.getcwd(),
                                     log=lambda line: print(line, file=sys.stderr, flush=True))
        from modelmaker import api, logs
        logs.setup(verbose)
        if ignored:
            logs.info(f"ignoring arguments modelmaker does not use: {' '.join(ignored)}")
        result = api.fit(args.user_module, run_params, data_url=args.data_url,
                         train_url=args.train_url, cache_dir=args.cache_dir, verbose=verbose,
                         faults=faults, environment=env)
        if args.report and result is not None:  # None: a worker, ps or evaluator task
            _report(args, run_params, env)
    except ModelmakerError as e:
        if verbose:  # an error in the user's code: its whole traceback too
            from modelmaker.user import code_errors
            print(code_errors.full_traceback(e), end="", file=sys.stderr)
        print(f"modelmaker: error: {e}", file=sys.stderr)
        return e.exit_code
    except Interrupted as e:  # SIGTERM/SIGINT after a checkpoint: 143/130, retryable
        print(f"modelmaker: {e}", file=sys.stderr)
        return e.exit_code
    return 0


def _report(args, run_params, env):
    """--report: the evaluation report of the eval split. Remote URLs are staged and pulled
    already (the cache answers); the report is uploaded."""
    from modelmaker.report.evaluate import evaluate
    evaluate(args.user_module, run_params, data_url=args.data_url, train_url=args.train_url,
             cache_dir=args.cache_dir, environment=env)


if __name__ == "__main__":
    sys.exit(main())
