"""`modelmaker launch`: run a training cluster here, or print its Kubeflow TFJob.

    modelmaker launch --local worker=2,ps=1,evaluator=1 -- --user_module mymodel --train_url out/
    modelmaker launch --print tfjob --shape worker=2,ps=1 --image registry/mymodel:1 \\
        -- --user_module mymodel --train_url s3://bucket/run1
"""

import argparse
import sys

from modelmaker.launch import local, shape as shape_lib, tfjob
from modelmaker import environment
from modelmaker.errors import ModelmakerError, ParamsError

_DESCRIPTION = """Run a TF_CONFIG cluster: one chief plus the tasks in SHAPE (worker=N, ps=N,
evaluator=0|1). Everything after `--` is handed to `python -m modelmaker.train` in each task.

--local SHAPE starts every task as a process on 127.0.0.1 (free ports), prefixes each log
line with its task, stops the others and exits non-zero when any task fails, and exits 0 once
the chief has succeeded and every process is gone.
--print tfjob prints a Kubeflow TFJob (kubeflow.org/v1) for the same shape instead."""

# What --print can print -> the function writing it.
PRINTERS = {"tfjob": lambda args, shape, train_args: tfjob.to_yaml(
    tfjob.manifest(shape, name=args.name, image=args.image, command=args.command.split(),
                   args=train_args), shape)}


def build_parser(prog="modelmaker launch"):
    parser = argparse.ArgumentParser(prog=prog, description=_DESCRIPTION, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--local", metavar="SHAPE",
                        help="start the cluster here, e.g. worker=2,ps=1,evaluator=1")
    parser.add_argument("--shape", metavar="SHAPE", help="the cluster shape for --print")
    parser.add_argument("--print", dest="print_what", choices=sorted(PRINTERS),
                        help="print a manifest for the shape instead of running it")
    parser.add_argument("--image", help="container image (--print tfjob)")
    parser.add_argument("--name", default="modelmaker", help="job name (--print tfjob)")
    parser.add_argument("--command", default="python -m modelmaker.train",
                        help="container command (--print tfjob; default: %(default)s)")
    parser.add_argument("--grace", type=float, default=60, metavar="SECS",
                        help="after the chief succeeds, seconds the other tasks may run on "
                             "before they are stopped (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECS",
                        help="stop the whole job after SECS (exit code 124)")
    return parser


def split_argv(argv):
    """(launcher arguments, training arguments) around the first `--`."""
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1:]
    return argv, []


def main(argv=None, *, environ=None, out=None):
    """Runs `modelmaker launch`; returns the exit code (2 for user mistakes)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    mine, train_args = split_argv(argv)
    args = build_parser().parse_args(mine)
    out = out or sys.stdout
    try:
        if not (args.shape or args.local):
            raise ParamsError("give the cluster shape: --local worker=2,ps=1,evaluator=1 to run it "
                              "here, or --print tfjob --shape worker=2,ps=1 to print a manifest.")
        shape = shape_lib.parse(args.shape or args.local, flag="--shape" if args.shape else "--local")
        if not train_args:
            raise ParamsError("give the training arguments after `--`, e.g. "
                              "modelmaker launch --local worker=1 -- --user_module mymodel "
                              "--train_url out/.")
        if args.print_what:
            out.write(PRINTERS[args.print_what](args, shape, train_args))
            return 0
    except ModelmakerError as e:
        print(f"modelmaker launch: error: {e}", file=sys.stderr)
        return e.exit_code
    env = dict(environment.read(environ).variables)
    command = [sys.executable, "-m", "modelmaker.train", *train_args]
    return local.run(shape, command, env=env, out=out, grace_secs=args.grace,
                     timeout_secs=args.timeout)
