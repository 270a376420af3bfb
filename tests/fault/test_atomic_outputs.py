"""params.json / result.json are replaced atomically; the fault switch is read strictly."""

import json
import os

import pytest

from modelmaker import faults, records
from modelmaker.errors import ParamsError


def test_a_failure_mid_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / records.RESULT_FILE
    records.write_json(str(path), {"global_step": 1})

    def half_then_crash(data, f, **kwargs):
        f.write('{"global_step": ')
        f.flush()
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        records.write_json(str(path), {"global_step": 2})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"global_step": 1}
    assert os.listdir(tmp_path) == [records.RESULT_FILE], "no temporary file is left behind"


def test_a_replacement_is_complete(tmp_path):
    path = tmp_path / records.PARAMS_FILE
    records.write_json(str(path), {"a": 1})
    records.write_json(str(path), {"a": 2, "b": [1, 2]})
    assert records.read_json(str(path)) == {"a": 2, "b": [1, 2]}


def test_fault_switch_values():
    assert faults.parse(None) == faults.Faults() and faults.parse("").before_publish is None
    assert callable(faults.parse("kill_before_publish").before_publish)
    with pytest.raises(ParamsError, match="MODELMAKER_FAULT='kill_now' .* kill_before_publish"):
        faults.parse("kill_now")
