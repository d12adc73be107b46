"""BacklogSensor: backlog.json items become envelopes; a malformed file queues nothing and
says why in status; the file is never written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.schemas import SignalEnvelope, Urgency
from sensors.backlog import FILE, BacklogSensor
from sensors.hub import SensorHub, UnknownSensor
from tests.helpers import settings_for


def _item(i: str, **kw) -> dict:
    return {"id": i, "goal": f"do {i}", "files": ["pkg/a.py"], **kw}


def _write(root: Path, data: object) -> None:
    (root / FILE).write_text(data if isinstance(data, str) else json.dumps(data))


async def _sensor(root: Path) -> tuple[BacklogSensor, list[SignalEnvelope]]:
    got: list[SignalEnvelope] = []

    async def emit(e: SignalEnvelope) -> bool:
        got.append(e)
        return True

    return BacklogSensor(root, "s", emit), got


async def test_open_items_become_envelopes_and_done_ones_are_skipped(tmp_path):
    _write(tmp_path, {"schema": "backlog.1", "items": [
        _item("B-1", urgency="high", confidence=0.95), _item("B-2", done=True),
        _item("B-3", files=["pkg/a.py", "pkg/b.py"])]})
    sensor, got = await _sensor(tmp_path)
    before = (tmp_path / FILE).read_bytes()
    assert await sensor.scan_once() == 2 and sensor.problem is None
    assert [e.evidence["backlog_id"] for e in got] == ["B-1", "B-3"]
    assert got[0].urgency is Urgency.HIGH and got[0].source == "backlog"
    assert got[1].target_files == ("pkg/a.py", "pkg/b.py")
    assert (tmp_path / FILE).read_bytes() == before  # read, never written
    # An edited item is new work; an unchanged one has the same key.
    _write(tmp_path, {"schema": "backlog.1", "items": [
        _item("B-1", urgency="high", confidence=0.95), {**_item("B-3"), "goal": "changed"}]})
    await sensor.scan_once()
    assert got[2].dedup_key == got[0].dedup_key and got[3].dedup_key != got[1].dedup_key


@pytest.mark.parametrize(("content", "why"), [
    ("{not json", "not JSON"),
    ({"items": []}, "schema"),
    ({"schema": "backlog.2", "items": []}, "schema"),
    ({"schema": "backlog.1", "items": [{"id": "x", "goal": "g"}]}, "items.0.files"),
    ({"schema": "backlog.1", "items": [_item("x", files=[])]}, "items.0.files"),
    ({"schema": "backlog.1", "items": [_item("x", urgency="asap")]}, "items.0.urgency"),
    ({"schema": "backlog.1", "items": [_item("x", confidence=2)]}, "items.0.confidence"),
    ({"schema": "backlog.1", "items": [_item("x", extra=1)]}, "items.0.extra"),
    ({"schema": "backlog.1", "items": [_item("x", files=["../etc/passwd"])]}, "items.0"),
    ({"schema": "backlog.1", "items": [_item("x", files=["/etc/passwd"])]}, "items.0"),
    ({"schema": "backlog.1", "items": [_item(str(i)) for i in range(201)]}, "items"),
    ([1, 2], "the file"),
], ids=["json", "no-schema", "wrong-schema", "no-files", "empty-files", "urgency",
        "confidence", "unknown-key", "climbing-path", "absolute-path", "too-many", "list"])
async def test_a_malformed_backlog_queues_nothing_and_says_why(tmp_path, content, why):
    _write(tmp_path, {"schema": "backlog.1", "items": [_item("ok")]})
    sensor, got = await _sensor(tmp_path)
    await sensor.scan_once()
    _write(tmp_path, content)
    assert await sensor.scan_once() == 0
    assert len(got) == 1  # nothing from the bad file, nothing lost from before
    assert sensor.problem is not None and sensor.problem.startswith(FILE)
    assert why in sensor.problem, sensor.problem


async def test_a_missing_or_non_utf8_or_symlinked_backlog(tmp_path):
    sensor, got = await _sensor(tmp_path)
    assert await sensor.scan_once() == 0 and sensor.problem is None  # no backlog: fine
    (tmp_path / FILE).write_bytes(b'{"schema": "backlog.1", "items": [\xff]}')
    assert await sensor.scan_once() == 0 and got == []
    (tmp_path / FILE).unlink()
    outside = tmp_path.parent / f"{tmp_path.name}-outside.json"
    outside.write_text(json.dumps({"schema": "backlog.1", "items": [_item("x")]}))
    (tmp_path / FILE).symlink_to(outside)
    assert await sensor.scan_once() == 0 and got == []  # a link is never read


async def test_the_hub_fans_events_out_and_scans_one_sensor_on_demand(tmp_path):
    _write(tmp_path, {"schema": "backlog.1", "items": [_item("B-1")]})
    sensor, got = await _sensor(tmp_path)
    hub = SensorHub({"backlog": sensor})
    await hub.on_paths(["pkg/other.py"])
    assert got == []
    await hub.on_paths([FILE])
    assert len(got) == 1
    assert await hub.scan([], only="backlog") == {"backlog": 1}
    with pytest.raises(UnknownSensor, match="sensors: backlog"):
        await hub.scan([], only="nope")
    _write(tmp_path, "{")
    await hub.scan([])
    assert list(hub.problems()) == ["backlog"]


@pytest.mark.slow
async def test_status_shows_a_malformed_backlog(repo: Path):
    from tests.helpers import running_daemon, wait_for

    _write(repo, "{broken")
    async with running_daemon(repo, settings_for(None)) as daemon:
        status = await wait_for(lambda: daemon.sensors.problems(), what="the scan")
        assert "backlog.json: not JSON" in status["backlog"]
        from daemon.status.text import status_text

        assert "sensor:   backlog: backlog.json: not JSON" in status_text(await daemon.status())


@pytest.mark.slow
async def test_ouroboros_scan_runs_the_sensors_on_demand(repo: Path):
    import asyncio

    from daemon.control.client import ControlClient
    from tests.helpers import running_daemon

    async with running_daemon(repo, settings_for(None)) as daemon:
        _write(repo, {"schema": "backlog.1", "items": [_item("B-9", files=["calc/ops.py"])]})
        client = ControlClient(daemon.state_dir / "control.sock")
        reply = await asyncio.to_thread(client.request, "scan", None, "backlog")
        assert reply == {"ok": True, "data": {"backlog": 1}}
        both = await asyncio.to_thread(client.request, "scan")
        assert both["ok"] and set(both["data"]) == set(daemon.sensors.sensors) >= {"todo",
                                                                                  "backlog"}
        bad = await asyncio.to_thread(client.request, "scan", None, "nope")
        assert not bad["ok"] and "no sensor 'nope'" in bad["error"]


class _Counting:
    problem = None

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    async def on_paths(self, paths):
        self.seen.append(sorted(paths))

    async def scan_once(self, files):
        return 0


async def test_the_hub_drops_events_for_files_whose_content_did_not_change(tmp_path):
    counting = _Counting()
    hub = SensorHub({"c": counting}, root=tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 1\n")
    await hub.on_paths(["a.py", "b.py"])
    await hub.on_paths(["a.py", "b.py"])  # touched, same bytes: nobody hears of it
    (tmp_path / "b.py").write_text("y = 2\n")
    await hub.on_paths(["a.py", "b.py"])
    (tmp_path / "a.py").unlink()
    await hub.on_paths(["a.py"])  # a deletion always passes
    (tmp_path / "a.py").write_text("x = 1\n")
    await hub.on_paths(["a.py"])  # back after a deletion: new again
    link = tmp_path / "l.py"
    link.symlink_to(tmp_path / "b.py")
    await hub.on_paths(["l.py"])
    await hub.on_paths(["l.py"])  # a symlink is never read: always passes
    assert counting.seen == [["a.py", "b.py"], ["b.py"], ["a.py"], ["a.py"], ["l.py"],
                             ["l.py"]]


async def test_the_hubs_memory_is_bounded(tmp_path, monkeypatch):
    import sensors.hub as hub_module

    monkeypatch.setattr(hub_module, "SEEN_LRU", 3)
    counting = _Counting()
    hub = SensorHub({"c": counting}, root=tmp_path)
    for i in range(5):
        (tmp_path / f"f{i}.py").write_text(f"{i}\n")
        await hub.on_paths([f"f{i}.py"])
    assert list(hub._seen) == ["f2.py", "f3.py", "f4.py"]
    await hub.on_paths(["f0.py"])  # forgotten: passes again
    assert counting.seen[-1] == ["f0.py"]


async def test_a_directory_or_fifo_event_passes_and_never_breaks_the_batch(tmp_path):
    import os

    counting = _Counting()
    hub = SensorHub({"c": counting}, root=tmp_path)
    (tmp_path / "pkg").mkdir()
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a.py").write_text("x = 1\n")
    await hub.on_paths(["pkg", "pipe", "a.py", "missing.py"])
    assert counting.seen == [["a.py", "missing.py", "pipe", "pkg"]]


@pytest.mark.parametrize("make", ["huge", "binary", "symlink", "directory"])
async def test_a_backlog_that_cannot_be_read_says_so_instead_of_looking_empty(tmp_path, make):
    """Before: read_source's None (over 1 MB, NUL bytes, a symlink, not a file) read as 'no
    backlog', so status was silent while every item was ignored."""
    path = tmp_path / FILE
    if make == "huge":
        _write(tmp_path, {"schema": "backlog.1", "items": [_item("x", goal="g" * 1999)] * 1}
               | {"pad": "x" * 2_000_000})
    elif make == "binary":
        path.write_bytes(b'{"schema": "backlog.1",\x00 "items": []}')
    elif make == "symlink":
        (tmp_path / "elsewhere.json").write_text('{"schema": "backlog.1", "items": []}')
        path.symlink_to(tmp_path / "elsewhere.json")
    else:
        path.mkdir()
    sensor, got = await _sensor(tmp_path)
    assert await sensor.scan_once() == 0 and got == []
    assert sensor.problem is not None and sensor.problem.startswith(f"{FILE}: not read"), \
        sensor.problem
