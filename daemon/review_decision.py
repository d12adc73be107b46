"""`review OP`'s decision (issue 45, item 3): what a person decides, not just the diff.

For a review whose change waits because a test could decide it, the op's PROPOSED row
holds the missing test's verdict (governance.phases.propose_test: `missing_test`). From it
and from git this builds what `review OP` shows above the diff:
- the unchecked line, and its surviving mutant as a diff (planned again from the review's
  base and commit, found by its typed file, line and what: the ids are random each run);
- the kept test (its own diff: `git diff <review> <prefix>tests/<op>`) and what it kills,
  or why none was kept;
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
from governance.proof.mutation import plan
from governance.proof.rules import FileText
from governance.proof.test_proposal import CauseKind, mutant_diff
from ledger.errors import LedgerError
from ledger.redact import redact

if TYPE_CHECKING:
    from ledger import Ledger

DIFF_CAP = 20_000  # characters of the mutant's or the test's diff in one reply
# Why a kept test of each kind can or cannot land without its change
ALONE = {
    CauseKind.SURVIVING_MUTANT: "lands alone if it passes on your HEAD without the change",
    CauseKind.UNENTERED: "fails on the base by construction: it lands only with the change",
    CauseKind.NEW_BEHAVIOUR: "fails on the base by construction: it lands only with the change",
}


async def decision_of(reviews: ReviewBranches, ledger: Ledger | None,
                      item: ReviewItem) -> dict[str, Any]:
    """`{"decision": ...}` for `item`, or {} when no missing test was asked about."""
    chain = await _chain(ledger, item.op_id)
    missing = _missing_test(chain)
    if missing is None:
        return {}
    out = {k: missing[k] for k in ("cause", "at", "verdict", "kept", "why", "files", "tests",
                                   "other_causes") if k in missing}
    if landed := _landed_alone(chain):
        out["landed_alone"] = landed
    try:
        found = await asyncio.to_thread(_from_git, reviews, item, missing)
    except Exception as exc:  # what git cannot say is left out, never the review's failure
        found = {"not_read": f"{type(exc).__name__}: {exc}"[:200]}
    out |= found
    if out.get("test_diff") is not None and (kind := _kind(missing.get("cause"))):
        out["alone"] = ALONE[kind]
    return {"decision": out}


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


def _from_git(reviews: ReviewBranches, item: ReviewItem,
              missing: dict[str, Any]) -> dict[str, Any]:
    """The mutant's diff and the kept test's diff (blocking)."""
    out: dict[str, Any] = {}
    if missing.get("cause") == CauseKind.SURVIVING_MUTANT and (m := _mutant(
            reviews, item, missing.get("file"), missing.get("line"), missing.get("what"))):
        out["mutant_diff"] = _capped(m)
    test = kept_test_of(reviews, item)
    if test is not None:
        out |= {"test_branch": test.branch, "test_sha": test.sha,
                "test_diff": _capped(reviews.diff(test))}
    return out


def _mutant(reviews: ReviewBranches, item: ReviewItem, path: Any, line: Any,
            what: Any) -> str | None:
    """The surviving mutant as a diff against the review's file, or None when the payload
    does not name it (a review made before it did) or it is not among the file's now."""
    if not isinstance(path, str) or not isinstance(line, int) or path not in item.files:
        return None
    new = {c.file_path: c.full_content for c in reviews.changes(item)}.get(path)
    old = reviews.base_contents(item).get(path)
    if new is None:
        return None
    f = FileText(path, None if old is None else old.decode("utf-8", "surrogateescape"), new)
    mutant = next((m for m in plan(f.old, new, path) if (m.line, m.what) == (line, what)),
                  None)
    return None if mutant is None else mutant_diff(f, mutant)


def _capped(diff: str) -> str:
    shown = diff if len(diff) <= DIFF_CAP else (
        diff[:DIFF_CAP] + f"\n[... {len(diff) - DIFF_CAP} more characters]\n")
    return redact(shown)
