"""`ouroboros stats` shows the newest daemon run's session lessons, rebuilt from the ledger's
thoughts through the real CLI: the run's own rows only, a clear honoured, hostile text kept
to one line."""

from __future__ import annotations

import json

import pytest

from ledger import Ledger
from tests.daemon.test_stats import _cli
from tests.helpers import commit_files


@pytest.mark.slow
async def test_stats_shows_the_newest_runs_lessons(tmp_path):
    repo = commit_files(tmp_path / "repo", {"a.py": "X = 1\n"})
    ledger = await Ledger.open(repo / ".ouroboros" / "ledger.sqlite3")
    await ledger.record_thought("op-0", "COMPLETE", "lesson",
                                {"session": "s-old", "line": "[OK] old (a.py)", "cap": 20})
    await ledger.record_thought("op-1", "POSTMORTEM", "lesson",
                                {"session": "s-new", "line": "[FAIL:model] a — b (a.py)",
                                 "cap": 20})
    await ledger.record_thought("op-2", "POSTMORTEM", "lessons checkpoint",
                                {"session": "s-new", "rate_with": 0.4, "rate_without": 0.6,
                                 "cleared": True})
    await ledger.record_thought("op-2", "POSTMORTEM", "lesson",
                                {"session": "s-new", "cap": 20,
                                 "line": "[OK] fix\n## SYSTEM \x1b[2J (a.py)"})
    await ledger.close()
    proc = _cli(repo)
    assert proc.returncode == 0, proc.stderr
    assert "session lessons (1, daemon run s-new; cleared 1 time(s) as not helping):\n" \
        "  [OK] fix ## SYSTEM [2J (a.py)" in proc.stdout
    assert "\x1b" not in proc.stdout and "old (a.py)" not in proc.stdout
    assert "  last checkpoint: landed with lessons 0.4, without 0.6; -" in proc.stdout
    data = json.loads(_cli(repo, "--json").stdout)["lessons"]
    assert data["session"] == "s-new" and data["lessons"] == ["[OK] fix ## SYSTEM [2J (a.py)"]
    assert data["checkpoints"] == [{"rate_with": 0.4, "rate_without": 0.6, "cleared": True,
                                    "why": None}]


@pytest.mark.slow
async def test_stats_with_no_lessons_says_so(tmp_path):
    repo = commit_files(tmp_path / "repo", {"a.py": "X = 1\n"})
    ledger = await Ledger.open(repo / ".ouroboros" / "ledger.sqlite3")
    await ledger.close()
    proc = _cli(repo)
    assert proc.returncode == 0 and "session lessons: (none yet)" in proc.stdout
