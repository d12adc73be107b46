"""epiweeks 2.4.0 (MIT), held out (wave 32): epidemiological weeks in the US CDC's (MMWR,
weeks from Sunday) and the ISO (weeks from Monday) numbering systems, one module
(epiweeks/__init__.py). Week(year, week, system='cdc', validate=True) checks the year
(_check_year: 1 <= year <= 9999), the system (_check_system: its lower case in ('cdc',
'iso')) and the week (_check_week: 1 to the year's count of weeks), and keeps the system
upper-cased; Week.fromdate(date, system) counts whole weeks from the year's first week's start,
stepping back a year below zero and forward at 52 when the date reaches next year's start;
Week.fromstring(text) drops '-' and 'W' and reads the year from characters 0-4 and the week
from 4-6 (a trailing ISO weekday ignored); weeks compare by (year, week) and refuse to compare
across systems (TypeError); adding or subtracting an int moves whole weeks through the start
date; `date in week` tests the week's seven dates; daydate(weekday) offsets the start by
(adjustment + weekday) % 7. Year(year, system) gives totalweeks, startdate, enddate and
iterweeks. _year_start puts week 1 where the year's 1 January falls on or before its
system's mid-week day (Wednesday or Thursday).

Its suite (tests/: 4037 tests, pytest) checks every function against the CDC's and ISO's
reference start dates of weeks (3966 cases, both ways), and in unit tests repr, str, hash,
equality and ordering, addition and subtraction of 1, containment of two dates, seven
fromdate and seven fromstring cases, daydate for weekdays 0 to 6, the years' weeks, and the
checks' errors for years 0 and 20155, weeks 0 and 53, and the system 'mmwr'. A line tracer over
it found every line of the module run. Its tests never give a week string in lower case or
with other separators, a year at 9999, a system in mixed case, a weekday outside 0..6, nor a
datetime (a date's subclass) to `in`."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "epiweeks"
EPIWEEKS = "epiweeks/__init__.py"

CONTROLS = {
    "weeks_added_as_days": case(
        EPIWEEKS, "Week.__add__", "equivalent expression",
        "the new start date computed with timedelta(days=7 * other) instead of "
        "timedelta(weeks=other): other has been checked to be an int, and a week is seven "
        "days to timedelta either way",
        ('''        new_date = self.startdate() + timedelta(weeks=other)
''', '''        new_date = self.startdate() + timedelta(days=7 * other)
''')),
    "subtraction_by_operator": case(
        EPIWEEKS, "Week.__sub__", "method call to operator",
        "the week returned as self + -other instead of self.__add__(-other): other has been "
        "checked to be an int, so + reaches the same __add__ with the same negated int, and "
        "__add__ never answers NotImplemented (it raises TypeError itself)",
        ('''        return self.__add__(-other)
''', '''        return self + -other
''')),
    "dates_yielded_from_generator": case(
        EPIWEEKS, "Week.iterdates", "loop to generator expression",
        "the seven dates yielded from a generator expression over range(7) instead of a for "
        "loop over range(0, 7) yielding each: the function is still a generator, the start "
        "date still computed on the first next(), and the same dates come in the same order",
        ('''        for day in range(0, 7):
            yield startdate + timedelta(days=day)
''', '''        yield from (startdate + timedelta(days=day) for day in range(7))
''')),
    "total_weeks_inlined": case(
        EPIWEEKS, "_year_total_weeks", "local variables inlined",
        "the next year's start ordinal and the week count inlined into the returned "
        "expression: each local was read once, the two starts are still computed in the same "
        "order (this year's first, so a year out of date's range fails at the same call), "
        "and _year_start has no side effect",
        ('''    next_year_start_ordinal = _year_start(year + 1, system)
    weeks = (next_year_start_ordinal - year_start_ordinal) // 7
    return weeks
''', '''    return (_year_start(year + 1, system) - year_start_ordinal) // 7
''')),
}

CARELESS = {
    "week_string_digits_kept": case(
        EPIWEEKS, "Week.fromstring", "string cleaning by filter",
        "the week string cleaned by keeping its digits, ''.join(c for c in week_string if "
        "c.isdigit()), instead of removing '-' and 'W': the same for every format its "
        "docstring names (YYYYww, YYYYWww, YYYY-Www, with or without a weekday), but a lower-"
        "case 'w', which int() refused (ValueError), is now dropped too, and so is any other "
        "separator",
        ('''        week_string = week_string.replace("-", "").replace("W", "")
''', '''        week_string = "".join(c for c in week_string if c.isdigit())
'''),
        probe=Probe("from epiweeks import Week", "Week.fromstring('2015w01')",
                    "raises ValueError", "Week(2015, 1, CDC)")),
    "year_checked_by_range": case(
        EPIWEEKS, "_check_year", "chained comparison to range membership",
        "the year checked by year not in range(1, max_years) instead of not 1 <= year <= "
        "max_years: the same for every year from 1 to 9998 and outside, but range excludes "
        "its stop, so 9999, which the message still names as supported, is refused",
        ('''    if not 1 <= year <= max_years:
''', '''    if year not in range(1, max_years):
'''),
        probe=Probe("from epiweeks import Year", "Year(9999)", "Year(9999, CDC)",
                    "raises ValueError")),
    "systems_listed_in_both_cases": case(
        EPIWEEKS, "_check_system", "case folding to listed spellings",
        "the system checked against ('cdc', 'iso', 'CDC', 'ISO') instead of lower-casing it "
        "first: the four spellings the tests give still pass, but a system in mixed case, "
        "which the rest of the module lower- or upper-cases and accepted, is now refused",
        ('''    systems = ("cdc", "iso")
    if system.lower() not in systems:
''', '''    systems = ("cdc", "iso")
    if system not in (*systems, "CDC", "ISO"):
'''),
        probe=Probe("from epiweeks import Year", "Year(2015, 'Iso')", "Year(2015, ISO)",
                    "raises ValueError")),
    "weekday_wrapped_once": case(
        EPIWEEKS, "Week.daydate", "modulo to conditional subtraction",
        "the day's offset wrapped by subtracting 7 once when it reaches 7 instead of taking "
        "it modulo 7: adjustment (0 or 1) plus a weekday from 0 to 6 is below 14, so the same "
        "for every weekday the docstring allows, but a negative weekday, which % 7 wrapped "
        "into the week (-1 is Sunday), now gives a day before the week's start",
        ('''        diff = (_system_adjustment(self._system) + weekday) % 7
''', '''        diff = _system_adjustment(self._system) + weekday
        if diff >= 7:
            diff -= 7
'''),
        probe=Probe("from epiweeks import Week", "Week(2015, 1, 'iso').daydate(-1)",
                    "datetime.date(2015, 1, 4)", "datetime.date(2014, 12, 28)")),
    "containment_by_bounds": case(
        EPIWEEKS, "Week.__contains__", "membership to range comparison",
        "the date tested by startdate() <= other <= enddate() instead of its membership in "
        "iterdates(): the same for every date, but a datetime passes the isinstance check (a "
        "date's subclass), and where it was never equal to one of the week's dates (False), "
        "comparing it with a date raises TypeError",
        ('''        return other in self.iterdates()
''', '''        return self.startdate() <= other <= self.enddate()
'''),
        probe=Probe("from datetime import datetime\nfrom epiweeks import Week",
                    "datetime(2015, 1, 5, 12) in Week(2015, 1)", "False",
                    "raises TypeError")),
}
