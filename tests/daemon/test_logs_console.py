"""Logs a person reads and logs a machine reads: the format chosen by the stream (a real
PTY for `ouroboros run`, a pipe for journald), the console line's shape, colours only on a
TTY and never with NO_COLOR, text from outside that cannot drive the terminal, secrets
redacted in both formats, and the "still working" heartbeat of a long phase."""

from __future__ import annotations

import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from daemon import logs
from daemon.cli.render import chain_text, op_list_text
from daemon.console import LINE_CAP, REASON_CAP, ConsoleLines, brief, cost_words, cut
from daemon.status.heartbeat import Heartbeat, InPhase
from daemon.status.text import status_text
from tests.helpers import (
    OPS_FIXED,
    candidate_turn,
    make_repo,
    running_daemon,
    script_turn,
    settings_for,
    wait_for,
    wait_terminal,
    write_script,
)
from tests.status_sample import sample_status

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
KEY = "sk-ant-api03-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCD"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _reset_structlog():
    yield
    structlog.reset_defaults()


@pytest.mark.parametrize(("setting", "tty", "chosen"), [
    ("auto", True, "console"), ("auto", False, "json"),
    ("console", False, "console"), ("json", True, "json"),
])
def test_the_format_follows_the_stream_unless_set(setting, tty, chosen):
    assert logs.choose_format(setting, Tty() if tty else io.StringIO()) == chosen


@pytest.mark.parametrize(("tty", "environ", "colours"), [
    (True, {}, True), (False, {}, False), (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),  # no-color.org: set AND not empty
    (True, {"TERM": "dumb"}, False),
])
def test_colours_only_on_a_tty_and_never_with_no_color(tty, environ, colours):
    assert logs.colours_wanted(Tty() if tty else io.StringIO(), environ) is colours


def _line(**event: object) -> str:
    return ConsoleLines()(None, "info", {"timestamp": "12:31:53", "level": "info", **event})


@pytest.mark.parametrize(("event", "line"), [
    ({"event": "phase", "op_id": "op-1", "phase": "GENERATE"}, "12:31:53 phase op-1 GENERATE"),
    ({"event": "service state", "frm": "STARTING", "to": "ACTIVE", "why": ""},
     "12:31:53 service state ACTIVE"),
    ({"event": "signal", "source": "todo_scanner", "goal": "Resolve the TODO", "queued": True},
     "12:31:53 signal todo_scanner Resolve the TODO queued=True"),
    ({"event": "model loaded", "model": "m.gguf", "load_s": 0.8, "extra": None},
     "12:31:53 model loaded m.gguf load_s=0.8"),
    ({"event": "sensor scan", "found": {"todo": 1}, "why": "two words"},
     '12:31:53 sensor scan found={"todo":1} why="two words"'),
])
def test_a_console_line_is_short_and_plain(event, line):
    assert _line(**event) == line


def test_text_from_outside_cannot_drive_the_terminal_or_forge_a_line():
    hostile = "fix\x1b[2J\nINFO forged line\x9b31m"
    line = _line(event="signal", source="todo", goal=hostile, note=hostile)
    assert "\x1b" not in line and "\n" not in line and "\x9b" not in line
    assert line.count("\\u001b") == 2 and line.count("\\u009b") == 2
    event = ConsoleLines()(None, "error", {"event": "boom\x1b]0;x\x07", "exception":
                                           "Traceback\n  line 1\x1b[31m"})
    first, *rest = event.splitlines()
    assert first == "ERROR boom\\u001b]0;x\\u0007" and rest == ["Traceback", "  line 1\\u001b[31m"]


def test_long_values_are_capped_in_the_console_only():
    out = Tty()
    logs.configure("info", fmt="console", stream=out, environ={"NO_COLOR": "1"})
    structlog.get_logger("t").info("thought", op_id="op-1", phase="PLAN", msg="x" * 500)
    line = out.getvalue().strip()
    assert len(line) < 160 and line.endswith("…")


def test_a_busy_event_stops_at_the_line_cap_and_counts_the_rest():
    fields = {f"k{i:02}": "v" * 20 for i in range(20)}
    line = _line(event="thought", op_id="op-1", phase="GENERATE", msg="m", **fields)
    shown = re.findall(r"k\d\d=", line)
    assert line.endswith(f" …+{20 - len(shown)}") and 0 < len(shown) < 20
    assert len(line) <= LINE_CAP
    assert "k00=" in _line(event="e", k00="w" * 500, k01="x")  # the first field always shows


def test_colours_are_ansi_on_a_tty_and_absent_with_no_color():
    for environ, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        out = Tty()
        logs.configure("info", stream=out, environ=environ)
        structlog.get_logger("t").warning("provider failed", why="down")
        text = out.getvalue()
        assert bool(ANSI.search(text)) is coloured
        assert re.fullmatch(r"\d\d:\d\d:\d\d WARN provider failed why=down\n", ANSI.sub("", text))


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_secrets_are_redacted_in_both_formats(fmt):
    out = io.StringIO()
    logs.configure("info", fmt=fmt, stream=out, environ={})
    structlog.get_logger("t").warning("provider failed", error=ValueError(f"bad key {KEY}"))
    text = out.getvalue()
    assert "provider failed" in text and KEY not in text and "[REDACTED:" in text
    if fmt == "json":
        assert json.loads(text)["event"] == "provider failed"


def test_json_keeps_every_field_in_full():
    out = io.StringIO()
    assert logs.configure("info", stream=out, environ={}) == "json"  # not a TTY
    structlog.get_logger("t").info("thought", msg="y" * 500, why="")
    record = json.loads(out.getvalue())
    assert record["msg"] == "y" * 500 and record["why"] == "" and "T" in record["timestamp"]


# -- `ouroboros run` on a real terminal and into a pipe ------------------------------------

def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OUROBOROS_") and k != "NO_COLOR"}
    return {**env, "OUROBOROS_PROVIDER__NAME": "none", "TERM": "xterm", **extra}


def _read_until(fd: int, needle: bytes, timeout_s: float = 60) -> bytes:
    """What `fd` gives until `needle` shows (select waits on the stream, never a sleep)."""
    seen, deadline = b"", time.monotonic() + timeout_s
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {needle!r} in {seen!r}"
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the PTY closed: the process is gone
                chunk = b""
            assert chunk, f"stream ended before {needle!r}: {seen!r}"
            seen += chunk
    return seen


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


@pytest.mark.slow
def test_run_on_a_terminal_prints_short_coloured_lines(tmp_path):
    repo = make_repo(tmp_path / "repo")
    main, child = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "run", "--repo", str(repo)],
                            stdin=subprocess.DEVNULL, stdout=child, stderr=child, cwd=ROOT,
                            env=_env())
    os.close(child)
    try:
        seen = _read_until(main, b"DEGRADED")
    finally:
        _stop(proc)
        os.close(main)
    text = ANSI.sub("", seen.decode()).replace("\r\n", "\n")
    assert ANSI.search(seen.decode())  # coloured: stderr is a TTY
    assert re.search(r"^\d\d:\d\d:\d\d service state STARTING$", text, re.MULTILINE), text
    assert "{" not in text.split("service state STARTING")[0]  # no JSON on a terminal


@pytest.mark.slow
def test_run_into_a_pipe_writes_json_lines(tmp_path):
    repo = make_repo(tmp_path / "repo")
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "run", "--repo", str(repo)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    try:
        seen = _read_until(proc.stderr.fileno(), b"DEGRADED")
    finally:
        _stop(proc)
        proc.stderr.close()
    records = [json.loads(line) for line in seen.decode().splitlines() if line.endswith("}")]
    assert {"event": "service state", "to": "STARTING"}.items() <= records[0].items()
    assert "\x1b" not in seen.decode()


# -- the heartbeat -------------------------------------------------------------------------

@pytest.mark.parametrize(("ages", "said"), [
    ([9.9], []), ([10.0], [10.0]), ([10.0, 15.0], [10.0]), ([10.0, 20.5], [10.0, 20.5]),
    ([25.0], [25.0]),  # a late wake-up says it once, not once per missed beat
])
def test_one_line_per_beat_while_an_op_stays_in_its_phase(ages, said):
    heart = Heartbeat(10.0)
    got = []
    for age in ages:
        got += [round(s, 1) for _, s in heart.due([InPhase("op-1", "GENERATE", 100.0)],
                                                  100.0 + age)]
    assert got == said


def test_a_new_phase_starts_the_count_again_and_the_wait_is_exact():
    heart = Heartbeat(10.0)
    assert heart.due([InPhase("op-1", "GENERATE", 0.0)], 12.0)
    assert heart.due([InPhase("op-1", "VALIDATE", 11.0)], 12.0) == []
    assert heart.next_due([InPhase("op-1", "VALIDATE", 11.0)], 12.0) == pytest.approx(9.0)
    assert heart.next_due([], 12.0) == 10.0
    with pytest.raises(ValueError):
        Heartbeat(0)


@pytest.mark.slow
async def test_a_long_model_call_logs_still_working(tmp_path):
    repo = make_repo(tmp_path / "repo")
    slow = {**json.loads(candidate_turn("calc/ops.py", OPS_FIXED)), "delay_s": 3}
    script = write_script(tmp_path / "s.jsonl", json.dumps(slow))
    settings = settings_for(script, daemon={"heartbeat_s": 0.2}, tools={"enabled": False})
    with capture_logs() as seen:
        async with running_daemon(repo, settings) as d:
            await d.signal("clamp x into [lo, hi]", ["calc/ops.py"], "high")

            def beats() -> list[dict]:  # the model call's (a loaded box beats in CLASSIFY too)
                return [e for e in seen if e["event"] == "still working"
                        and e.get("phase") in ("PLAN", "GENERATE")]
            await wait_for(beats, what="a still-working line from the model call")
    beat = beats()[0]
    assert beat["op_id"].startswith("op-")
    assert beat["for_s"] >= 0 and beat["log_level"] == "info"


# -- an op that ends without a commit says why ---------------------------------------------

def test_the_reason_comes_last_and_whole_up_to_its_cap():
    why = brief("GENERATE: no usable candidate after 3 unusable replies; " + "word " * 60)
    line = _line(event="op finished", op_id="op-0123456789abcdef", terminal="POSTMORTEM",
                 cost_usd=0.001425, commit=None, why=why)
    head, tail = line.split(" why=")
    assert head == "12:31:53 op finished op-0123456789abcdef POSTMORTEM cost=$0.0014"
    assert json.loads(tail) == why and len(why) <= REASON_CAP
    assert "why" not in _line(event="op finished", op_id="op-1", terminal="COMPLETE",
                              commit="abc123", why=None)


@pytest.mark.parametrize(("text", "said"), [
    ("tests failed:\n  test_a\n  test_b", "tests failed: test_a test_b"),
    ("x" * 200, "x" * (REASON_CAP - 1) + "…"),  # no word near the cap: cut there
    ("word " * 50, ("word " * 32).strip() + "…"),  # else at the last whole word that fits
    ("", ""),
])
def test_a_brief_reason_is_one_line_cut_at_a_word(text, said):
    assert brief(text) == said and len(said) <= REASON_CAP


async def _one_failing_op(tmp_path: Path) -> tuple[list[dict], dict]:
    """A real daemon whose one op ends POSTMORTEM (no usable reply): what it logged, from
    its start to its stop, and the op's chain."""
    repo = make_repo(tmp_path / "repo")
    script = write_script(tmp_path / "s.jsonl", *[script_turn("no JSON here")] * 12)
    settings = settings_for(script, tools={"enabled": False})
    with capture_logs() as seen:
        async with running_daemon(repo, settings) as d:
            await d.signal("clamp x into [lo, hi]", ["calc/ops.py"], "high")
            [op] = await wait_terminal(d)
            chain = await d.ledger.chain(op["op_id"])
            await wait_for(lambda: _events(seen, "op finished"), what="the op finished line")
    return seen, chain


def _events(seen: list[dict], name: str) -> list[dict]:
    return [e for e in seen if e["event"] == name]


async def test_an_op_that_fails_says_its_ledger_reason_on_its_finished_line(tmp_path):
    seen, chain = await _one_failing_op(tmp_path)
    [line], last = _events(seen, "op finished"), chain["transitions"][-1]
    assert line["terminal"] == last["to_phase"] != "COMPLETE"
    assert line["why"] == brief(last["reason"]) and line["why"]


async def test_the_test_environment_is_said_once_at_start(tmp_path):
    """The dispatcher, the suite profile's learner and each op build test runners: only
    the dispatcher's start says which interpreter runs the tests."""
    seen, _ = await _one_failing_op(tmp_path)
    [said] = _events(seen, "test environment")
    assert "python" in said["env"]


# -- where a long value is cut ---------------------------------------------------------------

ORDINAL = ("Fix 9 failing tests of ordinal: test_ordinal[13-13th], test_ordinal[113-113th], "
           "test_ordinal[-113--113th], test_ordinalize[13-13th] and five more")


@pytest.mark.parametrize(("text", "cap", "said"), [
    ("Resolve the TODO: strip a trailing underscore from the name", 30,
     "Resolve the TODO: strip a…"),  # not `strip a trail…`
    (ORDINAL, 60, "Fix 9 failing tests of ordinal: test_ordinal[13-13th]…"),
    (ORDINAL, 110, "Fix 9 failing tests of ordinal: test_ordinal[13-13th], "
                   "test_ordinal[113-113th], test_ordinal[-113--113th]…"),
    ("test_ordinal[-113--113th]", 20, "test_ordinal[…]"),  # the id alone: its base
    ("see test_ordinal[-113--113th]", 22, "see test_ordinal[…]"),
    ("tests/test_inflection.py::test_ordinal[-113--113th] fails", 40,
     "tests/test_inflection.py::test_ordinal…"),  # no room for its base: none of its brackets
    ("Fix /a/very/long/path/to/some/module/file_name.py", 30,
     "Fix /a/very/long/path/to/…"),  # a word too long: after a token inside it
    ("the stated candidate cannot be written: /Users/john-doe/.gitlabr2038s/inflection/"
     "__init__.py is outside the repository", 60,
     "the stated candidate cannot be written: /Users/john-doe/…"),  # the path's start stays
    ("x" * 50, 20, "x" * 19 + "…"),  # one token, no place to cut: at the cap
    ("short", 20, "short"),
])
def test_a_long_value_is_cut_before_a_word_and_never_inside_a_test_ids_brackets(text, cap,
                                                                                said):
    assert cut(text, cap) == said and len(said) <= cap


def test_the_signal_line_of_many_failing_tests_cuts_no_test_id():
    line = _line(event="signal", source="test_failure", goal=ORDINAL * 2, queued=True)
    goal = line.removeprefix("12:31:53 signal test_failure ").removesuffix(" queued=True")
    assert goal.endswith("…") and len(goal) <= 120
    assert re.fullmatch(r"(\S+\[[^\]]*\],? |\S+ )*\S+…", goal), goal  # brackets whole
    assert ORDINAL.startswith(goal.removesuffix("…"))


# -- a free model's dollars -------------------------------------------------------------------

@pytest.mark.parametrize(("usd", "nominal", "said"), [
    (0.001184, 0.001184, "$0.0012 nominal"),  # the in-process model alone
    (0.031, 0.0012, "$0.0310 ($0.0012 nominal)"),  # a hosted brain's money and the kernel's
    (0.031, 0.0, "$0.0310"),
    (0.0, 0.0, "$0"),
    (3.25, 0.0, "$3.25"),
])
def test_a_cost_says_which_part_is_nominal(usd, nominal, said):
    assert cost_words(usd, nominal) == said


def test_the_finished_line_says_a_nominal_cost_so():
    line = _line(event="op finished", op_id="op-1", terminal="POSTMORTEM", cost_usd=0.001184,
                 nominal_usd=0.001184, why="no usable candidate")
    assert line == ('12:31:53 op finished op-1 POSTMORTEM cost=$0.0012 nominal '
                    'why="no usable candidate"')


async def test_a_free_models_dollars_are_said_nominal_on_the_line_and_in_status(tmp_path):
    """A replay of the kernel's nominal charges (its turns marked nominal, as KernelProvider
    marks every reply): the finished line and `status` say the dollars are nominal."""
    repo = make_repo(tmp_path / "repo")
    turn = {**json.loads(script_turn("no JSON here", cost_usd=0.0005)), "nominal": True}
    script = write_script(tmp_path / "s.jsonl", *[json.dumps(turn)] * 12)
    with capture_logs() as seen:
        async with running_daemon(repo, settings_for(script, tools={"enabled": False})) as d:
            await d.signal("clamp x into [lo, hi]", ["calc/ops.py"], "high")
            await wait_terminal(d)
            await wait_for(lambda: _events(seen, "op finished"), what="the op finished line")
            text = status_text(await d.status())
            spent = await d.cost_today()
            [listed] = await d.ledger.operations()
            chain = chain_text(await d.ledger.chain(listed["op_id"]))
    [done] = _events(seen, "op finished")
    assert done["cost_usd"] == done["nominal_usd"] > 0 and spent == pytest.approx(
        done["cost_usd"])
    line = ConsoleLines()(None, "info", {**done, "timestamp": "12:31:53"})
    assert f" cost={cost_words(done['cost_usd'])} nominal " in line
    assert f"${spent:.4f} nominal  clamp x into [lo, hi]" in op_list_text([listed])  # ledger
    models = [ln for ln in chain.splitlines() if ln.lstrip().startswith("model ")]
    assert models and all(re.search(r" \$0\.0005 nominal \d+ms ", ln) for ln in models), chain
    [cost] = [ln for ln in text.splitlines() if ln.startswith("cost:")]
    assert cost == (f"cost:     ${spent:.4f} nominal today of $5.00 - nominal: the in-process "
                    "model's charge (provider.usd_per_mtok) bounds its compute; no money is "
                    "spent")


def test_status_cuts_a_queued_goal_and_says_an_ops_nominal_cost():
    status = sample_status(
        queue=[{"goal": ORDINAL, "source": "test_failure", "files": ["t.py"], "priority": 1}],
        in_flight=[{"op_id": "op-1", "phase": "GENERATE", "goal": ORDINAL, "risk": "SAFE_AUTO",
                    "cost_usd": 0.0004, "nominal_usd": 0.0004, "age_s": 3.0,
                    "waiting_for_model_s": None, "l2_iteration": None}],
        cost_today_usd=0.031, cost_today_nominal_usd=0.0012)
    lines = status_text(status).splitlines()
    assert "  - [1] test_failure: Fix 9 failing tests of ordinal: test_ordinal[13-13th], " \
           "test_ordinal[113-113th]…" in lines  # 90 characters: the third id left out whole
    assert "  - op-1 GENERATE risk=SAFE_AUTO $0.0004 nominal 3.0s" in lines
    assert [ln for ln in lines if ln.startswith("cost:")] == [
        "cost:     $0.0310 ($0.0012 nominal) today of $5.00 - nominal: the in-process model's "
        "charge (provider.usd_per_mtok) bounds its compute; no money is spent"]
