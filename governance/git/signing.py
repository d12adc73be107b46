"""The daemon's own commit-signing key: SSH (ed25519), made by ssh-keygen in the state dir.

At start (`ensure_key`) the daemon creates `commit_signing_key` (0600) and its `.pub` once,
and (re)writes `allowed_signers` naming that one key. Each auto-commit is then signed with
git's SSH signing through settings given to that single git command as GIT_CONFIG_* env
(`commit_env`): the user's global and repository config are never touched. To check by hand:

    git -c gpg.ssh.allowedSignersFile=<state dir>/allowed_signers verify-commit COMMIT
    git -c gpg.ssh.allowedSignersFile=<state dir>/allowed_signers log --show-signature

No `ssh-keygen` on PATH (or a key that cannot be made or read): commits are made unsigned
and the reason is a status warning; an op never fails for want of a signature.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEY_NAME = "commit_signing_key"
ALLOWED_NAME = "allowed_signers"
SCRATCH_NAME = "signing-tmp"  # git's TMPDIR while it signs (commit_env)
PRINCIPAL = "ouroboros-daemon"  # the name allowed_signers gives the daemon's key
_TIMEOUT_S = 30


@dataclass(frozen=True)
class Signing:
    """What start-up found: a key to sign with (and its fingerprint), or why there is none."""

    key: Path | None
    allowed: Path | None
    fingerprint: str = ""
    warning: str = ""

    def status(self) -> dict[str, str | bool]:
        return {"signed": self.key is not None, "fingerprint": self.fingerprint,
                "allowed_signers": str(self.allowed or ""), "warning": self.warning}


class SigningUnavailable(Exception):
    pass


def _keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SigningUnavailable("ssh-keygen not found on PATH: auto-commits are NOT signed "
                                 "(install openssh-client)")
    return found


def _run(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SigningUnavailable(f"{Path(args[0]).name} failed: {exc}") from None
    if done.returncode != 0:
        raise SigningUnavailable(f"ssh-keygen failed: "
                                 f"{(done.stderr or done.stdout).strip()[:300]}")
    return done.stdout


def _own_file(path: Path) -> bool:
    """A regular file of ours, not a link someone put there."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        raise SigningUnavailable(f"{path} is not a regular file: commits are NOT signed")
    return True


def ensure_key(state_dir: Path) -> Signing:
    """Create the key once, fix its mode, write allowed_signers; never raises."""
    try:
        return _ensure(state_dir)
    except (SigningUnavailable, OSError) as exc:
        return Signing(None, None, warning=f"commit signing off: {exc}")


def _ensure(state_dir: Path) -> Signing:
    keygen = _keygen()
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key, pub = state_dir / KEY_NAME, state_dir / f"{KEY_NAME}.pub"
    if not _own_file(key):
        old = os.umask(0o077)
        try:
            _run(keygen, "-q", "-t", "ed25519", "-N", "", "-C", PRINCIPAL, "-f", str(key))
        finally:
            os.umask(old)
    os.chmod(key, 0o600)  # ssh-keygen refuses a key others can read
    if not _own_file(pub):
        pub.write_text(_run(keygen, "-y", "-f", str(key)))
    public = pub.read_text().split()
    if len(public) < 2 or public[0] != "ssh-ed25519":
        raise SigningUnavailable(f"{pub} is not an ed25519 public key")
    fingerprint = _run(keygen, "-l", "-f", str(pub)).split()[1]
    allowed = state_dir / ALLOWED_NAME
    line = f'{PRINCIPAL} namespaces="git" {public[0]} {public[1]}\n'
    if not _own_file(allowed) or allowed.read_text() != line:
        tmp = allowed.with_suffix(".tmp")
        tmp.write_text(line)
        os.replace(tmp, allowed)
    return Signing(key, allowed, fingerprint)


def commit_env(state_dir: Path) -> dict[str, str] | None:
    """GIT_CONFIG_* env that makes one git command sign with the daemon's key, or None
    when it cannot (no ssh-keygen, no key): the commit is then made unsigned."""
    key, allowed = state_dir / KEY_NAME, state_dir / ALLOWED_NAME
    if shutil.which("ssh-keygen") is None or not key.is_file() or not allowed.is_file():
        return None
    scratch = state_dir / SCRATCH_NAME
    with contextlib.suppress(OSError):
        scratch.mkdir(mode=0o700, exist_ok=True)
    env = config_env({"gpg.format": "ssh", "user.signingKey": str(key.resolve()),
                      "gpg.ssh.allowedSignersFile": str(allowed.resolve())})
    # git writes the text to sign (and ssh-keygen its .sig) under TMPDIR: in the state
    # dir, a kill -9 mid-signature leaves them where the next start clears them, not in /tmp
    return {**env, "TMPDIR": str(scratch.resolve())} if scratch.is_dir() else env


def clear_scratch(state_dir: Path) -> list[str]:
    """Remove what a killed signature left in the signing scratch dir (start-up recovery:
    no commit runs then); returns what was removed."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(state_dir / SCRATCH_NAME):
            if entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(f"removed {entry.path} left by a killed signature")
    return removed


def config_env(settings: dict[str, str]) -> dict[str, str]:
    """`git -c k=v ...` as environment (git >= 2.31), for calls that take env, not args."""
    env = {"GIT_CONFIG_COUNT": str(len(settings))}
    for i, (name, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = name
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env
