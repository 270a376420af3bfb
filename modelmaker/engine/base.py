"""Provides `Engine`: the one seam between modelmaker and the code that trains a model.

The runner, the cluster tasks, the evaluation report and `modelmaker check` talk to this
interface only. `modelmaker/engine/graph/` is modelmaker's own implementation (one process, on
tf.compat.v1 graph mode), `modelmaker/engine/estimator/` the reference one (on tf.estimator);
`modelmaker.engine.build` chooses one from the `engine` parameter and the plan. The interface
knows no tf.estimator type:

- hooks are `tf.compat.v1.train.SessionRunHook`s, listeners
  `tf.compat.v1.train.CheckpointSaverListener`s (they run on the chief, around each save);
- after-evaluation controls (best export, early stopping, tuning metric) are plain callables
  `control(metrics, checkpoint_path)` that do not know which engine evaluated;
- results are plain dicts of metrics (with `global_step`), paths and step numbers.
"""

import abc
from typing import Callable, Iterable, Iterator, Mapping, Optional, Tuple

AfterEvaluation = Callable[[Mapping[str, object], str], None]


class _FromParams:
    def __repr__(self):
        return "eval_steps"


EVAL_STEPS = _FromParams()  # `evaluate(steps=...)` default: the eval_steps parameter


class Engine(abc.ABC):
    """Trains, evaluates, exports and predicts one checked user module in one model directory.

    Args (keyword-only):
      user: the checked `modelmaker.user.module.UserModule`.
      params: the frozen `modelmaker.config.RunParams`.
      plan: this task's `modelmaker.cluster.strategies.Plan` (cluster, strategy, max_steps);
        None for one process (evaluation, export, prediction, `check`).
      model_dir: the local model directory (checkpoints, events, exports).
      data_path: the local data path handed to the input functions (None: no --data_url).

    Raises:
      ParamsError: a parameter the engine cannot honour (e.g. a bad warm start source).
    """

    name = "engine"  # the key of `modelmaker.engine.ENGINES`
    built = "engine"  # what construction prepared, for `modelmaker check`'s table

    def __init__(self, *, user, params, plan=None, model_dir, data_path=None):
        self.user = user
        self.params = params
        self.plan = plan
        self.model_dir = model_dir
        self.data_path = data_path

    @property
    def max_steps(self):
        """The engine's step limit: the plan's, else train_max_steps (None: until the input ends)."""
        return self.plan.max_steps if self.plan else self.params["train_max_steps"]

    def input_fn(self, *, training):
        """The user's training or evaluation input function as the engine calls it: checked, with
        the data path and a fresh copy of the params (`modelmaker.user.returns.checked`)."""
        from modelmaker.user import returns  # imports TensorFlow
        return returns.checked(self.user, self.params, training=training, data_path=self.data_path,
                               plan=self.plan)

    @abc.abstractmethod
    def check_serving_graph(self) -> None:
        """Builds the serving graph once, before training, and checks the newest checkpoint in
        `model_dir` fits it.

        Raises:
          UserModuleError: a wrong receiver type or a model_fn breaking the PREDICT contract.
          CheckpointError: the checkpoints in `model_dir` belong to another model.
        """

    @abc.abstractmethod
    def train_and_evaluate(self, *, max_steps: Optional[int], hooks: Iterable = (),
                           listeners: Iterable = (), eval_hooks: Iterable = (),
                           after_evaluation: Iterable[AfterEvaluation] = ()) -> Optional[dict]:
        """Trains to `max_steps` with `hooks` (every worker) and `listeners` (the chief),
        evaluating checkpoints as the cadence parameters say with `eval_hooks`, and calls each
        of `after_evaluation` after every evaluation.

        Returns:
          The last evaluation's metrics on a one-process run; None when this task did not
          evaluate (every task of a cluster).

        Raises:
          CheckpointError: `model_dir` holds checkpoints of another model, or the loss
            became NaN or Inf (the message names the step and the last good checkpoint).
          Interrupted: a hook stopped training on a signal after saving a checkpoint.
        """

    @abc.abstractmethod
    def train(self, *, max_steps: int, hooks: Iterable = (), listeners: Iterable = ()) -> None:
        """Trains to `max_steps` without evaluating (`modelmaker check`)."""

    @abc.abstractmethod
    def evaluate(self, *, checkpoint: Optional[str] = None, steps=EVAL_STEPS,
                 hooks: Iterable = ()) -> dict:
        """Evaluates `checkpoint` (None: the newest) for `steps` batches (default: the eval_steps
        parameter; None: the whole input) with `hooks`. The caller runs the controls after it.

        Returns:
          The metrics, with `global_step`.
        """

    @abc.abstractmethod
    def export(self, base: str, *, checkpoint: str, global_step: int,
               before_publish: Optional[Callable[[str], None]] = None) -> Tuple[str, bool]:
        """Exports the model at `checkpoint` as the next SavedModel version under `base`
        (`modelmaker.engine.export`'s rules: staged, then renamed into place).

        Returns:
          (version folder, reused): reused when the newest version came from this checkpoint.
        """

    @abc.abstractmethod
    def predict(self, input_fn: Callable, *, checkpoint: Optional[str] = None,
                wrap: Optional[Callable] = None) -> Iterator[dict]:
        """Batches of predictions (dicts of arrays) of the model at `checkpoint` over `input_fn`.

        `wrap`, when given, is applied to the checked model_fn (the report carries labels
        through prediction this way). The caller closes the iterator to stop early.
        """
