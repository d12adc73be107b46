"""Tool calls as models really write them, read from a reply's text, whatever the server did.

A model asks for a tool in one of these forms; any number may appear in one reply, and the
text outside them is the model's prose:

- the daemon's own line (the native calls an HTTP server returns are rendered into it too,
  kernel/http/tools.py): `{"tool": "<name>", "arguments": {...}}` on a line of its own;
- Qwen's and Hermes' block (what Qwen2.5 was trained on; llama.cpp's server leaves it in the
  content): `<tool_call>\\n{"name": "<name>", "arguments": {...}}\\n</tool_call>`;
- a fenced block (```json, ```tool, ```tool_call or bare) holding one call object or a list
  of them, either naming key (`tool` or `name`);
- Mistral's `[TOOL_CALLS] [{"name": ..., "arguments": {...}}]`, and Llama 3's line
  `{"name": ..., "parameters": {...}}` (after `<|python_tag|>` or not).

Arguments sent as a JSON string (OpenAI's wire form) are parsed. Something that starts like
a call but is not valid JSON, or whose name is not a non-empty string or whose arguments
are not an object, is a MalformedCall with the reason, so the tool loop sends back a
precise error instead of crashing or dropping it.

Which form a model is told (FAMILIES, by its name; FORMATS, the words) is data here: a small
model does best with the one it was trained on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from governance.brains.brain_names import by_family, model_names, under_grammar


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MalformedCall:
    text: str
    reason: str


class CallFormat(StrEnum):
    JSON_LINE = "json_line"  # the daemon's own {"tool": ..., "arguments": ...} lines
    HERMES = "hermes"  # <tool_call>{"name": ..., "arguments": ...}</tool_call>
    LLAMA3 = "llama3"  # {"name": ..., "parameters": ...} on a line
    MISTRAL = "mistral"  # [TOOL_CALLS] [{"name": ..., "arguments": ...}]


# The model families and the tool-call form each was trained on: a pattern searched in the
# brain's model name (lower case), first match wins; any other model is told JSON_LINE.
FAMILIES: tuple[tuple[str, CallFormat], ...] = (
    (r"qwen|hermes|nous", CallFormat.HERMES),  # Qwen2, Qwen2.5(-Coder), Qwen3, Hermes 2/3
    (r"llama[-_. ]?3", CallFormat.LLAMA3),  # Llama 3.1 / 3.2 / 3.3 (JSON tool calling)
    (r"mistral|mixtral|codestral|devstral|ministral", CallFormat.MISTRAL),
)

_EXAMPLE = {"path": "src/app.py"}
FORMATS: dict[CallFormat, str] = {
    CallFormat.JSON_LINE: ("To call one, write a line holding exactly one JSON object: "
                           '{"tool": "<name>", "arguments": {...}}, e.g. '
                           + json.dumps({"tool": "read_file", "arguments": _EXAMPLE})),
    CallFormat.HERMES: ("To call one, write a <tool_call> block holding one JSON object "
                        "with the tool's name and arguments, e.g.\n<tool_call>\n"
                        + json.dumps({"name": "read_file", "arguments": _EXAMPLE})
                        + "\n</tool_call>"),
    CallFormat.LLAMA3: ("To call one, write a line holding exactly one JSON object with the "
                        "tool's name and parameters, e.g. "
                        + json.dumps({"name": "read_file", "parameters": _EXAMPLE})),
    CallFormat.MISTRAL: ("To call tools, write [TOOL_CALLS] and a JSON list of calls, e.g. "
                         "[TOOL_CALLS] "
                         + json.dumps([{"name": "read_file", "arguments": _EXAMPLE}])),
}


def format_for(model_names: list[str]) -> CallFormat:
    """The form a brain known by `model_names` (its model, then its name) is told."""
    return by_family(model_names, FAMILIES, CallFormat.JSON_LINE)


def call_format_of(provider: object) -> CallFormat:
    """The form a brain is told: the daemon's lines for one that decodes its tool rounds
    under a grammar of them (the in-process kernel with `constrain`: whatever its model was
    trained on, the grammar writes those lines), else its family's (FAMILIES)."""
    if under_grammar(provider):
        return CallFormat.JSON_LINE
    return format_for(model_names(provider))


_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*(?:json|tool|tool_call|tool_code)?[ \t]*\n(.*?)```", re.DOTALL)
_MISTRAL = "[TOOL_CALLS]"
_CALL_KEYS = frozenset({"name", "arguments", "parameters", "type", "id"})


@dataclass
class _Found:
    calls: list[tuple[int, ToolCall]] = field(default_factory=list)
    bad: list[tuple[int, MalformedCall]] = field(default_factory=list)

    def add(self, at: int, data: Any, raw: str, *, strict: bool) -> bool:
        """Add `data` read at `at` as a call (or a list of them); a non-call is malformed
        when `strict` (the text was marked as a call), else not a call (False)."""
        items = data if isinstance(data, list) and data else [data]
        if not strict and not all(_looks_like_call(i) for i in items):
            return False
        for item in items:
            call = _call(item)
            if isinstance(call, ToolCall):
                self.calls.append((at, call))
            else:
                self.bad.append((at, MalformedCall(raw.strip()[:200], call)))
        return True


def parse_tool_calls(text: str) -> tuple[list[ToolCall], list[MalformedCall]]:
    """Every tool call in `text` in the order written, and the malformed ones."""
    found = _Found()
    text = _marked(text, found)
    text = _fenced(text, found)
    _lines(text, found)
    return ([c for _, c in sorted(found.calls, key=lambda x: x[0])],
            [b for _, b in sorted(found.bad, key=lambda x: x[0])])


def _blank(text: str, start: int, end: int) -> str:
    """`text` with [start, end) blanked (newlines kept): a span read once is not read again."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _marked(text: str, found: _Found) -> str:
    """<tool_call> blocks and [TOOL_CALLS] lists: whatever they hold is meant as calls."""
    for m in list(_BLOCK.finditer(text)):
        body = m.group(1).strip()
        data = _loads(body)
        if isinstance(data, MalformedCall):
            found.bad.append((m.start(), MalformedCall(body[:200], data.reason)))
        else:
            found.add(m.start(), data, body, strict=True)
        text = _blank(text, m.start(), m.end())
    at = text.find(_MISTRAL)
    while at >= 0:
        start = at + len(_MISTRAL)
        rest = text[start:].lstrip()
        try:
            data, used = json.JSONDecoder().raw_decode(rest)
        except (ValueError, RecursionError) as exc:
            found.bad.append((at, MalformedCall(rest[:200], f"invalid JSON: {exc}"[:120])))
            used = 0
        else:
            found.add(at, data, rest[:used], strict=True)
        end = start + (len(text[start:]) - len(rest)) + used
        text = _blank(text, at, end)
        at = text.find(_MISTRAL)
    return text


def _fenced(text: str, found: _Found) -> str:
    """Fenced blocks that hold calls (a fenced candidate is left to the candidate parser)."""
    for m in list(_FENCE.finditer(text)):
        body = m.group(1).strip()
        data = _loads(body)
        if isinstance(data, MalformedCall):
            if any(ln.strip().startswith("{") and ln.strip().endswith("}")
                   for ln in body.splitlines()):
                continue  # call lines, one a line: the line scan reads (or refuses) each
            if body.startswith("{") and ('"tool"' in body or '"arguments"' in body):
                found.bad.append((m.start(), MalformedCall(body[:200], data.reason)))
                text = _blank(text, m.start(), m.end())
            continue
        if found.add(m.start(), data, body, strict=False):
            text = _blank(text, m.start(), m.end())
    return text


def _lines(text: str, found: _Found) -> None:
    """The daemon's own lines, and Llama 3's."""
    at = 0
    for raw in text.splitlines(keepends=True):
        line = raw.strip().removeprefix("<|python_tag|>").strip()
        pos, at = at, at + len(raw)
        if not line.startswith("{"):
            continue
        ours = '"tool"' in line
        if not ours and not ('"name"' in line and ('"arguments"' in line
                                                   or '"parameters"' in line)):
            continue
        data = _loads(line)
        if isinstance(data, MalformedCall):
            found.bad.append((pos, data))
        elif ours or _looks_like_call(data):
            found.add(pos, data, line, strict=True)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return MalformedCall(text[:200], f"invalid JSON: {exc.msg} at col {exc.colno}")
    except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, deep nesting
        return MalformedCall(text[:200], f"invalid JSON: {type(exc).__name__}")


def _looks_like_call(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "tool" in data:
        return set(data) <= {"tool", "arguments"}
    return "name" in data and set(data) <= _CALL_KEYS and (
        "arguments" in data or "parameters" in data)


def _call(data: Any) -> ToolCall | str:
    """A call object as a ToolCall, or why it is malformed."""
    if not isinstance(data, dict):
        return "a tool call must be a JSON object"
    key = "name" if "name" in data and "tool" not in data else "tool"
    name = data.get(key)
    args = data.get("arguments", data.get("parameters", {}))
    if isinstance(args, str):  # OpenAI's wire form: the arguments as JSON text
        parsed = _loads(args) if args.strip() else {}
        args = parsed if not isinstance(parsed, MalformedCall) else args
    if not isinstance(name, str) or not name:
        return f'"{key}" must be a non-empty string'
    if not isinstance(args, dict):
        return '"arguments" must be a JSON object'
    return ToolCall(name, args)


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
