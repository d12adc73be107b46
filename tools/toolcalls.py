"""The JSON tool-call convention for models without a native tool format.

A model asks for a tool by writing, on a line of its own (optionally inside a ```tool or
```json fence), one JSON object of the form

    {"tool": "<name>", "arguments": {...}}

Any number may appear in one reply; text outside them is the model's prose. A line that
starts like a tool call but is not valid JSON, or lacks a string "tool" or an object
"arguments", is reported as a malformed call with the reason, so the tool loop can send
back a precise error instead of crashing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MalformedCall:
    text: str
    reason: str


def parse_tool_calls(text: str) -> tuple[list[ToolCall], list[MalformedCall]]:
    calls: list[ToolCall] = []
    bad: list[MalformedCall] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not (line.startswith("{") and '"tool"' in line):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(MalformedCall(line[:200], f"invalid JSON: {exc.msg} at col {exc.colno}"))
            continue
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, deep nesting
            bad.append(MalformedCall(line[:200], f"invalid JSON: {type(exc).__name__}"))
            continue
        name, args = data.get("tool") if isinstance(data, dict) else None, None
        if isinstance(data, dict):
            args = data.get("arguments", {})
        if not isinstance(name, str) or not name:
            bad.append(MalformedCall(line[:200], '"tool" must be a non-empty string'))
        elif not isinstance(args, dict):
            bad.append(MalformedCall(line[:200], '"arguments" must be a JSON object'))
        else:
            calls.append(ToolCall(name, args))
    return calls, bad


def call_schema(name: str, arguments: Any, description: str = "") -> dict[str, Any]:
    """The JSON Schema of one call line for tool `name` whose arguments follow the JSON
    Schema `arguments` (its $defs move to the root, where its references point); a
    constrained decoder builds its tool-call grammar from these, an HTTP provider its
    native tool definitions (with `description`). Not a schema: any object."""
    args = dict(arguments) if isinstance(arguments, dict) else {"type": "object"}
    root = {key: args.pop(key) for key in ("$defs", "definitions") if key in args}
    about = {"description": description} if description else {}
    return {"type": "object", "properties": {"tool": {"const": name}, "arguments": args},
            "required": ["tool", "arguments"], "additionalProperties": False, **about,
            **root}
