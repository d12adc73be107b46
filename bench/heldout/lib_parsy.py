"""parsy 2.2 (MIT), held out (wave 21): parser combinators for text, in one module
(parsy/__init__.py). A Parser wraps a function of a stream (str, bytes or a list of tokens) and
an index answering a Result (success: the next index and a value; failure: the furthest index
and what was expected, aggregate keeping the furthest failure's, a None other ignored).
string() compares a slice (through an optional transform), regex() matches a compiled
expression at the index (exp.match(stream, index), so ^ and lookbehinds see the whole
stream) and answers match.group(*group), a str or int group made a one-tuple; test_item takes
one item (a one-byte slice of bytes); times(min, max), many, at_most, optional, until and
sep_by(sep, min, max) repeat a parser (sep_by as one item, then sep >> item times(min - 1,
max - 1)); seq, alt, combine and combine_dict (its None keys and _-prefixed str keys dropped)
build results; from_enum tries an Enum's values longest first; ParseError's message names the
expected items, sorted, and the line and column of the index (the index alone for a stream
that is not a str).

Its suite (tests/ and examples/*.py, which its pytest.ini collects: 86 tests, two skipped,
the package's test_item the examples import) checks each primitive and combinator on short
strings, byte strings and token lists, error messages and indices, times, until and sep_by with
and without bounds, from_enum with str and int values, forward declarations, and the examples'
JSON, SQL SELECT, arithmetic and Logo parsers. A line tracer over it found no line of the
package unrun, so no control can change only lines no test runs. Its tests never give regex a
list of groups, an expression with a lookbehind or an anchor at a later index, from_enum values
one of which is a prefix of another, combine_dict an empty key, or sep_by input with one item
more than its max."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "parsy"
PARSY = "parsy/__init__.py"
SETUP = "from parsy import digit, from_enum, regex, seq, string"

CONTROLS = {
    "aggregate_by_none_test": case(
        PARSY, "Result.aggregate", "truthiness to a test for None",
        "a missing other told by other is None instead of not other: other is None or a "
        "Result, a dataclass with neither __bool__ nor __len__, so every Result is true and "
        "the same results are answered",
        ('''        if not other:
            return self
''', '''        if other is None:
            return self
''')),
    "item_by_conditional": case(
        PARSY, "test_item", "if/else statement to a conditional expression",
        "the item taken by one conditional expression, a one-item slice of bytes and a "
        "subscript of anything else, instead of an if/else statement assigning the same two "
        "expressions",
        ('''            if isinstance(stream, bytes):
                # Subscripting bytes with `[index]` instead of
                # `[index:index + 1]` returns an int
                item = stream[index : index + 1]
            else:
                item = stream[index]
''', '''            # subscripting bytes with `[index]` returns an int, so a one-byte slice is taken
            item = stream[index : index + 1] if isinstance(stream, bytes) else stream[index]
''')),
    "message_by_helper": case(
        PARSY, "ParseError.__str__", "branches extracted into a helper",
        "what was expected written by a module helper, _expected_text(expected_list), and one "
        "f-string instead of two f-strings in an if/else: the helper answers the one item "
        "alone, or 'one of ' and the items joined by ', ', so the message is the same text, "
        "line_info() still called once",
        ('''class ParseError(RuntimeError):
''', '''def _expected_text(expected_list):
    # what a parse error says was expected: one item, or the sorted list of them
    if len(expected_list) == 1:
        return expected_list[0]
    return f"one of {', '.join(expected_list)}"


class ParseError(RuntimeError):
'''), ('''        if len(expected_list) == 1:
            return f"expected {expected_list[0]} at {self.line_info()}"
        else:
            return f"expected one of {', '.join(expected_list)} at {self.line_info()}"
''', '''        return f"expected {_expected_text(expected_list)} at {self.line_info()}"
''')),
    "optional_by_at_most": case(
        PARSY, "Parser.optional", "call to the method it is",
        "zero or one match taken by self.at_most(1) instead of self.times(0, 1): at_most(n) "
        "is times(0, n), so the same parser is built and mapped the same way",
        ('''        return self.times(0, 1).map(lambda v: v[0] if v else default)
''', '''        return self.at_most(1).map(lambda v: v[0] if v else default)
''')),
}

CARELESS = {
    "group_tuple_only": case(
        PARSY, "regex", "isinstance of the scalars to not isinstance of the container",
        "a group made a one-tuple unless it is a tuple instead of when it is a str or an int: "
        "the same for the suite's int, str and tuple groups, but a list of groups, which "
        "match.group(*group) took as it takes a tuple, is now passed as one group, IndexError "
        "('no such group')",
        ('''    if isinstance(group, (str, int)):
        group = (group,)
''', '''    if not isinstance(group, tuple):
        group = (group,)
'''),
        probe=Probe(SETUP, "regex(r'(\\d+)-(\\d+)', group=[1, 2]).parse('10-20')",
                    "('10', '20')", "raises IndexError")),
    "regex_on_slice": case(
        PARSY, "regex", "position argument to a slice",
        "the expression matched against stream[index:] and its end offset by the index, "
        "instead of exp.match(stream, index): the same match for the suite's expressions, but "
        "a lookbehind (or ^, or \\b) now sees the slice's start, not the text before it: "
        "(?<=a)b after an 'a' no longer matches",
        ('''        match = exp.match(stream, index)
        if match:
            return Result.success(match.end(), match.group(*group))
''', '''        match = exp.match(stream[index:])
        if match:
            return Result.success(index + match.end(), match.group(*group))
'''),
        probe=Probe(SETUP, "(string('a') >> regex(r'(?<=a)b')).parse('ab')", "'b'",
                    "raises ParseError")),
    "enum_values_unsorted": case(
        PARSY, "from_enum", "sort removed",
        "an Enum's values tried in its own order instead of longest first: the same for the "
        "suite's cat and dog, 1 and 2, but a value that is a prefix of a later one now wins: "
        "'<' matches the start of '<=', which then fails at its end",
        ('''    items = sorted(
        ((str(enum_item.value), enum_item) for enum_item in enum_cls), key=lambda t: len'''
         '''(t[0]), reverse=True
    )
''', '''    items = [(str(enum_item.value), enum_item) for enum_item in enum_cls]
'''),
        probe=Probe(SETUP + "\nimport enum\nclass Op(enum.Enum):\n    LT = '<'\n    LE = '<='",
                    "from_enum(Op).parse('<=')", "<Op.LE: '<='>", "raises ParseError")),
    "combine_dict_key_truthiness": case(
        PARSY, "Parser.combine_dict", "test for None to truthiness",
        "a key kept when it is truthy instead of when it is not None: the same for the "
        "suite's None and '_whitespace' keys, but an empty key, which a dict takes, is now "
        "dropped too",
        ("if k is not None and not (isinstance(k, str)", "if k and not (isinstance(k, str)"),
        probe=Probe(SETUP, "seq(string('a').tag(''), string('b').tag('x'))"
                    ".combine_dict(dict).parse('ab')", "{'': 'a', 'x': 'b'}", "{'x': 'b'}")),
    "sep_by_max_off_by_one": case(
        PARSY, "Parser.sep_by", "bound off by one",
        "the items after the first repeated up to max times instead of max - 1: the suite "
        "checks that max items parse, never that max + 1 fail, and 1,2,3 now parses with "
        "max=2",
        ('''        res = self.times(1) + (sep >> self).times(min - 1, max - 1)
''', '''        res = self.times(1) + (sep >> self).times(min - 1, max)
'''),
        probe=Probe(SETUP, "digit.sep_by(string(','), max=2).parse('1,2,3')",
                    "raises ParseError", "['1', '2', '3']")),
}
