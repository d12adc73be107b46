"""Values near a date, a time of day and a timedelta, for the replay runner's generated
inputs (governance.oracle.replay_values.near): a day (and a datetime's hour) either side,
a date's day as a datetime, the month's and year's edges, other zones (the stdlib's UTC,
whose dst() is None, none, an hour east, five and a half hours west), the parts of a
second written with and without leading zeros.

Copied into a run's private plugin directory as `_ouroboros_dates` (governance.oracle.
run_dir) beside the runner; standard library only, Python 3.9 and later.
"""

import contextlib
import datetime

# A datetime's other zones: the stdlib's own UTC (its dst() is None), none, east, west.
_ZONES = (datetime.timezone.utc, None,  # noqa: UP017 (Python 3.9)
          datetime.timezone(datetime.timedelta(hours=1)),
          datetime.timezone(-datetime.timedelta(hours=5, minutes=30)))


def near_date(v, ctx):
    day = datetime.timedelta(days=1)
    month_end = (v.replace(day=28) + 4 * day).replace(day=1) - day
    hour = datetime.timedelta(hours=1)  # a datetime's hour moved too: cnlunar's two-hour
    # period without its `+ 1` (`hour // 2`) waited, every test's time noon (wave 27)
    hours = [v + hour, v - hour] if isinstance(v, datetime.datetime) else []
    # a plain date's day as a datetime at noon, third: the date's subclass, which a caller
    # may hand over and `isinstance(x, date)` lets in, and which orders against no date
    # (epiweeks' membership of a week's days made a comparison of its bounds landed: a
    # datetime in a week was False and now raised TypeError; every test passed a date)
    kin = [datetime.datetime(v.year, v.month, v.day, 12)] if type(v) is datetime.date else []
    out = [v + day, v - day, *hours, *kin, v.replace(day=1), month_end, month_end + day]
    out += [v + n * day for n in (2, 3, 4, 5, 6, 7, -2, -3, -4, -5, -6, -7)]
    for year, month, d in ((v.year, 12, 31), (v.year + 1, 1, 1), (2024, 2, 29), (2023, 2, 28),
                           (v.year - 1, v.month, min(v.day, 28))):
        with contextlib.suppress(ValueError, OverflowError):
            out.append(v.replace(year=year, month=month, day=d))
    if isinstance(v, datetime.datetime):  # other zones early: the stdlib's own (UTC, whose
        # dst() is None), none, an hour east, five and a half hours west
        out[2:2] = [v.replace(tzinfo=z) for z in _ZONES if z is not v.tzinfo][:2]
        out += [v.replace(tzinfo=z) for z in _ZONES if z is not v.tzinfo][2:]
        out += [v.replace(hour=0, minute=0, second=0, microsecond=0), v.replace(hour=12),
                v.replace(hour=23, minute=59, second=59, microsecond=999999),
                v.replace(microsecond=500000), v.replace(microsecond=5000)]
    return out


def near_time(v, ctx):
    """A time of day moved by its parts: a microsecond either side, the fractions written
    with leading zeros ('.005', which a format that drops the zero padding writes '.5') and
    without, none; midnight, noon and the last microsecond of the day; other zones."""
    out = [v.replace(microsecond=m) for m in (5000, 50, 500000, 0, 999999, 1)]
    out += [v.replace(microsecond=(v.microsecond + 1) % 10 ** 6),
            v.replace(hour=0, minute=0, second=0, microsecond=0), v.replace(hour=12),
            v.replace(hour=23, minute=59, second=59, microsecond=999999)]
    return out + [v.replace(tzinfo=z) for z in _ZONES if z is not v.tzinfo]


def near_timedelta(v, ctx):
    """Whole seconds either side, then the parts of a second (a microsecond more, the
    microseconds alone, a twentieth of a second more: a fraction written with leading
    zeros), then sign, scale, the parts of a day (half a day and thirteen hours more:
    whole days by `.days` and by rounding part ways there; nepali-datetime's date plus a
    timedelta by rounded division of days landed, every timedelta the tests added being
    whole days, wave 20) and the code's numbers as seconds."""
    second, micro = datetime.timedelta(seconds=1), datetime.timedelta(microseconds=1)
    out = [datetime.timedelta(0), v + second, v - second, v + micro,
           datetime.timedelta(microseconds=v.microseconds or 5),
           v + datetime.timedelta(milliseconds=50), -v, v * 2, datetime.timedelta(days=1),
           v - micro, v + datetime.timedelta(hours=12), v + datetime.timedelta(hours=13)]
    return out + [datetime.timedelta(seconds=n) for n in ctx.ints[:4]]
