"""aniso8601 10.0.1 (BSD-3-Clause), held out (wave 4): ISO 8601 dates, times, datetimes,
durations, intervals and repeating intervals parsed from text. The parsers split the text
into component strings and hand them to a builder; PythonTimeBuilder range-checks each
(int, or float when it has a decimal part; fractions become whole microseconds, truncated)
and builds datetime objects, time zones as UTCOffset. Its suite (aniso8601/tests and
aniso8601/builders/tests, inside the package) runs every statement of the package, so
every refactor below changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "aniso8601"
PY = "aniso8601/builders/python.py"
SETUP = "import datetime, aniso8601"

_TZMINUTE = '''        if mm is not None:
            tzminute = int(mm)
        else:
            tzminute = 0
'''

_GENERATOR = '''        currentdate = startdate
        currentiteration = 0

        while currentiteration < iterations:
            yield currentdate

            # Update the values
            currentdate += timedelta
            currentiteration += 1
'''

CONTROLS = {
    "iso_year_start_weekday": case(
        PY, "PythonTimeBuilder._iso_year_start", "equivalent call",
        "isoweekday() - 1 written weekday(): both count Monday as 0",
        ("        delta = datetime.timedelta(days=fourth_jan.isoweekday() - 1)",
         "        delta = datetime.timedelta(days=fourth_jan.weekday())")),
    "tzminute_conditional": case(
        PY, "PythonTimeBuilder.build_timezone", "conditional expression",
        "the if/else assigning the offset's minutes written as one conditional expression",
        (_TZMINUTE, "        tzminute = int(mm) if mm is not None else 0\n")),
    "date_generator_range": case(
        PY, "PythonTimeBuilder._date_generator", "loop rewritten",
        "the counted while loop written as a for over range(iterations)",
        (_GENERATOR, '''        currentdate = startdate

        for _ in range(iterations):
            yield currentdate

            # Update the value
            currentdate += timedelta
''')),
    "duration_resolution_reordered": case(
        "aniso8601/duration.py", "get_duration_resolution", "checks reordered",
        "weeks tested before days: the parsers never set both (a week designator may not "
        "be combined with any other)",
        ("    if isodurationtuple.PnD is not None:\n        return DurationResolution.Days\n\n"
         "    if isodurationtuple.PnW is not None:\n        return DurationResolution.Weeks\n",
         "    if isodurationtuple.PnW is not None:\n        return DurationResolution.Weeks\n\n"
         "    if isodurationtuple.PnD is not None:\n        return DurationResolution.Days\n")),
}

CARELESS = {
    "repetitions_not_int": case(
        PY, "PythonTimeBuilder.build_repeating_interval", "coercion removed",
        "int() around the repetition count dropped as redundant (range_check casts it): "
        "it casts 'R2.5' to the float 2.5, and the generator then yields three dates, "
        "not two",
        ("        iterations = int(Rnn)", "        iterations = Rnn"),
        probe=Probe(SETUP, "len(list(aniso8601.parse_repeating_interval("
                           "'R2.5/2020-01-01/P1D')))", "2", "3")),
    "interval_microseconds_dropped": case(
        PY, "PythonTimeBuilder.build_interval", "condition dropped",
        "the duration's microseconds left out of the test for a datetime end: a date "
        "start plus a duration of under a second's fraction of a day ends on a date, "
        "its time dropped",
        ("            or durationobject.seconds != 0\n"
         "            or durationobject.microseconds != 0\n",
         "            or durationobject.seconds != 0\n"),
        probe=Probe(SETUP, "aniso8601.parse_interval('2020-01-01/P0.0000001D')[1]",
                    "datetime.datetime(2020, 1, 1, 0, 0, 0, 8640)",
                    "datetime.date(2020, 1, 1)")),
    "hours_limit_true_division": case(
        PY, "PythonTimeBuilder.range_check_duration", "true division for floor division",
        "hours // 24 written hours / 24 in the hours' limit: a duration of the largest "
        "day count and an hour more is refused, though timedelta holds it",
        ("            if hours // HOURS_PER_DAY > TIMEDELTA_MAX_DAYS:",
         "            if hours / HOURS_PER_DAY > TIMEDELTA_MAX_DAYS:"),
        probe=Probe(SETUP, "aniso8601.parse_duration('PT23999999977H')",
                    "datetime.timedelta(days=999999999, seconds=3600)",
                    "raises HoursOutOfBoundsError")),
    "utc_designator_any_case": case(
        "aniso8601/timezone.py", "parse_timezone", "check widened (case folded)",
        "the one-character Z test written tzstr.upper() == 'Z': a lower-case z, which ISO "
        "8601 does not allow, is read as UTC",
        ('    if len(tzstr) == 1 and tzstr[0] == "Z":', '    if tzstr.upper() == "Z":'),
        probe=Probe("from aniso8601.timezone import parse_timezone", "parse_timezone('z')",
                    "raises ISOFormatError", "+0:00:00 UTC")),
    "interval_start_limit_inclusive": case(
        PY, "PythonTimeBuilder.range_check_interval", "boundary moved",
        "'<' written '<=' in the <duration>/<end> range check: an interval that starts "
        "exactly at datetime.min is refused",
        ("                if enddatetime - datetime.datetime.min < durationobject:",
         "                if enddatetime - datetime.datetime.min <= durationobject:"),
        probe=Probe(SETUP, "aniso8601.parse_interval('P1D/0001-01-02')",
                    "(datetime.date(1, 1, 2), datetime.date(1, 1, 1))",
                    "raises YearOutOfBoundsError")),
}
