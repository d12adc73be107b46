"""`ouroboros verify COMMIT` and `ouroboros ledger --verify`: read-only, no daemon needed.

Both read the ledger file directly (SQLite, mode=ro) and run plain git; they say so on
stderr, so a user knows the answer does not depend on a running daemon.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from governance.git.provenance import NotDaemonCommit, VerifyError, verify_commit, verify_ledger
from ledger.verify import LedgerUnreadable

NOTE = ("(read-only: {db} read directly and git; the daemon need not be running, and "
        "nothing is written)")


def _note(state: Path) -> None:
    print(NOTE.format(db=state / "ledger.sqlite3"), file=sys.stderr)


def cmd_verify(repo: Path, state: Path, commit: str, as_json: bool) -> int:
    """0: every check passed, or not a daemon commit (a human's: nothing claims to be
    checked, so nothing failed; `--json` says `"daemon_commit": false`); 1: a check failed
    (each says what); 3: nothing to check with (no such commit, no ledger)."""
    _note(state)
    try:
        checks = verify_commit(repo, state, commit)
    except NotDaemonCommit as exc:  # the answer, on stdout: nothing failed
        print(json.dumps({"ok": False, "daemon_commit": False, "commit": exc.sha,
                          "detail": str(exc), "signature": asdict(exc.signature)}, indent=2)
              if as_json else str(exc))
        return 0
    except (VerifyError, LedgerUnreadable) as exc:
        print(f"ouroboros: {exc}", file=sys.stderr)
        return 3
    ok = all(c.ok for c in checks)
    if as_json:
        print(json.dumps({"ok": ok, "daemon_commit": True,
                          "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for c in checks:
            lead = f"{'ok  ' if c.ok else 'FAIL'} {c.name + ':':<11}"
            print(lead + c.detail.replace("\n", "\n" + " " * len(lead)))
        print("VERIFIED" if ok else "NOT VERIFIED")
    return 0 if ok else 1


def cmd_ledger_verify(repo: Path, state: Path, as_json: bool) -> int:
    _note(state)
    try:
        ok, out = verify_ledger(repo, state)
    except LedgerUnreadable as exc:
        print(f"ouroboros: {exc}", file=sys.stderr)
        return 3
    if as_json:
        print(json.dumps({"ok": ok, **out}, indent=2))
        return 0 if ok else 1
    print(out["text"])
    anchor = out["anchor"]
    if anchor is None:
        print("anchor: no auto-commit with a Ledger-Head trailer yet; rows cut from the end "
              "of a chain cannot be detected")
    else:
        for c in anchor["checks"]:
            print(f"anchor {anchor['commit'][:12]} {c['name']}: "
                  f"{'ok' if c['ok'] else 'FAIL'} - {c['detail']}")
    print("VERIFIED" if ok else "NOT VERIFIED")
    return 0 if ok else 1
