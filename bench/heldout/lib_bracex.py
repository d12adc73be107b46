"""bracex 3.2.3 (MIT), held out (wave 6): Bash-style brace expansion of str or bytes (bytes
through Latin-1). Groups ('{a,b}'), numeric sequences ('{1..10..2}', '{-05..100}', zero-padded
by Bash's rule, each bound a signed 64-bit integer read from at most 20 significant digits) and
letter sequences ('{a..k..3}') expand into words; the number of words is counted as they are
built and refused past a limit (1000 by default, none at 0); a command line prints each word,
with no limit; __meta__ parses and checks the package's PEP 440 version. Its suite (tests/: the
Bash cases in str and bytes, limits, the command line and versions) never meets a group whose
scan is bounded and ends at a top level '}': one control rewrites that line, which the library
marks 'pragma: no cover'. Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "bracex"
MOD = "bracex/__init__.py"
SETUP = "from bracex import expand"
CLI_SETUP = '''import contextlib, io
from bracex.__main__ import main
def run(*argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main(list(argv))
        except SystemExit as done:
            return done.code, out.getvalue()[-12:]
'''

_SCAN_END = '''                elif bounded:  # pragma: no cover
                    # A nested group is normally already known from the scan of the group around it.
                    break
'''

_CHAR_COUNTS = '''        if first < last:
            span = last - first + 1
            count = math.ceil(span / inc) if inc <= abs(span) else 1
            r = range(first, last + 1, inc)
        else:
            span = first - last + 1
            count = math.ceil(span / inc) if inc <= abs(span) else 1
'''

# iexpand's bytes loop (its first line is longer than this file's lines)
_BYTES_LOOP = ("        for entry in ExpandBrace(keep_escapes, limit, return_empty)"
               ".expand(string.decode('latin-1')):\n"
               "            yield entry.encode('latin-1')\n")
_STR_LOOP = ("        for entry in ExpandBrace(keep_escapes, limit, return_empty).expand(string):\n"
             "            yield entry\n")
_IEXPAND = "    if isinstance(string, bytes):\n" + _BYTES_LOOP + "    else:\n" + _STR_LOOP

CONTROLS = {
    "scan_group_bounded_return": case(
        MOD, "ExpandBrace.scan_group", "break written as the return after the loop (lines no "
        "test runs)",
        "a bounded scan that meets a top level '}' returns (-1, False) at once instead of "
        "breaking out of the loop to the same return; the library marks the line 'pragma: "
        "no cover' and no test reaches it",
        (_SCAN_END, '''                elif bounded:  # pragma: no cover
                    # A nested group is normally already known from the scan of the group around it.
                    return -1, False
''')),
    "format_values_zfill": case(
        MOD, "ExpandBrace.format_values", "format spec written as str.zfill",
        "each value padded with str(value).zfill(padding) instead of a zero-filled format "
        "spec when padding is asked for: zfill puts the zeros after a minus sign as the "
        "format does, and zfill(0) leaves the text as str() gives it",
        ('            yield "{:0{pad}d}".format(value, pad=padding) if padding else str(value)\n',
         "            yield str(value).zfill(padding)\n")),
    "int64_chained_comparison": case(
        MOD, "int64", "two comparisons written as one chained range test",
        "'integer < MIN or integer > MAX' written 'not MIN <= integer <= MAX'",
        ("    if integer < MAX_NEG_INT_64 or integer > MAX_INT_64:\n",
         "    if not MAX_NEG_INT_64 <= integer <= MAX_INT_64:\n")),
    "char_count_integer_ceiling": case(
        MOD, "ExpandBrace.get_char_range", "float ceiling written as integer ceiling division",
        "the number of letters counted as -(-span // inc) instead of math.ceil(span / inc) "
        "with its guard: the span is a positive count of letters and the step at least 1, "
        "and a step past the span gives 1 either way",
        (_CHAR_COUNTS, '''        if first < last:
            span = last - first + 1
            count = -(-span // inc)
            r = range(first, last + 1, inc)
        else:
            span = first - last + 1
            count = -(-span // inc)
''')),
}

CARELESS = {
    "limit_truthy": case(
        MOD, "ExpandBrace.account", "comparison with zero written as a truth test",
        "'self.max_limit > 0' written as a truth test of the limit: 0 still means no limit, "
        "but a negative limit, which meant none too, now refuses every expansion",
        ("        if self.max_limit > 0 and count > self.max_limit:\n",
         "        if self.max_limit and count > self.max_limit:\n"),
        probe=Probe(SETUP, "expand('{a,b}', limit=-1)", "['a', 'b']",
                    "raises ExpansionLimitException")),
    "iexpand_str_first": case(
        MOD, "iexpand", "branches swapped, test changed",
        "the str case tested first, with isinstance(string, str), and bytes left to the "
        "else: anything that is not a str, a bytearray among them, is now decoded as bytes "
        "and answered in bytes instead of refused",
        (_IEXPAND, "    if isinstance(string, str):\n" + _STR_LOOP + "    else:\n" + _BYTES_LOOP),
        probe=Probe(SETUP, "expand(bytearray(b'{a,b}'))", "raises TypeError", "[b'a', b'b']")),
    "cli_default_limit": case(
        "bracex/__main__.py", "main", "argument dropped as the default",
        "limit=0 dropped from the command line's iexpand call as if it were the default: "
        "the default is 1000, so an expression of more words than that now stops with "
        "ExpansionLimitException instead of printing them",
        ("    for expansion in bracex.iexpand(args.expression, limit=0):\n",
         "    for expansion in bracex.iexpand(args.expression):\n"),
        probe=Probe(CLI_SETUP, "run('{1..1001}')", "(0, '9\\n1000\\n1001\\n')",
                    "raises ExpansionLimitException")),
    "cli_abbreviations_allowed": case(
        "bracex/__main__.py", "main", "keyword argument dropped (default restored)",
        "allow_abbrev=False dropped from the parser's construction as boilerplate: "
        "argparse's default accepts any unambiguous prefix of an option, so '--term' is now "
        "read as --terminator instead of refused as an unrecognized argument",
        ("        allow_abbrev=False,\n", ""),
        probe=Probe(CLI_SETUP, "run('--term', ' ', '{a,b}')", "(2, '')", "(0, 'a b ')")),
    "version_fullmatch": case(
        "bracex/__meta__.py", "parse_version", "match made full",
        "the version pattern applied with fullmatch instead of match: a version followed by "
        "anything the pattern does not know (a local '+build' label, a trailing space) is "
        "now refused instead of read up to it",
        ("    m = RE_VER.match(ver)\n", "    m = RE_VER.fullmatch(ver)\n"),
        probe=Probe("from bracex.__meta__ import parse_version", "parse_version('1.2.3+local')",
                    "Version(major=1, minor=2, micro=3, release='final', pre=0, post=0, dev=0)",
                    "raises ValueError")),
}
