"""The `status` contract (daemon.status.model): what a real daemon answers survives
`Status.model_validate` and `wire` unchanged, an answer that does not fit is one line naming
the field (the CLI and the REPL), and the text renders from the model."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from daemon.cli import main as cli_main
from daemon.cli import repl
from daemon.control.client import ControlClient
from daemon.errors import CliError
from daemon.op_handle import OpHandle, ServiceState
from daemon.status.model import (
    BehindLock,
    InFlight,
    LiveSnapshot,
    Queued,
    Reviews,
    ServiceStateName,
    Status,
    wire,
)
from daemon.status.text import status_text
from governance.phase import Phase
from tests.helpers import add_todo_and_commit, op_context, running_daemon, settings_for
from tests.status_sample import QUIET, sample_status


def test_the_model_names_every_service_state():
    assert set(ServiceStateName.__args__) == {s.value for s in ServiceState}


@pytest.mark.slow
async def test_what_a_real_daemon_answers_round_trips_through_the_model(repo):
    """No provider, so the TODO stays queued; an op in L2 and an open question are put in
    by hand: every part of the answer has something in it."""
    async with running_daemon(repo, settings_for(None)) as daemon:
        add_todo_and_commit(repo)
        await _until(lambda: len(daemon.queue) == 1)
        handle = OpHandle(op_context(goal="repair it"), phase=Phase.L2_REPAIR)
        handle.ctx.l2_iteration = 2
        daemon.ops[handle.ctx.op_id] = handle
        asking = asyncio.create_task(daemon.questions.ask(handle.ctx.op_id, "which?", 30))
        await _until(lambda: daemon.questions.pending())
        try:
            reply = await asyncio.to_thread(
                ControlClient(daemon.state_dir / "control.sock").request, "status")
        finally:
            asking.cancel()
            daemon.ops.clear()
    data = reply["data"]
    status = Status.model_validate(data)
    assert wire(status) == data  # every key and value, nested ones included
    assert status.state == "DEGRADED" and status.failback is None
    [queued] = status.queue
    assert isinstance(queued, Queued) and queued.files == ["calc/ops.py"]
    [op] = status.in_flight
    assert (op.phase, op.l2_iteration, op.goal) == ("L2_REPAIR", "2 of 5", "repair it")
    assert status.questions == {handle.ctx.op_id: "which?"}
    assert status.grounding is not None and status.grounding.lessons is not None
    assert "with" in data["grounding"]["lessons"]  # the wire keeps the ledger's key
    assert "error" not in data["reviews"]  # said only when git could not list them


async def _until(predicate) -> None:
    for _ in range(600):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def test_optional_keys_stay_off_the_wire_until_they_say_something():
    quiet = wire(sample_status(grounding={"outcomes": 1, "brier": None, "drift": None}))
    assert quiet["grounding"] == {"outcomes": 1, "brier": None, "drift": None}
    assert quiet["reviews"] == {"count": 0, "items": []}
    failed = sample_status(reviews={"count": 2, "items": [], "error": "git broke"})
    assert wire(failed)["reviews"]["error"] == "git broke"


def test_a_queue_entry_is_queued_or_behind_a_lock():
    status = sample_status(queue=[
        {"goal": "a", "source": "todo_scanner", "files": ["x.py"], "priority": 3},
        {"goal": "b", "source": "human", "files": ["x.py"], "waiting_for": "todo:1"}])
    assert [type(q) for q in status.queue] == [Queued, BehindLock]
    assert wire(status)["queue"][1] == {"goal": "b", "source": "human", "files": ["x.py"],
                                        "waiting_for": "todo:1"}


def test_a_newer_daemons_extra_keys_are_ignored():
    newer = {**QUIET, "a_later_part": {"x": 1}, "reflex": {**QUIET["reflex"], "more": 2}}
    assert wire(Status.model_validate(newer)) == QUIET


def _without(key: str) -> dict:
    return {k: v for k, v in QUIET.items() if k != key}


MALFORMED = [
    (_without("reflex"), "reflex: Field required"),  # a daemon from before the reflex
    ({**QUIET, "state": "RUNNING"}, "state: Input should be 'INACTIVE'"),
    ({**QUIET, "in_flight": [{"op_id": "op-1"}]}, "in_flight.0.phase: Field required"),
    ({**QUIET, "host": {**QUIET["host"], "cores": "many"}}, "host.cores: Input should be"),
    ([], "(the whole answer): Input should be a valid dictionary"),
]


@contextlib.contextmanager
def _fake_daemon(sock_path: Path, data: object):
    """A socket that answers one request as an older (or broken) daemon would."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(json_line({"ok": True, "data": data}))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join(10)
        server.close()


def json_line(obj: object) -> bytes:
    return json.dumps(obj).encode() + b"\n"


@pytest.mark.parametrize(("data", "said"), MALFORMED, ids=[m[1][:20] for m in MALFORMED])
def test_a_status_answer_that_does_not_fit_is_one_line_naming_the_field(repo, capsys,
                                                                        data, said):
    (repo / ".ouroboros").mkdir(mode=0o700)
    with _fake_daemon(repo / ".ouroboros" / "control.sock", data):
        code = cli_main(["status", "--repo", str(repo)])
    out, err = capsys.readouterr()
    assert code == 3 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("ouroboros: the daemon's status answer does not fit this client")
    assert said in line


class _Client:
    def __init__(self, data: object):
        self.data = data

    def request(self, *args, **kwargs) -> dict:
        return {"ok": True, "data": self.data}


def test_the_repl_says_it_and_keeps_going(capsys):
    follower = type("F", (), {"alive": True})()
    assert repl._handle(_Client(_without("reflex")), follower, "status") is None
    assert "error: the daemon's status answer does not fit" in capsys.readouterr().out
    assert repl._handle(_Client(QUIET), follower, "status") is None
    assert "state:    ACTIVE" in capsys.readouterr().out


def test_the_text_renders_from_the_model():
    status = sample_status(paused=True, queue=[
        {"goal": "g", "source": "human", "files": [], "waiting_for": "todo:1"}],
        in_flight=[{"op_id": "op-1", "phase": "GENERATE", "goal": "fix", "risk": "SAFE_AUTO",
                    "cost_usd": 0.01, "age_s": 3.0, "waiting_for_model_s": 1.5,
                    "l2_iteration": None}],
        commit_signing={"signed": False, "warning": "not signed"})
    text = status_text(status)
    assert text.splitlines()[:2] == ["state:    ACTIVE", "repo:     /r"]
    assert "dispatch: PAUSED" in text and "signing:  not signed" in text
    assert "  - [after todo:1] human: g" in text
    assert "  - op-1 GENERATE risk=SAFE_AUTO $0.0100 3.0s  waiting for the model 1.5s" in text


async def test_status_of_reads_only_what_its_protocol_names():
    """A plain object with StatusSource's members (and nothing else) is enough: status_of
    never reaches past the Protocol into the rest of the daemon."""
    from types import SimpleNamespace as NS

    from daemon.brains.embedded import ConfigRead
    from daemon.config.settings import Settings
    from daemon.status.view import StatusSource, status_of
    from tests.status_sample import IDLE_HOST, IDLE_STORAGE

    async def cost_today() -> float:
        return 0.25

    parts = dict(
        state=ServiceState.ACTIVE, degraded_reason="", paused=False,
        host=NS(snapshot=lambda: IDLE_HOST), storage=NS(snapshot=lambda: IDLE_STORAGE),
        root=Path("/r"), session_id="s-1",
        settings=Settings(), config_read=ConfigRead.now(Path("/r/ouroboros.toml")),
        provider=None, queue=None,
        reviews=NS(list=lambda: [], count=0), sensors=NS(problems=lambda: {"todo": "x"}),
        questions=NS(pending=lambda: {}), mcp=None, mcp_problems=[], ops={},
        model_gate=NS(holder=None), reflex_stats=NS(as_dict=lambda: QUIET["reflex"]),
        memory=None, signing=NS(status=lambda: QUIET["commit_signing"]), live=None,
        cost_today=cost_today)
    protocol = {n for n in StatusSource.__annotations__} | {"cost_today"}
    assert set(parts) == protocol  # the fake has exactly the Protocol's members
    status = await status_of(NS(**parts))
    assert (status.cost_today_usd, status.sensor_problems) == (0.25, {"todo": "x"})


def test_the_live_snapshot_shares_status_names_and_types():
    """The live page's first picture is typed like `status`: each of its fields is Status's
    field of the same name with the same type (reviews: the count Reviews carries)."""
    for name, field in LiveSnapshot.model_fields.items():
        if name == "in_flight":
            assert set(field.annotation.__args__[0].model_fields) - {"files", "source"} \
                <= set(InFlight.model_fields)
        elif name == "reviews":
            assert field.annotation is Reviews.model_fields["count"].annotation
        elif name == "review_kinds":  # Reviews' kinds, {} where status leaves them out
            assert Reviews.model_fields["kinds"].annotation == field.annotation | None
        else:
            assert field.annotation == Status.model_fields[name].annotation, name
    with pytest.raises(ValidationError):
        LiveSnapshot.model_validate({"state": "NAPPING", "paused": False, "in_flight": [],
                                     "queue": [], "reviews": 0})


def test_status_prints_the_daemons_text_and_reads_an_older_daemons_data(capsys):
    """The daemon sends `status` rendered beside its data, and the CLI prints that text; a
    reply without one (an older daemon's) is read through the model and rendered here, the
    same text; a reply that fits neither is refused in one line."""
    from daemon.cli.socket_commands import print_reply

    status = sample_status(queue=[{"goal": "g", "source": "todo", "files": [], "priority": 2}])
    text = status_text(status)
    assert print_reply("status", {"ok": True, "data": wire(status), "text": text}) == 0
    from_daemon = capsys.readouterr().out
    assert print_reply("status", {"ok": True, "data": wire(status)}) == 0
    assert capsys.readouterr().out == from_daemon == text + "\n"
    with pytest.raises(CliError, match="does not fit this client"):
        print_reply("status", {"ok": True, "data": {**wire(status), "paused": "maybe"}})


def test_failing_tests_nothing_works_on_are_said_and_stay_off_the_wire_when_none():
    """A first hour with a real model: its op gave up on five failing tests, and status
    said "queue: 0 waiting" and nothing else about them."""
    from daemon.status.text import TEST_FAILURE
    from governance.schemas import Source

    assert TEST_FAILURE == Source.TEST_FAILURE  # the text's copy of the name
    quiet = wire(sample_status())  # an older daemon's wire, unchanged
    assert "failing_tests" not in quiet and "failing_count" not in quiet
    tests = [f"tests/test_bump.py::test_{i}" for i in range(5)]
    idle = sample_status(failing_tests=tests, failing_count=5)
    text = status_text(idle)
    assert "failing:  5 test(s) in the suite's last runs: tests/test_bump.py::test_0" in text
    assert "+2" in text and "none of their work is queued, held back or in flight" in text
    held = sample_status(failing_tests=tests, failing_count=5, held_back=[
        {"key": "k", "op_id": "op-1", "event": "failed", "source": "test_failure",
         "until": None, "reason": "no usable candidate"}])
    assert "failing:  5" in status_text(held) and "none of their work" not in \
        status_text(held)
    # a test id is the repository's text: a terminal escape or a line break in a
    # hand-written suite_failures.json reaches the terminal as neither
    hostile = status_text(sample_status(failing_tests=["t.py::t[\x1b[2J\nfake: ok]"],
                                        failing_count=1))
    [line] = [ln for ln in hostile.splitlines() if ln.startswith("failing:")]
    assert "\x1b" not in hostile and "fake: ok" in line


def test_status_reads_the_failing_tests_file_and_a_broken_one_is_none(tmp_path):
    from daemon.start_failures import Known, known_failures

    path = tmp_path / "suite_failures.json"
    assert known_failures(path) == []
    path.write_text(Known(failing=["tests/test_a.py::test_x"]).model_dump_json())
    assert known_failures(path) == ["tests/test_a.py::test_x"]
    path.write_text("{not json")
    assert known_failures(path) == []
    # a link or a FIFO put in its place is nothing known, and never waited on
    path.unlink()
    (tmp_path / "elsewhere.json").write_text(Known(failing=["x.py::t"]).model_dump_json())
    path.symlink_to(tmp_path / "elsewhere.json")
    assert known_failures(path) == []
    path.unlink()
    os.mkfifo(path)
    assert known_failures(path) == []
