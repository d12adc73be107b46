"""isodate 0.7.2 (BSD-3-Clause): ISO 8601 durations, dates, times and zones. Its targets take
plain strings (parse_duration, parse_date, parse_time), Duration and date objects
(Duration.__add__) and timedeltas whose formatting runs through a nested re.sub callback
that reads a re.Match (_strfduration)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "isodate"
DUR, DATES, STRF = "isodate/isoduration.py", "isodate/isodates.py", "isodate/isostrf.py"
DURATION, TIME, TZ = "isodate/duration.py", "isodate/isotime.py", "isodate/isotzinfo.py"
SETUP = "import datetime, decimal, isodate"

_GROUPS_LOOP = '''    for key, val in groups.items():
        if key not in ("separator", "sign"):
            if val is None:
                groups[key] = "0n"
            # print groups[key]
            if key in ("years", "months"):
                groups[key] = Decimal(groups[key][:-1].replace(",", "."))
            else:
                # these values are passed into a timedelta object,
                # which works with floats.
                groups[key] = float(groups[key][:-1].replace(",", "."))
'''

_SIGNED_RESULT = '''        )
        if groups["sign"] == "-":
            ret = timedelta(0) - ret
    else:
        ret = Duration(
            years=groups["years"],
            months=groups["months"],
            days=groups["days"],
            hours=groups["hours"],
            minutes=groups["minutes"],
            seconds=groups["seconds"],
            weeks=groups["weeks"],
        )
        if groups["sign"] == "-":
            ret = Duration(0) - ret
    return ret
'''

_WEEK_DAYS = '''                    if "day" in groups:
                        days = int(groups["day"] or 1)
                    else:
                        days = 1
'''

_HOURS_MINUTES = '''                if hours:
                    ret.append("%sH" % hours)
                if minutes:
                    ret.append("%sM" % minutes)
'''

_ADD_WHOLE = '''\
            if not (float(self.years).is_integer() and float(self.months).is_integer()):
                raise ValueError(
                    "fractional years or months not supported" " for date calculations"
                )
            newmonth = other.month + self.months'''

CONTROLS = {
    "duration_alternative_helper": case(
        DUR, "parse_duration", "extract helper",
        "the alternative format's Duration (PYYYY-MM-DDThh:mm:ss) built by a helper",
        ('''\
            else:
                # create Duration
                ret = Duration(
                    days=durdt.day,
                    seconds=durdt.second,
                    microseconds=durdt.microsecond,
                    minutes=durdt.minute,
                    hours=durdt.hour,
                    months=durdt.month,
                    years=durdt.year,
                )
            return ret
''', '''\
            else:
                ret = _alternative_duration(durdt)
            return ret
'''),
        ("\n\ndef duration_isoformat(", '''

def _alternative_duration(durdt):
    """A Duration of a datetime's fields (its year and month count as years and months)."""
    return Duration(days=durdt.day, seconds=durdt.second, microseconds=durdt.microsecond,
                    minutes=durdt.minute, hours=durdt.hour, months=durdt.month,
                    years=durdt.year)


def duration_isoformat(''')),
    "duration_groups_comprehension": case(
        DUR, "parse_duration", "loop to comprehension",
        "the groups converted by a dict comprehension over a helper, in the same key order",
        (_GROUPS_LOOP, '''    groups = {key: _component(key, val) for key, val in groups.items()}
'''),
        ("\n\ndef duration_isoformat(", '''

def _component(key, val):
    if key in ("separator", "sign"):
        return val
    text = ("0n" if val is None else val)[:-1].replace(",", ".")
    # years and months stay exact; the rest go into a timedelta, which works with floats
    return Decimal(text) if key in ("years", "months") else float(text)


def duration_isoformat(''')),
    "duration_sign_table": case(
        DUR, "parse_duration", "merged branches",
        "the sign applied once, after either branch, against that branch's zero",
        (_SIGNED_RESULT, '''        )
        zero = timedelta(0)
    else:
        ret = Duration(
            years=groups["years"],
            months=groups["months"],
            days=groups["days"],
            hours=groups["hours"],
            minutes=groups["minutes"],
            seconds=groups["seconds"],
            weeks=groups["weeks"],
        )
        zero = Duration(0)
    if groups["sign"] == "-":
        ret = zero - ret
    return ret
''')),
    "date_sign_conditional": case(
        DATES, "parse_date", "conditional expression",
        "the and/or idiom for the sign as a conditional expression",
        ('sign = (groups["sign"] == "-" and -1) or 1',
         'sign = -1 if groups["sign"] == "-" else 1')),
    "date_week_days_inline": case(
        DATES, "parse_date", "branch inlined",
        "the weekday's four-line if/else as one conditional expression",
        (_WEEK_DAYS, '''                    days = int(groups["day"] or 1) if "day" in groups else 1
''')),
    "date_day_default_get": case(
        DATES, "parse_date", "stdlib call",
        "the day's default read with dict.get (groupdict always holds the key or not)",
        ('''            if "day" not in groups or groups["day"] is None:
                day = defaultday
            else:
                day = int(groups["day"])
''', '''            day = defaultday if groups.get("day") is None else int(groups["day"])
''')),
    "strf_hours_minutes_loop": case(
        STRF, "_strfduration", "loop to comprehension",
        "hours and minutes appended from one generator over (value, unit) pairs",
        (_HOURS_MINUTES, '''\
                ret.extend("%s%s" % (n, unit)
                           for n, unit in ((hours, "H"), (minutes, "M")) if n)
''')),
    "strf_directive_local": case(
        STRF, "_strfduration", "extract variable",
        "the matched directive read once into a local (match.group(0) four times before)",
        ('''        if match.group(0) in STRF_D_MAP:
            return STRF_D_MAP[match.group(0)](tdt, yeardigits)
        elif match.group(0) == "%P":''', '''        directive = match.group(0)
        if directive in STRF_D_MAP:
            return STRF_D_MAP[directive](tdt, yeardigits)
        elif directive == "%P":'''),
        ('elif match.group(0) == "%p":', 'elif directive == "%p":')),
    "add_newday_min": case(
        DURATION, "Duration.__add__", "stdlib call",
        "the day clamped to the month's last with min() (both ints; min keeps the first)",
        ('''            if other.day > maxdays:
                newday = maxdays
            else:
                newday = other.day
            newdt = other.replace(
                year=int(newyear), month=int(newmonth), day=int(newday)
            )
            # does a timedelta + date/datetime''', '''            newday = min(other.day, maxdays)
            newdt = other.replace(
                year=int(newyear), month=int(newmonth), day=int(newday)
            )
            # does a timedelta + date/datetime''')),
    "add_whole_helper": case(
        DURATION, "Duration.__add__", "extract helper",
        "the whole-years-and-months guard as a module-level helper that raises",
        (_ADD_WHOLE, '''            _require_whole(self.years, self.months)
            newmonth = other.month + self.months'''),
        ("\n\nclass Duration:", '''

def _require_whole(years, months):
    if not (float(years).is_integer() and float(months).is_integer()):
        raise ValueError("fractional years or months not supported for date calculations")


class Duration:''')),
    "time_groups_comprehension": case(
        TIME, "parse_time", "loop to comprehension",
        "the decimal commas replaced by a dict comprehension (same keys, same order)",
        ('''            for key, value in groups.items():
                if value is not None:
                    groups[key] = value.replace(",", ".")
''', '''            groups = {key: value if value is None else value.replace(",", ".")
                      for key, value in groups.items()}
''')),
    "tz_sign_conditional": case(
        TZ, "build_tzinfo", "conditional expression",
        "the and/or idiom for the offset's sign as a conditional expression",
        ('tzsign = ((tzsign == "-") and -1) or 1', 'tzsign = -1 if tzsign == "-" else 1')),
}

CARELESS = {
    "duration_comma_dropped": case(
        DUR, "parse_duration", "lenient parsing dropped",
        "a decimal comma is no longer read in the time components (only '.' is)",
        ('groups[key] = float(groups[key][:-1].replace(",", "."))',
         "groups[key] = float(groups[key][:-1])"),
        probe=Probe(SETUP, "isodate.parse_duration('PT1,5H')", 'datetime.timedelta(seconds=5400)',
                    'raises ValueError')),
    "duration_timedelta_forced": case(
        DUR, "parse_duration", "guard dropped",
        "as_timedelta_if_possible no longer consulted: a Duration is never asked for",
        ('if as_timedelta_if_possible and groups["years"] == 0 and groups["months"] == 0:',
         'if groups["years"] == 0 and groups["months"] == 0:'),
        probe=Probe(SETUP, "isodate.parse_duration('P1D', as_timedelta_if_possible=False)",
                    'isodate.duration.Duration(1, 0, 0, years=0, months=0)',
                    'datetime.timedelta(days=1)')),
    "date_century_default_month": case(
        DATES, "parse_date", "changed default",
        "a century date ignores defaultmonth (January always)",
        ('sign * (int(groups["century"]) * 100 + 1), defaultmonth, defaultday',
         'sign * (int(groups["century"]) * 100 + 1), 1, defaultday'),
        probe=Probe(SETUP, "isodate.parse_date('19', defaultmonth=6)", 'datetime.date(1901, 6, 1)',
                    'datetime.date(1901, 1, 1)')),
    "strf_weeks_abs_first": case(
        STRF, "_strfduration", "integer division",
        "%p takes the absolute value before the floor division (a negative part week)",
        ('return str(abs(tdt.days // 7)) + "W"', 'return str(abs(tdt.days) // 7) + "W"'),
        probe=Probe(SETUP, "isodate.duration_isoformat(datetime.timedelta(days=-8), "
                    "isodate.D_WEEK)", "'-P2W'", "'-P1W'")),
    "strf_usecs_unpadded": case(
        STRF, "_strfduration", "formatting",
        "the fraction of a second no longer zero-padded to six digits",
        ('ret.append(("%d.%06d" % (seconds, usecs)).rstrip("0"))',
         'ret.append(("%d.%d" % (seconds, usecs)).rstrip("0"))'),
        probe=Probe(SETUP, "isodate.duration_isoformat(datetime.timedelta(seconds=1.05))",
                    "'PT1.05S'",
                    "'PT1.5S'")),
    "strf_usecs_guard": case(
        STRF, "_strfduration", "guard dropped",
        "microseconds alone no longer open the time part",
        ("if hours or minutes or seconds or usecs:", "if hours or minutes or seconds:"),
        probe=Probe(SETUP, "isodate.duration_isoformat(datetime.timedelta(microseconds=5))",
                    "'PT0.000005S'",
                    "'P0D'")),
    "add_months_fraction_unchecked": case(
        DURATION, "Duration.__add__", "guard dropped",
        "only fractional years are refused when added to a date; fractional months pass",
        (_ADD_WHOLE, _ADD_WHOLE.replace(
            "(float(self.years).is_integer() and float(self.months).is_integer())",
            "float(self.years).is_integer()")),
        probe=Probe(SETUP, "isodate.Duration(months=1.5) + datetime.date(2000, 1, 1)",
                    'raises ValueError',
                    'datetime.date(2000, 2, 1)')),
    "time_hour_fraction_truncated": case(
        TIME, "parse_time", "rounding",
        "an hour's fraction truncated to the microsecond instead of rounded",
        ('''            microsecond = (second - int(second)) * int(1e6)
            return time(
                int(hour),
                int(minute),
                int(second),
                int(microsecond.to_integral()),''', '''\
            microsecond = (second - int(second)) * int(1e6)
            return time(
                int(hour),
                int(minute),
                int(second),
                int(microsecond),'''),
        probe=Probe(SETUP, "isodate.parse_time('10.0000000002')", 'datetime.time(10, 0, 0, 1)',
                    'datetime.time(10, 0)')),
    "tz_name_falsy": case(
        TZ, "build_tzinfo", "None handling",
        "any false name means no zone (0 or b'' were offsets before)",
        ('if tzname is None or tzname == "":', "if not tzname:"),
        probe=Probe(SETUP, "isodate.isotzinfo.build_tzinfo(0, '-', 2)", '<FixedOffset 0>',
                    'None')),
    "tz_sign_not_plus": case(
        TZ, "build_tzinfo", "inverted default",
        "the sign read as 'not +' instead of '-': an empty or None sign turns negative",
        ('tzsign = ((tzsign == "-") and -1) or 1', 'tzsign = 1 if tzsign == "+" else -1'),
        probe=Probe(SETUP, "isodate.isotzinfo.build_tzinfo('EST', None, 5).utcoffset(None)",
                    'datetime.timedelta(seconds=18000)',
                    'datetime.timedelta(days=-1, seconds=68400)')),
    "tz_z_ignores_dst": case(
        TZ, "tz_isoformat", "guard dropped",
        "a zero offset prints Z even when the zone is on daylight saving time",
        ("if tzinfo.utcoffset(dt) == ZERO and tzinfo.dst(dt) == ZERO:",
         "if tzinfo.utcoffset(dt) == ZERO:"),
        probe=Probe(SETUP + "\nclass Summer(datetime.tzinfo):\n"
                    "    def utcoffset(self, dt): return datetime.timedelta(0)\n"
                    "    def dst(self, dt): return datetime.timedelta(hours=1)\n",
                    "isodate.tz_isoformat(datetime.datetime(2000, 6, 1, tzinfo=Summer()))",
                    "'+00:00'",
                    "'Z'")),
}
