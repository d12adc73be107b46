"""gast 0.7.0 (BSD-3-Clause), held out (wave 34): one abstract syntax tree over Python's versions
(gast/: gast, the node classes, built by _make_node from a table of names, fields and
attributes, parse, literal_eval, get_docstring, copy_location, fix_missing_locations,
increment_lineno and dump; ast3, the translators between ast's tree and gast's for Python 3,
with per-version visitors; astn, the generic translator; unparser, _Unparser, a copy of
CPython 3.10's ast unparser adjusted for gast's tree). literal_eval turns a gast node back
into an ast node before ast.literal_eval, and passes a string through. get_docstring refuses a
node that cannot have one (TypeError), answers None unless the body opens with an expression
statement whose value is a str Constant, and cleans its text with inspect.cleandoc unless
clean is false. increment_lineno adds n to each node's lineno and end_lineno, a missing or
None one counted as 0. dump writes a node's fields (keywords unless annotate_fields is false,
empty lists and None fields left out unless show_empty), on one line, or pretty-printed when
indent is not None (an int indent is that many spaces, 0 included); a node with at most three
simple fields stays on one line. _Unparser._write_constant writes a float's or a complex's
infinities as 1e309 and its nans as (1e309-1e309).

Its suite (tests/: 59 tests, unittest) parses and compiles gast's own modules and unparses
them unchecked, compares gast's dumps of thirty constructs with the expected text
(show_empty), checks literal_eval on a string and a tree, parse, unparse of two functions and
a sum (the standard library's ast.py unparsed without comparing it, below Python 3.12), the
two dumps, walk, iter_fields, increment_lineno of a lineno of 1, get_source_segment,
get_docstring of a one-line string in a function, an async function, a module and a class and
of a module opening with a number, copy_location, fix_missing_locations and the node
constructors. A line tracer over it found every line of gast.py run but get_docstring's
refusal of a node that has no docstring field and its None for a body that does not open with
an expression, dump's pretty-printing (indent), its positional fields, its fields missing or
None by their class, and its attributes; of the unparser all but its interactive mode, some
statements and expressions (global, del, await, yield from, a bare raise, async with and
async for, an annotated assignment, a set), type parameters, template strings and the match
statement; of ast3.py every visitor of Python 3.11 but GAstToAst3's async function, and none
of the other versions'. Its tests never clean a docstring of more than one line, increment a
lineno of None, dump with an indent, nor unparse an infinite complex literal."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "gast"
GAST = "gast/gast.py"
UNPARSER = "gast/unparser.py"

CONTROLS = {
    "literal_eval_by_early_return": case(
        GAST, "literal_eval", "reassignment to early return",
        "the gast node converted and handed to ast.literal_eval in its own return instead of "
        "reassigning the argument and falling through to the one return: the same call on the "
        "same converted tree, and a string or anything else handed on as it came",
        ('''    if isinstance(node_or_string, AST):
        node_or_string = gast_to_ast(node_or_string)
    return _ast.literal_eval(node_or_string)
''', '''    if isinstance(node_or_string, AST):
        return _ast.literal_eval(gast_to_ast(node_or_string))
    return _ast.literal_eval(node_or_string)
''')),
    "docstring_by_guard_clause": case(
        GAST, "get_docstring", "if-else to guard clause",
        "the text taken after a guard clause that returns None unless the value is a str "
        "Constant, instead of an if-else that takes the text in one branch and returns None in "
        "the other: the same test, negated, and the same two outcomes",
        ('''    if isinstance(node, Constant) and isinstance(node.value, str):
        text = node.value
    else:
        return None
''', '''    if not (isinstance(node, Constant) and isinstance(node.value, str)):
        return None
    text = node.value
''')),
    "module_written_or_empty": case(
        UNPARSER, "_Unparser.visit_ImportFrom", "conditional write to or-default",
        "the module written as node.module or '' instead of only when it is true: a relative "
        "import without a module now writes an empty string, which joins to nothing, so the "
        "source is the same text",
        ('''        if node.module:
            self.write(node.module)
''', '''        self.write(node.module or "")
''')),
    "nan_replaced_before_inf": case(
        UNPARSER, "_Unparser._write_constant", "independent replacements reordered",
        "the nans replaced before the infinities instead of after: neither replacement's text "
        "holds the other's pattern ('(1e309-1e309)' has no 'inf', '1e309' no 'nan') and neither "
        "pattern can be made across a replacement's edge, so the repr comes out the same",
        ('''                repr(value)
                .replace("inf", _INFSTR)
                .replace("nan", "({0}-{0})".format(_INFSTR))
''', '''                repr(value)
                .replace("nan", "({0}-{0})".format(_INFSTR))
                .replace("inf", _INFSTR)
''')),
}

CARELESS = {
    "docstring_stripped": case(
        GAST, "get_docstring", "inspect.cleandoc to str.strip",
        "the docstring cleaned by text.strip() instead of inspect.cleandoc(text), dropping an "
        "import inside the function: the same for the one-line docstrings the tests read, but "
        "cleandoc also removes the common indentation of the lines after the first, which "
        "strip() leaves in place",
        ('''    if clean:
        import inspect
        text = inspect.cleandoc(text)
''', '''    if clean:
        text = text.strip()
'''),
        probe=Probe("import gast", "gast.get_docstring(gast.parse('\"\"\"a\\n    b\"\"\"'))",
                    "'a\\nb'", "'a\\n    b'")),
    "lineno_default_trusted": case(
        GAST, "increment_lineno", "redundant-looking or dropped",
        "the line number incremented from getattr(child, 'lineno', 0) + n, the or 0 dropped as "
        "redundant beside getattr's default: the same for a node without a lineno and for an "
        "int one, but a lineno of None (set on a node by hand, or copied from one that had "
        "none) was counted as 0 and now raises TypeError",
        ('''            child.lineno = (getattr(child, 'lineno', 0) or 0) + n
''', '''            child.lineno = getattr(child, 'lineno', 0) + n
'''),
        probe=Probe("import gast\nc = gast.Constant(value=1, kind=None)\nc.lineno = None",
                    "gast.increment_lineno(c).lineno", "1", "raises TypeError")),
    "indent_tested_by_truth": case(
        GAST, "dump", "is not None to truth test",
        "the int indent turned into spaces when indent is true instead of when it is not None: "
        "the same for None and for a positive width, but an indent of 0, which asks for "
        "pretty-printing without indentation, stays the int 0 and the pretty-printer's "
        "'\\n' + indent * level now raises TypeError",
        ('''    if indent is not None and not isinstance(indent, str):
''', '''    if indent and not isinstance(indent, str):
'''),
        probe=Probe("import gast", "gast.dump(gast.parse('x', mode='eval'), indent=0).count('\\n')",
                    "5", "raises TypeError")),
    "short_node_below_three_fields": case(
        GAST, "dump", "boundary tightened",
        "a node of simple fields kept on one line when it has fewer than three of them "
        "(len(args) < 3) instead of at most three: on one line (indent None) both forms print "
        "the same text, so every dump the tests compare is unchanged, but pretty-printed a "
        "node of exactly three simple fields, as an empty slice, is now broken over lines",
        ('''            if allsimple and len(args) <= 3:
''', '''            if allsimple and len(args) < 3:
'''),
        probe=Probe("import gast",
                    "gast.dump(gast.parse('x[:]', mode='eval').body.slice, indent=2).count('\\n')",
                    "0", "3")),
    "complex_infinities_unsubstituted": case(
        UNPARSER, "_Unparser._write_constant", "isinstance narrowed",
        "the infinities and nans substituted in floats alone (isinstance(value, float)) "
        "instead of in floats and complexes: the same for every float and for the finite "
        "complexes the tests unparse, but an overflowing imaginary literal, an infinite "
        "complex in the tree, is now written 'infj', a name, not a number",
        ('''        if isinstance(value, (float, complex)):
''', '''        if isinstance(value, float):
'''),
        probe=Probe("import gast", "gast.unparse(gast.parse('1e309j'))", "'1e309j'",
                    "'infj'")),
}
