"""Code a change moves out of a file (governance.proof.moved, issue 49 item 4): the file it
left belongs to the change when all it does there is take definitions out, defined anew in
a file of the change, and import names; anything more is a file the op was not asked to
change, as before."""

from __future__ import annotations

import pytest

from governance.proof.moved import import_lines, moved_out
from governance.proof.rules import FileText

UTIL = "def norm(word):\n    return word.lower()\n\n\ndef other(x):\n    return x\n"
LEFT = "from pkg.text import norm  # noqa: F401 (moved)\n\n\ndef other(x):\n    return x\n"
TEXT = FileText("pkg/text.py", None, "def norm(word):\n    return word.strip().lower()\n")
HOME = {"pkg/api.py", "pkg/text.py"}


@pytest.mark.parametrize(("util", "dest", "moved"), [
    (LEFT, TEXT, True),  # moved into the new module, imported back
    (LEFT.split("\n\n\n", 1)[1], TEXT, True),  # moved, not imported back (breaking's rule)
    (LEFT.replace("return x", "return x + 1"), TEXT, False),  # a rider in the file it left
    (LEFT, FileText("pkg/text.py", None, "X = 1\n"), False),  # went nowhere in the change
    (UTIL.replace("return x", "return -x"), TEXT, False),  # nothing moved: an edit
    (LEFT + "\n\ndef extra():\n    return 2\n", TEXT, False),  # and something added
])
def test_a_file_code_was_moved_out_of_belongs_to_the_change(util, dest, moved):
    files = [FileText("pkg/util.py", UTIL, util), dest]
    assert (moved_out(files, HOME) == {"pkg/util.py"}) is moved


def test_a_definition_the_destination_had_already_is_not_moved_there():
    files = [FileText("pkg/util.py", UTIL, LEFT),
             FileText("pkg/text.py", TEXT.new, TEXT.new + "\n\nY = 2\n")]
    assert moved_out(files, HOME) == frozenset()


def test_the_imports_back_are_the_import_lines():
    assert import_lines("import os\nfrom a import (\n    b,\n)\nx = 1\n") == {1, 2, 3, 4}
