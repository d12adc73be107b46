"""The dates module of the refactor corpus: days and times as people type them, read against
an injectable reference date (never now()), month arithmetic and durations."""

from tests.governance.refactors.corpus import Module, edits

SOURCE = '''"""Reading the dates and times people type, against the reference date given."""
import datetime as dt
import re

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\\d{1,2})(?::(\\d{2}))?\\s*(am|pm)?$")


def parse_day(text, today):
    """A date from 'today', 'tomorrow', 'yesterday', 'in N days', a weekday name (the next
    one, never today) or ISO 'YYYY-MM-DD'."""
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + dt.timedelta(days=1)
    if word == "yesterday":
        return today - dt.timedelta(days=1)
    m = re.fullmatch(r"in (\\d+) days?", word)
    if m:
        return today + dt.timedelta(days=int(m.group(1)))
    if len(word) >= 3 and word[:3] in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(word[:3]) - today.weekday()) % 7
        return today + dt.timedelta(days=ahead or 7)
    return dt.date.fromisoformat(word)


def parse_time(text):
    """(hour, minute) from '9', '9:30', '9:30 pm', '21:30'; a 12-hour time needs 1..12."""
    m = _TIME.match(text.strip().lower())
    if not m:
        raise ValueError(f"not a time: {text!r}")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if minute > 59:
        raise ValueError("minute out of range")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("a 12-hour time needs 1..12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif hour > 23:
        raise ValueError("hour out of range")
    return hour, minute


def month_end(day):
    """The last day of `day`'s month."""
    first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def add_months(day, months):
    """`day` moved by whole months, kept inside the month (Jan 31 + 1 is Feb 28 or 29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = month_end(dt.date(year, month + 1, 1)).day
    return dt.date(year, month + 1, min(day.day, last))


def duration(text):
    """Seconds in '1h30m', '45m', '90s', '2h': units in this order, each at most once."""
    m = re.fullmatch(r"(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?", text.strip())
    if not m or not text.strip():
        raise ValueError(f"not a duration: {text!r}")
    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    return hours * 3600 + minutes * 60 + seconds
'''

TESTS = '''import datetime as dt

import pytest

from when.parse import add_months, duration, month_end, parse_day, parse_time

TODAY = dt.date(2024, 3, 13)  # a Wednesday


def test_days():
    for word in ["today", "Tomorrow", "yesterday", "in 3 days", "in 1 day", "friday", "wed",
                 "2024-05-01"]:
        assert isinstance(parse_day(word, TODAY), dt.date)


def test_bad_day():
    with pytest.raises(Exception):
        parse_day("someday", TODAY)


def test_times():
    assert parse_time("9")[1] == 0
    assert parse_time("9:30 pm")[0] > 12
    assert parse_time("12:15 am") is not None
    assert parse_time("21:05") is not None
    for bad in ["25:00", "9:75", "noon", "0 am"]:
        with pytest.raises(ValueError):
            parse_time(bad)


def test_months():
    assert month_end(TODAY).month == 3
    assert add_months(dt.date(2024, 1, 31), 1).month == 2
    assert add_months(TODAY, -3).year == 2023


def test_duration():
    assert duration("1h30m") > duration("45m")
    assert duration("90s") > 0
    with pytest.raises(ValueError):
        duration("")
'''

CARELESS = {
    "pm_hour_unchecked": ("parse_time", "boundary", edits(
        ('''    if half:
        if not 1 <= hour <= 12:
            raise ValueError("a 12-hour time needs 1..12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif hour > 23:
''', '''    if half:
        if hour == 0:
            raise ValueError("a 12-hour time needs 1..12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23:
'''))),
    "minute_sixty": ("parse_time", "boundary", edits(
        ("if minute > 59:", "if minute > 60:"))),
    "time_not_stripped": ("parse_time", "case/strip", edits(
        ("m = _TIME.match(text.strip().lower())", "m = _TIME.match(text.lower())"))),
    "weekday_today": ("parse_day", "boundary", edits(
        ("return today + dt.timedelta(days=ahead or 7)",
         "return today + dt.timedelta(days=ahead)"))),
    "isoweekday": ("parse_day", "off by one", edits(
        ("- today.weekday()) % 7", "- today.isoweekday()) % 7"))),
    "iso_prefix_only": ("parse_day", "off-by-one slice", edits(
        ("return dt.date.fromisoformat(word)", "return dt.date.fromisoformat(word[:10])"))),
    "unknown_day_key_error": ("parse_day", "exception type", edits(
        ("    return dt.date.fromisoformat(word)\n", '''    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        raise KeyError(word) from None
'''))),
    "month_clamped_to_28": ("add_months", "hard-coded constant", edits(
        ("return dt.date(year, month + 1, min(day.day, last))",
         "return dt.date(year, month + 1, min(day.day, 28 if month == 1 else last))"))),
    "duration_findall": ("duration", "lenient parsing", edits(
        ('''    m = re.fullmatch(r"(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?", text.strip())
    if not m or not text.strip():
        raise ValueError(f"not a duration: {text!r}")
    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    return hours * 3600 + minutes * 60 + seconds
''', '''    parts = re.findall(r"(\\d+)([hms])", text)
    if not parts:
        raise ValueError(f"not a duration: {text!r}")
    per_unit = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * per_unit[unit] for n, unit in parts)
'''))),
    "in_days_prefix": ("parse_day", "lenient parsing", edits(
        ('m = re.fullmatch(r"in (\\d+) days?", word)', 'm = re.match(r"in (\\d+) days?", word)'))),
    "twelve_am": ("parse_time", "off by one", edits(
        ('hour = hour % 12 + (12 if half == "pm" else 0)',
         'hour = hour + (12 if half == "pm" and hour != 12 else 0)'))),
}

CONTROLS = {
    "relative_table": ("parse_day", "lookup table", edits(
        ("_TIME = re.compile(",
         '_RELATIVE = {"tomorrow": 1, "yesterday": -1}\n_TIME = re.compile('),
        ('''    if word == "tomorrow":
        return today + dt.timedelta(days=1)
    if word == "yesterday":
        return today - dt.timedelta(days=1)
''', '''    if word in _RELATIVE:
        return today + dt.timedelta(days=_RELATIVE[word])
'''))),
    "time_guard_clauses": ("parse_time", "guard clauses", edits(
        ('''    if half:
        if not 1 <= hour <= 12:
            raise ValueError("a 12-hour time needs 1..12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif hour > 23:
        raise ValueError("hour out of range")
    return hour, minute
''', '''    if not half:
        if hour > 23:
            raise ValueError("hour out of range")
        return hour, minute
    if hour < 1 or hour > 12:
        raise ValueError("a 12-hour time needs 1..12")
    if half == "pm":
        return hour % 12 + 12, minute
    return hour % 12, minute
'''))),
    "month_end_calendar": ("month_end", "stdlib call", edits(
        ("import datetime as dt\n", "import calendar\nimport datetime as dt\n"),
        ('''    first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)
''', '''    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
'''))),
    "duration_list": ("duration", "loop/comprehension", edits(
        ("    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())\n"
         "    return hours * 3600 + minutes * 60 + seconds\n",
         "    total = 0\n"
         "    for group, unit in zip(m.groups(), (3600, 60, 1)):\n"
         "        total += int(group or 0) * unit\n"
         "    return total\n"))),
    "clamp_conditional": ("add_months", "merged conditions", edits(
        ("return dt.date(year, month + 1, min(day.day, last))",
         "return dt.date(year, month + 1, day.day if day.day <= last else last)"))),
}

MODULE = Module("dates", "when/parse.py", SOURCE, TESTS, CARELESS, CONTROLS)
