"""The code a scratch's tests import is the scratch's own: checked, fail closed, before a
`mine` judges any commit.

A `src/`-layout library with an editable install in the repository's `.venv` is found
through that install, at the user's working tree. The jail shows the scratch at the
repository's path (daemon.eval.suite), so there it is the scratch. Where that is not so (tests
run without the jail: `tools.allow_unsandboxed_tests`, or an install that points anywhere
else), a mine would judge the working tree instead of each commit: every commit whose fix
is already in the tree would be refused ("no test fails with the test change alone").

The check: a marker file is planted in the scratch beside each of the repository's
top-level packages, and daemon/eval/import_probe.py asks the test environment's Python,
in the jail as the tests run, where each is found. A package found without its marker is
another copy: refused when that copy is in the user's repository (the working tree) or
when the package lives under `src/` (pytest never puts `src/` on the path itself, so its
tests import that copy); otherwise (a flat layout's installed copy, which pytest's own
path may override) it is said and mining goes on. A probe that gives no answer refuses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from daemon.eval.history import kind_of
from daemon.eval.scratch import git
from daemon.eval.suite import Suite

PROBE = Path(__file__).with_name("import_probe.py")
MAX_PACKAGES = 12  # a repository with more top-level packages is checked on these


@dataclass(frozen=True)
class Package:
    """A top-level package or module of the repository and the directory that holds its
    marker (the package's own, or a module's parent)."""

    name: str
    marker_dir: str  # relative to the tree
    src: bool  # under `src/`: importable only through an install or a path setting


@dataclass(frozen=True)
class ImportCheck:
    refusal: str | None  # why mining cannot go on; None: the scratch's code is imported
    notes: tuple[str, ...] = ()  # what was found elsewhere but is not a refusal


def packages(code: list[str]) -> list[Package]:
    """The repository's top-level importable names, from its tracked code files."""
    found: dict[str, Package] = {}
    for path in code:
        parts = PurePosixPath(path).parts
        src = parts[0] == "src" and len(parts) > 1
        rest = parts[1:] if src else parts
        if len(rest) == 2 and rest[1] == "__init__.py":
            name, where = rest[0], "/".join(parts[:len(parts) - 1])
        elif src and len(rest) == 1 and rest[0].endswith(".py"):
            name, where = rest[0][:-3], "src"
        else:
            continue
        if name.isidentifier() and name not in found:
            found[name] = Package(name, where, src)
    return sorted(found.values(), key=lambda p: p.name)[:MAX_PACKAGES]


async def check(suite: Suite, tree: Path, repo: Path) -> ImportCheck:
    """Where the test environment finds each of the tree's packages (module docstring)."""
    listed = [p for p in git(tree, "ls-files").splitlines() if kind_of(p) == "code"]
    found = packages(listed)
    if not found:
        return ImportCheck(None)
    marker = f".ob-eval-probe-{secrets.token_hex(6)}"
    planted = [tree / p.marker_dir / marker for p in found]
    try:
        for path in planted:
            path.write_text("", encoding="utf-8")
        answer = await suite.runner(tree).run_script(
            tree, PROBE, {"modules": [p.name for p in found], "marker": marker},
            scratch=suite.state_dir / "oracle")
    finally:
        for path in planted:
            path.unlink(missing_ok=True)
    if not isinstance(answer, dict) or not isinstance(answer.get("modules"), dict):
        return ImportCheck(f"could not check which code the tests import: {answer}"[:600])
    return judge(found, answer["modules"], repo)


def judge(found: list[Package], answer: dict, repo: Path) -> ImportCheck:
    """The probe's answer, read (pure)."""
    refusals, notes = [], []
    for p in found:
        got = answer.get(p.name)
        if not isinstance(got, dict) or got.get("marked") or not got.get("origin"):
            continue  # the scratch's own copy, or not found outside pytest's own path
        origin = str(got["origin"])
        line = f"{p.name} is found at {origin}, not in the scratch clone"
        if _inside(origin, repo):
            refusals.append(f"{line} (the working tree of {repo})")
        elif p.src:
            refusals.append(f"{line} (an installed copy; {p.marker_dir} is under src/)")
        else:
            notes.append(f"{line} (an installed copy; the tests import the clone's own only "
                         "where pytest puts the clone first)")
    if not refusals:
        return ImportCheck(None, tuple(notes))
    return ImportCheck("the tests would import code other than the commit under test: "
                       + "; ".join(refusals) + ". An editable install of the repository's "
                       "environment is shown the scratch only in the jail (bubblewrap); "
                       "a copy installed elsewhere must be removed from that environment",
                       tuple(notes))


def _inside(path: str, repo: Path) -> bool:
    try:
        Path(path).resolve().relative_to(repo.resolve())
    except (ValueError, OSError):
        return False
    return True

