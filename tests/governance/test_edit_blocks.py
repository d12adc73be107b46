"""SEARCH/REPLACE blocks (governance.edit_blocks): read from any reply into the change a
candidate.1 states, applied and refused by candidate_edits' rules; told to code models."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from daemon.brains.providers import constrained
from daemon.config.provider import ProviderSection
from governance.brains.brain_names import form_for_names, reply_form_of
from governance.brains.prompts import (
    HEADS,
    RepairTurn,
    generation_prompt,
    repair_prompt,
    with_tools,
)
from governance.candidate_edits import EditRefused, Refusal, stated
from governance.edit_blocks import ReplyForm
from governance.errors import CandidateParseError
from governance.phases.decide import route_phase
from governance.schemas import OperationContext, SignalEnvelope
from tests.helpers import OPS_FIXED, OPS_PY, make_policy

FIX = ("calc/ops.py\n<<<<<<< SEARCH\n    return x\n=======\n"
       "    return max(lo, min(x, hi))\n>>>>>>> REPLACE\n")


def _base(**texts: str):
    return lambda rel: texts.get(rel.replace("/", "_").replace(".", "_"))


def test_a_block_becomes_the_whole_file_and_the_text_after_it_the_rationale():
    c = stated(FIX + "\nClamp x into [lo, hi] as the test expects.\n",
               _base(calc_ops_py=OPS_PY))
    [change] = c.changes()
    assert change.file_path == "calc/ops.py" and change.full_content == OPS_FIXED
    assert c.rationale == "Clamp x into [lo, hi] as the test expects."


@pytest.mark.parametrize("path_line", ["calc/ops.py", "`calc/ops.py`", "**calc/ops.py**",
                                       "# calc/ops.py", "File: calc/ops.py", "calc/ops.py:",
                                       "calc/ops.py:10-11", "`calc/ops.py:10`"])
def test_the_path_is_read_as_models_write_it_with_a_fence_or_not(path_line):
    body = FIX.split("\n", 1)[1]
    for reply in (f"{path_line}\n{body}", f"{path_line}\n```python\n{body}```\n"):
        assert stated(reply, _base(calc_ops_py=OPS_PY)).changes()[0].full_content == OPS_FIXED


def test_blocks_of_two_files_and_two_blocks_of_one_file():
    two = OPS_PY.replace("return a + b", "return b + a")
    reply = (FIX + "<<<<<<< SEARCH\n    return a + b\n=======\n    return b + a\n"
             ">>>>>>> REPLACE\n\ncalc/new.py\n<<<<<<< SEARCH\n=======\nX = 1\n"
             ">>>>>>> REPLACE\n")
    c = stated(reply, _base(calc_ops_py=OPS_PY))
    got = {f.file_path: f.full_content for f in c.changes()}
    assert got == {"calc/ops.py": two.replace("    return x\n",
                                               "    return max(lo, min(x, hi))\n"),
                   "calc/new.py": "X = 1\n"}


def test_an_empty_search_never_replaces_a_file_that_exists():
    reply = "calc/ops.py\n<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n"
    with pytest.raises(CandidateParseError, match="empty SEARCH writes a new file"):
        stated(reply, _base(calc_ops_py=OPS_PY))


def test_a_block_without_a_path_or_a_search_that_matches_nothing_is_refused_clearly():
    with pytest.raises(CandidateParseError, match="block 1 names no file"):
        stated("Here is the fix:\n" + FIX.split("\n", 1)[1], _base(calc_ops_py=OPS_PY))
    with pytest.raises(EditRefused) as info:
        stated(FIX.replace("    return x\n=", "    return y\n="), _base(calc_ops_py=OPS_PY))
    assert info.value.kind is Refusal.NO_MATCH and "return x" in str(info.value)


def test_a_json_reply_is_read_as_before_and_prose_is_no_candidate():
    reply = json.dumps({"schema": "candidate.1", "file_path": "calc/ops.py",
                        "edits": [{"search": "    return x\n",
                                   "replace": "    return max(lo, min(x, hi))\n"}]})
    assert stated(reply, _base(calc_ops_py=OPS_PY)).changes()[0].full_content == OPS_FIXED
    with pytest.raises(CandidateParseError, match="states no change"):
        stated("I would clamp x.", _base(calc_ops_py=OPS_PY))


def test_code_models_are_told_blocks_unless_a_grammar_writes_their_replies():
    assert form_for_names(["qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"]) is ReplyForm.BLOCKS
    assert form_for_names(["SmolLM2-135M-Instruct", "kernel"]) is ReplyForm.JSON
    assert form_for_names(["replay"]) is ReplyForm.JSON
    coder = SimpleNamespace(name="kernel", engine=SimpleNamespace(name="qwen2.5-coder-1.5b"))
    assert reply_form_of(coder) is ReplyForm.BLOCKS
    coder.constrain, coder.grammars = True, object()
    assert reply_form_of(coder) is ReplyForm.JSON
    wrapped = SimpleNamespace(name="kernel", inner=SimpleNamespace(
        name="llamacpp", config=SimpleNamespace(model="deepseek-coder-6.7b")))
    assert reply_form_of(wrapped) is ReplyForm.BLOCKS


def test_the_in_process_kernel_decodes_a_code_model_without_the_json_grammar():
    qwen = "/m/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert constrained(ProviderSection(model=qwen), "qwen2.5-coder-1.5b-instruct-q4_k_m") \
        is False
    assert constrained(ProviderSection(), "SmolLM2-135M-Instruct") is True
    assert constrained(ProviderSection(model=qwen, constrain=True), "qwen") is True


def _ctx(form: str) -> OperationContext:
    env = SignalEnvelope(source="test_failure", target_files=("calc/ops.py",), goal="fix",
                         dedup_key="k", session_id="s")
    return OperationContext(envelope=env, reply_form=form)


def test_the_prompts_of_an_op_told_blocks_start_with_its_contract(tmp_path: Path):
    (tmp_path / "calc").mkdir()
    (tmp_path / "calc" / "ops.py").write_text(OPS_PY)
    prompt = generation_prompt(_ctx("blocks"), tmp_path)
    assert prompt.startswith(HEADS[ReplyForm.BLOCKS] + "\n\n")
    assert "(SEARCH/REPLACE blocks, in the reply format above)" in prompt
    assert "calc/ops.py: blocks or one block with an empty SEARCH" not in prompt
    assert "calc/ops.py: blocks" in prompt and "candidate.1, in" not in prompt
    turn = RepairTurn(1, 3, "test", "failed", [], ["--- calc/ops.py"], 2, 20)
    repair = repair_prompt(_ctx("blocks"), tmp_path, turn)
    assert repair.startswith(HEADS[ReplyForm.BLOCKS]) and "already: blocks." in repair
    framed = with_tools(prompt, "## Tools\n- read_file(path)")
    assert framed.startswith(HEADS[ReplyForm.BLOCKS] + "\n\n## Tools\n")
    assert generation_prompt(_ctx("json"), tmp_path).startswith(HEADS[ReplyForm.JSON])


def test_route_sets_the_form_the_ops_brain_is_told():
    ctx = _ctx("json")
    coder = SimpleNamespace(name="kernel", engine=SimpleNamespace(name="qwen2.5-coder-1.5b"))
    d = SimpleNamespace(policy=make_policy(), provider=coder)
    t = asyncio.run(route_phase(ctx, d))
    assert ctx.reply_form == "blocks" and t.payload["reply_form"] == "blocks"
    ctx, d.provider = _ctx("json"), SimpleNamespace(name="replay")
    asyncio.run(route_phase(ctx, d))
    assert ctx.reply_form == "json"


def test_a_reply_with_a_malformed_block_beside_whole_ones_is_refused_whole():
    """The 1.5B model's reply in the first hour: one whole block, then blocks opened with
    '======= SEARCH' that would have rewritten the failing test's expectation."""
    reply = FIX + ("\ntests/test_ops.py:\n```python\n======= SEARCH\n    assert clamp(5, 0, 10) "
                   "== 5\n=======\n    assert clamp(5, 0, 10) == 6\n>>>>>>> REPLACE\n```\n")
    with pytest.raises(CandidateParseError, match=r"outside a whole block \(line 10: "
                                                  r"'======= SEARCH'\).*no part of it"):
        stated(reply, _base(calc_ops_py=OPS_PY))
    half = FIX + "\ncalc/ops.py\n<<<<<<< SEARCH\n    return a + b\n"  # cut off
    with pytest.raises(CandidateParseError, match="outside a whole block"):
        stated(half, _base(calc_ops_py=OPS_PY))
    # a divider inside a block's own text is its text (a reST heading, say)
    rest = ("doc.rst\n<<<<<<< SEARCH\nTitle\n=====\n=======\nName\n=====\n"
            ">>>>>>> REPLACE\n")
    assert stated(rest, _base(doc_rst="Title\n=====\nbody\n")).changes()[0].full_content \
        == "Name\n=====\nbody\n"


def test_a_json_object_after_the_blocks_gives_its_rationale():
    reply = FIX + '\n{"schema": "candidate.1", "no_op": false, "rationale": "clamp x"}\n'
    assert stated(reply, _base(calc_ops_py=OPS_PY)).rationale == "clamp x"
    odd = FIX + '{"rationale": 3}'
    assert stated(odd, _base(calc_ops_py=OPS_PY)).rationale == '{"rationale": 3}'


def test_edits_that_change_nothing_are_dropped_and_one_stated_twice_applies_once():
    """A 1.5B model's fix came first, then a block for each failing test's file with the same
    text on both sides and a search its file does not hold: the reply states the fix."""
    same = ("tests/test_ops.py\n<<<<<<< SEARCH\n    assert clamp(5, 0, 3) == 3\n=======\n"
            "    assert clamp(5, 0, 3) == 3\n>>>>>>> REPLACE\n")
    c = stated(FIX + "\n" + same + "\nWhy: clamp.\n",
               _base(calc_ops_py=OPS_PY, tests_test_ops_py="def test():\n    pass\n"))
    assert [(f.file_path, f.full_content) for f in c.changes()] == [("calc/ops.py", OPS_FIXED)]
    twice = FIX + FIX.split("\n", 1)[1]  # the same block again, under the same path
    assert stated(twice, _base(calc_ops_py=OPS_PY)).changes()[0].full_content == OPS_FIXED
    # nothing but such edits is no change stated, and never read as no_op
    with pytest.raises(CandidateParseError, match="changes nothing"):
        stated(same, _base(tests_test_ops_py="x = 1\n"))
    # an edit that changes something is applied exactly: one matching nothing still refuses
    wrong = same.replace("== 3\n>>>>>>>", "== 5\n>>>>>>>")
    with pytest.raises(EditRefused) as info:
        stated(FIX + "\n" + wrong, _base(calc_ops_py=OPS_PY, tests_test_ops_py="x = 1\n"))
    assert info.value.kind is Refusal.NO_MATCH
    # two different edits at one place still overlap
    other = FIX.replace("max(lo, min(x, hi))", "min(hi, max(x, lo))").split("\n", 1)[1]
    with pytest.raises(EditRefused) as info:
        stated(FIX + other, _base(calc_ops_py=OPS_PY))
    assert info.value.kind is Refusal.OVERLAP


def test_the_markers_are_read_in_any_case():
    """Qwen2.5-Coder-1.5B wrote '<<<<<<< search' and '<<<<<<< Search' (stop 63)."""
    for search, replace in (("search", "replace"), ("Search", "Replace")):
        reply = FIX.replace("SEARCH", search).replace("REPLACE", replace)
        assert stated(reply, _base(calc_ops_py=OPS_PY)).changes()[0].full_content == OPS_FIXED


def test_the_contract_shows_no_real_looking_path_to_copy():
    """Shown 'src/pkg/module.py' as the example, the 1.5B model wrote it in 4 of 6 replies
    to a repository whose module is semver.py (stop 63): the example's path is a
    placeholder no repository has."""
    head = HEADS[ReplyForm.BLOCKS]
    assert "<the file's path>\n<<<<<<< SEARCH" in head
    assert not any(w.endswith(".py") for w in head.split())


TABLE = """KEYWORDS = {
    'AS': 'Keyword',
    'DISPATCH': 'Keyword',
    'DO': 'Keyword',
}
"""


def test_lines_copied_from_the_quoted_view_are_read_as_the_files_own():
    """Qwen2.5-Coder-1.5B copied the repair prompt's quoted lines (`path:N: text`, their
    indentation stripped) into SEARCH and REPLACE under the contract's placeholder path
    (sqlparse's b72a8ff42f53, issue 50): the lines' own path names the file, and the
    search matches as the same code, white space aside."""
    reply = ("<the file's path>\n<<<<<<< SEARCH\nlib/kw.py:3: 'DISPATCH': 'Keyword',\n"
             "lib/kw.py:4: 'DO': 'Keyword',\n=======\nlib/kw.py:3: 'DISPATCH': 'Keyword',\n"
             "'DIV': 'Operator',\nlib/kw.py:4: 'DO': 'Keyword',\n>>>>>>> REPLACE\n")
    [change] = stated(reply, _base(lib_kw_py=TABLE)).changes()
    assert change.file_path == "lib/kw.py"
    assert change.full_content == TABLE.replace(
        "    'DO'", "    'DIV': 'Operator',\n    'DO'")


def test_quoted_lines_that_are_not_next_to_each_other_are_refused_clearly():
    reply = ("lib/kw.py\n<<<<<<< SEARCH\nlib/kw.py:2: 'AS': 'Keyword',\n"
             "lib/kw.py:4: 'DO': 'Keyword',\n=======\nlib/kw.py:2: 'AS': 'Keyword',\n"
             "lib/kw.py:4: 'DO': 'Operator',\n>>>>>>> REPLACE\n")
    with pytest.raises(CandidateParseError, match="lines 2, 4 of the prompt's view"):
        stated(reply, _base(lib_kw_py=TABLE))
    other = reply.replace("lib/kw.py:", "lib/missing.py:")  # no such file: read as written
    with pytest.raises(EditRefused):
        stated(other, _base(lib_kw_py=TABLE))


def test_quoted_lines_naming_a_file_outside_or_through_a_symlink_change_nothing(tmp_path: Path):
    """A hostile reply's decoration names a file outside the repository, or one reached
    through a symlink: it is no file of the tree (the live base refuses both), so the block
    names none and the reply is refused; nothing outside is read into a change."""
    from governance.candidate_edits import live_base

    repo, outside = tmp_path / "repo", tmp_path / "secret.py"
    (repo / "lib").mkdir(parents=True)
    (repo / "lib" / "kw.py").write_text(TABLE)
    outside.write_text("KEY = 'x'\n")
    (repo / "lib" / "link.py").symlink_to(outside)
    for name in ("../secret.py", "lib/link.py"):
        reply = (f"<the file's path>\n<<<<<<< SEARCH\n{name}:1: KEY = 'x'\n=======\n"
                 f"{name}:1: KEY = 'y'\n>>>>>>> REPLACE\n")
        with pytest.raises(CandidateParseError):
            stated(reply, live_base(repo))
    assert outside.read_text() == "KEY = 'x'\n"


ROWS = "KEYWORDS = {\n    'MATCH': 1,\n    'MAX': 2,\n}\n"


def test_an_after_block_adds_lines_and_keeps_the_one_they_follow():
    """Begun with a SEARCH of the row a missing row follows, Qwen2.5-Coder-1.5B wrote the
    new row as its REPLACE and dropped sqlparse's `MATCH` (issue 50, stop 74): an AFTER
    block cannot drop its line, whichever closer the model writes."""
    for closer in (">>>>>>> INSERT", ">>>>>>> REPLACE", ">>>>>>> insert"):
        reply = (f"kw.py\n<<<<<<< AFTER\n    'MATCH': 1,\n=======\n"
                 f"    'MATERIALIZED': 3,\n{closer}\n")
        [change] = stated(reply, _base(kw_py=ROWS)).changes()
        assert change.full_content == ROWS.replace(
            "'MATCH': 1,\n", "'MATCH': 1,\n    'MATERIALIZED': 3,\n")
    # its line is matched as a SEARCH is: exactly once, or the edit is refused
    with pytest.raises(EditRefused) as info:
        stated("kw.py\n<<<<<<< AFTER\n    'MATCHES': 1,\n=======\n    'X': 3,\n"
               ">>>>>>> INSERT\n", _base(kw_py=ROWS))
    assert info.value.kind is Refusal.NO_MATCH
    # an AFTER block copying no line says so; it never writes a new file
    with pytest.raises(CandidateParseError, match="AFTER block 1 copies no line"):
        stated("new.py\n<<<<<<< AFTER\n=======\nX = 1\n>>>>>>> INSERT\n", _base())
    # its markers count as a block's: a half one beside a whole block refuses the reply
    half = FIX + "\ncalc/ops.py\n<<<<<<< AFTER\n    return a + b\n"
    with pytest.raises(CandidateParseError, match="outside a whole block"):
        stated(half, _base(calc_ops_py=OPS_PY))
    # nothing added: no change stated
    with pytest.raises(CandidateParseError, match="changes nothing"):
        stated("kw.py\n<<<<<<< AFTER\n    'MATCH': 1,\n=======\n>>>>>>> INSERT\n",
               _base(kw_py=ROWS))
