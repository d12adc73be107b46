"""`ast.parse` for every thread of the daemon, one at a time.

CPython 3.11 keeps the AST constructor's recursion depth in one per-interpreter state, and
two threads building Python AST objects at once can leave it off: `ast.parse` then raises
"SystemError: AST constructor recursion depth mismatch" on valid code (python/cpython
gh-106905; seen here when the refactor corpus's two judges parsed in `asyncio.to_thread`
together). The daemon parses from worker threads (the proof, the sensors, the tools), so
every parse takes this lock: the parse itself is short, and a correct file never reads as
unanalysable by chance.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.Lock()


def parse_python(source: str | bytes, *args: Any, **kwargs: Any) -> ast.Module:
    """`ast.parse(source, ...)`, never beside another thread's."""
    with _LOCK:
        return ast.parse(source, *args, **kwargs)
