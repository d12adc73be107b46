"""A check's script that crashes before it writes its result (tests.governance.fail_closed)."""
import sys

sys.exit(3)
