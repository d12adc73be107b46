"""The C libraries' sources: kernel/native.c and kernel/quant.c are each one translation unit
that #includes its parts (a file per concept), so a build's cache key must cover every part,
and the package must ship them all."""

from __future__ import annotations

import shutil
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from kernel import native, quant_native
from kernel.native import Cpu

KERNEL = Path(native.__file__).parent
ROOTS = {"native.c": native.SOURCE, "quant.c": quant_native.SOURCE}


def _copy(root: Path, to: Path) -> Path:
    """root and its parts copied into `to`: the copy's root."""
    for part in native.sources(root):
        shutil.copyfile(part, to / part.name)
    return to / root.name


def _fake_cc(tmp_path: Path) -> str:
    """A compiler that writes an empty file where -o says, so library()'s key is seen
    without compiling."""
    cc = tmp_path / "cc"
    cc.write_text('#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && : > "$2"; shift; done\n')
    cc.chmod(0o755)
    return str(cc)


def test_every_c_file_in_kernel_is_a_part_of_one_library():
    """A .c file neither root includes would be text no build reads and no key covers."""
    parts = {name: [p.name for p in native.sources(root)] for name, root in ROOTS.items()}
    assert parts["quant.c"][:2] == ["quant.c", "quant_blocks.c"]
    assert {"quant_dots_avx512.c", "quant_dots_avx2.c", "quant_dots_scalar.c",
            "quant_step.c"} <= set(parts["quant.c"])  # included from an include, under #if
    assert parts["native.c"] == ["native.c", "native_products.c", "native_attention.c",
                                 "native_step.c"]
    every = [name for names in parts.values() for name in names]
    assert sorted(every) == sorted(p.name for p in KERNEL.glob("*.c"))


@pytest.mark.parametrize("name", ROOTS)
def test_an_edit_to_any_part_changes_the_build(name, tmp_path):
    src, out = tmp_path / "src", tmp_path / "cache"
    src.mkdir()
    root = _copy(ROOTS[name], src)
    assert native.fingerprint(root) == native.fingerprint(ROOTS[name])  # text, not folder
    cc, cpu = _fake_cc(tmp_path), Cpu("test CPU", frozenset({"avx2", "fma"}))
    seen = {native.library(cc, cpu, out, "auto", source_file=root)}
    for part in native.sources(root):
        text = part.read_bytes()
        part.write_bytes(text + b"/* an edit */\n")
        seen.add(native.library(cc, cpu, out, "auto", source_file=root))
        part.write_bytes(text)
    assert all(isinstance(path, Path) for path in seen)
    assert len(seen) == 1 + len(native.sources(root))  # a library of its own for each edit
    assert native.library(cc, cpu, out, "auto", source_file=root) in seen  # back as it was


def test_text_moved_between_parts_changes_the_key(tmp_path):
    root = _copy(quant_native.SOURCE, tmp_path)
    before = native.fingerprint(root)
    first, second = native.sources(root)[1:3]
    lines = first.read_text().splitlines(keepends=True)
    first.write_text("".join(lines[:-1]))
    second.write_text(lines[-1] + second.read_text())
    assert native.fingerprint(root) != before


def test_the_package_ships_every_c_file():
    conf = tomllib.loads((KERNEL.parent / "pyproject.toml").read_text())
    shipped = conf["tool"]["setuptools"]["package-data"]["kernel"]
    for part in KERNEL.glob("*.c"):
        assert any(fnmatch(part.name, pattern) for pattern in shipped), part.name
