"""What the CLI says where a user looks (issue 43, item 4's wording): `verify` on a human's
commit, `review OP` on an op that did not end in a review. Real git repositories, a real
signing key and ledger, the CLI's own `main`."""

from __future__ import annotations

import json
import shutil

import pytest

from daemon.cli import main
from governance.git.signing import ensure_key
from tests.helpers import git

STATE = ".ouroboros"  # the default state dir, where the CLI looks


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("keyed", [False, True], ids=["never ran here", "has its key"])
def test_verify_says_a_humans_commit_is_not_a_daemon_commit(repo, capsys, keyed):
    if keyed:
        if shutil.which("ssh-keygen") is None:
            pytest.skip("ssh-keygen (openssh-client) is not installed")
        assert ensure_key(repo / STATE).key is not None
    head = git(repo, "rev-parse", "HEAD").strip()
    code, out, _ = _cli(capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 3 and out == f"{head[:12]} is not a daemon commit (it has no Op-Id or " \
        "Integrity trailer and no signature by the daemon's key): nothing to verify\n"
    assert "FAIL" not in out and "NOT VERIFIED" not in out
    code, out, _ = _cli(capsys, "verify", "HEAD", "--json", "--repo", str(repo))
    answer = json.loads(out)
    assert code == 3 and answer["daemon_commit"] is False and answer["commit"] == head


def test_a_commit_that_claims_to_be_the_daemons_is_still_checked(repo, capsys):
    (repo / "notes.txt").write_text("x\n")
    git(repo, "commit", "-qam", "fix: it\n\nOp-Id: op-0123456789abcdef")
    code, out, _ = _cli(capsys, "verify", "HEAD", "--repo", str(repo))
    assert code == 1 and "FAIL trailers:" in out and out.endswith("NOT VERIFIED\n")
