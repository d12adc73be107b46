from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import HEALTH_IN_TESTS, make_repo


@pytest.fixture(autouse=True, scope="session")
def _host_health_off() -> Iterator[None]:
    """Daemons started as subprocesses (`ouroboros run`) and load_settings() read
    OUROBOROS_HEALTH__*: the same [health] as tests.helpers.settings_for."""
    patch = pytest.MonkeyPatch()
    for key, value in HEALTH_IN_TESTS.items():
        patch.setenv(f"OUROBOROS_HEALTH__{key.upper()}", str(value).lower())
    yield
    patch.undo()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short temp dir: Unix socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="ob-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def repo(short_tmp: Path) -> Path:
    return make_repo(short_tmp)


@pytest.fixture(autouse=True)
def _collector_unfrozen() -> Iterator[None]:
    """A daemon freezes what exists once it has started (daemon.service); in this one test
    process, thaw it after each test so dead daemons' cycles are still collected."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()

