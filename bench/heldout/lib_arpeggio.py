"""arpeggio 2.0.3 (MIT), held out (wave 17): a PEG packrat parser (arpeggio/__init__.py: the
parsing expressions, the parse tree, visitors and the parsers; peg.py and cleanpeg.py, the
grammars in PEG notation; export.py, dot files). A position is turned into a line and column
by bisection among the newline positions (a newline belongs to the line it ends); an error's
context shows up to ten characters either side of its position, the start clamped at 0; a
visitor keeps every child result but None (0 and '' among them); ignore_case compares
lower-cased text; ws=None means the default whitespace; parse_file reads UTF-8 through
codecs.open, which translates no newline. Its suite (arpeggio/tests/, its regressions/
among them: 99 tests) parses its examples and many small grammars, in Python and in PEG.
A line tracer over it found the unrun lines of the debug output, the tree_str methods,
parse_file, RegExMatch.compile's removal of a DOTALL or IGNORECASE flag already given,
getASG's error paths and the PEG notation's & and ! predicates; one control (compile's
flag removals) and one careless refactor (parse_file) change only lines no test runs.
Every other case changes lines the suite runs: its tests never check the line and column
of a newline itself, never check a context (an error message's among them) within the first
ten characters of an input longer than ten, never visit a rule whose result is 0 or '', and
never match ignoring case a letter whose lower case and case fold differ."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "arpeggio"
ARPEGGIO = "arpeggio/__init__.py"
SETUP = "from arpeggio import *"
VISITOR_SETUP = '''from arpeggio import *
def number(): return RegExMatch(r'\\d+')
def numbers(): return OneOrMore(number), EOF
class Numbers(PTNodeVisitor):
    def visit_number(self, node, children): return int(node.value)
    def visit_numbers(self, node, children): return list(children)'''
FILE_SETUP = '''import os, tempfile
from arpeggio import *
def words(): return RegExMatch(r'[a-z\\s]+'), EOF
path = os.path.join(tempfile.mkdtemp(), 'input.txt')
with open(path, 'wb') as f:
    f.write(b'ab\\r\\ncd')
p = ParserPython(words)'''

CONTROLS = {
    "linecol_newline_always": case(
        ARPEGGIO, "Parser.pos_to_linecol", "always-true test folded",
        "the column's extra step back for the newline ending the previous line taken "
        "unconditionally, as one subtraction of its position plus one: line_ends holds only "
        "positions where input.index('\\n') found a newline, so the character there is "
        "always in '\\n\\r'",
        ('''            col -= self.line_ends[line - 1]
            if self.input[self.line_ends[line - 1]] in '\\n\\r':
                col -= 1
''', '''            col -= self.line_ends[line - 1] + 1
''')),
    "compile_flag_xor": case(
        ARPEGGIO, "RegExMatch.compile",
        "subtraction of a set bit written as XOR (lines no test runs)",
        "the DOTALL and IGNORECASE flags removed with ^= instead of -=: each branch runs only "
        "when its flag is set (flags & the flag), and clearing a set bit by XOR gives the "
        "same value as subtracting it, any other bit kept; no test gives a flag that "
        "multiline=False or ignore_case=False then removes",
        ('''            flags -= re.DOTALL
''', '''            flags ^= re.DOTALL
'''),
        ('''            flags -= re.IGNORECASE
''', '''            flags ^= re.IGNORECASE
''')),
    "expected_dict_fromkeys": case(
        ARPEGGIO, "NoMatch.eval_attrs", "OrderedDict to dict",
        "the expected rules' names de-duplicated with dict.fromkeys instead of "
        "OrderedDict.fromkeys: a dict keeps insertion order (Python 3.7 on), and the keys "
        "are only joined with ' or ', so the message is the same",
        ('''            what_is_expected = OrderedDict.fromkeys(
''', '''            what_is_expected = dict.fromkeys(
''')),
    "append_result_setdefault": case(
        ARPEGGIO, "SemanticActionResults.append_result", "membership test to setdefault",
        "the list of a rule name's results created with results.setdefault(name, []) "
        "instead of a membership test and an assignment: results is a plain dict, so the "
        "same list is created once and appended to",
        ('''        if name:
            if name not in self.results:
                self.results[name] = []
            self.results[name].append(result)
''', '''        if name:
            self.results.setdefault(name, []).append(result)
''')),
}

CARELESS = {
    "linecol_bisect_right": case(
        ARPEGGIO, "Parser.pos_to_linecol", "off by one (bisect_left to bisect_right)",
        "the line found with bisect_right instead of bisect_left: the same for every "
        "position but a newline's own, which now falls on the next line at column 0; the "
        "suite asks only about positions of other characters, but after parsing 'a\\nb' "
        "position 1 is (2, 0), not (1, 2)",
        ('''        line = bisect.bisect_left(self.line_ends, pos)
''', '''        line = bisect.bisect_right(self.line_ends, pos)
'''),
        probe=Probe(SETUP + "\ndef ab(): return 'a', 'b', EOF\np = ParserPython(ab)",
                    "(p.parse('a\\nb'), p.pos_to_linecol(1))[1]", "(1, 2)", "(2, 0)")),
    "context_start_unclamped": case(
        ARPEGGIO, "Parser.context", "clamp dropped (max(..., 0) removed)",
        "the context's start taken as position - 10 without max(..., 0), as if a slice "
        "clamped a negative start: it wraps to the end of the input instead, so within the "
        "first ten characters of an input longer than ten the text before the position is "
        "lost; the suite reads contexts further in",
        ('''            retval = "{}*{}".format(
                text(self.input[max(position - 10, 0):position]),
''', '''            retval = "{}*{}".format(
                text(self.input[position - 10:position]),
'''),
        probe=Probe(SETUP + "\ndef word(): return RegExMatch(r'[a-p]+'), EOF\n"
                    "p = ParserPython(word)",
                    "(p.parse('abcdefghijklmnop'), p.context(position=3))[1]",
                    "'abc*defghijklm'", "'*defghijklm'")),
    "visit_child_truthy": case(
        ARPEGGIO, "ParseTreeNode.visit", "None check to truthiness",
        "a child's visit result kept if truthy instead of if not None: None still "
        "suppresses a child, as the suite's visitors use it, but a visitor returning 0, '' "
        "or an empty list for a child now loses it: numbers '0 1 2' visit to [1, 2]",
        ('''                if child is not None:
                    children.append_result(node.rule_name, child)
''', '''                if child:
                    children.append_result(node.rule_name, child)
'''),
        probe=Probe(VISITOR_SETUP,
                    "visit_parse_tree(ParserPython(numbers).parse('0 1 2'), Numbers())",
                    "[0, 1, 2]", "[1, 2]")),
    "ignore_case_casefold": case(
        ARPEGGIO, "StrMatch._parse", "lower() to casefold()",
        "a string matched ignoring case by casefold() instead of lower(): the same for the "
        "suite's ASCII keywords, but letters whose case fold differs from their lower case "
        "now match: the long s, U+017F, matches 'S'",
        ('''            match = input_frag.lower() == self.to_match.lower()
''', '''            match = input_frag.casefold() == self.to_match.casefold()
'''),
        probe=Probe(SETUP + "\ndef s(): return StrMatch('S', ignore_case=True), EOF",
                    "type(ParserPython(s).parse('\\u017f')).__name__", "raises NoMatch",
                    "'NonTerminal'")),
    "parse_file_text_mode": case(
        ARPEGGIO, "Parser.parse_file", "codecs.open to open (lines no test runs)",
        "the file read with open(file_name, encoding='utf-8') instead of codecs.open, "
        "taken for its Python 3 spelling: no test parses a file, but a text-mode open "
        "translates newlines, so a CRLF file is parsed with LF line ends and every "
        "position after its first line moves",
        ('''        with codecs.open(file_name, 'r', 'utf-8') as f:
''', '''        with open(file_name, encoding='utf-8') as f:
'''),
        probe=Probe(FILE_SETUP, "(p.parse_file(path), p.input)[1]", "'ab\\r\\ncd'",
                    "'ab\\ncd'")),
}
