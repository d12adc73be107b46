"""kernel/quant.c built and loaded: products over GGUF blocks, and the GGUF model's step.

Built as kernel/native.py builds native.c (`cc -O3 -march=native -fopenmp`, cached under
~/.cache/ouroboros/native/ by a hash of the source and the quant_*.c files it includes,
compiler, flags and CPU flags), and switched by the same OUROBOROS_NATIVE setting: `scalar`
builds the portable loops, `avx2` and `avxvnni` hold back the CPU's newer features (the
tests compare every build this CPU can make with a numpy reference), `0` refuses. Every
vector build's `repack` copies Q4_K and Q6_K matrices into 8 rows interleaved for a GEMM
that applies their scales once per 8 rows; with AVX-512 VNNI a prefill chunk takes two
such groups a register (quant_x16.c), with AVX-VNNI's 256-bit form or plain AVX2 one. The
file's own layout (a matrix whose rows are not whole groups of 8) takes one weight row's
products: with AVX-512 64 values a register and up to 8 activation rows, else 32 and 4.
There is no torch fallback here: a quantized model needs this library, and
says why when it cannot have it.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np
import torch

from kernel.native import MODES, Cpu, cache_dir, compiler, library

SOURCE = Path(__file__).with_name("quant.c")
ABI = 1  # quant.c's OQ_ABI
# The ggml types quant.c's products take (gguf.GGMLQuantizationType values), and the ones
# it can only read a row of (the embedding, norms and biases).
PRODUCT_TYPES = {8: "Q8_0", 12: "Q4_K", 14: "Q6_K"}
ROW_TYPES = {0: "F32", 1: "F16", **PRODUCT_TYPES}
BLOCK = {8: 32, 12: 256, 14: 256}  # values per block: a matrix's columns are whole blocks
# Not ggml types: Q4_K and Q6_K rows repacked by oq_repack, 8 rows interleaved (quant_x8.c
# BlockQ4KX8, BlockQ6KX8).
Q4_K_X8, Q6_K_X8 = 112, 114
# What quant.c's oq_simd() reports it was compiled with: the K-quants' product kernels.
KERNELS = {0: "scalar", 1: "AVX2+FMA+F16C", 2: "AVX2+FMA+F16C, AVX-VNNI",
           3: "AVX-512 VNNI"}


class QuantLib:
    """The loaded library (pointers are numpy/torch data addresses the caller keeps alive)."""

    def __init__(self, lib: ctypes.CDLL, path: Path):
        self.lib, self.path = lib, path
        p, i32 = ctypes.c_void_p, ctypes.c_int
        lib.oq_matmul.argtypes = [p, i32, i32, i32, p, i32, p, i32]
        lib.oq_dequant.argtypes = [p, i32, i32, i32, p]
        lib.oq_dequant.restype = None
        lib.oq_tokens.argtypes = [p, p, p, ctypes.c_float, p, i32, i32, i32, p, p, p, p, i32]
        lib.oq_repack.argtypes = [p, i32, i32, i32, p]
        lib.oq_repacked_bytes.argtypes = [i32, i32, i32]
        lib.oq_repacked_bytes.restype = ctypes.c_size_t
        self.level, self.openmp = int(lib.oq_simd()), bool(lib.oq_openmp())
        self.simd = self.level > 0

    def describe(self) -> str:
        kind = KERNELS.get(self.level, f"level {self.level}")
        return f"native C ({kind}{'' if self.openmp else ', one thread: no OpenMP'})"

    def matmul(self, w: np.ndarray, qtype: int, cols: int, x: torch.Tensor,
               threads: int = 1) -> torch.Tensor:
        """x [T, cols] float32 @ W.T for W's rows of blocks w [rows, bytes]: [T, rows]."""
        if qtype not in PRODUCT_TYPES and qtype not in (Q4_K_X8, Q6_K_X8):
            raise ValueError(f"no product for ggml type {qtype}")
        x = x.contiguous().float()
        rows = w.shape[0]
        y = torch.empty(x.shape[0], rows, dtype=torch.float32)
        if self.lib.oq_matmul(w.ctypes.data, qtype, rows, cols, x.data_ptr(), x.shape[0],
                              y.data_ptr(), threads):
            raise MemoryError("native matmul: no scratch memory")
        return y

    def repack(self, w: np.ndarray, qtype: int, cols: int) -> tuple[np.ndarray, int] | None:
        """W's rows [rows, bytes] in the layout this build's GEMM reads best, as a new
        (anonymous) array [rows, bytes'] and the type to hand the products; None where the
        file's layout is the one (this build has no repacked kernel, or not for this type
        or shape: Q4_K and Q6_K with rows a multiple of 8 on vector builds)."""
        rows = w.shape[0]
        if qtype not in (12, 14) or rows % 8 or cols % 256:
            return None
        size = self.lib.oq_repacked_bytes(qtype, rows, cols)
        out = np.empty((rows, size // rows), np.uint8)
        kind = self.lib.oq_repack(w.ctypes.data, qtype, rows, cols, out.ctypes.data)
        return None if kind < 0 else (out, int(kind))

    def dequant(self, w: np.ndarray, qtype: int, cols: int) -> torch.Tensor:
        """The rows of w as float32 [rows, cols]."""
        rows = w.shape[0] if w.ndim > 1 else 1
        out = torch.empty(rows, cols, dtype=torch.float32)
        self.lib.oq_dequant(w.ctypes.data, qtype, rows, cols, out.data_ptr())
        return out


def load(cpu: Cpu | None = None, root: Path | None = None) -> QuantLib | str:
    """The library for this machine, or the one-line reason it cannot be had."""
    mode = os.environ.get("OUROBOROS_NATIVE", "auto").strip().lower()
    if mode in ("0", "off", "false", "no"):
        return "disabled by OUROBOROS_NATIVE=0 (GGUF block weights need kernel/quant.c)"
    if mode not in MODES:
        return f"OUROBOROS_NATIVE={mode!r} is none of 0, {', '.join(MODES)}"
    cpu = cpu or Cpu.read()
    cc = compiler()
    if cc is None:
        return "no C compiler (install gcc, or name one in OUROBOROS_CC)"
    try:
        built = library(cc, cpu, root or cache_dir(), mode, source_file=SOURCE)
        if isinstance(built, str):
            return built
        lib = ctypes.CDLL(str(built))
        if lib.oq_abi() != ABI:
            return f"{built} is not ABI {ABI}"
        return QuantLib(lib, built)
    except (OSError, AttributeError) as exc:
        return f"the native library did not load ({exc})"
