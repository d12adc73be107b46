"""The rollback manifest's boundary (governance.fs.rollback.Manifest): what capture() writes
loads back as the same entries, and anything it could not have written is refused with
the entry and the field that are wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.fs.rollback import RollbackSnapshot, after_digest


def _captured(tmp_path: Path) -> tuple[RollbackSnapshot, Path, Path]:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "a.py").write_text("a = 1\n")
    (repo / "pkg" / "a.py").chmod(0o640)
    snap = RollbackSnapshot.capture(tmp_path / "state", "op-1", repo,
                                    ["pkg/a.py", "new/deep/b.py"],
                                    [after_digest(b"a = 2\n"), after_digest(None)])
    return snap, repo, snap.directory / "manifest.json"


def test_a_captured_manifest_round_trips(tmp_path):
    snap, repo, _ = _captured(tmp_path)
    snap.extend(["pkg/a.py"], [after_digest(b"a = 3\n")])
    loaded = RollbackSnapshot.load(snap.directory, repo)
    assert loaded.entries == snap.entries
    a, b = loaded.entries
    assert (a.existed, a.mode, a.blob) == (True, 0o640, "0.orig")
    assert a.earlier_after == (after_digest(b"a = 2\n"),)
    assert (b.existed, b.blob, b.new_dirs, b.after_sha256) == (False, None, ("new/deep", "new"),
                                                                "")


# (what is changed in entry 0, the field the error must name)
BAD = [
    ({"path": "../outside.py"}, "field path"),
    ({"path": "./pkg/a.py"}, "field path"),
    ({"path": ["pkg/a.py"]}, "field path"),
    ({"existed": "yes"}, "field existed"),
    ({"mode": 0o17777}, "field mode"),
    ({"mode": True}, "field mode"),
    ({"blob": "/etc/passwd"}, "field blob"),
    ({"blob": None}, "field blob"),
    ({"new_dirs": ["../up"]}, "field new_dirs"),
    ({"after_sha256": "not-a-digest"}, "field after_sha256"),
    ({"earlier_after": ["0" * 64] * 17}, "field earlier_after"),
    ({"surprise": 1}, "field surprise"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _, f in BAD])
def test_a_bad_field_is_refused_by_name(tmp_path, change, field):
    snap, repo, path = _captured(tmp_path)
    manifest = json.loads(path.read_text())
    manifest["entries"][0].update(change)
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=f"malformed snapshot entry 0, {field}:"):
        RollbackSnapshot.load(snap.directory, repo)


@pytest.mark.parametrize("text", ['[]', '{"op_id": "op-1"}', '{"entries": {}}'])
def test_a_manifest_without_a_list_of_entries_is_refused(tmp_path, text):
    snap, repo, path = _captured(tmp_path)
    path.write_text(text)
    with pytest.raises(ValueError, match="malformed rollback manifest, field"):
        RollbackSnapshot.load(snap.directory, repo)
