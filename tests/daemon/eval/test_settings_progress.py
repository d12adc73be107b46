"""daemon.eval.settings (what a run changes of the user's settings, and why) and
daemon.eval.progress (the bar and the ETA)."""

from __future__ import annotations

import pytest

from daemon.config.settings import Settings
from daemon.errors import CliError
from daemon.eval.progress import Progress
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
