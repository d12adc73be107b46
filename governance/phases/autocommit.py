"""COMPLETE's auto-commit: a Conventional-Commit message with parseable trailers, committed
through GitOps so only the op's files are included, signed with the daemon's own SSH key
(governance.git.signing) when it has one.

Trailers: Op-Id, Integrity (sha256 of the applied diff) and Ledger-Head (the heads of the
ledger's hash chains just before the commit: a signed anchor, ledger.anchor) are what
`ouroboros verify COMMIT` checks against the ledger.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import textwrap

import git
import structlog

from governance.git.gitops import CommitResult
from governance.git.signing import commit_env
from governance.phases.deps import PhaseDeps
from governance.schemas import OperationContext, SignalEnvelope, Source

log = structlog.get_logger("governance")

COMMIT_TYPES: dict[str, str] = {
    Source.TEST_FAILURE: "fix",
    Source.TODO: "refactor",
    Source.DOC_STALENESS: "docs",
    Source.OPPORTUNITY: "refactor",
    Source.BACKLOG: "feat",
}
SUBJECT_MAX = 72
MAX_TESTS_NAMED = 10  # a repair's failing tests listed in its commit's body
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SIGNING_ERROR = re.compile(r"sign|key", re.IGNORECASE)  # git/ssh-keygen's own words


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _scope(files: list[str]) -> str:
    first = files[0]
    head = first.split("/", 1)[0] if "/" in first else posixpath.splitext(first)[0]
    return re.sub(r"[^A-Za-z0-9_.-]", "", head) or "repo"


def commit_message(ctx: OperationContext, files: list[str], provider: str, author: str,
                   ledger_head: str = "", *, integrity: bool = True) -> str:
    """The message; `{integrity}` is filled in by GitOps once the tree is known (a review
    branch's commit has no Integrity trailer: the commit that lands it will)."""
    assert ctx.generation is not None
    env = ctx.envelope
    kind = COMMIT_TYPES.get(env.source, "chore")
    prefix = f"{kind}({_scope(files)}): "
    goal = _clean(env.goal).splitlines()[0] if _clean(env.goal) else "automated change"
    goal = goal[0].lower() + goal[1:] if goal[:1].isupper() and goal[1:2].islower() else goal
    room = SUBJECT_MAX - len(prefix)
    subject = prefix + (goal if len(goal) <= room else goal[: room - 3].rstrip() + "...")
    body = "\n\n".join(filter(None, [_tests_named(env, landed=integrity),
                                     _rationale(ctx.generation.rationale)]))
    generated_by = "Ouroboros + Venom" if ctx.generation.tool_records else "Ouroboros"
    trailers = [
        f"Op-Id: {ctx.op_id}",
        f"Signal: {env.source}",
        f"Risk: {ctx.risk_tier}",
        f"Provider: {provider}",
        f"Generated-By: {generated_by}",
        f"Evidence: {_clean(ctx.evidence).splitlines()[0] if _clean(ctx.evidence) else '-'}",
        *(["Integrity: sha256:{integrity}"] if integrity else []),
        *([f"Ledger-Head: {ledger_head}"] if ledger_head else []),
        f"Signed-off-by: {author}",
    ]
    return f"{subject}\n\n{body}\n\nFiles: {', '.join(files)}\n\n" + "\n".join(trailers) + "\n"


def _tests_named(env: SignalEnvelope, landed: bool) -> str:
    """A repair's failing tests, in the daemon's words ('' for other work): said to pass
    where the commit lands (the proof saw them pass), only named on a review branch, whose
    change was not proven."""
    tests = env.evidence.get("tests") if env.source == Source.TEST_FAILURE else None
    names = [" ".join(_clean(t).split()) for t in tests if isinstance(t, str)] \
        if isinstance(tests, list) else []
    if not names:
        return ""
    more = f"\n(+{len(names) - MAX_TESTS_NAMED} more)" if len(names) > MAX_TESTS_NAMED else ""
    head = "Makes the failing tests pass:" if landed else \
        "The failing tests it was asked to make pass (not proven; see Evidence):"
    return (f"{head}\n"
            + "\n".join(f"- {t[:200]}" for t in names[:MAX_TESTS_NAMED]) + more)


def _rationale(text: str) -> str:
    """The brain's own words, said to be its own: a small model's text after its edit
    blocks was often a copy of its prompt (stop 62), never the daemon's description."""
    said = _clean(text)[:2000]
    if not said:
        return "The brain gave no rationale."
    return "The brain's rationale, as it wrote it:\n" + "\n".join(
        textwrap.fill(p, 72) for p in said.split("\n") if p.strip())


async def auto_commit(ctx: OperationContext, d: PhaseDeps) -> CommitResult:
    assert ctx.generation is not None
    changes = ctx.generation.candidate.changes()
    files = [c.file_path for c in changes]
    applied = {c.file_path: None if c.action == "delete" else (c.full_content or "").encode()
               for c in changes}  # exactly what APPLY wrote (land._write_all)
    provider = ctx.generation.usage.provider
    author = f"{d.policy.author_name} <{d.policy.author_email}>"
    message = commit_message(ctx, files, provider, author, d.ledger.anchor())
    sign_env = commit_env(d.state_dir)

    def commit(env: dict[str, str] | None) -> CommitResult:
        return d.git.commit_paths(files, message, author_name=d.policy.author_name,
                                  author_email=d.policy.author_email,
                                  expected_head=ctx.base_head, sign_env=env,
                                  branch=ctx.base_branch, expected=applied)

    if sign_env is None:
        return await d.in_thread(lambda: commit(None))
    try:
        return await d.in_thread(lambda: commit(sign_env))
    except git.GitCommandError as exc:
        why = (exc.stderr or str(exc)).strip()[:300]
        if not _SIGNING_ERROR.search(why):
            raise
        # Signing failed in commit-tree, before any ref moved: the same commit, unsigned.
        log.warning("auto-commit signing failed; committing unsigned", op_id=ctx.op_id,
                    error=why)
        result = await d.in_thread(lambda: commit(None))
        note = f"commit NOT signed (signing failed: {why})"
        return dataclasses.replace(result, index_note="; ".join(
            filter(None, (result.index_note, note))))
