"""spfpm 1.8.0 (PSF-2.0), held out (wave 22): binary fixed-point arithmetic, in one module
(FixedPoint.py). An FXfamily holds a number of fractional bits (scale = 1 << n_bits) and an
optional number of integer bits, whose bound -2**(n_bits + n_intbits - 1) <= scaledval <
2**(n_bits + n_intbits - 1) its validate closure enforces (FXoverflowError); from2c reads a
two's-complement integer over the family's bits (or n_intbits given), convert shifts a scaled
value between families. FXnum(val, family) takes another FXnum's value through the family's
converter, a float through its exact integer ratio rounded half up at one extra bit, anything
else (an int, a Fraction, a Decimal) by int(round(val * scale)); arithmetic on two FXnums of
one family (others cast by FXnum(), another family refused, FXfamilyError) rounds products and
quotients half up; int() truncates toward zero, float() divides by the scale; ** takes an
integer power by repeated squaring and a fractional one through log and exp, __rpow__ raising
a plain number to an FXnum; sqrt, exp, log, log2 and the trigonometric functions are series;
toDecimalString and toBinaryString print a number (the latter in base 2, 4, 8 or 16, two's
complement for negatives).

Its suite (tests/testFixedPoint.py, 49 tests; the whole sdist suite also runs the module's
23 doctests, which its Makefile runs first) checks creation from ints and floats with their
rounding at 3 and 4 bits, two's complement reading with 6 integer bits and with 7 given, family
equality, the overflow of integer bits by repeated addition, precision estimates, conversion
between families, decimal, binary, octal and hex printing, the four operations, shifts,
powers, sqrt, exp, log and the trigonometric functions against math. A line tracer over its
tests found unrun: FXfamily.__hash__, the AttributeError branches of FXfamily.__eq__ and
__ne__, convert_lsb_bias's narrowing and negative widening, FXnum.__hash__, FXnum.__ne__,
__nonzero__, toBinaryString's refusal of a base, __rpow__, log2 of 1, _log_align's refusal of
a value not positive and its doubling loop, the FXbrokenError branches of sin, cos and sincos,
_rawQsine's hyperbolic branch and the module's __main__ doctest call. Its tests never create an
FXnum from anything but an int, a float, an FXnum or a scaled value (no Fraction or Decimal, no
float subclass), never reach a family's positive bound exactly, never raise a plain number to
an FXnum, and never give from2c an n_intbits of 0."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "spfpm"
FP = "FixedPoint.py"
SETUP = "from FixedPoint import FXfamily, FXnum"

CONTROLS = {
    "ne_by_not_eq": case(
        FP, "FXnum.__ne__", "comparison to the negation of its inverse",
        "inequality answered by not self == other instead of comparing the scaled values "
        "after _CastOrFail_: __eq__ casts the other number the same way (a plain number into "
        "this family, another family refused), and after that cast the two families are "
        "equal, so it answers exactly when the scaled values are equal (lines no test runs)",
        ('''        """Inequality test"""
        other = self._CastOrFail_(other)
        return self.scaledval != other.scaledval
''', '''        """Inequality test"""
        return not self == other
''')),
    "float_by_true_division": case(
        FP, "FXnum.__float__", "two float() casts to true division of ints",
        "a value of fewer than 970 bits divided by the scale as ints, scaledval / scale, "
        "instead of float(scaledval) / float(scale): the scale is a power of two below "
        "2**970, so dividing by it is exact and both round the scaled value once, to the "
        "same nearest double",
        ('''            return float(self.scaledval) / float(self.family.scale)
''', '''            return self.scaledval / self.family.scale
''')),
    "invert_by_abs": case(
        FP, "FXnum.intpower", "if statement to assignments",
        "a negative power told by invert = pwr < 0 and its magnitude taken by abs(pwr) "
        "instead of an if statement negating pwr and setting invert: the same flag and the "
        "same non-negative int for every int power (bool included)",
        ('''        invert = False
        if pwr < 0:
            pwr *= -1
            invert = True
''', '''        invert = pwr < 0
        pwr = abs(pwr)
''')),
    "sign_by_conditional": case(
        FP, "FXnum.toDecimalString", "if statement to a conditional expression and abs()",
        "the sign written by a conditional expression and the magnitude taken by "
        "abs(self.scaledval) instead of an if statement setting rep to '-' and negating val: "
        "the same prefix and the same non-negative scaled value",
        ('''        val = self.scaledval
        rep = ''
        if self.scaledval < 0:
            rep = '-'
            val *= -1
''', '''        val = abs(self.scaledval)
        rep = '-' if self.scaledval < 0 else ''
''')),
}

CARELESS = {
    "overflow_bound_inclusive": case(
        FP, "FXfamily.__init__", "bound off by one",
        "a scaled value refused above the threshold instead of at it: the suite's overflow "
        "test adds a step that never lands on a power of two, and its two's complement test "
        "reaches only the negative bound, but 2**(n_bits + n_intbits - 1) itself, one past "
        "the largest value the integer bits hold, is now accepted (8 with 4 integer bits)",
        ('''                if scaledval >= thresh or scaledval < -thresh:
''', '''                if scaledval > thresh or scaledval < -thresh:
'''),
        probe=Probe(SETUP, "FXfamily(4, 4)(8).scaledval", "raises FXoverflowError", "128")),
    "round_to_int_truncated": case(
        FP, "FXnum.__init__", "rounding to truncation",
        "a value that is neither an FXnum nor a float scaled by int(val * scale) instead of "
        "int(round(val * scale)): the same for the suite's ints, whose product is whole, but "
        "a Fraction or a Decimal is now truncated toward zero, not rounded to the nearest "
        "scaled value (2/3 at 4 bits: 10, not 11)",
        ('''                sv = int(round(val * family.scale))
''', '''                sv = int(val * family.scale)
'''),
        probe=Probe(SETUP + "\nfrom fractions import Fraction",
                    "FXnum(Fraction(2, 3), FXfamily(4)).scaledval", "11", "10")),
    "float_by_exact_type": case(
        FP, "FXnum.__init__", "isinstance to an exact type test",
        "a float told by type(val) is float instead of isinstance(val, float): the same for "
        "the suite's floats, but a float subclass (numpy's float64 among them) now takes the "
        "int(round(val * scale)) branch, which rounds a tie to even instead of up: 1/16 at 3 "
        "bits, exactly half a step, is now 0, not 1",
        ('''            elif isinstance(val, float):
''', '''            elif type(val) is float:
'''),
        probe=Probe(SETUP + "\nclass F(float):\n    pass",
                    "FXnum(F(0.0625), FXfamily(3)).scaledval", "1", "0")),
    "rpow_operands_swapped": case(
        FP, "FXnum.__rpow__", "operands swapped",
        "a plain number raised to an FXnum computed as self ** FXnum(other) instead of "
        "FXnum(other) ** self: the base and the exponent swapped, so 2 ** FXnum(3) is now 9, "
        "not 8 (a line no test runs)",
        ('''        return FXnum(other, self.family) ** self
''', '''        return self ** FXnum(other, self.family)
'''),
        probe=Probe(SETUP, "float(2 ** FXnum(3))", "8.0", "9.0")),
    "intbits_by_truthiness": case(
        FP, "FXfamily.from2c", "test for None to truthiness",
        "the integer bits taken by n_intbits or self.integer_bits instead of n_intbits "
        "unless it is None: the same for the suite's 7 and None, but an explicit 0 integer "
        "bits (a pure fraction in two's complement) now falls back to the family's, which "
        "are unknown, so it is refused (FXfamilyError) instead of read",
        ('''            m = self.scale << (n_intbits if n_intbits is not None
                                         else self.integer_bits)
''', '''            m = self.scale << (n_intbits or self.integer_bits)
'''),
        probe=Probe(SETUP, "float(FXfamily(3).from2c(5, 0))", "-0.375",
                    "raises FXfamilyError")),
}
