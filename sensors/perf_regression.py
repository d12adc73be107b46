"""PerformanceRegressionSensor: a configured benchmark command, run jailed once per new
HEAD, its pytest-benchmark JSON compared to a stored baseline; a benchmark whose median got
slower than the baseline by more than the threshold becomes work.

The command (`intake.perf_command`) must write pytest-benchmark's JSON to `{json}`, e.g.
`["{python}", "-m", "pytest", "benchmarks/", "--benchmark-only", "--benchmark-json={json}"]`.
It runs read-only on the live tree in the same jail as VERIFY; without bubblewrap nothing
runs and `problem` says so.

Runs follow commits: the watcher's git-change event and every scan (at start, on the
safety-net poll, `ouroboros scan perf_regression`) wake the sensor's own loop, which
measures a HEAD not yet measured; a run in progress is never doubled, and the HEAD of a
failed run is not retried (the next commit is).

Baseline: `<state>/perf/baseline.json`, the median of each benchmark the first time it was
measured; later runs add new benchmarks and never move an existing one (a baseline that
followed every run would let a slowdown creep in a threshold at a time). To accept a
slowdown, delete the file: the next run becomes the baseline.

One envelope per benchmark file with regressions (source perf_regression; urgency high at
twice the baseline, else normal; confidence 0.8, timings being noisy) targeting that file,
its dedup key hashing the file, the regressed names and their baselines, so the same
regression seen on later commits is not new work. A file that is not valid pytest-benchmark
JSON, a failed or timed-out run, a benchmark outside the repository: nothing is queued and
`problem` (in `ouroboros status`) says why.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from governance.fs import atomic
from governance.fs.protected import normalize
from governance.schemas import SignalEnvelope, Source, Urgency
from sensors.errors import first_problem

log = structlog.get_logger("sensors.perf_regression")

SOURCE = Source.PERF_REGRESSION
RESULTS_CAP = 8 << 20  # bytes of benchmark JSON read at most
MAX_BENCHMARKS = 5000
HIGH_AT = 2.0  # a benchmark at twice its baseline is urgent
NAMES_IN_GOAL = 3


class BenchStats(BaseModel):
    model_config = ConfigDict(extra="ignore")

    median: float = Field(gt=0, allow_inf_nan=False)
    rounds: int = Field(default=1, ge=1)


class Benchmark(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=1000)
    fullname: str = Field(min_length=1, max_length=2000)
    stats: BenchStats


class BenchmarkFile(BaseModel):
    """The part of pytest-benchmark's `--benchmark-json` output this sensor reads."""

    model_config = ConfigDict(extra="ignore")

    benchmarks: list[Benchmark] = Field(max_length=MAX_BENCHMARKS)


@dataclass(frozen=True)
class BenchRun:
    """What one run of the benchmark command produced: its JSON text, or why there is none."""

    text: str | None
    problem: str | None = None


@dataclass(frozen=True)
class Regression:
    file: str
    name: str
    baseline: float
    median: float

    @property
    def ratio(self) -> float:
        return self.median / self.baseline


def parse(text: str) -> dict[str, float]:
    """{fullname: median seconds}. Raises ValueError with the reason for a bad file."""
    if len(text) > RESULTS_CAP:
        raise ValueError(f"benchmark JSON over {RESULTS_CAP} bytes")
    try:
        data = BenchmarkFile.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(f"not pytest-benchmark JSON: {first_problem(exc)}") from None
    return {b.fullname: b.stats.median for b in data.benchmarks}


def bench_file(fullname: str) -> str | None:
    """The repo-relative file a pytest-benchmark fullname names, if it is a clean path."""
    path = fullname.split("::", 1)[0]
    try:
        return normalize(path)
    except ValueError:
        return None


def regressions(baseline: Mapping[str, float], run: Mapping[str, float],
                threshold: float) -> list[Regression]:
    out = []
    for name, median in run.items():
        base = baseline.get(name)
        if base is not None and median / base > 1.0 + threshold:
            file = bench_file(name)
            if file is not None:
                out.append(Regression(file, name, base, median))
    return out


def envelope_for(found: list[Regression], session_id: str, head: str) -> SignalEnvelope:
    worst = max(found, key=lambda r: r.ratio)
    names = ", ".join(f"{r.name.split('::')[-1]} {r.ratio:.2f}x" for r in found[:NAMES_IN_GOAL])
    more = f" and {len(found) - NAMES_IN_GOAL} more" if len(found) > NAMES_IN_GOAL else ""
    key_text = json.dumps(sorted((r.name, r.baseline) for r in found))
    return SignalEnvelope(
        source=SOURCE, urgency=Urgency.HIGH if worst.ratio >= HIGH_AT else Urgency.NORMAL,
        target_files=(worst.file,), confidence=0.8, session_id=session_id,
        goal=(f"Performance regression in {worst.file}: {names}{more} slower than the "
              f"baseline (median) since {head[:12]}; find and fix the slowdown"),
        dedup_key="perf:" + hashlib.sha256(f"{worst.file}\0{key_text}".encode()).hexdigest()[:24],
        evidence={"head": head, "benchmarks": [
            {"name": r.name, "baseline_s": r.baseline, "median_s": r.median,
             "ratio": round(r.ratio, 4)} for r in found]})


class Baseline:
    """The stored medians (atomic writes; an unreadable file is treated as no baseline)."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): float(v) for k, v in data["medians"].items()
                    if math.isfinite(float(v)) and float(v) > 0}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def save(self, medians: Mapping[str, float], head: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps({"head": head, "medians": dict(sorted(medians.items()))}, indent=1)
        atomic.write_text(self.path, text)


class PerformanceRegressionSensor:
    """`check()` does the work; `watch()` (in the daemon's task group) runs it whenever
    `scan_once` or a commit (`on_git_change`) wakes it, so a benchmark that takes minutes
    never holds up the other sensors' scans or the watcher."""

    def __init__(self, session_id: str, emit: Callable[[SignalEnvelope], Awaitable[bool]], *,
                 run: Callable[[], Awaitable[BenchRun]] | None,
                 head: Callable[[], Awaitable[str | None]], baseline: Baseline,
                 threshold: float, runner_problem: str | None = None):
        self.session_id, self.emit, self.run, self.head = session_id, emit, run, head
        self.baseline, self.threshold = baseline, threshold
        self.problem: str | None = None if run else (
            f"benchmarks are not run: {runner_problem or 'no jail to run them in'}")
        self.measured: str | None = None  # the HEAD of the last completed run
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    async def on_paths(self, paths: Iterable[str]) -> None:
        """Benchmarks follow commits, not saves: file events are not this sensor's."""

    async def on_git_change(self) -> None:
        self._wake.set()

    async def scan_once(self, files: Iterable[str] = ()) -> int:
        """Wake the benchmark loop (it measures a HEAD not yet measured); its findings
        arrive as signals later, so this reports none."""
        self._wake.set()
        return 0

    async def watch(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.check()
            except Exception:  # the next commit or scan tries again
                log.exception("benchmark check failed")

    async def check(self) -> int:
        """Run the benchmarks if HEAD moved since the last run; the envelopes emitted."""
        if self.run is None:
            return 0
        async with self._lock:
            head = await self.head()
            if head is None or head == self.measured:
                return 0
            result = await self.run()
            self.measured = head  # a failed run is not retried for the same HEAD
            return await self._judge(result, head)

    async def _judge(self, result: BenchRun, head: str) -> int:
        try:
            if result.text is None:
                raise ValueError(result.problem or "the benchmark command wrote no JSON")
            run = parse(result.text)
        except ValueError as exc:
            self.problem = f"benchmark run at {head[:12]}: {exc}"
            log.warning("benchmark run unusable", head=head, why=str(exc))
            return 0
        stored = await asyncio.to_thread(self.baseline.load)
        found = regressions(stored, run, self.threshold)
        outside = sorted(n for n in run if bench_file(n) is None)
        self.problem = (f"benchmarks outside the repository ignored: {', '.join(outside[:3])}"
                        if outside else None)
        if any(n not in stored for n in run):
            await asyncio.to_thread(self.baseline.save, {**run, **stored}, head)
        by_file: dict[str, list[Regression]] = {}
        for r in found:
            by_file.setdefault(r.file, []).append(r)
        emitted = 0
        for group in by_file.values():
            emitted += bool(await self.emit(envelope_for(group, self.session_id, head)))
        log.info("benchmarks compared", head=head, measured=len(run), regressed=len(found))
        return emitted
