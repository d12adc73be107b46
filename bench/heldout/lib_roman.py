"""roman 5.2 (ZPL-2.1), held out (wave 8): integers to Roman numerals and back. toRoman
takes an int (isinstance: bool and int subclasses pass) from 0 to 4999 (0 is 'N'), refuses
anything else with NotIntegerError or OutOfRangeError, and builds the numeral greedily from a
table of thirteen numerals (M, CM, D, ... IV, I); fromRoman refuses a blank string, upper-cases
the rest, reads 'N' as 0 unless special_case is off, checks the numeral against a verbose
regular expression (search, anchored with '^' and '$', so a trailing newline passes) and sums
the table's numerals from the left; main converts its argument either way (int() of the text,
or fromRoman with --reverse). Its suite (src/tests.py, named test_roman.py in the tree) runs
every line of every function (a line tracer over the whole suite found only the call under
the module's __main__ guard unrun), so all four controls change lines it runs. Every careless
refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "roman"
ROMAN = "roman/__init__.py"
SETUP = "import roman"

_TO_LOOP = '''    result = ""
    for numeral, integer in romanNumeralMap:
        while n >= integer:
            result += numeral
            n -= integer
    return result
'''

_FROM_LOOP = '''        while s[index:index + len(numeral)] == numeral:
'''

_PARSE_TAIL = '''    args = parser.parse_args()
    args.number = args.number
    return args
'''

_MAIN = '''    if args.reverse:
        r = fromRoman(args.number)
        print(r)
    else:
        i = int(args.number)
        n = toRoman(i)
        print(n)
'''

CONTROLS = {
    "to_roman_join_parts": case(
        ROMAN, "toRoman", "string concatenation loop written as a list joined once",
        "the numeral's parts appended to a list and joined at the end instead of added to a "
        "string one by one: the same numerals in the same order, the same greedy loop over "
        "the table",
        (_TO_LOOP, '''    parts = []
    for numeral, integer in romanNumeralMap:
        while n >= integer:
            parts.append(numeral)
            n -= integer
    return "".join(parts)
''')),
    "from_roman_startswith": case(
        ROMAN, "fromRoman", "slice comparison written as str.startswith",
        "the numeral at the current index tested with s.startswith(numeral, index) instead "
        "of comparing the slice s[index:index + len(numeral)] with it: the two agree for "
        "every index, past the end included (an empty slice, and startswith False)",
        (_FROM_LOOP, "        while s.startswith(numeral, index):\n")),
    "parse_args_self_assignment_dropped": case(
        ROMAN, "parse_args", "dead statement removed",
        "the statement that assigns args.number to itself dropped: it reads and writes the "
        "same attribute, so the namespace returned is the same",
        (_PARSE_TAIL, '''    args = parser.parse_args()
    return args
''')),
    "main_temporaries_inlined": case(
        ROMAN, "main", "temporaries inlined",
        "the converted value printed directly instead of through the names r, i and n: the "
        "same calls in the same order (int() before toRoman), the same output",
        (_MAIN, '''    if args.reverse:
        print(fromRoman(args.number))
    else:
        print(toRoman(int(args.number)))
''')),
}

CARELESS = {
    "upper_bound_inclusive": case(
        ROMAN, "toRoman", "exclusive bound made inclusive",
        "the range check written as 'not 0 <= n <= 5000', reading the documented range's "
        "end as inclusive: 5000 is now converted to 'MMMMM' instead of refused with "
        "OutOfRangeError (the suite's out-of-range value is 100000)",
        ("    if not (-1 < n < 5000):\n", "    if not 0 <= n <= 5000:\n"),
        probe=Probe(SETUP, "roman.toRoman(5000)", "raises OutOfRangeError", "'MMMMM'")),
    "exact_int_type": case(
        ROMAN, "toRoman", "isinstance narrowed to an exact type check",
        "the integer check written as type(n) is not int instead of isinstance: an int "
        "subclass (an IntEnum member, a bool) is now refused with NotIntegerError where it "
        "was converted",
        ("    if not isinstance(n, int):\n", "    if type(n) is not int:\n"),
        probe=Probe(SETUP + "\nimport enum\nLevel = enum.IntEnum('Level', 'LOW MID HIGH')",
                    "roman.toRoman(Level.HIGH)", "'III'", "raises NotIntegerError")),
    "upper_only_when_lower": case(
        ROMAN, "fromRoman", "normalisation narrowed",
        "the numeral upper-cased only when it is all lower case (s.islower()), since upper "
        "case needs nothing and the suite's lower-case numerals still pass: a mixed-case "
        "numeral ('Xiv') is now refused where it was read as 14",
        ("    s = s.upper()  # Handle lowercase inputs\n",
         "    if s.islower():\n"
         "        s = s.upper()  # Handle lowercase inputs\n"),
        probe=Probe(SETUP, "roman.fromRoman('Xiv')", "14", "raises InvalidRomanNumeralError")),
    "pattern_fullmatch": case(
        ROMAN, "fromRoman", "anchored search written as fullmatch",
        "the anchored pattern applied with fullmatch() instead of search(), as if '^...$' "
        "with search were the same: '$' also matches before a trailing newline, so "
        "'X\\n' was read as 10 and is now refused",
        ("    if not romanNumeralPattern.search(s):\n",
         "    if not romanNumeralPattern.fullmatch(s):\n"),
        probe=Probe(SETUP, "roman.fromRoman('X\\n')", "10", "raises InvalidRomanNumeralError")),
    "main_int_of_float": case(
        ROMAN, "main", "coercion widened, truncating",
        "the argument read with int(float(...)) so that '3.0' is accepted too: '3.7' is now "
        "truncated and printed as III instead of refused with ValueError",
        ("        i = int(args.number)\n", "        i = int(float(args.number))\n"),
        probe=Probe(SETUP + "\nimport sys\nout = []\nroman.print = out.append\n"
                    "def run(*args):\n    sys.argv = ['roman', *args]\n    return roman.main()",
                    "(run('3.7'), out)", "raises ValueError", "(0, ['III'])")),
}
