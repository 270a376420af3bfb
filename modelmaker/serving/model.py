"""Provides `load`: one SavedModel version in a TF1 `Session`, with its signatures ready to run.

A v1 `Session` runs one MNIST instance in ~0.3 ms; the eager `tf.saved_model.load`
signature takes ~5 ms (measured on this stack, ../shared/docs/FACTS.md), so the server
keeps the graph-mode path. `Session.run` is thread-safe, so one `LoadedModel` serves
concurrent requests.
"""

import dataclasses
import threading
from typing import Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2

from modelmaker.serving.errors import BadRequest, Unimplemented, from_tf_error

DEFAULT_SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One named input or output of a signature.

    `shape` is None for unknown rank; unknown dimensions are -1. The shape is what the
    signature declares, not a check: requests are fed as sent and the graph decides, as
    in TF Serving (half_plus_two's x is [-1, 1], yet [2.0, 3.0] runs).
    """

    alias: str
    tensor_name: str
    dtype: tf.dtypes.DType
    shape: Optional[Tuple[int, ...]]


@dataclasses.dataclass(frozen=True)
class Signature:
    """A SignatureDef: its inputs and outputs by alias, its method and the original proto."""

    key: str
    method_name: str
    inputs: Mapping[str, TensorSpec]
    outputs: Mapping[str, TensorSpec]
    proto: object  # tensorflow.core.protobuf.meta_graph_pb2.SignatureDef


class LoadedModel:
    """One loaded version: `run(signature, inputs)` feeds arrays and returns output arrays."""

    name = ""  # the served model name, set by ModelVersions (for metrics)

    def __init__(self, *, version, path, session, signature_defs, marker=None):
        self.version = version
        self.path = path
        self.session = session
        self.signature_defs = signature_defs  # key -> SignatureDef proto, for /metadata
        self.signatures = {k: s for k, s in ((k, _signature(k, p)) for k, p in
                                             signature_defs.items()) if s is not None}
        self.marker = marker or {}
        self._callables = {}
        self._lock = threading.Lock()

    def signature(self, key):
        """The `Signature` named `key` ("" means serving_default).

        Raises:
          BadRequest: the model has no such signature (TF Serving's message).
          Unimplemented: the signature has sparse or composite tensors.
        """
        key = key or DEFAULT_SIGNATURE
        if key not in self.signature_defs:
            raise BadRequest(f'Serving signature name: "{key}" not found in signature def')
        if key not in self.signatures:
            raise Unimplemented(f'Serving signature "{key}" has sparse or composite tensors; '
                                "the REST API serves dense tensors only")
        return self.signatures[key]

    def run(self, signature, inputs):
        """Runs `signature` on `inputs` (alias -> np.ndarray, every input present).

        Returns:
          A dict alias -> np.ndarray with every output of the signature.

        Raises:
          BadRequest: an input is missing.
          ServingError: TensorFlow rejected the inputs (its error code picks the status).
        """
        for alias in signature.inputs:
            if alias not in inputs:
                raise BadRequest(f"Missing named input: {alias}")
        run, in_order, out_order = self._callable(signature)
        try:
            values = run(*[inputs[alias] for alias in in_order])
        except tf.errors.OpError as e:
            raise from_tf_error(e) from None
        except (ValueError, TypeError) as e:  # Python-side feed checks
            raise BadRequest(str(e).splitlines()[0]) from None
        return dict(zip(out_order, values))

    def _callable(self, signature):
        found = self._callables.get(signature.key)
        if found is None:
            with self._lock:
                found = self._callables.get(signature.key) or self._make_callable(signature)
                self._callables[signature.key] = found
        return found

    def _make_callable(self, signature):
        # Session.make_callable with feeds falls back to Session.run, which rebuilds its
        # fetch handler on every call; a callable made from CallableOptions goes straight
        # to TF_SessionRunCallable (the path Keras' v1 backend uses), saving ~0.1-0.5 ms.
        in_order, out_order = sorted(signature.inputs), sorted(signature.outputs)
        options = config_pb2.CallableOptions(
            feed=[signature.inputs[a].tensor_name for a in in_order],
            fetch=[signature.outputs[a].tensor_name for a in out_order])
        return self.session._make_callable_from_options(options), in_order, out_order

    def close(self):
        """Releases the session; the model cannot run afterwards."""
        self.session.close()


def load(path, *, version, marker=None, tags=("serve",)):
    """Loads the SavedModel in `path` into a new graph and session.

    Args:
      path: a version folder holding saved_model.pb and variables/.
      version: the version number it is served as.
      marker: the modelmaker_export.json record of the folder, if any.
      tags: the MetaGraph tags to load (Estimator exports use "serve").

    Returns:
      A `LoadedModel`.

    Raises:
      Exception: whatever TensorFlow raises for a missing or broken SavedModel.
    """
    graph = tf.Graph()
    session = tf.compat.v1.Session(graph=graph)
    try:
        with graph.as_default():
            meta_graph = tf.compat.v1.saved_model.loader.load(session, list(tags), path)
    except Exception:
        session.close()
        raise
    model = LoadedModel(version=version, path=path, session=session,
                        signature_defs=dict(meta_graph.signature_def), marker=marker)
    warm_up(model)
    return model


def _signature(key, proto):
    """The runnable `Signature`, or None when a tensor is sparse or composite."""
    infos = list(proto.inputs.values()) + list(proto.outputs.values())
    if any(info.WhichOneof("encoding") != "name" for info in infos):
        return None
    return Signature(key=key, method_name=proto.method_name,
                     inputs={a: _tensor_spec(a, info) for a, info in proto.inputs.items()},
                     outputs={a: _tensor_spec(a, info) for a, info in proto.outputs.items()},
                     proto=proto)


def _tensor_spec(alias, info):
    shape = info.tensor_shape
    dims = None if shape.unknown_rank else tuple(int(d.size) for d in shape.dim)
    return TensorSpec(alias=alias, tensor_name=info.name, dtype=tf.as_dtype(info.dtype), shape=dims)


def warm_up(model):
    """Runs each predict signature once on zeros, so the first real request is not slow.

    Signatures whose inputs are strings or have unknown non-batch dimensions are skipped;
    failures are ignored (the model may reject zeros, and a real request will say why).
    """
    for signature in model.signatures.values():
        specs = signature.inputs.values()
        if not specs or any(s.shape is None or s.dtype == tf.string or -1 in s.shape[1:]
                            for s in specs):
            continue
        inputs = {s.alias: np.zeros((1,) + s.shape[1:] if s.shape else (),
                                    s.dtype.as_numpy_dtype) for s in specs}
        try:
            model.run(signature, inputs)
        except Exception:  # noqa: BLE001 - warm-up is best effort by design
            pass
