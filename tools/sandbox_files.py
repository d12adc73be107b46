"""The sandbox as the built-in handlers touch it. The sandbox is shared with jailed commands
that can rearrange it, so every access goes through governance.fs.nofollow: nothing is resolved,
no symlink is followed, and every refusal (a symlink, a loop, a FIFO, an over-long name)
comes back as ToolFailed naming the path, never as a crash.
"""

from __future__ import annotations

import contextlib
import stat
from collections.abc import Iterator

from governance.fs import nofollow
from governance.fs.protected import PathEscape, protected_reason
from tools.env import ToolEnv
from tools.errors import ToolFailed

MAX_FILE_BYTES = 1_000_000
SKIP_DIRS = frozenset({"__pycache__", ".pytest_cache"})


@contextlib.contextmanager
def refusing(rel: str) -> Iterator[None]:
    """Turn every file-system refusal into a ToolFailed that names the path and reason."""
    try:
        yield
    except FileNotFoundError:
        raise ToolFailed(f"{rel}: no such file or directory") from None
    except nofollow.TooLarge:
        raise ToolFailed(f"{rel}: larger than {MAX_FILE_BYTES} bytes, too large to read") from None
    except PathEscape as exc:
        raise ToolFailed(f"{rel}: refused: {exc}") from None
    except OSError as exc:
        raise ToolFailed(f"{rel}: {exc.strerror or exc}") from None


def protected(env: ToolEnv, rel: str) -> bool:
    try:
        return protected_reason(rel, env.state_rel, env.protected_globs) is not None
    except PathEscape:
        return True


def read_text(env: ToolEnv, rel: str) -> str:
    with refusing(rel):
        data = nofollow.read_bytes(env.workspace.root, rel, MAX_FILE_BYTES)
    if b"\x00" in data[:8192]:
        raise ToolFailed(f"{rel}: binary file")
    return data.decode("utf-8", "replace")


def files_under(env: ToolEnv, under: str) -> list[str]:
    """Regular files at or beneath `under`, never through a symlink, protected ones left out."""
    root = env.workspace.root
    with refusing(under):
        st = nofollow.lstat(root, under)
        if st is None:
            raise FileNotFoundError(under)
        if stat.S_ISREG(st.st_mode):
            found = ["/".join(nofollow.split(under))]
        elif stat.S_ISDIR(st.st_mode):
            found = list(nofollow.walk(root, under, skip_dirs=SKIP_DIRS))
        else:
            raise ToolFailed(f"{under}: a {nofollow.kind_of(st.st_mode)}, not a file or directory")
    return [rel for rel in found if not protected(env, rel)]
