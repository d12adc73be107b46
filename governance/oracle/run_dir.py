"""A jailed run's private directory: plugin/ (read-only in the jail: our plugins and their
settings, a script and its job) and out/ (writable: the report, what a script answers),
bound under JAIL_DIR inside the jail; and the capture request it may carry
(governance.oracle.capture_plugin)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from governance.fs import nofollow_write
from governance.oracle.oracle import Report, read_report

if TYPE_CHECKING:
    from governance.oracle.testrun import CoverageRequest

PLUGIN_SOURCE = Path(__file__).with_name("oracle_plugin.py")
PLUGIN_MODULE = "_ouroboros_oracle"
JAIL_DIR = "/tmp/.ouroboros-oracle"  # inside the jail's private tmpfs


@dataclass(frozen=True)
class CaptureRequest:
    """The functions whose calls a run pickles (governance.oracle.capture_plugin), as
    (repo-relative file, qualified name) pairs, at most `max_calls` each."""

    targets: tuple[tuple[str, str], ...]
    max_calls: int = 100


CAPTURE_SOURCE = Path(__file__).with_name("capture_plugin.py")
CAPTURE_MODULE = "_ouroboros_capture"
SCRIPT_MODULE = "_ouroboros_script"  # the name a jailed script (the replay runner) runs under
CAPTURED_CAP = 32 << 20  # bytes of calls.json read back
SCRIPT_RESULT_CAP = 16 << 20  # bytes of a jailed script's result read back


@dataclass(frozen=True)
class RunDir:
    """A private per-run directory: plugin/ (read-only in the jail) and out/ (the report)."""

    path: Path
    nonce: str

    @classmethod
    def create(cls, scratch: Path | None, coverage: CoverageRequest | None = None,
               capture: CaptureRequest | None = None) -> RunDir:
        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))  # 0700: host users stay out
        plugin, out = path / "plugin", path / "out"
        plugin.mkdir()
        out.mkdir()
        shutil.copyfile(PLUGIN_SOURCE, plugin / f"{PLUGIN_MODULE}.py")
        if coverage is not None:
            (plugin / "oracle.json").write_text(json.dumps(
                {"watch": sorted(coverage.watch), "profile": coverage.profile}), "utf-8")
            os.chmod(plugin / "oracle.json", 0o644)
        if capture is not None:
            private_copy(CAPTURE_SOURCE, plugin / f"{CAPTURE_MODULE}.py")
            private_json(plugin / "capture.json", {
                "targets": [{"file": f, "qualname": q} for f, q in capture.targets],
                "max_calls": capture.max_calls})
        os.chmod(plugin, 0o755)
        os.chmod(plugin / f"{PLUGIN_MODULE}.py", 0o644)
        os.chmod(out, 0o777)  # the jail may map to another uid; the 0700 parent guards it
        nonce = secrets.token_hex(16)
        (out / "nonce").write_text(nonce, encoding="ascii")
        os.chmod(out / "nonce", 0o644)
        return cls(path, nonce)

    def report(self) -> Report:
        return read_report(self.path / "out" / "report.json", self.nonce)

    def result(self, name: str, cap: int) -> dict | None:
        """A JSON object a jailed process wrote into out/ (never through a link), or None."""
        path = self.path / "out" / name
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > cap:
                return None
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def remove(self) -> None:
        # out/ was writable by the tests: any shape, any depth
        nofollow_write.remove_tree(self.path)


def private_copy(source: Path, dest: Path) -> None:
    shutil.copyfile(source, dest)
    os.chmod(dest, 0o644)


def private_json(dest: Path, data: object) -> None:
    dest.write_text(json.dumps(data), "utf-8")
    os.chmod(dest, 0o644)


