"""The built-in tools: schemas, categories and handlers, declared as one manifest.

Handlers receive validated arguments (tools.args) and a ToolEnv and return text. Every path
argument has already passed the policy (text, protection, kind) before a handler runs. The
sandbox is shared with jailed commands that can rearrange it, so handlers touch it only
through tools.sandbox_files (governance.fs.nofollow underneath): nothing is resolved, no
symlink is followed, and every refusal (a symlink, a loop, a FIFO, an over-long name) comes
back as ToolFailed, never as a crash. The command tools (bash, run_tests) are in
tools.commands.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from governance.fs import nofollow, nofollow_write
from governance.python_ast import parse_python
from tools.args import (
    Args,
    AskHuman,
    Bash,
    DeleteFile,
    EditFile,
    GetCallers,
    GitBlame,
    GitDiff,
    GitLog,
    GlobFiles,
    PathArg,
    ReadFile,
    RunTests,
    SearchCode,
    WebFetch,
    WriteFile,
)
from tools.commands import bash, run_tests
from tools.env import ToolEnv
from tools.errors import ToolFailed
from tools.sandbox_files import SKIP_DIRS, files_under, protected, read_text, refusing

Handler = Callable[[Any, ToolEnv], Awaitable[str]]


async def read_file(a: ReadFile, env: ToolEnv) -> str:
    lines = read_text(env, a.path).splitlines()
    chunk = lines[a.start_line - 1 : a.start_line - 1 + a.max_lines]
    body = "\n".join(f"{a.start_line + i:5d}  {line}" for i, line in enumerate(chunk))
    more = len(lines) - (a.start_line - 1 + len(chunk))
    return body + (f"\n[... {more} more lines]" if more > 0 else "")


async def search_code(a: SearchCode, env: ToolEnv) -> str:
    try:
        pattern = re.compile(a.pattern if a.regex else re.escape(a.pattern))
    except re.error as exc:
        raise ToolFailed(f"bad regex: {exc}") from None
    hits = []
    for rel in files_under(env, a.path):
        try:
            text = read_text(env, rel)
        except ToolFailed:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{rel}:{n}: {line.strip()[:200]}")
                if len(hits) >= a.max_results:
                    return "\n".join(hits) + "\n[result limit reached]"
    return "\n".join(hits) or "no matches"


async def list_symbols(a: PathArg, env: ToolEnv) -> str:
    try:
        tree = parse_python(read_text(env, a.path))
    except SyntaxError as exc:
        raise ToolFailed(f"{a.path} does not parse: {exc.msg} (line {exc.lineno})") from None
    except (RecursionError, MemoryError, ValueError):
        raise ToolFailed(f"{a.path} cannot be parsed (too deeply nested)") from None
    out = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out.append(f"class {node.name} (line {node.lineno})")
            out += [f"  def {n.name} (line {n.lineno})" for n in node.body
                    if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(f"def {node.name} (line {node.lineno})")
        elif isinstance(node, ast.Assign):
            out += [f"{t.id} = ... (line {node.lineno})" for t in node.targets
                    if isinstance(t, ast.Name)]
    return "\n".join(out) or "no top-level symbols"


async def glob_files(a: GlobFiles, env: ToolEnv) -> str:
    if a.pattern.startswith("/") or ".." in a.pattern.split("/"):
        raise ToolFailed("glob patterns are relative to the repository and cannot climb out")
    hits = [f for f in files_under(env, ".") if fnmatch.fnmatch(f, a.pattern)]
    return "\n".join(hits[:200]) + ("\n[... more]" if len(hits) > 200 else "") or "no files"


_SUFFIX = {"dir": "/", "symlink": "@ (symlink, not followed)", "other": " (special file)"}


async def list_dir(a: PathArg, env: ToolEnv) -> str:
    with refusing(a.path):
        entries = nofollow.listdir(env.workspace.root, a.path)
    prefix = "/".join(nofollow.split(a.path))
    shown = [name + _SUFFIX.get(kind, "") for name, kind in entries
             if name not in SKIP_DIRS and not protected(env, f"{prefix}/{name}".lstrip("/"))]
    return "\n".join(shown) or "(empty)"


async def get_callers(a: GetCallers, env: ToolEnv) -> str:
    hits = []
    for rel in files_under(env, a.path):
        if not rel.endswith(".py"):
            continue
        try:
            tree = parse_python(read_text(env, rel))
        except (SyntaxError, ToolFailed, RecursionError, MemoryError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
                    f, ast.Attribute) else None
                if name == a.name:
                    hits.append(f"{rel}:{node.lineno}")
    return "\n".join(hits) or f"no call sites of {a.name}"


async def git_log(a: GitLog, env: ToolEnv) -> str:
    args = [f"-{a.max_count}", "--format=%h %ad %an: %s", "--date=short"]
    return env.git.repo.git.log(*args, *(["--", a.path] if a.path else [])) or "no commits"


async def git_diff(a: GitDiff, env: ToolEnv) -> str:
    """What this op has changed so far in its sandbox (the candidate in progress)."""
    import difflib

    want = "/".join(nofollow.split(a.path)) if a.path else None
    modified, added, deleted = env.workspace.changed()
    out = []
    for rel in modified + added + deleted:
        if want and rel != want and not rel.startswith(want + "/"):
            continue
        before = env.git.repo.git.show(f"HEAD:{rel}") + "\n" if rel not in added else ""
        after = "" if rel in deleted else read_text(env, rel)
        out += difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                    f"a/{rel}", f"b/{rel}")
    return "".join(out) or "no changes yet"


async def git_blame(a: GitBlame, env: ToolEnv) -> str:
    end = a.end_line or a.start_line + 40
    return env.git.repo.git.blame("-L", f"{a.start_line},{end}", "--date=short", "--",
                                  a.path)


async def edit_file(a: EditFile, env: ToolEnv) -> str:
    text = read_text(env, a.path)
    count = text.count(a.old)
    if count == 0:
        raise ToolFailed(f"{a.path}: the text to replace was not found (match exactly, "
                         "including indentation)")
    if count > 1:
        raise ToolFailed(f"{a.path}: the text to replace occurs {count} times; include more "
                         "surrounding lines so it is unique")
    data = text.replace(a.old, a.new, 1).encode("utf-8", "replace")
    with refusing(a.path):
        nofollow_write.write_bytes_atomic(env.workspace.root, a.path, data, make_parents=False)
    env.workspace.wrote(a.path, data, edited=text.encode("utf-8", "replace"))
    return f"edited {a.path}"


async def write_file(a: WriteFile, env: ToolEnv) -> str:
    data = a.content.encode("utf-8", "replace")
    with refusing(a.path):
        nofollow_write.write_bytes_atomic(env.workspace.root, a.path, data)
    env.workspace.wrote(a.path, data)
    return f"wrote {a.path} ({len(a.content.splitlines())} lines)"


async def delete_file(a: DeleteFile, env: ToolEnv) -> str:
    with refusing(a.path):
        st = nofollow.lstat(env.workspace.root, a.path)
        if st is None or not stat.S_ISREG(st.st_mode):
            what = "no such file" if st is None else f"a {nofollow.kind_of(st.st_mode)}"
            raise ToolFailed(f"{a.path}: {what}, not a regular file")
        nofollow_write.remove(env.workspace.root, a.path)
    env.workspace.wrote(a.path, None)
    return f"deleted {a.path}"


async def web_fetch(a: WebFetch, env: ToolEnv) -> str:
    import httpx

    host = httpx.URL(a.url).host
    if not any(host == d or host.endswith("." + d) for d in env.web_allowlist):
        raise ToolFailed(f"{host} is not on the web_fetch allowlist")
    async with httpx.AsyncClient(timeout=15, follow_redirects=False) as client:
        response = await client.get(a.url)
    return f"HTTP {response.status_code}\n{response.text[:20000]}"


async def ask_human(a: AskHuman, env: ToolEnv) -> str:
    if env.ask_human is None:
        raise ToolFailed("no human is reachable for this op")
    answer = await env.ask_human(a.question, env.ask_timeout_s)
    return answer if answer is not None else f"no answer within {env.ask_timeout_s:g}s"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    args: type[Args]
    handler: Handler
    category: str  # comprehension | discovery | call_graph | history | mutation | ...
    description: str
    path_fields: tuple[str, ...] = ()
    rate_limit: int = 60  # calls per op
    path_kind: str = "any"  # what its path arguments may name: file | dir | any


MANIFEST: tuple[ToolSpec, ...] = (
    ToolSpec("read_file", ReadFile, read_file, "comprehension",
             "read a file (numbered lines)", ("path",), path_kind="file"),
    ToolSpec("search_code", SearchCode, search_code, "discovery",
             "search files for a literal or regex pattern", ("path",)),
    ToolSpec("list_symbols", PathArg, list_symbols, "comprehension",
             "classes, functions and assignments of a Python module", ("path",),
             path_kind="file"),
    ToolSpec("glob_files", GlobFiles, glob_files, "discovery", "files matching a glob"),
    ToolSpec("list_dir", PathArg, list_dir, "discovery", "a directory's entries", ("path",),
             path_kind="dir"),
    ToolSpec("get_callers", GetCallers, get_callers, "call_graph",
             "call sites of a function or method name", ("path",)),
    ToolSpec("git_log", GitLog, git_log, "history", "recent commits", ("path",)),
    ToolSpec("git_diff", GitDiff, git_diff, "history",
             "what this op has changed so far", ("path",)),
    ToolSpec("git_blame", GitBlame, git_blame, "history", "who wrote which lines",
             ("path",), path_kind="file"),
    ToolSpec("edit_file", EditFile, edit_file, "mutation",
             "replace one exact, unique snippet in a file", ("path",), path_kind="file"),
    ToolSpec("write_file", WriteFile, write_file, "mutation", "write a whole file", ("path",),
             path_kind="file"),
    ToolSpec("delete_file", DeleteFile, delete_file, "mutation", "delete a file", ("path",),
             path_kind="file"),
    ToolSpec("bash", Bash, bash, "execution", "run a shell command in the sandbox (files it "
             "creates or changes are not part of your change; edit with the file tools)",
             rate_limit=20),
    ToolSpec("run_tests", RunTests, run_tests, "execution",
             "run pytest on test files in the sandbox", ("paths",), rate_limit=10),
    ToolSpec("web_fetch", WebFetch, web_fetch, "web",
             "fetch an https URL on the allowlist (off by default)", rate_limit=5),
    ToolSpec("ask_human", AskHuman, ask_human, "human",
             "ask the operator a question (NOTIFY/APPROVAL ops only)", rate_limit=3),
)
TOOLS: dict[str, ToolSpec] = {t.name: t for t in MANIFEST}
