"""texttable 1.7.2 (MIT), held out (wave 2): ASCII tables whose cells are formatted by
type (floats to a precision, exponents, integers, automatic), column widths fitted to a
maximum width, alignment. Its suite (tests.py, renamed test_texttable.py in the tree so
pytest collects it) leaves the width checks of `set_cols_width` unrun: one control extracts
a helper over them. Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "texttable"
TT = "texttable.py"
SETUP = "from texttable import Texttable"


def _table(dtype: str, value: str) -> str:
    """A probe's call: one undecorated column of `dtype` holding `value`, no wrapping."""
    return (f"Texttable(max_width=0).set_deco(0).set_cols_dtype([{dtype!r}])"
            f".add_rows([[{value}]], header=False).draw()")


_WIDTHS = '''        self._check_row_size(array)
        try:
            array = list(map(int, array))
            if reduce(min, array) <= 0:
                raise ValueError
        except ValueError:
            sys.stderr.write("Wrong argument in column width specification\\n")
            raise
        self._width_explicit = array
'''

_WIDTHS_HELPER = '''def _positive_widths(array):
    """The column widths as integers; ValueError (and a note on stderr) unless each is
    a positive integer."""
    try:
        widths = list(map(int, array))
        if reduce(min, widths) <= 0:
            raise ValueError
    except ValueError:
        sys.stderr.write("Wrong argument in column width specification\\n")
        raise
    return widths


class Texttable:'''

_LEN_CELL = '''        cell_lines = cell.split('\\n')
        maxi = 0
        for line in cell_lines:
            length = 0
            parts = line.split('\\t')
            for part, i in zip(parts, list(range(1, len(parts) + 1))):
                length = length + len(part)
                if i < len(parts):
                    length = (length//8 + 1) * 8
            maxi = max(maxi, length)
        return maxi
'''

CONTROLS = {
    "cols_width_helper": case(
        TT, "Texttable.set_cols_width", "helper extracted (lines no test runs)",
        "the widths' conversion and check moved to a private module function; the suite "
        "never gives a width that is not a positive integer",
        (_WIDTHS, "        self._check_row_size(array)\n"
                  "        self._width_explicit = _positive_widths(array)\n"),
        ("class Texttable:", _WIDTHS_HELPER)),
    "len_cell_rename": case(
        TT, "Texttable._len_cell", "renamed local",
        "maxi renamed widest",
        (_LEN_CELL, _LEN_CELL.replace("maxi", "widest"))),
    "fmt_int_guard": case(
        TT, "Texttable._fmt_int", "guard clause",
        "the int case returns early and the else goes",
        ("        if type(x) == int:\n            return str(x)\n        else:\n"
         "            return str(int(round(cls._to_float(x))))",
         "        if type(x) == int:\n            return str(x)\n"
         "        return str(int(round(cls._to_float(x))))")),
    "add_row_comprehension": case(
        TT, "Texttable.add_row", "comprehension",
        "the cells built by a list comprehension instead of append in a loop",
        ("        cells = []\n        for i, x in enumerate(array):\n"
         "            cells.append(self._str(i, x))\n",
         "        cells = [self._str(i, x) for i, x in enumerate(array)]\n")),
}

CARELESS = {
    "fmt_int_half_up": case(
        TT, "Texttable._fmt_int", "float rounding",
        "int(round(f)) written int(f + 0.5): half-up where round() rounds half to even, "
        "and negative values move towards zero",
        ("return str(int(round(cls._to_float(x))))",
         "return str(int(cls._to_float(x) + 0.5))"),
        probe=Probe(SETUP, _table("i", "2.5"), "'2'", "'3'")),
    "fmt_exp_uncoerced": case(
        TT, "Texttable._fmt_exp", "coercion removed",
        "the value formatted as given, without its float() conversion: a number given as a "
        "string is refused",
        ("return '%.*e' % (n, cls._to_float(x))", "return '%.*e' % (n, x)"),
        probe=Probe(SETUP, _table("e", "'654'"), "'6.540e+02'", "raises TypeError")),
    "to_float_swallows": case(
        TT, "Texttable._to_float", "exception swallowed",
        "every failed conversion falls back to text: an int too large for a float is "
        "written out as text instead of raising OverflowError",
        ("        except (TypeError, ValueError):\n            raise FallbackToText()",
         "        except Exception:\n            raise FallbackToText()"),
        probe=Probe(SETUP, f"len({_table('a', '10**400')})", "raises OverflowError", "401")),
    "auto_exp_boundary": case(
        TT, "Texttable._fmt_auto", "boundary moved",
        "abs(f) > 1e8 written >= 1e8: exactly 1e8 goes to the exponent format",
        ("        if abs(f) > 1e8:", "        if abs(f) >= 1e8:"),
        probe=Probe(SETUP, _table("a", "10**8"), "'100000000'", "'1.000e+08'")),
    "max_width_normalised": case(
        TT, "Texttable.set_max_width", "normalisation changed",
        "max_width if max_width > 0 else False written max_width or False: a negative "
        "width is kept, not read as unlimited",
        ("self._max_width = max_width if max_width > 0 else False",
         "self._max_width = max_width or False"),
        probe=Probe(SETUP, "Texttable(max_width=-1).add_rows([['a']], header=False).draw()",
                    "'+---+\\n| a |\\n+---+'", "raises ValueError")),
}
