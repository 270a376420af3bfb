"""`make bench`: modelmaker against its Estimator engine, a bare Session.run loop, hand-written
tf.estimator and Keras, side by side in one run, on TensorFlow 2.15 and on current TensorFlow;
and the MNIST job under `mirrored` and `parameter_server` on both engines and both stacks.

    .venv/bin/python bench/run.py --compat_python .venv-tf2.15/bin/python   # run by current TF
    .venv-tf2.15/bin/python bench/run.py --current_python .venv/bin/python  # run by TF 2.15: the same
    .venv/bin/python bench/run.py --only mirrored --only ps   # some figures (repeatable), see FIGURES
    .venv/bin/python bench/run.py --serving            # serving only (serve + grpc), 1 repeat, short training
    .venv/bin/python bench/run.py --quick              # plumbing check: a few steps, one repeat

Each side runs on the stack it needs: `compat` (TensorFlow 2.15 + tensorflow-estimator: the
Estimator sides, and the TF 2.15 figures of modelmaker's engine) or `current` (current
TensorFlow). This interpreter serves the stack it is (it is `compat` when tensorflow-estimator is
installed); --compat_python / --current_python give the other one (or override). A side whose
stack has no interpreter is skipped, said so on a line, and listed under the JSON's `skipped`.

Every measurement runs in a fresh `bench/child.py` process, one at a time; repeats interleave
the sides (rotating the order) so that drift in machine load hits them alike. Prints a table, then
as its last line one JSON object (see bench/README.md).
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
import stacks  # noqa: E402
from stacks import STACKS  # noqa: E402

# side -> how it runs: the child part, the stack (`compat`, the default: TensorFlow 2.15 with
# tf.estimator; `current`: current TensorFlow), the job size (`main`: --steps, `fixed`:
# --fixed_steps), and fit's engine parameter for the modelmaker, mirrored and ps parts.
SIDES = {
    "modelmaker": dict(part="modelmaker", engine="modelmaker"),
    "engine_estimator": dict(part="modelmaker", engine="estimator"),
    "estimator": dict(part="estimator"),
    "keras": dict(part="keras"),
    "bare": dict(part="bare"),
    "modelmaker_fixed": dict(part="modelmaker", engine="modelmaker", size="fixed"),
    "engine_estimator_fixed": dict(part="modelmaker", engine="estimator", size="fixed"),
    "current_modelmaker": dict(part="modelmaker", engine="modelmaker", stack="current"),
    "current_keras": dict(part="keras", stack="current"),
    "current_bare": dict(part="bare", stack="current"),
    "mirrored": dict(part="mirrored", engine="modelmaker"),
    "engine_estimator_mirrored": dict(part="mirrored", engine="estimator"),
    "current_mirrored": dict(part="mirrored", engine="modelmaker", stack="current"),
    "ps": dict(part="ps", engine="modelmaker"),
    "engine_estimator_ps": dict(part="ps", engine="estimator"),
    "current_ps": dict(part="ps", engine="modelmaker", stack="current"),
}

# figure -> the sides it needs ("serve" and "grpc" also need a modelmaker export).
FIGURES = {
    "overhead": ("modelmaker", "estimator"),
    "e2e": ("modelmaker", "keras"),
    "startup": ("modelmaker",),
    "engine": ("modelmaker", "engine_estimator"),
    "floor": ("modelmaker", "bare"),
    "fixed": ("modelmaker_fixed", "engine_estimator_fixed"),
    "footprint": ("modelmaker", "keras", "estimator"),
    "current": ("current_modelmaker", "current_keras"),
    "current_floor": ("current_modelmaker", "current_bare"),
    "mirrored": ("mirrored", "engine_estimator_mirrored", "current_mirrored"),
    "ps": ("ps", "engine_estimator_ps", "current_ps"),
    "serve": ("modelmaker",),
    "grpc": ("modelmaker",),
}


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(FIGURES),
                        help="measure only this figure (repeatable); default: all (the sides "
                             "whose stack has no interpreter are skipped)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (median)")
    parser.add_argument("--steps", type=int, default=3000, help="training steps per job")
    parser.add_argument("--window", default="500,2500",
                        help="steady-state window: first,last step timed")
    parser.add_argument("--fixed_steps", type=int, default=500,
                        help="steps of the jobs whose fixed cost is measured")
    parser.add_argument("--current_python", help="the current-TensorFlow stack's interpreter "
                        "(e.g. .venv/bin/python) when this one is TF 2.15; default: this one "
                        "when it has no tensorflow-estimator")
    parser.add_argument("--compat_python", help="the TF 2.15 + tensorflow-estimator interpreter "
                        "(e.g. .venv-tf2.15/bin/python) when this one is current TF; default: this "
                        "one when it has tensorflow-estimator")
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
    parser.add_argument("--raw", help="also write every process's own result to this JSON file")
    args = parser.parse_args(argv)
    if args.serving:
        args.only, args.repeats, args.steps, args.window = ["serve", "grpc"], 1, 300, "50,250"
    if args.quick:
        args.steps, args.window, args.repeats, args.requests = 30, "5,25", 1, 20
        args.fixed_steps = 20
    if not os.path.isdir(args.data):
        parser.error(f"--data {args.data} is not a folder; the benchmark needs the MNIST IDX "
                     "files (../shared/data/mnist-10k) and never downloads them")
    args.pythons = _interpreters(parser, args)
    return args


def _interpreters(parser, args):
    """`stacks.interpreters` for the flags, after checking them: each given interpreter exists,
    --compat_python has tensorflow-estimator, and every --only figure has a stack to run on."""
    for stack, (flag, example) in STACKS.items():
        given = getattr(args, flag[2:])
        if given and not os.path.isfile(given):
            parser.error(f"{flag} {given} is not a file; give the {stack} stack's interpreter, "
                         f"e.g. {flag} {example}, or leave the flag out")
    if args.compat_python:
        version, estimator = stacks.probe(args.compat_python)
        if not estimator:
            parser.error(f"--compat_python {args.compat_python} has TensorFlow {version} without "
                         "tensorflow-estimator; the Estimator sides need TF 2.15 + tensorflow-"
                         "estimator, e.g. --compat_python .venv-tf2.15/bin/python (make test-compat "
                         "builds it)")
    pythons = stacks.interpreters(compat_python=args.compat_python,
                                  current_python=args.current_python, this=stacks.here())
    for figure in args.only or []:
        needed = sorted({SIDES[side].get("stack", "compat") for side in FIGURES[figure]})
        if not any(pythons[stack][0] for stack in needed):
            parser.error(f"--only {figure} needs " + " or ".join(STACKS[s][0] for s in needed)
                         + ": " + "; ".join(pythons[s][1] for s in needed))
    return pythons


def figures_of(args):
    """The figures this run measures."""
    return list(args.only or FIGURES)


def child(part, args, *, out=None, export_dir=None, python=None, steps=None, window=None,
          engine=None):
    """Runs `bench/child.py part ...` in a fresh process; returns its BENCH result dict, with
    `process_s` (launch to exit, as the parent saw it) and `train_url_bytes` (what `out` holds)."""
    command = [python or sys.executable, os.path.join(HERE, "child.py"), part, "--data", args.data,
               "--steps", str(steps or args.steps), "--window", window or args.window,
               "--requests", str(args.requests), "--warmup", str(min(100, args.requests))]
    if out:
        command += ["--out", out]
    if engine:
        command += ["--engine", engine]
    if export_dir:
        command += ["--export_dir", export_dir, "--seconds", str(args.seconds)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1")
    launched = time.time()
    proc = subprocess.run(command + ["--launched", repr(launched)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)
    process_s = time.time() - launched
    lines = [l for l in proc.stdout.splitlines() if l.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-3000:]
        raise SystemExit(f"bench: part `{part}` failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(lines[-1][len("BENCH "):])
    result["process_s"] = process_s
    if out:
        result["train_url_bytes"] = folder_bytes(out)
    return result


def folder_bytes(path):
    """The bytes of the files under `path` (0 when it does not exist)."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def run_side(side, args, out):
    """One fresh process of `side` (a key of SIDES)."""
    how = SIDES[side]
    fixed = how.get("size") == "fixed"
    steps = args.fixed_steps if fixed else args.steps
    window = f"{max(1, steps // 5)},{steps}" if fixed else args.window
    python = args.pythons[how.get("stack", "compat")][0]
    return child(how["part"], args, out=out, python=python, steps=steps, window=window,
                 engine=how.get("engine"))


def skipped_sides(args):
    """{side: why} of the sides this run would measure but whose stack has no interpreter."""
    figures = figures_of(args)
    return {side: args.pythons[how.get("stack", "compat")][1] for side, how in SIDES.items()
            if any(side in FIGURES[f] for f in figures) and not args.pythons[how.get("stack", "compat")][0]}


def measure(args, workdir, skipped):
    """Runs every needed side that can run `repeats` times, interleaved (the order rotating from
    repeat to repeat), then serving once (`skipped` gains serve/grpc when they cannot run).
    Returns ({side: [result, ...]} plus "serve"/"grpc" results, the 1-minute load average before
    and after)."""
    figures = figures_of(args)
    sides = [s for s in SIDES if any(s in FIGURES[f] for f in figures) and s not in skipped]
    runs = {side: [] for side in sides}
    load = [os.getloadavg()[0]]
    for repeat in range(args.repeats):
        order = sides[repeat % len(sides):] + sides[:repeat % len(sides)]
        for side in order:
            result = run_side(side, args, os.path.join(workdir, f"{side}-{repeat}"))
            runs[side].append(result)
            _progress(side, repeat, result)
    for serving in ("serve", "grpc"):
        if serving in figures and "modelmaker" in skipped:
            figures.remove(serving)
            skipped[serving] = "it serves the modelmaker side's export: " + skipped["modelmaker"]
            print(f"bench: skipped {serving}: {skipped[serving]}", flush=True)
    if "serve" in figures:
        export_dir = runs["modelmaker"][-1]["export_dir"]
        runs["serve"] = child("serve", args, export_dir=export_dir,
                              python=args.pythons["compat"][0])
        if not runs["serve"].get("available"):
            print("bench: serving not measured: modelmaker has no `serve` verb yet", flush=True)
    if "grpc" in figures:
        runs["grpc"] = child("grpc", args, export_dir=runs["modelmaker"][-1]["export_dir"],
                             python=args.pythons["compat"][0])
    return runs, load + [os.getloadavg()[0]]


def _progress(side, repeat, result):
    rate = result.get("steps_per_s")
    shown = f" {rate:.0f} steps/s" if rate else ""
    accuracy = result.get("accuracy")
    shown += f" accuracy {accuracy:.4f}" if accuracy is not None else ""
    print(f"bench: {side:<22} repeat {repeat}: process {result['process_s']:.2f}s "
          f"job {result['wall_s']:.2f}s{shown} rss {result['peak_rss_mb']:.0f} MB "
          f"(load {os.getloadavg()[0]:.1f})", flush=True)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="modelmaker-bench-")
    skipped = skipped_sides(args)
    for side, why in skipped.items():
        print(f"bench: skipped {side}: {why}", flush=True)
    try:
        runs, load = measure(args, workdir, skipped)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as f:
            json.dump(runs, f, indent=1)
    figs = report.figures(runs)
    figs.update(date=datetime.date.today().isoformat(), cpus=os.cpu_count(), gpu=None,
                repeats=args.repeats, steps=args.steps, fixed_steps=args.fixed_steps,
                quick=args.quick, load_avg=[round(v, 2) for v in load], skipped=skipped,
                pythons={stack: python for stack, (python, _) in args.pythons.items()})
    print(report.table(figs))
    print(json.dumps(figs), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
