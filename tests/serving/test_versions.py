"""Version discovery and hot reload: newest first, load before unload, no request dropped."""

import os

import pytest

from modelmaker.serving import versions as versions_lib
from modelmaker.serving.errors import NotFound


def make_version(base, name, complete=True):
    path = os.path.join(base, name)
    os.makedirs(path)
    if complete:
        open(os.path.join(path, "saved_model.pb"), "wb").close()
    return path


class FakeModel:
    def __init__(self, path, version):
        self.path, self.version, self.closed = path, version, False

    def close(self):
        self.closed = True


def fake_versions(base, broken=(), **kwargs):
    def loader(path, version, marker):
        if version in broken:
            raise OSError(f"cannot load {path}")
        return FakeModel(path, version)
    return versions_lib.ModelVersions(name="m", base_path=str(base), loader=loader, **kwargs)


def test_discover_keeps_integer_folders_only(tmp_path):
    for name in ("1", "0010", "temp-1700000000", ".staging-1-2", "abc", "٣"):
        make_version(tmp_path, name)
    (tmp_path / "7").write_text("a file, not a version")
    assert sorted(versions_lib.discover(str(tmp_path))) == [1, 10]


def test_discover_one_savedmodel_folder_and_duplicate_numbers(tmp_path):
    one = make_version(tmp_path, "3")
    assert versions_lib.discover(one) == {3: one}
    make_version(tmp_path, "003")
    assert versions_lib.discover(str(tmp_path)) == {3: one}  # the shorter name wins
    assert versions_lib.discover(str(tmp_path / "missing")) == {}


def test_poll_serves_the_newest_and_switches_load_before_unload(tmp_path):
    make_version(tmp_path, "1")
    versions = fake_versions(tmp_path)
    assert versions.poll() == [1]
    with versions.lease() as first:
        make_version(tmp_path, "2")
        assert versions.poll() == [2]
        assert not first.closed  # still answering the request that holds it
        with versions.lease() as second:
            assert second.version == 2
    assert first.closed
    states = {s.version: s.state for s in versions.states()}
    assert states == {2: "AVAILABLE", 1: "END"}
    with pytest.raises(NotFound, match=r"Servable not found for request: Specific\(m, 1\)"):
        with versions.lease(1):
            pass


def test_num_versions_keeps_several_and_zero_keeps_all(tmp_path):
    for name in ("1", "2", "3"):
        make_version(tmp_path, name)
    assert fake_versions(tmp_path, num_versions=2).poll() == [2, 3]
    assert fake_versions(tmp_path, num_versions=0).poll() == [1, 2, 3]


def test_a_broken_or_unfinished_version_never_replaces_a_working_one(tmp_path):
    make_version(tmp_path, "1")
    versions = fake_versions(tmp_path, broken={3}, max_load_retries=1)
    versions.poll()
    make_version(tmp_path, "2", complete=False)  # still being copied: no saved_model.pb
    make_version(tmp_path, "3")
    for _ in range(3):
        assert versions.poll() == [1]
    state = next(s for s in versions.states() if s.version == 3)
    assert state.state == "END" and "cannot load" in state.error and state.failures == 2


def test_deleting_the_served_version_unloads_it(tmp_path):
    make_version(tmp_path, "1")
    versions = fake_versions(tmp_path)
    versions.poll()
    os.rename(tmp_path / "1", tmp_path / "deleted")
    assert versions.poll() == []
    with pytest.raises(NotFound, match=r"Latest\(m\)"):
        with versions.lease():
            pass


def test_states_errors_follow_tf_serving(tmp_path):
    versions = fake_versions(tmp_path)
    with pytest.raises(NotFound, match="Could not find any versions of model m"):
        versions.states()
    make_version(tmp_path, "1")
    versions.poll()
    with pytest.raises(NotFound, match="Could not find version 9 of model m"):
        versions.states(9)
