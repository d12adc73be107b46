"""configobj 5.0.9 (BSD-3-Clause), held out (wave 14): a reader and writer of INI-style
configuration files that keeps comments and order, in two modules (configobj/__init__.py,
configobj/validate.py). A Section is a dict whose keys are strings kept in two ordered lists
(scalars, then sections); a dict value becomes a sub-Section, and a value read is
interpolated ('%(name)s' or '$name') unless interpolation is off. Its get answers the
default only for a missing key (a missing interpolation option raises), setdefault stores
the default and answers it as stored (a dict as a Section), popitem pops the first key,
items pairs the keys with values(), as_bool reads True, False, 1 and 0 by equality and a
string by its lower-cased name. Validator.check parses a check string ('integer(10, 20)',
'float(max=2.5)', ...) and calls its check with the value: is_integer coerces a decimal str
(int(value): '0644' is 644), is_float any int or str, and both refuse values below min or
above max, both bounds inclusive; _is_num_param reads the bounds as int (or float) and
_unquote strips one pair of matching quotes. Its suite (src/tests: 75 tests) reads and
writes configuration files, interpolates, validates the sample configspec (integers of 30
to 50, floats of at least 6.0, string defaults) and checks its errors. A line tracer over
it found 320 of the two modules' executable lines never run, among them Section.popitem,
Section.setdefault and Section.update whole, as_bool's answers for True, False, 1 and 0,
is_integer's bound errors and is_float's too-big error, and the type errors of is_integer,
is_float and is_boolean for values neither str nor number; the modules' doctests, which its
CI runs as scripts outside pytest (tests/configobj_doctests.py, python -m
configobj.validate), run some of them, but neither popitem nor setdefault. The suite never
checks an int as a float, a value on a bound or a zero-padded integer, never reads as_bool
of a number and never calls get where interpolation fails. One control (popitem through
pop) and one careless refactor (setdefault answering the default as given) change only
lines no test runs, the doctests' included; every other case changes lines the suite
runs. Every careless tree also passes both doctest scripts."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "configobj"
MOD = "configobj/__init__.py"
VAL = "configobj/validate.py"
SETUP = "import configobj"
VALIDATOR = "from configobj.validate import Validator\nv = Validator()"

CONTROLS = {
    "popitem_through_pop": case(
        MOD, "Section.popitem", "inline steps to a call (lines no test runs)",
        "the first key's value read and its entry deleted by Section.pop (which reads "
        "self[key] and deletes it, as these lines did) instead of by hand; no test pops an "
        "item",
        ('''        key = sequence[0]
        val =  self[key]
        del self[key]
        return key, val
''', '''        key = sequence[0]
        return key, self.pop(key)
''')),
    "num_param_conditional_expression": case(
        VAL, "_is_num_param", "and/or idiom to a conditional expression",
        "the conversion chosen by a conditional expression instead of the and/or idiom "
        "(float is truthy, so both pick float exactly when to_float is true)",
        ('''    fun = to_float and float or int
''', '''    fun = float if to_float else int
''')),
    "items_comprehension": case(
        MOD, "Section.items", "zip of two lists to one comprehension",
        "the (key, value) pairs built by one comprehension reading self[key] for each key "
        "of scalars then sections, instead of zipping those keys with values(), which "
        "reads the same self[key] in the same order",
        ('''        return list(zip((self.scalars + self.sections), list(self.values())))
''', '''        return [(key, self[key]) for key in (self.scalars + self.sections)]
''')),
    "unquote_condition_reordered": case(
        VAL, "Validator._unquote", "redundant parentheses dropped, conjuncts reordered",
        "the quote test written without its parentheses, the first and last characters "
        "compared before the first is looked up among the quotes (a str of one "
        "character: membership in \"'\\\"\" is membership in the tuple of the two quotes)",
        ('''        if (len(val) >= 2) and (val[0] in ("'", '"')) and (val[0] == val[-1]):
''', '''        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\\"":
''')),
}

CARELESS = {
    "setdefault_answers_default": case(
        MOD, "Section.setdefault", "return value changed (lines no test runs)",
        "the default answered as given once stored, not read back: no test calls "
        "setdefault, but a dict default, which __setitem__ stores as a new Section, is "
        "now answered as the caller's plain dict, which later changes no longer reach",
        ('''            self[key] = default
            return self[key]
''', '''            self[key] = default
            return default
'''),
        probe=Probe(SETUP, "type(configobj.ConfigObj().setdefault('s', {'x': '1'})).__name__",
                    "'Section'", "'dict'")),
    "is_integer_any_base": case(
        VAL, "is_integer", "coercion widened (int(value, 0))",
        "a str read by int(value, 0), so that hexadecimal, octal and binary literals "
        "('0x1f', '0o17') are integers too: the suite's integers are plain decimals, but "
        "int(value, 0) refuses a decimal with a leading zero, so a zero-padded value such "
        "as a file mode '0644', 644 before, is now a VdtTypeError",
        ('''        # if it's a string - does it represent an integer ?
        try:
            value = int(value)
''', '''        # if it's a string - does it represent an integer ?
        try:
            value = int(value, 0)
'''),
        probe=Probe(VALIDATOR, "v.check('integer', '0644')", "644", "raises VdtTypeError")),
    "is_float_max_exclusive": case(
        VAL, "is_float", "off by one (> to >=)",
        "the maximum made exclusive: the suite's floats are never on a bound (5.0 below "
        "a minimum of 6.0), but float(max=2.5) now refuses 2.5, a VdtValueTooBigError, "
        "where it answered 2.5",
        ('''            value = float(value)
        except ValueError:
            raise VdtTypeError(value)
    if (min_val is not None) and (value < min_val):
        raise VdtValueTooSmallError(value)
    if (max_val is not None) and (value > max_val):
''', '''            value = float(value)
        except ValueError:
            raise VdtTypeError(value)
    if (min_val is not None) and (value < min_val):
        raise VdtValueTooSmallError(value)
    if (max_val is not None) and (value >= max_val):
'''),
        probe=Probe(VALIDATOR, "v.check('float(max=2.5)', '2.5')", "2.5",
                    "raises VdtValueTooBigError")),
    "as_bool_identity": case(
        MOD, "Section.as_bool", "equality to identity (== True to is True)",
        "True and False compared by identity, as a linter asks: the suite reads as_bool "
        "of strings alone, but a value of 1 or 0 (which the docstring accepts for Python "
        "2.2's sake) is no longer True or False and, not a str, raises ValueError",
        ('''        if val == True:
            return True
        elif val == False:
            return False
''', '''        if val is True:
            return True
        elif val is False:
            return False
'''),
        probe=Probe(SETUP + "\nc = configobj.ConfigObj()\nc['n'] = 1", "c.as_bool('n')",
                    "True", "raises ValueError")),
    "get_swallows_interpolation_error": case(
        MOD, "Section.get", "exception widened (Exception for KeyError)",
        "every exception of the lookup answered with the default, as if only a missing "
        "key could fail it: the suite never reads through get a value whose interpolation "
        "fails, but get of a value naming a missing option now answers None instead of "
        "raising MissingInterpolationOption",
        ('''        except KeyError:
            return default
''', '''        except Exception:
            return default
'''),
        probe=Probe(SETUP + "\nc = configobj.ConfigObj(['a = %(nope)s'])", "c.get('a')",
                    "raises MissingInterpolationOption", "None")),
}
