"""Provides `Cluster`: a parsed, validated, normalised TF_CONFIG, and `parse` that makes one.

    TF_CONFIG='{"cluster": {"chief": ["host0:2222"], "worker": ["host1:2222"],
                            "ps": ["host2:2222"]},
                "task": {"type": "worker", "index": 0}}'

Rules (those of tf.estimator.RunConfig, checked up front with messages that name the fix):
a cluster has exactly one chief (legacy `master` is renamed `chief`; both is an error); the
task must be one of the cluster's tasks, except the evaluator, which is never part of the
training cluster (Kubeflow leaves it out, other platforms list it: both are accepted) and
whose index must be 0. No `cluster` means one process: the task, if given, is worker 0.
This module does not read the environment: `modelmaker.environment` does, once.
"""

import dataclasses
import json
import types
from typing import Mapping, Tuple

from modelmaker.errors import ParamsError

CHIEF, WORKER, PS, EVALUATOR = "chief", "worker", "ps", "evaluator"
# Job names TF_CONFIG may use -> the name modelmaker (and TensorFlow) use for them.
JOB_NAMES = {"chief": CHIEF, "master": CHIEF, "worker": WORKER, "ps": PS, "evaluator": EVALUATOR}
_FIX = "See README.md, section 'Distributed training', for a TF_CONFIG example."


@dataclasses.dataclass(frozen=True)
class Cluster:
    """One task's view of its cluster. `jobs` excludes the evaluator (never a training task).

    Attributes:
      jobs: job name -> tuple of "host:port" (chief, worker, ps only); empty for one process.
      task_type: chief, worker, ps or evaluator ("chief" for one process).
      task_index: the task's index within its job.
    """

    jobs: Mapping[str, Tuple[str, ...]]
    task_type: str
    task_index: int

    @property
    def is_distributed(self):
        """True when TF_CONFIG described a cluster (even one holding only the chief)."""
        return bool(self.jobs)

    @property
    def num_trainers(self):
        """Tasks that run training steps: the chief plus the workers (1 for one process)."""
        return max(1, len(self.jobs.get(CHIEF, ())) + len(self.jobs.get(WORKER, ())))

    @property
    def is_chief(self):
        """True on the task that saves checkpoints, writes the records and exports: the chief
        (TF_CONFIG's `master` is parsed as the chief), one process, and, by TensorFlow's rule,
        worker 0 of a cluster without a chief (which `parse` refuses). Never on another worker,
        a ps or the evaluator."""
        if self.task_type == CHIEF:
            return True
        return self.task_type == WORKER and self.task_index == 0 and CHIEF not in self.jobs

    @property
    def num_ps(self):
        return len(self.jobs.get(PS, ()))

    @property
    def trainer_index(self):
        """0 for the chief, i + 1 for worker i (TensorFlow's order); None for ps and evaluator."""
        if self.task_type == CHIEF:
            return 0
        if self.task_type == WORKER:
            return self.task_index + 1
        return None

    @property
    def name(self):
        """`worker/1`, as the launcher prefixes log lines."""
        return f"{self.task_type}/{self.task_index}"

    def tf_config(self):
        """The normalised TF_CONFIG dict TensorFlow should see ({} for one process)."""
        if not self.jobs:
            return {}
        return {"cluster": {job: list(addresses) for job, addresses in self.jobs.items()},
                "task": {"type": self.task_type, "index": self.task_index}}


LOCAL = Cluster(jobs=types.MappingProxyType({}), task_type=CHIEF, task_index=0)


def parse(text, *, source="TF_CONFIG"):
    """A `Cluster` from TF_CONFIG's JSON text (None or blank: one process, `LOCAL`).

    Raises:
      ParamsError: bad JSON, no chief, two chiefs, an unknown job, an evaluator index > 0, a
        task that is not in the cluster, or an address list of the wrong shape.
    """
    if text is None or not text.strip():
        return LOCAL
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParamsError(f"{source} is not valid JSON ({e.msg} at line {e.lineno}, column "
                          f"{e.colno}): {_short(text)}. {_FIX}") from None
    if not isinstance(config, dict):
        raise ParamsError(f"{source} must be a JSON object with `cluster` and `task`, got "
                          f"{type(config).__name__}: {_short(text)}. {_FIX}")
    cluster = config.get("cluster") or {}
    task = config.get("task") or {}
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ParamsError(f"{source}: `cluster` and `task` must be JSON objects, got "
                          f"{_short(text)}. {_FIX}")
    jobs = _jobs(cluster, source)
    task_type, task_index = _task(task, bool(jobs), source)
    if not jobs:
        return LOCAL
    _check_membership(jobs, task_type, task_index, source)
    jobs.pop(EVALUATOR, None)
    return Cluster(jobs=types.MappingProxyType(jobs), task_type=task_type, task_index=task_index)


def _jobs(cluster, source):
    """Job name -> addresses, with `master` renamed `chief`; checks the chief count."""
    jobs = {}
    for name, addresses in cluster.items():
        if name not in JOB_NAMES:
            raise ParamsError(f"{source}: unknown job {name!r} in `cluster`; the jobs are "
                              f"{', '.join(JOB_NAMES)}. {_FIX}")
        job = JOB_NAMES[name]
        if job in jobs:
            raise ParamsError(f"{source}: `cluster` has both `chief` and `master`, i.e. two chiefs; "
                              "keep one (`master` is the old name of `chief`).")
        jobs[job] = _addresses(name, addresses, source)
    if not jobs:
        return jobs
    chiefs = jobs.get(CHIEF, ())
    if not chiefs:
        raise ParamsError(f"{source}: `cluster` has no chief ({_describe(jobs)}); exactly one task "
                          "must be the chief, which saves checkpoints and exports. Rename one "
                          'worker to "chief": ["host:port"].')
    if len(chiefs) > 1:
        raise ParamsError(f"{source}: `cluster` has {len(chiefs)} chiefs ({', '.join(chiefs)}); "
                          "exactly one is allowed. Make the others workers.")
    if len(jobs.get(EVALUATOR, ())) > 1:
        raise ParamsError(f"{source}: `cluster` has {len(jobs[EVALUATOR])} evaluators; there can "
                          "be only one (index 0). Remove the others.")
    return jobs


def _addresses(name, addresses, source):
    if isinstance(addresses, dict):  # TensorFlow's sparse form {"0": "host:port"}
        try:
            addresses = [addresses[k] for k in sorted(addresses, key=int)]
        except ValueError:
            addresses = None
    if (not isinstance(addresses, list) or not addresses
            or not all(isinstance(a, str) and ":" in a for a in addresses)):
        raise ParamsError(f"{source}: job {name!r} must list its tasks as \"host:port\" strings, "
                          f'got {addresses!r}. Example: "{name}": ["10.0.0.1:2222"].')
    return tuple(addresses)


def _task(task, clustered, source):
    """(type, index) of `task`, normalised; one process defaults to chief 0."""
    if not clustered:
        kind = task.get("type", WORKER)
        if kind not in (WORKER, "chief", "master") or int(task.get("index", 0) or 0) != 0:
            raise ParamsError(f"{source}: task {task!r} without a `cluster`; a single process is "
                              "worker 0 (or leave `task` out). Add the `cluster` of all tasks.")
        return CHIEF, 0
    kind, index = task.get("type"), task.get("index")
    if kind not in JOB_NAMES:
        raise ParamsError(f"{source}: `task.type` is {kind!r}; it must be one of "
                          f"{', '.join(JOB_NAMES)}. {_FIX}")
    if isinstance(index, bool) or not isinstance(index, (int, str)) or not str(index).isdigit():
        raise ParamsError(f"{source}: `task.index` is {index!r}; it must be a whole number >= 0 "
                          "(the task's position in its job's list).")
    return JOB_NAMES[kind], int(index)


def _check_membership(jobs, task_type, task_index, source):
    if task_type == EVALUATOR:
        if task_index != 0:
            raise ParamsError(f"{source}: evaluator index {task_index}; there can be only one "
                              "evaluator, with index 0.")
        return
    tasks = jobs.get(task_type, ())
    if task_index >= len(tasks):
        have = f"has {len(tasks)} {task_type} task(s)" if tasks else f"has no {task_type} job"
        raise ParamsError(f"{source}: this task, {task_type} {task_index}, is not in the cluster "
                          f"(it {have}: {_describe(jobs)}). Fix `task` or add the task to `cluster`.")


def _describe(jobs):
    return ", ".join(f"{job}={len(addresses)}" for job, addresses in jobs.items()) or "empty"


def _short(text, limit=120):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."

