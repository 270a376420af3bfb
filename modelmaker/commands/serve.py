"""`modelmaker serve` and `modelmaker predict`: read argv once, then serve or predict.

    modelmaker serve --model_base_path output/export/model [--port 8501] [--grpc_port 8500]
    modelmaker serve --model_config_file models.config --enable_batching \
        --monitoring_config_file monitoring.config
    modelmaker predict --model output/export/model --input two.png
"""

import argparse
import dataclasses
import os
import sys

from modelmaker import environment, layout
from modelmaker.errors import DataError, ModelmakerError
from modelmaker.serving import config

_SERVE = """Serve the SavedModel versions under a base path (or the models of a config file)
with TensorFlow Serving's REST and gRPC APIs (same URLs, JSON, messages and errors),
picking up new versions while running.

  POST /v1/models/NAME[/versions/N]:predict     {"instances": [...]} or {"inputs": ...}
  POST /v1/models/NAME[/versions/N]:classify    {"examples": [...]} (parsing exports)
  POST /v1/models/NAME[/versions/N]:regress
  GET  /v1/models/NAME[/versions/N]             version status
  GET  /v1/models/NAME[/versions/N]/metadata    signatures, dtypes, shapes
  POST /modelmaker/v1/models/NAME[/versions/N]:predict?filename=F
       a raw file as the body (curl --data-binary @two.png), through the user
       module's preprocess/postprocess
  gRPC tensorflow.serving.PredictionService (Predict, Classify, Regress,
       GetModelMetadata) and ModelService.GetModelStatus on --grpc_port

See docs/serving.md."""

_PREDICT = """Run an exported model on files, in this process, and print its predictions:
a JSON file of instances ({"instances": [...]} or a list), a CSV file (one
instance per row), or raw files such as images (several files or a folder),
which go through the user module's preprocess/postprocess (docs/serving.md)."""


def _parser(prog, description):
    return argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def _hook_and_log_flags(p, used_for):
    p.add_argument("--user_module", metavar="MODULE",
                   help=f"module with preprocess/postprocess for {used_for} (default: the user "
                        "module recorded with the export, if it is still there)")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines")


def serve_parser(prog="modelmaker serve"):
    """The argument parser of `modelmaker serve`."""
    p = _parser(prog, _SERVE)
    models = p.add_mutually_exclusive_group(required=True)
    models.add_argument("--model_base_path", metavar="PATH",
                        help="folder of integer version folders, e.g. <train_url>/export/model "
                             "(or one SavedModel folder)")
    models.add_argument("--model_config_file", metavar="FILE",
                        help="several models: TF Serving's model_config_list in protobuf text "
                             "format (name, base_path, model_version_policy); docs/serving.md")
    p.add_argument("--model_name", metavar="NAME",
                   help="name in the URLs /v1/models/NAME (default: the base path's folder name)")
    p.add_argument("--port", type=int, default=8501,
                   help="REST TCP port; 0 picks a free one (default: 8501, TF Serving's REST "
                        "port, which TF Serving calls --rest_api_port)")
    p.add_argument("--grpc_port", type=int, default=8500,
                   help="gRPC TCP port; 0 picks a free one, -1 turns gRPC off (default: 8500, "
                        "TF Serving's --port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on; 0.0.0.0 serves other machines too "
                        "(default: 127.0.0.1, this machine only)")
    p.add_argument("--num_versions", type=int, default=1, metavar="N",
                   help="keep the N newest versions loaded, for /versions/N requests; 0 = all "
                        "(default: 1; with --model_config_file, its version policies)")
    p.add_argument("--file_system_poll_wait_seconds", type=float, default=1.0, metavar="SECONDS",
                   help="look for new or deleted versions this often; 0 = only at start "
                        "(default: 1)")
    p.add_argument("--max_num_load_retries", type=int, default=5, metavar="N",
                   help="polls that retry a version which failed to load (default: 5)")
    _batching_flags(p)
    p.add_argument("--monitoring_config_file", metavar="FILE",
                   help='Prometheus metrics: a file holding prometheus_config { enable: true, '
                        'path: "/monitoring/prometheus/metrics" } (TF Serving\'s format)')
    p.add_argument("--max_body_mb", type=float, default=64, metavar="MB",
                   help="refuse request bodies larger than this with HTTP 413 (default: 64)")
    _hook_and_log_flags(p, "the raw endpoint")
    return p


def _batching_flags(p):
    g = p.add_argument_group("request batching (TF Serving's BatchingParameters; "
                             "flags override --batching_parameters_file)")
    g.add_argument("--enable_batching", action="store_true",
                   help="run concurrent requests for one model and signature as one batch")
    g.add_argument("--batching_parameters_file", metavar="FILE",
                   help="BatchingParameters in protobuf text format, e.g. "
                        "max_batch_size { value: 32 } (implies --enable_batching)")
    for name, default in config.BATCHING_DEFAULTS.items():
        shown = "one per CPU" if default is None else default
        g.add_argument(f"--{name}", type=int, metavar="N",
                       help=f"{config.BATCHING_HELP[name]} (default: {shown})")
    g.add_argument("--allowed_batch_sizes", metavar="N,N,...",
                   help="pad each batch up to one of these sizes; the last must equal "
                        "max_batch_size")


def predict_parser(prog="modelmaker predict"):
    """The argument parser of `modelmaker predict`."""
    p = _parser(prog, _PREDICT)
    p.add_argument("--model", required=True, metavar="PATH",
                   help="an export base path (<train_url>/export/model: its newest version is "
                        "used) or one version folder")
    p.add_argument("--input", required=True, nargs="+", action="extend", metavar="FILE",
                   help="input files or folders: *.json, *.csv, or raw files such as images; "
                        "repeatable")
    p.add_argument("--model_version", type=int, metavar="N",
                   help="use version N of the base path (default: the newest)")
    p.add_argument("--signature_name", default="", metavar="NAME",
                   help="signature to run (default: serving_default, or the request's own)")
    p.add_argument("--batch_size", type=int, default=64, metavar="N",
                   help="raw files per model run (default: 64)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help='text: one "input: prediction" line each; json: one {"predictions": '
                        "[...]} document (default: text)")
    _hook_and_log_flags(p, "raw files")
    return p


def serve_main(argv=None, prog="modelmaker serve"):
    """Runs the model server until interrupted; returns the exit code (2: a user mistake)."""
    args = serve_parser(prog).parse_args(sys.argv[1:] if argv is None else argv)
    return _guard(args.verbose, lambda: _serve(args))


def predict_main(argv=None, prog="modelmaker predict"):
    """Prints predictions for the input files; returns the exit code (2: a user mistake)."""
    args = predict_parser(prog).parse_args(sys.argv[1:] if argv is None else argv)
    return _guard(args.verbose, lambda: _predict(args))


def _guard(verbose, run):
    environment.quiet_native_logs(verbose)  # before TensorFlow is imported
    try:
        from modelmaker import logs
        logs.setup(verbose)
        return run()
    except ModelmakerError as e:
        print(f"modelmaker: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


def _serve(args):
    from modelmaker.serving import server
    if args.num_versions < 0 or args.max_body_mb <= 0:
        raise DataError("--num_versions must be >= 0 and --max_body_mb > 0; got "
                        f"{args.num_versions} and {args.max_body_mb}.")
    options = server.Options(
        models=tuple(_model_specs(args)), host=args.host, port=args.port,
        grpc_port=args.grpc_port, poll_seconds=args.file_system_poll_wait_seconds,
        max_load_retries=args.max_num_load_retries,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024), user_module=args.user_module,
        batching=_batching(args),
        metrics_path=config.read_monitoring(args.monitoring_config_file)
        if args.monitoring_config_file else None)
    server.run(options)
    return 0


def _model_specs(args):
    if args.model_config_file:
        if args.model_name:
            raise DataError("--model_name is for --model_base_path; with --model_config_file "
                            "each model's name is in the file.")
        specs = config.read_model_config(args.model_config_file)
        for spec in specs:
            check_model_path(spec.base_path, f"--model_config_file model '{spec.name}' base_path")
        return [dataclasses.replace(s, base_path=os.path.abspath(s.base_path)) for s in specs]
    base = check_model_path(args.model_base_path, "--model_base_path")
    name = args.model_name or os.path.basename(os.path.normpath(base))
    return [config.ModelSpec(name=name, base_path=base, num_versions=args.num_versions,
                             policy="latest" if args.num_versions else "all")]


def _batching(args):
    flags = {name: getattr(args, name) for name in config.BATCHING_DEFAULTS}
    if args.allowed_batch_sizes:
        try:
            flags["allowed_batch_sizes"] = tuple(int(v) for v in args.allowed_batch_sizes.split(","))
        except ValueError:
            raise DataError(f"--allowed_batch_sizes {args.allowed_batch_sizes!r} must be integers "
                            "separated by commas, e.g. 8,16,32.") from None
    wanted = args.enable_batching or args.batching_parameters_file
    if not wanted:
        if any(v is not None for v in flags.values()):
            raise DataError("batching flags (--max_batch_size, ...) need --enable_batching.")
        return None
    return config.read_batching(args.batching_parameters_file, **flags)


def _predict(args):
    from modelmaker.serving import predict
    check_model_path(args.model, "--model")
    if args.batch_size < 1:
        raise DataError(f"--batch_size must be >= 1, got {args.batch_size}.")
    lines = predict.run(model_path=args.model, inputs=args.input, version=args.model_version,
                        signature_name=args.signature_name, user_module=args.user_module,
                        batch_size=args.batch_size, as_json=args.format == "json")
    for line in lines:
        print(line, flush=True)
    return 0


def check_model_path(path, flag):
    """The absolute model path after checking it exists and is not a whole train_url.

    Raises:
      DataError: the path is missing, or holds export/ instead of versions.
    """
    full = os.path.abspath(path)
    if not os.path.isdir(full):
        raise DataError(f"{flag} {path!r} does not exist. Point it at the export folder, "
                        "e.g. <train_url>/export/model.")
    export = os.path.join(full, layout.EXPORT_DIR)
    if os.path.isdir(export):
        names = sorted(os.listdir(export))
        hint = os.path.join(path, layout.EXPORT_DIR, names[0] if names else "model")
        raise DataError(f"{flag} {path!r} is a train_url (it holds export/); point it at an "
                        f"export inside it, e.g. {flag} {hint}.")
    return full
