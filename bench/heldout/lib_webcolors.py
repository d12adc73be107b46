"""webcolors 25.10.0 (BSD-3-Clause), held out: colour names, hex values and rgb() triplets,
percentages rounded to integers and back, clamping, and HTML5's colour algorithms. Its
suite runs every statement, so each careless refactor below changes a line the suite runs
and never looks at on the input its probe names."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "webcolors"
CONV, NORM = "webcolors/_conversion.py", "webcolors/_normalization.py"
HTML5, DEFS = "webcolors/_html5.py", "webcolors/_definitions.py"
SETUP = "import webcolors"

_SPECIALS = '''    specials = {
        255: "100%",
        128: "50%",
        64: "25%",
        32: "12.5%",
        16: "6.25%",
        0: "0%",
    }
    return PercentRGB._make(
        specials.get(d, f"{d / 255.0 * 100:.02f}%")'''

_TRIM = '''    if length > 8:
        red, green, blue = (red[length - 8 :], green[length - 8 :], blue[length - 8 :])
        length = 8

    # 14. While length is greater than two and the first character in each component is
    #     a U+0030 DIGIT ZERO (0) character, remove that character and reduce length by
    #     one.
    while (length > 2) and (red[0] == "0" and green[0] == "0" and blue[0] == "0"):
        red, green, blue = (red[1:], green[1:], blue[1:])
        length -= 1

    # 15. If length is still greater than two, truncate each component, leaving only the
    #     first two characters in each.
    if length > 2:
        red, green, blue = (red[:2], green[:2], blue[:2])
'''

_TRIM_HELPER = '''def _trim_components(red: str, green: str, blue: str, length: int) -> tuple:
    """Steps 13 to 15 of the legacy algorithm: at most eight characters a component,
    leading zeros shared by all three dropped down to two, then the first two kept."""
    if length > 8:
        red, green, blue = (red[length - 8 :], green[length - 8 :], blue[length - 8 :])
        length = 8
    while (length > 2) and (red[0] == "0" and green[0] == "0" and blue[0] == "0"):
        red, green, blue = (red[1:], green[1:], blue[1:])
        length -= 1
    if length > 2:
        red, green, blue = (red[:2], green[:2], blue[:2])
    return red, green, blue


def html5_parse_legacy_color('''

CONTROLS = {
    "percent_specials_table": case(
        CONV, "rgb_to_rgb_percent", "lookup table",
        "the special percentages move to a private module-level table",
        (_SPECIALS, "    return PercentRGB._make(\n"
                    '        _PERCENT_SPECIALS.get(d, f"{d / 255.0 * 100:.02f}%")'),
        ("def rgb_to_rgb_percent(", '_PERCENT_SPECIALS = {255: "100%", 128: "50%", 64: "25%", '
                                    '32: "12.5%", 16: "6.25%", 0: "0%"}\n\n\n'
                                    "def rgb_to_rgb_percent(")),
    "hex_to_rgb_rename": case(
        CONV, "hex_to_rgb", "renamed local",
        "int_value renamed packed",
        ("    int_value = int(normalize_hex(hex_value)[1:], 16)\n"
         "    return IntegerRGB(int_value >> 16, int_value >> 8 & 0xFF, int_value & 0xFF)",
         "    packed = int(normalize_hex(hex_value)[1:], 16)\n"
         "    return IntegerRGB(packed >> 16, packed >> 8 & 0xFF, packed & 0xFF)")),
    "percent_to_rgb_comprehension": case(
        CONV, "rgb_percent_to_rgb", "map made a comprehension",
        "map(_percent_to_integer, ...) written as a generator expression",
        ("""    return IntegerRGB._make(
        map(
            _percent_to_integer,  # pylint: disable=protected-access
            normalize_percent_triplet(rgb_percent_triplet),
        )
    )""", """    return IntegerRGB._make(
        _percent_to_integer(p) for p in normalize_percent_triplet(rgb_percent_triplet)
    )""")),
    "normalize_hex_doubling": case(
        NORM, "normalize_hex", "stdlib call",
        "each short digit doubled with s + s instead of 2 * s",
        ('hex_digits = "".join(2 * s for s in hex_digits)',
         'hex_digits = "".join(s + s for s in hex_digits)')),
    "hex_to_name_inline": case(
        CONV, "hex_to_name", "variable inlined",
        "the map read inline instead of through color_map",
        ("    color_map = _get_hex_to_name_map(spec)\n"
         "    if name := color_map.get(normalize_hex(hex_value)):",
         "    if name := _get_hex_to_name_map(spec).get(normalize_hex(hex_value)):")),
    "legacy_trim_helper": case(
        HTML5, "html5_parse_legacy_color", "helper extracted",
        "steps 13 to 15 (trimming the three components) moved to a private helper",
        (_TRIM, "    red, green, blue = _trim_components(red, green, blue, length)\n"),
        ("def html5_parse_legacy_color(", _TRIM_HELPER)),
    "simple_color_guards_merged": case(
        HTML5, "html5_parse_simple_color", "variable extracted",
        "the six digits' slice named before the hex-digit check",
        ("    if not all(c in string.hexdigits for c in value[1:]):",
         "    digits = value[1:]\n    if not all(c in string.hexdigits for c in digits):")),
    "names_sorted": case(
        DEFS, "names", "stdlib call",
        "list(sorted(mapping.keys())) written sorted(mapping)",
        ("    mapping = _names_to_hex[spec]\n    return list(sorted(mapping.keys()))",
         "    return sorted(_names_to_hex[spec])")),
}

CARELESS = {
    "percent_to_integer_truncates": case(
        NORM, "_percent_to_integer", "rounding to truncation",
        "int(round(x)) written int(x + 0.5): half-up where round() rounds half to even",
        ("return int(round(float(percent.split(\"%\")[0]) / 100 * 255))",
         "return int(float(percent.split(\"%\")[0]) / 100 * 255 + 0.5)"),
        probe=Probe(SETUP, "webcolors.rgb_percent_to_rgb(('1%', '50%', '70%'))",
                    "IntegerRGB(red=3, green=128, blue=178)",
                    "IntegerRGB(red=3, green=128, blue=179)")),
    "percent_round_not_format": case(
        CONV, "rgb_to_rgb_percent", "float rounding",
        "'{:.02f}' formatting written round(x, 2): trailing zeros and some halves differ",
        ('specials.get(d, f"{d / 255.0 * 100:.02f}%")',
         'specials.get(d, f"{round(d / 255.0 * 100, 2)}%")'),
        probe=Probe(SETUP, "webcolors.rgb_to_rgb_percent((51, 102, 1))",
                    "PercentRGB(red='20.00%', green='40.00%', blue='0.39%')",
                    "PercentRGB(red='20.0%', green='40.0%', blue='0.39%')")),
    "percent_special_dropped": case(
        CONV, "rgb_to_rgb_percent", "table entry dropped",
        "the exact 6.25% for 16 left out of the special values",
        ('        16: "6.25%",\n', ""),
        probe=Probe(SETUP, "webcolors.rgb_to_rgb_percent((16, 16, 16))",
                    "PercentRGB(red='6.25%', green='6.25%', blue='6.25%')",
                    "PercentRGB(red='6.27%', green='6.27%', blue='6.27%')")),
    "rgb_to_hex_unclamped": case(
        CONV, "rgb_to_hex", "coercion removed",
        "the triplet's clamping into 0..255 dropped before formatting",
        ("    red, green, blue = normalize_integer_triplet(rgb_triplet)\n"
         '    return f"#{red:02x}{green:02x}{blue:02x}"',
         "    red, green, blue = rgb_triplet\n"
         '    return f"#{red:02x}{green:02x}{blue:02x}"'),
        probe=Probe(SETUP, "webcolors.rgb_to_hex((300, 0, -5))", "'#ff0000'",
                    "'#12c00-5'")),
    "hex_to_rgb_swallows": case(
        CONV, "hex_to_rgb", "documented exception swallowed",
        "an invalid hex value (documented: ValueError) read as black",
        ("    int_value = int(normalize_hex(hex_value)[1:], 16)\n",
         "    try:\n        int_value = int(normalize_hex(hex_value)[1:], 16)\n"
         "    except ValueError:\n        int_value = 0\n"),
        probe=Probe(SETUP, "webcolors.hex_to_rgb('#ggg')", "raises ValueError",
                    "IntegerRGB(red=0, green=0, blue=0)")),
    "percent_zero_boundary": case(
        NORM, "_normalize_percent_rgb", "boundary moved",
        "percent < 0 written percent <= 0: a float zero loses its form",
        ('return "0%" if percent < 0 else', 'return "0%" if percent <= 0 else'),
        probe=Probe(SETUP, "webcolors.normalize_percent_triplet(('0.0%', '1%', '0%'))",
                    "PercentRGB(red='0.0%', green='1%', blue='0%')",
                    "PercentRGB(red='0%', green='1%', blue='0%')")),
    "integer_clamp_minmax": case(
        NORM, "_normalize_integer_rgb", "clamp rewritten",
        "the conditional clamp written max(0, min(255, value)): NaN becomes 255",
        ("return 0 if value < 0 else 255 if value > 255 else value",
         "return max(0, min(255, value))"),
        probe=Probe(SETUP, "webcolors.normalize_integer_triplet((float('nan'), 1, 2))",
                    "IntegerRGB(red=nan, green=1, blue=2)",
                    "IntegerRGB(red=255, green=1, blue=2)")),
    "legacy_truncation_boundary": case(
        HTML5, "html5_parse_legacy_color", "boundary moved",
        "input truncated past 129 code points instead of 128",
        ("    if len(value) > 128:\n        value = value[:128]",
         "    if len(value) > 129:\n        value = value[:129]"),
        probe=Probe(SETUP, "webcolors.html5_parse_legacy_color('0' * 128 + 'f')",
                    "HTML5SimpleColor(red=0, green=0, blue=0)",
                    "HTML5SimpleColor(red=0, green=0, blue=15)")),
    "legacy_strip_spaces_only": case(
        HTML5, "html5_parse_legacy_color", "strip narrowed",
        "value.strip() written value.strip(' '): a tab or newline is kept",
        ("    value = value.strip()\n", "    value = value.strip(\" \")\n"),
        probe=Probe(SETUP, "webcolors.html5_parse_legacy_color('\\tred\\n')",
                    "HTML5SimpleColor(red=255, green=0, blue=0)",
                    "HTML5SimpleColor(red=0, green=237, blue=0)")),
    "percent_sign_sliced": case(
        NORM, "_normalize_percent_rgb", "split made a slice",
        "value.split('%')[0] written value[:-1]: a value without its sign loses a digit",
        ('    value = value.split("%")[0]\n    percent', '    value = value[:-1]\n    percent'),
        probe=Probe(SETUP, "webcolors.normalize_percent_triplet(('50', '0%', '0%'))",
                    "PercentRGB(red='50%', green='0%', blue='0%')",
                    "PercentRGB(red='5%', green='0%', blue='0%')")),
}
