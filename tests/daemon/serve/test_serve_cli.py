"""`ouroboros serve` refuses before loading anything: a non-loopback host without
--allow-remote, a port in use, a bad config. Its --help names what it serves."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # `ouroboros serve` loads a model per module

ROOT = Path(__file__).parents[3]


def _serve(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "daemon.cli", "serve", "--repo", str(cwd),
                           *args], capture_output=True, text=True, timeout=60, cwd=ROOT)
    return done, time.monotonic() - started


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "gpu-box.lan"])
def test_a_remote_host_needs_allow_remote(tmp_path, host):
    done, seconds = _serve("--host", host, cwd=tmp_path)
    assert done.returncode == 2
    assert "not a loopback address" in done.stderr and "--allow-remote" in done.stderr
    assert "loading" not in done.stderr and seconds < 20  # refused before any model load


def test_a_port_in_use_fails_before_the_model_loads(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done, _ = _serve("--port", str(taken.getsockname()[1]), cwd=tmp_path)
    assert done.returncode == 3
    assert "Address already in use" in done.stderr and "--port" in done.stderr
    assert "loading" not in done.stderr


def test_a_bad_config_is_reported(tmp_path):
    (tmp_path / "ouroboros.toml").write_text('[provider]\nmode = "sideways"\n')
    done, _ = _serve("--port", "0", cwd=tmp_path)
    assert done.returncode == 3
    assert "provider.mode" in done.stderr and "loading" not in done.stderr


def test_a_model_that_cannot_load_is_reported(tmp_path, capsys):
    """In-process (a subprocess would spend seconds importing torch only to fail)."""
    from daemon.config.settings import load_settings
    from daemon.errors import CliError
    from daemon.serve.cli import _load

    (tmp_path / "ouroboros.toml").write_text(f'[provider]\nmodel = "{tmp_path}/missing"\n')
    with pytest.raises(CliError) as err:
        _load(load_settings(tmp_path), tmp_path)
    assert err.value.code == 3
    assert "the model could not be loaded" in str(err.value) and "missing" in str(err.value)
    assert "loading" in capsys.readouterr().err  # it said what it was loading first


def test_help_tells_what_it_serves():
    done = subprocess.run([sys.executable, "-m", "daemon.cli", "serve", "--help"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for needle in ("/api/chat", "/v1/chat/completions", "/v1/messages", "--allow-remote",
                   "default 127.0.0.1", "default 11434", "No authentication", "--queue"):
        assert needle in text, needle
