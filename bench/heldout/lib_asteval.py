"""asteval 1.0.10 (MIT), held out (wave 9): a restricted Python evaluator over the ast module.
Interpreter takes keywords no_<node> and with_<node> that switch a node's handler off or
on by their value, parses a text (refused past max_statement_length characters, clamped to
1 to 1e8) and walks its nodes with on_<node> handlers: 'and'/'or' evaluate their operands
left to right and stop at the first that decides (on_boolop), comparisons chain
(on_compare), a with-block needs __enter__; errors are kept as ExceptionHolders and printed,
or raised with raise_errors. Operators go through astutils' safe functions: ** refuses an
exponent above MAX_EXPONENT (10000; for a NumPy array, its nanmax), * and + refuse a string
longer than MAX_STR_LEN (2 << 17), << a shift above 1000. NumPy is installed here, so its
functions are in the symbol table. Its suite (tests/test_asteval.py) never evaluates an
extended slice (Python 3.9 and later parse none) nor enters a with-block on an object
without __enter__: one control rewrites each. Every careless refactor changes lines the
suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "asteval"
ASTEVAL = "asteval/asteval.py"
ASTUTILS = "asteval/astutils.py"
SETUP = "import asteval\naeval = asteval.Interpreter()"

_WITH_ELSE = '''            else:
                msg = "object does not support the context manager protocol"
                raise TypeError(f"'{type(ctx)}' {msg}")
'''

_IFEXP = '''        expr = node.orelse
        if self.run(node.test):
            expr = node.body
        return self.run(expr)
'''

_GROUP_REPR = '''        keys = [a for a in self.keys() if a != '__name__']
        return f"Group('{self.__name__}', {len(keys)} symbols)"
'''

_BOOLOP_LOOP = '''            for nodeval in node.values[1:]:
                val = op2func(node.op)(val, self.run(nodeval))
                if (is_and and not val) or (not is_and and val):
                    break
'''

_NUMPY_EXPONENT = '''    elif HAS_NUMPY and isinstance(exp, numpy.ndarray):
        if numpy.nanmax(exp) > MAX_EXPONENT:
'''

_ADD_CHECK = ("    if isinstance(arg1, str) and isinstance(arg2, str) and len(arg1) + len(arg2) "
              "> MAX_STR_LEN:\n")

CONTROLS = {
    "with_message_inlined": case(
        ASTEVAL, "Interpreter.on_with", "temporary inlined (lines no test runs)",
        "the TypeError for an object without __enter__ raised with its whole message "
        "written in the f-string (two adjacent literals) instead of through the name msg: "
        "the same text; no test enters a with-block on such an object",
        (_WITH_ELSE, '''            else:
                raise TypeError(f"'{type(ctx)}' object does not support the context "
                                "manager protocol")
''')),
    "extslice_generator": case(
        ASTEVAL, "Interpreter.on_extslice", "list comprehension in tuple() written as a "
        "generator expression (lines no test runs)",
        "the dimensions' values passed to tuple() by a generator expression instead of a "
        "list built first: the same values evaluated in the same order; Python 3.9 and "
        "later parse no ExtSlice node, so no test runs it",
        ("        return tuple([self.run(tnode) for tnode in node.dims])\n",
         "        return tuple(self.run(tnode) for tnode in node.dims)\n")),
    "ifexp_conditional_expression": case(
        ASTEVAL, "Interpreter.on_ifexp", "if statement written as a conditional expression",
        "the branch to run chosen by a conditional expression on the test's value instead "
        "of a name set to the else branch and replaced by the body when the test holds: "
        "the test evaluated once, then one branch",
        (_IFEXP, "        return self.run(node.body if self.run(node.test) else node.orelse)\n")),
    "group_repr_count": case(
        ASTUTILS, "Group.__repr__", "list built only to be counted written as a sum",
        "the symbols other than __name__ counted with sum() over a generator instead of "
        "building a list of them and taking its length: the same count (Group keeps dict's "
        "own iteration and keys)",
        (_GROUP_REPR, '''        count = sum(1 for a in self if a != '__name__')
        return f"Group('{self.__name__}', {count} symbols)"
''')),
}

CARELESS = {
    "string_sum_limit_inclusive": case(
        ASTUTILS, "safe_add", "boundary moved",
        "the joined strings' length refused from MAX_STR_LEN on ('>=') instead of past it: "
        "the suite's sum is one character over the limit, still refused, but two strings "
        "adding up to exactly 2 << 17 characters, which '*' may make, are now refused too",
        (_ADD_CHECK, _ADD_CHECK.replace("> MAX_STR_LEN", ">= MAX_STR_LEN")),
        probe=Probe(SETUP, "aeval(\"len('*' * (1 << 17) + '*' * (1 << 17))\", raise_errors=True)",
                    "262144", "raises RuntimeError")),
    "statement_length_limit_inclusive": case(
        ASTEVAL, "Interpreter.parse", "boundary moved",
        "a text refused from max_statement_length characters on ('>=') instead of past it: "
        "the suite's long text is twice the limit, but a text of exactly the limit's "
        "length is now refused",
        ("        if len(text) > self.max_statement_length:\n",
         "        if len(text) >= self.max_statement_length:\n"),
        probe=Probe("import asteval",
                    "asteval.Interpreter(max_statement_length=3)('1+2', raise_errors=True)",
                    "3", "raises RuntimeError")),
    "boolop_keeps_evaluating": case(
        ASTEVAL, "Interpreter.on_boolop", "early exit dropped",
        "the loop's break dropped, since op2func's 'a and b' already keeps a deciding "
        "value: the value is the same, but every later operand is now evaluated, so "
        "'1 and 0 and 1/0' raises ZeroDivisionError where it gave 0",
        (_BOOLOP_LOOP, '''            for nodeval in node.values[1:]:
                val = op2func(node.op)(val, self.run(nodeval))
'''),
        probe=Probe(SETUP, "aeval('1 and 0 and 1/0', raise_errors=True)", "0",
                    "raises ZeroDivisionError")),
    "array_exponent_max_not_nanmax": case(
        ASTUTILS, "safe_pow", "NaN-ignoring reduction replaced",
        "an array exponent's largest value taken with exp.max() instead of numpy.nanmax: "
        "the same for the suite's finite exponents, but a NaN among them makes the maximum "
        "NaN, which compares False, so 3 ** array([nan, 20000.0]) is now computed (to inf) "
        "where it was refused",
        (_NUMPY_EXPONENT, '''    elif HAS_NUMPY and isinstance(exp, numpy.ndarray):
        if exp.max() > MAX_EXPONENT:
'''),
        probe=Probe(SETUP, "aeval('3 ** array([nan, 20000.0])', raise_errors=True)",
                    "raises RuntimeError", "array([nan, inf])")),
    "no_option_value_ignored": case(
        ASTEVAL, "Interpreter.__init__", "argument's value ignored",
        "a no_<node> keyword made to switch its node off whatever its value, as "
        "no_ifexp=True is how the option is used (the suite's one use): no_ifexp=False now "
        "disables if-expressions where it left them on",
        ("                        self.config[node] = not val\n",
         "                        self.config[node] = False\n"),
        probe=Probe("import asteval",
                    "asteval.Interpreter(no_ifexp=False)('1 if 1 else 2', raise_errors=True)",
                    "1", "raises NotImplementedError")),
}
