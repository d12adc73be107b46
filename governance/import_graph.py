"""Who imports a module: the repository's Python import graph, for regression prophecy's
dependents count (governance.reputation).

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

from governance import nofollow

MAX_BYTES = 1 << 20
MAX_FILES = 20_000  # a larger repository is sampled in listing order
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([^#\n)]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^#\n;]+)", re.M)


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


class ImportGraph:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[int, int, frozenset[str]]] = {}

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

    def _imports(self, root: Path, rel: str) -> frozenset[str]:
        try:
            st = os.lstat(root / rel)
        except OSError:
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
        return found
