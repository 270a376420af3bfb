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
PRINTERS = {"tfjob": lambda args, shape, train_args: _tfjob(args, shape, train_args)}

# The flags of the "pods" group, which only --print tfjob uses.
POD_FLAGS = ("--namespace", "--cpu", "--memory", "--gpu", "--secret", "--secret_env", "--cache",
             "--restart_policy", "--backoff_limit")
_POD_HELP = """--cpu, --memory, --gpu take one value for every task kind, or kind=value pairs, or both:
--gpu 1,ps=0 gives the chief, workers and evaluator one GPU each and the ps none.
Credentials never appear in the manifest: --secret NAME passes every key of a Kubernetes
Secret as an environment variable (OBS_ACCESS_KEY_ID, OBS_SECRET_ACCESS_KEY,
OBS_ENDPOINT_URL for obs://; S3_... or AWS_... for s3://; KS3_... for ks3://)."""


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
    _add_pod_flags(parser)
    parser.add_argument("--grace", type=float, default=60, metavar="SECS",
                        help="after the chief succeeds, seconds the other tasks may run on "
                             "before they are stopped (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECS",
                        help="stop the whole job after SECS (exit code 124)")
    return parser


def _add_pod_flags(parser):
    pods = parser.add_argument_group("pods (--print tfjob)", _POD_HELP)
    pods.add_argument("--namespace", metavar="NS",
                      help="Kubernetes namespace of the job (default: kubectl's current one)")
    pods.add_argument("--cpu", metavar="CPUS",
                      help="CPU cores requested per pod, e.g. 4 or 4,ps=2 (requests only: a pod "
                           "may use idle cores)")
    pods.add_argument("--memory", metavar="BYTES",
                      help="memory per pod, requested and limited, e.g. 16Gi or 16Gi,ps=4Gi")
    pods.add_argument("--gpu", metavar="GPUS",
                      help="nvidia.com/gpu per pod (a limit), e.g. 1,ps=0")
    pods.add_argument("--secret", action="append", default=[], metavar="NAME",
                      help="a Kubernetes Secret whose keys become environment variables "
                           "(envFrom), e.g. the object-storage credentials; repeatable")
    pods.add_argument("--secret_env", action="append", default=[], metavar="VAR=SECRET:KEY",
                      help="one environment variable from one key of a Secret (secretKeyRef), "
                           "e.g. OBS_ACCESS_KEY_ID=obs-creds:ak; repeatable")
    pods.add_argument("--cache", default="emptydir", metavar="VOLUME",
                      help=f"the volume at {tfjob.CACHE_PATH}, where data from s3://, obs://, ks3:// "
                           "is staged: emptydir, emptydir:SIZE (e.g. emptydir:50Gi), pvc:CLAIM "
                           "(kept across restarts) or none (default: %(default)s)")
    pods.add_argument("--restart_policy", default="ExitCode", choices=tfjob.RESTART_POLICIES,
                      help="ExitCode (default) fails the job at once on a mistake or bug (exit "
                           "1-127) and restarts a preempted pod (exit 128-255), which resumes from "
                           "the newest checkpoint; OnFailure restarts on any failure")
    pods.add_argument("--backoff_limit", type=int, default=3, metavar="N",
                      help="restarts allowed before the job fails (default: %(default)s)")


def _tfjob(args, shape, train_args):
    resources = {}
    for flag in tfjob.RESOURCES:
        value = getattr(args, flag[2:])
        for kind, wanted in (tfjob.per_kind(value, flag) if value else {}).items():
            resources.setdefault(kind, {}).update(wanted)
    if args.backoff_limit < 0:
        raise ParamsError(f"--backoff_limit {args.backoff_limit} must be 0 or more, e.g. "
                          "--backoff_limit 3.")
    for secret in args.secret:
        tfjob.check_name(secret, "--secret", "obs-creds")
    pods = tfjob.Pods(namespace=args.namespace, resources=resources, secrets=tuple(args.secret),
                      secret_env=tuple(tfjob.secret_env(t) for t in args.secret_env),
                      cache=tfjob.cache_volume(args.cache), restart_policy=args.restart_policy,
                      backoff_limit=args.backoff_limit)
    job = tfjob.manifest(shape, name=args.name, image=args.image, command=args.command.split(),
                         args=train_args, pods=pods)
    missing = [] if pods.secrets or pods.secret_env else tfjob.remote_schemes(train_args)
    if missing:
        print(f"modelmaker launch: note: the pods reach {', '.join(s + '://' for s in missing)} "
              "without credentials from a Secret; add --secret NAME (see the manifest's header).",
              file=sys.stderr)
    return tfjob.to_yaml(job, shape, missing)


def _not_launch_flags(unknown, mine, argv):
    """The error for arguments launch does not know: training arguments before `--`, most often."""
    given = " ".join(unknown)
    if "--" in argv:
        return ParamsError(f"modelmaker launch does not take {given} (see modelmaker launch "
                           "--help); the training arguments go after `--`.")
    known = list(mine)
    for arg in unknown:
        known.remove(arg)
    return ParamsError(f"modelmaker launch does not take {given}: the arguments for python -m "
                       "modelmaker.train go after `--`, i.e. modelmaker launch "
                       f"{' '.join(known)} -- {given}")


def _refuse_pod_flags_without_print(parser, args):
    """Pod flags shape the printed manifest only; given with --local they would do nothing."""
    given = [flag for flag in POD_FLAGS if getattr(args, flag[2:]) != parser.get_default(flag[2:])]
    if given and not args.print_what:
        raise ParamsError(f"{', '.join(given)} only shape the manifest of --print tfjob; --local "
                          "runs every task on this machine. Drop them, or add --print tfjob.")


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
    parser = build_parser()
    args, unknown = parser.parse_known_args(mine)
    out = out or sys.stdout
    try:
        if unknown:
            raise _not_launch_flags(unknown, mine, argv)
        _refuse_pod_flags_without_print(parser, args)
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
