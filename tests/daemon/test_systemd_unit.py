"""The systemd unit, rendered for real repository paths (spaces, non-ASCII, quotes, `$`,
backslashes): systemd itself expands %f back to the absolute path in the bind mount, the
state directory and ExecStart; `systemd-analyze verify` accepts it and `systemd-analyze
security --offline=yes` rates it 2.0 or better. The unit's numbers are checked against each
other (stop timeout over the drain grace, watchdog), its environment against the daemon's
config, and the directives that break bubblewrap's jail stay out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from daemon.config.settings import load_settings

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "ouroboros@.service"
ANALYZE, ESCAPE = shutil.which("systemd-analyze"), shutil.which("systemd-escape")
needs_systemd = pytest.mark.skipif(
    not (ANALYZE and ESCAPE),
    reason="systemd-analyze/systemd-escape are not installed (`make setup` installs systemd)")
PATHS = ["/home/dev/src/project", "/home/dev/my project/café",
         "/srv/a\"b $HOME `id`/x'y\\z", "/srv/-lead/trail-/ünï"]
MAX_EXPOSURE = 2.0
# Each of these mounts over /proc (or forbids the namespaces bubblewrap makes), so the jail's
# fresh /proc, or the jail itself, fails: measured with bwrap 0.8 on Linux 6.x.
BREAKS_BWRAP = ("ProtectKernelTunables", "ProtectKernelLogs", "ProcSubset",
                "RestrictNamespaces")


def directives(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.append((key, value))
    return out


def one(unit: list[tuple[str, str]], key: str) -> str:
    [value] = [v for k, v in unit if k == key]
    return value


def environment(unit: list[tuple[str, str]]) -> dict[str, str]:
    return dict(v.partition("=")[::2] for k, v in unit if k == "Environment")


def seconds(value: str) -> float:
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "ms": 0.001}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value.strip())
    assert match and match[2] in units, f"unparsed time span {value!r}"
    return float(match[1]) * units[match[2]]


def escape(path: str) -> str:
    return subprocess.run([ESCAPE, "--path", path], check=True, capture_output=True,
                          text=True).stdout.strip()


def render(tmp: Path, path: str, text: str | None = None) -> Path:
    """The template in a fresh directory plus the instance for `path`, as systemctl sees it."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / UNIT.name).write_text(text if text is not None else UNIT.read_text())
    instance = tmp / f"ouroboros@{escape(path)}.service"
    instance.symlink_to(UNIT.name)
    return instance


def analyze(*args: str, cwd: Path, debug: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "debug"} if debug else None
    return subprocess.run([ANALYZE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env=env)


def exposure(instance: Path) -> float:
    out = analyze("security", "--offline=yes", "--no-pager", f"./{instance.name}",
                  cwd=instance.parent)
    match = re.search(r"Overall exposure level for .*: (\d+\.\d+)", out.stdout)
    assert match, f"no exposure level in:\n{out.stdout}\n{out.stderr}"
    return float(match[1])


@needs_systemd
@pytest.mark.parametrize("path", PATHS)
def test_systemd_expands_the_instance_back_to_the_absolute_path(tmp_path, path):
    instance = render(tmp_path, path)
    assert escape(path) not in ("", path) and "/" not in escape(path)
    out = analyze("verify", f"./{instance.name}", cwd=tmp_path, debug=True)
    assert out.returncode == 0, out.stderr
    complaints = [line for line in out.stderr.splitlines() if UNIT.name + ":" in line
                  and "Failed to parse system call" not in line]  # systemd's own tables
    assert complaints == []  # e.g. "ReadWritePaths= path is not absolute, ignoring"
    dump = out.stdout
    assert f"BindPaths: {path}:{path}:rbind" in dump
    assert f"Environment: OUROBOROS_DAEMON__STATE_DIR=/var/lib/ouroboros/{escape(path)}\n" \
        in dump
    assert f"StateDirectory: ouroboros/{escape(path)}\n" in dump
    [command] = re.findall(r"Command Line: (/bin/sh .*)", dump)
    # The last argv word, shown bare or double-quoted with backslash escapes.
    word = re.fullmatch(r'.* ouroboros (?:"((?:[^"\\]|\\.)*)"|(\S+))', command)
    assert word and (word[2] or re.sub(r"\\(.)", r"\1", word[1])) == path


@needs_systemd
def test_verify_passes_and_the_exposure_is_at_most_2(tmp_path):
    out = analyze("verify", f"./{render(tmp_path, PATHS[1]).name}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert exposure(tmp_path / f"ouroboros@{escape(PATHS[1])}.service") <= MAX_EXPOSURE


@needs_systemd
def test_the_exposure_check_bites_without_the_hardening(tmp_path):
    """The same unit with its hardening block removed rates far worse than the bar."""
    text = UNIT.read_text()
    head, _, tail = text.partition("# Hardening")
    weak = head + "[Install]" + tail.partition("[Install]")[2]
    assert exposure(render(tmp_path, PATHS[0], weak)) > MAX_EXPOSURE + 3


def test_the_unit_never_uses_the_instance_without_its_leading_slash():
    unit = directives(UNIT.read_text())
    assert not [k for k, v in unit if "%I" in v]
    assert one(unit, "ExecStart").endswith(" %f") and one(unit, "BindPaths") == "%f"
    assert "%f" in one(unit, "Description")


def test_stop_timeout_covers_the_grace_and_a_generation_thread():
    unit = directives(UNIT.read_text())
    grace = float(environment(unit)["OUROBOROS_DAEMON__SHUTDOWN_GRACE_S"])
    assert seconds(one(unit, "TimeoutStopSec")) >= grace + 60  # 57 s measured with a 30 s grace
    assert one(unit, "KillMode") == "mixed"  # SIGTERM to the daemon; jailed runs drain
    assert one(unit, "Type") == "notify" and one(unit, "NotifyAccess") == "main"
    assert seconds(one(unit, "WatchdogSec")) >= 10
    assert one(unit, "Restart") == "on-failure"  # includes a watchdog timeout


def test_no_directive_that_breaks_the_bubblewrap_jail():
    unit = directives(UNIT.read_text())
    assert {k for k, _ in unit}.isdisjoint(BREAKS_BWRAP)
    [allowed, *_] = [v for k, v in unit if k == "SystemCallFilter"]
    assert {"@mount", "@setuid", "sethostname"} <= set(allowed.split())  # bwrap's own calls


def test_the_units_environment_is_the_daemons_config(tmp_path):
    """Each OUROBOROS_* variable names a real knob (a typo is a ConfigError), and the state
    and caches land in the directories systemd manages."""
    unit = directives(UNIT.read_text())
    instance = "home-dev-my\\x20project"
    specifiers = {"%S": "/var/lib", "%C": "/var/cache", "%h": "/root", "%i": instance}
    env = {k: re.sub(r"%[SChi]", lambda m: specifiers[m[0]], v)
           for k, v in environment(unit).items()}
    settings = load_settings(tmp_path, environ=env)
    state = [v for k, v in unit if k == "StateDirectory"]
    assert state == ["ouroboros/%i"]
    assert settings.state_path(tmp_path) == Path("/var/lib/ouroboros") / instance
    assert settings.provider.cache_dir == "/var/cache/ouroboros/models"
    assert one(unit, "CacheDirectory") == "ouroboros"
    assert env["XDG_CACHE_HOME"] == "/var/cache/ouroboros"  # torch and HF caches too
    assert settings.daemon.shutdown_grace_s == 30


# -- the shipped drop-ins (systemd/dropins/, documented in systemd/README.md) ---------------

DROPINS = UNIT.parent / "dropins"
# What `systemd-analyze verify` must show once each drop-in is applied, and the exposure it
# may cost (measured: 2.7, 2.8, 2.2; all three together 3.1).
DROPIN_EFFECTS = {
    "http-brains.conf": (["PrivateNetwork: no", "IPAddressAllow: 127.0.0.0/8",
                          "IPAddressAllow: ::1/128", "PrivateDevices: yes"], 3.0),
    "http-brains-hosted.conf": (["PrivateNetwork: no", "PrivateDevices: yes"], 3.0),
    "gpu.conf": (["PrivateDevices: no", "DeviceAllow: char-nvidia* rw",
                  "MemoryDenyWriteExecute: no", "PrivateNetwork: yes"], 2.5),
}


def test_every_shipped_drop_in_is_described_and_keeps_the_jail_possible():
    assert sorted(p.name for p in DROPINS.glob("*.conf")) == sorted(DROPIN_EFFECTS)
    for conf in DROPINS.glob("*.conf"):
        text = conf.read_text()
        assert text.lstrip().startswith("#") and "[Service]" in text  # says what it is for
        assert {k for k, _ in directives(text)}.isdisjoint(BREAKS_BWRAP)
        assert conf.name in (UNIT.parent / "README.md").read_text()


@needs_systemd
@pytest.mark.parametrize("name", sorted(DROPIN_EFFECTS))
def test_the_unit_verifies_with_each_drop_in(tmp_path, name):
    instance = render(tmp_path, PATHS[1])
    (tmp_path / f"{UNIT.name}.d").mkdir()
    shutil.copy(DROPINS / name, tmp_path / f"{UNIT.name}.d" / name)
    out = analyze("verify", f"./{instance.name}", cwd=tmp_path, debug=True)
    assert out.returncode == 0, out.stderr
    assert not [line for line in out.stderr.splitlines() if f"{name}:" in line]
    shown = {line.strip() for line in out.stdout.splitlines()}
    wanted, worst = DROPIN_EFFECTS[name]
    assert f"DropIn Path: {tmp_path / f'{UNIT.name}.d' / name}" in shown
    assert set(wanted) <= shown, sorted(shown)
    assert exposure(instance) <= worst
