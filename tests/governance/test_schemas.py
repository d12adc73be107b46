"""Model output parsing: broken JSON gets a clear error, never a crash."""

from __future__ import annotations

import json

import pytest

from governance.errors import CandidateParseError
from governance.schemas import SignalEnvelope, parse_candidate, parse_plan


def test_single_multi_and_noop_candidates():
    single = parse_candidate(json.dumps({"file_path": "a.py", "full_content": "x = 1\n"}))
    assert [c.file_path for c in single.changes()] == ["a.py"]
    multi = parse_candidate("Here you go:\n```json\n" + json.dumps({"files": [
        {"file_path": "a.py", "full_content": ""},
        {"file_path": "b.py", "action": "delete"}]}) + "\n```\n")
    assert [(c.file_path, c.action) for c in multi.changes()] == [("a.py", "write"),
                                                                 ("b.py", "delete")]
    assert parse_candidate('{"no_op": true, "rationale": "fine"}').changes() == []


@pytest.mark.parametrize("text,fragment", [
    ("", "no JSON object found"),
    ("I think we should refactor", "no JSON object found"),
    ('{"file_path": "a.py", "full_content": ', "invalid JSON"),
    ('{"file_path": "a.py"}', "needs full_content"),
    ('{"file_path": "a.py", "full_content": "x", "no_op": true}', "exactly one of"),
    ('{"files": []}', "at least one file"),
    ('{"files": [{"file_path": "a.py", "action": "delete", "full_content": "x"}]}',
     "takes no full_content"),
    ('{"files": [{"file_path": "a", "full_content": ""}, {"file_path": "a", '
     '"full_content": ""}]}', "same path twice"),
    ('{"file_path": "a.py", "full_content": "x", "shell": "rm -rf /"}', "Extra inputs"),
    ("[1, 2, 3]", "candidate.1"),
    ('{"schema": "candidate.9", "no_op": true}', "candidate.1"),
])
def test_unusable_candidates_are_rejected_with_a_reason(text, fragment):
    with pytest.raises(CandidateParseError) as err:
        parse_candidate(text)
    assert fragment in str(err.value)


def test_plan_parses_and_rejects():
    plan = parse_plan('{"schema": "plan.1", "approach": "do it", "complexity": "moderate"}')
    assert plan.complexity == "moderate"
    with pytest.raises(CandidateParseError, match=r"plan\.1"):
        parse_plan('{"approach": "x", "complexity": "galaxy-brain"}')


@pytest.mark.parametrize("bad", ["/etc/passwd", "a\\b", "", "x\x00y"])
def test_envelope_target_paths_must_be_relative(bad):
    with pytest.raises(ValueError):
        SignalEnvelope(source="s", target_files=(bad,), goal="g", dedup_key="k", session_id="s")


@pytest.mark.parametrize("parse", [parse_candidate, parse_plan])
def test_json_nested_past_the_recursion_limit_is_an_unusable_reply(parse):
    with pytest.raises(CandidateParseError, match="nested too deeply"):
        parse("[" * 200_000 + "]" * 200_000)
