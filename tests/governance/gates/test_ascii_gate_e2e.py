"""Issue 30's refused fix, through the real pipeline (replayed model, real git and pytest): a
maintainer's correct new default argument '…' lands as written, and a model's curly quotes
around it are repaired to code quotes, the '…' kept, with the repair in the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.phase import Phase
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.schemas import OperationContext, SignalEnvelope
from ledger import Ledger
from tests.helpers import DEFAULT_PROOF, commit_files, git, no_retry_policy, pipeline_deps, replay

pytestmark = pytest.mark.slow

TEXT = '''"""Text helpers."""


def shorten(s, n):
    return s[:n]
'''
# The human's test, committed first: it fails on the base.
TEST = '''from pkg.text import shorten


def test_shorten_marks_the_cut():
    assert shorten("abcdef", 3) == "abc\u2026"


def test_shorten_keeps_short_text():
    assert shorten("ab", 3) == "ab"
'''
FIX = TEXT.replace("def shorten(s, n):\n    return s[:n]\n",
                   'def shorten(s, n, tail="\u2026"):\n'
                   "    # Mark the cut with an ellipsis\u2026 one character, not three.\n"
                   "    return s[:n] + tail if len(s) > n else s\n")
FAILING = "tests/test_text.py::test_shorten_marks_the_cut"


async def _op(tmp_path: Path, content: str) -> tuple[Phase, Path, list[dict]]:
    repo = commit_files(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/text.py": TEXT,
                                            "tests/test_text.py": TEST})
    turn = json.dumps({"schema": "candidate.1", "rationale": "mark the cut",
                       "files": [{"file_path": "pkg/text.py", "full_content": content}]})
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    ctx = OperationContext(envelope=SignalEnvelope(
        source="test_failure", target_files=("pkg/text.py",), goal=f"make {FAILING} pass",
        dedup_key="k", session_id="s", evidence={"test_id": FAILING}))
    try:
        deps = pipeline_deps(repo, ledger, replay(turn),
                             policy=no_retry_policy(notify_apply_delay_s=0, **DEFAULT_PROOF))
        end = await Orchestrator(PHASES, deps).run(ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    return end, repo, chain["transitions"]


def _generated(transitions: list[dict]) -> dict:
    return next(t["payload"] for t in transitions
                if t["from_phase"] == "GENERATE" and t["to_phase"] == "VALIDATE")


async def test_a_fix_with_an_ellipsis_default_lands_as_written(tmp_path: Path) -> None:
    end, repo, transitions = await _op(tmp_path, FIX)
    assert end is Phase.COMPLETE, [t["reason"] for t in transitions]
    assert (repo / "pkg/text.py").read_text(encoding="utf-8") == FIX
    assert "ascii_repairs" not in _generated(transitions)


async def test_curly_code_quotes_are_repaired_and_the_literal_kept(tmp_path: Path) -> None:
    curly = FIX.replace('tail="\u2026"', "tail=\u201c\u2026\u201d")
    end, repo, transitions = await _op(tmp_path, curly)
    assert end is Phase.COMPLETE, [t["reason"] for t in transitions]
    assert (repo / "pkg/text.py").read_text(encoding="utf-8") == FIX
    assert _generated(transitions)["ascii_repairs"] == [
        {"file": "pkg/text.py", "line": 4, "characters": 2,
         "before": "def shorten(s, n, tail=\u201c\u2026\u201d):",
         "after": 'def shorten(s, n, tail="\u2026"):'}]
    assert "ouroboros" not in git(repo, "branch", "--list")
