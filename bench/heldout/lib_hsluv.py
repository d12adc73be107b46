"""hsluv 5.0.5 (MIT), held out (wave 17): HSLuv and HPLuv colours in one module (hsluv.py,
transpiled from Haxe and cleaned by hand): RGB, XYZ, LUV and LCH conversions through the
sRGB matrices, the chroma bounds of a lightness (_get_bounds, Haxe's while loops), hex
strings parsed from their first six digits after the '#' and written with each channel
rounded half up (floor of x * 255 + 0.5), lightness within 1e-7 of 100 or 1e-8 of 0 taken as
white or black, XYZ with a zero chromaticity divider answered as NaN chromaticity, and
hsluv_to_rgb and hpluv_to_rgb normalised to 10 decimal digits (round to 11 - 1: the
snapshot's tolerance). Its suite (tests/: 2 tests) is a snapshot of 4,096 hex colours run
through every conversion forward and back, and a grid of HSLuv and HPLuv colours checked in
the RGB range. A line tracer over it found every line run but the zero-divider branch of
xyz_to_luv, whose two lines one careless refactor alone changes; every other case changes
lines the suite runs. Its tests never write a channel that lands on a half, never parse a
hex string with an alpha pair, never ask for a lightness a hair under 100, never look at the
digits past the tenth, and never convert an XYZ colour whose divider is zero."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "hsluv"
HSLUV = "hsluv.py"
SETUP = "import hsluv"

CONTROLS = {
    "bounds_while_to_for": case(
        HSLUV, "_get_bounds", "while loops to for loops over range()",
        "the transpiled while loops with their hand-kept counters written as for loops over "
        "range(3) and range(2): the same c and t in the same order, the same six bounds "
        "appended in the same order",
        ('''    _g = 0
    while _g < 3:
        c = _g
        _g += 1
        m1 = _m[c][0]
        m2 = _m[c][1]
        m3 = _m[c][2]
        _g1 = 0
        while _g1 < 2:
            t = _g1
            _g1 += 1
            top1''', '''    for c in range(3):
        m1 = _m[c][0]
        m2 = _m[c][1]
        m3 = _m[c][2]
        for t in range(2):
            top1''')),
    "xyz_rows_comprehension": case(
        HSLUV, "xyz_to_rgb", "repeated rows to a tuple over the matrix",
        "the three channels written as a tuple of the same conversion over the rows of the "
        "XYZ-to-sRGB matrix instead of three lines indexing _m[0], _m[1] and _m[2]: the "
        "matrix has those three rows, taken in the same order, and a tuple is answered as "
        "before",
        ('''    return (
        _from_linear(_dot_product(_m[0], _hx_tuple)),
        _from_linear(_dot_product(_m[1], _hx_tuple)),
        _from_linear(_dot_product(_m[2], _hx_tuple)))
''', '''    return tuple(_from_linear(_dot_product(row, _hx_tuple)) for row in _m)
''')),
    "chroma_lengths_one_generator": case(
        HSLUV, "_max_chroma_for_lh", "intermediate list folded into the generator",
        "the rays' lengths computed inside the generator min() filters instead of in a list "
        "first: the same lengths of the same six bounds in the same order, the first "
        "division by zero, if any, raised at the same bound before min answers",
        ('''    lengths = [_length_of_ray_until_intersect(hrad, bound) for bound in _get_bounds(l)]
    return min(length for length in lengths if length >= 0)
''', '''    return min(length
               for length in (_length_of_ray_until_intersect(hrad, bound)
                              for bound in _get_bounds(l))
               if length >= 0)
''')),
    "dot_product_map_mul": case(
        HSLUV, "_dot_product", "generator to map(operator.mul)",
        "the products summed from map(operator.mul, a, b) instead of a generator over zip: "
        "the same pairwise products, stopping at the shorter, summed by the same sum() from "
        "0 in the same order",
        ('''import math as _math  # unexport, see #17
''', '''import math as _math  # unexport, see #17
import operator as _operator
'''),
        ('''    return sum(i * j for i, j in zip(a, b))
''', '''    return sum(map(_operator.mul, a, b))
''')),
}

CARELESS = {
    "hex_channel_round_half_even": case(
        HSLUV, "rgb_to_hex", "rounding changed (half up to round(), half to even)",
        "each channel written as round(x * 255) instead of floor(x * 255 + 0.5): the same "
        "away from halves, so every snapshot colour, which lands within a rounding error of "
        "a whole number, is written the same, but a channel landing on a half now rounds to "
        "even: 0.5, 2.5 and 126.5 give 00, 02 and 7e where they gave 01, 03 and 7f",
        ('''    return '#{:02x}{:02x}{:02x}'.format(
            int(_math.floor(_hx_tuple[0] * 255 + 0.5)),
            int(_math.floor(_hx_tuple[1] * 255 + 0.5)),
            int(_math.floor(_hx_tuple[2] * 255 + 0.5)))
''', '''    return '#{:02x}{:02x}{:02x}'.format(
            round(_hx_tuple[0] * 255),
            round(_hx_tuple[1] * 255),
            round(_hx_tuple[2] * 255))
'''),
        probe=Probe(SETUP, "hsluv.rgb_to_hex((0.5 / 255, 2.5 / 255, 126.5 / 255))",
                    "'#01037f'", "'#00027e'")),
    "hex_fromhex_every_pair": case(
        HSLUV, "hex_to_rgb", "slice bound dropped (every pair parsed)",
        "the channels parsed with bytes.fromhex over everything after the '#' instead of "
        "three two-digit slices: the same for the suite's six-digit colours, but a colour "
        "with an alpha pair, #11ee0080, now answers four channels where it answered three",
        ('''    # skip leading '#'
    r = int(_hex[1:3], base=16) / 255.0
    g = int(_hex[3:5], base=16) / 255.0
    b = int(_hex[5:7], base=16) / 255.0
    return (r, g, b)
''', '''    # skip leading '#'
    return tuple(channel / 255.0 for channel in bytes.fromhex(_hex[1:]))
'''),
        probe=Probe(SETUP, "hsluv.hex_to_rgb('#11ee0080')",
                    "(0.06666666666666667, 0.9333333333333333, 0.0)",
                    "(0.06666666666666667, 0.9333333333333333, 0.0, 0.5019607843137255)")),
    "white_bound_exact": case(
        HSLUV, "hsluv_to_lch", "tolerance dropped (> 100 - 1e-7 to >= 100)",
        "white recognised only at a lightness of 100 or more instead of within 1e-7 of it: "
        "the suite's grid and snapshot reach 100 exactly, but 99.99999999 is no longer "
        "answered as white, lightness 100 with no chroma, and keeps its own lightness with "
        "the chroma of its bound",
        ('''    s = float(_hx_tuple[1])
    l = float(_hx_tuple[2])
    if l > 100-1e-7:
        return (100, 0, h)
    if l < 1e-08:
        return (0, 0, h)
    _hx_max = _max_chroma_for_lh(l, h)
''', '''    s = float(_hx_tuple[1])
    l = float(_hx_tuple[2])
    if l >= 100:
        return (100, 0, h)
    if l < 1e-08:
        return (0, 0, h)
    _hx_max = _max_chroma_for_lh(l, h)
'''),
        probe=Probe(SETUP, "hsluv.hsluv_to_lch((0, 50, 99.99999999))[0]", "100",
                    "99.99999999")),
    "normalize_digits_off_by_one": case(
        HSLUV, "_normalize_output", "precision off by one (11 - 1 to 11 digits)",
        "the output rounded to 11 decimal digits, 'fixing' the written 11 - 1 to the "
        "tolerance its comment names: the suite checks only that each channel stays within "
        "0 and 1, but hsluv_to_rgb's grey at lightness 50 now answers 0.46632660928 where it "
        "answered 0.4663266093",
        ('''    normalize = _partial(round, ndigits=11-1)
''', '''    normalize = _partial(round, ndigits=11)
'''),
        probe=Probe(SETUP, "hsluv.hsluv_to_rgb((0, 0, 50))[0]", "0.4663266093",
                    "0.46632660928")),
    "zero_divider_as_black": case(
        HSLUV, "xyz_to_luv", "degenerate branch merged (lines no test runs)",
        "a zero chromaticity divider answered like the black branch above it, (0, 0, 0), "
        "instead of the lightness with NaN chromaticity: no test converts such a colour "
        "(its x or z must be negative), but xyz_to_luv((-15, 1, 0)) now loses its "
        "lightness of 100",
        ('''    if divider == 0:
        u = v = float("nan")
        return (l, u, v)
''', '''    if divider == 0:
        return (0, 0, 0)
'''),
        probe=Probe(SETUP, "hsluv.xyz_to_luv((-15, 1, 0))", "(100.0, nan, nan)",
                    "(0, 0, 0)")),
}
