"""Provides `Target`: one evaluation metric that a training control watches.

Best export and early stopping watch a metric and a direction named in the parameters,
e.g. `{"metric": "accuracy", "mode": "max"}`; the tuning objective reads one metric. This
module reads that metric from an evaluation result and decides what counts as better.
There is no default metric: Estimator's BestExporter silently compares `loss`.
"""

import dataclasses
import math
from typing import Optional

from modelmaker.errors import ParamsError


@dataclasses.dataclass(frozen=True)
class Target:
    """A watched metric.

    Attributes:
      metric: the evaluation metric's name (a key of `eval_metric_ops`, or `loss`).
      key: the parameter that named it (`best_export`, ...), for messages.
      mode: `max` when higher is better, `min` when lower is; None when only read.
      min_delta: how much better a value must be to count as an improvement.
    """

    metric: str
    key: str
    mode: Optional[str] = None
    min_delta: float = 0.0

    def read(self, eval_result):
        """The metric's value in `eval_result` (Estimator's metrics dict) as a float.

        Raises:
          ParamsError: the evaluation does not produce the metric, or it is not a scalar.
        """
        if self.metric not in eval_result:
            names = ", ".join(sorted(k for k in eval_result if k != "global_step"))
            raise ParamsError(
                f"`{self.key}` names the metric `{self.metric}`, which the evaluation does not "
                f"produce; its metrics are: {names}. Use one of them (the keys of model_fn's "
                "eval_metric_ops, or loss).")
        try:
            return float(eval_result[self.metric])
        except (TypeError, ValueError):
            raise ParamsError(
                f"`{self.key}` names the metric `{self.metric}`, whose value "
                f"{eval_result[self.metric]!r} is not a single number. Name a scalar metric."
            ) from None

    def improved(self, value, best):
        """True when `value` beats `best` by more than `min_delta`; any number beats None, NaN
        beats nothing."""
        if math.isnan(value):
            return False
        if best is None:
            return True
        if self.mode == "max":
            return value > best + self.min_delta
        return value < best - self.min_delta

    def matches(self, record):
        """True when a persisted `record` was written for this same metric and direction."""
        return (isinstance(record, dict) and record.get("metric") == self.metric
                and record.get("mode") == self.mode)

    def describe(self):
        """E.g. `accuracy (higher is better)`."""
        better = {"max": " (higher is better)", "min": " (lower is better)"}.get(self.mode, "")
        return f"{self.metric}{better}"
