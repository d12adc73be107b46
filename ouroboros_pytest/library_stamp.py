"""The results plugin's stamp: each failing test report carries its library frame
(ouroboros_pytest.library_frames) as an attribute, set where the test ran.

pytest's report keeps only the innermost frame, and the traceback is gone once the report is
made; under pytest-xdist the report is made in a worker and the controller, where the
results are recorded, sees it rebuilt from its serialised form (no traceback at all). An
attribute of the report is in its `__dict__`, which that serialisation keeps: the frame
reaches the controller with the report. A user's JUnit XML or `user_properties` see
nothing of it.

Its own module because it imports pytest at load: the package's `__init__` loads it only
inside a pytest run (daemon/config/locate.py imports the package without pytest).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from pathlib import Path

import pytest

from ouroboros_pytest.library_frames import REPORT_ATTR, library_frame

log = logging.getLogger("ouroboros.pytest_results")


class LibraryStamp:
    """Sets REPORT_ATTR on a failed phase's report whose traceback went through library
    code; never fails the run (its own errors are logged and swallowed)."""

    def __init__(self, rootdir: Path):
        self.rootdir = rootdir

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo) -> Generator[None, object, None]:
        made = yield
        try:
            report = made.get_result()  # type: ignore[attr-defined]
            if report.failed and call.excinfo is not None and call.excinfo.tb is not None:
                lib = library_frame(call.excinfo.tb, self.rootdir)
                if lib:
                    setattr(report, REPORT_ATTR, lib)
        except Exception:
            log.warning("ouroboros results: a failure's frames were not read", exc_info=True)
