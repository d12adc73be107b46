"""The callers a differential check lifts to (governance.proof.callers) and the boundary
values they carry into a caller's text (governance.oracle.replay_values' "within" and
"digits"), placed on several of the caller's captured calls (replay_inputs' spread)."""

from __future__ import annotations

import pickle

from governance.oracle import replay_bounds as rv
from governance.oracle import replay_inputs as ri
from governance.oracle.differential import Target
from governance.proof.behaviour import touched_functions
from governance.proof.boundaries import TRUTH
from governance.proof.callers import callable_from_outside, caller_target, carried_values

TEXT = '''import re

LIMIT = 12


def parse(text, strict=True):
    """A public caller."""
    m = re.match(r"(\\d+):(\\d+) (am|pm)", text)
    return None if m is None else to_minutes(m)


class Reader:
    def read(self, text):
        return parse(text)
'''
REACHED = Target("clock.py", "to_minutes", frozenset({9}), (12, 59, "pm"),
                 (("m", (("digits", 12), ("digits", 13), "PM", "pm")),))


def test_a_caller_carries_the_reached_functions_numbers_and_words() -> None:
    found = caller_target(TEXT, "clock.py", "parse", REACHED)
    assert found is not None and found.constants[:3] == (12, 59, "pm")
    assert [p for p, _ in found.boundaries] == ["text", "strict"]  # self never
    values = found.boundaries[0][1]
    assert {("digits", 12), ("digits", 13), ("digits", 11), ("digits", 59)} <= set(values)
    assert {("within", "pm", "PM"), ("within", "pm", "Pm")} <= set(values)
    assert len(values) == len(set(values))
    method = caller_target(TEXT, "clock.py", "Reader.read", REACHED)
    assert method is not None and [p for p, _ in method.boundaries] == ["text"]


def test_what_cannot_be_called_by_name_is_not_lifted_to() -> None:
    assert not callable_from_outside("outer.<locals>.inner")
    assert not callable_from_outside("<listcomp>")
    assert caller_target(TEXT, "clock.py", "missing", REACHED) is None
    assert carried_values(Target("f.py", "f", frozenset(), ())) == []


def test_a_word_inside_a_text_is_written_in_its_other_cases() -> None:
    assert rv.applied(["within", "pm", "PM"], "9:30 pm") == "9:30 PM"
    assert rv.applied(["within", "pm", "pm"], "9:30 pm") is rv.SKIP  # already so
    assert rv.applied(["within", "pm", "PM"], "9:30") is rv.SKIP
    assert rv.applied(["within", "pm", "PM"], 930) is rv.SKIP


def test_a_carried_value_goes_on_several_captured_calls() -> None:
    """Which of a caller's calls reach the comparison is not known: a spread of them."""
    calls = [pickle.dumps(([t], {}), protocol=4)
             for t in ("1/2/2011 12:45 pm", "2011-12-01", "12:15 pm", "3:00 am")]

    def parse(text):
        return text
    boundaries = [{"param": "text", "values": [["digits", 13]]}]
    def texts(spread: int) -> list[object]:
        made = [pickle.loads(b)[0] for b in ri.generated(calls, [], 50, boundaries, parse,
                                                         spread)]
        return [args[0] if args else None for args in made]
    assert texts(1)[:1] == ["1/2/2011 13:45 pm"]  # the first nearest only
    assert texts(1)[1:2] != ["2011-13-01"]
    assert texts(3)[:3] == ["1/2/2011 13:45 pm", "2011-13-01", "13:15 pm"]


HANDLER = '''
class Handler:
    def __init__(self, strip_whitespace=True, comment_key="#"):
        self.strip_whitespace = strip_whitespace
        self.comment_key = comment_key

    def comments(self, data):
        if self.strip_whitespace:
            data = data.strip()
        return data


def parse(text, process_comments=False, **kwargs):
    handler = Handler(**kwargs)
    return handler.comments(text) if process_comments else text


def quiet(text, **kwargs):
    return Handler().comments(text)
'''


def test_a_keyword_forwarded_to_the_object_built_carries_its_attributes_values() -> None:
    """`parse(text, **kwargs)` builds the handler whose `strip_whitespace` the reached
    method tests: the caller is given that keyword, no call of it passed, by name."""
    [reached], _ = touched_functions(HANDLER, HANDLER.replace(
        "        if self.strip_whitespace:\n            data = data.strip()\n",
        "        data = data.strip()\n"), "h.py")
    found = caller_target(HANDLER, "h.py", "parse", reached)
    assert found is not None and found.boundaries[-1] == ("strip_whitespace", TRUTH)
    assert "comment_key" not in dict(found.boundaries)  # the method never tests it
    quiet = caller_target(HANDLER, "h.py", "quiet", reached)  # builds it without kwargs
    assert quiet is not None and "strip_whitespace" not in dict(quiet.boundaries)


def test_a_truth_test_carries_a_text_with_each_pair_taken_out() -> None:
    """`if attrs and ...` in the reached function: an element left with fewer attributes
    (only its namespace declarations) is tried at the caller."""
    reached = Target("x.py", "start", frozenset({1}), (), (("attrs", TRUTH),))
    assert [v for v in carried_values(reached) if isinstance(v, tuple)] == [
        ("unpaired", i) for i in range(6)]
    assert ("unpaired", 0) not in carried_values(REACHED)
    text = '<root xmlns="u" version="1.0">'
    assert rv.applied(["unpaired", 1], text) == '<root xmlns="u">'
    assert rv.applied(["unpaired", 2], text) is rv.SKIP
