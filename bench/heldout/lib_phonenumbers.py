"""phonenumbers 9.0.43 (Apache-2.0), held out (wave 16): the Python port of libphonenumber,
its code in a dozen modules (phonenumbers/phonenumberutil.py for parsing, formatting and
validation; phonenumber.py, the PhoneNumber object; shortnumberinfo.py, asyoutypeformatter.py,
phonenumbermatcher.py; geocoder.py, carrier.py and timezone.py over prefix.py; util.py,
re_util.py and unicode_util.py) beside its metadata, Python modules of tables (data/,
shortdata/, geodata/, carrierdata/, tzdata/). ndd_prefix_for_region upper-cases the region
it is given; is_alpha_number refuses input longer than 250 characters (250 itself is
parsed); PhoneNumber coerces italian_leading_zero to bool and its counts to int;
unicode_util.digit takes any default but None (0 among them) as the answer for a non-digit,
and its Block.get finds a code point in a block whose range includes both ends; the time
zones of a country code are looked up by its longest prefix first. Its suite (tests/*test.py,
gathered by testwrapper.py: 311 tests, most on the test metadata under tests/testdata, and
the doctests of seven modules) is a port of libphonenumber's Java tests. A line tracer over it
found almost every line run, among the few not run example_number_for_non_geo_entity's
handling of a parse error and its final None. Its tests pass region codes in capitals, never
probe the input length limit at 250 itself, never build a PhoneNumber from a truthy non-bool,
never ask unicode_util.digit for a default of 0, and never ask for the block of a block's
last code point. One control (example_number_for_non_geo_entity's test turned into an early
continue) changes lines the suite runs beside lines it does not; every case changes lines the
suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "phonenumbers"
UTIL = "phonenumbers/phonenumberutil.py"
NUMBER = "phonenumbers/phonenumber.py"
UNICODE = "phonenumbers/unicode_util.py"
TIMEZONE = "phonenumbers/timezone.py"
PREFIX = "phonenumbers/prefix.py"
SETUP = "import phonenumbers"

CONTROLS = {
    "normalize_digits_iterate_chars": case(
        UTIL, "normalize_digits_only", "index loop to iteration",
        "the string walked character by character instead of by index over range(len()): "
        "the same characters in the same order, each appended or converted as before",
        ('''    number = unicod(number)
    number_length = len(number)
    normalized_digits = U_EMPTY_STRING
    for ii in range(number_length):
        d = unicode_digit(number[ii], -1)
        if d != -1:
            normalized_digits += unicod(d)
        elif keep_non_digits:
            normalized_digits += number[ii]
    return normalized_digits
''', '''    number = unicod(number)
    normalized_digits = U_EMPTY_STRING
    for char in number:
        d = unicode_digit(char, -1)
        if d != -1:
            normalized_digits += unicod(d)
        elif keep_non_digits:
            normalized_digits += char
    return normalized_digits
''')),
    "country_tz_prefixes_by_length": case(
        TIMEZONE, "_country_level_time_zones_for_number", "loop bounds tightened",
        "the country code's prefixes taken from its own length down to one, cc[:n], instead "
        "of from TIMEZONE_LONGEST_PREFIX down with cc[:1 + n]: the slices longer than the "
        "code all equal the whole code, so the same prefixes are looked up in the same order "
        "(a country code has at most three digits, fewer than the longest prefix, nine)",
        ('''    cc = str(numobj.country_code)
    for prefix_len in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        prefix = cc[:(1 + prefix_len)]
''', '''    cc = str(numobj.country_code)
    for prefix_len in range(len(cc), 0, -1):
        prefix = cc[:prefix_len]
''')),
    "find_lang_english_conditional": case(
        PREFIX, "_find_lang", "if/else to conditional expression",
        "the fallback to English written as one conditional expression, and .get('en') "
        "without its explicit None default: the same lookup when the language may fall back, "
        "None when it may not",
        ('''    if _may_fall_back_to_english(lang):
        return langdict.get("en", None)
    else:
        return None
''', '''    return langdict.get("en") if _may_fall_back_to_english(lang) else None
''')),
    "non_geo_example_early_continue": case(
        UTIL, "example_number_for_non_geo_entity", "condition inverted to an early continue",
        "a description without an example number skipped by an early continue, the parse "
        "left alone under its try: the same descriptions tried in the same order, the first "
        "that parses answered, a parse error skipped as before (no test makes one fail)",
        ('''            try:
                if (desc is not None and desc.example_number is not None):
                    return parse(''', '''            if desc is None or desc.example_number is None:
                continue
            try:
                return parse(''')),
}

CARELESS = {
    "ndd_prefix_region_not_upper": case(
        UTIL, "ndd_prefix_for_region", "normalisation dropped (upper())",
        "the region code looked up as given instead of upper-cased, as if callers always "
        "wrote it in capitals: the suite does, but ndd_prefix_for_region('nz', True), New "
        "Zealand's '0' before, now finds no metadata and answers None",
        ('''    metadata = PhoneMetadata.metadata_for_region(region_code.upper(), None)
    if metadata is None:
        return None
    national_prefix = metadata.national_prefix
''', '''    metadata = PhoneMetadata.metadata_for_region(region_code, None)
    if metadata is None:
        return None
    national_prefix = metadata.national_prefix
'''),
        probe=Probe(SETUP, "phonenumbers.ndd_prefix_for_region('nz', True)", "'0'", "None")),
    "alpha_number_length_limit_off_by_one": case(
        UTIL, "is_alpha_number", "off by one (> to >=)",
        "the input refused at 250 characters instead of past 250, the limit parse keeps: "
        "the suite's vanity numbers are short, but '1800' followed by 246 letters, exactly "
        "250 characters, is no longer an alpha number",
        ('''    if len(number) > _MAX_INPUT_STRING_LENGTH:
        # Too long to parse, so can't be a valid number; also avoids quadratic
''', '''    if len(number) >= _MAX_INPUT_STRING_LENGTH:
        # Too long to parse, so can't be a valid number; also avoids quadratic
'''),
        probe=Probe(SETUP, "phonenumbers.is_alpha_number('1800' + 'A' * 246)", "True",
                    "False")),
    "italian_zero_bool_dropped": case(
        NUMBER, "PhoneNumber.__init__", "coercion dropped (bool())",
        "italian_leading_zero stored as given instead of as bool(): parse and the suite pass "
        "True or nothing, but a PhoneNumber built with italian_leading_zero=1 now keeps 1, "
        "which its repr and a comparison with a parsed number (True) show",
        ('''            self.italian_leading_zero = bool(italian_leading_zero)
''', '''            self.italian_leading_zero = italian_leading_zero
'''),
        probe=Probe(SETUP, "phonenumbers.PhoneNumber(country_code=39, national_number=236618300,"
                    " italian_leading_zero=1).italian_leading_zero", "True", "1")),
    "digit_default_truthiness": case(
        UNICODE, "digit", "None check to truthiness",
        "the default tested by truthiness instead of against None: the library passes -1, "
        "which is truthy, but a default of 0 is now ignored and a non-digit raises "
        "ValueError instead of answering 0",
        ('''    if default_value is not None:
''', '''    if default_value:
'''),
        probe=Probe("from phonenumbers import unicode_util",
                    "unicode_util.digit('x', 0)", "0", "raises ValueError")),
    "block_range_end_exclusive": case(
        UNICODE, "Block.get", "off by one (<= to <)",
        "a block's end taken as exclusive in the first of the two range checks: the suite "
        "asks for letters well inside their blocks, but U+007F, Basic Latin's last code "
        "point, is now in no block (UNKNOWN)",
        ('''        if (idx > 0 and
            code_point >= Block._RANGES[Block._RANGE_KEYS[idx - 1]].start and
            code_point <= Block._RANGES[Block._RANGE_KEYS[idx - 1]].end):
''', '''        if (idx > 0 and
            code_point >= Block._RANGES[Block._RANGE_KEYS[idx - 1]].start and
            code_point < Block._RANGES[Block._RANGE_KEYS[idx - 1]].end):
'''),
        probe=Probe("from phonenumbers.unicode_util import Block",
                    "Block.get('\\u007f') is Block.BASIC_LATIN", "True", "False")),
}
