"""Where the failing test's words are quoted in the library, in a repair's prompt
(governance.brains.quoted_words): a keyword table's rows no call shows (sqlparse's missing
`MATERIALIZED`, its `DIV` an operator: issue 50's one-line fixes)."""

from __future__ import annotations

from pathlib import Path

from governance.brains.files_shown import read_for_prompt
from governance.brains.library_trees import MAX_PARSED
from governance.brains.prompts import generation_prompt, op_sections
from governance.brains.quoted_words import (
    MAX_WORDS,
    library_quotes,
    package_files,
    quoted,
    words_of,
)
from governance.schemas import OperationContext, SignalEnvelope

KEYWORDS = '''KEYWORDS = {
    'CREATE': tokens.Keyword.DDL,
    'VIEW': tokens.Keyword,
''' + "".join(f"    'K{i:02d}': tokens.Keyword,\n" for i in range(20)) + '''}


def is_create(value):
    if value.upper() == 'CREATE':
        return True
'''
PARSE = "def parse(sql):\n    return sql.split()\n"
TEST = '''import sqlp


def test_materialized():
    p = sqlp.parse('CREATE MATERIALIZED VIEW v')
    assert p[1] == 'keyword', "create materialized view"


def test_other():
    assert sqlp.parse('SELECT') == ['SELECT']
'''


def _repo(root: Path) -> Path:
    for rel, text in {"sqlp/__init__.py": "", "sqlp/parse.py": PARSE,
                      "sqlp/keywords.py": KEYWORDS, "sqlp/tests/test_k.py": "'CREATE': 1\n",
                      "tests/test_p.py": TEST}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_words_are_the_test_functions_literals_in_order_once_in_any_case():
    assert words_of(TEST, "tests/test_p.py::test_materialized") == [
        "CREATE", "MATERIALIZED", "VIEW", "keyword"]
    assert words_of(TEST, "tests/test_p.py::test_other[1-2]") == ["SELECT"]
    assert words_of(TEST, "tests/test_p.py::missing") == []
    assert words_of("def broken(:\n", "t.py::broken") == []
    many = " ".join(f"word{i}" for i in range(40))
    assert len(words_of(f"def test_a():\n    x = '{many}'\n", "t.py::test_a")) == MAX_WORDS


def quoted_section(words: list[str], texts: dict[str, str]) -> str:
    return quoted(words, texts).section()


def test_a_tables_rows_come_first_and_a_word_quoted_nowhere_is_named():
    found = quoted(["CREATE", "MATERIALIZED", "VIEW"],
                   {"sqlp/keywords.py": KEYWORDS, "sqlp/parse.py": PARSE})
    assert found.nowhere == ["MATERIALIZED"] and found.table_files == ["sqlp/keywords.py"]
    section = found.section()
    assert section.splitlines()[3:6] == ["sqlp/keywords.py:2: 'CREATE': tokens.Keyword.DDL,",
                                         "sqlp/keywords.py:28: if value.upper() == 'CREATE':",
                                         "sqlp/keywords.py:3: 'VIEW': tokens.Keyword,"]
    assert "Quoted nowhere in the library: MATERIALIZED." in section
    assert section.endswith("sqlp/keywords.py:23: 'K19': tokens.Keyword,\n"
                            "sqlp/keywords.py:3: 'VIEW': tokens.Keyword,\n```")  # its place
    assert quoted_section(["materialized"], {"sqlp/keywords.py": KEYWORDS}) == ""
    # a dict's key row outside a table (fewer than MIN_TABLE keys) names no table file
    assert quoted(["NAME"], {"sqlp/conf.py": "OPTS = {'NAME': 1}\n"}).table_files == []


def test_the_package_of_the_reached_code_is_searched_without_its_tests_or_links(
        tmp_path: Path):
    root = _repo(tmp_path)
    (tmp_path / "outside.py").write_text("SECRET = {'CREATE': 'hunter2'}\n")
    (root / "sqlp" / "linked.py").symlink_to(tmp_path / "outside.py")
    assert package_files(root, ["sqlp/parse.py", "setup.py"]) == [
        "sqlp/__init__.py", "sqlp/keywords.py", "sqlp/parse.py"]

    def source(rel: str) -> str | None:
        return read_for_prompt(root, rel)[0]
    found = library_quotes({"test_id": "tests/test_p.py::test_materialized"}, source, root,
                           ["sqlp/parse.py"])
    assert found is not None
    assert "'VIEW': tokens.Keyword" in found.section() and "hunter2" not in found.section()
    assert library_quotes({}, source, root, ["sqlp/parse.py"]) is None


def test_a_repairs_prompt_shows_the_section(tmp_path: Path):
    root = _repo(tmp_path)
    ctx = OperationContext(envelope=SignalEnvelope(
        source="test_failure", target_files=("tests/test_p.py", "sqlp/parse.py"),
        goal="Make the failing test tests/test_p.py::test_materialized pass",
        dedup_key="k", session_id="s",
        evidence={"tests": ["tests/test_p.py::test_materialized"],
                  "test_id": "tests/test_p.py::test_materialized",
                  "causes": ["fn:sqlp/parse.py::parse",
                             "test:tests/test_p.py::test_materialized"]}))
    text = "\n\n".join(op_sections(ctx, root))
    assert "## Where the failing test's words are quoted in the library" in text
    assert "sqlp/keywords.py:3: 'VIEW': tokens.Keyword," in text
    # the Output names the table's file beside the reached code, as a place for the change
    output = generation_prompt(ctx, root).rpartition("## Output\n")[2]
    assert ("to the code the failure reached: sqlp/parse.py, or to a row of the table in "
            "sqlp/keywords.py the failing test's words key.") in output
    (root / "sqlp" / "keywords.py").write_text("def is_create(value):\n    return False\n")
    assert "row of the table" not in generation_prompt(ctx, root)  # no table: no such line


def test_a_large_file_is_not_read(tmp_path: Path):
    root = _repo(tmp_path)
    (root / "sqlp" / "big.py").write_text("X = 1\n" * 300_000)  # 1.8 MB
    assert "sqlp/big.py" not in package_files(root, ["sqlp/parse.py"])


def test_a_word_quoted_nowhere_is_placed_between_the_rows_of_the_largest_table_like_it():
    table = "KEYWORDS = {\n" + "".join(f"    '{w}': 1,\n" for w in (
        "ABORT", "CREATE", "DISPATCH", "DO", "DROP", *(f"K{i:02d}" for i in range(20)))) + "}\n"
    small = "SMALL = {'DIVE': 1, 'DIT': 2}\n"
    texts = {"sqlp/keywords.py": table, "sqlp/small.py": small, "sqlp/parse.py": PARSE}
    section = quoted_section(["col1", "DIV"], texts)
    assert section.endswith("```text\nsqlp/keywords.py:4: 'DISPATCH': 1,\n"
                            "sqlp/keywords.py:5: 'DO': 1,\n```")
    assert "Quoted nowhere in the library: col1, DIV." in section
    assert "A row for DIV would go between these rows" in section  # said plainly, stop 74
    assert quoted_section(["col1"], texts) == ""  # no table keyed in lower case
    assert quoted_section(["DIV"], {"sqlp/small.py": small}) == ""  # no table that large
    assert quoted(["col1", "DIV"], texts).table_files == ["sqlp/keywords.py"]
    # a file too long to parse beside the event loop is searched for quotes, not for tables
    padded = {"sqlp/keywords.py": table + "#" * MAX_PARSED, "sqlp/parse.py": PARSE}
    assert quoted(["DIV"], padded).table_files == []


def test_a_hostile_file_too_deep_to_parse_adds_nothing():
    deep = "X = {" + "-" * 200_000 + "1}\n"
    assert quoted_section(["DIV"], {"sqlp/deep.py": deep}) == ""
    assert words_of("def test_a():\n    x = " + "(" * 50_000 + ")" * 50_000 + "\n",
                    "t.py::test_a") == []
