"""Provides `assemble`: the training controls a run's parameters ask for, in one value.

The metrics table, best export, early stopping and the tuning objective act after each
evaluation, wherever it runs (the training process, a cluster's evaluator task, the chief's
final evaluation): each is a plain callable `(metrics, checkpoint_path)` the engine calls. Early stopping also adds a
hook on every training worker (for trainers that step together, a decision the chief turns into
one step they all stop after), a listener on the chief, and may lower the step limit.
"""

import dataclasses
from typing import Callable, Optional, Tuple

from modelmaker.controls import best_export, early_stopping, eval_tables, tuning


@dataclasses.dataclass(frozen=True)
class Controls:
    """What the controls add to a run.

    Attributes:
      after_evaluation: callables `(metrics, checkpoint_path)`, in the order they run.
      hooks: SessionRunHooks for every training worker.
      listeners: CheckpointSaverListeners (they run on the chief only).
      max_steps: the step limit, lowered when an earlier run here stopped early.
      stop_decision: on the chief of trainers that step together, the early-stop decision (a
        callable returning a done-marker reason or None), which the engine's hooks turn into
        one step every trainer stops after (`cluster.sync_stop`); they then get no stop hook.
    """

    after_evaluation: Tuple[Callable, ...]
    hooks: Tuple = ()
    listeners: Tuple = ()
    max_steps: Optional[int] = None
    stop_decision: Optional[Callable] = None


def assemble(params, *, model_dir, max_steps, export, log, plan=None):
    """The `Controls` of `params` for a run in `model_dir`.

    Args:
      params: the `RunParams`.
      model_dir: where the controls keep their state (best.json, early_stopping.json).
      max_steps: the engine's step limit.
      export: the engine's `export` (best export writes its versions with it).
      log: a callable taking one line of text.
      plan: this task's `cluster.strategies.Plan` (None: one process); trainers that step
        together get hooks that stop them after the same step.

    Raises:
      ParamsError: a combination of parameters the controls cannot honour.
    """
    lockstep, is_chief = plan is not None and plan.lockstep, plan is None or plan.cluster.is_chief
    chosen = early_stopping.setting(params)
    watching = early_stopping.Monitor(chosen, model_dir, log=log) if chosen else None
    after = [eval_tables.TablePrinter(model_dir, log=log)]
    objective = tuning.target(params)
    if objective:
        after.append(tuning.Reporter(objective, model_dir=model_dir))
    if watching:
        after.append(watching)
    best = best_export.target(params)
    if best:
        after.append(best_export.BestExport(best, model_dir=model_dir, export=export,
                                            exports_to_keep=params["exports_to_keep"], log=log))
    return Controls(
        after_evaluation=tuple(after),
        hooks=(early_stopping.StopHook(watching),) if watching and not lockstep else (),
        stop_decision=early_stopping.Decision(watching) if watching and lockstep and is_chief else None,
        listeners=(early_stopping.DoneListener(watching),) if watching else (),
        max_steps=early_stopping.max_steps(watching, max_steps, log=log))
