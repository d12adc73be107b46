"""Risk ladder and path gates: parametrized tables, hostile inputs included."""

from __future__ import annotations

import os

import pytest

from governance.fs.protected import PathEscape, live_path_problem, normalize, protected_reason
from governance.gates.risk import RiskInput, RiskTier, classify
from governance.routes.routing import Route, route
from governance.schemas import SignalEnvelope, Urgency


def _risk(files, new=(), deleted=(), confidence=1.0, approval=(), notify=()):
    return classify(RiskInput(tuple(files), frozenset(new), frozenset(deleted), confidence,
                              ".ouroboros", ("vendor/*",), tuple(approval), tuple(notify)))


@pytest.mark.parametrize("files,kw,tier,rule", [
    (["calc/ops.py"], {}, RiskTier.SAFE_AUTO, "default"),
    ([".env"], {}, RiskTier.BLOCKED, "protected_path"),
    (["config/.env.production"], {}, RiskTier.BLOCKED, "protected_path"),
    ([".git/config"], {}, RiskTier.BLOCKED, "protected_path"),
    ([".ouroboros/ledger.sqlite3"], {}, RiskTier.BLOCKED, "protected_path"),
    (["vendor/lib.py"], {}, RiskTier.BLOCKED, "protected_path"),
    (["app/auth/login.py"], {}, RiskTier.APPROVAL_REQUIRED, "security_sensitive"),
    (["pyproject.toml"], {}, RiskTier.APPROVAL_REQUIRED, "build_or_ci"),
    (["tests/conftest.py"], {}, RiskTier.APPROVAL_REQUIRED, "build_or_ci"),
    (["calc/ops.py"], {"deleted": ["calc/ops.py"]}, RiskTier.APPROVAL_REQUIRED, "deletes_files"),
    (["calc/ops.py"], {"approval": ["calc/*"]}, RiskTier.APPROVAL_REQUIRED,
     "configured_approval"),
    (["a.py", "b.py"], {}, RiskTier.NOTIFY_APPLY, "multi_file"),
    (["calc/new.py"], {"new": ["calc/new.py"]}, RiskTier.NOTIFY_APPLY, "new_file"),
    (["calc/ops.py"], {"notify": ["calc/*"]}, RiskTier.NOTIFY_APPLY, "configured_notify"),
    (["calc/ops.py"], {"confidence": 0.2}, RiskTier.NOTIFY_APPLY, "low_confidence"),
    # first match wins: protected beats everything else
    (["a.py", ".env"], {"notify": ["*"]}, RiskTier.BLOCKED, "protected_path"),
])
def test_risk_ladder(files, kw, tier, rule):
    verdict = _risk(files, **kw)
    assert (verdict.tier, verdict.rule) == (tier, rule)


PROTECTED = [".env", ".ENV", "sub/.env.local", ".git/HEAD", "a/.git/objects/x",
             ".ssh/id_rsa", "home/.ssh/config", "keys/server.pem", "deploy.KEY", "id_ed25519",
             "aws_credentials.json", "Credentials.yml", "app/secrets.py", "MY_SECRET",
             ".venv/lib/x.py", "venv/bin/activate", "lib/site-packages/m.py", ".netrc",
             ".ouroboros/control.sock", ".Ouroboros/x", ".tox/py311/x", ".gnupg/pubring.kbx"]
ALLOWED = ["calc/ops.py", "README.md", "docs/environment.md", "tests/test_env.py",
           "src/keyboard.py", "envelope.py", "git_helpers.py", "ssh_tools.py"]


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_paths(path):
    assert protected_reason(path, ".ouroboros") is not None


@pytest.mark.parametrize("path", ALLOWED)
def test_ordinary_paths_are_not_protected(path):
    assert protected_reason(path, ".ouroboros") is None


ESCAPES = ["../x", "../../etc/passwd", "a/../../x", "/etc/passwd", "/", "..", ".", "",
           "a\\..\\..\\x", "C:/Windows", "a/\x00b", "./../x"]


@pytest.mark.parametrize("path", ESCAPES)
def test_escaping_paths_are_refused(path):
    with pytest.raises(PathEscape):
        normalize(path)


def test_symlink_out_of_the_root_is_refused(tmp_path):
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "pkg" / "link")
    os.symlink("/etc/passwd", root / "passwd")
    for rel in ("pkg/link/new.py", "passwd"):
        assert "symlink" in live_path_problem(root, rel)
    assert live_path_problem(root, "pkg/inside.py") is None  # a new file in a real dir


def test_device_files_and_directories_are_refused(tmp_path):
    os.symlink("/dev/null", tmp_path / "null")
    (tmp_path / "d").mkdir()
    assert "symlink" in live_path_problem(tmp_path, "null")
    assert "not a regular file" in live_path_problem(tmp_path, "d")


@pytest.mark.parametrize("source,urgency,files,expected", [
    ("todo_scanner", Urgency.LOW, ("a.py",), Route.BACKGROUND),
    ("test_failure", Urgency.CRITICAL, ("a.py",), Route.IMMEDIATE),
    ("test_failure", Urgency.HIGH, ("a.py",), Route.STANDARD),
    ("todo_scanner", Urgency.CRITICAL, ("a.py",), Route.BACKGROUND),
    ("backlog", Urgency.NORMAL, ("a.py", "b.py", "c.py"), Route.COMPLEX),
    ("backlog", Urgency.NORMAL, ("a.py",), Route.BACKGROUND),
    ("manual", Urgency.NORMAL, ("a.py",), Route.STANDARD),
    ("human", Urgency.CRITICAL, ("a.py",), Route.IMMEDIATE),  # signal --urgency critical
    ("human", Urgency.HIGH, ("a.py",), Route.STANDARD),
    ("opportunity_miner", Urgency.LOW, ("a.py",), Route.SPECULATIVE),
])
def test_route_table(source, urgency, files, expected):
    env = SignalEnvelope(source=source, urgency=urgency, target_files=files, goal="g",
                         dedup_key="k", session_id="s")
    assert route(env)[0] is expected
    assert route(env) == route(env)  # deterministic
