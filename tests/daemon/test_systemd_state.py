"""A daemon run as systemd/ouroboros@.service keeps its state in the unit's StateDirectory,
not in the repository: the CLI and the pytest plugin find it there without any environment
variable, by the same escaping systemd gives the instance name (`systemd-escape --path`)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import locate
from ouroboros_pytest import RESULTS_DIR, find_state_dir, systemd_instance, systemd_state_dir
from tests.helpers import commit_files, running_daemon, settings_for

ENTRY = "import sys; from daemon.cli import main; sys.exit(main())"
ODD = ["/", "/home/me/repo", "/tmp/a b/it's-x/.hid/ü", "/.dot/x", "/a//b/./c/",
       "/a\\b/$HOME/`x`/ä€😀", "/x:y_z.w", "/-lead", "/tab\there/new\nline", "/%i/%f"]


@pytest.mark.skipif(shutil.which("systemd-escape") is None, reason="systemd-escape missing")
@pytest.mark.parametrize("path", ODD)
def test_the_instance_name_is_systemd_escape_path(path):
    want = subprocess.run(["systemd-escape", "--path", path], capture_output=True,
                          text=True, check=True).stdout.rstrip("\n")
    assert systemd_instance(Path(path)) == want


def _unit_dir(tmp_path: Path, repo: Path) -> tuple[Path, dict[str, str]]:
    environ = {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    unit = systemd_state_dir(repo, environ)
    assert unit == tmp_path / "xdg" / "ouroboros" / systemd_instance(repo)
    return unit, environ


def test_the_cli_and_the_plugin_find_the_unit_s_state_dir(tmp_path):
    repo = commit_files(tmp_path / "my repo", {"a.py": "x = 1\n"})
    unit, environ = _unit_dir(tmp_path, repo)
    assert locate.state_dir(repo, environ=environ) == repo / ".ouroboros"  # no unit yet
    assert find_state_dir(repo, environ) is None
    unit.mkdir(parents=True)
    assert locate.state_dir(repo, environ=environ) == unit
    assert find_state_dir(repo, environ) == unit
    (repo / ".ouroboros").mkdir()  # a foreground daemon's state dir wins
    assert locate.state_dir(repo, environ=environ) == repo / ".ouroboros"
    assert find_state_dir(repo, environ) == repo / ".ouroboros"
    explicit = {**environ, "OUROBOROS_DAEMON__STATE_DIR": str(tmp_path / "else")}
    assert locate.state_dir(repo, environ=explicit) == tmp_path / "else"


def test_a_symlinked_unit_dir_is_not_used(tmp_path):
    repo = commit_files(tmp_path / "repo", {"a.py": "x = 1\n"})
    unit, environ = _unit_dir(tmp_path, repo)
    (tmp_path / "elsewhere").mkdir()
    unit.parent.mkdir(parents=True)
    unit.symlink_to(tmp_path / "elsewhere")
    assert find_state_dir(repo, environ) is None
    assert locate.state_dir(repo, environ=environ) == repo / ".ouroboros"


@pytest.mark.slow
def test_a_developer_pytest_run_is_recorded_in_the_unit_s_state_dir(tmp_path):
    repo = commit_files(tmp_path / "repo", {"tests/test_a.py": "def test_a():\n    pass\n"})
    unit, environ = _unit_dir(tmp_path, repo)
    unit.mkdir(parents=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OUROBOROS_"))}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=repo, env={**clean, **environ}, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout
    assert len(list((unit / RESULTS_DIR).glob("*.json"))) == 1
    assert not (repo / ".ouroboros").exists()


@pytest.mark.slow
async def test_status_reaches_a_daemon_whose_state_is_in_the_unit_dir(short_tmp):
    repo = commit_files(short_tmp / "r", {"a.py": "x = 1\n"})  # a socket path is <= 107 bytes
    unit, environ = _unit_dir(short_tmp, repo)
    settings = settings_for(None, daemon={"state_dir": str(unit)})  # as the unit sets it
    async with running_daemon(repo, settings):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OUROBOROS_")}
        proc = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", ENTRY, "status", "--repo", str(repo)],
            capture_output=True, text=True, env={**env, **environ}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert str(repo) in proc.stdout

