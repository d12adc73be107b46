"""numericalunits 1.28 (MIT), held out (wave 35): units and dimensional analysis by plain floats
(numericalunits.py, one module). reset_units(seed) sets the base units m, kg, s, C and K: all
1.0 for the seed 'SI'; otherwise each 10 ** random.uniform(-2, 2), drawn after random.seed()
for a seed of None and random.seed(seed) for any other, the random module's state saved before
the draw and restored after it; then set_derived_units_and_constants() sets every other unit
and constant (as module globals) from them by products, quotients and powers of floats:
prefixed units, litres, hours, hertz, newtons, pascals, joules, volts, teslas, CODATA's
constants, mol as the plain number NA, and debye as (1e-21 / 299792458) * C*m, the speed of
light there a plain number, not c0 (which carries m/s). The module runs
reset_units() when it is first imported. nu_eval(expression) parses the text in eval mode and
evaluates it over a table of four operators (*, /, ** and unary -, keyed by the ast
operator's type, KeyError for any other), constants as their values and names as the module's
globals (KeyError for a name it lacks), refusing any other node with TypeError.

Its suite (tests/tests.py, its one test module: 1 test, unittest, a smoke test) checks
README's two examples (5 mL in cubic nanometres, an electron's acceleration in a field of 1e5
V/cm) within a relative tolerance under the units drawn at import, nu_eval of 'kg',
'kg * m / s**2' and 'kg**-3.6' against the same products, and after reset_units('SI') that the
gauss is 1e-4. A line tracer over it found every line run but reset_units' random.seed(seed)
for a seed (the draw at import has none) and nu_eval's TypeError. Its tests never reset the
units with a seed (nor with the seed 0), look at the random module's state after a reset,
evaluate an unknown name or a unary operator other than minus, nor read debye. Its module ends
its lines with CRLF; the edits are written here with LF (crlf)."""

from tests.governance.refactors_real.corpus import Probe, case, crlf

LIBRARY = "numericalunits"
NU = "numericalunits.py"

CONTROLS = {
    "seed_passed_through": case(
        NU, "reset_units", "branches merged",
        "the generator seeded by random.seed(seed) whatever the seed instead of random.seed() "
        "for None and random.seed(seed) for the rest: random.seed's argument defaults to None, "
        "and seed(None) seeds from the system's randomness exactly as seed() does",
        crlf('''        if seed is None:
            random.seed()
        else:
            random.seed(seed)
''', '''        random.seed(seed)
''')),
    "si_units_chained": case(
        NU, "reset_units", "assignments chained",
        "the five SI base units set by one chained assignment, m = kg = s = C = K = 1., "
        "instead of five statements: each global is bound to the same immutable float 1.0",
        crlf('''        m = 1.
        kg = 1.
        s = 1.
        C = 1.
        K = 1.
''', '''        m = kg = s = C = K = 1.
''')),
    "fahrenheit_ratio_by_int_literals": case(
        NU, "set_derived_units_and_constants", "float literals to int literals",
        "the Fahrenheit interval written 5 / 9 * K instead of (5./9.) * K: true division of "
        "the ints 5 and 9 gives the same float as 5. / 9., and the product is left to right, "
        "so the ratio is still taken before it multiplies K",
        crlf('''    degFinterval = (5./9.) * K # A temperature difference in degrees Fahrenheit
''', '''    degFinterval = 5 / 9 * K # A temperature difference in degrees Fahrenheit
''')),
    "name_tested_first": case(
        NU, "nu_eval", "independent branches reordered",
        "_eval tests for a Name before a Constant instead of after it: a node is an instance "
        "of one of the two classes at most, so each node takes the same branch",
        crlf('''        if isinstance(node, ast.Constant):
            return node.value
        elif isinstance(node, ast.BinOp):  # <left> <operator> <right>
            return operators[type(node.op)](_eval(node.left), _eval(node.right))
        elif isinstance(node, ast.UnaryOp):  # <operator> <operand> e.g., -1
            return operators[type(node.op)](_eval(node.operand))
        elif isinstance(node, ast.Name):
            return globals()[node.id]
''', '''        if isinstance(node, ast.Name):
            return globals()[node.id]
        elif isinstance(node, ast.Constant):
            return node.value
        elif isinstance(node, ast.BinOp):  # <left> <operator> <right>
            return operators[type(node.op)](_eval(node.left), _eval(node.right))
        elif isinstance(node, ast.UnaryOp):  # <operator> <operand> e.g., -1
            return operators[type(node.op)](_eval(node.operand))
''')),
}

CARELESS = {
    "seed_tested_by_truthiness": case(
        NU, "reset_units", "is None to truthiness",
        "the missing seed tested by not seed instead of seed is None: the same for no seed and "
        "for the seeds 123 and 42 the README shows, but the seed 0 (or 0.0, or '') now counts "
        "as none, so reset_units(0) draws new random units each time instead of the same ones",
        crlf('''        if seed is None:
            random.seed()
''', '''        if not seed:
            random.seed()
'''),
        probe=Probe("import numericalunits as nu\nnu.reset_units(0)\nfirst = nu.m\n"
                    "nu.reset_units(0)", "nu.m == first", "True", "False")),
    "random_state_left_seeded": case(
        NU, "reset_units", "bookkeeping dropped",
        "the random module's state no longer saved before the draw and restored after it, "
        "taken for bookkeeping: the units drawn are the same, but a caller's own random "
        "sequence now continues from the units' seed instead of from where it was",
        crlf('''        prior_random_state = random.getstate()

        if seed is None:
''', '''        if seed is None:
'''), crlf('''        K = 10 ** random.uniform(-2,2) # kelvin

        # Leave the random generator like I found it, in case something else is
        # using it.
        random.setstate(prior_random_state)
''', '''        K = 10 ** random.uniform(-2,2) # kelvin
'''),
        probe=Probe("import random\nimport numericalunits as nu\nrandom.seed(5)\n"
                    "nu.reset_units(1)", "random.random()", "0.6229016948897019",
                    "0.4494910647887381")),
    "debye_by_named_light_speed": case(
        NU, "set_derived_units_and_constants", "literal to named constant",
        "the debye written (1e-21 / c0) * C*m, the module's own speed of light, instead of the "
        "literal 299792458: the same number in SI units (reset_units('SI'), where m/s is 1), "
        "but c0 carries the dimension m/s, so under the random units the debye is off by that "
        "factor and no longer a charge times a length",
        crlf('''    debye = (1e-21 / 299792458) * C*m  # debye electric dipole moment ≈ 0.0208 e·nm
''', '''    debye = (1e-21 / c0) * C*m  # debye electric dipole moment ≈ 0.0208 e·nm
'''),
        probe=Probe("import numericalunits as nu\nnu.reset_units(1)",
                    "round(nu.debye / (nu.C * nu.m) * 1e30, 9)", "3.335640952",
                    "1098.552448837")),
    "unknown_name_as_none": case(
        NU, "nu_eval", "subscript to dict.get",
        "a name looked up by globals().get(node.id) instead of globals()[node.id]: the same for "
        "every unit the module defines, but an unknown name, refused with KeyError, now "
        "evaluates to None",
        crlf('''            return globals()[node.id]
''', '''            return globals().get(node.id)
'''),
        probe=Probe("from numericalunits import nu_eval", "nu_eval('furlong')",
                    "raises KeyError", "None")),
    "unary_taken_as_minus": case(
        NU, "nu_eval", "table lookup to its one entry",
        "a unary operation evaluated as -operand, unary minus being the table's one unary "
        "operator, instead of looked up in the table: the same for -x (kg**-3.6), but a unary "
        "plus (or ~, or not), which the table refused with KeyError, now negates its operand",
        crlf('''            return operators[type(node.op)](_eval(node.operand))
''', '''            return -_eval(node.operand)
'''),
        probe=Probe("from numericalunits import nu_eval", "nu_eval('+2')", "raises KeyError",
                    "-2")),
}
