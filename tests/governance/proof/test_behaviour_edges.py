"""The search's edge phase (governance.proof.edges names a change's rewritten comparisons,
governance.oracle.replay_edges measures how near a call passes to them) in the real jail:
a block's end made exclusive, where the bound is a table's entry no constant names, is
refused with the block's last character; the same comparison rewritten correctly lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytest.importorskip("hypothesis")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

BLOCKS = '''"""Which block of code points a character is in."""
import bisect


class Span:
    def __init__(self, name, start, end):
        self.name, self.start, self.end = name, start, end


BLOCKS = {0x00: Span("basic", 0x00, 0x7F), 0x80: Span("latin", 0x80, 0xFF),
          0x100: Span("extended", 0x100, 0x17F), 0x370: Span("greek", 0x370, 0x3FF)}
STARTS = sorted(BLOCKS)


def block(char):
    """The name of the block `char` is in; 'unknown' between and past them."""
    code = ord(char)
    at = bisect.bisect_right(STARTS, code) - 1
    if at >= 0 and code <= BLOCKS[STARTS[at]].end:
        return BLOCKS[STARTS[at]].name
    return "unknown"
'''
# Every line runs; no test asks for a block's last character.
TESTS = '''from script.blocks import block


def test_block():
    assert block("a") == "basic"
    assert block("\\u00e9") == "latin"
    assert block("\\u03b1") == "greek"
    assert block("\\u0200") == "unknown"
'''
EDGE = "code <= BLOCKS[STARTS[at]].end"


async def _report(tmp_path: Path, new: str):
    done = await judged(tmp_path, "script/blocks.py", BLOCKS, BLOCKS.replace(EDGE, new),
                        {"script/__init__.py": "", "tests/test_blocks.py": TESTS})
    assert done.problems == []
    return done.report


async def test_a_block_end_made_exclusive_is_refused_at_a_blocks_last_character(tmp_path):
    report = await _report(tmp_path, "code < BLOCKS[STARTS[at]].end")
    (check,) = report.checks
    assert check.counterexamples, report.payload()
    line = check.counterexamples[0].line()
    last = {chr(end) for end in (0x7F, 0xFF, 0x17F, 0x3FF)}
    assert any(repr(c)[1:-1] in line.split("(", 1)[1] for c in last), line
    assert "candidate 'unknown'" in line, line


async def test_the_same_comparison_rewritten_correctly_lands(tmp_path):
    report = await _report(tmp_path, "not code > BLOCKS[STARTS[at]].end")
    assert report.reasons() == [], report.payload()
