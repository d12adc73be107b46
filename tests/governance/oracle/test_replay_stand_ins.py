"""The keys of the replay runner's inputs (governance.oracle.replay_asking.keyed) whatever
module defines the runner's stand-ins for the world's objects (governance.oracle.
replay_clock): an input holding `id` or the clock is made, and keyed alike, whether they
are the runner script's own (`__main__`) or a module's beside it, and two inputs that
differ still have two keys. asteval's interpreter holds the builtins, `id` among them: with
the stand-in named for itself, its inputs that needed cloudpickle were made in one layout
and dropped in the other, and moving code out of the script let a careless change land."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytest.importorskip("cloudpickle")  # the run borrows it: the capture writes such calls so

# Each process: a call captured as the capture writes it (before any stand-in is in place,
# by cloudpickle where a local function is held), then the stand-ins put in place from the
# layout named, then the keys of inputs made from it, as the runner makes them.
_KEYS = r'''
import json, os, pickle, sys, time
sys.path[:0] = [sys.argv[1]]
import cloudpickle
from governance.oracle.pickler import dumped
from governance.oracle.replay_asking import keyed as _keyed

local = lambda x: x  # pickle refuses it: cloudpickle writes the whole call

captured = {
    "table": {"id": id, "len": len, "local": local},  # cloudpickle's: a local function
    "plain": {"id": id, "len": len},  # pickle's own
    "clock": {"now": time.time, "bytes": os.urandom, "local": local},
    "no id": {"len": len, "local": local},  # another input: another key
    "id twice": {"id": id, "same": id, "local": local},
}
raw = {k: cloudpickle.dumps(((v,), {}), protocol=4) for k, v in captured.items()}
if sys.argv[2] == "script":  # defined in the runner's script, as the jail runs it
    source = os.path.join(sys.argv[1], "governance", "oracle", "replay_clock.py")
    with open(source) as handle:
        exec(compile(handle.read(), source, "exec"), vars(sys.modules["__main__"]))
    stable_ids()
    fix()
else:  # defined in a module beside it
    from governance.oracle import replay_clock
    replay_clock.stable_ids()
    replay_clock.fix()
keys, named = {}, {}
for name, blob in raw.items():
    value = pickle.loads(blob)
    table = value[0][0]
    assert table.get("id", id) is id and table.get("now", time.time) is time.time
    made = dumped(value)
    keys[name] = None if made is None else _keyed("g", {}, made)
    named[name] = made is not None and all(
        word not in made for word in (b"_stable_id", b"_time", b"_urandom", b"replay_clock"))
    if "id" in table and made is not None:  # the stand-in loads back as itself here
        assert pickle.loads(made)[0][0]["id"] is id
print(json.dumps({"keys": keys, "named": named}))
'''


def _keys(layout: str) -> dict:
    done = subprocess.run([sys.executable, "-P", "-c", _KEYS, str(ROOT), layout],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_an_input_holding_the_runners_stand_ins_is_keyed_alike_in_both_layouts() -> None:
    script, module = _keys("script"), _keys("module")
    assert all(key is not None for key in script["keys"].values()), script  # all made
    assert script["keys"] == module["keys"]  # the same inputs, the same keys
    assert all(script["named"].values()) and all(module["named"].values())  # never ours


def test_inputs_that_differ_keep_different_keys() -> None:
    keys = list(_keys("module")["keys"].values())
    assert len(set(keys)) == len(keys)


def test_a_recorded_call_holds_no_address() -> None:
    """An object's default text holds its address, which differs between the two trees'
    runs: dict2xml's loop made a comprehension (a correct refactor) was "changed" by the
    address of a Node its callback was given (wave 20)."""
    from governance.oracle.replay_standins import Recorder

    class Node:
        pass
    recorder = Recorder()
    recorder([Node()], True)
    (call,) = recorder.calls
    assert "Node object" in call and " at 0x" not in call
