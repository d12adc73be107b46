"""A check's script that writes a result of the wrong shape (tests.governance.fail_closed):
`python -P SCRIPT JOB OUT`."""
import json
import sys

with open(sys.argv[2], "w", encoding="utf-8") as handle:
    json.dump({"functions": "garbage", "tools": {"ruff": 7, "mypy": {"findings": 3}}}, handle)
