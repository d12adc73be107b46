"""`review OP`'s decision on a terminal (daemon.review_decision builds it): the unchecked
line and its surviving mutant, the kept test and what it kills, or why none was kept, and
what each accept lands. Anything not in the form daemon.review_decision writes is skipped."""

from __future__ import annotations

import re
from typing import Any

LINE_CHARS = 300
# What a model wrote reaches the human's terminal: no escape sequences, no bidi controls
# (as daemon.cli.evidence_text strips them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                      r"\u2066-\u2069]")


def decision_lines(decision: Any, op: str) -> list[str]:
    """The lines shown between a review's evidence and its diff ([] when there is none)."""
    if not isinstance(decision, dict) or not isinstance(decision.get("at"), str):
        return []
    d = decision
    lines = ["", f"    unchecked: {_clean(d.get('cause'))} at {_clean(d['at'])}"]
    if isinstance(d.get("mutant_diff"), str):
        lines += ["    the mutant no test of yours kills:", _indented(d["mutant_diff"])]
    tests = [_clean(t) for t in d.get("tests") or [] if isinstance(t, str)]
    if d.get("kept") and isinstance(d.get("test_diff"), str):
        lines += [f"    missing test: kept on {_clean(d.get('test_branch'))}: "
                  f"{_clean(d.get('why'))}",
                  *(f"      decides it: {t}" for t in tests[:5]),
                  _indented(d["test_diff"]),
                  f"    ouroboros accept {op}: lands the change and this test",
                  f"    ouroboros accept {op} --tests: lands the test alone (it "
                  f"{_clean(d.get('alone'))})"]
    elif d.get("kept") and isinstance(d.get("landed_alone"), dict):
        landed = d["landed_alone"]
        lines += [f"    missing test: kept, and landed alone on your branch (commit "
                  f"{_clean(landed.get('commit'))[:12]}, by {_clean(landed.get('accept_op'))}):"
                  f" the line is checked now (`ouroboros accept {op}` lands the change)"]
    elif d.get("kept"):  # kept, but its branch is gone (pruned)
        lines += [f"    missing test: kept ({_clean(d.get('why'))}), its branch no longer "
                  "waits beside the review"]
    else:
        lines += [f"    missing test: none kept: {_clean(d.get('verdict'))}: "
                  f"{_clean(d.get('why'))}"]
    return lines


def _clean(value: Any) -> str:
    return _CONTROL.sub("?", str(value if value is not None else "-"))[:LINE_CHARS]


def _indented(diff: str) -> str:
    return "\n".join(f"      {_CONTROL.sub('?', line)}"
                     for line in diff.rstrip("\n").splitlines())
