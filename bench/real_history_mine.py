"""Mine the real-history suite's cases (tests/data/real_history/) from real libraries' git
histories: fix commits whose maintainer changed the library and its tests together.

    .venv/bin/python bench/real_history_mine.py --mirrors /work/.mirror [--per-library N]
        [--library NAME] [--out tests/data/real_history]

`--mirrors` holds bare clones named `owner+name/repo` (what the session's fetch tool
makes). A commit becomes a case when, mechanically:
- it changes one or two of the library's code files (at most MAX_CODE_LINES lines) and at
  least one test file, and nothing else but non-Python files (docs, changelog);
- on its parent the library's own suite passes (this interpreter, pytest, no plugins);
- with only its test change applied some tests fail, and with its code change too the
  whole suite passes.
Each case gets a careless-rider twin (bench/real_history_rider.py): the same fix plus a
mutation of another public function the failing tests never enter, preferring one the
suite does not notice.

Writes one `<library>-<sha12>.json.xz` per case (the base tree of code and tests, the test
change, the fix, the twin, as full file texts), `manifest.json` and each library's licence.
The cases are data: the suite (tests/governance/test_real_history.py) never runs this.
"""

from __future__ import annotations

import argparse
import base64
import json
import lzma
import posixpath
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_history_libs import LIBRARIES, Library, run_suite
from bench.real_history_rider import choose_rider

MAX_CODE_LINES = 80  # added + deleted lines of the fix's code files
MAX_FILE_BYTES = 400_000  # a larger file is left out of the base (data, not code)


@dataclass
class Commit:
    sha: str
    parent: str
    subject: str
    date: str
    code: dict[str, str]  # path -> status (M, A, D)
    tests: dict[str, str]
    code_lines: int


def git(lib_dir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={lib_dir}", *args], check=True,
                          capture_output=True, text=True, errors="replace").stdout


def candidates(lib: Library, lib_dir: Path) -> list[Commit]:
    """Commits of the right shape, newest first (no run yet)."""
    log = git(lib_dir, "log", "--no-merges", f"--since={lib.since}",
              "--format=@%H %P\t%ad\t%s", "--date=short", "--numstat")
    out = []
    for block in log.split("\n@")[0:]:
        head, *stats = block.lstrip("@").strip().splitlines()
        shas, date, subject = head.split("\t", 2)
        if len(shas.split()) != 2:
            continue
        commit = _shape(lib, lib_dir, *shas.split(), subject, date, stats)
        if commit is not None:
            out.append(commit)
    return out


def _shape(lib: Library, lib_dir: Path, sha: str, parent: str, subject: str, date: str,
           stats: list[str]) -> Commit | None:
    code, tests, lines = {}, {}, 0
    for row in filter(None, stats):
        added, deleted, path = row.split("\t", 2)
        kind = lib.kind(path)
        if kind == "code":
            code[path] = "?"
            lines += int(added) + int(deleted) if added != "-" else 0
        elif kind == "test":
            tests[path] = "?"
        elif path.endswith(".py") or kind == "config":
            return None  # other Python files (setup.py, docs/conf.py): not a plain fix
    if not tests or not 1 <= len(code) <= 2 or lines > MAX_CODE_LINES:
        return None
    status = dict(reversed(r.split("\t", 1)) for r in git(
        lib_dir, "diff", "--name-status", "--no-renames", parent, sha).splitlines())
    code = {p: status.get(p, "M")[0] for p in code}
    tests = {p: status.get(p, "M")[0] for p in tests}
    if any(s not in "MA" for s in code.values()) or any(s not in "MAD" for s in tests.values()):
        return None
    return Commit(sha, parent, subject, date, code, tests, lines)


def tree(lib: Library, lib_dir: Path, rev: str) -> dict[str, str | bytes]:
    """The library's code and tests at `rev` (text, or bytes for a file that is not UTF-8;
    a symbolic link becomes a copy of its target), plus the case's pytest.ini."""
    names = git(lib_dir, "ls-tree", "-r", "-l", "--full-tree", rev).splitlines()
    files: dict[str, str | bytes] = {"pytest.ini": lib.ini}
    for row in names:
        meta, path = row.split("\t", 1)
        size = meta.split()[3]
        if lib.kind(path) not in ("code", "test") or lib.dropped(path):
            continue
        if size == "-" or int(size) > MAX_FILE_BYTES:
            continue
        raw = _blob(lib_dir, rev, path)
        if meta.startswith("120000") and raw is not None:  # a link: its target's content
            raw = _blob(lib_dir, rev, posixpath.normpath(posixpath.join(
                posixpath.dirname(path), raw.decode().strip())))
        if raw is not None:
            files[path] = _decoded(raw)
    return files


def _blob(lib_dir: Path, rev: str, path: str) -> bytes | None:
    done = subprocess.run(["git", f"--git-dir={lib_dir}", "show", f"{rev}:{path}"],
                          capture_output=True)
    return done.stdout if done.returncode == 0 else None


def _decoded(raw: bytes) -> str | bytes:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    return text if "\0" not in text else raw


def _text(lib_dir: Path, rev: str, path: str) -> str | None:
    raw = _blob(lib_dir, rev, path)
    text = None if raw is None else _decoded(raw)
    return text if isinstance(text, str) else None


def after(lib_dir: Path, commit: Commit, paths: dict[str, str]) -> dict[str, str | None]:
    """The commit's version of `paths` (None: deleted)."""
    return {p: None if s == "D" else _text(lib_dir, commit.sha, p) for p, s in paths.items()}


def judge(lib: Library, lib_dir: Path, commit: Commit, work: Path) -> tuple[dict | None, str]:
    """(the case, or None when the commit does not pass the filter; why)."""
    base = tree(lib, lib_dir, commit.parent)
    tests, fix = after(lib_dir, commit, commit.tests), after(lib_dir, commit, commit.code)
    if any(v is None for v in fix.values()):
        return None, "a fix file is not text"
    human = _apply(base, tests)
    green = run_suite(base, work / "base")
    if not green.passed:
        return None, f"the parent's suite fails: {_last(green.tail)}"
    red = run_suite(human, work / "human")
    if red.passed or not red.failing:
        return None, "the test change fails no test on the parent"
    fixed = run_suite(_apply(human, fix), work / "fixed")
    if not fixed.passed:
        return None, f"the fix does not pass the suite: {_last(fixed.tail)}"
    code = sorted(p for p in base if p.endswith(".py") and lib.kind(p) == "code")
    rider = choose_rider(_apply(human, fix), fix, base, red.failing, code, work / "rider")
    return {"library": lib.name, "repo": lib.repo, "license": lib.license,
            "sha": commit.sha, "parent": commit.parent, "subject": commit.subject,
            "date": commit.date, "base": {p: t for p, t in base.items() if isinstance(t, str)},
            "binary": {p: base64.b64encode(t).decode() for p, t in base.items()
                       if isinstance(t, bytes)}, "tests": tests, "fix": fix,
            "failing_when_mined": sorted(red.failing), "suite_s": round(fixed.seconds, 2),
            "rider": rider}, f"{len(red.failing)} failing, fixed"


def _last(tail: str) -> str:
    lines = [line for line in tail.splitlines() if line.strip()]
    return (lines[-1] if lines else "")[:120]


def _apply(files: dict, change: dict[str, str | None]) -> dict:
    out = dict(files)
    for path, text in change.items():
        if text is None:
            out.pop(path, None)
        else:
            out[path] = text
    return out


def case_id(case: dict) -> str:
    return f"{case['library']}-{case['sha'][:12]}"


def write_case(out: Path, case: dict) -> Path:
    path = out / f"{case_id(case)}.json.xz"
    data = json.dumps(case, sort_keys=True, ensure_ascii=False).encode()
    path.write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    return path


def mine(lib: Library, lib_dir: Path, out: Path, want: int, skip: set[str]) -> list[dict]:
    found: list[dict] = []
    for commit in candidates(lib, lib_dir):
        if len(found) >= want:
            break
        if commit.sha[:12] in skip:
            continue
        with tempfile.TemporaryDirectory(prefix="rh-") as tmp:
            case, why = judge(lib, lib_dir, commit, Path(tmp))
        verdict = "case" if case else "skip"
        print(f"{lib.name} {commit.sha[:12]} {verdict}: {commit.subject[:60]}: {why}",
              flush=True)
        if case:
            write_case(out, case)
            found.append(case)
    return found


def manifest_row(case: dict) -> dict:
    rider = case["rider"] or {}
    return {"id": case_id(case), "library": case["library"], "repo": case["repo"],
            "sha": case["sha"], "parent": case["parent"], "license": case["license"],
            "subject": case["subject"], "date": case["date"],
            "fix_files": sorted(case["fix"]), "test_files": sorted(case["tests"]),
            "failing_when_mined": len(case["failing_when_mined"]),
            "rider": {k: rider.get(k) for k in ("path", "function", "mutation", "quiet")}}


def write_manifest(out: Path) -> None:
    rows = []
    for path in sorted(out.glob("*.json.xz")):
        rows.append(manifest_row(json.loads(lzma.decompress(path.read_bytes()))))
    text = json.dumps({"cases": rows}, indent=1, ensure_ascii=False) + "\n"
    (out / "manifest.json").write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("tests/data/real_history"))
    ap.add_argument("--per-library", type=int, default=6)
    ap.add_argument("--library", action="append", help="only these (default: all)")
    ap.add_argument("--skip", action="append", default=[], help="a sha prefix (12) to skip")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "licenses").mkdir(exist_ok=True)
    for lib in LIBRARIES:
        if args.library and lib.name not in args.library:
            continue
        lib_dir = args.mirrors / lib.mirror / "repo"
        have = {p.name.split("-")[-1][:12] for p in args.out.glob(f"{lib.name}-*.json.xz")}
        want = args.per_library - len(have)
        if want > 0:
            mine(lib, lib_dir, args.out, want, set(args.skip) | have)
        licence = git(lib_dir, "show", f"HEAD:{lib.license_file}")
        (args.out / "licenses" / f"{lib.name}.txt").write_text(licence)
    write_manifest(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
