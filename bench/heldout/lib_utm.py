"""utm 0.9.0 (MIT), held out (wave 11): latitude and longitude to Universal Transverse
Mercator coordinates and back, one module (utm/conversion.py) working on floats or NumPy
arrays (NumPy is imported when present, so in_bounds and mixed_signs take their array
branches here). from_latlon checks the latitude against -80..84 and the longitude against
-180..180 (OutOfRangeError, a ValueError), refuses a forced letter with a forced hemisphere
(ValueError), takes the zone from latlon_to_zone_number (the longitude normalized into
[-180, 180), Norway's zone 32 for 56 <= lat < 64 and 3 <= lon < 12, Svalbard's 31, 33, 35
and 37 for 72 <= lat <= 84) and the letter from latitude_to_zone_letter
(ZONE_LETTERS[int(lat + 80) >> 3]), refuses latitudes of both signs in one array unless the
zone is forced (ValueError), and adds 10,000 km to a southern northing. to_latlon needs a
letter or a hemisphere but not both (ValueError), checks, when strict, the easting against
100,000 <= e < 1,000,000 and the northing against 0..10,000,000, and the zone's number
(1..60) and letter (C..X, upper-cased, but I and O). Its suite (165 tests: twelve places both
ways, scalars and one-item arrays, every hundredth of a degree of latitude and longitude
through from_latlon, the Norway and Svalbard edges, forced zones) was traced line by line:
it runs every line of the module but the math fallback's import, in_bounds' two scalar
branches (NumPy is here), to_latlon's two ValueErrors and its northing's OutOfRangeError,
latitude_to_zone_letter's None, and Svalbard's zones 35 and 37 (its parametrized
to_latlon_range_checks calls to_latlon(0, 5000000, 32, 'U') for every case, so only the
easting's lower bound is ever refused). One control (in_bounds' scalar branches) changes
only lines no test runs; every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "utm"
MOD = "utm/conversion.py"
SETUP = "import utm"
ARRAYS = "import numpy as np\nimport utm"

_IN_BOUNDS = '''    if upper_strict and use_numpy:
        return lower <= mathlib.min(x) and mathlib.max(x) < upper
    elif upper_strict and not use_numpy:
        return lower <= x < upper
    elif use_numpy:
        return lower <= mathlib.min(x) and mathlib.max(x) <= upper
    return lower <= x <= upper
'''

_LETTER_CHECK = '''    if not 'C' <= zone_letter <= 'X' or zone_letter in ['I', 'O']:
        raise OutOfRangeError('zone letter out of range (must be between C and X)')
'''

_SVALBARD = '''    if 72 <= latitude <= 84 and longitude >= 0:
        if longitude < 9:
            return 31
        elif longitude < 21:
            return 33
        elif longitude < 33:
            return 35
        elif longitude < 42:
            return 37
'''

CONTROLS = {
    "in_bounds_scalar_chained": case(
        MOD, "in_bounds", "chained comparison unchained (lines no test runs)",
        "the two scalar branches' chained comparisons written as two comparisons joined "
        "with and ('lower <= x and x < upper'): a chained comparison is that conjunction, "
        "x read once either way; no test runs them, NumPy being here",
        ('''        return lower <= x < upper
''', '''        return lower <= x and x < upper
'''),
        ('''    return lower <= x <= upper
''', '''    return lower <= x and x <= upper
''')),
    "in_bounds_extremes_first": case(
        MOD, "in_bounds", "branches merged over shared operands",
        "the four branches rewritten as the extremes taken first (the array's min and max "
        "with NumPy, the value itself without) and one conjunction for each of the strict "
        "and the closed upper bound: the same comparisons in the same order and the same "
        "answers (NumPy's min and max of one array fail alike, so reading the max first "
        "changes nothing)",
        (_IN_BOUNDS, '''    low, high = (mathlib.min(x), mathlib.max(x)) if use_numpy else (x, x)
    if upper_strict:
        return lower <= low and high < upper
    return lower <= low and high <= upper
''')),
    "letter_check_split": case(
        MOD, "check_valid_zone_letter", "compound condition split",
        "the range test and the exclusion of I and O written as two ifs raising the same "
        "error, the exclusion a tuple: a letter fails either as before",
        (_LETTER_CHECK, '''    if not 'C' <= zone_letter <= 'X':
        raise OutOfRangeError('zone letter out of range (must be between C and X)')
    if zone_letter in ('I', 'O'):
        raise OutOfRangeError('zone letter out of range (must be between C and X)')
''')),
    "svalbard_table": case(
        MOD, "latlon_to_zone_number", "if-chain to a table",
        "Svalbard's four zones looked up in a table of (bound, zone) pairs walked in order, "
        "the first bound above the longitude giving the zone, instead of an if-elif chain "
        "with the same bounds in the same order; a longitude at or past 42 still falls "
        "through to the ordinary zone",
        (_SVALBARD, '''    if 72 <= latitude <= 84 and longitude >= 0:
        for bound, zone in ((9, 31), (21, 33), (33, 35), (42, 37)):
            if longitude < bound:
                return zone
''')),
}

CARELESS = {
    "svalbard_half_open": case(
        MOD, "latlon_to_zone_number", "bound made half-open for consistency",
        "Svalbard's latitude band written half-open, 72 <= latitude < 84, as Norway's "
        "56 <= latitude < 64 is: the suite's latitude 84 points lie at longitude 180, -180 "
        "(both normalized west of 0) and -5, so none of them is in Svalbard's band, but "
        "latitude 84 at longitude 10, Svalbard's zone 33, now gets the ordinary zone 32",
        ('''    if 72 <= latitude <= 84 and longitude >= 0:
''', '''    if 72 <= latitude < 84 and longitude >= 0:
'''),
        probe=Probe(SETUP, "utm.latlon_to_zone_number(84, 10)", "33", "32")),
    "easting_upper_closed": case(
        MOD, "to_latlon", "strict bound made inclusive (keyword dropped)",
        "the easting's range check written like the northing's, without upper_strict=True, "
        "so that 1,000,000 m, which the message itself puts out of range (100,000 m to "
        "999,999 m), is accepted: the suite's range checks all refuse an easting of 0",
        ('''        if not in_bounds(easting, 100000, 1000000, upper_strict=True):
''', '''        if not in_bounds(easting, 100000, 1000000):
'''),
        probe=Probe(SETUP, "len(utm.to_latlon(1000000, 5000000, 32, 'U'))",
                    "raises OutOfRangeError", "2")),
    "letter_substring": case(
        MOD, "check_valid_zone_letter", "membership in a string for a range check",
        "the letter checked by membership in ZONE_LETTERS, the table of valid letters, "
        "instead of the range C..X less I and O: the same answer for one letter, but "
        "membership in a string is a substring test, so the empty letter (and 'CD', 'XX') "
        "now passes, and zone_letter_to_central_latitude('') answers -76",
        (_LETTER_CHECK, '''    if zone_letter not in ZONE_LETTERS:
        raise OutOfRangeError('zone letter out of range (must be between C and X)')
'''),
        probe=Probe(SETUP, "utm.zone_letter_to_central_latitude('')",
                    "raises OutOfRangeError", "-76")),
    "mixed_signs_zero_south": case(
        MOD, "mixed_signs", "boundary comparison tightened",
        "the latitudes' signs called mixed only where the maximum is above 0 instead of at "
        "or above it: the suite's mixed arrays are (-0.1, 0.1), but an array of -1 and 0, "
        "whose 0 lies in the northern letter N, is no longer refused and is converted as "
        "the first item's southern zone",
        ('''    return use_numpy and mathlib.min(x) < 0 and mathlib.max(x) >= 0
''', '''    return use_numpy and mathlib.min(x) < 0 and mathlib.max(x) > 0
'''),
        probe=Probe(ARRAYS, "len(utm.from_latlon(np.array([-1.0, 0.0]), np.array([0.0, 0.0])))",
                    "raises ValueError", "4")),
    "letter_or_northern_is_none": case(
        MOD, "to_latlon", "truth test narrowed to None",
        "the 'neither a letter nor a hemisphere' check written 'zone_letter is None and "
        "northern is None' instead of testing the letter's truth: the suite passes a "
        "letter or northern each time, but an empty letter with no hemisphere, refused "
        "before, now goes through as a southern zone",
        ('''    if not zone_letter and northern is None:
''', '''    if zone_letter is None and northern is None:
'''),
        probe=Probe(SETUP, "len(utm.to_latlon(500000, 5000000, 32, ''))", "raises ValueError",
                    "2")),
}
