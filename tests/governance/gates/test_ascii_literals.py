"""The ASCII gate never changes what a string literal means: a literal's or a comment's
printable non-ASCII is content, kept as written (or refused where the repository says so);
invisible and bidirectional control characters are refused everywhere, never rewritten;
confusables are repaired in code only, and every repair is recorded line by line."""

from __future__ import annotations

import pytest

from daemon.config.settings import load_settings
from daemon.phase_deps import policy_from
from governance.gates.ascii_gate import Repair, check, records
from governance.schemas import Candidate

# Issue 30's real fix: a correct new function whose default argument is an ellipsis.
SHORTEN = ('def shorten(s, n, tail="\u2026"):\n'
           '    """Cut `s` to `n` characters and mark the cut with \u2026"""\n'
           "    return s[:n] + tail if len(s) > n else s  # e.g. 'abc\u2026'\n")

CONTENT = {
    "an ellipsis as a default argument": SHORTEN,
    "in an f-string's literal part": "msg = f'{n} more\u2026'\n",
    "in an f-string's nested string": "msg = f'{n or \"\u2026\"}'\n",
    "in a docstring": 'def f():\n    """Wait\u2026 then go \u2014 fast."""\n',
    "in a comment": "x = 1  # it\u2019s \u201cfine\u201d\u2026\n",
    "in a bytes literal": "b = b'\u2026'\n",
    "in a raw string": "pat = r'\\d+\u2009\u00b0C'\n",
    "a city in a test": 'assert lookup("Z\u00fcrich") == "Europe/Zurich"\n',
    "an emoji in a string": "print('\U0001f600')\n",
    "a replacement character in a string": "x = '\ufffd'\n",
    "a no-break space in a string": "s = '10\u00a0km'\n",
    "a multi-line string": "s = '''a\n\u2026 b \u2014\n'''\n",
}


def _check(text: str, **knobs: object):
    return check(Candidate(file_path="m.py", full_content=text), **knobs)


@pytest.mark.parametrize("name", sorted(CONTENT))
def test_non_ascii_content_is_kept_as_written(name):
    text = CONTENT[name]
    out, repairs, problems = _check(text)
    assert (out.changes()[0].full_content, repairs, problems) == (text, [], [])


@pytest.mark.parametrize("name", sorted(CONTENT))
def test_a_repository_that_wants_ascii_literals_refuses_them(name):
    text = CONTENT[name]
    out, repairs, problems = _check(text, ascii_literals=True)
    assert problems and all("governance.ascii_literals" in p for p in problems)
    assert out.changes()[0].full_content == text and repairs == []


def test_the_refusal_says_what_to_write_instead():
    _, _, problems = _check("x = '\u00e9t\u00e9'  # caf\u00e9\n", ascii_literals=True)
    assert problems == [
        "m.py line 1: non-ASCII character U+00E9 (LATIN SMALL LETTER E WITH ACUTE) inside a "
        "string literal, and this repository wants ASCII there too "
        "(governance.ascii_literals); write it as an escape (\\xe9) if it is meant"]


@pytest.mark.parametrize("text, fixed", [
    ("print(\u2019x\u2019)\n", "print('x')\n"),
    ("x = \u201chello\u201d \u2212 y\n", 'x = "hello" - y\n'),
    # A model's curly quotes around an ellipsis: the quotes are code, what they enclose is
    # the literal the model meant, kept.
    ('def shorten(s, n, tail=\u201c\u2026\u201d):\n', 'def shorten(s, n, tail="\u2026"):\n'),
    ("xs = [\u201c\u00e9\u201d, \u2018\u2014\u2019]\n", "xs = [\"\u00e9\", '\u2014']\n"),
    ("\u201c\u201c\u201cDoc \u2014 string.\n\u201d\u201d\u201d\n", '"""Doc \u2014 string.\n"""\n'),
])
def test_confusables_used_as_code_are_still_repaired(text, fixed):
    out, repairs, problems = _check(text)
    assert problems == [] and out.changes()[0].full_content == fixed and repairs


@pytest.mark.parametrize("text, kind", [
    ("s = 'user\u202e \u2066# admin\u2069 \u2066'\n", "string literal"),
    ("x = 1  # \u202eevil\n", "comment"),
    ("s = 'ad\u200bmin'\n", "string literal"),
    ('"""doc\u2067"""\n', "string literal"),
])
def test_invisible_and_bidi_characters_are_refused_inside_literals_and_comments(text, kind):
    out, repairs, problems = _check(text)
    assert out.changes()[0].full_content == text and repairs == []  # never rewritten
    assert len(problems) == 1 and f"inside a {kind}" in problems[0]
    assert "invisible or bidirectional control character" in problems[0]
    assert ("remove it" if kind == "comment" else "write it as an escape (\\u") in problems[0]


def test_a_zero_width_space_in_code_is_still_repaired():
    out, repairs, problems = _check("x\u200b = 1\n")
    assert (out.changes()[0].full_content, problems) == ("x = 1\n", []) and repairs


# -- a file that does not tokenize --------------------------------------------------------

def test_without_tokens_nothing_quoted_is_repaired_and_the_syntax_error_is_named():
    text = "def f():\n  x = \u201cq\u201d\n y = '\u2026'  # \u2014\n"
    out, repairs, problems = _check(text)
    fixed = out.changes()[0].full_content
    assert fixed == "def f():\n  x = \"q\"\n y = '\u2026'  # \u2014\n"  # code quotes only
    assert [r.line for r in repairs] == [2]
    assert problems == [
        "m.py line 3: non-ASCII character U+2026 (HORIZONTAL ELLIPSIS) in what may be a "
        "string literal, and the file does not tokenize (line 3: unindent does not match "
        "any outer indentation level); fix that first (nothing there is repaired)"]


def test_an_unclosed_triple_quote_protects_the_rest_of_the_file():
    text = "x = 1\u2212 2\ns = '''start\n\u2026 \u2212\n"
    out, _, problems = _check(text)
    assert out.changes()[0].full_content == "x = 1- 2\ns = '''start\n\u2026 \u2212\n"
    assert [p.split(":")[0] for p in problems] == ["m.py line 3"]


# -- what the ledger keeps ----------------------------------------------------------------

def test_each_repair_names_its_file_line_and_text():
    text = "a = 1\nb = \u201cx\u201d  # \u2026\nc = 2 \u2212 1\n"
    _, repairs, _ = _check(text)
    assert records(repairs) == [
        {"file": "m.py", "line": 2, "characters": 2,
         "before": "b = \u201cx\u201d  # \u2026", "after": 'b = "x"  # \u2026'},
        {"file": "m.py", "line": 3, "characters": 1, "before": "c = 2 \u2212 1",
         "after": "c = 2 - 1"}]


def test_the_record_is_capped_around_the_change():
    before = "x = " + "1 + " * 100 + "2 \u2212 3"
    rec = Repair("m.py", 7, before, before.replace("\u2212", "-"), 1).record(cap=40)
    assert len(rec["before"]) == len(rec["after"]) == 40
    assert "\u2212" in rec["before"] and "2 - 3" in rec["after"]
    many = [Repair("m.py", i, "\u2212", "-", 1) for i in range(1, 50)]
    assert [r["line"] for r in records(many, limit=3)] == [1, 2, 3]


def test_the_setting_reaches_the_policy(tmp_path):
    strict = load_settings(tmp_path, environ={"OUROBOROS_GOVERNANCE__ASCII_LITERALS": "true"})
    assert policy_from(strict).ascii_literals is True
    assert policy_from(load_settings(tmp_path, environ={})).ascii_literals is False
