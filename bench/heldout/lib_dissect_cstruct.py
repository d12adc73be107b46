"""dissect.cstruct 4.7 (Apache-2.0), held out (wave 14): C-like structure definitions parsed
into types that read and write binary data, a namespace package (dissect/cstruct: the
cstruct class and its parsers, an expression evaluator, a compiler of structure readers, the
types int, packed, leb128, char, wchar, enum, flag, pointer, structure and void, and utils).
Expression evaluates the constant expressions of definitions (array sizes, #define values)
by shunting-yard, '/' as Python's floor division, with C's number suffixes and octal
literals. An array's size is an int, an expression (one that fails to evaluate re-raises,
unless it is the name EOF, which reads to the end) or none (read to the end); a char array
writes a str as latin-1 bytes, and Int reads a null-terminated array up to its first zero.
utils.pack writes an int in the fewest whole bytes its bits need (or the bits given), signed
when negative; unpack refuses bytes of another length than the bits given; hexdump colours
its bytes from a palette of (count, colour) pairs and, given a palette (an empty one
included), ends each full row of sixteen bytes with the reset code. Its suite (tests/: 519
tests, with the definitions tests/_data/testdef.txt) is broad: a line tracer over it found
217 executable lines never run, most of them the alternative CStyleParser's, the stub
generator's and type-checking imports, but also the palette's exhaustion in hexdump,
unpack's refusal of a wrong length, the re-raise of an array size that fails and is not EOF,
the reset code ending a full row of a dump given a palette, and MetaType.read of a stream.
Its expressions never divide a negative number, no dump given a palette fills a row of
sixteen bytes, and it never writes a non-ASCII str to a char array. One control (hexdump's
palette exhaustion tested by truthiness) and one careless refactor (unpack truncating a
value of the wrong length instead of refusing it) change only lines no test runs; every
other case changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "dissect.cstruct"
UTILS = "dissect/cstruct/utils.py"
EXPRESSION = "dissect/cstruct/expression.py"
SETUP = "from dissect.cstruct import cstruct, utils\ncs = cstruct()"
# Expression.is_number's line up to its membership test (the line is longer than ours)
IS_NUMBER = '        return token.isnumeric() or (len(token) > 2 and token[0] == "0" and '

CONTROLS = {
    "hexdump_palette_empty_check": case(
        UTILS, "_hexdump", "len() == 0 to a truthiness test, else flattened (lines no test "
        "runs)",
        "the palette's exhaustion tested as 'not palette' instead of len(palette) == 0 "
        "(the palette is a list: the two agree) and the else after the break dropped; no "
        "test gives a palette that runs out on a zero count",
        ('''                    if len(palette) == 0:
                        # Last palette tuple is empty: print remaining whitespaces
                        active = ""
                        break
                    else:
                        remaining, active = palette.pop()
''', '''                    if not palette:
                        # Last palette tuple is empty: print remaining whitespaces
                        active = ""
                        break
                    remaining, active = palette.pop()
''')),
    "pack_ceiling_by_negation": case(
        UTILS, "pack", "ceiling division rewritten (negated floor division)",
        "the bytes needed computed as -(-bits // 8) instead of (bits + 7) // 8: both are "
        "the ceiling of bits / 8 for every int, negative sizes included",
        ('''    size = ((size or value.bit_length()) + 7) // 8
''', '''    size = -(-(size or value.bit_length()) // 8)
''')),
    "int_read_0_iter_sentinel": case(
        "dissect/cstruct/types/int.py", "Int._read_0", "loop to iter() with a sentinel",
        "the values read until the first zero by iter() with a callable and the sentinel "
        "0 (compared with ==, as the loop's test was) instead of a while loop with an "
        "assignment expression",
        ('''        result = []

        while True:
            if (value := cls._read(stream, context)) == 0:
                break

            result.append(value)

        return result

    @classmethod
    def _write(''', '''        return list(iter(lambda: cls._read(stream, context), 0))

    @classmethod
    def _write(''')),
    "is_number_prefix_string": case(
        EXPRESSION, "Expression.is_number", "tuple membership to string membership",
        "the prefix letter after a leading zero looked up in the string 'xXbBoO' instead "
        "of a tuple of its six letters (a token's character is one character: the two "
        "memberships agree)",
        (IS_NUMBER + '''token[1] in ("x", "X", "b", "B", "o", "O"))
''', IS_NUMBER + '''token[1] in "xXbBoO")
''')),
}

CARELESS = {
    "unpack_truncates": case(
        UTILS, "unpack", "error replaced by truncation (lines no test runs)",
        "a value longer (or shorter) than the bits given cut to that many bytes instead of "
        "refused, as a lenient reader would: no test gives unpack a wrong length, but "
        "u16 of three bytes now answers the first two's value, 513, instead of raising "
        "ValueError",
        ('''        raise ValueError(f"Invalid byte value, expected {size // 8} bytes, '''
         '''got {len(value)} bytes")
''', '''        value = value[: size // 8]
'''),
        probe=Probe(SETUP, "utils.u16(b'\\x01\\x02\\x03')", "raises ValueError", "513")),
    "hexdump_reset_code_truthiness": case(
        UTILS, "_hexdump", "is not None to truthiness",
        "the reset code at a row's end written when the palette is truthy instead of when "
        "one was given: the suite's palettes are None or coloured, but an empty palette "
        "(dumpstruct's when color=False), whose rows of sixteen bytes ended with the reset "
        "code, now end without it",
        ('''                if j == 15 and palette is not None:
''', '''                if j == 15 and palette:
'''),
        probe=Probe(SETUP, "'\\x1b' in utils.hexdump(bytes(16), palette=[], output='string')",
                    "True", "False")),
    "division_truncates_toward_zero": case(
        EXPRESSION, "Expression", "floor division to truncation (int(a / b))",
        "'/' evaluated as int(a / b), C's truncation toward zero, instead of Python's "
        "floor division: the suite divides non-negative numbers alone, but -7 / 2, -4 "
        "before, is now -3 (and a quotient above 2**53 is rounded through a float)",
        ('''        "/": lambda a, b: a // b,
''', '''        "/": lambda a, b: int(a / b),
'''),
        probe=Probe(SETUP + "\nfrom dissect.cstruct.expression import Expression",
                    "Expression('-7 / 2').evaluate(cs)", "-4", "-3")),
    "char_array_writes_utf8": case(
        "dissect/cstruct/types/char.py", "CharArray._write", "encoding changed (utf-8 for "
        "latin-1)",
        "a str written to a char array encoded as UTF-8, the usual encoding, instead of "
        "latin-1, one byte a character as the reader reads them: the suite writes ASCII "
        "strings alone, but 'é' is now two bytes, b'\\xc3\\xa9', instead of b'\\xe9'",
        ('''        elif isinstance(data, str):
            data = data.encode("latin-1")
''', '''        elif isinstance(data, str):
            data = data.encode("utf-8")
'''),
        probe=Probe(SETUP, "cs.char[1].dumps('\\u00e9')", "b'\\xe9'", "b'\\xc3\\xa9'")),
    "array_size_error_swallowed": case(
        "dissect/cstruct/types/base.py", "BaseArray._read", "exception swallowed (re-raise "
        "dropped)",
        "any failure to evaluate an array's size read as EOF, as if EOF were the only "
        "expression that could fail: the suite's failing size is EOF alone, but an array "
        "sized by an unknown name, an ExpressionParserError before, now silently reads to "
        "the end of the data",
        ('''            except Exception:
                if cls.num_entries.expression != "EOF":
                    raise
                num = EOF
''', '''            except Exception:
                num = EOF
'''),
        probe=Probe(SETUP + "\ncs.load('struct S { uint8 n; uint8 data[missing]; };')",
                    "list(cs.S(b'\\x01\\x02\\x03').data)", "raises ExpressionParserError",
                    "[2, 3]")),
}
