"""`modelmaker.estimator`: the model_fn contract of tf.estimator, on every TensorFlow modelmaker runs on.

`EstimatorSpec`, `ModeKeys`, `export.*` (receivers, receiver_fn builders, export outputs) and the
SessionRunHook classes, laid out as in `tf.estimator` and checked under the same conditions. On TensorFlow
without tf.estimator (>= 2.16), `install()` provides this module as `tf.estimator`; where real tf.estimator
exists its objects are used as they are and modelmaker's engine accepts both.

The Estimator class itself, RunConfig, the train_and_evaluate specs and the canned estimators are not
here: modelmaker runs the model_fn itself, and asking for them says so in one line.
"""

from modelmaker.estimator import export
from modelmaker.estimator.hooks import *  # noqa: F401,F403  (the hook classes, as tf.estimator has them)
from modelmaker.estimator.hooks import __all__ as _HOOKS
from modelmaker.engine.estimator.real import has_real_estimator
from modelmaker.estimator.install import install
from modelmaker.estimator.mode_keys import ModeKeys
from modelmaker.estimator.spec import EstimatorSpec

__all__ = ["EstimatorSpec", "ModeKeys", "export", "install", "has_real_estimator", *_HOOKS]

# What tf.estimator had beyond the model_fn contract, and what to do instead.
_RUNNER = ("modelmaker runs your model_fn itself: give it model_fn, the input functions and "
           "serving_input_receiver_fn (python -m modelmaker.train --user_module ...)")
_CANNED = "write a model_fn (tf.layers / tf.compat.v1 ops) and return an EstimatorSpec"
_NOT_PROVIDED = {
    **dict.fromkeys(["Estimator", "RunConfig", "TrainSpec", "EvalSpec", "train_and_evaluate", "Exporter",
                     "LatestExporter", "BestExporter", "FinalExporter", "WarmStartSettings", "VocabInfo",
                     "inputs", "experimental", "add_metrics", "classifier_parse_example_spec",
                     "regressor_parse_example_spec"], _RUNNER),
    **dict.fromkeys(["DNNClassifier", "DNNRegressor", "LinearClassifier", "LinearRegressor",
                     "DNNLinearCombinedClassifier", "DNNLinearCombinedRegressor", "BoostedTreesClassifier",
                     "BoostedTreesRegressor", "BaselineClassifier", "BaselineRegressor", "Head",
                     "MultiClassHead", "BinaryClassHead", "RegressionHead", "MultiHead"], _CANNED),
}


def __getattr__(name):
    if name in _NOT_PROVIDED:
        raise AttributeError(f"tf.estimator.{name} is not available: tf.estimator was removed in TensorFlow 2.16 "
                             f"and modelmaker provides only the model_fn contract; {_NOT_PROVIDED[name]}.")
    raise AttributeError(f"module 'tf.estimator' (modelmaker.estimator) has no attribute {name!r}")
