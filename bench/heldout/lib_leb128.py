"""leb128 1.0.9 (MIT), held out (wave 18): LEB128, the variable-length integers of DWARF and
WebAssembly, in one module (leb128/__init__.py): an unsigned codec (leb128.u) and a signed one
(leb128.i), each with encode (an int to a bytearray, seven bits a byte, the high bit set on
every byte but the last; the unsigned one asserts a non-negative number, the signed one stops
when the rest is 0 or -1 and the sign bit, 0x40, agrees), decode (every byte of a bytes-like
object summed, the signed one sign-extended when the last byte's 0x40 bit is set) and
decode_reader (one byte at a time, each read(1) turned into a number by ord(), until a byte
without the high bit; EOFError on a short read; the number and the count of bytes read). Its
suite (test/: 4 tests) encodes and decodes 0, 624485 and -12345, reads an empty reader, and
runs 1,024 unsigned and 1,024 signed cases (test/u_case.txt and i_case.txt, each a number
and its bytes in hex) through all three functions. A line tracer over it found every line
run. Its cases are all canonical encodings of numbers within 64 bits (ten bytes at most), so
its tests never decode bytes that run on past a number's last byte or end with the high bit
set, never give the unsigned encoder a negative number, never read from a text reader, and
never read a number longer than ten bytes."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "leb128"
LEB = "leb128/__init__.py"
SETUP = "import io, leb128"

CONTROLS = {
    "signed_encode_break": case(
        LEB, "_I.encode", "return inside the loop to break",
        "the loop left by break when the rest and the sign bit agree, the last byte appended "
        "and the bytearray returned after it, instead of appending and returning inside the "
        "loop: the same operations on the same values in the same order, the same bytearray",
        ('''            if (i == 0 and b & 0x40 == 0) or (i == -1 and b & 0x40 != 0):
                r.append(b)
                return r
            r.append(0x80 | b)
''', '''            if (i == 0 and b & 0x40 == 0) or (i == -1 and b & 0x40 != 0):
                break
            r.append(0x80 | b)
        r.append(b)
        return r
''')),
    "reader_high_bit_not": case(
        LEB, "_U.decode_reader", "== 0 test to not",
        "the end of the number found by not (b & 0x80) instead of (b & 0x80) == 0: b is what "
        "ord() answered, always an int, whose bitwise and with 0x80 is an int, falsy exactly "
        "when it is 0",
        ('''            if (b & 0x80) == 0:
                break
        return _U.decode(a), len(a)
''', '''            if not b & 0x80:
                break
        return _U.decode(a), len(a)
''')),
    "sign_shift_factored": case(
        LEB, "_I.decode", "shift written as 7 * (i + 1)",
        "the sign extension's shift written 7 * (i + 1) instead of (i * 7) + 7: i is "
        "len(b) - 1, an int, so the two are the same number and the same power of two is "
        "negated and or-ed in",
        ('''            r |= - (1 << (i * 7) + 7)
''', '''            r |= -(1 << 7 * (i + 1))
''')),
    "unsigned_decode_running_shift": case(
        LEB, "_U.decode", "enumerate index to a running shift",
        "each byte's seven bits shifted by a running count that grows by 7 instead of by its "
        "index from enumerate() times 7: the same bytes iterated once in the same order, the "
        "same shifts, the same sum built by the same additions",
        ('''        r = 0
        for i, e in enumerate(b):
            r = r + ((e & 0x7f) << (i * 7))
        return r
''', '''        r = 0
        shift = 0
        for e in b:
            r = r + ((e & 0x7f) << shift)
            shift += 7
        return r
''')),
}

CARELESS = {
    "sign_bit_as_comparison": case(
        LEB, "_I.decode", "bit test to comparison (e & 0x40 to e >= 0x40)",
        "the last byte read as negative when it is 0x40 or more instead of when its 0x40 bit "
        "is set: the same for every canonical encoding, whose last byte has no high bit, the "
        "suite's only kind, but a last byte of 0x80 to 0xbf, its high bit set and its sign "
        "bit clear, now sign-extends: bytearray([0x80]) decodes to -128 where it gave 0",
        ('''        if e & 0x40 != 0:
''', '''        if e >= 0x40:
'''),
        probe=Probe(SETUP, "leb128.i.decode(bytearray([0x80]))", "0", "-128")),
    "unsigned_decode_stops_at_end": case(
        LEB, "_U.decode", "loop cut short (stops at the first byte without the high bit)",
        "decoding stopped at the first byte without the high bit, as decode_reader stops, "
        "instead of summing every byte given: the same for the suite's encodings, whose "
        "last byte is their only one without it, but bytes that run on past it are now "
        "dropped: bytearray([1, 2]) decodes to 1 where it gave 257",
        ('''            r = r + ((e & 0x7f) << (i * 7))
        return r
''', '''            r = r + ((e & 0x7f) << (i * 7))
            if e & 0x80 == 0:
                break
        return r
'''),
        probe=Probe(SETUP, "leb128.u.decode(bytearray([1, 2]))", "257", "1")),
    "negative_assert_to_value_error": case(
        LEB, "_U.encode", "error type changed (AssertionError to ValueError)",
        "a negative number refused by raising ValueError instead of by assert: no test "
        "gives the unsigned encoder a negative number, but a caller catching the "
        "AssertionError it raised now gets a ValueError",
        ('''        assert i >= 0
''', '''        if i < 0:
            raise ValueError('unsigned leb128 cannot encode a negative number')
'''),
        probe=Probe(SETUP, "leb128.u.encode(-1)", "raises AssertionError",
                    "raises ValueError")),
    "reader_index_not_ord": case(
        LEB, "_U.decode_reader", "conversion dropped (ord(b) to b[0])",
        "the byte read taken as b[0] instead of ord(b): the same int for the one-byte bytes "
        "of the suite's BytesIO readers, but a text reader's one-character str stays a str "
        "and the bytearray refuses it: a reader of '\\x05' raises TypeError where it read "
        "(5, 1)",
        ('''            b = ord(b)
            a.append(b)
            if (b & 0x80) == 0:
                break
        return _U.decode(a), len(a)
''', '''            b = b[0]
            a.append(b)
            if (b & 0x80) == 0:
                break
        return _U.decode(a), len(a)
'''),
        probe=Probe(SETUP, "leb128.u.decode_reader(io.StringIO('\\x05'))", "(5, 1)",
                    "raises TypeError")),
    "reader_ten_bytes_at_most": case(
        LEB, "_I.decode_reader", "loop bounded (at most ten bytes, 64 bits)",
        "the signed reader's loop bounded at ten bytes, the most a 64-bit number takes, "
        "instead of reading until a byte without the high bit: the suite's cases are all "
        "within 64 bits, but 2 ** 70's eleven bytes now stop after ten, read as 0 in ten "
        "bytes",
        ('''        a = bytearray()
        while True:
            b = r.read(1)
            if len(b) != 1:
                raise EOFError
            b = ord(b)
            a.append(b)
            if (b & 0x80) == 0:
                break
        return _I.decode(a), len(a)
''', '''        a = bytearray()
        while len(a) < 10:
            b = r.read(1)
            if len(b) != 1:
                raise EOFError
            b = ord(b)
            a.append(b)
            if (b & 0x80) == 0:
                break
        return _I.decode(a), len(a)
'''),
        probe=Probe(SETUP, "leb128.i.decode_reader(io.BytesIO(leb128.i.encode(2 ** 70)))",
                    "(1180591620717411303424, 11)", "(0, 10)")),
}
