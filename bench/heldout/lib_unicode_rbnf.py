"""unicode-rbnf 2.4.1 (MIT), held out (wave 19): numbers spelled out by the rule-based number
formats of Unicode CLDR. unicode_rbnf/engine.py loads a language's XML rule sets (load_xml: a
rule with no text skipped, a radix's digits read by int()), parses each rule's text into
literal, quotient, remainder, replacement and plural-form parts, and formats a number
(format_number: every public rule set of the purpose, "verbose" ones left out, ValueError
when none is named; spellout-numbering answered, else the rule set of the shortest name;
iter_format_number: a str read as a Decimal, the rule found by bisect among the numeric
rules, quotient and remainder by divmod, an improper fraction's digits one at a time; a
plural form picked by the number's category, "other" when its own is missing, else the
first form). unicode_rbnf/plural_rules.py picks a CLDR plural category (get_plural_category:
the locale's rules, else those of its language before the first _ or -; the operands n, i,
v, w, f, t of a float or int taken from Decimal(str(number)); a range matching whole values
only; != as the negation). unicode_rbnf/decimal_format.py writes a number by a pattern such
as #,##0.00 (format_decimal).

Its suite (tests/: 124 tests) spells numbers in fourteen languages, loads every language,
parses rules, picks plural categories of ints and of Decimals (with "_" locales), and
formats decimals. A line tracer over it found unrun: __main__, the parser's ValueErrors,
the ordinal plural type, a plural form's fallback past "other", the dead index < 0 branch,
find_special_rule's answers of None, an unsupported language, load_xml's language checks and
its skip of a rule with no text, "No rulesets" and "No rules were successful", an unhandled
special rule, a quotient of 0 skipped, a quotient's text around it and a digit's text after
it, fractional_to_int, and plural_rules' unparsable relation. Its tests never give a plural form
without its category or "other", never load a rule with no text, never format a number
given as a str, never ask a plural category of a float, and never name a locale with "-"."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "unicode-rbnf"
ENGINE = "unicode_rbnf/engine.py"
PLURAL = "unicode_rbnf/plural_rules.py"
DECIMAL = "unicode_rbnf/decimal_format.py"
SETUP = ("from unicode_rbnf import RbnfEngine\n"
         "from unicode_rbnf.plural_rules import get_plural_category")
# a language of one rule set whose second rule has no text
XML_SETUP = SETUP + '''
from xml.etree import ElementTree as et
e = RbnfEngine('xx')
root = et.fromstring('<ldml><identity><language type="xx"/></identity><rbnf>'
                     '<rulesetGrouping><ruleset type="spellout-numbering">'
                     '<rbnfrule value="0">zero;</rbnfrule><rbnfrule value="1"/>'
                     '</ruleset></rulesetGrouping></rbnf></ldml>')'''

CONTROLS = {
    "shortest_ruleset_by_min": case(
        ENGINE, "RbnfEngine.format_number", "sorted(...)[0] to min",
        "the rule set of the shortest name taken by min(number_strs, key=len) instead of "
        "the first of sorted(number_strs, key=len): both call len once on each name in the "
        "dict's order and compare the ints it answers, and a stable sort's first is the "
        "first of the shortest, as min answers; the dict is never empty here",
        ('''            default_ruleset = sorted(number_strs, key=len)[0]
''', '''            default_ruleset = min(number_strs, key=len)
''')),
    "dead_index_branch_dropped": case(
        ENGINE, "RbnfRuleSet.find_rule", "unreachable branch removed",
        "the branch setting a negative index to 0 dropped: the index is what bisect_left "
        "answered, never below 0 (its lower bound starts at 0 and only grows), so the "
        "branch never ran; a last index past the rules is still brought back",
        ('''        if index >= num_rules:
            # Last rule
            index = num_rules - 1
        elif index < 0:
            # First rule
            index = 0
''', '''        if index >= num_rules:
            # Last rule
            index = num_rules - 1
''')),
    "relation_negation_by_equality": case(
        PLURAL, "_eval_relation", "conditional expression to equality of bools",
        "the relation's answer written result == (operator == '=') instead of result if "
        "operator == '=' else not result: result is the True or False _in_range_list "
        "returns and the operator the matched '=' or '!=', so both answer result for = "
        "and its negation for !=",
        ('''    return result if operator == "=" else not result
''', '''    return result == (operator == "=")
''')),
    "grouping_by_format": case(
        DECIMAL, "format_decimal", "str.format to format()",
        "the grouped integer digits written by format(int(integer_value), ',') instead of "
        "'{:,}'.format(int(integer_value)): integer_value is a str cut from str.format's "
        "answer, int() of it an exact int, and both call that int's __format__ with ',' "
        "and answer its str",
        ('''        # pylint: disable=consider-using-f-string
        integer_value = "{:,}".format(int(integer_value))
''', '''        integer_value = format(int(integer_value), ",")
''')),
}

CARELESS = {
    "plural_form_fallback_collapsed": case(
        ENGINE, "PluralFormatPart.render", "fallback chain shortened (dict.get default)",
        "the plural form looked up by forms.get(category, forms.get(OTHER, '')) instead of "
        "the category's form, else other's, else the first form given: the same whenever "
        "the category or other is there, as in every rule the suite formats, but a form "
        "list with neither now answers '' where it answered its first form",
        ('''        form: Optional[str] = forms.get(category)
        if form is None:
            # Every CLDR language falls back to "other".
            form = forms.get(OTHER)
''', '''        form: Optional[str] = forms.get(category, forms.get(OTHER, ""))
'''),
        probe=Probe("from unicode_rbnf.engine import PluralFormatPart",
                    "PluralFormatPart(function_name='cardinal,one{x}').render(5, 'en')",
                    "'x'", "''")),
    "empty_rule_not_skipped": case(
        ENGINE, "RbnfEngine.load_xml", "guard dropped (rule with no text)",
        "a rule element with no text passed on to add_rule instead of skipped: every rule "
        "of the shipped languages has text, but a rule set with an empty rule now fails to "
        "load, its None text iterated by the parser (TypeError)",
        ('''                if not rule_elem.text:
                    continue

''', ''),
        probe=Probe(XML_SETUP, "(e.load_xml(root), e.format_number(0).text)[1]", "'zero'",
                    "raises TypeError")),
    "str_number_as_float": case(
        ENGINE, "RbnfEngine.iter_format_number", "conversion changed (Decimal to float)",
        "a number given as a str read by float() instead of Decimal(): the same for a "
        "short one, but past 2 ** 53 the float rounds it: '9007199254740993' is spelled "
        "ending in ninety-two where it ended in ninety-three",
        ('''            number = Decimal(number)
''', '''            number = float(number)
'''),
        probe=Probe(SETUP + "\nen = RbnfEngine.for_language('en')",
                    "en.format_number('9007199254740993').text.split()[-1]",
                    "'ninety-three'", "'ninety-two'")),
    "operands_from_float": case(
        PLURAL, "_operands", "conversion dropped (str() before Decimal)",
        "a float's operands taken from Decimal(number), its exact binary value, instead of "
        "Decimal(str(number)), its shortest decimal: the same for ints and Decimals, all "
        "the suite asks about, but 1.1's visible fraction is now fifty-one digits long: "
        "Latvian's category of 1.1 turns from one to other",
        ('''        decimal_number = Decimal(str(number))
''', '''        decimal_number = Decimal(number)
'''),
        probe=Probe(SETUP, "get_plural_category('lv', 1.1)", "'one'", "'other'")),
    "locale_split_on_underscore": case(
        PLURAL, "get_plural_category", "separator narrowed ([_-] to _)",
        "a locale with no rules of its own cut to its language at the first '_' alone "
        "instead of the first '_' or '-': the suite's pt_PT and en_IN fall back as before, "
        "but en-US finds no rules and answers other for 1, where it answered one",
        ('''        base = re.split(r"[_-]", language)[0]
''', '''        base = language.split("_")[0]
'''),
        probe=Probe(SETUP, "get_plural_category('en-US', 1)", "'one'", "'other'")),
}
