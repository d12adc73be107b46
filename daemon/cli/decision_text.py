"""`review OP`'s decision on a terminal (daemon.review_decision builds it): each reason a
test could decide, its unchecked line and mutant, the test kept for it and what it kills,
or why none was (or that it was not asked about), then the kept tests and what each
accept lands. Anything not in the form daemon.review_decision writes is skipped."""

from __future__ import annotations

import re
from typing import Any

LINE_CHARS = 300
# What a model wrote reaches the human's terminal: no escape sequences, no bidi controls
# (as daemon.cli.evidence_text strips them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                      r"\u2066-\u2069]")


def decision_lines(decision: Any, op: str) -> list[str]:
    """The lines shown between a review's evidence and its diff ([] when there is none):
    each reason with its mutant and what became of its test, then the kept tests and what
    each accept lands."""
    if not isinstance(decision, dict) or not isinstance(decision.get("at"), str):
        return []
    d = decision
    listed = d.get("reasons") if isinstance(d.get("reasons"), list) else [d]
    reasons = [r for r in listed if isinstance(r, dict) and isinstance(r.get("at"), str)]
    lines = [""]
    for r in reasons or [d]:
        lines += _reason(r, d)
    kept = [r for r in reasons or [d] if r.get("kept")]
    if not kept:
        return lines
    if isinstance(d.get("landed_alone"), dict):
        landed = d["landed_alone"]
        lines += [f"    missing test: kept, and landed alone on your branch (commit "
                  f"{_clean(landed.get('commit'))[:12]}, by {_clean(landed.get('accept_op'))}):"
                  f" the line is checked now (`ouroboros accept {op}` lands the change)"]
    elif isinstance(d.get("test_diff"), str):
        this, the = ("this test", "the test") if len(kept) == 1 else ("these tests",
                                                                      "the tests")
        lines += [_indented(d["test_diff"]),
                  f"    ouroboros accept {op}: lands the change and {this}",
                  f"    ouroboros accept {op} --tests: lands {the} alone (it "
                  f"{_clean(d.get('alone'))})"]
    return lines


def _reason(r: dict[str, Any], d: dict[str, Any]) -> list[str]:
    """One reason: where, its mutant, and its test kept (with what it decides) or not."""
    lines = [f"    unchecked: {_clean(r.get('cause'))} at {_clean(r['at'])}"]
    if isinstance(r.get("mutant_diff"), str):
        lines += ["    the mutant no test of yours kills:", _indented(r["mutant_diff"])]
    tests = [_clean(t) for t in r.get("tests") or [] if isinstance(t, str)]
    if r.get("kept") and isinstance(d.get("test_diff"), str) \
            and not isinstance(d.get("landed_alone"), dict):
        lines += [f"    missing test: kept on {_clean(d.get('test_branch'))}: "
                  f"{_clean(r.get('why'))}", *(f"      decides it: {t}" for t in tests[:5])]
    elif r.get("kept") and isinstance(d.get("landed_alone"), dict):
        lines += [f"    missing test: kept: {_clean(r.get('why'))}",
                  *(f"      decides it: {t}" for t in tests[:5])]
    elif r.get("kept"):  # kept, but its branch is gone (pruned)
        lines += [f"    missing test: kept ({_clean(r.get('why'))}), its branch no longer "
                  "waits beside the review"]
    elif r.get("verdict") == "not asked":
        lines += [f"    missing test: not asked: {_clean(r.get('why'))}"]
    else:
        lines += [f"    missing test: none kept: {_clean(r.get('verdict'))}: "
                  f"{_clean(r.get('why'))}"]
    return lines


def _clean(value: Any) -> str:
    return _CONTROL.sub("?", str(value if value is not None else "-"))[:LINE_CHARS]


def _indented(diff: str) -> str:
    return "\n".join(f"      {_CONTROL.sub('?', line)}"
                     for line in diff.rstrip("\n").splitlines())
