"""cnlunar 0.2.5 (MIT), held out (wave 27): the Chinese lunisolar calendar without a database
(cnlunar/: lunar, the Lunar class; config, its tables; holidays; solar24, the solar terms'
days unpacked from hexadecimal; tools). Lunar(datetime) computes on construction the lunar
date (by the Hong Kong Observatory's month lengths and new years, 1901 to 2100), the
eight characters of year, month, day and two-hour period (twohourNum, (hour + 1) // 2, the
first period starting at 23:00), the solar terms, the zodiac sign (the count of its start
dates on or before the day), the day's officer and its good and bad gods and activities;
methods answer the legal holidays of the day (solar term, solar date and lunar date ones,
each added, joined by commas), the other holidays (Mother's and Father's Day as the second
or third Sunday of their month by ISO week and ISO weekday, and the day's observances), the
lucky gods' directions and each two-hour period's luck (a 12-bit mask a day, the first
period in the highest bit).

Its suite (tests/: 6 tests, 48 subtests, unittest) constructs Lunar at noon on 48 dates and
checks only the month's and day's characters, the day's officer and whether certain gods are
among the good or bad ones. A line tracer over it found unrun: getBeginningOfSpringX's
branches for the year counted from the Beginning of Spring, a date inside a leap month, the
full moon and the last quarter of getPhaseOfMoon, and
every answer method no constructor calls (get_legalHolidays, get_otherHolidays,
get_otherLunarHolidays, get_pengTaboo, get_today5Elements, get_the9FlyStar,
get_luckyGodsDirection, get_fetalGod, get_twohourLuckyList), among others. Its tests never
read the zodiac sign, the two-hour period or its character, or any holiday, direction or
hourly luck."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "cnlunar"
LUNAR = "cnlunar/lunar.py"
SETUP = "from datetime import datetime\nfrom cnlunar import Lunar"

CONTROLS = {
    "month_long_by_comparison": case(
        LUNAR, "Lunar.get_lunarMonthCN", "if/else to a boolean expression",
        "lunarMonthLong assigned the comparison thisLunarMonthDays >= 30 instead of False "
        "under `< 30` and True otherwise: the month's days are an int, 29 or 30, and the "
        "comparison is the same boolean",
        ('''        if thisLunarMonthDays < 30:
            self.lunarMonthLong = False
        else:
            self.lunarMonthLong = True
''', '''        self.lunarMonthLong = thisLunarMonthDays >= 30
''')),
    "holidays_join_empty": case(
        LUNAR, "Lunar.get_otherHolidays", "redundant branch removed",
        "the day's holidays returned by ','.join(tempList) alone instead of joining only a "
        "non-empty list and answering '' otherwise: joining an empty list gives '' (lines "
        "no test runs)",
        ('''        if tempList != []:
            return ','.join(tempList)
        else:
            return ''
''', '''        return ','.join(tempList)
''')),
    "next_term_by_sum": case(
        LUNAR, "Lunar.getNextNum", "filter and list to a generator count",
        "the solar terms on or before the day counted by sum(1 for ... if y <= findDate) "
        "instead of len(list(filter(lambda y: y <= findDate, ...))): the same (month, day) "
        "pairs compared the same way, the same count taken modulo 24",
        ("nextSolarNum = len(list(filter(lambda y: y <= findDate, solarTermsDateList))) % 24",
         "nextSolarNum = sum(1 for y in solarTermsDateList if y <= findDate) % 24")),
    "directions_by_comprehension": case(
        LUNAR, "Lunar.get_luckyGodsDirection", "list of calls to a comprehension",
        "the five directions built by a comprehension over (name, table) pairs instead of "
        "five written-out items: the same names and tables in the same order, each looked "
        "up by the day's heavenly stem the same way (lines no test runs)",
        ('''        direction = [
            '喜神' + directionList[chinese8Trigrams.index(luckyGodDirection[todayNum])],
            '财神' + directionList[chinese8Trigrams.index(wealthGodDirection[todayNum])],
            '福神' + directionList[chinese8Trigrams.index(mascotGodDirection[todayNum])],
            '阳贵' + directionList[chinese8Trigrams.index(sunNobleDirection[todayNum])],
            '阴贵' + directionList[chinese8Trigrams.index(moonNobleDirection[todayNum])],
        ]
''', '''        gods = (('喜神', luckyGodDirection), ('财神', wealthGodDirection),
                ('福神', mascotGodDirection), ('阳贵', sunNobleDirection),
                ('阴贵', moonNobleDirection))
        direction = [name + directionList[chinese8Trigrams.index(table[todayNum])]
                     for name, table in gods]
''')),
}

CARELESS = {
    "zodiac_start_excluded": case(
        LUNAR, "Lunar.get_starZodiac", "off-by-one at a boundary",
        "the zodiac sign found by counting its start dates strictly before the day (<) "
        "instead of on or before it (<=): on each sign's first day (20 January for "
        "Aquarius, 21 March for Aries...) the sign before it is answered",
        ("filter(lambda y: y <= (self.date.month, self.date.day), STAR_ZODIAC_DATE)",
         "filter(lambda y: y < (self.date.month, self.date.day), STAR_ZODIAC_DATE)"),
        probe=Probe(SETUP, "Lunar(datetime(2024, 1, 20)).starZodiac", "'水瓶座'", "'摩羯座'")),
    "weekday_numbering": case(
        LUNAR, "Lunar.get_otherHolidays", "weekday() for isocalendar()'s weekday",
        "the day of the week taken as self.date.weekday() (Monday 0 to Sunday 6) instead "
        "of isocalendar()[2] (Monday 1 to Sunday 7), which the table of Mother's and "
        "Father's Day compares with 7 for Sunday: neither is ever found again, the second "
        "Sunday of May answering '' (lines no test runs)",
        ('''
                                   self.date.isocalendar()[2]
''', '''
                                   self.date.weekday()
'''),
        probe=Probe(SETUP, "Lunar(datetime(2024, 5, 12)).get_otherHolidays()", "'母亲节'",
                    "''")),
    "two_hour_truncated": case(
        LUNAR, "Lunar.__init__", "rounding offset dropped",
        "the two-hour period taken as hour // 2 instead of (hour + 1) // 2, the offset that "
        "starts each period at an odd hour (子 at 23:00, 丑 at 01:00) dropped: at every odd "
        "hour the period before is answered (its characters, its meridian), and at 23:00 "
        "the day's characters no longer move to the next day",
        ('''        self.twohourNum = (self.date.hour + 1) // 2
''', '''        self.twohourNum = self.date.hour // 2
'''),
        probe=Probe(SETUP, "Lunar(datetime(2024, 1, 1, 13, 0)).twohour8Char", "'辛未'",
                    "'庚午'")),
    "holiday_overwritten": case(
        LUNAR, "Lunar.get_legalHolidays", "accumulation to assignment",
        "the lunar-date holiday assigned to temp instead of added to it: on a day that is "
        "both a solar-date and a lunar-date legal holiday (1 October 2020, National Day and "
        "the Mid-Autumn Festival) only the lunar one is answered (lines no test runs)",
        ('''                temp += legalLunarHolidaysDic[(self.lunarMonth, self.lunarDay)]
''', '''                temp = legalLunarHolidaysDic[(self.lunarMonth, self.lunarDay)]
'''),
        probe=Probe(SETUP, "Lunar(datetime(2020, 10, 1)).get_legalHolidays()",
                    "'国庆节,中秋节'", "'中秋节'")),
    "hour_bits_reversed": case(
        LUNAR, "Lunar.get_twohourLuckyList", "bit order reversed",
        "each day's 12-bit mask of inauspicious periods read from its lowest bit up (2 ** "
        "(i - 1)) instead of from its highest down (2 ** (12 - i)): the twelve periods' "
        "luck is answered in reverse order, 子 taking 亥's (lines no test runs)",
        ('''            return ['凶' if tmp & (2 ** (12 - i)) > 0 else '吉' for i in range(1, 13)]
''', '''            return ['凶' if tmp & (2 ** (i - 1)) > 0 else '吉' for i in range(1, 13)]
'''),
        probe=Probe(SETUP, "''.join(Lunar(datetime(2024, 1, 1)).get_twohourLuckyList())",
                    "'吉吉凶吉凶凶吉凶吉吉凶凶凶'", "'凶凶吉吉凶吉凶凶吉凶吉吉吉'")),
}
