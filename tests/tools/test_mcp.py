"""MCP servers (real servers on the official SDK, over stdio and streamable HTTP) exposed as
mcp_<server>_<tool>: discovered at prompt time, passed through the policy, recorded."""

from __future__ import annotations

import json
import time

import pytest

from daemon.config.settings import ConfigError
from governance.git.gitops import GitOps
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import (
    FIX_TODO_EDIT,
    add_todo_and_commit,
    explore_calls,
    loop_limits,
    running_daemon,
    script_turn,
    settings_for,
    tool_call,
    tool_env,
    tool_loop,
    wait_terminal,
    write_script,
)
from tests.tools.mcp_servers import http_demo, stdio_entry
from tools.mcp_hub import McpConfig, McpHub, check_arguments, exposed_name, load_mcp_config
from tools.policy import MCP_RATE_LIMIT, PolicyContext
from tools.workspace import Workspace


@pytest.fixture(params=["stdio", "http"])
async def demo(request):
    """The demo server's config entry, over each transport."""
    if request.param == "stdio":
        yield stdio_entry()
        return
    async with http_demo() as server:
        yield server.entry(headers={"X-Test": "secret-1"})


async def _run_loop(repo, entry, *turns: str):
    """A tool loop over `repo` with the demo server as `demo`, answering `turns` in order
    (then "done"): the replay model's prompts and the tool events."""
    hub = McpHub(McpConfig.model_validate({"mcpServers": {"demo": entry}}))
    events = []

    async def on_tool(e):
        events.append(e)

    try:
        assert await hub.start() == []
        ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "m", [], ".ouroboros")
        env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
        loop = tool_loop(env, PolicyContext(ws.root, ".ouroboros"), loop_limits(),
                         on_tool=on_tool, mcp=hub)
        provider = ReplayProvider([*(ReplayTurn(text=t) for t in turns),
                                   ReplayTurn(text="done")])
        await loop.run(provider, "goal", deadline=time.monotonic() + 60)
    finally:
        await hub.close()
    return provider.prompts, events


async def test_mcp_tools_are_discovered_policed_called_and_recorded(repo, demo):
    prompts, events = await _run_loop(repo, demo, "\n".join([
        tool_call("mcp_demo_echo", text="hello"), tool_call("mcp_demo_add", a=2, b=40),
        tool_call("mcp_demo_add", a="two"), tool_call("mcp_demo_missing"),
        tool_call("mcp_demo_echo", text="x", extra=1),
        tool_call("mcp_demo_header", name="X-Test")]))
    assert "mcp_demo_echo(text): Echo the text back. [MCP: demo]" in prompts[0]
    if "headers" in demo:  # over HTTP, the configured headers go with each request
        assert "mcp_demo_header" in prompts[0] and "\nsecret-1" in prompts[1]
    assert "echo: hello" in prompts[1] and "\n42" in prompts[1]
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


async def test_an_mcp_tool_is_rate_limited_per_op(repo):
    calls = [tool_call("mcp_demo_echo", text=str(i)) for i in range(MCP_RATE_LIMIT + 1)]
    _, events = await _run_loop(repo, stdio_entry(), "\n".join(calls))
    assert sum(e.verdict == "ok" for e in events) == MCP_RATE_LIMIT
    [denied] = [e for e in events if e.verdict != "ok"]
    assert denied.rule == "rate" and f"{MCP_RATE_LIMIT} times per op" in denied.reason


@pytest.mark.parametrize("schema,args,problem", [
    ({"required": ["a"]}, {}, "missing required"),
    ({"properties": {"a": {"type": "integer"}}}, {"a": True}, "expected integer"),
    ({"properties": {"a": {"type": "string"}}}, {"a": 1}, "expected string"),
    ({"properties": {"a": {}}}, {"b": 1}, "unknown argument"),
    ({}, [1], "JSON object"),
])
def test_argument_checks(schema, args, problem):
    assert problem in check_arguments(schema, args)


@pytest.mark.parametrize("text,problem", [
    ('{"mcpServers": {"x": {"args": []}}}', "mcpServers.x.stdio.command: Field required"),
    ('{"mcpServers": {"x": {"url": "ftp://h/mcp"}}}', "mcpServers.x.http.url: URL scheme"),
    ('{"mcpServers": {"x": {"url": "http://h/mcp", "command": "c"}}}', "http.command: Extra"),
    ('{"mcpServers": {"x": {"url": "http://h/mcp", "headers": {"A": 1}}}}', "headers.A"),
    ("{not json", "not JSON"),
])
def test_config_errors_name_the_key(tmp_path, text, problem):
    (tmp_path / "mcp.json").write_text(text)
    with pytest.raises(ValueError, match=r"mcp\.json: ") as caught:
        load_mcp_config(tmp_path / "mcp.json")
    assert problem in str(caught.value)


def test_names_and_the_two_transports(tmp_path):
    assert exposed_name("My-Server", "do.thing") == "mcp_my_server_do_thing"
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": {
        "a": {"type": "stdio", "command": "srv"},
        "b": {"type": "http", "url": "https://example.org/mcp", "headers": {"K": "v"}}}}))
    servers = load_mcp_config(tmp_path / "mcp.json").mcpServers
    assert servers["a"].where() == "srv"
    assert (servers["b"].where(), servers["b"].headers) == ("https://example.org/mcp", {"K": "v"})


@pytest.mark.slow
async def test_daemon_connects_mcp_servers_and_reports_them(repo, short_tmp, demo):
    (short_tmp / "mcp.json").write_text(json.dumps({"mcpServers": {
        "demo": demo, "dead": {"command": "/nonexistent/server"}}}))
    settings = settings_for(None, tools={"mcp_config": str(short_tmp / "mcp.json")})
    async with running_daemon(repo, settings) as daemon:
        status = await daemon.status()
    assert status.mcp.servers == ["demo"]
    [problem] = status.mcp.problems
    assert "'dead' (/nonexistent/server) is down since" in problem
    assert "No such file or directory" in problem


@pytest.mark.slow
async def test_a_daemon_op_uses_an_http_mcp_server_that_dies_and_still_lands(repo, short_tmp):
    """The model's MCP calls are in the op's ledger with the policy's verdict; the server's
    death mid-call is one failed call, and the op goes on to land its fix."""
    async with http_demo() as server:
        (short_tmp / "mcp.json").write_text(json.dumps({"mcpServers": {"demo": server.entry()}}))
        script = write_script(
            short_tmp / "script.jsonl",
            script_turn(explore_calls(), tool_call("mcp_demo_echo", text="hello")),
            script_turn(tool_call("mcp_demo_die")), script_turn(FIX_TODO_EDIT),
            script_turn("Clamped x into [lo, hi]; removed the TODO."))
        settings = settings_for(script, tools={"mcp_config": str(short_tmp / "mcp.json")})
        async with running_daemon(repo, settings) as daemon:
            add_todo_and_commit(repo)
            [op] = await wait_terminal(daemon)
            chain = await daemon.ledger.chain(op["op_id"])
            status = await daemon.status()
    assert op["phase"] == "COMPLETE", op
    mcp = [(c["tool"], c["verdict"], c["rule"]) for c in chain["tool_calls"]
           if c["tool"].startswith("mcp_")]
    assert mcp == [("mcp_demo_echo", "ok", "allowed:mcp"),
                   ("mcp_demo_die", "failed", "allowed:mcp")]
    # status says it as it is now: the server is gone since it died.
    assert status.mcp.servers == []
    [problem] = status.mcp.problems
    assert problem.startswith(f"MCP server 'demo' ({server.url}) is down since ")


async def test_a_malformed_mcp_config_stops_the_start(repo, short_tmp):
    (short_tmp / "mcp.json").write_text("[]")
    settings = settings_for(None, tools={"mcp_config": str(short_tmp / "mcp.json")})
    with pytest.raises(ConfigError, match=r"tools\.mcp_config"):
        async with running_daemon(repo, settings):
            pass
