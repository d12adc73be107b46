"""MCP servers as tools: one link per configured server (tools.mcp_link), tools listed at
prompt time and exposed as `mcp_<server>_<tool>`.

The config (tools.mcp_config) names stdio programs and streamable HTTP servers. Servers are
the operator's own (configured, not model-chosen); calls to them pass the same policy
(existence, argument schema, rate limit: tools.policy) and the same ledger as built-ins. A
server that is down, dies, hangs or answers garbage costs the model one clear tool error
(tools.mcp_link.McpCallFailed) and the op goes on; the hub reconnects it at its next use.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import structlog

from tools.mcp_config import McpConfig, exposed_name, load_mcp_config
from tools.mcp_link import McpCallFailed, McpLink

__all__ = ["McpCallFailed", "McpConfig", "McpHub", "McpTool", "ServerReport",
           "check_arguments", "exposed_name", "load_mcp_config", "survey"]


@dataclass(frozen=True)
class McpTool:
    name: str  # exposed name
    server: str
    tool: str  # the server's own name
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ServerReport:
    """One server as `doctor` shows it: its tools, or why it cannot be reached."""

    name: str
    where: str  # the command line or the URL
    tools: list[str] = field(default_factory=list)  # the server's own names
    problem: str = ""


def check_arguments(schema: dict[str, Any], args: Any) -> str | None:
    """A minimal JSON-schema check (object, required keys, known keys, primitive types)."""
    if not isinstance(args, dict):
        return "arguments must be a JSON object"
    props = schema.get("properties", {}) or {}
    missing = [k for k in schema.get("required", []) if k not in args]
    if missing:
        return f"missing required argument(s): {', '.join(missing)}"
    if schema.get("additionalProperties") is False or props:
        unknown = [k for k in args if k not in props]
        if unknown:
            return f"unknown argument(s): {', '.join(unknown)}"
    kinds = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
             "array": list, "object": dict}
    for key, value in args.items():
        want = kinds.get((props.get(key) or {}).get("type", ""))
        if want and (not isinstance(value, want) or (want is int and isinstance(value, bool))):
            return f"{key}: expected {props[key]['type']}"
    return None


class McpHub:
    """The links to every configured server; `close` stops them all."""

    def __init__(self, config: McpConfig, *, connect_timeout_s: float = 15.0,
                 retry_s: float = 30.0, log: Any = None):
        self.config = config
        self.log = log or structlog.get_logger("tools.mcp")
        self.connect_timeout_s = self.list_timeout_s = connect_timeout_s
        self.links = {name: McpLink(name, cfg, connect_timeout_s=connect_timeout_s,
                                    retry_s=retry_s, log=self.log)
                      for name, cfg in config.mcpServers.items()}
        self.listing_problems: dict[str, str] = {}  # server -> why its tools/list failed

    @property
    def sessions(self) -> dict[str, Any]:
        """The servers up now, by name."""
        return {n: link.session for n, link in self.links.items() if link.session is not None}

    async def start(self) -> list[str]:
        """Connect to every server at once; the problems (a server down is skipped, and
        tried again at its next use)."""
        await asyncio.gather(*(link.ensure() for link in self.links.values()))
        return self.problems()

    def problems(self) -> list[str]:
        """Why each server that is not usable now is not."""
        return [link.down_text() if link.session is None else self.listing_problems[name]
                for name, link in self.links.items()
                if link.session is None or name in self.listing_problems]

    async def close(self) -> None:
        await asyncio.gather(*(link.close() for link in self.links.values()))

    async def tools(self) -> dict[str, McpTool]:
        """Discover the servers' tools now (prompt time): servers may change their tools,
        and a server down since the last prompt may be back."""
        listed = await asyncio.gather(*(self._list(n) for n in self.links))
        found: dict[str, McpTool] = {}
        for tool in (t for tools in listed for t in tools):
            found.setdefault(tool.name, tool)  # two names folding to one: the first wins
        return found

    async def _list(self, server: str) -> list[McpTool]:
        try:
            listing = await self.links[server].request(
                "tools/list", lambda session: session.list_tools(), self.list_timeout_s)
        except McpCallFailed as exc:
            if exc.kind != "down":  # (a link down said so when it went down)
                self.listing_problems[server] = str(exc)
                self.log.warning("mcp tools/list failed", server=server, kind=exc.kind,
                                 error=str(exc))
            return []
        self.listing_problems.pop(server, None)
        return [McpTool(exposed_name(server, t.name), server, t.name, t.description or "",
                        dict(t.input_schema or {})) for t in listing.tools]

    def bound_s(self, timeout_s: float) -> float:
        """The most a call given timeout_s takes: a (re)connect first, then the call."""
        return self.connect_timeout_s + timeout_s + 1.0

    async def call(self, tool: McpTool, arguments: dict[str, Any], timeout_s: float) -> str:
        """The tool's text; McpCallFailed (its text is the model's) when there is none.
        Bounded by bound_s(timeout_s)."""
        result = await self.links[tool.server].request(
            f"tools/call {tool.tool}", lambda session: session.call_tool(
                tool.tool, arguments, read_timeout_seconds=timeout_s), timeout_s)
        parts = [getattr(c, "text", None) or f"[{getattr(c, 'type', 'content')}]"
                 for c in result.content or []]
        text = "\n".join(parts) or json.dumps(result.structured_content, default=str)
        if result.is_error:
            raise McpCallFailed(tool.server, "tool", text)
        return text

    async def reports(self) -> list[ServerReport]:
        """Each server with its tools or why it cannot be reached (for `doctor`)."""
        await self.start()
        tools = await self.tools()
        out = []
        for name, link in self.links.items():
            problem = ("" if link.session is not None else link.down_text())
            problem = self.listing_problems.get(name, problem)
            out.append(ServerReport(name, link.config.where(),
                                    sorted(t.tool for t in tools.values() if t.server == name),
                                    problem))
        return out


async def survey(config: McpConfig, connect_timeout_s: float = 10.0) -> list[ServerReport]:
    """Connect to every server, list its tools, disconnect: what `doctor` reports (its
    report is the output: the links' log lines are kept off stdout, where --json goes)."""
    hub = McpHub(config, connect_timeout_s=connect_timeout_s,
                 log=structlog.wrap_logger(structlog.ReturnLogger()))
    try:
        return await hub.reports()
    finally:
        await hub.close()
