"""pylatexenc 2.11 (MIT), held out (wave 25): a simple LaTeX parser converting LaTeX to Unicode
text and Unicode to LaTeX (pylatexenc/: latexencode, latexwalker, latex2text, macrospec and
_util). latexencode's UnicodeToLatexEncoder makes its input a str, normalizes it to NFC and
walks it position by position, trying its rules (a dict of code points, regexes, callables)
and protecting a replacement that ends in a named macro with braces; the module-level
unicode_to_latex keeps one encoder for each set of options in a cache; the legacy
utf8tolatex looks each character up in the same table, braces a replacement that starts
with a backslash (lch[0:1], since a replacement may be empty: U+2061 is ''), keeps printable
ASCII and raises, substitutes or keeps an unknown character by its flags. latexwalker parses
LaTeX into nodes, each at a position of the source, and LatexWalker.pos_to_lineno_colno
(_util.LineNumbersCalculator) turns a position into a line number counted from 1 and a
column counted from 0; LatexWalkerParseError shows where it happened, '@(line,col)' when it
has both, '@line' when it has a line alone. macrospec's LatexContextDb keeps its categories
of macros, environments and specials in an ordered list, a new one appended, prepended, or
put before or after a named one. latex2text turns nodes into text.

Its suite (test/: 97 tests) checks the encoder's rules, protections, policies for unknown
characters and string class, and every character of Unicode against a table
(test/uni_chars_test_previous.txt, with the 'fail' policy); utf8tolatex on French text with
and without brackets and on one unknown character; the walker's nodes, their positions and
lengths, and parse errors raised (not their messages); the context database's lookups,
prepend and filters; latex2text's text, math modes, braced groups, fill and input files. A
line tracer over it found unrun: the module-level unicode_to_latex (the suite builds its
encoders itself), utf8tolatex's empty input and its fail_bad_chars error, the
add_context_category branches for insert_before and insert_after, apply_simplify_repl's
numbered arguments for a macro whose replacement has no %s, and apply_text_replacements. Its
tests never give an encoder anything but a str, encode U+2061, read an error's message or
a line or column number, or insert a category after another."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pylatexenc"
ENCODE = "pylatexenc/latexencode/__init__.py"
ENCODER = "pylatexenc/latexencode/_unicode_to_latex_encoder.py"
WALKER = "pylatexenc/latexwalker/__init__.py"
TEXT = "pylatexenc/latex2text/__init__.py"
MACROSPEC = "pylatexenc/macrospec/__init__.py"
UTIL = "pylatexenc/_util.py"

CONTROLS = {
    "encoder_cache_by_get": case(
        ENCODE, "unicode_to_latex", "membership test to dict.get",
        "the cached encoder looked up by _u2l_obj_cache.get(key) and built (and cached) "
        "when that is None, instead of a membership test and an else: the cache holds "
        "encoders alone, never None, so the same encoder is found or built for each set "
        "of options (lines no test runs: the suite builds its encoders itself)",
        ('''    if key in _u2l_obj_cache:
        u = _u2l_obj_cache[key]
    else:
        u = UnicodeToLatexEncoder(non_ascii_only=non_ascii_only,
''', '''    u = _u2l_obj_cache.get(key)
    if u is None:
        u = UnicodeToLatexEncoder(non_ascii_only=non_ascii_only,
''')),
    "macro_test_by_startswith": case(
        ENCODE, "utf8tolatex", "slice comparison to str.startswith",
        "a replacement braced when lch.startswith('\\\\') instead of lch[0:1] == '\\\\': "
        "both are False for an empty replacement and true exactly when its first character "
        "is a backslash",
        ('''                result += (  '{'+lch+'}' if brackets and lch[0:1] == '\\\\' else
''', '''                result += (  '{'+lch+'}' if brackets and lch.startswith('\\\\') else
''')),
    "numbered_args_by_comprehension": case(
        TEXT, "LatexNodes2Text.apply_simplify_repl", "dict() of a generator to a comprehension",
        "a macro's arguments numbered by a dict comprehension over enumerate(..., 1), "
        "str(j), instead of dict() of pairs (str(1+j), val) over enumerate from 0: the same "
        "keys '1', '2'... for the same texts (lines no test runs: no default macro's "
        "replacement names its arguments by number)",
        ('''            else:
                x = dict(
                    (str(1+j),val) for j, val in enumerate(
                        self._groupnodecontents_to_text(nn) for nn in nodeargs
                    )
                )

            try:
''', '''            else:
                x = {
                    str(j): val for j, val in enumerate(
                        (self._groupnodecontents_to_text(nn) for nn in nodeargs), 1
                    )
                }

            try:
''')),
    "line_starts_by_comprehension": case(
        UTIL, "LineNumbersCalculator.__init__", "generator function to a comprehension",
        "each line's start listed by [0] plus a comprehension of i + 1 for each i where "
        "s[i] is a newline, instead of a nested generator finding each newline with "
        "str.find from the last start: the same positions in the same order, a newline at "
        "the very end giving len(s) in both",
        ('''        def find_all_new_lines(x):
            # first line starts at the beginning of the string
            yield 0
            k = 0
            while k < len(x):
                k = x.find('\\n', k)
                if k == -1:
                    return
                k += 1
                # s[k] is the character after the newline, i.e., the 0-th column
                # of the new line
                yield k

        self._pos_new_lines = list(find_all_new_lines(s))
''', '''        # the first line starts at the beginning of the string, each other one
        # after a newline
        self._pos_new_lines = [0] + [i + 1 for i, c in enumerate(s) if c == '\\n']
''')),
}

CARELESS = {
    "bracket_test_indexed": case(
        ENCODE, "utf8tolatex", "slice to index (empty string)",
        "a replacement braced when lch[0] == '\\\\' instead of lch[0:1] == '\\\\', the "
        "slice read as a roundabout index: the same for every replacement the suite meets, "
        "but the table maps U+2061 (FUNCTION APPLICATION) to an empty replacement, whose "
        "first character now raises IndexError instead of being dropped",
        ('''                result += (  '{'+lch+'}' if brackets and lch[0:1] == '\\\\' else
''', '''                result += (  '{'+lch+'}' if brackets and lch[0] == '\\\\' else
'''),
        probe=Probe("from pylatexenc.latexencode import utf8tolatex",
                    "utf8tolatex('f\\u2061x')", "'fx'", "raises IndexError")),
    "column_zero_by_truthiness": case(
        WALKER, "LatexWalkerParseError._fmt_pos", "truthiness for `is not None`",
        "an error's column shown when it is truthy instead of when it is not None: the "
        "same for a column past the first, but column 0, the first of a line (columns are "
        "counted from 0), is now taken for a missing one, and the error reads '@2' "
        "instead of '@(2,0)'",
        ('''            if colno is not None:
''', '''            if colno:
'''),
        probe=Probe("from pylatexenc.latexwalker import LatexWalkerParseError",
                    "str(LatexWalkerParseError('Unexpected', lineno=2, colno=0))",
                    "'Unexpected @(2,0)'", "'Unexpected @2'")),
    "insert_after_off_by_one": case(
        MACROSPEC, "LatexContextDb.add_context_category", "off by one",
        "a category asked for after another inserted at that category's index instead of "
        "its index + 1: the same for the suite's appended and prepended categories, but "
        "insert_after='a' now puts the new category before 'a', and so searched before "
        "it, instead of after it",
        ('''                i = self.category_list.index(insert_after) + 1 '''
         '''# insert after found category
''', '''                i = self.category_list.index(insert_after) '''
         '''# insert after found category
'''),
        probe=Probe("from pylatexenc.macrospec import LatexContextDb\ndb = LatexContextDb()\n"
                    "db.add_context_category('a')\ndb.add_context_category('b')\n"
                    "db.add_context_category('c', insert_after='a')",
                    "db.categories()", "['a', 'c', 'b']", "['c', 'a', 'b']")),
    "encoder_input_uncoerced": case(
        ENCODER, "UnicodeToLatexEncoder.unicode_to_latex", "coercion removed",
        "the input no longer made a str by unicode(s) before it is normalized, the line "
        "taken for a Python 2 relic (unicode is str on Python 3): the same for the suite's "
        "str inputs, but anything else, a number for one, is now handed to "
        "unicodedata.normalize, which raises TypeError, instead of being encoded as its "
        "text",
        ('''        s = unicode(s) # make sure s is unicode
        s = unicodedata.normalize('NFC', s)

        class _NS: pass
''', '''        s = unicodedata.normalize('NFC', s)

        class _NS: pass
'''),
        probe=Probe("from pylatexenc.latexencode import UnicodeToLatexEncoder",
                    "UnicodeToLatexEncoder().unicode_to_latex(3.5)", "'3.5'",
                    "raises TypeError")),
    "column_counted_from_one": case(
        UTIL, "LineNumbersCalculator.pos_to_lineno_colno", "off by one (0-based to 1-based)",
        "the column returned as 1 + its offset in the line as well as the line, as the "
        "comment beside the return says ('so that line and column numbers start at 1'), "
        "not as the docstring does (columns start at zero): the suite never reads a column, "
        "but position 4 of 'ab\\ncd', the 'd', is now (2, 2) instead of (2, 1)",
        ('''        if as_dict:
            return {'lineno': 1 + line_no, 'colno': col_no}
        return (1 + line_no, col_no)
''', '''        if as_dict:
            return {'lineno': 1 + line_no, 'colno': 1 + col_no}
        return (1 + line_no, 1 + col_no)
'''),
        probe=Probe("from pylatexenc.latexwalker import LatexWalker",
                    "LatexWalker('ab\\ncd').pos_to_lineno_colno(4)", "(2, 1)", "(2, 2)")),
}
