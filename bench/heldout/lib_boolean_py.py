"""boolean.py 5.0 (BSD-2-Clause), held out (wave 12, in the place of whatthepatch): boolean
algebras and expressions, one module (boolean/boolean.py). BooleanAlgebra.tokenize refuses
anything but a str (TypeError), reads symbols (alphanumerics and the allowed '.', ':' and
'_'), operators and parentheses in any case, skips spaces, tabs and line ends and refuses
any other character (ParseError, whose str() names the error, the token and a position
above 0); parse builds AND, OR and NOT of Symbols, TRUE and FALSE; an expression
substitutes (subs: the whole expression first, by equality, then its arguments), simplifies
and normalizes; a Symbol is equal to another holding an equal object and hashes by it, an
anonymous one (holding None) by its identity, and its repr quotes a str object in single
quotes as given. Its suite (boolean/test_boolean.py and the module's doctests: 86 tests,
4 expected failures) was traced line by line: it never turns a ParseError into a string
and never pretty-prints a function with debug details. Two controls (ParseError.__str__'s
pieces as conditional expressions, Function.pretty's debug details as a loop) change only
lines no test runs; every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "boolean.py"
MOD = "boolean/boolean.py"
SETUP = "import boolean\nalgebra = boolean.BooleanAlgebra()"

CONTROLS = {
    "parse_error_str_conditionals": case(
        MOD, "ParseError.__str__", "if-assign to conditional expressions (lines no test runs)",
        "the token's and the position's pieces of the message each written as one "
        "conditional expression instead of an empty string overwritten under an if, the "
        "same conditions and texts; no test turns a ParseError into a string",
        ('''        tstr = ""
        if self.token_string:
            tstr = f' for token: "{self.token_string}"'

        pos = ""
        if self.position > 0:
            pos = f" at position: {self.position}"
''', '''        tstr = f' for token: "{self.token_string}"' if self.token_string else ""
        pos = f" at position: {self.position}" if self.position > 0 else ""
''')),
    "pretty_debug_loop": case(
        MOD, "Function.pretty", "repeated blocks to a loop (lines no test runs)",
        "the identity, annihilator and dual details added by one loop over their names "
        "instead of three copies of the same getattr-and-test block, in the same order and "
        "the same format; no test pretty-prints with debug details",
        ('''            identity = getattr(self, "identity", None)
            if identity is not None:
                debug_details += f", identity={identity!r}"

            annihilator = getattr(self, "annihilator", None)
            if annihilator is not None:
                debug_details += f", annihilator={annihilator!r}"

            dual = getattr(self, "dual", None)
            if dual is not None:
                debug_details += f", dual={dual!r}"
''', '''            for name in ("identity", "annihilator", "dual"):
                value = getattr(self, name, None)
                if value is not None:
                    debug_details += f", {name}={value!r}"
''')),
    "function_str_comprehension": case(
        MOD, "Function.__str__", "loop to a comprehension",
        "the arguments' strings collected by a comprehension over a conditional expression "
        "(a literal as it is, anything else in parentheses) instead of a loop that appends "
        "them",
        ('''        args_str = []
        for arg in args:
            if arg.isliteral:
                args_str.append(str(arg))
            else:
                args_str.append(f"({arg})")
''', '''        args_str = [str(arg) if arg.isliteral else f"({arg})" for arg in args]
''')),
    "symbols_generator": case(
        MOD, "BooleanAlgebra.symbols", "map to a generator expression",
        "the symbols built by a generator expression instead of map over the algebra's "
        "Symbol class: one Symbol a argument, in order",
        ('''        return tuple(map(self.Symbol, args))
''', '''        return tuple(self.Symbol(arg) for arg in args)
''')),
}

CARELESS = {
    "tokenize_type_check_dropped": case(
        MOD, "BooleanAlgebra.tokenize", "guard dropped",
        "the str check dropped, parse() handing tokenize only strings: the suite tokenizes "
        "strings, but tokenize(b'a') now fails on the first byte, an int, with "
        "AttributeError instead of the TypeError that names the type",
        ('''        if not isinstance(expr, str):
            raise TypeError(f"expr must be string but it is {type(expr)}.")

''', ''''''),
        probe=Probe(SETUP, "list(algebra.tokenize(b'a'))", "raises TypeError",
                    "raises AttributeError")),
    "tokenize_isspace": case(
        MOD, "BooleanAlgebra.tokenize", "explicit set widened to a predicate",
        "the characters skipped between tokens tested with str.isspace() instead of the "
        "four listed (space, tab, carriage return, line feed): the suite's expressions use "
        "those four, but a form feed or a no-break space, refused with a ParseError before, "
        "is now skipped",
        ('''                elif tok not in (" ", "\\t", "\\r", "\\n"):
''', '''                elif not tok.isspace():
'''),
        probe=Probe(SETUP, "len(list(algebra.tokenize('a\\x0c')))", "raises ParseError",
                    "1")),
    "subs_identity_shortcut": case(
        MOD, "Expression.subs", "equality narrowed to identity",
        "the whole-expression shortcut tested with 'is' instead of '==', as a cheap "
        "identity test: the suite substitutes sub-expressions, but a Symbol substituted by "
        "an equal Symbol built apart is no longer replaced",
        ('''            if expr == self:
                return substitution
''', '''            if expr is self:
                return substitution
'''),
        probe=Probe(SETUP, "algebra.Symbol('x').subs({algebra.Symbol('x'): algebra.TRUE})",
                    "TRUE", "Symbol('x')")),
    "anonymous_hash_dropped": case(
        MOD, "Symbol.__hash__", "guard dropped",
        "the anonymous Symbol's hash by identity dropped, hash(None) being a hash like "
        "any other: the suite's symbols hold names, but two anonymous Symbols, which "
        "compare equal (None == None), now hash alike too, so a set keeps one of them",
        ('''        if self.obj is None:  # Anonymous Symbol.
            return id(self)
        return hash(self.obj)
''', '''        return hash(self.obj)
'''),
        probe=Probe(SETUP, "len({algebra.Symbol(None), algebra.Symbol(None)})", "2", "1")),
    "symbol_repr_repr": case(
        MOD, "Symbol.__repr__", "hand-made quoting replaced by repr()",
        "the object written with repr() whether a str or not, repr() quoting a str "
        "already: the same for the suite's names, but a name holding a single quote is "
        "now written in double quotes",
        ('''    def __repr__(self):
        obj = f"'{self.obj}'" if isinstance(self.obj, str) else repr(self.obj)
        return f"{self.__class__.__name__}({obj})"
''', '''    def __repr__(self):
        return f"{self.__class__.__name__}({self.obj!r})"
'''),
        probe=Probe(SETUP, "repr(algebra.Symbol(\"it's\"))", "\"Symbol('it's')\"",
                    "'Symbol(\"it\\'s\")'")),
}
