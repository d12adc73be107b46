"""MCP servers (a real stdio server built on the mcp SDK) exposed as mcp_<server>_<tool>."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from daemon.config.settings import ConfigError
from governance.git.gitops import GitOps
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import loop_limits, running_daemon, settings_for, tool_call, tool_env, tool_loop
from tools.mcp_hub import McpConfig, McpHub, check_arguments, exposed_name, load_mcp_config
from tools.policy import PolicyContext
from tools.workspace import Workspace

SERVER = str(Path(__file__).with_name("mcp_demo_server.py"))
CONFIG = {"mcpServers": {"demo": {"command": sys.executable, "args": [SERVER]}}}


@pytest.mark.slow
async def test_mcp_tools_are_discovered_policed_called_and_recorded(repo):
    hub = McpHub(McpConfig.model_validate(CONFIG))
    try:
        assert await hub.start() == []
        ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "m", [], ".ouroboros")
        env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
        events = []

        async def on_tool(e):
            events.append(e)

        loop = tool_loop(env, PolicyContext(ws.root, ".ouroboros"), loop_limits(),
                                   on_tool=on_tool, mcp=hub)
        provider = ReplayProvider([ReplayTurn(text="\n".join([
            tool_call("mcp_demo_echo", text="hello"), tool_call("mcp_demo_add", a=2, b=40),
            tool_call("mcp_demo_add", a="two"), tool_call("mcp_demo_missing"),
            tool_call("mcp_demo_echo", text="x", extra=1)])), ReplayTurn(text="done")])
        await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    finally:
        await hub.close()
    assert "mcp_demo_echo(text): Echo the text back. [MCP: demo]" in provider.prompts[0]
    assert "echo: hello" in provider.prompts[1] and "\n42" in provider.prompts[1]
    # Calls run two at a time, so events arrive in completion order: look them up by call.
    by_call = {(e.tool, json.dumps(e.arguments, sort_keys=True)): e for e in events}

    def event(tool: str, **args):
        return by_call[(tool, json.dumps(args, sort_keys=True))]

    assert (event("mcp_demo_echo", text="hello").verdict,
            event("mcp_demo_echo", text="hello").rule) == ("ok", "allowed:mcp")
    assert event("mcp_demo_add", a=2, b=40).verdict == "ok"
    assert event("mcp_demo_add", a="two").reason == "missing required argument(s): b"
    assert event("mcp_demo_missing").rule == "manifest"
    assert event("mcp_demo_echo", text="x", extra=1).reason == "unknown argument(s): extra"


@pytest.mark.parametrize("schema,args,problem", [
    ({"required": ["a"]}, {}, "missing required"),
    ({"properties": {"a": {"type": "integer"}}}, {"a": True}, "expected integer"),
    ({"properties": {"a": {"type": "string"}}}, {"a": 1}, "expected string"),
    ({"properties": {"a": {}}}, {"b": 1}, "unknown argument"),
    ({}, [1], "JSON object"),
])
def test_argument_checks(schema, args, problem):
    assert problem in check_arguments(schema, args)


def test_names_and_config_errors(tmp_path):
    assert exposed_name("My-Server", "do.thing") == "mcp_my_server_do_thing"
    (tmp_path / "bad.json").write_text('{"mcpServers": {"x": {"args": []}}}')
    with pytest.raises(ValueError, match="command"):
        load_mcp_config(tmp_path / "bad.json")
    (tmp_path / "worse.json").write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        load_mcp_config(tmp_path / "worse.json")


@pytest.mark.slow
async def test_daemon_connects_mcp_servers_and_reports_them(repo, short_tmp):
    (short_tmp / "mcp.json").write_text(json.dumps({"mcpServers": {
        **CONFIG["mcpServers"], "dead": {"command": "/nonexistent/server"}}}))
    settings = settings_for(None, tools={"mcp_config": str(short_tmp / "mcp.json")})
    async with running_daemon(repo, settings) as daemon:
        status = await daemon.status()
    assert status.mcp.servers == ["demo"]
    assert "'dead' (/nonexistent/server) is down since" in status.mcp.problems[0]


async def test_a_malformed_mcp_config_stops_the_start(repo, short_tmp):
    (short_tmp / "mcp.json").write_text("[]")
    settings = settings_for(None, tools={"mcp_config": str(short_tmp / "mcp.json")})
    with pytest.raises(ConfigError, match=r"tools\.mcp_config"):
        async with running_daemon(repo, settings):
            pass
