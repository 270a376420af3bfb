"""Serving input receivers (`tf.estimator.export.*Receiver`) and the two stock receiver_fn builders."""

import collections

import tensorflow as tf

_v1 = tf.compat.v1
_DEFAULT_NAMES = {"feature": "feature", "receiver_tensor": "input", "receiver_tensors_alternative": "input"}
_TENSOR_TYPES = (tf.Tensor, tf.sparse.SparseTensor, tf.RaggedTensor)


def _check_tensor(tensor, name, label):
    if not isinstance(tensor, _TENSOR_TYPES):
        where = f" {name}" if name else ""
        raise ValueError(f"{label}{where} must be a Tensor, SparseTensor, or RaggedTensor; got {tensor!r}.")


def wrap_and_check_input_tensors(tensors, label, allow_int_keys=False):
    """{name: tensor} from a tensor or a dict; keys must be strings (or ints where allowed)."""
    if tensors is None:
        raise ValueError(f"{label}s must be defined.")
    if not isinstance(tensors, dict):
        tensors = {_DEFAULT_NAMES[label]: tensors}
    for name, tensor in tensors.items():
        key_ok = isinstance(name, str) or (allow_int_keys and isinstance(name, int) and not isinstance(name, bool))
        if not key_ok:
            kinds = "strings or ints" if allow_int_keys else "strings"
            raise ValueError(f"{label} keys must be {kinds}: {name!r}.")
        _check_tensor(tensor, name, label)
    return tensors


def _check_alternatives(alternatives):
    if alternatives is None:
        return None
    if not isinstance(alternatives, dict):
        raise ValueError(f"receiver_tensors_alternatives must be a dict: {alternatives!r}.")
    return {name: wrap_and_check_input_tensors(tensors, "receiver_tensors_alternative")
            for name, tensors in alternatives.items()}


class ServingInputReceiver(collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """What a serving_input_receiver_fn returns: features for the model_fn (always a dict; a single
    tensor becomes {'feature': t}), the tensors a request feeds, and optional alternative groups of them."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        features = wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        receiver_tensors = wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        alternatives = _check_alternatives(receiver_tensors_alternatives)
        return super().__new__(cls, features, receiver_tensors, alternatives)


class TensorServingInputReceiver(collections.namedtuple(
        "TensorServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """As ServingInputReceiver, for a model_fn that takes one feature tensor rather than a dict."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("features must be defined.")
        _check_tensor(features, None, "feature")
        receiver = ServingInputReceiver(features, receiver_tensors, receiver_tensors_alternatives)
        return super().__new__(cls, features, receiver.receiver_tensors, receiver.receiver_tensors_alternatives)


def build_parsing_serving_input_receiver_fn(feature_spec, default_batch_size=None):
    """A receiver_fn fed serialized tf.Example protos ('examples', a string vector) parsed by `feature_spec`."""
    def serving_input_receiver_fn():
        examples = _v1.placeholder(tf.string, [default_batch_size], name="input_example_tensor")
        features = _v1.io.parse_example(examples, feature_spec)
        return ServingInputReceiver(features, {"examples": examples})
    return serving_input_receiver_fn


def _placeholder_like(tensor, default_batch_size):
    shape = tf.TensorShape([default_batch_size]).concatenate(tensor.get_shape()[1:])
    return _v1.placeholder(tensor.dtype, shape, name=tensor.op.name)


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
    """A receiver_fn fed the features directly: one placeholder per tensor of `features` (a dict),
    of its dtype and shape past the batch dimension, named as its op."""
    def serving_input_receiver_fn():
        placeholders = {name: _placeholder_like(t, default_batch_size) for name, t in features.items()}
        return ServingInputReceiver(placeholders, placeholders)
    return serving_input_receiver_fn
