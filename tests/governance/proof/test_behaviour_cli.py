"""A CLI's `main()` takes no arguments: the test sets `sys.argv`, calls it, and reads what it
printed (roman 5.2's tests, held out in wave 8). Its input is the argv it ran under and its
answer is what it printed, so the capture keeps each call's argv (canon.ambient) and the
replay answers it under that argv on both trees, its stdout part of the answer: a careless
change to what it prints is a counterexample, and a correct refactor of its lines is shown
unchanged (before, every replayed call ran under the runner's own argv, argparse exited
before the lines changed, and a correct refactor waited: "no input tried tells a change at
these lines"). In the real jail."""

from __future__ import annotations

import pickle

import pytest

from governance.oracle.canon import ambient, argv_of, unwrapped
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

CLI = '''"""Halves and doubles."""
import argparse


def parse_args():
    parser = argparse.ArgumentParser(prog="half")
    parser.add_argument("number")
    parser.add_argument("--double", action="store_true")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.double:
        n = int(args.number) * 2
        print(n)
    else:
        n = int(args.number) // 2
        print(n)
    return 0
'''
TESTS = '''import sys

from half import cli


def test_main(capsys):
    for argv in (["half", "10"], ["half", "--double", "7"], ["half", "9"]):
        sys.argv = argv
        assert cli.main() == 0
    assert capsys.readouterr().out  # it printed something
'''
FILES = {"half/__init__.py": "", "tests/test_cli.py": TESTS}
CARELESS = CLI.replace("int(args.number) // 2", "int(args.number) / 2")  # 9: 4.5
REFACTORED = CLI.replace('''    if args.double:
        n = int(args.number) * 2
        print(n)
    else:
        n = int(args.number) // 2
        print(n)
''', '''    number = int(args.number)
    print(number * 2 if args.double else number // 2)
''')


def test_a_call_is_wrapped_with_a_set_argv_and_unwrapped_as_it_was():
    blob = pickle.dumps(((1,), {}), protocol=4)
    assert argv_of(["pytest", "-q"], ["pytest", "-q"]) is None  # the run's own: no input
    assert argv_of(["half", 9], ["pytest"]) is None  # not text
    assert argv_of(["half", "x" * 2000], ["pytest"]) is None  # too big
    argv = argv_of(["half", "9"], ["pytest"])
    assert unwrapped(ambient(blob, argv)) == (blob, ["half", "9"])
    assert unwrapped(blob) == (blob, None)
    forged = pickle.dumps(("ouroboros.ambient", {"argv": [1]}, blob), protocol=4)
    assert unwrapped(forged) == (blob, None)  # an argv that is not text is not set


def test_a_captured_command_lines_arguments_are_varied_past_the_programs_name():
    """Inputs made from a call's own arguments run under the runner's argv: the command
    line itself is varied apart (governance.oracle.replay_argv)."""
    from governance.oracle.replay_argv import MAX_NEAR, argv_inputs

    blob = pickle.dumps(((), {}), protocol=4)
    made = [unwrapped(b) for b in argv_inputs(
        [blob, ambient(blob, ["half", "9", "--double"])], (), dropped=frozenset({"codec"}))]
    assert all(inner == blob and argv[0] == "half" for inner, argv in made)
    moved = [(i, argv[i]) for _, argv in made for i in (1, 2)
             if argv[i] != ["half", "9", "--double"][i]]
    assert len(moved) == len(made) and len(made) <= 2 * MAX_NEAR  # one argument at a time
    assert (1, "9\udcff") in moved and (2, "\u00e9-double") in moved  # the codec's first
    assert argv_inputs([blob], ()) == []  # no argv: nothing to vary
    long = [unwrapped(b)[1] for b in argv_inputs([ambient(blob, ["half", "x" * 600])], ())]
    assert long and all(len(a[1]) <= 1000 for a in long)  # `x * 2` is past an argv's bound


ASCII = '''"""Names as JSON."""
import argparse
import json


def main():
    parser = argparse.ArgumentParser(prog="named")
    parser.add_argument("name")
    args = parser.parse_args()
    stem, _, ext = args.name.rpartition(".")
    print(json.dumps({"stem": stem, "ext": ext}))
    return 0
'''
ASCII_TESTS = '''import sys

from named import cli


def test_main(capsys):
    sys.argv = ["named", "report.txt"]
    assert cli.main() == 0
    assert capsys.readouterr().out
'''


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_json_printed_without_ascii_escapes_is_told_by_a_letter_in_the_argv(tmp_path):
    """wheel-filename's `main` printing with `ensure_ascii=False` landed (wave 27): the
    tests' one command line was ASCII, and no input varied it."""
    careless = ASCII.replace("json.dumps({\"stem\": stem, \"ext\": ext})",
                             "json.dumps({\"stem\": stem, \"ext\": ext}, ensure_ascii=False)")
    done = await judged(tmp_path, "named/cli.py", ASCII, careless,
                        {"named/__init__.py": "", "tests/test_cli.py": ASCII_TESTS})
    check = done.check("main")
    assert check.counterexamples, done.report.payload()
    told = check.counterexamples[0].input
    assert told.startswith("[sys.argv ['named', 'report.txt") \
        and told != "[sys.argv ['named', 'report.txt']]", told


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_careless_change_to_what_main_prints_is_a_counterexample(tmp_path):
    done = await judged(tmp_path, "half/cli.py", CLI, CARELESS, FILES)
    check = done.check("main")
    assert check.counterexamples, done.report.payload()
    [first, *_] = check.counterexamples
    assert (first.input, first.base, first.candidate) == (
        "[sys.argv ['half', '10']]", "0, prints '5\\n'", "0, prints '5.0\\n'")


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_correct_refactor_of_main_is_shown_unchanged(tmp_path):
    done = await judged(tmp_path, "half/cli.py", CLI, REFACTORED, FILES)
    assert done.problems == []
    assert done.check("main").shown_unchanged, done.report.payload()
    assert done.report.reasons() == [], done.report.reasons()
