"""Provides the machine-readable report files, under the names ModelArts' evaluation uses.

    model_analysis_results.json  the analysis (`analysis.classification` / `regression` + run facts)
    all_samples.json             one sample per line: index, name, label, prediction, confidence
    tmp_model_analysis.npz       raw arrays: task_type, pred_list (per-class probabilities when
                                 the model gives them, else the predictions), label_list,
                                 name_list, label_map_dict (JSON text), plus predictions and
                                 confidences
"""

import json
import math
import os

import numpy as np

from modelmaker import records

RESULTS_FILE = "model_analysis_results.json"
SAMPLES_FILE = "all_samples.json"
ARRAYS_FILE = "tmp_model_analysis.npz"


def write_results(folder, results):
    """Writes the analysis dict as `model_analysis_results.json`; returns the path."""
    path = os.path.join(folder, RESULTS_FILE)
    records.write_json(path, _finite(results))
    return path


def samples(arrays, names):
    """One JSON-ready record per sample, in input order.

    Args:
      arrays: the `select.Arrays`.
      names: the sample names, or None (then the names are the indices).
    """
    n = len(arrays.labels)
    names = names if names is not None else [str(i) for i in range(n)]
    if arrays.task == "regression":
        return [{"index": i, "name": names[i], "label": _value(arrays.labels[i]),
                 "prediction": _value(arrays.predictions[i]),
                 "residual": _value(arrays.predictions[i] - arrays.labels[i])} for i in range(n)]
    class_names = arrays.class_names
    named = class_names != [str(i) for i in range(arrays.num_classes)]
    out = []
    for i in range(n):
        label, prediction = int(arrays.labels[i]), int(arrays.predictions[i])
        record = {"index": i, "name": names[i], "label": label, "prediction": prediction,
                  "confidence": None if arrays.confidence is None else _number(arrays.confidence[i]),
                  "correct": label == prediction}
        if named:
            record.update(label_name=class_names[label], prediction_name=class_names[prediction])
        out.append(record)
    return out


def write_samples(folder, header, rows):
    """Writes `all_samples.json`: `header` fields and a `samples` list, one sample per line
    (a 10,000-sample split stays readable with grep and a text editor)."""
    path = os.path.join(folder, SAMPLES_FILE)
    head = json.dumps(_finite(header), ensure_ascii=False)[:-1]
    body = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f'{head}, "samples": [\n{body}\n]}}\n')
    os.replace(tmp, path)
    return path


def write_arrays(folder, arrays, names):
    """Writes `tmp_model_analysis.npz` with ModelArts' array names; returns the path."""
    n = len(arrays.labels)
    names = names if names is not None else [str(i) for i in range(n)]
    label_map = {str(i): name for i, name in enumerate(arrays.class_names or [])}
    raw = {"task_type": np.array(arrays.task),
           "pred_list": arrays.probabilities if arrays.probabilities is not None else arrays.predictions,
           "label_list": arrays.labels, "name_list": np.array(names, dtype=str),
           "label_map_dict": np.array(json.dumps(label_map, ensure_ascii=False)),
           "predictions": arrays.predictions}
    if arrays.confidence is not None:
        raw["confidences"] = arrays.confidence
    path = os.path.join(folder, ARRAYS_FILE)
    np.savez_compressed(path, **raw)
    return path


def _value(row):
    """A scalar for one-output rows, else a list."""
    row = np.ravel(row)
    return _number(row[0]) if row.size == 1 else [_number(v) for v in row]


def _number(value):
    value = float(value)
    return value if math.isfinite(value) else None  # JSON has no NaN or Infinity


def _finite(data):
    """`data` with NaN and infinities replaced by None, recursively."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data
