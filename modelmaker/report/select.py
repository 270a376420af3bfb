"""Provides `select`: find the labels, predictions and probabilities in a model's outputs.

Defaults (each overridable by a reserved parameter):
  prediction: `report_prediction_key`, else the first of PREDICTION_KEYS present, else the
    only output.
  probabilities: `report_probability_key`, else `probabilities` when present.
  labels: the label tensor; for dict labels `report_label_key`, else the only key, else the
    key named like the prediction.
  class names: `class_names`, else those the input provides (`data_class_names`), else text
    labels' vocabulary, else the ids.
  task: `report_task`; "auto" means classification when the prediction is a class key
    (`class_id`, `classes`), has an integer or string type, or holds per-class scores
    [N, K > 1] next to class-id labels; regression otherwise.
"""

import dataclasses
import re
from typing import Optional

import numpy as np

from modelmaker.errors import ParamsError, UserModuleError

PREDICTION_KEYS = ("class_id", "classes", "predictions")
CLASS_KEYS = ("class_id", "classes")
PROBABILITY_KEY = "probabilities"
_DIGITS = re.compile(r"-?\d+")


@dataclasses.dataclass(frozen=True)
class Arrays:
    """Aligned per-sample arrays, ready for `analysis`.

    Classification: `labels`, `predictions` int [N]; `probabilities` float [N, K] or None;
    `confidence` float [N] (the probability of the predicted class) or None.
    Regression: `labels`, `predictions` float [N, D]; no probabilities or confidence.
    """

    task: str
    labels: np.ndarray
    predictions: np.ndarray
    probabilities: Optional[np.ndarray]
    confidence: Optional[np.ndarray]
    num_classes: int                  # 0 for regression
    class_names: Optional[list]
    prediction_key: str
    probability_key: Optional[str]


def select(outputs, labels, params, *, origin, data_class_names=None):
    """Picks and normalises the arrays the report needs.

    Args:
      outputs: model_fn's predictions by key (`Collected.outputs`).
      labels: an array, or a dict of arrays (`Collected.labels`).
      params: the `RunParams` (report_* keys).
      origin: the user module, for messages.
      data_class_names: class names the input provides (`Collected.class_names`), or None.

    Returns:
      An `Arrays`.

    Raises:
      ParamsError: a report_* key names an output that does not exist.
      UserModuleError: the outputs or labels do not fit a classification or regression report.
    """
    key = _prediction_key(outputs, params["report_prediction_key"], origin)
    prob_key = _probability_key(outputs, params["report_probability_key"])
    label = _label(labels, params["report_label_key"], key, origin)
    prediction = _numeric(outputs[key], f"prediction `{key}`", origin)
    task = params["report_task"]
    if task == "auto":
        task = _detect(key, prediction, label)
    if task == "regression":
        return _regression(key, prediction, label, origin)
    probabilities = None if prob_key is None else _numeric(
        outputs[prob_key], f"probabilities `{prob_key}`", origin).astype(np.float64)
    return _classification(key, prediction, label, probabilities, prob_key,
                           params["class_names"] or data_class_names, origin)


def _prediction_key(outputs, wanted, origin):
    have = ", ".join(sorted(outputs)) or "none"
    if wanted is not None:
        if wanted not in outputs:
            raise ParamsError(f"`report_prediction_key` ({wanted!r}) is not a per-sample prediction of "
                              f"model_fn in {origin} (it has: {have}). Set it to one of them.")
        return wanted
    found = [k for k in PREDICTION_KEYS if k in outputs]
    if found:
        return found[0]
    if len(outputs) == 1:
        return next(iter(outputs))
    raise UserModuleError(
        f"model_fn in {origin} predicts {have}; none is {', '.join(PREDICTION_KEYS)}. Set "
        "report_prediction_key to the key holding the predicted class or value, e.g. "
        f"--set report_prediction_key={sorted(outputs)[0] if outputs else 'class_id'}.")


def _probability_key(outputs, wanted):
    if wanted is not None and wanted not in outputs:
        raise ParamsError(f"`report_probability_key` ({wanted!r}) is not a per-sample prediction "
                          f"(model_fn predicts: {', '.join(sorted(outputs))}). Set it to one of "
                          "them, or to null.")
    if wanted is not None:
        return wanted
    return PROBABILITY_KEY if PROBABILITY_KEY in outputs else None


def _label(labels, wanted, prediction_key, origin):
    if not isinstance(labels, dict):
        return _numeric(labels, "labels", origin)
    if wanted is None and len(labels) == 1:
        wanted = next(iter(labels))
    elif wanted is None and prediction_key in labels:
        wanted = prediction_key
    if wanted not in labels:
        raise ParamsError(f"the input yields labels as a dict ({', '.join(sorted(labels))}); "
                          f"`report_label_key` ({wanted!r}) must name the one to report. "
                          "Set it, e.g. --set report_label_key=<key>.")
    return _numeric(labels[wanted], f"label `{wanted}`", origin)


def _numeric(values, what, origin):
    """An array of numbers or text; object arrays (shapes that vary per sample) are refused."""
    values = np.asarray(values)
    if values.dtype == object:
        raise UserModuleError(f"{what} from {origin} has a different shape per sample; the report "
                              "needs one fixed-shape value per sample.")
    return values


def _is_text(values):
    return values.dtype.kind in "SUO"


def _detect(key, prediction, label):
    if key in CLASS_KEYS or prediction.dtype.kind in "iub" or _is_text(prediction):
        return "classification"
    scores = prediction.ndim == 2 and prediction.shape[1] > 1
    ids = _class_ids_from_one_hot(label)
    if scores and ids.size == len(ids) and (_is_text(ids) or np.all(ids == np.round(ids))):
        return "classification"  # per-class scores next to class-id (or one-hot) labels
    return "regression"


def _regression(key, prediction, label, origin):
    if _is_text(prediction) or _is_text(label):
        raise UserModuleError(f"a regression report needs numbers; prediction `{key}` or the labels "
                              f"from {origin} are text. Set report_task=classification.")
    n = len(label)
    if prediction.size != label.size:
        raise UserModuleError(
            f"prediction `{key}` has shape {prediction.shape} and the labels {label.shape}; a "
            "regression report compares them value by value, so they need the same size. Set "
            "report_prediction_key to the output that matches the labels.")
    return Arrays(task="regression", labels=label.reshape(n, -1).astype(np.float64),
                  predictions=prediction.reshape(n, -1).astype(np.float64), probabilities=None,
                  confidence=None, num_classes=0, class_names=None, prediction_key=key,
                  probability_key=None)


def _classification(key, prediction, label, probabilities, prob_key, class_names, origin):
    n = len(label)
    if prediction.ndim == 2 and prediction.shape[1] > 1 and not _is_text(prediction):
        probabilities = prediction.astype(np.float64) if probabilities is None else probabilities
        prob_key = key if prob_key is None else prob_key
        prediction = prediction.argmax(axis=1)
    label = _class_ids_from_one_hot(label)
    label, prediction, class_names = _to_ids(label.reshape(n, -1), prediction.reshape(n, -1),
                                             class_names, key, origin)
    num_classes = max(int(label.max()) + 1, int(prediction.max()) + 1, len(class_names or ()))
    if probabilities is not None:
        probabilities = probabilities.reshape(n, -1)
        if probabilities.shape[1] < num_classes:
            raise UserModuleError(
                f"probabilities `{prob_key}` from {origin} have {probabilities.shape[1]} columns but "
                f"class ids reach {num_classes - 1}; they need one column per class. Set "
                "report_probability_key to the right output, or to null.")
        num_classes = probabilities.shape[1]
    names = _names(class_names, num_classes)
    confidence = None if probabilities is None else probabilities[np.arange(n), prediction]
    return Arrays(task="classification", labels=label, predictions=prediction,
                  probabilities=probabilities, confidence=confidence, num_classes=num_classes,
                  class_names=names, prediction_key=key, probability_key=prob_key)


def _class_ids_from_one_hot(label):
    """One-hot labels [N, K] become class ids [N]; anything else is returned unchanged."""
    if label.ndim == 2 and label.shape[1] > 1 and not _is_text(label):
        rows = label.astype(np.float64)
        if np.all((rows == 0) | (rows == 1)) and np.all(rows.sum(axis=1) == 1):
            return rows.argmax(axis=1)
    return label


def _to_ids(label, prediction, class_names, key, origin):
    """Class ids (int [N]) for labels and predictions given as ids, id strings or class names."""
    if label.shape[1] != 1 or prediction.shape[1] != 1:
        raise UserModuleError(
            f"a classification report needs one class per sample; prediction `{key}` has shape "
            f"{prediction.shape} and the labels {label.shape} from {origin}. Set "
            "report_prediction_key, or report_task=regression for a model that predicts values.")
    label, prediction = label[:, 0], prediction[:, 0]
    if _is_text(label) or _is_text(prediction):
        return _text_to_ids(label, prediction, class_names)
    for values, what in ((label, "labels"), (prediction, f"prediction `{key}`")):
        if values.dtype.kind == "f" and not np.all(values == np.round(values)):
            raise UserModuleError(
                f"{what} from {origin} are not class ids (e.g. {values[values != np.round(values)][0]!r}). "
                "Set report_task=regression for a model that predicts values.")
        if values.size and values.min() < 0:
            raise UserModuleError(f"{what} from {origin} hold a negative class id ({values.min()}).")
    return label.astype(np.int64), prediction.astype(np.int64), class_names


def _text_to_ids(label, prediction, class_names):
    label = np.array([_decode(v) for v in label])
    prediction = np.array([_decode(v) for v in prediction])
    both = np.concatenate([label, prediction])
    if all(_DIGITS.fullmatch(v) for v in both):  # canned Estimators predict b"2" for class 2
        return label.astype(np.int64), prediction.astype(np.int64), class_names
    vocabulary = list(class_names or []) + sorted(set(both) - set(class_names or []))
    index = {name: i for i, name in enumerate(vocabulary)}
    return (np.array([index[v] for v in label], np.int64),
            np.array([index[v] for v in prediction], np.int64), vocabulary)


def _names(class_names, num_classes):
    names = [str(v) for v in (class_names or [])]
    return names + [str(i) for i in range(len(names), num_classes)]


def _decode(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
