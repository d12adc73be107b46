"""pytweening 1.2.0 (MIT), held out (wave 25): tweening (easing) functions (pytweening/__init__.py,
one module). Each tween takes the time progress n, 0.0 at the start and 1.0 at the end, and
answers the progress along the path (linear, the quadratic to quintic ones, sine,
exponential, circular, elastic, back and bounce, each in, out and in-out; the polynomial
ones take a degree, refused with ValueError unless it is an int or float not below 0; the
elastic ones an amplitude, raised to 1 where it is below 1, and a period). getLine(x1, y1, x2,
y2) truncates its coordinates to ints and draws Bresenham's line between them, its points
in order from the first point to the second; getPointOnLine interpolates a point at n, even
before the start or past the end; each iter function yields the points of a tween between
two points, stepping n by intervalSize from 0.0, and always 1.0 last, a tolerance keeping a
step that falls a hair short of 1.0 from being yielded beside it.

Its suite (tests/basicTests.py, named test_basicTests.py in its tree: 6 tests) checks that
getLine's first and last points are its end points for 400 pairs of int points (and
getPointOnLine's at 0.0 and 1.0), every tween's value at 0, 1 and, for the in-out ones, 0.5,
within a small delta, and calls every iter function with a step of 0.01 without reading what
it yields. A line tracer over it found unrun: the polynomial tweens' ValueError for a bad
degree, and easeOutElastic's branch for an amplitude below 1. Its tests never give getLine a
float, read an iterator's points, call a polynomial tween with a degree other than 2, or an
elastic one with an amplitude other than 1.

Its files end their lines with CRLF; the edits are written here with LF (crlf)."""

from tests.governance.refactors_real.corpus import Probe, case, crlf

LIBRARY = "pytweening"
INIT = "pytweening/__init__.py"
SETUP = "import pytweening"

CONTROLS = {
    "error_by_floor_division": case(
        INIT, "getLine", "int(a / 2) to a // 2",
        "the error term started at deltax // 2 instead of int(deltax / 2): deltax is an int "
        "and never negative (the points are swapped so that x1 <= x2), and for a "
        "non-negative int floor division and truncating the true quotient give the same int",
        crlf('''    error = int(deltax / 2)
''', '''    error = deltax // 2
''')),
    "ystep_by_conditional": case(
        INIT, "getLine", "if/else assignment to a conditional expression",
        "the y step chosen by one conditional expression, 1 if y1 < y2 else -1, instead of "
        "a None placeholder and an if/else assigning 1 or -1: the same step for every pair "
        "of points, the placeholder never read",
        crlf('''    ystep = None
    if y1 < y2:
        ystep = 1
    else:
        ystep = -1
''', '''    ystep = 1 if y1 < y2 else -1
''')),
    "iter_points_by_helper": case(
        INIT, "_iterTween", "repeated expression to a call of the public helper",
        "each yielded point computed by getPointOnLine(startX, startY, endX, endY, ti) "
        "instead of the same interpolation written out three times: getPointOnLine returns "
        "(((endX - startX) * n) + startX, ((endY - startY) * n) + startY), the very "
        "expression, so the same points in the same order",
        crlf('''    ti = tweeningFunc(0.0, *args)
    yield (((endX - startX) * ti) + startX, ((endY - startY) * ti) + startY)
''', '''    ti = tweeningFunc(0.0, *args)
    yield getPointOnLine(startX, startY, endX, endY, ti)
'''),
        crlf('''        ti = tweeningFunc(n, *args)
        yield (((endX - startX) * ti) + startX, ((endY - startY) * ti) + startY)
''', '''        ti = tweeningFunc(n, *args)
        yield getPointOnLine(startX, startY, endX, endY, ti)
'''),
        crlf('''    ti = tweeningFunc(1.0, *args)
    yield (((endX - startX) * ti) + startX, ((endY - startY) * ti) + startY)
''', '''    ti = tweeningFunc(1.0, *args)
    yield getPointOnLine(startX, startY, endX, endY, ti)
''')),
    "elastic_clamp_reordered": case(
        INIT, "easeOutElastic", "independent statements reordered",
        "for an amplitude below 1, the phase s = period / 4 computed before the amplitude "
        "is raised to 1 instead of after: s reads the period alone, so the same phase and "
        "amplitude (lines no test runs: its tests give the default amplitude, 1)",
        crlf('''    if amplitude < 1:
        amplitude = 1
        s = period / 4
''', '''    if amplitude < 1:
        s = period / 4
        amplitude = 1
''')),
}

CARELESS = {
    "line_coords_rounded": case(
        INIT, "getLine", "rounding for truncation",
        "the coordinates made ints by round() instead of int(), to put a point on the "
        "nearest pixel: the same for the suite's int points, but a float coordinate is now "
        "rounded, not truncated toward zero, so the line from (0, 0) to (2.6, 0) ends at x "
        "= 3, one point longer, instead of at x = 2",
        crlf('''    x1, y1, x2, y2 = int(x1), int(y1), int(x2), int(y2)
''', '''    x1, y1, x2, y2 = round(x1), round(y1), round(x2), round(y2)
'''),
        probe=Probe(SETUP, "pytweening.getLine(0, 0, 2.6, 0)", "[(0, 0), (1, 0), (2, 0)]",
                    "[(0, 0), (1, 0), (2, 0), (3, 0)]")),
    "iter_tolerance_dropped": case(
        INIT, "_iterTween", "floating-point tolerance dropped",
        "the loop run while n < 1.0 instead of while n + 1.1102230246251565e-16 < 1.0, the "
        "odd constant taken for noise: the suite only calls the iterators, never reading "
        "their points, but summing 0.1 ten times falls just short of 1.0, so a step of 0.1 "
        "now yields a point at 0.9999999999999999 beside the final 1.0: twelve points, not "
        "eleven",
        crlf('''    while n + 1.1102230246251565e-16 < 1.0:
''', '''    while n < 1.0:
'''),
        probe=Probe(SETUP, "len(list(pytweening.iterLinear(0, 0, 100, 150, 0.1)))", "11",
                    "12")),
    "poly_degree_int_only": case(
        INIT, "easeInPoly", "type check narrowed",
        "the degree refused unless isinstance(degree, int) instead of (int, float), a "
        "polynomial's degree taken to be a whole number: the same for the suite's default "
        "degree 2, but a fractional degree, which the docstring allows (int, float), now "
        "raises ValueError instead of answering n ** degree",
        crlf('''    if not isinstance(degree, (int, float)) or degree < 0:
        raise ValueError('degree argument must be a positive number.')
    return n**degree
''', '''    if not isinstance(degree, int) or degree < 0:
        raise ValueError('degree argument must be a positive number.')
    return n**degree
'''),
        probe=Probe(SETUP, "pytweening.easeInPoly(0.25, 1.5)", "0.125", "raises ValueError")),
    "out_poly_abs_dropped": case(
        INIT, "easeOutPoly", "abs() dropped as redundant",
        "1 - (n - 1) ** degree instead of 1 - abs((n - 1) ** degree), the abs() taken for "
        "redundant since a square is never negative: the same for the suite's default "
        "degree 2 (and any even one), but for an odd degree (n - 1) ** degree is negative "
        "before the end, so the tween overshoots past 1 instead of easing toward it",
        crlf('''    return 1 - abs((n - 1) ** degree)
''', '''    return 1 - (n - 1) ** degree
'''),
        probe=Probe(SETUP, "pytweening.easeOutPoly(0.5, 3)", "0.875", "1.125")),
    "elastic_clamp_phase_only": case(
        INIT, "easeOutElastic", "a clamp applied to one use of a value but not the other",
        "the two branches folded into one phase, s = period / (2 * math.pi) * "
        "math.asin(1 / max(amplitude, 1)), which for an amplitude below 1 is the old "
        "period / 4: the same for the suite's amplitude 1 and any above it, but an "
        "amplitude below 1 is no longer raised to 1 where it scales the wobble, so "
        "easeOutElastic(0.5, amplitude=0.5) is 0.5 * 2 ** -5 * sin(...) + 1, not 1 * ...",
        crlf('''    if amplitude < 1:
        amplitude = 1
        s = period / 4
    else:
        s = period / (2 * math.pi) * math.asin(1 / amplitude)
''', '''    s = period / (2 * math.pi) * math.asin(1 / max(amplitude, 1))
'''),
        probe=Probe(SETUP, "round(pytweening.easeOutElastic(0.5, amplitude=0.5), 6)",
                    "1.015625", "1.007812")),
}
