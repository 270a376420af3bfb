"""best_export: the best model under export/best/<N>/, its score in best.json, restart-safe."""

import json

import pytest

import modelmaker
from modelmaker.engine import export as export_lib
from modelmaker import records
from modelmaker.errors import ParamsError
from tests.conftest import FAST

BEST_LOSS = {"metric": "loss", "mode": "min"}


def best_versions(out):
    return export_lib.versions(str(out / "export" / "best"))


def test_best_export_keeps_the_best_and_a_restart_never_exports_a_worse_model(tiny, tmp_path, capfd):
    out = tmp_path / "out"
    settings = dict(FAST, train_max_steps=15, learning_rate=0.5, best_export=BEST_LOSS, exports_to_keep=1)
    result = modelmaker.fit(tiny, settings, train_url=str(out))
    best = json.loads((out / "best.json").read_text())
    assert (best["metric"], best["mode"]) == ("loss", "min")
    assert best["value"] <= result.metrics["loss"] + 1e-6
    kept = best_versions(out)
    assert len(kept) == 1 and kept[0] >= 2, "exports_to_keep=1 removed the earlier best versions"
    newest = out / "export" / "best" / str(kept[0])
    assert best["export_dir"] == str(newest) and (newest / "saved_model.pb").is_file()
    assert json.loads((newest / "modelmaker_best.json").read_text())["value"] == best["value"]
    assert export_lib.read_marker(str(newest))["global_step"] == best["global_step"]

    # A restart compares with the persisted best; make it unbeatable: nothing is exported.
    records.write_json(str(out / "best.json"), dict(best, value=-1.0))
    modelmaker.fit(tiny, dict(settings, train_max_steps=20), train_url=str(out))
    assert best_versions(out) == kept
    assert json.loads((out / "best.json").read_text())["value"] == -1.0
    assert "does not beat -1 (step" in capfd.readouterr().err


def test_best_export_may_not_share_the_final_export_folder(tiny, tmp_path):
    with pytest.raises(ParamsError, match=r"`export_name` \('best', from fit\(params=...\)\) is the folder"):
        modelmaker.fit(tiny, dict(FAST, export_name="best", best_export=BEST_LOSS),
                       train_url=str(tmp_path / "out"))


def test_prune_keeps_the_newest_versions(tmp_path):
    for number in (1, 2, 10, 3):
        (tmp_path / str(number)).mkdir()
    assert export_lib.prune(str(tmp_path), None) == []
    assert export_lib.prune(str(tmp_path), 2) == [str(tmp_path / "1"), str(tmp_path / "2")]
    assert export_lib.versions(str(tmp_path)) == [3, 10]
