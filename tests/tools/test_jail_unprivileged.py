"""The same attacks, with the jail started by an unprivileged host user (uid 65534).

A normal user's daemon reaches the jail through an unprivileged user namespace, gets no
pids cgroup it may write, and falls back to RLIMIT_NPROC: these are different code paths
from root's, so every attack runs again from a driver process that is uid 65534. The world
is built by root and opened up (readable secrets, connectable sockets, a sandbox owned by
the user) so that a jail that failed would really leak.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.tools.jail_attacks import ATTACKS, FAKE_KEY_NAME, SECRET, problems
from tests.tools.jail_world import build_world
from tools.jail import JailResult, bwrap_available

NOBODY = 65534
REPO_ROOT = Path(__file__).resolve().parents[2]


def _system_python() -> str | None:
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"):
        if os.access(candidate, os.X_OK):
            probe = subprocess.run([candidate, "-c", "import sys; print(sys.version_info >= "
                                    "(3, 11))"], capture_output=True, text=True)
            if probe.stdout.strip() == "True":
                return candidate
    return None


def _open_up(world: dict) -> None:
    """Make the world readable (and the sandbox writable) for uid 65534."""
    for top in [world["base"], *[str(Path(s).parent) for s in world["sockets"]]]:
        for dirpath, _, filenames in os.walk(top):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    os.chmod(path, 0o777 if path in world["sockets"] else 0o644)
    for dirpath, _, filenames in os.walk(world["sandbox"]):
        os.chown(dirpath, NOBODY, NOBODY)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), NOBODY, NOBODY)


def _as_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


@pytest.fixture(scope="module")
def report():
    if os.geteuid() != 0:
        pytest.skip("needs root to start the driver as uid 65534")
    python = _system_python()
    if python is None or bwrap_available() is not None:
        pytest.skip("no system Python >= 3.11 for uid 65534, or no bubblewrap")
    with build_world() as world:
        _open_up(world)
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "HOME": "/nonexistent",
               "PYTHONDONTWRITEBYTECODE": "1", FAKE_KEY_NAME: SECRET}
        driver = subprocess.run(
            [python, str(Path(__file__).with_name("jail_unpriv_driver.py")),
             json.dumps(world), *sorted(ATTACKS)],
            capture_output=True, text=True, env=env, cwd="/", preexec_fn=_as_nobody,
            timeout=300)
    if driver.returncode != 0:
        pytest.skip(f"the driver cannot run as uid 65534 (is {REPO_ROOT} readable by "
                    f"others?): {driver.stderr[-500:]}")
    out = json.loads(driver.stdout)
    if out["bwrap"] is not None:
        pytest.skip(f"bubblewrap unusable for an unprivileged user here: {out['bwrap']}")
    return out


@pytest.mark.slow
def test_the_driver_really_ran_unprivileged_with_a_process_limit(report):
    assert report["uid"] == NOBODY
    assert report["limit"] in ("rlimit", "v1", "v2")


@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_contained_as_an_unprivileged_user(report, attack):
    r = report["results"][attack]
    result = JailResult(r["exit_code"], r["output"], r["truncated"], r["timed_out"],
                        r["duration_s"])
    assert not problems(result), (problems(result), result.output)


@pytest.mark.slow
def test_the_fork_bomb_left_no_process_behind(report):
    """No cgroup to empty on this path: the PID namespace dying with bwrap must do it."""
    assert "EAGAIN" in report["results"]["fork-bomb"]["output"]
    left = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.stat().st_uid == NOBODY and b"fork bomb" in (entry / "cmdline").read_bytes():
                left.append(entry.name)
        except OSError:
            continue
    assert left == []
