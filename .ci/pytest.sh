#!/usr/bin/env bash
# Runs the suite; pytest's exit 5 ("no tests collected") is reported, not hidden.
set -u
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests"
  exit 0
fi
exit "$rc"
