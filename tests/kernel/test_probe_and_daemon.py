"""`ouroboros kernel probe` and the daemon running on the in-process kernel."""

from __future__ import annotations

import asyncio

import pytest

from daemon.cli import main as cli_main
from daemon.control.client import ControlClient
from tests.helpers import make_repo, running_daemon, settings_for


@pytest.mark.slow
def test_probe_reports_speed_depth_and_canary(chat_ouro, capsys):
    code = cli_main(["kernel", "probe", "--model", str(chat_ouro), "--mode", "deep",
                     "--q", "0.5", "--max-new-tokens", "8"])
    out = capsys.readouterr()
    assert code == 0
    assert "(ouro, 4 loop step(s), mode deep)" in out.out
    assert "tokens/s" in out.out and "mean depth:" in out.out and "canary max:" in out.out
    assert "loading [" in out.err


def test_probe_with_a_missing_model_is_one_line(tmp_path, capsys):
    assert cli_main(["kernel", "probe", "--model", str(tmp_path / "nope")]) == 3
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("ouroboros: ")
    assert "not a model directory" in err and "Traceback" not in err


def test_probe_4bit_packs_on_cuda_and_is_refused_plainly_elsewhere(chat_ouro, capsys):
    import torch

    code = cli_main(["kernel", "probe", "--model", str(chat_ouro), "--4bit",
                     "--max-new-tokens", "4"])
    out = capsys.readouterr()
    if torch.cuda.is_available():
        assert code == 0 and "weights:      4-bit base, 14 layers packed" in out.out
    else:
        assert code == 3 and "needs a CUDA GPU" in out.err and "Traceback" not in out.err


@pytest.mark.slow
async def test_daemon_runs_on_the_kernel_provider(chat_ouro, short_tmp):
    repo = make_repo(short_tmp)
    settings = settings_for(None, provider={"name": "kernel", "model": str(chat_ouro),
                                            "mode": "deep"})
    async with running_daemon(repo, settings) as daemon:
        client = ControlClient(daemon.state_dir / "control.sock")
        status = (await asyncio.to_thread(client.request, "status"))["data"]
    assert status["state"] == "ACTIVE" and status["provider"] == "kernel"


@pytest.mark.slow
async def test_daemon_degrades_when_the_model_cannot_load(short_tmp):
    repo = make_repo(short_tmp)
    settings = settings_for(None, provider={"name": "kernel", "model": "missing-dir"})
    async with running_daemon(repo, settings) as daemon:
        assert daemon.state.value == "DEGRADED"
        assert "kernel model could not be loaded" in daemon.degraded_reason


@pytest.mark.slow
async def test_a_real_kernel_model_that_writes_garbage_ends_in_postmortem(chat_ouro, short_tmp):
    """The whole pipeline on the in-process kernel: a tiny random model cannot produce a
    candidate, so the op fails honestly and nothing is touched."""
    from tests.helpers import git, run_todo, tree_bytes

    repo = make_repo(short_tmp)
    settings = settings_for(None, provider={"name": "kernel", "model": str(chat_ouro),
                                            "max_new_tokens": 24, "canary": "observe"},
                            governance={"max_generate_retries": 1})
    run = await run_todo(repo, settings, timeout=120)
    assert run.op["phase"] == "POSTMORTEM"
    assert tree_bytes(repo) == run.before and git(repo, "rev-parse", "HEAD") == run.head
    calls = run.chain["model_calls"]
    assert calls and all(c["provider"] == "kernel" and c["completion_tokens"] > 0 for c in calls)
    assert all("canary_max_proximity" in c["telemetry"] for c in calls)
