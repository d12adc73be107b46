"""`ouroboros brain fetch NAME`: a pinned model (daemon.brains.pinned) from its hub, through
huggingface_hub, verified, and put in place in one step.

Only a user's command runs this; the daemon never fetches at run time.

The steps, and what each refusal leaves (nothing, every time):
1. The hub's metadata (one HEAD): a size, or an LFS sha256 (the hub's ETag), other than the
   pin's is refused before a byte is downloaded.
2. `hf_hub_download` at the pinned revision into a staging directory beside the final file
   (the same file system, so the last step is a rename). The library resumes a cut transfer
   itself (HTTP Range) and gives up after its retries.
3. The whole file's size and sha256 against the pin.
4. `os.replace` to `<models dir>/<file>`, then the `<file>.sha256` line that says it was
   verified. The staging directory is removed whatever happened, Ctrl-C included.

`assemble` (bench/model_from_chunks.py) puts the same bytes from another source through
steps 3 and 4.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from daemon.brains.pinned import PinnedModel, digest_line, fetched, model_path

CHUNK = 8 << 20  # bytes read at a time while hashing
SHA256 = re.compile(r"^[0-9a-f]{64}$")  # an LFS file's ETag on the hub is its sha256
Say = Callable[[str], None]


class FetchError(Exception):
    """A fetch or check that failed, said in one line; nothing half-written was left."""


def _stderr(text: str) -> None:
    print(f"ouroboros: {text}", file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, entry: PinnedModel, say: Say = _stderr) -> None:
    """FetchError unless `path` has the pin's size and sha256."""
    size = path.stat().st_size
    if size != entry.size:
        raise FetchError(f"{entry.filename} is {size:,} bytes, pinned {entry.size:,}")
    say(f"checking the sha256 of {entry.filename} ({size:,} bytes)")
    got = sha256_of(path)
    if got != entry.sha256:
        raise FetchError(f"{entry.filename} has sha256 {got}, pinned {entry.sha256}")


def _install(staged: Path, entry: PinnedModel, directory: Path) -> Path:
    """The verified `staged` file at its place, then its digest line, each on disk before
    its rename: a crash leaves no digest line beside bytes that are not all there."""
    final = model_path(entry, directory)
    final.with_name(final.name + ".sha256").unlink(missing_ok=True)  # stale till it is in
    _synced(staged)
    os.replace(staged, final)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(digest_line(entry))
    _synced(Path(tmp))
    os.replace(tmp, final.with_name(final.name + ".sha256"))
    _synced(directory)
    return final


def _synced(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _already(entry: PinnedModel, directory: Path, say: Say) -> Path | None:
    """The file a fetch left before (its digest line), or one of the right size that
    hashes right (a fetch cut between its two renames); None when it must be fetched."""
    if done := fetched(entry, directory):
        return done
    path = model_path(entry, directory)
    if path.is_file() and path.stat().st_size == entry.size:
        try:
            verify(path, entry, say)
        except FetchError:
            return None
        return _install(path, entry, directory)
    return None


def _room(entry: PinnedModel, directory: Path) -> None:
    free = shutil.disk_usage(directory).free
    if free < entry.size:
        raise FetchError(f"{directory} has {free:,} bytes free; {entry.filename} needs "
                         f"{entry.size:,}")


def _transport_errors() -> tuple[type[BaseException], ...]:
    """What the hub client raises for a network or hub problem: OSError (its HTTP errors,
    a size mismatch), ValueError (a bad repo id) and its HTTP library's errors."""
    errors: list[type[BaseException]] = [OSError, ValueError]
    for name in ("httpx2", "httpx"):  # huggingface_hub 2.x uses httpx2, 1.x httpx
        try:
            errors.append(__import__(name).HTTPError)
        except ImportError:
            continue
    return tuple(errors)


def _hub_check(entry: PinnedModel, endpoint: str | None) -> None:
    """Step 1: refuse a file the hub describes otherwise before downloading it."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(entry.repo_id, entry.filename, revision=entry.revision, endpoint=endpoint)
    meta = get_hf_file_metadata(url, endpoint=endpoint)
    if meta.size is not None and meta.size != entry.size:
        raise FetchError(f"the hub's {entry.filename} at {entry.revision[:7]} is "
                         f"{meta.size:,} bytes, pinned {entry.size:,}: not downloaded")
    etag = (meta.etag or "").lower()
    if SHA256.match(etag) and etag != entry.sha256:
        raise FetchError(f"the hub's {entry.filename} at {entry.revision[:7]} has sha256 "
                         f"{etag}, pinned {entry.sha256}: not downloaded")


def fetch(entry: PinnedModel, directory: Path, *, endpoint: str | None = None,
          force: bool = False, say: Say = _stderr) -> Path:
    """The verified model in `directory` (fetched unless it is there already, or `force`);
    FetchError says why not, and then nothing of it was left there."""
    from huggingface_hub import hf_hub_download

    directory.mkdir(parents=True, exist_ok=True)
    if not force and (done := _already(entry, directory, say)):
        say(f"{entry.filename} is already here, verified: {done}")
        return done
    _room(entry, directory)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=directory))
    try:
        try:
            _hub_check(entry, endpoint)
            say(f"fetching {entry.label} ({entry.size:,} bytes) into {directory}")
            got = Path(hf_hub_download(entry.repo_id, entry.filename, revision=entry.revision,
                                       local_dir=staging, endpoint=endpoint))
        except _transport_errors() as exc:
            raise FetchError(f"fetching {entry.label} failed: {_one_line(exc)}") from None
        verify(got, entry, say)
        return _install(got, entry, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def assemble(entry: PinnedModel, parts: Iterable[BinaryIO], directory: Path,
             say: Say = _stderr) -> Path:
    """The model from its bytes in order (`parts`, each read to its end), verified as a fetch
    is and put in place the same way; FetchError leaves nothing."""
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".assemble-", dir=directory))
    try:
        staged = staging / entry.filename
        with staged.open("wb") as out:
            for part in parts:
                shutil.copyfileobj(part, out, CHUNK)
        verify(staged, entry, say)
        return _install(staged, entry, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"
