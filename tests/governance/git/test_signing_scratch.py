"""Where a signature's temporary files go: git writes the text it signs (and ssh-keygen its
`.sig`) under TMPDIR, so a daemon killed mid-signature left `.git_signing_buffer_tmp*` in
/tmp (found by the proposal's random kill -9 trials). commit_env points TMPDIR into the state
dir's signing scratch, which start-up recovery empties. Real git, real ssh-keygen."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from daemon.recovery import repair
from governance.git.gitops import GitOps
from governance.git.signing import ALLOWED_NAME, SCRATCH_NAME, clear_scratch, commit_env, ensure_key
from ledger import Ledger
from tests.helpers import commit_files, git

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                reason="ssh-keygen (openssh-client) is not installed")


def _recording_keygen(tmp: Path) -> tuple[Path, Path]:
    """An ssh-keygen that writes its arguments (the buffer file is the last) and signs."""
    log = tmp / "keygen-args"
    program = tmp / "keygen"
    program.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {shutil.which("ssh-keygen")} "$@"\n')
    program.chmod(0o755)
    return program, log


def test_the_text_git_signs_is_written_in_the_state_dirs_scratch(tmp_path):
    repo = commit_files(tmp_path / "repo", {"a.py": "x = 1\n"})
    state = tmp_path / "state"
    state.mkdir()
    assert ensure_key(state).key is not None
    env = commit_env(state)
    assert env is not None and Path(env["TMPDIR"]) == (state / SCRATCH_NAME).resolve()
    assert stat.S_IMODE((state / SCRATCH_NAME).stat().st_mode) == 0o700
    program, log = _recording_keygen(tmp_path)
    n = int(env["GIT_CONFIG_COUNT"])  # one more setting: the recording program
    env.update({"GIT_CONFIG_COUNT": str(n + 1), f"GIT_CONFIG_KEY_{n}": "gpg.ssh.program",
                f"GIT_CONFIG_VALUE_{n}": str(program)})
    outer = tmp_path / "outer-tmp"
    outer.mkdir()
    (repo / "a.py").write_text("x = 2\n")
    subprocess.run(["git", "-C", str(repo), "commit", "-qS", "-am", "signed"], check=True,
                   env={**os.environ, "TMPDIR": str(outer), **env})
    buffer = Path(log.read_text().split()[-1])  # `-Y sign -n git -f KEY BUFFER`
    assert buffer.parent == (state / SCRATCH_NAME).resolve(), buffer
    assert list(outer.iterdir()) == []  # nothing in the TMPDIR the daemon was given
    git(repo, "-c", f"gpg.ssh.allowedSignersFile={state / ALLOWED_NAME}", "verify-commit",
        "HEAD")  # raises unless the commit carries a good signature


def test_recovery_clears_what_a_killed_signature_left(tmp_path):
    repo = commit_files(tmp_path / "repo", {"a.py": "x = 1\n"})
    state = tmp_path / "state"
    state.mkdir()
    ensure_key(state)
    assert commit_env(state) is not None
    left = [state / SCRATCH_NAME / ".git_signing_buffer_tmpAbC123",
            state / SCRATCH_NAME / ".git_signing_buffer_tmpAbC123.sig"]
    for path in left:
        path.write_text("half a signature")

    async def recover() -> list[str]:
        ledger = await Ledger.open(state / "ledger.sqlite3")
        try:
            return await repair(ledger, GitOps(repo), state)
        finally:
            await ledger.close()

    notes = asyncio.run(recover())
    assert not any(p.exists() for p in left)
    assert sum("killed signature" in n for n in notes) == 2, notes
    assert clear_scratch(state) == []  # idempotent: nothing left to remove
