"""Two careless refactors of code that reads tables and documents, each answering as its
base on every call its tests make, refused now with a counterexample in the real jail
(wave 19's landings, on small code of this file's own; its third, a truth test made a test
for None, is tests/governance/proof/test_conversions.py's):

- two tables tried in the other order, where no table the tests built knew a key both did
  (each table given the keys a call missed: governance.oracle.replay_keys);
- an XML rule with no text no longer skipped (an element's text gone:
  governance.oracle.replay_elements);
- two tables merged in the other order, where no call's tables shared a key (wave 22's
  evalidate: each table given the keys of the other tables its call reaches,
  governance.oracle.replay_keys.crossed_inputs);
- a sized value tested before a mapping, where every mapping the tests passed was a dict
  (wave 24's multiset: each dict given as a mapping that is no dict,
  governance.oracle.replay_standins.MappingLike)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

SCHEMA = '''class Schema:
    def __init__(self, letters, before=None, after=None, endings=None):
        self.letters = dict(letters)
        self.before, self.after = dict(before or {}), dict(after or {})
        self.endings = dict(endings or {})

    def _ending(self, word):
        return self.endings.get(word[-2:]) if len(word) > 2 else None

    def word(self, word):
        ending = self._ending(word)
        if ending:
            return "".join(self.letter(word, i) for i in range(len(word) - 2)) + ending
        return "".join(self.letter(word, i) for i in range(len(word)))

    def letter(self, word, i):
        prev, curr = word[i - 1] if i else "", word[i]
        next_ = word[i + 1] if i + 1 < len(word) else ""
        found = self.before.get(prev + curr)
        if found is None:
            found = self.after.get(curr + next_)
        if found is None:
            found = self.letters.get(curr, curr)
        return found
'''
SCHEMA_TESTS = '''from tables.schema import Schema

S = Schema({"a": "A", "b": "B"}, before={"xa": "Z"}, after={"bq": "W"},
           endings={"ab": "ER"})


def test_words():
    assert S.word("ba") == "BA"
    assert S.word("xab") == "xER"
    assert S.word("bqa") == "WqA"
    assert S.word("xa") == "xZ"
'''
RULES = '''def load(engine, root):
    for ruleset in root.findall("rbnf/ruleset"):
        for rule in ruleset.findall("rule"):
            if not rule.text:
                continue
            engine.setdefault(ruleset.attrib["type"], []).append(
                (int(rule.attrib["value"]), rule.text.strip(";")))
    return engine
'''
RULES_TESTS = '''from xml.etree import ElementTree

from tables.rules import load

DOC = """<ldml><rbnf><ruleset type="spellout">
<rule value="0">zero;</rule><rule value="1">one;</rule></ruleset></rbnf></ldml>"""


def test_load():
    assert load({}, ElementTree.fromstring(DOC)) == {"spellout": [(0, "zero"), (1, "one")]}
'''
SCOPE = '''class Model:
    def __init__(self, imported=None):
        self.imported = dict(imported or {})


class Expr:
    def __init__(self, name, model):
        self.name, self.model = name, model

    def value(self, names):
        scope = {**self.model.imported, **names}
        return scope[self.name]
'''
SCOPE_TESTS = '''from tables.scope import Expr, Model

M = Model({"double": 2})


def test_values():
    assert Expr("double", M).value({"x": 1}) == 2
    assert Expr("x", M).value({"x": 1}) == 1
    assert Expr("x", Model()).value({"x": 3}) == 3
'''
COUNTS = '''from collections.abc import Mapping, Sized


def counts(items):
    out = {}
    if isinstance(items, dict):
        out.update(items)
    elif isinstance(items, Mapping):
        for key in items:
            out[key] = items[key]
    elif isinstance(items, Sized):
        for key in items:
            out[key] = out.get(key, 0) + 1
    return out
'''
COUNTS_TESTS = '''from tables.counts import counts


def test_counts():
    assert counts("aab") == {"a": 2, "b": 1}
    assert counts({"a": 3}) == {"a": 3}
    assert counts(["x"]) == {"x": 1}
'''
CASES = {
    "tables tried in the other order": (
        "tables/schema.py", SCHEMA,
        ("""        found = self.before.get(prev + curr)
        if found is None:
            found = self.after.get(curr + next_)
""", """        found = self.after.get(curr + next_)
        if found is None:
            found = self.before.get(prev + curr)
"""), SCHEMA_TESTS),
    "rule with no text no longer skipped": (
        "tables/rules.py", RULES, ("            if not rule.text:\n                continue\n", ""),
        RULES_TESTS),
    "tables merged in the other order": (
        "tables/scope.py", SCOPE, ("{**self.model.imported, **names}",
                                   "{**names, **self.model.imported}"), SCOPE_TESTS),
    "sized tested before mapping": (
        "tables/counts.py", COUNTS, ("""    elif isinstance(items, Mapping):
        for key in items:
            out[key] = items[key]
    elif isinstance(items, Sized):
        for key in items:
            out[key] = out.get(key, 0) + 1
""", """    elif isinstance(items, Sized):
        for key in items:
            out[key] = out.get(key, 0) + 1
    elif isinstance(items, Mapping):
        for key in items:
            out[key] = items[key]
"""), COUNTS_TESTS),
}


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize("careless", sorted(CASES))
async def test_each_is_refused_with_a_counterexample(tmp_path: Path, careless: str):
    module, base, change, tests = CASES[careless]
    assert change[0] in base
    done = await judged(tmp_path, module, base, base.replace(*change),
                        {"tables/__init__.py": "", "tests/test_tables.py": tests})
    assert done.problems == [] and done.ran.passed  # the suite cannot see it
    assert any(c.counterexamples for c in done.report.checks), done.report.payload()
