"""modelmaker.estimator validates as tf.estimator does: the same inputs are accepted and rejected.

Each case builds the arguments in a fresh graph and constructs the object with modelmaker's class; where
tensorflow-estimator imports (TF <= 2.15) the same case also goes through tf.estimator's class and must
end the same way (accepted, or the same exception type).
"""

import pytest
import tensorflow as tf

from modelmaker import estimator as mm
from modelmaker.engine.estimator import real

_v1 = tf.compat.v1
TRAIN, EVAL, PREDICT = mm.ModeKeys.TRAIN, mm.ModeKeys.EVAL, mm.ModeKeys.PREDICT


def _real():
    return real.api()


needs_estimator = pytest.mark.estimator


def _tensors():
    x = _v1.placeholder(tf.float32, [None, 4], name="x")
    w = _v1.get_variable("w", [4, 1])
    y = tf.matmul(x, w)
    loss = tf.reduce_mean(y)
    return x, y, loss, _v1.train.GradientDescentOptimizer(0.1).minimize(loss)


def _other_graph_tensor():
    with tf.Graph().as_default():
        return tf.constant(1.0)


SPEC_CASES = {
    "train ok": lambda e, x, y, loss, op: e.EstimatorSpec(TRAIN, loss=loss, train_op=op),
    "train without train_op": lambda e, x, y, loss, op: e.EstimatorSpec(TRAIN, loss=loss),
    "train without loss": lambda e, x, y, loss, op: e.EstimatorSpec(TRAIN, train_op=op),
    "loss not scalar": lambda e, x, y, loss, op: e.EstimatorSpec(EVAL, loss=tf.ones([2])),
    "loss of shape [1]": lambda e, x, y, loss, op: e.EstimatorSpec(EVAL, loss=tf.reshape(loss, [1])),
    "loss not a tensor": lambda e, x, y, loss, op: e.EstimatorSpec(EVAL, loss=1.0),
    "loss from another graph": lambda e, x, y, loss, op: e.EstimatorSpec(EVAL, loss=_other_graph_tensor()),
    "predict without predictions": lambda e, x, y, loss, op: e.EstimatorSpec(PREDICT),
    "predictions not tensors": lambda e, x, y, loss, op: e.EstimatorSpec(PREDICT, predictions={"y": 1}),
    "export_outputs not a dict": lambda e, x, y, loss, op: e.EstimatorSpec(
        PREDICT, predictions=y, export_outputs=[e.export.PredictOutput(y)]),
    "export_outputs value not an output": lambda e, x, y, loss, op: e.EstimatorSpec(
        PREDICT, predictions=y, export_outputs={"a": y}),
    "two heads without default": lambda e, x, y, loss, op: e.EstimatorSpec(
        PREDICT, predictions=y, export_outputs={"a": e.export.PredictOutput(y), "b": e.export.PredictOutput(y)}),
    "hook not a hook": lambda e, x, y, loss, op: e.EstimatorSpec(TRAIN, loss=loss, train_op=op,
                                                                 training_hooks=[object()]),
    "scaffold not a scaffold": lambda e, x, y, loss, op: e.EstimatorSpec(TRAIN, loss=loss, train_op=op,
                                                                         scaffold=object()),
    "metric not a pair": lambda e, x, y, loss, op: e.EstimatorSpec(EVAL, loss=loss,
                                                                   eval_metric_ops={"m": (loss,)}),
    "metrics not a dict": lambda e, x, y, loss, op: e.EstimatorSpec(EVAL, loss=loss, eval_metric_ops=[loss]),
    "metric pair": lambda e, x, y, loss, op: e.EstimatorSpec(EVAL, loss=loss,
                                                             eval_metric_ops={"m": _v1.metrics.mean(loss)}),
    "keras metric never updated": lambda e, x, y, loss, op: e.EstimatorSpec(
        EVAL, loss=loss, eval_metric_ops={"m": tf.keras.metrics.Mean()}),
    "keras metric ok": lambda e, x, y, loss, op: e.EstimatorSpec(
        EVAL, loss=loss, eval_metric_ops={"m": _updated(tf.keras.metrics.Mean(), loss)}),
}


def _updated(metric, value):
    metric.update_state(value)
    return metric


def _outcome(case, namespace):
    with tf.Graph().as_default():
        try:
            case(namespace, *_tensors())
        except (TypeError, ValueError) as error:
            return type(error)
    return "accepted"


@pytest.mark.parametrize("name", sorted(SPEC_CASES))
def test_spec_accepts_and_rejects_as_tf_estimator(name):
    ours = _outcome(SPEC_CASES[name], mm)
    expected_ok = name in ("train ok", "loss of shape [1]", "metric pair", "keras metric ok")
    assert (ours == "accepted") == expected_ok, (name, ours)


@needs_estimator
@pytest.mark.parametrize("name", sorted(SPEC_CASES))
def test_spec_case_ends_as_in_tf_estimator(name):
    assert _outcome(SPEC_CASES[name], mm) == _outcome(SPEC_CASES[name], _real()), name


def test_spec_defaults_export_outputs_and_reshapes_loss():
    with tf.Graph().as_default():
        x, y, loss, _ = _tensors()
        spec = mm.EstimatorSpec(PREDICT, predictions={"y": y})
        assert list(spec.export_outputs) == ["serving_default"]
        assert spec.export_outputs["serving_default"].outputs == {"y": y}
        one = mm.EstimatorSpec(PREDICT, predictions=y, export_outputs={"only": mm.export.PredictOutput(y)})
        assert sorted(one.export_outputs) == ["only", "serving_default"]
        assert mm.EstimatorSpec(EVAL, loss=tf.reshape(loss, [1])).loss.shape == []
        with pytest.raises(ValueError, match="cannot be changed"):
            spec._replace(mode=TRAIN)


RECEIVER_CASES = {
    "dict ok": lambda e, x, s: e.export.ServingInputReceiver({"x": x}, {"x": x}),
    "tensor features": lambda e, x, s: e.export.ServingInputReceiver(x, s),
    "int feature key": lambda e, x, s: e.export.ServingInputReceiver({1: x}, s),
    "int receiver key": lambda e, x, s: e.export.ServingInputReceiver(x, {1: s}),
    "features None": lambda e, x, s: e.export.ServingInputReceiver(None, s),
    "feature not a tensor": lambda e, x, s: e.export.ServingInputReceiver({"x": 1.0}, s),
    "alternatives not a dict": lambda e, x, s: e.export.ServingInputReceiver(x, s, [x]),
    "alternatives ok": lambda e, x, s: e.export.ServingInputReceiver(x, s, {"raw": x}),
    "tensor receiver ok": lambda e, x, s: e.export.TensorServingInputReceiver(x, s),
    "tensor receiver dict": lambda e, x, s: e.export.TensorServingInputReceiver({"x": x}, s),
    "classification int classes": lambda e, x, s: e.export.ClassificationOutput(classes=tf.cast(x, tf.int32)),
    "classification empty": lambda e, x, s: e.export.ClassificationOutput(),
    "classification ok": lambda e, x, s: e.export.ClassificationOutput(scores=x),
    "regression int": lambda e, x, s: e.export.RegressionOutput(tf.cast(x, tf.int32)),
    "predict int key": lambda e, x, s: e.export.PredictOutput({1: x}),
    "predict tuple key": lambda e, x, s: e.export.PredictOutput({("a", "b"): x}),
}


def _receiver_outcome(name, namespace):
    with tf.Graph().as_default():
        x, s = _v1.placeholder(tf.float32, [None, 4]), _v1.placeholder(tf.string, [None])
        try:
            RECEIVER_CASES[name](namespace, x, s)
        except (TypeError, ValueError) as error:
            return type(error)
        return "accepted"


@pytest.mark.parametrize("name", sorted(RECEIVER_CASES))
def test_receivers_and_outputs_check(name):
    ours = _receiver_outcome(name, mm)
    assert (ours == "accepted") == name.endswith(("ok", "tensor features", "int feature key",
                                                   "predict tuple key")), (name, ours)


@needs_estimator
@pytest.mark.parametrize("name", sorted(RECEIVER_CASES))
def test_receiver_case_ends_as_in_tf_estimator(name):
    assert _receiver_outcome(name, mm) == _receiver_outcome(name, _real()), name


def test_receiver_wraps_single_tensors_under_tf_estimators_names():
    with tf.Graph().as_default():
        x, s = _v1.placeholder(tf.float32, [None, 4]), _v1.placeholder(tf.string, [None])
        receiver = mm.export.ServingInputReceiver(x, s, {"raw": x})
        assert (list(receiver.features), list(receiver.receiver_tensors)) == (["feature"], ["input"])
        assert receiver.receiver_tensors_alternatives == {"raw": {"input": x}}
        assert mm.export.TensorServingInputReceiver(x, s).features is x
        assert list(mm.export.PredictOutput(x).outputs) == ["output"]


def test_builders_make_tf_estimators_placeholders():
    with tf.Graph().as_default():
        parsing = mm.export.build_parsing_serving_input_receiver_fn({"x": tf.io.FixedLenFeature([4], tf.float32)})()
        assert parsing.receiver_tensors["examples"].name == "input_example_tensor:0"
        assert parsing.features["x"].shape.as_list() == [None, 4]
        raw = mm.export.build_raw_serving_input_receiver_fn({"img": tf.zeros([8, 3, 2], name="img")}, 5)()
        assert raw.receiver_tensors["img"].shape.as_list() == [5, 3, 2]
        assert raw.features["img"] is raw.receiver_tensors["img"]


def test_hooks_are_tensorflows():
    assert mm.SessionRunHook is _v1.train.SessionRunHook and mm.StopAtStepHook is _v1.train.StopAtStepHook


def test_estimator_class_is_named_as_not_provided():
    with pytest.raises(AttributeError, match="modelmaker runs your model_fn itself"):
        mm.Estimator
    with pytest.raises(AttributeError, match="write a model_fn"):
        mm.DNNClassifier
