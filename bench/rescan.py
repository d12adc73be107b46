"""What a sensor scan costs the first time, and again on an unchanged tree (issue 51, item 2).

    .venv/bin/python bench/rescan.py [--reps N]

The project is a copy of this repository's tracked Python files (759 at the time of writing),
committed; beside it, untracked and unignored, a `.venv/` (pyvenv.cfg and a site-packages
holding real copies of _pytest, pluggy, hypothesis, iniconfig and click from the running
interpreter's) and a `node_modules/` of 2,000 files. One scan is what the daemon's start-up
scan and its safety-net rescan do: sensors.repo_tree's listing, then the todo and
opportunity sensors' scan_once on it (their real code, their real reads and parses; the
dirty check asks git as the daemon does).

Printed: the first scan (fresh sensors and tree, the median of --reps), the rescan of the
unchanged tree (the same objects, median of 5 rescans) and their ratio (target < 0.1), a
rescan after one file changed, each with how many files were listed and how many read; and,
for the record, what the listing before sensors.repo_tree (git's tracked + untracked files)
held and what a first scan of it cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from governance.git.gitops import GitOps
from sensors import opportunity, todo
from sensors.hub import SensorHub
from sensors.opportunity import OpportunitySensor
from sensors.repo_tree import RepoTree
from sensors.todo import TodoSensor

HERE = Path(__file__).resolve().parents[1]
PACKAGES = ("_pytest", "pluggy", "hypothesis", "iniconfig", "click")
READS: list[str] = []


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def build(root: Path) -> None:
    """The project (committed), its untracked .venv/ and node_modules/."""
    listed = subprocess.run(["git", "-C", str(HERE), "ls-files", "-z", "*.py"], check=True,
                            capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / rel, root / rel)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.name=B", "-c", "user.email=b@example.com", "add", "-A")
    _git(root, "-c", "user.name=B", "-c", "user.email=b@example.com", "commit", "-qm", "p")
    site = root / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text(f"home = {sys.base_prefix}/bin\n")
    import _pytest  # only to find where the running interpreter keeps its packages
    source = Path(_pytest.__file__).resolve().parents[1]
    for name in PACKAGES:
        if (source / name).is_dir():
            shutil.copytree(source / name, site / name)
    for n in range(2000):
        mod = root / "node_modules" / f"pkg{n % 50}" / f"m{n}.js"
        mod.parent.mkdir(parents=True, exist_ok=True)
        mod.write_text("// TODO: not ours\nmodule.exports = 1;\n")


def counting(real):
    def read(path, root=None):
        READS.append(str(path))
        return real(path, root)
    return read


def sensors(root: Path, git: GitOps, tree: RepoTree | None) -> SensorHub:
    async def emit(_env) -> bool:
        return True

    async def dirty(paths: list[str]) -> list[str]:
        return await asyncio.to_thread(git.dirty, paths)

    return SensorHub({"todo": TodoSensor(root, "bench", emit, dirty),
                      "opportunity": OpportunitySensor(root, "bench", emit)},
                     root=root, tree=tree)


async def scan(hub: SensorHub, listing) -> tuple[float, int, int]:
    """(seconds, files listed, files read) of one scan."""
    READS.clear()
    started = time.perf_counter()
    files = await asyncio.to_thread(listing)
    await hub.scan(files)
    return time.perf_counter() - started, len(files), len(set(READS))


async def main(reps: int) -> None:
    todo.read_source = counting(todo.read_source)
    opportunity.read_source = counting(opportunity.read_source)
    with tempfile.TemporaryDirectory(prefix="ob-rescan-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        build(root)
        git = GitOps(root)
        firsts, tree, hub = [], None, None
        for _ in range(reps):
            tree = RepoTree(root)
            hub = sensors(root, git, tree)
            firsts.append(await scan(hub, tree.listing))
        assert tree is not None and hub is not None
        again = [await scan(hub, tree.listing) for _ in range(5)]
        target = root / "sensors" / "todo.py"
        target.write_text(target.read_text() + "\n# TODO: one change\n")
        changed = await scan(hub, tree.listing)
        before = await scan(sensors(root, git, None), git.listed_files)
    first_s = statistics.median(f[0] for f in firsts)
    again_s = statistics.median(a[0] for a in again)
    load = os.getloadavg()[0]
    print(f"# bench/rescan.py, load {load:.1f}, {os.cpu_count()} cores")
    print(f"{'scan':<44}{'seconds':>9}{'listed':>8}{'read':>7}")
    for name, (sec, listed, read) in [
            (f"first scan (median of {reps})", (first_s, *firsts[-1][1:])),
            ("rescan, unchanged tree (median of 5)", (again_s, *again[-1][1:])),
            ("rescan after one file changed", changed),
            ("before repo_tree: git's listing, first scan", before)]:
        print(f"{name:<44}{sec:>9.3f}{listed:>8}{read:>7}")
    ratio = again_s / first_s
    print(f"rescan / first scan = {ratio:.4f} (target < 0.1: {'met' if ratio < 0.1 else 'MISSED'})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    asyncio.run(main(parser.parse_args().reps))
