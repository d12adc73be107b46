"""What the oracle's tracer costs the code it watches: per workload, the seconds a run takes
traced by the oracle plugin (governance/oracle/oracle_plugin.py, its tracer in
governance/oracle/oracle_tracer.py) against the same run untraced, in one process; the
plugin as committed at a revision (`--against`, before) beside the working tree's (after).

    .venv/bin/python bench/tracer.py [--against REV] [--tests N] [--repeat K]

The workloads are a generated module, watched line by line as a candidate's changed file
is (or, `profile`, only the files each test enters, as a whole-suite baseline records):

- lexer: a loop over a long text with a branch per kind of character, some never taken
  (the shape of sqlparse's statement splitter, whose DoS tests time a parse);
- calls: a tree of small function calls (the tracer runs on every call);
- straight: a loop whose every line runs each time (the TIMING gap's checksum).

Each of N tests (the plugin's own test switch, as pytest drives it) runs each workload
once; a mode's time is the best of K runs. `floor` is a tracer that does nothing: on
CPython 3.11 sys.settrace alone slows every line (no specialised instructions while a
tracer is set). Both plugins must record the same tests on the same lines (checked on the
first 64 tests: the old one kept no more per line).

Where its figures go: each run worth keeping is written down verbatim, with its tree,
CPU and load, in docs/proof-measurements.md ("What it costs"); docs/proof.md is the
specification they are measured against.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "governance/oracle/oracle_plugin.py"
TRACER = "governance/oracle/oracle_tracer.py"  # the plugin's tracer, since it has its own module
TRACER_MODULE = "_ouroboros_tracer"  # the name the plugin imports it by, beside it
WORK = '''"""The traced workloads."""


def lexer(text):
    kinds = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
            kinds.append("open")
        elif ch == ")":
            depth -= 1
            kinds.append("close")
        elif ch == ";" and depth == 0:
            kinds.append("end")
        elif ch == "\\x00":
            raise ValueError("a NUL")
        else:
            kinds.append("word")
    return kinds


def leaf(x):
    return x + 1


def node(x, depth):
    if depth == 0:
        return leaf(x)
    return node(x, depth - 1) + node(x + 1, depth - 1)


def calls(n):
    return sum(node(i, 6) for i in range(n))


def straight(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total
'''
WORKLOADS: dict[str, Callable[[ModuleType], object]] = {
    "lexer": lambda m: m.lexer("select (a, b) from t where (x);" * 1000),
    "calls": lambda m: m.calls(80),
    "straight": lambda m: m.straight(50_000),
}


def load(source: str, tracer: str | None, where: Path, name: str, watch: list[str],
         profile: bool) -> ModuleType:
    """The plugin module from `source`, with its coverage request and its own fresh copy of
    the tracer (`tracer`: None for a plugin that held its tracer itself) beside it."""
    where.mkdir(parents=True)
    (where / "oracle_plugin.py").write_text(source)
    (where / "oracle.json").write_text(json.dumps({"watch": watch, "profile": profile}))
    if tracer is not None:
        (where / f"{TRACER_MODULE}.py").write_text(tracer)
    spec = importlib.util.spec_from_file_location(name, where / "oracle_plugin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(TRACER_MODULE, None)  # each plugin its own tracer state, as each run has
    sys.path.insert(0, str(where))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(where))
        sys.modules.pop(TRACER_MODULE, None)
    return module


def traced(plugin: ModuleType, name: str) -> Callable[[], dict | None]:
    """The tracer's `name` (start_tracing, coverage_report): the plugin's own `_name` before
    the tracer had its module, that module's after."""
    return getattr(plugin, f"_{name}", None) or getattr(plugin._tracer, name)


def _nothing(frame: object, event: str, arg: object) -> None:
    """A tracer that does nothing: what sys.settrace itself costs (the floor)."""


def run(plugin: ModuleType | None, work: ModuleType, which: str, tests: int,
        floor: bool = False) -> float:
    """Seconds for `tests` tests of one workload, traced by `plugin` (None: untraced, or
    with `floor` traced by a tracer that does nothing)."""
    if plugin is not None:
        traced(plugin, "start_tracing")()
    elif floor:
        sys.settrace(_nothing)
    started = time.perf_counter()
    try:
        for i in range(tests):
            item = SimpleNamespace(nodeid=f"tests/test_work.py::test_{which}[{i}]")
            protocol = plugin.pytest_runtest_protocol(item, None) if plugin else None
            if protocol is not None:
                next(protocol)
            WORKLOADS[which](work)
            if protocol is not None:
                protocol.close()
    finally:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
    return time.perf_counter() - started


def recorded(plugin: ModuleType) -> dict[int, set[str]]:
    """Per line of the workload module, the tests the plugin says ran it."""
    report = traced(plugin, "coverage_report")()
    assert report is not None
    order = report["tests"]
    lines = report["lines"].get("work.py", {})
    if "sets" not in report:  # the old format: test indexes per line
        return {int(n): {order[i] for i in hit if i >= 0} for n, hit in lines.items()}
    out = {}
    for n, k in lines.items():
        pairs = report["sets"][k]
        out[int(n)] = {order[i] for a, b in zip(pairs[::2], pairs[1::2], strict=True)
                       for i in range(max(a, 0), b + 1)}
    return out


def plugins(rev: str, where: Path, watch: list[str], profile: bool,
            tag: str) -> tuple[ModuleType, ModuleType]:
    def at_rev(path: str) -> str | None:
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
                               capture_output=True, text=True)
        return shown.stdout if shown.returncode == 0 else None

    old = at_rev(PLUGIN)
    assert old is not None, f"no {PLUGIN} at {rev}"
    new = (ROOT / PLUGIN).read_text(), (ROOT / TRACER).read_text()
    return (load(old, at_rev(TRACER), where / f"old-{tag}", f"_old_{tag}", watch, profile),
            load(*new, where / f"new-{tag}", f"_new_{tag}", watch, profile))


def machine() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            return next((line.split(":", 1)[1].strip() for line in handle
                         if line.startswith("model name")), platform.machine())
    except OSError:
        return platform.machine()


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-tracer-") as tmp:
        root = Path(tmp) / "tree"
        root.mkdir()
        (root / "work.py").write_text(WORK)
        sys.path.insert(0, str(root))
        import os
        os.chdir(root)  # the plugin's tree under test is the working directory
        import work  # type: ignore[import-not-found]
        print(f"{machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
              f"{args.tests} tests a workload, best of {args.repeat}; before: {args.against}")
        print(f"{'workload':<10}{'mode':<9}{'untraced s':>11}{'floor':>9}{'before':>9}"
              f"{'after':>9}")
        for mode, watch, profile in (("watch", ["work.py"], False), ("profile", [], True)):
            for which in WORKLOADS:
                best = [float("inf")] * 4  # untraced, floor, before, after: interleaved
                for k in range(args.repeat):
                    pair = plugins(args.against, Path(tmp), watch, profile, f"{mode}{which}{k}")
                    for side, plugin in enumerate((None, None, *pair)):
                        took = run(plugin, work, which, args.tests, floor=side == 1)
                        best[side] = min(best[side], took)
                bare = best[0]
                print(f"{which:<10}{mode:<9}{bare:>11.3f}"
                      + "".join(f"{b / bare:>8.2f}x" for b in best[1:]))
        old, new = plugins(args.against, Path(tmp), ["work.py"], False, "same")
        for plugin in (old, new):
            for which in WORKLOADS:
                run(plugin, work, which, min(args.tests, 20))
        same = recorded(old) == recorded(new)
        print(f"same tests on the same lines, before and after: {same}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    parser.add_argument("--against", default="8e90609^",
                        help="the revision before (default: before every test per line)")
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    main(parser.parse_args())
