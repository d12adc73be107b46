"""ask_human over the control socket, the web_fetch allowlist, DEGRADED without bwrap."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from daemon.control.client import ControlClient
from governance.brains.approval import QuestionBroker
from governance.git.gitops import GitOps
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import loop_limits, running_daemon, settings_for, tool_env, tool_loop, wait_for
from tools.args import WebFetch
from tools.builtin import ToolFailed, web_fetch
from tools.policy import PolicyContext
from tools.workspace import Workspace


@pytest.mark.slow
async def test_ask_human_reaches_the_operator_and_back(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        ws = Workspace.create(repo, daemon.state_dir / "sandboxes" / "q", [], ".ouroboros")
        env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[],
                      risk_tier="APPROVAL_REQUIRED",
                      ask_human=lambda q, t: daemon.questions.ask("op-1234", q, t))
        loop = tool_loop(env, PolicyContext(ws.root, ".ouroboros",
                                                      risk_tier="APPROVAL_REQUIRED"),
                                   loop_limits())
        provider = ReplayProvider([ReplayTurn(text=json.dumps(
            {"tool": "ask_human", "arguments": {"question": "Keep the old API?"}})),
            ReplayTurn(text="ok")])
        run = asyncio.create_task(loop.run(provider, "goal", deadline=time.monotonic() + 30))
        await wait_for(daemon.questions.pending, what="the question")
        client = ControlClient(daemon.state_dir / "control.sock")
        status = (await asyncio.to_thread(client.request, "status"))["data"]
        assert status["questions"] == {"op-1234": "Keep the old API?"}
        assert not (await asyncio.to_thread(client.request, "answer", "nope", "x"))["ok"]
        assert daemon.questions.answer("op-1234", "yes, keep it")
        await run
        assert "yes, keep it" in provider.prompts[1]


async def test_question_broker_times_out():
    broker = QuestionBroker()
    assert await broker.ask("op-1", "?", 0.05) is None
    assert not broker.answer("op-1", "late")


@pytest.mark.slow
async def test_web_fetch_refuses_hosts_off_the_allowlist(repo):
    ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "w", [], ".ouroboros")
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[],
                  web_allowlist=("docs.python.org",))
    for url in ("https://evil.example/x", "https://docs.python.org.evil.example/",
                "https://pythondocs.python.org.example/"):
        with pytest.raises(ToolFailed, match="allowlist"):
            await web_fetch(WebFetch(url=url), env)


@pytest.mark.slow
async def test_daemon_degrades_without_bubblewrap(repo, monkeypatch):
    import daemon.brains.start as brain_start

    monkeypatch.setattr(brain_start, "bwrap_available",
                        lambda: "bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    script = repo.parent / "s.jsonl"
    script.write_text('{"text": "{}"}\n')
    async with running_daemon(repo, settings_for(script)) as d:
        assert d.state.value == "DEGRADED"
        assert "bubblewrap" in d.degraded_reason and "bash is denied" in d.degraded_reason
        assert "tests cannot run" in d.degraded_reason
