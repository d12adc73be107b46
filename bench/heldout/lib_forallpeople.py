"""forallpeople 3.0.0 (Apache-2.0), held out (wave 32): units-aware physical quantities
(forallpeople/: __init__, the Physical class; dimensions, the Dimensions named tuple of the
seven SI base units; environment, Environment and evaluate_factor_expression;
physical_helper_functions, the helpers of repr and of the arithmetic; tuplevector, tuples as
vectors). Physical(value, dimensions, factor, precision=3, prefixed='') keeps float(value);
== with a number is math.isclose on the value, with a Physical of equal dimensions likewise;
arithmetic combines the dimensions with tuplevector and returns a float where they cancel,
and multiplying by a number keeps the fixed prefix (abs multiplies a negative by -1);
round(q, n) sets the display precision; format specs ending in 'L$', 'L' or 'H' choose the
inline LaTeX, LaTeX or HTML template. repr auto-prefixes: _auto_prefix floors log10 of the
value by 3 * power and looks the power of 1000 up in _prefix_lookups (10**-24 to 10**24),
answering None past them; _get_superscript_string maps an exponent's characters to
superscripts. An environment's JSON factors are strings evaluated by
evaluate_factor_expression, which finds numbers and the operators '**', '*', '/', '+' and '-'
(the power before the product) and folds them left to right into a Fraction. tuplevector's
angle clips the cosine into -1..1 by _clip, whose sign is n / abs(n).

Its suite (forallpeople/tests: 65 tests, pytest) loads the test_definitions environment and
checks the repr helpers (symbols, prefixes for powers 1 and 2, values, superscripts, LaTeX and
HTML), equality and ordering of quantities of equal dimensions, a nan passed through, round to
4 digits, split, sqrt, conversions by to(), the factor index's collisions, and tuplevector's
functions (angle of two pairs of vectors, _clip of -1, -1.00001, 1.5, -0.3 and 0.4), and abs of
three quantities compared by value with their opposites. A line tracer over it found unrun:
Physical's comparisons with a plain number, __int__, __neg__, prefix's error, the errors of the
arithmetic, _auto_prefix's answer past the prefixes, _auto_prefix_value's 'unity', is_nan,
tuplevector's errors and angle's zero denominator, and the environment's missing file and
malformed definitions. Its tests never compare a quantity with a number that only rounds to it,
format a value past 10**24, take the absolute value of a prefixed quantity, round without
digits, nor take the angle of perpendicular vectors."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "forallpeople"
INIT = "forallpeople/__init__.py"
PHF = "forallpeople/physical_helper_functions.py"
ENVIRONMENT = "forallpeople/environment.py"
VECTOR = "forallpeople/tuplevector.py"

CONTROLS = {
    "superscripts_joined": case(
        PHF, "_get_superscript_string", "loop to str.join",
        "the superscript string built by ''.join over the exponent's characters instead of a "
        "list of them and += in a loop: the same characters looked up in the same order, and "
        "an unknown one raises the same KeyError at the same point",
        ('''    exponent_components = list(exponent)
    exponent_string = ""
    for component in exponent_components:
        exponent_string += _superscripts[component]
    return exponent_string
''', '''    return "".join(_superscripts[component] for component in exponent)
''')),
    "latex_suffixes_tested_in_other_order": case(
        INIT, "Physical.__format__", "independent branches reordered",
        "the spec's ending 'L' tested before its ending 'L$' instead of after: a spec that "
        "ends with 'L$' ends with '$', not 'L', so at most one of the two tests holds and "
        "each spec takes the same branch",
        ('''        if format_spec.endswith("L$"):
            template = "latex"
            inline_math = True
            format_spec = format_spec[:-2]
        elif format_spec.endswith("L"):
            template = "latex"
            format_spec = format_spec[:-1]
''', '''        if format_spec.endswith("L"):
            template = "latex"
            format_spec = format_spec[:-1]
        elif format_spec.endswith("L$"):
            template = "latex"
            inline_math = True
            format_spec = format_spec[:-2]
''')),
    "nonzero_dimensions_counted_by_sum": case(
        PHF, "_dims_basis_multiple", "loop to generator sum",
        "the non-zero dimensions counted by sum(1 for dim in dims if dim) before one test "
        "instead of a counter tested in the loop, returning None at the second: the same "
        "truth test on each element, and None exactly when more than one holds",
        ('''    count = 0
    for dim in dims:
        if dim:
            count += 1
        if count > 1:
            return None
    return dims
''', '''    if sum(1 for dim in dims if dim) > 1:
        return None
    return dims
''')),
    "units_stored_by_subscript": case(
        ENVIRONMENT, "Environment._generate_units_dict", "dict update to assignment",
        "each unit stored by units_dict[unit] = ... instead of units_dict.update({unit: "
        "...}): one key set to the same Physical either way",
        ('''            if symbol:
                units_dict.update(
                    {unit: physical_class(1 / float(factor), dimensions, factor)}
                )
            else:
                units_dict.update({unit: physical_class(value, dimensions, factor)})
''', '''            if symbol:
                units_dict[unit] = physical_class(1 / float(factor), dimensions, factor)
            else:
                units_dict[unit] = physical_class(value, dimensions, factor)
''')),
}

CARELESS = {
    "number_equality_exact": case(
        INIT, "Physical.__eq__", "tolerant comparison to exact",
        "a quantity compared with a number by self.value == other instead of "
        "math.isclose(self.value, other): the same for the exact values the tests compare (m "
        "== 1), but a sum that only rounds to the number, as 0.1 m + 0.2 m to 0.3, was equal "
        "and no longer is",
        ('''        if isinstance(other, NUMBER):
            return math.isclose(self.value, other)
        elif type(other) == str:
''', '''        if isinstance(other, NUMBER):
            return self.value == other
        elif type(other) == str:
'''),
        probe=Probe("import forallpeople as si", "(0.1 * si.m + 0.2 * si.m) == 0.3", "True",
                    "False")),
    "prefix_lookup_defaulted": case(
        PHF, "_auto_prefix", "exception to dict.get default",
        "the prefix looked up by _prefix_lookups.get(power, '') instead of indexing it and "
        "answering None for a KeyError: the same within 10**-24 to 10**24, but past them "
        "the unprefixed '' is answered where None was, and float() of such a quantity, which "
        "raised KeyError when the None prefix was looked up, now answers the bare value (a "
        "line no test runs)",
        ('''    try:
        return _prefix_lookups[prefix_power_of_1000]
    except KeyError:
        return None
''', '''    return _prefix_lookups.get(prefix_power_of_1000, "")
'''),
        probe=Probe("import forallpeople as si", "float(1e30 * si.m)", "raises KeyError",
                    "1e+30")),
    "abs_rebuilt_without_prefix": case(
        INIT, "Physical.__abs__", "arithmetic to constructor",
        "a negative quantity's absolute value built as Physical(-self.value, dimensions, "
        "factor, precision) instead of self * -1: the same value, dimensions, factor and "
        "precision, but multiplying by a number kept the quantity's fixed prefix and the "
        "constructor's default is none, so a prefixed quantity now shows the auto-prefixed "
        "unit (the tests take abs of unprefixed quantities and compare them by value)",
        ('''        if self.value < 0:
            return self * -1
        return self
''', '''        if self.value < 0:
            return Physical(-self.value, self.dimensions, self.factor, self.precision)
        return self
'''),
        probe=Probe("import forallpeople as si", "repr(abs((-5000 * si.m).prefix('M')))",
                    "'0.005 Mm'", "'5.000 km'")),
    "round_default_precision": case(
        INIT, "Physical.__round__", "default changed",
        "round's digits defaulted to 3, the constructor's default precision, instead of 0: "
        "the same whenever digits are given (the test rounds to 4), but round(q) without "
        "them, which displayed the value with no decimals, now shows three",
        ('''    def __round__(self, n=0):
''', '''    def __round__(self, n=3):
'''),
        probe=Probe("import forallpeople as si", "repr(round(2.5 * si.m))", "'2 m'",
                    "'2.500 m'")),
    "clip_sign_by_copysign": case(
        VECTOR, "_clip", "division to copysign",
        "the sign taken as copysign(1, n) instead of n / abs(n): the same for every non-zero "
        "n, but for a cosine of 0, as of two perpendicular vectors, n / abs(n) raised "
        "ZeroDivisionError and copysign answers 1.0, so angle() now returns pi / 2",
        ('''from math import pi, acos, sqrt
''', '''from math import pi, acos, sqrt, copysign
'''),
        ('''    sign = n / abs(n)
''', '''    sign = copysign(1, n)
'''),
        probe=Probe("import forallpeople.tuplevector as vec", "vec.angle((1, 0), (0, 1))",
                    "raises ZeroDivisionError", "1.5707963267948966")),
}
