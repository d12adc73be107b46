"""multipart 2.0.1 (MIT), held out (wave 13): a parser of multipart/form-data as bytes, one
module (multipart.py). PushMultipartParser parses chunks incrementally (a preamble, then
each segment's header lines, then its body up to the next CRLF and boundary), with
limits: the boundary (none empty, no line feed, at most 1024 bytes in strict mode), a
header line's size and a segment's count of headers, the segments' count and size, the
stream's Content-Length; a segment's own Content-Length must be an unsigned ASCII decimal
written without a sign or leading zeros (int() and str() round trip) and bounds its body
both ways. MultipartParser buffers each part (MultipartPart) in memory up to its spool
limit, then in a temporary file, within memory and disk limits; MultipartPart.content_type
defaults to application/octet-stream for a file (a filename not empty) and text/plain for
a field; parse_form_data reads a WSGI environ's multipart or urlencoded form. Beside them
a MultiDict (get answers the default for a missing key or index), header quoting and
unquoting, parse_options_header, parse_content_disposition and copy_file (maxread < 0
reads to the end). Its suite (test/, 134 tests and 12 subtests) is thorough (its README
says 100% coverage): a line tracer over it found every line run but two: the parser's
'unexpected internal state' (marked pragma: no cover) and MultipartPart.content_type's
default, since every part whose content type the suite reads has one. Its limits are
tested on one side (a 1025-byte boundary, '+4', '-4' and an Arabic-Indic digit as
Content-Length), copy_file only to the end, MultiDict.get with a missing key alone. One
control (the default's condition negated) and one careless refactor (the default keyed on
'filename is not None') change only lines no test runs; every other case changes lines
the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "multipart"
MOD = "multipart.py"
SETUP = "import io\nimport multipart"
# One segment with the header line given, four bytes of body, then the final boundary: its
# events' type names, or the parser's error.
SEGMENTS = SETUP + '''
def segments(header):
    parser = multipart.PushMultipartParser('b')
    body = (b'--b\\r\\nContent-Disposition: form-data; name=f\\r\\n' + header
            + b'\\r\\n\\r\\nabcd\\r\\n--b--')
    return [type(event).__name__ for event in parser.parse(body)]'''
# A file part whose filename is empty (a form's file input left empty) and which has no
# Content-Type of its own.
EMPTY_FILENAME = SETUP + '''
body = b'--b\\r\\nContent-Disposition: form-data; name="f"; filename=""\\r\\n\\r\\nx\\r\\n--b--'
part = multipart.MultipartParser(io.BytesIO(body), 'b').get('f')'''

CONTROLS = {
    "content_type_condition_negated": case(
        MOD, "MultipartPart.content_type", "conditional negated (lines no test runs)",
        "the default content type's conditional written from the field's side: text/plain "
        "if not self.filename, else application/octet-stream, the same two answers for the "
        "same filenames; no test reads the default",
        ('''            "application/octet-stream" if self.filename else "text/plain"
''', '''            "text/plain" if not self.filename else "application/octet-stream"
''')),
    "multidict_init_one_loop": case(
        MOD, "MultiDict.__init__", "two loops merged",
        "each positional argument's pairs taken from its items() when it has one, else "
        "from the argument itself, then one loop storing them, instead of two loops",
        ('''        for arg in args:
            if hasattr(arg, "items"):
                for k, v in arg.items():
                    self[k] = v
            else:
                for k, v in arg:
                    self[k] = v
''', '''        for arg in args:
            pairs = arg.items() if hasattr(arg, "items") else arg
            for k, v in pairs:
                self[k] = v
''')),
    "is_form_request_partition": case(
        MOD, "is_form_request", "split to partition",
        "the content type's main value taken with partition(';')[0] instead of "
        "split(';', 1)[0]: the same text before the first semicolon, or the whole value",
        ('''    return content_type.split(";", 1)[0].strip().lower() in (
''', '''    return content_type.partition(";")[0].strip().lower() in (
''')),
    "segment_header_unpacked": case(
        MOD, "MultipartSegment.header", "indexing to unpacking",
        "each header pair unpacked into its name and value in the loop instead of indexed "
        "([0], [1]); the header list holds (name, value) pairs",
        ('''        for header in self.headerlist:
            if header[0] == compare:
                return header[1]
''', '''        for header_name, header_value in self.headerlist:
            if header_name == compare:
                return header_value
''')),
}

CARELESS = {
    "content_type_filename_is_not_none": case(
        MOD, "MultipartPart.content_type",
        "'is not None' for truthiness (lines no test runs)",
        "the default content type keyed on the filename being present at all ('is not "
        "None') instead of being non-empty: no test reads the default, but a file input "
        "left empty (filename=\"\") is now application/octet-stream, not text/plain",
        ('''            "application/octet-stream" if self.filename else "text/plain"
''', '''            "application/octet-stream" if self.filename is not None else "text/plain"
'''),
        probe=Probe(EMPTY_FILENAME, "part.content_type", "'text/plain'",
                    "'application/octet-stream'")),
    "strict_boundary_inclusive": case(
        MOD, "PushMultipartParser.__init__", "boundary off by one (>= for >)",
        "the strict mode's boundary refused from 1024 bytes instead of above 1024: the "
        "suite's long boundary has 1025 bytes, refused either way, but a boundary of "
        "exactly 1024 bytes, allowed before, now raises StrictParserError",
        ('''        if self.strict and len(self.boundary) > 1024:
''', '''        if self.strict and len(self.boundary) >= 1024:
'''),
        probe=Probe(SETUP, "multipart.PushMultipartParser('x' * 1024, strict=True)"
                           ".boundary[:3]", "b'xxx'", "raises StrictParserError")),
    "segment_clen_digits_check": case(
        MOD, "PushMultipartParser._on_segment_headerline",
        "check widened (a character test for the round trip)",
        "the segment's Content-Length checked as ASCII digits before int() instead of by "
        "int() and str() giving the value back: a sign and non-ASCII digits are still "
        "refused (the suite's '+4', '-4' and Arabic-Indic four), but leading zeros now "
        "pass: 'Content-Length: 04', an invalid value before, now reads as 4",
        ('''                content_length = int(value)
                if content_length < 0 or str(content_length) != value:
                    raise ValueError("Not an unsigned ASCII decimal")
''', '''                if not (value.isascii() and value.isdigit()):
                    raise ValueError("Not an unsigned ASCII decimal")
                content_length = int(value)
'''),
        probe=Probe(SEGMENTS, "segments(b'Content-Length: 04')", "raises ParserError",
                    "['MultipartSegment', 'bytes', 'NoneType']")),
    "multidict_get_index_error": case(
        MOD, "MultiDict.get", "exception narrowed (IndexError no longer caught)",
        "only a missing key answered with the default, a key always holding a value: the "
        "suite asks for a missing key and for index 0, but get('a', index=5) of a key "
        "with one value, the default before, now raises IndexError",
        ('''        except (KeyError, IndexError):
            return default
''', '''        except KeyError:
            return default
'''),
        probe=Probe(SETUP, "multipart.MultiDict(a='1').get('a', 'none', index=5)",
                    "'none'", "raises IndexError")),
    "copy_file_maxread_zero": case(
        MOD, "copy_file", "boundary widened (<= 0 for < 0)",
        "a maxread of 0 read as unlimited, as a negative one is, instead of as nothing to "
        "read: the suite copies with the default (-1) alone, but copy_file with "
        "maxread=0 now copies the whole stream (3 bytes of b'abc') instead of none",
        ('''        to_read = buffer_size if maxread < 0 else min(buffer_size, maxread - size)
''', '''        to_read = buffer_size if maxread <= 0 else min(buffer_size, maxread - size)
'''),
        probe=Probe(SETUP, "multipart.copy_file(io.BytesIO(b'abc'), io.BytesIO(), "
                           "maxread=0)", "0", "3")),
}
