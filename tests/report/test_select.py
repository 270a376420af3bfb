"""Finding labels, predictions and probabilities in a model's outputs."""

import numpy as np
import pytest

from modelmaker import config as params_lib
from modelmaker.errors import ParamsError, UserModuleError
from modelmaker.report import select


def run_params(**values):
    return params_lib.resolve([params_lib.Layer("test", values)])


def pick(outputs, labels, **values):
    return select.select(outputs, labels, run_params(**values), origin="mod.py")


def test_class_id_and_probabilities_are_found_by_default():
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    arrays = pick({"class_id": np.array([[0], [1], [0]]), "probabilities": probs, "logits": probs},
                  np.array([0, 1, 1]))
    assert arrays.task == "classification"
    assert arrays.prediction_key == "class_id" and arrays.probability_key == "probabilities"
    assert arrays.predictions.tolist() == [0, 1, 0], "[N, 1] class ids are flattened"
    np.testing.assert_allclose(arrays.confidence, [0.8, 0.7, 0.6])
    assert arrays.num_classes == 2 and arrays.class_names == ["0", "1"]


def test_scores_under_predictions_become_classes_by_argmax():
    scores = np.array([[0.1, 0.9, 0.0], [0.7, 0.2, 0.1]], np.float32)
    arrays = pick({"predictions": scores}, np.array([1, 2]))
    assert arrays.task == "classification"
    assert arrays.predictions.tolist() == [1, 0]
    assert arrays.probability_key == "predictions" and arrays.num_classes == 3


def test_one_hot_labels_become_class_ids():
    arrays = pick({"classes": np.array([2, 0])}, np.array([[0, 0, 1], [0, 1, 0]], np.float32))
    assert arrays.labels.tolist() == [2, 1]


def test_text_classes_of_canned_estimators_and_class_names():
    arrays = pick({"classes": np.array([[b"2"], [b"0"]])}, np.array([2, 1]),
                  class_names=["cat", "dog", "bird"])
    assert arrays.predictions.tolist() == [2, 0] and arrays.class_names == ["cat", "dog", "bird"]
    named = pick({"classes": np.array([b"dog", b"cat"])}, np.array([b"dog", b"bird"]))
    assert named.class_names == ["bird", "cat", "dog"], "a vocabulary is built from the text"
    assert named.labels.tolist() == [2, 0] and named.predictions.tolist() == [2, 1]


def test_float_predictions_are_regression():
    arrays = pick({"predictions": np.array([[0.5], [1.5]], np.float32)}, np.array([0.4, 2.0]))
    assert arrays.task == "regression" and arrays.confidence is None
    assert arrays.predictions.shape == (2, 1) and arrays.labels.shape == (2, 1)


def test_task_can_be_forced():
    arrays = pick({"value": np.array([1.0, 2.0])}, np.array([1.0, 2.0]), report_task="classification")
    assert arrays.task == "classification" and arrays.predictions.tolist() == [1, 2]
    forced = pick({"class_id": np.array([1, 2])}, np.array([1, 3]), report_task="regression")
    assert forced.task == "regression"


def test_named_keys_and_their_errors():
    outputs = {"foo": np.array([1, 0]), "bar": np.array([0.2, 0.1])}
    with pytest.raises(UserModuleError, match="report_prediction_key") as e:
        pick(outputs, np.array([1, 0]))
    assert "bar, foo" in str(e.value), "the message lists what model_fn predicts"
    assert pick(outputs, np.array([1, 0]), report_prediction_key="foo").task == "classification"
    with pytest.raises(ParamsError, match="'nope'.*bar, foo"):
        pick(outputs, np.array([1, 0]), report_prediction_key="nope")
    with pytest.raises(ParamsError, match="report_probability_key"):
        pick({"class_id": np.array([1])}, np.array([1]), report_probability_key="probs")


def test_dict_labels_need_a_key_when_ambiguous():
    outputs = {"class_id": np.array([1, 0])}
    labels = {"digit": np.array([1, 1]), "parity": np.array([1, 0])}
    with pytest.raises(ParamsError, match="report_label_key"):
        pick(outputs, labels)
    assert pick(outputs, labels, report_label_key="parity").labels.tolist() == [1, 0]
    assert pick(outputs, {"only": np.array([0, 0])}).labels.tolist() == [0, 0]


def test_outputs_that_do_not_fit_are_explained():
    with pytest.raises(UserModuleError, match="not class ids.*report_task=regression"):
        pick({"class_id": np.array([1, 0])}, np.array([0.5, 1.0]))
    with pytest.raises(UserModuleError, match="same size"):
        pick({"predictions": np.zeros((2, 3), np.float32)}, np.array([[0.5, 1.0]] * 2))
    with pytest.raises(UserModuleError, match="one column per class"):
        pick({"class_id": np.array([4, 0]), "probabilities": np.full((2, 3), 1 / 3)}, np.array([1, 0]))
