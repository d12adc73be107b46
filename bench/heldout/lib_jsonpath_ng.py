"""jsonpath-ng 1.16.0 (Apache-2.0), held out (wave 26): JSONPath for Python, aiming at RFC 9535
(jsonpath_ng/: jsonpath, the abstract syntax and its find, update and filter; lexer and
parser, over the ply it vendors and tables generated from its grammar; ext/, the extended
parser's filters, arithmetic, sorting and string operators). The lexer keeps the line and
the position of the latest newline, so that each token's col counts from the start of its
line (a parse error says where). Index matches the indices in range of an array (a negative
one from its end); Slice a range of them. The extended parser adds `len`, `keys`, `sorted`
and [/field,\\field] (SortedThis, whose comparison skips a sort field that a member lacks,
or that matches more than one value, or that is equal on both), `str()`, `sub(/re/, repl)`
(no match when the substitution changes nothing) and `split(chars, segment, max)` (no match
when the value cannot be split or has no such segment), arithmetic between values, and
filters [?...] whose comparison operands are literals or singular queries (@ or $ then
names and indices; a name may be spelled null, true or false, which the lexer reads as
literals and the grammar turns back into the names 'null', 'true' and 'false'). str() of a
query writes it back as the parser reads it: inside a filter a relative query starts with
@ (_query_to_str), while `this` is the spelling elsewhere.

Its suite (tests/: 1508 tests and 2 xfails in its tree, its PyInstaller build and its
benchmarks left out) checks the lexer's tokens and errors, the parsers' trees and their str()
round trips (with Hypothesis), find, update and filter with both parsers on many documents,
every index and slice boundary, auto ids, the filters' comparisons (against an independent
evaluator), sorting by one and two fields, the string operators on strings, arithmetic,
the command line and the ply tables. A line tracer over it found unrun: the lexer's
newline rule and its errors inside quotes, the grammar's rule turning true and false back
into names in a singular query, _query_to_str's descendants and arithmetic, SortedThis on a
dict with fields, Len of a value without a length, Split of a value that is not a string,
Sub's answer when nothing changed, and the reprs. Its tests never lex a newline, compare
with $.true or @.false, sort by a field matching several values, split a number, or print a
filter holding arithmetic."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "jsonpath-ng"
JSONPATH = "jsonpath_ng/jsonpath.py"
LEXER = "jsonpath_ng/lexer.py"
EXT_PARSER = "jsonpath_ng/ext/parser.py"
FILTER = "jsonpath_ng/ext/filter.py"
ITERABLE = "jsonpath_ng/ext/iterable.py"
STRING = "jsonpath_ng/ext/string.py"
SETUP = "from jsonpath_ng.ext import parse"

CONTROLS = {
    "descendants_query_by_locals": case(
        FILTER, "_query_to_str", "nested calls extracted to locals",
        "a descendants query inside a filter written from two locals, its left side (with "
        "the same leading flag) and its right side, instead of two calls inside one "
        "f-string: the same calls in the same order and the same '(left..right)' (lines no "
        "test runs)",
        ('''    if isinstance(path, Descendants):
        return (
            f"({_query_to_str(path.left, leading)}..{_query_to_str(path.right, False)})"
        )
''', '''    if isinstance(path, Descendants):
        left = _query_to_str(path.left, leading)
        right = _query_to_str(path.right, False)
        return f"({left}..{right})"
''')),
    "split_parts_once": case(
        STRING, "Split.find", "duplicated call extracted",
        "the value split once into parts, then all of them for the segment '*' or the one "
        "at int(segment) by a conditional expression, instead of the same split written in "
        "each branch of an if: the same call with the same arguments, and every exception "
        "still raised inside the try, so an unsplittable value or a missing segment is no "
        "match as before",
        ('''            if self.segment == "*":
                value = datum.value.split(self.chars, self.max_split)
            else:
                value = datum.value.split(self.chars, self.max_split)[int(self.segment)]
''', '''            parts = datum.value.split(self.chars, self.max_split)
            value = parts if self.segment == "*" else parts[int(self.segment)]
''')),
    "index_length_extracted": case(
        JSONPATH, "Index._find_base", "repeated call extracted to a local",
        "the array's length taken once before the loop and the bounds tested against it, "
        "instead of len(datum.value) three times an index and the array's truthiness: the "
        "value is a list or tuple there (anything else has returned), which the loop does "
        "not change, and an empty one is falsy exactly when its length is 0",
        ('''        for index in self.indices:
            # invalid indices do not crash, return [] instead
            if datum.value and -len(datum.value) <= index < len(datum.value):
''', '''        length = len(datum.value)
        for index in self.indices:
            # invalid indices do not crash, return [] instead
            if length and -length <= index < length:
''')),
    "sort_str_by_join": case(
        ITERABLE, "SortedThis.__str__", "loop to a generator in join",
        "the sort fields written by one join over a generator of the direction's character "
        "and str(field) instead of a loop appending f'{prefix}{field}' to a list: the same "
        "strings (an f-string formats a path with its str()) in the same order",
        ('''        expressions: list[str] = []
        for field, reverse in self.expressions:
            prefix = "\\\\" if reverse else "/"
            expressions.append(f"{prefix}{field}")
        return f"[{', '.join(expressions)}]"
''', '''        return "[" + ", ".join(
            ("\\\\" if reverse else "/") + str(field) for field, reverse in self.expressions
        ) + "]"
''')),
}

CARELESS = {
    "singular_bool_by_str": case(
        EXT_PARSER, "ExtendedJsonPathParser.p_singular_name", "str() for a JSON spelling",
        "a name the lexer read as a boolean turned back into a name by str(p[1]) instead "
        "of '\"true\" if p[1] else \"false\"', the same as for the others: str() spells "
        "Python's booleans 'True' and 'False', so a comparison with $.true or @.false now "
        "reads the members named 'True' and 'False', which JSON does not write, and "
        "finds nothing or the wrong value; the rule for a name in a path (p_fields_bool) "
        "is unchanged and tested, this one is not (a line no test runs)",
        ('''        if isinstance(p[1], bool):
            p[0] = "true" if p[1] else "false"
''', '''        if isinstance(p[1], bool):
            p[0] = str(p[1])
'''),
        probe=Probe(SETUP, "[m.value for m in parse('$.items[?@ == $.true]')"
                    ".find({'true': 1, 'True': 2, 'items': [1, 2]})]", "[1]", "[2]")),
    "split_error_narrowed": case(
        STRING, "Split.find", "exception narrowed",
        "the split's except Exception narrowed to IndexError, the error of a segment out "
        "of range, which is all the suite's strings raise: a value that is not a string "
        "(a number, null, a list) has no split and now raises AttributeError out of find "
        "instead of being no match, so one such member breaks a whole query (a line no "
        "test runs)",
        ('''        except Exception:
            return []
        return [DatumInContext.wrap(value)]
''', '''        except IndexError:
            return []
        return [DatumInContext.wrap(value)]
'''),
        probe=Probe(SETUP, "[m.value for m in parse('a.`split(-, 0, -1)`').find({'a': 5})]",
                    "[]", "raises AttributeError")),
    "sort_ambiguous_field_compared": case(
        ITERABLE, "SortedThis._compare", "guard dropped as redundant",
        "the tests that a sort field matches one value on each side dropped, the first "
        "match being the one compared anyway: the suite's sort fields match one value or "
        "none, but a field matching several (a list's [*], a union) is no longer skipped "
        "(leaving the members in their order) and sorts by whichever value comes first",
        ('''                not l_datum
                or not r_datum
                or len(l_datum) > 1
                or len(r_datum) > 1
                or l_datum[0].value == r_datum[0].value
''', '''                not l_datum
                or not r_datum
                or l_datum[0].value == r_datum[0].value
'''),
        probe=Probe(SETUP, "[m.value for m in parse('objects[/a[*]]')"
                    ".find({'objects': [{'a': [3, 1]}, {'a': [2, 0]}]})]",
                    "[[{'a': [3, 1]}, {'a': [2, 0]}]]", "[[{'a': [2, 0]}, {'a': [3, 1]}]]")),
    "filter_arithmetic_by_str": case(
        FILTER, "_query_to_str", "special case dropped as redundant",
        "the branch writing an arithmetic operation inside a filter dropped, str(path) "
        "(its fallback) writing an Operation as 'left op right' already: but str() writes "
        "the current node as `this`, not the @ that RFC 9535 starts a filter's query "
        "with, so a filter holding arithmetic is printed in the library's own spelling "
        "where it was printed as written (lines no test runs)",
        ('''    if isinstance(path, Operation):
        left = _query_to_str(path.left)
        right = _query_to_str(path.right)
        return f"{left} {path.op_symbol} {right}"
''', ''),
        probe=Probe(SETUP, "str(parse('$[?@.a + 1 == 2]'))", "'$[?@.a + 1 == 2]'",
                    "'$[?`this`.a + 1 == 2]'")),
    "newline_column_not_reset": case(
        LEXER, "JsonPathLexer.t_newline", "state update dropped",
        "the newline rule counting the line but no longer recording where it started, "
        "latest_newline taken for the error messages' business alone: tokenize sets each "
        "token's col from it too, so every token after a newline, and every parse error "
        "there, now has its column counted from the start of the query, not of its line "
        "(lines no test runs)",
        ('''        t.lexer.lineno += 1
        t.lexer.latest_newline = t.lexpos
''', '''        t.lexer.lineno += 1
'''),
        probe=Probe("from jsonpath_ng.lexer import JsonPathLexer",
                    "[(t.lineno, t.col) for t in JsonPathLexer().tokenize('a\\n bb')]",
                    "[(1, 0), (2, 2)]", "[(1, 0), (2, 3)]")),
}
