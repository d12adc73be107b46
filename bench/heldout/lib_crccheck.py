"""crccheck 1.3.1 (MIT), held out (wave 29): CRCs and checksums of binary data (crccheck/:
base, CrccheckBase and reflectbitorder; crc, CrcBase, its 8-, 16- and 32-bit bases, the
catalogue's classes, the general Crc, crccls, find and identify; checksum, the additive and XOR
checksums; __main__, the command line). CrccheckBase.bytewidth() is the class's width rounded
up to bytes ((width + 7) // 8), finalbytes(byteorder) writes final() on ceil(width / 8) bytes
in that byte order, and finalhex(byteorder) is those bytes in hex (two digits a byte, in that
byte order). reflectbitorder(width, value) pads the value's binary digits with zeros, keeps
the last width of them and reverses them. CrcBase.process runs widths below 8 in an 8-bit
register (shifted up, then back). The general Checksum and ChecksumXor take any positive
width that is a multiple of 8, coerced with int(). crccls builds a CRC class from parameters
that may be strings, read by _inthex with int(value, 0) (decimal, or 0x hex); the command
line's generic class 'Crc(width=16, poly=0x1021, ...)' is split on commas and '=', each name
and value stripped, and handed to crccls.

Its suite (tests/: 79 tests, 5917 subtests, unittest) runs every catalogue class's check value
and a wrong input, checks init, reset, final, finalhex, finalbytes, calc, calchex and
calcbytes against each other in both byte orders on random data, every getter (bytewidth()
only as at least the width), the general Crc's and crccls' check values, find and identify,
the checksums' check values in both orders, the general checksums' valid and invalid widths
(as ints), and reflectbitorder on values that fit their widths. A line tracer over it found
every line of crc.py and checksum.py run but crccls' basecls branches and its residue line,
of base.py all but copy() and finalhex's and finalbytes' fallbacks for old Pythons, and none
of __main__.py. Its tests never compare a hex string in little-endian order with its bytes,
read bytewidth()'s exact value, give a width as a string, reflect a value wider than its
width, nor run the command line. base.py, crc.py and checksum.py end their lines with CRLF;
the edits to them are written here with LF (crlf)."""

from tests.governance.refactors_real.corpus import Probe, case, crlf

LIBRARY = "crccheck"
BASE = "crccheck/base.py"
CRC = "crccheck/crc.py"
CHECKSUM = "crccheck/checksum.py"
MAIN = "crccheck/__main__.py"

CONTROLS = {
    "enlarge_branch_at_eight": case(
        CRC, "CrcBase.process", "boundary widened where the branch is a no-op",
        "the branch that runs narrow CRCs in an 8-bit register taken when diff8 >= 0 instead "
        "of > 0: it is newly taken at width 8 alone (diff8 = 8 - width is 0), where it sets "
        "mask to 0xFF, shifts crc and poly by 0, shift to 0 and highbit to 0x80, which is what "
        "(1 << 8) - 1, width - 8 and 1 << 7 already were; the final shift back still needs "
        "diff8 > 0",
        crlf('''        diff8 = -shift
        if diff8 > 0:
            # enlarge temporary to fit 8-bit
''', '''        diff8 = -shift
        if diff8 >= 0:
            # enlarge temporary to fit 8-bit
''')),
    "optional_results_inverted": case(
        CRC, "Crc.__init__", "conditional expression inverted",
        "the check result and the residue written None if x is None else int(x) instead of "
        "int(x) if x is not None else None: the same two branches under the negated test",
        crlf('''        self._check_result = int(check_result) if check_result is not None else None
        self._residue = int(residue) if residue is not None else None
''', '''        self._check_result = None if check_result is None else int(check_result)
        self._residue = None if residue is None else int(residue)
''')),
    "byte_length_by_floor_division": case(
        BASE, "CrccheckBase.finalbytes", "float ceiling to integer arithmetic",
        "the number of bytes computed as (width + 7) // 8 instead of int(math.ceil(width / "
        "8.0)): both round the width up to whole bytes, the integer form without the float",
        crlf('''        bytelength = int(math.ceil(self._width / 8.0))
''', '''        bytelength = (self._width + 7) // 8
''')),
    "binary_flag_by_membership": case(
        MAIN, "main", "comparison to membership",
        "the binary output flag computed as resultformat in 'bB' instead of "
        "resultformat.lower() == 'b': resultformat is one character here ('H', or the "
        "option's letter, already checked to be one of hHbBdD), for which the two agree (a "
        "line no test runs: no test runs the command line)",
        ('''        isbinaryoutput = (resultformat.lower() == 'b')
''', '''        isbinaryoutput = resultformat in 'bB'
''')),
}

CARELESS = {
    "width_not_coerced": case(
        CHECKSUM, "Checksum.__init__", "dropped coercion",
        "the width's int() dropped as redundant before checking it is a positive multiple of "
        "8 (every caller passes an int): but a width given as a string, which int() read, now "
        "fails the comparison with 0 (and a float one the shift that builds the mask)",
        crlf('''        super(Checksum, self).__init__(initvalue, byteorder)
        width = int(width)
        if width <= 0 or width % 8 != 0:
''', '''        super(Checksum, self).__init__(initvalue, byteorder)
        if width <= 0 or width % 8 != 0:
'''),
        probe=Probe("from crccheck.checksum import Checksum",
                    "Checksum('16').process(b'\\x01\\x02').final()", "258",
                    "raises TypeError")),
    "bytewidth_plus_one": case(
        BASE, "CrccheckBase.bytewidth", "rounding up by adding one",
        "the width in bytes written width // 8 + 1 instead of (width + 7) // 8, as the "
        "rounded-up quotient: the same for widths that are not a multiple of 8, but one byte "
        "too many for every width that is (a 32-bit CRC answers 5)",
        crlf('''        return (cls._width + 7) // 8
''', '''        return cls._width // 8 + 1
'''),
        probe=Probe("from crccheck.crc import Crc32", "Crc32.bytewidth()", "4", "5")),
    "hex_ignores_byteorder": case(
        BASE, "CrccheckBase.finalhex", "argument no longer used",
        "the hex string formatted straight from final(), zero-padded to two digits a byte, "
        "instead of hex() of finalbytes(byteorder): the same in big-endian order, the "
        "default, but byteorder is no longer passed on, so calchex(..., byteorder='little') "
        "answers the big-endian digits",
        crlf('''        asbytes = self.finalbytes(byteorder)
        try:
            # bytearray.hex() is new in Python 3.5
            return asbytes.hex()
        except AttributeError:  # pragma: no cover
            return "".join(["{:02x}".format(b) for b in asbytes])
''', '''        return "{:0{}x}".format(self.final(), 2 * ((self._width + 7) // 8))
'''),
        probe=Probe("from crccheck.crc import Crc32",
                    "Crc32.calchex(b'123456789', byteorder='little')", "'2639f4cb'",
                    "'cbf43926'")),
    "reflect_not_truncated": case(
        BASE, "reflectbitorder", "padding without truncation",
        "the value's binary digits padded by format(value, '0{width}b') instead of padding "
        "with width zeros and keeping the last width digits: the same for every value that "
        "fits its width, but format() pads without truncating, so a value wider than its "
        "width keeps its high bits and is reflected over its own length",
        crlf('''    binstr = ("0" * width + bin(value)[2:])[-width:]
''', '''    binstr = format(value, "0{}b".format(width))
'''),
        probe=Probe("from crccheck.base import reflectbitorder", "reflectbitorder(4, 0x1F)",
                    "15", "31")),
    "generic_names_unstripped": case(
        MAIN, "getgenericcrccls", "dropped strip",
        "each keyword argument of a generic 'Crc(...)' specification stored as split, "
        "without rstrip() on the name and lstrip() on the value, taken for redundant since "
        "every argument was already stripped: but that strips the ends of 'width = 16' alone, "
        "so spaces around '=' stay in the name, which crccls refuses as an unexpected keyword "
        "(a TypeError, which the function does not turn into its ValueError) (a line no test "
        "runs)",
        ('''            kwargs[k.rstrip()] = v.lstrip()
''', '''            kwargs[k] = v
'''),
        probe=Probe("from crccheck.__main__ import getcls",
                    "getcls('Crc(width = 16, poly = 0x1021)').width()", "16",
                    "raises TypeError")),
}
