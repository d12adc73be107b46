"""nepali-datetime 1.0.8.5 (MIT), held out (wave 20): the Bikram Sambat (Nepali) calendar as
the datetime module's types, years 1975 to 2100. nepali_datetime/__init__.py reads its calendar
(data/calendar_bs.csv, one row a year of twelve month lengths) into _CALENDAR (a year's
cumulative month ends, -1 before the first) and _DAYS_BEFORE_YEAR (cumulative year ends); a
date or datetime checks its fields (_check_int_field: an int as it is, a float refused,
anything else through __int__; _check_date_fields and _check_time_fields: each in its range,
a day up to _days_in_month, whose first month is the table's first entry itself), counts days
from Baishakh 1, 1975 (_ymd2ord; _ord2ymd back by _bin_search over the cumulative tables),
adds a timedelta's whole days (date.__add__: OverflowError outside 1.._MAXORDINAL), converts
to and from datetime.date through a reference date (1918-04-13 is 1975-01-01), builds a
datetime from a POSIX timestamp (_fromtimestamp: the fraction rounded to microseconds,
carried into the seconds), and formats by its own strftime directives (_wrap_strftime).
nepali_datetime/_custom_strptime.py parses by the standard library's TimeRE, compiled with
re.IGNORECASE, with the Nepali month names, %y's pivot at 89, and a default year of 1975.

Its suite (tests/: 14 tests) converts five dates each way and the reference date, builds a
date and a datetime, checks today() and now() against the standard library's clock (by
minute), a timestamp, strftime of two dates and a datetime, and strptime of five strings
(%Y-%m-%d, "Asar 23 2025 10:00:00" by %B, and %y at 89, 90 and 00). A line tracer over it
found unrun most comparisons, replace, ctime, isoformat (and _format_time), __repr__,
astimezone, the time zone checks, calendar, _check_int_field's non-int paths, every field's
ValueError, strptime's %f, %I, %j, %U, %W, %z and %Z, and the week calculations. Its tests
never build a date past the last day of a month, never give a field as an int-like object
(a Decimal), never look at a timestamp's microseconds, never add a timedelta of hours, and
never parse a month name holding a letter re.IGNORECASE matches to an ASCII one ('ſ' for s)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "nepali-datetime"
INIT = "nepali_datetime/__init__.py"
STRPTIME = "nepali_datetime/_custom_strptime.py"
SETUP = "import datetime\nimport decimal\nimport nepali_datetime"

CONTROLS = {
    "midpoint_rewritten": case(
        INIT, "_bin_search", "arithmetic rewritten",
        "the search's midpoint computed as (len(arr) - 1) // 2 instead of len(arr) // 2 - 1 "
        "+ len(arr) % 2: for a length 2k both are k - 1, for 2k + 1 both are k, so every "
        "step splits the same slice at the same index",
        ('''        mid = len(arr) // 2 - 1 + len(arr) % 2
''', '''        mid = (len(arr) - 1) // 2
''')),
    "time_text_two_returns": case(
        INIT, "_format_time", "accumulator to two returns (lines the suite never runs)",
        "HH:MM:SS and its microseconds written by two returns of one % format each instead "
        "of a string extended when us is truthy: the same %02d and %06d conversions of the "
        "same values under the same test; _format_time is called only by datetime.isoformat, "
        "which no test calls",
        ('''    result = "%02d:%02d:%02d" % (hh, mm, ss)
    if us:
        result += ".%06d" % us
    return result
''', '''    if us:
        return "%02d:%02d:%02d.%06d" % (hh, mm, ss, us)
    return "%02d:%02d:%02d" % (hh, mm, ss)
''')),
    "locate_by_helper": case(
        INIT, "_ord2ymd", "repeated steps extracted into a helper",
        "the year and then the month of a day's ordinal found by a module helper, "
        "_locate(n, ends), instead of the same two steps written out: each searches the "
        "cumulative ends with _bin_search and, past the first period, counts n from the "
        "previous period's end; index > 0 is the base's year > MINYEAR and month > 1, and "
        "the month's table is _CALENDAR[year][1:], whose entry index - 1 is the base's "
        "_CALENDAR[year][month - 1]",
        ('''def _ord2ymd(n):
    year = MINYEAR + _bin_search(n, *_DAYS_BEFORE_YEAR)
    if year > MINYEAR:
        n -= _DAYS_BEFORE_YEAR[year - MINYEAR - 1]
    month = 1 + _bin_search(n, *_CALENDAR[year][1:])
    if month > 1:
        n -= _CALENDAR[year][month - 1]
    return year, month, n
''', '''def _locate(n, ends):
    # the index of the period (a year, a month) whose cumulative end is the first at or past
    # day n, and n counted from that period's first day
    index = _bin_search(n, *ends)
    if index > 0:
        n -= ends[index - 1]
    return index, n


def _ord2ymd(n):
    index, n = _locate(n, _DAYS_BEFORE_YEAR)
    year = MINYEAR + index
    index, n = _locate(n, _CALENDAR[year][1:])
    return year, index + 1, n
''')),
    "compare_by_bool_difference": case(
        INIT, "_cmp", "conditional expression to a difference of comparisons",
        "the three-way comparison answered as (x > y) - (x < y) instead of 0 if equal, else "
        "1 if greater, else -1: its arguments are tuples of the checked int fields, totally "
        "ordered, so exactly one of ==, > and < holds and both answer the same int",
        ('''    return 0 if x == y else 1 if x > y else -1
''', '''    return (x > y) - (x < y)
''')),
}

CARELESS = {
    "first_month_end_as_length": case(
        INIT, "_days_in_month", "special case dropped (the table's first entry is -1)",
        "a month's length taken as the difference of its end and the previous month's for "
        "every month instead of Baishakh's being its end itself: _CALENDAR's first entry is "
        "-1, not 0, so Baishakh is now one day longer; every date the suite builds is a real "
        "one and passes either way, but 2077-01-32 is now accepted where it raised "
        "ValueError (day must be in 1..31)",
        ('''    if month == 1:
        return _CALENDAR[year][1]
    return _CALENDAR[year][month] - _CALENDAR[year][month - 1]
''', '''    return _CALENDAR[year][month] - _CALENDAR[year][month - 1]
'''),
        probe=Probe(SETUP, "nepali_datetime.date(2077, 1, 32).day",
                    "raises ValueError", "32")),
    "int_field_by_index": case(
        INIT, "_check_int_field", "conversion protocol narrowed (__int__ to __index__)",
        "a field that is not an int converted by operator.index instead of its __int__: the "
        "same for every int and every float (refused either way), but a Decimal has "
        "__int__ and no __index__, so date(Decimal(2077), 1, 1) now raises TypeError where "
        "it built the date",
        ('''import math as _math
''', '''import math as _math
import operator as _operator
'''), ('''    if isinstance(value, int):
        return value
    if not isinstance(value, float):
        try:
            value = value.__int__()
        except AttributeError:
            pass
        else:
            if isinstance(value, int):
                return value
            raise TypeError('__int__ returned non-int (type %s)' % type(value).__name__)
        raise TypeError('an integer is required (got type %s)' % type(value).__name__)
    raise TypeError('integer argument expected, got float')
''', '''    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError('integer argument expected, got float')
    try:
        return _operator.index(value)
    except TypeError:
        raise TypeError('an integer is required (got type %s)' % type(value).__name__) from None
'''),
        probe=Probe(SETUP, "nepali_datetime.date(decimal.Decimal(2077), 1, 1).year",
                    "2077", "raises TypeError")),
    "microseconds_truncated": case(
        INIT, "datetime._fromtimestamp", "round() to int() (truncation)",
        "a timestamp's fraction turned into microseconds by int() instead of round(): the "
        "suite checks now() and utcnow() only to the minute, but 1.0000007 s (a fraction of "
        "0.70000000000902 microseconds) now gives 0 microseconds where it gave 1",
        ('''        us = round(frac * 1e6)
''', '''        us = int(frac * 1e6)
'''),
        probe=Probe(SETUP, "nepali_datetime.datetime.utcfromtimestamp(1.0000007).microsecond",
                    "1", "0")),
    "timedelta_days_rounded": case(
        INIT, "date.__add__", "whole days to rounded division",
        "the days added to a date taken as round(other / timedelta(days=1)) instead of "
        "other.days: the same for the whole days of the suite's conversions (a date minus a "
        "date), but 13 hours now add a day, and -1 hour none, where .days (floored) gave 0 "
        "and -1",
        ('''            o = self.toordinal() + other.days
''', '''            o = self.toordinal() + round(other / _actual_datetime.timedelta(days=1))
'''),
        probe=Probe(SETUP,
                    "str(nepali_datetime.date(2077, 1, 1) + datetime.timedelta(hours=13))",
                    "'2077-01-01'", "'2077-01-02'")),
    "month_name_casefolded": case(
        STRPTIME, "_strptime", "lower() to casefold()",
        "a %B month name looked up by its casefold() instead of its lower(): the same for "
        "every ASCII name, but the format's regular expression is compiled with IGNORECASE, "
        "which matches 'ſ' (long s) to s, and casefold() turns it into s where lower() "
        "keeps it: 'ſhrawan' now parses as month 4 where it raised ValueError",
        ('''            month = _FULLMONTHNAMES.index(found_dict['B'].lower())
''', '''            month = _FULLMONTHNAMES.index(found_dict['B'].casefold())
'''),
        probe=Probe(SETUP,
                    "nepali_datetime.datetime.strptime('ſhrawan 01 2077', '%B %d %Y').month",
                    "raises ValueError", "4")),
}
