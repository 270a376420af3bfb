"""Provides `Batcher`: concurrent requests for one model and signature run as one batch.

Follows TF Serving's shared batch scheduler: each (model version, signature, input
shapes) has a queue of batches; a request joins the open batch if it fits in
`max_batch_size` instances, else it starts a new one, and a queue already holding
`max_enqueued_batches` batches answers UNAVAILABLE. At most `num_batch_threads` batches
run at once: a batch is run when it is full, when a newer one was started behind it, or
when its first request has waited `batch_timeout_micros` (0: as soon as a slot is free,
so batches form only while every slot is busy). A batch is padded up to the next
`allowed_batch_sizes` entry by repeating its first instance, run, and its outputs are
split back along the first dimension.

The batches are run by the waiting requests' own threads, not by a separate pool: a
request that finds a free slot runs the oldest ready batch itself (usually its own), and
a thread that finishes a batch wakes the first request of the next one to do the same.
A lone request thus runs at once on its own thread, with no hand-off, and under load a
batch costs one wake-up per request.

Unlike TF Serving, a batch never mixes up or fails requests because of one another:
requests only share a queue when their inputs agree past the first dimension, and a
batch whose run fails, or whose outputs lack the batch dimension, is run again one
request at a time so that each gets its own answer. Requests whose inputs have no
common first dimension run alone.
"""

import os
import threading
import time

import numpy as np

from modelmaker.serving.errors import BadRequest, ServingError, Unavailable


class _Task:
    __slots__ = ("inputs", "size", "done", "wake", "outputs", "error")

    def __init__(self, inputs, size):
        self.inputs, self.size, self.done = inputs, size, False
        self.wake = threading.Event()
        self.outputs = self.error = None


class _Batch:
    __slots__ = ("tasks", "size", "created")

    def __init__(self):
        self.tasks, self.size, self.created = [], 0, time.monotonic()


# A waiting request re-checks this often even unwoken: a safety net, not the mechanism.
_POLL_S = 0.1


class Batcher:
    """Runs requests in batches, at most `params.num_batch_threads` batches at once.

    Args:
      params: a `config.Batching`.
      metrics: records each batch's size (`metrics.Metrics` or `NoMetrics`).
    """

    def __init__(self, params, metrics=None):
        self.params = params
        self._metrics = metrics
        self._timeout = params.batch_timeout_micros / 1e6
        self._queues = {}  # (model, signature key, input layout) -> [_Batch], oldest first
        self._lock = threading.Lock()
        self._free = params.num_batch_threads or os.cpu_count() or 1  # batch slots
        self._closed = False

    def run(self, model, signature, inputs):
        """Runs `signature` of `model` on `inputs` within a batch; returns its own outputs.

        Raises:
          BadRequest: the request has more instances than max_batch_size (as TF Serving).
          Unavailable: the queue is full, or the server is stopping.
          ServingError: the model rejected this request's inputs.
        """
        size = _size(signature, inputs)
        if size is None:
            return model.run(signature, inputs)  # nothing to batch along, or a missing input
        if size > self.params.max_batch_size:
            raise BadRequest(f"Task size {size} is larger than maximum input batch size "
                             f"{self.params.max_batch_size}")
        task = _Task(inputs, size)
        key = (model, signature.key, tuple((a, inputs[a].dtype.str, inputs[a].shape[1:])
                                           for a in sorted(inputs)))
        with self._lock:
            if self._closed:
                raise Unavailable("The server is stopping; retry on another replica")
            self._enqueue(key, task)
        self._serve(task)
        if task.error is not None:
            raise task.error
        return task.outputs

    def _enqueue(self, key, task):
        batches = self._queues.setdefault(key, [])
        if not batches or batches[-1].size + task.size > self.params.max_batch_size:
            if len(batches) >= self.params.max_enqueued_batches:
                if not batches:
                    del self._queues[key]
                raise Unavailable("The batch scheduling queue to which this task was submitted "
                                  "is full")
            batches.append(_Batch())
        batches[-1].tasks.append(task)
        batches[-1].size += task.size

    def _serve(self, task):
        """Until `task` is done: run a ready batch when a slot is free, else wait to be woken."""
        while True:
            with self._lock:
                if task.done:
                    return
                picked, wait = self._pick() if self._free else (None, None)
                if picked is not None:
                    self._free -= 1
                else:
                    task.wake.clear()
            if picked is None:
                task.wake.wait(min(wait, _POLL_S) if wait is not None else _POLL_S)
                continue
            try:
                self._execute(*picked)
            finally:
                with self._lock:
                    self._free += 1
                    self._wake_next()

    def _wake_next(self):
        """Wakes the first request of the oldest waiting batch to run it (lock held)."""
        oldest = min((batches[0] for batches in self._queues.values()),
                     key=lambda b: b.created, default=None)
        if oldest is not None:
            oldest.tasks[0].wake.set()

    def _pick(self):
        """((model, signature key, batch) ready to run, None) or (None, seconds to wait)."""
        now, best, wait = time.monotonic(), None, None
        for key, batches in self._queues.items():
            first = batches[0]
            due = first.created + self._timeout
            if len(batches) > 1 or first.size >= self.params.max_batch_size or due <= now:
                if best is None or first.created < self._queues[best][0].created:
                    best = key
            else:
                wait = due - now if wait is None else min(wait, due - now)
        if best is None:
            return None, wait
        batches = self._queues[best]
        batch = batches.pop(0)
        if not batches:
            del self._queues[best]
        return (best[0], best[1], batch), None

    def _execute(self, model, key, batch):
        signature, tasks = model.signatures[key], batch.tasks
        try:
            if len(tasks) == 1 and not self.params.allowed_batch_sizes:
                _attempt(tasks[0], lambda: model.run(signature, tasks[0].inputs))
                return
            padded = _padded_size(batch.size, self.params.allowed_batch_sizes)
            merged = {alias: _pad(np.concatenate([t.inputs[alias] for t in tasks]), padded)
                      for alias in tasks[0].inputs}
            if self._metrics is not None:
                self._metrics.batch(model.name, key, padded)
            try:
                outputs = model.run(signature, merged)
            except ServingError:
                outputs = None
            if outputs is None or any(np.ndim(v) == 0 or len(v) != padded
                                      for v in outputs.values()):
                for task in tasks:  # each request gets its own answer or error
                    _attempt(task, lambda t=task: model.run(signature, t.inputs))
                return
            start = 0
            for task in tasks:
                task.outputs = {a: v[start:start + task.size] for a, v in outputs.items()}
                start += task.size
        except Exception as e:  # noqa: BLE001 - never leave a request waiting forever
            for task in tasks:
                if task.outputs is None and task.error is None:
                    task.error = e
        finally:
            with self._lock:
                for task in tasks:
                    task.done = True
                    task.wake.set()

    def close(self):
        """Answers the requests still queued UNAVAILABLE; batches running finish."""
        with self._lock:
            self._closed = True
            for batches in self._queues.values():
                for task in (t for b in batches for t in b.tasks):
                    task.error = Unavailable("The server is stopping; retry on another replica")
                    task.done = True
                    task.wake.set()
            self._queues.clear()


def _size(signature, inputs):
    """The common first dimension of the inputs, or None when they cannot be batched."""
    if not inputs or set(inputs) != set(signature.inputs):
        return None
    sizes = {np.shape(v)[0] if np.ndim(v) else None for v in inputs.values()}
    size = sizes.pop() if len(sizes) == 1 else None
    return size or None


def _padded_size(size, allowed):
    return next((s for s in allowed if s >= size), size)


def _pad(array, size):
    extra = size - len(array)
    return array if extra <= 0 else np.concatenate([array, np.repeat(array[:1], extra, axis=0)])


def _attempt(task, run):
    try:
        task.outputs = run()
    except Exception as e:  # noqa: BLE001 - handed to the waiting request, which raises it
        task.error = e
