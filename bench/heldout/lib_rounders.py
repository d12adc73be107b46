"""rounders 0.2.0 (Apache-2.0), held out (wave 33): rounding in thirteen modes (rounders/:
round_to, round, round_to_int, round_to_places and round_to_figures; modes, the modes;
intermediate, IntermediateForm; generics, the single-dispatch functions each type's overloads
register; mode_specific, one function a mode; format, FormatSpecification and format).
A value is decomposed by preround into an IntermediateForm (sign, significand, exponent), a
float or Fraction by from_signed_fraction to one digit past the target exponent, its last digit
made sticky (round for reround); IntermediateForm.round splits off the rounding digit and the
trailing ones and asks the mode, which rounds up when the digit plus its signature's entry for
the sign and the significand's parity reaches 10 (TO_ZERO_05_AWAY rounds up a significand
ending in 0 or 5 when any digit follows); to_type_of rebuilds the input's type (an int for
round_to_int). round(x, ndigits=None) answers an int when ndigits is None and the input's type
otherwise; round_to_places returns infinities and nans unchanged; round_to_figures refuses a
non-positive count of figures (ValueError) before it returns infinities and nans, rounds at the
decade's exponent and nudges a result that gained a figure (99.97 to 100.0), refusing to drop a
nonzero digit. FormatSpecification.from_string reads [sign][z][#].precision[mode](e|f); 'e'
asks for precision + 1 figures, in scientific notation; format pads the digits with its zero
character before and after the point and writes the sign, the point and the exponent.

Its suite (rounders/test: 48 tests, 24583 subtests, unittest) checks each mode's signature on
the quarter integers from -7/4 to 7/4 and on 200 floats (quarters, subnormals, the largest
half integer and finite value), halfway cases, places from -1000 to 1000 for ints, floats,
Decimals and Fractions, the figures of every float decade's first and last values (1 to 19
figures), infinities and nans, overflow, bools, TO_ZERO_05_AWAY's tenths, and format's 'f'
and 'e' patterns with signs, 'z', '#', negative precision and each mode code, on Decimals. A
line tracer over it found unrun only the overloads' refusals (a non-finite or zero value,
a value no int represents), the dispatch functions' NotImplementedError, nudge's
nonzero-digit refusal, the scientific format of zero, from_string's unhandled type and
TO_ZERO_05_AWAY's name. Its tests
never give round_to_figures a non-positive count with an infinity, never nudge a significand
whose last digit is nonzero, never compare a mode-specific function's answer's type without
ndigits for TO_ZERO_05_AWAY (assertEqual: 2 == 2.0), never format with a negative 'e'
precision, nor round a signalling NaN."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "rounders"
ROUND_TO = "rounders/round_to.py"
MODES = "rounders/modes.py"
INTERMEDIATE = "rounders/intermediate.py"
MODE_SPECIFIC = "rounders/mode_specific.py"
FORMAT = "rounders/format.py"

CONTROLS = {
    "exponent_zero_in_either_branch": case(
        INTERMEDIATE, "IntermediateForm.from_signed_fraction", "boundary moved between "
        "agreeing branches",
        "the numerator scaled when exponent < 0 instead of <= 0: at exponent 0 the two "
        "branches agree (the numerator times 10**0, or the denominator times 10**0, are the "
        "same ints), so the same quotient and remainder are taken for every exponent",
        ('''        if exponent <= 0:
            n, d = numerator * cast(int, 10**-exponent), denominator
''', '''        if exponent < 0:
            n, d = numerator * cast(int, 10**-exponent), denominator
''')),
    "repr_by_str_format": case(
        MODES, "RoundingMode.__repr__", "f-string to str.format",
        "the representation built by '<RoundingMode: {}>'.format(self.name) instead of an "
        "f-string: both format the name with an empty format specification",
        ('''        return f"<RoundingMode: {self.name}>"
''', '''        return "<RoundingMode: {}>".format(self.name)
''')),
    "reround_up_inlined": case(
        MODES, "_RoundForReroundRoundingMode.round", "local variable inlined",
        "the local round_up inlined into the returned sum: it is read once, right there, and "
        "the sum adds the same bool to the significand",
        ('''        round_up = tenths > 0 and significand % 5 == 0
        return significand + round_up
''', '''        return significand + (tenths > 0 and significand % 5 == 0)
''')),
    "sign_codes_by_membership": case(
        FORMAT, "FormatSpecification.from_string", "chained equality to membership",
        "the explicit sign tested by sign in ('+', ' ') instead of sign == '+' or sign == ' ', "
        "in both places: the pattern's sign group is None or one of '-', '+' and ' ', and "
        "tuple membership compares each by == as the chain did",
        ('''        sign = match["sign"]
        if sign == "+" or sign == " ":
''', '''        sign = match["sign"]
        if sign in ("+", " "):
'''),
        ('''        if match["no_neg_0"]:
            if sign == "+" or sign == " ":
''', '''        if match["no_neg_0"]:
            if sign in ("+", " "):
''')),
}

CARELESS = {
    "infinity_returned_before_figures_checked": case(
        ROUND_TO, "round_to_figures", "checks reordered",
        "infinities and nans returned unchanged before the count of figures is checked "
        "instead of after: the same for every finite value and for every positive count, "
        "but an infinity or a nan with a count of 0 or less, which was refused "
        "(ValueError), is now returned as if the count were valid",
        ('''    if figures <= 0:
        raise ValueError(f"figures must be positive; got {figures}")

    # Infinities and nans are returned unchanged.
    if not is_finite(x):
        return x
''', '''    # Infinities and nans are returned unchanged.
    if not is_finite(x):
        return x

    if figures <= 0:
        raise ValueError(f"figures must be positive; got {figures}")
'''),
        probe=Probe("import math\nfrom rounders import round_to_figures",
                    "round_to_figures(math.inf, 0)", "raises ValueError", "inf")),
    "nudge_without_digit_check": case(
        INTERMEDIATE, "IntermediateForm.nudge", "guard dropped as unreachable",
        "the check that the dropped last digit is zero removed, as if rounding to a "
        "power of ten always left a zero there: true of round_to_figures' and format's "
        "results, but a significand with one figure too many whose last digit is not zero, "
        "which was refused (ValueError), now loses that digit and changes value",
        ('''        new_significand, tenths = divmod(self.significand, 10)
        if tenths:
            raise ValueError(
                "Last digit is nonzero; dropping it would change the value"
            )

        return replace(
''', '''        new_significand, tenths = divmod(self.significand, 10)
        return replace(
'''),
        probe=Probe("from rounders.intermediate import IntermediateForm",
                    "IntermediateForm(0, 15, 0).nudge(1)", "raises ValueError",
                    "IntermediateForm(sign=0, significand=1, exponent=1)")),
    "reround_places_default_zero": case(
        MODE_SPECIFIC, "round_to_zero_05_away", "default written as its value",
        "the default of ndigits written 0 instead of None, as rounding to no places after "
        "the point: the same number, but None asks round for an int and 0 for the input's "
        "type, so a float without ndigits now rounds to a float (its tests compare by ==, "
        "and 2 == 2.0)",
        ('''def round_to_zero_05_away(x: Any, ndigits: Optional[int] = None) -> Any:
''', '''def round_to_zero_05_away(x: Any, ndigits: Optional[int] = 0) -> Any:
'''),
        probe=Probe("from rounders import round_to_zero_05_away", "round_to_zero_05_away(2.5)",
                    "2", "2.0")),
    "figures_clamped_to_one": case(
        FORMAT, "FormatSpecification.from_string", "guard against a non-positive count",
        "the 'e' type's figures computed as max(precision, 0) + 1 instead of precision + 1, "
        "so that at least one figure is asked for: the same for every precision of 0 or "
        "more, but a negative precision, which the pattern accepts (-?\\d+) and which made "
        "the figures 0 and the formatting fail, now formats one figure",
        ('''            kwargs.update(figures=int(match["precision"]) + 1)
''', '''            kwargs.update(figures=max(int(match["precision"]), 0) + 1)
'''),
        probe=Probe("from rounders.format import format", "format(3.14159, '.-1e')",
                    "raises NotImplementedError", "'3e0'")),
    "finiteness_by_comparison": case(
        ROUND_TO, "round_to_places", "dispatch to comparisons",
        "a value's finiteness tested by value != value or abs(value) == math.inf instead of "
        "the single-dispatch is_finite: the same for floats, ints, Fractions and quiet "
        "Decimal nans and infinities, but comparing a signalling Decimal nan raises "
        "InvalidOperation, where is_finite answered False and the nan was returned "
        "unchanged",
        ('''from typing import Any, Optional
''', '''import math
from typing import Any, Optional
'''),
        ('''    # Infinities and nans are returned unchanged.
    if not is_finite(value):
        return value

    prerounded = preround(value, -places)
''', '''    # Infinities and nans are returned unchanged.
    if value != value or abs(value) == math.inf:
        return value

    prerounded = preround(value, -places)
'''),
        probe=Probe("from decimal import Decimal\nfrom rounders import round_to_places",
                    "round_to_places(Decimal('sNaN'), 2)", "Decimal('sNaN')",
                    "raises InvalidOperation")),
}
