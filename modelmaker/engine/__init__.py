"""The training engine: the `Engine` interface (`base.py`), its implementations, hooks, export,
warm start and checkpoints. `build` makes the one the `engine` parameter and the plan choose.

    trainer = engine.build(user=user, params=params, plan=plan, model_dir=model_dir,
                           data_path=data_path)
    metrics = trainer.train_and_evaluate(max_steps=1000, after_evaluation=[...])

Engines: `modelmaker` (the default; `graph/`, on every TensorFlow modelmaker runs on) and
`estimator` (`estimator/`, tf.estimator: TensorFlow <= 2.15 only). The `engine` parameter chooses,
for every plan: both engines run every `distribute` choice, with or without a TF_CONFIG cluster.
"""

from modelmaker.engine.names import DEFAULT, ESTIMATOR, MODELMAKER
from modelmaker.errors import ParamsError


def _graph():
    from modelmaker.engine.graph.engine import GraphEngine  # imports TensorFlow
    return GraphEngine


def _estimator():
    from modelmaker.engine.estimator.engine import EstimatorEngine  # imports TensorFlow
    return EstimatorEngine


# engine name -> a function returning its class (imported only when chosen).
ENGINES = {MODELMAKER: _graph, ESTIMATOR: _estimator}  # keys: names.NAMES


def choose(params):
    """The engine's name: the `engine` parameter's, whatever the plan (every engine runs every plan).

    Args:
      params: the `RunParams` (its `engine`).

    Raises:
      ParamsError: `engine` is estimator where tensorflow-estimator does not import.
    """
    import tensorflow as tf
    from modelmaker.engine.estimator.real import has_real_estimator
    name = params["engine"]
    if name == ESTIMATOR and not has_real_estimator():
        raise ParamsError(
            f"`engine` is {name!r} (from {params.sources['engine']}), but tensorflow-estimator does not "
            f"import with TensorFlow {tf.__version__} (tf.estimator was removed in 2.16). Set engine to "
            f"{MODELMAKER!r} (the default), or use the TensorFlow 2.15 compatibility stack (make venv-tf2.15).")
    return name


def build(name=None, **kwargs):
    """A new `Engine` of implementation `name` (a key of `ENGINES`; None: `choose`'s for the params
    in kwargs); kwargs as `Engine`'s.

    Raises:
      ValueError: an unknown engine name (a bug: names come from this table).
      ParamsError: as `choose`.
    """
    if name is None:
        name = choose(kwargs["params"])
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; the engines are: {', '.join(ENGINES)}")
    return ENGINES[name]()(**kwargs)
