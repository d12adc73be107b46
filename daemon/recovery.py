"""Start-up recovery: repair whatever a killed daemon left behind, before any op runs.

In order, each step idempotent (a kill during recovery is repaired by the next start):
1. `.git/index.lock` left by a killed index update of ours is removed (the rule, and why a
   human's lock is never touched, is in governance/git/index_sync.py), and so are the
   auto-commit's and a review commit's temporary indexes (`.git/ouroboros-index.<pid>.*`,
   with git's `.lock` of one) whose process is dead, and what a killed signature left in
   the state dir's signing scratch (git's buffer and ssh-keygen's .sig: commit_env).
2. Every pending rollback snapshot (an op that applied and never finished) is settled:
   if the op's commit is in HEAD's recent history (its Op-Id trailer, searched over the
   last HISTORY_LIMIT commits, so a human commit on top does not hide it) the change
   stands and the op's paths in the index are brought to HEAD; otherwise every file is
   restored from the snapshot. Either way the atomic-write temp files
   (`.<name>.<random>.tmp`) next to the snapshot's paths are removed; no other file is.
3. Every op without a terminal row gets exactly one: COMPLETE iff its commit is in
   history (with or without a snapshot), PROPOSED iff its review branch exists (it was
   killed between making the branch and writing the row), POSTMORTEM otherwise.
4. Only then are the settled snapshots discarded; snapshot dirs without a manifest (a kill
   while capturing, before anything was written) and every sandbox dir go too: no op is
   running at start-up, so no sandbox is in use.
Recovery refuses to run while another daemon answers on this state dir's control socket.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import structlog

from daemon.instance import refuse_if_served
from governance.fs import nofollow_write
from governance.fs.rollback import RollbackSnapshot, pending_snapshots
from governance.git.gitops import GitOps
from governance.git.index_sync import (
    clear_stale_lock,
    clear_temp_indexes,
    parent_of,
    sync_op_paths,
)
from governance.git.review import ReviewBranches, ReviewItem
from governance.git.signing import clear_scratch
from ledger import Ledger

log = structlog.get_logger("daemon.recovery")

SCRATCH_DIRS = ("sandboxes", "oracle")  # per-op scratch trees under the state dir


async def recover(ledger: Ledger, git: GitOps, state_dir: Path,
                  reviews: ReviewBranches | None = None) -> list[str]:
    """Repair what a crashed run left (see the module docstring); return notes. With
    `reviews`, an op killed after its review branch was made ends PROPOSED."""
    refuse_if_served(state_dir / "control.sock")
    return await repair(ledger, git, state_dir, reviews)


async def repair(ledger: Ledger, git: GitOps, state_dir: Path,
                 reviews: ReviewBranches | None = None, *,
                 cause: str = "daemon stopped") -> list[str]:
    """recover's steps, for a caller that knows no op runs: start-up, or the running
    daemon once a full state dir has room again and its ops in flight have ended
    (daemon.host.state_gate); `cause` says why the ops it closes ended."""
    notes: list[str] = []
    lock_note = await asyncio.to_thread(clear_stale_lock, Path(git.repo.git_dir))
    if lock_note:
        notes.append(lock_note)
    notes.extend(await asyncio.to_thread(clear_temp_indexes, Path(git.repo.git_dir)))
    notes.extend(await asyncio.to_thread(clear_scratch, state_dir))
    committed = await asyncio.to_thread(git.op_commits)
    snapshots = []
    for directory in pending_snapshots(state_dir):
        try:
            snapshots.append(RollbackSnapshot.load(directory, git.root))
        except (OSError, ValueError, TypeError, KeyError) as exc:  # left for a human to read
            notes.append(f"unreadable rollback snapshot {directory}: {exc}")
    outcome: dict[str, str] = {}
    for snapshot in snapshots:
        op_id = snapshot.directory.name
        paths = [e.path for e in snapshot.entries]
        removed = await asyncio.to_thread(remove_temp_files, git.root, paths,
                                          git.tracked_under)
        notes.extend(f"{op_id}: removed leftover temp file {r}" for r in removed)
        outcome[op_id] = await asyncio.to_thread(_settle, git, snapshot, committed, notes)
    notes.extend(await _close_unfinished(ledger, committed, outcome, reviews, cause))
    for snapshot in snapshots:  # only after the rows: a kill before here redoes the above
        if outcome[snapshot.directory.name] != "restore failed":  # the next start retries
            snapshot.discard()
    notes.extend(await asyncio.to_thread(remove_scratch, state_dir))
    for note in notes:
        log.warning("recovered after a crash", detail=note)
    return notes


def _settle(git: GitOps, snapshot: RollbackSnapshot, committed: dict[str, str],
            notes: list[str]) -> str:
    """Keep a committed op's files (index brought to HEAD) or restore an uncommitted one's."""
    op_id = snapshot.directory.name
    paths = [e.path for e in snapshot.entries]
    if op_id in committed:
        sha = committed[op_id]
        note = sync_op_paths(git.root, Path(git.repo.git_dir), sha, paths,
                             parent=parent_of(git.root, sha))
        if note:
            notes.append(f"{op_id}: {note}")
        return "committed"
    try:
        snapshot.restore()
    except (OSError, ValueError) as exc:  # rollback.RollbackIncomplete is a ValueError
        notes.append(f"{op_id}: ROLLBACK FAILED, snapshot kept for the next start: {exc}")
        return "restore failed"
    if snapshot.kept:
        notes.append(f"{op_id}: {snapshot.kept_note()}")
        return f"restored, {snapshot.kept_note()}"
    return "restored"


async def _close_unfinished(ledger: Ledger, committed: dict[str, str],
                            outcome: dict[str, str],
                            reviews: ReviewBranches | None, cause: str) -> list[str]:
    notes = []
    for op_id, last in await ledger.unfinished_ops():
        review = await _review_of(reviews, op_id) if op_id not in committed else None
        if review is not None:
            await ledger.append_transition(
                op_id, from_phase=last or None, to_phase="PROPOSED",
                reason=f"recovered after restart: review branch {review.branch} found",
                payload={"branch": review.branch, "commit": review.sha,
                         "evidence": review.evidence, "recovered": True})
            notes.append(f"{op_id}: proposed on {review.branch}")
            continue
        if op_id in committed:
            await ledger.append_transition(
                op_id, from_phase=last or None, to_phase="COMPLETE",
                reason=f"recovered after restart: commit {committed[op_id][:12]} found",
                payload={"commit": committed[op_id], "recovered": True})
            notes.append(f"{op_id}: committed")
            continue
        what = {"restored": "applied files restored from the rollback snapshot",
                "restore failed": "RESTORE FAILED; the snapshot is kept and retried at the "
                                  "next start"}.get(outcome.get(op_id, ""),
                                                    "no rollback snapshot was pending")
        if outcome.get(op_id, "").startswith("restored, "):  # some files were kept
            what = "applied files " + outcome[op_id]
        await ledger.append_transition(
            op_id, from_phase=last or None, to_phase="POSTMORTEM",
            reason=f"{cause} during {last or 'start'}; {what}")
        notes.append(f"{op_id}: {outcome.get(op_id, 'closed')}")
    return notes


async def _review_of(reviews: ReviewBranches | None, op_id: str) -> ReviewItem | None:
    """The op's review branch, when the crash came after it was made (an op id that is
    not one a branch can carry has none)."""
    if reviews is None:
        return None
    try:
        return await asyncio.to_thread(reviews.at, op_id)
    except (ValueError, OSError, subprocess.CalledProcessError):
        return None


def remove_temp_files(root: Path, paths: list[str],
                      tracked: Callable[[str], list[str]]) -> list[str]:
    """Remove the temp files nofollow_write.write_bytes_atomic leaves (`.<name>.<12 hex>.tmp`)
    beside each of `paths`, never a file git tracks; a directory reached through a symlink
    is skipped (it is not the path that was written)."""
    removed = []
    real_root = os.path.realpath(root)
    for rel in paths:
        parent_rel, name = os.path.split(rel)
        expected = os.path.join(real_root, parent_rel) if parent_rel else real_root
        directory = os.path.realpath(os.path.join(root, parent_rel))
        if directory != os.path.normpath(expected):
            continue
        try:
            candidates = [n for n in os.listdir(directory) if nofollow_write.is_temp_name(n, name)
                          and not tracked(posixpath.join(parent_rel, n))]
        except OSError:
            continue
        for entry in candidates:
            full = os.path.join(directory, entry)
            try:
                if stat.S_ISREG(os.lstat(full).st_mode):
                    os.unlink(full)
                    removed.append(os.path.join(parent_rel, entry))
            except FileNotFoundError:
                continue
    return removed


def remove_scratch(state_dir: Path) -> list[str]:
    """Remove every per-op scratch tree and every snapshot dir that has no manifest."""
    notes = []
    pending = set(pending_snapshots(state_dir))
    for where in (*SCRATCH_DIRS, "rollback"):
        base = state_dir / where
        if base.is_symlink() or not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if where == "rollback" and entry in pending:
                continue
            try:
                _remove(entry)
            except OSError as exc:
                notes.append(f"could not remove {where}/{entry.name}: {exc}")
                continue
            notes.append(f"removed leftover {where}/{entry.name}")
    return notes


def _remove(path: Path) -> None:
    """Delete a file, link or tree without following links, however deep or read-only a
    jailed process left it; OSError if something remains."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
        return
    nofollow_write.remove_tree(path)
    if os.path.lexists(path):
        raise OSError(f"{path} could not be removed completely")
