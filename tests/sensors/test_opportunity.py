"""OpportunityMiner: functions over the complexity threshold become low-urgency refactor
envelopes, once per growth; hostile files measure as nothing and never stop the sensor."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.config.settings import ConfigError, load_settings
from governance.schemas import SignalEnvelope, Urgency
from sensors.hub import SensorHub
from sensors.opportunity import OpportunitySensor, measure


def _func(name: str, complexity: int, indent: str = "") -> str:
    """A function whose McCabe complexity is exactly `complexity` (1 + one per `if`)."""
    body = "".join(f"{indent}    if x == {i}:\n{indent}        return {i}\n"
                   for i in range(complexity - 1))
    return f"{indent}def {name}(x):\n{body}{indent}    return -1\n"


def _sensor(root: Path, threshold: int = 10) -> tuple[OpportunitySensor, list[SignalEnvelope]]:
    got: list[SignalEnvelope] = []

    async def emit(e: SignalEnvelope) -> bool:
        got.append(e)
        return True

    return OpportunitySensor(root, "s", emit, threshold), got


def test_measure_names_methods_and_folds_nested_functions():
    text = ("class A:\n" + _func("m", 4, "    ") + _func("top", 2)
            + "def outer(x):\n    if x:\n        pass\n    def inner(y):\n"
            "        if y:\n            pass\n    return inner\n")
    found = {c.function: c.complexity for c in measure(text)}
    assert found == {"A.m": 4, "top": 2, "outer": 4}  # outer's if (2) + inner's graph (2)


async def test_complex_function_is_reported_once_until_it_grows(tmp_path):
    (tmp_path / "mod.py").write_text(_func("tangled", 12) + _func("simple", 3))
    sensor, got = _sensor(tmp_path)
    assert await sensor.scan_once(["mod.py", "README.md"]) == 1
    env = got[0]
    assert env.source == "opportunity_miner" and env.urgency is Urgency.LOW
    assert env.target_files == ("mod.py",)
    assert "tangled" in env.goal and "12" in env.goal and "threshold of 10" in env.goal
    assert env.evidence == {"function": "tangled", "line": 1, "complexity": 12, "threshold": 10}
    assert env.focus_lines == (1,)  # the function's first line
    # Saved again unchanged, scanned again: not re-emitted.
    await sensor.on_paths(["mod.py"])
    assert await sensor.scan_once(["mod.py"]) == 0 and len(got) == 1
    # It grew: new work, with a new key.
    (tmp_path / "mod.py").write_text(_func("tangled", 13) + _func("simple", 3))
    await sensor.on_paths(["mod.py"])
    assert len(got) == 2 and got[1].evidence["complexity"] == 13
    assert got[1].dedup_key != got[0].dedup_key
    # It shrank (no envelope), then grew back to 12: reported again, under 12's key.
    (tmp_path / "mod.py").write_text(_func("tangled", 11))
    await sensor.on_paths(["mod.py"])
    assert len(got) == 2
    (tmp_path / "mod.py").write_text(_func("tangled", 12))
    await sensor.on_paths(["mod.py"])
    assert len(got) == 3 and got[2].dedup_key == got[0].dedup_key


async def test_threshold_is_strictly_over_and_configurable(tmp_path):
    (tmp_path / "a.py").write_text(_func("at", 10) + _func("over", 11))
    sensor, got = _sensor(tmp_path)
    await sensor.scan_once(["a.py"])
    assert [e.evidence["function"] for e in got] == ["over"]
    low, got_low = _sensor(tmp_path, threshold=3)
    await low.scan_once(["a.py"])
    assert sorted(e.evidence["function"] for e in got_low) == ["at", "over"]
    with pytest.raises(ValueError, match="1 or more"):
        OpportunitySensor(tmp_path, "s", None, 0)


def test_config_default_and_refusal(tmp_path):
    assert load_settings(tmp_path).intake.complexity_threshold == 10
    (tmp_path / "ouroboros.toml").write_text("[intake]\ncomplexity_threshold = 0\n")
    with pytest.raises(ConfigError, match=r"intake\.complexity_threshold"):
        load_settings(tmp_path)


async def test_hostile_files_measure_as_nothing_and_never_stop_the_hub(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(_func("far", 20))
    root = tmp_path / "repo"
    root.mkdir()
    hostile = {
        "syntax.py": "def broken(:\n" + _func("x", 20),
        "deep.py": "x = " + "(" * 200_000 + ")" * 200_000 + "\n",  # exhausts the parser
        "binary.py": b"\x00\x01" + _func("b", 20).encode(),
        "latin.py": _func("l", 20).encode() + b"# \xff\n",
        "huge.py": _func("h", 20) + "#" * 1_100_000 + "\n",
    }
    for name, content in hostile.items():
        (root / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    os.symlink(outside / "secret.py", root / "link.py")
    os.mkfifo(root / "fifo.py")
    (root / "dir.py").mkdir()
    (root / "good.py").write_text(_func("tangled", 15))
    sensor, got = _sensor(root)
    files = [*hostile, "link.py", "fifo.py", "dir.py", "gone.py", "good.py", "\udcff.py"]
    hub = SensorHub({"opportunity": sensor})
    assert await hub.scan(files) == {"opportunity": 1}
    await hub.on_paths(files)
    assert [e.evidence["function"] for e in got] == ["tangled"]
    assert sensor.problem is None and set(sensor.seen) == {"good.py"}
    # Deleted: its memory goes, so a restored file is reported again.
    (root / "good.py").unlink()
    await sensor.on_paths(["good.py"])
    assert sensor.seen == {}
    (root / "good.py").write_text(_func("tangled", 15))
    await sensor.on_paths(["good.py"])
    assert len(got) == 2


async def test_the_poll_skips_unchanged_files_but_an_event_always_measures(tmp_path):
    grown = _func("tangled", 16)
    before = _func("tangled", 15)
    before += "#" * (len(grown) - len(before) - 1) + "\n"  # same size as `grown`
    path = tmp_path / "m.py"
    path.write_text(before)
    sensor, got = _sensor(tmp_path)
    assert await sensor.scan_once(["m.py"]) == 1
    st = os.stat(path)
    path.write_text(grown)  # same inode, same size; then the same mtime, as a coarse clock gives
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert await sensor.scan_once(["m.py"]) == 0  # a stat, no parse: looks unchanged
    await sensor.on_paths(["m.py"])
    assert [e.evidence["complexity"] for e in got] == [15, 16]
