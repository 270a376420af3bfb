"""`modelmaker.estimator.export`: the names of `tf.estimator.export`."""

from modelmaker.estimator.outputs import ClassificationOutput, ExportOutput, PredictOutput, RegressionOutput
from modelmaker.estimator.receivers import (ServingInputReceiver, TensorServingInputReceiver,
                                            build_parsing_serving_input_receiver_fn,
                                            build_raw_serving_input_receiver_fn)

__all__ = ["ClassificationOutput", "ExportOutput", "PredictOutput", "RegressionOutput", "ServingInputReceiver",
           "TensorServingInputReceiver", "build_parsing_serving_input_receiver_fn",
           "build_raw_serving_input_receiver_fn"]
