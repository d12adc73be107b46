"""Native tool calling for the HTTP providers, as data both ways.

Out: a reply's shape (governance.brains.provider.ReplyShape) whose `lines` are tool-call schemas
(tools.toolcalls.call_schema: `tool` a const name, `arguments` a JSON Schema) becomes the
API's own tool definitions (Ollama and OpenAI `{"type": "function", "function": {...}}`,
Anthropic `{"name", "description", "input_schema"}`). A tool whose name the APIs would
refuse (they take `[A-Za-z0-9_-]{1,64}`), whose arguments are not an object schema, or whose
definition is over MAX_SCHEMA_CHARS is left out: the text convention still reaches it.

Back: the native calls a server streams (whole, or as indexed fragments) are rendered into
the reply's text as the canonical tool lines `{"tool": name, "arguments": {...}}`, one per
line, so the tool loop parses them exactly like the kernel's. Arguments that are not a
JSON object come back as `{"tool": name, "arguments": <what was sent>}`, which the tool
loop reports as a malformed call (never dropped). Everything is capped: MAX_CALLS calls,
MAX_ARGUMENT_CHARS per call, MAX_TOTAL_CHARS in all; a server past a cap gets a
ToolCallError (the provider's SERVER_ERROR). This module reads shapes as data and never
imports tools (kernel must not).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_TOOLS = 128
MAX_SCHEMA_CHARS = 64 * 1024
MAX_CALLS = 64
MAX_NAME_CHARS = 256
MAX_ARGUMENT_CHARS = 1 << 20
MAX_TOTAL_CHARS = 4 << 20
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ToolCallError(ValueError):
    """A server's native tool calls broke a cap or the protocol."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]  # a JSON Schema of type object


def tool_specs(lines: tuple[dict[str, Any], ...], *, secret: str | None = None,
               ) -> list[ToolSpec]:
    """The tools named by a shape's call-line schemas (those the APIs accept, at most
    MAX_TOOLS). `secret` (the API key) is redacted from anything sent."""
    specs: list[ToolSpec] = []
    for line in lines:
        spec = _spec(line)
        if spec is None or any(s.name == spec.name for s in specs):
            continue
        text = json.dumps([spec.description, spec.parameters])
        if len(text) > MAX_SCHEMA_CHARS:
            continue
        if secret and secret in text:  # a schema is data from anywhere (an MCP server)
            description, parameters = json.loads(text.replace(secret, "[redacted]"))
            spec = ToolSpec(spec.name, description, parameters)
        specs.append(spec)
        if len(specs) == MAX_TOOLS:
            break
    return specs


def _spec(line: Any) -> ToolSpec | None:
    try:
        props = line["properties"]
        name, args = props["tool"]["const"], props["arguments"]
    except (KeyError, TypeError):
        return None
    if not (isinstance(name, str) and NAME.fullmatch(name) and isinstance(args, dict)):
        return None
    if args.get("type", "object") != "object":
        return None
    parameters = {"type": "object", **args}
    for key in ("$defs", "definitions"):  # call_schema moved them to the line's root
        if isinstance(line.get(key), dict):
            parameters[key] = line[key]
    described = line.get("description") or args.get("description") or args.get("title")
    return ToolSpec(name, str(described or name)[:1024], parameters)


def function_tools(specs: list[ToolSpec]) -> list[dict[str, Any]]:
    """Ollama's and OpenAI's form."""
    return [{"type": "function", "function": {"name": s.name, "description": s.description,
                                              "parameters": s.parameters}} for s in specs]


def anthropic_tools(specs: list[ToolSpec]) -> list[dict[str, Any]]:
    return [{"name": s.name, "description": s.description, "input_schema": s.parameters}
            for s in specs]


@dataclass
class _Call:
    name: str = ""
    whole: Any = None  # arguments sent whole (Ollama), else the fragments' join
    parts: list[str] = field(default_factory=list)
    fragmented: bool = False


@dataclass
class NativeCalls:
    """The native tool calls of one streamed reply, in the order the server numbered them."""

    calls: dict[int, _Call] = field(default_factory=dict)
    chars: int = 0

    def _slot(self, index: Any) -> _Call:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < (1 << 31):
            raise ToolCallError(f"a tool call index that is not a small integer: {index!r:.40}")
        if index not in self.calls and len(self.calls) >= MAX_CALLS:
            raise ToolCallError(f"the reply held more than {MAX_CALLS} tool calls")
        return self.calls.setdefault(index, _Call())

    def _count(self, call: _Call, text: str) -> None:
        self.chars += len(text)
        if self.chars > MAX_TOTAL_CHARS:
            raise ToolCallError(f"tool calls passed {MAX_TOTAL_CHARS} characters")
        if sum(map(len, call.parts)) + len(text) > MAX_ARGUMENT_CHARS:
            raise ToolCallError(f"one tool call's arguments passed {MAX_ARGUMENT_CHARS} "
                                "characters")

    def whole(self, name: Any, arguments: Any) -> None:
        """One complete call (Ollama's `message.tool_calls`): arguments an object or text."""
        call = self._slot(len(self.calls))
        self.named(call, name)
        try:
            text = arguments if isinstance(arguments, str) else json.dumps(arguments)
        except (ValueError, TypeError, RecursionError):
            raise ToolCallError("tool call arguments nested too deeply") from None
        self._count(call, text)
        call.whole = arguments

    def start(self, index: Any, name: Any) -> None:
        """A call begins (OpenAI's first `delta.tool_calls` item, Anthropic's tool_use
        block); later fragments with the same index extend its arguments."""
        call = self._slot(index)
        if name:
            self.named(call, name)
        call.fragmented = True

    def fragment(self, index: Any, text: Any) -> None:
        if not isinstance(text, str):
            raise ToolCallError("a tool call's arguments fragment is not text")
        call = self._slot(index)
        self._count(call, text)
        call.parts.append(text)
        call.fragmented = True

    def named(self, call: _Call, name: Any) -> None:
        if not isinstance(name, str) or len(call.name) + len(name) > MAX_NAME_CHARS:
            raise ToolCallError("a tool name that is not text or is over "
                                f"{MAX_NAME_CHARS} characters")
        call.name += name  # OpenAI may split even the name

    def render(self) -> str:
        """The canonical tool lines, one per call (empty when there were none)."""
        return "\n".join(_line(self.calls[i]) for i in sorted(self.calls))


def _line(call: _Call) -> str:
    """`{"tool": name, "arguments": {...}}`; arguments that are no object stay as sent, so
    the tool loop names the call malformed (a string: the text that did not parse)."""
    arguments = call.whole
    if call.fragmented and call.whole is None:
        text = "".join(call.parts)
        arguments = {} if not text.strip() else _parsed(text)
    elif isinstance(arguments, str):
        arguments = {} if not arguments.strip() else _parsed(arguments)
    elif arguments is None:
        arguments = {}
    try:  # ASCII only: a raw U+2028 would split the line for str.splitlines()
        return json.dumps({"tool": call.name, "arguments": arguments})
    except (ValueError, TypeError, RecursionError):  # nested past what json can write
        return json.dumps({"tool": call.name, "arguments": "(arguments nested too deeply)"})


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
