"""PerformanceRegressionSensor: real pytest-benchmark runs in the real VERIFY jail on a real
git repository, a slowdown committed between them; and the hostile cases: bad JSON, NaN,
paths out of the repository, a symlinked result, a timeout, no jail."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from pathlib import Path

import pytest

from daemon.config.settings import IntakeSection, Settings
from daemon.sensor_set import SensorSet
from governance.git.gitops import GitOps
from governance.oracle.interpreter import detect as detect_test_env
from governance.schemas import SignalEnvelope, Urgency
from sensors.bench_runner import JailedBench, read_capped
from sensors.perf_regression import (
    RESULTS_CAP,
    Baseline,
    BenchRun,
    PerformanceRegressionSensor,
    parse,
)
from tests.helpers import commit_files, git, jail_limits, tree_bytes, wait_for
from tools.jail import JailExecutor, bwrap_available

needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap unusable")

BENCH = """import time


def work():
    time.sleep({delay})


def test_work(benchmark):
    benchmark.pedantic(work, rounds=5, iterations=1)


def test_steady(benchmark):
    benchmark.pedantic(lambda: time.sleep(0.002), rounds=5, iterations=1)
"""
COMMAND = ["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "benches/",
           "--benchmark-json={json}"]


def _json(medians: dict[str, float]) -> str:
    return json.dumps({"benchmarks": [
        {"name": n.split("::")[-1], "fullname": n, "stats": {"median": m, "rounds": 5}}
        for n, m in medians.items()], "machine_info": {}, "commit_info": {}})


class Scripted:
    """Benchmark runs as given (the JSON a real run would write), counting the calls."""

    def __init__(self, *runs: BenchRun):
        self.runs, self.calls = list(runs), 0

    async def __call__(self) -> BenchRun:
        self.calls += 1
        return self.runs.pop(0)


def _sensor(tmp_path: Path, run, heads: list[str], threshold: float = 0.25):
    got: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        got.append(env)
        return True

    async def head() -> str:
        return heads[0]

    sensor = PerformanceRegressionSensor("s", emit, run=run, head=head,
                                         baseline=Baseline(tmp_path / "perf" / "baseline.json"),
                                         threshold=threshold)
    return sensor, got


@pytest.mark.slow
@needs_bwrap
async def test_a_committed_slowdown_becomes_one_envelope_from_real_jailed_runs(tmp_path):
    root = commit_files(tmp_path / "repo", {"benches/test_speed.py": BENCH.format(delay=0.002)})
    state = tmp_path / "state"
    jail = JailExecutor([Path.home(), root, state], jail_limits(),
                        [Path(sys.prefix), Path(sys.base_prefix)])
    test_env = functools.partial(detect_test_env, root, "auto", COMMAND, state_dir=state)
    bench = JailedBench(root, COMMAND, 120, jail, test_env, state / "bench")
    got: list[SignalEnvelope] = []

    async def emit(env):
        got.append(env)
        return True

    sensor = PerformanceRegressionSensor(
        "s", emit, run=bench, head=lambda: asyncio.to_thread(git, root, "rev-parse", "HEAD"),
        baseline=Baseline(state / "perf" / "baseline.json"), threshold=0.25)
    before = tree_bytes(root)
    assert await sensor.check() == 0, sensor.problem  # the first run is the baseline
    assert sensor.problem is None
    stored = Baseline(state / "perf" / "baseline.json").load()
    assert set(stored) == {"benches/test_speed.py::test_work", "benches/test_speed.py::test_steady"}
    assert await sensor.check() == 0 and got == []  # the same HEAD is not measured twice

    (root / "benches/test_speed.py").write_text(BENCH.format(delay=0.03))
    git(root, "commit", "-qam", "slower")
    assert await sensor.check() == 1, sensor.problem
    [env] = got
    assert env.source == "perf_regression" and env.target_files == ("benches/test_speed.py",)
    assert env.urgency is Urgency.HIGH  # 15x its baseline
    assert "test_work" in env.goal and "test_steady" not in env.goal
    [entry] = env.evidence["benchmarks"]
    assert entry["ratio"] > 5
    assert Baseline(state / "perf" / "baseline.json").load() == stored  # never moves
    assert tree_bytes(root) == before | {"benches/test_speed.py":
                                         BENCH.format(delay=0.03).encode()}
    assert list((state / "bench").iterdir()) == []  # the run directory is gone


async def test_threshold_new_benchmarks_and_rebaselining(tmp_path):
    a, b = "benches/test_a.py::test_x", "benches/test_b.py::test_y"
    heads = ["h1"]
    run = Scripted(BenchRun(_json({a: 1.0})), BenchRun(_json({a: 1.2, b: 2.0})),
                   BenchRun(_json({a: 1.3, b: 2.1})), BenchRun(_json({a: 1.3})))
    sensor, got = _sensor(tmp_path, run, heads)
    assert await sensor.check() == 0
    heads[0] = "h2"
    assert await sensor.check() == 0  # 1.2x is within the 25% threshold; b is new
    assert Baseline(tmp_path / "perf/baseline.json").load() == {a: 1.0, b: 2.0}
    heads[0] = "h3"
    assert await sensor.check() == 1  # 1.3x: over
    [env] = got
    assert env.target_files == ("benches/test_a.py",) and env.urgency is Urgency.NORMAL
    (tmp_path / "perf/baseline.json").unlink()  # the documented way to accept a slowdown
    heads[0] = "h4"
    assert await sensor.check() == 0
    assert Baseline(tmp_path / "perf/baseline.json").load() == {a: 1.3}


async def test_the_same_regression_on_a_later_commit_has_the_same_key(tmp_path):
    a = "benches/test_a.py::test_x"
    heads = ["h1"]
    run = Scripted(*(BenchRun(_json({a: m})) for m in (1.0, 2.0, 2.2)))
    sensor, got = _sensor(tmp_path, run, heads)
    for head in ("h1", "h2", "h3"):
        heads[0] = head
        await sensor.check()
    assert len(got) == 2 and got[0].dedup_key == got[1].dedup_key
    assert got[0].goal != got[1].goal  # each names its own HEAD


@pytest.mark.parametrize("text, why", [
    ("not json", "not pytest-benchmark JSON"),
    ('{"benchmarks": "x"}', "benchmarks"),
    (_json({"b.py::t": 0.0}), "median"),
    ('{"benchmarks": [{"name": "t", "fullname": "b.py::t", "stats": {"median": NaN}}]}',
     "not pytest-benchmark JSON"),
    (json.dumps({"benchmarks": [{"name": "t", "fullname": "b.py::t",
                                 "stats": {"median": 1e999}}]}), "not pytest-benchmark JSON"),
    ("[" * 100_000, "not pytest-benchmark JSON"),
    (" " * (RESULTS_CAP + 1), "over"),
])
async def test_unusable_json_queues_nothing_and_says_why(tmp_path, text, why):
    sensor, got = _sensor(tmp_path, Scripted(BenchRun(text)), ["h1"])
    assert await sensor.check() == 0 and got == []
    assert why in sensor.problem and "h1" in sensor.problem
    assert not (tmp_path / "perf/baseline.json").exists()
    with pytest.raises(ValueError):
        parse(text)


async def test_benchmarks_outside_the_repository_are_ignored_and_reported(tmp_path):
    bad = {"../../etc/passwd::t": 1.0, "/abs/bench.py::t": 1.0, "a\\b.py::t": 1.0}
    heads = ["h1"]
    sensor, got = _sensor(tmp_path, Scripted(BenchRun(_json(bad)),
                                             BenchRun(_json({k: 9.0 for k in bad}))), heads)
    await sensor.check()
    heads[0] = "h2"
    assert await sensor.check() == 0 and got == []
    assert "outside the repository" in sensor.problem


async def test_a_failed_run_is_reported_and_not_retried_for_the_same_head(tmp_path):
    run = Scripted(BenchRun(None, "the benchmark command timed out after 600s"))
    sensor, got = _sensor(tmp_path, run, ["h1"])
    assert await sensor.check() == 0 and got == []
    assert "timed out" in sensor.problem
    assert await sensor.check() == 0 and run.calls == 1


async def test_without_a_jail_nothing_runs_and_status_says_why(tmp_path):
    sensor = PerformanceRegressionSensor("s", None, run=None, head=None,
                                         baseline=Baseline(tmp_path / "b.json"), threshold=0.25,
                                         runner_problem="bubblewrap missing")
    assert await sensor.check() == 0 and "bubblewrap missing" in sensor.problem


async def test_scan_and_commits_wake_the_loop_which_never_runs_twice_at_once(tmp_path):
    gate, entered = asyncio.Event(), asyncio.Event()
    heads = ["h1"]

    class Slow(Scripted):
        async def __call__(self):
            entered.set()
            await gate.wait()
            return await super().__call__()

    run = Slow(BenchRun(_json({"b.py::t": 1.0})), BenchRun(_json({"b.py::t": 1.0})))
    sensor, _ = _sensor(tmp_path, run, heads)
    loop = asyncio.create_task(sensor.watch())
    assert await sensor.scan_once([]) == 0  # wakes; the result arrives as signals
    await asyncio.wait_for(entered.wait(), 10)  # the first run is under way
    await sensor.on_git_change()
    await sensor.scan_once([])
    gate.set()
    await wait_for(lambda: sensor.measured == "h1", 10, "the first run")
    assert run.calls == 1  # one HEAD, one run, however many wake-ups
    heads[0] = "h2"
    await sensor.on_git_change()
    # A second run for h1 would have taken h2's scripted result: h2 would never be measured.
    await wait_for(lambda: sensor.measured == "h2", 10, "the second run")
    assert run.calls == 2
    loop.cancel()


def test_a_symlink_or_fifo_in_the_out_dir_is_not_read(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(_json({"b.py::t": 1.0}))
    (tmp_path / "link.json").symlink_to(secret)
    assert read_capped(tmp_path / "link.json") is None
    os.mkfifo(tmp_path / "fifo.json")
    assert read_capped(tmp_path / "fifo.json") is None  # never blocks on a FIFO
    assert read_capped(secret) is not None


def test_config_refuses_a_command_that_writes_no_json():
    with pytest.raises(ValueError, match="json"):
        IntakeSection(perf_command=["pytest", "--benchmark-only"])
    assert IntakeSection(perf_command=["pytest", "--benchmark-json={json}"]).perf_threshold == 0.25


def test_the_daemon_builds_the_sensor_only_when_a_command_is_configured(tmp_path):
    root = commit_files(tmp_path / "repo", {"a.py": "x = 1\n"})

    def built(command: list[str], jail_reason: str | None):
        settings = Settings.model_validate({"intake": {"perf_command": command}})
        return SensorSet(settings, root, tmp_path / "state", "s", None, GitOps(root), None,
                         jail_reason, ()).hub().sensors.get("perf_regression")

    assert built([], None) is None
    sensor = built(COMMAND, "bubblewrap missing")
    assert isinstance(sensor, PerformanceRegressionSensor) and sensor.run is None
    assert "bubblewrap missing" in sensor.problem
    if bwrap_available() is None:
        assert isinstance(built(COMMAND, None).run, JailedBench)
