"""Post-generation gates: ASCII strictness (with confusable repair) and plan coverage."""

from __future__ import annotations

import pytest

from governance.gates import ascii_gate
from governance.schemas import Candidate, FileChange

HOSTILE_TEXT = [
    ("x = \u201chello\u201d\n", "x = \"hello\"\n"),
    ("x = a \u2014 b\n", "x = a - b\n"),
    ("y\u00a0= 1\n", "y = 1\n"),
    ("z = 1\u200b\n", "z = 1\n"),
    ("s = \u2018q\u2019\n", "s = 'q'\n"),
    ("\ufeffimport os\n", "import os\n"),
    ("x = y[1:, \u2026]\n", "x = y[1:, ...]\n"),
    ("a = 2 \u2212 1\n", "a = 2 - 1\n"),
]


@pytest.mark.parametrize("text,fixed", HOSTILE_TEXT)
def test_confusables_are_repaired_in_python(text, fixed):
    out, repairs, problems = ascii_gate.check(Candidate(file_path="m.py", full_content=text))
    assert out.changes()[0].full_content == fixed and repairs and not problems


@pytest.mark.parametrize("text", ["\u00e9t\u00e9 = 1\n", "x = \u4e2d\n",
                                  "a\u0430 = 1\n", "print(\U0001f600)\n"])
def test_other_non_ascii_in_python_code_is_rejected(text):
    _, _, problems = ascii_gate.check(Candidate(file_path="m.py", full_content=text))
    assert problems and "non-ASCII character U+" in problems[0]


def test_non_python_text_may_carry_utf8():
    cand = Candidate(files=[FileChange(file_path="docs/caf\u00e9.md", full_content="caf\u00e9\n")])
    out, repairs, problems = ascii_gate.check(cand)
    assert out is cand and not repairs and not problems


def test_plan_coverage_names_missing_files():
    from types import SimpleNamespace

    from governance.phases.generate import _post_generation_gates
    from governance.schemas import PlanResult
    from tests.helpers import make_policy, op_context

    ctx = op_context("a.py", "b.py", source="s", goal="g")
    ctx.plan = PlanResult(approach="two files", ordered_changes=[
        {"file_path": "a.py"}, {"file_path": "b.py"}])

    cand = Candidate(file_path="a.py", full_content="x = 1\n")
    _, _, problems = _post_generation_gates(ctx, cand, SimpleNamespace(policy=make_policy()))
    assert problems == ["the plan declares changes to b.py but the candidate does not "
                        "include them"]
