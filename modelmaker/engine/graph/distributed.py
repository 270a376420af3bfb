"""In-graph replication for `training.train`: the model_fn once per replica of a tf.compat.v1
`MirroredStrategy`, as Estimator's distributed training builds it.

The strategy's scope stays open for the whole run (variables, the saver and the session are made
in it). Each replica reads its own batches from the input function's Dataset (one batch per
replica per global step: a global step is one all-reduce over the replicas), runs the model_fn,
and the strategy groups the train ops. The hooks and scaffold of the first replica stand for all of them.
Evaluation, export and prediction run one replica, as Estimator's.

Loss scaling, as Estimator's: the all-reduce sums the replicas' gradients, so a tf.compat.v1 optimizer
is told (the strategy's `_scale_loss_for_estimator_enabled`, TensorFlow's switch for Estimator) to
scale a mean loss by 1 / replicas: each step applies the mean gradient of all the replicas' batches,
not their sum. The loss reported (logs, summaries) is then the replicas' mean; a loss the optimizer
did not scale (a SUM reduction) is reported as their sum.
"""

import contextlib

import tensorflow as tf

from modelmaker.engine.graph import calls
from modelmaker.estimator import EstimatorSpec, ModeKeys

_v1 = tf.compat.v1
GLOBAL_STEP_READ_KEY = "global_step_read_op_cache"  # tensorflow/python/training/training_util.py


class IteratorInitializerHook(_v1.train.SessionRunHook):
    """Initializes a distributed input iterator in every session the hook runs in."""

    def __init__(self, iterator):
        self._iterator = iterator

    def begin(self):
        self._initializer = self._iterator.initialize()

    def after_create_session(self, session, coord):
        session.run(self._initializer)


def train_spec(strategy, model_fn, input_fn, params, settings):
    """(global step, EstimatorSpec of the whole step, input hooks) for `training.train`, built under
    `strategy` (a tf.compat.v1.distribute strategy whose scope is open).

    Raises:
      ValueError: the input function returns no Dataset (each replica needs its own batches), or
        a model_fn that breaks the contract (see `calls`).
    """
    global_step = _v1.train.get_or_create_global_step()
    # The global step's read op, made here in cross-replica context (the stop hooks reuse it).
    _v1.add_to_collection(GLOBAL_STEP_READ_KEY, strategy.extended.read_var(global_step))
    iterator = strategy.make_input_fn_iterator(lambda context: _dataset(input_fn, params, settings))
    features, labels = calls.split(iterator.get_next())
    with _scaled_losses(strategy):
        grouped = strategy.extended.call_for_each_replica(
            lambda f, l: calls.model_spec(model_fn, f, l, ModeKeys.TRAIN, params, settings), args=(features, labels))
    scaled = getattr(_v1.get_default_graph(), "_is_loss_scaled_by_optimizer", False)
    loss = strategy.reduce(tf.distribute.ReduceOp.MEAN if scaled else tf.distribute.ReduceOp.SUM, grouped.loss,
                           axis=None)
    first = lambda values: [strategy.experimental_local_results(v)[0] for v in values]  # noqa: E731
    spec = EstimatorSpec(ModeKeys.TRAIN, loss=loss, train_op=strategy.group(grouped.train_op),
                         training_hooks=first(grouped.training_hooks),
                         training_chief_hooks=first(grouped.training_chief_hooks),
                         scaffold=strategy.experimental_local_results(grouped.scaffold)[0])
    return global_step, spec, [IteratorInitializerHook(iterator)]


def _scaled_losses(strategy):
    """The strategy's switch that makes tf.compat.v1 optimizers scale a mean loss by 1 / replicas
    (TensorFlow 2.15 to 2.21 have it; without it, nothing is scaled)."""
    switch = getattr(strategy, "_scale_loss_for_estimator_enabled", None)
    return switch() if switch else contextlib.nullcontext()


def _dataset(input_fn, params, settings):
    result = calls.call_input_fn(input_fn, ModeKeys.TRAIN, params, settings)
    if not isinstance(result, tf.data.Dataset):
        raise ValueError(f"input_fn must return a tf.data.Dataset under a distribute strategy (each replica reads "
                         f"its own batches), got a {type(result).__name__}.")
    return result
