"""Review branches (governance.git.review) on real git repositories: what propose commits, that
the human's HEAD, index, working tree and branch stay byte-identical, what list/get/diff/
changes/base_contents read back, and what is refused or left alone."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from governance.errors import CommitError
from governance.git.accept_signal import accept_envelope
from governance.git.gitops import GitOps
from governance.git.review import ReviewBranches, ReviewItem
from governance.git.signing import ALLOWED_NAME, commit_env, ensure_key
from governance.schemas import FileChange, Source, Urgency
from tests.helpers import commit_files, git

OP = "op-0123456789abcdef"
OP2 = "op-fedcba9876543210"
SPACED = "docs/a file ünïcödé.md"
MESSAGE = ("fix(calc): clamp x into range\n\nThe model's rationale.\n\nFiles: calc/ops.py\n\n"
           f"Op-Id: {OP}\nSignal: todo_scanner\nRisk: APPROVAL_REQUIRED\n"
           "Integrity: sha256:{integrity}\nEvidence: unproven: no test covers clamp\n"
           "Signed-off-by: Ouroboros <ouroboros@localhost>\n")
AUTHOR = {"author_name": "Ouroboros", "author_email": "ouroboros@localhost"}


def _message(op_id: str = OP, goal: str = "clamp x into range") -> str:
    return MESSAGE.replace(OP, op_id).replace("clamp x into range", goal)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = commit_files(tmp_path / "repo", {
        "calc/__init__.py": "", "calc/ops.py": "def clamp(x, lo, hi):\n    return x\n",
        "notes.txt": "notes\n", "tool.sh": "#!/bin/sh\necho hi\n", SPACED: "old\n"})
    (repo / "tool.sh").chmod(0o755)
    os.symlink("notes.txt", repo / "link.txt")
    os.symlink("calc", repo / "pkg")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "exec bit and links")
    return repo


@pytest.fixture
def reviews(repo: Path) -> ReviewBranches:
    return ReviewBranches(GitOps(repo), "ouroboros/")


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def _propose(reviews: ReviewBranches, changes: list[FileChange], op_id: str = OP,
             base: str | None = None, message: str | None = None, **kw) -> str:
    return reviews.propose(op_id, base or _head(reviews.root), changes,
                           message or _message(op_id), **{**AUTHOR, "sign_env": None, **kw})


def _write(path: str, text: str) -> FileChange:
    return FileChange(file_path=path, full_content=text)


CHANGES = [_write("calc/ops.py", "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"),
           FileChange(file_path="notes.txt", action="delete"),
           _write("calc/new/deep/mod.py", "X = 1\n"),
           _write(SPACED, "new\nlines\n")]


def _human_state(repo: Path) -> dict[str, object]:
    """Everything of the human's that a review must leave alone, index bytes read before
    any git command (a `git status` may refresh them; ours runs without optional locks)."""
    gitdir = repo / ".git"
    files = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        files[rel] = os.readlink(p) if p.is_symlink() else p.read_bytes() if p.is_file() \
            else "dir"
    state: dict[str, object] = {name: (gitdir / name).read_bytes()
                                for name in ("index", "HEAD", "logs/HEAD")}
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    state["status"] = subprocess.run(["git", "status", "--porcelain=v1", "-z",
                                      "--untracked-files=all"], cwd=repo, env=env,
                                     capture_output=True, check=True).stdout
    state["head"] = _head(repo)
    state["files"] = files
    return state


@pytest.mark.slow
def test_propose_leaves_the_human_s_state_byte_identical(repo, reviews):
    (repo / "calc" / "ops.py").write_text("# the human's unsaved work\n")  # dirty, unstaged
    (repo / "calc" / "__init__.py").write_text("STAGED = 1\n")
    git(repo, "add", "calc/__init__.py")  # staged
    (repo / SPACED).write_text("the human's too\n")
    (repo / "calc" / "new" / "deep").mkdir(parents=True)  # untracked at a changed path
    (repo / "calc" / "new" / "deep" / "mod.py").write_text("untracked\n")
    git(repo, "checkout", "-q", "-b", "human-topic")
    before = _human_state(repo)
    sha = _propose(reviews, CHANGES)
    assert _human_state(repo) == before
    assert git(repo, "rev-parse", f"ouroboros/{OP}").strip() == sha
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/human-topic"


@pytest.mark.slow
def test_the_review_commit_holds_the_change_on_its_base(repo, reviews):
    base = _head(repo)
    sha = _propose(reviews, CHANGES)
    assert git(repo, "rev-list", "--parents", "-n", "1", sha).split() == [sha, base]
    assert git(repo, "show", f"{sha}:calc/ops.py").endswith("max(lo, min(x, hi))\n")
    assert git(repo, "show", f"{sha}:calc/new/deep/mod.py") == "X = 1\n"
    assert git(repo, "show", f"{sha}:{SPACED}") == "new\nlines\n"
    assert "notes.txt" not in git(repo, "ls-tree", "-r", "--name-only", sha).splitlines()
    # untouched entries keep their modes, links included
    tree = git(repo, "ls-tree", sha).splitlines()
    assert any(line.startswith("120000") and line.endswith("\tlink.txt") for line in tree)
    assert any(line.startswith("100755") and line.endswith("\ttool.sh") for line in tree)
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn", sha) == \
        "Ouroboros <ouroboros@localhost>|Ouroboros\n"
    diff = subprocess.run(["git", "diff-tree", "-p", "--no-color", "--full-index", "--binary",
                           f"{base}^{{tree}}", f"{sha}^{{tree}}"], cwd=repo,
                          capture_output=True, check=True).stdout
    integrity = git(repo, "log", "-1", "--format=%(trailers:key=Integrity,valueonly)", sha)
    assert integrity.strip() == f"sha256:{hashlib.sha256(diff).hexdigest()}"


@pytest.mark.slow
def test_list_get_diff_changes_and_base_contents_read_it_back(repo, reviews):
    base = _head(repo)
    sha = _propose(reviews, CHANGES)
    [item] = reviews.list()
    assert item == ReviewItem(
        op_id=OP, branch=f"ouroboros/{OP}", sha=sha, base=base, goal="clamp x into range",
        source="todo_scanner", evidence="unproven: no test covers clamp",
        files=tuple(sorted(["calc/ops.py", "notes.txt", "calc/new/deep/mod.py", SPACED])),
        insertions=1 + 1 + 2, deletions=1 + 1 + 1, created=item.created)
    assert abs(item.created - float(git(repo, "log", "-1", "--format=%ct", sha))) < 1
    assert reviews.get("0123") == reviews.get(OP) == reviews.get("op-01") == item
    assert reviews.at(OP) == item and reviews.at(OP2) is None
    diff = reviews.diff(item)
    assert "-    return x\n+    return max(lo, min(x, hi))" in diff
    assert "deleted file mode 100644" in diff and "+X = 1" in diff
    assert {c.file_path: (c.action, c.full_content) for c in reviews.changes(item)} == {
        c.file_path: (c.action, c.full_content) for c in CHANGES}
    assert reviews.base_contents(item) == {
        "calc/ops.py": b"def clamp(x, lo, hi):\n    return x\n", "notes.txt": b"notes\n",
        "calc/new/deep/mod.py": None, SPACED: b"old\n"}


def test_non_utf8_content_survives_the_round_trip(repo, reviews):
    text = b"caf\xe9 \xff\n".decode("utf-8", "surrogateescape")
    sha = _propose(reviews, [_write("notes.txt", text)])
    blob = subprocess.run(["git", "cat-file", "blob", f"{sha}:notes.txt"], cwd=repo,
                          capture_output=True, check=True).stdout
    assert blob == b"caf\xe9 \xff\n"
    [change] = reviews.changes(reviews.get(OP))
    assert change.full_content == text


def test_an_executable_keeps_its_mode_and_a_new_file_is_plain(repo, reviews):
    sha = _propose(reviews, [_write("tool.sh", "#!/bin/sh\necho bye\n"),
                             _write("fresh.sh", "#!/bin/sh\n")])
    modes = {line.split("\t")[1]: line.split()[0]
             for line in git(repo, "ls-tree", sha).splitlines()}
    assert modes["tool.sh"] == "100755" and modes["fresh.sh"] == "100644"


@pytest.mark.slow
def test_newest_first_and_get_needs_a_unique_prefix(repo, reviews, monkeypatch):
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
    _propose(reviews, CHANGES[:1])
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2021-01-01T00:00:00Z")
    other = "op-0123456789abcd00"
    _propose(reviews, CHANGES[2:3], op_id=other)
    assert [i.op_id for i in reviews.list()] == [other, OP]
    for prefix, count in (("0123456789abcd", 2), ("op-", 2), ("", 2), ("beef", "no")):
        with pytest.raises(LookupError, match=f"^{count} review"):
            reviews.get(prefix)


@pytest.mark.slow
def test_an_existing_branch_is_refused_and_left_as_it_was(repo, reviews):
    sha = _propose(reviews, CHANGES[:1])
    with pytest.raises(CommitError, match="already exists"):
        _propose(reviews, CHANGES[2:3])
    assert git(repo, "rev-parse", f"ouroboros/{OP}").strip() == sha


@pytest.mark.parametrize("op_id", ["op-0123", "op-0123456789ABCDEF", "0123456789abcdef",
                                   f"{OP}/../../HEAD", f"{OP}.lock", f"../{OP}", "", "HEAD"])
def test_a_bad_op_id_is_refused_before_git_runs(reviews, monkeypatch, op_id):
    monkeypatch.setattr(reviews, "_run", lambda *a, **k: pytest.fail("git ran"))
    with pytest.raises(ValueError, match="not an op id"):
        _propose(reviews, CHANGES, op_id=op_id, base="0" * 40)


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a//b", "./a", "a/", ".git/config",
                                  "sub/.GIT/hooks/x", "a\\b", "a/../b"])
def test_a_path_that_is_not_plain_is_refused(repo, reviews, path):
    with pytest.raises(ValueError):
        _propose(reviews, [_write(path, "x\n")])
    assert reviews.list() == []


@pytest.mark.parametrize("changes", [[_write("link.txt", "now a file\n")],
                                     [FileChange(file_path="link.txt", action="delete")],
                                     [_write("pkg/ops.py", "through the link\n")],
                                     [_write("calc", "a directory\n")],
                                     [_write("notes.txt/x", "under a file\n")],
                                     [_write("calc/ok.py", "fine\n"),
                                      _write("pkg/sub/x.py", "deeper through the link\n")],
                                     [_write("calc/new/x.py", "fine\n"),
                                      _write("notes.txt/x/y", "under a file, deeper\n")]])
def test_a_symlink_directory_or_file_on_the_way_is_refused(repo, reviews, changes):
    with pytest.raises(ValueError, match=r"not a (regular file|directory)"):
        _propose(reviews, changes)
    assert git(repo, "for-each-ref", "refs/heads/ouroboros/") == ""


def test_a_branch_git_cannot_create_is_a_commit_error(repo, reviews):
    git(repo, "branch", "ouroboros")  # refs/heads/ouroboros is a file: no directory under it
    with pytest.raises(CommitError, match=f"review branch ouroboros/{OP} not made"):
        _propose(reviews, CHANGES[:1])
    assert reviews.list() == []


def test_an_empty_change_a_bad_base_and_no_changes_are_refused(repo, reviews):
    with pytest.raises(CommitError, match="empty"):
        _propose(reviews, [_write("notes.txt", "notes\n")])
    with pytest.raises(ValueError, match="not a commit"):
        _propose(reviews, CHANGES, base="1" * 40)
    with pytest.raises(ValueError, match="full commit id"):
        _propose(reviews, CHANGES, base="HEAD")
    with pytest.raises(ValueError, match="at least one"):
        _propose(reviews, [])
    with pytest.raises(ValueError, match="twice"):
        _propose(reviews, [CHANGES[0], CHANGES[0]])
    with pytest.raises(ValueError, match="as a file and as a directory"):
        _propose(reviews, [_write("new", "x\n"), _write("new/x.py", "y\n")])


def test_an_older_base_is_the_parent_not_head(repo, reviews):
    base = _head(repo)
    (repo / "README").write_text("later\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "the human moves on")
    sha = _propose(reviews, CHANGES[:1], base=base)
    item = reviews.get(OP)
    assert item.base == base and item.sha == sha and item.files == ("calc/ops.py",)


@pytest.mark.slow
def test_branches_under_the_prefix_that_are_not_ours_are_ignored(repo, reviews):
    _propose(reviews, CHANGES[:1])
    git(repo, "branch", f"ouroboros/{OP2}")  # a human's: no Op-Id trailer
    git(repo, "branch", "ouroboros/feature")
    git(repo, "branch", "ouroboros/nested/op-1111111111111111")
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    wrong = "op-2222222222222222"  # Op-Id names another op
    fake = subprocess.run(["git", "commit-tree", tree, "-p", "HEAD", "-m",
                           f"chore: x\n\nOp-Id: {OP}\n"], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()
    git(repo, "update-ref", f"refs/heads/ouroboros/{wrong}", fake)
    body_only = subprocess.run(["git", "commit-tree", tree, "-p", "HEAD", "-m",
                                f"chore: x\n\nOp-Id: {OP2} in a body line, then text.\nmore"],
                               cwd=repo, capture_output=True, text=True, check=True).stdout
    git(repo, "update-ref", "refs/heads/ouroboros/op-3333333333333333", body_only.strip())
    assert [i.op_id for i in reviews.list()] == [OP]
    assert reviews.at(OP2) is None and reviews.at(wrong) is None
    with pytest.raises(LookupError):
        reviews.get("fedc")
    assert reviews.prune(0, 4e9) and reviews.list() == []
    left = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ouroboros/")
    assert sorted(left.split()) == sorted([f"ouroboros/{OP2}", "ouroboros/feature",
                                           "ouroboros/nested/op-1111111111111111",
                                           f"ouroboros/{wrong}",
                                           "ouroboros/op-3333333333333333"])


@pytest.mark.slow
def test_delete_only_while_the_branch_is_where_the_review_left_it(repo, reviews):
    _propose(reviews, CHANGES[:1])
    item = reviews.get(OP)
    git(repo, "update-ref", f"refs/heads/ouroboros/{OP}", item.base)  # moved by a human
    with pytest.raises(CommitError, match="not deleted"):
        reviews.delete(item)
    assert git(repo, "rev-parse", f"ouroboros/{OP}").strip() == item.base
    git(repo, "update-ref", f"refs/heads/ouroboros/{OP}", item.sha)
    reviews.delete(item)
    assert reviews.list() == [] and reviews.count == 0
    with pytest.raises(CommitError):
        reviews.delete(item)  # gone


@pytest.mark.slow
def test_prune_deletes_only_the_old(repo, reviews, monkeypatch):
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1000000000 +0000")
    _propose(reviews, CHANGES[:1])
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    _propose(reviews, CHANGES[2:3], op_id=OP2)
    now = float(git(repo, "log", "-1", "--format=%ct", f"ouroboros/{OP2}"))
    pruned = reviews.prune(30 * 86400, now)
    assert [i.op_id for i in pruned] == [OP]
    assert [i.op_id for i in reviews.list()] == [OP2]
    assert reviews.prune(30 * 86400, now) == []


@pytest.mark.slow
def test_count_follows_list_propose_and_delete(reviews):
    assert reviews.count is None
    assert reviews.list() == [] and reviews.count == 0
    _propose(reviews, CHANGES[:1])
    assert reviews.count == 1
    reviews.delete(reviews.get(OP))
    assert reviews.count == 0


@pytest.mark.parametrize("prefix", ["", "ouroboros", "/x/", "a//b/", ".hidden/", "a/.b/",
                                    "x.lock/", "a..b/", "a b/", "a*/", "-x/"])
def test_an_unsafe_prefix_is_refused(repo, prefix):
    with pytest.raises(ValueError, match="prefix"):
        ReviewBranches(GitOps(repo), prefix)


@pytest.mark.slow
def test_another_prefix_keeps_its_own_branches(repo, reviews):
    _propose(reviews, CHANGES[:1])
    mine = ReviewBranches(GitOps(repo), "bots/review/")
    sha = _propose(mine, CHANGES[2:3], op_id=OP2, message=_message(OP2))
    assert [i.op_id for i in mine.list()] == [OP2] and mine.get(OP2).sha == sha
    assert [i.op_id for i in reviews.list()] == [OP]


def test_accept_envelope(repo, reviews):
    _propose(reviews, CHANGES[:1])
    item = reviews.get(OP)
    env = accept_envelope(item, "s-1")
    assert env.source == Source.REVIEW == "review"
    assert env.target_files == ("calc/ops.py",) and env.urgency is Urgency.HIGH
    assert env.goal == f"accept the review of {OP}: clamp x into range"
    assert env.confidence == 1.0 and env.dedup_key == f"review:{item.sha}"
    assert env.session_id == "s-1"
    assert env.evidence == {"review_op": OP, "review_sha": item.sha,
                            "review_branch": f"ouroboros/{OP}", "review_base": item.base,
                            "review_evidence": "unproven: no test covers clamp"}


needs_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                  reason="ssh-keygen (openssh-client) is not installed")


@pytest.mark.slow
@needs_keygen
def test_signed_like_an_auto_commit(repo, reviews, tmp_path):
    state = tmp_path / "state"
    assert ensure_key(state).warning == ""
    sha = _propose(reviews, CHANGES[:1], sign_env=commit_env(state))
    check = subprocess.run(["git", "-c", f"gpg.ssh.allowedSignersFile={state / ALLOWED_NAME}",
                            "verify-commit", sha], cwd=repo, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "ouroboros-daemon" in check.stderr


@pytest.mark.slow
@needs_keygen
def test_a_signing_failure_falls_back_to_unsigned(repo, reviews, tmp_path):
    state = tmp_path / "state"
    ensure_key(state)
    env = commit_env(state)
    assert env is not None
    (state / "commit_signing_key").chmod(stat.S_IRUSR | stat.S_IWUSR)
    (state / "commit_signing_key").write_text("not a key\n")
    sha = _propose(reviews, CHANGES[:1], sign_env=env)
    assert "gpgsig" not in git(repo, "cat-file", "commit", sha)
    assert reviews.get(OP).sha == sha


def test_listing_again_runs_git_once_however_many_wait(repo, reviews, monkeypatch):
    """`status` lists every review: a diff per review each time made it slow with hundreds
    waiting, and parsing each commit again grew it ~40 us a review. A commit fixes all a
    review shows, so each is read and diffed once; a listing again only lists the refs."""
    for n in range(3):
        _propose(reviews, [_write("calc/ops.py", f"X = {n}\n")], op_id=f"op-{n:016x}")
    first = reviews.list()
    calls = []
    real = ReviewBranches._run
    monkeypatch.setattr(ReviewBranches, "_run",
                        lambda self, *a, **kw: calls.append(a[0]) or real(self, *a, **kw))
    again = reviews.list()
    assert again == first and [i.files for i in again] == [("calc/ops.py",)] * 3
    assert calls == ["for-each-ref"]
    # a fourth, and only the fourth, is diffed
    _propose(reviews, [_write("notes.txt", "new\n")], op_id=OP2)
    calls.clear()
    assert len(reviews.list()) == 4 and calls == ["for-each-ref", "for-each-ref", "diff"]
    # a branch moved to another commit is read again: the commit, not the name, is the key
    mine = reviews.at(OP2)
    other = git(repo, "commit-tree", f"{first[0].sha}^{{tree}}", "-p", mine.base,
                "-m", git(repo, "log", "-1", "--format=%B", mine.sha)).strip()
    git(repo, "update-ref", reviews.ref(OP2), other)
    [moved] = [i for i in reviews.list() if i.op_id == OP2]
    assert (moved.sha, moved.files) == (other, ("calc/ops.py",)), moved
    # more waiting than it remembers: each listing still shows them all
    monkeypatch.setattr("governance.git.review.MAX_KNOWN", 2)
    fresh = ReviewBranches(reviews.git, reviews.prefix)
    assert len(fresh.list()) == 4 and len(fresh.list()) == 4 and len(fresh._known) == 2
