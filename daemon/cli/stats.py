"""`ouroboros stats`: what the grounding memory knows, from the ledger's outcome records
(read-only, no daemon needed): per-file reputation and regression prophecy, the trust table,
the Brier score of stated confidence against what landed, and trust drift.

The window is `governance.memory_ttl_h`, as CLASSIFY reads it. Session lessons are per
daemon run; each lesson and each convergence checkpoint is a thought in the ledger, and the
newest run's buffer is rebuilt from those rows (governance.memory.lessons.replay), whether or not
that daemon still runs.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.errors import CliError
from governance.memory.lessons import THOUGHT_CHECK, THOUGHT_LESSON, one_line, replay
from governance.memory.reputation import prophecy, reputations
from governance.memory.trust import brier, drift, table
from governance.oracle.import_graph import ImportGraph
from ledger.verify import LedgerUnreadable, open_readonly

TOP_FILES = 20


def _query(db_path: Path, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
    try:
        db = open_readonly(db_path)
    except LedgerUnreadable as exc:
        raise CliError(str(exc)) from None
    try:
        db.row_factory = sqlite3.Row
        return db.execute(sql, params).fetchall()
    except sqlite3.Error as exc:  # a ledger from before migration 5: no outcomes yet
        if "no such table" in str(exc):
            return []
        raise CliError(f"{db_path}: {exc}") from None
    finally:
        db.close()


def _records(db_path: Path, since: str) -> list[dict[str, Any]]:
    rows = _query(db_path, "SELECT op_id, ts, files, source, route, provider, confidence, "
                  "result, failure_class FROM outcomes WHERE ts >= ? ORDER BY id", (since,))
    return [{**dict(r), "files": json.loads(r["files"])} for r in rows]


def _lessons(db_path: Path) -> dict[str, Any]:
    """The newest daemon run's session lessons, rebuilt from its thoughts."""
    rows = _query(db_path, "SELECT msg, data FROM thoughts WHERE msg IN (?, ?) ORDER BY id",
                  (THOUGHT_LESSON, THOUGHT_CHECK))
    decoded = []
    for r in rows:
        try:
            decoded.append({"msg": r["msg"], "data": json.loads(r["data"])})
        except ValueError:  # a garbled row is no lesson
            continue
    return replay(decoded)


def _listed(repo: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], capture_output=True, check=False)
    return [p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def stats(repo: Path, db_path: Path, ttl_h: float) -> dict[str, Any]:
    since = (datetime.now(UTC) - timedelta(hours=ttl_h)).isoformat()
    records = _records(db_path, since)
    reps = reputations(records)
    counts = ImportGraph().dependents(repo, _listed(repo), list(reps)) if reps else {}
    files = sorted((prophecy(r, counts.get(f, 0)) for f, r in reps.items()),
                   key=lambda p: (-p.risk, p.file))
    return {
        "window_h": ttl_h, "outcomes": len(records),
        "files": [{"file": p.file, "ops": p.reputation.counted,
                   "success_rate": round(p.reputation.success_rate, 3),
                   "fragility": round(p.reputation.fragility, 3), "dependents": p.dependents,
                   "risk": round(p.risk, 3), "level": p.level, "escalates": p.escalates}
                  for p in files],
        "trust": [{"provider": k[0], "source": k[1], "route": k[2], "hits": t.hits, "n": t.n,
                   "trust": round(t.value, 4)} for k, t in sorted(table(records).items())],
        "brier": None if (b := brier(records)) is None else round(b, 4),
        "drift": None if (d := drift(records)) is None else round(d, 4),
        "lessons": _lessons(db_path),
    }


def text(s: dict[str, Any]) -> str:
    lines = [f"outcomes: {s['outcomes']} in the last {s['window_h']:g} h"]
    lines.append("brier:    " + ("n/a (no stated confidence yet)" if s["brier"] is None
                                 else f"{s['brier']:.4f} (0 = perfectly calibrated)"))
    lines.append("drift:    " + ("n/a (fewer than 20 outcomes)" if s["drift"] is None
                                 else f"{s['drift']:+.4f} (recent trust minus overall)"))
    lines.append("files (riskiest first):")
    lines += [f"  {f['level']:<8} {f['risk']:.2f}  {f['file']}  ops={f['ops']} "
              f"success={f['success_rate']:.2f} fragility={f['fragility']:.2f} "
              f"dependents={f['dependents']}" + ("  -> escalates" if f["escalates"] else "")
              for f in s["files"][:TOP_FILES]] or ["  (none yet)"]
    lines.append("trust (provider / source / route):")
    lines += [f"  {t['trust']:.3f}  {t['provider']} / {t['source']} / {t['route']}  "
              f"({t['hits']} of {t['n']} landed)" for t in s["trust"]] or ["  (none yet)"]
    return "\n".join(lines + _lessons_text(s["lessons"]))


def _lessons_text(ls: dict[str, Any]) -> list[str]:
    if ls["session"] is None:
        return ["session lessons: (none yet)"]
    head = (f"session lessons ({len(ls['lessons'])}, daemon run {ls['session']}; "
            f"cleared {ls['cleared']} time(s) as not helping):")
    lines = [head, *(f"  {line}" for line in ls["lessons"])] if ls["lessons"] \
        else [head, "  (none now)"]
    if ls["checkpoints"]:  # the newest convergence check, as the ledger has it
        c = ls["checkpoints"][-1]
        lines.append(f"  last checkpoint: landed with lessons {one_line(c['rate_with'], 20)}, "
                     f"without {one_line(c['rate_without'], 20)}; "
                     f"{one_line(c.get('why') or '-', 80)}")
    return lines


def cmd_stats(repo: Path, state: Path, ttl_h: float, as_json: bool) -> int:
    db = state / "ledger.sqlite3"
    if not db.exists():
        raise CliError(f"no ledger at {db} (has the daemon run on this repository?)")
    s = stats(repo, db, ttl_h)
    print(json.dumps(s, indent=2) if as_json else text(s))
    return 0
