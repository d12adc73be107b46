"""termcolor 3.3.0 (MIT), held out (wave 10): ANSI colour formatting, one module of two
functions and three tables. can_colorize (cached) answers False for a true no_color, True
for a true force_color, then False where ANSI_COLORS_DISABLED or NO_COLOR is set and not
empty, True where FORCE_COLOR is, False for TERM=dumb or a stdout without fileno, else
whether stdout is a terminal. colored turns its text into str and, where colour is wanted,
wraps it in the SGR code of a named colour (COLORS[name]: KeyError for an unknown one) or of
an RGB tuple (38;2;r;g;b, each of the tuple's first three items formatted with %d, so a
float is truncated and a fourth item ignored), then likewise the highlight (48;2 for a
tuple), then each attribute in the order given, and ends with RESET; cprint prints it. Its
suite (tests/, run under mutmut upstream) checks every name in the tables, two RGB triples of
ints, the environment's combinations and the tty paths: a line tracer over the whole suite
found every line of the module run but the TYPE_CHECKING imports (its __main__.py, a demo
script, is run by no test and holds no function), so all four controls change lines it
runs. Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "termcolor"
MOD = "termcolor/termcolor.py"
SETUP = "from termcolor import colored, can_colorize"
# the environment's switches cleared and TERM=dumb, so that colour is off unless an argument
# forces it, whatever terminal or environment the probe runs in
NO_TTY = ("import os\nfor v in ('ANSI_COLORS_DISABLED', 'NO_COLOR', 'FORCE_COLOR'):\n"
          "    os.environ.pop(v, None)\nos.environ['TERM'] = 'dumb'\n" + SETUP)

_OVERRIDES = '''    if no_color is not None and no_color:
        return False
    if force_color is not None and force_color:
        return True
'''

_DISABLED = '''    if os.environ.get("ANSI_COLORS_DISABLED"):
        return False
    if os.environ.get("NO_COLOR"):
        return False
'''

_COLOR = '''    if color is not None:
        if isinstance(color, str):
            result = fmt_str % (COLORS[color], result)
        elif isinstance(color, tuple):
            result = rgb_fore_fmt_str % (color[0], color[1], color[2], result)
'''

_ON_COLOR = '''    if on_color is not None:
        if isinstance(on_color, str):
            result = fmt_str % (HIGHLIGHTS[on_color], result)
        elif isinstance(on_color, tuple):
            result = rgb_back_fmt_str % (on_color[0], on_color[1], on_color[2], result)
'''

_ATTRS = '''    if attrs is not None:
        for attr in attrs:
            result = fmt_str % (ATTRIBUTES[attr], result)
'''

CONTROLS = {
    "can_colorize_truthiness": case(
        MOD, "can_colorize", "redundant None test removed",
        "the overrides tested by their truth alone, 'if no_color:' and 'if force_color:', "
        "instead of 'is not None and' their truth: None is false, so the two tests agree "
        "for every value",
        (_OVERRIDES, '''    if no_color:
        return False
    if force_color:
        return True
''')),
    "can_colorize_disabled_joined": case(
        MOD, "can_colorize", "two branches with the same body joined with or",
        "ANSI_COLORS_DISABLED and NO_COLOR read in one condition joined with 'or' instead "
        "of two ifs that both return False: NO_COLOR is read only where "
        "ANSI_COLORS_DISABLED is unset or empty, as before",
        (_DISABLED, '''    if os.environ.get("ANSI_COLORS_DISABLED") or os.environ.get("NO_COLOR"):
        return False
''')),
    "colored_attrs_joined": case(
        MOD, "colored", "loop written as a join",
        "the attributes' codes looked up in the order given (the first unknown one raising "
        "KeyError as before) and their escape sequences joined in front of the text, last "
        "first, instead of wrapping the text once per attribute: each wrap put its code in "
        "front of the ones before it",
        (_ATTRS, '''    if attrs is not None:
        codes = [ATTRIBUTES[attr] for attr in attrs]
        result = "".join(fmt_str % (code, "") for code in reversed(codes)) + result
''')),
    "colored_color_helper": case(
        MOD, "colored", "helper extracted",
        "the colour's and the highlight's two branches (a name looked up in its table, a "
        "tuple's first three items formatted) written once in a private helper that "
        "takes the table and the tuple's format: the same lookups, formats and order, and "
        "a value neither str nor tuple still leaves the text as it is",
        (_COLOR + "\n" + _ON_COLOR,
         '''    result = _paint(color, COLORS, rgb_fore_fmt_str, fmt_str, result)
    result = _paint(on_color, HIGHLIGHTS, rgb_back_fmt_str, fmt_str, result)
'''),
        ('''def cprint(''', '''def _paint(value, table, rgb_fmt_str, fmt_str, result):
    """The text wrapped in a named or RGB colour's code (value None: as it is)."""
    if value is None:
        return result
    if isinstance(value, str):
        return fmt_str % (table[value], result)
    if isinstance(value, tuple):
        return rgb_fmt_str % (value[0], value[1], value[2], result)
    return result


def cprint(''')),
}

CARELESS = {
    "rgb_fstring_truncation": case(
        MOD, "colored", "float truncation lost (%d to an f-string)",
        "the foreground RGB sequence written as an f-string instead of through "
        "'\\033[38;2;%d;%d;%dm%s': the same text for ints (the suite's (1, 2, 3) and (100, "
        "200, 150)), but %d truncated a float and an f-string writes it out, so (100.7, 0, "
        "0) now gives '38;2;100.7;0;0'",
        ('''            result = rgb_fore_fmt_str % (color[0], color[1], color[2], result)
''', '''            result = f"\\033[38;2;{color[0]};{color[1]};{color[2]}m{result}"
'''),
        probe=Probe(SETUP, "colored('x', (100.7, 0, 0), force_color=True)",
                    "'\\x1b[38;2;100;0;0mx\\x1b[0m'", "'\\x1b[38;2;100.7;0;0mx\\x1b[0m'")),
    "rgb_highlight_unpacked": case(
        MOD, "colored", "indexing written as unpacking",
        "the highlight's tuple unpacked into the format's arguments instead of its first "
        "three items indexed: the same for a triple, but a longer tuple (an RGBA colour) "
        "whose fourth item was ignored now fails to format",
        ('''            result = rgb_back_fmt_str % (on_color[0], on_color[1], on_color[2], result)
''', '''            result = rgb_back_fmt_str % (*on_color, result)
'''),
        probe=Probe(SETUP, "colored('x', on_color=(1, 2, 3, 4), force_color=True)",
                    "'\\x1b[48;2;1;2;3mx\\x1b[0m'", "raises TypeError")),
    "unknown_color_skipped": case(
        MOD, "colored", "exception swallowed",
        "a colour name looked up only where COLORS has it, so that an unknown name leaves "
        "the text uncoloured instead of raising KeyError: the suite names only colours the "
        "table has, but colored('x', 'purple') no longer says the name is wrong",
        ('''        if isinstance(color, str):
            result = fmt_str % (COLORS[color], result)
''', '''        if isinstance(color, str) and color in COLORS:
            result = fmt_str % (COLORS[color], result)
'''),
        probe=Probe(SETUP, "colored('x', 'purple', force_color=True)", "raises KeyError",
                    "'x\\x1b[0m'")),
    "force_color_false_forces": case(
        MOD, "can_colorize", "truth test dropped for an edge value",
        "force_color tested with 'is not None' alone, on the belief that it is only ever "
        "None or True: the suite passes only those, but force_color=False, which fell "
        "through to the environment and the terminal, now forces colour",
        ('''    if force_color is not None and force_color:
''', '''    if force_color is not None:
'''),
        probe=Probe(NO_TTY, "colored('x', 'red', force_color=False)", "'x'",
                    "'\\x1b[31mx\\x1b[0m'")),
    "attrs_deduplicated": case(
        MOD, "colored", "duplicates dropped",
        "the attributes applied once each, in their first order (dict.fromkeys), as a "
        "tidier output: the suite gives one attribute at a time, but ['bold', 'bold'], "
        "which wrote the bold code twice, now writes it once",
        ('''        for attr in attrs:
''', '''        for attr in dict.fromkeys(attrs):
'''),
        probe=Probe(SETUP, "colored('x', attrs=['bold', 'bold'], force_color=True)",
                    "'\\x1b[1m\\x1b[1mx\\x1b[0m'", "'\\x1b[1mx\\x1b[0m'")),
}
