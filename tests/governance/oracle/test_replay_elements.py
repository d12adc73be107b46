"""An XML element's neighbours (governance.oracle.replay_elements): the same document with
one element changed as real documents vary (its text gone, its first attribute gone, the
element gone), the tags the code names first, on copies. unicode-rbnf's `load_xml` without
its guard for a rule with no text landed (wave 19): an element had no neighbours."""

from __future__ import annotations

import pickle
from xml.etree import ElementTree

from governance.oracle import replay_runner as rr
from governance.oracle.replay_elements import near_element
from governance.oracle.replay_values import Context

DOCUMENT = """<ldml><identity><language type="en"/></identity>
  <rbnf>
    <ruleset type="spellout">
      <rbnfrule value="0">zero;</rbnfrule>
      <rbnfrule value="1">one;</rbnfrule>
    </ruleset>
  </rbnf>
</ldml>"""


def _rules(root: ElementTree.Element) -> list[tuple[str | None, dict]]:
    return [(r.text, dict(r.attrib)) for r in root.iter("rbnfrule")]


def test_the_codes_tags_change_first_each_on_a_copy() -> None:
    root = ElementTree.fromstring(DOCUMENT)
    before = ElementTree.tostring(root)
    made = near_element(root, Context(["rbnf//ruleset", "rbnfrule", "value"]))
    firsts = [_rules(m) for m in made[:2]]
    # the first rule's text gone, then the last's: a ruleset's text is blanks only
    assert firsts == [[(None, {"value": "0"}), ("one;", {"value": "1"})],
                      [("zero;", {"value": "0"}), (None, {"value": "1"})]]
    assert [("zero;", {}), ("one;", {"value": "1"})] in [_rules(m) for m in made]
    assert [("one;", {"value": "1"})] in [_rules(m) for m in made]  # an element gone
    assert any(m.find("rbnf/ruleset").get("type") is None for m in made)
    assert ElementTree.tostring(root) == before  # the captured document is never changed


def test_an_element_argument_is_varied_in_the_generated_inputs() -> None:
    root = ElementTree.fromstring(DOCUMENT)
    calls = [pickle.dumps(([root], {}), protocol=4)]
    made = [pickle.loads(b)[0] for b in rr.generated(calls, ["rbnfrule"], 4)]
    assert (None, {"value": "0"}) in [_rules(args[0])[0] for args in made if args
                                      and isinstance(args[0], ElementTree.Element)]


def test_a_document_too_large_to_copy_for_each_call_is_not_varied() -> None:
    """Each change copies the whole document, for each captured call: a hostile or huge one
    would spend the run making inputs, so it gets none (as before elements had any)."""
    from governance.oracle import replay_elements
    root = ElementTree.fromstring("<r>" + "<rule>x</rule>" * (replay_elements.MAX_ELEMENTS + 5)
                                  + "</r>")
    assert near_element(root, Context(["rule"])) == []
    small = ElementTree.fromstring("<r>" + "<rule>x</rule>" * 10 + "</r>")
    assert near_element(small, Context(["rule"]))
