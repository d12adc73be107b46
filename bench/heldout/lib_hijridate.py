"""hijridate 2.6.0 (MIT), held out (wave 10): Hijri (Umm al-Qura) and Gregorian dates, each
way. Hijri(year, month, day) checks, unless validate=False, the year against 1343..1500
(OverflowError), the month against 1..12 and the day against 1..the month's length
(ValueError, the message naming the bound and the value); its month's index into the table
of month starts (ummalqura.MONTH_STARTS, reduced Julian days) gives its Julian day number,
its weekday (int(jdn % 7)), its lengths and its Gregorian date; fromisoformat splits
'YYYY-MM-DD' on '-' and converts each part with int; isoformat pads the year to four digits;
equality and ordering compare date tuples and answer NotImplemented for anything but a
Hijri. Gregorian (a datetime.date) checks 1924-08-01..2077-11-16 (OverflowError) and bisects
the table for its Hijri date. locales.get_locale takes the first two letters of a name,
lower-cased, and raises ValueError('unsupported language: xx') for an unknown one. Its suite
(5,903 tests, most of them every year's and month's length and three files of reference
dates) is held to 100% coverage upstream: a line tracer over the whole suite found every
line of the package run, so all four controls change lines it runs. Every careless refactor
changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "hijridate"
CONVERT = "hijridate/convert.py"
LOCALES = "hijridate/locales.py"
SETUP = "from hijridate import Hijri, Gregorian"

_TO_HIJRI = '''        years = int(months / 12)
        year = years + 1
        month = months - (years * 12) + 1
'''

_CHECK_RANGE = '''            min_date_iso = "-".join([f"{i:02}" for i in min_date])
            max_date_iso = "-".join([f"{i:02}" for i in max_date])
'''

_DAY_CHECK = '''        if not 1 <= self.day <= month_length:
'''

CONTROLS = {
    "to_hijri_divmod": case(
        CONVERT, "Gregorian.to_hijri", "float division written as divmod",
        "the count of months since the epoch split into whole years and the month within "
        "the year with divmod(months, 12) instead of int(months / 12) and a subtraction: "
        "months is a non-negative int (a bisected index plus the table's offset), so the "
        "float division truncates to the floor divmod takes, exactly at these magnitudes",
        (_TO_HIJRI, '''        years, month_of_year = divmod(months, 12)
        year = years + 1
        month = month_of_year + 1
''')),
    "fromdate_attributes": case(
        CONVERT, "Gregorian.fromdate", "indexing replaced by attributes",
        "the year, month and day read from the date's attributes instead of the first "
        "three items of its timetuple(): a date's and a datetime's timetuple begins with "
        "the same three numbers",
        ('''        year, month, day = date_object.timetuple()[:3]
        return cls(year, month, day)
''', '''        return cls(date_object.year, date_object.month, date_object.day)
''')),
    "check_date_bounds_indexed": case(
        CONVERT, "Hijri._check_date", "generator unpacking replaced by indexing",
        "the smallest and largest years read by indexing the range's two date tuples "
        "instead of unpacking a generator over them: the same two numbers",
        ('''        min_year, max_year = (d[0] for d in ummalqura.HIJRI_RANGE)
''', '''        min_year = ummalqura.HIJRI_RANGE[0][0]
        max_year = ummalqura.HIJRI_RANGE[1][0]
''')),
    "check_range_iso_helper": case(
        CONVERT, "Gregorian._check_range", "helper extracted",
        "the range's two bounds written as ISO text by one private helper (the numbers "
        "zero-padded to two digits and joined with '-') instead of the same list "
        "comprehension twice: the same message",
        (_CHECK_RANGE, '''            min_date_iso = _dashed(min_date)
            max_date_iso = _dashed(max_date)
'''),
        ('''class Gregorian(datetime.date):
''', '''def _dashed(parts: tuple[int, ...]) -> str:
    """A date tuple as text, each number at least two digits, joined with '-'."""
    return "-".join(f"{i:02}" for i in parts)


class Gregorian(datetime.date):
''')),
}

CARELESS = {
    "fromisoformat_fixed_width": case(
        CONVERT, "Hijri.fromisoformat", "parsing narrowed",
        "the ISO text read by fixed-width slices ([:4], [5:7], [8:]) instead of split on "
        "'-': the same for the suite's '1410-08-13', but a date written without its "
        "zero padding, '1410-8-13', which split read, now fails int('8-')",
        ('''        year, month, day = map(int, date_string.split("-"))
''', '''        year = int(date_string[:4])
        month = int(date_string[5:7])
        day = int(date_string[8:])
'''),
        probe=Probe(SETUP, "Hijri.fromisoformat('1410-8-13')", "Hijri(1410, 8, 13)",
                    "raises ValueError")),
    "day_lower_bound_dropped": case(
        CONVERT, "Hijri._check_date", "boundary dropped",
        "the day checked only against the month's length ('if self.day > month_length'), "
        "on the belief that a day below 1 cannot be given: the suite's invalid day is 30 "
        "of a 29-day month, but day 0, refused before, now makes a Hijri date",
        (_DAY_CHECK, '''        if self.day > month_length:
'''),
        probe=Probe(SETUP, "Hijri(1410, 8, 0)", "raises ValueError", "Hijri(1410, 8, 0)")),
    "eq_false_not_notimplemented": case(
        CONVERT, "Hijri.__eq__", "NotImplemented replaced by False",
        "equality with anything but a Hijri answered False instead of NotImplemented, as "
        "'!=' reads the same: the suite checks NotImplemented for the four orderings only, "
        "and Hijri(...) != '1410-08-13' is still True, but __eq__ no longer lets the other "
        "operand decide",
        ('''    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Hijri):
            return NotImplemented
''', '''    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Hijri):
            return False
'''),
        probe=Probe(SETUP, "Hijri(1410, 8, 13).__eq__('1410-08-13')", "NotImplemented",
                    "False")),
    "weekday_int_dropped": case(
        CONVERT, "Hijri.weekday", "coercion removed",
        "the weekday returned as jdn % 7 without int(), since the Julian day number is an "
        "int: for the suite's int days it is, but a day given as a float (13.0 passes the "
        "range check) now gives the weekday 5.0, not 5",
        ('''        jdn = self.to_julian()
        return int(jdn % 7)
''', '''        jdn = self.to_julian()
        return jdn % 7
'''),
        probe=Probe(SETUP, "Hijri(1410, 8, 13.0).weekday()", "5", "5.0")),
    "locale_error_names_input": case(
        LOCALES, "get_locale", "exception message changed",
        "the unsupported-language error written with the name as given instead of the "
        "two-letter tag read from it: the same for the suite's 'xy', but 'xy-ZZ' is now "
        "reported as 'unsupported language: xy-ZZ', not 'unsupported language: xy'",
        ('''        message = f"unsupported language: {language_tag}"
''', '''        message = f"unsupported language: {name}"
'''),
        probe=Probe("from hijridate import locales\ndef said(name):\n    try:\n"
                    "        locales.get_locale(name)\n    except ValueError as exc:\n"
                    "        return str(exc)",
                    "said('xy-ZZ')", "'unsupported language: xy'",
                    "'unsupported language: xy-ZZ'")),
}
