from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import make_repo


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short temp dir: Unix socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="ob-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def repo(short_tmp: Path) -> Path:
    return make_repo(short_tmp)
