"""A hostile-to-defend world for the jail tests: a live repo full of canary secrets, a
daemon state dir, a fake home with ~/.ssh, listening host Unix sockets, a host process.

Everything a jailed attack could steal carries `SECRET`; the attacks in `jail_attacks`
must never print it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from governance.fs.protected import protected_reason
from tests.helpers import git, make_repo
from tests.tools.jail_attacks import SECRET
from tools.workspace import Workspace

# Files a repo may hold that must never be readable in a jail (kept when protected_reason
# says so: that function is the one definition of "protected").
SECRET_FILES = (".env", "config/.env.local", "deploy/server.pem", "keys/id_rsa", ".netrc",
                "secrets/token.txt", ".npmrc", ".git-credentials", "certs/client.key",
                ".aws/credentials", "tests/.env")
LEAKY_TEST = '''import pathlib


def test_prints_env():
    for rel in [".env", "deploy/server.pem", "keys/id_rsa", "tests/.env"]:
        try:
            print(rel, "ENV:", pathlib.Path(rel).read_text())
        except OSError as exc:
            print(rel, "unreadable:", exc)
'''


def _listen(path: str) -> socket.socket:
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(8)
    probe = socket.socket(socket.AF_UNIX)  # reachable from the host: the test can fail
    probe.connect(path)
    probe.close()
    return server


def _secrets(repo: Path) -> list[str]:
    written = []
    for rel in SECRET_FILES:
        if protected_reason(rel, ".ouroboros") is None:
            continue
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(f"TOKEN={SECRET}\n")
        written.append(rel)
    assert ".env" in written and "deploy/server.pem" in written
    return written


def _state_dir(repo: Path) -> Path:
    state = repo / ".ouroboros"
    state.mkdir()
    with contextlib.closing(sqlite3.connect(state / "ledger.sqlite3")) as db:
        db.execute("create table t (secret text)")
        db.execute("insert into t values (?)", (SECRET,))
        db.commit()
    return state


@contextlib.contextmanager
def build_world() -> Iterator[dict]:
    # Not under /tmp: inside the jail /tmp is the jail's own tmpfs, where a write to a
    # path of the host's /tmp lands privately and proves nothing either way.
    base = Path(tempfile.mkdtemp(prefix="ob-jw-", dir="/var/tmp" if os.path.isdir("/var/tmp")
                                 else None))
    servers: list[socket.socket] = []
    run_dir = Path(f"/run/ob-jailtest-{os.getpid()}")
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        repo = make_repo(base)
        (repo / "tests" / "test_leak.py").write_text(LEAKY_TEST)
        git(repo, "remote", "add", "origin", f"https://human:{SECRET}@example.com/r.git")
        git(repo, "config", "credential.helper", f"store --file=/tmp/{SECRET}")
        secret_files = _secrets(repo)
        state = _state_dir(repo)
        home = base / "home"
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN KEY-----\n{SECRET}\n")
        (base / "xdg").mkdir()
        sockets = [str(state / "control.sock"), str(home / ".ssh" / "agent.sock"),
                   str(base / "xdg" / "bus")]
        with contextlib.suppress(OSError):
            run_dir.mkdir()
            sockets.append(str(run_dir / "docker.sock"))
        servers = [_listen(p) for p in sockets]
        abstract = f"ob-jailtest-{os.getpid()}"
        servers.append(socket.socket(socket.AF_UNIX))
        servers[-1].bind("\0" + abstract)
        servers[-1].listen(1)
        sandbox = Workspace.create(repo, state / "sandboxes" / "op-jail", ["calc/ops.py"],
                                   ".ouroboros").root
        # An inheritable host fd on a secret, open while the jail starts: it must not leak in.
        leak_fd = os.open(repo / ".env", os.O_RDONLY)
        os.set_inheritable(leak_fd, True)
        yield {"base": str(base), "repo": str(repo), "home": str(home), "state": str(state),
               "sandbox": str(sandbox), "sockets": sockets, "abstract": abstract,
               "host_pid": sleeper.pid, "secret_files": secret_files}
    finally:
        with contextlib.suppress(NameError, OSError):
            os.close(leak_fd)
        sleeper.kill()
        sleeper.wait()
        for server in servers:
            server.close()
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
