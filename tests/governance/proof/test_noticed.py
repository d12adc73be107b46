"""Which changed lines the differential check's inputs notice (governance.proof.noticed),
and the replay runner's side of it (governance.oracle.replay_mutants): each tree's changed
lines carry the mutation check's mutants behind the switch, loaded in place of the file, and
a mutant is killed by the first input it answers otherwise."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
from pathlib import Path

from governance.oracle import replay_runner as rr
from governance.proof.noticed import BASE_FIRST_ID, sides, unnoticed
from tests.governance.oracle.test_replay_runner import run_script

OLD = '''TABLE = {"a": 1}


def read(text):
    text = text.replace(",", ".")
    return float(text)
'''
# The careless side: the comma no longer read.
NEW = '''TABLE = {"a": 2}


def read(text):
    return float(text)
'''


def test_each_side_gets_the_mutants_of_its_own_changed_lines_inside_functions() -> None:
    base, cand = sides([("m.py", OLD, NEW)])
    assert {m.line for m in base.mutants} == {5}  # the table's line runs at import: none
    assert all(m.id >= BASE_FIRST_ID for m in base.mutants)
    assert {m.line for m in cand.mutants} == {5}
    assert all(m.id < BASE_FIRST_ID for m in cand.mutants)
    assert "_ouroboros_mutant" in base.sources["m.py"]
    assert "_ouroboros_mutant" in cand.sources["m.py"]
    assert unnoticed(base, set()) == [
        f"m.py:5 (base: {', '.join(m.what for m in base.mutants)})"]
    assert unnoticed(base, {base.mutants[-1].id}) == []  # any mutant of the line will do


def _replay(tmp_path: Path, text: str, side, inputs: list[str]) -> set[int]:
    (tmp_path / "m.py").write_text(text)
    calls = [{"pickle": base64.b64encode(pickle.dumps(([t], {}))).decode(), "repr": t}
             for t in inputs]
    job = {"functions": [{"file": "m.py", "qualname": "read", "calls": calls,
                          "constants": [], "generate": 0}],
           "sources": side.sources, "mutants": side.ids}
    (tmp_path / "job.json").write_text(json.dumps(job))
    out = tmp_path / "out.json"
    subprocess.run([sys.executable, "-P", rr.__file__, str(tmp_path / "job.json"), str(out)],
                   cwd=tmp_path, check=True, timeout=60)
    return {int(k) for k in json.loads(out.read_text())["functions"][0]["killed"]}


def test_a_line_is_noticed_only_by_inputs_that_go_where_it_acts(tmp_path: Path) -> None:
    base, _ = sides([("m.py", OLD, NEW)])
    without_comma = _replay(tmp_path, OLD, base, ["1.5", "2"])
    with_comma = _replay(tmp_path, OLD, base, ["1.5", "1,5"])
    assert {m.what for m in base.mutants if m.id in with_comma} >= {"a string constant changed"}
    assert not {m.id for m in base.mutants if m.what == "a string constant changed"} \
        & without_comma
    assert (tmp_path / "m.py").read_text() == OLD  # the tree's file is never written


def test_an_exit_status_is_part_of_the_answer(tmp_path: Path) -> None:
    """A CLI's `-h` exits 0 and a wrong option exits 2: SystemExit alone would say alike."""
    text = '''import sys


def main(argv):
    if argv == ["-h"]:
        sys.exit(0)
    sys.exit(2)
'''
    (tmp_path / "m.py").write_text(text)
    first, second = run_script(tmp_path, "m.py", "main", [[["-h"]], [["-x"]]], 0)[:2]
    assert first["answer"] != second["answer"]
    assert (first["shown"], second["shown"]) == ("exits with 0", "exits with 2")


def test_a_garbled_trace_is_no_evidence_and_no_crash() -> None:
    """What a capture run wrote is the tests' to tamper with: odd shapes give nothing."""
    from governance.oracle.traced_calls import compare_traces, same_tests, trace_of, trace_texts
    for run in (None, "x", {}, {"functions": "x", "tests": []},
                {"functions": [{"trace": {"records": [[0, 1, 2], ["a"], "z", [0, "e"]]}}],
                 "tests": ["t"]},
                {"functions": [{"trace": {"records": 5, "texts": [1]}}], "tests": 7}):
        found = trace_of(run, 0)
        assert found in (None, {})
        assert trace_texts(run, 0) == {}
        assert same_tests(run, {"tests": ["t"]}) is (isinstance(run, dict)
                                                      and run.get("tests") == ["t"])
    good = {"functions": [{"trace": {"records": [[0, "e", "a"], [0, "e", "a"]]}}],
            "tests": ["t"]}
    assert trace_of(good, 0) == {("t", "e", 0): "a", ("t", "e", 1): "a"}
    assert compare_traces("f", trace_of(good, 0), {}, {}) == (0, [])
