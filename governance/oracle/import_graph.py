"""Who imports a module: the repository's Python import graph, for regression prophecy's
dependents count (governance.memory.reputation) and for the oracle's affected scope: every file
that imports a changed module, directly or through other modules (`reverse_closure`).

Imports are read with a line pattern, not by executing or fully parsing anything:
`import a.b`, `from a.b import c` (counted for a.b and a.b.c) and relative forms resolved
against the importing file's package. A file is read without following links, at most
MAX_BYTES; what cannot be read is skipped. Results are cached per file by (mtime, size), so
an op re-reads only what changed since the last op.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from governance.fs import nofollow

MAX_BYTES = 1 << 20
MAX_FILES = 20_000  # a larger repository is sampled in listing order
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([^#\n)]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^#\n;]+)", re.M)
# Imports no line pattern can follow: a module named at run time may be any module, so an
# import-graph scope that meets one cannot be trusted (the oracle runs the whole suite).
_DYNAMIC = re.compile(r"\b(?:import_module|__import__|spec_from_file_location|"
                      r"run_module|run_path|load_module|exec_module)\s*\(|\bentry_points\b")


def module_names(rel: str) -> set[str]:
    """The dotted names a file is imported by (a src/ layout also without `src.`)."""
    if not rel.endswith(".py"):
        return set()
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = {".".join(parts)} if parts else set()
    if len(parts) > 1 and parts[0] == "src":
        names.add(".".join(parts[1:]))
    return names


def imports_of(rel: str, text: str) -> set[str]:
    package = rel.split("/")[:-1]
    out: set[str] = set()
    for dots, base, names in _FROM.findall(text):
        if dots:  # relative: climb len(dots) - 1 packages from this file's package
            up = package[:len(package) - (len(dots) - 1)] if len(dots) - 1 <= len(package) \
                else []
            base = ".".join([*up, *([base] if base else [])])
        if not base:
            continue
        out.add(base)
        for name in names.split(","):
            name = name.strip().split(" as ")[0].strip()
            if name.isidentifier():
                out.add(f"{base}.{name}")
    for clause in _IMPORT.findall(text):
        for name in clause.split(","):
            name = name.strip().split(" as ")[0].strip()
            if name and all(p.isidentifier() for p in name.split(".")):
                out.add(name)
    return out


def with_packages(names: Iterable[str]) -> set[str]:
    """Importing a.b.c runs a/__init__.py and a/b/__init__.py first: each name with its
    parent packages."""
    out = set()
    for name in names:
        parts = name.split(".")
        out.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    return out


class ImportGraph:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[int, int, frozenset[str]]] = {}
        self._dynamic: set[str] = set()  # cached files that import by a run-time name

    def dependents(self, root: Path, listed: Iterable[str],
                   targets: Iterable[str]) -> dict[str, int]:
        """For each target, how many other listed .py files import it."""
        wanted = {t: module_names(t) for t in targets}
        counts = dict.fromkeys(wanted, 0)
        seen = set()
        for rel in [f for f in listed if f.endswith(".py")][:MAX_FILES]:
            seen.add(rel)
            found = self._imports(root, rel)
            for target, names in wanted.items():
                if rel != target and names & found:
                    counts[target] += 1
        for gone in set(self._cache) - seen:
            del self._cache[gone]
        return counts

    def reverse_closure(self, root: Path, listed: Iterable[str],
                        changed: Iterable[str]) -> set[str]:
        """Every listed .py file that imports a changed module, directly or through other
        listed modules (a package's importers see its __init__ run), the changed files
        not included."""
        files = [f for f in listed if f.endswith(".py")][:MAX_FILES]
        importers: dict[str, set[str]] = {}
        for rel in files:
            for name in with_packages(self._imports(root, rel)):
                importers.setdefault(name, set()).add(rel)
        start = {c for c in changed if c.endswith(".py")}
        found, frontier = set(start), list(start)
        while frontier:
            for name in module_names(frontier.pop()):
                for rel in importers.get(name, ()):
                    if rel not in found:
                        found.add(rel)
                        frontier.append(rel)
        return found - start

    def dynamic_importers(self, root: Path, listed: Iterable[str]) -> list[str]:
        """Listed .py files that import modules by a name computed at run time."""
        return [rel for rel in [f for f in listed if f.endswith(".py")][:MAX_FILES]
                if self._text_flags(root, rel)]

    def _text_flags(self, root: Path, rel: str) -> bool:
        self._imports(root, rel)  # fills the cache entry, flag included
        return rel in self._dynamic

    def _imports(self, root: Path, rel: str) -> frozenset[str]:
        try:
            st = os.lstat(root / rel)
        except OSError:
            self._dynamic.discard(rel)
            return frozenset()
        cached = self._cache.get(rel)
        if cached and cached[:2] == (st.st_mtime_ns, st.st_size):
            return cached[2]
        try:
            text = nofollow.read_bytes(root, rel, MAX_BYTES).decode("utf-8", "replace")
        except (OSError, ValueError):  # a link, a directory, too large, gone
            return frozenset()
        found = frozenset(imports_of(rel, text))
        self._cache[rel] = (st.st_mtime_ns, st.st_size, found)
        if _DYNAMIC.search(text):
            self._dynamic.add(rel)
        else:
            self._dynamic.discard(rel)
        return found
