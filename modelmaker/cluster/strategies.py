"""Provides `plan`: the `distribute` parameter + the cluster -> which strategy, and how many steps.

| distribute            | train_distribute (Estimator)          | cluster needed             | replicas per global step |
|-----------------------|---------------------------------------|----------------------------|--------------------------|
| none                  | None                                  | none, or the chief alone   | 1                        |
| mirrored              | MirroredStrategy over the local GPUs  | none, or the chief alone   | local devices            |
| multi_worker_mirrored | MultiWorkerMirroredStrategy           | chief (+ workers), no ps   | trainers x local GPUs    |
| parameter_server      | None: between-graph replication       | chief (+ workers) + ps     | 1 (asynchronous)         |

`auto` picks parameter_server when the cluster has ps tasks, multi_worker_mirrored when it
has workers, mirrored when this machine has two or more GPUs, and none otherwise.

Steps: `train_max_steps` is the seed's total over all replicas (per-card steps x cards x
machines). A synchronous strategy advances the global step once per all-reduce over every
replica, so Estimator's max_steps = ceil(train_max_steps / replicas). Asynchronous parameter-
server training advances it once per worker batch, so max_steps = train_max_steps.
"""

import dataclasses
import math
from typing import Callable, Optional, Tuple

from modelmaker.cluster import tf_config as cluster_lib
from modelmaker.errors import ParamsError

AUTO = "auto"


@dataclasses.dataclass(frozen=True)
class Devices:
    """The logical devices of this machine, e.g. gpus=("/device:GPU:0",), cpus=("/device:CPU:0",)."""

    gpus: Tuple[str, ...] = ()
    cpus: Tuple[str, ...] = ("/device:CPU:0",)


@dataclasses.dataclass(frozen=True)
class _Strategy:
    doc: str
    check: Callable        # (Cluster) -> None or the problem, as text
    replicas: Callable     # (Cluster, Devices) -> replicas per global step
    build: Optional[Callable]  # (Cluster, Devices) -> a tf.distribute strategy, or None


def _one_trainer(cluster):
    if cluster.num_trainers > 1 or cluster.num_ps:
        return "it trains in one process, but the cluster has other training tasks"
    return None


def _needs_workers_no_ps(cluster):
    if not cluster.is_distributed:
        return "it needs a TF_CONFIG cluster (chief + workers); on one machine use `mirrored`"
    if cluster.num_ps:
        return "all-reduce training has no parameter servers, but the cluster has ps tasks"
    return None


def _needs_ps(cluster):
    if not cluster.num_ps:
        return "it needs ps tasks in the TF_CONFIG cluster"
    return None


def _mirrored_devices(devices):
    return devices.gpus or devices.cpus


def _build_mirrored(cluster, devices):
    import tensorflow as tf
    chosen = _mirrored_devices(devices)
    # All-reduce between CPU devices (logical CPUs in tests) hangs with the default
    # collective ops on this stack; reducing to one device works (see shared FACTS).
    ops = None if devices.gpus else tf.distribute.ReductionToOneDevice()
    return tf.compat.v1.distribute.MirroredStrategy(devices=list(chosen), cross_device_ops=ops)


def _build_multi_worker(cluster, devices):
    import tensorflow as tf
    # The resolver is given the validated cluster instead of reading TF_CONFIG itself.
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(cluster.tf_config()["cluster"]), task_type=cluster.task_type,
        task_id=cluster.task_index, rpc_layer="grpc")
    # Eager construction configures collective ops and starts this task's server, which
    # TensorFlow allows only before its runtime has started: build this early.
    return tf.compat.v1.distribute.experimental.MultiWorkerMirroredStrategy(cluster_resolver=resolver)


# The one table of strategies: the `distribute` value -> what it needs and builds.
STRATEGIES = {
    "none": _Strategy(
        "no tf.distribute strategy: one replica", _one_trainer,
        lambda cluster, devices: 1, None),
    "mirrored": _Strategy(
        "MirroredStrategy: one replica per local GPU (per logical CPU when there is no GPU)",
        _one_trainer, lambda cluster, devices: len(_mirrored_devices(devices)), _build_mirrored),
    "multi_worker_mirrored": _Strategy(
        "MultiWorkerMirroredStrategy: synchronous all-reduce over the chief and the workers",
        _needs_workers_no_ps,
        lambda cluster, devices: cluster.num_trainers * max(1, len(devices.gpus)), _build_multi_worker),
    "parameter_server": _Strategy(
        "between-graph training: variables on ps tasks, asynchronous updates",
        _needs_ps, lambda cluster, devices: 1, None),
}
CHOICES = (AUTO, *STRATEGIES)


@dataclasses.dataclass(frozen=True)
class Plan:
    """How this task trains: the strategy, the cluster, and Estimator's max_steps.

    Attributes:
      distribute: a key of `STRATEGIES` (never `auto`).
      cluster: this task's `Cluster`.
      devices: the local devices a strategy is built over.
      replicas: replicas that each process one batch per global step.
      max_steps: Estimator's max_steps (None: until the training input ends).
      train_max_steps: the parameter it came from.
    """

    distribute: str
    cluster: cluster_lib.Cluster
    devices: Devices
    replicas: int
    max_steps: Optional[int]
    train_max_steps: Optional[int]

    @property
    def role(self):
        """chief (also for one process), worker, ps or evaluator."""
        return self.cluster.task_type

    @property
    def lockstep(self):
        """True when several trainer processes advance the global step together (one all-reduce
        over all of them per step): a stop during training must be agreed (`cluster.sync_stop`)."""
        return self.distribute == "multi_worker_mirrored" and self.cluster.num_trainers > 1

    @property
    def distributed(self):
        """True for a cluster or a multi-replica strategy: input functions must return a Dataset."""
        return self.cluster.is_distributed or self.distribute != "none"

    def input_params(self, *, training):
        """What the input functions get in `params` to shard their data: `worker_index` (0 for
        the chief, i + 1 for worker i) and `num_workers` (chief + workers). Evaluation reads
        the whole evaluation input: 0 of 1.
        """
        index = self.cluster.trainer_index
        if not training or index is None:
            return {"worker_index": 0, "num_workers": 1}
        return {"worker_index": index, "num_workers": self.cluster.num_trainers}

    def strategy(self):
        """A new tf.distribute strategy for Estimator's `train_distribute`, or None."""
        build = STRATEGIES[self.distribute].build
        if build is None or self.role not in (cluster_lib.CHIEF, cluster_lib.WORKER):
            return None
        return build(self.cluster, self.devices)

    def describe(self):
        """One line for the log."""
        steps = ("until the training input ends" if self.max_steps is None else
                 f"max_steps {self.max_steps} = ceil(train_max_steps {self.train_max_steps} / "
                 f"{self.replicas} replica(s))")
        where = self.cluster.name if self.cluster.is_distributed else "one process"
        return f"distribute {self.distribute} ({STRATEGIES[self.distribute].doc}) | {where} | {steps}"


def choose(distribute, cluster, devices):
    """The `STRATEGIES` key for the parameter value `distribute` (`auto` decided here).

    Raises:
      ParamsError: an unknown value, or one the cluster cannot run (e.g. parameter_server
        without ps tasks); the message names the value, the cluster and the fix.
    """
    if distribute == AUTO:
        if cluster.num_ps:
            return "parameter_server"
        if cluster.num_trainers > 1:
            return "multi_worker_mirrored"
        return "mirrored" if len(devices.gpus) > 1 else "none"
    if distribute not in STRATEGIES:
        raise ParamsError(f"`distribute` is {distribute!r}; choose one of: {', '.join(CHOICES)}.")
    problem = STRATEGIES[distribute].check(cluster)
    if problem:
        shape = ", ".join(f"{job}={len(a)}" for job, a in cluster.jobs.items()) or "no cluster"
        raise ParamsError(
            f"`distribute` is {distribute!r}, but {problem} (TF_CONFIG: {shape}). Set distribute to "
            f"`auto` or to the strategy matching the cluster ({', '.join(STRATEGIES)}).")
    return distribute


def estimator_max_steps(train_max_steps, replicas):
    """Estimator's max_steps for a total of `train_max_steps` replica steps (None stays None)."""
    if train_max_steps is None:
        return None
    return max(1, math.ceil(train_max_steps / replicas))


def plan(distribute, cluster, devices, *, train_max_steps):
    """The `Plan` of this task. Raises ParamsError as `choose` does."""
    name = choose(distribute, cluster, devices)
    replicas = STRATEGIES[name].replicas(cluster, devices)
    return Plan(distribute=name, cluster=cluster, devices=devices, replicas=replicas,
                max_steps=estimator_max_steps(train_max_steps, replicas),
                train_max_steps=train_max_steps)


def local_devices():
    """This machine's logical GPUs and CPUs (imports TensorFlow).

    Counted from the physical devices and their logical configuration, without starting
    TensorFlow's runtime: MultiWorkerMirroredStrategy must configure it first.
    """
    import tensorflow as tf

    def logical(kind):
        count = sum(len(tf.config.get_logical_device_configuration(device) or [None])
                    for device in tf.config.list_physical_devices(kind))
        return tuple(f"/device:{kind}:{i}" for i in range(count))
    return Devices(gpus=logical("GPU"), cpus=logical("CPU") or Devices().cpus)
