"""What an HTTP brain costs per million tokens (daemon.brains.providers.price_of): the entry's own
price, $0 for local servers, else the longest known model-family prefix in provider.prices."""

from __future__ import annotations

import pytest

from daemon.brains.providers import http_config, price_of
from daemon.config.provider import PRICES, HttpProviderEntry
from daemon.config.settings import Settings

REMOTE = "https://api.example.com/v1"


def entry(**kw) -> HttpProviderEntry:
    return HttpProviderEntry.model_validate({"kind": "openai", "base_url": REMOTE,
                                             "model": "gpt-4o", **kw})


@pytest.mark.parametrize("kw,expect", [
    ({}, (2.50, 10.00, "prices.gpt-4o")),
    ({"model": "gpt-4o-mini-2024-07-18"}, (0.15, 0.60, "prices.gpt-4o-mini")),  # longest
    ({"model": "openai/GPT-4.1-mini"}, (0.40, 1.60, "prices.gpt-4.1-mini")),  # a router's
    ({"kind": "anthropic", "model": "claude-sonnet-4-5-20250929",
      "base_url": "https://api.anthropic.com"}, (3.0, 15.0, "prices.claude-sonnet-4")),
    ({"usd_per_mtok_in": 1.5}, (1.5, 0.0, "configured")),  # the entry's own price wins
    ({"kind": "ollama", "base_url": "http://gpu-box:11434"}, (0.0, 0.0, "local")),
    ({"base_url": "http://127.0.0.1:8000/v1"}, (0.0, 0.0, "local")),  # vLLM on this box
    ({"base_url": "http://localhost:8080/v1"}, (0.0, 0.0, "local")),
    ({"base_url": "http://[::1]:8080/v1"}, (0.0, 0.0, "local")),
    ({"base_url": "http://127.0.0.1.evil.example/v1"}, (2.50, 10.00, "prices.gpt-4o")),
    ({"model": "some-new-model"}, (0.0, 0.0, "unknown")),
])
def test_price_rules(kw, expect):
    assert price_of(entry(**kw), Settings().provider.prices) == expect


def test_a_prices_table_adds_and_overrides_never_erases():
    prices = Settings.model_validate({"provider": {"prices": {
        "gpt-4o": {"usd_per_mtok_in": 9, "usd_per_mtok_out": 9},
        "house-model": {"usd_per_mtok_in": 1, "usd_per_mtok_out": 2}}}}).provider.prices
    assert price_of(entry(), prices)[:2] == (9, 9)
    assert price_of(entry(model="house-model-v2"), prices)[:2] == (1, 2)
    assert set(PRICES) < set(prices)  # every known family is still there
    with pytest.raises(ValueError):
        Settings.model_validate({"provider": {"prices": {"x": {"usd_per_mtok_in": -1,
                                                               "usd_per_mtok_out": 0}}}})


def test_the_built_config_carries_the_price():
    config = http_config(entry(model="claude-opus-4-1", kind="anthropic",
                               base_url="https://api.anthropic.com"),
                         Settings().provider.prices)
    assert (config.usd_per_mtok_in, config.usd_per_mtok_out) == (15.0, 75.0)
