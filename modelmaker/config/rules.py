"""The rules between reserved keys, applied after merging: `eval_every_steps` and the two
checkpoint cadences."""

from modelmaker.errors import ParamsError

_CADENCE_KEYS = ("save_checkpoints_steps", "save_checkpoints_secs")


def apply_eval_every(values, sources):
    """`eval_every_steps` N means: checkpoint every N steps, evaluate every checkpoint."""
    every, origin = values["eval_every_steps"], sources["eval_every_steps"]
    if every is None:
        return
    implied = {"save_checkpoints_steps": every, "save_checkpoints_secs": None, "eval_throttle_secs": 0}
    for key, value in implied.items():
        if sources[key] != "defaults" and values[key] != value:
            raise ParamsError(
                f"`eval_every_steps` ({every}, from {origin}) sets `{key}` to "
                f"{'null' if value is None else value}, but `{key}` is {values[key]!r} (from "
                f"{sources[key]}). Remove one of the two.")
        values[key] = value
        sources[key] = f"eval_every_steps in {origin}"


def apply_cadence(values, sources):
    """Applies the seed's rule: the two checkpoint cadences are exclusive; one must be on."""
    steps, secs = (values[k] for k in _CADENCE_KEYS)
    steps_set, secs_set = (sources[k] != "defaults" for k in _CADENCE_KEYS)
    if steps is not None and secs is not None:
        if steps_set and not secs_set:
            values["save_checkpoints_secs"] = None  # choosing steps turns the default seconds off
            return
        raise ParamsError(
            f"`save_checkpoints_steps` ({steps}, from {sources['save_checkpoints_steps']}) and "
            f"`save_checkpoints_secs` ({secs}, from {sources['save_checkpoints_secs']}) are both set; "
            "they are exclusive. Set one of them to null.")
    if steps is None and secs is None:
        raise ParamsError(
            f"`save_checkpoints_steps` (from {sources['save_checkpoints_steps']}) and "
            f"`save_checkpoints_secs` (from {sources['save_checkpoints_secs']}) are both null, which turns "
            "checkpoints off; train_and_evaluate evaluates and exports checkpoints, so one is "
            "needed. Set e.g. \"save_checkpoints_steps\": 1000.")
