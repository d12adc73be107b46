from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from tests import trials
from tests.helpers import HEALTH_IN_TESTS, git, make_repo


@pytest.fixture(autouse=True, scope="session")
def _host_health_off() -> Iterator[None]:
    """Daemons started as subprocesses (`ouroboros run`) and load_settings() read
    OUROBOROS_HEALTH__*: the same [health] as tests.helpers.settings_for."""
    patch = pytest.MonkeyPatch()
    for key, value in HEALTH_IN_TESTS.items():
        patch.setenv(f"OUROBOROS_HEALTH__{key.upper()}", str(value).lower())
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """A test that runs a CLI verb in-process (`eval`, `run`) points structlog at the
    stderr pytest captured for it, which is closed once the test ends: every later test's
    log line would then fail ('I/O operation on closed file')."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short temp dir: Unix socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="ob-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def _repo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """make_repo's repository, built once a session (git init, add and commit are five
    process start-ups, ~0.1-0.2 s on two busy cores, and ~850 tests take a `repo`)."""
    return make_repo(tmp_path_factory.mktemp("repo-template"))


@pytest.fixture
def repo(short_tmp: Path, _repo_template: Path) -> Path:
    """A fresh copy of make_repo's repository: same files, same commit. The index is
    refreshed, since a copy's inodes and ctimes differ from the ones git recorded (plumbing
    such as `git diff-files` would otherwise see every file as changed)."""
    path = short_tmp / "repo"
    shutil.copytree(_repo_template, path, symlinks=True)
    git(path, "update-index", "-q", "--refresh")
    return path


@pytest.fixture(autouse=True)
def _collector_unfrozen() -> Iterator[None]:
    """A daemon freezes what exists once it has started (daemon.service); in this one test
    process, thaw it after each test so dead daemons' cycles are still collected."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()



def pytest_configure(config: pytest.Config) -> None:
    # here, not in pyproject.toml, whose every change rebuilds the venv (the Makefile's stamp)
    config.addinivalue_line("markers", "full: a bigger run of a concern that `make test` "
                            "guards with a cheaper test; run only with OUROBOROS_TRIALS=full")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `full` run only with OUROBOROS_TRIALS=full (`make test-full`): each is a
    bigger run of a concern a cheaper test holds in `make test`, whose 15 minutes it would
    otherwise spend. Skipped, not deselected, so the summary names each and why."""
    if trials.FULL:
        return
    skip = pytest.mark.skip(reason="a bigger run of what `make test` guards: make test-full "
                                   "(OUROBOROS_TRIALS=full) runs it")
    for item in items:
        if item.get_closest_marker("full") is not None:
            item.add_marker(skip)
