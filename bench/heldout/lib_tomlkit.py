"""tomlkit 0.15.2 (MIT), held out (wave 8): a style-preserving TOML parser and writer. A value
is read by its first character (strings, booleans, arrays, inline tables, signed numbers and
inf/nan, then digits: dates, times and date-times through parse_rfc3339, whose fraction is
padded or cut to six digits and whose offset's sign applies to its hours and minutes, else a
number, in base 2, 8, 10 or 16 by its prefix); items keep the text they were written as, an
integer written with a sign keeps one through arithmetic ('+' again for a result of zero or
more), a time is written back from its fields (the microseconds zero-padded to six digits,
trailing zeros cut); the api's helpers make items (boolean() reads only the text 'true' as
true, integer() coerces a number with int()). Its suite (tests/; the tree leaves out the
toml-test conformance files and test_toml_tests.py, the whole suite runs them) never inserts
into a container after a key nor into an array at a negative position: one control rewrites
each. Every careless refactor changes lines the suite runs, the tree's suite included."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "tomlkit"
UTILS = "tomlkit/_utils.py"
ITEMS = "tomlkit/items.py"
CONTAINER = "tomlkit/container.py"
PARSER = "tomlkit/parser.py"
API = "tomlkit/api.py"
SETUP = "import tomlkit"

_SHIFT_AFTER = '''        for k, v in self._map.items():
            if isinstance(v, tuple):
                new_indices = []
                for v_ in v:
                    if v_ > idx:
                        v_ = v_ + 1

                    new_indices.append(v_)

                self._map[k] = tuple(new_indices)
            elif v > idx:
                self._map[k] = v + 1
'''

_NEGATIVE_POS = '''        if pos < 0:
            pos += length
            if pos < 0:
                pos = 0
'''

_BASES = '''        digits = "[0-9]"
        base = 10
        if raw.startswith("0b"):
            digits = "[01]"
            base = 2
        elif raw.startswith("0o"):
            digits = "[0-7]"
            base = 8
        elif raw.startswith("0x"):
            digits = "[0-9a-f]"
            base = 16
'''

_FRACTION = '''        microsecond = 0

        if m.group("fraction"):
            microsecond = int((f"{m.group('fraction'):<06s}")[:6])
'''

_OFFSET = '''                sign = tz[0]
                hour_offset, minute_offset = map(int, tz[1:].split(":"))
                offset = timedelta(seconds=hour_offset * 3600 + minute_offset * 60)
                if sign == "-":
                    offset = -offset
'''

CONTROLS = {
    "insert_after_shift_comprehension": case(
        CONTAINER, "Container._insert_after", "loop written as a comprehension (lines no "
        "test runs)",
        "the indices after the insertion point shifted by a tuple comprehension instead of "
        "a loop appending to a list: each index past idx one more, the others kept, in "
        "order; no test inserts after a key",
        (_SHIFT_AFTER, '''        for k, v in self._map.items():
            if isinstance(v, tuple):
                self._map[k] = tuple(v_ + 1 if v_ > idx else v_ for v_ in v)
            elif v > idx:
                self._map[k] = v + 1
''')),
    "array_insert_negative_clamped_with_max": case(
        ITEMS, "Array.insert", "nested clamp written as max() (lines no test runs)",
        "a negative position made max(pos + length, 0) instead of adding the length and "
        "then raising a still negative one to zero: the same position; no test inserts at a "
        "negative position",
        (_NEGATIVE_POS, '''        if pos < 0:
            pos = max(pos + length, 0)
''')),
    "number_base_table": case(
        PARSER, "Parser._parse_number", "if chain written as a lookup table",
        "the digit class and base looked up by the literal's first two characters in a "
        "three-entry dict, decimal the default, instead of an if/elif chain of startswith "
        "tests: raw[:2] is '0b', '0o' or '0x' exactly when raw starts with it",
        (_BASES, '''        digits, base = {
            "0b": ("[01]", 2),
            "0o": ("[0-7]", 8),
            "0x": ("[0-9a-f]", 16),
        }.get(raw[:2], ("[0-9]", 10))
''')),
    "fraction_helper": case(
        UTILS, "parse_rfc3339", "duplicated code extracted into a helper",
        "the fraction's conversion to microseconds, written out in the date-time and the "
        "time branches alike, moved into one private helper: the first six digits, padded "
        "with zeros on the right, and 0 without a fraction",
        ("def parse_rfc3339(string: str) -> datetime | date | time:\n",
         '''def _microseconds(fraction: str | None) -> int:
    """A fraction's digits as microseconds: the first six, padded with zeros."""
    return int(f"{fraction:<06s}"[:6]) if fraction else 0


def parse_rfc3339(string: str) -> datetime | date | time:
'''),
        (_FRACTION + "\n        if m.group(\"tz\"):\n",
         '        microsecond = _microseconds(m.group("fraction"))\n\n'
         '        if m.group("tz"):\n'),
        (_FRACTION + "\n        return time(",
         '        microsecond = _microseconds(m.group("fraction"))\n\n        return time(')),
}

CARELESS = {
    "offset_sign_on_hours_only": case(
        UTILS, "parse_rfc3339", "sign handling changed",
        "the offset's hours read with their sign (int('-07')) and its minutes added to "
        "them, instead of the sign applied to hours and minutes together: the same for "
        "whole hours (every offset in the suite), but -07:30 is now -6:30",
        (_OFFSET, '''                hour_offset, minute_offset = map(int, tz.split(":"))
                offset = timedelta(hours=hour_offset, minutes=minute_offset)
'''),
        probe=Probe(SETUP, "tomlkit.parse('t = 1979-05-27T07:32:00-07:30')['t']"
                    ".utcoffset().total_seconds()", "-27000.0", "-23400.0")),
    "time_fraction_not_zero_padded": case(
        ITEMS, "_format_time", "zero padding dropped",
        "the microseconds written with f'.{value.microsecond}' instead of zero-padded to "
        "six digits before the trailing zeros are cut: the same for six-digit counts (the "
        "suite's 123456), but 5000 microseconds are now written '.5' (half a second) "
        "instead of '.005'",
        ('        s += f".{value.microsecond:06d}".rstrip("0")\n',
         '        s += f".{value.microsecond}".rstrip("0")\n'),
        probe=Probe(SETUP + "\nimport datetime",
                    "tomlkit.item(datetime.time(7, 32, 0, 5000)).as_string()",
                    "'07:32:00.005'", "'07:32:00.5'")),
    "boolean_truthiness": case(
        API, "boolean", "comparison replaced by truthiness",
        "the value made bool(raw) for text and booleans alike instead of comparing text "
        "with 'true': a bool is unchanged and 'true' is still true, but every other "
        "non-empty text, 'false' among it, is now true",
        ('    return item(raw == "true" if isinstance(raw, str) else raw)\n',
         "    return item(bool(raw))\n"),
        probe=Probe(SETUP, "tomlkit.boolean('false').value", "False", "True")),
    "integer_coercion_dropped": case(
        API, "integer", "coercion dropped",
        "a number passed to integer() handed to item() as it is instead of through int(): "
        "an int is the same, but a float is now a Float item (3.9) instead of the Integer 3, "
        "and True a Bool",
        ("    return item(int(raw))\n", "    return item(raw)\n"),
        probe=Probe(SETUP, "tomlkit.integer(3.9).as_string()", "'3'", "'3.9'")),
    "signed_zero_loses_plus": case(
        ITEMS, "Integer._new", "boundary moved",
        "an integer written with a sign gets '+' back only for a result above zero ('> 0') "
        "instead of zero or more: the same for every other result, but +5 - 5 is now "
        "written '0' instead of '+0'",
        ("        if self._sign and result >= 0:\n", "        if self._sign and result > 0:\n"),
        probe=Probe(SETUP, "(tomlkit.parse('a = +5')['a'] - 5).as_string()", "'+0'", "'0'")),
}
