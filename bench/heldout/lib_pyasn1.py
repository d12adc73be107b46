"""pyasn1 0.6.5 (BSD-2-Clause), held out (wave 4): ASN.1 types (integers, bit and octet
strings, object identifiers, times, constructed types) coerced from Python values and
encoded to BER, CER and DER bytes and back: tags in one octet below 31 and in base 128
from 31, lengths in one octet below 128 and in long form from 128, value constraints
checked on assignment. Its suite (tests/) never encodes a time with a UTC offset other
than zero from a datetime: one control rewrites those lines of fromDateTime. Every
careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pyasn1"
ENCODER = "pyasn1/codec/ber/encoder.py"
UNIV = "pyasn1/type/univ.py"
USEFUL = "pyasn1/type/useful.py"
SETUP = ("from pyasn1.codec.ber import encoder\n"
         "from pyasn1.type import constraint, tag, univ, useful")

_OFFSET_SIGN = '''            if seconds < 0:
                text += '-'
            else:
                text += '+'
'''

_TZ_MINUTES = '''                minutes = int(tz[:2]) * 60 + int(tz[2:])
                if plusminus == '-':
                    minutes *= -1
'''

CONTROLS = {
    "offset_sign_conditional": case(
        USEFUL, "TimeMixIn.fromDateTime", "conditional expression (lines no test runs)",
        "the if/else appending the offset's sign written as one conditional expression; "
        "the suite never encodes a datetime whose UTC offset is not zero",
        (_OFFSET_SIGN, "            text += '-' if seconds < 0 else '+'\n")),
    "to_bytes_ceil": case(
        "pyasn1/compat/integer.py", "to_bytes", "equivalent arithmetic",
        "the octet count length // 8 + (length % 8 and 1 or 0) written (length + 7) // 8",
        ("    return value.to_bytes(length // 8 + (length % 8 and 1 or 0), 'big', "
         "signed=signed)",
         "    return value.to_bytes((length + 7) // 8, 'big', signed=signed)")),
    "boolean_conditional": case(
        "pyasn1/codec/ber/decoder.py", "BooleanPayloadDecoder._createComponent",
        "conditional expression",
        "the and/or idiom 'value and 1 or 0' written '1 if value else 0'",
        ("            self, asn1Spec, tagSet, value and 1 or 0, **options)",
         "            self, asn1Spec, tagSet, 1 if value else 0, **options)")),
    "as_binary_zfill": case(
        UNIV, "BitString.asBinary", "library call for hand-written padding",
        "the bits left-padded with zeros to the string's length by str.zfill",
        ("        binString = bin(self._value)[2:]\n"
         "        return '0' * (len(self._value) - len(binString)) + binString",
         "        return bin(self._value)[2:].zfill(len(self._value))")),
}

CARELESS = {
    "tag_31_short_form": case(
        ENCODER, "AbstractItemEncoder.encodeTag", "boundary moved",
        "'tagId < 31' written '<= 31': tag number 31 is encoded in the one identifier "
        "octet whose low bits 11111 announce the long form",
        ("        if tagId < 31:", "        if tagId <= 31:"),
        probe=Probe(SETUP, "encoder.encode(univ.Integer(1).subtype(implicitTag=tag.Tag("
                           "tag.tagClassContext, tag.tagFormatSimple, 31)))",
                    "b'\\x9f\\x1f\\x01\\x01'", "b'\\x9f\\x01\\x01'")),
    "length_128_short_form": case(
        ENCODER, "AbstractItemEncoder.encodeLength", "boundary moved",
        "'length < 0x80' written '<= 0x80': a length of 128 is written as the one octet "
        "0x80, the indefinite-length marker",
        ("        if length < 0x80:", "        if length <= 0x80:"),
        probe=Probe(SETUP, "encoder.encode(univ.OctetString(b'x' * 128))[:3]",
                    "b'\\x04\\x81\\x80'", "b'\\x04\\x80x'")),
    "offset_sign_on_hours": case(
        USEFUL, "TimeMixIn.asDateTime", "sign folded into the expression",
        "the offset's sign folded into one expression as a factor: it multiplies the "
        "hours only, so -0130 is read as -60 + 30 minutes",
        (_TZ_MINUTES, '''                sign = -1 if plusminus == '-' else 1
                minutes = sign * int(tz[:2]) * 60 + int(tz[2:])
'''),
        probe=Probe(SETUP, "useful.GeneralizedTime('20170916234254-0130').asDateTime"
                           ".utcoffset()",
                    "datetime.timedelta(days=-1, seconds=81000)",
                    "datetime.timedelta(days=-1, seconds=84600)")),
    "printable_del": case(
        UNIV, "OctetString.prettyPrint", "boundary moved",
        "the printable test 'x > 126' written 'x > 127' (ASCII as below 128): DEL (0x7f) "
        "is printed as text, not hexified",
        ("            if x < 32 or x > 126:", "            if x < 32 or x > 127:"),
        probe=Probe(SETUP, "univ.OctetString(b'a\\x7f').prettyPrint()",
                    "'0x617f'", "'a\\x7f'")),
    "oid_sign_check_dropped": case(
        UNIV, "ObjectIdentifier.prettyIn", "validation removed",
        "the test for '-' in a dotted OID dropped as redundant (int() refuses what is "
        "not a number): int() reads '-6', so a negative arc is accepted",
        ("            if '-' in value:\n"
         "                raise error.PyAsn1Error(\n"
         "                    # sys.exc_info in case prettyIn was called while handling an "
         "exception\n"
         "                    'Malformed Object ID %s at %s: %s' % (value, "
         "self.__class__.__name__, sys.exc_info()[1])\n"
         "                )\n", ""),
        probe=Probe(SETUP, "tuple(univ.ObjectIdentifier('1.3.-6'))",
                    "raises PyAsn1Error", "(1, 3, -6)")),
}
