"""A comparison with a word the failing test writes in another case, in a function that
compares the same value through a case method elsewhere (governance.brains.case_compared:
sqlparse's `tmp_token.value == 'AS'` beside `tmp_token.value.upper() == 'TABLE'`, issue
50): named in the prompt, and the one such line opens the reply as a SEARCH of it."""

from __future__ import annotations

from governance.brains.case_compared import MAX_FOUND, case_compared
from governance.brains.prompts import generation_prompt
from governance.brains.quoted_words import words_of
from governance.brains.reply_opening import reply_opening
from governance.candidate_edits import live_base, stated
from tests.governance.brains.test_phrase_rows import repair_ctx
from tests.helpers import commit_files

GROUPING = '''\
def group_functions(tokens):
    has_create = has_table = has_as = False
    for tok in tokens:
        if tok.value.upper() == 'CREATE':
            has_create = True
        if tok.value.upper() == 'TABLE':
            has_table = True
        if tok.value == 'AS':
            has_as = True
    return has_create and has_table and not has_as


def other(tok):
    return tok.value == 'AS'  # no case method in this function: not named
'''

TEST = '''\
from sqlp.grouping import group_functions

def test_lowercase_as():
    assert not group_functions(tokens('create table t as select 1'))
'''


def test_the_raw_comparison_beside_normalized_ones_is_found():
    words = words_of(TEST, "tests/test_g.py::test_lowercase_as", least=2)
    assert "as" in words and "AS" not in words
    assert case_compared(words, {"sqlp/grouping.py": GROUPING}) == [
        ("sqlp/grouping.py", 8, "        if tok.value == 'AS':")]
    # the test writes it as the library does: nothing to say
    assert case_compared(["create", "AS"], {"sqlp/grouping.py": GROUPING}) == []
    # fixed: every comparison of the value goes through the case method
    fixed = GROUPING.replace("tok.value == 'AS'", "tok.value.upper() == 'AS'", 1)
    assert case_compared(words, {"sqlp/grouping.py": fixed}) == []
    # `!=` and the literal on the left are the same comparison
    flipped = GROUPING.replace("tok.value == 'AS'", "'AS' != tok.value", 1)
    assert case_compared(words, {"sqlp/grouping.py": flipped})[0][1] == 8
    # another value compared raw, or a hostile file: nothing
    other = GROUPING.replace("tok.value == 'AS'", "tok.name == 'AS'", 1)
    assert case_compared(words, {"sqlp/grouping.py": other}) == []
    assert case_compared(words, {"x.py": "def f(:\n a == 'AS'\n"}) == []


def test_at_most_max_found_lines_are_named():
    many = "".join(GROUPING.replace("group_functions", f"g{i}").split("\n\ndef other")[0]
                   + "\n\n" for i in range(MAX_FOUND + 2))
    assert len(case_compared(["as"], {"m.py": many})) == MAX_FOUND


def test_the_one_line_so_found_opens_the_reply_as_its_search(tmp_path):
    root = commit_files(tmp_path / "r", {
        "sqlp/__init__.py": "", "sqlp/grouping.py": GROUPING,
        "sqlp/parse.py": "def parse(sql):\n    return sql.split()\n",
        "tests/test_g.py": TEST})
    ctx = repair_ctx("tests/test_g.py::test_lowercase_as",
                     "fn:sqlp/grouping.py::group_functions", "fn:sqlp/parse.py::parse")
    opening = reply_opening(ctx, root)
    assert opening == ("sqlp/grouping.py\n<<<<<<< SEARCH\n        if tok.value == 'AS':\n"
                       "=======\n")
    assert "sqlp/grouping.py:8: if tok.value == 'AS':" in generation_prompt(ctx, root)
    reply = opening + "        if tok.value.upper() == 'AS':\n>>>>>>> REPLACE\n"
    [change] = stated(reply, live_base(root)).changes()
    assert "        if tok.value.upper() == 'AS':\n" in change.full_content
    # two such lines: named in the prompt, and the reply is not opened at either
    (root / "sqlp" / "grouping.py").write_text(
        GROUPING + "\n\n" + GROUPING.replace("group_functions", "g2").split("\n\ndef other")[0])
    assert reply_opening(ctx, root) == ""
