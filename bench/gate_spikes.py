"""How long real load spikes hold the host gate (daemon.host.gate): the measure behind
`health.max_wait_s`, the gate's bound (daemon.host.overdue; docs/operations.md, "The bound").

    .venv/bin/python -m bench.gate_spikes             # every workload below
    .venv/bin/python -m bench.gate_spikes --watch 1800  # the machine as it is, 30 minutes
    .venv/bin/python -m bench.gate_spikes --courtesy    # what the bound's nice 19 costs you

A workload runs as a child process tree. Every second its tasks in R or D are counted
(daemon.host.health.own_runnable: what the kernel's load average counts of them) and
folded into the kernel's 1-minute average (daemon.host.verdict.own_load): the spike's own
share of the load average, whatever else the machine runs. On a shared box the machine's
total may never fall under the gate's marks, so that share is the clean measure. The bench
prints when the gate, on a machine otherwise at rest, would close (the share above
max_load_share x cores) and reopen (below resume_load_share x cores) under the defaults.
The workloads run at nice 19: the load average counts a runnable task whatever its nice
value, so the measure is the same and the machine's other users lose less.

`--watch` reads /proc/loadavg every 5 s and prints how long the default gate stayed closed
(its intervals, and the one still open at the end) and how often the 5- and 15-minute
figures were both above the mark (doctor's warning).

`--courtesy` times a fixed piece of the human's CPU work (two processes at the bench's own
nice value) alone, beside two busy processes at nice 10 (the daemon's usual level) and
beside two at nice 19 (the bound's op), three times each, interleaved.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.host import machine
from daemon.config.health import HealthSection
from daemon.host.health import load_averages, own_runnable
from daemon.host.verdict import own_load

ROOT = Path(__file__).resolve().parents[1]
BUSY = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass\n"


def workloads(cores: int) -> dict[str, list[str]]:
    """A build that fills the cores for 2 minutes; one oversubscribed twice (make -j 2N);
    a byte-compile of a large package tree at -j 2N; the test run a human starts."""
    py, site = sys.executable, Path(sys.prefix) / "lib"
    busy = [py, "-c", "import subprocess, sys\n"
            "ps = [subprocess.Popen([sys.executable, '-c', sys.argv[2]]) "
            "for _ in range(int(sys.argv[1]))]\n[p.wait() for p in ps]"]
    return {
        f"build: {cores} busy x 120 s": [*busy, str(cores), BUSY.format(s=120)],
        f"build -j{2 * cores}: {2 * cores} busy x 120 s": [*busy, str(2 * cores),
                                                          BUSY.format(s=120)],
        f"compileall -j{2 * cores} of the venv": [py, "-m", "compileall", "-f", "-q",
                                                 f"-j{2 * cores}", str(site)],
        "pytest tests/daemon/host (not slow)": [py, "-m", "pytest", "-q", "-p",
                                                "no:cacheprovider", "-m", "not slow",
                                                "tests/daemon/host"],
    }


def spike(argv: list[str], cores: int, health: HealthSection) -> dict[str, float | None]:
    """Run `argv` and follow its share of the load until it is under the resume mark."""
    close, resume = health.max_load_share * cores, health.resume_load_share * cores
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, preexec_fn=lambda: os.nice(19))
        start = last = time.monotonic()
        share, peak = 0.0, 0.0
        closed_at = ended_at = reopened_at = None
        while reopened_at is None:
            time.sleep(1.0)  # a bench's sampler: the kernel itself samples on a timer
            now = time.monotonic()
            running = proc.poll() is None
            n = own_runnable(Path("/proc"), proc.pid) if running else 0
            share, last = own_load(share, n, now - last), now
            peak = max(peak, share)
            if not running and ended_at is None:
                ended_at = now - start
            if closed_at is None and share > close:
                closed_at = now - start
            if ended_at is not None and (closed_at is None or share < resume):
                reopened_at = now - start if closed_at is not None else ended_at
    held = None if closed_at is None else reopened_at - closed_at
    return {"lasted_s": ended_at, "peak": peak, "closes_at_s": closed_at,
            "reopens_at_s": reopened_at if closed_at is not None else None, "held_s": held}


def watch(seconds: float, cores: int, health: HealthSection) -> None:
    close, resume = health.max_load_share * cores, health.resume_load_share * cores
    held_since: float | None = None
    intervals: list[float] = []
    both = samples = 0
    lows = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        one, five, fifteen = load_averages(Path("/proc"))
        now = time.monotonic()
        if one is not None:
            samples += 1
            lows.append(one)
            both += five is not None and fifteen is not None and five > close and fifteen > close
            if held_since is None and one > close:
                held_since = now
            elif held_since is not None and one < resume:
                intervals.append(now - held_since)
                held_since = None
        time.sleep(5.0)
    still = None if held_since is None else time.monotonic() - held_since
    print(f"{samples} samples over {seconds:.0f} s; load1 min {min(lows):.2f}, median "
          f"{sorted(lows)[len(lows) // 2]:.2f}, max {max(lows):.2f}")
    print(f"gate closed intervals (s): {[round(i) for i in intervals]}; still closed at the "
          f"end after {still:.0f} s" if still is not None else "; open at the end")
    print(f"load5 and load15 both above {close:.1f}: {both / max(samples, 1):.0%} of samples")


HUMAN_WORK = "n = 0\nfor i in range(25_000_000):\n    n += i\n"
SPIN = "while True:\n    pass\n"


def _human_work() -> float:
    start = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", HUMAN_WORK]) for _ in range(2)]
    for p in procs:
        p.wait()
    return time.monotonic() - start


def _beside(nice: int | None) -> float:
    """The human's work, alone (None) or beside two busy processes at `nice`."""
    if nice is None:
        return _human_work()
    hogs = [subprocess.Popen([sys.executable, "-c", SPIN],
                             preexec_fn=lambda: os.nice(nice)) for _ in range(2)]
    try:
        return _human_work()
    finally:
        for h in hogs:
            h.kill()
            h.wait()


def courtesy() -> None:
    runs: dict[str, list[float]] = {"alone": [], "beside nice 10": [], "beside nice 19": []}
    for _ in range(3):
        for times, nice in zip(runs.values(), (None, 10, 19), strict=True):
            times.append(_beside(nice))
    for name, times in runs.items():
        print(f"{name:15} {[round(t, 1) for t in times]}  median {sorted(times)[1]:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watch", type=float, help="seconds of /proc/loadavg to follow")
    parser.add_argument("--only", help="run the workloads whose name contains this")
    parser.add_argument("--courtesy", action="store_true", help="the human's work beside "
                        "busy processes at nice 10 and 19")
    args = parser.parse_args()
    cores, health = os.cpu_count() or 1, HealthSection()
    print(machine())
    if args.watch:
        watch(args.watch, cores, health)
        return
    if args.courtesy:
        courtesy()
        return
    print(f"gate marks: closes above {health.max_load_share * cores:.1f}, reopens below "
          f"{health.resume_load_share * cores:.1f} (the spike's own share of the load)")
    for name, argv in workloads(cores).items():
        if args.only and args.only not in name:
            continue
        r = spike(argv, cores, health)
        fmt = {k: ("-" if v is None else f"{v:.0f}" if k != "peak" else f"{v:.2f}")
               for k, v in r.items()}
        print(f"{name:42} lasted {fmt['lasted_s']:>4} s  peak {fmt['peak']:>5}  closes at "
              f"{fmt['closes_at_s']:>4} s  reopens at {fmt['reopens_at_s']:>4} s  held "
              f"{fmt['held_s']:>4} s")


if __name__ == "__main__":
    main()
