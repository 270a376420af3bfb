"""Provides `describe`: when evaluations happen, in plain words, from the run parameters.

Estimator evaluates only checkpoints: when training and evaluation share a process, an
evaluation follows a checkpoint save if `eval_throttle_secs` have passed since the last one,
and a final evaluation runs at the end; a separate evaluator task evaluates the newest
checkpoint, at most every `eval_throttle_secs`. Nobody can guess that from the parameter
names (tensorflow/tensorflow#17650), so the run states it at start-up. `eval_every_steps`
is the shortcut that sets checkpoint cadence and throttle for "evaluate every N steps".
"""


def describe(params, *, evaluator_task=False):
    """One line, e.g. `evaluating every 1,000 steps (checkpoint cadence), at least 600 s
    apart, and at the end`.

    Args:
      params: the `RunParams`.
      evaluator_task: evaluation runs in a separate evaluator task (distributed training).
    """
    steps, secs = params["save_checkpoints_steps"], params["save_checkpoints_secs"]
    throttle, max_steps = params["eval_throttle_secs"], params["train_max_steps"]
    saved = f"every {steps:,} steps" if steps else f"every {secs:,} s"
    if evaluator_task:
        gap = f"at most every {throttle:,} s" if throttle else "as soon as one is saved"
        skipped = "; checkpoints saved in between are not evaluated" if _waits(params) else ""
        return (f"evaluating in the evaluator task: the newest checkpoint (saved {saved}), first after "
                f"{params['eval_start_delay_secs']:,} s, then {gap}{skipped}")
    if steps and max_steps is not None and steps >= max_steps:
        return (f"evaluating once, at the end (checkpoints every {steps:,} steps; "
                f"train_max_steps is {max_steps:,})")
    why = "eval_every_steps" if params["eval_every_steps"] else "checkpoint cadence"
    apart = f", at least {throttle:,} s apart" if throttle else ""
    return f"evaluating {saved} ({why}){apart}, and at the end"


def shortfall(params, *, evaluations, last_step):
    """A line saying that a cluster's evaluator evaluated fewer checkpoints than were saved
    (it takes the newest one after `eval_start_delay_secs`, then at most every
    `eval_throttle_secs`), or None when it evaluated them all."""
    steps = params["save_checkpoints_steps"]
    if not steps or not last_step:
        return None
    saved = -(-last_step // steps)  # every `steps` steps, and the last
    if evaluations >= saved:
        return None
    waits = _waits(params)
    fix = f"; lower {' and '.join(waits)} to evaluate more of them" if waits else ""
    return (f"the evaluator evaluated {evaluations} of the {saved} checkpoints saved (every {steps:,} "
            f"steps): it takes the newest one and skips those saved while it waited or evaluated{fix}.")


def _waits(params):
    """The evaluator's waits that are set, as `name (N s)`."""
    return [f"{key} ({params[key]:,} s)" for key in ("eval_start_delay_secs", "eval_throttle_secs")
            if params[key]]
