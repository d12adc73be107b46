"""The MCP config file: which servers the operator runs as tools, and how to reach each.

The common shape (Claude Desktop, Cursor, Claude Code):
    {"mcpServers": {
        "<name>": {"command": "...", "args": [...], "env": {...}, "cwd": "..."},   # stdio
        "<name>": {"url": "http://host:port/mcp", "headers": {"Authorization": "..."}}}}
An entry with a `url` is a streamable HTTP server; one with a `command` is a program the
daemon starts and talks to over its stdin/stdout. An optional `type` ("stdio", "http",
"streamable-http") is accepted as those files carry it, and must agree with the keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

_NAME = re.compile(r"[^a-z0-9_]")


class McpStdioServer(BaseModel):
    """A server program the daemon starts; its stdout carries only MCP messages."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["stdio"] | None = None
    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = None  # None: the SDK's safe default environment
    cwd: str | None = None

    def where(self) -> str:
        return " ".join([self.command, *self.args])


class McpHttpServer(BaseModel):
    """A server someone else runs, reached over MCP's streamable HTTP transport."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["http", "streamable-http", "streamableHttp"] | None = None
    url: AnyHttpUrl
    headers: dict[str, str] = Field(default_factory=dict)  # sent with every request

    def where(self) -> str:
        return str(self.url)


def _transport(entry: Any) -> str:
    return "http" if isinstance(entry, dict) and "url" in entry else "stdio"


McpServerConfig = Annotated[
    Annotated[McpStdioServer, Tag("stdio")] | Annotated[McpHttpServer, Tag("http")],
    Discriminator(_transport)]


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mcpServers: dict[str, McpServerConfig] = Field(default_factory=dict)


def load_mcp_config(path: Path) -> McpConfig:
    """The file parsed; a ValueError that names the file and the key when it is wrong."""
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
    """The name the model calls: `mcp_<server>_<tool>`, lower-case, [a-z0-9_] only."""
    return f"mcp_{_NAME.sub('_', server.lower())}_{_NAME.sub('_', tool.lower())}"
