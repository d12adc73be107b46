"""bitmath 2.1.1 (MIT), held out (wave 7): file sizes in SI and NIST prefix units. An
instance holds its size as float bytes and bits (the unit's value a power of 2 or 10); its
prefix value is read back in the unit, arithmetic keeps the left operand's unit (bm // bm
is a whole number, floored), floor, ceil and round work on the prefix value, negation is
always negative, the unit is singular only at exactly one (when plurals are on),
best_prefix picks the unit by the integer log of the byte count (1000 or 1024 a step), and
strings are parsed strictly or leniently. Its suite (tests/, with Hypothesis properties; the
tree leaves out tests/test_file_size.py, whose walk of a symbolic link a tree cannot carry)
never reads a size from standard input on the command line (the library marks that branch
'pragma: no cover'): one control rewrites that read. Every careless refactor changes lines
the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "bitmath"
BITMATH = "bitmath/__init__.py"
SETUP = "import bitmath"

_SYSTEM = '''        if self._base == 2:
            return "NIST"
        if self._base == 10:
            return "SI"
        # I don't expect to ever encounter this logic branch, but
        # hey, it's better to have extra test coverage than
        # insufficient test coverage.
        raise ValueError(f"Instances mathematical base is an unsupported value: {self._base}")
'''

_BEST = '''        _best_prefix = _steps[-1]
        if 0 < _index < len(_steps):
            _best_prefix = _steps[_index - 1]
'''

_ROUND = '''        if ndigits is None:
            return (type(self))(round(self.prefix_value))
        return (type(self))(round(self.prefix_value, ndigits))
'''

_UNIT = '''        if self.prefix_value == 1:
            # If it's a '1', return it singular, no matter what
            return self._name_singular
'''

CONTROLS = {
    "cli_stdin_line_variable": case(
        BITMATH, "cli_script_main", "extract variable (lines no test runs)",
        "the line read from standard input held in a variable before its newline is cut "
        "and it is read as a float: the same single read, the same slice; no test passes "
        "--from-stdin",
        ("        args.size = [float(sys.stdin.readline()[:-1])]\n",
         "        line = sys.stdin.readline()\n"
         "        args.size = [float(line[:-1])]\n")),
    "system_lookup_table": case(
        BITMATH, "Bitmath.system", "if chain written as a lookup table",
        "the system's name looked up by the base in a two-entry dict, the ValueError raised "
        "as before when the base is in neither",
        (_SYSTEM, '''        system = {2: "NIST", 10: "SI"}.get(self._base)
        if system is None:
            raise ValueError(f"Instances mathematical base is an unsupported value: {self._base}")
        return system
''')),
    "best_prefix_index_clamped": case(
        BITMATH, "Bitmath.best_prefix", "default and range test written as min()",
        "the prefix taken as _steps[min(_index, len(_steps)) - 1] instead of defaulting to "
        "the largest and overriding it inside the range: _index is at least 1 there (0 "
        "returned above, the log of at least one byte is not negative), and from "
        "len(_steps) on both give the last prefix",
        (_BEST, "        _best_prefix = _steps[min(_index, len(_steps)) - 1]\n")),
    "round_ndigits_passed_through": case(
        BITMATH, "Bitmath.__round__", "branch folded into the callee's default",
        "round(self.prefix_value, ndigits) called once for both cases: the built-in "
        "round() with ndigits None is round() without it (an int from a float), so the "
        "branch on None adds nothing",
        (_ROUND, "        return (type(self))(round(self.prefix_value, ndigits))\n")),
}

CARELESS = {
    "floordiv_truncates": case(
        BITMATH, "Bitmath.__floordiv__", "floor replaced by truncation",
        "bm // bm written as int() of the true ratio instead of int() of the floored one: "
        "the same for sizes of one sign, but a negative ratio now rounds toward zero "
        "instead of down",
        ("        return int(self._byte_value // other.bytes)\n",
         "        return int(self._byte_value / other.bytes)\n"),
        probe=Probe(SETUP, "bitmath.KiB(-1) // bitmath.KiB(3)", "-1", "0")),
    "round_half_up": case(
        BITMATH, "Bitmath.__round__", "rounding rule changed",
        "round() without ndigits written as floor(x + 0.5), the half-up rule people expect "
        "of sizes, instead of the built-in's round-half-to-even: 2.5 MiB now rounds to 3 "
        "(the suite's halves, 1.5 with ndigits 0, round up either way)",
        ("            return (type(self))(round(self.prefix_value))\n",
         "            return (type(self))(math.floor(self.prefix_value + 0.5))\n"),
        probe=Probe(SETUP, "round(bitmath.MiB(2.5))", "MiB(2.0)", "MiB(3.0)")),
    "negation_flips_sign": case(
        BITMATH, "Bitmath.__neg__", "sign handling changed",
        "negation written as -self.prefix_value instead of -abs(self.prefix_value): the "
        "same for a positive size, but the negation of a negative one is now positive "
        "where the library keeps it negative",
        ("        return (type(self))(-abs(self.prefix_value))\n",
         "        return (type(self))(-self.prefix_value)\n"),
        probe=Probe(SETUP, "-bitmath.KiB(-1)", "KiB(-1.0)", "KiB(1.0)")),
    "singular_up_to_one": case(
        BITMATH, "Bitmath.unit", "equality widened to a bound",
        "the singular unit kept for every prefix value up to one ('<= 1') instead of "
        "exactly one: with plurals on, half a KiB (and every negative size) is now 'KiB' "
        "instead of 'KiBs'",
        (_UNIT, '''        if self.prefix_value <= 1:
            # If it's a '1', return it singular, no matter what
            return self._name_singular
'''),
        probe=Probe(SETUP + "\nbitmath.format_plural = True", "bitmath.KiB(0.5).unit",
                    "'KiBs'", "'KiB'")),
    "norm_accepts_any_real": case(
        BITMATH, "Bitmath._norm", "type check widened",
        "the value's type checked against numbers.Real instead of the class's valid_types "
        "(int, float): a Fraction (or any other registered real) is now converted to a "
        "float instead of refused with ValueError",
        ("        if isinstance(value, self.valid_types):\n",
         "        if isinstance(value, numbers.Real):\n"),
        probe=Probe(SETUP + ", fractions", "bitmath.KiB(fractions.Fraction(1, 2))",
                    "raises ValueError", "KiB(0.5)")),
}
