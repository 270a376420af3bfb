"""`EstimatorSpec`: what a model_fn returns, checked as tf.estimator checks it (the same conditions)."""

import collections

import tensorflow as tf

from modelmaker.estimator import metrics, outputs
from modelmaker.estimator.mode_keys import ModeKeys

_v1 = tf.compat.v1
_FIELDS = ["mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs",
           "training_chief_hooks", "training_hooks", "scaffold", "evaluation_hooks", "prediction_hooks"]
DEFAULT_SIGNATURE = tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY


def _in_default_graph(tensor, what):
    if not tf.executing_eagerly() and tensor.graph is not _v1.get_default_graph():
        raise ValueError(f"{what} ({tensor.name}) must be from the default graph: build every tensor of the "
                         "EstimatorSpec inside model_fn, not in a graph made elsewhere.")


def _tensor(value, what):
    if not isinstance(value, tf.Tensor):
        raise TypeError(f"{what} must be Tensor, given: {value!r}")
    _in_default_graph(value, what)
    return value


def _train_op(train_op, mode):
    if train_op is None:
        if mode == ModeKeys.TRAIN:
            raise ValueError("Missing train_op: a model_fn in TRAIN mode must return train_op "
                             "(e.g. optimizer.minimize(loss, global_step=tf.train.get_global_step())).")
        return None
    if isinstance(train_op, tf.Variable):
        train_op = train_op.op
    if not isinstance(train_op, (tf.Operation, tf.Tensor)):
        raise TypeError(f"train_op must be Operation or Tensor, given: {train_op!r}")
    _in_default_graph(train_op, "train_op")
    return train_op


def _loss(loss, mode):
    if loss is None:
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
            raise ValueError(f"Missing loss: a model_fn in {mode.upper()} mode must return a scalar loss.")
        return None
    loss = _tensor(loss, "loss")
    if loss.shape.num_elements() not in (None, 1):
        raise ValueError(f"Loss must be scalar, given: {loss} (reduce it, e.g. with tf.reduce_mean).")
    if not loss.shape.is_compatible_with(tf.TensorShape([])):
        loss = tf.reshape(loss, [])
    return loss


def _predictions(predictions, mode):
    if predictions is None:
        if mode == ModeKeys.PREDICT:
            raise ValueError("Missing predictions: a model_fn in PREDICT mode must return predictions.")
        return {}
    if isinstance(predictions, dict):
        return {k: _tensor(v, f"predictions[{k}]") for k, v in predictions.items()}
    return _tensor(predictions, "predictions")


def _export_outputs(export_outputs, predictions, mode):
    if mode != ModeKeys.PREDICT:
        return export_outputs
    if export_outputs is None:
        export_outputs = {DEFAULT_SIGNATURE: outputs.PredictOutput(predictions)}
    if not isinstance(export_outputs, dict):
        raise TypeError(f"export_outputs must be dict, given: {export_outputs!r}")
    for key, value in export_outputs.items():
        if not outputs.is_export_output(value):
            raise TypeError(f"Values in export_outputs must be ExportOutput objects (PredictOutput, "
                            f"ClassificationOutput, RegressionOutput), given: {value!r} for key {key!r}")
    export_outputs = dict(export_outputs)
    if len(export_outputs) == 1:
        export_outputs.setdefault(DEFAULT_SIGNATURE, next(iter(export_outputs.values())))
    elif DEFAULT_SIGNATURE not in export_outputs:
        raise ValueError(f"Multiple export_outputs were provided ({sorted(export_outputs)}), but none of them "
                         f"is the default: name one of them {DEFAULT_SIGNATURE!r} "
                         "(tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY).")
    return export_outputs


def _hooks(hooks, what):
    hooks = tuple(hooks or ())
    for hook in hooks:
        if not isinstance(hook, _v1.train.SessionRunHook):
            raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook!r} in {what}")
    return hooks


def _scaffold(scaffold):
    scaffold = scaffold or _v1.train.Scaffold()
    if not isinstance(scaffold, _v1.train.Scaffold):
        raise TypeError(f"scaffold must be tf.train.Scaffold. Given: {scaffold!r}")
    return scaffold


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _FIELDS)):
    """Ops and objects a model_fn returns; which are required depends on `mode`:

    TRAIN needs `loss` and `train_op`; EVAL needs `loss` (and may give `eval_metric_ops`: a dict of
    `(value, update_op)` pairs or Keras Metric objects); PREDICT needs `predictions` (a Tensor or a dict of
    them), and `export_outputs` defaults to {'serving_default': PredictOutput(predictions)}.
    """

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None,
                export_outputs=None, training_chief_hooks=None, training_hooks=None, scaffold=None,
                evaluation_hooks=None, prediction_hooks=None):
        predictions = _predictions(predictions, mode)
        return super().__new__(
            cls, mode=mode, predictions=predictions, loss=_loss(loss, mode), train_op=_train_op(train_op, mode),
            eval_metric_ops=metrics.check(eval_metric_ops),
            export_outputs=_export_outputs(export_outputs, predictions, mode),
            training_chief_hooks=_hooks(training_chief_hooks, "training_chief_hooks"),
            training_hooks=_hooks(training_hooks, "training_hooks"), scaffold=_scaffold(scaffold),
            evaluation_hooks=_hooks(evaluation_hooks, "evaluation_hooks"),
            prediction_hooks=_hooks(prediction_hooks, "prediction_hooks"))

    def _replace(self, **changes):
        if "mode" in changes and changes["mode"] != self.mode:
            raise ValueError("mode of EstimatorSpec cannot be changed.")
        return EstimatorSpec(**{**self._asdict(), **changes})
