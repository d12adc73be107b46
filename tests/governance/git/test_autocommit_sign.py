"""Signed auto-commits and `ouroboros verify`: real git, real ssh-keygen, real SQLite.

One op lands once per module (a signed commit, a COMPLETE op, a chained ledger); each test
works on its own copy of that repository and state dir and plays one attacker."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.status.text import status_text
from governance.git.signing import ALLOWED_NAME, KEY_NAME, commit_env, ensure_key
from governance.phase import Phase
from ledger.anchor import parse_anchor
from tests.helpers import OPS_FIXED, candidate_turn, git, make_repo, run_op
from tests.status_sample import sample_status

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                reason="ssh-keygen (openssh-client) is not installed")
STATE = ".ouroboros"  # the default state dir, where the CLI looks
CANDIDATE = json.loads(candidate_turn("calc/ops.py", OPS_FIXED))["text"]


def _land(root: Path) -> Path:
    repo = make_repo(root)
    signing = ensure_key(repo / STATE)
    assert signing.warning == "" and signing.key is not None
    end, chain = asyncio.run(run_op(repo, repo / STATE / "ledger.sqlite3", "calc/ops.py",
                                    CANDIDATE))
    assert end is Phase.COMPLETE, chain["transitions"][-1]
    return repo


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> Path:
    return _land(tmp_path_factory.mktemp("landed"))


@pytest.fixture
def repo(landed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(landed, copy, symlinks=True)
    return copy


def _allowed(repo: Path) -> str:
    return f"gpg.ssh.allowedSignersFile={repo / STATE / ALLOWED_NAME}"


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _tamper(repo: Path, *sql: str) -> None:
    with sqlite3.connect(repo / STATE / "ledger.sqlite3") as db:
        for t in ("transitions", "thoughts", "model_calls"):
            db.execute(f"DROP TRIGGER IF EXISTS {t}_no_update")
            db.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete")
        for statement in sql:
            db.execute(statement)


@pytest.mark.slow
def test_the_key_is_private_and_the_commit_verifies_with_plain_git(repo, capsys):
    key = repo / STATE / KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    done = subprocess.run(["git", "-c", _allowed(repo), "verify-commit", "HEAD"], cwd=repo,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'Good "git" signature for ouroboros-daemon' in done.stderr
    shown = git(repo, "-c", _allowed(repo), "log", "-1", "--show-signature")
    assert 'Good "git" signature' in shown
    # the user's config was never touched: no signing setting in the repo's own config
    assert "gpg" not in git(repo, "config", "--local", "--list")
    trailers = git(repo, "log", "-1", "--format=%(trailers:key=Ledger-Head,valueonly)")
    parse_anchor(trailers.strip())  # a well-formed anchor rode along, signed
    code, out, err = _cli(capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 0 and out.strip().endswith("VERIFIED"), out
    assert "read-only" in err and "need not be running" in err
    for name in ("signature", "integrity", "ledger", "op", "anchor"):
        assert f"ok   {name}:" in out
    code, out, _ = _cli(capsys, "ledger", "--verify", "--repo", str(repo))
    assert code == 0 and "hash chains intact" in out and "anchor" in out, out


def _forge(repo: Path, env: dict[str, str] | None = None) -> str:
    """A commit with HEAD's tree, parent and message (Op-Id, Integrity copied)."""
    message = git(repo, "log", "-1", "--format=%B")
    sign = ["-S"] if env else []
    done = subprocess.run(["git", "commit-tree", *sign, "HEAD^{tree}", "-p", "HEAD~1", "-m",
                           message], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})
    return done.stdout.strip()


@pytest.mark.slow
def test_a_forged_commit_with_copied_trailers_is_refused(repo, capsys):
    forged = _forge(repo)
    code, out, _ = _cli(capsys, "verify", forged, "--repo", str(repo))
    assert code == 1 and "NOT VERIFIED" in out
    assert "FAIL signature: not signed" in out
    assert "FAIL op:" in out  # the ledger's COMPLETE row names the real commit, not this one


@pytest.mark.slow
def test_a_commit_signed_by_another_key_is_refused_even_if_allowed(repo, tmp_path, capsys):
    other = tmp_path / "attacker"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True)
    env = {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "gpg.format",
           "GIT_CONFIG_VALUE_0": "ssh", "GIT_CONFIG_KEY_1": "user.signingKey",
           "GIT_CONFIG_VALUE_1": str(other)}
    forged = _forge(repo, env)
    code, out, _ = _cli(capsys, "verify", forged, "--repo", str(repo))
    assert code == 1 and "signed by a key that is not the daemon's" in out
    # the attacker also adds their key to allowed_signers: git now says "good", we do not
    allowed = repo / STATE / ALLOWED_NAME
    pub = (tmp_path / "attacker.pub").read_text().split()
    allowed.write_text(allowed.read_text() + f'ouroboros-daemon {pub[0]} {pub[1]}\n')
    assert subprocess.run(["git", "-c", _allowed(repo), "verify-commit", forged],
                          cwd=repo, capture_output=True).returncode == 0
    code, out, _ = _cli(capsys, "verify", forged, "--repo", str(repo))
    assert code == 1 and "signed by a key that is not the daemon's" in out


@pytest.mark.slow
def test_an_edited_ledger_fails_verify_and_ledger_verify(repo, capsys):
    _tamper(repo, "UPDATE transitions SET payload = '{}' WHERE to_phase = 'COMPLETE'")
    code, out, _ = _cli(capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 1 and "FAIL ledger:" in out and "FAIL op:" in out
    assert "content does not match its hash (edited in place)" in out
    code, out, _ = _cli(capsys, "ledger", "--verify", "--repo", str(repo))
    assert code == 1 and "transitions row" in out and "NOT VERIFIED" in out


@pytest.mark.slow
def test_a_cut_tail_is_found_through_the_signed_anchor(repo, capsys):
    anchored = parse_anchor(git(repo, "log", "-1",
                                "--format=%(trailers:key=Ledger-Head,valueonly)").strip())[0]
    cut = anchored["transitions"]  # that row and everything after it
    _tamper(repo, f"DELETE FROM transitions WHERE rowid >= {cut}")
    code, out, _ = _cli(capsys, "ledger", "--verify", "--repo", str(repo))
    assert "hash chains intact" in out  # the chain alone cannot see a cut tail ...
    assert code == 1 and f"row {cut} named by the anchor is gone" in out  # ... the anchor can
    code, out, _ = _cli(capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 1 and "FAIL anchor:" in out


@pytest.mark.slow
def test_garbage_commit_names_are_refused_cleanly(repo, capsys, tmp_path):
    for bad in ("no-such-ref", f"--output={tmp_path / 'x'}", "HEAD\nHEAD", ""):
        code, _, err = _cli(capsys, "verify", "--repo", str(repo), "--", bad)
        assert code == 3 and "ouroboros:" in err, (bad, err)
    assert not (tmp_path / "x").exists()  # an option-shaped name is never an option
    code, out, _ = _cli(capsys, "verify", "HEAD~1", "--repo", str(repo))  # the human's
    assert code == 0 and "is not a daemon commit" in out and "FAIL" not in out


def _path_without_ssh_keygen(tmp_path: Path) -> str:
    """A PATH with every command of the real one except ssh-keygen."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if name != "ssh-keygen" and not (bin_dir / name).exists():
                (bin_dir / name).symlink_to(Path(d) / name)
    return str(bin_dir)


@pytest.mark.slow
def test_without_ssh_keygen_commits_are_unsigned_with_a_warning(short_tmp, monkeypatch,
                                                                 tmp_path):
    monkeypatch.setenv("PATH", _path_without_ssh_keygen(tmp_path))
    assert shutil.which("ssh-keygen") is None
    repo = make_repo(short_tmp)
    signing = ensure_key(repo / STATE)
    assert signing.key is None and "ssh-keygen not found" in signing.warning
    assert commit_env(repo / STATE) is None
    shown = status_text(sample_status(commit_signing=signing.status()))
    assert "signing:  commit signing off: ssh-keygen not found" in shown
    end, _ = asyncio.run(run_op(repo, repo / STATE / "ledger.sqlite3", "calc/ops.py",
                                CANDIDATE))
    assert end is Phase.COMPLETE
    assert git(repo, "log", "-1", "--format=%G?").strip() == "N"


@pytest.mark.slow
def test_a_key_that_fails_at_commit_time_still_lands_the_op_unsigned(short_tmp):
    repo = make_repo(short_tmp)
    assert ensure_key(repo / STATE).key is not None
    (repo / STATE / KEY_NAME).write_text("not a key\n")  # broken after start-up
    end, chain = asyncio.run(run_op(repo, repo / STATE / "ledger.sqlite3", "calc/ops.py",
                                    CANDIDATE))
    assert end is Phase.COMPLETE
    assert git(repo, "log", "-1", "--format=%G?").strip() == "N"
    assert "commit NOT signed" in chain["transitions"][-1]["payload"]["warning"]


def test_the_key_is_made_once_repaired_and_never_a_link(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    first = ensure_key(state)
    os.chmod(state / KEY_NAME, 0o644)
    again = ensure_key(state)
    assert again.fingerprint == first.fingerprint != ""
    assert stat.S_IMODE((state / KEY_NAME).stat().st_mode) == 0o600
    (state / KEY_NAME).unlink()
    (state / KEY_NAME).symlink_to(tmp_path / "elsewhere")
    linked = ensure_key(state)
    assert linked.key is None and "not a regular file" in linked.warning
