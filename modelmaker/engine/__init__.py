"""The training engine: the `Engine` interface (`base.py`), its implementations, hooks, export,
warm start and checkpoints. `build` makes the one the `engine` parameter and the plan choose.

    trainer = engine.build(user=user, params=params, plan=plan, model_dir=model_dir,
                           data_path=data_path)
    metrics = trainer.train_and_evaluate(max_steps=1000, after_evaluation=[...])

Engines: `modelmaker` (the default; `graph/`, on every TensorFlow modelmaker runs on) and
`estimator` (`estimator/`, tf.estimator: TensorFlow <= 2.15 only). The `engine` parameter chooses;
a distributed plan modelmaker's engine does not run yet (`runs_on_graph_engine`) runs on Estimator
where it exists (the start-up line says so), and is refused elsewhere.
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


def runs_on_graph_engine(plan):
    """True for a plan modelmaker's engine trains: one process with `distribute` none or mirrored
    (several replicas in one graph: `graph.distributed`), or parameter_server (between-graph:
    `graph.between_graph`). multi_worker_mirrored and clusters under none/mirrored: not yet (issue 15)."""
    if plan is None or plan.distribute == "parameter_server":
        return True
    return not plan.cluster.is_distributed and plan.distribute in ("none", "mirrored")


def choose(params, plan=None):
    """(the engine's name, why it differs from the `engine` parameter: '' or a few words).

    Args:
      params: the `RunParams` (its `engine`).
      plan: the task's `strategies.Plan`; None: one process.

    Raises:
      ParamsError: `engine` is estimator where tensorflow-estimator does not import, or the plan is
        one modelmaker's engine does not run yet where tensorflow-estimator does not import.
    """
    import tensorflow as tf
    from modelmaker.engine.estimator.real import has_real_estimator
    name = params["engine"]
    if name == ESTIMATOR and not has_real_estimator():
        raise ParamsError(
            f"`engine` is {name!r} (from {params.sources['engine']}), but tensorflow-estimator does not "
            f"import with TensorFlow {tf.__version__} (tf.estimator was removed in 2.16). Set engine to "
            f"{MODELMAKER!r} (the default), or use the TensorFlow 2.15 stack (make venv-tf2.15).")
    if name == ESTIMATOR or runs_on_graph_engine(plan):
        return name, ""
    what = (f"TF_CONFIG cluster {plan.cluster.name}" if plan.cluster.is_distributed
            else f"distribute {plan.distribute!r}")
    if has_real_estimator():
        return ESTIMATOR, f"{what} is not yet on engine modelmaker: it runs on tf.estimator on this TensorFlow"
    raise ParamsError(
        f"distributed training ({what}) is not supported on this TensorFlow yet (TensorFlow "
        f"{tf.__version__}): modelmaker's engine runs distribute none, mirrored "
        "(one machine) and parameter_server so far, and tf.estimator needs TensorFlow <= 2.15. Use the "
        "TF 2.15 stack (make venv-tf2.15), or one of those.")


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
