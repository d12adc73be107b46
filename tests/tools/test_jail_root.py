"""The jail holds against a hostile program when the daemon runs as root (as CI does).

Every attack of `jail_attacks.ATTACKS` runs inside a real bubblewrap jail built the way
the daemon builds it, with a fake API key in this process's environment and canary
secrets in the live repo, the state dir and a fake home. Then the host is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.oracle.testrun import Bind
from tests.helpers import jail_limits
from tests.tools.jail_attacks import ATTACKS, FAKE_KEY_NAME, SECRET, problems, run_attack
from tests.tools.jail_world import build_world
from tools import proclimit
from tools.jail import Jail, JailExecutor, bwrap_available

pytestmark = pytest.mark.skipif(bwrap_available() is not None,
                                reason=f"bubblewrap unusable here: {bwrap_available()}")


@pytest.fixture(scope="module")
def world():
    before = os.environ.get(FAKE_KEY_NAME)
    os.environ[FAKE_KEY_NAME] = SECRET  # what a daemon's provider key looks like
    try:
        with build_world() as w:
            yield w
    finally:
        if before is None:
            os.environ.pop(FAKE_KEY_NAME, None)
        else:
            os.environ[FAKE_KEY_NAME] = before


def _host_unharmed(world: dict) -> list[str]:
    repo = Path(world["repo"])
    harm = [p for p in ["/etc/ob-pwned", "/usr/ob-pwned", "/usr/bin/ob-pwned", "/pwned",
                        f"{repo}/calc/ob-pwned", f"{world['home']}/ob-pwned",
                        f"{world['state']}/ob-pwned"] if os.path.lexists(p)]
    if "clamp" not in (repo / "calc" / "ops.py").read_text():
        harm.append("live calc/ops.py changed")
    try:
        os.kill(world["host_pid"], 0)
    except ProcessLookupError:
        harm.append("the host process was killed")
    if SECRET not in (repo / ".env").read_text():
        harm.append("live .env changed")
    return harm


@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_attack_is_contained_as_root(world, attack):
    result = await run_attack(world, attack)
    assert not problems(result), (problems(result), result.output)
    assert not _host_unharmed(world)


@pytest.mark.slow
async def test_fork_bomb_leaves_the_host_able_to_fork_and_no_cgroup_behind(world):
    result = await run_attack(world, "fork-bomb")
    assert "EAGAIN" in result.output, result.output
    assert int(result.output.split("after")[1].split()[0]) < 48
    assert subprocess.run(["true"], timeout=10).returncode == 0  # the host can still spawn
    limiter = proclimit.limiter(48)
    if limiter.parent is not None:
        mine = [c for c in limiter.parent.iterdir() if c.name.startswith(f"{os.getpid()}-")]
        assert mine == []


@pytest.mark.slow
async def test_a_verify_run_of_a_test_that_prints_env_prints_no_secret(world):
    """VERIFY runs the repo's tests on the live tree, read-only: .env is in that tree."""
    repo = Path(world["repo"])
    executor = JailExecutor([Path(world["home"]), repo, Path(world["state"])], jail_limits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    result = await executor(repo, [sys.executable, "-m", "pytest", "-s", "-q", "-p",
                                   "no:cacheprovider", "tests/test_leak.py"], 60, False)
    assert "1 passed" in result.output, result.output
    assert "ENV:" in result.output and SECRET not in result.output


@pytest.mark.slow
async def test_jail_stays_usable_for_tests_git_binds_and_env(world, short_tmp):
    report = short_tmp / "report"
    report.mkdir()
    jail = Jail(Path(world["repo"]), [Path(world["home"]), Path(world["state"])],
                jail_limits(timeout_s=60), [Path(sys.prefix), Path(sys.base_prefix)],
                writable=False, binds=[Bind(report, "/tmp/ob-report", writable=True)],
                env={"OB_MARK": "seen"})
    script = ("set -e; git log --oneline -1; echo tmp > /tmp/t && cat /tmp/t; "
              "echo $OB_MARK > /tmp/ob-report/out; "
              f"{sys.executable} -m pytest -q -p no:cacheprovider tests/test_ops.py")
    result = await jail.run(["bash", "-c", script])
    assert result.exit_code == 0, result.output
    assert "initial" in result.output and "2 passed" in result.output
    assert (report / "out").read_text() == "seen\n"


def test_a_bind_outside_the_jails_tmp_is_refused(world):
    jail = Jail(Path(world["sandbox"]), [], jail_limits(), binds=[Bind(Path("/"), "/etc/x")])
    with pytest.raises(RuntimeError, match="must be under /tmp"):
        jail.arguments(Path("/dev/null"))


def test_no_process_limit_is_said_not_hidden(monkeypatch):
    monkeypatch.setattr(proclimit, "_mounts", lambda: [])
    monkeypatch.setattr(proclimit.os, "getuid", lambda: 0)
    reason = proclimit.ProcessLimiter(10).reason
    assert reason and "no process-count limit" in reason
    monkeypatch.setattr(proclimit.os, "getuid", lambda: 1000)
    limited = proclimit.ProcessLimiter(10)
    assert limited.reason is None and limited.new_run().nproc is not None


MEMORY_HOG = r'''
import os, signal, time
kids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (100 << 20)  # written, so really resident: 4 x 100 MiB > the cap
        time.sleep(5)
        os._exit(0)
    kids.append(pid)
codes = [os.waitpid(pid, 0)[1] for pid in kids]
print("killed", sum(os.WIFSIGNALED(c) and os.WTERMSIG(c) == signal.SIGKILL for c in codes))
'''


@pytest.mark.slow
async def test_the_memory_of_a_whole_run_is_capped_not_only_each_process(world):
    limits = jail_limits(timeout_s=30, memory_bytes=256 << 20, max_procs=48)
    if proclimit.limiter(limits.max_procs, limits.memory_bytes).memory_reason:
        pytest.skip("no memory cgroup here: only RLIMIT_AS bounds memory")
    jail = Jail(Path(world["sandbox"]), [], limits, [Path(sys.prefix), Path(sys.base_prefix)])
    result = await jail.run([sys.executable, "-c", MEMORY_HOG])
    assert result.exit_code == 0, result.output
    assert int(result.output.split("killed")[1]) >= 1, result.output
