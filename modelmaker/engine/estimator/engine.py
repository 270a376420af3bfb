"""Provides `EstimatorEngine`: the `Engine` interface on tf.estimator, the reference implementation.

Training runs `tf.estimator.train_and_evaluate` on an Estimator built for the task's plan
(cluster, strategy); evaluation, export and prediction use a one-process Estimator, whatever
TF_CONFIG says. The after-evaluation controls run as one Estimator exporter during training
and are called directly after an evaluation made here.
"""

import tensorflow as tf

from modelmaker import environment, logs
from modelmaker.cluster import tf_config as cluster_lib
from modelmaker.engine import adapters, base, export as export_lib, failures, precheck, warm_start
from modelmaker.engine.estimator import run_config, specs
from modelmaker.engine.hooks.progress import StepCounter


class EstimatorEngine(base.Engine):
    """The `Engine` on tf.estimator; see `modelmaker.engine.base.Engine` for the contract.

    A training task's Estimator is built at once, so that a bad warm start source fails here;
    the one-process Estimator of a cluster task is built when first needed.
    """

    name = "estimator"
    built = "Estimator, TrainSpec and EvalSpec"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        trains = self.plan is None or self.plan.role in (cluster_lib.CHIEF, cluster_lib.WORKER)
        self._trainer = self._estimator(self.plan) if trains else None
        self._local = self._trainer if trains and not (self.plan and self.plan.distributed) else None

    def _estimator(self, plan, wrap=None):
        """An Estimator for `plan` (None: one process); `wrap` is applied to the checked model_fn."""
        params = self.params
        max_steps = plan.max_steps if plan else params["train_max_steps"]
        model_fn = adapters.model_fn(self.user, progress_every=params["log_step_count_steps"],
                                     max_steps=max_steps, log=logs.info)
        warm = warm_start.source(params, self.model_dir, log=logs.info)
        return tf.estimator.Estimator(
            model_fn=wrap(model_fn) if wrap else model_fn, model_dir=self.model_dir,
            config=run_config.build(params, model_dir=self.model_dir, plan=plan),
            params=params.as_dict(),
            warm_start_from=tf.estimator.WarmStartSettings(*warm) if warm else None)

    @property
    def local(self):
        """The one-process Estimator (evaluation, export)."""
        if self._local is None:
            self._local = self._estimator(None)
        return self._local

    def check_serving_graph(self):
        precheck.serving_graph(self.user, self.params, config=self._trainer.config,
                               model_dir=self.model_dir)

    def train_and_evaluate(self, *, max_steps, hooks=(), listeners=(), eval_hooks=(), after_evaluation=()):
        counter = StepCounter()
        train_spec, eval_spec = specs.build(self, max_steps=max_steps, hooks=(*hooks, counter),
                                            listeners=listeners, eval_hooks=eval_hooks,
                                            after_evaluation=after_evaluation)
        with self._translated(counter):
            # TensorFlow's distribute coordinator reads TF_CONFIG itself: show it the checked one.
            with environment.tf_config_scope(self.plan.cluster):
                outcome = tf.estimator.train_and_evaluate(self._trainer, train_spec, eval_spec)
        return outcome[0] if outcome else None  # None on every task of a cluster

    def train(self, *, max_steps, hooks=(), listeners=()):
        counter = StepCounter()
        with self._translated(counter):
            self.local.train(self.input_fn(training=True), max_steps=max_steps,
                             hooks=[*hooks, counter], saving_listeners=list(listeners))

    def evaluate(self, *, checkpoint=None, steps=base.EVAL_STEPS, hooks=()):
        steps = self.params["eval_steps"] if steps is base.EVAL_STEPS else steps
        return self.local.evaluate(self.input_fn(training=False), steps=steps,
                                   hooks=list(hooks), checkpoint_path=checkpoint)

    def export(self, base, *, checkpoint, global_step, before_publish=None):
        receiver_fn = adapters.serving_input_receiver_fn(self.user)

        def write(staging):
            return self.local.export_saved_model(staging, receiver_fn, checkpoint_path=checkpoint)
        return export_lib.export(write, base=base, checkpoint_path=checkpoint, global_step=global_step,
                                 user_module=self.user, before_publish=before_publish)

    def predict(self, input_fn, *, checkpoint=None, wrap=None):
        estimator = self._estimator(None, wrap) if wrap else self.local
        return estimator.predict(input_fn, checkpoint_path=checkpoint, yield_single_examples=False)

    def _translated(self, counter):
        return failures.translated(self.model_dir, counter)
