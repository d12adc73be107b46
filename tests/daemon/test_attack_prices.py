"""Attacks on "a server on this machine is free" (daemon.brains.providers.price_of): odd and
hostile base_url values. Free exactly when the host the HTTP client (httpx) would connect
to is a loopback address or localhost; a remote host is never free."""

from __future__ import annotations

import httpx
import pytest

from daemon.brains.providers import price_of
from daemon.config.provider import HttpProviderEntry
from daemon.config.settings import Settings

PRICED = (2.50, 10.00, "prices.gpt-4o")
FREE = (0.0, 0.0, "local")

REMOTE = ["http://127.0.0.1@evil.com", "http://127.0.0.1:80@evil.com/v1",
          "http://user@localhost@evil.com", "http://[::1]@evil.com", "http://evil.com#@127.0.0.1",
          "http://evil.com?@127.0.0.1", "http://evil.com/@127.0.0.1", "http://127.0.0.1%2f@evil.com",
          "http://localhost.evil.com", "http://127.0.0.1.evil.com", "http://0.0.0.0:8000",
          "http://127.1", "http://2130706433", "http://0x7f000001", "http://localhost.",
          "http://127.0.0.1.", "http://evil.com%40127.0.0.1", "https://[::ffff:7f00:1]",
          "http://[fe80::1%25lo]", "http://xn--localhost-.com", "http://locaIhost"]
LOCAL = ["http://LOCALHOST:11434", "http://127.0.0.1:8000/v1", "http://127.9.9.9",
         "http://[::1]:8080/v1", "http://a:b@evil.com@127.0.0.1",
         "http://evil.com\\@127.0.0.1:8080/v1", "http://ev%69l.com@127.0.0.1"]


def _price(url: str):
    entry = HttpProviderEntry.model_validate({"kind": "openai", "base_url": url,
                                              "model": "gpt-4o"})
    return price_of(entry, Settings().provider.prices)


@pytest.mark.parametrize("url", REMOTE)
def test_a_remote_or_unclear_host_is_priced(url):
    assert _price(url) == PRICED


@pytest.mark.parametrize("url", LOCAL)
def test_free_only_where_the_client_connects_to_this_machine(url):
    host = httpx.URL(url).host  # where the request would really go
    assert host == "localhost" or host.startswith(("127.", "::1")), host
    assert _price(url) == FREE
