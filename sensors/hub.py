"""SensorHub: the daemon's sensors behind one face. File events fan out to every sensor,
`scan` runs their scan_once (at start, on the safety-net poll, and for `ouroboros scan`),
and each sensor's standing problem (a malformed backlog.json, ...) reaches `status`.
One sensor's failure is logged and never stops another.

Storm protection, first layer: an event for a file whose content is what the hub last saw
(a touch, an editor saving unchanged text, a formatter rewriting the same bytes) reaches no
sensor. The hub remembers the sha256 of the last `SEEN_LRU` files it passed on; a file that
is missing, not regular, or larger than `HASH_CAP` always passes (nothing to compare)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import structlog

from sensors.repo_tree import RepoTree

log = structlog.get_logger("sensors.hub")


class Sensor(Protocol):
    problem: str | None  # why the sensor cannot do its work now (None: fine)

    async def on_paths(self, paths: Iterable[str]) -> None: ...

    async def scan_once(self, files: Iterable[str]) -> int: ...


class UnknownSensor(ValueError):
    pass


SEEN_LRU = 4096
HASH_CAP = 8 << 20


def content_digest(path: Path) -> str | None:
    """sha256 of a regular file (never through a symlink); None when there is nothing to
    compare: missing, not regular, unreadable or over HASH_CAP."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)  # before fdopen, which refuses a directory with an exception
        if not stat.S_ISREG(st.st_mode) or st.st_size > HASH_CAP:
            return None
        digest, left = hashlib.sha256(), HASH_CAP + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            digest.update(chunk)
            left -= len(chunk)
        return digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass
class SensorHub:
    sensors: Mapping[str, Sensor]
    root: Path | None = None  # set: events for files whose content did not change are dropped
    tree: RepoTree | None = None  # which files the scans look at (sensors.repo_tree)
    _seen: OrderedDict[str, str] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def changed(self, paths: list[str]) -> list[str]:
        """The paths whose content differs from what was last passed on (a thread's work)."""
        assert self.root is not None
        out = []
        for rel in paths:
            digest = content_digest(self.root / rel)
            with self._lock:
                if digest is not None and self._seen.get(rel) == digest:
                    self._seen.move_to_end(rel)
                    continue
                if digest is None:
                    self._seen.pop(rel, None)
                else:
                    self._seen[rel] = digest
                    self._seen.move_to_end(rel)
                    while len(self._seen) > SEEN_LRU:
                        self._seen.popitem(last=False)
            out.append(rel)
        return out

    async def on_paths(self, paths: Iterable[str]) -> None:
        paths = list(paths)
        if self.root is not None:
            try:
                paths = await asyncio.to_thread(self.changed, paths)
            except Exception:  # the dedup is an optimisation: when it fails, pass all on
                log.exception("content dedup failed; passing the batch on as it came")
            if not paths:
                return
        for name, sensor in self.sensors.items():
            try:
                await sensor.on_paths(paths)
            except Exception:  # one sensor's bug must not silence the others
                log.exception("sensor failed on a file event", sensor=name)

    async def listing(self) -> list[str]:
        """The files a scan looks at (sensors.repo_tree: tracked, or untracked and not
        ignored, never inside a virtual environment, installed packages, a build's output,
        a cache or a nested repository); off the event loop."""
        if self.tree is None:
            if self.sensors:
                raise ValueError("this hub has no repository tree to list")
            return []  # before start-up: no sensor to give files to
        return await asyncio.to_thread(self.tree.listing)

    async def scan(self, files: Iterable[str], only: str | None = None) -> dict[str, int]:
        """scan_once of every sensor (or of `only`): {sensor: signals it found}."""
        if only is not None and only not in self.sensors:
            raise UnknownSensor(f"no sensor {only!r}; sensors: {', '.join(self.sensors)}")
        files = list(files)
        found: dict[str, int] = {}
        for name, sensor in self.sensors.items():
            if only is None or name == only:
                try:
                    found[name] = await sensor.scan_once(files)
                except Exception:
                    log.exception("sensor scan failed", sensor=name)
                    found[name] = 0
        return found

    def problems(self) -> dict[str, str]:
        return {name: s.problem for name, s in self.sensors.items() if s.problem}
