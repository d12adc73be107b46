"""`ouroboros signal`: a human-filed envelope over the control socket, through the router.

A real daemon (no provider, so nothing is dispatched and the queue can be read), the real
CLI in a subprocess, the real REPL on a pipe, and hostile requests straight on the socket.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from daemon.control.client import ControlClient
from daemon.control.request import Request, parse_request
from daemon.control.verbs import BY_NAME, FIELDS, URGENCIES
from governance.schemas import Urgency
from sensors.human import envelope_for
from sensors.repo_files import PathRefused
from tests.helpers import running_daemon, settings_for

ENTRY = "import sys; from daemon.cli import main; sys.exit(main())"


def _cli(repo, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUROBOROS_")}
    return subprocess.run([sys.executable, "-c", ENTRY, *argv, "--repo", str(repo)],
                          capture_output=True, text=True, env=env, timeout=60, input=stdin)


def _repl(repo, lines: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUROBOROS_")}
    return subprocess.run([sys.executable, "-c", ENTRY, "repl", "--repo", str(repo)],
                          capture_output=True, text=True, env=env, timeout=60,
                          input="\n".join(lines) + "\n")


def test_the_urgency_choices_are_the_schema_s():
    assert tuple(u.value for u in Urgency) == URGENCIES
    assert BY_NAME["signal"].fields == ("goal", "files", "urgency")
    assert all(f in Request.model_fields for f in FIELDS)


@pytest.mark.slow
async def test_the_cli_files_a_human_envelope_the_router_queues(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        first = await asyncio.to_thread(_cli, repo, "signal", "--goal", "clamp must clamp",
                                        "--file", "calc/ops.py", "--file", "calc//ops.py",
                                        "--urgency", "high")
        again = await asyncio.to_thread(_cli, repo, "signal", "--goal", "clamp must clamp",
                                        "--file", "calc/ops.py", "--json")
        queue = daemon.queue.snapshot()
    assert first.returncode == 0, first.stderr
    assert "signal: queued=True, files=['calc/ops.py'], urgency=high" in first.stdout
    assert [(q["source"], q["goal"], q["files"]) for q in queue] == [
        ("human", "clamp must clamp", ["calc/ops.py"])]
    reply = json.loads(again.stdout)  # same goal and files: the same dedup key
    assert again.returncode == 0 and reply["data"]["queued"] is False
    assert "already queued" in reply["data"]["why"]


REFUSED = [  # (files, what the error says)
    (["/etc/passwd"], "must be relative to the repository"),
    (["../outside.py"], ".."),
    (["calc/nope.py"], "no such file in the repository"),
    (["calc"], "not a regular file"),
    (["link.py"], "is a symbolic link"),
    (["linkdir/passwd"], "linkdir is a symbolic link"),
    ([".git/config"], "inside .git"),
    (["calc/ops.py", "calc/missing.py"], "calc/missing.py"),
    (["calc/ops.py\x00.txt"], "'calc/ops.py\\x00.txt'"),
]


@pytest.mark.slow
@pytest.mark.parametrize("files,fragment", REFUSED, ids=[r[0][-1] for r in REFUSED])
async def test_paths_that_are_not_repository_files_are_refused(repo, files, fragment):
    (repo / "link.py").symlink_to("/etc/passwd")
    (repo / "linkdir").symlink_to("/etc")
    async with running_daemon(repo, settings_for(None)) as daemon:
        client = ControlClient(daemon.state_dir / "control.sock")
        reply = await asyncio.to_thread(client.request, "signal", None, "",
                                        {"goal": "do it", "files": files})
        assert daemon.queue.snapshot() == []
    assert reply["ok"] is False and fragment in reply["error"], reply


BAD_REQUESTS = [  # raw socket lines that never reach the daemon's method
    ({"cmd": "signal", "goal": "x"}, "needs files"),
    ({"cmd": "signal", "files": ["calc/ops.py"]}, "needs goal"),
    ({"cmd": "signal", "goal": "", "files": ["calc/ops.py"]}, "goal"),
    ({"cmd": "signal", "goal": "x" * 2001, "files": ["calc/ops.py"]}, "goal"),
    ({"cmd": "signal", "goal": "ring \x07", "files": ["calc/ops.py"]}, "U+0007"),
    ({"cmd": "signal", "goal": "x", "files": "calc/ops.py"}, "files"),
    ({"cmd": "signal", "goal": "x", "files": []}, "files"),
    ({"cmd": "signal", "goal": "x", "files": ["a.py"] * 17}, "files"),
    ({"cmd": "signal", "goal": "x", "files": [3]}, "files.0"),
    ({"cmd": "signal", "goal": "x", "files": ["a" * 1025]}, "files.0"),
    ({"cmd": "signal", "goal": "x", "files": ["a.py"], "urgency": "urgent!"}, "urgency"),
    ({"cmd": "signal", "goal": "x", "files": ["a.py"], "priority": 0}, "priority"),
    ({"cmd": "signal", "goal": ["x"], "files": ["a.py"]}, "goal"),
    ({"cmd": "status", "goal": "x"}, "'status' takes no goal"),
    ({"cmd": "pause", "files": None}, "'pause' takes no files"),
]


@pytest.mark.parametrize("payload,fragment", BAD_REQUESTS)
def test_malformed_signal_requests_are_refused_by_the_parser(payload, fragment):
    refused = parse_request(json.dumps(payload).encode())
    assert isinstance(refused, dict) and refused["ok"] is False, refused
    assert fragment in refused["error"], refused


@pytest.mark.slow
async def test_a_blank_goal_is_refused_by_the_daemon(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        client = ControlClient(daemon.state_dir / "control.sock")
        reply = await asyncio.to_thread(client.request, "signal", None, "",
                                        {"goal": "   ", "files": ["calc/ops.py"]})
        assert daemon.queue.snapshot() == []
    assert reply == {"ok": False, "error": "the goal is empty"}


def test_the_dedup_key_is_the_goal_and_the_set_of_files(repo):
    one = envelope_for(repo, "s-1", "fix", ["calc/ops.py", "README.md"], "low")
    two = envelope_for(repo, "s-2", " fix ", ["README.md", "calc/ops.py", "README.md"], "high")
    other = envelope_for(repo, "s-1", "fix it", ["calc/ops.py", "README.md"])
    assert one.dedup_key == two.dedup_key != other.dedup_key
    assert two.target_files == ("README.md", "calc/ops.py") and two.urgency is Urgency.HIGH
    assert one.source == "human" and one.evidence == {"filed_by": "ouroboros signal"}
    with pytest.raises(PathRefused, match="no such file"):
        envelope_for(repo, "s-1", "fix", ["calc/ops.py", "gone.py"])


@pytest.mark.slow
async def test_the_repl_takes_the_cli_s_options(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        proc = await asyncio.to_thread(_repl, repo, [
            'signal --goal "add a docstring to clamp" --file calc/ops.py --urgency low',
            "signal --goal nofile",
            "signal --goal x --file calc/ops.py stray words",
            "signal --goal x --file calc/ops.py --urgency soon",
            "help", "quit"])
        queue = daemon.queue.snapshot()
    out = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stderr
    assert "ouroboros> signal: queued=True, files=['calc/ops.py'], urgency=low" in proc.stdout
    errors = [line for line in out if "error:" in line]
    assert len(errors) == 3, out
    assert "the following arguments are required: --file" in errors[0]
    assert "unrecognized arguments: stray words" in errors[1]
    assert "invalid choice: 'soon'" in errors[2]
    assert "signal --goal GOAL --file FILE ... [--urgency URGENCY]" in proc.stdout
    assert [q["goal"] for q in queue] == ["add a docstring to clamp"]


@pytest.mark.slow
def test_the_cli_refuses_a_signal_without_its_options(repo):
    proc = _cli(repo, "signal", "--goal", "x")
    assert proc.returncode == 2 and "--file" in proc.stderr
    proc = _cli(repo, "signal", "--goal", "x", "--file", "a.py", "--urgency", "now")
    assert proc.returncode == 2 and "invalid choice: 'now'" in proc.stderr
