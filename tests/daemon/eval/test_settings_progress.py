"""daemon.eval.settings (what a run changes of the user's settings, and why) and
daemon.eval.progress (the bar and the ETA)."""

from __future__ import annotations

import asyncio

import pytest

from daemon.config.settings import Settings
from daemon.errors import CliError
from daemon.eval.progress import MineProgress, Progress, with_heartbeat
from daemon.eval.result import TaskResult, Verdict
from daemon.eval.settings import brain_names, for_brain

USER = Settings.model_validate({
    "provider": {"http": [{"kind": "ollama", "base_url": "http://127.0.0.1:11434",
                           "model": "qwen2.5-coder:7b", "name": "local"},
                          {"kind": "openai", "base_url": "https://api.example.com/v1",
                           "model": "gpt-4o", "api_key_env": "KEY"}]},
    "routes": {"standard": {"timeout_s": 120, "budget_s": 600, "brains": ["local"]}},
    "governance": {"notify_apply_delay_s": 5}})


def test_the_brains_a_run_may_name() -> None:
    assert brain_names(USER) == ["kernel", "local", "openai:gpt-4o", "replay:fix",
                                 "replay:none", "replay:careless", "replay:mixed"]


def test_a_run_samples_as_the_daemon_does_unless_told() -> None:
    """`eval run` without --samples runs the user's [generate] samples (init writes 4 for
    the pinned coder model alone): a card is the daemon as configured."""
    user = USER.model_copy(update={"generate": USER.generate.model_copy(update={"samples": 4})})
    assert for_brain(user, "kernel", None).generate.samples == 4
    assert for_brain(user, "kernel", None, samples=1).generate.samples == 1


@pytest.mark.parametrize(("brain", "name", "http"), [
    ("kernel", "kernel", []), ("local", "none", ["local"]),
    ("openai:gpt-4o", "none", [None]), ("replay:fix", "replay", [])])
def test_one_brain_alone(brain: str, name: str, http: list) -> None:
    s = for_brain(USER, brain, "/opt/venv/bin/python", samples=3)
    assert s.provider.name == name and [e.name for e in s.provider.http] == http
    assert s.routes.standard.brains == [] and s.generate.samples == 3
    assert s.governance.notify_apply_delay_s == 0 and not s.governance.memory
    assert s.governance.test_python == "/opt/venv/bin/python"
    stand_in = brain.startswith("replay:")
    assert (s.governance.max_generate_retries == 0) is stand_in
    assert s.governance.l2_enabled is not stand_in


def test_an_unknown_brain_is_named_with_the_known_ones() -> None:
    with pytest.raises(CliError, match=r"no brain named 'gpt-5'.*local"):
        for_brain(USER, "gpt-5", None)


def test_the_bar_and_the_eta() -> None:
    said: list[str] = []
    now = [100.0]
    progress = Progress(total=4, done=1, say=said.append, clock=lambda: now[0])
    assert progress.eta() == "eta -"
    now[0] += 60.0
    progress.tick(TaskResult(task="abc", kind="repair", date="2024-01-01",
                             verdict=Verdict.POSTMORTEM, reason_class="tests failed",
                             wall_s=59.6))
    assert said == ["[##########..........] 2/4  50% eta 2m00s  abc:repair postmortem "
                    "(tests failed) in 1m00s"]


def test_mining_counts_against_its_limits_not_the_candidates() -> None:
    """`--max-tasks 10` with 190 candidates: the count is of tasks out of 10, and the ETA
    is the commits the yield so far says 9 more tasks need, within the time bound."""
    said: list[str] = []
    now = [0.0]
    progress = MineProgress(candidates=190, max_commits=200, max_tasks=10, cached=0,
                            say=said.append, clock=lambda: now[0])
    assert "until 10 task(s) are cached, 190 commit(s) are judged" in progress.opening()
    assert progress.eta() == "eta -"
    now[0] = 60.0
    progress.tick("a" * 40, "skip: no test fails", task=False)
    assert progress.commits_left() == 189  # no task yet: the candidates bound it
    now[0] = 120.0
    progress.tick("b" * 40, "task: 1 fail-to-pass", task=True)
    assert said[-1] == ("[1/10 tasks, 2 commit(s) judged, eta 18m00s] bbbbbbbbbbbb task: 1 "
                        "fail-to-pass")  # 9 tasks at 1 in 2 commits, 60 s a commit
    assert not any("/190" in line or "/200" in line for line in said)
    progress.max_s = 600.0
    assert progress.eta() == "eta 8m00s"  # the time bound's 480 s left, not 18 minutes
    bounded = MineProgress(candidates=190, max_commits=5, max_tasks=10, cached=0,
                           say=said.append, clock=lambda: now[0])
    bounded.judged, bounded.found = 4, 4
    assert bounded.commits_left() == 1  # --max-commits 5 bounds it below the yield's 6


async def test_a_heartbeat_says_what_runs_while_it_runs() -> None:
    beats: list[str] = []
    third = asyncio.Event()
    release = asyncio.Event()

    def beat() -> None:
        beats.append("still running")
        if len(beats) == 3:
            third.set()

    async def long_step() -> str:
        await release.wait()
        return "done"

    async def release_after_three() -> None:
        await third.wait()
        release.set()

    helper = asyncio.create_task(release_after_three())
    assert await with_heartbeat(long_step(), 0.01, beat) == "done"
    await helper
    assert len(beats) >= 3
    # the heartbeat task was awaited before the result came back: none is left running
    assert [t for t in asyncio.all_tasks() if t.get_name() == "eval-heartbeat"] == []


def test_a_runs_eta_is_never_past_its_time_bound() -> None:
    now = [0.0]
    progress = Progress(total=10, done=0, say=lambda _: None, clock=lambda: now[0], max_s=300.0)
    now[0] = 60.0
    progress.tick(TaskResult(task="a", kind="repair", date="2024-01-01",
                             verdict=Verdict.NO_CHANGE))
    assert progress.eta() == "eta 4m00s"  # 9 tasks at 60 s would be 9m00s


async def test_a_heartbeat_names_the_ops_phase_and_its_model_calls(tmp_path) -> None:
    """A 2-core box spends minutes in one phase: the heartbeat says which, and what the brain
    has read and written so far, from the eval ledger as the op records it."""
    from daemon.eval.runner import whereabouts
    from ledger import Ledger

    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    try:
        assert "signal is sensed" in await whereabouts(ledger, None)
        assert await whereabouts(ledger, "op-1") == "its op starts"
        await ledger.record_operation("op-1", source="s", goal="g", session_id="x",
                                      envelope={})
        await ledger.append_transition("op-1", from_phase=None, to_phase="CLASSIFY",
                                       reason="")
        await ledger.append_transition("op-1", from_phase="CONTEXT_EXPANSION",
                                       to_phase="PLAN", reason="")
        assert await whereabouts(ledger, "op-1") == \
            "its op is at PLAN, no model call answered yet"
        await ledger.record_model_call("op-1", phase="PLAN", provider="kernel",
                                       prompt_tokens=1643, completion_tokens=94)
        await ledger.append_transition("op-1", from_phase="PLAN", to_phase="GENERATE",
                                       reason="")
        await ledger.record_model_call("op-1", phase="GENERATE", provider="kernel",
                                       prompt_tokens=1785, completion_tokens=21)
        assert await whereabouts(ledger, "op-1") == (
            "its op is at GENERATE, 2 model call(s) so far (3,428 prompt / 115 reply tokens)")
    finally:
        await ledger.close()
