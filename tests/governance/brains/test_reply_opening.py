"""A repair told SEARCH/REPLACE blocks whose prompt shows the reached code of one file has
its reply begun with that file's block (governance.brains.reply_opening): Qwen2.5-Coder-1.5B
echoed the prompt's last paragraph instead of a block (issue 50, stop 64). The reply, the
opening included, is read whole by the blocks parser and the candidate rules."""

from __future__ import annotations

import dataclasses

from governance.brains.provider import CANDIDATE_SHAPE
from governance.brains.reply_opening import candidate_shape, reply_opening
from governance.candidate_edits import live_base, stated
from governance.edit_blocks import ReplyForm
from governance.schemas import OperationContext, SignalEnvelope
from tests.governance.brains.test_reached_code import LIB, TEST, _ctx
from tests.helpers import commit_files


def _blocks(ctx: OperationContext) -> OperationContext:
    ctx.reply_form = ReplyForm.BLOCKS.value
    return ctx


def test_a_blocks_repair_of_one_file_is_begun_with_its_block(tmp_path):
    root = commit_files(tmp_path / "r", {"semver/version.py": LIB, "tests/test_v.py": TEST})
    ctx = _blocks(_ctx("fn:semver/version.py::Version.replace"))
    opening = reply_opening(ctx, root)
    assert opening == "semver/version.py\n<<<<<<< SEARCH\n"
    # The files its blocks may change: the reached one, not the failing test's.
    assert candidate_shape(ctx, root) == dataclasses.replace(
        CANDIDATE_SHAPE, opening=opening,
        block_files=(("semver/version.py", tuple(LIB.splitlines())),))
    # What the model continues it with is read as one reply, the opening's path included.
    reply = opening + ("        return Version(major)  # the subclass is lost\n=======\n"
                       "        return type(self)(major)\n>>>>>>> REPLACE\n"
                       "The subclass is kept.\n")
    candidate = stated(reply, live_base(root))
    [change] = candidate.changes()
    assert change.file_path == "semver/version.py"
    assert "        return type(self)(major)\n" in change.full_content


def test_no_opening_where_the_file_is_not_known_or_json_is_told(tmp_path):
    root = commit_files(tmp_path / "r", {"semver/version.py": LIB, "tests/test_v.py": TEST})
    json_ctx = _ctx("fn:semver/version.py::Version.replace")
    assert ReplyForm(json_ctx.reply_form) is ReplyForm.JSON
    assert reply_opening(json_ctx, root) == ""
    assert candidate_shape(json_ctx, root) is CANDIDATE_SHAPE
    assert reply_opening(_blocks(_ctx()), root) == ""  # no reached code: no file named
    two = commit_files(tmp_path / "two", {"semver/version.py": LIB, "semver/other.py": LIB,
                                          "tests/test_v.py": TEST})
    both = _blocks(_ctx("fn:semver/version.py::Version.replace",
                        "fn:semver/other.py::Version.replace"))
    assert reply_opening(both, two) == ""  # a path chosen among two would choose for it


def test_of_several_files_the_one_the_failing_tests_are_named_after_is_opened(tmp_path):
    """sqlparse's case-sensitive `'AS'` (111b35cffcfe): the failure reached five files and
    three replies held no usable block; its test file, tests/test_grouping.py, names
    grouping.py (issue 50)."""
    files = {"semver/version.py": LIB, "semver/other.py": LIB, "tests/test_version.py": TEST}
    root = commit_files(tmp_path / "r", files)
    ctx = _blocks(_ctx("fn:semver/other.py::Version.replace",
                       "fn:semver/version.py::Version.replace"))
    ctx.envelope = ctx.envelope.model_copy(update={"evidence": {
        **ctx.envelope.evidence, "tests": ["tests/test_version.py::test_replace"]}})
    assert reply_opening(ctx, root) == "semver/version.py\n<<<<<<< SEARCH\n"
    ctx.envelope = ctx.envelope.model_copy(update={"evidence": {
        **ctx.envelope.evidence, "tests": ["tests/test_misc.py::test_replace"]}})
    assert reply_opening(ctx, root) == ""  # named after none: no file chosen


def test_a_missing_words_table_row_is_the_file_opened(tmp_path):
    """A word the failing test uses that the library quotes nowhere, with its place in one
    file's table, names the file though the failure reached code in two others (sqlparse's
    `'DIV'`, stop 73); the reply continued from it is read as that file's edit."""
    from tests.governance.brains.test_quoted_words import _repo
    root = _repo(tmp_path)
    (root / "sqlp" / "split.py").write_text("def split(sql):\n    return [sql]\n")
    evidence = {"tests": ["tests/test_p.py::test_materialized"],
                "test_id": "tests/test_p.py::test_materialized",
                "causes": ["fn:sqlp/parse.py::parse", "fn:sqlp/split.py::split",
                           "test:tests/test_p.py::test_materialized"]}
    ctx = _blocks(OperationContext(envelope=SignalEnvelope(
        source="test_failure", target_files=("tests/test_p.py",), goal="Make it pass",
        dedup_key="k", session_id="s", evidence=evidence)))
    opening = reply_opening(ctx, root)
    # an insertion after the row the missing one follows, as the file has it (stop 74),
    # and the new row begun, its key written as that row writes its own (stop 76: the
    # model copied the row before after a bare divider)
    assert opening == ("sqlp/keywords.py\n<<<<<<< AFTER\n    'K19': tokens.Keyword,\n"
                       "=======\n    'MATERIALIZED': ")
    # the 1.5B model's continuation of a SEARCH so begun, now a row added, none dropped
    reply = opening + "tokens.Keyword,\n>>>>>>> REPLACE\n"
    [change] = stated(reply, live_base(root)).changes()
    assert change.file_path == "sqlp/keywords.py"
    assert "'K19': tokens.Keyword,\n    'MATERIALIZED': tokens.Keyword,\n}" in change.full_content
    # the row's text twice in the file: a SEARCH of it would not apply, the opening stops
    keywords = root / "sqlp" / "keywords.py"
    keywords.write_text(keywords.read_text() + "\nOTHER = {\n    'K19': tokens.Keyword,\n}\n")
    assert reply_opening(ctx, root) == "sqlp/keywords.py\n<<<<<<< SEARCH\n"
    # every word quoted somewhere: no table has a missing row, and two files were reached
    (root / "sqlp" / "keywords.py").write_text(KEYWORDS_WITH_ALL)
    assert reply_opening(ctx, root) == ""


KEYWORDS_WITH_ALL = "KEYWORDS = {\n" + "".join(
    f"    '{w}': 1,\n" for w in ("CREATE", "MATERIALIZED", "VIEW", "keyword",
                                 *(f"K{i:02d}" for i in range(20)))) + "}\n"


def test_the_new_row_is_begun_only_where_the_row_before_is_keyed_by_a_quoted_text():
    from governance.brains.reply_opening import _key_begun
    assert _key_begun("    'DISPATCH': tokens.Keyword,", "DIV") == "    'DIV': "
    assert _key_begun('\t"a" :  1,', "b") == '\t"b" :  '
    assert _key_begun("    (r'x', 1),", "b") == ""  # a row of a list: no key to write
    assert _key_begun("    'A': 1,", "it's") == ""  # not writable between its quotes as is
    assert _key_begun("    'A': 1,", "a\\b") == ""
