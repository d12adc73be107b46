"""The held-out libraries: fetched from PyPI as the frozen manifests pin them, never vendored.

Each wave's manifest beside this module names its libraries, their versions and their
sdists' sha256, and was committed before any of their code was read (issue 49, item 5:
figures on code the proof's rules were not grown on). Thirty-five waves, two parts:

The newest wave (`WAVES["heldout"]`, wave 35: numericalunits, snowflake-id, installer) is the
*held-out* part: its cases are written after the freeze by one who never runs the proof on
them, and no rule has been grown on it. The earlier waves are the *seen* part: each was
read, and the proof's rules were changed after its failures were read (or a newer wave was
frozen after it). Each manifest says how its wave was chosen: the order it was drawn from,
when each name was looked up, which were left out and why, when it was frozen and by which
commit; docs/proof-measurements.md has each wave's first reading.

`library(name)` downloads the sdist with pip into the cache (`$OUROBOROS_HELDOUT_CACHE`, by
default `$TMPDIR/ouroboros-bench/heldout`) when it is absent, refuses one whose sha256
differs, and reads the library's package and tests out of it as the development corpus lays
a tree out (the package at the tree's root, beside its tests), so the held-out refactors are
`Refactor`s of the same engine.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.heldout.layouts import DATA_SUFFIXES, LAYOUT, LEFT_OUT, RENAMED

# Each wave's frozen manifest, by its number.
MANIFESTS: dict[int, Path] = {1: Path(__file__).with_name("manifest.json"),
                              2: Path(__file__).with_name("manifest-wave2.json"),
                              3: Path(__file__).with_name("manifest-wave3.json"),
                              4: Path(__file__).with_name("manifest-wave4.json"),
                              5: Path(__file__).with_name("manifest-wave5.json"),
                              6: Path(__file__).with_name("manifest-wave6.json"),
                              7: Path(__file__).with_name("manifest-wave7.json"),
                              8: Path(__file__).with_name("manifest-wave8.json"),
                              9: Path(__file__).with_name("manifest-wave9.json"),
                              10: Path(__file__).with_name("manifest-wave10.json"),
                              11: Path(__file__).with_name("manifest-wave11.json"),
                              12: Path(__file__).with_name("manifest-wave12.json"),
                              13: Path(__file__).with_name("manifest-wave13.json"),
                              14: Path(__file__).with_name("manifest-wave14.json"),
                              15: Path(__file__).with_name("manifest-wave15.json"),
                              16: Path(__file__).with_name("manifest-wave16.json"),
                              17: Path(__file__).with_name("manifest-wave17.json"),
                              18: Path(__file__).with_name("manifest-wave18.json"),
                              19: Path(__file__).with_name("manifest-wave19.json"),
                              20: Path(__file__).with_name("manifest-wave20.json"),
                              21: Path(__file__).with_name("manifest-wave21.json"),
                              22: Path(__file__).with_name("manifest-wave22.json"),
                              23: Path(__file__).with_name("manifest-wave23.json"),
                              24: Path(__file__).with_name("manifest-wave24.json"),
                              25: Path(__file__).with_name("manifest-wave25.json"),
                              26: Path(__file__).with_name("manifest-wave26.json"),
                              27: Path(__file__).with_name("manifest-wave27.json"),
                              28: Path(__file__).with_name("manifest-wave28.json"),
                              29: Path(__file__).with_name("manifest-wave29.json"),
                              30: Path(__file__).with_name("manifest-wave30.json"),
                              31: Path(__file__).with_name("manifest-wave31.json"),
                              32: Path(__file__).with_name("manifest-wave32.json"),
                              33: Path(__file__).with_name("manifest-wave33.json"),
                              34: Path(__file__).with_name("manifest-wave34.json"),
                              35: Path(__file__).with_name("manifest-wave35.json")}
# Which waves each part is: the held-out part is the newest wave, the earlier ones are seen.
WAVES: dict[str, tuple[int, ...]] = {"heldout": (35,),
                                     "seen": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                              15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                                              26, 27, 28, 29, 30, 31, 32, 33, 34)}
PARTS = tuple(WAVES)

class FetchError(RuntimeError):
    """The sdist could not be had, or is not the one the manifest pins."""


@dataclass(frozen=True)
class HeldOutLibrary:
    """One held-out library, as tests.governance.refactors_real.corpus.Library reads one."""

    name: str
    version: str
    licence: str
    sdist: str
    sha256: str

    @property
    def files(self) -> dict[str, str]:
        return dict(_tree(self.name))


def cache_dir() -> Path:
    default = Path(tempfile.gettempdir()) / "ouroboros-bench" / "heldout"
    return Path(os.environ.get("OUROBOROS_HELDOUT_CACHE", default))


@functools.cache
def wave(number: int) -> dict:
    """A wave's frozen manifest (1 to 35)."""
    return json.loads(MANIFESTS[number].read_text())


def manifests(part: str) -> list[dict]:
    """A part's frozen manifests, oldest wave first: "heldout" (wave 35) or "seen" (waves 1
    to 34)."""
    return [wave(n) for n in WAVES[part]]


@functools.cache
def library(name: str) -> HeldOutLibrary:
    entry = next(e for n in MANIFESTS for e in wave(n)["libraries"] if e["name"] == name)
    return HeldOutLibrary(entry["name"], entry["version"], entry["licence"], entry["sdist"],
                          entry["sha256"])


def names(part: str | None = None) -> tuple[str, ...]:
    """The libraries of one part, or of every part (held-out first)."""
    return tuple(e["name"] for p in ((part,) if part else PARTS)
                 for m in manifests(p) for e in m["libraries"])


def sdist_path(lib: HeldOutLibrary) -> Path:
    """The pinned sdist in the cache, downloaded with pip when absent: the library's own
    sdist, never a wheel (--no-binary names it alone: its build backend, which pip installs
    to read the sdist's metadata, may come as a wheel; iso3166's uv_build cannot be built from
    source without Rust's package index). The sha256 pins the same file either way."""
    cache = cache_dir()
    path = cache / lib.sdist
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", lib.name,
             "-q", "-d", str(cache), f"{lib.name}=={lib.version}"],
            capture_output=True, text=True, timeout=300)
        if done.returncode or not path.is_file():
            raise FetchError(f"pip download {lib.name}=={lib.version}: "
                             f"{done.stderr.strip()[-300:]}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != lib.sha256:
        raise FetchError(f"{path}: sha256 {digest}, the manifest pins {lib.sha256}")
    return path


def _left_out(path: str) -> bool:
    """A path LEFT_OUT names, or one under a directory it names (ending in "/")."""
    return path in LEFT_OUT or any(path.startswith(d) for d in LEFT_OUT if d.endswith("/"))


@functools.cache
def _tree(name: str) -> tuple[tuple[str, str], ...]:
    """The library's package and tests, path -> text, read from its sdist."""
    lib = library(name)
    out: dict[str, str] = {}
    with tarfile.open(sdist_path(lib)) as sdist:
        for member in sdist.getmembers():
            _, _, rel = member.name.partition("/")
            if not member.isfile() or not rel.endswith((".py", *DATA_SUFFIXES.get(name, ()))):
                continue
            for root in LAYOUT[name]:
                if rel == root or rel.startswith(root + "/"):
                    # the package moves to the tree's root ("src/webcolors/x" -> "webcolors/x")
                    parent = root.rsplit("/", 1)[0] + "/" if "/" in root else ""
                    path = rel.removeprefix(parent)
                    path = RENAMED.get(name, {}).get(path, path)
                    if not _left_out(path):
                        data = sdist.extractfile(member)
                        assert data is not None
                        out[path] = data.read().decode("utf-8")
    return tuple(sorted(out.items()))
