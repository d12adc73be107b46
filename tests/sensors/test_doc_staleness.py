"""DocStaleness and its post-commit hook: real git repos, real commits firing the real hook
(installed by the real CLI), existing hooks chained and restored, hostile event lines."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from daemon.cli import main as cli
from daemon.service import Daemon
from governance.schemas import SignalEnvelope, Urgency
from sensors import doc_staleness, hooks
from sensors.doc_staleness import DocStalenessSensor, is_public_module, undocumented
from tests.helpers import make_repo, running_daemon, settings_for, wait_for

UNDOCUMENTED = ("def api(x):\n    return x\n\n"
                "def _private():\n    pass\n\n"
                "class Thing:\n    \"\"\"A thing.\"\"\"\n\n"
                "    def method(self):\n        pass\n\n"
                "    def _hidden(self):\n        pass\n")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "T")
    return root


def commit(repo: Path, files: dict[str, str], msg: str = "c") -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "--", *files)
    git(repo, "commit", "-q", "-m", msg)
    return git(repo, "rev-parse", "HEAD").strip()


def _sensor(repo: Path) -> tuple[DocStalenessSensor, list[SignalEnvelope]]:
    got: list[SignalEnvelope] = []

    async def emit(e: SignalEnvelope) -> bool:
        got.append(e)
        return True

    return DocStalenessSensor(repo, "s", emit, repo / ".ouroboros"), got


def test_undocumented_names_only_the_public_ones():
    assert undocumented(UNDOCUMENTED) == ["<module>", "api", "Thing.method"]
    assert undocumented('"""Doc."""\nfrom typing import overload\n@overload\ndef f(x): ...\n'
                        'def f(x):\n    """F."""\n') == []
    assert undocumented("def broken(:\n") is None
    assert [is_public_module(p) for p in ("pkg/a.py", "pkg/__init__.py", "pkg/_x.py",
                                          "_pkg/a.py", "tests/a.py", "test_a.py", "conftest.py",
                                          "a_test.py")] == [True, True] + [False] * 6


@pytest.mark.slow
async def test_a_real_commit_fires_the_hook_and_the_sensor_emits_once(repo, capsys):
    assert cli(["install-hooks", "--repo", str(repo)]) == 0
    assert "installed" in capsys.readouterr().out
    sensor, got = _sensor(repo)
    assert await sensor.scan_once() == 0  # installed, no commit yet
    sha = commit(repo, {"pkg/api.py": UNDOCUMENTED, "pkg/_impl.py": "x = 1\n",
                        "tests/test_api.py": "def test_x():\n    pass\n",
                        "notes.txt": "hi\n"})
    event = json.loads((repo / ".ouroboros" / "git_events.jsonl").read_text())
    assert event["commit"] == sha and sorted(event["files"]) == [
        "notes.txt", "pkg/_impl.py", "pkg/api.py", "tests/test_api.py"]
    assert await sensor.scan_once() == 1
    env = got[0]
    assert env.source == "doc_staleness" and env.urgency is Urgency.LOW
    assert env.target_files == ("pkg/api.py",) and sha[:12] in env.goal
    assert env.evidence["missing"] == ["<module>", "api", "Thing.method"]
    assert await sensor.scan_once() == 0  # read lines are not read again...
    again, got_again = _sensor(repo)
    assert await again.scan_once() == 0 and got_again == []  # ...not even after a restart
    # Documented in the next commit: nothing to say.
    commit(repo, {"pkg/api.py": '"""API."""\ndef api(x):\n    """Return x."""\n    return x\n'})
    assert await sensor.scan_once() == 0 and len(got) == 1


@pytest.mark.slow
async def test_existing_hook_is_chained_and_restored_exactly(repo, capsys):
    theirs = "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/theirs.log\"\nexit 3\n"
    hook = repo / ".git" / "hooks" / "post-commit"
    hook.write_text(theirs)
    hook.chmod(0o750)
    assert cli(["install-hooks", "--repo", str(repo)]) == 0
    assert "chained" in capsys.readouterr().out
    assert cli(["install-hooks", "--repo", str(repo)]) == 0  # twice: still one chain
    assert (repo / ".git" / "hooks" / hooks.CHAINED).read_text() == theirs
    sha = commit(repo, {"a.py": "def f():\n    pass\n"})
    assert (repo / ".git" / "theirs.log").read_text() == "ran\n"  # theirs still runs
    assert json.loads((repo / ".ouroboros" / hooks.EVENTS).read_text())["commit"] == sha
    # Their exit status is the hook's.
    status = subprocess.run([str(hook)], cwd=repo, capture_output=True).returncode
    assert status == 3
    assert cli(["uninstall-hooks", "--repo", str(repo)]) == 0
    assert hook.read_text() == theirs and os.stat(hook).st_mode & 0o777 == 0o750
    assert not (repo / ".git" / "hooks" / hooks.CHAINED).exists()
    # Theirs is not ours: a second uninstall touches nothing.
    assert cli(["uninstall-hooks", "--repo", str(repo)]) == 0
    assert "not ours" in capsys.readouterr().out and hook.read_text() == theirs


async def test_install_refusals_change_nothing(repo, capsys, tmp_path):
    hooks_dir = repo / ".git" / "hooks"
    (hooks_dir / "post-commit").write_text("#!/bin/sh\necho mine\n")
    (hooks_dir / hooks.CHAINED).write_text("#!/bin/sh\necho older\n")
    before = {p.name: p.read_bytes() for p in hooks_dir.iterdir()}
    assert cli(["install-hooks", "--repo", str(repo)]) == 1
    assert "already parked" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in hooks_dir.iterdir()} == before
    (hooks_dir / "post-commit").unlink()
    (hooks_dir / hooks.CHAINED).unlink()
    (hooks_dir / "post-commit").mkdir()
    assert cli(["install-hooks", "--repo", str(repo)]) == 1
    assert "not a file" in capsys.readouterr().err
    (hooks_dir / "post-commit").rmdir()
    git(repo, "config", "core.hooksPath", ".githooks")
    assert cli(["install-hooks", "--repo", str(repo)]) == 1
    assert "inside the work tree" in capsys.readouterr().err
    assert not (repo / ".githooks").exists()
    assert cli(["install-hooks", "--repo", str(tmp_path / "nogit")]) != 0
    # No hook of ours: uninstall removes nothing.
    git(repo, "config", "--unset", "core.hooksPath")
    assert cli(["uninstall-hooks", "--repo", str(repo)]) == 0
    assert "nothing removed" in capsys.readouterr().out


async def test_crash_between_park_and_install_is_finished_by_either_command(repo):
    hooks_dir = repo / ".git" / "hooks"
    (hooks_dir / hooks.CHAINED).write_text("#!/bin/sh\nexit 0\n")  # parked, ours never landed
    assert "there before again" in hooks.uninstall(repo)
    assert (hooks_dir / "post-commit").read_text() == "#!/bin/sh\nexit 0\n"
    os.rename(hooks_dir / "post-commit", hooks_dir / hooks.CHAINED)  # the same crash again
    assert "chaining" in hooks.install(repo, repo / ".ouroboros")
    assert hooks._is_ours(hooks_dir / "post-commit") and (hooks_dir / hooks.CHAINED).exists()


@pytest.mark.slow
async def test_hook_never_imports_the_work_tree_and_hostile_lines_queue_nothing(repo):
    assert cli(["install-hooks", "--repo", str(repo)]) == 0
    pwned = repo.parent / "pwned"
    trap = f"open({str(pwned)!r}, 'w').write('x')\n"
    os.environ["PYTHONPATH"] = str(repo)
    try:
        commit(repo, {"json.py": trap, "subprocess.py": trap, "good.py": '"""Good."""\nx = 1\n'})
    finally:
        del os.environ["PYTHONPATH"]
    assert not pwned.exists()
    events = repo / ".ouroboros" / hooks.EVENTS
    assert len(events.read_text().splitlines()) == 1  # the hook still recorded the commit
    (repo / "outside.py").write_text("def f():\n    pass\n")
    hostile = [b"not json", b"[]", b'{"schema": "git_event.2", "commit": "x", "files": []}',
               b'{"schema": "git_event.1", "commit": 1, "files": ["a.py"]}',
               b'{"schema": "git_event.1", "commit": "x", "files": "a.py"}',
               json.dumps({"schema": "git_event.1", "commit": "x",
                           "files": ["/etc/passwd.py", "../outside.py", "a\udcff.py",
                                     "gone.py", "pkg\u2044x.py"]}).encode(),
               b"\xff\xfe", b'{"schema": "git_event.1", "commit": "x", "files": ["'
               + b"a" * 1_000_001 + b'.py"]}']
    with open(events, "ab") as f:
        f.write(b"\n".join(hostile) + b"\n" + b'{"schema": "git_event.1", "partial')
    sensor, got = _sensor(repo)
    assert await sensor.scan_once() == 2  # only the real commit's json.py / subprocess.py
    assert sorted(e.target_files[0] for e in got) == ["json.py", "subprocess.py"]
    assert sensor.problem is None
    # The half-written last line is read once the hook finishes it.
    (repo / "good.py").write_text('"""Good."""\ndef f():\n    pass\n')
    with open(events, "ab") as f:
        f.write(b'": 1}\n' + json.dumps({"schema": "git_event.1", "commit": "y",
                                         "files": ["good.py"]}).encode() + b"\n")
    assert await sensor.scan_once() == 1 and got[-1].target_files == ("good.py",)
    # The events file replaced by a symlink is never followed; status says why.
    events.unlink()
    events.symlink_to(repo / "good.py")
    assert await sensor.scan_once() == 0 and "git_events.jsonl" in sensor.problem


@pytest.mark.slow
async def test_a_running_daemon_queues_the_commit_the_hook_recorded(tmp_path, capsys):
    repo = make_repo(tmp_path)
    assert cli(["install-hooks", "--repo", str(repo)]) == 0
    settings = settings_for(None, intake={"todo_scanner": False, "opportunity_miner": False})
    daemon = Daemon(repo, settings)
    got: list[SignalEnvelope] = []
    submit = daemon.submit

    async def seen(env: SignalEnvelope) -> bool:  # observe what reaches the router
        got.append(env)
        return await submit(env)

    daemon.submit = seen
    docs = lambda: [e.target_files for e in got if e.source == "doc_staleness"]  # noqa: E731
    async with running_daemon(repo, settings, daemon):
        commit(repo, {"calc/undocumented.py": UNDOCUMENTED})  # the real hook fires
        await wait_for(docs, what="the first commit's envelope")
        # Well after the start-up scan: only the watcher (.git changed) can deliver this one.
        commit(repo, {"calc/more.py": UNDOCUMENTED})
        await wait_for(lambda: len(docs()) == 2, what="the watcher -> DocStaleness envelope")
    assert docs() == [("calc/undocumented.py",), ("calc/more.py",)]


async def test_a_line_longer_than_one_read_is_skipped_not_stuck_on(repo, monkeypatch):
    monkeypatch.setattr(doc_staleness, "MAX_READ_BYTES", 4096)
    (repo / "a.py").write_text("def f():\n    pass\n")
    events = repo / ".ouroboros" / hooks.EVENTS
    events.parent.mkdir()
    good = json.dumps({"schema": "git_event.1", "commit": "c", "files": ["a.py"]}).encode()
    events.write_bytes(b"x" * 10_000 + b"\n" + good + b"\n")
    sensor, got = _sensor(repo)
    found = [await sensor.scan_once() for _ in range(4)]
    assert sum(found) == 1 and got[0].target_files == ("a.py",)
