"""The lint gate's runner: the repository's own linters and type checkers on some of its
files, in one tree (governance.oracle.linters says which tools and how to read them).

Run in the jail as a script (`python -P _ouroboros_script.py JOB OUT`) with the tree as its
working directory, by the test environment's Python, so each tool is the one the project
installed, reading the project's own configuration. It imports nothing of ours (Python 3.9
and later, standard library only). A tool that is not installed there, that times out, or
whose output cannot be read reports a problem instead of findings: no finding of it is
evidence either way.

JOB: {"files": [...], "timeout_s": N, "tools": [{"name", "module", "argv", "format"}]};
each argv is run as `python -m MODULE ARGV... FILES...`. OUT: {"tools": {name: {"findings":
[[path, line, code, message], ...]} or {"problem": why}}}; ruff's findings carry a fifth
item, whether ruff offers a safe fix. A fixer (governance.oracle.lint_fix) runs the same
way with the format "fix": it rewrites the files and reports no findings.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys

MAX_FINDINGS = 2000  # per tool: a file this far from clean says enough
_MYPY = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?:\d+:)? error: (?P<message>.*?)"
                   r"(?:  \[(?P<code>[\w-]+)\])?$")


def _rel(path, files):
    """A tool's path for one of `files` (relative to the tree), or None for another file."""
    path = os.path.relpath(os.path.abspath(path)).replace(os.sep, "/")
    return path if path in files else None


def _ruff(text, files):
    out = []
    for item in json.loads(text or "[]"):
        rel = _rel(item.get("filename", ""), files)
        if rel is not None:
            row = (item.get("location") or {}).get("row", 0)
            safe = (item.get("fix") or {}).get("applicability") == "safe"
            out.append([rel, row, item.get("code") or "syntax", item.get("message", ""), safe])
    return out


def _pylint(text, files):
    out = []
    for item in json.loads(text or "[]"):
        rel = _rel(item.get("path", ""), files)
        if rel is not None:
            out.append([rel, item.get("line", 0), item.get("symbol") or item.get(
                "message-id", "?"), item.get("message", "")])
    return out


def _flake8(text, files):
    out = []
    for line in text.splitlines():
        parts = line.split("|", 4)
        if len(parts) == 5 and _rel(parts[0], files) is not None:
            out.append([_rel(parts[0], files), int(parts[1] or 0), parts[3], parts[4]])
    return out


def _mypy(text, files):
    out = []
    for line in text.splitlines():
        m = _MYPY.match(line.rstrip())
        if m and _rel(m["path"], files) is not None:
            out.append([_rel(m["path"], files), int(m["line"]), m["code"] or "error",
                        m["message"]])
    return out


def _pyright(text, files):
    out = []
    for item in json.loads(text or "{}").get("generalDiagnostics", []):
        rel = _rel(item.get("file", ""), files)
        if rel is not None and item.get("severity") == "error":
            line = ((item.get("range") or {}).get("start") or {}).get("line", 0) + 1
            out.append([rel, line, item.get("rule") or "error", item.get("message", "")])
    return out


def _fix(text, files):
    """A fixer's output: what it changed is in the files themselves."""
    return []


PARSERS = {"ruff": _ruff, "pylint": _pylint, "flake8": _flake8, "mypy": _mypy,
           "pyright": _pyright, "fix": _fix}


def run_tool(tool, files, timeout_s):
    """One tool's findings on `files`, or the problem that kept it from giving them."""
    if importlib.util.find_spec(tool["module"]) is None:
        return {"problem": "not installed in the test environment"}
    argv = [sys.executable, "-m", tool["module"], *tool["argv"], *files]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s,
                              errors="replace", stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"problem": f"timed out after {timeout_s:g}s"}
    except OSError as exc:
        return {"problem": f"did not start: {exc}"}
    try:
        findings = PARSERS[tool["format"]](done.stdout, set(files))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        tail = (done.stderr or done.stdout).strip()[-300:]
        return {"problem": f"output not read ({type(exc).__name__}; exit {done.returncode}: "
                           f"{tail})"}
    if not findings and done.returncode not in (0, 1):
        return {"problem": f"exit {done.returncode}: {(done.stderr or '').strip()[-300:]}"}
    return {"findings": findings[:MAX_FINDINGS]}


def main(job_path, out_path):
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    files = [f for f in job["files"] if os.path.isfile(f)]
    tools = {}
    for tool in job["tools"]:
        tools[tool["name"]] = run_tool(tool, files, float(job["timeout_s"])) if files \
            else {"findings": []}
    with open(out_path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"tools": tools}, handle)
    os.replace(out_path + ".tmp", out_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
