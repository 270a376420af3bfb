"""Provides `Shape`: how many tasks of each kind a cluster has, parsed from `worker=2,ps=1,evaluator=1`.

There is always exactly one chief. The launcher (`modelmaker launch --local`) and the
Kubeflow manifest (`modelmaker launch --print tfjob`) both start from a `Shape`.
"""

import dataclasses

from modelmaker.errors import ParamsError

# Kind -> (largest count allowed, what it is); the chief is always one.
KINDS = {
    "chief": (1, "saves checkpoints, evaluates and exports at the end (always 1)"),
    "worker": (None, "trains beside the chief"),
    "ps": (None, "holds the variables (parameter_server strategy)"),
    "evaluator": (1, "evaluates each new checkpoint while training runs (0 or 1)"),
}


@dataclasses.dataclass(frozen=True)
class Shape:
    """Task counts besides the one chief."""

    worker: int = 0
    ps: int = 0
    evaluator: int = 0

    def tasks(self):
        """[(kind, index)] of every task, the chief first."""
        counts = {"chief": 1, "worker": self.worker, "ps": self.ps, "evaluator": self.evaluator}
        return [(kind, index) for kind, count in counts.items() for index in range(count)]

    def cluster(self, address):
        """The TF_CONFIG `cluster` dict (the evaluator is not part of it).

        Args:
          address: a callable (kind, index) -> "host:port".
        """
        jobs = {"chief": 1, "worker": self.worker, "ps": self.ps}
        return {kind: [address(kind, i) for i in range(count)]
                for kind, count in jobs.items() if count}

    def __str__(self):
        parts = [f"{kind}={getattr(self, kind)}" for kind in ("worker", "ps", "evaluator")
                 if getattr(self, kind)]
        return ",".join(["chief=1", *parts])


def parse(text, *, flag="--local"):
    """A `Shape` from `worker=2,ps=1,evaluator=1` (kinds in any order, each at most once).

    Raises:
      ParamsError: an unknown kind, a count that is not a whole number, or out of range.
    """
    counts = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        if kind not in KINDS:
            raise ParamsError(f"{flag} {text!r}: unknown task kind {kind!r}; the kinds are "
                              f"{', '.join(KINDS)}. Example: {flag} worker=2,ps=1,evaluator=1.")
        if not sep or not value.strip().isdigit():
            raise ParamsError(f"{flag} {text!r}: {kind!r} needs a count, e.g. {kind}=1.")
        if kind in counts:
            raise ParamsError(f"{flag} {text!r}: {kind!r} is given twice; give each kind once.")
        counts[kind] = int(value)
        most = KINDS[kind][0]
        if most is not None and counts[kind] > most:
            raise ParamsError(f"{flag} {text!r}: {kind}={counts[kind]}, but at most {most} is "
                              f"allowed ({KINDS[kind][1]}).")
    if counts.pop("chief", 1) != 1:
        raise ParamsError(f"{flag} {text!r}: chief=0; a cluster always has exactly one chief.")
    return Shape(**counts)
