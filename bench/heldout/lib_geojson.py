"""geojson 3.3.0 (BSD-3-Clause), held out (wave 13): GeoJSON objects as dicts, the package
geojson (base, geometry, feature, codec, mapping, factory, utils). GeoJSON.to_instance
turns a decoded dict into the class its "type" names (str() of the type, a factory lookup;
an unknown type leaves the dict as it is, or raises ValueError when strict); a Feature
keeps any id but None, its geometry and its properties (an empty dict for none); a Geometry
cleans its coordinates on construction, rounding every number to its precision (6
decimals when none is given, None meaning the default) and refusing anything but a real
number; errors() checks positions (a list of 2 or 3 numbers), lines (two or more
positions) and polygons (rings of four or more positions ending where they start);
dumps and loads refuse NaN and infinities; utils.coords yields every position of a
geometry, feature or collection (a list whose first item is an int or a float is a
position), map_coords and map_tuples map positions, map_geometries maps the geometries of
a feature, collection or geometry collection (None geometries kept), and generate_random
draws a random Point, LineString or Polygon inside a bounding box. Its suite (tests/, 69
tests) checks construction (features with ids '123', '1' and 12), encoding and decoding
(a null "type" among the properties), the geo interface, validation of each geometry (a
three-position ring that does not close among the invalid ones), coords and map_coords of
float coordinates, and generate_random's points and polygons; it never passes a
precision. A line tracer over the suite found it never maps a GeometryCollection through
map_geometries and never draws a random LineString. One control
(map_geometries' GeometryCollection branch as a loop) and one careless refactor
(generate_random's LineString one vertex short) change only lines no test runs; every
other case changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "geojson"
FEATURE = "geojson/feature.py"
GEOMETRY = "geojson/geometry.py"
UTILS = "geojson/utils.py"
SETUP = "import geojson\nimport geojson.utils"

CONTROLS = {
    "map_geometries_collection_loop": case(
        UTILS, "map_geometries", "comprehension to a loop (lines no test runs)",
        "a GeometryCollection's geometries mapped by a loop that appends each (None kept "
        "as None) instead of a list comprehension; no test maps a GeometryCollection",
        ('''        geoms = [func(geom) if geom else None for geom in obj['geometries']]
        return {'type': obj['type'], 'geometries': geoms}
''', '''        geoms = []
        for geom in obj['geometries']:
            geoms.append(func(geom) if geom else None)
        return {'type': obj['type'], 'geometries': geoms}
''')),
    "map_coords_inline_helper": case(
        UTILS, "map_coords", "helper inlined",
        "the nested tuple_func helper written as a lambda passed straight to map_tuples: "
        "the same function of a position's first two values",
        ('''    def tuple_func(coord):
        return (func(coord[0]), func(coord[1]))

    return map_tuples(tuple_func, obj)
''', '''    return map_tuples(lambda coord: (func(coord[0]), func(coord[1])), obj)
''')),
    "check_polygon_inline_temporaries": case(
        GEOMETRY, "check_polygon", "temporaries inlined",
        "the lengths and isring booleans tested in place (all() answers a bool, so 'is "
        "False' is 'not'), the same two messages in the same order",
        ('''    lengths = all(len(elem) >= 4 for elem in coord)
    if lengths is False:
        return 'Each linear ring must contain at least 4 positions'

    isring = all(elem[0] == elem[-1] for elem in coord)
    if isring is False:
        return 'Each linear ring must end where it started'
''', '''    if not all(len(elem) >= 4 for elem in coord):
        return 'Each linear ring must contain at least 4 positions'

    if not all(elem[0] == elem[-1] for elem in coord):
        return 'Each linear ring must end where it started'
''')),
    "collection_errors_one_comprehension": case(
        GEOMETRY, "GeometryCollection.errors", "two comprehensions to one",
        "each geometry's errors taken and kept when truthy in one comprehension (an "
        "assignment expression) instead of a list of all then a filtered copy",
        ('''        errors = [geom.errors() for geom in self['geometries']]
        return [err for err in errors if err]
''', '''        return [err for geom in self['geometries'] if (err := geom.errors())]
''')),
}

CARELESS = {
    "random_line_one_short": case(
        UTILS, "generate_random", "off by one (lines no test runs)",
        "a random LineString drawn with numberVertices - 1 points, as if it closed on its "
        "first point as the polygon's ring does: no test draws a LineString, but "
        "generate_random('LineString', numberVertices=4) now has 3 positions",
        ('''        return LineString([create_point() for _ in range(numberVertices)])
''', '''        return LineString([create_point() for _ in range(numberVertices - 1)])
'''),
        probe=Probe(SETUP, "len(geojson.utils.generate_random('LineString', "
                           "numberVertices=4)['coordinates'])", "4", "3")),
    "precision_or_default": case(
        GEOMETRY, "Geometry.__init__", "'or' for 'is None' (default)",
        "the precision defaulted with 'or' instead of only when it is None: the suite "
        "never passes a precision, but precision=0, which rounds to whole degrees, now "
        "keeps six decimals: Point((1.6, 2.4), precision=0) is at [1.6, 2.4], not "
        "[2.0, 2.0]",
        ('''        if precision is None:
            precision = DEFAULT_PRECISION
''', '''        precision = precision or DEFAULT_PRECISION
'''),
        probe=Probe(SETUP, "geojson.Point((1.6, 2.4), precision=0)['coordinates']",
                    "[2.0, 2.0]", "[1.6, 2.4]")),
    "polygon_ring_of_three": case(
        GEOMETRY, "check_polygon", "boundary off by one (>= 3 for >= 4)",
        "a linear ring accepted from three positions, as if a closed triangle needed "
        "three: the suite's three-position ring also fails to close, which is still "
        "refused, but a closed ring of three, [(0, 0), (1, 1), (0, 0)], now has no error",
        ('''    lengths = all(len(elem) >= 4 for elem in coord)
''', '''    lengths = all(len(elem) >= 3 for elem in coord)
'''),
        probe=Probe(SETUP, "geojson.Polygon([[(0, 0), (1, 1), (0, 0)]]).errors()",
                    "'Each linear ring must contain at least 4 positions'", "None")),
    "feature_id_truthiness": case(
        FEATURE, "Feature.__init__", "truthiness for 'is not None'",
        "the id kept only when truthy instead of whenever given ('if id:' for 'if id is "
        "not None:'), as if an empty id meant none: the suite's ids are non-empty strings "
        "and numbers, but Feature(id=0), the first of a sequence, now has no id",
        ('''        if id is not None:
            self["id"] = id
''', '''        if id:
            self["id"] = id
'''),
        probe=Probe(SETUP, "geojson.Feature(id=0).get('id')", "0", "None")),
    "coords_float_only": case(
        UTILS, "coords", "isinstance narrowed (float for float or int)",
        "a position recognized by its first value being a float alone, coordinates being "
        "degrees: the suite's coordinates are all floats, but a Point at (10, 20), whose "
        "integers rounding keeps integers, is no longer a position: coords recurses into "
        "the integer and raises TypeError instead of yielding (10, 20)",
        ('''            if isinstance(e, (float, int)):
''', '''            if isinstance(e, float):
'''),
        probe=Probe(SETUP, "list(geojson.utils.coords(geojson.Point((10, 20))))",
                    "[(10, 20)]", "raises TypeError")),
}
