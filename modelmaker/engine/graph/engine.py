"""Provides `GraphEngine`: the `Engine` interface on modelmaker's own graph engine, for every plan: one
process (one replica, or with `distribute: mirrored` one replica per local device: `graph.distributed`),
and the trainer tasks of a cluster (`graph.between_graph`: `ParameterServers` under parameter_server,
`AllReduce` under multi_worker_mirrored; a chief alone under none or mirrored trains as one process).
In a cluster the chief trains only and the evaluator task evaluates, as with Estimator; the evaluator
builds no strategy.

Each method builds one graph for its phase with the `modelmaker.engine.graph` functions, on the
user's model_fn as every engine wraps it (`modelmaker.engine.adapters`: the contract checks, the
progress line, the batch counter of user-code errors). Training evaluates as Estimator's local
train_and_evaluate does: after a checkpoint save once `eval_throttle_secs` have passed since the
last evaluation (not after the save that starts a run), and once more at the end when the last
checkpoint was not evaluated; the after-evaluation controls follow each evaluation.

The `config` a model_fn receives is the engine's `RunSettings` (see `settings.py`).
"""

import tensorflow as tf

from modelmaker import logs
from modelmaker.engine import adapters, base, checkpoints, export as export_lib, failures, precheck, warm_start
from modelmaker.engine.graph import between_graph, evaluation, exporting, prediction, training
from modelmaker.engine.graph.settings import RunSettings
from modelmaker.engine.hooks.progress import StepCounter


def settings(params, model_dir, *, is_chief=True):
    """The `RunSettings` of a run's parameters: checkpoint and summary cadence, seed, and the session
    config Estimator uses by default (soft placement, one meta-optimizer pass); `is_chief` False for
    a cluster's workers (they write no summaries)."""
    from tensorflow.core.protobuf import rewriter_config_pb2
    rewrite = rewriter_config_pb2.RewriterConfig(meta_optimizer_iterations=rewriter_config_pb2.RewriterConfig.ONE)
    return RunSettings(
        save_checkpoints_steps=params["save_checkpoints_steps"],
        save_checkpoints_secs=None if params["save_checkpoints_steps"] else params["save_checkpoints_secs"],
        keep_checkpoint_max=params["keep_checkpoint_max"] or 0,
        save_summary_steps=params["save_summary_steps"] or 0,
        log_step_count_steps=None,  # the ProgressHook of hooks.assemble prints the progress lines
        tf_random_seed=params["random_seed"], model_dir=model_dir, is_chief=is_chief,
        session_config=tf.compat.v1.ConfigProto(
            allow_soft_placement=True, graph_options=tf.compat.v1.GraphOptions(rewrite_options=rewrite)))


class GraphEngine(base.Engine):
    """The `Engine` on `modelmaker.engine.graph`; see `modelmaker.engine.base.Engine` for the contract.

    It runs every plan. A bad warm start source fails at construction, as with Estimator.
    """

    name = "modelmaker"
    built = "modelmaker's graph engine"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings(self.params, self.model_dir, is_chief=not self.plan or self.plan.cluster.is_chief)
        self._warm_start = warm_start.source(self.params, self.model_dir, log=logs.info)
        self._between = None

    def _model_fn(self, wrap=None):
        checked = adapters.model_fn(self.user, progress_every=self.params["log_step_count_steps"],
                                    max_steps=self.max_steps, log=logs.info, checkpoint_hook=False)
        return wrap(checked) if wrap else checked

    def _common(self):
        return dict(model_dir=self.model_dir, params=self.params.as_dict(), settings=self.settings)

    def check_serving_graph(self):
        precheck.serving_graph(self.user, self.params, config=self.settings, model_dir=self.model_dir)

    def train_and_evaluate(self, *, max_steps, hooks=(), listeners=(), eval_hooks=(), after_evaluation=()):
        if self.plan and self.plan.cluster.is_distributed:  # as Estimator's: the evaluator task evaluates
            self.train(max_steps=max_steps, hooks=hooks, listeners=listeners)
            return None
        evaluations = EvaluateAfterSave(self, throttle_secs=self.params["eval_throttle_secs"],
                                        hooks=eval_hooks, after_evaluation=after_evaluation)
        self.train(max_steps=max_steps, hooks=hooks, listeners=(*listeners, evaluations))
        return evaluations.metrics

    def train(self, *, max_steps, hooks=(), listeners=()):
        counter = StepCounter()
        with failures.translated(self.model_dir, counter):
            training.train(self._model_fn(), self.input_fn(training=True), max_steps=max_steps,
                           hooks=[*hooks, counter], saving_listeners=list(listeners),
                           warm_start_from=self._warm_start, strategy=self._strategy(),
                           between_graph=self._between_graph(), **self._common())

    def _strategy(self):
        """The plan's in-graph strategy (mirrored), or None: one replica."""
        return self.plan.strategy() if self.plan and self.plan.distribute == "mirrored" else None

    def _between_graph(self):
        """This trainer task's server, sessions and placement under parameter_server or
        multi_worker_mirrored (made once: one server per process), or None."""
        if self._between is None and self.plan:
            cluster, distribute = self.plan.cluster, self.plan.distribute
            if distribute == "parameter_server":
                self._between = between_graph.ParameterServers(cluster, log=logs.info)
            elif distribute == "multi_worker_mirrored":
                self._between = between_graph.AllReduce(cluster, gpus=len(self.plan.devices.gpus), log=logs.info)
        return self._between

    def evaluate(self, *, checkpoint=None, steps=base.EVAL_STEPS, hooks=()):
        steps = self.params["eval_steps"] if steps is base.EVAL_STEPS else steps
        return evaluation.evaluate(self._model_fn(), self.input_fn(training=False), steps=steps,
                                   checkpoint_path=checkpoint, hooks=list(hooks), **self._common())

    def export(self, base, *, checkpoint, global_step, before_publish=None):
        receiver_fn = adapters.serving_input_receiver_fn(self.user)

        def write(staging):
            return exporting.export_saved_model(self._model_fn(), receiver_fn, export_dir_base=staging,
                                                checkpoint_path=checkpoint, **self._common())
        return export_lib.export(write, base=base, checkpoint_path=checkpoint, global_step=global_step,
                                 user_module=self.user, before_publish=before_publish)

    def predict(self, input_fn, *, checkpoint=None, wrap=None):
        return prediction.predict(self._model_fn(wrap), input_fn, checkpoint_path=checkpoint,
                                  yield_single_examples=False, **self._common())


class EvaluateAfterSave(tf.compat.v1.train.CheckpointSaverListener):
    """Evaluates the newest checkpoint after a save, at most every `throttle_secs` (the save that
    starts a run is skipped), and at the end unless the last step was evaluated; then calls each of
    `after_evaluation` with (metrics, checkpoint path). `metrics`: the last evaluation's, or None."""

    def __init__(self, engine, *, throttle_secs, hooks=(), after_evaluation=()):
        self._engine = engine
        self._throttle_secs = throttle_secs
        self._hooks = tuple(hooks)
        self._after = tuple(after_evaluation)
        self.metrics = None

    def begin(self):
        self._timer = tf.compat.v1.train.SecondOrStepTimer(every_secs=self._throttle_secs)
        self._first = True
        self._evaluated = None  # the checkpoint evaluated last

    def after_save(self, session, global_step_value):
        if self._first:  # the save at the start: nothing trained yet
            self._first = False
            return
        if self._timer.should_trigger_for_step(global_step_value):
            self._evaluate(global_step_value)

    def end(self, session, global_step_value):
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)

    def _evaluate(self, global_step_value):
        self._timer.update_last_triggered_step(global_step_value)
        checkpoint = checkpoints.latest(self._engine.model_dir)
        if checkpoint is None or checkpoint == self._evaluated:
            return
        self._evaluated = checkpoint
        self.metrics = self._engine.evaluate(checkpoint=checkpoint, hooks=self._hooks)
        for control in self._after:
            control(self.metrics, checkpoint)
