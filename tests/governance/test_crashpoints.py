"""The crash hook: inert unless asked, fatal (with its process group) when asked, and every
named point really sits somewhere in the code."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from governance.crashpoints import ENV, POINTS, PROPOSE_POINTS, crashpoint

ROOT = Path(__file__).resolve().parents[2]


def _call_sites() -> list[str]:
    names = []
    for path in [*ROOT.glob("*/*.py"), *ROOT.glob("*/*/*.py")]:  # packages and their rooms
        if path.relative_to(ROOT).parts[0] in ("tests", ".venv") or path.name == "crashpoints.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "crashpoint"):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path}: crashpoint name not literal"
                names.append(first.value)
    return names


@pytest.mark.slow
def test_every_point_has_a_call_site_and_every_call_site_a_point():
    sites = _call_sites()
    assert set(sites) == set(POINTS) | set(PROPOSE_POINTS)


def test_inert_without_the_variable_or_for_another_point(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    crashpoint("after_terminal_row")
    monkeypatch.setenv(ENV, "before_terminal_row")
    crashpoint("after_terminal_row")
    crashpoint("atomic_before_rename", "/x/a.py")
    monkeypatch.setenv(ENV, "atomic_before_rename:/x/b.py")
    crashpoint("atomic_before_rename", "/x/a.py")


def test_an_unknown_point_named_by_the_variable_is_an_error(monkeypatch):
    monkeypatch.setenv(ENV, "no_such_point")
    with pytest.raises(ValueError, match="unknown crash point"):
        crashpoint("no_such_point")


@pytest.mark.parametrize("target", ["after_terminal_row", "atomic_before_rename:/x/a.py"])
def test_the_named_point_kills_the_process_group(target, short_tmp):
    pidfile = short_tmp / "child.pid"
    code = ("import subprocess, sys\n"
            "from governance.crashpoints import crashpoint\n"
            "child = subprocess.Popen(['sleep', '30'])\n"
            f"open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
            "crashpoint('after_terminal_row')\n"
            "crashpoint('atomic_before_rename', '/x/a.py')\n"
            "sys.exit(3)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ,
                          ENV: target}, start_new_session=True, timeout=30)
    assert proc.returncode == -signal.SIGKILL
    stat = Path(f"/proc/{int(pidfile.read_text())}/stat")
    deadline = time.monotonic() + 5
    while not _gone(stat) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _gone(stat), "the git-like child outlived the crash"


def _gone(stat: Path) -> bool:
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True
