"""hyperframe 6.1.0 (MIT), held out (wave 5): HTTP/2 frames parsed from bytes and
serialized back. A 9-byte header (a 24-bit length, the type, a flag byte, a 31-bit stream
id) picks the frame class; each class packs and unpacks its body with struct: padding
lengths, priority fields (the exclusive bit over a 31-bit stream dependency), settings,
error codes, window increments (1 to 2**31-1), opaque ping data; reprs show a body's first
ten bytes in hex. Its suite (tests/; the external collection of frame cases is pruned from
the sdist, so that test is skipped) never unpacks a malformed RST_STREAM body past its
length check: one control rewrites that handler's lines. Every careless refactor changes
lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "hyperframe"
MOD = "hyperframe/frame.py"
SETUP = ("from hyperframe.frame import ContinuationFrame, DataFrame, Frame, GoAwayFrame, "
         "WindowUpdateFrame")

_PRIORITY_DATA = '''        if "PRIORITY" in self.flags:
            priority_data = self.serialize_priority_data()
        else:
            priority_data = b""
'''

_DATA_PADDING = '''            data[padding_data_length:len(data)-self.pad_length].tobytes()
        )
        self.body_len = len(data)

        if self.pad_length and self.pad_length >= self.body_len:
'''

_RAW_REPR = '''    r = binascii.hexlify(data).decode("ascii")
    if len(r) > 20:
        r = r[:20] + "..."
'''

CONTROLS = {
    "rst_stream_message_inlined": case(
        MOD, "RstStreamFrame.parse_body", "temporary inlined (lines no test runs)",
        "the message of the malformed body's error passed to the exception directly; the "
        "length check before it leaves struct nothing to refuse, so no test reaches it",
        ('            msg = "Invalid RST_STREAM body"\n'
         "            raise InvalidFrameError(msg) from err\n",
         '            raise InvalidFrameError("Invalid RST_STREAM body") from err\n')),
    "header_length_or": case(
        MOD, "Frame.parse_frame_header", "addition written as bitwise or",
        "the length's high 16 bits and low byte joined with | instead of +: the shifted "
        "high part has no bit in the low byte",
        ("        length = (fields[0] << 8) + fields[1]",
         "        length = fields[0] << 8 | fields[1]")),
    "headers_priority_conditional": case(
        MOD, "HeadersFrame.serialize_body", "conditional expression",
        "the if/else choosing the priority bytes written as one conditional expression",
        (_PRIORITY_DATA,
         '        priority_data = self.serialize_priority_data() if "PRIORITY" in self.flags '
         'else b""\n')),
    "exclusive_bit_comparison": case(
        MOD, "Priority.parse_priority_data", "bit test written as a comparison",
        "bool(depends_on >> 31) written depends_on > 0x7FFFFFFF: the unpacked field is an "
        "unsigned 32-bit integer",
        ("        self.exclusive = bool(self.depends_on >> 31)",
         "        self.exclusive = self.depends_on > 0x7FFFFFFF")),
}

CARELESS = {
    "window_increment_upper_bound": case(
        MOD, "WindowUpdateFrame.parse_body", "boundary moved",
        "the range check rewritten with strict bounds, its limit left at 2**31-1: the "
        "largest increment HTTP/2 allows is refused",
        ("        if not 1 <= self.window_increment <= 2**31-1:",
         "        if not 0 < self.window_increment < 2**31-1:"),
        probe=Probe(SETUP, "(f := WindowUpdateFrame(0)).parse_body(memoryview("
                           "b'\\x7f\\xff\\xff\\xff')) or f.window_increment",
                    "2147483647", "raises InvalidDataError")),
    "goaway_last_stream_unmasked": case(
        MOD, "GoAwayFrame.serialize_body", "mask dropped",
        "the 31-bit mask on the last stream id dropped as a no-op for valid ids: an id "
        "with the reserved bit set is written with it",
        ("            self.last_stream_id & 0x7FFFFFFF,\n",
         "            self.last_stream_id,\n"),
        probe=Probe(SETUP, "GoAwayFrame(last_stream_id=2**31 + 5).serialize()[9:13]",
                    "b'\\x00\\x00\\x00\\x05'", "b'\\x80\\x00\\x00\\x05'")),
    "data_padding_boundary": case(
        MOD, "DataFrame.parse_body", "boundary moved",
        "'>=' written '>' in the padding check: padding as long as the whole body (no room "
        "for its own length byte) is accepted and the data read as empty",
        (_DATA_PADDING, _DATA_PADDING.replace("self.pad_length >= self.body_len",
                                              "self.pad_length > self.body_len")),
        probe=Probe(SETUP, "(f := DataFrame(1, flags=['PADDED'])).parse_body(memoryview("
                           "b'\\x05abcd')) or f.data",
                    "raises InvalidPaddingError", "b''")),
    "data_memoryview_kept": case(
        MOD, "DataFrame.serialize_body", "coercion removed",
        "the memoryview-to-bytes conversion dropped, since b''.join takes a memoryview: the "
        "bytes are the same, but the frame's data stays a memoryview after serialize()",
        ("        if isinstance(self.data, memoryview):\n"
         "            self.data = self.data.tobytes()\n", ""),
        probe=Probe(SETUP, "(f := DataFrame(1, data=memoryview(b'ab'))).serialize() and "
                           "f.data.decode()",
                    "'ab'", "raises AttributeError")),
    "raw_repr_truncated_first": case(
        MOD, "_raw_data_repr", "boundary moved",
        "the body cut to its first ten bytes before hexlifying, and '...' added when it "
        "had ten or more: a body of exactly ten bytes is shown as cut",
        (_RAW_REPR, '''    r = binascii.hexlify(data[:10]).decode("ascii")
    if len(data) >= 10:
        r += "..."
'''),
        probe=Probe(SETUP, "repr(ContinuationFrame(1, data=b'0123456789'))",
                    "'ContinuationFrame(stream_id=1, flags=[]): data=<hex:30313233343536373839>'",
                    "'ContinuationFrame(stream_id=1, flags=[]): "
                    "data=<hex:30313233343536373839...>'")),
}
