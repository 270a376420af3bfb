"""`modelmaker evaluate`: read argv once, then call `evaluate()`.

    modelmaker evaluate --user_module mymodel --data_url data/ --train_url output/ \\
        [--split eval|train|both] [--output DIR] [--export DIR] [--params FILE] [--set k=v]
"""

import sys

from modelmaker import environment
from modelmaker.commands import args as args_lib
from modelmaker.errors import ModelmakerError

PROG = "modelmaker evaluate"

_DESCRIPTION = """Run a trained model over the evaluation (or training) input and write, per split,
under <train_url>/analysis/<split>/ (or --output): model_analysis_results.json (overall and
per-class metrics, confusion matrix; or MAE/RMSE/R² and residuals), all_samples.json (each
sample's label, prediction and confidence), tmp_model_analysis.npz (the raw arrays), PNG
figures and a self-contained report.html.

Parameters merge in this order: defaults < <train_url>/params.json of the training run <
parameters file (--params, else ./parameters.json when present) < --set key=value and
--<key>=value. The report_* parameters say where labels and predictions are found."""


def build_parser(prog=PROG):
    """The training parser's arguments plus --split, --output and --export."""
    from modelmaker.report.evaluate import SPLITS
    parser = args_lib.build_parser(prog, description=_DESCRIPTION)
    parser.add_argument("--split", choices=tuple(SPLITS), default="eval",
                        help="eval: eval_input_fn; train: train_input_fn; both (default: eval)")
    parser.add_argument("--output", metavar="DIR",
                        help="folder for the reports, one subfolder per split "
                             "(default: <train_url>/analysis)")
    parser.add_argument("--export", metavar="DIR",
                        help="evaluate this export (export/<name>/<N>, or export/<name> for the "
                             "newest) instead of the newest checkpoint in --train_url")
    return parser


def main(argv=None, prog=PROG):
    """Runs the report from the command line; returns the exit code (0, 2 for user mistakes)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv
    environment.quiet_native_logs(verbose)  # before TensorFlow is imported
    try:
        env = environment.read()  # on a platform, its data and train folders are the defaults
        args, run_params, ignored = args_lib.parse(argv, prog=prog, parser=build_parser(prog),
                                                   platform=env.platform)
        from modelmaker import logs
        from modelmaker.report.evaluate import evaluate
        logs.setup(verbose)
        if ignored:
            logs.info(args_lib.ignored_note(ignored, run_params))
        evaluate(args.user_module, run_params, data_url=args.data_url, train_url=args.train_url,
                 split=args.split, output=args.output, export=args.export, cache_dir=args.cache_dir,
                 environment=env)
    except ModelmakerError as e:
        print(f"modelmaker: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
