"""An op's claim and the evidence for it: what the op claims (governance.proof.rules.Claim),
the texts its candidate changes (base and candidate), GATE's evidence (rules.assess over
them) and the refusals VALIDATE makes before anything runs. The pipeline's phases call it
with their PhaseDeps; it reads only what OpTree names, so the proof imports no phase.

Refused at VALIDATE (the model gets the reason and may retry; an honest "could not
resolve" beats a false one):
- code that checks whether it runs under a test runner or a tracer
  (governance.proof.sniff.runner_sniffing): it could pass every test and be broken
  everywhere else;
- a TODO, FIXME or HACK marker removed or reworded without an executable change in its
  enclosing function, or with a body that only passes or raises NotImplementedError.

Everything else that falls short of proof is not refused: GATE sends it to review.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from governance.fs import nofollow
from governance.fs.rollback import RollbackSnapshot
from governance.oracle.oracle_run import OracleMemo
from governance.oracle.scope import is_test_side
from governance.policy import Policy
from governance.proof.rules import (
    Claim,
    Evidence,
    FileText,
    Intent,
    assess,
    intent_of,
)
from governance.proof.static import runner_sniffing, todo_resolution_problems
from governance.proof.symbols import enclosing_symbol
from governance.schemas import FileChange, OperationContext, Source

READ_CAP = 4_000_000  # a larger file is not compared: its change cannot be proven


class OpTree(Protocol):
    """What the claim reads of the pipeline's deps (governance.phases.deps.PhaseDeps)."""

    @property
    def root(self) -> Path: ...  # the repository the op changes
    @property
    def policy(self) -> Policy: ...  # the claim's settings (max_new_files, ...)
    @property
    def oracle(self) -> OracleMemo: ...  # the op's test sessions and the base's baseline


def base_text(ctx: OperationContext, d: OpTree, rel: str) -> str | None:
    """A file's text at the op's base, None when absent; never through a symlink. Before
    APPLY that is the live file; once the op applied (L2 repairing a VERIFY failure), its
    rollback snapshot holds the originals of what it wrote."""
    if ctx.applied and ctx.rollback_dir:
        snap = RollbackSnapshot.load(Path(ctx.rollback_dir), d.root)
        entry = next((e for e in snap.entries if e.path == rel), None)
        if entry is not None:
            if not (entry.existed and entry.blob):
                return None
            data = (snap.directory / entry.blob).read_bytes()[:READ_CAP]
            return data.decode("utf-8", "surrogateescape")
    try:
        data = nofollow.read_bytes(d.root, rel, limit=READ_CAP)
    except FileNotFoundError:
        return None
    return data.decode("utf-8", "surrogateescape")


def file_texts(ctx: OperationContext, d: OpTree,
               changes: Sequence[FileChange]) -> list[FileText]:
    return [FileText(c.file_path, base_text(ctx, d, c.file_path),
                     None if c.action == "delete" else (c.full_content or ""))
            for c in changes]


def _marker_lines(ctx: OperationContext) -> list[int]:
    markers = ctx.envelope.evidence.get("markers")
    if not isinstance(markers, list):
        return []
    return [m["line"] for m in markers if isinstance(m, dict) and isinstance(m.get("line"), int)]


def _symbols(ctx: OperationContext, d: OpTree) -> frozenset[str] | None:
    """The functions the op is about, when its signal says: a TODO's enclosing function,
    or the complex function the opportunity miner named."""
    env = ctx.envelope
    if env.source == Source.TODO and len(env.target_files) == 1:
        text, lines = base_text(ctx, d, env.target_files[0]), _marker_lines(ctx)
        if text is not None and lines:
            return frozenset(enclosing_symbol(text, n) for n in lines)
    function = env.evidence.get("function")
    if isinstance(function, str) and function:
        return frozenset({function})
    return None


def claim_of(ctx: OperationContext, d: OpTree) -> Claim:
    env, p = ctx.envelope, d.policy
    failing = env.evidence.get("test_id")
    tests = env.evidence.get("tests")  # a test_failure op's fail-to-pass set: one cause's
    others = tuple(t for t in tests if isinstance(t, str) and t != failing) \
        if isinstance(tests, list) else ()
    return Claim(intent_of(env.source), frozenset(env.target_files), _symbols(ctx, d),
                 failing if isinstance(failing, str) else None, p.max_new_files,
                 p.autocommit_new_behaviour, p.preserve_on_coverage, others)


def evidence_for(ctx: OperationContext, d: OpTree, changes: Sequence[FileChange]) -> Evidence:
    """GATE's proof for the candidate (blocking: reads files). A gate that fails refuses:
    any exception makes the change unproven, never a crash."""
    if ctx.envelope.source == Source.REVIEW:
        was = str(ctx.envelope.evidence.get("review_evidence", "-"))[:300]
        op = str(ctx.envelope.evidence.get("review_op", "?"))
        return Evidence(True, Intent.ACCEPTED, f"accepted by a human (review of {op}; "
                        f"it was {was})")
    try:
        claim, memo = claim_of(ctx, d), d.oracle
        return assess(claim, file_texts(ctx, d, changes), memo.sessions, memo.baseline)
    except Exception as exc:  # a gate that cannot decide refuses
        why = f"the proof could not be checked ({type(exc).__name__}: {exc})"[:300]
        return Evidence(False, intent_of(ctx.envelope.source), f"unproven: {why}", (why,))


def refusals(ctx: OperationContext, d: OpTree, changes: Sequence[FileChange]) -> list[str]:
    """VALIDATE's static refusals (blocking: reads files)."""
    if ctx.envelope.source == Source.REVIEW:
        return []
    out: list[str] = []
    for change in changes:
        rel, new = change.file_path, change.full_content
        if change.action == "write" and rel.endswith(".py") and not is_test_side(rel):
            out += [f"{rel}: {why}; code must not behave differently under test"
                    for why in runner_sniffing(new or "")]
        if ctx.envelope.source == Source.TODO and rel in ctx.envelope.target_files:
            old = base_text(ctx, d, rel)
            if old is not None:
                out += [f"{rel}: {why}" for why in todo_resolution_problems(
                    old, None if change.action == "delete" else new, _marker_lines(ctx))]
    return out
