"""hpack 4.2.0 (MIT), held out (wave 5): HTTP/2 header compression (RFC 7541). Integers are
packed with an N-bit prefix and 7-bit continuation bytes; header names and values are
coerced to bytes (str through UTF-8, anything else through str()) and encoded against a
static table and a dynamic one bounded in bytes (each entry counts 32 more than its name
and value), as indexed fields or literals, optionally Huffman-coded; the decoder bounds the
decoded list's size and the table size the peer may ask for. Its suite (tests/, with
Hypothesis properties; the sdist leaves out the story fixtures) never Huffman-codes a
string whose code starts with a zero byte: one control rewrites the padding of that hex.
Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "hpack"
HPACK = "hpack/hpack.py"
TABLE = "hpack/table.py"
SETUP = "from hpack import Decoder, Encoder"

_MISSING_DIGITS = '''        if len(s) != expected_digits:
            missing_digits = expected_digits - len(s)
            s = ("0" * missing_digits) + s
'''

_UNICODE = '''    if not raw:
        return header.__class__(name.decode("utf-8"), value.decode("utf-8"))  # type: ignore
    return header.__class__(name, value)  # type: ignore
'''

_PARTIAL = '''                if v == value:
                    return i + offset, n, v
                elif partial is None:
                    partial = (i + offset, n, None)
'''

CONTROLS = {
    "huffman_hex_zfill": case(
        "hpack/huffman.py", "HuffmanEncoder.encode", "str method for hand-made padding "
        "(lines no test runs)",
        "the missing leading zeros of the hex digits added with str.zfill; no test encodes "
        "a string whose code begins with a zero byte",
        (_MISSING_DIGITS, '''        if len(s) != expected_digits:
            s = s.zfill(expected_digits)
''')),
    "decode_header_is_not_none": case(
        HPACK, "Decoder.decode", "truth test made explicit",
        "'if header:' written 'if header is not None:': a decoded header is a two-tuple, "
        "never empty, and a table size update gives None",
        ("            if header:\n", "            if header is not None:\n")),
    "decode_integer_mask_max": case(
        HPACK, "decode_integer", "value reused",
        "the prefix mask taken from the prefix's largest number, already looked up: "
        "0xFF >> (8 - n) is 2**n - 1 for n from 1 to 8",
        ("    mask = (0xFF >> (8 - prefix_bits))", "    mask = max_number")),
    "unicode_branches_swapped": case(
        HPACK, "_unicode_if_needed", "branches swapped",
        "the raw case returned first, so the test loses its negation",
        (_UNICODE, '''    if raw:
        return header.__class__(name, value)  # type: ignore
    return header.__class__(name.decode("utf-8"), value.decode("utf-8"))  # type: ignore
''')),
}

CARELESS = {
    "table_maxsize_not_int": case(
        TABLE, "HeaderTable.maxsize", "coercion removed",
        "int() around the new maximum dropped (the setter is typed int): a size given as "
        "text, the default's '4096' from a configuration, is kept as text and the setter "
        "fails comparing it with 0",
        ("        newmax = int(newmax)\n", ""),
        probe=Probe(SETUP, "(e := Encoder()).__setattr__('header_table_size', '4096') or "
                           "e.encode([(':method', 'GET')])",
                    "b'\\x82'", "raises TypeError")),
    "table_search_last_partial": case(
        TABLE, "HeaderTable.search", "condition dropped",
        "the elif after the return flattened to an unconditional assignment: a later "
        "partial match (the dynamic table's) replaces the first one (the static table's "
        "lower index)",
        (_PARTIAL, '''                if v == value:
                    return i + offset, n, v
                partial = (i + offset, n, None)
'''),
        probe=Probe(SETUP, "Encoder().encode([(':path', '/a'), (':path', '/b')], huffman=False)",
                    "b'D\\x02/aD\\x02/b'", "b'D\\x02/a~\\x02/b'")),
    "table_shrink_inclusive": case(
        TABLE, "HeaderTable._shrink", "boundary moved",
        "'>' written '>=' in the eviction loop: a table filled exactly to its maximum "
        "evicts its oldest entry",
        ("        while cursize > self._maxsize:", "        while cursize >= self._maxsize:"),
        probe=Probe(SETUP, "(e := Encoder()).__setattr__('header_table_size', 34) or "
                           "e.encode([('a', 'b')], huffman=False) + "
                           "e.encode([('a', 'b')], huffman=False)",
                    "b'?\\x03@\\x01a\\x01b\\xbe'", "b'?\\x03@\\x01a\\x01b@\\x01a\\x01b'")),
    "to_bytes_isinstance": case(
        HPACK, "_to_bytes", "exact type test widened to isinstance",
        "type(value) is bytes written isinstance(value, bytes): a bytes subclass is sent "
        "as its bytes, no longer as its str() like every other non-str type",
        ("    if t is bytes:", "    if isinstance(value, bytes):"),
        probe=Probe(SETUP + "\nclass Name(bytes): pass",
                    "Encoder().encode([(Name(b'k'), b'v')], huffman=False)",
                    "b\"@\\x04b'k'\\x01v\"", "b'@\\x01k\\x01v'")),
    "header_list_limit_inclusive": case(
        HPACK, "Decoder.decode", "boundary moved",
        "'>' written '>=' in the header list's size limit: a list exactly at the limit is "
        "refused",
        ("                if inflated_size > self.max_header_list_size:",
         "                if inflated_size >= self.max_header_list_size:"),
        probe=Probe(SETUP, "Decoder(max_header_list_size=49).decode(b'\\x04\\x0c/sample/path')",
                    "[(':path', '/sample/path')]", "raises OversizedHeaderListError")),
}
