"""modelmaker's own engine for one process, on tf.compat.v1 graph mode (TensorFlow 2.15 and later).

Plain functions over the user's model_fn and input functions: `train`, `evaluate`, `export_saved_model`,
`predict`, each building one graph for its phase. They accept EstimatorSpecs and receivers from
`modelmaker.estimator` and from tf.estimator alike.
"""

from modelmaker.engine.graph.evaluation import evaluate
from modelmaker.engine.graph.exporting import export_saved_model
from modelmaker.engine.graph.prediction import predict
from modelmaker.engine.graph.settings import RunSettings
from modelmaker.engine.graph.training import latest_step, train

__all__ = ["RunSettings", "evaluate", "export_saved_model", "latest_step", "predict", "train"]
