"""Runs one benchmark part in this (fresh) process; the last stdout line is `BENCH {json}`.

    python bench/child.py modelmaker --data ../shared/data/mnist-10k --out /tmp/mm --steps 3000
    python bench/child.py modelmaker --engine estimator --data ../shared/data/mnist-10k --out /tmp/e
    python bench/child.py bare --data ../shared/data/mnist-10k --steps 3000
    python bench/child.py keras --data ../shared/data/mnist-10k --out /tmp/keras --steps 3000
    python bench/child.py mirrored --engine modelmaker --data ../shared/data/mnist-10k --out /tmp/m
    python bench/child.py ps --engine estimator --data ../shared/data/mnist-10k --out /tmp/ps
    python bench/child.py serve --data ../shared/data/mnist-10k --export_dir /tmp/mm/export/model/1
    python bench/child.py grpc --data ../shared/data/mnist-10k --export_dir /tmp/mm/export/model/1

`bench/run.py` starts one of these per measurement. Every part first times
`import tensorflow` alone and reports it as `import_tf_s`, and at the end its own peak
resident memory (`peak_rss_mb`, getrusage's ru_maxrss) and TensorFlow's version; but `ps`,
which starts a loopback cluster of `ps_task` processes (bench/clusters.py), imports no
TensorFlow and reports its chief's version and its largest task's memory.
"""

import time

STARTED = time.time()  # first thing: how long the interpreter took to start shows in the result

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

# The checkout this bench belongs to, before an installed modelmaker (python puts bench/ first).
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=sorted(PARTS))
    parser.add_argument("--data", required=True, help="folder with the MNIST IDX files")
    parser.add_argument("--out", help="model directory of a training part (fresh)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--window", default="500,2500", help="first,last step timed")
    parser.add_argument("--launched", type=float, default=None,
                        help="time.time() when the parent started this process")
    parser.add_argument("--engine", help="`modelmaker`: fit's engine parameter (default: fit's own)")
    parser.add_argument("--profile", action="store_true",
                        help="training parts: cProfile the window's steps; the result's `profile` "
                             "lists the functions with the most own time per step (slows the steps)")
    parser.add_argument("--export_dir", help="SavedModel version folder, for `serve`")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="`grpc`: seconds of load per model and server")
    return parser.parse_args(argv)


def _training(args, job, **kwargs):
    """Runs a training job of `args`'s size (its module imported by the caller)."""
    first, last = (int(v) for v in args.window.split(","))
    return job(data=args.data, out=args.out, steps=args.steps, window=(first, last),
               launched=args.launched if args.launched is not None else time.time(), **kwargs)


def _modelmaker(args):
    import training
    return _training(args, training.modelmaker_job, engine=args.engine)


def _estimator(args):
    import training
    return _training(args, training.estimator_job)


def _keras(args):
    import training
    return _training(args, training.keras_job)


def _bare(args):
    import bare
    return _training(args, bare.bare_job)


def _mirrored(args):
    import clusters
    return _training(args, clusters.mirrored_job, engine=args.engine)


def _ps(args):
    import clusters
    return _training(args, clusters.ps_job, engine=args.engine)


def _ps_task(args):
    import clusters
    return _training(args, clusters.ps_task_job, engine=args.engine)


def _serve(args):
    import latency
    return latency.serve_job(data=args.data, export_dir=args.export_dir,
                             requests=args.requests, warmup=args.warmup)


def _grpc(args):
    import grpcload
    return grpcload.grpc_job(data=args.data, export_dir=args.export_dir,
                             requests=args.requests, warmup=args.warmup, seconds=args.seconds)


PARTS = {"modelmaker": _modelmaker, "estimator": _estimator, "keras": _keras, "bare": _bare,
         "mirrored": _mirrored, "ps": _ps, "ps_task": _ps_task, "serve": _serve, "grpc": _grpc}
# The parts that only start other processes: they import no TensorFlow themselves and report
# their processes' versions and memory.
LAUNCHERS = ("ps",)


def _protobuf():
    """'python 3.20.3' or 'upb 4.25.9': the pure-Python protobuf makes graph work several times slower."""
    import google.protobuf
    from google.protobuf.internal import api_implementation
    return f"{api_implementation.Type()} {google.protobuf.__version__}"


def _measured(args):
    """Runs the part after timing `import tensorflow`; adds the import time, TensorFlow's and
    protobuf's versions and this process's peak RSS to its result."""
    start = time.perf_counter()
    import tensorflow  # (timed alone: the common fixed cost of every side)
    import_tf_s = time.perf_counter() - start
    if args.profile:
        import mnist_timed
        mnist_timed.PROFILE = True
    result = PARTS[args.part](args)
    result["import_tf_s"] = import_tf_s
    result["protobuf"] = _protobuf()
    result["tf_version"] = tensorflow.__version__
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    return result


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.part in LAUNCHERS:
        result = PARTS[args.part](args)
    else:
        result = _measured(args)
    if args.launched is not None:
        result["interpreter_start_s"] = STARTED - args.launched
    sys.stdout.flush()
    print("BENCH " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
