"""The jail's seccomp filter: a classic BPF program, assembled here, that bubblewrap loads.

Capabilities are dropped in the jail, so most of these calls would fail anyway; the filter
is the second lock, and it closes the calls that need no capability at all (user
namespaces, keyrings shared by every process of the same kernel uid, ptrace of a sibling,
io_uring's large kernel surface). Denied calls return EPERM, except clone3, which returns
ENOSYS so that libc falls back to clone, whose flags argument the filter can inspect (clone3
passes its flags in memory, out of a filter's reach). A syscall made through another ABI
(x32, or the 32-bit int 0x80 entry on x86_64) kills the process: the deny list is written
for one ABI, and a second ABI would walk round it. Setting the setuid or setgid bit (chmod
family, or a mode given at creation) is denied: a root daemon's jail writes its sandbox as
kernel uid 0, and a setuid-root file left on the host's disk would outlive the jail.
openat2, whose mode sits in memory, returns ENOSYS (libc's open() does not use it).

Program layout (one pass, default allow):

    load arch;  arch != ours          -> KILL
    load nr;    x32 bit set (x86_64)  -> KILL
    nr == clone   -> load flags; flags & CLONE_NEW*  -> EPERM, else ALLOW
    nr == clone3 or openat2 -> ENOSYS
    nr == ioctl   -> load request; TIOCSTI | TIOCLINUX -> EPERM, else ALLOW
    nr sets a mode -> load that argument; S_ISUID | S_ISGID -> EPERM, else ALLOW
    nr in DENIED  -> EPERM
    ALLOW
"""

from __future__ import annotations

import errno
import platform
import struct
from dataclasses import dataclass

from tools.errors import SeccompUnsupported

# Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_JSET_K = 0x45
BPF_RET_K = 0x06
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
OFF_NR, OFF_ARCH, OFF_ARGS = 0, 4, 16

X32_SYSCALL_BIT = 0x40000000
CLONE_NEW_FLAGS = (0x00000080 | 0x00020000 | 0x02000000 | 0x04000000  # TIME NS CGROUP UTS
                   | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000)  # IPC USER PID NET
TIOCSTI, TIOCLINUX = 0x5412, 0x541C  # push input into a terminal; console tricks
SETID_BITS = 0o6000  # S_ISUID | S_ISGID


@dataclass(frozen=True)
class Abi:
    audit_arch: int
    x32_bit: bool  # whether the syscall number can carry the x32 ABI bit
    clone: int
    clone3: int
    ioctl: int
    denied: dict[str, int]  # name -> syscall number
    mode_arg: dict[int, int]  # syscall number -> index of its mode argument
    enosys: tuple[int, ...] = (435, 437)  # clone3, openat2 (same on both ABIs)


# Names shared by both tables, grouped by why they are denied.
DENIED_GROUPS: dict[str, tuple[str, ...]] = {
    "mount": ("mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
              "fsconfig", "fsmount", "fspick", "mount_setattr"),
    "namespace": ("unshare", "setns"),
    "process access": ("ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
                       "kcmp", "pidfd_getfd"),
    "keyring": ("keyctl", "add_key", "request_key"),
    "kernel surface": ("bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
                       "io_uring_enter", "io_uring_register", "open_by_handle_at",
                       "name_to_handle_at", "lookup_dcookie", "fanotify_init"),
    "kernel modules": ("kexec_load", "kexec_file_load", "init_module", "finit_module",
                       "delete_module"),
    "host state": ("reboot", "swapon", "swapoff", "syslog", "acct", "quotactl", "quotactl_fd",
                   "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
                   "sethostname", "setdomainname", "vhangup", "nfsservctl"),
    "x86 legacy": ("uselib", "ioperm", "iopl", "modify_ldt"),  # absent on aarch64
}

_X86_64 = {
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "move_mount": 429,
    "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "unshare": 272, "setns": 308, "ptrace": 101,
    "process_vm_readv": 310, "process_vm_writev": 311, "process_madvise": 440, "kcmp": 312,
    "pidfd_getfd": 438, "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321,
    "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_by_handle_at": 304, "name_to_handle_at": 303,
    "lookup_dcookie": 212, "fanotify_init": 300, "kexec_load": 246, "kexec_file_load": 320,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "reboot": 169,
    "swapon": 167, "swapoff": 168, "syslog": 103, "acct": 163, "quotactl": 179,
    "quotactl_fd": 443, "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305,
    "adjtimex": 159, "sethostname": 170, "setdomainname": 171, "vhangup": 153,
    "nfsservctl": 180, "uselib": 134, "ioperm": 173, "iopl": 172, "modify_ldt": 154,
}
_AARCH64 = {  # asm-generic numbering
    "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "move_mount": 429,
    "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "unshare": 97, "setns": 268, "ptrace": 117,
    "process_vm_readv": 270, "process_vm_writev": 271, "process_madvise": 440, "kcmp": 272,
    "pidfd_getfd": 438, "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280,
    "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_by_handle_at": 265, "name_to_handle_at": 264,
    "lookup_dcookie": 18, "fanotify_init": 262, "kexec_load": 104, "kexec_file_load": 294,
    "init_module": 105, "finit_module": 273, "delete_module": 106, "reboot": 142,
    "swapon": 224, "swapoff": 225, "syslog": 116, "acct": 89, "quotactl": 60,
    "quotactl_fd": 443, "settimeofday": 170, "clock_settime": 112, "clock_adjtime": 266,
    "adjtimex": 171, "sethostname": 161, "setdomainname": 162, "vhangup": 58,
    "nfsservctl": 42,
}

ABIS: dict[str, Abi] = {
    # open creat chmod fchmod mknod openat mknodat fchmodat fchmodat2
    "x86_64": Abi(0xC000003E, True, clone=56, clone3=435, ioctl=16, denied=_X86_64,
                  mode_arg={2: 2, 85: 1, 90: 1, 91: 1, 133: 1, 257: 3, 259: 2, 268: 2,
                            452: 2}),
    # mknodat fchmod fchmodat openat fchmodat2
    "aarch64": Abi(0xC00000B7, False, clone=220, clone3=435, ioctl=29, denied=_AARCH64,
                   mode_arg={33: 2, 52: 1, 53: 2, 56: 3, 452: 2}),
}


def abi_for(machine: str | None = None) -> Abi:
    name = (machine or platform.machine()).lower()
    name = {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)
    if name not in ABIS:
        raise SeccompUnsupported(f"no seccomp syscall table for architecture {name!r} "
                                 f"(known: {', '.join(sorted(ABIS))})")
    return ABIS[name]


class _Program:
    """A tiny assembler: instructions with symbolic jump targets, resolved at the end."""

    def __init__(self) -> None:
        self.code: list[tuple[int, object, object, int]] = []
        self.labels: dict[str, int] = {}

    def load(self, offset: int) -> None:
        self.code.append((BPF_LD_W_ABS, 0, 0, offset))

    def jump(self, op: int, k: int, jt: object, jf: object) -> None:
        self.code.append((op, jt, jf, k))

    def ret(self, value: int, label: str | None = None) -> None:
        if label:
            self.labels[label] = len(self.code)
        self.code.append((BPF_RET_K, 0, 0, value))

    def mark(self, label: str) -> None:
        self.labels[label] = len(self.code)

    def assemble(self) -> list[tuple[int, int, int, int]]:
        out = []
        for pc, (op, jt, jf, k) in enumerate(self.code):
            rel = [self._offset(pc, t) for t in (jt, jf)]
            out.append((op, rel[0], rel[1], k))
        return out

    def _offset(self, pc: int, target: object) -> int:
        if isinstance(target, int):
            return target
        off = self.labels[str(target)] - pc - 1
        if not 0 <= off <= 255:
            raise ValueError(f"jump to {target} out of range ({off})")
        return off


def program(abi: Abi) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) tuples."""
    p = _Program()
    p.load(OFF_ARCH)
    p.jump(BPF_JEQ_K, abi.audit_arch, 0, "kill")
    p.load(OFF_NR)
    if abi.x32_bit:
        p.jump(BPF_JGE_K, X32_SYSCALL_BIT, "kill", 0)
    p.jump(BPF_JEQ_K, abi.clone, "clone", 0)
    for nr in abi.enosys:
        p.jump(BPF_JEQ_K, nr, "enosys", 0)
    p.jump(BPF_JEQ_K, abi.ioctl, "ioctl", 0)
    for nr, index in sorted(abi.mode_arg.items()):
        p.jump(BPF_JEQ_K, nr, f"mode{index}", 0)
    for nr in sorted(set(abi.denied.values())):
        p.jump(BPF_JEQ_K, nr, "deny", 0)
    p.ret(RET_ALLOW)
    p.mark("clone")
    p.load(OFF_ARGS)  # low 32 bits of args[0] (little-endian): every CLONE_NEW* bit is there
    p.jump(BPF_JSET_K, CLONE_NEW_FLAGS, "deny", 0)
    p.ret(RET_ALLOW)
    p.mark("ioctl")
    p.load(OFF_ARGS + 8)  # low 32 bits of args[1], the request
    p.jump(BPF_JEQ_K, TIOCSTI, "deny", 0)
    p.jump(BPF_JEQ_K, TIOCLINUX, "deny", 0)
    p.ret(RET_ALLOW)
    for index in sorted(set(abi.mode_arg.values())):
        p.mark(f"mode{index}")
        p.load(OFF_ARGS + 8 * index)
        p.jump(BPF_JSET_K, SETID_BITS, "deny", 0)
        p.ret(RET_ALLOW)
    p.ret(RET_ERRNO | errno.EPERM, "deny")
    p.ret(RET_ERRNO | errno.ENOSYS, "enosys")
    p.ret(RET_KILL_PROCESS, "kill")
    return p.assemble()


def filter_bytes(machine: str | None = None) -> bytes:
    """The filter as bubblewrap's --seccomp expects it: an array of struct sock_filter."""
    return b"".join(struct.pack("=HBBI", *ins) for ins in program(abi_for(machine)))
