"""The native step (kernel/native.c: decode steps and short prefill chunks): what the CPU
offers, building the library once per machine, loading it, and the calls
kernel/fast_plain.py makes into it.

`load()` returns a `Native` or the one-line reason there is none; it never raises, so any
failure (no compiler, a failed build, a CPU without AVX2+FMA, `OUROBOROS_NATIVE=0`) leaves
the lean forward on its torch path, which the caller logs once.

The library is compiled with `-O3 -march=native -fopenmp` into
`$XDG_CACHE_HOME/ouroboros/native/<hash>.so`, the hash covering the source and every file
it includes (`sources()`: native.c and quant.c are each one translation unit over a file
per concept), the compiler and its version, the flags and the CPU's feature flags: a
change in any of those files, or a moved home directory on another CPU, builds afresh. A
build writes a temporary file and renames it into place, so a process never loads a
half-written library (two racing builds both rename a whole one). A compiler without
OpenMP gets a second try without it (one thread).

Environment: `OUROBOROS_NATIVE=0` disables the native step (the fallback's tests use it),
`OUROBOROS_NATIVE=scalar` builds the portable C without -march=native, `avx2` and `avxvnni`
hold back the CPU's newer features (so each kernel can be tested on a CPU that has more; all
three are for tests), and `OUROBOROS_CC` names the compiler (default `cc`, else `gcc`).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

SOURCE = Path(__file__).with_name("native.c")
ABI = 4  # native.c's OB_ABI: the signatures below
FLAGS = ("-O3", "-shared", "-fPIC")
BUILD_SECONDS = 120
# What native.c's ob_simd() reports it was compiled with: the weight products' kernels.
KERNELS = {0: "scalar", 1: "AVX2+FMA", 2: "AVX2+FMA, AVX-VNNI", 3: "AVX2+FMA, AVX-512 VNNI"}
# The compiler's target per OUROBOROS_NATIVE mode: auto takes what this CPU has; the others
# hold back features, so each kernel can be tested (against auto's bits) on a CPU with more.
MODES = {"auto": ["-march=native"], "scalar": ["-march=x86-64"],
         "avx2": ["-march=native", "-mno-avx512f", "-mno-avxvnni"],
         "avxvnni": ["-march=native", "-mno-avx512f"]}
# A local include (`#include "name"`, beside the file that names it); <...> are the system's.
INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.MULTILINE)
PER_LAYER = 10  # native.c's P_PER_LAYER pointers: qkv, o, gate_up, down (w, scale), 2 norms


@dataclass(frozen=True)
class Cpu:
    """The processor as /proc/cpuinfo describes it (empty on other systems)."""

    model: str
    flags: frozenset[str]

    @classmethod
    def read(cls, path: Path = Path("/proc/cpuinfo")) -> Cpu:
        model, flags = "unknown CPU", frozenset[str]()
        try:
            text = path.read_text()
        except OSError:
            return cls(model, flags)
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown CPU":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = frozenset(value.split())
        return cls(model, flags)

    @property
    def simd(self) -> bool:
        """What native.c's vector kernels need."""
        return {"avx2", "fma"} <= self.flags

    @property
    def bf16(self) -> bool:
        """Native bfloat16 arithmetic (else torch emulates it, slower than float32)."""
        return bool({"avx512_bf16", "amx_bf16"} & self.flags)

    def isa(self) -> str:
        names = {"avx2": "AVX2", "fma": "FMA", "avx512f": "AVX-512", "avx512_vnni": "VNNI",
                 "avx_vnni": "AVX-VNNI", "avx512_bf16": "BF16", "amx_bf16": "AMX"}
        found = [label for flag, label in names.items() if flag in self.flags]
        return " ".join(found) or "no AVX2"


class Native:
    """The loaded library. Pointers are tensors' data_ptr()s; the caller keeps them alive."""

    def __init__(self, lib: ctypes.CDLL, path: Path):
        self.lib, self.path = lib, path
        ptr, i32 = ctypes.c_void_p, ctypes.c_int
        lib.ob_tokens.argtypes = [ptr, ptr, ptr, ctypes.c_float, ptr, i32, i32, i32, ptr, ptr,
                                  ptr, ptr, i32]
        lib.ob_batch.argtypes = [ptr, ptr, ptr, ctypes.c_float, ptr, i32, i32, i32, i32, ptr,
                                 ptr, ptr, ptr, ptr, i32, ptr, i32]
        lib.ob_gemv.argtypes = [ptr, ptr, i32, i32, ptr, ptr, i32]
        lib.ob_dequant.argtypes = [ptr, ptr, i32, i32, ptr, i32]
        lib.ob_dequant.restype = None
        self.level, self.openmp = int(lib.ob_simd()), bool(lib.ob_openmp())
        self.simd = self.level > 0

    def describe(self) -> str:
        kind = f"native C, {KERNELS.get(self.level, f'level {self.level}')}"
        return f"{kind}{'' if self.openmp else ', one thread (no OpenMP)'}"

    def gemv(self, q: torch.Tensor, scale: torch.Tensor, x: torch.Tensor,
             threads: int = 1) -> torch.Tensor:
        """(q * scale[:, None]) @ x for float32 x [K], x quantized to int8 per 32."""
        rows, cols = q.shape
        y = torch.empty(rows, dtype=torch.float32)
        x = x.contiguous().float()
        if self.lib.ob_gemv(q.data_ptr(), scale.data_ptr(), rows, cols, x.data_ptr(),
                            y.data_ptr(), threads):
            raise MemoryError("native gemv: no scratch memory")
        return y

    def dequant(self, q: torch.Tensor, scale: torch.Tensor, out: torch.Tensor,
                threads: int = 1) -> torch.Tensor:
        """q * scale[:, None] as float32, written into the front of `out`."""
        rows, cols = q.shape
        view = out[: rows * cols].view(rows, cols)
        self.lib.ob_dequant(q.data_ptr(), scale.data_ptr(), rows, cols, view.data_ptr(),
                            threads)
        return view


class Step:
    """A FastLlama's native step (one token, or a short chunk of them) in native.c: its
    weights' addresses in native.c's order (the model keeps the tensors alive), its sizes,
    and the call."""

    def __init__(self, native: Native, model: Any):
        self.native, self.eps = native, model.eps
        rows: list[int] = []
        for layer in model.layers:
            for x in (layer.qkv, layer.o, layer.gate_up, layer.down):
                rows += [x.q.data_ptr(), x.scale32.data_ptr()]
            rows += [layer.norm_attn.data_ptr(), layer.norm_mlp.data_ptr()]
        assert len(rows) == PER_LAYER * len(model.layers)
        self.layers = torch.tensor(rows, dtype=torch.int64)
        head, embed = model.lm_head, model.embed
        self.globals = torch.tensor([embed.q.data_ptr(), embed.scale32.data_ptr(),
                                     head.q.data_ptr(), head.scale32.data_ptr(),
                                     model.norm.data_ptr()], dtype=torch.int64)
        self.vocab = head.q.shape[0]
        self.embedded = embed.q.shape[0]  # rows native.c may look a token up in
        self.dims = torch.tensor([len(model.layers), model.hidden, model.heads,
                                  model.kv_heads, model.head_dim, model.inter, self.vocab],
                                 dtype=torch.int64)

    def __call__(self, tokens: Sequence[int], pos: int, rope: torch.Tensor, k: torch.Tensor,
                 v: torch.Tensor, threads: int) -> torch.Tensor:
        """Logits [V] after `tokens` at positions pos.. (one token when decoding, a short
        prefill chunk otherwise), whose keys/values go into the bf16 caches k, v [layers,
        kv heads, capacity, head_dim]; rope [len(tokens), head_dim / 2, (cos, sin)]."""
        count = len(tokens)
        assert k.dtype == v.dtype == torch.bfloat16 and k.is_contiguous()
        assert count > 0 and pos + count <= k.shape[2] and rope.shape[0] == count
        ids = self._ids(tokens)
        rope = rope.contiguous()
        logits = torch.empty(self.vocab, dtype=torch.float32)
        if self.native.lib.ob_tokens(self.dims.data_ptr(), self.layers.data_ptr(),
                                     self.globals.data_ptr(), self.eps, ids.data_ptr(), count,
                                     pos, k.shape[2], rope.data_ptr(), k.data_ptr(),
                                     v.data_ptr(), logits.data_ptr(), threads):
            raise MemoryError("native step: no scratch memory")
        return logits

    def batch(self, tokens: Sequence[int], pos: int, shared: int, rope: torch.Tensor,
              k: torch.Tensor, v: torch.Tensor, tk: torch.Tensor, tv: torch.Tensor,
              rows: Sequence[int], threads: int) -> torch.Tensor:
        """Logits [len(rows), V]: one decode step of the samples `rows` (indices into the
        tails), each at position `pos` after its own token. They share the prompt's keys and
        values in k, v (positions [0, shared)); sample r's own positions shared.. are in
        tk[r], tv[r] [layers, kv heads, tail, head_dim], where this step writes its key and
        value. rope [1, head_dim / 2, (cos, sin)] is position pos's."""
        count = len(tokens)
        assert count == len(rows) > 0 and tk.dtype == tv.dtype == k.dtype == torch.bfloat16
        assert tk.is_contiguous() and tv.is_contiguous() and tk.shape == tv.shape
        assert shared <= pos < shared + tk.shape[3] and shared <= k.shape[2]
        # Each row's tail is written through a pointer native.c does not check: one out of
        # range, or two rows on one tail, would write where it must not.
        if len(set(rows)) != count or min(rows) < 0 or max(rows) >= tk.shape[0]:
            raise IndexError(f"rows must be distinct samples in [0, {tk.shape[0]}): {rows!r}")
        ids, rope = self._ids(tokens), rope.contiguous()
        step = tk.stride(0) * tk.element_size()
        tails = torch.tensor([[t.data_ptr() + r * step for r in rows] for t in (tk, tv)],
                             dtype=torch.int64)
        logits = torch.empty(count, self.vocab, dtype=torch.float32)
        if self.native.lib.ob_batch(self.dims.data_ptr(), self.layers.data_ptr(),
                                    self.globals.data_ptr(), self.eps, ids.data_ptr(), count,
                                    pos, shared, k.shape[2], rope.data_ptr(),
                                    k.data_ptr(), v.data_ptr(), tails[0].data_ptr(),
                                    tails[1].data_ptr(), tk.shape[3], logits.data_ptr(),
                                    threads):
            raise MemoryError("native batch step: no scratch memory")
        return logits

    def _ids(self, tokens: Sequence[int]) -> torch.Tensor:
        ids = torch.tensor(list(tokens), dtype=torch.int64)
        # native.c indexes the embedding with these unchecked: an id past its rows would read
        # other memory, where torch's lookup raises. Refuse it here the same way.
        if int(ids.min()) < 0 or int(ids.max()) >= self.embedded:
            raise IndexError(f"token id out of range [0, {self.embedded}): {tokens!r}"[:200])
        return ids.to(torch.int32)


class Threads:
    """How many threads the next decode step gets, chosen by timing them.

    A second thread roughly halves a step on an idle 2-core machine, but a step is ~250
    OpenMP barriers, and under load each waits for whichever thread was preempted (a test
    suite beside the daemon made the torch equivalent 18x slower). So the steps keep a
    moving average of the current count's seconds per token, and now and then try the
    other count for one step: a clearly faster try switches; else the wait before the
    next try doubles (up to MAX_WAIT steps, so a lost try costs little)."""

    MIN_WAIT, MAX_WAIT = 8, 512
    # A try must beat the average by this much to switch: one preempted barrier makes a
    # 2-thread step look slow, and at load average ~2.4 switching on any win flapped to 1
    # thread (median 45 tokens/s against 62 with 2 fixed).
    MARGIN = 0.85

    def __init__(self, most: int):
        self.most = max(1, most)
        self.current = self.most
        self.average: float | None = None  # seconds per step at `current` threads
        self.wait = self.countdown = self.MIN_WAIT

    def pick(self) -> int:
        if self.most == 1:
            return 1
        self.countdown -= 1
        return self.current if self.countdown > 0 else self.most + 1 - self.current

    def record(self, threads: int, seconds: float) -> None:
        if threads == self.current:
            self.average = seconds if self.average is None else \
                0.8 * self.average + 0.2 * seconds
            return
        if self.average is None or seconds < self.MARGIN * self.average:  # the try won
            self.current, self.average, self.wait = threads, seconds, self.MIN_WAIT
        else:
            self.wait = min(2 * self.wait, self.MAX_WAIT)
        self.countdown = self.wait


def compiler() -> str | None:
    named = os.environ.get("OUROBOROS_CC")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return shutil.which("cc") or shutil.which("gcc")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ouroboros" / "native"


def _version(cc: str) -> str:
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.splitlines()[0] if out.stdout else "?"


def sources(source_file: Path) -> list[Path]:
    """`source_file` and the local files it includes, recursively, each once, in the order
    first named: the files of ours a build of it reads. Every include line counts, under
    whichever #if (another ISA's kernels) or in a comment, so the list is the same for every
    build; a name with no file is left to the compiler to report."""
    found: list[Path] = []

    def visit(path: Path) -> None:
        if path in found:
            return
        found.append(path)
        for name in INCLUDE.findall(path.read_bytes()):
            child = path.parent / name.decode()
            if child.is_file():
                visit(child)

    visit(source_file)
    return found


def fingerprint(source_file: Path) -> bytes:
    """The hash of every file sources() lists: each one's name (relative to source_file's
    folder), length and bytes, so no edit, move of text between files or rename keeps it."""
    digest = hashlib.sha256()
    for path in sources(source_file):
        text = path.read_bytes()
        name = os.path.relpath(path, source_file.parent)
        digest.update(f"{name}\0{len(text)}\0".encode() + text)
    return digest.digest()


def _build(cc: str, flags: list[str], target: Path, source: Path = SOURCE) -> str | None:
    """Compile `source` into `target` (atomically); None, or the compiler's complaint."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".so.tmp")
    os.close(fd)
    try:
        out = subprocess.run([cc, *flags, "-o", tmp, str(source), "-lm"], capture_output=True,
                             text=True, timeout=BUILD_SECONDS)
        if out.returncode:
            return (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]
        os.replace(tmp, target)
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    finally:
        Path(tmp).unlink(missing_ok=True)


def library(cc: str, cpu: Cpu, root: Path, mode: str = "auto",
            source_file: Path = SOURCE) -> Path | str:
    """The built library's path (building it if this machine has none yet), or why not.
    `source_file`: native.c, or another C file built the same way (kernel/quant.c)."""
    arch = MODES[mode]
    source, version = fingerprint(source_file), _version(cc)
    tries = [[*FLAGS, *arch, "-fopenmp"], [*FLAGS, *arch]]
    complaint = ""
    for flags in tries:
        key = "\n".join([version, cc, " ".join(flags), " ".join(sorted(cpu.flags))])
        digest = hashlib.sha256(source + key.encode()).hexdigest()[:20]
        target = root / f"{digest}.so"
        if target.is_file():
            return target
        complaint = _build(cc, flags, target, source_file) or ""
        if not complaint:
            return target
    return f"the native build failed ({complaint})"


def load(cpu: Cpu | None = None, root: Path | None = None) -> Native | str:
    """The native library for this machine, or the one-line reason the torch path is used."""
    mode = os.environ.get("OUROBOROS_NATIVE", "auto").strip().lower()
    if mode in ("0", "off", "false", "no"):
        return "disabled by OUROBOROS_NATIVE=0"
    if mode not in MODES:
        return f"OUROBOROS_NATIVE={mode!r} is none of 0, {', '.join(MODES)}"
    cpu = cpu or Cpu.read()
    portable = mode == "scalar"
    if not portable and not cpu.simd:
        return f"the CPU lacks AVX2+FMA ({cpu.isa()}); native.c's scalar loops lose to torch"
    cc = compiler()
    if cc is None:
        return "no C compiler (install gcc, or name one in OUROBOROS_CC)"
    try:
        built = library(cc, cpu, root or cache_dir(), mode)
        if isinstance(built, str):
            return built
        native = Native(ctypes.CDLL(str(built)), built)
        if native.lib.ob_abi() != ABI:
            return f"{built} is not ABI {ABI}"
    except (OSError, AttributeError) as exc:
        return f"the native library did not load ({exc})"
    if not portable and not native.simd:
        return "the native build has no AVX2+FMA kernels; native.c's scalar loops lose to torch"
    return native
