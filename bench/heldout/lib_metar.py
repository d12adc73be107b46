"""metar 2.0.2 (BSD-1-Clause), held out (wave 32): METAR and SPECI weather reports decoded
(metar/: Metar, the Metar class and its group handlers; Datatypes, the temperature,
pressure, speed, distance, direction, precipitation and position classes; Station).
Metar.Metar(code, month, year, strict) matches the report's groups in order with regular
expressions and hands each match's groups to a handler: _handleTime reads day, hour and
minute (guessing month and year from now when not given) and sets cycle to the hour, or the
next hour from minute 45; _handleWind maps the speed units KTS, K, T and LT to KT; _handleTemp
skips '//', 'XX' and 'MM'; _handleWindShear records the runway or 'ALL'. The Datatypes
classes check their units (upper-cased) against legal_units and convert values: temperature
reads 'M' before a number as minus; speed and distance take '>' or '<' (distance also a 'P' or
'M' prefix) and say 'greater than' or 'less than'; distance reads fractions such as '1 1/2'
and writes them back as fractions in their own units when numerator and denominator are
set; direction takes a compass point or 0..360 degrees, and compass() names the nearest of
the sixteen points by round(degrees / 22.5) (half to even).

Its suite (test/: 90 tests, pytest) parses reports group by group (type, station, time and its
month and year guesses, modifiers, wind with gusts and variable directions, visibility, runway
visual range and tendencies, weather, sky, temperature, pressure, trends, remarks) and checks
the Datatypes classes' defaults, inputs, errors and conversions (compass names of 0, 5, 355,
20, 60 and 247.5 degrees; distances '1/2', '1 1/2', '11/2', '3/16' and '1/4'). A line tracer
over it found unrun: the error branches of every class's unit checks, precipitation's
conversions and its 'M' and 'P' prefixes, position, speed's 'greater than' and 'less than'
texts, the wind shear over all runways, the 24-hour and 3-hour precipitation remarks,
report_type's unknown types, and parts of the weather texts. Its tests never ask a compass name
halfway between two points, a fraction of 0, an empty temperature, a report from minute 45 of
hour 23, nor a speed's text in lower-case units."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "metar"
METAR = "metar/Metar.py"
DATATYPES = "metar/Datatypes.py"

CONTROLS = {
    "knot_aliases_by_membership": case(
        METAR, "Metar._handleWind", "or-chain to membership",
        "the speed units' aliases tested by units in ('KTS', 'K', 'T', 'LT') instead of four "
        "== tests joined by or: units is a matched group's string (or None, which equals "
        "none of them), and membership compares it with the same four by ==",
        ('''        if units == "KTS" or units == "K" or units == "T" or units == "LT":
''', '''        if units in ("KTS", "K", "T", "LT"):
''')),
    "missing_temperatures_by_membership": case(
        METAR, "Metar._handleTemp", "and-chain to membership",
        "the missing markers tested by temp not in ('//', 'XX', 'MM') (and likewise the dew "
        "point) instead of three != tests joined by and, after the same truth test of the "
        "group",
        ('''        if temp and temp != "//" and temp != "XX" and temp != "MM":
            self.temp = temperature(temp)
        if dewpt and dewpt != "//" and dewpt != "XX" and dewpt != "MM":
''', '''        if temp and temp not in ("//", "XX", "MM"):
            self.temp = temperature(temp)
        if dewpt and dewpt not in ("//", "XX", "MM"):
''')),
    "temperature_text_by_one_format": case(
        DATATYPES, "temperature.string", "branches merged",
        "the text written by one format, '%.1f %s' % (value, units), instead of a branch for "
        "each of 'C', 'F' and 'K' writing the unit's letter after '%.1f ': units is always "
        "one of the three here (the instance's own, or the argument checked against "
        "legal_units and upper-cased)",
        ('''        val = self.value(units)
        if units == "C":
            return "%.1f C" % val
        elif units == "F":
            return "%.1f F" % val
        elif units == "K":
            return "%.1f K" % val
''', '''        return "%.1f %s" % (self.value(units), units)
''')),
    "windshear_name_or_all": case(
        METAR, "Metar._handleWindShear", "if statement to or-expression",
        "the runway appended as d['name'] or 'ALL' instead of an if statement appending the "
        "name when it is truthy and 'ALL' otherwise: the same truth test and the same two "
        "values (the 'ALL' branch a line no test runs)",
        ('''        if d["name"]:
            self.windshear.append(d["name"])
        else:
            self.windshear.append("ALL")
''', '''        self.windshear.append(d["name"] or "ALL")
''')),
}

CARELESS = {
    "compass_rounded_half_up": case(
        DATATYPES, "direction.compass", "rounding rewritten",
        "the nearest compass point found by int(degrees / 22.5 + 0.5) instead of "
        "round(degrees / 22.5): the same for every direction a report gives (multiples of "
        "ten never fall halfway) and for those the tests name, but round() takes a half to "
        "the even neighbour, so 11.25 degrees, which was 'N', is now 'NNE'",
        ('''            degrees = 22.5 * round(self._degrees / 22.5)
''', '''            degrees = 22.5 * int(self._degrees / 22.5 + 0.5)
'''),
        probe=Probe("from metar.Datatypes import direction", "direction('11.25').compass()",
                    "'N'", "'NNE'")),
    "fraction_checked_for_none": case(
        DATATYPES, "distance.string", "truthiness to is not None",
        "the fraction's parts tested by is not None instead of their truth: the same for "
        "every whole number (both None) and every fraction with a non-zero numerator, but a "
        "fraction of 0, whose numerator 0 was false and written as the number '0', is now "
        "written as the fraction '0/4'",
        ('''        if self._num and self._den and units == self._units:
''', '''        if self._num is not None and self._den is not None and units == self._units:
'''),
        probe=Probe("from metar.Datatypes import distance", "distance('0/4', 'SM').string()",
                    "'0 miles'", "'0/4 miles'")),
    "minus_sign_by_index": case(
        DATATYPES, "temperature.__init__", "startswith to indexing",
        "the minus marker tested by value[0] == 'M' instead of value.startswith('M'): the "
        "same for every non-empty string, but an empty one, which float() refused and which "
        "was then refused as 'temperature must be integer' (ValueError), now raises "
        "IndexError",
        ('''        except ValueError:
            if value.startswith("M"):
                self._value = -float(value[1:])
''', '''        except ValueError:
            if value[0] == "M":
                self._value = -float(value[1:])
'''),
        probe=Probe("from metar.Datatypes import temperature", "temperature('')",
                    "raises ValueError", "raises IndexError")),
    "cycle_wrapped_at_midnight": case(
        METAR, "Metar._handleTime", "if statement to arithmetic",
        "the cycle computed as (hour + (minute >= 45)) % 24 instead of the hour, or the next "
        "one from minute 45: the same for every time before 23:45, but a report from 23:45 "
        "on, whose cycle was 24, is now in cycle 0",
        ('''        if self._min < 45:
            self.cycle = self._hour
        else:
            self.cycle = self._hour + 1
''', '''        self.cycle = (self._hour + (self._min >= 45)) % 24
'''),
        probe=Probe("from metar import Metar",
                    "Metar.Metar('METAR KEWR 112350Z 00000KT', month=1, year=2005).cycle",
                    "24", "0")),
    "speed_units_not_upper_cased": case(
        DATATYPES, "speed.string", "branches merged",
        "the units' check folded into an elif (units.upper() not in legal_units raises) and "
        "the separate units = units.upper() dropped with the else: value() upper-cases its "
        "own argument, so the number is the same, and the reports' units are upper-case "
        "already, but a lower-case unit now matches none of the texts, and the text is "
        "never bound (UnboundLocalError)",
        ('''        """Return a string representation of the speed in the given units."""
        if not units:
            units = self._units
        else:
            if units.upper() not in speed.legal_units:
                raise UnitsError("unrecognized speed unit: '" + units + "'")
            units = units.upper()
''', '''        """Return a string representation of the speed in the given units."""
        if not units:
            units = self._units
        elif units.upper() not in speed.legal_units:
            raise UnitsError("unrecognized speed unit: '" + units + "'")
'''),
        probe=Probe("from metar.Datatypes import speed", "speed('5', 'KT').string('kt')",
                    "'5 knots'", "raises UnboundLocalError")),
}
