"""`eval run` probes its brain as the daemon does (issue 44): a task whose HTTP brain's
server is killed under its reply waits for the brain, and is asked again within one probe
interval of the server answering, not when the brain's 120 s backoff runs out. A real eval
run (the jail, the daemon's pipeline) and a real OpenAI-compatible server (tests.replay_http:
the replay stand-in behind a socket), stopped and started on its port by the test."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from daemon.config.settings import Settings
from daemon.eval import settings as eval_settings
from daemon.eval.runner import RunOptions, run
from daemon.eval.task import Kind, Task
from kernel.replay import ReplayProvider, ReplayTurn
from tests.daemon.eval.histories import CLAMP_FIXED, CLAMP_TEST, toy
from tests.local_http import serving
from tests.replay_http import HANG, MODEL, ReplayServer
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

PROBE_S = 0.3


async def test_an_eval_task_resumes_at_the_probe_after_its_server_died(tmp_path: Path) -> None:
    shas = toy(tmp_path / "repo")
    repo = tmp_path / "repo"
    task = Task(id=shas["clamp"][:12], sha=shas["clamp"], parent=shas["initial"],
                date="2024-03-05", subject="clamp", message="clamp: a value above hi is hi",
                tests={"tests/test_ops.py": CLAMP_TEST}, fix={"calc/ops.py": CLAMP_FIXED},
                fail_to_pass=["tests/test_ops.py::test_clamp_high"], pass_to_pass=[],
                runs=1, suite_s=0.5)
    with serving(ReplayServer(ReplayProvider([])).app()) as url:
        port = int(url.rsplit(":", 1)[1])
    answer = ReplayTurn(purpose="generate", text="No change is needed.")
    server = ReplayServer(ReplayProvider([ReplayTurn(purpose="generate", text=HANG),
                                          *[answer] * 8]))
    brain = {"kind": "openai", "base_url": f"http://127.0.0.1:{port}/v1", "model": MODEL,
             "name": "llamacpp"}
    user = Settings.model_validate({"health": {"enabled": False},  # the box is busy
                                    "provider": {"probe_interval_s": PROBE_S, "http": [brain]}})
    opts = RunOptions(repo, repo / ".ouroboros", eval_settings.for_brain(user, "llamacpp", None),
                      "llamacpp", (Kind.REPAIR,), (task,), tmp_path / "work", None)
    with contextlib.ExitStack() as up:
        up.enter_context(serving(server.app(), port))
        said: list[str] = []
        running = asyncio.create_task(run(opts, said.append))
        assert await asyncio.to_thread(server.hanging.wait, 120), (said, running)
    # the server went down under the reply: the task's op fails the call and waits for its
    # brain (had it ended, the run would be over: a retry would ask the server, and none is)
    assert not running.done()
    asked = len(server.requests)
    with serving(server.app(), port):
        back = time.monotonic()
        card = await asyncio.wait_for(running, 300)
    again = [t - back for t in server.requests[asked:] if t > back]
    assert card.tasks == 1 and again, card
    # one probe interval and the way back to the call; the backoff alone: 120 s
    assert again[0] < PROBE_S + 20.0, again
