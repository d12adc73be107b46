"""si-prefix 1.3.3 (BSD-3-Clause), held out (wave 18): numbers written with SI prefixes, in one
module (si_prefix/__init__.py, ported from Jukka Korpela's C): split (a number's exponent of
ten by int(log10), truncated toward zero, brought to a multiple of three, down for a positive
exponent and to the next one below for the rest, 0 to -3 and -3 to -6; the number multiplied by
ten to its negation, and divided by 1000, its exponent raised by 3, where that reaches 1000),
prefix (the exponent floor-divided by 3 and looked up among "yzafpnµm kMGTPEZY", ValueError
past yotta), si_format (the scaled number written with "%.{precision}f" into format_str, or
into exp_format_str with a signed exponent where the format raises ValueError), si_parse (a
plain or e-notation number parsed by float(), else a number and a prefix by a regular
expression), si_prefix_scale and si_prefix_expof10. Its suite (tests/: 104 tests) formats 36
numbers at precision 2, from 1e-27 to 6.5e29 with 0 and -1.234 among them, parses 34 of those
strings back within 1%, and checks each prefix's scale and exponent. A line tracer over it
found every line run but the fallbacks of the version's import. Its tests never call split or
prefix themselves, never format a number between 0.1 and 1, never look at a scaled number past
two decimals (the formatted ones; the parsed ones only within 1%), never pass their own format
string and never write an exponent with a capital E."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "si-prefix"
SI = "si_prefix/__init__.py"
SETUP = "import si_prefix"

CONTROLS = {
    "unit_default_by_or": case(
        SI, "si_parse", "conditional expression to or",
        "the parsed prefix defaulted to a space by d['si_unit'] or ' ' instead of a "
        "conditional expression over the same test: either form answers the group when it "
        "is truthy and the space otherwise, asking its truth once",
        ('''    si_unit = d["si_unit"] if d["si_unit"] else " "
''', '''    si_unit = d["si_unit"] or " "
''')),
    "exponent_concatenated": case(
        SI, "si_format", "join of two strings to +",
        "the exponent's sign and digits concatenated with + instead of joined from a list: "
        "both are str (the sign '' or '+', the digits str() of the int split answers), and "
        "the two build the same string",
        ('''            value=value_str, expof10="".join([sign, str(expof10)])
''', '''            value=value_str, expof10=sign + str(expof10)
''')),
    "exponent_int_dropped": case(
        SI, "split", "redundant int() dropped",
        "the exponent answered as it is instead of through int(): it is already an int, "
        "int() of math.log10's answer brought to a multiple of three by integer floor "
        "division and multiplication and perhaps raised by 3, and int() of an int answers "
        "an equal int",
        ('''    return value, int(expof10)
''', '''    return value, expof10
''')),
    "parse_scale_by_helper": case(
        SI, "si_parse", "inline expression to the module's own helper",
        "the prefix's scale taken from si_prefix_scale(si_unit) instead of computing "
        "10 ** (3 * (index - levels)) in place: the helper computes the same power of ten "
        "from the same index and the same levels",
        ('''    prefix_levels = (len(SI_PREFIX_UNITS) - 1) // 2
    scale = 10 ** (3 * (SI_PREFIX_UNITS.index(si_unit) - prefix_levels))
    return float(d["number"]) * scale
''', '''    return float(d["number"]) * si_prefix_scale(si_unit)
''')),
}

CARELESS = {
    "positive_exponent_bound_inclusive": case(
        SI, "split", "boundary moved (> 0 to >= 0)",
        "an exponent of 0 rounded down to a multiple of three like the positive ones "
        "instead of taken a step down: numbers from 1 to 10, the suite's 3.93766 and "
        "-1.234, come out the same, but one from 0.1 to 1, whose truncated log10 is also 0, "
        "keeps its exponent 0: si_format(0.5) gives '0.5 ' where it gave '500.0 m'",
        ('''    if expof10 > 0:
        expof10 = (expof10 // 3) * 3
''', '''    if expof10 >= 0:
        expof10 = (expof10 // 3) * 3
'''),
        probe=Probe(SETUP, "si_prefix.si_format(0.5)", "'500.0 m'", "'0.5 '")),
    "exponent_letter_lower_only": case(
        SI, "si_parse", "case narrowed ([eE] to e)",
        "the e-notation pattern written with a lower-case e alone instead of [eE]: the "
        "suite's exponents are all written with e, but '1.5E3' now fails both patterns and "
        "raises AttributeError where it parsed to 1500.0",
        ('''        r"(?P<fraction>.\\d+)?\\s*([eE]\\s*"
''', '''        r"(?P<fraction>.\\d+)?\\s*(e\\s*"
'''),
        probe=Probe(SETUP, "si_prefix.si_parse('1.5E3')", "1500.0", "raises AttributeError")),
    "format_try_narrowed": case(
        SI, "si_format", "try narrowed to the prefix's lookup",
        "only the prefix's lookup kept inside the try, the format applied after it, instead "
        "of the whole format: the exponent form still answers past yotta, as the suite "
        "checks, but a format_str that raises ValueError itself no longer falls back to "
        "exp_format_str: '{value:d}' raises where it gave '5.0e0'",
        ('''    try:
        return format_str.format(value=value_str, prefix=prefix(expof10).strip())
    except ValueError:
''', '''    try:
        unit = prefix(expof10).strip()
    except ValueError:
'''),
        ('''            value=value_str, expof10="".join([sign, str(expof10)])
        )
''', '''            value=value_str, expof10="".join([sign, str(expof10)])
        )
    return format_str.format(value=value_str, prefix=unit)
'''),
        probe=Probe(SETUP, "si_prefix.si_format(5, format_str='{value:d}')", "'5.0e0'",
                    "raises ValueError")),
    "prefix_level_truncated": case(
        SI, "prefix", "floor division to truncating division",
        "the level taken as int(expof10 / 3), truncated toward zero, instead of expof10 // "
        "3, floored: the same for every multiple of three, all that si_format passes, but "
        "prefix(-1) now answers the unit's space where it answered 'm'",
        ('''    si_level = expof10 // 3
''', '''    si_level = int(expof10 / 3)
'''),
        probe=Probe(SETUP, "si_prefix.prefix(-1)", "'m'", "' '")),
    "scale_by_division": case(
        SI, "split", "rounding changed (multiply by 10 ** -e to divide by 10 ** e)",
        "the number divided by ten to the exponent instead of multiplied by ten to its "
        "negation: the same to the suite's two decimals, but a division by 1000 rounds "
        "where a multiplication by 0.001 rounded, a bit apart: split(1003.0) answers 1.003 "
        "where it answered 1.0030000000000001 (and an int scaled by 10 ** 0 becomes a "
        "float: split(50) answers 50.0 where it answered 50)",
        ('''    value *= 10 ** (-expof10)
''', '''    value /= 10 ** expof10
'''),
        probe=Probe(SETUP, "si_prefix.split(1003.0)", "(1.0030000000000001, 3)",
                    "(1.003, 3)")),
}
