"""Between-graph replication for `training.train` (`distribute: parameter_server`), the way TF1 cluster
jobs trained: each trainer task (chief, workers) builds its own graph, with the variables placed on the
ps tasks (`replica_device_setter`), and runs it in a session on its own `tf.distribute.Server`. Updates
are asynchronous: the global step advances once per trainer batch.

The chief initialises or restores the variables and saves the checkpoints (its chief-only hooks);
a worker waits for it. TensorFlow's worker session waits 30 s between its checks that the chief is
ready, so in a short job a worker may join only after the chief has finished: here a worker checks
every `POLL_SECS`, writes `<model_dir>/modelmaker_joined.worker_<i>.json` once its session is ready,
and the chief waits for every worker's (at most `JOIN_WAIT_SECS`) before its first step.
The ps tasks serve until the chief and workers are done (`modelmaker.cluster.roles.serve_ps`).
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


class BetweenGraph:
    """This trainer task's server, device placement and sessions.

    Args:
      cluster: this task's `modelmaker.cluster.tf_config.Cluster` (chief or worker, with ps tasks).
      log: a callable taking one line (the end-of-training line of `OwnSteps`).
    """

    def __init__(self, cluster, *, log):
        self.task = cluster.name
        self.log = log
        self.marker = roles.marker_name(cluster)
        self.workers = roles.ps_watch_list(cluster) if cluster.is_chief else []  # the workers' marker names
        self.spec = tf.train.ClusterSpec(cluster.tf_config()["cluster"])
        self.is_chief = cluster.is_chief
        self.device = f"/job:{cluster.task_type}/task:{cluster.task_index}"
        self.server = tf.distribute.Server(self.spec, job_name=cluster.task_type, task_index=cluster.task_index,
                                           protocol="grpc", start=True)

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
