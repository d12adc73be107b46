"""Provenance checks behind `ouroboros verify COMMIT` and `ouroboros ledger --verify`.

Both read the ledger file directly, read-only (ledger.verify), and run plain `git`: the
daemon need not run, and nothing is written. `verify_commit` passes only when all hold:

1. signature: good, by the daemon's own key (the fingerprint of the state dir's public
   key), checked by git against the state dir's allowed_signers;
2. integrity: the commit's diff hashes to its Integrity trailer;
3. ledger: every hash chain verifies;
4. op: the Op-Id trailer names an op whose COMPLETE transition records this commit and
   this integrity;
5. anchor: the Ledger-Head trailer's rows are still in the ledger with the same hashes
   (a commit from before the trailer existed passes this check with a note).

A commit with none of those trailers and no signature by the daemon's key is no daemon
commit at all (a human's): NotDaemonCommit, nothing to verify, rather than five failures.

What it cannot show: anyone holding the state dir (root, the daemon's user) holds the key
and the ledger, and can forge a new, consistent history from scratch. Commits that left the
machine (pushed) anchor what came before them; keep a copy of the public key elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from governance.git.signing import ALLOWED_NAME, KEY_NAME
from ledger.anchor import TRAILER, check_anchor
from ledger.segments import SegmentError
from ledger.verify import (
    LedgerUnreadable,
    open_readonly,
    report_text,
    transitions_of,
    verify_db,
)

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
LEDGER_NAME = "ledger.sqlite3"
ANCHOR_SEARCH = 1000  # commits searched back for the newest Ledger-Head trailer
_SIGNATURE = {"N": "not signed", "B": "BAD signature: the commit changed after signing",
              "U": "signed by a key that is not the daemon's",
              "X": "good signature, but it has expired", "Y": "signed by an expired key",
              "R": "signed by a revoked key", "E": "the signature cannot be checked"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class VerifyError(Exception):
    """Nothing to check: no such commit, no git, no ledger."""


class NotDaemonCommit(VerifyError):
    """Nothing to check: `sha` claims nothing of the daemon's (no Op-Id, Integrity or
    Ledger-Head trailer) and bears no signature by its key: a human's or another tool's
    commit, not a failed verification."""

    def __init__(self, sha: str, signature: Check):
        self.sha, self.signature = sha, signature
        super().__init__(f"{sha[:12]} is not a daemon commit (it has no Op-Id or Integrity "
                         "trailer and no signature by the daemon's key): nothing to verify")


def _git(repo: Path, *args: str, allowed: Path | None = None) -> bytes:
    config = ["-c", f"gpg.ssh.allowedSignersFile={allowed}"] if allowed else []
    try:
        done = subprocess.run(["git", "-C", str(repo), *config, *args], capture_output=True,
                              timeout=60, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VerifyError(f"git failed: {exc}") from None
    if done.returncode != 0:
        raise VerifyError(f"git {args[0]}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _fingerprint(state_dir: Path) -> str | None:
    pub = state_dir / f"{KEY_NAME}.pub"
    keygen = shutil.which("ssh-keygen")
    if keygen is None or not pub.is_file():
        return None
    done = subprocess.run([keygen, "-l", "-f", str(pub)], capture_output=True, text=True,
                          timeout=30, check=False)
    return done.stdout.split()[1] if done.returncode == 0 and done.stdout.split() else None


def signature_check(repo: Path, state_dir: Path, sha: str) -> Check:
    allowed, ours = state_dir / ALLOWED_NAME, _fingerprint(state_dir)
    if shutil.which("ssh-keygen") is None:
        return Check("signature", False, "cannot check: ssh-keygen is not installed")
    if ours is None or not allowed.is_file():
        return Check("signature", False, f"no daemon signing key in {state_dir} (the "
                     "daemon never signed here): cannot check")
    out = _git(repo, "log", "-1", "--format=%G?%x1f%GF", sha, "--", allowed=allowed)
    status, _, fingerprint = out.decode().strip().partition("\x1f")
    if status == "G" and fingerprint == ours:
        return Check("signature", True, f"good, by the daemon's key {ours}")
    if status == "G":
        status = "U"  # allowed_signers was edited to trust another key
    return Check("signature", False, _SIGNATURE.get(status, f"status {status!r}")
                 + (f" ({fingerprint})" if fingerprint else ""))


def _trailers(repo: Path, sha: str) -> dict[str, list[str]] | None:
    """Each trailer's values; None when a value smuggles in the separators."""
    keys = ("Op-Id", "Integrity", TRAILER)
    fmt = "%x1e".join(f"%(trailers:key={k},valueonly,separator=%x1f)" for k in keys)
    parts = _git(repo, "log", "-1", f"--format={fmt}", sha, "--").decode(
        errors="replace").rstrip("\n").split("\x1e")
    if len(parts) != len(keys):
        return None
    return {k: [v.strip() for v in part.split("\x1f") if v.strip()]
            for k, part in zip(keys, parts, strict=True)}


def _integrity(repo: Path, sha: str) -> str:
    """sha256 of the commit's diff against its first parent, as GitOps computed it."""
    parents = _git(repo, "rev-list", "--parents", "-n", "1", sha).decode().split()[1:]
    base = f"{parents[0]}^{{tree}}" if parents else EMPTY_TREE
    diff = _git(repo, "diff-tree", "-p", "--no-color", "--full-index", "--binary", base,
                f"{sha}^{{tree}}")
    return hashlib.sha256(diff).hexdigest()


def _op_check(db: sqlite3.Connection, op_id: str, sha: str, integrity: str) -> Check:
    try:  # its table, or its archive segment once retention moved the op (ledger.retention)
        rows = [(rowid, payload) for rowid, phase, payload in transitions_of(db, op_id)
                if phase == "COMPLETE"]
    except SegmentError as exc:
        return Check("op", False, f"{op_id}: {exc}")
    for rowid, payload in rows:
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("commit") == sha \
                and data.get("integrity") == integrity:
            return Check("op", True, f"{op_id} is COMPLETE with this commit and integrity "
                         f"(transitions row {rowid})")
    what = "has no COMPLETE transition" if not rows else \
        "is COMPLETE with another commit or integrity"
    return Check("op", False, f"{op_id} {what} in the ledger")


def verify_commit(repo: Path, state_dir: Path, rev: str) -> list[Check]:
    sha = _git(repo, "rev-parse", "--verify", "--end-of-options",
               f"{rev}^{{commit}}").decode().strip()
    signature, trailers = signature_check(repo, state_dir, sha), _trailers(repo, sha)
    if trailers is not None and not any(trailers.values()) and not signature.ok:
        raise NotDaemonCommit(sha, signature)
    checks = [signature]
    trailers = trailers or {"Op-Id": [], "Integrity": [], TRAILER: []}
    op_ids, integrity = trailers["Op-Id"], trailers["Integrity"]
    if len(op_ids) != 1 or len(integrity) != 1 or not integrity[0].startswith("sha256:"):
        checks.append(Check("trailers", False, f"needs one Op-Id and one Integrity trailer, "
                            f"found {len(op_ids)} and {len(integrity)}"))
        return checks
    claimed = integrity[0].removeprefix("sha256:")
    actual = _integrity(repo, sha)
    checks.append(Check("integrity", actual == claimed,
                        "the diff matches its Integrity trailer" if actual == claimed else
                        f"the diff hashes to {actual[:16]}, not the trailer's {claimed[:16]}"))
    db = open_readonly(state_dir / LEDGER_NAME)
    try:
        report = verify_db(db)
        checks.append(Check("ledger", report.ok, report_text(report)))
        checks.append(_op_check(db, op_ids[0], sha, claimed))
        checks.append(_anchor_check(db, trailers[TRAILER]))
    finally:
        db.close()
    return checks


def _anchor_check(db: sqlite3.Connection, values: list[str]) -> Check:
    if not values:
        return Check("anchor", True, f"no {TRAILER} trailer (a commit from an older build): "
                     "nothing anchored")
    problems = check_anchor(db, values[-1])
    return Check("anchor", not problems, "; ".join(problems) or
                 "every ledger row up to the commit is as it was when it was made")


def verify_ledger(repo: Path, state_dir: Path) -> tuple[bool, dict]:
    """The chains, plus the newest signed Ledger-Head anchor in HEAD's history."""
    db = open_readonly(state_dir / LEDGER_NAME)
    try:
        report = verify_db(db)
        out: dict = {"chains_ok": report.ok, "text": report_text(report),
                     "problems": [str(p) for p in report.problems],
                     "rows": report.rows, "anchor": None}
        newest = _newest_anchor(repo)
        if newest is not None:
            sha, value = newest
            checks = [signature_check(repo, state_dir, sha), _anchor_check(db, [value])]
            out["anchor"] = {"commit": sha, "checks": [asdict(c) for c in checks]}
    finally:
        db.close()
    anchored = out["anchor"] is None or all(c["ok"] for c in out["anchor"]["checks"])
    return report.ok and anchored, out


def _newest_anchor(repo: Path) -> tuple[str, str] | None:
    try:
        out = _git(repo, "log", f"-{ANCHOR_SEARCH}",
                   f"--format=%H%x1f%(trailers:key={TRAILER},valueonly)%x1e")
    except VerifyError:  # no commits yet, or not a repository: nothing anchored
        return None
    for record in out.decode().split("\x1e"):
        sha, _, value = record.strip().partition("\x1f")
        if value.strip():
            return sha, value.strip().splitlines()[-1]
    return None


__all__ = ["Check", "LedgerUnreadable", "NotDaemonCommit", "VerifyError", "verify_commit",
           "verify_ledger"]
