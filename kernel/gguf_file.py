"""A GGUF file's metadata and tensors, the tensors left where the file's memory map puts them.

The gguf package's GGUFReader builds a numpy view for every metadata value, the 151,936
token strings and 151,387 merges of a Qwen2 vocabulary included: 9 s of CPU for the 1.5B
Q4_K_M file on the 2-core EPYC, about a third of the load budget. The layout is simple (the
GGUF spec: a header, typed key/value pairs, a tensor table, aligned data), so this reads it
with `struct`, using the gguf package's own tables for the value and tensor types, and walks
past the long string arrays unless asked for them. Tensors are numpy views into one
read-only `np.memmap`: nothing is copied, and pages are read from the file when first used.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from kernel.errors import ModelLoadError

MAGIC = b"GGUF"
VERSIONS = (2, 3)
SCALARS = {GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H",
           GGUFValueType.INT16: "<h", GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i",
           GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?", GGUFValueType.UINT64: "<Q",
           GGUFValueType.INT64: "<q", GGUFValueType.FLOAT64: "<d"}
# The string arrays a model's load needs in full (the tokenizer's); others are counted.
VOCABULARY = ("tokenizer.ggml.tokens", "tokenizer.ggml.merges")


@dataclass(frozen=True)
class Tensor:
    name: str
    type: GGMLQuantizationType
    shape: tuple[int, ...]  # rows first (torch order): [out, in] for a matrix
    data: np.ndarray  # uint8 [rows, bytes per row] over the mapped file (a vector: [bytes])

    @property
    def cols(self) -> int:
        return self.shape[-1]

    @property
    def rows(self) -> int:
        return int(np.prod(self.shape[:-1])) if len(self.shape) > 1 else 1


class _Cursor:
    def __init__(self, blob: np.ndarray):
        self.blob, self.pos = blob, 0
        self.view = memoryview(blob)

    def take(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.blob, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.take("<Q")
        self.pos += n
        return bytes(self.blob[self.pos - n : self.pos]).decode("utf-8", errors="replace")

    def value(self, kind: int, keep: bool) -> Any:
        kind = GGUFValueType(kind)
        if kind in SCALARS:
            return self.take(SCALARS[kind])
        if kind == GGUFValueType.STRING:
            return self.string()
        if kind != GGUFValueType.ARRAY:
            raise ModelLoadError(f"GGUF metadata value of unknown type {kind}")
        inner, count = GGUFValueType(self.take("<I")), self.take("<Q")
        if inner in SCALARS:
            fmt = SCALARS[inner]
            width = struct.calcsize(fmt)
            values = np.frombuffer(self.blob, dtype=np.dtype(fmt), count=count,
                                   offset=self.pos)
            self.pos += width * count
            return values.tolist() if keep or count <= 64 else values
        if inner != GGUFValueType.STRING:
            raise ModelLoadError(f"GGUF metadata array of {inner.name} is not read here")
        view, pos, unpack = self.view, self.pos, struct.Struct("<Q").unpack_from
        values = []
        for _ in range(count):  # a memoryview of the map: no numpy object per string
            n = unpack(view, pos)[0]
            if keep:
                values.append(str(view[pos + 8 : pos + 8 + n], "utf-8", "replace"))
            pos += 8 + n
        self.pos = pos
        return values if keep else count


class GgufFile:
    """`metadata` (key -> value; an unread string array is its length) and `tensors`."""

    def __init__(self, path: Path, keep: Container[str] = VOCABULARY):
        self.path = Path(path)
        try:
            self.blob = np.memmap(self.path, mode="r", dtype=np.uint8)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot map {self.path}: {exc}") from exc
        if bytes(self.blob[:4]) != MAGIC:
            raise ModelLoadError(f"{self.path} is not a GGUF file (no GGUF magic)")
        cur = _Cursor(self.blob)
        cur.pos = 4
        version, n_tensors, n_kv = cur.take("<I"), cur.take("<Q"), cur.take("<Q")
        if version not in VERSIONS:
            raise ModelLoadError(f"{self.path}: GGUF version {version} (read: {VERSIONS})")
        self.metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = cur.string()
            self.metadata[key] = cur.value(cur.take("<I"), key in keep)
        table = []
        for _ in range(n_tensors):
            name = cur.string()
            dims = [cur.take("<Q") for _ in range(cur.take("<I"))]
            table.append((name, tuple(reversed(dims)), cur.take("<I"), cur.take("<Q")))
        align = int(self.metadata.get("general.alignment", 32))
        start = (cur.pos + align - 1) // align * align
        self.tensors = {name: self._tensor(name, shape, kind, start + offset)
                        for name, shape, kind, offset in table}

    def _tensor(self, name: str, shape: tuple[int, ...], kind: int, at: int) -> Tensor:
        try:
            qtype = GGMLQuantizationType(kind)
        except ValueError:
            raise ModelLoadError(f"{self.path}: tensor {name} has unknown type {kind}") from None
        block, size = GGML_QUANT_SIZES[qtype]
        cols = shape[-1]
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        if cols % block:
            raise ModelLoadError(f"{name}: {cols} columns is not whole {qtype.name} blocks")
        per_row = cols // block * size
        end = at + rows * per_row
        if end > self.blob.shape[0]:
            raise ModelLoadError(f"{self.path} is cut short: {name} ends past the file")
        data = self.blob[at:end].reshape(rows, per_row) if len(shape) > 1 else self.blob[at:end]
        return Tensor(name, qtype, shape, data)

    def release(self, tensor: Tensor) -> None:
        """Let the pages of a tensor the caller no longer reads go from this process's
        memory (its whole pages only; a later read would map them again from the file)."""
        mapped = getattr(self.blob, "_mmap", None)  # np.memmap's mmap object
        if mapped is None or not hasattr(mapped, "madvise"):
            return  # the pages then stay: memory, not correctness
        page = mmap.PAGESIZE
        at = tensor.data.ctypes.data - self.blob.ctypes.data
        start, end = -(-at // page) * page, (at + tensor.data.nbytes) // page * page
        if end > start:
            mapped.madvise(mmap.MADV_DONTNEED, start, end - start)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def meta(self, key: str, default: Any = None) -> Any:
        """An architecture's key without its prefix: meta("block_count")."""
        return self.metadata.get(f"{self.architecture}.{key}", default)

    def nbytes(self) -> int:
        return int(self.blob.shape[0])


def architecture(path: Path) -> str | None:
    """The file's general.architecture, or None when it is no readable GGUF."""
    try:
        return GgufFile(path, keep=()).architecture or None
    except (ModelLoadError, OSError, ValueError, struct.error):
        return None
