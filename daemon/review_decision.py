"""`review OP`'s decision (issue 45, item 3): what a person decides, not just the diff.

For a review whose change waits because a test could decide it, the op's PROPOSED row
holds the missing test's verdict (governance.phases.missing_test_step: `missing_test`). From it
and from git this builds what `review OP` shows above the diff:
- each reason a test could decide (the step asks about every one, within its bound): the
  unchecked line, and its mutant as a diff (planned again from the review's base and
  commit, found by its typed file, line and what: the ids are random each run), and the
  test kept for it or why none was (or that it was not asked about);
- the kept tests (their own diff: `git diff <review> <prefix>tests/<op>`);
- what `accept` will land: the change and the test, or (`accept OP --tests`) the test
  alone, which must pass on the human's HEAD without the change. A test that decides an
  unentered function or new behaviour fails on the base by construction: it is said to
  land only with the change.

Reads git (blocking, in a thread) and the ledger; missing pieces are left out, never an
error: an old review, a pruned ledger, a file that no longer parses.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from governance.git.kept_tests import kept_test_of
from governance.git.review import ReviewBranches, ReviewItem
from governance.proof.missing_test_rules import CauseKind, mutant_diff
from governance.proof.mutation import plan
from governance.proof.rules import FileText
from ledger.errors import LedgerError
from ledger.redact import redact

if TYPE_CHECKING:
    from ledger import Ledger

DIFF_CAP = 20_000  # characters of the mutant's or the test's diff in one reply
REASONS = 12  # reasons shown one by one (propose_test's payload holds no more)
# Why kept tests can or cannot land without their change
LANDS_ALONE = "lands alone if it passes on your HEAD without the change"
WITH_CHANGE = "fails on the base by construction: it lands only with the change"


async def decision_of(reviews: ReviewBranches, ledger: Ledger | None,
                      item: ReviewItem) -> dict[str, Any]:
    """`{"decision": ...}` for `item`, or {} when no missing test was asked about: the
    headline verdict's fields, and `reasons`, one per reason the step found (each with its
    mutant's diff where it has one)."""
    chain = await _chain(ledger, item.op_id)
    missing = _missing_test(chain)
    if missing is None:
        return {}
    out = {k: missing[k] for k in ("cause", "at", "verdict", "kept", "why", "files", "tests",
                                   "other_causes", "cut") if k in missing}
    listed = missing.get("causes")
    reasons = [dict(r) for r in (listed if isinstance(listed, list) else [missing])
               if isinstance(r, dict)][:REASONS]
    out["reasons"] = [{k: r[k] for k in ("cause", "at", "verdict", "kept", "why", "tests")
                       if k in r} for r in reasons]
    if landed := _landed_alone(chain):
        out["landed_alone"] = landed
    try:
        found = await asyncio.to_thread(_from_git, reviews, item, reasons, out["reasons"])
    except Exception as exc:  # what git cannot say is left out, never the review's failure
        found = {"not_read": f"{type(exc).__name__}: {exc}"[:200]}
    out |= found
    kept = [r for r in reasons if r.get("kept")]
    if out.get("test_diff") is not None and kept:
        out["alone"] = LANDS_ALONE if all(_alone(r) for r in kept) else WITH_CHANGE
    return {"decision": out}


def _alone(reason: dict[str, Any]) -> bool:
    """Whether a kept test of this reason may pass without its change: it was checked
    against a mutant, not against the base."""
    kind = _kind(reason.get("cause"))
    return kind is CauseKind.SURVIVING_MUTANT or (kind is CauseKind.UNRUN
                                                  and bool(reason.get("mutant")))


def _kind(value: Any) -> CauseKind | None:
    try:
        return CauseKind(value)
    except ValueError:
        return None


async def _chain(ledger: Ledger | None, op_id: str) -> dict[str, Any] | None:
    if ledger is None:
        return None
    try:
        return await ledger.chain(op_id)
    except LedgerError:
        return None


def _landed_alone(chain: dict[str, Any] | None) -> dict[str, Any] | None:
    """The accept op and commit that landed the kept test alone (governance.phases.review's
    REVIEW thought), if one did."""
    for t in reversed(chain["thoughts"] if chain else []):
        data = t.get("data") or {}
        if t["phase"] == "REVIEW" and data.get("test_alone") is True:
            return {"accept_op": data.get("accept_op"), "commit": data.get("commit")}
    return None


def _missing_test(chain: dict[str, Any] | None) -> dict[str, Any] | None:
    """The newest PROPOSED row's `missing_test` payload of the op, if the ledger has it."""
    if chain is None:
        return None
    for t in reversed(chain["transitions"]):
        found = (t.get("payload") or {}).get("missing_test")
        if t["to_phase"] == "PROPOSED" and isinstance(found, dict):
            return found
    return None


def _from_git(reviews: ReviewBranches, item: ReviewItem, reasons: list[dict[str, Any]],
              shown: list[dict[str, Any]]) -> dict[str, Any]:
    """Each reason's mutant as a diff (into `shown`, the first also as `mutant_diff`) and
    the kept tests' diff (blocking)."""
    out: dict[str, Any] = {}
    texts: dict[str, FileText] | None = None
    for reason, view in zip(reasons, shown, strict=True):
        where = _mutant_at(reason)
        if where is None:
            continue
        texts = _texts(reviews, item) if texts is None else texts
        if m := _mutant(texts, *where):
            view["mutant_diff"] = _capped(m)
            out.setdefault("mutant_diff", view["mutant_diff"])
    test = kept_test_of(reviews, item)
    if test is not None:
        out |= {"test_branch": test.branch, "test_sha": test.sha,
                "test_diff": _capped(reviews.diff(test))}
    return out


def _mutant_at(reason: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """(file, line, what) of the reason's mutant: a surviving mutant's own, a line no test
    runs' `mutant` ([line, what]); None for a reason with none."""
    kind = _kind(reason.get("cause"))
    if kind is CauseKind.SURVIVING_MUTANT:
        return reason.get("file"), reason.get("line"), reason.get("what")
    mutant = reason.get("mutant")
    if kind is CauseKind.UNRUN and isinstance(mutant, list) and len(mutant) == 2:
        return reason.get("file"), mutant[0], mutant[1]
    return None


def _texts(reviews: ReviewBranches, item: ReviewItem) -> dict[str, FileText]:
    """The review's files as its base and its commit hold them."""
    new = {c.file_path: c.full_content for c in reviews.changes(item)}
    old = reviews.base_contents(item)
    return {p: FileText(p, None if old.get(p) is None else old[p].decode(
        "utf-8", "surrogateescape"), text) for p, text in new.items() if text is not None}


def _mutant(texts: dict[str, FileText], path: Any, line: Any, what: Any) -> str | None:
    """The mutant as a diff against the review's file, or None when the payload does not
    name it (a review made before it did) or it is not among the file's now."""
    if not isinstance(path, str) or not isinstance(line, int) or path not in texts:
        return None
    f = texts[path]
    mutant = next((m for m in plan(f.old, f.new or "", path)
                   if (m.line, m.what) == (line, what)), None)
    return None if mutant is None else mutant_diff(f, mutant)


def _capped(diff: str) -> str:
    shown = diff if len(diff) <= DIFF_CAP else (
        diff[:DIFF_CAP] + f"\n[... {len(diff) - DIFF_CAP} more characters]\n")
    return redact(shown)
