"""daemon.host.loopback: "is this host this machine?" as one table, both answers per host.

is_loopback judges the host as a peer sent it; on_this_machine judges http://HOST:80/ as
the HTTP client would connect (stricter about names: see the module's docstring)."""

from __future__ import annotations

import pytest

from daemon.host.loopback import is_loopback, on_this_machine

# host, is_loopback(host), on_this_machine(f"http://{host}:80/")
HOSTS = [
    ("127.0.0.1", True, True), ("127.8.9.10", True, True), ("[::1]", True, True),
    ("localhost", True, True), ("LOCALHOST", True, True),
    ("LOCALHOST.", True, False), ("127.0.0.1.", True, False), ("app.localhost", True, False),
    ("0.0.0.0", False, False), ("[::]", False, False), ("10.0.0.2", False, False),
    ("example.com", False, False), ("127.0.0.1.evil.example", False, False),
    ("localhost.evil.example", False, False), ("127.1", False, False), ("", False, False),
]


@pytest.mark.parametrize(("host", "loopback", "local"), HOSTS)
def test_both_answers(host, loopback, local):
    assert is_loopback(host) is loopback
    assert on_this_machine(f"http://{host}:80/") is local


@pytest.mark.parametrize(("host", "loopback"), [("::1", True), ("::", False)])
def test_a_bare_ipv6_address(host, loopback):
    assert is_loopback(host) is loopback
