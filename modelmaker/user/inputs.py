"""Provides `length`: what an input function yields, decided from the graph it builds.

An input function returns a `tf.data.Dataset`, or (features, labels) tensors. Tensors read
from an iterator (`make_one_shot_iterator(ds).get_next()`, an initializable iterator, a
queue) advance on every session run and end when their source ends; other tensors are
constants, the same batch every run, and never end. The Python type cannot tell the two
apart, the graph can: an iterator op upstream of the tensors.

    found = inputs.length(eval_spec.input_fn)   # builds the input in a throwaway graph
    found.endless, found.describe()             # True, "repeats forever"
"""

import dataclasses
from typing import Optional

import tensorflow as tf

from modelmaker.config import combinations
from modelmaker.errors import ParamsError

DATASET, ITERATOR, TENSORS = "a Dataset", "iterator tensors", "constant tensors"
INFINITE = int(tf.data.INFINITE_CARDINALITY)
UNKNOWN = int(tf.data.UNKNOWN_CARDINALITY)

_NEXT_OPS = ("IteratorGetNext", "IteratorGetNextSync", "IteratorGetNextAsOptional")
_QUEUE_OPS = ("QueueDequeue", "QueueDequeueV2", "QueueDequeueMany", "QueueDequeueManyV2",
              "QueueDequeueUpTo", "QueueDequeueUpToV2", "ReaderRead", "ReaderReadV2")


@dataclasses.dataclass(frozen=True)
class Length:
    """What an input function's result yields.

    kind: DATASET, ITERATOR (tensors that advance every run) or TENSORS (constants).
    batches: the batch count, INFINITE or UNKNOWN; None for constant tensors.
    """

    kind: str
    batches: Optional[int]

    @property
    def advances(self):
        """Each session run reads the next batch (a Dataset or iterator tensors)."""
        return self.kind != TENSORS

    @property
    def endless(self):
        """True: the input never ends; False: it ends; None: unknown."""
        if self.kind == TENSORS or self.batches == INFINITE:
            return True
        return None if self.batches == UNKNOWN else False

    def describe(self):
        if self.kind == TENSORS:
            return "(features, labels) tensors, the same every step"
        how = {INFINITE: "repeats forever", UNKNOWN: "length unknown"}.get(
            self.batches, f"{self.batches:,} batches")
        return how if self.kind == DATASET else f"{how} ((features, labels) from an iterator)"


def length(input_fn):
    """The `Length` of what `input_fn()` returns, built in a throwaway graph."""
    with tf.Graph().as_default():
        return of_result(input_fn(), run=True)


def of_result(result, *, run=False):
    """The `Length` of an input function's result in the current graph.

    With `run`, the batch count is computed (a session on the current graph: only for a
    throwaway graph); without, it is UNKNOWN for anything that advances.
    """
    if isinstance(result, tf.data.Dataset):
        return Length(DATASET, _run(tf.data.experimental.cardinality(result)) if run else UNKNOWN)
    sources = _sources(result)
    if not sources:
        return Length(TENSORS, None)
    if not run:
        return Length(ITERATOR, UNKNOWN)
    counts = [_source_batches(op) for op in sources]
    finite = [n for n in counts if n >= 0]
    if finite:
        return Length(ITERATOR, min(finite))  # the input ends with its shortest source
    return Length(ITERATOR, INFINITE if all(n == INFINITE for n in counts) else UNKNOWN)


def _sources(result):
    """The iterator and queue ops upstream of the tensors in `result`."""
    tensors = [t for t in tf.nest.flatten(result, expand_composites=True) if isinstance(t, tf.Tensor)]
    seen, stack, found = set(), [t.op for t in tensors], []
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in _NEXT_OPS or op.type in _QUEUE_OPS:
            found.append(op)
            continue
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return found


def _source_batches(op):
    """Batches an iterator op will yield (INFINITE, UNKNOWN or a count)."""
    if op.type in _QUEUE_OPS:
        return UNKNOWN
    iterator = op.inputs[0].op
    if iterator.type == "OneShotIterator":
        factory = iterator.get_attr("dataset_factory").name
        variant = tf.raw_ops.PartitionedCall(args=[], Tout=[tf.variant], f=factory)[0]
        return _run(tf.raw_ops.DatasetCardinality(input_dataset=variant))
    for consumer in iterator.outputs[0].consumers():  # an initializable iterator
        if consumer.type == "MakeIterator":
            return _run(tf.raw_ops.DatasetCardinality(input_dataset=consumer.inputs[0]))
    return UNKNOWN


def _run(tensor):
    with tf.compat.v1.Session() as session:
        return int(session.run(tensor))


def refuse_endless_evaluation(params, eval_input_fn):
    """Refuses, before training, a run whose evaluations would never end (the rule `modelmaker
    check` applies): eval_steps null and an evaluation input that repeats forever.

    Args:
      params: the `RunParams`.
      eval_input_fn: the checked evaluation input function, as the engine calls it.

    Raises:
      ParamsError: the check's one-line message.
    """
    if params["eval_steps"] is not None:
        return
    found = combinations.endless_evaluation(params, length(eval_input_fn).endless)
    if found:
        raise ParamsError(found.text)
