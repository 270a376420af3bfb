"""`modelmaker check`: a pre-flight run that finds in seconds what a long job would find late.

    modelmaker check --user_module mymodel --data_url data/ [--params parameters.json]

It validates the parameters and what they mean together (`modelmaker.config.combinations`), then
trains 5 steps, evaluates 2 batches and exports a SavedModel that it loads back, all in a
temporary folder (`modelmaker.commands.dry_run`), and prints a pass/fail table. Nothing is written to
--train_url (a remote one is listed, to check access). Exit code 0 when nothing failed
(warnings allowed), 2 when something did.
"""

import json
import sys
import tempfile
import time

from modelmaker import api, environment, storage
from modelmaker.cluster import tf_config as cluster_lib
from modelmaker.commands import args as args_lib
from modelmaker.config import combinations
from modelmaker.controls import cadence
from modelmaker.errors import ModelmakerError
from modelmaker.user import code_errors, module as user_module_lib

PROG = "modelmaker check"
PASS, WARN, FAIL, SKIP, INFO = "pass", "warn", "fail", "skip", "info"

_DESCRIPTION = """Pre-flight check: validate the parameters and their combined meaning, then
train 5 steps, evaluate 2 batches and export a SavedModel in a temporary folder, and print
a pass/fail table. Takes seconds; never writes to --train_url. Exit code 0 when nothing
failed (warnings allowed), 2 when something did."""


class Table:
    """The rows of the report; a failed row makes the later stages skip."""

    def __init__(self):
        self.rows = []

    @property
    def failed(self):
        return any(result == FAIL for _, result, _ in self.rows)

    def add(self, name, result, detail=""):
        self.rows.append((name, result, " ".join(str(detail).split())))

    def stage(self, name, fn, *args):
        """Runs `fn(*args)` -> (detail, value) unless a stage failed; returns value (None on failure)."""
        if self.failed:
            self.add(name, SKIP, "an earlier check failed")
            return None
        try:
            detail, value = fn(*args)
        except Exception as e:  # noqa: BLE001 -- the user's code may raise anything; report it
            self.add(name, FAIL, code_errors.one_line(e))  # a user's error keeps its file:line
            return None
        self.add(name, PASS, detail)
        return value

    def render(self):
        width = max(len(name) for name, _, _ in self.rows)
        lines = [f"{'check':<{width}}  result  detail", f"{'-' * width}  ------  ------"]
        lines += [f"{name:<{width}}  {result:<6}  {detail}" for name, result, detail in self.rows]
        return "\n".join(lines)


def main(argv=None):
    """Runs the check; prints the table to stdout and returns 0, or 2 when a check failed."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv
    environment.quiet_native_logs(verbose)  # before TensorFlow is imported
    try:
        env = environment.read()
    except ModelmakerError as e:  # a malformed platform variable (SM_HPS, CLUSTER_SPEC)
        print(f"modelmaker: error: {e}", file=sys.stderr)
        return e.exit_code
    started, table = time.monotonic(), Table()
    parser = args_lib.build_parser(PROG)
    parser.description = _DESCRIPTION
    parsed = table.stage("parameters", _parameters, argv, parser, env.platform)
    if parsed is not None:
        # The check runs in this one process, whatever TF_CONFIG says: the engine it builds
        # has no plan, so TensorFlow is shown no cluster.
        _run(table, *parsed, env=env, verbose=verbose)
    print(f"{PROG}: {_module_shown(argv)}; nothing is written to --train_url\n")
    print(table.render())
    warnings = sum(result == WARN for _, result, _ in table.rows)
    verdict = "FAILED" if table.failed else "passed"
    print(f"\n{verdict} ({warnings} warning{'s' * (warnings != 1)}) in {time.monotonic() - started:.1f} s")
    return 2 if table.failed else 0


def _parameters(argv, parser, platform):
    args, params, _ = args_lib.parse(argv, prog=PROG, parser=parser, platform=platform)
    custom = ", ".join(sorted(params.custom)) or "none"
    changed = sorted(k for k, src in params.sources.items() if src != "defaults" and k not in params.custom)
    return f"reserved set: {', '.join(changed) or 'none (all defaults)'}; custom: {custom}", (args, params)


def _run(table, args, params, *, env, verbose):
    """The stages after the parameters; adds their rows and the combined-meaning findings."""
    facts = table.stage("TF_CONFIG", _cluster_facts, env) or combinations.Facts()
    user = table.stage("user module", _user_module, args.user_module)
    data_path = table.stage("data_url", _data_url, args.data_url, args.cache_dir, env.storage)
    if storage.is_remote(args.train_url):
        table.stage("train_url", _train_url, args.train_url, args.cache_dir, env.storage)
    if not table.failed:
        from modelmaker.commands import dry_run
        from modelmaker import logs  # imports TensorFlow
        logs.setup(verbose)
        with tempfile.TemporaryDirectory(prefix="modelmaker-check-") as scratch:
            facts = dry_run.run_stages(table, user, params, data_path, scratch, facts)
    table.add("evaluation cadence", INFO, cadence.describe(params, evaluator_task=facts.has_evaluator))
    for finding in combinations.findings(params, facts):
        table.add("combined meaning", finding.level, finding.text)


def _cluster_facts(env):
    """`combinations.Facts` with the cluster's jobs and whether TF_CONFIG names an evaluator.

    TF_CONFIG is parsed and validated as `train` does (`environment.Environment.cluster`).
    """
    if not (env.tf_config or "").strip():
        return "not set: one process", combinations.Facts()
    cluster = env.cluster()
    jobs = tuple(sorted(cluster.jobs))
    evaluator = cluster.task_type == cluster_lib.EVALUATOR or _names_evaluator(env.tf_config)
    shown = ", ".join(jobs) + (", evaluator" if evaluator else "")
    return f"cluster: {shown or 'none'}", combinations.Facts(cluster_jobs=jobs, has_evaluator=evaluator)


def _names_evaluator(text):
    """True when TF_CONFIG's (already validated) `cluster` lists an evaluator task."""
    return cluster_lib.EVALUATOR in (json.loads(text).get("cluster") or {})


def _user_module(spec):
    user = user_module_lib.load(spec)
    args = ", ".join(user.model_fn_args)
    return f"{user.origin}: model_fn({args}) and the three input/serving functions", user


def _data_url(data_url, cache_dir, settings):
    path = api.local_data(data_url, cache_dir=cache_dir, settings=settings)  # staged, as for train
    shown = f"{data_url} staged to {path}" if storage.is_remote(data_url) else path
    return (shown or "none given: the input functions choose their data"), path


def _train_url(train_url, cache_dir, settings):
    storage.open_train_url(train_url, cache_dir=cache_dir, settings=settings, writable=False)
    return f"{train_url} can be read (check writes nothing there)", None


def _module_shown(argv):
    """The --user_module value in `argv`, for the heading."""
    for i, token in enumerate(argv):
        if token.startswith("--user_module="):
            return token.split("=", 1)[1]
        if token == "--user_module" and i + 1 < len(argv):
            return argv[i + 1]
    return "(no --user_module)"

