"""The real-library corpus's shape: three libraries from PyPI with their own test suites, and
for each the controls (each preserves behaviour) and the careless refactors (each changes it
on some input the library's suite never tries), as text edits of one library file.

A library is vendored as `tests/data/refactors_real/<name>/tree.json.xz` (its package and
tests, path -> text; an archive, so neither this repository's pytest nor its linters read
it), beside its LICENSE and manifest.json. A careless refactor carries a probe: a public
call, and its answer on the base and on the refactored library, which the corpus checks in
a subprocess, so each careless claim is shown, not asserted.
"""

from __future__ import annotations

import functools
import json
import lzma
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

DATA = Path(__file__).resolve().parents[2] / "data" / "refactors_real"
LIBRARIES = ("mistune", "isodate", "xmltodict")
OUTCOMES = ("lands", "counterexample", "not shown")

Edit = tuple[str, str]  # (text as it appears exactly once in the file, replacement)


@dataclass(frozen=True)
class Library:
    """One vendored library: its manifest and its files."""

    name: str
    version: str
    licence: str

    @property
    def files(self) -> dict[str, str]:
        return dict(_tree(self.name))


@functools.cache
def _tree(name: str) -> tuple[tuple[str, str], ...]:
    raw = json.loads(lzma.decompress((DATA / name / "tree.json.xz").read_bytes()))
    return tuple(sorted(raw.items()))


@functools.cache
def library(name: str) -> Library:
    manifest = json.loads((DATA / name / "manifest.json").read_text())
    return Library(manifest["name"], manifest["version"], manifest["licence"])


@dataclass(frozen=True)
class Probe:
    """A public call that shows a careless refactor's change: `expr` evaluated after
    `setup` (with the library importable), its repr on each tree, or `raises <Type>`."""

    setup: str
    expr: str
    base: str
    careless: str


@dataclass(frozen=True)
class Case:
    """One refactor as a library module writes it."""

    file: str
    function: str  # the qualname the op is about
    category: str  # the careless pattern, or the preserving technique
    description: str
    edits: tuple[Edit, ...]
    probe: Probe | None = None  # required of a careless refactor


def crlf(old: str, new: str) -> tuple[str, str]:
    """An edit of a library whose lines end with CRLF, written in a case with LF."""
    return old.replace("\n", "\r\n"), new.replace("\n", "\r\n")


def case(file: str, function: str, category: str, description: str, *edits: Edit,
         probe: Probe | None = None) -> Case:
    return Case(file, function, category, description, edits, probe)


@dataclass(frozen=True)
class Refactor:
    """One candidate: a library file's text after the refactor, and what it is."""

    name: str  # "<library>.<case>"
    library: Library
    file: str
    function: str
    kind: str  # "control" or "careless"
    category: str
    description: str
    text: str
    probe: Probe | None

    @property
    def preserving(self) -> bool:
        return self.kind == "control"

    @property
    def base_text(self) -> str:
        return self.library.files[self.file]

    @property
    def files(self) -> dict[str, str]:
        return {**self.library.files, self.file: self.text}


def apply(source: str, changes: tuple[Edit, ...], where: str) -> str:
    """`source` with each edit made; an edit's text must occur exactly once."""
    for old, new in changes:
        if source.count(old) != 1:
            raise ValueError(f"{where}: {old!r} occurs {source.count(old)} times")
        source = source.replace(old, new)
    return source


def refactors_of(module: ModuleType) -> list[Refactor]:
    """A library module's refactors (its LIBRARY, CONTROLS and CARELESS)."""
    lib = library(module.LIBRARY)
    out = []
    for kind, cases in (("control", module.CONTROLS), ("careless", module.CARELESS)):
        for key, c in cases.items():
            where = f"{lib.name}.{key}"
            text = apply(lib.files[c.file], c.edits, where)
            out.append(Refactor(where, lib, c.file, c.function, kind, c.category,
                                c.description, text, c.probe))
    return out


def all_refactors() -> list[Refactor]:
    from tests.governance.refactors_real import lib_isodate, lib_mistune, lib_xmltodict

    out = [r for m in (lib_mistune, lib_isodate, lib_xmltodict) for r in refactors_of(m)]
    names = [r.name for r in out]
    assert len(names) == len(set(names)), "refactor names must be unique"
    return out


# CI's scaled run: every library, controls and careless alike (isodate's careless forced
# timedelta, a guard dropped as mistune's and xmltodict's are, runs in the full lane since
# stop 59), stateful arguments and plain ones (a re.Match and a parser state, a SAX handler
# holding callbacks, a Duration).
CI_SAMPLE = ("mistune.abbr_regex_helper", "mistune.table_row_widths_unchecked",
             "isodate.duration_sign_table",
             "xmltodict.namespace_early_return", "xmltodict.push_data_parent_path",
             "xmltodict.comments_always_stripped")  # a caller's forwarded **kwargs


def chosen() -> list[Refactor]:
    """The CI sample, or with OUROBOROS_REFACTORS_REAL=all the whole corpus."""
    everything = all_refactors()
    if os.environ.get("OUROBOROS_REFACTORS_REAL") == "all":
        return everything
    by_name = {r.name: r for r in everything}
    return [by_name[n] for n in CI_SAMPLE]


def counts(refactors: list[Refactor]) -> dict[str, Counter]:
    """Per library and per category, controls and careless apart (the report's table)."""
    return {"careless": Counter(r.category for r in refactors if not r.preserving),
            "control": Counter(r.category for r in refactors if r.preserving),
            "library": Counter(r.library.name for r in refactors)}
