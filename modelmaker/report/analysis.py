"""Provides the report's numbers, computed with NumPy alone from labels and predictions.

Classification: accuracy, per-class precision/recall/F1/support, macro and weighted
averages (over the classes that occur in the labels or the predictions, as scikit-learn
does) and the confusion matrix, rows = true class, columns = predicted class. A class
never predicted has precision 0, one never present has recall 0 (scikit-learn's
`zero_division=0`). Regression: MAE, MSE, RMSE, R² and statistics of the residuals
(prediction - label).
"""

import numpy as np

MOST_CONFUSED = 10   # off-diagonal cells listed in the results
TOP_K = 5            # top-k accuracy is reported when there are more than k classes


def confusion_matrix(labels, predictions, num_classes):
    """Counts of (true class, predicted class) pairs.

    Args:
      labels: int array [N] of true class ids in [0, num_classes).
      predictions: int array [N] of predicted class ids in [0, num_classes).
      num_classes: K.

    Returns:
      An int64 array [K, K]; row i, column j counts samples of class i predicted as j.
    """
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, np.int64), np.asarray(predictions, np.int64)), 1)
    return matrix


def per_class(matrix):
    """Precision, recall, F1, support and predicted count for each class of a confusion matrix.

    Returns:
      A dict of float arrays [K] (`precision`, `recall`, `f1`) and int arrays [K]
      (`support`: true samples of the class, `predicted`: samples predicted as it).
    """
    matrix = np.asarray(matrix, np.float64)
    tp = np.diag(matrix)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1,
            "support": support.astype(np.int64), "predicted": predicted.astype(np.int64)}


def classification(labels, predictions, *, num_classes, probabilities=None, class_names=None):
    """The classification analysis written to model_analysis_results.json.

    Args:
      labels, predictions: int arrays [N] of class ids.
      num_classes: K (at least 1 + the largest id seen).
      probabilities: optional float array [N, K] of per-class confidences.
      class_names: optional list of K display names (default: the ids as strings).

    Returns:
      A JSON-ready dict: `overall`, `per_class`, `confusion_matrix`, `most_confused`.
    """
    labels = np.asarray(labels, np.int64)
    predictions = np.asarray(predictions, np.int64)
    names = list(class_names or [str(i) for i in range(num_classes)])
    matrix = confusion_matrix(labels, predictions, num_classes)
    stats = per_class(matrix)
    present = (stats["support"] + stats["predicted"]) > 0
    weights = stats["support"] / max(1, stats["support"].sum())
    overall = {"accuracy": _mean(labels == predictions)}
    for key in ("precision", "recall", "f1"):
        overall[f"macro_{key}"] = float(stats[key][present].mean()) if present.any() else 0.0
        overall[f"weighted_{key}"] = float((stats[key] * weights).sum())
    if probabilities is not None:
        probabilities = np.asarray(probabilities, np.float64)
        overall["mean_confidence"] = _mean(probabilities[np.arange(len(labels)), predictions])
        if probabilities.shape[1] > TOP_K:
            top = np.argsort(-probabilities, axis=1)[:, :TOP_K]
            overall[f"top_{TOP_K}_accuracy"] = _mean((top == labels[:, None]).any(axis=1))
    rows = [{"class_id": i, "name": names[i], "precision": float(stats["precision"][i]),
             "recall": float(stats["recall"][i]), "f1": float(stats["f1"][i]),
             "support": int(stats["support"][i]), "predicted": int(stats["predicted"][i])}
            for i in range(num_classes)]
    return {"task": "classification", "num_samples": int(len(labels)),
            "num_classes": int(num_classes), "class_names": names, "overall": overall,
            "per_class": rows, "confusion_matrix": matrix.tolist(),
            "most_confused": most_confused(matrix, names)}


def most_confused(matrix, names, limit=MOST_CONFUSED):
    """The largest off-diagonal cells: which true class is most often taken for which."""
    off = np.array(matrix, np.int64)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:limit]
    cells = [np.unravel_index(i, off.shape) for i in order]
    return [{"label": names[t], "prediction": names[p], "count": int(off[t, p])}
            for t, p in cells if off[t, p] > 0]


def regression(labels, predictions):
    """The regression analysis written to model_analysis_results.json.

    Args:
      labels, predictions: float arrays of the same size (flattened: every output counts).

    Returns:
      A JSON-ready dict: `overall` (mae, mse, rmse, r2, label mean/std) and `residuals`.
      R² is null when the labels are constant (it is undefined then).
    """
    labels = np.asarray(labels, np.float64).ravel()
    predictions = np.asarray(predictions, np.float64).ravel()
    residuals = predictions - labels
    mse = _mean(residuals ** 2)
    total = float(((labels - labels.mean()) ** 2).sum()) if labels.size else 0.0
    overall = {"mae": _mean(np.abs(residuals)), "mse": mse, "rmse": float(np.sqrt(mse)),
               "r2": 1.0 - float((residuals ** 2).sum()) / total if total > 0 else None,
               "label_mean": _mean(labels), "label_std": _std(labels),
               "prediction_mean": _mean(predictions)}
    return {"task": "regression", "num_samples": int(labels.size), "overall": overall,
            "residuals": residual_stats(residuals)}


def residual_stats(residuals):
    """Mean, spread and percentiles of the residuals, and of their absolute values."""
    residuals = np.asarray(residuals, np.float64)
    if residuals.size == 0:
        return {}
    pct = np.percentile(residuals, [5, 50, 95])
    absolute = np.percentile(np.abs(residuals), [50, 90, 99])
    return {"mean": _mean(residuals), "std": _std(residuals), "min": float(residuals.min()),
            "max": float(residuals.max()), "p5": float(pct[0]), "median": float(pct[1]),
            "p95": float(pct[2]), "abs_median": float(absolute[0]), "abs_p90": float(absolute[1]),
            "abs_p99": float(absolute[2]), "abs_max": float(np.abs(residuals).max())}


def _ratio(num, den):
    """num / den, 0 where den is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros_like(np.asarray(num, np.float64))
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


def _mean(values):
    values = np.asarray(values, np.float64)
    return float(values.mean()) if values.size else 0.0


def _std(values):
    values = np.asarray(values, np.float64)
    return float(values.std()) if values.size else 0.0
