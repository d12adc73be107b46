"""parso 0.8.7 (MIT), held out (wave 28): a Python parser with error recovery and round-trip
parsing for several Python versions (parso/: grammar, Grammar.parse and load_grammar; tree,
the base classes of nodes and leaves; utils, split_lines, python_bytes_to_unicode and the
version strings; python/, the tokenizer, the parser, the tree's Python classes, prefixes, the
error finder and the PEP 8 normalizer; pgen2/, the grammar generator; cache, file_io,
normalizer, parser). python_bytes_to_unicode decodes bytes by a BOM or by a PEP 263
declaration in the first two lines, each ended by a line break (a last line without one is
not read), else by the given encoding. _parse_version takes a major, an optional minor of
one or two digits, an optional micro and pre-release, and refuses anything else with
ValueError. split_lines splits on \\n, \\r\\n and \\r alone (str.splitlines would also split
on form feeds and other separators). A base Leaf's get_start_pos_of_prefix is the previous
leaf's end, or for the first leaf its line less the lines of its prefix (split_lines, so a
lone \\r counts); Python's leaves override it. get_previous_sibling answers None for a first
child; get_next_sibling answers None past the last by catching IndexError.
get_leaf_for_position raises ValueError outside (1, 0) to the last child's end and searches
the children by halves. dump indents by a number of spaces or a string, None for one line.
version_info splits __version__ into ints but a fourth part.

Its suite (test/: 1985 tests in its tree; the whole suite adds its modules' three doctests
and a Latin-1 sample source's case, 1989) parses Python of every supported version, with and
without errors, empty code among it, checks the error finder's messages against Python's
own, the PEP 8 normalizer on sample files, the diff parser on hundreds of edits, the
tokenizer's tokens and f-strings, the cache, positions, prefixes, get_code round trips and
the tree's dump; parses parso's own files for every version. A line tracer over its tree's
suite found unrun, among some 460 lines (error branches of the diff parser, the error finder
and the normalizer, reprs, the pgen2 dumps, the cache's failures):
NodeOrLeaf.get_previous_sibling whole, the base Leaf.get_start_pos_of_prefix whole,
get_leaf_for_position's ValueError, utils.version_info, PythonVersionInfo's comparisons and
_parse_version's NotImplementedError. Its tests decode bytes declaring their encoding only on
a line ended by a line break, parse version strings of minors of one or two digits, and ask
for a leaf only at positions inside the module."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "parso"
UTILS = "parso/utils.py"
TREE = "parso/tree.py"
SETUP = '''import parso
from parso.tree import TypedLeaf
from parso.utils import parse_version_string, python_bytes_to_unicode'''

CONTROLS = {
    "dump_indent_clamped": case(
        TREE, "NodeOrLeaf.dump", "explicit clamp of a repetition count",
        "an int indent turned into spaces by ' ' * max(indent, 0) instead of ' ' * indent: "
        "a string repeated a negative number of times is already empty, as the docstring "
        "says (0 or negative: newlines only), so the clamp changes no indent, True and "
        "False included",
        ('''            indent_string = ' ' * indent
''', '''            indent_string = ' ' * max(indent, 0)
''')),
    "line_breaks_reordered": case(
        UTILS, "split_lines", "regular expression alternatives reordered",
        "the line breaks split on by r'\\r\\n|\\r|\\n' instead of r'\\n|\\r\\n|\\r': at a "
        "\\r followed by \\n both patterns match the two characters (the first's \\n "
        "alternative cannot match at a \\r), and a lone \\r or \\n matches its one "
        "alternative in either order",
        ('''        return re.split(r'\\n|\\r\\n|\\r', string)
''', '''        return re.split(r'\\r\\n|\\r|\\n', string)
''')),
    "version_parts_inverted": case(
        UTILS, "version_info", "conditional expression inverted",
        "each part of the version written int(x) if i != 3 else x instead of x if i == 3 "
        "else int(x): the same two branches under the negated test (lines no test runs)",
        ('''    return Version(*[x if i == 3 else int(x) for i, x in enumerate(tupl)])
''', '''    return Version(*[int(x) if i != 3 else x for i, x in enumerate(tupl)])
''')),
    "midpoint_by_floor_division": case(
        TREE, "BaseNode.get_leaf_for_position", "int of a true division to floor division",
        "the binary search's midpoint as (lower + upper) // 2 instead of int((lower + "
        "upper) / 2): both bounds are child indexes, non-negative and far below 2 ** 53, "
        "where truncating the float and flooring the integer division agree",
        ('''            index = int((lower + upper) / 2)
''', '''            index = (lower + upper) // 2
''')),
}

CARELESS = {
    "previous_sibling_by_index_error": case(
        TREE, "NodeOrLeaf.get_previous_sibling", "guard to exception handler",
        "the child before this one taken as get_next_sibling takes the one after, "
        "catching IndexError, instead of testing i == 0: but the first child's i - 1 is "
        "-1, which indexes the last child without raising, so a first child answers its "
        "last sibling where it answered None (lines no test runs)",
        ('''        for i, child in enumerate(parent.children):
            if child is self:
                if i == 0:
                    return None
                return self.parent.children[i - 1]
''', '''        for i, child in enumerate(parent.children):
            if child is self:
                try:
                    return self.parent.children[i - 1]
                except IndexError:
                    return None
'''),
        probe=Probe(SETUP, "parso.parse('a\\nb\\n').children[0].get_previous_sibling()",
                    "None", "<EndMarker: prefix='' end_pos=(3, 0)>")),
    "minor_digits_unbounded": case(
        UTILS, "_parse_version", "bounded repetition to unbounded",
        "the minor version matched by \\d+ instead of \\d{1,2}, the bound taken for a "
        "detail: a minor of three or more digits ('3.100') no longer raises ValueError and "
        "parses as itself",
        ('''    match = re.match(r'(\\d+)(?:\\.(\\d{1,2})(?:\\.\\d+)?)?((a|b|rc)\\d)?$', version)
''', '''    match = re.match(r'(\\d+)(?:\\.(\\d+)(?:\\.\\d+)?)?((a|b|rc)\\d)?$', version)
'''),
        probe=Probe(SETUP, "parse_version_string('3.100')", "raises ValueError",
                    "PythonVersionInfo(major=3, minor=100)")),
    "coding_lines_by_splitlines": case(
        UTILS, "python_bytes_to_unicode", "regular expression to splitlines",
        "the first two lines searched for the encoding declaration taken as "
        "b'\\n'.join(source.splitlines()[:2]) instead of by a regular expression of two "
        "lines each ended by a line break: the same when both end in one, but a first or "
        "second line that ends the source without a break is now read, and its declaration "
        "decodes the source where the default encoding did",
        ("re.match(br'(?:[^\\r\\n]*(?:\\r\\n|\\r|\\n)){0,2}', source).group(0)",
         "b'\\n'.join(source.splitlines()[:2])"),
        probe=Probe(SETUP, "python_bytes_to_unicode(b'\\xe9 = 1  # coding: latin-1')",
                    "raises UnicodeDecodeError", "'\xe9 = 1  # coding: latin-1'")),
    "prefix_lines_by_count": case(
        TREE, "Leaf.get_start_pos_of_prefix", "split lines to counting newlines",
        "the first leaf's prefix measured by its count of '\\n' instead of the lines "
        "split_lines gives less one: the same for \\n and \\r\\n, but a lone \\r, which "
        "split_lines and the tokenizer take for a line break, is no longer counted (lines "
        "no test runs: Python's leaves override the method, PythonLeaf's, so it answers for "
        "the base classes' leaves, a TypedLeaf built by hand among them)",
        ('''        if previous_leaf is None:
            lines = split_lines(self.prefix)
            # + 1 is needed because split_lines always returns at least [''].
            return self.line - len(lines) + 1, 0  # It's the first leaf.
''', '''        if previous_leaf is None:
            # It's the first leaf: its line less the prefix's line breaks.
            return self.line - self.prefix.count('\\n'), 0
'''),
        probe=Probe(SETUP, "TypedLeaf('name', 'x', (3, 0), '\\r\\r').get_start_pos_of_prefix()",
                    "(1, 0)", "(3, 0)")),
    "position_lower_bound_dropped": case(
        TREE, "BaseNode.get_leaf_for_position", "range check to an upper bound",
        "the position checked only against the last child's end, the lower bound (1, 0) "
        "taken for what every position is: but a line 0 or a negative column, which raised "
        "ValueError, now reaches the binary search, which answers None as for a position "
        "on a prefix (the raise is a line no test runs)",
        ("""        if not ((1, 0) <= position <= self.children[-1].end_pos):
""", """        if position > self.children[-1].end_pos:
"""),
        probe=Probe(SETUP, "parso.parse('x = 1').get_leaf_for_position((1, -1))",
                    "raises ValueError", "None")),
}
