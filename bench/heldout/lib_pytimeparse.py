"""pytimeparse 1.1.10 (MIT), held out (wave 5): time expressions ('1w 3d 2h 32m',
'4:13:02.266', '1-04:18:35', '1.2 minutes') parsed from text to a number of seconds. The
sign is read apart; the rest is tried against each format in turn, and its fields become an
int when every field is whole, an int summed exactly (Decimal) and truncated when only the
seconds are whole, and a float otherwise; with granularity='minutes' a lone 'm:ss' is read as
'h:mm'. Its suite (pytimeparse/tests, renamed test_*.py in the tree; one test runs the
module's doctests) never gives a malformed number to the exact sum: one control rewrites
the handler's line. Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pytimeparse"
MOD = "pytimeparse/timeparse.py"
SETUP = "from pytimeparse import parse"

_FLOAT_SUM = '''                    return sign * sum(
                        [
                            MULTIPLIERS[k] * float(v)
                            for (k, v) in list(mdict.items())
                            if v is not None
                        ]
                    )
'''

_EXACT_SUM = '''                        int(
                            sum(
                                [
                                    MULTIPLIERS[k] * Decimal(v)
                                    for (k, v) in list(mdict.items())
                                    if k != "secs" and v is not None
                                ]
                            )
                        )
'''

_GUARDS = '''        and (("hours" not in mdict) or (mdict["hours"] is None))
        and (("days" not in mdict) or (mdict["days"] is None))
        and (("weeks" not in mdict) or (mdict["weeks"] is None))
'''

CONTROLS = {
    "malformed_number_continue": case(
        MOD, "timeparse", "pass written continue (lines no test runs)",
        "the handler of a malformed number ends the loop's body with continue, not pass: "
        "it is the body's last statement either way; no test gives the exact sum a "
        "malformed number",
        ("                # the next time format pattern per documented behavior.\n"
         "                pass\n",
         "                # the next time format pattern per documented behavior.\n"
         "                continue\n")),
    "whole_fields_int_default_base": case(
        MOD, "timeparse", "default argument spelled out dropped",
        "int(v, 10) written int(v) in the all-whole branch: a str's base is 10 by default",
        ("                            MULTIPLIERS[k] * int(v, 10)\n",
         "                            MULTIPLIERS[k] * int(v)\n")),
    "float_sum_generator": case(
        MOD, "timeparse", "list comprehension to generator",
        "the float branch sums a generator over mdict.items() instead of a list built "
        "over a copy of them: the same terms added in the same order",
        (_FLOAT_SUM, '''                    return sign * sum(
                        MULTIPLIERS[k] * float(v)
                        for k, v in mdict.items()
                        if v is not None
                    )
''')),
    "interpret_guards_get": case(
        MOD, "_interpret_as_minutes", "membership test folded into dict.get",
        "each 'not in mdict or mdict[key] is None' guard written mdict.get(key) is None",
        (_GUARDS, '''        and mdict.get("hours") is None
        and mdict.get("days") is None
        and mdict.get("weeks") is None
''')),
}

CARELESS = {
    "granularity_not_seconds": case(
        MOD, "timeparse", "test inverted against the default",
        "granularity == 'minutes' written granularity != 'seconds': any other value, a "
        "misspelt 'minute' among them, reads '1:30' as an hour and a half",
        ('            if granularity == "minutes":', '            if granularity != "seconds":'),
        probe=Probe(SETUP, "parse('1:30', granularity='minute')", "90", "5400")),
    "empty_match_accepted": case(
        MOD, "timeparse", "condition dropped",
        "the test that a format matched some text dropped (if match:): the first format "
        "matches the empty string with no field, so an empty or blank text parses as 0 "
        "instead of None",
        ("        if match and match.group(0).strip():", "        if match:"),
        probe=Probe(SETUP, "parse('')", "None", "0")),
    "exact_sum_truncated_per_unit": case(
        MOD, "timeparse", "truncation moved into the sum",
        "each unit's exact seconds truncated before the sum instead of the sum truncated: "
        "two fractional units whose fractions add up to a second lose it",
        (_EXACT_SUM, '''                        sum(
                            int(MULTIPLIERS[k] * Decimal(v))
                            for (k, v) in list(mdict.items())
                            if k != "secs" and v is not None
                        )
'''),
        probe=Probe(SETUP, "parse('0.0111h0.011m')", "40", "39")),
    "interpret_mins_guard_dropped": case(
        MOD, "_interpret_as_minutes", "guard dropped",
        "the last guard (the minutes were matched) dropped as implied by the single colon: "
        "':22' has a colon and no minutes, and with granularity='minutes' the swap reads "
        "the missing minutes",
        ('        and (("mins" in mdict and mdict["mins"] is not None))\n', ""),
        probe=Probe(SETUP, "parse(':22', granularity='minutes')", "22", "raises KeyError")),
    "float_sum_exact": case(
        MOD, "timeparse", "float arithmetic replaced by Decimal",
        "the float branch sums the fields exactly as Decimals, as the integer branch does, "
        "and converts once: a float's last digit moves where the float sum rounded "
        "differently",
        (_FLOAT_SUM, '''                    return sign * float(
                        sum(
                            MULTIPLIERS[k] * Decimal(v)
                            for (k, v) in list(mdict.items())
                            if v is not None
                        )
                    )
'''),
        probe=Probe(SETUP, "parse('1.1h1.1s')", "3961.1000000000004", "3961.1")),
}
