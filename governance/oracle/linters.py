"""The repository's own linters and type checkers as a gate (issue 33, part 2; the seed's
Iron Gate, section 13.1).

Tests are not the only checks a project keeps. When the repository configures ruff,
flake8, pylint, mypy or pyright (in pyproject.toml, setup.cfg, tox.ini, the tool's own file,
or a pre-commit hook) and the tool is installed in the project's test environment, VALIDATE
runs it in the jail on the changed Python files, once with their base texts and once with
the candidate's (governance.proof.lint_gate; governance.oracle.lint_runner is the jailed
side). A finding the candidate adds is a regression: the candidate is refused with it, for
the model's next attempt and the ledger. The findings the base already had are not the
candidate's. Findings are compared as the baseline tools maintainers use compare them
(mypy-baseline, basedpyright's baseline): by tool, file, code and message, counted, line
numbers aside (an edit above a finding moves it without adding it). A project with none
configured is unaffected; a tool that does not run on the base (not installed, timed out)
judges nothing. A finding that moved with its code (the same tool, rule and line text, in
another file or at another line, where the base had it and the candidate lost it) is the
base's too. One that ran on the base and could not judge the candidate (it timed out,
crashed, or answered nothing readable there), or a runner that failed, is a reason the
change is not proven: a gate that could not run never passes (issue 49).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LINT_SOURCE = Path(__file__).with_name("lint_runner.py")
MAX_NAMED = 5  # new findings the refusal names; the ledger keeps up to MAX_KEPT
MAX_KEPT = 50


@dataclass(frozen=True)
class Linter:
    """One tool: how it runs (`python -m module argv... files...`), the output format the
    runner reads, and where a repository says it uses it."""

    name: str
    module: str
    argv: tuple[str, ...]
    files: tuple[str, ...]  # any of these files present
    sections: tuple[tuple[str, str], ...]  # (file, a line starting a section of it)


LINTERS: tuple[Linter, ...] = (
    Linter("ruff", "ruff", ("check", "--output-format", "json", "--exit-zero", "--no-cache",
                            "--force-exclude"),
           ("ruff.toml", ".ruff.toml"), (("pyproject.toml", "[tool.ruff"),)),
    Linter("flake8", "flake8",
           ("--exit-zero", "--format=%(path)s|%(row)d|%(col)d|%(code)s|%(text)s"),
           (".flake8",), (("setup.cfg", "[flake8]"), ("tox.ini", "[flake8]"))),
    Linter("pylint", "pylint", ("--output-format=json", "--exit-zero", "--score=n"),
           (".pylintrc", "pylintrc"), (("pyproject.toml", "[tool.pylint"),
                                       ("setup.cfg", "[pylint"))),
    Linter("mypy", "mypy", ("--no-error-summary", "--show-error-codes", "--no-color-output",
                            "--hide-error-context", "--no-pretty", "--no-incremental"),
           ("mypy.ini", ".mypy.ini"), (("pyproject.toml", "[tool.mypy"),
                                       ("setup.cfg", "[mypy"))),
    Linter("pyright", "pyright", ("--outputjson",), ("pyrightconfig.json",),
           (("pyproject.toml", "[tool.pyright"),)),
)
# Where a tool's configuration lives: a candidate is linted under the base's (a change
# that loosens the configuration does not hide its own findings).
CONFIG_FILES = frozenset({".pre-commit-config.yaml", *(f for t in LINTERS for f in t.files),
                          *(rel for t in LINTERS for rel, _ in t.sections)})
_HOOK = re.compile(r"^\s*-?\s*id:\s*['\"]?([\w-]+)", re.MULTILINE)
_HOOK_NAMES = {"ruff": "ruff", "ruff-check": "ruff", "flake8": "flake8", "pylint": "pylint",
               "mypy": "mypy", "pyright": "pyright"}


def configured(read: Callable[[str], str | None]) -> list[Linter]:
    """The linters the repository configures; `read(rel)` is a file's text or None (the
    caller reads without following links)."""
    hooks = {_HOOK_NAMES[h] for h in _HOOK.findall(read(".pre-commit-config.yaml") or "")
             if h in _HOOK_NAMES}
    texts: dict[str, str | None] = {}

    def has(rel: str, section: str) -> bool:
        text = texts.setdefault(rel, read(rel))
        return text is not None and any(line.strip().startswith(section)
                                        for line in text.splitlines())
    return [t for t in LINTERS if t.name in hooks or any(read(f) is not None for f in t.files)
            or any(has(rel, section) for rel, section in t.sections)]


def job(linters: Sequence[Linter], files: Sequence[str], timeout_s: float) -> dict:
    return {"files": list(files), "timeout_s": timeout_s,
            "tools": [{"name": t.name, "module": t.module, "argv": list(t.argv),
                       "format": t.name} for t in linters]}


@dataclass(frozen=True)
class Finding:
    tool: str
    path: str
    line: int
    code: str
    message: str
    # the tool offers a safe fix for it (ruff: applicability "safe"): governance.oracle.
    # lint_fix may apply it. Not part of what the finding is.
    fixable: bool = field(default=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.tool, self.path, self.code, " ".join(self.message.split())

    def text(self) -> str:
        return f"{self.tool}: {self.path}:{self.line}: {self.code} {self.message}"[:300]


def findings_of(answer: Mapping, asked: Sequence[str] = ()) \
        -> tuple[dict[str, list[Finding]], dict[str, str]]:
    """A runner's answer as (tool -> findings, tool -> why it gave none); anything not in
    the runner's form is a problem of that tool, and so is a tool of `asked` the answer
    does not mention (no answer is no evidence)."""
    found: dict[str, list[Finding]] = {}
    problems: dict[str, str] = {}
    tools = answer.get("tools") if isinstance(answer, Mapping) else None
    if not isinstance(tools, Mapping):
        return {}, {str(name): "the runner's answer was not in its form" for name in asked}
    problems |= {str(name): "the runner's answer does not mention it" for name in asked
                 if name not in tools}
    for name, result in tools.items():
        if asked and name not in asked:
            continue  # not asked about: nothing of it is read
        try:
            if not isinstance(result, Mapping):
                raise TypeError("not a mapping")
            if "problem" in result:
                problems[str(name)] = str(result["problem"])[:300]
                continue
            found[str(name)] = [_finding(str(name), item) for item in result["findings"]]
        except (TypeError, ValueError, KeyError):
            problems[str(name)] = "its answer was not in the runner's form"
    return found, problems


def _finding(tool: str, item: Sequence) -> Finding:
    """[path, line, code, message] or, from a tool that says so, [..., safe fix: bool]."""
    if len(item) not in (4, 5):
        raise ValueError("not a finding")
    p, n, c, m = item[:4]
    return Finding(tool, str(p), int(n), str(c), str(m), len(item) == 5 and item[4] is True)


def new_findings(base: Sequence[Finding], candidate: Sequence[Finding]) -> list[Finding]:
    """The candidate's findings beyond the base's, counted by key: of k findings with one
    key where the base had j, the last k - j are new."""
    left = Counter(f.key for f in base)
    out = []
    for f in candidate:
        if left[f.key] > 0:
            left[f.key] -= 1
        else:
            out.append(f)
    return out


def not_moved(new: Sequence[Finding], base: Sequence[Finding], candidate: Sequence[Finding],
              cand_text: Callable[[str], str | None],
              base_text: Callable[[str], str | None]) -> list[Finding]:
    """`new` (the candidate's findings beyond the base's) less those that moved with their
    code (issue 49, item 4): a finding the base had and the candidate lost, of the same tool
    and rule, on a line of the same text (stripped) in another file or at another line. A
    fix that moves a function into a new module moves its findings with it; they are the
    base's, not new. The texts are read through `cand_text` and `base_text` (None: absent)."""
    lost = new_findings(candidate, base)  # the base's findings the candidate no longer has
    texts: dict[tuple[str, str], list[str]] = {}

    def line(side: str, read: Callable[[str], str | None], f: Finding) -> str:
        lines = texts.setdefault((side, f.path), (read(f.path) or "").splitlines())
        return lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""
    left = Counter((f.tool, f.code, text) for f in lost
                   if (text := line("base", base_text, f)))
    out = []
    for f in new:
        key = (f.tool, f.code, line("candidate", cand_text, f))
        if key[2] and left[key] > 0:
            left[key] -= 1
            continue
        out.append(f)
    return out
