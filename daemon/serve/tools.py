"""Tool calling for the served APIs: the kernel writes tool lines, clients get native calls.

A request's tools (each API's own shape, read by its module) become a Tools: the names,
descriptions and argument schemas, and the client's choice (auto, required, one named
tool, none). The kernel is told about them in a system message that asks for the tool
line convention (tools.toolcalls: `{"tool": "<name>", "arguments": {...}}` on a line of
its own); when a call is required, the decode also runs under the grammar of those lines
(a ReplyShape, as KernelProvider's), so what comes back is a well-formed call. With a
free choice the decode is not constrained (the kernel's grammar allows prose of one line
only, too narrow for a chat).

Back: the generated text is split into prose and the calls to declared tools
(tools.toolcalls.parse_tool_calls, line by line); each API returns the calls natively and
the prose as content. A line naming an undeclared tool, or a malformed one, stays prose:
the client sees what the model wrote. Streaming holds back only a line that starts with
`{` until it ends (it may be a call); other text streams as it is decoded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from daemon.serve.common import ApiError, Kind
from governance.brains.provider import ReplyShape
from tools.toolcalls import ToolCall, call_schema, parse_tool_calls

MAX_TOOLS = 64
MAX_TOOL_CHARS = 32 * 1024  # one tool's name, description and schema, as JSON
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
Choice = Literal["auto", "required", "none"] | str  # or the one tool's name

INSTRUCTIONS = (
    "You can call tools. To call one, write on a line of its own exactly one JSON object "
    '{"tool": "<name>", "arguments": {...}} whose arguments follow the tool\'s schema; '
    "write several such lines to call several. A tool's result comes back in a later "
    "message. Tools:")


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Tools:
    """A request's tools and the client's choice; empty (`none`) means no tools at all."""

    tools: tuple[Tool, ...] = ()
    choice: Choice = "auto"

    def __bool__(self) -> bool:
        return bool(self.tools) and self.choice != "none"

    @property
    def offered(self) -> tuple[Tool, ...]:
        """The tools the model may call under the choice."""
        if self.choice in ("auto", "required"):
            return self.tools
        return tuple(t for t in self.tools if t.name == self.choice)

    def system(self) -> str:
        """What the kernel is told about the tools."""
        lines = [INSTRUCTIONS]
        for t in self.offered:
            lines.append(f"- {t.name}: {t.description[:500]} arguments: "
                         f"{json.dumps(t.schema, separators=(',', ':'))}")
        if self.choice != "auto":
            lines.append("Reply now with tool call lines only.")
        return "\n".join(lines)

    def shape(self) -> ReplyShape | None:
        """The grammar's shape when a call is required; None for a free choice."""
        if not self or self.choice == "auto":
            return None
        return ReplyShape("serve tools",
                          lines=tuple(call_schema(t.name, t.schema) for t in self.offered))


def tools(items: list[Any] | None, choice: Choice, param: str = "tools") -> Tools:
    """Tools from (name, description, schema) triples an API module read; ApiError when
    one is unusable. `choice` naming a tool that is not there is refused too."""
    found: list[Tool] = []
    for item in items or []:
        name, description, schema = item
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ApiError(Kind.BAD_REQUEST, "a tool name must be 1 to 64 letters, digits, "
                           f"'_', '.' or '-': {str(name)[:80]!r}", param)
        if schema is None:
            schema = {"type": "object"}
        if not isinstance(schema, dict) or not isinstance(description, str):
            raise ApiError(Kind.BAD_REQUEST, f"tool {name!r}: its parameters must be a JSON "
                           "Schema object and its description text", param)
        if len(json.dumps([name, description, schema])) > MAX_TOOL_CHARS:
            raise ApiError(Kind.BAD_REQUEST, f"tool {name!r} is over {MAX_TOOL_CHARS} "
                           "characters", param)
        if any(t.name == name for t in found):
            raise ApiError(Kind.BAD_REQUEST, f"tool {name!r} is declared twice", param)
        found.append(Tool(name, description, schema))
    if len(found) > MAX_TOOLS:
        raise ApiError(Kind.BAD_REQUEST, f"at most {MAX_TOOLS} tools", param)
    if choice not in ("auto", "required", "none") and all(t.name != choice for t in found):
        raise ApiError(Kind.BAD_REQUEST, f"tool_choice names {str(choice)[:80]!r}, which is "
                       "not among the tools", "tool_choice")
    if choice == "required" and not found:
        raise ApiError(Kind.BAD_REQUEST, "tool_choice requires a call but there are no "
                       "tools", "tool_choice")
    return Tools(tuple(found), choice)


def call_line(name: str, arguments: Any) -> str:
    """A call as the kernel writes it (assistant turns a client sends back)."""
    return json.dumps({"tool": name, "arguments": arguments})


def result_text(name: str, content: str) -> str:
    """A tool's result as the kernel reads it."""
    return f"Tool result ({name[:64]}):\n{content}" if name else f"Tool result:\n{content}"


def _as_call(line: str, names: frozenset[str]) -> ToolCall | None:
    calls, bad = parse_tool_calls(line)
    if len(calls) == 1 and not bad and calls[0].name in names:
        return calls[0]
    return None


def split(text: str, given: Tools) -> tuple[str, list[ToolCall]]:
    """(prose, calls): the lines that are calls to offered tools, and the rest as written."""
    splitter = Splitter(given)
    prose = splitter.push(text) + splitter.finish()
    return prose, splitter.calls


def _ended(part: str) -> bool:
    """Whether `part` (one of str.splitlines(keepends=True)) ends its line."""
    return bool(part) and len(part.splitlines()[0]) < len(part)


@dataclass
class Splitter:
    """The prose and calls of a text that arrives piece by piece: push() returns the prose
    that is final now; a line is a call only as a whole line of its own."""

    given: Tools
    line: str = ""  # the current line while it may still be a call
    line_start: bool = True
    holding: bool = False
    calls: list[ToolCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.names = frozenset(t.name for t in self.given.offered) if self.given \
            else frozenset()

    def push(self, piece: str) -> str:
        return "".join(self._part(p) for p in piece.splitlines(keepends=True))

    def _part(self, part: str) -> str:
        ended = _ended(part)
        if not self.line_start:  # inside a line of prose
            self.line_start = ended
            return part
        self.line += part
        if not self.holding:
            stripped = self.line.lstrip()
            if not stripped:  # blanks only, so far
                return self._end_line() if ended else ""
            self.holding = bool(self.names) and stripped.startswith("{")
            if not self.holding:
                text, self.line, self.line_start = self.line, "", ended
                return text
        return self._end_line() if ended else ""

    def _end_line(self) -> str:
        line, self.line, self.holding, self.line_start = self.line, "", False, True
        call = _as_call(line, self.names) if self.names else None
        if call is None:
            return line
        self.calls.append(call)
        return ""

    def finish(self) -> str:
        """The held rest: prose, or one more call."""
        return self._end_line() if self.line else ""
