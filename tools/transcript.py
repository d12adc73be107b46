"""The tool loop's transcript: the chunks a prompt is composed of, the tool instructions,
results capped to their budget, arguments made fit for the ledger, and the deterministic
compaction of older tool results once the transcript passes 75% of its budget (seed §24)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tools.builtin import MANIFEST
from tools.mcp_hub import McpTool
from tools.toolcalls import FORMATS, CallFormat


def safe_arguments(raw: Any) -> dict[str, Any]:
    """The call's arguments as plain JSON data fit for the ledger and the prompt; anything
    that does not survive a JSON round trip (huge integers, deep nesting, odd types) is
    kept only as a short repr."""
    try:
        data = json.loads(json.dumps(raw, default=str))
    except (ValueError, TypeError, RecursionError):
        return {"_raw": repr(raw)[:500]}
    return data if isinstance(data, dict) else {"_raw": str(raw)[:500]}


@dataclass
class Chunk:
    kind: str  # "assistant" | "result" | "note"
    text: str
    tool: str = ""


def cap(text: str, limit: int) -> tuple[str, bool]:
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text, False
    head = data[:limit].decode("utf-8", "ignore")
    return head + f"\n[TRUNCATED: {len(data)} bytes, showing the first {limit}]", True


def compact(chunks: list[Chunk], budget: int, preserve: int) -> tuple[list[Chunk], int]:
    """Replace all but the `preserve` newest tool results with a counted summary once the
    transcript passes 75% of `budget`; fewer are kept (never none) while they alone pass the
    whole budget (a small context window). Returns (chunks, how many were compacted)."""
    if sum(len(c.text) for c in chunks) <= 0.75 * budget:
        return chunks, 0
    results = [i for i, c in enumerate(chunks) if c.kind == "result"]
    keep = min(preserve, len(results))
    while keep > 1 and sum(len(chunks[i].text) for i in results[-keep:]) > budget:
        keep -= 1
    old = set(results[:len(results) - keep])
    if not old:
        return chunks, 0
    counts = Counter(chunks[i].tool for i in sorted(old))
    chars = sum(len(chunks[i].text) for i in old)
    listing = ", ".join(f"{n} {tool}" for tool, n in counts.most_common())
    summary = Chunk("note", f"[CONTEXT COMPACTED]\nCompacted {len(old)} earlier tool results "
                            f"({chars:,} chars): {listing}.\nRecent results preserved below.\n"
                            "[END CONTEXT COMPACTED]")
    out, placed = [], False
    for i, c in enumerate(chunks):
        if i in old:
            if not placed:
                out.append(summary)
                placed = True
            continue
        out.append(c)
    return out, len(old)


def tool_instructions(mcp_tools: dict[str, McpTool] | None = None) -> str:
    """The tool manifest: every tool and what it takes, the same for every op and brain (it
    follows the prompt's shared HEAD: governance.brains.prompts.with_tools); how to call one
    is said at the end of the prompt (calling()), in the form the brain was trained on."""
    lines = ["## Tools",
             "The step that writes the change may call these tools before it answers (how "
             "to call one is said at the end of its prompt). Paths are relative to the "
             "repository root."]
    for spec in MANIFEST:
        fields = ", ".join(spec.args.model_fields)
        lines.append(f"- {spec.name}({fields}): {spec.description}")
    lines += _mcp_lines(mcp_tools)
    return "\n".join(lines)


def _mcp_lines(mcp_tools: dict[str, McpTool] | None) -> list[str]:
    out = []
    for tool in (mcp_tools or {}).values():
        fields = ", ".join(tool.schema.get("properties") or {})
        out.append(f"- {tool.name}({fields}): {tool.description[:200]} [MCP: {tool.server}]")
    return out


def calling(fmt: CallFormat, mcp_tools: dict[str, McpTool] | None = None) -> str:
    """How to call a tool, in form `fmt`, and the MCP servers' tools (discovered when the
    loop starts, so after the stable part of the prompt)."""
    lines = ["## Calling tools", f"Before answering you may call tools. {FORMATS[fmt]}",
             "Several calls may follow each other.",
             "Edits with edit_file/write_file/delete_file change your sandbox copy; when you "
             "are done, reply without tool calls: either the change described under "
             "Output, or a one-line summary of the edits you made with tools."]
    if mcp := _mcp_lines(mcp_tools):
        lines += ["More tools (MCP servers):", *mcp]
    return "\n".join(lines)
