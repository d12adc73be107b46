"""The route picks the brain (issue 20 §3): each route's brain list resolved at start
against the brains the daemon built, with the defaults (free brains for background work,
the strongest first for urgent and complex work) and a clear error for a name that does
not exist."""

from __future__ import annotations

import pytest

from daemon.brains.providers import http_config
from daemon.brains.routes import Brain, brains_of, resolve
from daemon.config.settings import Settings
from daemon.errors import ConfigError
from daemon.phase_deps import route_table
from governance.brains.provider_chain import ProviderChain
from governance.routes.routing import Route
from kernel.http.apis import http_provider
from kernel.replay import ReplayProvider

PAID = Brain("openai:gpt-4o", free=False)
LOCAL = Brain("kernel", free=True)


def _routes(settings: Settings, brains: list[Brain]) -> dict[Route, tuple[tuple[str, ...], str]]:
    table = resolve(route_table(settings), brains)
    return {r: (s.brains, s.brains_why) for r, s in table.routes.items()}


def test_background_work_asks_the_free_brains_and_urgent_work_the_strongest_first():
    routes = _routes(Settings(), [LOCAL, PAID])  # the chain as built: the kernel first
    assert routes[Route.BACKGROUND][0] == ("kernel",)
    assert routes[Route.SPECULATIVE][0] == ("kernel",)
    assert "free brains only" in routes[Route.BACKGROUND][1]
    assert routes[Route.IMMEDIATE][0] == ("openai:gpt-4o", "kernel")
    assert routes[Route.COMPLEX][0] == ("openai:gpt-4o", "kernel")
    assert routes[Route.STANDARD] == (("kernel", "openai:gpt-4o"),
                                      "default: every brain, in the chain's order")


def test_one_kind_of_brain_is_every_routes_brain():
    routes = _routes(Settings(), [LOCAL])
    assert {b for b, _ in routes.values()} == {("kernel",)}


def test_a_configured_list_wins_and_a_wrong_name_is_a_clear_error():
    settings = Settings.model_validate({"routes": {"background": {
        "timeout_s": 180, "budget_s": 900, "brains": ["openai:gpt-4o"]}}})
    routes = _routes(settings, [LOCAL, PAID])
    assert routes[Route.BACKGROUND] == (("openai:gpt-4o",), "routes.background.brains")
    settings.routes.background.brains = ["nope"]
    with pytest.raises(ConfigError, match=r"routes.background.brains: no brain named nope "
                                          r"\(the brains: kernel, openai:gpt-4o\)"):
        resolve(route_table(settings), [LOCAL, PAID])


def test_a_budget_below_its_timeout_is_refused():
    with pytest.raises(ValueError, match=r"budget_s \(30\) must be at least timeout_s"):
        Settings.model_validate({"routes": {"immediate": {"timeout_s": 60, "budget_s": 30}}})


def test_which_brains_are_free():
    settings = Settings.model_validate({"provider": {"http": [
        {"kind": "openai", "base_url": "https://api.openai.com/v1", "model": "gpt-4o",
         "api_key_env": "HOME"},
        {"kind": "ollama", "base_url": "http://127.0.0.1:11434", "model": "qwen",
         "name": "local-qwen"}]}})
    remote = [http_provider(http_config(e, settings.provider.prices))
              for e in settings.provider.http]
    chain = ProviderChain([*remote, ReplayProvider([])])
    assert brains_of(settings, chain) == [Brain("openai:gpt-4o", False),
                                          Brain("local-qwen", True), Brain("replay", True)]
    assert brains_of(settings, None) == []


@pytest.mark.slow
async def test_a_human_critical_signal_takes_the_immediate_route(repo, tmp_path):
    """Through the real daemon: `signal --urgency critical` is IMMEDIATE, and the op's
    ledger names the route's brains and why."""
    import json

    from tests.helpers import running_daemon, settings_for, wait_terminal, write_script

    no_op = json.dumps({"schema": "candidate.1", "no_op": True, "rationale": "fine"})
    script = write_script(tmp_path / "s.jsonl", json.dumps({"purpose": "generate",
                                                             "text": no_op}))
    async with running_daemon(repo, settings_for(script, tools={"enabled": False})) as daemon:
        await daemon.signal("clamp must clamp", ["calc/ops.py"], "critical")
        [op] = await wait_terminal(daemon)
        chain = await daemon.ledger.chain(op["op_id"])
    route = next(t for t in chain["transitions"] if t["from_phase"] == "ROUTE")
    assert route["payload"]["route"] == "IMMEDIATE"
    assert route["payload"]["brains"] == ["replay"]
    assert route["payload"]["brains_why"] == "default: every brain, in the chain's order"
    assert "source=human, urgency=critical" in route["reason"]


def test_brain_names_are_unique_or_the_config_is_refused():
    same = {"kind": "ollama", "base_url": "http://127.0.0.1:11434", "model": "qwen"}
    with pytest.raises(ValueError, match="two brains share a name \\(ollama:qwen\\)"):
        Settings.model_validate({"provider": {"http": [same, same]}})
    with pytest.raises(ValueError, match="two brains share a name"):
        Settings.model_validate({"provider": {"http": [{**same, "name": "kernel"}]}})
    named = Settings.model_validate({"provider": {"http": [same, {**same, "name": "q2"}]}})
    assert [e.name for e in named.provider.http] == [None, "q2"]
    with pytest.raises(ValueError, match="brains names a brain twice"):
        Settings.model_validate({"routes": {"standard": {
            "timeout_s": 120, "budget_s": 600, "brains": ["kernel", "kernel"]}}})
