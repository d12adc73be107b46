"""The signal of an accept op: a human's `accept` of a review branch (governance.git.review)
turned into work the real pipeline lands (governance.phases.review)."""

from __future__ import annotations

from governance.git.review import ReviewItem
from governance.schemas import SignalEnvelope, Source, Urgency


def accept_envelope(item: ReviewItem, session_id: str, test: ReviewItem | None = None, *,
                    test_only: bool = False, landed: ReviewItem | None = None
                    ) -> SignalEnvelope:
    """The signal of an accept op: land exactly `item`'s commit through the pipeline, with
    its kept missing test `test` when there is one (governance.git.kept_tests), or that
    test alone (`test_only`). `landed`: a kept test already on the human's branch (it
    landed alone): the change lands without it, and its branch goes with the review's."""
    files = tuple(dict.fromkeys((*(() if test_only else item.files),
                                 *(test.files if test else ()))))
    what = "the kept test of the review" if test_only else "the review"
    evidence = {"review_op": item.op_id, "review_sha": item.sha, "review_branch": item.branch,
                "review_base": item.base, "review_evidence": item.evidence}
    if test is not None:
        evidence |= {"review_test_sha": test.sha, "review_test_only": test_only}
    if landed is not None:
        evidence["review_landed_test_sha"] = landed.sha
    return SignalEnvelope(
        source=Source.REVIEW, target_files=files, urgency=Urgency.HIGH, confidence=1.0,
        goal=f"accept {what} of {item.op_id}: {item.goal}",
        dedup_key=f"review-test:{test.sha}" if test_only and test else f"review:{item.sha}",
        session_id=session_id, evidence=evidence)
