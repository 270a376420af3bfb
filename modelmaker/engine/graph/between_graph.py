"""Between-graph replication for `training.train`, the way TF1 cluster jobs trained: each trainer task
(chief, workers) builds its own graph and runs it in a session on its own `tf.distribute.Server`
(`TrainerTask`). Two ways to keep the trainers' variables together:

`ParameterServers` (`distribute: parameter_server`): the variables live on the ps tasks
(`replica_device_setter`); updates are asynchronous: the global step advances once per trainer batch.
The chief initialises or restores the variables and saves the checkpoints (its chief-only hooks);
a worker waits for it. TensorFlow's worker session waits 30 s between its checks that the chief is
ready, so in a short job a worker may join only after the chief has finished: here a worker checks
every `POLL_SECS`, writes `<model_dir>/modelmaker_joined.worker_<i>.json` once its session is ready,
and the chief waits for every worker's (at most `JOIN_WAIT_SECS`) before its first step.
The ps tasks serve until the chief and workers are done (`modelmaker.cluster.roles.serve_ps`).

`AllReduce` (`distribute: multi_worker_mirrored`): every trainer holds a copy of the variables and
one global step is one collective all-reduce of the gradients over every replica of every trainer
(a tf.compat.v1 `MultiWorkerMirroredStrategy` built in graph mode, so that it starts no server of
its own: `graph.distributed` replicates the model_fn under it). Each trainer initialises its own
copy (the chief's initial values are broadcast in the initialisers) or restores the newest
checkpoint; only the chief saves checkpoints and summaries, a worker writes nothing to model_dir.
"""

import os
import time

import tensorflow as tf
from tensorflow.python.training import session_manager

from modelmaker import layout, records
from modelmaker.cluster import roles

_v1 = tf.compat.v1
POLL_SECS = 1  # between a worker's checks that the chief has initialised the variables
JOIN_WAIT_SECS = 120  # the longest the chief waits for the workers to join before its first step


class PollingWorkerSessionCreator(_v1.train.WorkerSessionCreator):
    """A WorkerSessionCreator whose session manager checks every POLL_SECS (not 30 s) for the chief."""

    def _get_session_manager(self):
        if self._session_manager is None:
            scaffold = self._scaffold
            self._session_manager = session_manager.SessionManager(
                local_init_op=scaffold.local_init_op, local_init_feed_dict=scaffold.local_init_feed_dict,
                ready_op=scaffold.ready_op, ready_for_local_init_op=scaffold.ready_for_local_init_op,
                graph=tf.compat.v1.get_default_graph(), recovery_wait_secs=POLL_SECS)
        return self._session_manager


class OwnSteps(_v1.train.SessionRunHook):
    """Says at the end how many training steps this task ran itself (the global step counts every
    trainer's): `worker/0 ran 812 training steps (asynchronous with the other trainers)`."""

    def __init__(self, task, log):
        self._task, self._log, self.steps = task, log, 0

    def after_run(self, run_context, run_values):
        self.steps += 1

    def end(self, session):
        self._log(f"{self._task} ran {self.steps} training steps (asynchronous with the other trainers)")


class Joining(_v1.train.SessionRunHook):
    """A worker's: writes its joined-marker once its session is ready. The chief's: waits until
    every worker has written one since this run started (or JOIN_WAIT_SECS have passed)."""

    def __init__(self, model_dir, *, task, workers, log, clock=time.time, sleep=time.sleep):
        self._model_dir, self._task, self._workers, self._log = model_dir, task, tuple(workers), log
        self._clock, self._sleep = clock, sleep
        self._started = clock()

    def _path(self, task):
        return os.path.join(self._model_dir, layout.joined_marker(task))

    def _joined(self, task):
        marker = records.read_json(self._path(task))
        return bool(marker) and marker.get("time", 0) >= self._started

    def after_create_session(self, session, coord):
        if not self._workers:  # a worker
            records.write_json(self._path(self._task), {"time": self._clock()})
            return
        waiting = [w for w in self._workers if not self._joined(w)]
        if waiting:
            self._log(f"waiting up to {JOIN_WAIT_SECS}s for {', '.join(waiting)} to join before the first step")
        end = self._clock() + JOIN_WAIT_SECS
        while waiting and self._clock() < end:
            self._sleep(0.2)
            waiting = [w for w in waiting if not self._joined(w)]
        if waiting:
            self._log(f"going on without {', '.join(waiting)}: not joined after {JOIN_WAIT_SECS}s")


class TrainerTask:
    """This trainer task's server and sessions (made once per process: one server per task).

    Args:
      cluster: this task's `modelmaker.cluster.tf_config.Cluster` (chief or worker).
      log: a callable taking one line.
      server_config: the ConfigProto of the server's sessions (None: TensorFlow's default).
    """

    def __init__(self, cluster, *, log, server_config=None):
        self.task = cluster.name
        self.log = log
        self.marker = roles.marker_name(cluster)
        self.spec = tf.train.ClusterSpec(cluster.tf_config()["cluster"])
        self.is_chief = cluster.is_chief
        self.device = f"/job:{cluster.task_type}/task:{cluster.task_index}"
        self.server = tf.distribute.Server(self.spec, job_name=cluster.task_type, task_index=cluster.task_index,
                                           protocol="grpc", config=server_config, start=True)

    def device_fn(self):
        """Where the graph's ops go (a device function for tf.device), or None: the defaults."""
        return None

    def strategy(self):
        """A new tf.compat.v1.distribute strategy to replicate the model_fn over, or None."""
        return None


class ParameterServers(TrainerTask):
    """`distribute: parameter_server`: variables on the ps tasks, asynchronous updates (see the module)."""

    def __init__(self, cluster, *, log):
        super().__init__(cluster, log=log)
        self.workers = roles.ps_watch_list(cluster) if cluster.is_chief else []  # the workers' marker names

    def device_fn(self):
        """Places variables on the ps tasks (round robin) and the rest on this task."""
        return _v1.train.replica_device_setter(worker_device=self.device, cluster=self.spec)

    def session_config(self, config):
        """`config` talking only to the ps tasks and this task (not to the other trainers)."""
        filtered = _v1.ConfigProto()
        if config is not None:
            filtered.CopyFrom(config)
        filtered.device_filters.extend(["/job:ps", self.device])
        return filtered

    def session(self, *, scaffold, hooks, chief_only_hooks, config, **chief_kwargs):
        """A MonitoredTrainingSession on this task's server: the chief's with its chief-only hooks and
        `chief_kwargs` (checkpoint_dir, summaries, ...); a worker's with `hooks` only."""
        config = self.session_config(config)
        hooks = [*hooks, OwnSteps(self.task, self.log),
                 Joining(chief_kwargs["checkpoint_dir"], task=self.marker, workers=self.workers, log=self.log)]
        if self.is_chief:
            return _v1.train.MonitoredTrainingSession(
                master=self.server.target, is_chief=True, scaffold=scaffold, hooks=hooks,
                chief_only_hooks=chief_only_hooks, config=config, **chief_kwargs)
        creator = PollingWorkerSessionCreator(scaffold=scaffold, master=self.server.target, config=config)
        return _v1.train.MonitoredSession(session_creator=creator, hooks=hooks)


class AllReduce(TrainerTask):
    """`distribute: multi_worker_mirrored`: synchronous collective all-reduce (see the module).

    Args:
      cluster: this task's `Cluster` (chief or worker of a cluster without ps tasks).
      gpus: the local GPUs each trainer replicates over (0: one replica on the CPU).
      log: a callable taking one line.
    """

    def __init__(self, cluster, *, gpus=0, log):
        self._resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec(cluster.tf_config()["cluster"]), task_type=cluster.task_type,
            task_id=cluster.task_index, num_accelerators={"GPU": gpus} if gpus else None, rpc_layer="grpc")
        super().__init__(cluster, log=log, server_config=self.session_config(None))

    def strategy(self):
        # Built under a graph, the strategy neither configures the eager runtime nor starts a server
        # (this task's server serves its collectives); a new one per training graph.
        with tf.Graph().as_default():
            return _v1.distribute.experimental.MultiWorkerMirroredStrategy(cluster_resolver=self._resolver)

    def session_config(self, config):
        """`config` with the strategy's collective settings (group leader, this task only)."""
        updated = _v1.ConfigProto()
        if config is not None:
            updated.CopyFrom(config)
        self.strategy().configure(session_config=updated)
        return updated

    def session(self, *, scaffold, hooks, chief_only_hooks, config, **chief_kwargs):
        """The chief's MonitoredTrainingSession with its chief-only hooks and `chief_kwargs`; a worker's
        session initialises its own copy of the variables, or restores the newest checkpoint (the
        chief's, which the chief restores too), and writes nothing."""
        config = self.session_config(config)
        if self.is_chief:
            return _v1.train.MonitoredTrainingSession(
                master=self.server.target, is_chief=True, scaffold=scaffold, hooks=hooks,
                chief_only_hooks=chief_only_hooks, config=config, **chief_kwargs)
        creator = _v1.train.ChiefSessionCreator(
            scaffold=scaffold, master=self.server.target, config=config,
            checkpoint_filename_with_path=tf.train.latest_checkpoint(chief_kwargs["checkpoint_dir"]))
        return _v1.train.MonitoredSession(session_creator=creator, hooks=hooks)
