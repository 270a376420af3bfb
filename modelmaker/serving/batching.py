"""Provides `Batcher`: concurrent requests for one model and signature run as one batch.

Follows TF Serving's shared batch scheduler: each (model version, signature, input
shapes) has a queue of batches; a request joins the open batch if it fits in
`max_batch_size` instances, else it starts a new one, and a queue already holding
`max_enqueued_batches` batches answers UNAVAILABLE. `num_batch_threads` threads run
batches: a batch is run when it is full, when a newer one was started behind it, or
when its first request has waited `batch_timeout_micros` (0: as soon as a thread is
free, so batches form only while every thread is busy). A batch is padded up to the
next `allowed_batch_sizes` entry by repeating its first instance, run, and its outputs
are split back along the first dimension.

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
    __slots__ = ("inputs", "size", "done", "outputs", "error")

    def __init__(self, inputs, size):
        self.inputs, self.size = inputs, size
        self.done = threading.Event()
        self.outputs = self.error = None


class _Batch:
    __slots__ = ("tasks", "size", "created")

    def __init__(self):
        self.tasks, self.size, self.created = [], 0, time.monotonic()


class Batcher:
    """Runs requests in batches on `params.num_batch_threads` threads; `close()` stops them.

    Args:
      params: a `config.Batching`.
      metrics: records each batch's size (`metrics.Metrics` or `NoMetrics`).
    """

    def __init__(self, params, metrics=None):
        self.params = params
        self._metrics = metrics
        self._timeout = params.batch_timeout_micros / 1e6
        self._queues = {}  # (model, signature key, input layout) -> [_Batch], oldest first
        self._cond = threading.Condition()
        self._closed = False
        count = params.num_batch_threads or os.cpu_count() or 1
        self._threads = [threading.Thread(target=self._work, name=f"modelmaker-batch-{i}",
                                          daemon=True) for i in range(count)]
        for thread in self._threads:
            thread.start()

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
        with self._cond:
            if self._closed:
                raise Unavailable("The server is stopping; retry on another replica")
            self._enqueue(key, task)
            self._cond.notify()
        task.done.wait()
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

    def _work(self):
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    picked, wait = self._pick()
                    if picked:
                        break
                    self._cond.wait(wait)
            self._execute(*picked)

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
        signature = model.signatures[key]
        tasks = batch.tasks
        try:
            if len(tasks) == 1 and not self.params.allowed_batch_sizes:
                _finish(tasks[0], lambda: model.run(signature, tasks[0].inputs))
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
                    _finish(task, lambda t=task: model.run(signature, t.inputs))
                return
            start = 0
            for task in tasks:
                task.outputs = {a: v[start:start + task.size] for a, v in outputs.items()}
                start += task.size
                task.done.set()
        except Exception as e:  # noqa: BLE001 - never leave a request waiting forever
            for task in tasks:
                if not task.done.is_set():
                    task.error = e
                    task.done.set()

    def close(self):
        """Stops the threads; requests still queued are answered UNAVAILABLE."""
        with self._cond:
            self._closed = True
            pending = [t for batches in self._queues.values() for b in batches for t in b.tasks]
            self._queues.clear()
            self._cond.notify_all()
        for task in pending:
            task.error = Unavailable("The server is stopping; retry on another replica")
            task.done.set()
        for thread in self._threads:
            thread.join(timeout=30)


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


def _finish(task, run):
    try:
        task.outputs = run()
    except Exception as e:  # noqa: BLE001 - handed to the waiting request, which raises it
        task.error = e
    task.done.set()
