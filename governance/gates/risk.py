"""CLASSIFY's risk engine: a rule ladder (data) evaluated in order, first match wins.

The tier can only rise later in the pipeline (GATE re-runs the ladder on the files the
candidate actually touches and takes the higher tier); advisory layers never lower it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from governance.fs.protected import protected_reason
from governance.gates.weakening import in_test_dir


class RiskTier(IntEnum):
    SAFE_AUTO = 0
    NOTIFY_APPLY = 1
    APPROVAL_REQUIRED = 2
    BLOCKED = 3


@dataclass(frozen=True)
class RiskInput:
    """What the ladder looks at: files (repo-relative), which of them are new, and confidence."""

    files: tuple[str, ...]
    new_files: frozenset[str]
    deleted_files: frozenset[str]
    confidence: float
    state_dir: str
    protected_globs: tuple[str, ...]
    approval_globs: tuple[str, ...]
    notify_globs: tuple[str, ...]


@dataclass(frozen=True)
class RiskVerdict:
    tier: RiskTier
    rule: str
    reason: str


def _globbed(files: Sequence[str], globs: Sequence[str]) -> list[str]:
    return [f for f in files if any(fnmatch.fnmatchcase(f, g) for g in globs)]


def _protected(x: RiskInput) -> str | None:
    hits = [(f, protected_reason(f, x.state_dir, x.protected_globs)) for f in x.files]
    hits = [(f, r) for f, r in hits if r]
    return "; ".join(f"{f}: {r}" for f, r in hits) or None


SECURITY_GLOBS = ("*auth*", "*crypt*", "*security*", "*permission*", "*password*", "*token*")
BUILD_GLOBS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "Makefile",
               ".github/*", ".ci/*", "*.service", "ouroboros.toml", "conftest.py", "*/conftest.py")
# Files something on the host runs later, outside the jail: the human's next `git commit`
# (hook managers), `make`, CI, the editor on folder open, direnv, git's own filters.
HOST_RUN_GLOBS = (
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", ".husky/*", ".githooks/*",
    ".gitattributes", "*/.gitattributes", ".gitmodules", ".envrc", "*/.envrc",
    "Makefile", "*/Makefile", "makefile", "*/makefile", "GNUmakefile", "*/GNUmakefile", "*.mk",
    "Justfile", "justfile", "Taskfile.yml", "Taskfile.yaml", "Rakefile", "Jenkinsfile",
    ".gitlab-ci.yml", ".gitlab/*", ".circleci/*", ".travis.yml", "azure-pipelines.yml",
    ".buildkite/*", ".drone.yml", "bitbucket-pipelines.yml", ".woodpecker*",
    ".vscode/*", ".idea/*", ".devcontainer/*", "Dockerfile", "*/Dockerfile",
    "docker-compose*.yml", "compose*.yaml", "package.json", "*/package.json",
    ".cargo/*", "build.rs", "*/build.rs")


# What configures test collection or the test interpreter (at any depth: pytest picks the
# ini file nearest the tests it is given, and a directory of them can hold conftests).
HARNESS_NAMES = frozenset({"conftest.py", "pytest.ini", ".pytest.ini", "pytest.toml",
                           ".pytest.toml", "tox.ini", "setup.cfg", "pyproject.toml",
                           "noxfile.py", "sitecustomize.py", "usercustomize.py"})
# Modules the test process imports before the tree is on sys.path: a repo file or package
# named like them must never be autonomous, even though `-P` keeps it from shadowing.
HARNESS_MODULES = frozenset({"pytest", "_pytest", "py", "pluggy", "iniconfig",
                             "_ouroboros_oracle"})


def harness_reason(rel: str) -> str | None:
    """Why `rel` configures test collection or the test interpreter, or None."""
    parts = rel.split("/")
    name = parts[-1]
    if name in HARNESS_NAMES:
        return f"{rel} configures test collection"
    if name.endswith(".pth"):
        return f"{rel} is a .pth file (run by the interpreter at start-up)"
    if name == "__init__.py" and in_test_dir(rel):
        return f"{rel} is a test package's __init__ (runs before the tests)"
    stems = [*parts[:-1], name.removesuffix(".py")]
    hit = next((m for m in stems if m in HARNESS_MODULES), None)
    if hit:
        return f"{rel} is named like the test harness module {hit!r}"
    return None


def _harness(x: RiskInput) -> str | None:
    reasons = [r for r in map(harness_reason, x.files) if r]
    return "; ".join(reasons) or None


def _any(files: Sequence[str], globs: Sequence[str], what: str) -> str | None:
    hits = _globbed(files, globs)
    return f"{what}: {', '.join(hits)}" if hits else None


Rule = tuple[str, RiskTier, Callable[[RiskInput], str | None]]

RULES: tuple[Rule, ...] = (
    ("protected_path", RiskTier.BLOCKED, _protected),
    ("security_sensitive", RiskTier.APPROVAL_REQUIRED,
     lambda x: _any(x.files, SECURITY_GLOBS, "security-sensitive path")),
    ("build_or_ci", RiskTier.APPROVAL_REQUIRED,
     lambda x: _any(x.files, BUILD_GLOBS, "build, CI or test-harness file")),
    ("runs_on_host", RiskTier.APPROVAL_REQUIRED,
     lambda x: _any(x.files, HOST_RUN_GLOBS, "file the host runs later, outside the jail")),
    ("test_harness", RiskTier.APPROVAL_REQUIRED, _harness),
    ("configured_approval", RiskTier.APPROVAL_REQUIRED,
     lambda x: _any(x.files, x.approval_globs, "configured approval glob")),
    ("deletes_files", RiskTier.APPROVAL_REQUIRED,
     lambda x: f"deletes {', '.join(sorted(x.deleted_files))}" if x.deleted_files else None),
    ("multi_file", RiskTier.NOTIFY_APPLY,
     lambda x: f"{len(x.files)} files" if len(x.files) > 1 else None),
    ("new_file", RiskTier.NOTIFY_APPLY,
     lambda x: f"creates {', '.join(sorted(x.new_files))}" if x.new_files else None),
    ("configured_notify", RiskTier.NOTIFY_APPLY,
     lambda x: _any(x.files, x.notify_globs, "configured notify glob")),
    ("low_confidence", RiskTier.NOTIFY_APPLY,
     lambda x: f"signal confidence {x.confidence:.2f} < 0.5" if x.confidence < 0.5 else None),
)


def classify(x: RiskInput) -> RiskVerdict:
    """First matching rule decides; no match is SAFE_AUTO."""
    for name, tier, predicate in RULES:
        reason = predicate(x)
        if reason:
            return RiskVerdict(tier, name, reason)
    return RiskVerdict(RiskTier.SAFE_AUTO, "default", "single existing non-sensitive file")


def new_files_under(root: Path, files: Sequence[str]) -> frozenset[str]:
    return frozenset(f for f in files if not (root / f).exists())
