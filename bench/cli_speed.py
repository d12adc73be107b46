"""How fast the `ouroboros` CLI answers: the median wall time of N runs of each command.

Starts a real daemon (provider "none") on a fresh git repository in a temp dir, then times
`ouroboros status` against it (the text, which the daemon renders, and `--json`), `--help`,
`status --help`, and `python -c pass` as the baseline measured in the same run (the ratio
says what the CLI adds to bare start-up, so numbers from a loaded machine still compare).
Target: `status` at most 0.2 s on a 2-core box.

    .venv/bin/python bench/cli_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENTRY = "import sys; from daemon.cli import main; sys.exit(main())"


def ouroboros() -> list[str]:
    """The console script a user runs, or the same entry point when it is not installed."""
    script = Path(sys.executable).parent / "ouroboros"
    return [str(script)] if script.exists() else [sys.executable, "-c", ENTRY]


def median_s(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def start_daemon(repo: Path) -> subprocess.Popen:
    for args in (["init", "-q", "-b", "main"], ["-c", "user.name=b", "-c", "user.email=b@b",
                                                  "commit", "-q", "--allow-empty", "-m", "i"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    (repo / "ouroboros.toml").write_text('[provider]\nname = "none"\n')
    proc = subprocess.Popen([*ouroboros(), "run", "--repo", str(repo)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = repo / ".ouroboros" / "control.sock"
    deadline = time.monotonic() + 60
    while not sock.exists():  # a bench, not the daemon: polling for its socket is fine
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the daemon did not start")
        time.sleep(0.05)
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ob-bench-", dir="/tmp") as tmp:
        repo = Path(tmp)
        daemon = start_daemon(repo)
        try:
            cli = ouroboros()
            rows = {
                "python -c pass": median_s([sys.executable, "-c", "pass"], args.runs),
                "ouroboros status": median_s([*cli, "status", "--repo", tmp], args.runs),
                "ouroboros status --json": median_s([*cli, "status", "--json", "--repo", tmp],
                                                    args.runs),
                "ouroboros --help": median_s([*cli, "--help"], args.runs),
                "ouroboros status --help": median_s([*cli, "status", "--help"], args.runs),
            }
        finally:
            os.kill(daemon.pid, signal.SIGTERM)
            daemon.wait(60)
    base = rows["python -c pass"]
    print(f"median of {args.runs} runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    for name, seconds in rows.items():
        print(f"  {name:<26} {seconds * 1000:7.1f} ms  {seconds / base:5.1f}x python -c pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
