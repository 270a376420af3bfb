"""The training engine: the `Engine` interface (`base.py`), its implementations, hooks, export,
warm start and checkpoints. `build` makes the one the `engine` parameter and the plan choose.

    trainer = engine.build(user=user, params=params, plan=plan, model_dir=model_dir,
                           data_path=data_path)
    metrics = trainer.train_and_evaluate(max_steps=1000, after_evaluation=[...])

Engines: `modelmaker` (the default; `graph/`, one process, on every TensorFlow modelmaker runs on)
and `estimator` (`estimator/`, tf.estimator: TensorFlow <= 2.15 only). Until modelmaker's engine
trains distributed, a distributed plan runs on Estimator where it exists, and is refused elsewhere.
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


def choose(params, plan=None):
    """(the engine's name, why it differs from the `engine` parameter: '' or a few words).

    Args:
      params: the `RunParams` (its `engine`).
      plan: the task's `strategies.Plan`; None: one process.

    Raises:
      ParamsError: `engine` is estimator where tensorflow-estimator does not import, or the plan is
        distributed where only modelmaker's engine runs.
    """
    import tensorflow as tf
    from modelmaker.estimator import has_real_estimator
    name = params["engine"]
    if name == ESTIMATOR and not has_real_estimator():
        raise ParamsError(
            f"`engine` is {name!r} (from {params.sources['engine']}), but tensorflow-estimator does not "
            f"import with TensorFlow {tf.__version__} (tf.estimator was removed in 2.16). Set engine to "
            f"{MODELMAKER!r} (the default), or use the TensorFlow 2.15 stack (make venv).")
    if plan is None or not plan.distributed or name == ESTIMATOR:
        return name, ""
    if has_real_estimator():
        return ESTIMATOR, "distributed training runs on tf.estimator on this TensorFlow"
    what = (f"TF_CONFIG cluster {plan.cluster.name}" if plan.cluster.is_distributed
            else f"distribute {plan.distribute!r}")
    raise ParamsError(
        f"distributed training ({what}) is not supported on this TensorFlow yet (TensorFlow "
        f"{tf.__version__}): modelmaker's engine trains in one process, and tf.estimator needs "
        "TensorFlow <= 2.15. Use the TF 2.15 stack (make venv), or distribute: none without TF_CONFIG.")


def build(name=None, **kwargs):
    """A new `Engine` of implementation `name` (a key of `ENGINES`; None: `choose`'s for the params
    and plan in kwargs); kwargs as `Engine`'s.

    Raises:
      ValueError: an unknown engine name (a bug: names come from this table).
      ParamsError: as `choose`.
    """
    if name is None:
        name, _ = choose(kwargs["params"], kwargs.get("plan"))
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; the engines are: {', '.join(ENGINES)}")
    return ENGINES[name]()(**kwargs)
