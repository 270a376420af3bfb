"""The report's numbers against small cases computed by hand."""

import numpy as np
import pytest

from modelmaker.report import analysis

# 10 samples, 5 classes: class 3 is predicted once but never true, class 4 never occurs.
LABELS = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
PREDICTIONS = [0, 0, 1, 2, 1, 1, 3, 2, 2, 0]
MATRIX = [[2, 1, 1, 0, 0],
          [0, 2, 0, 1, 0],
          [1, 0, 2, 0, 0],
          [0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0]]


def test_confusion_matrix_rows_are_true_classes():
    assert analysis.confusion_matrix(LABELS, PREDICTIONS, 5).tolist() == MATRIX


def test_per_class_precision_recall_f1_support():
    stats = analysis.per_class(MATRIX)
    np.testing.assert_allclose(stats["precision"], [2 / 3, 2 / 3, 2 / 3, 0, 0])
    np.testing.assert_allclose(stats["recall"], [1 / 2, 2 / 3, 2 / 3, 0, 0])
    np.testing.assert_allclose(stats["f1"], [4 / 7, 2 / 3, 2 / 3, 0, 0])
    assert stats["support"].tolist() == [4, 3, 3, 0, 0]
    assert stats["predicted"].tolist() == [3, 3, 3, 1, 0]


def test_classification_overall_averages_over_classes_that_occur():
    result = analysis.classification(LABELS, PREDICTIONS, num_classes=5)
    overall = result["overall"]
    assert overall["accuracy"] == pytest.approx(0.6)
    # Macro averages skip class 4 (neither true nor predicted) but count class 3 (predicted).
    assert overall["macro_precision"] == pytest.approx((2 / 3 * 3) / 4)
    assert overall["macro_recall"] == pytest.approx(11 / 24)
    assert overall["macro_f1"] == pytest.approx(10 / 21)
    assert overall["weighted_f1"] == pytest.approx(22 / 35)
    assert overall["weighted_recall"] == pytest.approx(0.6), "weighted recall equals accuracy"
    assert result["confusion_matrix"] == MATRIX
    assert [r["support"] for r in result["per_class"]] == [4, 3, 3, 0, 0]
    assert result["class_names"] == ["0", "1", "2", "3", "4"]
    assert "mean_confidence" not in overall and "top_5_accuracy" not in overall


def test_most_confused_lists_off_diagonal_cells_largest_first():
    cells = analysis.most_confused([[5, 0, 3], [1, 4, 0], [0, 2, 6]], ["a", "b", "c"])
    assert cells == [{"label": "a", "prediction": "c", "count": 3},
                     {"label": "c", "prediction": "b", "count": 2},
                     {"label": "b", "prediction": "a", "count": 1}]


def test_probabilities_give_confidence_and_top_k():
    k = 7
    labels = np.array([0, 1, 2, 3])
    probs = np.full((4, k), 0.01)
    probs[0, 0] = 0.9         # right
    probs[1, [6, 1]] = [0.5, 0.4]   # wrong, label second
    probs[2, [6, 5, 4, 3, 2]] = [0.3, 0.2, 0.15, 0.12, 0.11]  # label fifth: inside the top 5
    probs[3, [6, 5, 4, 2, 1]] = [0.3, 0.2, 0.15, 0.12, 0.11]  # label not in the top 5
    predictions = probs.argmax(axis=1)
    overall = analysis.classification(labels, predictions, num_classes=k, probabilities=probs)["overall"]
    assert overall["accuracy"] == pytest.approx(0.25)
    assert overall["top_5_accuracy"] == pytest.approx(0.75)
    assert overall["mean_confidence"] == pytest.approx((0.9 + 0.5 + 0.3 + 0.3) / 4)


def test_regression_metrics_and_residuals():
    result = analysis.regression([1, 2, 3, 4], [1.5, 2, 2, 5])
    overall = result["overall"]
    assert overall["mae"] == pytest.approx(0.625)
    assert overall["mse"] == pytest.approx(0.5625)
    assert overall["rmse"] == pytest.approx(0.75)
    assert overall["r2"] == pytest.approx(1 - 2.25 / 5)
    residuals = result["residuals"]
    assert residuals["mean"] == pytest.approx(0.125)
    assert (residuals["min"], residuals["max"], residuals["abs_max"]) == (-1, 1, 1)
    assert residuals["median"] == pytest.approx(0.25)
    assert result["num_samples"] == 4


def test_regression_r2_is_null_for_constant_labels():
    assert analysis.regression([2, 2, 2], [1, 2, 3])["overall"]["r2"] is None
