"""The training engine: the `Engine` interface (`base.py`), its implementations, hooks, export,
warm start and checkpoints. `build` chooses an implementation by name.

    trainer = engine.build(user=user, params=params, plan=plan, model_dir=model_dir,
                           data_path=data_path)
    metrics = trainer.train_and_evaluate(max_steps=1000, after_evaluation=[...])
"""


def _estimator():
    from modelmaker.engine.estimator.engine import EstimatorEngine  # imports TensorFlow
    return EstimatorEngine


# engine name -> a function returning its class (imported only when chosen).
ENGINES = {"estimator": _estimator}
DEFAULT = "estimator"


def build(name=DEFAULT, **kwargs):
    """A new `Engine` of implementation `name` (a key of `ENGINES`); kwargs as `Engine`'s.

    Raises:
      ValueError: an unknown engine name (a bug: names come from this table).
    """
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; the engines are: {', '.join(ENGINES)}")
    return ENGINES[name]()(**kwargs)
