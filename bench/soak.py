"""Soak: a real `ouroboros run` on a real repository for hours, under storms and kills.

    .venv/bin/python bench/soak.py [--ops N] [--hours H] [--kills K] [--stops S]
        [--disks D] [--storms N] [--switches N] [--seed N] [--json OUT] [--keep DIR]
    .venv/bin/python bench/soak.py --short     # the CI form: 16 ops, one of each shock

The daemon is the real one, in its own process (kill -9 means it); its brain is the replay
stand-in (kernel/replay.py), answering each piece of work with a scripted mix of outcomes:
proven, proposed, refused, deadline, collapse (bench/soak_world.py). Its tests run in the
real jail. A human gives it work, commits their own work racing its commits, saves files in
bursts, switches branches and keeps work in progress it must never touch
(bench/soak_human.py). Meanwhile the daemon is killed at random moments (alone, or with
its git and jailed children), suspended, and its state dir's file system is filled to the
brim (a tmpfs of its own: needs root, else those episodes are skipped)
(bench/soak_events.py).

After every kill, after every restart and at the end, the invariants of
bench/soak_checks.py are checked; the run prints what it measured (ops per hour, memory,
fds, threads, asyncio tasks, `status` latency over time, ledger size per op, restart
recovery times) and every problem found, and exits 1 if there was one. The CPU is named
with the numbers. tests/bench/test_soak.py runs the short form in CI.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import soak_metrics
from bench.soak_run import Plan, Soak
from bench.soak_world import Kind
from ledger.segments import archive_dir, read_segment, segments
from ledger.sizes import table_sizes

# The CI form: about 16 ops of all five kinds (seed 10 draws each of them early), one
# kill, one suspend, one full disk, one storm, one switch.
SHORT = Plan(ops=16, seed=10, hours=0.1, kills=1, stops=1, disks=1, storms=1, switches=1,
             storm_saves=300, slots=8, outstanding=6, journal_every=3, sample_s=1.0,
             suspend_s=1.0, full_s=1.0, give_up_s=90.0, drain_s=60.0, disk_mb=48,
             notify_s=0.5, keep_ops=8, memory_ttl_h=0.01, segment_min_rows=60,
             archive_interval_s=2.0, quiet_every_ops=4)


def cpu() -> str:
    """The machine, as every number is quoted with it."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    fields = {k.strip(): v for k, _, v in (line.partition(":") for line in info.splitlines())}
    name = fields.get("model name", platform.processor()).strip()
    flags = set(fields.get("flags", "").split())
    simd = ("AVX-512" if "avx512f" in flags else "AVX2, no AVX-512" if "avx2" in flags
            else "no AVX2")
    family = fields.get("cpu family", "?").strip()
    model = fields.get("model", "?").strip()
    return (f"{name} (family {family} model {model}), {os.cpu_count()} cores, {simd}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def ledger_figures(soak: Soak) -> dict:
    """Rows and bytes per op in the database, and the archive's bytes per archived op."""
    db_path = soak.state / "ledger.sqlite3"
    ended = sum(1 for o in soak.seen.values() if o.ends)
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        sizes = table_sizes(db)
        inline = db.execute("SELECT COUNT(*) FROM operations").fetchone()[0]
        archived = db.execute("SELECT COALESCE(SUM(json_array_length(ops)), 0) "
                              "FROM archives").fetchone()[0]
    archive = soak.state / "ledger-archive"
    archive_bytes = sum(p.stat().st_size for p in archive.iterdir()) if archive.is_dir() else 0
    return {"ops": ended, "inline_ops": inline, "archived_ops": archived,
            "tables": {t: {"rows": s.rows, "bytes": s.bytes} for t, s in sizes.items()},
            "db_bytes_per_op": round(sum(s.bytes for s in sizes.values()) / max(ended, 1)),
            "archive_bytes": archive_bytes,
            "archive_bytes_per_archived_op": round(archive_bytes / max(archived, 1))}


def verify_failures(state: Path) -> int:
    """Ops whose VERIFY failed on the live tree (inline and archived): with the human
    committing meanwhile, the tests VERIFY runs are not only the op's."""
    with sqlite3.connect(f"file:{state / 'ledger.sqlite3'}?mode=ro", uri=True) as db:
        rows = [(op, to) for op, to in db.execute(
            "SELECT op_id, to_phase FROM transitions WHERE from_phase = 'VERIFY'")]
        directory = archive_dir(state / "ledger.sqlite3")
        for seg in segments(db):
            rows += [(v[0], v[4]) for t, _, v in read_segment(directory, seg)
                     if t == "transitions" and v[3] == "VERIFY"]
    return len({op for op, to in rows if to != "COMPLETE"})


def results(soak: Soak) -> dict:
    ended = [o for o in soak.seen.values() if o.ends]
    kills = [e for e in soak.events if e["event"] == "kill"]
    hours = soak.elapsed() / 3600
    return {
        "cpu": cpu(), "plan": dataclasses.asdict(soak.plan),
        "wall_s": round(soak.elapsed(), 1), "ops": len(ended),
        "ops_per_hour": round(len(ended) / hours) if hours else None,
        "ends": dict(Counter(o.end for o in ended)),
        "items_given": len(soak.given),
        "items_by_kind": dict(Counter(i.kind.value for i in soak.given.values())),
        "items_settled": dict(Counter(soak.settled.values())),
        "ends_by_kind": {k.value: dict(Counter(soak.settled.get(i.n, "open")
                                               for i in soak.given.values() if i.kind is k))
                         for k in Kind},
        "other_ops": sum(1 for o in ended if o.item is None),
        "restarts": {"count": len(kills),
                     "recovery_s": [k["recovery_s"] for k in kills],
                     "median_s": statistics.median([k["recovery_s"] for k in kills])
                     if kills else None},
        "events": soak.events, "metrics": soak_metrics.summary(soak.samples),
        "samples": [dataclasses.asdict(x) for x in soak.samples],  # every one, for a plot
        "ledger": ledger_figures(soak) if (soak.state / "ledger.sqlite3").exists() else {},
        "verify_failed": verify_failures(soak.state)
        if (soak.state / "ledger.sqlite3").exists() else None,
        "problems": soak.problems,
    }


def report(r: dict, soak: Soak) -> str:
    m, led = r["metrics"], r["ledger"]
    lines = [f"soak on {r['cpu']}",
             f"  {r['ops']} ops in {r['wall_s']:.0f} s: {r['ops_per_hour']} ops/hour; ends "
             f"{r['ends']}; {r['other_ops']} not from a given item",
             f"  items: {r['items_given']} given, settled {r['items_settled']}; by kind, "
             f"how each first ended: {r['ends_by_kind']}",
             f"  ops whose VERIFY failed on the live tree: {r['verify_failed']}",
             f"  restarts: {r['restarts']['count']}, recovery (start to serving) "
             f"{r['restarts']['recovery_s']} s"]
    for e in r["events"]:
        if e["event"] != "kill":
            lines.append(f"  {e['event']}: " + ", ".join(f"{k}={v}" for k, v in e.items()
                                                        if k != "event"))
    for name, unit in (("rss_mb", "MB"), ("fds", ""), ("threads", ""), ("tasks", ""),
                       ("status_ms", "ms"), ("status_floor_ms", "ms"), ("ledger_mb", "MB"),
                       ("wal_mb", "MB"), ("archive_mb", "MB"), ("inline_ops", "")):
        s = m.get(name, {})
        g = s.get("growth")
        lines.append(f"  {name:<10} first {s.get('first')} last {s.get('last')} max "
                     f"{s.get('max')} {unit}; growth after warm-up "
                     f"{'n/a' if g is None else f'{g:+.1%}'}")
    lines.append(f"  status p50 {m['status_ms']['p50']} ms, p99 {m['status_ms']['p99']} ms; "
                 f"rss in the longest-lived process {m['rss_longest_life']}")
    if led:
        lines.append(f"  ledger: {led['db_bytes_per_op']} B an op in the database "
                     f"({led['inline_ops']} ops inline, {led['archived_ops']} archived, "
                     f"{led['archive_bytes_per_archived_op']} B an archived op)")
        lines.append("  rows inline: " + ", ".join(f"{t} {v['rows']}"
                                                   for t, v in led["tables"].items()))
    lines += ["  " + line for line in soak_metrics.timeline(soak.samples)]
    lines.append(f"  problems: {len(r['problems'])}")
    lines += [f"    {p}" for p in r["problems"][:100]]
    return "\n".join(lines)


def run(plan: Plan, where: Path) -> tuple[dict, Soak]:
    soak = Soak(plan, where)
    soak.run()
    return results(soak), soak


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--short", action="store_true", help="the CI form (16 ops)")
    for name, kind in (("ops", int), ("hours", float), ("kills", int), ("stops", int),
                       ("disks", int), ("storms", int), ("switches", int), ("seed", int),
                       ("workers", int), ("slots", int), ("sample_s", float)):
        p.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None)
    p.add_argument("--json", type=Path, help="write every figure here")
    p.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = p.parse_args(argv)
    base = SHORT if args.short else Plan()
    chosen = {f.name: getattr(args, f.name) for f in dataclasses.fields(Plan)
              if getattr(args, f.name, None) is not None}
    plan = dataclasses.replace(base, **chosen)
    where = args.keep or Path(tempfile.mkdtemp(prefix="ob-soak-", dir="/tmp"))
    where.mkdir(parents=True, exist_ok=True)
    try:
        r, soak = run(plan, where)
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)
    print(report(r, soak))
    if args.json:
        args.json.write_text(json.dumps(r, indent=2, default=str))
    return 1 if r["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
