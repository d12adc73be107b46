"""webencodings 0.6.1 (BSD-3-Clause), held out (wave 15): the WHATWG Encoding standard's
labels and BOM detection over Python's codecs, in one module (webencodings/__init__.py, with
the label table labels.py and the x-user-defined and replacement codecs custom.py). lookup
strips ASCII whitespace alone, lower-cases ASCII letters alone (ascii_lower: the Kelvin sign
stays what it is) and caches one Encoding per name; anything with a codec_info is taken as an
encoding (_get_encoding), any other label looked up or refused with LookupError. decode
replaces undecodable bytes by default (errors='replace'), a UTF-8 or UTF-16 BOM overriding
the fallback; the push decoder waits for three bytes before it decides there is no BOM, and
the pull encoder flushes its encoder at the end (a stateful one, such as ISO-2022-JP's, ends
with its shift back to ASCII). Its suite (tests/test_webencodings.py: 11 tests) looks up
labels in every case and whitespace, decodes and encodes with and without BOMs, whole and in
chunks, and runs every label through every entry point on empty input. A line tracer over it
found two executable lines never run: Encoding.__repr__, and the pull encoder's yield of
what its final flush gives (no test encodes with a stateful encoding). Its labels have no
non-ASCII letter that lower-cases to ASCII, its encodings are always Encoding objects or
strings, its undecodable bytes are always decoded with errors given or by the incremental
decoder, and no chunk is three bytes without a BOM. One control (__repr__ by %-formatting)
changes only lines no test runs; every careless refactor changes lines the suite runs (the
final flush dropped takes with the unrun yield the two lines before it, which the suite runs
and whose flush it always finds empty)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "webencodings"
MOD = "webencodings/__init__.py"
SETUP = "import webencodings"

CONTROLS = {
    "encoding_repr_percent": case(
        MOD, "Encoding.__repr__", "f-string to %-formatting (lines no test runs)",
        "the representation formatted with '%s' % (name,) instead of an f-string: the "
        "name is a str, which both print as itself; no test prints an encoding",
        ('''        return f'<Encoding {self.name}>'
''', '''        return '<Encoding %s>' % (self.name,)
''')),
    "detect_bom_utf8_first": case(
        MOD, "_detect_bom", "independent branches reordered",
        "the UTF-8 BOM tested before the two UTF-16 ones: the three marks begin with "
        "different bytes (EF, FF, FE), so at most one matches and the order cannot matter",
        ('''    if input.startswith(b'\\xFF\\xFE'):
        return _UTF16LE, input[2:]
    if input.startswith(b'\\xFE\\xFF'):
        return _UTF16BE, input[2:]
    if input.startswith(b'\\xEF\\xBB\\xBF'):
        return UTF8, input[3:]
''', '''    if input.startswith(b'\\xEF\\xBB\\xBF'):
        return UTF8, input[3:]
    if input.startswith(b'\\xFF\\xFE'):
        return _UTF16LE, input[2:]
    if input.startswith(b'\\xFE\\xFF'):
        return _UTF16BE, input[2:]
''')),
    "lookup_cache_membership": case(
        MOD, "lookup", "get-or-None to a membership test",
        "the cache asked by membership and read by index instead of .get() compared with "
        "None: it never holds None, so both build and store an Encoding exactly when the "
        "name is new, and answer the stored one",
        ('''    encoding = CACHE.get(name)
    if encoding is None:
        if name == 'x-user-defined':
''', '''    if name not in CACHE:
        if name == 'x-user-defined':
'''),
        ('''        encoding = Encoding(name, codec_info)
        CACHE[name] = encoding
    return encoding
''', '''        CACHE[name] = Encoding(name, codec_info)
    return CACHE[name]
''')),
    "decode_conditional_expression": case(
        MOD, "decode", "or to a conditional expression",
        "the BOM's encoding chosen by a conditional expression on None instead of 'or': "
        "_detect_bom answers None or an Encoding, which has no __bool__ or __len__ and is "
        "always true",
        ('''    encoding = bom_encoding or fallback_encoding
''', '''    encoding = fallback_encoding if bom_encoding is None else bom_encoding
''')),
}

CARELESS = {
    "ascii_lower_str_lower": case(
        MOD, "ascii_lower", "case folding widened (str.lower)",
        "ASCII lower-casing replaced by str.lower, as its docstring's doctest warns "
        "against: the suite's labels are ASCII (and 'LATİN1' still no label), but a "
        "label with a Kelvin sign, '\\u212aoi8-r', which matched no label, now lower-cases "
        "to 'koi8-r'",
        ('''    return string.encode().lower().decode()
''', '''    return string.lower()
'''),
        probe=Probe(SETUP, "webencodings.lookup('\\u212aoi8-r')", "None",
                    "<Encoding koi8-r>")),
    "decoder_bom_wait_off_by_one": case(
        MOD, "IncrementalDecoder.decode", "off by one (< to <=)",
        "the push decoder waits while it has three bytes or fewer instead of fewer than "
        "three, as if a BOM needed a fourth byte to be ruled out: the suite's chunks are "
        "shorter or longer, but decode(b'abc') of a fresh decoder now answers '' and "
        "leaves the encoding undecided where it answered 'abc'",
        ('''            if len(input) < 3 and not final:  # Not enough data yet.
''', '''            if len(input) <= 3 and not final:  # Not enough data yet.
'''),
        probe=Probe(SETUP, "webencodings.IncrementalDecoder('latin1').decode(b'abc')",
                    "'abc'", "''")),
    "get_encoding_isinstance": case(
        MOD, "_get_encoding", "duck typing narrowed to isinstance",
        "an encoding recognised only as an Encoding instance instead of by its codec_info: "
        "the suite passes Encoding objects and labels, but an object of another class that "
        "carries a codec_info, taken as it is before, is now looked up as a label and "
        "fails on .strip",
        ('''    if hasattr(encoding_or_label, 'codec_info'):
''', '''    if isinstance(encoding_or_label, Encoding):
'''),
        probe=Probe(SETUP + "\nimport codecs\nclass Mine:\n    name = 'mine'\n"
                    "    codec_info = codecs.lookup('utf-8')",
                    "webencodings.encode('\\xe9', Mine())", "b'\\xc3\\xa9'",
                    "raises AttributeError")),
    "iter_encode_final_flush_dropped": case(
        MOD, "_iter_encode_generator", "final flush dropped",
        "the encoder's final flush dropped, as if encoding '' at the end could only answer "
        "b'': the suite's encodings are stateless, but ISO-2022-JP's shift back to ASCII "
        "(ESC ( B) after Japanese text is now never written",
        ('''        if output:
            yield output
    output = encode('', final=True)
    if output:
        yield output
''', '''        if output:
            yield output
'''),
        probe=Probe(SETUP, "b''.join(webencodings.iter_encode(['\\u65e5'], 'iso-2022-jp'))",
                    "b'\\x1b$BF|\\x1b(B'", "b'\\x1b$BF|'")),
    "decode_strict_by_default": case(
        MOD, "decode", "default changed (errors='strict')",
        "decode's errors default made 'strict', like encode's: the suite's decode calls "
        "are of decodable bytes or pass errors themselves, but b'\\xff' as UTF-8, decoded "
        "to U+FFFD before, now raises UnicodeDecodeError",
        ('''def decode(input, fallback_encoding, errors='replace'):
''', '''def decode(input, fallback_encoding, errors='strict'):
'''),
        probe=Probe(SETUP, "webencodings.decode(b'\\xff', 'utf-8')",
                    "('\ufffd', <Encoding utf-8>)", "raises UnicodeDecodeError")),
}
