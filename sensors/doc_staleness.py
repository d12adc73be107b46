"""DocStaleness: public modules, classes and functions in committed files that have no
docstring become "add docstrings" envelopes (low urgency).

Fed by the post-commit hook (sensors/hooks.py): each commit appends one JSON line with its
changed files to `<state dir>/git_events.jsonl`. The sensor reads the lines it has not read
yet on scan_once (at start, on the safety-net poll, `ouroboros scan docs`) and when the
watcher sees the repository's git state change (a commit). How far it has read is kept in
`git_events.offset` beside it, so a restart does not report old commits again; a file that
was replaced or truncated is read from its start.

What counts, in each changed `.py` file as it is now (a docstring added since the commit
is not reported): the module itself, its top-level public functions and classes, and the
public methods of its public classes. Public: the name does not start with `_` (a module
named `_x.py` is private; `__init__.py` is public). Test files (`test_*.py`, `*_test.py`,
`conftest.py`, anything under a `tests/` or `test/` directory) and `@overload` stubs are
skipped. "Changed" is the file, not the function: every undocumented public name in a
changed file is listed. One envelope per file; its dedup key is over the file and the names.

Hostile input queues nothing and stops nothing: a line that is not JSON or not the schema,
a path that is absolute or climbs out, a file that is gone, binary, huge or does not parse.
A file that is there but cannot be read is logged and looked at again on the next look.
An over-long line (more than MAX_LINE_BYTES) is skipped; the events file is never followed
through a symlink.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path, PurePosixPath

import structlog

from governance.fs.protected import normalize
from governance.python_ast import parse_python
from governance.schemas import SignalEnvelope, Source, Urgency
from sensors.errors import SourceReadError
from sensors.hooks import EVENTS
from sensors.todo import is_source_path, read_source

log = structlog.get_logger("sensors.doc_staleness")

SOURCE = Source.DOC_STALENESS
OFFSET = "git_events.offset"
MAX_LINE_BYTES = 1_000_000
MAX_READ_BYTES = 8_000_000  # per look; the rest is read on the next one
MAX_NAMES_IN_GOAL = 20
TEST_DIRS = frozenset({"tests", "test"})


def is_public_module(rel: str) -> bool:
    p = PurePosixPath(rel)
    if any(part in TEST_DIRS for part in p.parts[:-1]) or p.name == "conftest.py" \
            or p.stem.startswith("test_") or p.stem.endswith("_test"):
        return False
    return not any(part.startswith("_") for part in p.parts[:-1]) \
        and (p.stem in ("__init__", "__main__") or not p.stem.startswith("_"))


def _is_overload(node: ast.AST) -> bool:
    return any((isinstance(d, ast.Name) and d.id == "overload")
               or (isinstance(d, ast.Attribute) and d.attr == "overload")
               for d in getattr(node, "decorator_list", []))


def undocumented(text: str) -> list[str] | None:
    """Public names without a docstring ("<module>" first), or None if not parseable."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    missing = [] if ast.get_docstring(tree) is not None else ["<module>"]
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if not isinstance(node, defs) or node.name.startswith("_") or _is_overload(node):
            continue
        if ast.get_docstring(node) is None:
            missing.append(node.name)
        if isinstance(node, ast.ClassDef):
            missing += [f"{node.name}.{m.name}" for m in node.body
                        if isinstance(m, defs[:2]) and not m.name.startswith("_")
                        and not _is_overload(m) and ast.get_docstring(m) is None]
    return missing


def envelope_for(rel: str, names: list[str], commit: str, session_id: str) -> SignalEnvelope:
    shown = ", ".join(names[:MAX_NAMES_IN_GOAL])
    more = f" and {len(names) - MAX_NAMES_IN_GOAL} more" if len(names) > MAX_NAMES_IN_GOAL else ""
    key = hashlib.sha256(json.dumps([rel, sorted(names)]).encode()).hexdigest()[:24]
    return SignalEnvelope(
        source=SOURCE, urgency=Urgency.LOW, target_files=(rel,),
        goal=(f"Add docstrings to {rel}, changed in commit {commit[:12]}: {shown}{more} "
              "(say what each is for; change no code)"),
        confidence=0.8, dedup_key=f"docs:{key}", session_id=session_id,
        evidence={"commit": commit, "missing": names[:200]})


def parse_event(line: bytes) -> tuple[str, list[str]]:
    """(commit, repo-relative files) of one hook line; ValueError saying what is wrong."""
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != "git_event.1":
        raise ValueError("not a git_event.1 object")
    commit, files = data.get("commit"), data.get("files")
    if not isinstance(commit, str) or not isinstance(files, list) \
            or not all(isinstance(f, str) for f in files):
        raise ValueError("commit must be a string and files a list of strings")
    return commit, files


class DocStalenessSensor:
    def __init__(self, root: Path, session_id: str,
                 emit: Callable[[SignalEnvelope], Awaitable[bool]], state_dir: Path,
                 skipped: Callable[[str], str | None] | None = None):
        self.root = root
        # why a committed file lies in a directory sensors never look at (a committed
        # site-packages, a venv: sensors.repo_tree); None: none is skipped
        self.skipped = skipped
        self.session_id = session_id
        self.emit = emit
        self.events = state_dir / EVENTS
        self.offset_file = state_dir / OFFSET
        self.problem: str | None = None  # why the events file cannot be read
        self._lock = asyncio.Lock()  # the poll and a commit event must not read twice
        self.unread: dict[str, str] = {}  # file -> commit: could not be read; next look retries

    async def on_paths(self, paths: Iterable[str]) -> None:
        """File saves are not commits: the hook's lines come through scan_once."""

    async def scan_once(self, files: Iterable[str] = ()) -> int:
        """Read the hook's new lines and emit for their files; returns envelopes emitted."""
        async with self._lock:
            try:
                lines, end, ident = await asyncio.to_thread(self._new_lines)
            except OSError as exc:
                self.problem = f"{self.events}: {exc.strerror or exc}"
                log.warning("git events not read", error=self.problem)
                return 0
            self.problem = None
            found = await asyncio.to_thread(self._findings, lines)
            for rel, names, commit in found:
                await self.emit(envelope_for(rel, names, commit, self.session_id))
            await asyncio.to_thread(self._save_offset, ident, end)
            return len(found)

    def _new_lines(self) -> tuple[list[bytes], int, str]:
        """Complete lines after the saved offset, the offset after them, the file's id."""
        try:
            fd = os.open(self.events, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return [], 0, ""  # no hook installed, or no commit yet
        try:
            st = os.fstat(fd)
            ident = f"{st.st_dev}:{st.st_ino}"
            start = self._load_offset(ident, st.st_size)
            data = os.pread(fd, MAX_READ_BYTES, start)
        finally:
            os.close(fd)
        cut = data.rfind(b"\n") + 1  # a line the hook is still writing waits
        if cut == 0 and len(data) == MAX_READ_BYTES:  # no end in sight: not a hook's line
            log.warning("git events: over-long line skipped", offset=start)
            return [], start + len(data), ident  # its tail reads as one bad line next time
        return data[:cut].splitlines(), start + cut, ident

    def _load_offset(self, ident: str, size: int) -> int:
        try:
            saved_ident, saved = self.offset_file.read_text().split()
            offset = int(saved)
        except (OSError, ValueError):
            return 0
        return offset if saved_ident == ident and 0 <= offset <= size else 0

    def _save_offset(self, ident: str, offset: int) -> None:
        if not ident:
            return
        tmp = self.offset_file.with_name(OFFSET + ".tmp")
        tmp.write_text(f"{ident} {offset}\n")
        os.replace(tmp, self.offset_file)

    def _findings(self, lines: list[bytes]) -> list[tuple[str, list[str], str]]:
        latest = dict(self.unread)  # file -> the last commit that changed it
        self.unread.clear()
        for n, line in enumerate(lines):
            if len(line) > MAX_LINE_BYTES:
                log.warning("git event line too long; skipped", bytes=len(line))
                continue
            try:
                commit, files = parse_event(line)
            except ValueError as exc:
                log.warning("git event line not used", line=n, why=str(exc))
                continue
            for f in files:
                if (rel := self._repo_path(f)) is not None:
                    latest[rel] = commit
        out = []
        for rel, commit in latest.items():
            try:
                names = self._missing(rel)
            except SourceReadError as exc:  # "could not look" is not "nothing missing"
                log.warning("docstrings not checked; retried on the next look",
                            file=rel, why=str(exc))
                self.unread[rel] = commit
                continue
            if names:
                out.append((rel, names, commit))
        return out

    def _repo_path(self, name: str) -> str | None:
        """The canonical path of a public Python module named in an event, else None."""
        if not is_source_path(name):
            return None
        try:
            rel = normalize(name, allow_non_ascii=True)
        except ValueError as exc:  # absolute, climbing, look-alike: not a repository path
            log.warning("git event names no repository path", file=ascii(name), why=str(exc))
            return None
        if self.skipped is not None and self.skipped(rel) is not None:
            return None
        return rel if is_public_module(rel) else None

    def _missing(self, rel: str) -> list[str]:
        text = read_source(self.root / rel, self.root)  # SourceReadError: the caller retries
        return (undocumented(text) if text is not None else None) or []
