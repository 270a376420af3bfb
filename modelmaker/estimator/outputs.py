"""Export outputs: what one serving signature returns (`tf.estimator.export.*Output`).

Each output turns the receiver tensors of an export into one `SignatureDef` through TensorFlow's
public signature builders, so a SavedModel gets the signatures Estimator writes for the same model.
"""

import abc

import tensorflow as tf

_v1 = tf.compat.v1


def _is_tensor(value):
    return isinstance(value, tf.Tensor)


class ExportOutput(abc.ABC):
    """One head of an exported model: `as_signature_def(receiver_tensors)` builds its SignatureDef."""

    _SEPARATOR = "/"

    @abc.abstractmethod
    def as_signature_def(self, receiver_tensors):
        """The SignatureDef of this output fed by `receiver_tensors` (a dict of name to Tensor)."""

    def _wrap_outputs(self, outputs, single_name, label):
        """{name: Tensor} from a Tensor or a dict whose keys are strings or tuples of strings."""
        if not isinstance(outputs, dict):
            outputs = {single_name: outputs}
        checked = {}
        for key, value in outputs.items():
            if isinstance(key, tuple):
                key = self._SEPARATOR.join(key)
            if not isinstance(key, str):
                raise ValueError(f"{label} output key must be a string; got {key!r}.")
            if not _is_tensor(value):
                raise ValueError(f"{label} output value must be a Tensor; got {value!r} for key {key!r}.")
            checked[key] = value
        return checked


def _single_string_input(receiver_tensors, kind):
    """The one tf.string tensor that Classify and Regress signatures take."""
    examples = list(receiver_tensors.values())
    if len(examples) != 1 or examples[0].dtype != tf.string:
        raise ValueError(
            f"{kind} signatures can only accept a single tensor input of type tf.string, got "
            f"{ {k: str(v.dtype.name) for k, v in receiver_tensors.items()} }: make the "
            "serving_input_receiver_fn create one string placeholder and parse it with tf.io.parse_example.")
    return examples[0]


class ClassificationOutput(ExportOutput):
    """A Classify head: float `scores` per class and/or string `classes` labels (at least one)."""

    def __init__(self, scores=None, classes=None):
        if scores is not None and not (_is_tensor(scores) and scores.dtype.is_floating):
            raise ValueError(f"Classification scores must be a float32 Tensor; got {scores!r}")
        if classes is not None and not (_is_tensor(classes) and classes.dtype == tf.string):
            raise ValueError(f"Classification classes must be a string Tensor; got {classes!r}")
        if scores is None and classes is None:
            raise ValueError("Cannot create a ClassificationOutput with empty arguments: "
                             "give `scores`, `classes` or both.")
        self._scores, self._classes = scores, classes

    @property
    def scores(self):
        return self._scores

    @property
    def classes(self):
        return self._classes

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input(receiver_tensors, "Classification")
        return _v1.saved_model.classification_signature_def(examples, self._classes, self._scores)


class RegressionOutput(ExportOutput):
    """A Regress head: one float `value` tensor."""

    def __init__(self, value):
        if not (_is_tensor(value) and value.dtype.is_floating):
            raise ValueError(f"Regression output value must be a float32 Tensor; got {value!r}")
        self._value = value

    @property
    def value(self):
        return self._value

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input(receiver_tensors, "Regression")
        return _v1.saved_model.regression_signature_def(examples, self._value)


class PredictOutput(ExportOutput):
    """A Predict head: a Tensor (named 'output') or a dict of named Tensors."""

    def __init__(self, outputs):
        self._outputs = self._wrap_outputs(outputs, "output", "Prediction")

    @property
    def outputs(self):
        return self._outputs

    def as_signature_def(self, receiver_tensors):
        return _v1.saved_model.predict_signature_def(receiver_tensors, self._outputs)


def is_export_output(value):
    """True for this module's outputs and for tf.estimator's (TensorFlow's own classes on TF <= 2.15)."""
    return any(cls.__name__ == "ExportOutput" for cls in type(value).__mro__)
