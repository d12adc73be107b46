"""Hostile programs for the jail, shared by the root and the unprivileged-uid jail tests.

Each attack is a Python snippet run inside the jail after PRELUDE. It prints `HELD <what>`
for each attempt the jail stopped and `ESCAPED <what>` for each that worked. `problems()`
judges a run: at least one HELD, no ESCAPED, no canary secret anywhere in the output.
Paths and syscall numbers reach the snippet through the jail's `env` (the Executor seam).

This module must import under a bare system Python (the unprivileged driver runs it so).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tools.jail import Jail, JailLimits, JailResult
from tools.seccomp import abi_for

SECRET = "ob-canary-5e1f0c9d"  # in every secret file and in the fake API key
FAKE_KEY_NAME = "OUROBOROS_TEST_FAKE_API_KEY"
CLONE_NEWNS, CLONE_NEWUSER, SIGCHLD = 0x20000, 0x10000000, 17

PRELUDE = r'''
import ctypes, errno, json, os, signal, socket, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = json.loads(os.environ["T_NR"])
W = json.loads(os.environ["T_WORLD"])
def _arg(a):
    return ctypes.c_long(a) if isinstance(a, int) else a
def call(name, *args):
    ctypes.set_errno(0)
    nr = NR[name] if isinstance(name, str) else name
    return libc.syscall(ctypes.c_long(nr), *[_arg(a) for a in args]), ctypes.get_errno()
def expect(name, *args, err=errno.EPERM):
    r, e = call(name, *args)
    if r == 0 and name == "clone":
        os._exit(0)  # an escaped clone's child leaves quietly; the parent reports
    if r == -1 and e == err:
        print("HELD", name)
    else:
        print("ESCAPED", name, r, errno.errorcode.get(e))
def must_fail(what, fn):
    try:
        fn()
    except OSError as e:
        print("HELD", what, errno.errorcode.get(e.errno))
        return
    print("ESCAPED", what)
def read(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")
def write(path, text="pwned"):
    with open(path, "w") as f:
        f.write(text)
'''

MS_REMOUNT, MS_BIND, MS_REC, MNT_DETACH = 32, 4096, 16384, 2

# (name, argument expression) -> EPERM from the seccomp filter. Arguments are Python source.
DENIED_CALLS = [
    ("mount", 'b"none", b"/tmp", b"tmpfs", 0, None'),
    ("umount2", 'b"/tmp", 2'), ("pivot_root", 'b"/tmp", b"/tmp"'), ("chroot", 'b"/tmp"'),
    ("fsopen", 'b"tmpfs", 0'), ("open_tree", '-100, b"/", 1'), ("fspick", '-100, b"/", 0'),
    ("move_mount", '-100, b"/tmp", -100, b"/usr", 0'), ("fsmount", "3, 0, 0"),
    ("fsconfig", "3, 6, None, None, 0"), ("mount_setattr", '-100, b"/", 0, None, 0'),
    ("unshare", f"{CLONE_NEWUSER}"), ("unshare", f"{CLONE_NEWNS}"),
    ("unshare", f"{CLONE_NEWUSER | CLONE_NEWNS}"), ("setns", "0, 0"),
    ("clone", f"{CLONE_NEWUSER | SIGCHLD}, 0, 0, 0, 0"),
    ("clone", f"{CLONE_NEWNS | SIGCHLD}, 0, 0, 0, 0"),
    ("ptrace", "0, 0, 0, 0"), ("ptrace", "16, 1, 0, 0"),
    ("process_vm_readv", "1, None, 1, None, 1, 0"), ("process_vm_writev", "1, None, 1, None, 1, 0"),
    ("kcmp", "1, 1, 0, 0, 0"), ("pidfd_getfd", "0, 0, 0"),
    ("keyctl", "0, -4, 0"), ("add_key", 'b"user", b"k", b"v", 1, -4'),
    ("request_key", 'b"user", b"k", None, 0'),
    ("bpf", "5, None, 0"), ("perf_event_open", "None, 0, -1, -1, 0"),
    ("userfaultfd", "0"), ("io_uring_setup", "8, ctypes.create_string_buffer(120)"),
    ("open_by_handle_at", "-100, None, 0"), ("name_to_handle_at", '-100, b"/", None, None, 0'),
    ("init_module", 'None, 0, b""'), ("finit_module", '0, b"", 0'),
    ("delete_module", 'b"ext4", 0'), ("kexec_load", "0, 0, None, 0"),
    ("syslog", "10, None, 0"), ("acct", "None"), ("swapon", 'b"/tmp/x", 0'),
    ("adjtimex", "ctypes.create_string_buffer(256)"), ("clock_settime", "-1, None"),
    ("sethostname", 'b"x", 1'), ("reboot", "0, 0, 0, None"),
    ("ioctl", "0, 0x5412, ctypes.create_string_buffer(1)"),  # TIOCSTI
]

ATTACKS: dict[str, tuple[str, str]] = {  # id -> (jail mode, snippet)
    "identity-and-capabilities": ("sandbox", r'''
st = dict(l.split(":\t", 1) for l in read("/proc/self/status").splitlines() if ":\t" in l)
ok = (os.getuid() == os.getgid() == 65534 and st["CapEff"].strip("0\n") == ""
      and st["CapPrm"].strip("0\n") == "" and st["CapBnd"].strip("0\n") == ""
      and st["NoNewPrivs"].strip() == "1" and st["Seccomp"].strip() == "2")
print("HELD" if ok else "ESCAPED", "identity", os.getuid(), st["CapEff"], st["Seccomp"])
'''),
    "setuid-root": ("sandbox", 'must_fail("setuid(0)", lambda: os.setuid(0))'),
    "clone3-falls-back": ("sandbox", 'expect("clone3", None, 0, err=errno.ENOSYS)'),
    "umount-sandbox-bind": ("sandbox", 'expect("umount2", W["sandbox"].encode(), 2)'),
    "remount-root-rw": ("sandbox", r'''
expect("mount", None, b"/", None, 32 | 4096, None)
must_fail("write /", lambda: write("/pwned"))
must_fail("mkdir /run", lambda: os.mkdir("/run"))
'''),
    "bind-host-root": ("sandbox", r'''
os.makedirs("/tmp/host", exist_ok=True)
expect("mount", b"/", b"/tmp/host", None, 4096 | 16384, None)
'''),
    "mount-proc-elsewhere": ("sandbox", r'''
os.makedirs("/tmp/p", exist_ok=True)
expect("mount", b"proc", b"/tmp/p", b"proc", 0, None)
'''),
    "write-host-paths": ("sandbox", r'''
for p in ["/etc/ob-pwned", "/usr/ob-pwned", "/usr/bin/ob-pwned", W["repo"] + "/calc/ob-pwned",
          W["repo"] + "/calc/ops.py", W["home"] + "/ob-pwned", W["state"] + "/ob-pwned"]:
    must_fail("write " + p, lambda: write(p))
'''),
    "chmod-host-file": ("sandbox", r'''
mode = os.stat("/usr/bin/env").st_mode & 0o7777
must_fail("chmod /usr/bin/env", lambda: os.chmod("/usr/bin/env", mode))
'''),
    "mknod-memory-device": ("sandbox", r'''
must_fail("mknod /dev/mem", lambda: os.mknod("/tmp/mem", 0o20600, os.makedev(1, 1)))
'''),
    "setuid-file-in-sandbox": ("sandbox", r'''
must_fail("create 04755", lambda: os.open("suid", os.O_CREAT | os.O_WRONLY, 0o4755))
must_fail("create 02755", lambda: os.open("sgid", os.O_CREAT | os.O_WRONLY, 0o2755))
with open("plain", "w") as f:
    f.write("#!/bin/sh\n")
os.chmod("plain", 0o755)  # ordinary modes still work
must_fail("chmod 04755", lambda: os.chmod("plain", 0o4755))
must_fail("fchmod 06755", lambda: os.fchmod(os.open("plain", os.O_RDONLY), 0o6755))
must_fail("mknod 04644", lambda: os.mknod("node", 0o104644))
print("ESCAPED" if os.stat("plain").st_mode & 0o6000 else "HELD", oct(os.stat("plain").st_mode))
expect(437, b"x", None, 0, err=errno.ENOSYS)  # openat2
'''),
    "hardlink-host-file-into-sandbox": ("sandbox", r'''
for src in ["/usr/bin/env", sys.executable, W["repo"] + "/.env", os.path.realpath(sys.executable)]:
    must_fail("link " + src, lambda: os.link(src, "linked"))
'''),
    "read-home-ssh": ("sandbox", r'''
for p in [W["home"] + "/.ssh/id_rsa", W["home"] + "/.ssh", os.path.expanduser("~/.ssh/id_rsa")]:
    must_fail("read " + p, lambda: read(p) if not os.path.isdir(p) else os.listdir(p))
'''),
    "read-host-etc-secrets": ("sandbox", r'''
for p in ["/etc/shadow", "/etc/gshadow", "/etc/environment", "/etc/ssh", "/etc/ssl/private"]:
    if not os.path.exists(p):
        print("HELD absent", p)
        continue
    got = os.listdir(p) if os.path.isdir(p) else read(p)
    print("HELD empty" if not got else "ESCAPED readable", p)
'''),
    "read-live-env-and-ledger": ("sandbox", r'''
for p in [W["repo"] + "/.env", W["state"] + "/ledger.sqlite3", W["repo"] + "/.git/config"]:
    must_fail("read " + p, lambda: read(p))
'''),
    "symlink-to-host": ("sandbox", r'''
os.symlink(W["home"] + "/.ssh/id_rsa", "key-link")
os.symlink(W["repo"] + "/.env", "env-link")
must_fail("read key-link", lambda: read("key-link"))
must_fail("read env-link", lambda: read("env-link"))
'''),
    "proc-1-root": ("sandbox", r'''
top = set(os.listdir("/proc/1/root"))
host_only = top & {"home", "run", "boot", "srv", "mnt", "media", "sys", "opt"}
host_only |= {p for p in ["/var/run", "/var/lib", "/var/log"] if os.path.exists(p)}
print("ESCAPED host dirs" if host_only else "HELD proc/1/root", sorted(top), host_only)
must_fail("read via /proc/1/root", lambda: read("/proc/1/root" + W["repo"] + "/.env"))
'''),
    "proc-environ": ("sandbox", r'''
for pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["self", "thread-self"]:
    try:
        print(pid, read(f"/proc/{pid}/environ").replace("\0", " "))  # judged outside
    except OSError as e:
        print(pid, "unreadable", e)
keys = sorted(k.split("=")[0] for k in read("/proc/1/environ").split("\0") if k)
print("HELD environ" if keys == ["LANG", "PATH"] else "ESCAPED pid 1 env", keys)
'''),
    "kill-outside": ("sandbox", r'''
must_fail("kill host pid", lambda: os.kill(W["host_pid"], signal.SIGKILL))
must_fail("signal 0 to host pid", lambda: os.kill(W["host_pid"], 0))
print("ESCAPED" if os.path.exists(f"/proc/{W['host_pid']}") else "HELD", "host pid hidden")
'''),
    "host-unix-sockets": ("sandbox", r'''
for path in W["sockets"]:
    s = socket.socket(socket.AF_UNIX)
    must_fail("connect " + path, lambda: s.connect(path))
s = socket.socket(socket.AF_UNIX)
must_fail("connect abstract", lambda: s.connect("\0" + W["abstract"]))
'''),
    "network": ("sandbox", r'''
for addr in [("127.0.0.1", 22), ("1.1.1.1", 53), ("::1", 22)]:
    must_fail(f"connect {addr}", lambda: socket.create_connection(addr, 2))
'''),
    "inherited-fds": ("sandbox", r'''
fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))  # the listing's own fd is gone
extra = [f for f in fds if f > 2 and os.path.lexists(f"/proc/self/fd/{f}")]
print("ESCAPED fds" if extra else "HELD fds", fds, extra)
for n in range(3, 64):
    try:
        print(n, read(f"/proc/self/fd/{n}")[:200])  # judged outside
    except OSError:
        pass
'''),
    "proc-sys-write": ("sandbox", r'''
for p in ["/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches",
          "/proc/sys/kernel/hostname"]:
    try:
        current = read(p)
    except OSError:
        current = "1"
    must_fail("write " + p, lambda: write(p, current))
'''),
    "proc-kcore-and-kmsg": ("sandbox", r'''
for p in ["/proc/kcore", "/proc/kmsg", "/dev/core", "/proc/1/mem"]:
    must_fail("read " + p, lambda: open(p, "rb").read(16))
'''),
    "x32-abi": ("sandbox", r'''
if os.uname().machine != "x86_64":
    print("HELD no x32 ABI on", os.uname().machine)
else:
    code = "import ctypes; ctypes.CDLL(None).syscall(ctypes.c_long(0x40000000 | 39))"
    rc = subprocess.run([sys.executable, "-c", code]).returncode
    print("HELD x32 killed" if rc == -signal.SIGSYS else f"ESCAPED x32 rc={rc}")
'''),
    "fill-tmpfs": ("sandbox", r'''
for d in ["/tmp", "/dev/shm"]:
    def fill():
        with open(d + "/fill", "wb") as f:
            for _ in range(64):
                f.write(b"x" * (1 << 20))
                f.flush()
    must_fail("fill " + d, fill)
'''),
    "fork-bomb": ("sandbox", r'''
import time
n = 0
while n < 5000:
    try:
        pid = os.fork()
    except OSError as e:
        print("HELD fork bomb stopped after", n, errno.errorcode[e.errno])
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    n += 1
else:
    print("ESCAPED fork bomb", n)
'''),
    "verify-protected-files-masked": ("verify", r'''
for rel in W["secret_files"]:
    try:
        text = read(rel) if not os.path.isdir(rel) else " ".join(os.listdir(rel))
    except OSError as e:
        text = str(e)
    print("HELD", rel, repr(text[:200]))  # the canary must not be here: judged outside
'''),
    "verify-remount-tree-rw": ("verify", r'''
expect("mount", None, W["repo"].encode(), None, 32 | 4096, None)
must_fail("write live calc/ops.py", lambda: write("calc/ops.py"))
must_fail("write live new file", lambda: write("calc/new.py"))
'''),
    "verify-unmask-env": ("verify", r'''
expect("umount2", (W["repo"] + "/.env").encode(), 2)
print("HELD .env after umount:", repr(read(".env")))  # judged outside
'''),
    "verify-state-dir": ("verify", r'''
expect("umount2", W["state"].encode(), 2)
print("HELD" if os.listdir(W["state"]) == [] else "ESCAPED", "state dir", os.listdir(W["state"]))
must_fail("read ledger", lambda: read(W["state"] + "/ledger.sqlite3"))
'''),
    "verify-git-config-credentials": ("verify", r'''
out = subprocess.run(["git", "config", "--local", "--get-regexp", "remote|credential|url"],
                     capture_output=True, text=True).stdout
log = subprocess.run(["git", "log", "--oneline", "-1"], capture_output=True, text=True)
print("HELD git works" if log.returncode == 0 and log.stdout else "ESCAPED git broken",
      log.stderr[-200:])
print("HELD" if not out else "ESCAPED", out, read(".git/config"))  # judged outside
'''),
}
for _i, (_name, _args) in enumerate(DENIED_CALLS):
    ATTACKS[f"syscall-{_name}-{_i}"] = ("sandbox", f"expect({_name!r}, {_args})")


def world_env(world: dict) -> dict[str, str]:
    numbers = {**abi_for().denied, "clone": abi_for().clone, "clone3": abi_for().clone3,
               "ioctl": abi_for().ioctl}
    return {"T_NR": json.dumps(numbers), "T_WORLD": json.dumps(world)}


def jail_for(world: dict, mode: str, limits: JailLimits) -> Jail:
    repo, home, state = Path(world["repo"]), Path(world["home"]), Path(world["state"])
    root = Path(world["sandbox"]) if mode == "sandbox" else repo
    return Jail(root, [home, repo, state], limits,
                extra_ro=[Path(sys.prefix), Path(sys.base_prefix)],
                writable=mode == "sandbox", env=world_env(world))


def attack_limits() -> JailLimits:
    # Spelled out, not tests.helpers.jail_limits: the uid-65534 driver imports this module
    # with nothing but the interpreter (no daemon, no settings).
    return JailLimits(timeout_s=20, cpu_s=120, memory_bytes=4 << 30, file_bytes=64 << 20,
                      max_procs=48, output_bytes=32 << 10, tmp_bytes=4 << 20)


async def run_attack(world: dict, attack: str) -> JailResult:
    mode, code = ATTACKS[attack]
    return await jail_for(world, mode, attack_limits()).run(
        [sys.executable, "-c", PRELUDE + code])


def problems(result: JailResult) -> list[str]:
    """What is wrong with a jailed attack's run (empty: the jail held)."""
    out = result.output
    found = []
    if result.timed_out or result.exit_code != 0:
        found.append(f"did not finish cleanly: exit {result.exit_code}")
    if "HELD" not in out:
        found.append("no attempt reported HELD")
    if "ESCAPED" in out:
        found.append("an attempt ESCAPED")
    if SECRET in out or FAKE_KEY_NAME in out:
        found.append("the canary secret is in the output")
    return found
