"""The daemon's side of review branches (governance.git.review): the `review`, `accept` and
`reject` verbs, the daily prune, and what `status` says about the reviews waiting.

Nothing waits in a worker for a human: a change the daemon could not prove sits on its
review branch. `accept` queues an accept op (the real pipeline lands exactly that commit's
files); `reject` deletes the branch. Both leave a thought on the ORIGINAL op in the ledger,
so its causal chain ends with what the human decided.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from daemon.review_decision import decision_of
from governance.errors import CommitError
from governance.git.accept_signal import accept_envelope
from governance.git.kept_tests import kept_test_of
from governance.git.landed_tests import landed as landed_tests
from governance.git.review import ReviewBranches, ReviewItem
from governance.git.review_causes import ReviewCauses
from governance.git.review_order import (
    LABELS,
    ReviewCost,
    costs,
    kept_tests_prefix,
    ordered,
)
from ledger.errors import LedgerError
from ledger.phases import TERMINAL_PHASES
from ledger.redact import redact

if TYPE_CHECKING:
    from daemon.config.settings import Settings
    from governance.schemas import SignalEnvelope
    from ledger import Ledger

log = structlog.get_logger("daemon")

VERBS = ("review", "accept", "reject")
PHASE = "REVIEW"  # the ledger phase of the thoughts recorded here
PRUNE_INTERVAL_S = 86_400.0  # a prune at start, then once a day
DIFF_CAP = 200_000  # characters of a diff in one reply
REASON_CHARS = 200  # of an op's last transition reason, when `review OP` finds no review


class ReviewHost(Protocol):
    """What the verbs and the prune use of the daemon (daemon.service.Daemon honours it)."""

    reviews: ReviewBranches
    session_id: str
    settings: Settings  # proof.review_max_age_days
    ledger: Ledger | None  # set once started; the verbs and the prune run after that

    async def submit(self, envelope: SignalEnvelope) -> bool: ...

    async def review_rejected(self, op_id: str, reason: str) -> None: ...


def item_view(item: ReviewItem, now: float) -> dict[str, Any]:
    """One review as the socket shows it."""
    return {"op_id": item.op_id, "branch": item.branch, "sha": item.sha, "base": item.base,
            "goal": item.goal, "source": item.source, "evidence": item.evidence,
            "files": list(item.files), "insertions": item.insertions,
            "deletions": item.deletions, "age_s": round(max(0.0, now - item.created), 1)}


async def execute(daemon: ReviewHost, cmd: str, op: str | None,
                  reason: str | None, *, tests: bool = False) -> dict[str, Any]:
    """The reply to `review [op]`, `accept op [--tests] [reason]` or `reject op [reason]`
    (the socket's request read into its fields, so this module does not import the control
    room). `tests`: accept only the review's kept missing test, not its change."""
    try:
        if cmd == "review":
            return {"ok": True, "data": await review_data(daemon.reviews, daemon.ledger, op)}
        assert op is not None  # the socket refuses these without an op
        item = await _get(daemon.reviews, daemon.ledger, op)
        if cmd == "accept":
            return {"ok": True, "data": await _accept(daemon, item, reason, tests)}
        return {"ok": True, "data": await _reject(daemon, item, reason)}
    except (LookupError, CommitError) as exc:
        return {"ok": False, "error": str(exc)}


async def review_data(reviews: ReviewBranches, ledger: Ledger | None,
                      op: str | None) -> dict[str, Any]:
    """The data of `review [op]`: every review waiting, or `op`'s with its diff and evidence
    (LookupError when none matches, saying how the op ended if the ledger knows it). Reads
    git and the ledger only, so the CLI answers it without a daemon too."""
    now = time.time()
    if op is None:  # cheapest decision first (governance.git.review_order)
        items = await asyncio.to_thread(reviews.list)
        found = await asyncio.to_thread(costs, reviews) if items else {}
        _tally(reviews, items, found)
        return {"reviews": [item_view(i, now) | {"cost": LABELS[found[i.op_id]]}
                            for i in ordered(items, found)]}
    item = await _get(reviews, ledger, op)
    diff = await asyncio.to_thread(reviews.diff, item)
    shown = diff if len(diff) <= DIFF_CAP else (
        diff[:DIFF_CAP] + f"\n[... {len(diff) - DIFF_CAP} more characters: git diff "
        f"{item.base} {item.sha}]\n")
    return {"review": {**item_view(item, now), "diff": redact(shown),
                       **await _evidence(ledger, item.op_id),
                       **await decision_of(reviews, ledger, item)}}


async def _get(reviews: ReviewBranches, ledger: Ledger | None, op: str) -> ReviewItem:
    """The one review `op` names, or the one it joined (an op whose work an open review
    held ends PROPOSED naming it: governance.phases.propose); LookupError otherwise, with
    how the op ended when no review matches and the ledger knows exactly one op by that
    prefix."""
    try:
        return await asyncio.to_thread(reviews.get, op)
    except LookupError as exc:
        joined = await _joined(ledger, op) if ledger is not None else None
        if joined is not None:
            return await _get(reviews, None, joined)
        ended = await _how_it_ended(ledger, op) if ledger is not None else None
        raise LookupError(f"{exc}: {ended}" if ended else str(exc)) from None


async def _joined(ledger: Ledger, op: str) -> str | None:
    """The op whose review `op` joined, when its last row says so."""
    try:
        chain = await ledger.chain(await ledger.resolve_op(op))
    except LedgerError:
        return None
    last = chain["transitions"][-1] if chain["transitions"] else None
    held = (last.get("payload") or {}).get("review_of") \
        if last and last["to_phase"] == "PROPOSED" else None
    return held if isinstance(held, str) and held != chain["operation"]["op_id"] else None


async def _how_it_ended(ledger: Ledger, op: str) -> str | None:
    """`op`'s last phase and its reason, the newest word of the review verbs on it, and where
    to read the rest; None when the ledger knows no single op by that prefix."""
    try:
        chain = await ledger.chain(await ledger.resolve_op(op))
    except LedgerError:
        return None
    op_id = chain["operation"]["op_id"]
    last = chain["transitions"][-1] if chain["transitions"] else None
    phase = last["to_phase"] if last else "no phase yet"
    why = " ".join(str(last["reason"] if last else "").split())
    why = f" ({why[:REASON_CHARS]}{'...' if len(why) > REASON_CHARS else ''})" if why else ""
    state = f"ended in {phase}" if phase in TERMINAL_PHASES else f"is in {phase}, not ended"
    said = [t["msg"] for t in chain["thoughts"] if t["phase"] == PHASE]
    review = f"; its review: {said[-1]}" if said else ""
    return (f"{op_id} {state}{why}, with no review waiting{review}; "
            f"`ouroboros ledger {op_id}` shows its whole chain")


async def _evidence(ledger: Ledger | None, op_id: str) -> dict[str, Any]:
    """From the op's ledger chain: `failed`, its newest transition that kept failure texts
    (a refused attempt before the one on the branch), `ascii_repairs`, the lines the
    ASCII gate changed in the candidate on the branch (its newest GENERATE), and
    `lint_fixes`, the lines the repository's linter fixed in it (its VALIDATE). Empty when
    there are none, or the ledger does not know the op (pruned, or another state dir's)."""
    if ledger is None:
        return {}
    try:
        chain = await ledger.chain(op_id)
    except LedgerError:
        return {}
    out: dict[str, Any] = {}
    for t in reversed(chain["transitions"]):
        payload = t.get("payload") or {}
        if payload.get("failures") and "failed" not in out:
            out["failed"] = {"seq": t["seq"], "from_phase": t["from_phase"],
                             "to_phase": t["to_phase"], "failures": payload["failures"]}
        if str(t["from_phase"]).startswith("GENERATE") and t["to_phase"] == "VALIDATE" \
                and "generated" not in out:
            out["generated"] = True  # the branch holds this candidate: older ones are not
            if payload.get("ascii_repairs"):
                out["ascii_repairs"] = payload["ascii_repairs"]
        if t["to_phase"] == "GATE" and "judged" not in out:  # the branch's candidate
            out["judged"] = True
            lint = payload.get("lint") if t["from_phase"] == "VALIDATE" else None
            if isinstance(lint, dict) and lint.get("rewritten"):
                out["lint_fixes"] = lint["rewritten"]
    out.pop("generated", None)
    out.pop("judged", None)
    return out


async def _accept(daemon: ReviewHost, item: ReviewItem, reason: str,
                  test_only: bool) -> dict[str, Any]:
    """Queue the accept op through the router, as `signal` does: the change with its kept
    missing test when one waits beside it, or (`test_only`) that test alone."""
    test = await asyncio.to_thread(kept_test_of, daemon.reviews, item)
    if test_only and test is None:
        raise LookupError(f"no kept test waits beside the review of {item.op_id}: there is "
                          "nothing to land alone (`ouroboros review` shows why none was kept)")
    landed = test if test is not None and await asyncio.to_thread(
        landed_tests, daemon.reviews, {item.op_id: test.sha}) else None
    if landed is not None and test_only:
        raise LookupError(f"the kept test of {item.op_id} is on your branch already: the "
                          f"review's lines are checked now (`ouroboros accept {item.op_id}` "
                          "lands the change)")
    env = accept_envelope(item, daemon.session_id, None if landed else test,
                          test_only=test_only, landed=landed)
    queued = await daemon.submit(env)
    out: dict[str, Any] = {"op_id": item.op_id, "queued": queued, "dedup_key": env.dedup_key}
    if landed is not None:
        out["lands"] = "the change (its kept test is on your branch already)"
    elif test is not None:
        out["lands"] = "the kept test alone" if test_only else "the change and its kept test"
    if not queued:
        out["why"] = ("this review was accepted already and its op is queued, running or "
                      "backing off after a failure, or the queue is full")
        return out
    await _thought(daemon, item, "its kept test accepted by a human" if test_only
                   else "accepted by a human", reason, dedup_key=env.dedup_key,
                   **({"test_sha": test.sha} if test else {}))
    return out


async def _reject(daemon: ReviewHost, item: ReviewItem, reason: str) -> dict[str, Any]:
    await asyncio.to_thread(daemon.reviews.delete, item)
    await _thought(daemon, item, "rejected by a human", reason)
    await daemon.review_rejected(item.op_id, reason)  # its work backs off like a failure
    return {"op_id": item.op_id, "branch": item.branch, "deleted": True}


async def _thought(daemon: ReviewHost, item: ReviewItem, msg: str, reason: str = "",
                   **data: Any) -> None:
    assert daemon.ledger is not None
    await daemon.ledger.record_thought(item.op_id, PHASE, msg, {
        "reason": reason, "branch": item.branch, "sha": item.sha, **data})


async def prune_once(daemon: ReviewHost) -> list[ReviewItem]:
    """Delete the review branches older than proof.review_max_age_days, each noted on its
    op in the ledger."""
    max_age_s = daemon.settings.proof.review_max_age_days * 86_400.0
    now = time.time()
    pruned = await asyncio.to_thread(daemon.reviews.prune, max_age_s, now)
    # kept missing tests (governance.phases.missing_test_step) age with their reviews: one left
    # after its review was accepted or rejected is there to cherry-pick until then
    tests = ReviewBranches(daemon.reviews.git, kept_tests_prefix(daemon.reviews.prefix))
    await asyncio.to_thread(tests.prune, max_age_s, now)
    for item in pruned:
        await _thought(daemon, item, "review branch pruned (nobody accepted or rejected it)",
                       age_days=round((now - item.created) / 86_400.0, 1),
                       max_age_days=daemon.settings.proof.review_max_age_days)
    if pruned:
        log.info("review branches pruned", ops=[i.op_id for i in pruned])
    return pruned


async def prune_forever(daemon: ReviewHost) -> None:
    """At start, then once a day; a failed prune waits for the next."""
    while True:
        try:
            await prune_once(daemon)
        except Exception:
            log.exception("review prune failed")
        await asyncio.sleep(PRUNE_INTERVAL_S)


async def branch_open(reviews: ReviewBranches, op_id: str) -> bool:
    """Whether op `op_id`'s review branch still exists (unreadable: taken as open, so a git
    hiccup holds a review's work back rather than proposing it twice: sensors.work_memory)."""
    try:
        return await asyncio.to_thread(reviews.at, op_id) is not None
    except (ValueError, OSError, subprocess.CalledProcessError):
        return True


def cause_holder(reviews: ReviewBranches) -> Callable[[SignalEnvelope], Awaitable[str | None]]:
    """The intake queue's `held`: the op whose open review holds an envelope's work (its key
    or one of its causes, in the review commit's trailers: governance.git.review_causes)."""
    causes = ReviewCauses(reviews)

    async def held(env: SignalEnvelope) -> str | None:
        wanted = env.evidence.get("causes")
        names = [c for c in wanted if isinstance(c, str)] if isinstance(wanted, list) else []
        try:
            return await asyncio.to_thread(causes.holding, env.dedup_key, names)
        except (OSError, subprocess.CalledProcessError) as exc:  # work memory still holds it
            log.warning("review trailers not read", why=str(exc)[:200])
            return None
    return held


STATUS_ITEMS = 50  # reviews that `status` shows one by one


async def _kinds(reviews: ReviewBranches, items: list[ReviewItem]) -> dict[str, Any]:
    """How many reviews of each kind wait, cheapest first (governance.git.review_order);
    nothing when none waits or git cannot say (never fails the status)."""
    try:
        found = await asyncio.to_thread(costs, reviews) if items else {}
    except Exception:
        return {}
    kinds = _tally(reviews, items, found)
    return {"kinds": kinds} if kinds else {}


def _tally(reviews: ReviewBranches, items: list[ReviewItem],
           found: dict[str, ReviewCost]) -> dict[str, int]:
    """{label: n} cheapest first, remembered on `reviews` beside its count (the live
    snapshot shows it without running git: daemon.live.sources)."""
    kinds = Counter(found.get(i.op_id, ReviewCost.PERSON) for i in items)
    tally = {LABELS[k]: kinds[k] for k in sorted(kinds)}
    reviews.kinds = tally
    return tally


async def read_kinds(reviews: ReviewBranches) -> tuple[int, dict[str, int]]:
    """How many reviews wait and how many of each kind, read from git now (for the live
    view's `reviews` event, after something made or closed a review)."""
    items = await asyncio.to_thread(reviews.list)
    found = await asyncio.to_thread(costs, reviews) if items else {}
    return len(items), _tally(reviews, items, found)


async def status_entry(reviews: ReviewBranches) -> dict[str, Any]:
    """`status`'s `reviews`: how many wait, and each one (never fails the status)."""
    try:
        items = await asyncio.to_thread(reviews.list)
    except (subprocess.CalledProcessError, OSError) as exc:
        return {"count": reviews.count or 0, "items": [],
                "error": f"review branches not read: {exc}"}
    now = time.time()
    return {"count": len(items),  # the newest STATUS_ITEMS: `ouroboros review` lists all
            **await _kinds(reviews, items),
            "items": [{k: v for k, v in item_view(i, now).items()
                       if k in ("op_id", "goal", "evidence", "files", "age_s")}
                      for i in items[:STATUS_ITEMS]]}
