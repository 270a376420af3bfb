"""Provides what modelmaker knows of the tensorflow-estimator package: whether it imports here, its
`tf.estimator` API, and whether an object is one of its classes. The one module that names the package.

tensorflow-estimator is TensorFlow 2.15's tf.estimator; it fails to import on TensorFlow >= 2.16, where
`modelmaker.estimator` stands in for it (`install()`), and it is installed only by the compatibility
stack (`pip install 'modelmaker[estimator]'`).
"""

import functools
import importlib
import importlib.util

PACKAGE = "tensorflow_estimator"  # the import name of tensorflow-estimator


def installed():
    """True where tensorflow-estimator is installed, found without importing it (or TensorFlow): the
    compatibility stack. It may still fail to import (`has_real_estimator`) beside TensorFlow >= 2.16."""
    return importlib.util.find_spec(PACKAGE) is not None


@functools.lru_cache(maxsize=None)  # a failed import is retried on every call otherwise
def has_real_estimator():
    """True where tensorflow-estimator imports, i.e. TensorFlow <= 2.15 (it fails to import on later ones)."""
    try:
        importlib.import_module(PACKAGE)
    except Exception:  # ImportError, or the ones its internal imports raise on TensorFlow >= 2.16
        return False
    return True


def api():
    """tensorflow-estimator's `tf.estimator` module (EstimatorSpec, export, ...), whatever `tf.estimator`
    is in this process. Raises ImportError where it does not import (see `has_real_estimator`)."""
    return importlib.import_module(PACKAGE).estimator


def is_real_estimator_object(value, *names):
    """True for an object of tf.estimator's classes `names` (the class names, e.g. "EstimatorSpec"),
    where tensorflow-estimator imports; False for modelmaker.estimator's classes of the same names."""
    return type(value).__name__ in names and type(value).__module__.startswith(PACKAGE)
