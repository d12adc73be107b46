"""governance.fs.nofollow: no operation beneath a root ever follows a symlink.

Every hostile layout is built for real on disk (symlinks, loops, FIFOs, sockets, hard
links) and a racing thread swaps a directory for a symlink while reads and writes run.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from governance.fs import nofollow, nofollow_write
from governance.fs.nofollow import TooLarge, UnsafePath
from governance.fs.protected import PathEscape
from tests.swap import Swapper


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """(root, outside): root holds real files; outside holds the secret."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("inside\n")
    (root / "top.txt").write_text("top\n")
    outside.mkdir()
    (outside / "mod.py").write_text("SECRET\n")
    (outside / ".env").write_text("API_KEY=SECRET\n")
    return root, outside


def _link(root: Path, name: str, target: str | Path) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, root / name)


# (case, links to create {name: target, "{out}" = outside dir}, path to read)
HOSTILE_READS = [
    ("symlinked parent", {"lnk": "{out}"}, "lnk/mod.py"),
    ("symlinked leaf", {"pkg/evil.py": "{out}/mod.py"}, "pkg/evil.py"),
    ("absolute symlink leaf", {"abs": "/etc/passwd"}, "abs"),
    ("relative leaf climbing out", {"rel": "../outside/.env"}, "rel"),
    ("relative leaf staying inside", {"inner": "pkg/mod.py"}, "inner"),
    ("dangling leaf", {"dang": "does/not/exist"}, "dang"),
    ("loop leaf", {"a": "b", "b": "a"}, "a"),
    ("loop as parent", {"a": "b", "b": "a"}, "a/x.py"),
    ("self loop", {"self": "self"}, "self/x"),
    ("chain of links", {"c1": "c2", "c2": "c3", "c3": "{out}"}, "c1/mod.py"),
    ("link to root itself", {"up": "."}, "up/top.txt"),
    ("link to parent of root", {"up": ".."}, "up/outside/.env"),
    ("nested symlinked parent", {"pkg/sub": "{out}"}, "pkg/sub/mod.py"),
    ("link to /", {"slash": "/"}, "slash/etc/passwd"),
    ("link to /proc self", {"p": "/proc/self"}, "p/environ"),
]


@pytest.mark.parametrize(("case", "links", "rel"), HOSTILE_READS, ids=[c[0] for c in HOSTILE_READS])
def test_reads_never_follow_symlinks(tree, case, links, rel):
    root, outside = tree
    for name, target in links.items():
        _link(root, name, target.replace("{out}", str(outside)))
    with pytest.raises(UnsafePath) as info:
        nofollow.read_bytes(root, rel)
    assert "symlink" in str(info.value)
    assert isinstance(info.value, PathEscape)


@pytest.mark.parametrize("rel", ["lnk/new.py", "leaf", "lnk/deep/new.py"])
def test_writes_never_follow_symlinks(tree, rel):
    root, outside = tree
    _link(root, "lnk", outside)
    _link(root, "leaf", outside / "mod.py")
    before = sorted(p.name for p in outside.iterdir())
    with pytest.raises(UnsafePath):
        nofollow_write.write_bytes_atomic(root, rel, b"pwned")
    assert sorted(p.name for p in outside.iterdir()) == before
    assert (outside / "mod.py").read_text() == "SECRET\n"


# (case, path text) refused before any file system access
BAD_TEXT = [
    ("absolute", "/etc/passwd"),
    ("nul byte", "pkg/mod.py\x00.txt"),
    ("backslash", "pkg\\mod.py"),
    ("dotdot", "../outside/.env"),
    ("dotdot inside", "pkg/../top.txt"),
    ("dir_link dotdot", "lnk/../top.txt"),
    ("4 KiB path", "a/" * 2100 + "x"),
    ("non-str", 42),
]


@pytest.mark.parametrize(("case", "rel"), BAD_TEXT, ids=[c[0] for c in BAD_TEXT])
def test_bad_path_text_is_refused(tree, case, rel):
    root, _ = tree
    for op in (nofollow.read_bytes, nofollow.lstat, nofollow_write.remove):
        with pytest.raises(UnsafePath):
            op(root, rel)
    with pytest.raises(UnsafePath):
        nofollow_write.write_bytes_atomic(root, rel, b"x")


def test_long_component_is_unsafe_not_oserror(tree):
    root, _ = tree
    rel = "pkg/" + "a" * 300 + ".py"
    for call in (lambda: nofollow.read_bytes(root, rel), lambda: nofollow.lstat(root, rel),
                 lambda: nofollow_write.write_bytes_atomic(root, rel, b"x"),
                 lambda: nofollow_write.remove(root, rel), lambda: nofollow.listdir(root, rel)):
        with pytest.raises(UnsafePath, match="too long"):
            call()


def test_deep_path_under_path_max_works(tree):
    root, _ = tree
    rel = "/".join(["d" * 200] * 19) + "/f.txt"  # ~3.8 KB, deeper than many tools allow
    nofollow_write.write_bytes_atomic(root, rel, b"deep")
    assert nofollow.read_bytes(root, rel) == b"deep"
    assert rel in list(nofollow.walk(root))


@pytest.mark.parametrize("kind", ["fifo", "socket", "device", "dir"])
def test_non_regular_leaf_is_refused_without_blocking(tree, kind):
    root, _ = tree
    path = root / "special"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif kind == "device":
        try:
            os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null
        except PermissionError:
            pytest.skip("mknod needs CAP_MKNOD")
    else:
        path.mkdir()
    refusals: list[str] = []

    def both() -> None:  # an open that blocked (a FIFO without a writer) would never return
        for call in (lambda: nofollow.read_bytes(root, "special"),
                     lambda: nofollow_write.write_bytes_atomic(root, "special", b"x")):
            with pytest.raises(UnsafePath) as err:
                call()
            refusals.append(str(err.value))

    worker = threading.Thread(target=both, daemon=True)  # a hung one cannot hold the run
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "a non-regular file blocked the open"
    assert len(refusals) == 2 and "not a regular file" in refusals[0]
    assert nofollow.lstat(root, "special") is not None


def test_hardlink_refused_unless_allowed(tree):
    root, outside = tree
    os.link(outside / ".env", root / "alias")
    with pytest.raises(UnsafePath, match="hard links"):
        nofollow.read_bytes(root, "alias")
    assert nofollow.read_bytes(root, "alias", allow_hardlinks=True) == b"API_KEY=SECRET\n"
    nofollow_write.write_bytes_atomic(root, "alias", b"replaced")  # a fresh inode, no write-through
    assert (outside / ".env").read_text() == "API_KEY=SECRET\n"


def test_missing_is_file_not_found(tree):
    root, _ = tree
    for op in (nofollow.lstat, nofollow_write.remove, nofollow.read_bytes):
        with pytest.raises(UnsafePath, match="root"):  # a missing root is no missing file
            op(root / "gone", "x.py")
    with pytest.raises(FileNotFoundError):
        nofollow.read_bytes(root, "nope.py")
    with pytest.raises(FileNotFoundError):
        nofollow.read_bytes(root, "nodir/nope.py")
    assert nofollow.lstat(root, "nodir/nope.py") is None
    assert nofollow_write.remove(root, "nodir/nope.py") is False
    with pytest.raises(UnsafePath, match="not a directory"):
        nofollow.read_bytes(root, "top.txt/x")


def test_limit(tree):
    root, _ = tree
    nofollow_write.write_bytes_atomic(root, "big.bin", b"x" * 1000)
    assert len(nofollow.read_bytes(root, "big.bin", limit=1000)) == 1000
    with pytest.raises(TooLarge):
        nofollow.read_bytes(root, "big.bin", limit=999)


def test_write_atomic_makes_parents_keeps_mode_and_leaves_no_temp(tree):
    root, _ = tree
    nofollow_write.write_bytes_atomic(root, "a/b/c.sh", b"#!/bin/sh\n", 0o755)
    assert (root / "a/b/c.sh").stat().st_mode & 0o777 == 0o755
    nofollow_write.write_bytes_atomic(root, "a/b/c.sh", b"echo\n")
    assert (root / "a/b/c.sh").stat().st_mode & 0o777 == 0o755
    assert (root / "a/b/c.sh").read_bytes() == b"echo\n"
    assert [p.name for p in (root / "a/b").iterdir()] == ["c.sh"]
    with pytest.raises(FileNotFoundError):
        nofollow_write.write_bytes_atomic(root, "x/y.txt", b"", make_parents=False)
    os.chmod(root / "a/b/c.sh", 0o6755)  # setuid + setgid left by someone else
    nofollow_write.write_bytes_atomic(root, "a/b/c.sh", b"echo\n")
    nofollow_write.write_bytes_atomic(root, "a/b/d.sh", b"echo\n", 0o4777)
    assert (root / "a/b/c.sh").stat().st_mode & 0o7777 == 0o755
    assert (root / "a/b/d.sh").stat().st_mode & 0o7777 == 0o777


def test_mkdir_never_through_symlink(tree):
    root, outside = tree
    _link(root, "a", outside)
    with pytest.raises(UnsafePath):
        nofollow_write.write_bytes_atomic(root, "a/new/file.txt", b"x")
    assert not (outside / "new").exists()


def test_remove_leaf_symlink_itself_not_target(tree):
    root, outside = tree
    _link(root, "leaf", outside / ".env")
    assert nofollow_write.remove(root, "leaf") is True
    assert not os.path.lexists(root / "leaf")
    assert (outside / ".env").exists()
    _link(root, "lnk", outside)
    with pytest.raises(UnsafePath):
        nofollow_write.remove(root, "lnk/.env")
    assert (outside / ".env").exists()
    with pytest.raises(UnsafePath, match="directory"):
        nofollow_write.remove(root, "pkg")


def test_listdir_and_walk(tree):
    root, outside = tree
    _link(root, "lnk", outside)
    _link(root, "pkg/flink", "mod.py")
    os.mkfifo(root / "pkg" / "fifo")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.pyc").write_bytes(b"")
    assert dict(nofollow.listdir(root, ".")) == {
        "pkg": "dir", "top.txt": "file", "lnk": "symlink", "__pycache__": "dir"}
    assert dict(nofollow.listdir(root, "pkg"))["fifo"] == "other"
    assert list(nofollow.walk(root, skip_dirs={"__pycache__"})) == ["pkg/mod.py", "top.txt"]
    assert list(nofollow.walk(root, "pkg")) == ["pkg/mod.py"]
    with pytest.raises(UnsafePath):
        list(nofollow.walk(root, "lnk"))
    with pytest.raises(UnsafePath):
        nofollow.listdir(root, "lnk")


def _race_layout(tree):
    root, outside = tree
    (root / "d").mkdir()
    (root / "d" / "mod.py").write_text("inside\n")
    os.symlink(outside, root / "s")
    return root, outside


@pytest.mark.slow
def test_read_under_rename_exchange_race_never_returns_outside_content(tree):
    root, _ = _race_layout(tree)
    seen = set()
    deadline = time.monotonic() + 0.8
    with Swapper(root / "d", root / "s") as swapper:
        while time.monotonic() < deadline:
            try:
                seen.add(nofollow.read_bytes(root, "d/mod.py"))
            except (UnsafePath, FileNotFoundError):
                seen.add(b"refused")
    assert swapper.swaps > 100
    assert b"SECRET\n" not in seen
    assert b"inside\n" in seen and b"refused" in seen


@pytest.mark.slow
def test_write_under_rename_exchange_race_never_lands_outside(tree):
    root, outside = _race_layout(tree)
    deadline = time.monotonic() + 0.8
    writes = 0
    with Swapper(root / "d", root / "s"):
        while time.monotonic() < deadline:
            try:
                nofollow_write.write_bytes_atomic(root, f"d/new{writes % 5}.py", b"x")
                writes += 1
            except (UnsafePath, FileNotFoundError):
                pass
    assert writes > 0
    assert sorted(p.name for p in outside.iterdir()) == [".env", "mod.py"]
    assert not any(p.name.endswith(".tmp") for p in (root / "d").iterdir())


@pytest.fixture
def deep_tree(tree):
    """`tree` plus a 2,500-level chain a/a/.../x.py, made with dir fds (deeper than PATH_MAX
    can name); removed with remove_tree even when the test fails, as pytest's own cleanup
    (shutil.rmtree) would die of RecursionError on it."""
    root, _ = tree
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(2500):
            os.mkdir("a", dir_fd=fd)
            nxt = os.open("a", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        os.close(os.open("x.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    yield root
    nofollow_write.remove_tree(root)


@pytest.mark.slow
def test_walk_survives_a_tree_deeper_than_recursion_and_path_max(deep_tree, monkeypatch):
    root = deep_tree
    opens: list[object] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *a, **k: opens.append(a[0]) or real_open(*a, **k))
    found = list(nofollow.walk(root))
    monkeypatch.undo()
    # Linear, not quadratic, in the depth: one open a directory, each from its parent's fd
    # (opening every level from the root again would take ~MAX_WALK_DEPTH**2 / 2).
    assert len(opens) <= nofollow.MAX_WALK_DEPTH + 4, len(opens)
    assert found == ["pkg/mod.py", "top.txt"]  # x.py lies below MAX_WALK_DEPTH: not descended
    for depth in (nofollow.MAX_WALK_DEPTH - 1, nofollow.MAX_WALK_DEPTH):
        (root / Path(*["a"] * depth) / "y.py").write_text("")
    assert list(nofollow.walk(root)) == ["/".join(["a"] * (nofollow.MAX_WALK_DEPTH - 1))
                                         + "/y.py", "pkg/mod.py", "top.txt"]
    with pytest.raises(RecursionError):  # why remove_tree exists (Python 3.11's rmtree)
        shutil.rmtree(root / "a")
    nofollow_write.remove_tree(root)
    assert not root.exists()
    nofollow_write.remove_tree(root)  # already gone: fine


@pytest.mark.parametrize(("rel", "told"), [("/src/semver/version.py", "'src/semver/version.py'"),
                                           ("//etc/passwd", "'etc/passwd'"), ("/", "'.'")])
def test_a_path_from_the_root_is_refused_with_the_form_to_write(rel, told):
    """Small models write '/src/x.py' for the repository's src/x.py: it is refused (a path
    is never guessed at), and the refusal the next turn reads says how to write it."""
    with pytest.raises(UnsafePath) as err:
        nofollow.split(rel)
    assert str(err.value) == (f"{rel!r}: path must be relative to the repository's root, "
                              f"as {told}")
