"""tuning_metric: the training/hptuning/metric summary, cloudml-hypertune and result.json."""

import json
import sys
import types

import pytest

import modelmaker
from modelmaker.controls import tuning
from modelmaker.errors import ParamsError
from tests.conftest import FAST
from tests.controls.events import summaries


@pytest.fixture
def hypertune(monkeypatch):
    """A stand-in for the cloudml-hypertune package that records its reports."""
    reports = []

    class HyperTune:
        def report_hyperparameter_tuning_metric(self, hyperparameter_metric_tag, metric_value,
                                                global_step=None):
            reports.append((hyperparameter_metric_tag, metric_value, global_step))

    monkeypatch.setitem(sys.modules, "hypertune", types.SimpleNamespace(HyperTune=HyperTune))
    tuning.hypertune_reporter.cache_clear()
    yield reports
    tuning.hypertune_reporter.cache_clear()


def test_tuning_metric_goes_to_the_summary_hypertune_and_result_json(tiny, tmp_path, hypertune):
    out = tmp_path / "out"
    result = modelmaker.fit(tiny, dict(FAST, tuning_metric="accuracy"), train_url=str(out))
    accuracy = result.metrics["accuracy"]
    assert result.tuning == {"metric": "accuracy", "value": accuracy, "global_step": 10}
    assert json.loads((out / "result.json").read_text())["tuning"] == result.tuning
    assert [(tag, step) for tag, _, step in hypertune] == [(tuning.TAG, 5), (tuning.TAG, 10)]
    assert hypertune[-1][1] == pytest.approx(accuracy)
    written = summaries(out / "eval", tuning.TAG)
    assert [step for step, _ in written] == [5, 10] and written[-1][1] == pytest.approx(accuracy)


def test_without_cloudml_hypertune_nothing_is_reported(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypertune", None)  # import hypertune -> ImportError
    tuning.hypertune_reporter.cache_clear()
    try:
        assert tuning.report_hypertune(0.5, 10) is False
    finally:
        tuning.hypertune_reporter.cache_clear()


def test_a_tuning_metric_the_evaluation_lacks_is_a_params_error(tiny, tmp_path):
    with pytest.raises(ParamsError, match=r"`tuning_metric` names the metric `acc`, which the evaluation "
                                          r"does not produce; its metrics are: accuracy, loss"):
        modelmaker.fit(tiny, dict(FAST, train_max_steps=5, tuning_metric="acc"),
                       train_url=str(tmp_path / "out"))
