"""MCP servers as tools: stdio connections held for the daemon's lifetime, tools listed at
prompt time and exposed as `mcp_<server>_<tool>`.

The config file uses the common shape:
    {"mcpServers": {"<name>": {"command": "...", "args": [...], "env": {...}}}}
Servers are the operator's own programs (configured, not model-chosen); calls to them pass
the same policy (existence, argument schema, rate limit) and the same ledger as built-ins.
"""

from __future__ import annotations

import json
import re
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = structlog.get_logger("tools.mcp")
_NAME = re.compile(r"[^a-z0-9_]")


class McpServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = None
    cwd: str | None = None


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mcpServers: dict[str, McpServerConfig] = Field(default_factory=dict)


def load_mcp_config(path: Path) -> McpConfig:
    try:
        return McpConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ValueError(f"MCP config not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{path}: {where}: {first['msg']}") from None


def exposed_name(server: str, tool: str) -> str:
    return f"mcp_{_NAME.sub('_', server.lower())}_{_NAME.sub('_', tool.lower())}"


@dataclass(frozen=True)
class McpTool:
    name: str  # exposed name
    server: str
    tool: str  # the server's own name
    description: str
    schema: dict[str, Any]


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
    """Owns the MCP client sessions; enter and exit it in the same task (anyio scopes)."""

    def __init__(self, config: McpConfig):
        self.config = config
        self.sessions: dict[str, Any] = {}
        self._stack = AsyncExitStack()

    async def start(self) -> list[str]:
        """Connect to every server; return the problems (a dead server is skipped)."""
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        problems = []
        for name, cfg in self.config.mcpServers.items():
            params = StdioServerParameters(command=cfg.command, args=cfg.args, env=cfg.env,
                                           cwd=cfg.cwd)
            try:
                read, write = await self._stack.enter_async_context(stdio_client(params))
                session = await self._stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                self.sessions[name] = session
            except Exception as exc:
                problems.append(f"MCP server {name!r} did not start: {exc}")
                log.warning("mcp server failed", server=name, error=str(exc))
        return problems

    async def close(self) -> None:
        await self._stack.aclose()

    async def tools(self) -> dict[str, McpTool]:
        """Discover the servers' tools now (prompt time)."""
        found: dict[str, McpTool] = {}
        for server, session in self.sessions.items():
            try:
                listing = await session.list_tools()
            except Exception as exc:
                log.warning("mcp list_tools failed", server=server, error=str(exc))
                continue
            for t in listing.tools:
                name = exposed_name(server, t.name)
                schema = getattr(t, "input_schema", None) or getattr(t, "inputSchema", None)
                found[name] = McpTool(name, server, t.name, t.description or "",
                                      dict(schema or {}))
        return found

    async def call(self, tool: McpTool, arguments: dict[str, Any], timeout_s: float) -> str:
        result = await self.sessions[tool.server].call_tool(tool.tool, arguments,
                                                            read_timeout_seconds=timeout_s)
        parts = [getattr(c, "text", None) or f"[{getattr(c, 'type', 'content')}]"
                 for c in getattr(result, "content", []) or []]
        structured = getattr(result, "structured_content", None)
        text = "\n".join(parts) or json.dumps(structured, default=str)
        if getattr(result, "isError", False) or getattr(result, "is_error", False):
            raise RuntimeError(text)
        return text
