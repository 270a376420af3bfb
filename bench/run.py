"""`make bench`: modelmaker against hand-written tf.estimator and tf.keras, side by side in one run.

    .venv/bin/python bench/run.py                      # everything, 5 repeats (~8 min on 2 cores)
    .venv/bin/python bench/run.py --only overhead      # one figure: overhead | e2e | startup | serve | grpc
    .venv/bin/python bench/run.py --serving            # serving only (serve + grpc), 1 repeat, short training
    .venv/bin/python bench/run.py --quick              # plumbing check: a few steps, one repeat

Every measurement runs in a fresh `bench/child.py` process, one at a time; repeats interleave
the sides (modelmaker, tf.estimator, Keras, rotating the order) so that drift in machine load
hits them alike. Prints a table, then as its last line one JSON object (see bench/README.md).
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA = os.path.join(REPO, "..", "shared", "data", "mnist-10k")
CHILD_TIMEOUT_S = 1800

sys.path.insert(0, HERE)
import report  # noqa: E402  (bench/ is not a package)

# figure -> the training sides it needs ("serve" also needs a modelmaker export).
FIGURES = {
    "overhead": ("modelmaker", "estimator"),
    "e2e": ("modelmaker", "keras"),
    "startup": ("modelmaker",),
    "serve": ("modelmaker",),
    "grpc": ("modelmaker",),
}


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(FIGURES),
                        help="measure only this figure (repeatable); default: all")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each side (median)")
    parser.add_argument("--steps", type=int, default=3000, help="training steps per job")
    parser.add_argument("--window", default="500,2500",
                        help="steady-state window: first,last step timed")
    parser.add_argument("--requests", type=int, default=2000, help="timed predict requests")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="grpc: seconds of 32-client load per model and server")
    parser.add_argument("--serving", action="store_true",
                        help="serving figures only (serve, grpc): one repeat, 300 training "
                             "steps for the MNIST export")
    parser.add_argument("--quick", action="store_true",
                        help="plumbing check: 30 steps, 1 repeat, 20 requests (figures meaningless)")
    parser.add_argument("--data", default=DATA, help="MNIST IDX folder (8k train / 2k eval)")
    parser.add_argument("--workdir", help="where jobs write (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    if args.serving:
        args.only, args.repeats, args.steps, args.window = ["serve", "grpc"], 1, 300, "50,250"
    if args.quick:
        args.steps, args.window, args.repeats, args.requests = 30, "5,25", 1, 20
    if not os.path.isdir(args.data):
        parser.error(f"--data {args.data} is not a folder; the benchmark needs the MNIST IDX "
                     "files (../shared/data/mnist-10k) and never downloads them")
    return args


def child(part, args, *, out=None, export_dir=None):
    """Runs `bench/child.py part ...` in a fresh process; returns its BENCH result dict."""
    command = [sys.executable, os.path.join(HERE, "child.py"), part, "--data", args.data,
               "--steps", str(args.steps), "--window", args.window,
               "--requests", str(args.requests), "--warmup", str(min(100, args.requests))]
    if out:
        command += ["--out", out]
    if export_dir:
        command += ["--export_dir", export_dir, "--seconds", str(args.seconds)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1")
    launched = time.time()
    proc = subprocess.run(command + ["--launched", repr(launched)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-3000:]
        raise SystemExit(f"bench: part `{part}` failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(lines[-1][len("BENCH "):])
    result["process_s"] = time.time() - launched
    return result


def measure(args, workdir):
    """Runs every needed side `repeats` times, interleaved, then serving once."""
    figures = args.only or sorted(FIGURES)
    sides = [s for s in ("modelmaker", "estimator", "keras")
             if any(s in FIGURES[f] for f in figures)]
    runs = {side: [] for side in sides}
    for repeat in range(args.repeats):
        order = sides[repeat % len(sides):] + sides[:repeat % len(sides)]
        for side in order:
            out = os.path.join(workdir, f"{side}-{repeat}")
            result = child(side, args, out=out)
            runs[side].append(result)
            _progress(side, repeat, result)
    if "serve" in figures:
        export_dir = runs["modelmaker"][-1]["export_dir"]
        runs["serve"] = child("serve", args, export_dir=export_dir)
        if not runs["serve"].get("available"):
            print("bench: serving not measured: modelmaker has no `serve` verb yet", flush=True)
    if "grpc" in figures:
        runs["grpc"] = child("grpc", args, export_dir=runs["modelmaker"][-1]["export_dir"])
    return runs


def _progress(side, repeat, result):
    rate = result.get("steps_per_s")
    shown = f" {rate:.0f} steps/s" if rate else ""
    print(f"bench: {side:<10} repeat {repeat}: job {result['wall_s']:.2f}s{shown} "
          f"accuracy {result['accuracy']:.4f}", flush=True)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="modelmaker-bench-")
    try:
        runs = measure(args, workdir)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    figs = report.figures(runs)
    first = next(iter(runs.get("modelmaker") or runs.get("keras") or [{}]))
    figs.update(date=datetime.date.today().isoformat(), cpus=os.cpu_count(), gpu=None,
                protobuf=first.get("protobuf"), repeats=args.repeats, steps=args.steps,
                quick=args.quick)
    print(report.table(figs))
    print(json.dumps(figs), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
