"""The run's process tree is found before the kill and gone when `reap` returns."""

import os
import subprocess
import sys

from tools import proctree

# A parent that starts a double-forked, setsid'd grandchild and a plain child, then waits:
# the shape a jailed command uses to outlive a kill of its process group.
TREE = ("import os, subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True)\n"
        "subprocess.Popen(['sleep', '60'])\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_descendants_include_children_in_other_sessions_and_reap_ends_them():
    parent = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE,
                              start_new_session=True)
    try:
        assert parent.stdout.readline() == b"ready\n"
        tree = proctree.descendants(parent.pid)
        assert len(tree) == 2 and all(_alive(p) for p in tree)
        pinned = proctree.pin([parent.pid, *tree])
        assert proctree.reap(pinned) is True
        assert not any(_alive(p) for p in tree)
        assert parent.wait(timeout=5) == -9
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_nothing_to_reap_and_no_such_process():
    assert proctree.reap([]) is True
    assert proctree.pin([os.getpid() + 10**7]) == []
    assert proctree.descendants(os.getpid() + 10**7) == []
