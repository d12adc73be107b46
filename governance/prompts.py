"""Prompts for the model-facing phases, and the output contract the parser enforces."""

from __future__ import annotations

from pathlib import Path

from governance.schemas import OperationContext

MAX_FILE_CHARS = 24_000

CANDIDATE_CONTRACT = """\
Reply with one JSON object and nothing else, in one of these shapes:
  {"schema": "candidate.1", "file_path": "<path>", "full_content": "<whole new file>",
   "rationale": "<why>"}
  {"schema": "candidate.1", "files": [{"file_path": "<path>", "full_content": "<...>",
   "rationale": "<why>"}, {"file_path": "<path>", "action": "delete"}], "rationale": "<why>"}
  {"schema": "candidate.1", "no_op": true, "rationale": "<why nothing should change>"}
Paths are relative to the repository root. full_content is the complete file."""

PLAN_CONTRACT = """\
Reply with one JSON object: {"schema": "plan.1", "approach": "...", "complexity":
"trivial|simple|moderate|complex|architectural", "ordered_changes": [{"file_path": "...",
"change": "...", "rationale": "..."}], "risk_factors": [...], "test_strategy": "..."}"""


def _file_block(root: Path, rel: str) -> str:
    path = root / rel
    if not path.is_file():
        return f"--- {rel} (does not exist yet)"
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return f"--- {rel} (binary file, {len(data)} bytes, not shown)"
    text = data.decode("utf-8", "replace")
    if len(text) > MAX_FILE_CHARS:
        text = text[:MAX_FILE_CHARS] + f"\n[... truncated, {len(text)} chars in all]"
    return f"--- {rel}\n{text}"


def generation_prompt(ctx: OperationContext, root: Path) -> str:
    env = ctx.envelope
    parts = [
        "You are the code-generation step of a governed maintenance daemon.",
        f"## Goal\n{env.goal}",
        f"## Signal\nsource={env.source} urgency={env.urgency} confidence={env.confidence}",
        "## Target files\n" + "\n\n".join(_file_block(root, f) for f in env.target_files),
    ]
    extra = [f for f in ctx.context_files if f not in env.target_files]
    if extra:
        parts.append("## Related files\n" + "\n\n".join(_file_block(root, f) for f in extra))
    if ctx.plan is not None:
        steps = "\n".join(f"- {c.file_path}: {c.change}" for c in ctx.plan.ordered_changes)
        parts.append(f"## Implementation Plan\n{ctx.plan.approach}\n{steps}")
    if ctx.last_failure:
        parts.append(f"## The previous attempt failed\n{ctx.last_failure}\nFix that.")
    parts.append(f"## Output\n{CANDIDATE_CONTRACT}")
    return "\n\n".join(parts)


def plan_prompt(ctx: OperationContext) -> str:
    env = ctx.envelope
    files = "\n".join(f"- {f}" for f in [*env.target_files, *ctx.context_files])
    return f"Plan this change.\n## Goal\n{env.goal}\n## Files\n{files}\n## Output\n{PLAN_CONTRACT}"
