"""maidenhead 1.8.0 (MIT), held out (wave 15): converts latitude and longitude to Maidenhead
grid locators and back, in three modules (maidenhead/to_maiden.py, to_location.py and the
package's __init__.py, with a command line in __main__.py). to_maiden reads the two angles as
one mixed-radix integer (fields A-R, squares 0-9, subsquares a-x, then digits and capitals
again), rounding half up before it divides. to_location_rect strips and upper-cases the
locator, refuses one of odd length or shorter than two characters, and one whose first pair
is past R, and answers the square's southwest corner, northeast corner and centre;
to_location answers the centre when center is true (any truthy value) and the corner
otherwise; to_geoJSONObject answers a FeatureCollection of the centre as a Point and the
square as a closed Polygon ring, both in GeoJSON's (longitude, latitude) order. Its suite
(maidenhead/tests: 24 tests, four of them running python -m maidenhead) converts five places
both ways at levels 3 and 4, checks Google Maps links and refuses non-strings and a locator
of ten characters. A line tracer over it found to_geoJSONObject never run (nor the command
line's --geojson, which the subprocesses never pass), and to_location_rect's three refusals
never reached: odd length, a first pair past R, and letters past X, whose chained comparison
0 > v >= 24 can never hold (the ten-character locator fails converting a letter where a
digit should be). Its locators are always well formed: never empty, never padded with
spaces, never past R in the first pair, and it never passes center as anything but a bool.
One control (the features list built by a comprehension) and one careless refactor (the
centre Point in (latitude, longitude) order) change only lines no test runs; every other
case changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "maidenhead"
LOCATION = "maidenhead/to_location.py"
MAIDEN = "maidenhead/to_maiden.py"
SETUP = "import maidenhead"

CONTROLS = {
    "geojson_features_comprehension": case(
        LOCATION, "to_geoJSONObject", "appends to a comprehension (lines no test runs)",
        "the features chosen by a comprehension over (feature, wanted) pairs, centre then "
        "square, each kept when its flag is truthy as the two ifs kept it, and the "
        "collection built around the finished list (the commented-out line dropped); no "
        "test asks for GeoJSON",
        ('''    features: list = []
    geo = {
        "type": "FeatureCollection",
        "features": features
    }
    if center:
        features.append(center_point)
    if square:
        features.append(rect)
    # geo["features"] = features
    return geo
''', '''    pairs = ((center_point, center), (rect, square))
    features: list = [feature for feature, wanted in pairs if wanted]
    return {"type": "FeatureCollection", "features": features}
''')),
    "to_maiden_math_prod": case(
        MAIDEN, "to_maiden", "reduce(operator.mul) to math.prod",
        "the multiplier computed by math.prod(radix) instead of functools.reduce with "
        "operator.mul: the radix is a non-empty list of ints, whose product both compute "
        "exactly",
        ('''import itertools
''', '''import itertools
import math
'''),
        ('''    multiplier = functools.reduce(operator.mul, radix)
''', '''    multiplier = math.prod(radix)
''')),
    "rect_digit_converter_int": case(
        LOCATION, "to_location_rect", "lambda wrapper to the builtin",
        "the digits' converter is int itself instead of a lambda calling int(x), and the "
        "condition written positively (odd positions digits, even ones letters)",
        ('''    cvts = [cvt if not (i % 2) else lambda x: int(x) for i in range(precision)]
''', '''    cvts = [int if i % 2 else cvt for i in range(precision)]
''')),
    "rect_offsets_hoisted": case(
        LOCATION, "to_location_rect", "common subexpression hoisted",
        "the corner's scaled numerators 10 * (lat_nom - 9 * lat_den) and 20 * (lon_nom - 9 "
        "* lon_den) computed once and reused by the corner, the centre and the far corner "
        "(integer arithmetic, exact: each float is the same quotient as before)",
        ('''    lat_1 = (10 * (lat_nom - 9 * lat_den)) / lat_den
    lon_1 = (20 * (lon_nom - 9 * lon_den)) / lon_den
    lat_c = (10 * (lat_nom - 9 * lat_den) + center_offset_lat) / lat_den
    lon_c = (20 * (lon_nom - 9 * lon_den) + center_offset_lon) / lon_den
    lat_2 = (10 * (lat_nom - 9 * lat_den) + 2*center_offset_lat) / lat_den
    lon_2 = (20 * (lon_nom - 9 * lon_den) + 2*center_offset_lon) / lon_den
''', '''    lat_0 = 10 * (lat_nom - 9 * lat_den)
    lon_0 = 20 * (lon_nom - 9 * lon_den)
    lat_1 = lat_0 / lat_den
    lon_1 = lon_0 / lon_den
    lat_c = (lat_0 + center_offset_lat) / lat_den
    lon_c = (lon_0 + center_offset_lon) / lon_den
    lat_2 = (lat_0 + 2*center_offset_lat) / lat_den
    lon_2 = (lon_0 + 2*center_offset_lon) / lon_den
''')),
}

CARELESS = {
    "geojson_point_lat_lon": case(
        LOCATION, "to_geoJSONObject", "coordinates swapped (lines no test runs)",
        "the centre Point's coordinates written (latitude, longitude), the order "
        "to_location answers, instead of GeoJSON's (longitude, latitude) which the Polygon "
        "beside it keeps: no test asks for GeoJSON, but the centre of 'FM18' is now "
        "[38.5, -77.0], a point in Antarctica, not [-77.0, 38.5]",
        ('''            "coordinates": [locc[1], locc[0]]
''', '''            "coordinates": [locc[0], locc[1]]
'''),
        probe=Probe(SETUP,
                    "maidenhead.to_geoJSONObject('FM18')['features'][0]['geometry']"
                    "['coordinates']", "[-77.0, 38.5]", "[38.5, -77.0]")),
    "rect_empty_locator": case(
        LOCATION, "to_location_rect",
        "guard narrowed (length check dropped, the error's type changed)",
        "the length check reduced to 'odd length', as if an even length were enough: "
        "the suite's bad locators are non-strings and one of ten characters, but an empty "
        "locator, refused with ValueError before, now gets past the check and fails inside the "
        "conversion with an IndexError (val[0] of no values), which a caller catching "
        "ValueError for bad input no longer catches",
        ('''    if N < 2 or N % 2:
''', '''    if N % 2:
'''),
        probe=Probe(SETUP, "maidenhead.to_location('')", "raises ValueError",
                    "raises IndexError")),
    "rect_first_pair_past_r": case(
        LOCATION, "to_location_rect", "off by one (>= to >)",
        "the first pair's bound made exclusive, as if R (17) were not the last field: the "
        "suite's locators start well inside A-R, but 'SA', refused before, is now read "
        "as a field at longitude 180",
        ('''        if val[0] >= 18:
''', '''        if val[0] > 18:
'''),
        probe=Probe(SETUP, "maidenhead.to_location('SA')", "raises ValueError",
                    "(-90.0, 180.0)")),
    "rect_strip_dropped": case(
        LOCATION, "to_location_rect", "normalisation dropped (strip)",
        "the locator only upper-cased, its surrounding whitespace no longer stripped: the "
        "suite's locators are bare, but ' FM18 ' (as read from a form or a file), (38.0, "
        "-78.0) before, is now read with its spaces and refused",
        ('''    maiden = maiden.strip().upper()
''', '''    maiden = maiden.upper()
'''),
        probe=Probe(SETUP, "maidenhead.to_location(' FM18 ')", "(38.0, -78.0)",
                    "raises ValueError")),
    "to_location_center_is_true": case(
        LOCATION, "to_location", "truthiness to identity (is True)",
        "the centre answered only when center is the object True, the annotation taken "
        "at its word: the command line and the suite pass a bool or nothing, but a truthy "
        "flag such as 1 now answers the southwest corner",
        ('''    return center_point if center else bottomleft_point
''', '''    return center_point if center is True else bottomleft_point
'''),
        probe=Probe(SETUP, "maidenhead.to_location('FM18', 1)", "(38.5, -77.0)",
                    "(38.0, -78.0)")),
}
