"""modelmaker.estimator.install(): tf.estimator names and TF1 layers for unchanged user code.

Each check runs in a fresh interpreter, because install() changes the tensorflow modules of its process.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from modelmaker.engine.estimator.real import PACKAGE, has_real_estimator

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_current = pytest.mark.skipif(has_real_estimator(),
                                   reason="tensorflow-estimator imports here: install() leaves tf.estimator as is")


def _run(source):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_USE_LEGACY_KERAS", None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@needs_current
def test_install_provides_the_names_for_every_import_form():
    out = _run("""
        import importlib
        import os
        import modelmaker.estimator as mm
        from modelmaker.engine.estimator import real
        assert mm.install() is True and mm.install() is True  # idempotent
        import tensorflow as tf
        import tensorflow.compat.v1 as v1
        from tensorflow.estimator import EstimatorSpec, ModeKeys
        from tensorflow.estimator.export import ServingInputReceiver, PredictOutput
        assert tf.estimator is mm and v1.estimator is mm and tf.compat.v1.estimator is mm
        assert EstimatorSpec is mm.EstimatorSpec and PredictOutput is mm.export.PredictOutput
        assert tf.estimator.SessionRunHook is v1.train.SessionRunHook
        assert "TF_USE_LEGACY_KERAS" not in os.environ
        assert tf.keras.layers.Dense.__module__.startswith("keras."), tf.keras.layers.Dense.__module__
        try:
            importlib.import_module(real.PACKAGE)
        except Exception:
            print("no real tf.estimator")
        with tf.Graph().as_default():
            x = v1.placeholder(tf.float32, [None, 4])
            y = v1.layers.dense(x, 3, name="d")
            z = v1.layers.batch_normalization(y, training=True)
            cell = v1.nn.rnn_cell.BasicRNNCell(2)
            names = sorted(v.name for v in v1.global_variables())
            print(names, len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)), type(cell).__name__)
    """)
    assert "no real tf.estimator" in out
    assert "'d/bias:0', 'd/kernel:0'" in out and "] 2 BasicRNNCell" in out


@pytest.mark.estimator
def test_install_leaves_real_tf_estimator_alone():
    out = _run("""
        import modelmaker.estimator as mm
        import tensorflow as tf
        assert mm.install() is False
        print(tf.estimator.EstimatorSpec.__module__, tf.compat.v1.layers.dense.__module__)
    """)
    assert out.startswith(PACKAGE + "."), out
