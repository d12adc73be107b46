"""A repair that removes a table's row waits for review (governance.proof.removed_rows):
Qwen2.5-Coder-1.5B's first sqlparse fix to land rewrote the `'MATCH'` keyword row as the
missing `'MATERIALIZED'` one (stop 74); every test passed, the row's mutants were killed,
and MATCH was no longer a keyword. The same repair adding the row is proven."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.oracle import Report
from governance.oracle.oracle_run import Sessions
from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof.mutation_run import check_mutants
from governance.proof.removed_rows import removed_rows
from governance.proof.rules import Claim, FileText, Intent, assess
from tests.helpers import PYTEST, commit_files

ROWS = "".join(f"    'K{i:02d}': 'keyword',\n" for i in range(20))
OLD = ("KEYWORDS = {\n    'MATCH': 'keyword',\n    'VIEW': 'keyword',\n" + ROWS + "}\n\n\n"
       "def kind(word):\n    return KEYWORDS.get(word.upper(), 'name')\n")
RENAMED = OLD.replace("    'MATCH': 'keyword',\n", "    'MATERIALIZED': 'keyword',\n")
ADDED = OLD.replace("    'MATCH': 'keyword',\n",
                    "    'MATCH': 'keyword',\n    'MATERIALIZED': 'keyword',\n")
TEST = ("from sqlp.keywords import kind\n\n\ndef test_materialized():\n"
        "    assert kind('materialized') == 'keyword'\n")


@pytest.mark.parametrize("new, removed", [
    (RENAMED, ["sqlp/keywords.py:2 'MATCH' (KEYWORDS)"]),
    (ADDED, []),
    (OLD.replace("'MATCH': 'keyword'", "'MATCH': 'operator'"), []),  # a value changed
    (OLD.replace("    'MATCH': 'keyword',\n", "") + "OTHER = {'MATCH': 'keyword'}\n", []),
    (OLD.replace("KEYWORDS = {", "KEYWORDS = {**BASE,"), []),  # nothing removed
    # the row hidden where no table keeps it: a function's dict, the table made a call
    (RENAMED + "\n\ndef _old():\n    return {'MATCH': 'keyword'}\n",
     ["sqlp/keywords.py:2 'MATCH' (KEYWORDS)"]),
    (OLD.replace("KEYWORDS = {\n    'MATCH': 'keyword',\n", "KEYWORDS = dict({\n")
        .replace("}\n\n\ndef kind", "})\n\n\ndef kind"),
     ["sqlp/keywords.py:2 'MATCH' (KEYWORDS)", "sqlp/keywords.py:3 'VIEW' (KEYWORDS)"]
     + [f"sqlp/keywords.py:{4 + i} 'K{i:02d}' (KEYWORDS)" for i in range(20)]),
])
def test_a_row_the_file_no_longer_holds_is_named(new: str, removed: list[str]) -> None:
    assert removed_rows("sqlp/keywords.py", OLD, new) == removed
    assert removed_rows("sqlp/keywords.py", None, new) == []  # a new file removes nothing


HIDDEN = OLD.replace("    'MATCH': 'keyword',\n", "    'MATCH': 'keyword',\n    'MATCH': 'ddl',\n")


@pytest.mark.parametrize("old, new, hidden", [
    # an AFTER block's insertion of the row it follows, another value (stop 75)
    (OLD, HIDDEN, ["sqlp/keywords.py:2 'MATCH' (KEYWORDS, written twice)"]),
    (OLD, HIDDEN.replace("'MATCH': 'ddl'", "'MATCH': 'keyword'"),  # the same value: hidden
     ["sqlp/keywords.py:2 'MATCH' (KEYWORDS, written twice)"]),
    (HIDDEN, HIDDEN.replace("'VIEW'", "'VIEWS'"), ["sqlp/keywords.py:4 'VIEW' (KEYWORDS)"]),
    (HIDDEN, HIDDEN + "\n", []),  # written twice on the base already: nothing new
    (OLD, OLD + "OTHER = {'MATCH': 1}\n", []),  # another table's key
    (OLD, OLD.replace("'K19': 'keyword',\n", "'K19': 'keyword',\n    1: 'a',\n    True: 'b',\n"),
     ["sqlp/keywords.py:24 1 (KEYWORDS, written twice)"]),  # True is 1 as a dict's key
])
def test_a_row_hidden_by_a_second_row_of_its_key_is_named(old: str, new: str,
                                                           hidden: list[str]) -> None:
    assert removed_rows("sqlp/keywords.py", old, new) == hidden


@pytest.mark.slow
@pytest.mark.parametrize("new", [RENAMED, ADDED])
async def test_a_repair_removing_a_row_waits_and_one_adding_it_is_proven(tmp_path: Path,
                                                                          new: str) -> None:
    tree = commit_files(tmp_path / "repo", {"sqlp/__init__.py": "", "sqlp/keywords.py": new,
                                            "tests/test_k.py": TEST})
    runner = TestRunner(PYTEST, 60)
    scratch = tmp_path / "state"
    ran = await runner.run(tree, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"sqlp/keywords.py"})))
    assert ran.passed, ran.output_tail
    files = [FileText("sqlp/keywords.py", OLD, new)]
    report = await check_mutants(runner, tree, files, [ran.report.coverage], scratch)
    f2p = "tests/test_k.py::test_materialized"
    evidence = assess(Claim(Intent.REPAIR, frozenset({"sqlp/keywords.py"}), None, f2p, 3,
                            False, False),
                      files, Sessions(original=ran.report, mutation=report),
                      Report(finished=True, exitstatus=1, tests={f2p: "failed"}))
    if new is ADDED:
        assert evidence.proven, evidence.reasons
    else:
        assert not evidence.proven
        assert evidence.reasons == ("removes or hides rows of a table, which no test notices (a "
                                    "repair adds or changes what its failing test needs): "
                                    "sqlp/keywords.py:2 'MATCH' (KEYWORDS)",), evidence.reasons
