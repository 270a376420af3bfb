"""Provides `read` and `assemble`: prediction batches (labels, names and images carried along)
-> one `Collected`, each sample once, in input order."""

import dataclasses
from typing import Any, Mapping, Optional

import numpy as np

LABEL = "modelmaker/label"        # a label tensor; dict labels become LABEL/<key>
NAME = "modelmaker/name"
IMAGE = "modelmaker/image"
FINGERPRINT = "modelmaker/fingerprint"  # of each sample of an input that repeats
IMAGE_BUDGET_BYTES = 64 << 20      # images kept for the worst-confused figure (MNIST 10k: 31 MiB)


@dataclasses.dataclass(frozen=True)
class Collected:
    """What one pass over a split produced, one entry per sample, in input order.

    outputs: each per-sample prediction of model_fn, by key ([N, ...] arrays).
    labels: the labels, an array [N, ...] or a dict of them when the input yields dict labels.
    names: each sample's name from `report_name_key`, or None.
    images: the first samples' images ([M, ...], M <= N, bounded by IMAGE_BUDGET_BYTES), or None.
    capped: True when reading stopped at `report_max_samples` before the input ended.
    class_names: the names by class id that the input's dataset carries, or None.
    read: the samples read; more than `count` when the input repeats (each sample kept once).
    repeats: the input repeats forever.
    """

    outputs: Mapping[str, Any]
    labels: Any
    names: Optional[list]
    images: Optional[np.ndarray]
    count: int
    capped: bool
    class_names: Optional[list] = None
    read: int = 0
    repeats: bool = False


def read(predictions, max_samples, max_batches=None):
    """Consumes prediction batches until `max_samples` are read (or `max_batches` batches:
    an evaluation's eval_steps); returns (batches, count, capped, read). Of samples with a
    fingerprint (a repeating input) the first of each is kept."""
    batches, count, read, capped, seen = [], 0, 0, False, set()
    try:
        for number, batch in enumerate(predictions):
            if max_batches is not None and number >= max_batches:
                break
            size = _batch_size(batch)
            take = size if max_samples is None else min(size, max_samples - read)
            batch = {k: v[:take] for k, v in batch.items() if np.ndim(v) >= 1 and len(v) == size}
            read += take
            if FINGERPRINT in batch:
                batch = _first_seen(batch, seen)
            batches.append(batch)
            count += _batch_size(batch)
            if max_samples is not None and read >= max_samples:
                capped = True
                break
    finally:
        predictions.close()  # ends the prediction session when stopping early
    return batches, count, capped, read


def _first_seen(batch, seen):
    """`batch` without its fingerprints and without the samples already in `seen` (updated)."""
    keep = []
    for row in batch.pop(FINGERPRINT):
        key = row.tobytes()
        keep.append(key not in seen)
        seen.add(key)
    return {k: v[np.array(keep, dtype=bool)] for k, v in batch.items()}


def _batch_size(batch):
    labels = [v for k, v in batch.items() if k.startswith(LABEL)]
    return len(labels[0]) if labels and np.ndim(labels[0]) else 0


def assemble(batches, count, capped, read, *, repeats=False):
    """Per-key concatenation of the batches into a `Collected`."""
    keys = list(batches[0]) if batches else []
    arrays = {k: _concat([b[k] for b in batches if k in b]) for k in keys}
    label_keys = [k for k in arrays if k.startswith(LABEL)]
    labels = (arrays[LABEL] if LABEL in arrays
              else {k[len(LABEL) + 1:]: arrays[k] for k in label_keys} or None)
    names = [text(v) for v in arrays[NAME].reshape(count, -1)[:, 0]] if NAME in arrays else None
    outputs = {k: v for k, v in arrays.items() if k not in (NAME, IMAGE) and k not in label_keys}
    return Collected(outputs=outputs, labels=labels, names=names,
                     images=_kept_images(batches), count=count, capped=capped, read=read,
                     repeats=repeats)


def _concat(parts):
    try:
        return np.concatenate(parts)
    except ValueError:  # shapes differ between batches: keep one object per sample
        flat = [row for part in parts for row in part]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out


def _kept_images(batches):
    kept, used = [], 0
    for batch in batches:
        images = batch.get(IMAGE)
        if images is None or used + images.nbytes > IMAGE_BUDGET_BYTES:
            break
        kept.append(images)
        used += images.nbytes
    return _concat(kept) if kept else None


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
