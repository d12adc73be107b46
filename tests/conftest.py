from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import HEALTH_IN_TESTS, git, make_repo

# Slow tests in files whose owners were changing them when the fast lane was drawn: marked
# here (a whole file, or the named tests) until the mark can move into the file itself.
SLOW_ELSEWHERE: dict[str, frozenset[str] | None] = {
    "tests/kernel/test_fast_plain.py": None,  # decodes the embedded model, float and int8
    "tests/kernel/test_gpu_path.py": None,  # the GPU path's parity runs on the CPU too
    "tests/kernel/test_native.py": frozenset({  # compile and run the native decode step
        "test_a_fresh_cache_builds_once_then_loads",
        "test_native_step_matches_the_torch_int8_forward",
        "test_prefix_reuse_after_native_steps_gives_the_cold_logits",
        "test_portable_scalar_build_matches_the_simd_one",
        "test_threads_split_rows_without_changing_a_bit",
        "test_prefill_chunks_compute_in_what_the_cpu_does_natively"}),
    "tests/daemon/test_serve_cli.py": None,  # `ouroboros serve` loads a model per module
    "tests/daemon/test_serve_clients.py": None,
    "tests/daemon/test_serve_errors.py": None,
    "tests/daemon/test_serve_limits.py": None,
    "tests/daemon/test_serve_queue.py": None,
    "tests/daemon/test_serve_tools.py": None,
    "tests/sensors/test_github_webhook.py": frozenset({  # a real daemon each
        "test_the_daemon_serves_the_endpoint_for_its_lifetime",
        "test_a_daemon_with_a_world_readable_secret_says_why_in_status",
        "test_a_slow_loris_is_answered_408_and_closed"}),
}


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path, _, rest = item.nodeid.partition("::")
        if path in SLOW_ELSEWHERE:
            names = SLOW_ELSEWHERE[path]
            if names is None or rest.split("[")[0].split("::")[-1] in names:
                item.add_marker(pytest.mark.slow)


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

