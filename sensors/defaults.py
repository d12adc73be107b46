"""The sensors' defaults that the daemon's settings (daemon/config/settings.py) read: stdlib only,
so the settings, which every CLI verb loads, import none of the sensors' machinery."""

from __future__ import annotations

# TestFailureSensor: this long after the last .py change, a jailed run of the tests that
# exercise the changed files ([intake] test_failure_debounce_s).
TEST_FAILURE_DEBOUNCE_S = 2.0
