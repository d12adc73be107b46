"""The jail's mount plan: which paths get masked, the sanitized git config, the system
directories, and that a repo full of protected files still gets a working jail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import jail_limits
from tools import jail as jail_mod
from tools import jail_mounts as mounts
from tools.jail import Jail, bwrap_available

needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap unusable")


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.slow
def test_protected_masks_cover_files_dirs_hidden_and_odd_names(short_tmp):
    root = _tree(short_tmp / "t", {
        ".env": "s", "app/.env.local": "s", "deploy/site.pem": "s", "deep/a/b/id_rsa": "s",
        ".venv/lib/x.py": "", "sub/.git/config": "s", "state/ledger": "s",
        "private/notes.txt": "s", "odd\\name.py": "", "app/main.py": "", ".git/config": "",
        "docs/readme.md": ""})
    os.symlink(".env", root / "app" / "config.env")  # a link: its target is masked itself
    os.symlink("/etc/hostname", root / ".netrc")  # a link named like a secret: not followed
    masked = {p.relative_to(root).as_posix() for p in
              mounts.protected_masks(root, [root / "state"], ("private/*",))}
    # directories holding nothing but masked things are masked whole; app/ keeps main.py
    assert masked == {".env", "app/.env.local", "deploy", "deep", ".venv", "sub", "state",
                      "private", "odd\\name.py"}


def test_sanitized_git_config_keeps_only_what_git_needs(short_tmp):
    config = short_tmp / "config"
    config.write_text(
        '[core]\n\trepositoryformatversion = 1\n\tbare = false\n\tfsmonitor = /tmp/evil\n'
        '\tsshCommand = ssh -i /root/.ssh/id_rsa\n[extensions]\n\tobjectformat = sha256\n'
        '[remote "origin"]\n\turl = https://user:TOKEN123@example.com/r.git\n'
        '[credential]\n\thelper = store\n[include]\n\tpath = /root/.gitconfig\n'
        '[url "https://TOKEN123@x/"]\n\tinsteadOf = https://x/\n')
    clean = mounts.sanitized_git_config(config).decode()
    assert "TOKEN123" not in clean and "helper" not in clean and "include" not in clean
    assert "fsmonitor" not in clean and "sshcommand" not in clean.lower()
    back = short_tmp / "back"
    back.write_text(clean)
    listed = subprocess.run(["git", "config", "--file", str(back), "--list"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed == ["core.repositoryformatversion=1", "core.bare=false",
                      "extensions.objectformat=sha256"]


@pytest.mark.parametrize("text", ["[core\nbroken", "\x00\x01garbage", ""])
def test_an_unparsable_git_config_becomes_empty(short_tmp, text):
    config = short_tmp / "config"
    config.write_text(text)
    assert mounts.sanitized_git_config(config) == b""


def test_a_value_with_quotes_survives_the_round_trip(short_tmp):
    config = short_tmp / "config"
    subprocess.run(["git", "config", "--file", str(config), "core.autocrlf", 'a"b\\c'],
                   check=True)
    (short_tmp / "back").write_bytes(mounts.sanitized_git_config(config))
    got = subprocess.run(["git", "config", "--file", str(short_tmp / "back"), "core.autocrlf"],
                         capture_output=True, text=True, check=True).stdout
    assert got == 'a"b\\c\n'


def test_system_dirs_keep_links_and_mask_etc_secrets():
    args = mounts.system_args(Path("/dev/null"))
    if Path("/bin").is_symlink():
        assert ["--symlink", os.readlink("/bin"), "/bin"] == args[args.index("/bin") - 2:
                                                                args.index("/bin") + 1]
    if Path("/etc/shadow").exists():
        assert "/etc/shadow" in args
    assert "/run" not in args and "/home" not in args and "/var" not in args


def test_interpreter_dirs_skip_system_dirs(short_tmp):
    dirs = mounts.interpreter_dirs([Path("/usr/lib"), short_tmp])
    assert Path("/usr/lib") not in dirs and short_tmp.resolve() in dirs
    assert Path(sys.prefix).resolve() in dirs or Path(sys.prefix).resolve().is_relative_to("/usr")


def test_missing_bwrap_is_a_clear_reason(monkeypatch):
    monkeypatch.setattr(jail_mod.shutil, "which", lambda name: None)
    assert "apt-get install bubblewrap" in bwrap_available()


@pytest.mark.slow
@needs_bwrap
async def test_thousands_of_protected_files_still_make_a_quick_working_jail(short_tmp):
    """1,500 keys in one directory: that directory is masked whole (one mount, not 1,500)."""
    root = _tree(short_tmp / "many", {f"keys/k{i}.pem": "SECRET-PEM" for i in range(1500)})
    _tree(root, {"conf/local.cfg": "SECRET-GLOB", "ok.txt": "fine", "keys/sub/a.key": "SECRET"})
    assert len(mounts.protected_masks(root, [], ("conf/*.cfg",))) == 2
    jail = Jail(root, [], jail_limits(timeout_s=30), writable=False,
                protected_globs=("conf/*.cfg",))
    result = await jail.run(["bash", "-c", "cat keys/*.pem conf/local.cfg ok.txt; echo END"])
    assert result.exit_code == 0, result.output
    assert "SECRET" not in result.output and result.output.endswith("fineEND\n")
    assert result.duration_s < 5


@pytest.mark.slow
@needs_bwrap
async def test_too_many_scattered_secrets_refuse_the_run_instead_of_exposing_them(short_tmp):
    files = {f"d{i}/k.pem": "SECRET" for i in range(jail_mod.MAX_MASKS + 1)}
    root = _tree(short_tmp / "scattered", {**files, **{f"d{i}/x.py": "" for i in range(600)}})
    result = await Jail(root, [], jail_limits(), writable=False).run(["cat", "d0/k.pem"])
    assert result.exit_code == jail_mod.NOT_STARTED and "SECRET" not in result.output
    assert "jail not started" in result.output and "at most 512" in result.output


@pytest.mark.slow
@needs_bwrap
async def test_an_older_bubblewrap_without_disable_userns_or_size_still_holds(short_tmp,
                                                                               monkeypatch):
    real = jail_mod._supported(jail_mod._bwrap_path())
    monkeypatch.setattr(jail_mod, "_supported",
                        lambda path: real - {"--disable-userns", "--size"})
    code = ("import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); "
            "r = libc.unshare(0x10000000); print('unshare', r, ctypes.get_errno()); "
            "print('uid', os.getuid())")
    result = await Jail(short_tmp, [], jail_limits()).run([sys.executable, "-c", code])
    assert result.output.split() == ["unshare", "-1", "1", "uid", "65534"], result.output


@needs_bwrap
@pytest.mark.parametrize("trap", ["open dir", "writable file", "symlink"])
async def test_a_trapped_shared_empty_file_falls_back_to_a_private_one(short_tmp, monkeypatch,
                                                                       trap):
    monkeypatch.setattr(jail_mod.tempfile, "gettempdir", lambda: str(short_tmp))
    shared = short_tmp / f"ob-jail-{os.getuid()}"
    if trap == "symlink":
        (short_tmp / "elsewhere").mkdir()
        shared.symlink_to(short_tmp / "elsewhere")
    else:
        shared.mkdir(mode=0o700)
        (shared / "empty").write_text("")
        os.chmod(shared, 0o777 if trap == "open dir" else 0o700)
        os.chmod(shared / "empty", 0o444 if trap == "open dir" else 0o666)
    assert jail_mod._shared_empty_file() is None
    root = _tree(short_tmp / "r", {".env": "SECRET", "a.py": ""})
    result = await Jail(root, [], jail_limits(), writable=False).run(["cat", ".env", "a.py"])
    assert result.exit_code == 0 and "SECRET" not in result.output, result.output
    assert sorted(p.name for p in short_tmp.iterdir() if p.name.startswith("ob-jail-")) == [
        shared.name]  # the private one is gone again


def test_an_architecture_without_a_syscall_table_is_a_clear_reason(monkeypatch):
    monkeypatch.setattr("platform.machine", lambda: "riscv64")
    assert "no seccomp syscall table for architecture 'riscv64'" in bwrap_available()


@pytest.mark.slow
def test_a_tree_deeper_than_the_recursion_limit_is_scanned(short_tmp):
    (short_tmp / "r").mkdir()
    (short_tmp / "r" / "ok.py").write_text("")
    fd = os.open(short_tmp / "r", os.O_RDONLY)
    for _ in range(sys.getrecursionlimit() + 200):  # by fd: pathlib would recurse too
        os.mkdir("d", dir_fd=fd)
        fd, old = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(old)
    os.close(os.open(".env", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)
    try:
        assert mounts.protected_masks(short_tmp / "r", []) == [short_tmp / "r" / "d"]
    finally:  # 3.11's rmtree recurses as well: GNU rm does not
        subprocess.run(["rm", "-rf", str(short_tmp / "r")], check=True)


def test_an_unreadable_directory_is_masked_unseen(short_tmp, monkeypatch):
    root = _tree(short_tmp / "r", {"a/x.py": "", "b/y.py": ""})
    real = os.scandir
    monkeypatch.setattr(mounts.os, "scandir",
                        lambda p: (_ for _ in ()).throw(PermissionError(13, "no"))
                        if Path(p).name == "a" else real(p))
    assert mounts.protected_masks(root, []) == [root / "a"]


async def test_a_tree_too_large_to_scan_is_not_started(short_tmp, monkeypatch):
    monkeypatch.setattr(mounts, "MAX_SCAN_ENTRIES", 50)
    root = _tree(short_tmp / "big", {f"f{i}.py": "" for i in range(60)})
    result = await Jail(root, [], jail_limits()).run(["true"])
    assert result.exit_code == jail_mod.NOT_STARTED and "too many to check" in result.output
