"""geographiclib 2.1 (MIT), held out (wave 15): Karney's geodesic routines on an ellipsoid, in
the package geographiclib (geomath: the Math helpers; accumulator: an error-free running sum;
geodesic: the direct and inverse problems; geodesicline: points along one geodesic;
polygonarea: perimeters and areas). Math.AngNormalize reduces an angle to [-180, 180] with
+-180 keeping the input's sign (math.remainder alone answers -180 for 540); sincosd and
sincosde reduce an angle to its nearest quadrant (round, not truncation) before taking sine
and cosine, so that multiples of 90 and their neighbours come out exact and symmetric.
Accumulator stores a float (Set coerces a number with float()). Direct and ArcDirect answer
lon1 normalised unless LONG_UNROLL is asked; GeodesicLine.ArcPosition takes an arc length
(arcmode True), Position a distance; PolygonArea.Compute answers a perimeter and area for two
points or more (fewer: zero), a polyline's perimeter being the sum of its edges. Its suite
(geographiclib/test: 61 tests, unittest modules) checks hundreds of geodesics against
reference values, the signs of zeros at every special angle, planimeter areas with every
combination of reverse and sign, and coverage cases. A line tracer over it found 33
executable lines never run, among them ArcDirect's normalisation of lon1 (every ArcDirect
call asks for LONG_UNROLL), GeodesicLine.ArcPosition whole, the nearly-antipodal astroid's
zero root, the constructor's two refusals, and the sign branches reducing an area by the
ellipsoid's.
sincosde is checked only through geodesics to within their tolerances, no Accumulator is
made from an int, and no polyline or polygon of exactly two points is computed. One control
(ArcPosition's outputs filled from a table) and two careless refactors (ArcDirect's lon1 by
math.remainder, ArcPosition taking its arc as a distance) change only lines no test runs;
every other case changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "geographiclib"
GEOMATH = "geographiclib/geomath.py"
GEODESIC = "geographiclib/geodesic.py"
LINE = "geographiclib/geodesicline.py"
POLYGON = "geographiclib/polygonarea.py"
ACCUMULATOR = "geographiclib/accumulator.py"
SETUP = "from geographiclib.geodesic import Geodesic"

CONTROLS = {
    "arc_position_outputs_table": case(
        LINE, "GeodesicLine.ArcPosition", "if chain to a table loop (lines no test runs)",
        "the outputs the mask asks for copied into the result by a loop over (bit, key, "
        "value) rows instead of one if a key, in the same order (M12 and M21 both under "
        "GEODESICSCALE), so the dict is the same and in the same order; no test calls "
        "ArcPosition",
        ('''      True, a12, outmask)
    outmask &= Geodesic.OUT_MASK
    if outmask & Geodesic.DISTANCE: result['s12'] = s12
    if outmask & Geodesic.LATITUDE: result['lat2'] = lat2
    if outmask & Geodesic.LONGITUDE: result['lon2'] = lon2
    if outmask & Geodesic.AZIMUTH: result['azi2'] = azi2
    if outmask & Geodesic.REDUCEDLENGTH: result['m12'] = m12
    if outmask & Geodesic.GEODESICSCALE:
      result['M12'] = M12; result['M21'] = M21
    if outmask & Geodesic.AREA: result['S12'] = S12
    return result
''', '''      True, a12, outmask)
    outmask &= Geodesic.OUT_MASK
    for bit, key, value in ((Geodesic.DISTANCE, 's12', s12),
                            (Geodesic.LATITUDE, 'lat2', lat2),
                            (Geodesic.LONGITUDE, 'lon2', lon2),
                            (Geodesic.AZIMUTH, 'azi2', azi2),
                            (Geodesic.REDUCEDLENGTH, 'm12', m12),
                            (Geodesic.GEODESICSCALE, 'M12', M12),
                            (Geodesic.GEODESICSCALE, 'M21', M21),
                            (Geodesic.AREA, 'S12', S12)):
      if outmask & bit: result[key] = value
    return result
''')),
    "polyval_for_loop": case(
        GEOMATH, "Math.polyval", "while loop with counters to a for loop",
        "Horner's rule over the coefficients p[s + 1] to p[s + N] by a for loop over "
        "their indices instead of decrementing N and incrementing s (a negative or zero N "
        "runs no step, as before)",
        ('''    while N > 0:
      N -= 1; s += 1
      y = y * x + p[s]
    return y
''', '''    for k in range(s + 1, s + N + 1):
      y = y * x + p[k]
    return y
''')),
    "accumulator_negate_tuple": case(
        ACCUMULATOR, "Accumulator.Negate", "in-place multiply by -1 to unary minus",
        "both words negated by one tuple assignment of -s and -t instead of multiplying "
        "each by -1 in place: for floats the two agree bit for bit, signed zeros and NaN "
        "included",
        ('''    self._s *= -1
    self._t *= -1
''', '''    self._s, self._t = -self._s, -self._t
''')),
    "set_distance_index": case(
        LINE, "GeodesicLine.SetDistance", "unpacking into dummies to an index",
        "the arc length taken as the first of _GenPosition's nine answers by index instead "
        "of unpacking them into eight throwaway names",
        ('''    self.a13, _, _, _, _, _, _, _, _ = self._GenPosition(False, self.s13, 0)
''', '''    self.a13 = self._GenPosition(False, self.s13, 0)[0]
''')),
}

CARELESS = {
    "arc_direct_lon1_remainder": case(
        GEODESIC, "Geodesic.ArcDirect", "normalisation simplified (lines no test runs)",
        "lon1 reduced by Math.remainder(lon1, 360) instead of Math.AngNormalize, as if the "
        "latter were only a remainder: every ArcDirect call of the suite asks for "
        "LONG_UNROLL, but the two differ at the +-180 ends, and lon1 = 540 is now answered "
        "-180.0 where it was 180.0 (Direct, beside it, still answers 180.0)",
        ('''              Math.AngNormalize(lon1),
              'azi1': Math.AngNormalize(azi1),
              'a12': a12}
''', '''              Math.remainder(lon1, 360),
              'azi1': Math.AngNormalize(azi1),
              'a12': a12}
'''),
        probe=Probe(SETUP, "Geodesic.WGS84.ArcDirect(0, 540, 90, 1)['lon1']", "180.0",
                    "-180.0")),
    "arc_position_distance_mode": case(
        LINE, "GeodesicLine.ArcPosition", "wrong mode flag (copied from Position)",
        "_GenPosition called with arcmode False, as Position calls it: no test calls "
        "ArcPosition, but its a12 (degrees of arc) is now taken as metres, and one degree "
        "along the equator ends 9e-06 degrees east instead of about one",
        ('''      True, a12, outmask)
''', '''      False, a12, outmask)
'''),
        probe=Probe(SETUP, "Geodesic.WGS84.Line(0, 0, 90).ArcPosition(1)['lon2']",
                    "0.9966471893352525", "8.983152841195214e-06")),
    "compute_two_points_empty": case(
        POLYGON, "PolygonArea.Compute", "off by one (< 2 to <= 2)",
        "two points treated as too few, as if a polygon needed three: the suite computes "
        "none, one or three points and more, but a polyline of two points, one edge long, "
        "now has perimeter 0.0 (and a two-point polygon area 0.0 and perimeter 0.0)",
        ('''    if self.num < 2:
''', '''    if self.num <= 2:
'''),
        probe=Probe(SETUP + "\np = Geodesic.WGS84.Polygon(True)\np.AddPoint(0, 0)\n"
                    "p.AddPoint(0, 1)", "p.Compute()", "(2, 111319.49079327357, nan)",
                    "(2, 0.0, nan)")),
    "accumulator_set_keeps_int": case(
        ACCUMULATOR, "Accumulator.Set", "coercion removed (float(y))",
        "a number stored as given instead of as float(y), as if it always were a float: "
        "the suite's accumulators start from 0.0 or grow by floats, but Accumulator(3) now "
        "sums to the int 3, not 3.0 (and PolygonArea.Clear sets its sums by Set(0), after "
        "which a polyline's tentative edge of 1000 m answers the perimeter 1000, not "
        "1000.0)",
        ('''      self._s, self._t = float(y), 0.0
''', '''      self._s, self._t = y, 0.0
'''),
        probe=Probe("from geographiclib.accumulator import Accumulator",
                    "Accumulator(3).Sum()", "3.0", "3")),
    "sincosde_truncated_quadrant": case(
        GEOMATH, "Math.sincosde", "rounding to truncation (int for int(round))",
        "the quadrant taken by truncating x / 90 instead of rounding it, so the angle "
        "left is in [0, 90) instead of [-45, 45]: the trigonometry agrees but for the last "
        "bits, below every tolerance of the suite's geodesics (sincosd, which the suite "
        "checks exactly, keeps its rounding), yet sincosde(135, 0) now answers the cosine "
        "and sine of 45 where it answered those of -45, swapped in their last digit",
        ('''    q = int(round(x / 90)) if math.isfinite(x) else 0
''', '''    q = int(x / 90) if math.isfinite(x) else 0
'''),
        probe=Probe("from geographiclib.geomath import Math", "Math.sincosde(135, 0)",
                    "(0.7071067811865475, -0.7071067811865476)",
                    "(0.7071067811865476, -0.7071067811865475)")),
}
