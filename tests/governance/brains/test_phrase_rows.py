"""A phrase the failing test is named after that the library's list of patterns matches word
by word: the prompt shows the list's phrase rows, and the reply is opened after the last of
them (governance.brains.phrase_rows; sqlparse's `PRIMARY\\s+KEY\\b` and `IF\\s+EXISTS`, issue
50)."""

from __future__ import annotations

from governance.brains.library_trees import parsed
from governance.brains.phrase_rows import (
    MAX_WORDS,
    named_phrase,
    pattern_lists,
    phrase_rows,
    row_begun,
    safe,
)
from governance.brains.prompts import generation_prompt
from governance.brains.reply_opening import reply_opening
from governance.candidate_edits import live_base, stated
from governance.edit_blocks import ReplyForm
from governance.schemas import OperationContext, SignalEnvelope
from tests.helpers import commit_files

TEST = '''\
import lexer

def test_primary_key_issue740():
    assert lexer.lex('PRIMARY KEY') == ['PRIMARY KEY']

def test_split_if_exists_in_begin_end():
    sql = """BEGIN
    DROP TABLE IF EXISTS t1;
END;"""
    assert len(lexer.lex(sql)) > 1

def test_grouping_alias_lowercase_as():
    assert lexer.lex('create table t as select 1')
'''

ROWS = [r"(r'(--|# ).*?(\r\n|\r|\n|$)', 'comment')", r"(r'\s+', 'space')",
        r"(r'NOT\s+NULL\b', 'keyword')", r"(r'(ASC|DESC)\b', 'order')",
        r"(r'UNION\s+ALL\b', 'keyword')", r"(r'CREATE(\s+OR\s+REPLACE)?\b', 'ddl')",
        r"(r'GROUP\s+BY\b', 'keyword')", r"(r'ORDER\s+BY\b', 'keyword')",
        r"(r'[;:()]', 'punctuation')", r"(r'\w[$#\w]*', 'word')", r"(r'[<>=]+', 'op')"]
LEXER = "import re\n\nREGEX = [\n" + "".join(f"    {r},\n" for r in ROWS) + "]\n" + '''

def lex(text):
    out, at = [], 0
    while at < len(text):
        for pattern, kind in REGEX:
            found = re.match(pattern, text[at:], re.IGNORECASE)
            if found:
                if kind != 'space':
                    out.append(found[0])
                at += found.end()
                break
        else:
            at += 1
    return out
'''


def test_the_phrase_is_the_longest_run_of_a_literals_words_the_test_name_spells():
    assert named_phrase(TEST, "tests/test_l.py::test_primary_key_issue740") == "PRIMARY KEY"
    assert named_phrase(TEST, "tests/test_l.py::test_split_if_exists_in_begin_end") \
        == "IF EXISTS"  # BEGIN and END are apart by a line of other words
    assert named_phrase(TEST, "tests/test_l.py::test_grouping_alias_lowercase_as") == ""
    assert named_phrase(TEST, "tests/test_l.py") == ""  # no function named
    assert named_phrase(TEST, "tests/test_l.py::missing") == ""
    assert named_phrase("def broken(:\n", "t.py::test_a_b") == ""  # a hostile file
    # words apart by other than white space are no phrase: `primary.key`
    assert named_phrase("def test_primary_key():\n    f('primary.key')\n",
                        "t.py::test_primary_key") == ""
    # a phrase longer than MAX_WORDS words is not searched for
    words = [f"w{i}" for i in range(MAX_WORDS + 1)]
    long = f"def test_{'_'.join(words)}():\n    f('{' '.join(words)}')\n"
    assert named_phrase(long, f"t.py::test_{'_'.join(words)}") \
        == " ".join(words[:MAX_WORDS])


def test_a_list_matching_the_phrase_word_by_word_shows_its_phrase_rows():
    found = phrase_rows("PRIMARY KEY", {"lib/lexer.py": LEXER})
    assert found is not None and found.path == "lib/lexer.py"
    assert found.rows == [r"lib/lexer.py:6: (r'NOT\s+NULL\b', 'keyword'),",
                          r"lib/lexer.py:8: (r'UNION\s+ALL\b', 'keyword'),",
                          r"lib/lexer.py:10: (r'GROUP\s+BY\b', 'keyword'),",
                          r"lib/lexer.py:11: (r'ORDER\s+BY\b', 'keyword'),"]
    assert found.follows == 11
    assert "'PRIMARY KEY'" in found.section() and "word by word" in found.section()
    # a phrase a row matches whole is no fix to suggest: the fixed library, and a row
    # that matches more than a phrase alone (CREATE OR REPLACE)
    fixed = LEXER.replace("    (r'GROUP", "    (r'PRIMARY\\s+KEY\\b', 'keyword'),\n    (r'GROUP")
    assert phrase_rows("PRIMARY KEY", {"lib/lexer.py": fixed}) is None
    assert phrase_rows("create or replace", {"lib/lexer.py": LEXER}) is None
    assert phrase_rows("", {"lib/lexer.py": LEXER}) is None
    # fewer than three phrase rows, or fewer than ten rows: no lexer's list
    few = LEXER.replace(r"NOT\s+NULL\b", "NOTNULL").replace(r"UNION\s+ALL\b", "UNIONALL")
    assert phrase_rows("PRIMARY KEY", {"lib/lexer.py": few}) is None
    assert pattern_lists(parsed("X = [('a', 1), ('b', 2)]\n")) == []
    assert pattern_lists(parsed("X = [(\n")) == []  # a hostile file
    # the last phrase row twice in its file: an AFTER block of it would not apply
    twice = LEXER + "\nOTHER = [\n    (r'ORDER\\s+BY\\b', 'keyword'),\n]\n"
    assert phrase_rows("PRIMARY KEY", {"lib/lexer.py": twice}) is None


def test_a_pattern_that_could_backtrack_without_bound_is_not_tried():
    assert not safe(r"(\s+\w+)+$")  # a group repeated: catastrophic on a near match
    assert not safe(r"(a|b){2,}x")
    assert not safe(r"\s*\s*\s*\s*x")  # too many unbounded repetitions
    assert not safe("a" * 301)
    assert safe(r"IF\s+(NOT\s+)?EXISTS\b") and safe(r"NOT\s+NULL\b")
    # such a row in the list is taken as not matching the phrase (it only shapes a prompt)
    hostile = LEXER.replace(r"(r'\s+', 'space')", r"(r'(\s+\w+)+$', 'space')")
    assert phrase_rows("PRIMARY KEY", {"lib/lexer.py": hostile}) is not None


def test_the_row_is_begun_as_the_row_before_begins_its_own():
    assert row_begun(r"    (r'ORDER\s+BY\b', tokens.Keyword),") == "    (r'"
    assert row_begun('\t("a b", 1),') == '\t("'
    assert row_begun("    'A': 1,") == ""


def repair_ctx(test_id: str, *reached: str) -> OperationContext:
    """A repair of the failing `test_id` whose failure reached the functions `reached`
    (`fn:path::qualname`), its candidate told SEARCH/REPLACE blocks."""
    ctx = OperationContext(envelope=SignalEnvelope(
        source="test_failure", target_files=(test_id.split("::", 1)[0],),
        goal="Make it pass", dedup_key="k", session_id="s", evidence={
            "tests": [test_id], "test_id": test_id,
            "causes": [*reached, f"test:{test_id}"]}))
    ctx.reply_form = ReplyForm.BLOCKS.value
    return ctx


def test_a_repair_named_after_a_phrase_opens_after_the_lists_last_phrase_row(tmp_path):
    root = commit_files(tmp_path / "r", {"lib/__init__.py": "", "lib/lexer.py": LEXER,
                                         "tests/test_l.py": TEST})
    ctx = repair_ctx("tests/test_l.py::test_primary_key_issue740", "fn:lib/lexer.py::lex")
    opening = reply_opening(ctx, root)
    assert opening == ("lib/lexer.py\n<<<<<<< AFTER\n    (r'ORDER\\s+BY\\b', 'keyword'),\n"
                       "=======\n    (r'")
    prompt = generation_prompt(ctx, root)
    assert "named after the phrase 'PRIMARY KEY'" in prompt
    assert "lib/lexer.py:11: (r'ORDER\\s+BY\\b', 'keyword')," in prompt
    # the reply continued from it is the list's new row, the rows around it kept
    reply = opening + "PRIMARY\\s+KEY\\b', 'keyword'),\n>>>>>>> REPLACE\n"
    [change] = stated(reply, live_base(root)).changes()
    assert change.file_path == "lib/lexer.py"
    assert ("    (r'ORDER\\s+BY\\b', 'keyword'),\n    (r'PRIMARY\\s+KEY\\b', 'keyword'),\n"
            "    (r'[;:()]', 'punctuation'),\n") in change.full_content
    # named after no phrase: the reached file's block, as before
    other = "tests/test_l.py::test_grouping_alias_lowercase_as"
    ctx.envelope = ctx.envelope.model_copy(update={"evidence": {
        "tests": [other], "test_id": other, "causes": ["fn:lib/lexer.py::lex"]}})
    assert reply_opening(ctx, root) == "lib/lexer.py\n<<<<<<< SEARCH\n"


KEYWORDS = "KEYWORDS = {\n" + "".join(
    f"    '{w}': 'keyword',\n" for w in ("CREATE", "DROP", "EXISTS", "IF", "TABLE",
                                       *(f"K{i:02d}" for i in range(20)))) + "}\n"
NAMED = '''\
import lexer

def test_split_if_exists_in_begin():
    assert len(lexer.lex('DROP TABLE IF EXISTS t1; CREATE TASK t2')) == 9

def test_create_task_if_exists():
    assert len(lexer.lex('DROP TABLE IF EXISTS t1; CREATE TASK t2')) == 9
'''


def test_what_the_test_is_named_after_leads_the_opening(tmp_path):
    """sqlparse's IF EXISTS fix (e92a032c81d5): its test writes `CREATE TASK`, a word its
    keyword table lacks, and all twelve replies added a `'TASK'` row where the phrase it
    is named after is the lexer's (stop 78). A missing word the name spells is the
    table's row, as MATERIALIZED's (`test_materialized_view_issue752`) is."""
    root = commit_files(tmp_path / "r", {"lib/__init__.py": "", "lib/lexer.py": LEXER,
                                         "lib/keywords.py": KEYWORDS,
                                         "tests/test_l.py": NAMED})

    def opening(test: str) -> str:
        return reply_opening(repair_ctx(f"tests/test_l.py::{test}", "fn:lib/lexer.py::lex"),
                             root)

    assert opening("test_split_if_exists_in_begin").startswith(
        "lib/lexer.py\n<<<<<<< AFTER\n    (r'ORDER\\s+BY\\b', 'keyword'),\n")
    assert opening("test_create_task_if_exists").startswith(
        "lib/keywords.py\n<<<<<<< AFTER\n    'TABLE': 'keyword',\n=======\n    'TASK': ")
