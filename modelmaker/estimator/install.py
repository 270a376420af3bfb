"""`install()`: unchanged tf.estimator-style user code on a TensorFlow without tf.estimator.

On TensorFlow >= 2.16 it provides `modelmaker.estimator` as `tf.estimator` (for `import tensorflow as tf`,
`import tensorflow.compat.v1 as tf` and `from tensorflow.estimator import ...`), and the TF1 layer
functions of tf-keras as `tf.compat.v1.layers` (TensorFlow's own are stubs under Keras 3) and
`tf.compat.v1.nn.rnn_cell`. It does not set TF_USE_LEGACY_KERAS: `tf.keras` stays Keras 3.
Where tensorflow-estimator imports (TensorFlow <= 2.15: `has_real_estimator`), it does nothing.
"""

import importlib
import sys

from modelmaker.engine.estimator.real import has_real_estimator

_V1_NAMES = ("tensorflow.compat.v1", "tensorflow._api.v2.compat.v1")
_V2_NAMES = ("tensorflow.compat.v2", "tensorflow._api.v2.compat.v2")


def _legacy_keras():
    """tf-keras's TF1 layers and rnn_cell modules, or (None, None) without tf-keras.

    Imported before the compat modules are collected: importing tf_keras replaces tf.compat.v1."""
    try:
        legacy = importlib.import_module("tf_keras.api._v1.keras.__internal__.legacy")
    except ImportError:
        return None, None
    return legacy.layers, legacy.rnn_cell


def _modules(names):
    """Distinct module objects among sys.modules[name] for `names` (importing the first)."""
    importlib.import_module(names[0])
    found = {id(sys.modules[n]): sys.modules[n] for n in names if n in sys.modules}
    return list(found.values())


def install():
    """Provides the tf.estimator names and the TF1 layers where TensorFlow lacks them. Idempotent.

    Returns:
      True when it installed them (TensorFlow without tf.estimator), False when real tf.estimator exists.
    """
    if has_real_estimator():
        return False
    # The package this module belongs to (loaded before install() can be called): it is what
    # `tf.estimator` becomes. Looked up, not imported, so that the package and this module form no cycle.
    estimator = sys.modules[__name__.rpartition(".")[0]]
    layers, rnn_cell = _legacy_keras()
    tf = importlib.import_module("tensorflow")
    v1s, v2s = _modules(_V1_NAMES), _modules(_V2_NAMES)
    for module in [tf, tf.compat.v1, tf.compat.v2, *v1s, *v2s]:
        module.estimator = estimator
    for module in {id(m): m for m in [tf.compat.v1, *v1s]}.values():
        if layers is not None:
            module.layers = layers
            module.nn.rnn_cell = rnn_cell
    sys.modules["tensorflow.estimator"] = estimator
    sys.modules["tensorflow.estimator.export"] = estimator.export
    sys.modules["tensorflow.compat.v1.estimator"] = estimator
    return True
