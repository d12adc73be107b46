"""The seccomp program, executed by a small classic-BPF interpreter: every ABI, every denied
call, the clone flag check, the x32 and foreign-arch kills, and what stays allowed."""

from __future__ import annotations

import errno
import struct

import pytest

from tools import seccomp
from tools.seccomp import ABIS, SeccompUnsupported, abi_for, filter_bytes

RET_ALLOW, RET_ERRNO = seccomp.RET_ALLOW, seccomp.RET_ERRNO
RET_KILL_PROCESS = seccomp.RET_KILL_PROCESS

EPERM = RET_ERRNO | errno.EPERM
ENOSYS = RET_ERRNO | errno.ENOSYS
AUDIT_ARCH_I386 = 0x40000003
CLONE_NEW_BITS = [1 << b for b in range(32) if seccomp.CLONE_NEW_FLAGS & (1 << b)]


def run_filter(program: bytes, nr: int, arch: int, args: tuple[int, ...] = ()) -> int:
    """Execute the filter on a struct seccomp_data like the kernel does."""
    full = (*args, *[0] * (6 - len(args)))
    data = struct.pack("=IIQ6Q", nr, arch, 0, *full)  # nr as the unsigned word BPF loads
    insns = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == seccomp.BPF_LD_W_ABS:
            acc = struct.unpack_from("=I", data, k)[0]
        elif code == seccomp.BPF_RET_K:
            return k
        else:
            taken = {seccomp.BPF_JEQ_K: acc == k, seccomp.BPF_JGE_K: acc >= k,
                     seccomp.BPF_JSET_K: bool(acc & k)}[code]
            pc += jt if taken else jf
        pc += 1


def _cases():
    for machine, abi in ABIS.items():
        for name in sorted(abi.denied):
            yield pytest.param(machine, name, id=f"{machine}-{name}")


@pytest.mark.parametrize("machine,name", list(_cases()))
def test_every_denied_call_gets_eperm(machine, name):
    abi = ABIS[machine]
    assert run_filter(filter_bytes(machine), abi.denied[name], abi.audit_arch) == EPERM


@pytest.mark.parametrize("machine", sorted(ABIS))
def test_every_group_is_in_each_table_where_the_call_exists(machine):
    names = {n for group in seccomp.DENIED_GROUPS.values() for n in group}
    missing = names - set(ABIS[machine].denied)
    assert missing <= ({"uselib", "ioperm", "iopl", "modify_ldt"} if machine == "aarch64"
                       else set())


@pytest.mark.parametrize("machine", sorted(ABIS))
@pytest.mark.parametrize("flag", CLONE_NEW_BITS)
def test_clone_with_a_namespace_flag_is_denied_and_plain_clone_allowed(machine, flag):
    abi, prog = ABIS[machine], filter_bytes(machine)
    assert run_filter(prog, abi.clone, abi.audit_arch, (flag | 17,)) == EPERM
    # the high half of the 64-bit argument does not hide a flag in the low half
    assert run_filter(prog, abi.clone, abi.audit_arch, ((1 << 40) | flag,)) == EPERM
    thread_flags = 0x003D0F00  # what pthread_create passes
    assert run_filter(prog, abi.clone, abi.audit_arch, (thread_flags,)) == RET_ALLOW
    assert run_filter(prog, abi.clone, abi.audit_arch, (17,)) == RET_ALLOW  # fork


@pytest.mark.parametrize("machine", sorted(ABIS))
def test_clone3_is_enosys_so_libc_falls_back(machine):
    abi = ABIS[machine]
    assert run_filter(filter_bytes(machine), abi.clone3, abi.audit_arch) == ENOSYS


@pytest.mark.parametrize("machine", sorted(ABIS))
@pytest.mark.parametrize("req,expected", [(0x5412, EPERM), (0x541C, EPERM),
                                              (0x5401, RET_ALLOW), (0x541B, RET_ALLOW)])
def test_ioctl_terminal_injection_denied_others_allowed(machine, req, expected):
    abi = ABIS[machine]
    assert run_filter(filter_bytes(machine), abi.ioctl, abi.audit_arch,
                      (0, req)) == expected


@pytest.mark.parametrize("machine", sorted(ABIS))
@pytest.mark.parametrize("arch", [AUDIT_ARCH_I386, 0, 0xFFFFFFFF])
def test_a_foreign_architecture_is_killed(machine, arch):
    abi = ABIS[machine]
    assert run_filter(filter_bytes(machine), abi.denied["mount"], arch) == RET_KILL_PROCESS
    assert run_filter(filter_bytes(machine), 0, arch) == RET_KILL_PROCESS


@pytest.mark.parametrize("nr", [0x40000000, 0x40000000 | 165, 0x40000000 | 39, 0xFFFFFFFF])
def test_x32_abi_is_killed_on_x86_64(nr):
    assert run_filter(filter_bytes("x86_64"), nr, ABIS["x86_64"].audit_arch) == RET_KILL_PROCESS


@pytest.mark.parametrize("machine,nr", [("x86_64", n) for n in (0, 1, 2, 3, 9, 39, 57, 59, 257,
                                                                 435 - 1, 334)]
                         + [("aarch64", n) for n in (56, 57, 63, 64, 172, 221, 222)])
def test_ordinary_calls_are_allowed(machine, nr):
    """read, write, open(at), close, mmap, getpid, fork, execve, rseq...: a test run needs them."""
    assert nr not in ABIS[machine].denied.values()
    assert run_filter(filter_bytes(machine), nr, ABIS[machine].audit_arch) == RET_ALLOW


@pytest.mark.parametrize("machine", ["riscv64", "ppc64le", "s390x", "i686"])
def test_unknown_architecture_is_refused_clearly(machine):
    with pytest.raises(SeccompUnsupported, match="no seccomp syscall table"):
        abi_for(machine)


def test_aliases_and_program_size():
    assert abi_for("amd64") is ABIS["x86_64"] and abi_for("arm64") is ABIS["aarch64"]
    for machine in ABIS:
        assert len(filter_bytes(machine)) % 8 == 0 and len(filter_bytes(machine)) // 8 < 255


def _mode_cases():
    for machine, abi in ABIS.items():
        for nr, index in sorted(abi.mode_arg.items()):
            yield pytest.param(machine, nr, index, id=f"{machine}-{nr}")


@pytest.mark.parametrize("machine,nr,index", list(_mode_cases()))
def test_setuid_and_setgid_modes_are_denied_ordinary_modes_allowed(machine, nr, index):
    abi, prog = ABIS[machine], filter_bytes(machine)

    def verdict(mode: int) -> int:
        args = [0] * 6
        args[index] = mode
        return run_filter(prog, nr, abi.audit_arch, tuple(args))

    assert verdict(0o4755) == EPERM and verdict(0o2755) == EPERM
    assert verdict(0o100000 | 0o4644) == EPERM  # mknod's type bits do not hide it
    assert verdict(0o755) == RET_ALLOW and verdict(0o666) == RET_ALLOW
    assert verdict(0o1777) == RET_ALLOW  # sticky is harmless


@pytest.mark.parametrize("machine", sorted(ABIS))
def test_openat2_is_enosys(machine):
    assert run_filter(filter_bytes(machine), 437, ABIS[machine].audit_arch) == ENOSYS
