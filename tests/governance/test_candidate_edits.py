"""Edits, not whole files (governance.candidate_edits): a reply's exact search/replace edits
become the whole files everything after GENERATE judges, or a clear refusal."""

from __future__ import annotations

import json

import pytest

from governance import edit_tokens
from governance.candidate_edits import (
    EditRefused,
    Refusal,
    copied_view,
    form_for,
    live_base,
    stated,
)
from governance.errors import CandidateParseError
from governance.schemas import CANDIDATE_JSON_SCHEMA
from tests.helpers import OPS_FIXED, OPS_PY


def _reply(path: str, *edits: tuple[str, str], **extra: object) -> str:
    return json.dumps({"schema": "candidate.1", "file_path": path, "rationale": "fix",
                       "edits": [{"search": s, "replace": r} for s, r in edits], **extra})


def _files(*files: dict) -> str:
    return json.dumps({"schema": "candidate.1", "files": list(files), "rationale": "r"})


def _base(**texts: str | None):
    return lambda rel: texts.get(rel.replace("/", "_").replace(".", "_"))


def test_an_edit_becomes_the_whole_file():
    c = stated(_reply("calc/ops.py", ("    return x\n", "    return max(lo, min(x, hi))\n")),
               _base(calc_ops_py=OPS_PY))
    assert c.file_path == "calc/ops.py" and c.full_content == OPS_FIXED
    assert c.rationale == "fix" and c.files is None


def test_several_edits_and_files_apply_together_and_whole_files_pass_through():
    text = "a = 1\nb = 2\nc = 3\n"
    c = stated(_files({"file_path": "m.py", "edits": [{"search": "a = 1", "replace": "a = 10"},
                                                       {"search": "c = 3\n", "replace": ""}]},
                      {"file_path": "new.py", "full_content": "x = 1\n"},
                      {"file_path": "old.py", "action": "delete"}),
               _base(m_py=text, new_py=None, old_py="y\n"))
    files = {f.file_path: f for f in c.changes()}
    assert files["m.py"].full_content == "a = 10\nb = 2\n"
    assert files["new.py"].full_content == "x = 1\n"
    assert files["old.py"].action == "delete" and files["old.py"].full_content is None


def test_a_search_that_matches_nothing_is_refused_naming_the_closest_line():
    with pytest.raises(EditRefused) as exc:
        stated(_reply("calc/ops.py", ("    return  x\n", "    return 0\n")),
               _base(calc_ops_py=OPS_PY))
    assert exc.value.kind is Refusal.NO_MATCH and exc.value.file_path == "calc/ops.py"
    assert "matches nothing" in str(exc.value)
    assert "closest line, 9, is '    return x'" in str(exc.value)


BUMP = ('class Version:\n    def bump_major(self):\n        return type(self)(self.major + 1)\n\n'
        '    def bump_prerelease(self, token: str = "rc") -> "Version":\n'
        '        cls = type(self)\n'
        '        pre = cls._increment(self._pre or (token or "rc") + ".0")\n'
        '        return cls(self.major, pre)\n')


def test_a_search_of_several_lines_that_matches_nothing_is_told_the_files_own_lines():
    # Qwen2.5-Coder-1.5B wrote the file's double quotes as single ones and dropped the
    # indentation: the next turn is shown the real lines, verbatim, to copy
    # (and, here, a method name it invented: the same code copied otherwise would match)
    wrong = ("def bump_prerelease(self, token: str = 'rc') -> 'Version':\n"
             "    cls = type(self)\n    pre = cls._incr(self._pre or (token or 'rc') + '.0')")
    with pytest.raises(EditRefused) as exc:
        stated(_reply("v.py", (wrong, "x = 1\n")), _base(v_py=BUMP))
    told = str(exc.value)
    assert exc.value.kind is Refusal.NO_MATCH
    assert "the closest lines, 5-7, are, as the file has them:\n" + "".join(
        BUMP.splitlines(keepends=True)[4:7]) + ")" in told
    # copied from what it was told, the edit applies
    real = "".join(BUMP.splitlines(keepends=True)[4:7])
    fixed = stated(_reply("v.py", (real, real.replace('(token or "rc")', '"rc"'))),
                   _base(v_py=BUMP))
    assert fixed.full_content == BUMP.replace('(token or "rc")', '"rc"')


def test_a_search_that_is_the_same_python_code_copied_otherwise_applies_there():
    """What Qwen2.5-Coder-1.5B wrote (docs/eval.md): the file's double quotes as single
    ones, a trailing space lost, a call the file wraps over three lines written on one,
    a method's lines from column 0. The same tokens at one place are that place; the
    replace moves to the file's indentation."""
    text = ('def bump(v):\n    parts = v.split(".")  \n    return join(parts[0],\n'
            '                parts[1],\n                "0")\n')
    c = stated(_reply("v.py", ("parts = v.split('.')\n", "parts = v.split('.', 2)\n"),
                      ('return join(parts[0], parts[1], "0")',
                       'return join(parts[0], str(int(parts[1]) + 1), "0")')),
               _base(v_py=text))
    assert c.full_content == ("def bump(v):\n    parts = v.split('.', 2)\n    return join("
                              'parts[0], str(int(parts[1]) + 1), "0")\n')
    unindented = ("def bump_prerelease(self, token: str = 'rc') -> 'Version':\n"
                  "    cls = type(self)\n")
    c = stated(_reply("v.py", (unindented, unindented + "    cls.check()\n")),
               _base(v_py=BUMP))
    assert "        cls = type(self)\n        cls.check()\n        pre = " in c.full_content


def test_adjacent_string_literals_are_one_literal_to_the_match():
    """semver's compare raises with a message the file splits over two f-strings; Qwen
    wrote it as one, on one line with its `raise`: the same literal to the compiler."""
    text = ('    def compare(self, other):\n        if not isinstance(other, cls):\n'
            '            raise TypeError(\n                f"Expected {cls.__name__} '
            'instance, "\n                f"but got {type(other)}"\n            )\n'
            '        return 0\n')
    search = ('        if not isinstance(other, cls): raise TypeError(f"Expected '
              '{cls.__name__} instance, but got {type(other)}")\n')
    c = stated(_reply("v.py", (search, "        if other is None:\n            return 1\n")),
               _base(v_py=text))
    assert c.full_content == ("    def compare(self, other):\n        if other is None:\n"
                              "            return 1\n        return 0\n")
    with pytest.raises(EditRefused):  # the message's words changed: not the same literal
        stated(_reply("v.py", (search.replace("but got", "got"), "x = 1\n")),
               _base(v_py=text))


def test_the_same_code_copied_otherwise_is_no_match_where_a_token_differs_or_it_is_twice():
    text = 'a = f("x", 1)\nb = f("x", 1)\nc = f("y", 1.0)\n'
    with pytest.raises(EditRefused) as twice:
        stated(_reply("m.py", ("f('x', 1)", "g()")), _base(m_py=text))
    assert twice.value.kind is Refusal.MANY_MATCHES and "(lines 1, 2)" in str(twice.value)
    for other in ("c = f('y', 1)", "c = f('y',1.0)  # why", "c = g('y', 1.0)"):
        with pytest.raises(EditRefused) as none:  # a value, a comment, a name: not the code
            stated(_reply("m.py", (other, "c = 0")), _base(m_py=text))
        assert none.value.kind is Refusal.NO_MATCH, other
    with pytest.raises(EditRefused):  # not Python: its characters only
        stated(_reply("m.txt", ("c = f('y', 1.0)", "c = 0")), _base(m_txt=text))
    big = text + "#" * edit_tokens.MAX_TEXT_CHARS + "\n"
    with pytest.raises(EditRefused):  # past the lexing bound: its characters only
        stated(_reply("m.py", ("c = f('y',1.0)", "c = 0")), _base(m_py=big))
    with pytest.raises(EditRefused):  # a replace not at the search's indentation: unmoved
        stated(_reply("v.py", ("  cls = type(self)\n  pre = 1\n", "x = 1\n")),
               _base(v_py=BUMP.replace("        pre = cls", "        pre = 1\n        p = cls")))


def test_a_search_like_nothing_in_the_file_names_no_closest_text():
    with pytest.raises(EditRefused) as exc:
        stated(_reply("v.py", ("import zlib\nzlib.crc32(b'')\n", "")), _base(v_py=BUMP))
    assert "matches nothing in the file;" in str(exc.value) and "closest" not in str(exc.value)


def test_a_search_that_matches_twice_is_refused_naming_the_lines():
    with pytest.raises(EditRefused) as exc:
        stated(_reply("calc/ops.py", ("return", "yield")), _base(calc_ops_py=OPS_PY))
    assert exc.value.kind is Refusal.MANY_MATCHES
    assert "matches 2 places (lines 5, 9)" in str(exc.value)


def test_overlapping_matches_of_one_search_count_as_two():
    with pytest.raises(EditRefused) as exc:
        stated(_reply("f.txt", ("aa", "b")), _base(f_txt="aaa\n"))
    assert exc.value.kind is Refusal.MANY_MATCHES


def test_two_edits_whose_search_texts_overlap_are_refused():
    text = "one\ntwo\nthree\n"
    with pytest.raises(EditRefused) as exc:
        stated(_reply("f.txt", ("one\ntwo\n", "1\n2\n"), ("two\nthree\n", "2\n3\n")),
               _base(f_txt=text))
    assert exc.value.kind is Refusal.OVERLAP and "edits 1 and 2 overlap" in str(exc.value)


def test_edits_of_a_missing_file_are_refused():
    with pytest.raises(EditRefused) as exc:
        stated(_reply("nope.py", ("a", "b")), _base())
    assert exc.value.kind is Refusal.NO_FILE


@pytest.mark.parametrize("content", [
    "--- src/p.py (lines 1-137 of 793 shown; read_file reads the rest)\nimport os\n",
    "import os\n\n... (your changes here) ...\n",
    "import os\n# ... rest of file unchanged\n",
    "def f():\n    # ... existing code ...\n    return 1\n",
])
def test_a_copy_of_a_shortened_view_or_a_placeholder_is_refused_as_what_it_is(content):
    with pytest.raises(EditRefused) as exc:
        stated(json.dumps({"file_path": "src/p.py", "full_content": content}),
               _base(src_p_py="import os\n" * 800))
    assert exc.value.kind is Refusal.TRUNCATED_COPY
    assert "give edits" in str(exc.value)


def test_a_placeholder_the_file_already_had_or_an_ordinary_ellipsis_is_kept():
    old = "def f():\n    ...  # rest of file unchanged\n"
    assert copied_view(old + "x = 1\n", old) is None
    assert copied_view("def f():\n    ...\n\nprint('...')\n", None) is None
    assert copied_view("---\ntitle: a yaml file\n", None) is None


def test_a_crlf_file_is_matched_and_written_with_crlf():
    text = "a = 1\r\nb = 2\r\n"
    c = stated(_reply("f.py", ("b = 2\n", "b = 3\nc = 4\n")), _base(f_py=text))
    assert c.full_content == "a = 1\r\nb = 3\r\nc = 4\r\n"


def test_trailing_newline_behaviour():
    # a search ending in a newline matches a last line without one; the file keeps none
    c = stated(_reply("f.py", ("b = 2\n", "b = 3\n")), _base(f_py="a = 1\nb = 2"))
    assert c.full_content == "a = 1\nb = 3"
    # a replace keeps the newline its search had
    c = stated(_reply("f.py", ("a = 1\n", "a = 9")), _base(f_py="a = 1\nb = 2\n"))
    assert c.full_content == "a = 9\nb = 2\n"
    # an edit that deletes lines leaves no stray newline
    c = stated(_reply("f.py", ("a = 1\n", "")), _base(f_py="a = 1\nb = 2\n"))
    assert c.full_content == "b = 2\n"


def test_no_op_and_malformed_replies():
    assert stated('{"no_op": true, "rationale": "fine"}', _base()).no_op
    for bad in ('{"file_path": "f", "edits": []}',
                '{"file_path": "f", "edits": [{"search": "", "replace": "x"}]}',
                '{"file_path": "f", "full_content": "x", "edits": [{"search": "a", '
                '"replace": "b"}]}',
                '{"edits": [{"search": "a", "replace": "b"}], "no_op": true}'):
        with pytest.raises(CandidateParseError) as exc:
            stated(bad, _base(f="a\n"))
        assert not isinstance(exc.value, EditRefused)


def test_the_live_base_reads_files_and_never_follows_a_symlink(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "a.py")
    read = live_base(tmp_path)
    assert read("a.py") == "x = 1\n" and read("./a.py") == "x = 1\n"
    assert read("missing.py") is None
    with pytest.raises(EditRefused):
        stated(_reply("link.py", ("x = 1", "x = 2")), read)
    with pytest.raises(EditRefused):
        stated(_reply("../etc/passwd", ("root", "x")), read)


def test_a_path_written_from_the_root_is_read_as_the_repository_file_it_names(tmp_path):
    """Qwen2.5-Coder-1.5B wrote '/src/semver/version.py' and '/home/user/repo/src/...' for
    the repository's file op after op: the longest tail of its components that is a file
    here is that file; a new file, a delete, a symlink or a file outside stay as written,
    for the path gates to refuse."""
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "m.py").write_text("x = 1\n")
    (tmp_path / "m.py").write_text("top = 1\n")
    (tmp_path / "src" / "pkg" / "link.py").symlink_to(tmp_path / "m.py")
    read = live_base(tmp_path)
    for written in ("/src/pkg/m.py", "/home/user/repo/src/pkg/m.py", "//src/./pkg/m.py"):
        c = stated(_reply(written, ("x = 1", "x = 2")), read)
        assert (c.file_path, c.full_content) == ("src/pkg/m.py", "x = 2\n"), written
    assert stated(_reply("/m.py", ("top = 1", "top = 2")), read).file_path == "m.py"
    # a bare name is no tail of a longer path: a new '/app/m.py' never overwrites the top m.py
    new_elsewhere = json.dumps({"schema": "candidate.1", "file_path": "/app/m.py",
                                "full_content": "mine = 1\n", "rationale": "r"})
    assert stated(new_elsewhere, read).file_path == "/app/m.py"
    whole = json.dumps({"schema": "candidate.1", "file_path": "/src/pkg/m.py",
                        "full_content": "x = 3\n", "rationale": "r"})
    assert stated(whole, read).file_path == "src/pkg/m.py"
    # never guessed: a new file, a delete, a symlink, a file that is not here
    new = json.dumps({"schema": "candidate.1", "file_path": "/src/pkg/new.py",
                      "full_content": "y = 1\n", "rationale": "r"})
    assert stated(new, read).file_path == "/src/pkg/new.py"
    gone = _files({"file_path": "/src/pkg/m.py", "action": "delete"})
    assert stated(gone, read).changes()[0].file_path == "/src/pkg/m.py"
    for written in ("/src/pkg/link.py", "/etc/passwd", "/"):
        with pytest.raises(EditRefused) as exc:
            stated(_reply(written, ("x = 1", "x = 2")), read)
        assert exc.value.kind is Refusal.NO_FILE, written


def test_the_form_asked_fits_the_file_and_the_brain():
    assert form_for(None, 1024) == "whole"
    assert form_for("x = 1\n" * 20, 1024) == "whole"
    assert form_for("x = 1\n" * 700, 1024) == "edits"
    assert form_for("x = 1\n" * 100, 200) == "edits"  # a brain with a short reply cap
    assert form_for("x = 1\n" * 20, 1024, shortened=True) == "edits"


def test_the_reply_schema_a_grammar_decodes_under_allows_edits():
    shapes = CANDIDATE_JSON_SCHEMA["anyOf"]
    assert any("edits" in s["properties"] for s in shapes)
    items = next(s for s in shapes if "files" in s["properties"])["properties"]["files"]
    assert any("edits" in s["properties"] for s in items["items"]["anyOf"])


FIX_EDIT = ("    return x\n", "    return max(lo, min(x, hi))\n")


@pytest.mark.parametrize("reply", [
    {"file": "calc/ops.py", "search": FIX_EDIT[0], "replace": FIX_EDIT[1]},
    {"path": "calc/ops.py", "edits": [{"old": FIX_EDIT[0], "new": FIX_EDIT[1]}]},
    {"schema": "candidate.1", "files": [{"filename": "calc/ops.py", "find": FIX_EDIT[0],
                                         "replacement": FIX_EDIT[1]}]},
    {"file_path": "calc/ops.py", "content": OPS_FIXED},
])
def test_the_field_names_small_models_write_are_read_as_the_contracts(reply: dict):
    """Qwen2.5-Coder-1.5B answered sqlparse's b72a8ff42f53 with a `file` key (issue 50):
    the same structure under the names models give it is the same change, judged alike."""
    [change] = stated(json.dumps(reply), _base(calc_ops_py=OPS_PY)).changes()
    assert change.file_path == "calc/ops.py" and change.full_content == OPS_FIXED


@pytest.mark.parametrize("reply", [
    {"file": "calc/ops.py", "search": FIX_EDIT[0], "replace": FIX_EDIT[1], "line": 3},
    {"file": "calc/ops.py", "file_path": "calc/ops.py", "content": OPS_FIXED},
    {"file": "calc/ops.py", "search": FIX_EDIT[0]},  # half an edit: no change stated
])
def test_a_key_outside_the_contract_and_its_names_is_still_refused(reply: dict):
    with pytest.raises(CandidateParseError):
        stated(json.dumps(reply), _base(calc_ops_py=OPS_PY))
