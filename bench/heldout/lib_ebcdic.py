"""ebcdic 2.0.1 (BSD-2-Clause), held out (wave 26): additional EBCDIC codecs (ebcdic/:
__init__ and one codec module a code page, cp037 to cp1149, generated from Java's tables).
Importing the package globs its cp*.py modules into codec_names (sorted), builds each one's
CodecInfo by its getregentry into a map, and registers a search function
(_find_ebcdic_codec) that answers a name from that map or None, so that str.encode and
bytes.decode find its code pages by name after the standard library's own search (which
wins for cp037, cp1140, cp273, cp424, cp500 and cp875: ignored_codec_names lists those, the
ones whose CodecInfo is not the one codecs.lookup answers). ebcdic.lookup answers its own
CodecInfo for a name, and raises LookupError, naming the codecs it has, for one it lacks.
Each codec module maps text through a table of 256 characters: Codec.encode and decode
(errors 'strict' unless told), IncrementalEncoder and IncrementalDecoder (with the errors
their constructor was given), and StreamReader and StreamWriter, empty subclasses that
getregentry puts in the CodecInfo so that codecs.getreader and getwriter find them.

Its suite (ebcdic/test: 7 tests) checks that cp1141 is among the codecs, recodes 'hello
world' through every one of them and the euro sign through cp1141, cp1148 and cp1148ms (each
by str.encode and bytes.decode, with no errors argument), that cp500 is ignored, that
lookup('cp500') is not the standard library's CodecInfo and lookup('cpNone') raises
LookupError, and that each ignored codec encodes the first 256 characters as the standard
library does (errors='replace', by name, so the standard library's codec both times). A line
tracer over it found unrun: every codec's IncrementalEncoder.encode and
IncrementalDecoder.decode, the Codec methods of the six codecs the standard library
overrides, and examples/convert.py. Its tests never encode a character a code page lacks,
use an incremental codec or a stream, decode bytes whose characters differ between two code
pages, or look up a name the package lacks except to see that LookupError is raised.

(cp500ms and cp1148ms, reformatted by hand with double quotes, write the apostrophe as three
double quotes, which open a string that runs to the quotation mark's line: their tables
hold 325 characters and map 0x7D onward wrongly on the base. No case touches them.)"""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "ebcdic"
INIT = "ebcdic/__init__.py"
CP1047 = "ebcdic/cp1047.py"
CP1141 = "ebcdic/cp1141.py"
CP1142 = "ebcdic/cp1142.py"
CP1143 = "ebcdic/cp1143.py"
SETUP = "import codecs\nimport ebcdic"

CONTROLS = {
    "ignored_without_sorting": case(
        INIT, "ignored_codec_names", "redundant sort dropped",
        "the map's items walked as they are instead of sorted(): the map is built by "
        "iterating codec_names, which is sorted, and a dict keeps its insertion order, so "
        "the items come in the same (sorted) order, and the names are unique, so sorted() "
        "never compared two CodecInfos either",
        ('''        for codec_name, codec_info in sorted(_codec_name_to_info_map.items())
''', '''        for codec_name, codec_info in _codec_name_to_info_map.items()
''')),
    "lookup_inlined": case(
        INIT, "lookup", "helper call inlined",
        "the codec found by _codec_name_to_info_map.get(codec_name) in place, instead of "
        "by a call of _find_ebcdic_codec, whose body this is: the same CodecInfo or None, "
        "and the same LookupError for None",
        ('''    result = _find_ebcdic_codec(codec_name)
''', '''    result = _codec_name_to_info_map.get(codec_name)
''')),
    "info_map_by_comprehension": case(
        INIT, "_create_codec_name_to_info_map", "loop to dict comprehension",
        "the map built by a dict comprehension over codec_names instead of a loop filling "
        "an empty dict: each name imported the same way (__import__ with the same fromlist; "
        "it ignores its locals argument) and mapped to its module's getregentry(), in the "
        "same order",
        ('''    result = {}
    for codec_name in codec_names:
        codec_module = __import__("ebcdic." + codec_name, globals(), locals(), ["getregentry"])
        result[codec_name] = codec_module.getregentry()
    return result
''', '''    return {
        codec_name: __import__(
            "ebcdic." + codec_name, globals(), locals(), ["getregentry"]
        ).getregentry()
        for codec_name in codec_names
    }
''')),
    "incremental_decode_by_codec": case(
        CP1141, "IncrementalDecoder.decode", "delegation to the stateless codec",
        "cp1141's incremental decoder decoding through Codec().decode(data, self.errors) "
        "and taking its text, instead of calling codecs.charmap_decode itself: Codec.decode "
        "is that very call on the same table, with the errors passed on, so the same text "
        "and the same errors (a line no test runs)",
        ('''    def decode(self, data, final=False):
        return codecs.charmap_decode(data, self.errors, decoding_table)[0]
''', '''    def decode(self, data, final=False):
        return Codec().decode(data, self.errors)[0]
''')),
}

CARELESS = {
    "lookup_by_key_error": case(
        INIT, "lookup", "exception type and message changed",
        "the codec taken by indexing the map, its KeyError left to say that the name is "
        "missing, since KeyError is a LookupError: the suite's pytest.raises(LookupError) "
        "still passes, but lookup now raises a KeyError whose message is the bare name "
        "instead of a LookupError naming the codecs the package has, and an except "
        "KeyError that let a LookupError through now catches it",
        ('''    result = _find_ebcdic_codec(codec_name)
    if result is None:
        raise LookupError(f"EBCDIC codec is {codec_name!r} but must be one of: {codec_names}")
    return result
''', '''    return _codec_name_to_info_map[codec_name]
'''),
        probe=Probe(SETUP, "ebcdic.lookup('cp1141x')", "raises LookupError",
                    "raises KeyError")),
    "incremental_errors_dropped": case(
        CP1141, "IncrementalEncoder.encode", "argument dropped in a delegation",
        "cp1141's incremental encoder encoding through Codec().encode(text) and taking its "
        "bytes, to share the stateless codec's code, but without passing self.errors on: "
        "Codec.encode's default, 'strict', is used whatever errors the encoder was made "
        "with, so an encoder made with 'replace' raises UnicodeEncodeError on a character "
        "cp1141 lacks instead of writing '?' (0x6F); the suite never uses an incremental "
        "encoder (a line no test runs)",
        ('''    def encode(self, text, final=False):
        return codecs.charmap_encode(text, self.errors, encoding_table)[0]
''', '''    def encode(self, text, final=False):
        return Codec().encode(text)[0]
'''),
        probe=Probe(SETUP, "codecs.getincrementalencoder('cp1141')('replace')"
                    ".encode('\\u4e00')", "b'o'", "raises UnicodeEncodeError")),
    "stream_classes_dropped": case(
        CP1047, "getregentry", "registration dropped as redundant",
        "cp1047's CodecInfo built without its StreamReader and StreamWriter, two empty "
        "subclasses (pass) taken for dead code: str.encode and bytes.decode, all the suite "
        "uses, do not need them, but codecs.getreader('cp1047') and getwriter now answer "
        "None, so reading an EBCDIC file through a stream (and codecs.open) fails with "
        "TypeError instead of decoding it",
        ('''        incrementaldecoder=IncrementalDecoder,
        streamreader=StreamReader,
        streamwriter=StreamWriter,
''', '''        incrementaldecoder=IncrementalDecoder,
'''),
        probe=Probe(SETUP + "\nimport io",
                    "codecs.getreader('cp1047')(io.BytesIO(b'\\xc8\\x85\\x93\\x93\\x96'))"
                    ".read()", "'Hello'", "raises TypeError")),
    "incremental_decode_wrong_page": case(
        CP1142, "IncrementalDecoder.decode", "wrong code page named (copy and paste)",
        "cp1142's incremental decoder written as codecs.decode(data, 'cp1141', "
        "self.errors), copied from the German module, instead of through its own table: "
        "cp1141 and cp1142 (Denmark, Norway) share their letters and digits, but not the "
        "national characters, so Danish text read incrementally comes out with German "
        "characters where its own were ('Æblegrød' as '#blegröd'); the suite never decodes "
        "incrementally (a line no test runs)",
        ('''    def decode(self, data, final=False):
        return codecs.charmap_decode(data, self.errors, decoding_table)[0]
''', '''    def decode(self, data, final=False):
        return codecs.decode(data, "cp1141", self.errors)
'''),
        probe=Probe(SETUP, "codecs.getincrementaldecoder('cp1142')()"
                    ".decode('\\xc6blegr\\xf8d'.encode('cp1142'))", "'Æblegrød'",
                    "'#blegröd'")),
    "encode_lenient_by_default": case(
        CP1143, "Codec.encode", "error raised to error swallowed",
        "cp1143's encoder defaulting to errors='replace' instead of 'strict', to be "
        "forgiving with legacy data: str.encode passes no errors argument when none is "
        "given, so the default is used, and a character the Finnish and Swedish code page "
        "lacks is now written as '?' (0x6F) without a word instead of raising "
        "UnicodeEncodeError; the suite encodes only characters cp1143 has",
        ('''    def encode(self, text, errors='strict'):
''', '''    def encode(self, text, errors='replace'):
'''),
        probe=Probe(SETUP, "'\\u4e00'.encode('cp1143')", "raises UnicodeEncodeError",
                    "b'o'")),
}
