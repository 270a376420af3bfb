"""Provides `findings`: what run parameters mean together, as warnings and failures.

Each parameter can be valid on its own while the combination is not what anyone wants: a
throttle longer than the whole run (one evaluation), checkpoints deleted before the
evaluator reads them, a run that can never end and so never exports, a cluster without an
evaluator. `modelmaker check` runs these rules with the timings it measured; a rule that
needs a number nobody measured stays silent.
"""

import dataclasses
import math
from typing import Optional, Tuple

WARN, FAIL = "warn", "fail"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One rule's verdict: `level` is warn or fail; `text` says what, why and the fix."""

    level: str
    text: str


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the check learnt besides the parameters (None: unknown).

    Attributes:
      step_secs: seconds per training step, measured.
      eval_secs: seconds for one whole evaluation (eval_steps batches), estimated.
      export_secs: seconds for one export, measured.
      train_endless: the training input repeats forever.
      eval_endless: the evaluation input repeats forever.
      cluster_jobs: the jobs in TF_CONFIG's cluster (empty: one process).
      has_evaluator: TF_CONFIG names an evaluator task.
    """

    step_secs: Optional[float] = None
    eval_secs: Optional[float] = None
    export_secs: Optional[float] = None
    train_endless: Optional[bool] = None
    eval_endless: Optional[bool] = None
    cluster_jobs: Tuple[str, ...] = ()
    has_evaluator: bool = False


def findings(params, facts):
    """Every finding of the rules below, in order."""
    found = (rule(params, facts) for rule in _RULES)
    return [f for f in found if f is not None]


def run_secs(params, facts):
    """Estimated seconds of training (steps only), or None."""
    if params["train_max_steps"] is None or facts.step_secs is None:
        return None
    return params["train_max_steps"] * facts.step_secs


def evaluations(params, facts):
    """Estimated evaluations in a one-process run, including the final one, or None."""
    max_steps, steps = params["train_max_steps"], params["save_checkpoints_steps"]
    throttle, total = params["eval_throttle_secs"], run_secs(params, facts)
    if max_steps is None:
        return None
    if steps and (not throttle or (facts.step_secs and steps * facts.step_secs >= throttle)):
        return max(1, math.ceil(max_steps / steps))
    period = max(throttle, params["save_checkpoints_secs"] or 0)
    return None if total is None or not period else 1 + int(total // period)


def _throttle_longer_than_run(params, facts):
    total, throttle = run_secs(params, facts), params["eval_throttle_secs"]
    if total is None or throttle <= total:
        return None
    return Finding(WARN, f"eval_throttle_secs ({throttle:,} s) is longer than the whole run (~{_secs(total)}: "
                         f"{params['train_max_steps']:,} steps at ~{_secs(facts.step_secs)}/step), so only "
                         "the final evaluation runs. Lower eval_throttle_secs, or set eval_every_steps.")


def _too_few_evaluations(params, facts):
    count, stopping = evaluations(params, facts), params["early_stopping"]
    if count is None or facts.cluster_jobs:
        return None
    if stopping and count < stopping["patience"] + 1:
        return Finding(WARN, f"early_stopping needs at least {stopping['patience'] + 1} evaluations "
                             f"(patience {stopping['patience']} + 1) to stop training, but this run has "
                             f"about {count}. Evaluate more often (eval_every_steps) or lower patience.")
    if params["best_export"] and count < 2:
        return Finding(WARN, "best_export sees a single evaluation, so the best model is simply the "
                             "final one. Evaluate more often (eval_every_steps).")
    return None


def _checkpoints_deleted_before_evaluation(params, facts):
    keep = params["keep_checkpoint_max"]
    interval = params["save_checkpoints_secs"] or (
        params["save_checkpoints_steps"] * facts.step_secs if facts.step_secs else None)
    lag = (facts.eval_secs or 0) + ((facts.export_secs or 0) if params["best_export"] else 0)
    if not (facts.has_evaluator and keep and interval and lag) or keep * interval >= lag:
        return None
    need = math.ceil(lag / interval) + 1
    return Finding(WARN, f"keep_checkpoint_max ({keep}) x a checkpoint every ~{_secs(interval)} keeps "
                         f"~{_secs(keep * interval)} of checkpoints, but the evaluator needs ~{_secs(lag)} "
                         "to evaluate (and export) one: it may find its checkpoint deleted. Set "
                         f"keep_checkpoint_max to {need} or more, or checkpoint less often.")


def _never_ends(params, facts):
    if params["train_max_steps"] is not None or facts.train_endless is False:
        return None
    if facts.train_endless:
        return Finding(FAIL, "train_max_steps is null and train_input_fn repeats forever: training "
                             "never ends, so no final evaluation or export happens. Set "
                             "train_max_steps, or let the training input end.")
    return Finding(WARN, "train_max_steps is null: training ends only when train_input_fn's input "
                         "ends; if it repeats, no final evaluation or export happens.")


def _evaluation_never_ends(params, facts):
    if params["eval_steps"] is None and facts.eval_endless:
        return Finding(FAIL, "eval_steps is null and eval_input_fn repeats forever: every evaluation "
                             "would run forever. Set eval_steps, or let the evaluation input end.")
    return None


def endless_evaluation(params, eval_endless):
    """The failure `train` refuses a run for before training (the check's own words), or None.

    Args:
      params: the run parameters.
      eval_endless: `inputs.Length.endless` of the evaluation input.
    """
    return _evaluation_never_ends(params, Facts(eval_endless=eval_endless))


def _cluster_without_evaluator(params, facts):
    if not facts.cluster_jobs or facts.has_evaluator:
        return None
    controls = [k for k in ("best_export", "early_stopping", "tuning_metric") if params[k]]
    lost = f"; {', '.join(controls)} act only after evaluations" if controls else ""
    return Finding(WARN, f"TF_CONFIG has a cluster ({', '.join(facts.cluster_jobs)}) but no evaluator "
                         f"task: nothing is evaluated while training runs{lost}. Add an evaluator "
                         "task if you want evaluations during training.")


_RULES = (_throttle_longer_than_run, _too_few_evaluations, _checkpoints_deleted_before_evaluation,
          _never_ends, _evaluation_never_ends, _cluster_without_evaluator)


def _secs(value):
    """1.2 ms, 3.4 s, 5 min."""
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.0f} min"
