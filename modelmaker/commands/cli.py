"""Provides `modelmaker <verb>`: a literal table of verbs, each parsing its own arguments.

Each verb is imported only when it runs, so `modelmaker --help` answers without
loading TensorFlow.
"""

import sys

_USAGE = """usage: modelmaker <verb> [arguments]

Train, check, evaluate, export and serve TensorFlow Estimator-style models.

verbs:
{verbs}

Start a project with its first trained model:
  modelmaker init myproject && cd myproject && modelmaker train --user_module mymodel

Run `modelmaker <verb> --help` for the arguments of one verb.
"""


def _train(argv):
    from modelmaker.commands import train
    return train.main(argv, prog="modelmaker train")


def _init(argv):
    from modelmaker.commands import init
    return init.main(argv)


def _evaluate(argv):
    from modelmaker.commands import evaluate as command
    return command.main(argv)


def _serve(argv):
    from modelmaker.commands import serve as command
    return command.serve_main(argv)


def _predict(argv):
    from modelmaker.commands import serve as command
    return command.predict_main(argv)


def _check(argv):
    from modelmaker.commands import check
    return check.main(argv)


def _launch(argv):
    from modelmaker.commands import launch
    return launch.main(argv)


# verb -> (one-line help, runner). Verbs not yet built are simply absent.
VERBS = {
    "init": ("create a project folder from a template: a user module, parameters, sample data", _init),
    "train": ("train and evaluate a user module, then export a SavedModel", _train),
    "check": ("pre-flight: validate parameters, train a few steps, evaluate and export in a temp dir",
              _check),
    "evaluate": ("report on a trained model: metrics, confusion matrix, per-sample results, figures",
                 _evaluate),
    "launch": ("run a training cluster (chief, workers, ps, evaluator) here, or print its TFJob",
               _launch),
    "serve": ("serve exported versions with TensorFlow Serving's REST API, reloading new ones",
              _serve),
    "predict": ("print a model's predictions for JSON, CSV or image files, in this process",
                _predict),
}


def _usage():
    width = max(len(v) for v in VERBS)
    lines = "\n".join(f"  {verb:<{width}}  {text}" for verb, (text, _) in VERBS.items())
    return _USAGE.format(verbs=lines)


def main(argv=None):
    """Runs `modelmaker <verb> ...` and returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage(), end="")
        return 0 if argv else 2
    if argv[0] == "--version":
        from modelmaker import __version__
        print(f"modelmaker {__version__}")
        return 0
    verb, rest = argv[0], argv[1:]
    if verb not in VERBS:
        from modelmaker.config.suggest import closest
        close = closest(verb, list(VERBS))
        hint = f" Did you mean `{close}`?" if close else ""
        print(f"modelmaker: unknown verb `{verb}`.{hint} Choose one of: {', '.join(VERBS)}.",
              file=sys.stderr)
        return 2
    return VERBS[verb][1](rest)


if __name__ == "__main__":
    sys.exit(main())
