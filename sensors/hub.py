"""SensorHub: the daemon's sensors behind one face. File events fan out to every sensor,
`scan` runs their scan_once (at start, on the safety-net poll, and for `ouroboros scan`),
and each sensor's standing problem (a malformed backlog.json, ...) reaches `status`.
One sensor's failure is logged and never stops another."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import structlog

log = structlog.get_logger("sensors.hub")


class Sensor(Protocol):
    problem: str | None  # why the sensor cannot do its work now (None: fine)

    async def on_paths(self, paths: Iterable[str]) -> None: ...

    async def scan_once(self, files: Iterable[str]) -> int: ...


class UnknownSensor(ValueError):
    pass


@dataclass
class SensorHub:
    sensors: Mapping[str, Sensor]

    async def on_paths(self, paths: Iterable[str]) -> None:
        paths = list(paths)
        for name, sensor in self.sensors.items():
            try:
                await sensor.on_paths(paths)
            except Exception:  # one sensor's bug must not silence the others
                log.exception("sensor failed on a file event", sensor=name)

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
