"""The ASCII gate judges and repairs only the lines a candidate adds or changes; the lines a
human wrote stay byte-identical, whatever characters they hold. (What it does inside string
literals and comments: test_ascii_literals.py.)"""

from __future__ import annotations

import os
import threading
import time
from types import SimpleNamespace

import pytest

from governance.gates import ascii_gate
from governance.gates.ascii_gate import (
    CONFUSABLES,
    Repair,
    changed_lines,
    check,
    invisible,
    live_reader,
    split_lines,
)
from governance.phases.generate import _post_generation_gates
from governance.schemas import Candidate, FileChange
from tests.helpers import make_policy, op_context

# A real-world shape: a library's test file with a non-ASCII city name on an untouched line.
BASE = (
    '"""Time zone lookups."""\n'
    "from tzlib import lookup\n"
    "\n"
    "\n"
    "def test_city():\n"
    '    assert lookup("Malm\u00f6") == "Europe/Stockholm"\n'
    "\n"
    "\n"
    "def test_utc():\n"
    '    assert lookup("UTC") == "UTC"\n'
    '    msg = "it\u2019s fine"  # a human\'s curly quote, untouched\n'
)


def _edit(base: str, old: str, new: str) -> str:
    assert base.count(old) == 1
    return base.replace(old, new)


def _run(content: str, base: str | None = BASE, path: str = "tests/test_tz.py",
         ascii_literals: bool = False):
    return check(Candidate(file_path=path, full_content=content), base=lambda _: base,
                 ascii_literals=ascii_literals)


def _lines_differing(a: str, b: str) -> list[int]:
    la, lb = split_lines(a), split_lines(b)
    assert len(la) == len(lb)
    return [i + 1 for i, (x, y) in enumerate(zip(la, lb, strict=True)) if x != y]


def test_untouched_non_ascii_line_passes_an_ascii_edit_unchanged():
    new = _edit(BASE, '    assert lookup("UTC") == "UTC"\n',
                '    assert lookup("UTC") == "UTC"\n    assert lookup("GMT") == "UTC"\n')
    cand = Candidate(file_path="tests/test_tz.py", full_content=new)
    out, repairs, problems = check(cand, base=lambda _: BASE)
    assert out is cand and repairs == [] and problems == []


def test_a_confusable_on_an_added_line_is_repaired_and_only_that_line_changes():
    new = _edit(BASE, "def test_utc():\n",
                "def test_utc():\n    assert lookup(\u201cUTC\u201d)\u00a0== \u2018UTC\u2019\n")
    out, repairs, problems = _run(new)
    fixed = out.changes()[0].full_content
    assert problems == [] and repairs == [Repair(
        "tests/test_tz.py", 10, "    assert lookup(\u201cUTC\u201d)\u00a0== \u2018UTC\u2019",
        "    assert lookup(\"UTC\") == 'UTC'", 5)]
    assert _lines_differing(new, fixed) == [10]
    assert split_lines(fixed)[9] == "    assert lookup(\"UTC\") == 'UTC'\n"
    # The human's own curly quote (line 12) and Malmo (line 6) are kept byte for byte.
    assert split_lines(fixed)[11] == split_lines(BASE)[10]
    assert split_lines(fixed)[5] == split_lines(BASE)[5]


def test_non_ascii_in_code_on_an_added_line_is_refused_naming_the_line():
    new = _edit(BASE, "def test_utc():\n", 'def test_utc():\n    z\u00fcrich = "Zurich"\n')
    _, _, problems = _run(new)
    assert problems == ["tests/test_tz.py line 10: non-ASCII character U+00FC ('\u00fc') "
                        "in code; write ASCII"]


def test_a_changed_line_with_non_ascii_is_judged_whole():
    new = _edit(BASE, 'lookup("Malm\u00f6") == "Europe/Stockholm"',
                'lookup("Malm\u00f6") == "Europe/Stockholm", "sv"')
    assert _run(new)[2] == []  # the human's Malmo is a literal's content: kept
    _, _, problems = _run(new, ascii_literals=True)  # judged whole: the old part too
    assert len(problems) == 1 and problems[0].startswith("tests/test_tz.py line 6: ")


def test_a_moved_line_counts_as_changed():
    malmo = '    assert lookup("Malm\u00f6") == "Europe/Stockholm"\n'
    moved = _edit(_edit(BASE, malmo, ""), '    assert lookup("UTC") == "UTC"\n',
                  '    assert lookup("UTC") == "UTC"\n' + malmo)
    _, _, problems = _run(moved, ascii_literals=True)
    assert [p.split(":")[0] for p in problems] == ["tests/test_tz.py line 10"]


def test_a_copied_line_is_an_added_line():
    malmo = '    assert lookup("Malm\u00f6") == "Europe/Stockholm"\n'
    copied = BASE + "\n\ndef test_again():\n" + malmo
    _, _, problems = _run(copied, ascii_literals=True)
    assert [p.split(":")[0] for p in problems] == ["tests/test_tz.py line 15"]


def test_a_new_file_is_all_added():
    _, _, problems = _run(BASE, base=None, ascii_literals=True)
    assert [p.split(":")[0] for p in problems] == ["tests/test_tz.py line 6",
                                                   "tests/test_tz.py line 11"]
    out, repairs, problems = _run(BASE + "x = 1\u2212 2\n", base=None)
    assert problems == [] and [r.line for r in repairs] == [12]
    assert out.changes()[0].full_content == BASE + "x = 1- 2\n"  # the literals kept


def test_line_endings_are_not_content():
    crlf = BASE.replace("\n", "\r\n")
    edited = _edit(BASE, "def test_utc():\n", "def test_utc():  # ascii edit\n")
    out, repairs, problems = _run(edited, base=crlf)
    assert problems == [] and repairs == [] and out.changes()[0].full_content == edited


@pytest.mark.parametrize("ch", sorted(CONFUSABLES))
def test_every_confusable_in_code_is_repaired_on_added_lines_and_kept_on_untouched_ones(ch):
    base = BASE + f"x = 1{ch}\n"
    new = base + f"y = (2){ch}\n"
    out, repairs, problems = _run(new, base=base)
    lines = split_lines(out.changes()[0].full_content)
    assert problems == [] and [(r.line, r.after) for r in repairs] == [
        (13, f"y = (2){CONFUSABLES[ch]}")]
    assert lines[-1] == f"y = (2){CONFUSABLES[ch]}\n" and lines[-2] == f"x = 1{ch}\n"


@pytest.mark.parametrize("ch", sorted(CONFUSABLES))
@pytest.mark.parametrize("where", ["s = 'a{}b'\n", "x = 1  # a{}b\n", '"""a{}b"""\n'])
def test_no_confusable_is_repaired_inside_a_literal_or_comment(ch, where):
    line = where.format(ch)
    out, repairs, problems = _run(BASE + line)
    assert repairs == [] and out.changes()[0].full_content == BASE + line
    assert bool(problems) is invisible(ch)  # zero-width ones are refused, never rewritten


HOSTILE_ADDED = {
    "cyrillic a homoglyph": "p\u0430ss = 1\n",
    "greek omicron": "x = f\u03bfo\n",
    "fullwidth letter": "x = \uff41\n",
    "RTL override (trojan source)": "s = 'user\u202e # admin'\n",
    "left-to-right isolate": "s = '\u2066x\u2069'\n",
    "RTL override in a comment": "x = 1  # \u202e nimda\n",
    "zero-width space in a string": "s = 'ad\u200bmin'\n",
    "zero-width joiner in a docstring": '"""a\u200db"""\n',
    "pop directional isolate in an f-string": "s = f'{x}\u2069'\n",
    "bidi embedding in bytes": "b = b'\u202ax'\n",
    "hangul filler in a string": "s = '\u3164'\n",
    "soft hyphen in a comment": "# ad\u00admin\n",
    "line separator U+2028": "x = 1\u2028y = 2\n",
    "next line U+0085": "x = 1\u0085\n",
    "paragraph separator U+2029": "x = 1\u2029\n",
    "combining acute": "cafe\u0301 = 1\n",
    "emoji in code": "print(\U0001f600)\n",
    "replacement character in code": "x = \ufffd\n",
    "surrogate escape of a bad byte": "x = '\udcff'\n",
    "hangul filler": "\u3164 = 1\n",
    "mathematical bold a": "\U0001d41a = 1\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_ADDED))
def test_hostile_characters_on_added_lines_are_refused(name):
    line = HOSTILE_ADDED[name]
    _, _, problems = _run(BASE + line)
    assert len(problems) == 1 and problems[0].startswith("tests/test_tz.py line 12: "), name
    _, _, problems = _run(BASE + line, base=BASE + line)  # a human's line: not judged
    assert problems == []


def test_problems_are_listed_per_line_up_to_a_cap():
    bad = "".join(f"v{i}\u00e9 = 1\n" for i in range(20))
    _, _, problems = _run(bad, base=None)
    assert len(problems) == ascii_gate.MAX_PROBLEM_LINES
    assert problems[1].startswith("tests/test_tz.py line 2: ")


def test_other_files_and_deletions_are_not_judged():
    cand = Candidate(files=[FileChange(file_path="docs/city.md", full_content="Z\u00fcrich\n"),
                            FileChange(file_path="old.py", action="delete")])
    out, repairs, problems = check(cand, base=lambda _: None)
    assert out is cand and not repairs and not problems


def test_a_failing_base_reader_refuses_instead_of_raising():
    def broken(_: str) -> str:
        raise RuntimeError("disk on fire")

    _, _, problems = check(Candidate(file_path="m.py", full_content="x = '\u00e9'\n"),
                           base=broken)
    assert problems == ["m.py: the ASCII gate could not check it (RuntimeError: disk on fire)"]


@pytest.mark.slow
def test_a_big_file_with_one_change_is_fast():
    base = "".join(f"v{i} = 'caf\u00e9 {i}'\n" for i in range(20_000))
    new = _edit(base, "v10000 = 'caf\u00e9 10000'\n", "v10000 = 'caf\u00e9 10001'\n")
    started = time.monotonic()  # the whole file is tokenized once for the one line
    _, repairs, problems = _run(new, base=base, path="big.py", ascii_literals=True)
    assert [p.split(":")[0] for p in problems] == ["big.py line 10001"] and not repairs
    assert time.monotonic() - started < 5.0
    assert changed_lines(base, split_lines(new)) == [10_000]


# -- the live base reader -----------------------------------------------------------------

def test_live_reader_reads_regular_files_only(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(BASE)
    (tmp_path / "latin1.py").write_bytes(b"city = 'Malm\xf6'\nx = 1\n")
    os.symlink("m.py", tmp_path / "pkg" / "link.py")
    os.symlink("/etc/passwd", tmp_path / "escape.py")
    os.mkfifo(tmp_path / "fifo.py")
    read = live_reader(tmp_path)
    assert read("pkg/m.py") == BASE
    result: list[object] = []
    worker = threading.Thread(daemon=True, target=lambda: result.extend(
        read(p) for p in ("pkg/link.py", "escape.py", "fifo.py", "../etc/passwd",
                          "/etc/passwd", "missing.py", "pkg")))
    worker.start()
    worker.join(5)
    assert result == [None] * 7
    # A base that is not UTF-8: its clean lines still match, the bad one never does.
    base = read("latin1.py")
    assert base is not None and changed_lines(base, ["city = 'Malm\u00f6'\n", "x = 1\n"]) == [0]


def test_the_generate_phase_judges_against_the_live_file(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_tz.py").write_text(BASE)
    ctx = op_context("tests/test_tz.py", source="s", goal="g")
    d = SimpleNamespace(policy=make_policy(), root=tmp_path)
    ok = Candidate(file_path="tests/test_tz.py", full_content=BASE + "# more\n")
    assert _post_generation_gates(ctx, ok, d) == (ok, [], [])
    bad = Candidate(file_path="tests/test_tz.py", full_content=BASE + "Z\u00fcrich = 1\n")
    _, _, problems = _post_generation_gates(ctx, bad, d)
    assert problems and problems[0].startswith("tests/test_tz.py line 12: ")
    # A comment's non-ASCII is content, unless the repository's policy wants ASCII there.
    comment = Candidate(file_path="tests/test_tz.py", full_content=BASE + "# Z\u00fcrich\n")
    assert _post_generation_gates(ctx, comment, d) == (comment, [], [])
    strict = SimpleNamespace(policy=make_policy(ascii_literals=True), root=tmp_path)
    _, _, problems = _post_generation_gates(ctx, comment, strict)
    assert problems and "governance.ascii_literals" in problems[0]
