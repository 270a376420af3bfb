"""How the engine calls the user's functions: input_fn into (features, labels), model_fn into a checked spec.

Arguments are passed by name, as Estimator passes them: `params`, `mode` and `config` to whichever
function declares them, `labels` to a model_fn that takes them.
"""

import inspect

import tensorflow as tf

from modelmaker.engine.estimator.real import is_real_estimator_object
from modelmaker.estimator import EstimatorSpec, ModeKeys, export, metrics

_v1 = tf.compat.v1
_RECEIVERS = (export.ServingInputReceiver, export.TensorServingInputReceiver)


class IteratorInitializerHook(_v1.train.SessionRunHook):
    """Initializes a dataset iterator in every session the hook runs in (so evaluation starts at the top)."""

    def __init__(self, iterator):
        self._iterator = iterator

    def begin(self):
        self._initializer = self._iterator.initializer

    def after_create_session(self, session, coord):
        session.run(self._initializer)


def _arguments(fn):
    return set(inspect.signature(fn).parameters)


def _named(fn, available):
    """The entries of `available` that `fn` declares."""
    names = _arguments(fn)
    return {k: v for k, v in available.items() if k in names}


def call_input_fn(input_fn, mode, params, config=None):
    """What `input_fn` returns, called on the CPU with the arguments it declares."""
    with tf.device("/cpu:0"):
        return input_fn(**_named(input_fn, {"params": params, "mode": mode, "config": config}))


def split(result):
    """(features, labels) of an input: a (features, labels) pair, or features alone (labels None)."""
    if isinstance(result, (tuple, list)):
        if len(result) != 2:
            raise ValueError(f"input_fn must give features or (features, labels), got a {type(result).__name__} "
                             f"of {len(result)} elements.")
        return result[0], result[1]
    return result, None


def input_tensors(input_fn, mode, params, config=None):
    """(features, labels, hooks) from `input_fn`: a Dataset, or a (features, labels) tuple or features.

    A Dataset is read through an initializable iterator (its hook initializes it); its elements, as
    a direct return, are `(features, labels)` or features alone (labels None).
    """
    result = call_input_fn(input_fn, mode, params, config)
    hooks = []
    if isinstance(result, tf.data.Dataset):
        iterator = _v1.data.make_initializable_iterator(result)
        hooks.append(IteratorInitializerHook(iterator))
        result = iterator.get_next()
    return (*split(result), hooks)


def is_spec(value):
    """True for modelmaker's EstimatorSpec and tf.estimator's (where tensorflow-estimator imports)."""
    return isinstance(value, EstimatorSpec) or is_real_estimator_object(value, "EstimatorSpec")


def is_receiver(value):
    """True for a ServingInputReceiver or TensorServingInputReceiver, modelmaker's or tf.estimator's."""
    return isinstance(value, _RECEIVERS) or is_real_estimator_object(value, *(r.__name__ for r in _RECEIVERS))


def model_spec(model_fn, features, labels, mode, params, config=None):
    """The checked EstimatorSpec that `model_fn` returns for `mode`.

    Raises:
      ValueError: model_fn lacks a `features` argument, takes no labels though input_fn gives some,
        or returns something other than an EstimatorSpec.
    """
    names = _arguments(model_fn)
    if "features" not in names:
        raise ValueError(f"model_fn {model_fn.__name__} must take a `features` argument; it takes {sorted(names)}.")
    kwargs = _named(model_fn, {"mode": mode, "params": params, "config": config})
    if "labels" in names:
        kwargs["labels"] = labels
    elif labels is not None and mode != ModeKeys.PREDICT:
        raise ValueError(f"model_fn {model_fn.__name__} takes no `labels`, but input_fn gives labels: "
                         "add a labels argument, or return features only.")
    spec = model_fn(features=features, **kwargs)
    if not is_spec(spec):
        raise ValueError(f"model_fn {model_fn.__name__} must return a tf.estimator.EstimatorSpec in mode "
                         f"{mode!r}, got {type(spec).__name__}.")
    return spec


def metric_pairs(spec):
    """`spec.eval_metric_ops` as (value, update_op) pairs (tf.estimator's spec already converts Metrics)."""
    return metrics.check(dict(spec.eval_metric_ops or {}))
