"""pyiso8583 4.0.1 (MIT), held out (wave 19): ISO 8583 messages between bytes and a dict of str
fields, in the package iso8583. encode (iso8583/encoder.py) takes the numeric keys of the dict
(k.isnumeric(), then int(k)), refuses any outside 1 to 192, sets the bitmaps' bits (a field's
byte by // 8, its bit counted from the left; a secondary bitmap for 65 to 128, extended for
129 to 192), and encodes each field: text by str.encode in the field's encoding, its length
counted in bytes of the encoded data (or twice that in nibbles), binary by a2b_hex after an
odd nibble count is padded with the spec's left_pad, else its right_pad (each cut to one
character); a variable length written in ASCII or EBCDIC digits, BCD ("{:0{n}d}" then
a2b_hex) or a big-endian int, refused past max_len. decode (iso8583/decoder.py) takes bytes or
bytearray alone, reads the same fields back (a padded nibble field loses its left pad, else
its right pad) and refuses data left over. pp (iso8583/tools.py) prints either dict, its
widths taken through int(), a long value folded to the line width. Its files end their lines
with CRLF; the edits are written here with LF (crlf).

Its suite (296 tests: tests/test_decode.py, test_encode.py, test_nibbles.py, test_tools.py
and the modules' doctests, as its pyproject.toml's pytest options collect them) encodes and
decodes the default specs' fields in ASCII, EBCDIC (cp500) and binary, every length kind,
tertiary bitmaps, nibbles with each pad alone, and the errors of each. A line tracer over it
found every line run but the two error branches marked "pragma: no cover" (a length that
int.from_bytes or a digit encoding cannot take). Its tests never encode text in an encoding
of more than one byte a character, never encode field 192 itself (only fields past it,
refused), never give a nibble field both pads, never decode anything but bytes, bytearray
or the wrong types named in the error, and never give pp a width that is not an int."""

from tests.governance.refactors_real.corpus import Probe, case, crlf

LIBRARY = "pyiso8583"
ENC = "iso8583/encoder.py"
DEC = "iso8583/decoder.py"
TOOLS = "iso8583/tools.py"
SETUP = "import io, iso8583, iso8583.specs\nA = iso8583.specs.default_ascii"
# field 2 as a binary LLVAR counted in nibbles, with both pads
NIBBLES = (SETUP + "\nN = {**A, '2': {'data_enc': 'b', 'len_enc': 'ascii', 'len_type': 2, "
           "'max_len': 8, 'len_count': 'nibbles', 'left_pad': '0', 'right_pad': 'F', "
           "'desc': 'PAN'}}")

CONTROLS = {
    "bitmap_bit_by_modulo": case(
        ENC, "_encode_bitmap", "arithmetic identity (x - x // 8 * 8 to x % 8)",
        "the field's bit within its byte taken as 7 - field % 8 instead of 7 - (field - byte "
        "* 8) with byte = field // 8: field is an exact int (int() of the dict's key, or the "
        "bitmaps' 1 and 65, less 1 and the offset), and for every int x - (x // 8) * 8 is "
        "x % 8; byte is still used for the index",
        crlf('''        bit = 7 - (field - byte * 8)
''', '''        bit = 7 - field % 8
''')),
    "bcd_length_f_string": case(
        ENC, "_encode_field", "str.format to f-string",
        "the BCD length's digits written by the f-string f'{enc_field_len:0{len_type * 2}d}' "
        "instead of str.format with len_type * 2 passed by keyword: both multiply len_type "
        "by 2 once, format that with an empty spec into the nested field, and format the "
        "length with the spec built",
        crlf('        bcd_field_len = "{:0{len_type}d}".format('
              'enc_field_len, len_type=len_type * 2)\n',
              '        bcd_field_len = f"{enc_field_len:0{len_type * 2}d}"\n')),
    "fold_width_conditional": case(
        TOOLS, "_wrap_str_repr", "if statement to conditional expression",
        "the folding width set by one conditional expression, width - 2 if width > 3 else "
        "1, instead of an if statement subtracting 2 in place or setting 1: width is the "
        "line width (through int()) less the indent, an exact int, so -= and - give the "
        "same int, under the same test",
        crlf('''    if width > 3:
        width -= 2
    else:
        width = 1
''', '''    width = width - 2 if width > 3 else 1
''')),
    "decode_field_keys_in_loop": case(
        DEC, "decode", "list comprehension inlined into the loop",
        "each field's key made by str(i) inside the loop over sorted(fields) instead of a "
        "list of keys built before it: the fields are ints, str() of an int has no effect "
        "but its answer, the keys are taken in the same order, and field is left holding "
        "the last key (or what it held when there are none) for the leftover-data error",
        crlf('''    for field in [str(i) for i in sorted(fields)]:
        idx = _decode_field(s, doc_dec, doc_enc, idx, field, spec[field])
''', '''    for i in sorted(fields):
        field = str(i)
        idx = _decode_field(s, doc_dec, doc_enc, idx, field, spec[field])
''')),
}

CARELESS = {
    "text_length_of_str": case(
        ENC, "_encode_text_field", "length of the wrong object (encoded bytes to the str)",
        "a text field's length in bytes taken as len(field_data), the str's characters, "
        "instead of len(encoded_data), its encoded bytes: the same in ASCII, EBCDIC and "
        "latin-1, the suite's encodings, but in UTF-8 'é' is two bytes and its LLVAR length "
        "is now written 01 before them where it was 02",
        crlf('''        return (encoded_data, len(encoded_data) * 2)
    else:
        return (encoded_data, len(encoded_data))
''', '''        return (encoded_data, len(encoded_data) * 2)
    else:
        return (encoded_data, len(field_data))
'''),
        probe=Probe(SETUP + "\nU = {**A, '2': {**A['2'], 'data_enc': 'utf-8'}}",
                    "iso8583.encode({'t': '0200', '2': 'é'}, U)[0]",
                    "bytearray(b'0200400000000000000002\\xc3\\xa9')",
                    "bytearray(b'0200400000000000000001\\xc3\\xa9')")),
    "field_192_refused": case(
        ENC, "encode", "boundary moved (range(1, 193) to range(1, 192))",
        "the fields' range check written range(1, 192), as if its end were the last field, "
        "instead of range(1, 193): the suite's refused fields (0, 193, 194) are refused "
        "still, with the same message (its list of fields is still taken against 1 to 192), "
        "but field 192, the last of the tertiary bitmap, is now refused too",
        ("    if not fields.issubset(range(1, 193)):",
         "    if not fields.issubset(range(1, 192)):"),
        probe=Probe(SETUP + "\nT = {**A, '192': A['128']}",
                    "iso8583.encode({'t': '0200', '192': 'ABCDEF0123456789'}, T)[0]",
                    "bytearray(b'0200800000000000000080000000000000000000000000000001"
                    "ABCDEF0123456789')",
                    "raises EncodeError")),
    "pad_right_before_left": case(
        ENC, "_add_pad_field", "checks reordered (right pad before left)",
        "an odd nibble count padded on the right when the spec names a right pad, and only "
        "then on the left, instead of the left pad first: the same for a spec with one "
        "pad, the suite's, but with both '123' is sent as 123F where it was 0123",
        crlf('''    pad: str = field_spec.get("left_pad", "")[:1]
    if len(pad) > 0:
        return pad + field_data

    pad = field_spec.get("right_pad", "")[:1]
    if len(pad) > 0:
        return field_data + pad
''', '''    pad: str = field_spec.get("right_pad", "")[:1]
    if len(pad) > 0:
        return field_data + pad

    pad = field_spec.get("left_pad", "")[:1]
    if len(pad) > 0:
        return pad + field_data
'''),
        probe=Probe(NIBBLES, "iso8583.encode({'t': '0200', '2': '123'}, N)[0]",
                    "bytearray(b'0200400000000000000003\\x01#')",
                    "bytearray(b'0200400000000000000003\\x12?')")),
    "memoryview_accepted": case(
        DEC, "decode", "type check widened (memoryview accepted)",
        "a memoryview let through the type check beside bytes and bytearray: the suite's "
        "refused types (dict, list, tuple, str) are refused still, but a memoryview, which "
        "was refused with TypeError, now reaches the fields, whose slices have no decode(): "
        "a text message type fails as DecodeError",
        ("    if not isinstance(s, (bytes, bytearray)):",
         "    if not isinstance(s, (bytes, bytearray, memoryview)):"),
        probe=Probe(SETUP, "iso8583.decode(memoryview(b'02000000000000000000'), A)",
                    "raises TypeError", "raises DecodeError")),
    "desc_width_not_int": case(
        TOOLS, "pp", "conversion dropped (int(desc_width))",
        "pp's description width used as given instead of through int(): the same for the "
        "suite's int widths, but a float width now reaches the slice of the description, "
        "which refuses it: desc_width=10.0 raises TypeError where it printed the field",
        crlf('''    desc_width = int(desc_width)
    line_width = int(line_width)
''', '''    line_width = int(line_width)
'''),
        probe=Probe(SETUP + "\nout = io.StringIO()",
                    "(iso8583.pp({'t': '0200'}, A, desc_width=10.0, stream=out), "
                    "out.getvalue())[1]",
                    "\"t   Message Ty: '0200'\\n\"", "raises TypeError")),
}
