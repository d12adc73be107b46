"""An L2 repair applied over an applied change extends the op's rollback snapshot: every
state a crash can leave (before the repair's write, after it, or with a human's edit on
top) restores the files as they were before the op, and keeps the human's edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.recovery import recover
from governance.fs.rollback import RollbackSnapshot, after_digest
from governance.git.gitops import GitOps
from ledger import Ledger
from tests.helpers import commit_files, tree_bytes

ORIG = {"a.py": "a = 1\n", "b.py": "b = 1\n"}
C1 = {"a.py": b"a = 2\n"}  # the first APPLY
C2 = {"a.py": b"a = 3\n", "new.py": b"n = 1\n"}  # the L2 repair: a.py again, and a new file


def _write(repo: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (repo / rel).write_bytes(data)


def _applied(short_tmp: Path) -> tuple[Path, Path, RollbackSnapshot, dict[str, bytes]]:
    repo = commit_files(short_tmp / "repo", ORIG)
    before = tree_bytes(repo)
    state = short_tmp / "state"
    snap = RollbackSnapshot.capture(state, "op-1", repo, list(C1),
                                    [after_digest(v) for v in C1.values()])
    _write(repo, C1)
    snap.extend(list(C2), [after_digest(v) for v in C2.values()])
    return repo, state, snap, before


@pytest.mark.parametrize("repair_written", [False, True], ids=["crash-before", "crash-after"])
def test_a_crash_around_the_repair_write_restores_the_pre_op_files(short_tmp, repair_written):
    repo, state, _, before = _applied(short_tmp)
    if repair_written:
        _write(repo, C2)
    loaded = RollbackSnapshot.load(state / "rollback" / "op-1", repo)
    loaded.restore()
    assert loaded.kept == []
    assert tree_bytes(repo) == before  # new.py is gone, a.py is its original


def test_a_human_edit_after_the_repair_is_kept(short_tmp):
    repo, state, _, before = _applied(short_tmp)
    _write(repo, C2)
    (repo / "a.py").write_text("a = 'mine'\n")
    assert tree_bytes(repo) != before
    loaded = RollbackSnapshot.load(state / "rollback" / "op-1", repo)
    loaded.restore()
    assert loaded.kept == ["a.py"]
    assert (repo / "a.py").read_text() == "a = 'mine'\n"
    assert not (repo / "new.py").exists()


def test_the_extended_manifest_keeps_the_original_and_both_writes(short_tmp):
    _, state, snap, _ = _applied(short_tmp)
    manifest = json.loads((state / "rollback/op-1/manifest.json").read_text())
    a, new = manifest["entries"]
    assert a["path"] == "a.py" and a["after_sha256"] == after_digest(C2["a.py"])
    assert a["earlier_after"] == [after_digest(C1["a.py"])]
    assert new["path"] == "new.py" and new["existed"] is False
    assert (state / "rollback/op-1" / a["blob"]).read_text() == ORIG["a.py"]
    assert snap.entries[0].earlier_after == (after_digest(C1["a.py"]),)


@pytest.mark.parametrize("earlier", [["zz"], "abc", [1], ["0" * 64] * 17])
def test_a_tampered_earlier_list_is_refused_on_load(short_tmp, earlier):
    repo, state, _, _ = _applied(short_tmp)
    path = state / "rollback/op-1/manifest.json"
    manifest = json.loads(path.read_text())
    manifest["entries"][0]["earlier_after"] = earlier
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="malformed snapshot entry"):
        RollbackSnapshot.load(path.parent, repo)


@pytest.mark.slow
async def test_start_up_recovery_restores_an_op_killed_mid_repair(short_tmp):
    repo, state, _, before = _applied(short_tmp)
    _write(repo, C2)
    ledger = await Ledger.open(state / "ledger.sqlite3")
    try:
        await ledger.record_operation("op-1", source="t", goal="g", session_id="s",
                                      envelope={})
        await ledger.append_transition("op-1", from_phase=None, to_phase="CLASSIFY",
                                       reason="r")
        await ledger.append_transition("op-1", from_phase="VERIFY", to_phase="L2_REPAIR",
                                       reason="verify failed")
        await recover(ledger, GitOps(repo), state)
        chain = await ledger.chain("op-1")
    finally:
        await ledger.close()
    assert tree_bytes(repo) == before
    assert chain["transitions"][-1]["to_phase"] == "POSTMORTEM"
