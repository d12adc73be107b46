"""A hostile or broken state dir cannot steer start-up and recovery: files a repository
commits under the state dir (a rollback manifest, a ledger with its own triggers, the
instance lock as a symlink), the state dir itself as a symlink, garbage rollback manifests
(a crash or a broken disk) and human files shaped like our temp files. Real parts only: real
git repositories, the real daemon start-up and recovery. Each of these broke the promise
when written (a tracked or symlinked state dir steering recovery, unchecked manifests,
temp-file look-alikes); each was fixed and its test now passes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from daemon.config.settings import ConfigError
from daemon.recovery import recover
from governance.fs.rollback import RollbackSnapshot, after_digest
from governance.git.gitops import GitOps
from ledger import Ledger
from tests.helpers import (
    OPS_FIXED,
    OPS_PY,
    TEST_OPS,
    commit_files,
    git,
    running_daemon,
    settings_for,
    tree_bytes,
)

BASE = {"calc/__init__.py": "", "calc/ops.py": OPS_PY, "tests/test_ops.py": TEST_OPS,
        "README.md": "# calc\n", "notes.txt": "notes\n"}
OP = "op-0123456789ab"
MANIFEST = f".ouroboros/rollback/{OP}/manifest.json"


def _entry(path: str, *, existed: bool = False, blob: str | None = None) -> dict:
    return {"path": path, "existed": existed, "mode": 0o644 if existed else None,
            "blob": blob}


async def _start_and_stop(repo: Path) -> None:
    """A real daemon start (lock, ledger, recovery, control socket), then a clean stop."""
    async with running_daemon(repo, settings_for(None)):
        pass


# -- 1. a repository that commits its own "pending rollback" ------------------------------
# `.ouroboros/` is the default state dir, inside the repository. A cloned repository can
# commit files there; git checks them out before the daemon ever runs. Start-up recovery
# then treats a committed manifest as an op of ours that crashed mid-APPLY.

def _forged(outside: Path) -> dict[str, tuple[list[dict], str]]:
    """Row -> (manifest entries, what the attack reaches). `outside` is beside the repo."""
    return {
        "absolute blob reads a host file into the repo":
            ([_entry("notes.txt", existed=True, blob=str(outside / "host_secret.txt"))],
             "secret"),
        "dotdot blob reads a host file into the repo":
            ([_entry("notes.txt", existed=True, blob="../../../../outside/host_secret.txt")],
             "secret"),
        "a never-applied op deletes a tracked file":
            ([_entry("README.md")], "deleted"),
        "a dotdot path deletes a file outside the repo":
            ([_entry("../outside/victim.txt")], "outside"),
        "an absolute path deletes a file outside the repo":
            ([_entry(str(outside / "victim.txt"))], "outside"),
    }


FORGED_ROWS = list(_forged(Path("/x")))


@pytest.mark.parametrize("row", [r for r in FORGED_ROWS if "never-applied" not in r])
def test_a_manifest_capture_could_not_have_written_is_refused_on_load(short_tmp, row):
    """Defence in depth under the state-dir check: blobs and paths that leave the
    snapshot or the repository are refused before recovery acts on anything."""
    snap = short_tmp / "state" / "rollback" / "op-0123456789ab"
    snap.mkdir(parents=True)
    entries, _ = _forged(short_tmp / "outside")[row]
    (snap / "manifest.json").write_text(json.dumps({"op_id": "x", "entries": entries}))
    with pytest.raises(ValueError):
        RollbackSnapshot.load(snap, short_tmp / "repo")


@pytest.mark.parametrize("row", FORGED_ROWS)
async def test_a_committed_rollback_manifest_cannot_steer_recovery(short_tmp, row):
    outside = short_tmp / "outside"
    outside.mkdir()
    (outside / "host_secret.txt").write_text("HOST SECRET\n")
    (outside / "victim.txt").write_text("victim\n")
    (outside / ".victim.txt.abcd1234.tmp").write_text("someone else's temp file\n")
    entries, _ = _forged(outside)[row]
    manifest = json.dumps({"op_id": "op-0123456789ab", "entries": entries})
    repo = commit_files(short_tmp / "repo", {**BASE, MANIFEST: manifest})
    before = tree_bytes(repo)
    outside_before = {p.name: p.read_bytes() for p in outside.iterdir()}

    with pytest.raises(ConfigError, match="tracks 1 file"):  # a committed state: no start
        await _start_and_stop(repo)

    assert tree_bytes(repo) == before  # no repo file restored, deleted or filled
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == outside_before
    assert b"HOST SECRET" not in b"".join(tree_bytes(repo).values())


@pytest.mark.parametrize("link", ["../victim", "absolute"])
async def test_a_committed_state_dir_symlink_is_not_followed(short_tmp, link):
    victim = short_tmp / "victim"
    for sub in ("oracle", "sandboxes", "rollback"):
        (victim / sub / "project").mkdir(parents=True)
        (victim / sub / "project" / "work.txt").write_text("someone's work\n")
    before = sorted(str(p.relative_to(victim)) for p in victim.rglob("*"))
    repo = commit_files(short_tmp / "repo", BASE)
    os.symlink(victim if link == "absolute" else link, repo / ".ouroboros")
    git(repo, "add", ".ouroboros")
    git(repo, "commit", "-q", "-m", "a state dir that points elsewhere")

    with contextlib.suppress(OSError, ConfigError):  # refusing to start is a fine answer
        await _start_and_stop(repo)

    assert sorted(str(p.relative_to(victim)) for p in victim.rglob("*")) == before


async def _forged_ledger(path: Path) -> None:
    """A real ledger with one op caught in VERIFY, its append-only triggers dropped and one
    added that turns every POSTMORTEM into COMPLETE: what a repository can commit."""
    ledger = await Ledger.open(path)
    await ledger.record_operation(OP, source="todo_scanner", goal="g", session_id="old",
                                  envelope={})
    await ledger.append_transition(OP, from_phase=None, to_phase="VERIFY", reason="r")
    await ledger.close()
    con = sqlite3.connect(path)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        con.execute(f"DROP TRIGGER {name}")
    con.execute("CREATE TRIGGER forge AFTER INSERT ON transitions "
                "WHEN NEW.to_phase = 'POSTMORTEM' BEGIN UPDATE transitions "
                "SET to_phase = 'COMPLETE', reason = 'landed' WHERE rowid = NEW.rowid; END")
    con.commit()
    con.close()


async def test_a_committed_ledger_cannot_forge_the_audit(short_tmp):
    await _forged_ledger(short_tmp / "forged.sqlite3")
    repo = commit_files(short_tmp / "repo", BASE)
    (repo / ".ouroboros").mkdir()
    (repo / ".ouroboros" / "ledger.sqlite3").write_bytes(
        (short_tmp / "forged.sqlite3").read_bytes())
    git(repo, "add", "-f", ".ouroboros/ledger.sqlite3")
    git(repo, "commit", "-q", "-m", "a ledger of our own")

    with contextlib.suppress(Exception):  # refusing to start is a fine answer
        await _start_and_stop(repo)

    con = sqlite3.connect(repo / ".ouroboros" / "ledger.sqlite3")
    phases = [p for (p,) in con.execute(
        "SELECT to_phase FROM transitions WHERE op_id = ? ORDER BY seq", (OP,))]
    con.close()
    assert "Op-Id: " + OP not in git(repo, "log", "--format=%B")
    assert "COMPLETE" not in phases, phases  # COMPLETE iff its commit exists


# -- 2. garbage manifests (a broken disk, a half-copied state dir) -------------------------

GARBAGE = {
    "truncated json": '{"op_id": "op-0123456789ab", "entries": [{"path": "calc/op',
    "empty file": "",
    "json null": "null",
    "json list": "[]",
    "entries not a list": '{"entries": 5}',
    "entry a string": '{"entries": ["calc/ops.py"]}',
    "entry missing keys": '{"entries": [{"path": "calc/ops.py"}]}',
    "entry with an unknown key": json.dumps({"entries": [{**_entry("calc/ops.py"),
                                                          "evil": 1}]}),
    "path not a string": json.dumps({"entries": [{**_entry("x"), "path": ["calc/ops.py"]}]}),
    "binary garbage": "\x00\xff\xfe garbage \x07",
    "path NUL": json.dumps({"entries": [_entry("calc/ops.py\x00.bak")]}),
    "path empty": json.dumps({"entries": [_entry("")]}),
}


@pytest.mark.parametrize("text", [pytest.param(text, id=name)
                                  for name, text in GARBAGE.items()])
async def test_garbage_manifest_is_reported_and_changes_nothing(repo, text):
    state = repo / ".ouroboros"
    git(repo, "config", "core.excludesFile", "/dev/null")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("/.ouroboros/\n")
    where = repo / MANIFEST
    where.parent.mkdir(parents=True)
    where.write_bytes(text.encode("utf-8", "surrogateescape"))
    before, head = tree_bytes(repo), git(repo, "rev-parse", "HEAD")

    ledger = await Ledger.open(state / "ledger.sqlite3")
    try:
        notes = await recover(ledger, GitOps(repo), state)
    finally:
        await ledger.close()

    assert tree_bytes(repo) == before and git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""
    assert any("op-0123456789ab" in n for n in notes), notes  # said, not silently dropped


async def test_recovery_never_deletes_a_tracked_file_shaped_like_a_temp_file(short_tmp):
    repo = commit_files(short_tmp / "repo", {**BASE, "calc/.ops.py.orig.tmp": "mine\n",
                                             "calc/.ops.py.draft-2.tmp": "mine too\n"})
    state = short_tmp / "state"
    ledger = await Ledger.open(state / "ledger.sqlite3")
    await ledger.record_operation(OP, source="todo_scanner", goal="g", session_id="old",
                                  envelope={})
    await ledger.append_transition(OP, from_phase=None, to_phase="APPLY", reason="r")
    RollbackSnapshot.capture(state, OP, repo, ["calc/ops.py"],
                             [after_digest(OPS_FIXED.encode())])
    (repo / "calc" / "ops.py").write_text(OPS_FIXED)  # killed after the write
    try:
        await recover(ledger, GitOps(repo), state)
    finally:
        await ledger.close()

    assert (repo / "calc" / "ops.py").read_text() == OPS_PY  # the op was rolled back
    assert git(repo, "status", "--porcelain") == ""  # and no tracked file is gone


# -- 3. the instance lock is a symlink (committed by the repo, or planted) ----------------

@pytest.mark.parametrize("how", ["committed by the repo", "planted before start"])
async def test_a_symlinked_instance_lock_is_refused_and_its_target_untouched(short_tmp, how):
    precious = short_tmp / "precious.txt"
    precious.write_text("do not truncate me\n")
    if how == "committed by the repo":
        repo = commit_files(short_tmp / "repo", BASE)
        (repo / ".ouroboros").mkdir()
        os.symlink(precious, repo / ".ouroboros" / "daemon.lock")
        git(repo, "add", "-f", ".ouroboros/daemon.lock")
        git(repo, "commit", "-q", "-m", "a lock that points elsewhere")
    else:
        repo = commit_files(short_tmp / "repo", BASE)
        (repo / ".ouroboros").mkdir()
        os.symlink(precious, repo / ".ouroboros" / "daemon.lock")

    with pytest.raises((OSError, ConfigError)) as raised:  # committed: the state is refused
        await _start_and_stop(repo)

    assert "daemon.lock" in str(raised.value)  # the error names the file it refused
    assert precious.read_text() == "do not truncate me\n"
    assert not (repo / ".ouroboros" / "control.sock").exists()  # never got to serve
