"""GATE, APPROVE and APPLY: the chokepoint, the human, the disk (VERIFY: verify.py)."""

from __future__ import annotations

import asyncio
import difflib
from pathlib import Path

from governance.crashpoints import crashpoint
from governance.fs import nofollow, nofollow_write
from governance.fs.protected import PathEscape, live_path_problem, normalize, protected_reason
from governance.fs.rollback import RollbackSnapshot, after_digest, exact_path, live_sha256
from governance.gates.risk import RiskInput, RiskTier, classify
from governance.gates.weakening import is_test_path, weakenings
from governance.phase import Phase, Transition
from governance.phases.deps import PhaseDeps
from governance.phases.propose import propose
from governance.proof.claim import evidence_for
from governance.proof.rules import Intent
from governance.schemas import OperationContext, Source
from ledger.redact import MARKER, redact

DIFF_PREVIEW_CHARS = 4000
MAX_PREVIEW_READ = 4_000_000  # a live file larger than this is not diffed


def _live_text(root: Path, rel: str) -> str:
    """A live file's text for a preview, read without following any symlink."""
    try:
        return nofollow.read_bytes(root, rel, limit=MAX_PREVIEW_READ).decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    except (OSError, ValueError) as exc:  # UnsafePath, TooLarge: say why, show nothing
        return f"[current content not shown: {exc}]\n"


def _diff_preview(ctx: OperationContext, d: PhaseDeps) -> str:
    """The candidate as a unified diff against the live files, secrets redacted."""
    assert ctx.generation is not None
    chunks = []
    for change in ctx.generation.candidate.changes():
        old = _live_text(d.root, change.file_path)
        new = change.full_content or ""
        chunks.extend(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                           f"a/{change.file_path}", f"b/{change.file_path}"))
    text = "".join(chunks)
    text = text if len(text) <= DIFF_PREVIEW_CHARS else text[:DIFF_PREVIEW_CHARS] + "\n[...]"
    return redact(text)


async def gate_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Re-check every candidate path against the live root, then re-rank risk on what the
    candidate really touches, what it takes away from existing tests, and what proves it.
    The tier can only rise."""
    assert ctx.generation is not None
    changes = ctx.generation.candidate.changes()
    for change in changes:  # on the live path as it will be written: no symlink on the way
        problem = live_path_problem(d.root, change.file_path,
                                    allow_non_ascii=d.policy.allow_non_ascii_paths)
        if problem:
            return Transition(Phase.BLOCKED, f"path containment: {problem}")
    files = tuple(c.file_path for c in changes)
    verdict = classify(RiskInput(
        files=files,
        new_files=frozenset(c.file_path for c in changes
                            if c.action == "write" and not (d.root / c.file_path).exists()),
        deleted_files=frozenset(c.file_path for c in changes if c.action == "delete"),
        confidence=ctx.envelope.confidence, state_dir=d.state_rel,
        protected_globs=d.policy.protected_globs, approval_globs=d.policy.approval_globs,
        notify_globs=d.policy.notify_globs))
    if verdict.tier is RiskTier.BLOCKED:
        return Transition(Phase.BLOCKED, f"candidate touches a protected path: {verdict.reason}")
    before = RiskTier[ctx.risk_tier or "SAFE_AUTO"]
    tier, why = max(before, verdict.tier), (
        f"candidate rule {verdict.rule}: {verdict.reason}" if verdict.tier > before
        else f"classified {before.name} by rule {ctx.risk_rule or 'default'}")
    weak = await d.in_thread(_weakenings, d, changes)
    evidence = await d.in_thread(evidence_for, ctx, d, changes)
    payload: dict = {"files": list(files), "evidence": evidence.payload()}
    if weak:
        tier, why = RiskTier.APPROVAL_REQUIRED, f"weakens tests: {'; '.join(weak[:5])}"
        payload["weakening"] = weak
        await d.thought(ctx, Phase.GATE, "the candidate weakens existing tests", weakening=weak)
    ctx.risk_tier = tier.name
    accepted = evidence.intent is Intent.ACCEPTED
    needs_human = not accepted and tier >= RiskTier.APPROVAL_REQUIRED
    ctx.to_review = needs_human or (not accepted and not evidence.proven)
    ctx.evidence = evidence.trailer() + (f"; needs a human: {why}" if needs_human else "")
    ctx.evidence = " ".join(ctx.evidence.split())[:400]
    # Read and diffed once, off the event loop; APPROVE shows this same preview (APPLY's
    # stale guard refuses if the live files change after it).
    ctx.diff_preview = await d.in_thread(_diff_preview, ctx, d)
    where = "a review branch" if ctx.to_review else "the working tree"
    return Transition(Phase.APPROVE, f"tier {tier.name} ({why}); {evidence.summary[:300]}; "
                      f"to {where}", {"tier": tier.name, **payload, "diff": ctx.diff_preview})


TEST_FILE_READ_CAP = 4_000_000  # a larger test file is not compared: approval instead


def _weakenings(d: PhaseDeps, changes: list) -> list[str]:
    """AST comparison of every changed existing test file; a failure to compare is itself
    a finding (a gate refuses, it never crashes)."""
    written = frozenset(c.file_path for c in changes)
    found: list[str] = []
    for change in changes:
        if not is_test_path(change.file_path):
            continue
        try:
            try:
                old: str | None = nofollow.read_bytes(
                    d.root, change.file_path, limit=TEST_FILE_READ_CAP).decode(
                    "utf-8", "surrogateescape")
            except FileNotFoundError:
                old = None
            new = None if change.action == "delete" else (change.full_content or "")
            found += weakenings(change.file_path, old, new, written)
        except (OSError, ValueError, RecursionError, MemoryError) as exc:
            found.append(f"{change.file_path}: could not be compared ({type(exc).__name__})")
    return found


async def approve_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Proven changes go to APPLY (a NOTIFY_APPLY one after its cancel window); anything
    else is committed to a review branch and the op ends PROPOSED: no worker waits for a
    person, and the human's branch, index and working tree are not touched."""
    tier = RiskTier[ctx.risk_tier or "SAFE_AUTO"]
    if ctx.envelope.source == Source.REVIEW:
        return Transition(Phase.APPLY, f"accepted by a human ({ctx.evidence[:200]})")
    if ctx.to_review:  # what APPLY would refuse is not worth a human's review either
        refused = await d.in_thread(_apply_refusals, ctx, d)
        if refused:
            return Transition(Phase.POSTMORTEM, f"not proposed: {'; '.join(refused)}")
        return await propose(ctx, d)
    if tier is RiskTier.SAFE_AUTO:
        return Transition(Phase.APPLY, "auto-approved (SAFE_AUTO, proven)")
    if tier is RiskTier.NOTIFY_APPLY:
        delay = d.policy.notify_apply_delay_s
        await d.thought(ctx, Phase.APPROVE, f"applying in {delay:g}s unless cancelled",
                        cancel=f"ouroboros cancel {ctx.op_id}", diff=ctx.diff_preview)
        await asyncio.sleep(delay)
        return Transition(Phase.APPLY, f"notify window of {delay:g}s passed without a cancel")
    ctx.to_review = True  # unreachable by GATE's rule; never APPLY unproven
    return await approve_phase(ctx, d)


def _apply_refusals(ctx: OperationContext, d: PhaseDeps) -> list[str]:
    """Why the candidate cannot be written as it stands, checked on the paths that will be
    written: no symlink anywhere on the way, nothing protected, no path spelled twice, and
    no redaction marker that the model copied from its prompt over a real value."""
    assert ctx.generation is not None
    problems, seen = [], set()
    for change in ctx.generation.candidate.changes():
        rel = change.file_path
        try:
            norm = normalize(rel, allow_non_ascii=d.policy.allow_non_ascii_paths)
            why = protected_reason(norm, d.state_rel, d.policy.protected_globs)
        except PathEscape as exc:
            problems.append(str(exc))
            continue
        live = live_path_problem(d.root, norm, allow_non_ascii=d.policy.allow_non_ascii_paths)
        if why or live or norm in seen:
            problems.append(f"{rel}: {why or live or 'named twice'}")
        elif MARKER in (content := change.full_content or "") and \
                content.count(MARKER) > _live_text(d.root, norm).count(MARKER):
            problems.append(f"{rel}: the candidate holds a redaction marker ({MARKER}:...]); "
                            "the model never saw the value it would overwrite")
        seen.add(norm)
    return problems


def _write_all(ctx: OperationContext, d: PhaseDeps, paths: list[str]) -> dict[str, str | None]:
    """Write every change through nofollow at exactly its snapshot path; post-write hashes."""
    assert ctx.generation is not None
    for n, (path, change) in enumerate(zip(paths, ctx.generation.candidate.changes(),
                                           strict=True)):
        if n == 1:
            crashpoint("apply_between_files")
        if change.action == "delete":
            nofollow_write.remove(d.root, path)
        else:
            nofollow_write.write_bytes_atomic(d.root, path, (change.full_content or "").encode())
    return {p: live_sha256(d.root, p) for p in paths}


def _own_writes(ctx: OperationContext, d: PhaseDeps) -> dict[str, str | None]:
    """What this op wrote at its first APPLY (path -> sha256 recorded), when re-applying."""
    if not (ctx.applied and ctx.rollback_dir):
        return {}
    snap = RollbackSnapshot.load(Path(ctx.rollback_dir), d.root)
    return {e.path: e.after_sha256 for e in snap.entries}


def _others_dirty(ctx: OperationContext, d: PhaseDeps, paths: list[str]) -> list[str]:
    """Paths with uncommitted changes that are not this op's own earlier write: the op's
    applied files are dirty by its own hand while L2 repairs a VERIFY failure. A git-ignored
    file that exists is the human's local data (plain git status never lists it): theirs
    too, so one status lists both."""
    own = _own_writes(ctx, d)
    theirs = dict.fromkeys(d.git.dirty(paths, ignored=True))
    return [p for p in theirs if p not in own or (live_sha256(d.root, p) or "") != own[p]]


def _snapshot(ctx: OperationContext, d: PhaseDeps, paths: list[str],
              after: list[str]) -> RollbackSnapshot:
    """A new snapshot, or (re-applying an L2 repair) the op's snapshot extended: the
    originals it holds stay, so a rollback still restores the files as they were."""
    if ctx.applied and ctx.rollback_dir:
        snap = RollbackSnapshot.load(Path(ctx.rollback_dir), d.root)
        snap.extend(paths, after)
        return snap
    return RollbackSnapshot.capture(d.state_dir, ctx.op_id, d.root, paths, after)


async def apply_phase(ctx: OperationContext, d: PhaseDeps) -> Transition:
    """Snapshot every file, then write all of them; any failure restores the whole batch.
    Nothing is ever written through a symlink: such a path is refused before the snapshot,
    and nofollow refuses it again at the moment of writing."""
    assert ctx.generation is not None
    refused = await d.in_thread(_apply_refusals, ctx, d)
    if refused:
        return Transition(Phase.POSTMORTEM, f"not applied: {'; '.join(refused)}",
                          infra=True)
    paths = [exact_path(c.file_path) for c in ctx.generation.candidate.changes()]
    try:
        stale = [f for f, h in ctx.live_hashes.items() if live_sha256(d.root, f) != h]
        if stale:
            return Transition(Phase.POSTMORTEM,
                              f"stale: changed since GENERATE: {', '.join(stale)}")
        dirty = await d.in_thread(_others_dirty, ctx, d, paths)
        if dirty:
            return Transition(Phase.POSTMORTEM,
                              f"human edits appeared on {', '.join(dirty)}; not applied")
        after = [after_digest(None if c.action == "delete" else (c.full_content or "").encode())
                 for c in ctx.generation.candidate.changes()]
        snapshot = await d.in_thread(_snapshot, ctx, d, paths, after)
    except (OSError, ValueError) as exc:  # UnsafePath: a symlink appeared since the check
        return Transition(Phase.POSTMORTEM, f"not applied: {exc}", infra=True)
    ctx.rollback_dir = str(snapshot.directory)
    ctx.applied = True  # from here on, any non-COMPLETE ending restores the snapshot
    crashpoint("apply_after_snapshot")
    try:
        post = await d.in_thread(_write_all, ctx, d, paths)
    except (OSError, ValueError) as exc:  # the snapshot restores what was written
        return Transition(Phase.POSTMORTEM, f"apply refused mid-batch: {exc}", infra=True)
    return Transition(Phase.VERIFY, f"applied {len(paths)} file(s)",
                      {"files": paths, "post_sha256": post, "rollback": ctx.rollback_dir})
