"""`python -m modelmaker.train` / `modelmaker train`: read argv once, then call `fit()`.

    python -m modelmaker.train --user_module mymodel --data_url data/ --train_url output/ \\
        [--params parameters.json] [--set key=value ...] [--train_max_steps=2000]
"""

import os
import sys

from modelmaker import environment, faults as faults_lib, platforms
from modelmaker.commands import args as args_lib
from modelmaker.errors import Interrupted, ModelmakerError
from modelmaker.storage import urls as storage_urls
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


def parse(argv, *, prog="python -m modelmaker.train", cwd=None, platform=platforms.LOCAL_PLATFORM):
    """`args.parse` with the training flags: (args, RunParams, ignored platform arguments)."""
    return args_lib.parse(argv, prog=prog, cwd=cwd, parser=train_parser(prog), platform=platform)


def main(argv=None, prog="python -m modelmaker.train"):
    """Runs training from the command line; returns the exit code (0; 2 for user mistakes;
    143 / 130 when SIGTERM / SIGINT stopped training after a checkpoint). On SageMaker a
    non-zero exit also writes its message to the failure file."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv
    environment.quiet_native_logs(verbose)  # before TensorFlow is imported
    env = None
    try:
        env = environment.read()
        _train(argv, prog, env, verbose)
    except ModelmakerError as e:
        if verbose:  # an error in the user's code: its whole traceback too
            from modelmaker.user import code_errors
            print(code_errors.full_traceback(e), end="", file=sys.stderr)
        print(f"modelmaker: error: {e}", file=sys.stderr)
        _write_failure(env, f"modelmaker: error: {e}", e.exit_code)
        return e.exit_code
    except Interrupted as e:  # SIGTERM/SIGINT after a checkpoint: 143/130, retryable
        print(f"modelmaker: {e}", file=sys.stderr)
        _write_failure(env, f"modelmaker: {e}", e.exit_code)
        return e.exit_code
    except Exception as e:  # a bug: the traceback follows (exit 1); the platform hears of it
        _write_failure(env, f"modelmaker: internal error: {type(e).__name__}: {e}", 1)
        raise
    return 0


def _train(argv, prog, env, verbose):
    args, run_params, ignored = parse(argv, prog=prog, platform=env.platform)
    faults = faults_lib.parse(env.fault)  # tests inject crashes
    if args.install_requirements:  # before TensorFlow and the user module are imported
        requirements.install_for(args.user_module, args.install_requirements, cwd=os.getcwd(),
                                 log=lambda line: print(line, file=sys.stderr, flush=True))
    from modelmaker import api, logs
    logs.setup(verbose)
    _announce_platform(env.platform, args, run_params)
    if ignored:
        logs.info(args_lib.ignored_note(ignored, run_params))
    result = api.fit(args.user_module, run_params, data_url=args.data_url,
                     train_url=args.train_url, cache_dir=args.cache_dir, verbose=verbose,
                     faults=faults, environment=env)
    if args.report and result is not None:  # None: a worker, ps or evaluator task
        _report(args, run_params, env)


def _announce_platform(platform, args, run_params):
    """The start-up line naming the recognised platform, and what it set (with the source)."""
    from modelmaker import logs
    if platform.banner() is None:
        return
    logs.info(platform.banner())
    chosen = [f"{name} {getattr(args, name)} (from {source})" for name, source in args.sources.items()
              if source not in ("the command line", "the default")]
    chosen += [f"{key} (from {source})" for key, source in run_params.sources.items()
               if source.startswith(platform.name)]
    if chosen:
        logs.info(f"  {'; '.join(chosen)}")


def _write_failure(env, message, code):
    """SageMaker's convention: a failed job's reason in the failure file (shown in the console)."""
    path = env.platform.locations.get(platforms.FAILURE_FILE) if env is not None else None
    if not path or code == 0:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"{message}\nexit code {code}\n")
    except OSError as e:
        print(f"modelmaker: could not write the failure file {path}: {e.strerror}", file=sys.stderr)


def _report(args, run_params, env):
    """--report: the evaluation report of the eval split. Remote URLs are staged and pulled
    already (the cache answers); the report is uploaded; the platform's output folder
    (SageMaker: SM_OUTPUT_DATA_DIR) gets a copy."""
    from modelmaker.report.evaluate import evaluate
    evaluate(args.user_module, run_params, data_url=args.data_url, train_url=args.train_url,
             cache_dir=args.cache_dir, environment=env)
    if not storage_urls.is_remote(args.train_url):
        from modelmaker.storage import handoff
        handoff.deliver_analysis(env.platform, model_dir=os.path.abspath(args.train_url),
                                 settings=env.storage)


if __name__ == "__main__":
    sys.exit(main())
