"""`doctor` lists each MCP server of tools.mcp_config with its tools, or why it cannot be
reached: real servers (the SDK's over stdio and HTTP, a garbled one, a web server that is not
MCP, a port where nothing listens)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from collections.abc import AsyncIterator

from daemon.config.settings import CONFIG_NAME, Settings
from daemon.doctor import Check, doctor, mcp_checks, render
from tests.tools.mcp_servers import DEMO, GARBAGE, http_demo, stdio_entry


@contextlib.asynccontextmanager
async def web_server() -> AsyncIterator[str]:
    """Python's own http.server: HTTP, but not MCP (a POST is answered 501)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
        stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            line = (await proc.stdout.readline()).decode()  # "Serving HTTP on ... port N ..."
        yield f"http://127.0.0.1:{line.split(' port ')[1].split()[0]}"
    finally:
        proc.kill()
        await proc.wait()


def dead_url() -> str:
    with socket.socket() as sock:  # bound and closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"


async def test_doctor_lists_each_server_with_its_tools_or_why_not(repo, short_tmp):
    gone = dead_url()
    async with http_demo() as server, web_server() as web:
        (short_tmp / "mcp.json").write_text(json.dumps({"mcpServers": {
            "local": stdio_entry(), "remote": server.entry(),
            "junk": stdio_entry(GARBAGE, "--bad-listing"), "web": {"url": f"{web}/mcp"},
            "gone": {"url": gone}}}))
        settings = Settings.model_validate({"tools": {"mcp_config": "../mcp.json"}})
        checks = {c.name: c for c in await mcp_checks(settings, repo)}
    tools = "6 tool(s): add, die, echo, freeze, hang, header"
    assert checks["mcp local"] == Check("mcp local", "ok", f"{sys.executable} {DEMO}: {tools}")
    assert checks["mcp remote"] == Check("mcp remote", "ok", f"{server.url}: {tools}")
    assert [c.status for c in checks.values()] == ["ok", "ok", "warn", "warn", "warn"]
    assert checks["mcp junk"].detail.startswith(
        "MCP server 'junk' answered tools/list with something that is not MCP's shape "
        "(tools.5.inputSchema:")
    assert checks["mcp web"].detail.startswith(f"MCP server 'web' ({web}/mcp) is down since ")
    assert "cannot connect: MCPError: Server returned an error response" in checks[
        "mcp web"].detail
    assert "cannot connect: ConnectError" in checks["mcp gone"].detail
    assert "the daemon runs without its tools" in checks["mcp gone"].fix
    report = render(repo, list(checks.values()))
    assert "ok      mcp local" in report and "warn    mcp gone" in report


async def test_doctor_says_a_broken_mcp_config_stops_the_daemon(repo, short_tmp):
    (short_tmp / "mcp.json").write_text('{"mcpServers": {"x": {"url": "nope"}}}')
    settings = Settings.model_validate({"tools": {"mcp_config": str(short_tmp / "mcp.json")}})
    [check] = await mcp_checks(settings, repo)
    assert (check.name, check.status) == ("mcp", "missing")
    assert "mcpServers.x.http.url" in check.detail


async def test_no_mcp_config_no_mcp_checks(repo):
    assert await mcp_checks(Settings(), repo) == []


def test_doctor_json_stays_json_with_mcp_servers(repo, capsys, tmp_path):
    """The links log as they connect; none of it may reach stdout, where --json goes."""
    (repo / "mcp.json").write_text(json.dumps({"mcpServers": {
        "demo": stdio_entry(), "gone": {"url": dead_url()}}}))
    (repo / CONFIG_NAME).write_text('[tools]\nmcp_config = "mcp.json"\n')
    doctor(repo, as_json=True, where=[], environ={}, home=tmp_path)
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert (checks["mcp demo"]["status"], checks["mcp gone"]["status"]) == ("ok", "warn")
