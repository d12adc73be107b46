"""Two modules holding the same function, line for line (generated code pages, a copied
helper): CPython's code objects leave the file out of their equality and hash, so a cache
keyed by the code alone read every call of the second module's function as the first's,
and none of it was captured (ebcdic's cp1143 `Codec.encode`, wave 26: a careless default
waited as 'no call of it was captured'). In the real jail, a careless change to the
second one is refused with a counterexample."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

PAGE = '''class Codec:
    def encode(self, text, errors="strict"):
        return text.encode("ascii", errors)
'''
TESTS = '''from pkg import a, b


def test_pages():
    for page in (a, b):
        assert page.Codec().encode("hi") == b"hi"
'''


def test_cpython_takes_the_same_code_in_two_files_for_one():
    """Why the caches key a code object with its file (the capture plugin's `by_code`,
    the oracle tracer's and the edge watcher's keys; the plugin imports only in the jail)."""
    one = compile(PAGE, "a.py", "exec").co_consts[0]
    two = compile(PAGE, "b.py", "exec").co_consts[0]
    assert one == two and hash(one) == hash(two)
    assert (one, one.co_filename) != (two, two.co_filename)


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_careless_change_to_the_second_copy_is_refused(tmp_path: Path) -> None:
    done = await judged(tmp_path, "pkg/b.py", PAGE, PAGE.replace('"strict"', '"replace"'),
                        {"pkg/__init__.py": "", "pkg/a.py": PAGE, "tests/test_p.py": TESTS})
    assert done.problems == [] and done.ran.passed
    check = done.check("Codec.encode")
    assert check.captured > 0, done.report.payload()
    assert check.counterexamples, done.report.payload()
